/*
 * main.c - the `concsim` command: the command table (help.c makes the help,
 * the man page and the completion from it), and dispatch.
 *
 * See cli.h for how to add a command.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "concsim_git.h" /* generated: CONCSIM_GIT_DESCRIBE */
#include "runtime/model.h"

#include "cli/fit_usage.h"

#define COMMON_OPTS                                                            \
	"  --set PATH=VALUE     override a scenario key by its dotted path\n"  \
	"                       (repeatable): --set "                          \
	"workload.arrivals.rate=800/s\n"                                       \
	"                       --set systems.node.threadpool=16\n"            \
	"  --seed N             master seed (replaces the scenario's "         \
	"`seed`)\n"                                                            \
	"  --replications N     independent replications (CIs need >= 2)\n"    \
	"  --systems A,B        only these systems (by name)\n"                \
	"  --set 'systems.*.KEY=V'  KEY on every system that has it\n"

const struct cli_command cli_commands[] = {
    {"run", cmd_run, "run every system of a scenario on the same requests",
     "usage: concsim run FILE [options]\n"
     "\n"
     "Runs every system of the scenario on the very same request stream\n"
     "(same arrival times, classes and demands) for `replications`\n"
     "independent replications, and prints one summary row per system:\n"
     "offered load, throughput, goodput, errors, latency percentiles with\n"
     "95% confidence half-widths, CPU utilisation and memory.\n"
     "\n"
     "options:\n" COMMON_OPTS
     "  --format FMT         table, json or csv (default: table on a\n"
     "                       terminal, json otherwise)\n"
     "  -o, --out DIR        also write DIR/results.json, DIR/results.csv,\n"
     "                       DIR/summary.txt, DIR/scenario.yaml and\n"
     "                       DIR/replications.csv (each replication's own\n"
     "                       counts, rates and latencies)\n"
     "  --long               CSV in long form, one figure per row\n"
     "                       (scenario,system,model,figure,value): stdout\n"
     "                       with --format csv, DIR/results_long.csv with -o\n"
     "  --slo OBJECTIVES     a gate: exit 1 when any system misses one,\n"
     "                       naming it on stderr. 'p99<100ms,errors<1%'\n"
     "                       FIGURE OP VALUE joined by ',': FIGURE mean,\n"
     "                       pN (p50, p95, p99.9; p999 = p99.9), errors\n"
     "                       (share of attempts failed) or goodput (share\n"
     "                       of requests answered well); OP < or <= (> and\n"
     "                       >= for goodput); a duration or a share (1%).\n"
     "                       A request without a good response counts as\n"
     "                       slower than any latency target. The figure is\n"
     "                       the mean over replications (a point estimate,\n"
     "                       as k6 thresholds are, not a test)\n"
     "  --precision P%       add replications until every system's mean and\n"
     "                       p99 latency, throughput and goodput have a 95%\n"
     "                       half-width within P% of the estimate\n"
     "  --max-replications N  at most N with --precision (default 50); a\n"
     "                       warning says when P% was not reached\n"
     "  --timeseries DT      with -o: DIR/timeseries.csv, one row per\n"
     "                       interval DT (e.g. 1s), system and replication\n"
     "  --per-replica        `replicas` systems: every replica's figures\n"
     "                       (default: their min, median, max and Jain's\n"
     "                       fairness index)\n"
     "  -j, --jobs N         simulations run in parallel (default: cores);\n"
     "                       never changes the results\n"
     "  -q, --quiet          no progress on stderr\n"
     "\n"
     "exit status: 0 ok, 1 the simulation failed or an --slo was missed,\n"
     "2 bad usage or scenario\n"
     "\n"
     "--precision is Law & Kelton's sequential relative-precision\n"
     "procedure (Simulation Modeling and Analysis, 9.4.1): stop at the\n"
     "first n whose half-width is within P/(1+P) of the estimate, which\n"
     "bounds the relative error by P with about 95% probability. Caveats:\n"
     "it starts from the scenario's replications (at least 3) and jumps\n"
     "by the usual estimate n (h / (P|x|))^2 instead of one at a time\n"
     "(each step runs only the replications it adds: the result is the\n"
     "one --replications n gives, for the cost of n; `sweep --precision`\n"
     "applies it to each point); stopping on the data makes the final\n"
     "interval slightly optimistic (coverage about 92-95% on M/M/1 in\n"
     "the tests); p99 across replications needs many more runs than the\n"
     "mean; a figure with no good response is left out; and each\n"
     "replication must be long enough for its own figures to mean\n"
     "something (warm-up, duration).\n"
     "\n"
     "warmup: auto (in the scenario) runs each replication once from\n"
     "empty as a pilot, applies MSER-5 (White 1997: the truncation that\n"
     "minimises the standard error of the mean of what remains, on means\n"
     "of batches of 5 responses), then reruns it with that warm-up and\n"
     "measures `duration` after it: about twice the work.\n"
     "\n"
     "examples:\n"
     "  concsim run scenarios/flagship.yaml --set "
     "workload.arrivals.rate=1200/s\n"
     "  concsim run scenarios/flagship.yaml --slo 'p99<300ms,errors<1%'\n"
     "  concsim run scenarios/cpu-heavy.yaml --precision 5%\n"},
    {"check", cmd_check, "validate a scenario and show what would run",
     "usage: concsim check FILE [--set PATH=VALUE]...\n"
     "\n"
     "Loads and validates the scenario (every error as FILE:LINE:COLUMN),\n"
     "then prints what `run` would simulate, with every default made\n"
     "explicit. Simulates nothing. Exit status 0 valid, 2 invalid.\n"},
    {"trace", cmd_trace, "write the request stream `run` would simulate",
     "usage: concsim trace FILE [-o trace.csv] [options]\n"
     "\n"
     "Writes the synthetic request stream of one replication as CSV: one\n"
     "row per request with its arrival time, its class and the demand of\n"
     "each of its phases, in seconds. Replaying the file with\n"
     "  arrivals: { process: trace, file: trace.csv, speed: 1.0 }\n"
     "reproduces the run exactly; edit it, or bring your own from\n"
     "production logs (same columns).\n"
     "\n"
     "options:\n"
     "  -o, --out FILE       write to FILE (atomically) instead of stdout\n"
     "  --replication K      which replication's stream (default 1)\n"
     "  --set PATH=VALUE     override a scenario key (repeatable)\n"
     "  --seed N             master seed\n"
     "\n"
     "Closed workloads have no fixed stream (arrivals depend on responses).\n"},
    {"sweep", cmd_sweep, "run a scenario over a grid of parameter values",
     "usage: concsim sweep FILE [-o DIR] [--param PATH=VALUES]... [options]\n"
     "\n"
     "Runs the scenario at every point of a grid: the scenario's `sweep:`\n"
     "section, then each --param (which replaces a swept path of the file\n"
     "or adds one); several parameters make a cross product, the first\n"
     "varying slowest. Every point runs every system and replication.\n"
     "Every value is checked before anything runs. Writes one row per\n"
     "point and system, replication-averaged:\n"
     "  DIR/results.csv    the swept values (rates in /s, durations in s,\n"
     "                     sizes in bytes), system, model, then the `run`\n"
     "                     figures flattened with '_' (latency_s_p99)\n"
     "  DIR/results.json   the same rows, with the grid\n"
     "  DIR/scenario.yaml  the resolved scenario and the grid\n"
     "  DIR/results_long.csv  with --long: one figure per row\n"
     "Finished points are appended to results.csv as they come, and the\n"
     "files are written sorted at the end; Ctrl-C (or SIGTERM) stops\n"
     "launching simulations, keeps every finished point and exits 130.\n"
     "\n"
     "options:\n" COMMON_OPTS
     "  --param PATH=V1,V2,...      sweep PATH over these values\n"
     "  --param PATH=FROM:TO:STEP   ... or over a range, in FROM's unit:\n"
     "                       --param "
     "workload.arrivals.rate=100/s:2000/s:100/s\n"
     "  -o, --out DIR        write the result files into DIR: its\n"
     "                       scenario.yaml first (an earlier sweep's\n"
     "                       results there are removed), results.csv as\n"
     "                       points finish, then the final results.csv\n"
     "                       and results.json (and results_long.csv)\n"
     "                       together or not at all\n"
     "  --resume             with -o DIR: keep the points DIR/results.csv\n"
     "                       already has, run the rest (same files as an\n"
     "                       uninterrupted sweep)\n"
     "  --precision P%       per point, add replications until every\n"
     "                       system's mean and p99 latency, throughput and\n"
     "                       goodput have a 95% half-width within P% of\n"
     "                       the estimate (the procedure of `run\n"
     "                       --precision`: see `concsim help run`); each\n"
     "                       row's `replications` says how many its point\n"
     "                       used, and a warning names each point that did\n"
     "                       not get there. Points run in parallel (-j);\n"
     "                       scenario.yaml records P, so --resume and\n"
     "                       merge keep to one precision; Ctrl-C lets the\n"
     "                       points in progress finish their procedure\n"
     "  --max-replications N  at most N per point with --precision\n"
     "                       (default 50)\n"
     "  --long               CSV in long form, one figure per row (the\n"
     "                       swept values, system, model, figure, value):\n"
     "                       stdout with --format csv, and\n"
     "                       DIR/results_long.csv with -o\n"
     "  --shard I/N          run only points I, I+N, I+2N, ... (0-based, in\n"
     "                       grid order), so N machines share a sweep; join\n"
     "                       the folders with `concsim merge`\n"
     "  --format FMT         what stdout gets at the end: table, json or csv\n"
     "                       (default: table on a terminal, json otherwise)\n"
     "  --per-replica        `replicas` systems: every replica's figures\n"
     "                       (default: their min, median, max and Jain's\n"
     "                       fairness index)\n"
     "  -j, --jobs N         simulations in parallel (default: cores);\n"
     "                       never changes the results\n"
     "  -q, --quiet          no progress bar\n"
     "\n"
     "With MPI (built with -DCONCSIM_MPI=ON), `mpirun -np N concsim sweep`\n"
     "deals the points to the ranks; rank 0 writes the same files.\n"
     "\n"
     "exit status: 0 ok, 1 a simulation failed, 2 bad usage or scenario,\n"
     "130 interrupted\n"
     "\n"
     "examples:\n"
     "  concsim sweep scenarios/flagship.yaml -o sweep \\\n"
     "    --param workload.arrivals.rate=100/s:600/s:50/s\n"
     "  concsim sweep scenarios/cpu-heavy.yaml --precision 5% --long \\\n"
     "    --param workload.arrivals.rate=200/s,400/s -o sweep\n"},
    {"merge", cmd_merge, "join the folders of sweep shards into one",
     "usage: concsim merge DIR... -o OUT\n"
     "\n"
     "Joins the folders written by `concsim sweep --shard I/N -o DIR` into\n"
     "OUT/results.csv, OUT/results.json and OUT/scenario.yaml (and\n"
     "OUT/results_long.csv when every folder has one: shards of\n"
     "`sweep --long`), the same bytes as one unsharded sweep. Refuses\n"
     "folders of different sweeps\n"
     "(their scenario.yaml differ), points found in two folders, and\n"
     "points found in none (a shard missing or unfinished). The three\n"
     "files appear together or not at all: a failure leaves OUT as it\n"
     "was.\n"
     "\n"
     "example (a Slurm job array of 4 tasks, then one merge):\n"
     "  concsim sweep s.yaml --shard $SLURM_ARRAY_TASK_ID/4 -o "
     "part$SLURM_ARRAY_TASK_ID\n"
     "  concsim merge part0 part1 part2 part3 -o sweep\n"},
    {"plot", cmd_plot, "draw a sweep's or a run's results with gnuplot",
     "usage: concsim plot DIR [--format png|svg|pdf] [-o OUTDIR]\n"
     "                        [--slo 'p99<100ms'] [--systems a,b]\n"
     "\n"
     "Draws the results in DIR (the -o folder of `sweep` or `run`) with\n"
     "gnuplot, one line per system:\n"
     "  from a sweep   throughput.png, latency.png (p50 and p99 of good\n"
     "                 responses, log axis), goodput.png and errors.png\n"
     "                 against the offered load (or the first swept\n"
     "                 parameter when the rate is not swept), with the\n"
     "                 95% intervals (the ci95 columns) shaded, and all\n"
     "                 four in summary.png; other swept parameters make\n"
     "                 one panel per value (and no summary)\n"
     "  from a run     latency-cdf.png and latency-spectrum.png (latency\n"
     "                 by percentile, x = 1/(1-p) on a log axis: 90%,\n"
     "                 99%, 99.9%, 99.99%), of good responses; with\n"
     "                 --timeseries timeseries.png (throughput and goodput\n"
     "                 over the offered load, p99 over time); and\n"
     "                 latency-SYSTEM.hgrm per system, the distribution in\n"
     "                 HdrHistogram's percentile format (ms) for its tools\n"
     "Next to each figure it leaves its data (.dat) and gnuplot script\n"
     "(.gp), filled in from the templates in plots/: edit and redraw with\n"
     "`gnuplot NAME.gp`. Without gnuplot (or $GNUPLOT) they are still\n"
     "written, and the exit status is 1.\n"
     "\n"
     "options:\n"
     "  --format FMT         png (default), svg or pdf\n"
     "  -o, --out OUTDIR     write there instead of DIR\n"
     "  --slo OBJECTIVE      draw the objective on the latency figures\n"
     "                       (the grammar of `help run`: "
     "'p99<100ms,p50<20ms';\n"
     "                       error and goodput shares are not drawn)\n"
     "  --systems A,B        draw only these systems\n"
     "  -q, --quiet          do not list the figures on stdout\n"},
    {"report", cmd_report, "write one self-contained HTML page of results",
     "usage: concsim report DIR [-o report.html] [--slo 'p99<100ms']\n"
     "\n"
     "Writes one HTML file (default DIR/report.html, atomically) from the\n"
     "folder of `concsim run -o DIR` or `concsim sweep -o DIR`: the\n"
     "comparison table with its 95% intervals, the figures as inline SVG,\n"
     "the paired differences with the first system, the per-class (and\n"
     "per-service) breakdown and the resolved scenario. No script and no\n"
     "external resource: it reads offline and as an e-mail attachment.\n"
     "  from a run     the latency percentile spectrum (x: 1/(1-p), log\n"
     "                 scale) and, with --timeseries, throughput, goodput\n"
     "                 and p99 over time beside the offered load\n"
     "  from a sweep   throughput, latency (p50, p99), goodput and the\n"
     "                 share without a good response against the offered\n"
     "                 load, with 95% bands; one panel per value of the\n"
     "                 other swept parameters\n"
     "Under each figure a line says what it shows and whether it counts\n"
     "good responses only. Needs no other program.\n"
     "\n"
     "options:\n"
     "  -o, --out FILE       write FILE instead of DIR/report.html\n"
     "  --slo OBJECTIVE      draw the objective on the latency figures\n"
     "                       (as for `capacity`: 'p99<100ms,p50<20ms')\n"
     "  -q, --quiet          do not print the file written\n"
     "\n"
     "exit status: 0 ok, 1 cannot write, 2 bad usage or DIR is neither a\n"
     "run's nor a sweep's folder (nothing is written)\n"},
    {"capacity", cmd_capacity,
     "find each system's highest load that meets a latency objective",
     "usage: concsim capacity FILE --slo 'p99<100ms' [options]\n"
     "\n"
     "For every system, the highest value of a parameter (the arrival\n"
     "rate unless --param says otherwise) at which the objective holds:\n"
     "mean or any percentile below a duration, error and goodput shares,\n"
     "several joined by ',' (--slo 'p95<20ms,p99.9<1s,errors<1%'; the\n"
     "grammar of `concsim help run`). A request without a good response\n"
     "counts as slower than any target, and a mean needs every attempt\n"
     "answered: shedding load does not meet an objective.\n"
     "\n"
     "Each of the `replications` searches uses its own random streams,\n"
     "the same at every value it tries; it brackets the crossing point by\n"
     "doubling or halving, then bisects to --tolerance. The searches are\n"
     "independent estimates: the result is their mean with the Student-t\n"
     "95% half-width (ci95). More replications narrow the interval, and\n"
     "so does a longer `duration`.\n"
     "\n"
     "options:\n" COMMON_OPTS
     "  --slo OBJECTIVE      e.g. 'p99<100ms' or 'mean<10ms,p999<1s'\n"
     "  --param PATH         the parameter to raise (default\n"
     "                       workload.arrivals.rate)\n"
     "  --lo X, --hi Y       start from this bracket (the parameter's unit,\n"
     "                       e.g. 100/s; whole numbers without a unit search\n"
     "                       whole values, e.g. --param "
     "systems.node.threadpool)\n"
     "                       default: start at the scenario's rate\n"
     "  --tolerance P        bisect until the bracket is P wide (default "
     "0.2%)\n"
     "  --format FMT         table, json or csv (default: table on a\n"
     "                       terminal, json otherwise)\n"
     "  -j, --jobs N         searches in parallel (default: cores)\n"
     "  -q, --quiet          no progress on stderr\n"
     "\n"
     "  --precision P%       more searches until every system's answer has\n"
     "                       a 95% half-width within P% of it (as `run\n"
     "                       --precision`; up to --max-replications N,\n"
     "                       default 50)\n"
     "  --minimize KEY       sizing instead: per system that has KEY (a\n"
     "                       whole-number key: workers, threads, cores,\n"
     "                       replicas, processes, threadpool), the least\n"
     "                       value meeting the objective at the scenario's\n"
     "                       load; or systems.NAME.KEY for one system. A\n"
     "                       replicas system passes KEY to its replica when\n"
     "                       it has none. The answer is the largest of the\n"
     "                       replications' (each listed, with the values\n"
     "                       it tried); systems without KEY are 'not\n"
     "                       applicable'\n"
     "\n"
     "A search that fails (a simulation error) or leaves the range does\n"
     "not void the others: the result is the mean of those that found the\n"
     "crossing, and the JSON lists every search with its outcome, bracket\n"
     "and each value tried. A schedule step given as `rate:` stays put\n"
     "while the search moves the base rate (a warning): write `scale:`.\n"
     "\n"
     "exit status: 0 ok, 1 a system has no answer (none found in range),\n"
     "2 bad usage or scenario\n"
     "\n"
     "examples:\n"
     "  concsim capacity scenarios/flagship.yaml --slo 'p99<250ms'\n"
     "  concsim capacity scenarios/flagship.yaml --slo 'p99<250ms' "
     "--minimize workers\n"},
    {"schema", cmd_schema, "print the JSON Schema of scenario files",
     "usage: concsim schema [-o FILE]\n"
     "\n"
     "Prints a JSON Schema (draft 2020-12) of scenario files, made from the\n"
     "loader's own tables: every key with its description, type, default\n"
     "and range, durations, rates and sizes as patterns of their units.\n"
     "Editors with the YAML language server (VS Code, vim, Emacs) then\n"
     "complete keys and show their documentation; put the file somewhere\n"
     "and start a scenario with\n"
     "  # yaml-language-server: $schema=/path/to/concsim.schema.json\n"
     "The schema checks the shape of a file; `concsim check` checks the rest\n"
     "(keys that go together, names, files).\n"
     "\n"
     "options:\n"
     "  -o, --out FILE       write FILE (atomically) instead of stdout\n"},
    {"completion", cmd_completion, "print shell completion for bash",
     "usage: concsim completion bash\n"
     "\n"
     "Prints the bash completion script: commands, their options, help\n"
     "topics, --format values, and for --set the scenario's dotted paths\n"
     "(systems.NAME.KEY completes every system key). Installed by `cmake\n"
     "--install` as share/bash-completion/completions/concsim; or\n"
     "  source <(concsim completion bash)\n"},
    {"fit", cmd_fit, "estimate the values a scenario writes as `fit`",
     FIT_USAGE},
    {"help", NULL, "show help for a command or topic",
     "usage: concsim help [COMMAND | scenario | models | services]\n"
     "\n"
     "  concsim help COMMAND    the command's options\n"
     "  concsim help scenario   every key of a scenario file: type, unit,\n"
     "                          default, range\n"
     "  concsim help models     every model and its keys\n"
     "  concsim help services   the service graph: calls, pools, databases\n"
     "The manual page (man concsim) holds all of it.\n"},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
	/* past a file size limit (ulimit -f), let write() fail with EFBIG so
	 * that the error is reported and temporary files removed, rather than
	 * being killed by SIGXFSZ halfway through a result */
	signal(SIGXFSZ, SIG_IGN);
	if (argc < 2) {
		cli_usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h"))
		return cli_flushed(cli_help(NULL));
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("concsim %s (%s)\nbuild: %s\n", CONCSIM_VERSION,
		       CONCSIM_GIT_DESCRIBE, CONCSIM_BUILD_KIND);
		return cli_flushed(0);
	}
	if (!strcmp(cmd, "help") && argc > 2 && !strcmp(argv[2], "--man"))
		return cli_flushed(cli_man(stdout));
	if (!strcmp(cmd, "help"))
		return cli_flushed(cli_help(argc > 2 ? argv[2] : NULL));
	for (const struct cli_command *c = cli_commands; c->name; c++) {
		if (strcmp(c->name, cmd) || !c->fn)
			continue;
		for (int i = 2; i < argc && strcmp(argv[i], "--"); i++)
			if (!strcmp(argv[i], "--help") ||
			    !strcmp(argv[i], "-h"))
				return cli_flushed(cli_help(cmd));
		return c->fn(argc - 1, argv + 1);
	}
	cli_error("unknown command '%s'; see 'concsim help'", cmd);
	return EXIT_USAGE;
}
