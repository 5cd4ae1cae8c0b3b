# ipcbench: latency by percentile, one line per transport, from NAME.dat
# (the .hgrm rows of each cell's HDR histogram; one gnuplot index per line).
# The x axis is 1/(1-p) on a log scale, so each decade is one more "nine";
# a line ends where its samples run out (1/(1-p) capped at the sample count).
@STYLE@
set xlabel "percentile (log scale: each step is one more nine)"
set ylabel "@YLABEL@"
set logscale x
set logscale y
set xrange [1:@XMAX@]
set xtics (@XTICS@)
set mxtics 10
set format y "%g"
@YEXTRA@
set autoscale yfix
set offsets 0, 0, graph 0.04, graph 0.04
plot @PLOT@
