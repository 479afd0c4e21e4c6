# sweep-throughput.gp - responses served per second against the load
# offered, one line per system; the dashed diagonal is "serves all".

set title sprintf('%s: throughput vs offered load', scenario) noenhanced
set xlabel xlabel noenhanced
set ylabel 'throughput (responses/s)'
set xrange [0:*]
set yrange [0:*]
plot for [i=1:n] data index (i-1) using 1:3 with linespoints ls i title label[i] noenhanced, \
     (offered_x ? x : 1/0) with lines dt 2 lw 1.5 lc rgb '#888888' title (offered_x ? 'all served' : '')
