# run-spectrum.gp - the latency percentile spectrum of good responses only,
# pooled over the replications, as HdrHistogram and wrk2 draw it: x is
# 1/(1-p) on a log axis, so that 90 %, 99 %, 99.9 % and 99.99 % are equally
# far apart and the tail gets the room it deserves. The maximum (p = 1)
# would sit at infinity and is left out. Objectives of --slo in red.

set title sprintf('%s: latency by percentile, good responses only', scenario) noenhanced
set xlabel 'percentile (log scale of 1/(1-p))'
set ylabel 'latency of good responses (ms, log scale)'
set logscale xy
set format y '%g'
unset mxtics
set xtics ('0%%' 1, '50%%' 2, '90%%' 10, '99%%' 100, '99.9%%' 1000, '99.99%%' 10000, '99.999%%' 100000)
set xrange [1:*]
# end at the last percentile drawn, not at the next decade
set autoscale xfixmax
plot for [i=1:n] data index (i-1) using ($1 < 1 ? 1 / (1 - $1) : 1/0):($2*1000) with lines ls i title label[i] noenhanced, \
     for [k=1:slo_n] slo_v[k] with lines dt 4 lw 2 lc rgb '#C00000' title slo_l[k] noenhanced
