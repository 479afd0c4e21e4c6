/*
 * cmd_run.c - `concsim run` and `concsim check`.
 *
 * run: load the scenario, refuse it if it would need absurd time or
 * memory (budget.h), simulate every (system, replication) on the job pool,
 * print the summary in the chosen format and, with -o, write the result
 * files atomically and all together: a full disk or an interruption
 * (SIGINT, SIGTERM, SIGHUP, SIGQUIT: exit 130) leaves no result and no
 * temporary file, nor the folders it made; a lock on the output folder
 * keeps a second run or sweep out, and an output never replaces the input.
 * check: load, validate and describe, simulate nothing.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "cli/slo.h"
#include "output/csv.h"
#include "output/files.h"
#include "output/json.h"
#include "output/table.h"
#include "output/timeseries.h"
#include "runtime/model.h"
#include "scenario/params.h"
#include "scenario/read_workload.h"
#include "workload/run.h"

/* After each finished simulation (under the runner's lock). */
static void progress(void *arg, size_t done, size_t total)
{
	char counts[64];
	snprintf(counts, sizeof counts, "%zu/%zu simulations", done, total);
	cli_progress_draw(arg, "run", (double)done / (double)total, counts);
}

static int write_summary(FILE *f, int fmt, const struct sim_scenario *sc,
			 const struct sim_summary *sum)
{
	switch (fmt) {
	case SIM_FMT_CSV_LONG:
		return sim_write_csv_long(f, sc, sum, sc->nsystems);
	case SIM_FMT_JSON:
		return sim_write_json(f, sc, sum, sc->nsystems);
	case SIM_FMT_CSV:
		return sim_write_csv(f, sc, sum, sc->nsystems);
	default:
		return sim_write_table(f, sc, sum, sc->nsystems);
	}
}

/* ------------------------------------------------ interruption -- */

/* SIGINT, SIGTERM, SIGHUP, SIGQUIT: while simulating, nothing is on disk
 * but the output folders run made (removed if still empty): leave at once.
 * While writing, finish the current file, then remove every temporary file
 * and leave; once the files are being renamed into place, the run is
 * complete. */
enum { PH_SIMULATING, PH_WRITING, PH_PUBLISHING };
static volatile sig_atomic_t run_phase, run_signal;
static char *made_path; /* the output folder, if run created some of it */
static size_t made_len; /* the shallowest folder run created: its length */

static void on_signal(int sig)
{
	if (run_phase == PH_SIMULATING) {
		if (made_path)
			sim_rmdir_made(made_path, made_len);
		_exit(EXIT_INTERRUPTED);
	}
	run_signal = sig;
}

/* The result files of -o: all of them appear, or none (a full disk, a
 * failed write or an interruption removes every temporary file). */
enum {
	OUT_JSON,
	OUT_CSV,
	OUT_TABLE,
	OUT_YAML,
	OUT_REPS,
	OUT_LONG, /* with --long */
	OUT_TS,	  /* with --timeseries */
	NOUT
};
static const char *const out_name[NOUT] = {
    "results.json",	"results.csv",	    "summary.txt",   "scenario.yaml",
    "replications.csv", "results_long.csv", "timeseries.csv"};

/* Returns 0, EXIT_FAILED or EXIT_INTERRUPTED (messages printed). */
static int write_outputs(const char *dir, const struct sim_scenario *sc,
			 const struct sim_summary *sum, const struct sim_ts *ts,
			 const struct sim_rep_result *reps, bool lng)
{
	struct sim_afile a[NOUT];
	size_t n = NOUT;
	int rc = EXIT_FAILED;

	memset(a, 0, sizeof(a));
	run_phase = PH_WRITING;
	for (size_t i = 0; i < n; i++) {
		if (run_signal)
			goto cleanup;
		if ((i == OUT_TS && !ts) || (i == OUT_LONG && !lng))
			continue;
		if (sim_afile_open(&a[i], dir, out_name[i], stderr) < 0)
			goto cleanup;
		if (i == OUT_TS)
			sim_write_timeseries(a[i].f, sc, ts, sc->nsystems);
		else if (i == OUT_REPS)
			sim_write_replications_csv(a[i].f, sc, sum, reps);
		else if (i == OUT_LONG)
			sim_write_csv_long(a[i].f, sc, sum, sc->nsystems);
		else if (i == OUT_YAML)
			sim_scenario_write_yaml(sc, a[i].f);
		else
			write_summary(a[i].f,
				      i == OUT_JSON  ? SIM_FMT_JSON
				      : i == OUT_CSV ? SIM_FMT_CSV
						     : SIM_FMT_TABLE,
				      sc, sum);
		/* a failed write (full disk, EFBIG) is reported here */
		if (sim_afile_close(&a[i], stderr) < 0)
			goto cleanup;
	}
	run_phase = PH_PUBLISHING;
	if (run_signal)
		goto cleanup;
	if (sim_afile_publish_all(a, n, stderr))
		goto cleanup;
	rc = 0;
cleanup:
	for (size_t i = 0; i < n; i++)
		sim_afile_abort(&a[i]);
	if (rc && run_signal)
		rc = EXIT_INTERRUPTED;
	return rc;
}

/* The run's own options: --slo, --precision, --max-replications. */
struct run_opts {
	struct slo slo;
	const char *slo_text;
	double precision; /* 0: off */
	int max_reps;
	bool lng; /* --long */
};

static int run_options(const struct cli_opts *o, struct run_opts *r)
{
	*r = (struct run_opts){.max_reps = 50};
	bool have_max = false;
	for (size_t i = 0; i < o->nextra; i++) {
		const char *a = o->extra[i], *val = NULL;
		const char *eq = strchr(a, '=');
		size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
		if (!cli_extra_is_option(o, i)) {
			cli_error("unexpected argument '%s'", a);
			return EXIT_USAGE;
		}
		if (!strcmp(a, "--long")) {
			r->lng = true;
			continue;
		}
		if (!(val = cli_extra_value(o, &i)))
			return EXIT_USAGE;
		char msg[512];
		if (!strncmp(a, "--slo", nlen)) {
			r->slo_text = val;
			if (slo_parse(&r->slo, val, msg, sizeof(msg))) {
				cli_error("%s", msg);
				return EXIT_USAGE;
			}
		} else if (!strncmp(a, "--precision", nlen)) {
			if (cli_parse_precision(val, &r->precision))
				return EXIT_USAGE;
		} else {
			if (cli_parse_max_reps(val, &r->max_reps))
				return EXIT_USAGE;
			have_max = true;
		}
	}
	if (have_max && !r->precision) {
		cli_error("--max-replications goes with --precision P%%");
		return EXIT_USAGE;
	}
	return 0;
}

/* The gate: every system against every objective, on the mean over
 * replications of each replication's figure (slo.h). Prints a line per
 * miss on stderr; returns the number of misses. */
static int check_slo(const struct run_opts *r, const struct sim_scenario *sc,
		     const struct sim_rep_result *reps)
{
	int misses = 0;
	size_t nrep = (size_t)sc->replications;
	for (size_t k = 0; k < sc->nsystems; k++)
		for (size_t i = 0; i < r->slo.n; i++) {
			const struct slo_term *t = &r->slo.t[i];
			double sum = 0;
			for (size_t j = 0; j < nrep; j++)
				sum += slo_value(t, &reps[k * nrep + j]);
			double v = sum / (double)nrep;
			if (slo_meets(t, v))
				continue;
			char buf[64];
			slo_format(t, v, buf, sizeof(buf));
			sim_fprintf_safe(
			    stderr,
			    "concsim: slo: '%s' misses %s: %s (mean over "
			    "%zu replication%s)\n",
			    sc->systems[k].name, t->text, buf, nrep,
			    nrep == 1 ? "" : "s");
			misses++;
		}
	return misses;
}

int cmd_run(int argc, char **argv)
{
	struct cli_opts o;
	struct sim_scenario sc = {0};
	struct sim_summary *sum = NULL;
	struct sim_ts *ts = NULL;
	struct sigaction old[CLI_NSIGNALS];
	bool handlers = false;
	int lock = -1;
	int rc = cli_parse(argc, argv,
			   "--set|--seed|--replications|--format|--out|--jobs|"
			   "--quiet|--timeseries|--per-replica|--systems",
			   "--slo|--precision|--max-replications|--long!", &o);
	struct run_opts ro;
	struct sim_rep_result *reps = NULL;
	if (rc || (rc = run_options(&o, &ro)))
		goto cleanup_opts;
	if (ro.precision && o.ts_interval > 0) {
		cli_error("--precision decides the replications as it goes: "
			  "run --timeseries without it");
		rc = EXIT_USAGE;
		goto cleanup_opts;
	}
	if (o.ts_interval > 0 && !o.out) {
		cli_error("--timeseries needs an output folder: -o DIR");
		rc = EXIT_USAGE;
		goto cleanup_opts;
	}
	rc = cli_load(&o, &sc);
	if (rc)
		goto cleanup_opts;
	if (ro.precision) {
		/* the budget is checked for the most replications it may run */
		int r0 = sc.replications;
		sc.replications = ro.max_reps;
		rc = cli_budget(&sc, 0, &o.jobs);
		sc.replications = r0;
		if (rc)
			goto cleanup;
	}
	if ((rc = cli_budget(&sc, o.ts_interval, &o.jobs)))
		goto cleanup;
	/* `run d/scenario.yaml -o d` would replace the input */
	if (o.out && (rc = cli_check_clobber(o.out, out_name, NOUT, o.file,
					     sc.inputs, sc.ninputs)))
		goto cleanup;
	run_phase = PH_SIMULATING;
	run_signal = 0;
	if (o.out && !(made_path = strdup(o.out))) {
		cli_error("out of memory");
		rc = EXIT_FAILED;
		goto cleanup;
	}
	cli_signals_catch(on_signal, 0, old);
	handlers = true;
	if (o.out && sim_mkdir_made(o.out, &made_len, stderr) < 0) {
		rc = EXIT_FAILED;
		goto cleanup;
	}
	/* a second run or sweep into the same folder fails here */
	if (o.out && (lock = sim_dir_lock(o.out, stderr)) < 0) {
		rc = EXIT_FAILED;
		goto cleanup;
	}
	/* a folder we cannot write to is found before, not after, the
	 * simulation (as root, permissions say little: try) */
	struct sim_afile probe;
	sigset_t held;
	cli_signals_hold(&held); /* a signal now would leave the probe */
	int probed =
	    o.out ? sim_afile_open(&probe, o.out, out_name[OUT_JSON], stderr)
		  : 0;
	if (o.out && probed >= 0)
		sim_afile_abort(&probe);
	cli_signals_let_go(&held);
	if (probed < 0) {
		rc = EXIT_FAILED;
		goto cleanup;
	}
	rc = EXIT_FAILED;
	sum = calloc(sc.nsystems, sizeof *sum);
	if (o.ts_interval > 0)
		ts = calloc(sc.nsystems, sizeof *ts);
	if (!sum || (o.ts_interval > 0 && !ts)) {
		cli_error("out of memory");
		goto cleanup;
	}
	const char *why = NULL;
	struct cli_progress bar;
	cli_progress_start(&bar, !o.quiet);
	int err =
	    ro.precision
		? sim_run_to_precision(&sc, o.jobs, ro.precision, ro.max_reps,
				       sum, &reps, NULL, &why)
		: sim_run_scenario_keep(&sc, o.jobs, o.ts_interval, ts, sum,
					bar.show ? progress : NULL, &bar, &reps,
					&why);
	cli_progress_end(&bar);
	if (err < 0) {
		cli_error("simulation failed: %s",
			  why ? why : sim_strerror(err));
		goto cleanup;
	}
	int fmt = cli_format(&o);
	if (fmt == SIM_FMT_CSV && ro.lng)
		fmt = SIM_FMT_CSV_LONG;
	if (write_summary(stdout, fmt, &sc, sum) < 0 || fflush(stdout)) {
		cli_error("cannot write to standard output");
		goto cleanup;
	}
	rc = o.out ? write_outputs(o.out, &sc, sum, ts, reps, ro.lng) : 0;
	if (!rc && ro.precision && sc.replications >= ro.max_reps &&
	    !sim_precise_enough(sum, sc.nsystems, ro.precision))
		fprintf(stderr,
			"concsim: warning: --precision %g%% not reached in "
			"%d replications (--max-replications); the half-widths "
			"are as shown\n",
			100 * ro.precision, sc.replications);
	for (size_t k = 0; !rc && k < sc.nsystems; k++)
		if (sum[k].warmup_long)
			sim_fprintf_safe(
			    stderr,
			    "concsim: warning: warmup: auto cut more than "
			    "half of the pilot run for '%s' in %d of %d "
			    "replications: the transient may outlast "
			    "'duration'; lengthen it\n",
			    sc.systems[k].name, sum[k].warmup_long,
			    sc.replications);
	if (!rc && ro.slo.n && check_slo(&ro, &sc, reps))
		rc = EXIT_FAILED;
cleanup:
	for (size_t i = 0; reps && i < sc.nsystems * (size_t)sc.replications;
	     i++)
		sim_rep_release(&reps[i]);
	free(reps);
	if (rc && made_path && made_len)
		sim_rmdir_made(made_path, made_len); /* only if empty */
	sim_dir_unlock(lock);
	if (handlers)
		cli_signals_restore(old);
	free(made_path);
	made_path = NULL;
	made_len = 0;
	for (size_t i = 0; sum && i < sc.nsystems; i++)
		sim_summary_release(&sum[i]);
	for (size_t i = 0; ts && i < sc.nsystems; i++)
		sim_ts_release(&ts[i]);
	free(sum);
	free(ts);
	sim_scenario_release(&sc);
cleanup_opts:
	cli_opts_release(&o);
	return rc;
}

/* ----------------------------------------------------------- check -- */

static void describe_system(const struct sim_system *s, int depth)
{
	printf("%*s", depth * 2, "");
	sim_fputs_safe(s->name, stdout);
	printf(": model %s, %d core%s, quantum %gs, context switch %gs",
	       s->model->name, s->host.cores, s->host.cores == 1 ? "" : "s",
	       s->host.quantum, s->host.context_switch);
	if (s->host.tick > 0 && s->host.quantum > 0)
		printf(", tick %gs", s->host.tick);
	if (s->host.scheduler == SIM_SCHED_EEVDF)
		printf(", EEVDF");
	if (s->host.memory > 0)
		printf(", memory limit %.0fB", s->host.memory);
	if (s->host.cpu_scale != 1)
		printf(", cpu phases x%g", s->host.cpu_scale);
	printf("\n");
	for (size_t k = 0; k < s->model->nparams; k++) {
		const struct sim_param *p = &s->model->params[k];
		printf("%*s  %-20s ", depth * 2, "", p->key);
		sim_param_describe(stdout, p, s->config);
		printf("\n");
		if (p->type == SIM_PT_SYSTEM) {
			const struct sim_system *sub =
			    *(struct sim_system *const *)((const char *)
							      s->config +
							  p->offset);
			if (sub)
				describe_system(sub, depth + 2);
		}
	}
}

int cmd_check(int argc, char **argv)
{
	struct cli_opts o;
	struct sim_scenario sc = {0};
	int rc = cli_parse(argc, argv, "--set|--seed|--replications", NULL, &o);
	if (rc)
		goto cleanup_opts;
	if (o.nextra) {
		cli_error("unexpected argument '%s'", o.extra[0]);
		rc = EXIT_USAGE;
		goto cleanup_opts;
	}
	rc = cli_load(&o, &sc);
	if (rc)
		goto cleanup_opts;
	if ((rc = cli_budget(&sc, 0, NULL))) {
		sim_scenario_release(&sc);
		goto cleanup_opts;
	}
	const struct sim_workload *wl = &sc.workload;
	/* names and text from the file: no escape sequence reaches the
	 * terminal */
	fputs("scenario ", stdout);
	sim_fputs_safe(sc.name, stdout);
	fputs(": ", stdout);
	sim_fputs_safe(sc.description ? sc.description : "", stdout);
	fputc('\n', stdout);
	if (sc.warmup_auto)
		printf("  %d replication%s of %gs after a warm-up chosen from "
		       "a pilot run (warmup: auto, MSER-5), seed %llu\n",
		       sc.replications, sc.replications == 1 ? "" : "s",
		       sc.duration, (unsigned long long)sc.seed);
	else
		printf("  %d replication%s of %gs after %gs of warm-up, seed "
		       "%llu\n",
		       sc.replications, sc.replications == 1 ? "" : "s",
		       sc.duration, sc.warmup, (unsigned long long)sc.seed);
	double sumw = 0, cpu = 0;
	for (size_t c = 0; c < wl->nclasses; c++)
		sumw += wl->classes[c].weight;
	if (wl->closed.users)
		printf("workload: closed loop, %u users, think %s mean %gs\n",
		       wl->closed.users, sim_dist_names[wl->closed.think.kind],
		       wl->closed.think.mean);
	else
		printf("workload: open, %g requests/s to start with%s\n",
		       wl->arrivals.rate,
		       wl->arrivals.nschedule ? " (then a schedule)" : "");
	for (size_t c = 0; c < wl->nclasses; c++) {
		const struct sim_class *k = &wl->classes[c];
		double kcpu = 0;
		fputs("  class ", stdout);
		sim_fputs_safe(k->name, stdout);
		printf(" (%.0f%%%s):", 100 * k->weight / sumw,
		       k->sync ? ", sync handler" : "");
		for (size_t i = 0; i < k->nphases; i++) {
			const struct sim_phase *ph = &k->phases[i];
			if (ph->ncalls) { /* call(db) or parallel(a,b) */
				printf(" %s(", sim_phase_names[ph->kind]);
				for (size_t j = 0; j < ph->ncalls; j++)
					printf("%s%s", j ? "," : "",
					       ph->calls[j].service);
				printf(")");
				continue;
			}
			printf(" %s %s(%gs)", sim_phase_names[ph->kind],
			       sim_dist_names[ph->dist.kind], ph->dist.mean);
			if (ph->kind == SIM_PHASE_CPU ||
			    (ph->kind == SIM_PHASE_POOL && ph->on_cpu))
				kcpu += ph->dist.mean;
		}
		printf("\n");
		cpu += k->weight / sumw * kcpu;
	}
	if (!wl->closed.users)
		printf("  mean CPU per request %gs: %g cores busy at the "
		       "starting rate (before overheads)\n",
		       cpu, cpu * wl->arrivals.rate);
	if (wl->connections.geometric || wl->connections.reuse != 1 ||
	    wl->connections.tls)
		printf("  connections: %s%g requests each%s\n",
		       wl->connections.geometric ? "a geometric mean of " : "",
		       wl->connections.reuse,
		       wl->connections.tls ? ", TLS" : "");
	if (wl->sessions.count) {
		const struct sim_sessions *ss = &wl->sessions;
		printf("  sessions: %u open over %gs, %s; %g messages/s each "
		       "(%g/s in all)",
		       ss->count, ss->ramp,
		       ss->lifetime.kind == SIM_DIST_NKINDS
			   ? "for the whole run"
			   : "then replaced",
		       ss->rate, ss->rate * ss->count);
		if (ss->fanout_all)
			printf(", each broadcast to every open session");
		else if (ss->fanout)
			printf(", each broadcast to %u", ss->fanout);
		printf("\n");
	}
	if (wl->client.timeout > 0)
		printf("  client timeout %gs, up to %d retr%s\n",
		       wl->client.timeout, wl->client.retries,
		       wl->client.retries == 1 ? "y" : "ies");
	if (wl->client.rtt > 0)
		printf("  network round trip %gs: +%gs to a request on a new "
		       "connection, +%gs on a kept-alive one\n",
		       wl->client.rtt,
		       (wl->connections.tls ? 3 : 2) * wl->client.rtt,
		       wl->client.rtt);
	if (sc.nservices)
		printf("services (each system has its own instance of each; "
		       "its replicas share it):\n");
	for (size_t i = 0; i < sc.nservices; i++)
		describe_system(&sc.services[i].sys, 1);
	printf("systems:\n");
	for (size_t i = 0; i < sc.nsystems; i++)
		describe_system(&sc.systems[i], 1);
	fputs("ok: ", stdout);
	sim_fputs_safe(o.file, stdout);
	fputs(" is valid\n", stdout);
	sim_scenario_release(&sc);
	rc = cli_flushed(rc);
cleanup_opts:
	cli_opts_release(&o);
	return rc;
}
