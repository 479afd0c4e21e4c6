# sweep-summary.gp - the four sweep figures on one page: throughput and
# latency of good responses (p99 solid, p50 dashed, log axis) on top,
# goodput and the share of requests without a good response below, one
# colour per system, 95 % intervals shaded. Written for a sweep of one
# panel (with other swept parameters the four figures have the panels).

set multiplot layout 2,2 title sprintf('%s: every system against the offered load (shaded: 95 %% intervals)', scenario) noenhanced font ',14'
set xlabel xlabel noenhanced
set xrange [0:*]
set key inside top left

set title 'throughput'
set ylabel 'responses/s'
set yrange [0:*]
plot for [i=1:n] data index (i-1) using 1:($3-$8):($3+$8) with filledcurves ls i fs transparent solid 0.15 noborder notitle, \
     for [i=1:n] data index (i-1) using 1:3 with linespoints ls i title label[i] noenhanced, \
     (offered_x ? x : 1/0) with lines dt 2 lw 1.5 lc rgb '#888888' title (offered_x ? 'all served' : '')

set title 'latency, good responses only'
set ylabel 'ms (log scale)'
set logscale y
set format y '%g'
set yrange [*:*]
set key inside bottom right opaque
plot for [i=1:n] data index (i-1) using 1:($11*1000):($12*1000) with filledcurves ls i fs transparent solid 0.15 noborder notitle, \
     for [i=1:n] data index (i-1) using 1:($6*1000) with linespoints ls i notitle, \
     for [i=1:n] data index (i-1) using 1:($5*1000) with linespoints ls i dt 2 pt 6 notitle, \
     NaN with lines lw 2 lc rgb '#444444' title 'p99', \
     NaN with lines lw 2 dt 2 lc rgb '#444444' title 'p50', \
     for [k=1:slo_n] slo_v[k] with lines dt 4 lw 2 lc rgb '#C00000' title slo_l[k] noenhanced
unset logscale y

set title 'goodput'
set ylabel 'good responses/s'
set yrange [0:*]
unset key
plot for [i=1:n] data index (i-1) using 1:(max0($4-$10)):($4+$10) with filledcurves ls i fs transparent solid 0.15 noborder notitle, \
     for [i=1:n] data index (i-1) using 1:4 with linespoints ls i notitle, \
     (offered_x ? x : 1/0) with lines dt 2 lw 1.5 lc rgb '#888888' notitle

set title 'requests without a good response'
set ylabel '% of offered'
stats data using 7 nooutput
set yrange [0:(STATS_max > 1 ? STATS_max * 1.05 : 1)]
plot for [i=1:n] data index (i-1) using 1:7 with linespoints ls i notitle
unset multiplot
