# sweep-goodput.gp - good responses per second (answered OK, within the
# deadline, to a client still waiting) against the offered load, with the
# 95 % interval shaded; one panel per value of the other swept parameters.

if (npanel > 1) {
    set multiplot layout prows, pcols title sprintf('%s: goodput vs offered load (shaded: 95 %% interval)', scenario) noenhanced font ',14'
}
set xlabel xlabel noenhanced
set ylabel 'goodput (good responses/s)'
set xrange [0:*]
set yrange [0:*]
if (npanel > 1) {
    # the panels share their y axis, bands included
    stats data using ($4 + ($10 == $10 ? $10 : 0)) nooutput
    set yrange [0:STATS_max * 1.05]
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
        set title sprintf('%s: goodput vs offered load (shaded: 95 %% interval)', scenario) noenhanced
    }
    plot for [i=1:n] data index blk(p,i) using 1:(max0($4-$10)):($4+$10) with filledcurves ls i fs transparent solid 0.15 noborder notitle, \
         for [i=1:n] data index blk(p,i) using 1:4 with linespoints ls i title label[i] noenhanced, \
         (offered_x ? x : 1/0) with lines dt 2 lw 1.5 lc rgb '#888888' title (offered_x ? 'all good' : '')
}
if (npanel > 1) {
    unset multiplot
}
