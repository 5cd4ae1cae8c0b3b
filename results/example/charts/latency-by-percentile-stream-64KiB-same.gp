# ipcbench: latency by percentile, one line per transport, from NAME.dat
# (the .hgrm rows of each cell's HDR histogram; one gnuplot index per line).
# The x axis is 1/(1-p) on a log scale, so each decade is one more "nine";
# a line ends where its samples run out (1/(1-p) capped at the sample count).
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
	set output "latency-by-percentile-stream-64KiB-same.svg"
} else {
	if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
		set terminal pngcairo size 1000,600 noenhanced font "Sans,11" linewidth 1 background "white"
	} else {
		set terminal png size 1000,600 noenhanced font "Sans,11" background "#ffffff"
	}
	set output "latency-by-percentile-stream-64KiB-same.png"
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
set label 1001 'Latency by percentile: stream, 64 KiB, same CPU (CPUs 0,0)' . "\n" . 'host vm, 2026-11-21 08:40 UTC' at screen 0.5, screen 1 center offset 0,-1.3 font ",13"
set tmargin 5
set key outside right top vertical Left reverse samplen 4 spacing 1.15 width 1 noopaque

set xlabel "percentile (log scale: each step is one more nine)"
set ylabel "one-way latency (µs, log scale)"
set logscale x
set logscale y
set xrange [1:152254]
set xtics ("0%%" 1, "50%%" 2, "90%%" 10, "99%%" 100, "99.9%%" 1000, "99.99%%" 10000, "99.999%%" 100000)
set mxtics 10
set format y "%g"
set ytics add ("2" 2, "5" 5, "20" 20, "50" 50, "200" 200, "500" 500, "2000" 2000, "5000" 5000)
set autoscale yfix
set offsets 0, 0, graph 0.04, graph 0.04
plot 'latency-by-percentile-stream-64KiB-same.dat' index 0 using 2:($3/1000) with linespoints lt 1 pi 6 title 'pipe', \
     'latency-by-percentile-stream-64KiB-same.dat' index 1 using 2:($3/1000) with linespoints lt 2 pi 6 title 'fifo', \
     'latency-by-percentile-stream-64KiB-same.dat' index 2 using 2:($3/1000) with linespoints lt 3 pi 6 title 'socketpair', \
     'latency-by-percentile-stream-64KiB-same.dat' index 3 using 2:($3/1000) with linespoints lt 4 pi 6 title 'socketpair_seqpacket', \
     'latency-by-percentile-stream-64KiB-same.dat' index 4 using 2:($3/1000) with linespoints lt 5 pi 6 title 'unix', \
     'latency-by-percentile-stream-64KiB-same.dat' index 5 using 2:($3/1000) with linespoints lt 6 pi 6 title 'unix_dgram', \
     'latency-by-percentile-stream-64KiB-same.dat' index 6 using 2:($3/1000) with linespoints lt 7 pi 6 title 'tcp', \
     'latency-by-percentile-stream-64KiB-same.dat' index 7 using 2:($3/1000) with linespoints lt 9 pi 6 title 'sysv_mq', \
     'latency-by-percentile-stream-64KiB-same.dat' index 8 using 2:($3/1000) with linespoints lt 10 pi 6 title 'posix_mq', \
     'latency-by-percentile-stream-64KiB-same.dat' index 9 using 2:($3/1000) with linespoints lt 11 pi 6 title 'lockfile', \
     'latency-by-percentile-stream-64KiB-same.dat' index 10 using 2:($3/1000) with linespoints lt 12 pi 6 title 'signal', \
     'latency-by-percentile-stream-64KiB-same.dat' index 11 using 2:($3/1000) with linespoints lt 13 pi 6 title 'eventfd', \
     'latency-by-percentile-stream-64KiB-same.dat' index 12 using 2:($3/1000) with linespoints lt 14 pi 6 title 'shm_ring', \
     'latency-by-percentile-stream-64KiB-same.dat' index 13 using 2:($3/1000) with linespoints lt 15 pi 6 title 'shm_spin', \
     'latency-by-percentile-stream-64KiB-same.dat' index 14 using 2:($3/1000) with linespoints lt 16 pi 6 title 'sysv_shm'
