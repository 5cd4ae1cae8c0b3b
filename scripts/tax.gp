# ipcbench: the framework tax: each library transport's p50 (solid) and
# CPU per message (dashed, same colour) as a multiple of the raw transport
# it sits on, measured in the same run, against message size.  From NAME.dat.
@STYLE@
set xlabel "message size (bytes, log scale)"
set ylabel "multiple of the raw transport (1 = no tax)"
set logscale x 2
set logscale y
set yrange [0.5:@YMAX@]
set format y "%gx"
set grid noxtics nomxtics
plot @PLOT@, \
     1 with lines lc rgb "black" lw 1 dt 3 notitle, \
     keyentry with lines lc rgb "black" lw 2 dt 1 title "p50 (solid)", \
     keyentry with lines lc rgb "black" lw 1 dt 2 title "CPU per message (dashed)"
