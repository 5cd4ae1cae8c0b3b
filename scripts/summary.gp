# ipcbench: every transport at one size, sorted by p50 (fastest on top):
# the bar is the p50, the whisker runs on to the p99, the numbers stand in a
# column on the right.  From @NAME@.dat.
@STYLE@
div = @DIV@
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
set style fill solid 0.85 border lc rgb "black"
set key outside bottom center horizontal reverse Left
set errorbars small
set style line 100 lc rgb "black" lw 1.5 dt 1 pt 13 ps 1
plot '@NAME@.dat' using (xmin):1:(xmin):($3/div):($1-0.32):($1+0.32):7:ytic(2) with boxxyerror lc variable notitle, \
     '' using ($4/div):1:($3/div):($4/div) with xerrorbars ls 100 notitle, \
     '' using (xmax):1:8 with labels left offset 1.5,0 font ",10" notitle, \
     keyentry with boxes lt 1 lc rgb "#999999" fs solid 0.85 border lc rgb "black" title "p50 (bar, colour per transport)", \
     keyentry with xerrorbars ls 100 title "p99 (whisker end)"
