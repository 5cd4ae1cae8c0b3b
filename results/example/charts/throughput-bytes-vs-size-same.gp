# ipcbench: stream throughput against message size, log-log, one line per
# transport, from NAME.dat (one gnuplot index per line).
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
	set output "throughput-bytes-vs-size-same.svg"
} else {
	if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
		set terminal pngcairo size 1000,600 noenhanced font "Sans,11" linewidth 1 background "white"
	} else {
		set terminal png size 1000,600 noenhanced font "Sans,11" background "#ffffff"
	}
	set output "throughput-bytes-vs-size-same.png"
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
set label 1001 'Stream throughput (bytes/s) by message size: same CPU (CPUs 0,0)' . "\n" . 'host vm, 2026-11-21 08:40 UTC' at screen 0.5, screen 1 center offset 0,-1.3 font ",13"
set tmargin 5
set key outside right top vertical Left reverse samplen 4 spacing 1.15 width 1 noopaque

set xlabel "message size (bytes, log scale)"
set ylabel "throughput (GB/s, log scale)"
set logscale x 2
set logscale y
set xrange [42.6667:1.57286e+06]
set xtics ("64 B" 64, "4 KiB" 4096, "64 KiB" 65536, "1 MiB" 1048576)
set format y "%g"
set ytics add ("0.002" 0.002, "0.005" 0.005, "0.02" 0.02, "0.05" 0.05, "0.2" 0.2, "0.5" 0.5, "2" 2, "5" 5, "20" 20, "50" 50)
set grid noxtics nomxtics
plot 'throughput-bytes-vs-size-same.dat' index 0 using 1:($3/1e+09) with linespoints lt 1 title 'pipe', \
     'throughput-bytes-vs-size-same.dat' index 1 using 1:($3/1e+09) with linespoints lt 2 title 'fifo', \
     'throughput-bytes-vs-size-same.dat' index 2 using 1:($3/1e+09) with linespoints lt 3 title 'socketpair', \
     'throughput-bytes-vs-size-same.dat' index 3 using 1:($3/1e+09) with linespoints lt 4 title 'socketpair_seqpacket', \
     'throughput-bytes-vs-size-same.dat' index 4 using 1:($3/1e+09) with linespoints lt 5 title 'unix', \
     'throughput-bytes-vs-size-same.dat' index 5 using 1:($3/1e+09) with linespoints lt 6 title 'unix_dgram', \
     'throughput-bytes-vs-size-same.dat' index 6 using 1:($3/1e+09) with linespoints lt 7 title 'tcp', \
     'throughput-bytes-vs-size-same.dat' index 7 using 1:($3/1e+09) with linespoints lt 9 title 'sysv_mq', \
     'throughput-bytes-vs-size-same.dat' index 8 using 1:($3/1e+09) with linespoints lt 10 title 'posix_mq', \
     'throughput-bytes-vs-size-same.dat' index 9 using 1:($3/1e+09) with linespoints lt 11 title 'lockfile', \
     'throughput-bytes-vs-size-same.dat' index 10 using 1:($3/1e+09) with linespoints lt 12 title 'signal', \
     'throughput-bytes-vs-size-same.dat' index 11 using 1:($3/1e+09) with linespoints lt 13 title 'eventfd', \
     'throughput-bytes-vs-size-same.dat' index 12 using 1:($3/1e+09) with linespoints lt 14 title 'shm_ring', \
     'throughput-bytes-vs-size-same.dat' index 13 using 1:($3/1e+09) with linespoints lt 15 title 'shm_spin', \
     'throughput-bytes-vs-size-same.dat' index 14 using 1:($3/1e+09) with linespoints lt 16 title 'sysv_shm'
