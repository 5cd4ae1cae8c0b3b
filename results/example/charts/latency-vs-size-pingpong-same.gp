# ipcbench: p50 (solid) and p99 (dashed, same colour) against message size,
# log-log, one colour per transport, from NAME.dat (one gnuplot index per line).
# ipcbench chart style, shared by every chart: the terminal, fonts and the
# fixed palette.  `ipcbench plot` pastes this file into each NAME.gp it
# writes, filling in the @...@ placeholders.
#
# Re-run a chart:   gnuplot NAME.gp                  (writes NAME.png)
#                   gnuplot -e "fmt='svg'" NAME.gp   (writes NAME.svg)
reset
if (!exists("fmt")) fmt = "png"
set encoding utf8
if (fmt eq "svg") {
	set terminal svg size 1000,600 noenhanced font "Helvetica,14" linewidth 1 background "white"
	set output "latency-vs-size-pingpong-same.svg"
} else {
	if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
		set terminal pngcairo size 1000,600 noenhanced font "Sans,11" linewidth 1 background "white"
	} else {
		set terminal png size 1000,600 noenhanced font "Sans,11" background "#ffffff"
	}
	set output "latency-vs-size-pingpong-same.png"
}

# Series styles, one per transport, the same in every chart.  Colour
# (Okabe-Ito and Tol's colour-blind-safe sets), dash type and point type
# all change from one linetype to the next, so lines stay apart in
# greyscale print too.
set linetype 1  lc rgb "#0072B2" lw 2 dt 1 pt 7  ps 1.2
set linetype 2  lc rgb "#D55E00" lw 2 dt 2 pt 5  ps 1.1
set linetype 3  lc rgb "#009E73" lw 2 dt 3 pt 9  ps 1.3
set linetype 4  lc rgb "#CC79A7" lw 2 dt 4 pt 11 ps 1.3
set linetype 5  lc rgb "#000000" lw 2 dt 5 pt 13 ps 1.3
set linetype 6  lc rgb "#E69F00" lw 2 dt 1 pt 4  ps 1.1
set linetype 7  lc rgb "#56B4E9" lw 2 dt 2 pt 6  ps 1.2
set linetype 8  lc rgb "#882255" lw 2 dt 3 pt 8  ps 1.3
set linetype 9  lc rgb "#999933" lw 2 dt 4 pt 10 ps 1.3
set linetype 10 lc rgb "#44AA99" lw 2 dt 5 pt 12 ps 1.3
set linetype 11 lc rgb "#AA4499" lw 2 dt 1 pt 1  ps 1.3
set linetype 12 lc rgb "#666666" lw 2 dt 2 pt 2  ps 1.3
set linetype 13 lc rgb "#332288" lw 2 dt 3 pt 3  ps 1.3
set linetype 14 lc rgb "#117733" lw 2 dt 4 pt 14 ps 1.3
set linetype 15 lc rgb "#661100" lw 2 dt 5 pt 15 ps 1.3
set linetype 16 lc rgb "#6699CC" lw 2 dt 1 pt 64 ps 1.3
set linetype cycle 16

set datafile missing "NaN"
set border 3 lw 1
set tics out nomirror
set grid xtics ytics mxtics mytics lt 1 lc rgb "#d4d4d4" lw 1, lt 1 lc rgb "#efefef" lw 1
# The title is a label centred on the canvas, not on the plot area, so a wide
# legend never pushes it off the left edge.
set label 1001 'Round-trip p50 and p99 by message size: ping-pong, same CPU (CPUs 0,0)' . "\n" . 'host vm, 2026-11-21 08:40 UTC' at screen 0.5, screen 1 center offset 0,-1.3 font ",13"
set tmargin 5
set key outside right top vertical Left reverse samplen 4 spacing 1.15 width 1 noopaque

set xlabel "message size (bytes, log scale)"
set ylabel "round-trip latency (µs, log scale)"
set logscale x 2
set logscale y
set xrange [42.6667:1.57286e+06]
set xtics ("64 B" 64, "4 KiB" 4096, "64 KiB" 65536, "1 MiB" 1048576)
set format y "%g"
set ytics add ("2" 2, "5" 5, "20" 20, "50" 50, "200" 200, "500" 500, "2000" 2000, "5000" 5000)
set grid noxtics nomxtics
plot 'latency-vs-size-pingpong-same.dat' index 0 using 1:($2/1000) with linespoints lt 1 dt 1 title 'pipe', \
     'latency-vs-size-pingpong-same.dat' index 0 using 1:($4/1000) with lines lt 1 dt 2 notitle, \
     'latency-vs-size-pingpong-same.dat' index 1 using 1:($2/1000) with linespoints lt 2 dt 1 title 'fifo', \
     'latency-vs-size-pingpong-same.dat' index 1 using 1:($4/1000) with lines lt 2 dt 2 notitle, \
     'latency-vs-size-pingpong-same.dat' index 2 using 1:($2/1000) with linespoints lt 3 dt 1 title 'socketpair', \
     'latency-vs-size-pingpong-same.dat' index 2 using 1:($4/1000) with lines lt 3 dt 2 notitle, \
     'latency-vs-size-pingpong-same.dat' index 3 using 1:($2/1000) with linespoints lt 4 dt 1 title 'socketpair_seqpacket', \
     'latency-vs-size-pingpong-same.dat' index 3 using 1:($4/1000) with lines lt 4 dt 2 notitle, \
     'latency-vs-size-pingpong-same.dat' index 4 using 1:($2/1000) with linespoints lt 5 dt 1 title 'unix', \
     'latency-vs-size-pingpong-same.dat' index 4 using 1:($4/1000) with lines lt 5 dt 2 notitle, \
     'latency-vs-size-pingpong-same.dat' index 5 using 1:($2/1000) with linespoints lt 6 dt 1 title 'unix_dgram', \
     'latency-vs-size-pingpong-same.dat' index 5 using 1:($4/1000) with lines lt 6 dt 2 notitle, \
     'latency-vs-size-pingpong-same.dat' index 6 using 1:($2/1000) with linespoints lt 7 dt 1 title 'tcp', \
     'latency-vs-size-pingpong-same.dat' index 6 using 1:($4/1000) with lines lt 7 dt 2 notitle, \
     'latency-vs-size-pingpong-same.dat' index 7 using 1:($2/1000) with linespoints lt 8 dt 1 title 'udp', \
     'latency-vs-size-pingpong-same.dat' index 7 using 1:($4/1000) with lines lt 8 dt 2 notitle, \
     'latency-vs-size-pingpong-same.dat' index 8 using 1:($2/1000) with linespoints lt 9 dt 1 title 'sysv_mq', \
     'latency-vs-size-pingpong-same.dat' index 8 using 1:($4/1000) with lines lt 9 dt 2 notitle, \
     'latency-vs-size-pingpong-same.dat' index 9 using 1:($2/1000) with linespoints lt 10 dt 1 title 'posix_mq', \
     'latency-vs-size-pingpong-same.dat' index 9 using 1:($4/1000) with lines lt 10 dt 2 notitle, \
     'latency-vs-size-pingpong-same.dat' index 10 using 1:($2/1000) with linespoints lt 11 dt 1 title 'lockfile', \
     'latency-vs-size-pingpong-same.dat' index 10 using 1:($4/1000) with lines lt 11 dt 2 notitle, \
     'latency-vs-size-pingpong-same.dat' index 11 using 1:($2/1000) with linespoints lt 12 dt 1 title 'signal', \
     'latency-vs-size-pingpong-same.dat' index 11 using 1:($4/1000) with lines lt 12 dt 2 notitle, \
     'latency-vs-size-pingpong-same.dat' index 12 using 1:($2/1000) with linespoints lt 13 dt 1 title 'eventfd', \
     'latency-vs-size-pingpong-same.dat' index 12 using 1:($4/1000) with lines lt 13 dt 2 notitle, \
     'latency-vs-size-pingpong-same.dat' index 13 using 1:($2/1000) with linespoints lt 14 dt 1 title 'shm_ring', \
     'latency-vs-size-pingpong-same.dat' index 13 using 1:($4/1000) with lines lt 14 dt 2 notitle, \
     'latency-vs-size-pingpong-same.dat' index 14 using 1:($2/1000) with linespoints lt 15 dt 1 title 'shm_spin', \
     'latency-vs-size-pingpong-same.dat' index 14 using 1:($4/1000) with lines lt 15 dt 2 notitle, \
     'latency-vs-size-pingpong-same.dat' index 15 using 1:($2/1000) with linespoints lt 16 dt 1 title 'sysv_shm', \
     'latency-vs-size-pingpong-same.dat' index 15 using 1:($4/1000) with lines lt 16 dt 2 notitle, \
     keyentry with lines lc rgb "black" lw 2 dt 1 title "p50 (solid)", \
     keyentry with lines lc rgb "black" lw 2 dt 2 title "p99 (dashed)"
