/*
 * test_scenario.c - the scenario loader: units, defaults, overrides, sweeps,
 * suggestions, hostile YAML (alias bombs, deep nesting, binary garbage),
 * the round trip through sim_scenario_write_yaml, and the exact one-line
 * message for each kind of malformed scenario.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "models/registry.h"
#include "runtime/model.h"
#include "scenario/scenario.h"
#include "testlib.h"

/* A valid workload and system list to build scenarios from. */
#define WL                                                                     \
	"workload:\n"                                                          \
	"  arrivals: {rate: 100/s}\n"                                          \
	"  classes:\n"                                                         \
	"    - {name: a, phases: [{cpu: 1ms}]}\n"
#define SYS                                                                    \
	"systems:\n"                                                           \
	"  - {name: s, model: event-loop}\n"

/* Loads `text` as "t.yaml"; the messages go to *errs (caller frees). */
static int load_ov(const char *text, size_t len, const struct sim_override *ov,
		   size_t nov, struct sim_scenario *sc, char **errs)
{
	size_t n;
	FILE *f = open_memstream(errs, &n);
	cr_assert(f);
	int rc = sim_scenario_load_string("t.yaml", text, len, ov, nov, f, sc);
	fclose(f);
	return rc;
}

static int load(const char *text, struct sim_scenario *sc, char **errs)
{
	return load_ov(text, strlen(text), NULL, 0, sc, errs);
}

/* Expects `text` to be refused with exactly the one line `want`. */
static void expect_error_len(const char *text, size_t len, const char *want)
{
	struct sim_scenario sc;
	char *errs;
	int rc = load_ov(text, len, NULL, 0, &sc, &errs);
	cr_expect_eq(rc, SIM_ESCENARIO, "rc %d for:\n%s", rc, text);
	cr_expect_str_eq(errs, want);
	free(errs);
}

static void expect_error(const char *text, const char *want)
{
	expect_error_len(text, strlen(text), want);
}

/* Loads a scenario that must be valid. */
static void load_ok(const char *text, struct sim_scenario *sc)
{
	char *errs;
	int rc = load(text, sc, &errs);
	cr_assert_eq(rc, 0, "rc %d: %s", rc, errs);
	cr_assert_str_empty(errs);
	free(errs);
}

/* ------------------------------------------------------------- units -- */

Test(units, parses_durations_rates_and_sizes)
{
	const char *why;
	double v;
	cr_expect_eq(sim_parse_duration("5ms", &v, &why), 0);
	cr_expect_eq(v, 0.005);
	cr_expect_eq(sim_parse_duration("250ns", &v, &why), 0);
	cr_expect_eq(v, 250e-9);
	cr_expect_eq(sim_parse_duration("2us", &v, &why), 0);
	cr_expect_eq(v, 2e-6);
	cr_expect_eq(sim_parse_duration("2\xc2\xb5s", &v, &why), 0);
	cr_expect_eq(v, 2e-6);
	cr_expect_eq(sim_parse_duration("1.5s", &v, &why), 0);
	cr_expect_eq(v, 1.5);
	cr_expect_eq(sim_parse_duration("2h", &v, &why), 0);
	cr_expect_eq(v, 7200);
	cr_expect_eq(sim_parse_duration("1.5d", &v, &why), 0);
	cr_expect_eq(v, 129600);
	cr_expect_eq(sim_parse_rate("7200/h", &v, &why), 0);
	cr_expect_eq(v, 2);
	cr_expect_eq(sim_parse_duration("2m", &v, &why), 0);
	cr_expect_eq(v, 120);
	cr_expect_eq(sim_parse_rate("800/s", &v, &why), 0);
	cr_expect_eq(v, 800);
	cr_expect_eq(sim_parse_rate("60/m", &v, &why), 0);
	cr_expect_eq(v, 1);
	cr_expect_eq(sim_parse_size("4KiB", &v, &why), 0);
	cr_expect_eq(v, 4096);
	cr_expect_eq(sim_parse_size("2GiB", &v, &why), 0);
	cr_expect_eq(v, 2.0 * 1024 * 1024 * 1024);
	cr_expect_eq(sim_parse_size("3MB", &v, &why), 0);
	cr_expect_eq(v, 3e6);
}

Test(units, rejects_bare_numbers_and_unknown_units)
{
	const char *why = NULL;
	double v;
	cr_expect_eq(sim_parse_duration("2", &v, &why), SIM_EINVAL);
	cr_expect_str_eq(why, "expected a duration with a unit (ns, us, ms, "
			      "s, m, h, d)");
	cr_expect_eq(sim_parse_duration("2 sec", &v, &why), SIM_EINVAL);
	cr_expect_eq(sim_parse_rate("800", &v, &why), SIM_EINVAL);
	cr_expect_str_eq(why, "expected a rate with a unit (/s, /m, /h)");
	cr_expect_eq(sim_parse_size("10", &v, &why), SIM_EINVAL);
	cr_expect_eq(sim_parse_duration("ms", &v, &why), SIM_EINVAL);
	cr_expect_eq(sim_parse_duration("0x10s", &v, &why), SIM_EINVAL);
}

Test(units, rejects_negative_nonfinite_and_overflowing_values)
{
	const char *why = NULL;
	double v;
	cr_expect_eq(sim_parse_duration("-1s", &v, &why), SIM_EINVAL);
	cr_expect_str_eq(why, "expected a duration that is not negative");
	cr_expect_eq(sim_parse_duration("nans", &v, &why), SIM_EINVAL);
	cr_expect_str_eq(why, "expected a finite duration");
	cr_expect_eq(sim_parse_rate("inf/s", &v, &why), SIM_EINVAL);
	cr_expect_str_eq(why, "expected a finite rate");
	cr_expect_eq(sim_parse_duration("1e999s", &v, &why), SIM_EINVAL);
	cr_expect_str_eq(why, "duration out of range");
	cr_expect_eq(sim_parse_size("1e308GiB", &v, &why), SIM_EINVAL);
	cr_expect_str_eq(why, "size out of range");
}

/* ---------------------------------------------------------- defaults -- */

Test(defaults, fills_every_default)
{
	struct sim_scenario sc;
	load_ok(WL SYS, &sc);
	cr_expect_str_eq(sc.name, "t");
	cr_expect_null(sc.description);
	cr_expect_eq(sc.seed, 1);
	cr_expect_eq(sc.duration, 60);
	cr_expect_eq(sc.warmup, 5);
	cr_expect_eq(sc.replications, 5);
	cr_expect_eq(sc.max_phases, 1);
	const struct sim_workload *w = &sc.workload;
	cr_expect_eq(w->arrivals.kind, SIM_ARR_POISSON);
	cr_expect_eq(w->arrivals.rate, 100);
	cr_expect_eq(w->arrivals.nschedule, 0);
	cr_expect_eq(w->closed.users, 0);
	cr_expect_eq(w->client.timeout, 0);
	cr_expect_eq(w->client.retries, 0);
	cr_expect_eq(w->client.backoff, 0.1);
	cr_expect_eq(w->client.multiplier, 2);
	cr_expect_eq(w->client.jitter, SIM_JITTER_FULL);
	cr_expect_eq(w->client.retry_budget, 0);
	cr_expect_not(w->client.cancel);
	cr_expect_eq(w->downstream.connections, 0);
	cr_assert_eq(w->nclasses, 1);
	cr_expect_eq(w->classes[0].weight, 1);
	cr_expect_not(w->classes[0].sync);
	cr_assert_eq(w->classes[0].nphases, 1);
	cr_expect_eq(w->classes[0].phases[0].kind, SIM_PHASE_CPU);
	cr_expect_eq(w->classes[0].phases[0].dist.kind, SIM_DIST_CONSTANT);
	cr_expect_eq(w->classes[0].phases[0].dist.mean, 0.001);
	cr_assert_eq(sc.nsystems, 1);
	const struct sim_system *s = &sc.systems[0];
	cr_expect_str_eq(s->name, "s");
	cr_expect_eq(s->model, sim_model_find("event-loop"));
	cr_expect_eq(s->host.cores, 1);
	cr_expect_eq(s->host.quantum, 0.003);
	cr_expect_eq(s->host.context_switch, 2e-6);
	cr_expect_eq(s->host.memory, 0);
	/* the model's own defaults come from its table */
	const struct sim_model_ops *m = s->model;
	for (size_t i = 0; i < m->nparams; i++)
		if (m->params[i].type == SIM_PT_INT)
			cr_expect_eq(*(const int *)((const char *)s->config +
						    m->params[i].offset),
				     (int)m->params[i].def, "%s",
				     m->params[i].key);
	cr_expect_eq(sc.nsweep, 0);
	sim_scenario_release(&sc);
}

Test(defaults, reads_every_section)
{
	struct sim_scenario sc;
	load_ok("name: full\n"
		"description: all keys\n"
		"seed: 18446744073709551615\n"
		"duration: 2m\n"
		"warmup: 0s\n"
		"replications: 3\n"
		"workload:\n"
		"  arrivals:\n"
		"    process: on-off\n"
		"    rate: 60/m\n"
		"    rate_off: 0.5/s\n"
		"    mean_on: 2s\n"
		"    mean_off: 500ms\n"
		"    schedule: [{at: 10s, rate: 2/s}, {at: 20s, rate: 0/s}]\n"
		"  client:\n"
		"    timeout: 2s\n"
		"    retries: {max: 3, backoff: 50ms, multiplier: 1.5,"
		" jitter: equal, budget: 0.1}\n"
		"    cancel: true\n"
		"    deadline: 1s\n"
		"  classes:\n"
		"    - name: r\n"
		"      weight: 0.25\n"
		"      handler: sync\n"
		"      phases:\n"
		"        - cpu: {dist: lognormal, mean: 5ms, cv: 2}\n"
		"        - io: {dist: erlang, mean: 4ms, k: 4}\n"
		"        - pool: {mean: 1ms, cpu: false}\n"
		"  downstream: {connections: 10}\n"
		"systems:\n"
		"  - name: s\n"
		"    model: event-loop\n"
		"    cores: 8\n"
		"    quantum: 0s\n"
		"    context_switch: 5us\n"
		"    memory: 2GiB\n",
		&sc);
	cr_expect_str_eq(sc.name, "full");
	cr_expect_str_eq(sc.description, "all keys");
	cr_expect_eq(sc.seed, UINT64_MAX);
	cr_expect_eq(sc.duration, 120);
	cr_expect_eq(sc.warmup, 0);
	const struct sim_workload *w = &sc.workload;
	cr_expect_eq(w->arrivals.kind, SIM_ARR_MMPP);
	cr_expect_eq(w->arrivals.rate, 1);
	cr_expect_eq(w->arrivals.rate_off, 0.5);
	cr_expect_eq(w->arrivals.mean_on, 2);
	cr_expect_eq(w->arrivals.mean_off, 0.5);
	cr_assert_eq(w->arrivals.nschedule, 2);
	cr_expect_eq(w->arrivals.schedule[1].at, 20);
	cr_expect_eq(w->arrivals.schedule[1].rate, 0);
	cr_expect_eq(w->client.retries, 3);
	cr_expect_eq(w->client.backoff, 0.05);
	cr_expect_eq(w->client.multiplier, 1.5);
	cr_expect_eq(w->client.jitter, SIM_JITTER_EQUAL);
	cr_expect_eq(w->client.retry_budget, 0.1);
	cr_expect(w->client.cancel);
	cr_expect_eq(w->client.deadline, 1);
	const struct sim_class *c = &w->classes[0];
	cr_expect(c->sync);
	cr_expect_eq(c->weight, 0.25);
	cr_assert_eq(c->nphases, 3);
	cr_expect_eq(c->phases[0].dist.kind, SIM_DIST_LOGNORMAL);
	cr_expect_eq(c->phases[0].dist.cv, 2);
	cr_expect_eq(c->phases[1].dist.kind, SIM_DIST_ERLANG);
	cr_expect_float_eq(c->phases[1].dist.cv, 0.5, 1e-12);
	cr_expect_eq(c->phases[2].kind, SIM_PHASE_POOL);
	cr_expect_eq(c->phases[2].dist.kind, SIM_DIST_EXPONENTIAL);
	cr_expect_not(c->phases[2].on_cpu);
	cr_expect(c->phases[0].on_cpu);
	cr_expect_not(c->phases[1].on_cpu);
	cr_expect_eq(w->downstream.connections, 10);
	cr_expect_eq(sc.max_phases, 3);
	cr_expect_eq(sc.systems[0].host.cores, 8);
	cr_expect_eq(sc.systems[0].host.quantum, 0);
	cr_expect_eq(sc.systems[0].host.context_switch, 5e-6);
	cr_expect_eq(sc.systems[0].host.memory, 2.0 * (1 << 30));
	sim_scenario_release(&sc);
}

Test(defaults, reads_closed_loops_and_empirical_samples)
{
	struct sim_scenario sc;
	load_ok("workload:\n"
		"  closed: {users: 200, think: {dist: exponential, mean: 1s}}\n"
		"  classes:\n"
		"    - {name: a, phases: [{cpu: {dist: empirical,"
		" values: [3ms, 1ms, 2ms]}}]}\n" SYS,
		&sc);
	cr_expect_eq(sc.workload.closed.users, 200);
	cr_expect_eq(sc.workload.closed.think.mean, 1);
	const struct sim_dist *d = &sc.workload.classes[0].phases[0].dist;
	cr_expect_eq(d->kind, SIM_DIST_EMPIRICAL);
	cr_assert_eq(d->nsamples, 3);
	cr_expect_float_eq(d->mean, 0.002, 1e-15);
	sim_scenario_release(&sc);
}

Test(defaults, names_the_scenario_after_its_file)
{
	struct sim_scenario sc;
	char *errs;
	const char *text = WL SYS;
	size_t n;
	FILE *f = open_memstream(&errs, &n);
	cr_assert_eq(sim_scenario_load_string("dir/node.vs.py.yaml", text,
					      strlen(text), NULL, 0, f, &sc),
		     0);
	fclose(f);
	cr_expect_str_eq(sc.name, "node.vs.py");
	free(errs);
	sim_scenario_release(&sc);
}

/* -------------------------------------------------------- files -------- */

/* Removes the scratch folder (tl_rmtmp), which must succeed. */
static void rmtmp(void)
{
	cr_expect_eq(tl_rm(tl_tmpdir()), 0);
}

Test(files, resolves_trace_and_sample_files_next_to_the_scenario,
     .init = tl_mktmp, .fini = rmtmp)
{
	char path[256], want[256], *errs;
	size_t n;
	struct sim_scenario sc;
	tl_write("trace.csv", "time_s,class,demand_1_s\n0.1,a,0.002\n");
	tl_write("samples.csv", "seconds\n0.001\n0.003, x\n\n");
	tl_write("s.yaml", "workload:\n"
			   "  arrivals: {process: trace, file: trace.csv}\n"
			   "  classes:\n"
			   "    - {name: a, phases: [{io: {dist: empirical,"
			   " file: samples.csv}}]}\n" SYS);
	snprintf(path, sizeof(path), "%s/s.yaml", tl_tmpdir());
	FILE *f = open_memstream(&errs, &n);
	int rc = sim_scenario_load(path, NULL, 0, f, &sc);
	fclose(f);
	cr_assert_eq(rc, 0, "%s", errs);
	free(errs);
	snprintf(want, sizeof(want), "%s/trace.csv", tl_tmpdir());
	cr_expect_str_eq(sc.workload.arrivals.file, want);
	cr_expect_eq(sc.workload.arrivals.speed, 1);
	const struct sim_dist *d = &sc.workload.classes[0].phases[0].dist;
	cr_expect_eq(d->nsamples, 2);
	cr_expect_float_eq(d->mean, 0.002, 1e-15);
	sim_scenario_release(&sc);
}

Test(files, rejects_a_missing_trace_file, .init = tl_mktmp, .fini = rmtmp)
{
	char path[256], want[512], *errs;
	size_t n;
	struct sim_scenario sc;
	tl_write("s.yaml", "workload:\n"
			   "  arrivals: {process: trace, file: nope.csv}\n"
			   "  classes:\n"
			   "    - {name: a, phases: [{cpu: 1ms}]}\n" SYS);
	snprintf(path, sizeof(path), "%s/s.yaml", tl_tmpdir());
	FILE *f = open_memstream(&errs, &n);
	cr_expect_eq(sim_scenario_load(path, NULL, 0, f, &sc), SIM_ESCENARIO);
	fclose(f);
	snprintf(want, sizeof(want),
		 "%s:2:36: error: 'file': cannot read '%s/nope.csv': No such "
		 "file or directory\n",
		 path, tl_tmpdir());
	cr_expect_str_eq(errs, want);
	free(errs);
}

Test(files, reports_an_unreadable_scenario_as_io_error)
{
	char *errs;
	size_t n;
	struct sim_scenario sc;
	FILE *f = open_memstream(&errs, &n);
	cr_expect_eq(sim_scenario_load("/nonexistent/x.yaml", NULL, 0, f, &sc),
		     SIM_EIO);
	fclose(f);
	cr_expect_str_eq(errs, "concsim: error: cannot read "
			       "'/nonexistent/x.yaml': No such file or "
			       "directory\n");
	free(errs);
}

/* --------------------------------------------------------- overrides -- */

Test(overrides, replace_values_by_dotted_path)
{
	struct sim_override ov[] = {
	    {"workload.arrivals.rate", "800/s"},
	    {"systems.s.cores", "4"},
	    {"systems.0.threadpool", "16"},
	    {"workload.classes.a.weight", "2.5"},
	    {"workload.client.timeout", "2s"}, /* creates client */
	    {"workload.arrivals.schedule", "[{at: 1s, rate: 5/s}]"},
	    {"description", "'quoted, with a comma'"},
	};
	struct sim_scenario sc;
	char *errs;
	const char *text = WL SYS;
	int rc = load_ov(text, strlen(text), ov, 7, &sc, &errs);
	cr_assert_eq(rc, 0, "%s", errs);
	free(errs);
	cr_expect_eq(sc.workload.arrivals.rate, 800);
	cr_expect_eq(sc.systems[0].host.cores, 4);
	cr_expect_eq(sc.workload.classes[0].weight, 2.5);
	cr_expect_eq(sc.workload.client.timeout, 2);
	cr_assert_eq(sc.workload.arrivals.nschedule, 1);
	cr_expect_eq(sc.workload.arrivals.schedule[0].rate, 5);
	cr_expect_str_eq(sc.description, "quoted, with a comma");
	const struct sim_model_ops *m = sc.systems[0].model;
	for (size_t i = 0; i < m->nparams; i++)
		if (!strcmp(m->params[i].key, "threadpool"))
			cr_expect_eq(
			    *(const int *)((const char *)sc.systems[0].config +
					   m->params[i].offset),
			    16);
	sim_scenario_release(&sc);
}

Test(overrides, do_not_leak_through_aliases)
{
	struct sim_scenario sc;
	char *errs;
	const char *text = WL "systems:\n"
			      "  - &a {name: a, model: event-loop, cores: 2}\n"
			      "  - *a\n";
	struct sim_override ov2[] = {{"systems.1.name", "b"},
				     {"systems.b.cores", "3"}};
	int rc = load_ov(text, strlen(text), ov2, 2, &sc, &errs);
	cr_assert_eq(rc, 0, "%s", errs);
	free(errs);
	cr_expect_str_eq(sc.systems[0].name, "a");
	cr_expect_eq(sc.systems[0].host.cores, 2);
	cr_expect_str_eq(sc.systems[1].name, "b");
	cr_expect_eq(sc.systems[1].host.cores, 3);
	sim_scenario_release(&sc);
}

Test(overrides, rejects_a_path_to_a_missing_system)
{
	struct sim_override ov[] = {{"systems.foo.cores", "2"}};
	struct sim_scenario sc;
	char *errs;
	const char *text = WL SYS;
	cr_expect_eq(load_ov(text, strlen(text), ov, 1, &sc, &errs),
		     SIM_ESCENARIO);
	cr_expect_str_eq(errs, "--set systems.foo.cores: error: no system "
			       "named 'foo'\n");
	free(errs);
}

Test(overrides, locate_a_bad_value_within_the_value)
{
	struct sim_override ov[] = {
	    {"workload.arrivals.rate", "800"},
	    {"workload.arrivals.schedule",
	     "[{at: 1s, rate: 5/s}, {at: 2, rate: 1/s}]"}};
	struct sim_scenario sc;
	char *errs;
	const char *text = WL SYS;
	cr_expect_eq(load_ov(text, strlen(text), ov, 2, &sc, &errs),
		     SIM_ESCENARIO);
	cr_expect_str_eq(
	    errs,
	    "--set workload.arrivals.rate:1:1: error: 'rate': expected a rate "
	    "with a unit (/s, /m, /h), got '800'\n"
	    "--set workload.arrivals.schedule:1:28: error: 'at': expected a "
	    "duration with a unit (ns, us, ms, s, m, h, d), got '2'\n");
	free(errs);
}

/* ------------------------------------------------------------ sweeps -- */

Test(sweep, expands_ranges_keeping_the_unit)
{
	struct sim_scenario sc;
	load_ok(WL SYS "sweep:\n"
		       "  workload.arrivals.rate: {from: 100/s, to: 2000/s,"
		       " step: 100/s}\n"
		       "  systems.s.cores: [1, 2, 4]\n"
		       "  workload.classes.a.weight: {from: 0.1, to: 0.3,"
		       " step: 0.1}\n",
		&sc);
	cr_assert_eq(sc.nsweep, 3);
	cr_expect_str_eq(sc.sweep[0].path, "workload.arrivals.rate");
	cr_assert_eq(sc.sweep[0].nvalues, 20);
	cr_expect_str_eq(sc.sweep[0].values[0], "100/s");
	cr_expect_str_eq(sc.sweep[0].values[1], "200/s");
	cr_expect_str_eq(sc.sweep[0].values[19], "2000/s");
	cr_assert_eq(sc.sweep[1].nvalues, 3);
	cr_expect_str_eq(sc.sweep[1].values[2], "4");
	cr_assert_eq(sc.sweep[2].nvalues, 3);
	cr_expect_str_eq(sc.sweep[2].values[2], "0.3");
	cr_expect_eq(sc.sweep[0].mark.line, 8);
	sim_scenario_release(&sc);
}

Test(sweep, checks_the_swept_values_at_load)
{
	expect_error(WL SYS "sweep:\n  workload.arrivals.rate: [100/s, 200]\n",
		     "t.yaml:8:35: error: 'rate': expected a rate with a unit "
		     "(/s, /m, /h), got '200'\n");
	expect_error(WL SYS "sweep:\n  systems.x.cores: [1, 2]\n",
		     "t.yaml:8:3: error: sweep 'systems.x.cores': no system "
		     "named 'x'\n");
	expect_error(WL SYS "sweep:\n  systems.s.cores: {from: 1, to: 1e9,"
			    " step: 1}\n",
		     "t.yaml:8:20: error: sweep 'systems.s.cores': 1000000000 "
		     "points; at most 100000 per parameter\n");
	expect_error(WL SYS "sweep:\n  workload.arrivals.rate: {from: 1/s,"
			    " to: 5/m, step: 1/s}\n",
		     "t.yaml:8:43: error: 'to': expected the unit of 'from' "
		     "('/s'), got '5/m'\n");
}

/* -------------------------------------------------------- round trip -- */

static char *write_yaml(const struct sim_scenario *sc)
{
	char *buf;
	size_t n;
	FILE *f = open_memstream(&buf, &n);
	cr_assert(f);
	cr_assert_eq(sim_scenario_write_yaml(sc, f), 0);
	fclose(f);
	return buf;
}

static void expect_round_trip(const char *text)
{
	struct sim_scenario a, b;
	load_ok(text, &a);
	char *ya = write_yaml(&a);
	load_ok(ya, &b);
	char *yb = write_yaml(&b);
	cr_expect_str_eq(ya, yb);
	cr_expect_str_eq(a.name, b.name);
	cr_expect_eq(a.seed, b.seed);
	cr_expect_eq(a.duration, b.duration);
	cr_expect_eq(a.workload.arrivals.kind, b.workload.arrivals.kind);
	cr_expect_eq(a.workload.arrivals.rate, b.workload.arrivals.rate);
	cr_expect_eq(a.workload.client.backoff, b.workload.client.backoff);
	cr_expect_eq(a.workload.client.rtt, b.workload.client.rtt);
	cr_assert_eq(a.workload.nclasses, b.workload.nclasses);
	for (size_t i = 0; i < a.workload.nclasses; i++) {
		const struct sim_class *x = &a.workload.classes[i],
				       *y = &b.workload.classes[i];
		cr_expect_eq(x->weight, y->weight);
		cr_assert_eq(x->nphases, y->nphases);
		for (size_t j = 0; j < x->nphases; j++) {
			const struct sim_dist *p = &x->phases[j].dist,
					      *q = &y->phases[j].dist;
			cr_expect_eq(p->kind, q->kind);
			cr_expect_eq(p->mean, q->mean);
			cr_expect_eq(p->a, q->a);
			cr_expect_eq(p->b, q->b);
			cr_expect_eq(p->c, q->c);
			cr_expect_eq(x->phases[j].on_cpu, y->phases[j].on_cpu);
		}
	}
	cr_assert_eq(a.nsystems, b.nsystems);
	for (size_t i = 0; i < a.nsystems; i++) {
		cr_expect_eq(memcmp(&a.systems[i].host, &b.systems[i].host,
				    sizeof(a.systems[i].host)),
			     0);
		cr_expect_eq(a.systems[i].model, b.systems[i].model);
	}
	free(ya);
	free(yb);
	sim_scenario_release(&a);
	sim_scenario_release(&b);
}

Test(round_trip, write_yaml_loads_back_to_the_same_scenario)
{
	expect_round_trip(WL SYS);
	expect_round_trip(
	    "name: 'odd \"name\", too'\n"
	    "description: \"tab\\there\\n\"\n"
	    "seed: 7\nduration: 1.25s\nwarmup: 333us\nreplications: 2\n"
	    "workload:\n"
	    "  arrivals: {process: diurnal, rate: 12.5/s, period: 1m,"
	    " amplitude: 0.3, schedule: [{at: 0.1s, rate: 3/m}]}\n"
	    "  client: {timeout: 1s, retries: 2, cancel: true, rtt: 20ms}\n"
	    "  classes:\n"
	    "    - name: x\n"
	    "      weight: 0.1\n"
	    "      phases:\n"
	    "        - cpu: {dist: gamma, mean: 0.3ms, cv: 0.7}\n"
	    "        - io: {dist: hyperexponential, mean: 7ms, cv: 3}\n"
	    "        - pool: {dist: erlang, mean: 1ms, k: 3, cpu: false}\n"
	    "        - cpu: {dist: empirical, values: [1ms, 1.5ms, 0.1s]}\n"
	    "        - io: {dist: weibull, mean: 1ms, cv: 0.5}\n"
	    "        - io: {dist: pareto, mean: 1ms, cv: 2}\n"
	    "        - io: {dist: normal, mean: 1ms, cv: 0.2}\n"
	    "        - io: {dist: uniform, mean: 1ms, cv: 0.5}\n"
	    "    - {name: y, handler: sync, phases: [{io: 0s}]}\n"
	    "  downstream: {connections: 3}\n"
	    "systems:\n"
	    "  - {name: a, model: event-loop, cores: 3, memory: 1.5GiB,"
	    " quantum: 10ms}\n"
	    "  - {name: b, model: event-loop, overheads: zero}\n"
	    "sweep:\n"
	    "  workload.arrivals.rate: [1/s, 2/s]\n");
	expect_round_trip("workload:\n"
			  "  closed: {users: 5, think: 1s}\n"
			  "  classes: [{name: a, phases: [{cpu: 1ms}]}]\n" SYS);
}

/* ---------------------------------------------------------- overheads -- */

Test(overheads, zero_clears_every_overhead_but_explicit_keys)
{
	struct sim_scenario sc;
	load_ok(WL "systems:\n"
		   "  - {name: z, model: event-loop, overheads: zero}\n"
		   "  - {name: k, model: event-loop, overheads: zero,"
		   " context_switch: 1us}\n"
		   "  - {name: d, model: event-loop, overheads: default}\n",
		&sc);
	cr_expect_eq(sc.systems[0].host.context_switch, 0);
	cr_expect_eq(sc.systems[1].host.context_switch, 1e-6);
	cr_expect_eq(sc.systems[2].host.context_switch, 2e-6);
	const struct sim_model_ops *m = sc.systems[0].model;
	size_t n = 0;
	for (size_t i = 0; i < m->nparams; i++) {
		const struct sim_param *p = &m->params[i];
		if (!(p->flags & SIM_P_OVERHEAD) || p->type != SIM_PT_DURATION)
			continue;
		n++;
		cr_expect_eq(
		    *(const double *)((const char *)sc.systems[0].config +
				      p->offset),
		    0, "%s", p->key);
		cr_expect_eq(
		    *(const double *)((const char *)sc.systems[2].config +
				      p->offset),
		    p->def, "%s", p->key);
	}
	cr_expect_gt(n, 0, "event-loop declares its overheads");
	sim_scenario_release(&sc);
}

Test(nested, reads_a_nested_system_with_inherited_overheads)
{
	const struct sim_model_ops *rep = sim_model_find("replicas");
	if (!rep)
		cr_skip_test("no replicas model");
	struct sim_scenario sc;
	load_ok(WL "systems:\n"
		   "  - name: r\n"
		   "    model: replicas\n"
		   "    overheads: zero\n"
		   "    replica: {model: event-loop, cores: 2}\n",
		&sc);
	const struct sim_system *r = NULL;
	for (size_t i = 0; i < rep->nparams; i++)
		if (rep->params[i].type == SIM_PT_SYSTEM)
			r = *(struct sim_system *const
				  *)((const char *)sc.systems[0].config +
				     rep->params[i].offset);
	cr_assert(r);
	cr_expect_str_eq(r->name, "r.replica");
	cr_expect_eq(r->model, sim_model_find("event-loop"));
	cr_expect_eq(r->host.cores, 2);
	cr_expect_eq(r->host.context_switch, 0, "overheads: zero inherited");
	sim_scenario_release(&sc);
	expect_error(WL "systems:\n"
			"  - {name: r, model: replicas, replica: {model: "
			"event-loop, cores: 0}}\n",
		     "t.yaml:6:68: error: 'cores': must be between 1 and "
		     "4096, got '0'\n");
	expect_error(WL "systems:\n"
			"  - {name: r, model: replicas, replica: 5}\n",
		     "t.yaml:6:41: error: 'replica': expected a map, got "
		     "'5'\n");
}

Test(nested, reports_the_model_validate_message_at_the_system)
{
	if (!sim_model_find("replicas"))
		cr_skip_test("no replicas model");
	struct sim_scenario sc;
	char *errs;
	cr_expect_eq(load(WL "systems:\n"
			     "  - {name: r, model: replicas, weights: [1, 2],"
			     " replica: {model: event-loop}}\n",
			  &sc, &errs),
		     SIM_ESCENARIO);
	cr_expect(!strncmp(errs, "t.yaml:6:5: error: system 'r': ", 31), "%s",
		  errs);
	cr_expect_eq(strchr(errs, '\n'), errs + strlen(errs) - 1, "%s", errs);
	free(errs);
}

/* ----------------------------------------------------- hostile input -- */

Test(hostile, bounds_an_alias_bomb, .timeout = 10)
{
	char text[2048] = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
	for (char c = 'b'; c <= 'j'; c++) {
		size_t n = strlen(text);
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%c: &%c [",
				      c, c);
		for (int i = 0; i < 10; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n,
					      "%s*%c", i ? ", " : "", c - 1);
		snprintf(text + n, sizeof(text) - n, "]\n");
	}
	expect_error(text, "t.yaml:6:44: error: document too large: more than "
			   "1000000 values once aliases are expanded\n");
}

Test(hostile, refuses_aliases_that_contain_themselves)
{
	expect_error("a: &a [1, *a]\n",
		     "t.yaml:1:11: error: alias 'a' refers to a value that "
		     "contains it\n");
}

Test(hostile, refuses_deep_nesting)
{
	char text[512] = "a: ";
	for (int i = 0; i < 100; i++)
		strcat(text, "[");
	for (int i = 0; i < 100; i++)
		strcat(text, "]");
	strcat(text, "\n");
	expect_error(text, "t.yaml:1:67: error: nesting deeper than 64 "
			   "levels\n");
}

Test(hostile, refuses_deep_nesting_through_aliases)
{
	char text[4096] = "a: &a ";
	for (int i = 0; i < 40; i++)
		strcat(text, "[");
	for (int i = 0; i < 40; i++)
		strcat(text, "]");
	strcat(text, "\nb: ");
	for (int i = 0; i < 40; i++)
		strcat(text, "[");
	strcat(text, "*a");
	for (int i = 0; i < 40; i++)
		strcat(text, "]");
	strcat(text, "\n");
	expect_error(text, "t.yaml:2:44: error: nesting deeper than 64 "
			   "levels\n");
}

Test(hostile, survives_random_bytes, .timeout = 30)
{
	unsigned seed = 12345;
	char buf[512];
	for (int round = 0; round < 2000; round++) {
		size_t n = (size_t)(rand_r(&seed) % (int)sizeof(buf));
		for (size_t i = 0; i < n; i++) {
			/* mostly YAML punctuation, so that parsing goes
			 * somewhere */
			static const char alphabet[] =
			    "ab:- \n[]{},&*!|>'\"#%@`0123456789.smu/\t";
			int r = rand_r(&seed);
			buf[i] = r % 4 ? alphabet[r % (sizeof(alphabet) - 1)]
				       : (char)(r >> 8);
		}
		struct sim_scenario sc;
		char *errs;
		int rc = load_ov(buf, n, NULL, 0, &sc, &errs);
		cr_expect(rc == SIM_ESCENARIO || rc == 0, "rc %d", rc);
		if (rc == 0)
			sim_scenario_release(&sc);
		else
			cr_expect(strstr(errs, ": error: "), "%s", errs);
		free(errs);
	}
}

Test(hostile, stops_after_twenty_errors)
{
	char text[8192] = WL "systems:\n";
	for (int i = 0; i < 30; i++) {
		size_t n = strlen(text);
		snprintf(text + n, sizeof(text) - n,
			 "  - {name: s%d, model: event-loop, cores: 0}\n", i);
	}
	struct sim_scenario sc;
	char *errs;
	cr_expect_eq(load(text, &sc, &errs), SIM_ESCENARIO);
	size_t lines = 0;
	for (const char *p = errs; (p = strchr(p, '\n')); p++)
		lines++;
	cr_expect_eq(lines, 21, "%s", errs);
	cr_expect(strstr(errs, "error: too many errors; stopping\n"));
	free(errs);
}

/* ------------------------------------------------------- malformed -- */

Test(malformed, rejects_an_empty_file)
{
	expect_error("", "t.yaml:1:1: error: empty scenario; expected a map "
			 "with 'workload' and 'systems'\n");
	expect_error("# only a comment\n",
		     "t.yaml:1:1: error: empty scenario; expected a map with "
		     "'workload' and 'systems'\n");
}

Test(malformed, rejects_a_top_level_list)
{
	expect_error("- a\n- b\n", "t.yaml:1:1: error: expected a map with "
				   "'workload' and 'systems' at the top "
				   "level, got a list\n");
}

Test(malformed, rejects_yaml_syntax_errors)
{
	expect_error(WL SYS "name: [unclosed\n",
		     "t.yaml:8:1: error: invalid YAML: while parsing a flow "
		     "sequence did not find expected ',' or ']'\n");
}

Test(malformed, rejects_tab_indentation)
{
	expect_error("workload:\n\tarrivals: {}\n",
		     "t.yaml:2:1: error: tab character in indentation; indent "
		     "YAML with spaces\n");
}

Test(malformed, rejects_binary_garbage)
{
	const char text[] = "\x7f"
			    "ELF\x02\x01\x01\x00\xff\xfe";
	expect_error_len(text, sizeof(text) - 1,
			 "t.yaml:1:1: error: not UTF-8 text: control "
			 "characters are not allowed (byte 0x7f); a scenario "
			 "is a YAML text file\n");
	expect_error("name: caf\xc3\n",
		     "t.yaml:1:10: error: not UTF-8 text: invalid trailing "
		     "UTF-8 octet (byte 0xc3); a scenario is a YAML text "
		     "file\n");
}

Test(malformed, rejects_several_documents)
{
	expect_error(WL SYS "---\n" WL SYS,
		     "t.yaml:7:1: error: more than one document; a scenario is "
		     "a single YAML document\n");
}

Test(malformed, rejects_duplicate_keys)
{
	expect_error("seed: 1\n" WL SYS "seed: 2\n",
		     "t.yaml:8:1: error: duplicate key 'seed' (first given at "
		     "line 1)\n");
}

Test(malformed, rejects_missing_sections)
{
	expect_error(SYS, "t.yaml:1:1: error: missing key 'workload' at the "
			  "top level\n");
	expect_error(WL, "t.yaml:1:1: error: missing key 'systems' at the top "
			 "level\n");
	expect_error("workload:\n  arrivals: {rate: 1/s}\n" SYS,
		     "t.yaml:2:3: error: missing key 'classes' in "
		     "'workload'\n");
	expect_error(WL "systems: []\n",
		     "t.yaml:5:10: error: 'systems': expected at least one "
		     "system\n");
}

Test(malformed, rejects_wrong_types)
{
	expect_error("workload: 5\n" SYS,
		     "t.yaml:1:11: error: 'workload': expected a map, got "
		     "'5'\n");
	expect_error(WL SYS "duration: [1s]\n",
		     "t.yaml:7:11: error: 'duration': expected a duration "
		     "with a unit (ns, us, ms, s, m, h, d), got a list\n");
	expect_error(WL "systems:\n  - {name: s, model: event-loop, cores: "
			"'4'}\n",
		     "t.yaml:6:41: error: 'cores': expected a whole number, "
		     "got the string '4'\n");
	expect_error(WL "  client: {cancel: yes}\n" SYS,
		     "t.yaml:5:20: error: 'cancel': expected true or false, "
		     "got 'yes'\n");
}

Test(malformed, rejects_bare_number_duration)
{
	expect_error(WL "  client: {timeout: 2}\n" SYS,
		     "t.yaml:5:21: error: 'timeout': expected a duration with "
		     "a unit (ns, us, ms, s, m, h, d), got '2'\n");
}

Test(malformed, rejects_bare_number_rate)
{
	expect_error("workload:\n  arrivals: {rate: 10}\n"
		     "  classes: [{name: a, phases: [{cpu: 1ms}]}]\n" SYS,
		     "t.yaml:2:20: error: 'rate': expected a rate with a unit "
		     "(/s, /m, /h), got '10'\n");
}

Test(malformed, rejects_negative_nan_and_infinite_values)
{
	expect_error(WL SYS "warmup: -1s\n",
		     "t.yaml:7:9: error: 'warmup': expected a duration that "
		     "is not negative, got '-1s'\n");
	expect_error(WL SYS "duration: .nan\n",
		     "t.yaml:7:11: error: 'duration': expected a finite "
		     "duration, got '.nan'\n");
	expect_error(WL SYS "duration: 0s\n",
		     "t.yaml:7:11: error: 'duration': must be greater than "
		     "0s, got '0s'\n");
	expect_error(WL "  client: {retries: {max: 1, multiplier: .inf}}\n" SYS,
		     "t.yaml:5:42: error: 'multiplier': expected a finite "
		     "number, got '.inf'\n");
	expect_error(WL "systems:\n  - {name: s, model: event-loop, cores: "
			"-2}\n",
		     "t.yaml:6:41: error: 'cores': must be between 1 and 4096, "
		     "got '-2'\n");
}

Test(malformed, rejects_numbers_that_are_not_whole_or_too_large)
{
	expect_error(WL "systems:\n  - {name: s, model: event-loop, cores: "
			"4.5}\n",
		     "t.yaml:6:41: error: 'cores': expected a whole number, "
		     "got '4.5'\n");
	expect_error(WL SYS "seed: 99999999999999999999\n",
		     "t.yaml:7:7: error: 'seed': expected a whole number from "
		     "0 to 18446744073709551615, got '99999999999999999999'\n");
	expect_error(WL SYS "replications: 1e999\n",
		     "t.yaml:7:15: error: 'replications': number out of "
		     "range, got '1e999'\n");
}

Test(malformed, rejects_workloads_too_large_to_simulate)
{
	expect_error("workload:\n  arrivals: {rate: 1/s, schedule: [{at: 1s,"
		     " rate: 1e9/s}]}\n"
		     "  classes: [{name: a, phases: [{cpu: 1ms}]}]\n" SYS,
		     "t.yaml:2:13: error: too many requests per replication: "
		     "1e+09/s x 65s (warmup + duration) = 6.5e+10; the limit "
		     "is 2e+09\n");
	expect_error("workload:\n  closed: {users: 20000000, think: 1s}\n"
		     "  classes: [{name: a, phases: [{cpu: 1ms}]}]\n" SYS,
		     "t.yaml:2:19: error: 'users': must be between 1 and "
		     "10000000, got '20000000'\n");
	char text[64 * 1024] = "workload:\n  arrivals: {rate: 1/s}\n"
			       "  classes:\n";
	for (int i = 0; i < 1001; i++) {
		size_t n = strlen(text);
		snprintf(text + n, sizeof(text) - n,
			 "    - {name: c%d, phases: [{cpu: 1ms}]}\n", i);
	}
	strcat(text, SYS);
	expect_error(text, "t.yaml:4:5: error: 'classes': expected 1 to 1000 "
			   "request classes, got 1001\n");
}

Test(malformed, rejects_an_unknown_model)
{
	expect_error(WL "systems:\n  - {name: s, model: event-lop}\n",
		     "t.yaml:6:22: error: unknown model 'event-lop'; did you "
		     "mean 'event-loop'?\n");
	char want[1024] = "t.yaml:6:22: error: unknown model 'tomcat'; known "
			  "models: ";
	for (size_t i = 0; sim_models[i]; i++) {
		strcat(want, i ? ", " : "");
		strcat(want, sim_models[i]->name);
	}
	strcat(want, "\n");
	expect_error(WL "systems:\n  - {name: s, model: tomcat}\n", want);
}

Test(malformed, rejects_duplicate_system_names)
{
	expect_error(WL "systems:\n  - {name: s, model: event-loop}\n"
			"  - {name: s, model: event-loop}\n",
		     "t.yaml:7:12: error: duplicate system name 's' (first at "
		     "line 6)\n");
}

Test(malformed, rejects_unknown_keys_with_a_suggestion)
{
	expect_error(WL "systems:\n  - {name: s, model: event-loop, "
			"proceses: 2}\n",
		     "t.yaml:6:34: error: unknown key 'proceses' in system "
		     "'s'; did you mean 'processes'?\n");
	expect_error(WL SYS "sytems: []\n",
		     "t.yaml:7:1: error: unknown key 'sytems' at the top "
		     "level; did you mean 'systems'?\n");
	expect_error(WL SYS "colour: red\n",
		     "t.yaml:7:1: error: unknown key 'colour' at the top "
		     "level\n");
	expect_error("workload:\n  arrivals: {process: poison, rate: 1/s}\n"
		     "  classes: [{name: a, phases: [{cpu: 1ms}]}]\n" SYS,
		     "t.yaml:2:23: error: 'process': expected one of poisson, "
		     "constant, mmpp, diurnal, trace, got 'poison'; did you "
		     "mean 'poisson'?\n");
}

Test(malformed, rejects_bad_distribution_parameters)
{
	expect_error("workload:\n  arrivals: {rate: 1/s}\n"
		     "  classes: [{name: a, phases: [{io: {dist: lognormal,"
		     " mean: 5ms}}]}]\n" SYS,
		     "t.yaml:3:37: error: missing key 'cv' in distribution "
		     "'io' (lognormal needs it)\n");
	expect_error(
	    "workload:\n  arrivals: {rate: 1/s}\n"
	    "  classes: [{name: a, phases: [{io: {dist: uniform,"
	    " mean: 5ms, cv: 2}}]}]\n" SYS,
	    "t.yaml:3:37: error: 'io': cv of a uniform distribution "
	    "must be at most 0.577 (1/sqrt(3)) to stay non-negative\n");
	expect_error("workload:\n  arrivals: {rate: 1/s}\n"
		     "  classes: [{name: a, phases: [{io: {mean: 5ms,"
		     " cv: 2}}]}]\n" SYS,
		     "t.yaml:3:53: error: 'cv': an exponential distribution "
		     "has cv 1, got '2'\n");
	expect_error("workload:\n  arrivals: {rate: 1/s}\n"
		     "  classes: [{name: a, phases: [{io: {dist: erlang,"
		     " mean: 5ms, cv: 0.5}}]}]\n" SYS,
		     "t.yaml:3:63: error: 'cv' does not apply to an erlang "
		     "distribution (give 'k'; cv is 1/sqrt(k))\n");
	expect_error("workload:\n  arrivals: {rate: 1/s}\n"
		     "  classes: [{name: a, phases: [{cpu: {dist: gama,"
		     " mean: 5ms}}]}]\n" SYS,
		     "t.yaml:3:45: error: 'dist': expected one of constant, "
		     "exponential, uniform, normal, lognormal, gamma, "
		     "weibull, pareto, erlang, hyperexponential, empirical, "
		     "got 'gama'; did you mean 'gamma'?\n");
	expect_error("workload:\n  arrivals: {rate: 1/s}\n"
		     "  classes: [{name: a, phases: [{cpu: {dist: empirical,"
		     " values: []}}]}]\n" SYS,
		     "t.yaml:3:38: error: 'cpu': an empirical distribution "
		     "needs at least one sample\n");
	expect_error("workload:\n  arrivals: {rate: 1/s}\n"
		     "  classes: [{name: a, phases: [{cpu: {mean: 1ms,"
		     " cpu: false}}]}]\n" SYS,
		     "t.yaml:3:50: error: unknown key 'cpu' in distribution "
		     "'cpu'; did you mean 'cv'?\n");
}

Test(malformed, rejects_an_unknown_phase_kind)
{
	expect_error("workload:\n  arrivals: {rate: 1/s}\n"
		     "  classes: [{name: a, phases: [{disk: 1ms}]}]\n" SYS,
		     "t.yaml:3:33: error: unknown phase kind 'disk'; expected "
		     "cpu, io, pool, call or parallel\n");
	expect_error(
	    "workload:\n  arrivals: {rate: 1/s}\n"
	    "  classes: [{name: a, phases: [{cpu: 1ms, io: 1ms}]}]\n" SYS,
	    "t.yaml:3:32: error: a phase is a map with one key (cpu, "
	    "io, pool, call or parallel), got several keys\n");
}

Test(malformed, rejects_keys_of_another_arrival_process)
{
	expect_error("workload:\n  arrivals: {rate: 1/s, period: 1s}\n"
		     "  classes: [{name: a, phases: [{cpu: 1ms}]}]\n" SYS,
		     "t.yaml:2:25: error: 'period' does not apply to process "
		     "'poisson'\n");
	expect_error("workload:\n  arrivals: {process: mmpp, rate: 1/s,"
		     " mean_on: 1s}\n"
		     "  classes: [{name: a, phases: [{cpu: 1ms}]}]\n" SYS,
		     "t.yaml:2:13: error: missing key 'mean_off' in "
		     "'workload.arrivals' (process 'mmpp' needs it)\n");
	expect_error("workload:\n  arrivals: {rate: 1/s}\n"
		     "  closed: {users: 1}\n"
		     "  classes: [{name: a, phases: [{cpu: 1ms}]}]\n" SYS,
		     "t.yaml:3:3: error: 'workload': give either 'arrivals' "
		     "or 'closed', not both\n");
}

Test(malformed, rejects_a_schedule_that_goes_back_in_time)
{
	expect_error("workload:\n  arrivals: {rate: 1/s, schedule: "
		     "[{at: 2s, rate: 1/s}, {at: 1s, rate: 2/s}]}\n"
		     "  classes: [{name: a, phases: [{cpu: 1ms}]}]\n" SYS,
		     "t.yaml:2:62: error: 'at': schedule times must increase, "
		     "got '1s' after '2s'\n");
}

Test(malformed, rejects_a_missing_trace_file_in_a_string)
{
	expect_error("workload:\n  arrivals: {process: trace, file: "
		     "/nonexistent/t.csv}\n"
		     "  classes: [{name: a, phases: [{cpu: 1ms}]}]\n" SYS,
		     "t.yaml:2:36: error: 'file': cannot read "
		     "'/nonexistent/t.csv': No such file or directory\n");
}
