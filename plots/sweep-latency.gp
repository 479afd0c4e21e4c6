# sweep-latency.gp - median (dashed, open markers) and 99th percentile
# (solid) latency of good responses against the offered load, on a log
# axis so that both the flat part and the knee of each curve show.

set title sprintf('%s: latency vs offered load', scenario) noenhanced
set xlabel xlabel noenhanced
set ylabel 'latency (ms, log scale)'
set logscale y
set format y '%g'
set xrange [0:*]
# one key entry per system (its colour), two for the line styles
plot for [i=1:n] data index (i-1) using 1:($6*1000) with linespoints ls i title label[i] noenhanced, \
     for [i=1:n] data index (i-1) using 1:($5*1000) with linespoints ls i dt 2 pt 6 notitle, \
     NaN with lines lw 2 lc rgb '#444444' title 'p99', \
     NaN with lines lw 2 dt 2 lc rgb '#444444' title 'p50'
