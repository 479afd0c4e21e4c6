# run-cdf.gp - the distribution of the latency of good responses only
# (failed and timed-out requests are not in it), pooled over the
# replications: the share of good responses answered within x. The
# objectives of --slo are red vertical lines, with a dot at the share a
# percentile objective asks for.

set title sprintf('%s: latency distribution, good responses only', scenario) noenhanced
set xlabel 'latency (ms, log scale)'
set ylabel 'share of good responses within'
set logscale x
set format x '%g'
set yrange [0:1]
set ytics 0.1
do for [k=1:slo_n] {
    set arrow k from slo_v[k], graph 0 to slo_v[k], graph 1 nohead dt 4 lw 2 lc rgb '#C00000' front
    set label k slo_l[k] at slo_v[k], graph 0.03 rotate by 90 offset -1.3, 0 tc rgb '#C00000' noenhanced front
    # a quantile objective is a point: its share at its target
    if (slo_q[k] > 0) {
        set label 100 + k '' at slo_v[k], slo_q[k] point pt 7 ps 1.6 lc rgb '#C00000' front
    }
}
plot for [i=1:n] data index (i-1) using ($2*1000):1 with lines ls i title label[i] noenhanced
