# run-cdf.gp - the distribution of the latency of good responses, pooled
# over the replications: the share of requests answered within x.

set title sprintf('%s: latency distribution', scenario) noenhanced
set xlabel 'latency (ms, log scale)'
set ylabel 'share of good responses within'
set logscale x
set format x '%g'
set yrange [0:1]
set ytics 0.1
plot for [i=1:n] data index (i-1) using ($2*1000):1 with lines ls i title label[i] noenhanced
