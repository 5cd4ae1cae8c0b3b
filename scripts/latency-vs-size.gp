# ipcbench: p50 (solid) and p99 (dashed, same colour) against message size,
# log-log, one colour per transport, from NAME.dat (one gnuplot index per line).
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
plot @PLOT@, \
     keyentry with lines lc rgb "black" lw 2 dt 1 title "p50 (solid)", \
     keyentry with lines lc rgb "black" lw 2 dt 2 title "p99 (dashed)"
