# sweep-latency.gp - median (dashed, open markers) and 99th percentile
# (solid, its 95 % interval shaded) latency of good responses only (failed
# and timed-out requests are not in it) against the offered load, on a
# log axis so that both the flat part and the knee of each curve show;
# the objective of --slo in red. One panel per value of the other swept
# parameters.

if (npanel > 1) {
    set multiplot layout prows, pcols title sprintf('%s: latency of good responses only vs offered load', scenario) noenhanced font ',14'
}
set xlabel xlabel noenhanced
set ylabel 'latency of good responses (ms, log scale)'
set logscale y
set format y '%g'
set xrange [0:*]
if (npanel > 1) {
    # the panels share their y axis: from the lowest p50 (or band) to the
    # highest p99 (or band)
    stats data using (($11 == $11 && $11 < $5 ? $11 : $5) * 1000) nooutput
    ylo = STATS_min
    stats data using (($12 == $12 ? $12 : $6) * 1000) nooutput
    set yrange [ylo / 1.3:STATS_max * 1.3]
}
do for [p=1:npanel] {
    if (npanel > 1) {
        # one key, inside the first panel, so that the panels line up
        if (p == 1) {
            set key inside top left opaque
        } else {
            unset key
        }
        set title panel[p] noenhanced
    } else {
        set title sprintf('%s: latency of good responses only vs offered load', scenario) noenhanced
    }
    # one key entry per system (its colour), two for the line styles
    plot for [i=1:n] data index blk(p,i) using 1:($11*1000):($12*1000) with filledcurves ls i fs transparent solid 0.15 noborder notitle, \
         for [i=1:n] data index blk(p,i) using 1:($6*1000) with linespoints ls i title label[i] noenhanced, \
         for [i=1:n] data index blk(p,i) using 1:($5*1000) with linespoints ls i dt 2 pt 6 notitle, \
         NaN with lines lw 2 lc rgb '#444444' title 'p99', \
         NaN with lines lw 2 dt 2 lc rgb '#444444' title 'p50', \
         for [k=1:slo_n] slo_v[k] with lines dt 4 lw 2 lc rgb '#C00000' title slo_l[k] noenhanced
}
if (npanel > 1) {
    unset multiplot
}
