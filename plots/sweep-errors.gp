# sweep-errors.gp - the share of the requests offered that got no good
# response (refused, timed out, killed or unavailable on every attempt,
# or answered too late), against the offered load.

set title sprintf('%s: error rate vs offered load', scenario) noenhanced
set xlabel xlabel noenhanced
set ylabel 'requests without a good response (% of offered)'
set xrange [0:*]
# at least 0..1 %, so that a sweep without errors draws a flat line
stats data using 7 nooutput
set yrange [0:(STATS_max > 1 ? STATS_max * 1.05 : 1)]
plot for [i=1:n] data index (i-1) using 1:7 with linespoints ls i title label[i] noenhanced
