# ipcbench: stream throughput against message size, log-log, one line per
# transport, from NAME.dat (one gnuplot index per line).
@STYLE@
set xlabel "message size (bytes, log scale)"
set ylabel "@YLABEL@"
set logscale x 2
set logscale y
set xrange [@XMIN@:@XMAX@]
set xtics (@XTICS@)
set format y "%g"
@YEXTRA@
set grid noxtics nomxtics
plot @PLOT@
