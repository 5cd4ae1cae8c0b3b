# ipcbench: every transport at one size, sorted by p50 (fastest on top):
# the bar is the p50, the whisker runs on to the p99, the numbers stand in a
# column on the right.  From summary-pingpong-64B-cross.dat.
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
	set terminal svg size 1000,778 noenhanced font "Helvetica,14" linewidth 1 background "white"
	set output "summary-pingpong-64B-cross.svg"
} else {
	if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
		set terminal pngcairo size 1000,778 noenhanced font "Sans,11" linewidth 1 background "white"
	} else {
		set terminal png size 1000,778 noenhanced font "Sans,11" background "#ffffff"
	}
	set output "summary-pingpong-64B-cross.png"
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
set label 1001 'Every transport at 64 B: ping-pong, cross-CPU (CPUs 0,1), sorted by p50' . "\n" . 'host vm, 2026-11-21 08:40 UTC' at screen 0.5, screen 1 center offset 0,-1.3 font ",13"
set tmargin 5
set key outside right top vertical Left reverse samplen 4 spacing 1.15 width 1 noopaque

div = 1000
xmin = 0.1
xmax = 206.437
set xlabel "round-trip latency (µs, log scale): bar p50, whisker to p99"
set logscale x
set xrange [xmin:xmax]
set yrange [16 - 0.5:-0.5]
set format x "%g"
set ytics scale 0
# the numbers stand in a column right of the plot
set rmargin 27
set label 1002 "p50 | p99" at graph 1, graph 1 left offset 1.5,0.9 font ",10"
set grid xtics mxtics noytics
set style fill solid 0.85 border lc rgb "black"
set key outside bottom center horizontal reverse Left
set errorbars small
set style line 100 lc rgb "black" lw 1.5 dt 1 pt 13 ps 1
plot 'summary-pingpong-64B-cross.dat' using (xmin):1:(xmin):($3/div):($1-0.32):($1+0.32):7:ytic(2) with boxxyerror lc variable notitle, \
     '' using ($4/div):1:($3/div):($4/div) with xerrorbars ls 100 notitle, \
     '' using (xmax):1:8 with labels left offset 1.5,0 font ",10" notitle, \
     keyentry with boxes lt 1 lc rgb "#999999" fs solid 0.85 border lc rgb "black" title "p50 (bar, colour per transport)", \
     keyentry with xerrorbars ls 100 title "p99 (whisker end)"
