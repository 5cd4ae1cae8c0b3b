# ipcbench: the zero-copy chart: stream throughput against message size,
# log-log, one line per transport, the run's copy floors as horizontal
# lines (shm copy black, memcpy grey) and the crossovers circled, from
# NAME.dat (one gnuplot index per line; its header says which is which).
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
# the floors: the shared-memory copy, then memcpy at each calibrated size
set style line 200 lc rgb "#000000" lw 2 dt 1
set style line 201 lc rgb "#888888" lw 1.5 dt 2
set style line 202 lc rgb "#888888" lw 1.5 dt 3
set style line 203 lc rgb "#888888" lw 1.5 dt 4
set style line 204 lc rgb "#888888" lw 1.5 dt 5
set style line 205 lc rgb "#bbbbbb" lw 1.5 dt 2
set style line 206 lc rgb "#bbbbbb" lw 1.5 dt 3
set style line 207 lc rgb "#bbbbbb" lw 1.5 dt 4
set style line 208 lc rgb "#bbbbbb" lw 1.5 dt 5
# a crossover
set style line 209 lc rgb "#000000" lw 1.5 pt 6 ps 2
plot @PLOT@
