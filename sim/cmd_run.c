/*
 * cmd_run.c - `concsim run` and `concsim check`.
 *
 * run: load the scenario, simulate every (system, replication) on the job
 * pool, print the summary in the chosen format and, with -o, write the
 * result files atomically. check: load and describe, simulate nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "model.h"
#include "run.h"

static void progress(void *arg, size_t done, size_t total)
{
	fprintf(stderr, "\rsimulating: %zu/%zu runs", done, total);
	if (done == total)
		fputs("\r\033[K", stderr);
	fflush(stderr);
}

static int write_summary(FILE *f, int fmt, const struct sim_scenario *sc,
			 const struct sim_summary *sum)
{
	switch (fmt) {
	case SIM_FMT_JSON:
		return sim_write_json(f, sc, sum, sc->nsystems);
	case SIM_FMT_CSV:
		return sim_write_csv(f, sc, sum, sc->nsystems);
	default:
		return sim_write_table(f, sc, sum, sc->nsystems);
	}
}

/* Writes one result file atomically; returns 0 or -1 (message printed). */
static int write_file(const char *dir, const char *name, int fmt,
		      const struct sim_scenario *sc,
		      const struct sim_summary *sum, const struct sim_ts *ts)
{
	struct sim_afile a;
	if (sim_afile_open(&a, dir, name, stderr) < 0)
		return -1;
	int err;
	if (ts)
		err = sim_write_timeseries(a.f, sc, ts, sc->nsystems);
	else if (fmt < 0)
		err = sim_scenario_write_yaml(sc, a.f);
	else
		err = write_summary(a.f, fmt, sc, sum);
	if (err < 0) {
		fprintf(stderr, "concsim: error: cannot write '%s/%s'\n", dir,
			name);
		sim_afile_abort(&a);
		return -1;
	}
	return sim_afile_commit(&a, stderr) < 0 ? -1 : 0;
}

int cmd_run(int argc, char **argv)
{
	struct cli_opts o;
	struct sim_scenario sc = {0};
	struct sim_summary *sum = NULL;
	struct sim_ts *ts = NULL;
	int rc = cli_parse(argc, argv,
			   "--set|--seed|--replications|--format|--out|--jobs|"
			   "--quiet|--timeseries",
			   NULL, &o);
	if (rc)
		goto cleanup_opts;
	if (o.nextra) {
		cli_error("unexpected argument '%s'", o.extra[0]);
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
	if (o.out && sim_mkdir_p(o.out, stderr) < 0) {
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
	bool show = !o.quiet && isatty(STDERR_FILENO);
	int err = sim_run_scenario(&sc, o.jobs, o.ts_interval, ts, sum,
				   show ? progress : NULL, NULL, &why);
	if (err < 0) {
		cli_error("simulation failed: %s", why ? why
						       : sim_strerror(err));
		goto cleanup;
	}
	int fmt = o.format >= 0 ? o.format
	    : isatty(STDOUT_FILENO) ? SIM_FMT_TABLE
				    : SIM_FMT_JSON;
	if (write_summary(stdout, fmt, &sc, sum) < 0 || fflush(stdout)) {
		cli_error("cannot write to standard output");
		goto cleanup;
	}
	if (o.out &&
	    (write_file(o.out, "results.json", SIM_FMT_JSON, &sc, sum, NULL) ||
	     write_file(o.out, "results.csv", SIM_FMT_CSV, &sc, sum, NULL) ||
	     write_file(o.out, "summary.txt", SIM_FMT_TABLE, &sc, sum, NULL) ||
	     write_file(o.out, "scenario.yaml", -1, &sc, NULL, NULL) ||
	     (ts && write_file(o.out, "timeseries.csv", 0, &sc, NULL, ts))))
		goto cleanup;
	rc = 0;
cleanup:
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

static void print_value(const struct sim_param *p, const void *cfg)
{
	const char *at = (const char *)cfg + p->offset;
	switch (p->type) {
	case SIM_PT_INT:
		printf("%d", *(const int *)at);
		break;
	case SIM_PT_DOUBLE:
		printf("%g", *(const double *)at);
		break;
	case SIM_PT_DURATION:
		printf("%gs", *(const double *)at);
		break;
	case SIM_PT_RATE:
		printf("%g/s", *(const double *)at);
		break;
	case SIM_PT_SIZE:
		printf("%.0fB", *(const double *)at);
		break;
	case SIM_PT_BOOL:
		printf("%s", *(const bool *)at ? "true" : "false");
		break;
	case SIM_PT_ENUM:
		printf("%s", p->choices[*(const int *)at]);
		break;
	case SIM_PT_STRING:
		printf("%s", *(char *const *)at ? *(char *const *)at : "");
		break;
	case SIM_PT_DIST: {
		const struct sim_dist *d = (const void *)at;
		printf("%s(mean %gs, cv %g)", sim_dist_names[d->kind], d->mean,
		       d->cv);
		break;
	}
	case SIM_PT_SYSTEM: {
		const struct sim_system *s = *(struct sim_system *const *)at;
		printf("%s", s ? s->model->name : "(none)");
		break;
	}
	case SIM_PT_DOUBLES: {
		const struct sim_doubles *v = (const void *)at;
		printf("[");
		for (size_t i = 0; i < v->n; i++)
			printf("%s%g", i ? ", " : "", v->v[i]);
		printf("]");
		break;
	}
	}
}

static void describe_system(const struct sim_system *s, int depth)
{
	printf("%*s%s: model %s, %d core%s, quantum %gs, context switch %gs",
	       depth * 2, "", s->name, s->model->name, s->host.cores,
	       s->host.cores == 1 ? "" : "s", s->host.quantum,
	       s->host.context_switch);
	if (s->host.memory > 0)
		printf(", memory limit %.0fB", s->host.memory);
	printf("\n");
	for (size_t k = 0; k < s->model->nparams; k++) {
		const struct sim_param *p = &s->model->params[k];
		printf("%*s  %-20s ", depth * 2, "", p->key);
		print_value(p, s->config);
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

static const char *const phase_names[] = {"cpu", "io", "pool"};

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
	const struct sim_workload *wl = &sc.workload;
	printf("scenario %s: %s\n", sc.name,
	       sc.description ? sc.description : "");
	printf("  %d replication%s of %gs after %gs of warm-up, seed %llu\n",
	       sc.replications, sc.replications == 1 ? "" : "s", sc.duration,
	       sc.warmup, (unsigned long long)sc.seed);
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
		printf("  class %s (%.0f%%%s):", k->name,
		       100 * k->weight / sumw, k->sync ? ", sync handler" : "");
		for (size_t i = 0; i < k->nphases; i++) {
			const struct sim_phase *ph = &k->phases[i];
			printf(" %s %s(%gs)", phase_names[ph->kind],
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
	if (wl->client.timeout > 0)
		printf("  client timeout %gs, up to %d retr%s\n",
		       wl->client.timeout, wl->client.retries,
		       wl->client.retries == 1 ? "y" : "ies");
	printf("systems:\n");
	for (size_t i = 0; i < sc.nsystems; i++)
		describe_system(&sc.systems[i], 1);
	printf("ok: %s is valid\n", o.file);
	sim_scenario_release(&sc);
cleanup_opts:
	cli_opts_release(&o);
	return rc;
}
