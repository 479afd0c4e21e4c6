/*
 * fit_usage.h - the text of `concsim help fit` (kept beside the command
 * table rather than in it: it is long, and it teaches the method).
 */
#ifndef SIM_FIT_USAGE_H
#define SIM_FIT_USAGE_H

#define FIT_USAGE                                                              \
	"usage: concsim fit SCENARIO MEASURED... [-o FITTED.yaml] [options]\n" \
	"\n"                                                                   \
	"Estimates the values SCENARIO writes as `fit` so that the\n"          \
	"simulated figures match measured ones, and writes FITTED.yaml:\n"     \
	"SCENARIO with the fitted values in place (units, comments and\n"      \
	"layout kept), runnable as it is.\n"                                   \
	"\n"                                                                   \
	"In SCENARIO, any numeric value may be an unknown:\n"                  \
	"  - cpu: { dist: exponential, mean: fit }       # > 0, any size\n"    \
	"  request_overhead: { fit: [10us, 2ms] }        # within bounds\n"    \
	"  workers: { fit: [1, 32] }                     # whole numbers\n"    \
	"  cpu_scale: fit                                # a runtime's "       \
	"speed\n"                                                              \
	"A duration, rate, size or plain number; whole numbers are rounded\n"  \
	"(the fit is then flat between them). `fit` on a key that takes\n"     \
	"text, a choice or a boolean is an error. The workload must be open\n" \
	"arrivals at a steady rate: each point's offered rate replaces it.\n"  \
	"\n"                                                                   \
	"MEASURED is one or more files, each read by its content:\n"           \
	"  CSV        a header row, `offered_rps` and any of "                 \
	"throughput_rps,\n"                                                    \
	"             latency_s_mean, latency_s_p50, latency_s_p90,\n"         \
	"             latency_s_p99 (seconds), utilization_cpu (0-1, of all\n" \
	"             the system's cores), and optionally `system`; one row\n" \
	"             per load level. Other columns are ignored: a sweep's\n"  \
	"             results.csv is valid input (its swept\n"                 \
	"             workload.arrivals.rate, when there, is the rate each\n"  \
	"             point is simulated at). Empty cells: not measured.\n"    \
	"  k6         `k6 run --summary-export FILE` JSON: http_reqs.rate,\n"  \
	"             http_req_duration avg, med, p(90), p(99) (in ms).\n"     \
	"             Offered rate: iterations + dropped_iterations (an\n"     \
	"             arrival-rate executor), unless given as FILE@RATE.\n"    \
	"  wrk, wrk2  the text of `wrk --latency` / `wrk2 --latency`:\n"       \
	"             Requests/sec, the Latency average, the Latency\n"        \
	"             Distribution's 50/90/99 % (wrk2's spectrum mean too).\n" \
	"             wrk is a closed loop: give the offered rate as\n"        \
	"             FILE@RATE (run.txt@800/s), or keep wrk2's command "      \
	"line\n"                                                               \
	"             (with -R) in the file.\n"                                \
	"Without a `system` column the points belong to --system NAME, or\n"   \
	"to the scenario's only system; with one, every row is simulated on\n" \
	"its own system and all rows are fitted together.\n"                   \
	"\n"                                                                   \
	"Method: the objective is the mean squared relative error over "       \
	"every\n"                                                              \
	"measured figure of every point. A point whose throughput is below\n"  \
	"95% of its offered rate is saturated: only its throughput (the\n"     \
	"capacity) and utilization count. The search starts from the\n"        \
	"operational laws (the utilization law D = U/X scales the duration\n"  \
	"unknowns to the measured CPU per request; without utilization, the\n" \
	"latency at the lightest load; Little's law N = X R, a pool size\n"    \
	"from the saturated throughput), then a Nelder-Mead simplex (GSL)\n"   \
	"refines it on common random numbers - every evaluation replays the\n" \
	"same requests, so the objective is smooth - in log or logistic\n"     \
	"coordinates that keep every candidate within its bounds, on the\n"    \
	"mean figures of every replication: the estimate is where it\n"        \
	"ends. Then it is refitted once per replication, each refit\n"         \
	"starting a step off the estimate (up or down one unknown in\n"        \
	"turn); the 95% half-width combines their spread (simulation\n"        \
	"noise, and how loosely the points pin each value) with the\n"         \
	"residuals' (noise in the measurements, misfit: sigma^2 (J'J)^-1\n"    \
	"from the Jacobian at the estimate).\n"                                \
	"\n"                                                                   \
	"Caveats: the simulation runs for the scenario's duration at every\n"  \
	"point (shorten it with --set duration=10s for speed; the noise\n"     \
	"grows). Unknowns that act alike (a cpu phase's mean and\n"            \
	"request_overhead, both CPU of the same request) are pinned as a\n"    \
	"sum, not apart: the objective is nearly flat along their trade,\n"    \
	"and where a search stops on it depends on where it started; the\n"    \
	"refits' steps off the estimate show it as a wide interval (10\n"      \
	"measurements of a scenario with 2 ms and 100 us: fitted 1.90-1.99\n"  \
	"ms and 127-209 us +- 65-140 us, their sum within 1%, the truth\n"     \
	"inside both intervals 9 times). Fix one of them (measured, or its\n"  \
	"default) and fit the other. An interval reported as\n"                \
	"'undetermined' means the points do not determine that value.\n"       \
	"\n"                                                                   \
	"options:\n"                                                           \
	"  -o, --out FILE       write the fitted scenario there "              \
	"(atomically;\n"                                                       \
	"                       never over SCENARIO or a measured file)\n"     \
	"  --system NAME        the system the points without a `system`\n"    \
	"                       column were measured on\n"                     \
	"  --replications N     refits (default: the scenario's)\n"            \
	"  --seed N             master seed\n"                                 \
	"  --set PATH=VALUE     override a scenario key (repeatable)\n"        \
	"  --max-iter N         simplex iterations per search and per refit\n" \
	"                       (default 400; one converges below a simplex\n" \
	"                       of 0.003 in log units, or of 0.01 after 200\n" \
	"                       iterations without a better value)\n"          \
	"  --format FMT         table or json (default: table on a "           \
	"terminal,\n"                                                          \
	"                       json otherwise)\n"                             \
	"  -j, --jobs N         simulations in parallel (default: cores);\n"   \
	"                       never changes the result\n"                    \
	"  -q, --quiet          no progress on stderr\n"                       \
	"\n"                                                                   \
	"exit status: 0 fitted, 1 the fit did not converge (the best point\n"  \
	"is shown, nothing written) or a simulation failed, 2 bad usage,\n"    \
	"scenario or measured file (nothing written)\n"                        \
	"\n"                                                                   \
	"example:\n"                                                           \
	"  concsim sweep known.yaml -o sw --param "                            \
	"workload.arrivals.rate=100/s:450/s:50/s\n"                            \
	"  concsim fit unknown.yaml sw/results.csv -o fitted.yaml\n"

#endif
