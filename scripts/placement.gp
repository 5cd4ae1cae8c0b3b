# ipcbench: the placement effect at one size: per transport, one bar per
# placement (p50), the whisker running on to the p99.  From NAME.dat.
@STYLE@
xmin = @XMIN@
xmax = @XMAX@
set xlabel "@XLABEL@"
set logscale x
set xrange [xmin:xmax]
set yrange [@NROWS@ - 0.5:-0.5]
set format x "%g"
set ytics scale 0
# the numbers stand in a column right of the plot
set rmargin 27
set label 1002 "p50 | p99" at graph 1, graph 1 left offset 1.5,0.9 font ",10"
set grid xtics mxtics noytics
set key outside bottom center horizontal reverse Left
set errorbars small
set style line 100 lc rgb "black" lw 1.5 pt 13 ps 0.8
set style line 101 lc rgb "#0072B2"
set style line 102 lc rgb "#E69F00"
set style line 103 lc rgb "#009E73"
set style line 104 lc rgb "#CC79A7"
plot @PLOT@
