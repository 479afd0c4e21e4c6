# sweep-goodput.gp - good responses per second (answered OK, within the
# deadline, to a client still waiting) against the offered load.

set title sprintf('%s: goodput vs offered load', scenario) noenhanced
set xlabel xlabel noenhanced
set ylabel 'goodput (good responses/s)'
set xrange [0:*]
set yrange [0:*]
plot for [i=1:n] data index (i-1) using 1:4 with linespoints ls i title label[i] noenhanced, \
     (offered_x ? x : 1/0) with lines dt 2 lw 1.5 lc rgb '#888888' title (offered_x ? 'all good' : '')
