# ipcbench: many members: the aggregate throughput (upper panel) and the
# merged p99 (lower panel) of --clients N or --pairs N cells against N,
# one line per transport.  From NAME.dat.
@STYLE@
set multiplot
set logscale x 2
set xrange [@XMIN@:@XMAX@]
@XTICS@
set logscale y
set lmargin at screen 0.1
set rmargin at screen 0.72
set tmargin at screen 0.86
set bmargin at screen 0.52
set format x ""
set ylabel "@RATELABEL@"
set format y "%.1s%c"
plot @PLOT_RATE@
set tmargin at screen 0.46
set bmargin at screen 0.1
set format x "%g"
set xlabel "@XLABEL@"
set ylabel "@TAILLABEL@"
set format y "%g"
unset key
unset label 1001
plot @PLOT_TAIL@
unset multiplot
