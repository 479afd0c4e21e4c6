/*
 * test_cpu_scale.c - the system key `cpu_scale`: it multiplies the cpu
 * phases of the workload on its system, on the same draws (common random
 * numbers), so a system with cpu_scale 2 is the same system with every cpu
 * mean doubled, to the last bit: the scales here are powers of two and
 * the cpu draws exponential or constant, which scale exactly. (A factor
 * such as 3, or a lognormal's mean, which goes through a logarithm,
 * agrees only to its last bits, and a last-bit difference in when a burst
 * ends can turn an ordering the other way: 2e-6 in the mean latency with
 * the event loop's turns of 2026-12-06, when this test's workload had a
 * lognormal cpu phase and its replicas 1.5 x 2.) Pool phases and the
 * models' overheads are not scaled; in `replicas` the outer and the
 * replica's scales multiply; with overheads zero an event loop is M/M/1
 * at the scaled demand.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "testlib.h"

#define SAME(a, b, what)                                                       \
	cr_expect(fabs((a) - (b)) <= 1e-9 * fabs(b), "%s: %.12g vs %.12g",     \
		  what, (a), (b))

static const char *workload =
    "seed: 3\n"
    "duration: 20s\n"
    "warmup: 1s\n"
    "replications: 3\n"
    "workload:\n"
    "  arrivals: { process: poisson, rate: 300/s }\n"
    "  classes:\n"
    "    - name: a\n"
    "      weight: 3\n"
    "      phases:\n"
    "        - cpu: { dist: exponential, mean: %s }\n"
    "        - io: { dist: lognormal, mean: 5ms, cv: 1 }\n"
    "        - cpu: %s\n"
    "    - name: b\n"
    "      phases:\n"
    "        - cpu: { dist: exponential, mean: %s }\n"
    "        - pool: 1ms\n"
    "systems:\n";

/* Runs the workload with these cpu means and one system; *out. */
static void run_with(const char *m1, const char *m2, const char *m3,
		     const char *system, struct sim_summary *out)
{
	char yaml[4096];
	int n = snprintf(yaml, sizeof(yaml), workload, m1, m2, m3);
	snprintf(yaml + n, sizeof(yaml) - (size_t)n, "%s", system);
	tl_run(yaml, out, 1);
}

static void expect_same(const struct sim_summary *a,
			const struct sim_summary *b)
{
	SAME(a->lat_mean.mean, b->lat_mean.mean, "mean latency");
	SAME(a->p99.mean, b->p99.mean, "p99");
	SAME(a->throughput_rps.mean, b->throughput_rps.mean, "throughput");
	SAME(sim_metrics_get(&a->metrics, "utilization", "cpu", NAN),
	     sim_metrics_get(&b->metrics, "utilization", "cpu", NAN), "cpu");
}

Test(cpu_scale, doubles_every_cpu_phase_on_the_same_draws)
{
	struct sim_summary a, b;
	run_with("1ms", "200us", "2ms",
		 "  - { name: n, model: event-loop, cores: 2, processes: 2, "
		 "cpu_scale: 2 }\n",
		 &a);
	run_with("2ms", "400us", "4ms",
		 "  - { name: n, model: event-loop, cores: 2, processes: 2 }\n",
		 &b);
	expect_same(&a, &b);
	/* and it did something */
	struct sim_summary c;
	run_with("1ms", "200us", "2ms",
		 "  - { name: n, model: event-loop, cores: 2, processes: 2 }\n",
		 &c);
	cr_expect(c.lat_mean.mean < 0.9 * a.lat_mean.mean);
	sim_summary_release(&a);
	sim_summary_release(&b);
	sim_summary_release(&c);
}

Test(cpu_scale, applies_to_every_model)
{
	static const char *const sys[] = {
	    "model: worker-pool, cores: 2, workers: 4, threads: 2",
	    "model: async, cores: 2, workers: 2",
	};
	for (size_t i = 0; i < 2; i++) {
		char s1[512], s2[512];
		struct sim_summary a, b;
		snprintf(s1, sizeof(s1),
			 "  - { name: n, %s, cpu_scale: 0.5 }\n", sys[i]);
		snprintf(s2, sizeof(s2), "  - { name: n, %s }\n", sys[i]);
		run_with("1ms", "200us", "2ms", s1, &a);
		run_with("0.5ms", "100us", "1ms", s2, &b);
		expect_same(&a, &b);
		sim_summary_release(&a);
		sim_summary_release(&b);
	}
}

/* In `replicas`, the outer system's scale and the replica's multiply. */
Test(cpu_scale, replicas_multiply_the_outer_and_the_replica_scale)
{
	struct sim_summary a, b;
	run_with("1ms", "200us", "2ms",
		 "  - name: r\n"
		 "    model: replicas\n"
		 "    replicas: 3\n"
		 "    cpu_scale: 0.5\n"
		 "    replica: { model: event-loop, cpu_scale: 4 }\n",
		 &a);
	run_with("2ms", "400us", "4ms",
		 "  - name: r\n"
		 "    model: replicas\n"
		 "    replicas: 3\n"
		 "    replica: { model: event-loop }\n",
		 &b);
	expect_same(&a, &b);
	sim_summary_release(&a);
	sim_summary_release(&b);
}

/* M/M/1 at the scaled demand: 1ms x 2 at 250/s is rho 0.5, R = 4ms. */
Test(cpu_scale, event_loop_is_mm1_at_the_scaled_demand)
{
	struct sim_summary s;
	tl_run("seed: 9\n"
	       "duration: 200s\n"
	       "warmup: 5s\n"
	       "replications: 10\n"
	       "workload:\n"
	       "  arrivals: { process: poisson, rate: 250/s }\n"
	       "  classes: [ { name: a, phases: [ { cpu: { dist: exponential, "
	       "mean: 1ms } } ] } ]\n"
	       "systems:\n"
	       "  - { name: n, model: event-loop, overheads: zero, cpu_scale: "
	       "2 }\n",
	       &s, 1);
	tl_expect_within("mean latency", s.lat_mean, 10, 2e-3 / (1 - 0.5));
	sim_summary_release(&s);
}

Test(cpu_scale, must_be_positive_and_is_written_only_when_set)
{
	char *msg = tl_rejected("workload:\n"
				"  arrivals: { process: poisson, rate: 1/s }\n"
				"  classes: [ { name: a, phases: [ {cpu: 1ms} "
				"] } ]\n"
				"systems:\n"
				"  - { name: n, model: event-loop, cpu_scale: "
				"0 }\n");
	cr_expect(strstr(msg, "test.yaml:5:46: error: 'cpu_scale': must be "
			      "greater than 0, got '0'"),
		  "%s", msg);
	free(msg);
	struct sim_scenario sc;
	char *out = NULL;
	size_t len = 0;
	tl_load("workload:\n"
		"  arrivals: { process: poisson, rate: 1/s }\n"
		"  classes: [ { name: a, phases: [ {cpu: 1ms} ] } ]\n"
		"systems:\n"
		"  - { name: n, model: event-loop, cpu_scale: 1.3 }\n"
		"  - { name: m, model: event-loop }\n",
		&sc);
	cr_expect_eq(sc.systems[0].host.cpu_scale, 1.3);
	cr_expect_eq(sc.systems[1].host.cpu_scale, 1);
	FILE *f = open_memstream(&out, &len);
	sim_scenario_write_yaml(&sc, f);
	fclose(f);
	char *first = strstr(out, "cpu_scale: 1.3");
	cr_expect(first, "%s", out);
	cr_expect(first && !strstr(first + 1, "cpu_scale"), "%s", out);
	free(out);
	sim_scenario_release(&sc);
}
