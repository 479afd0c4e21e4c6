/*
 * test_limits.c - scenarios that would need absurd time or memory are
 * refused before anything runs (sim_scenario_budget, limits.h), each with
 * a message that says what is too large; sensible ones pass, and the
 * number of simulations run at once shrinks to fit the memory.
 *
 * The byte costs in limits.c were measured with /usr/bin/time on x86-64:
 * 16.7 M simulated threads (async, 4096 workers x 4096 threadpool) took
 * 2.3 GB, 1 M requests queued in a backlog 265 MB, 1.6 M time-series rows
 * 2.5 GB, and a latency histogram is SIM_HIST_NB counters of 8 bytes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "scenario/scenario.h"
#include "workload/budget.h"

/* A scenario: header lines, then one class and `systems`. */
static char *scenario(const char *top, const char *workload,
		      const char *systems)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	cr_assert(f);
	fprintf(f,
		"%s\nworkload:\n%s\n  classes: [ { name: a, phases: [ {cpu: "
		"1ms} ] } ]\nsystems:\n%s\n",
		top, workload, systems);
	fclose(f);
	return s;
}

/* Loads text (it must load) and returns sim_scenario_budget's result;
 * the message goes to why. */
static int budget(const char *text, double ts, struct sim_budget *b,
		  struct sim_mark *at, char *why, size_t len)
{
	struct sim_scenario sc;
	char *errs = NULL;
	size_t n = 0;
	FILE *err = open_memstream(&errs, &n);
	int rc = sim_scenario_load_string("t.yaml", text, strlen(text), NULL, 0,
					  err, &sc);
	fclose(err);
	cr_assert_eq(rc, 0, "does not load: %s", errs);
	free(errs);
	rc = sim_scenario_budget(&sc, ts, b, at, why, len);
	if (rc && at->file) { /* it points into sc */
		static char file[64];
		snprintf(file, sizeof file, "%s", at->file);
		at->file = file;
	}
	sim_scenario_release(&sc);
	return rc;
}

static const char *one_loop = "  - { name: s, model: event-loop }";

Test(limits, accepts_the_flagship_sizes)
{
	struct sim_budget b;
	struct sim_mark at;
	char why[512];
	char *s = scenario("duration: 60s\nreplications: 5",
			   "  arrivals: { process: poisson, rate: 450/s }",
			   "  - { name: a, model: event-loop, processes: 4 }\n"
			   "  - { name: b, model: worker-pool, workers: 9 }\n"
			   "  - { name: c, model: async, workers: 4 }");
	cr_expect_eq(budget(s, 0.001, &b, &at, why, sizeof why), 0, "%s", why);
	cr_expect(fabs(b.requests - 450 * 65) < 1, "requests %g", b.requests);
	cr_expect(fabs(b.total - 450 * 65 * 5 * 3) < 1);
	cr_expect_eq(b.threads, 4 * (40 + 1), "async: 4 x (40 tokens + 1)");
	cr_expect_eq(b.ts_rows, 65000.0 * 5 * 3);
	free(s);
}

Test(limits, refuses_1e10_requests_over_the_run)
{
	struct sim_budget b;
	struct sim_mark at;
	char why[512];
	char *s = scenario("duration: 100s\nwarmup: 0s\nreplications: 10",
			   "  arrivals: { process: poisson, rate: 10000000/s }",
			   one_loop);
	cr_assert_eq(budget(s, 0, &b, &at, why, sizeof why), SIM_ELIMIT);
	cr_expect_str_eq(why, "too much work: about 1e+10 requests to "
			      "simulate (1e+09 per replication x 10 "
			      "replications x 1 systems); the limit is "
			      "2e+09, about an hour of computing: shorten "
			      "'duration', lower 'replications' or the rate");
	cr_expect_str_eq(at.file, "t.yaml");
	cr_expect_eq(at.line, 5, "at 'arrivals', not %d", at.line);
	free(s);
}

Test(limits, schedule_counts_each_segment_at_its_own_rate)
{
	struct sim_budget b;
	struct sim_mark at;
	char why[512];
	char *s = scenario("duration: 10s\nwarmup: 0s\nreplications: 1",
			   "  arrivals:\n    rate: 100/s\n    schedule:\n"
			   "      - { at: 2s, rate: 1000/s }\n"
			   "      - { at: 3s, rate: 10/s }",
			   one_loop);
	cr_assert_eq(budget(s, 0, &b, &at, why, sizeof why), 0, "%s", why);
	cr_expect(fabs(b.requests - (200 + 1000 + 70)) < 1e-6, "%g",
		  b.requests);
	free(s);
}

Test(limits, refuses_a_closed_loop_that_never_advances_time)
{
	struct sim_budget b;
	struct sim_mark at;
	char why[512];
	const char *s = "workload:\n"
			"  closed: { users: 1 }\n"
			"  classes: [ { name: a, phases: [ {cpu: 0s} ] } ]\n"
			"systems: [ { name: s, model: event-loop } ]\n";
	cr_assert_eq(budget(s, 0, &b, &at, why, sizeof why), SIM_ELIMIT);
	cr_expect(strstr(why, "infinitely many requests at the same instant"),
		  "%s", why);
	cr_expect_eq(at.line, 2);
}

Test(limits, refuses_a_huge_closed_population)
{
	struct sim_budget b;
	struct sim_mark at;
	char why[512];
	const char *s = "duration: 100000s\n"
			"workload:\n"
			"  closed: { users: 10000000, think: 1ms }\n"
			"  classes: [ { name: a, phases: [ {cpu: 0s} ] } ]\n"
			"systems: [ { name: s, model: event-loop } ]\n";
	cr_assert_eq(budget(s, 0, &b, &at, why, sizeof why), SIM_ELIMIT);
	cr_expect(strstr(why, "too much work") &&
		      strstr(why, "lower 'replications' or the number of "
				  "users"),
		  "%s", why);
}

Test(limits, refuses_a_billion_threads_in_nested_replicas)
{
	struct sim_budget b;
	struct sim_mark at;
	char why[512];
	char *s = scenario(
	    "replications: 1", "  arrivals: { rate: 1/s }",
	    "  - { name: big, model: replicas, replicas: 10000,\n"
	    "      replica: { model: replicas, replicas: 10000,\n"
	    "                 replica: { model: event-loop, processes: 10 } "
	    "} }");
	cr_assert_eq(budget(s, 0, &b, &at, why, sizeof why), SIM_ELIMIT);
	cr_expect_str_eq(why, "system 'big' would simulate about 5e+09 "
			      "threads (processes x threads, times "
			      "replicas); the limit is 4194304 per system");
	cr_expect_eq(at.line, 6, "at the system, not %d", at.line);
	free(s);
}

Test(limits, autoscale_max_counts_as_replicas)
{
	struct sim_budget b;
	struct sim_mark at;
	char why[512];
	char *s = scenario(
	    "replications: 1", "  arrivals: { rate: 1/s }",
	    "  - { name: r, model: replicas, replicas: 2, autoscale_max: 8,\n"
	    "      autoscale_target: 10,\n"
	    "      replica: { model: worker-pool, workers: 3 } }");
	cr_assert_eq(budget(s, 0, &b, &at, why, sizeof why), 0, "%s", why);
	cr_expect_eq(b.threads, 8 * 3 * 2, "%g", b.threads);
	free(s);
}

Test(limits, refuses_a_nanosecond_quantum_over_minutes)
{
	struct sim_budget b;
	struct sim_mark at;
	char why[512];
	/* 1 s with quantum 1ns took 56 s (1e9 preemptions): 60 s is an hour */
	char *s = scenario("duration: 60s\nwarmup: 0s\nreplications: 1",
			   "  arrivals: { rate: 500/s }",
			   "  - { name: w, model: worker-pool, cores: 1, "
			   "workers: 4, quantum: 1ns }");
	cr_assert_eq(budget(s, 0, &b, &at, why, sizeof why), SIM_ELIMIT);
	cr_expect_str_eq(why, "too much work: system 'w' may be preempted "
			      "about 6e+10 times (cores / quantum + processes "
			      "/ gil_interval, x (warmup + duration) x 1 "
			      "replications); the limit is 5e+10: make "
			      "'quantum' or 'gil_interval' longer");
	free(s);
	s = scenario("duration: 60s\nwarmup: 0s\nreplications: 1",
		     "  arrivals: { rate: 500/s }",
		     "  - { name: w, model: worker-pool, cores: 1, "
		     "workers: 4, quantum: 0s }");
	cr_expect_eq(budget(s, 0, &b, &at, why, sizeof why), 0,
		     "processor sharing has no slices: %s", why);
	free(s);
	/* 4096 processes handing the GIL over every microsecond */
	s = scenario("duration: 60s\nwarmup: 0s\nreplications: 1",
		     "  arrivals: { rate: 500/s }",
		     "  - { name: a, model: async, workers: 4096, "
		     "gil_interval: 1us }");
	cr_expect_eq(budget(s, 0, &b, &at, why, sizeof why), SIM_ELIMIT);
	cr_expect(strstr(why, "may be preempted about 2.46e+11 times"), "%s",
		  why);
	free(s);
	s = scenario("duration: 60s\nwarmup: 0s\nreplications: 1",
		     "  arrivals: { rate: 500/s }",
		     "  - { name: a, model: async, workers: 4096, "
		     "gil_interval: 1us, gil: false }");
	cr_expect_eq(budget(s, 0, &b, &at, why, sizeof why), 0,
		     "no GIL, no hand-offs: %s", why);
	free(s);
}

Test(limits, refuses_a_timeseries_of_a_row_per_nanosecond)
{
	struct sim_budget b;
	struct sim_mark at;
	char why[512];
	char *s = scenario("duration: 60s\nwarmup: 0s\nreplications: 1",
			   "  arrivals: { rate: 10/s }", one_loop);
	cr_assert_eq(budget(s, 1e-9, &b, &at, why, sizeof why), SIM_ELIMIT);
	cr_expect_str_eq(why, "--timeseries: about 6e+10 rows (6e+10 "
			      "intervals of warmup + duration x 1 "
			      "replications x 1 systems); the limit is "
			      "1e+06: use a longer interval");
	cr_expect_null(at.file, "an option, not a scenario key");
	cr_expect_eq(budget(s, 1e-3, &b, &at, why, sizeof why), 0);
	free(s);
}

Test(limits, refuses_mmpp_switching_every_nanosecond)
{
	struct sim_budget b;
	struct sim_mark at;
	char why[512];
	char *s = scenario("duration: 1000000s\nreplications: 1",
			   "  arrivals: { process: mmpp, rate: 1/m, "
			   "rate_off: 0/s, mean_on: 1ns, mean_off: 1ns }",
			   one_loop);
	cr_assert_eq(budget(s, 0, &b, &at, why, sizeof why), SIM_ELIMIT);
	cr_expect(strstr(why, "on/off switches of the mmpp arrivals"), "%s",
		  why);
	free(s);
}

Test(limits, refuses_histograms_of_10000_replications_of_1000_classes)
{
	struct sim_budget b;
	struct sim_mark at;
	char why[512];
	/* 10000 replications x 1001 histograms of 50 KiB: ~477 GiB */
	size_t cap = 64 * 1000 + 512, n = 0;
	char *s = malloc(cap);
	n += (size_t)snprintf(s + n, cap - n,
			      "duration: 1ms\nwarmup: 0s\nreplications: 10000\n"
			      "workload:\n  arrivals: { rate: 1/s }\n"
			      "  classes:\n");
	for (int i = 0; i < 1000; i++)
		n += (size_t)snprintf(s + n, cap - n,
				      "    - { name: c%d, phases: [ {cpu: "
				      "1ms} ] }\n",
				      i);
	snprintf(s + n, cap - n,
		 "systems: [ { name: s, model: event-loop } ]\n");
	cr_assert_eq(budget(s, 0, &b, &at, why, sizeof why), SIM_ELIMIT);
	cr_expect_str_eq(why, "too much memory: about 477 GiB for results "
			      "(10000 replications x 1 systems x 1001 latency "
			      "histograms of 50 KiB, and 0 time-series rows); "
			      "the limit is 32 GiB: lower 'replications' or "
			      "the number of systems or classes");
	free(s);
}

Test(limits, refuses_a_billion_requests_queued_in_one_simulation)
{
	struct sim_budget b;
	struct sim_mark at;
	char why[512];
	char *s = scenario(
	    "duration: 100s\nwarmup: 0s\nreplications: 1",
	    "  arrivals: { rate: 10000000/s }",
	    "  - { name: r, model: replicas, replicas: 10000,\n"
	    "      replica: { model: event-loop, backlog: 1048576 } }");
	cr_assert_eq(budget(s, 0, &b, &at, why, sizeof why), SIM_ELIMIT);
	cr_expect(strstr(why, "too much memory: one simulation would need "
			      "about 238 GiB (5e+04 threads, 1e+09 requests "
			      "in flight, 0 users)"),
		  "%s", why);
	free(s);
}

Test(limits, jobs_shrink_to_fit_the_memory)
{
	struct sim_budget b = {
	    .limit = 10e9, .kept_bytes = 2e9, .sim_bytes = 3e9};
	cr_expect_eq(sim_budget_jobs(&b, 8), 2, "8 GB left, 3 GB each");
	cr_expect_eq(sim_budget_jobs(&b, 1), 1);
	b.sim_bytes = 1e6;
	cr_expect_eq(sim_budget_jobs(&b, 8), 8);
	b.sim_bytes = 20e9;
	cr_expect_eq(sim_budget_jobs(&b, 8), 1, "never below one");
	cr_expect_gt(sim_physical_memory(), 0);
}
