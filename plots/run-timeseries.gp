# run-timeseries.gp - throughput, goodput and p99 latency over simulated
# time (from 0, warm-up included), averaged over the replications: top,
# responses/s (solid throughput, dashed goodput over the offered load, a
# grey area: what the lines leave uncovered was not served); bottom, p99
# latency of good responses on a log axis, with the objectives of --slo.
# Both panels share the x axis and the key.

set multiplot layout 2,1 title sprintf('%s over time (means over replications)', scenario) noenhanced
# fixed margins, so that the two panels' time axes line up
set lmargin at screen 0.09
set rmargin at screen 0.76
set ylabel 'responses/s'
set format x ''
set yrange [0:*]
# one key entry per system (its colour), three for the line styles
plot data index 0 using 1:2 with filledcurves x1 fc rgb '#dedede' fs solid 1.0 noborder title 'offered load', \
     for [i=1:n] data index (i-1) using 1:3 with lines ls i title label[i] noenhanced, \
     for [i=1:n] data index (i-1) using 1:4 with lines ls i dt 2 notitle, \
     NaN with lines lw 2 lc rgb '#444444' title 'throughput', \
     NaN with lines lw 2 dt 2 lc rgb '#444444' title 'goodput'
unset key
set xlabel 'simulated time (s), warm-up included'
set format x '%g'
set ylabel 'p99 of good responses (ms, log)'
set logscale y
set format y '%g'
set yrange [*:*]
plot for [i=1:n] data index (i-1) using 1:($6*1000) with lines ls i notitle, \
     for [k=1:slo_n] (slo_q[k] == 0.99 ? slo_v[k] : 1/0) with lines dt 4 lw 2 lc rgb '#C00000' notitle
unset multiplot
