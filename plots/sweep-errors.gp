# sweep-errors.gp - the share of the requests offered that got no good
# response (refused, timed out, killed or unavailable on every attempt,
# or answered too late), against the offered load; one panel per value
# of the other swept parameters.

if (npanel > 1) {
    set multiplot layout prows, pcols title sprintf('%s: requests without a good response', scenario) noenhanced font ',14'
}
set xlabel xlabel noenhanced
set ylabel 'requests without a good response (% of offered)'
set xrange [0:*]
# at least 0..1 %, so that a sweep without errors draws a flat line
stats data using 7 nooutput
set yrange [0:(STATS_max > 1 ? STATS_max * 1.05 : 1)]
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
        set title sprintf('%s: error rate vs offered load', scenario) noenhanced
    }
    plot for [i=1:n] data index blk(p,i) using 1:7 with linespoints ls i title label[i] noenhanced
}
if (npanel > 1) {
    unset multiplot
}
