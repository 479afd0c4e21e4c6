/*
 * test_validate_event_loop.c - the event-loop model with `overheads: zero`
 * against queueing theory: M/M/1, M/D/1 and M/G/1 (Pollaczek-Khinchine).
 *
 * Tolerances come from the simulation itself: the analytic value must lie
 * inside the 99.9 % Student-t confidence interval of the replication means
 * (half-width = ci95 * t(0.9995) / t(0.975)). With a fixed seed the test is
 * deterministic; it fails if the model is biased by more than its own
 * noise, not by a tuned margin.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "testlib.h"

#define REPS 12

static struct sim_summary run_scenario(const char *yaml)
{
	struct sim_summary s[1];
	tl_run(yaml, s, 1);
	return s[0];
}

static void expect_within(const char *what, struct sim_est e, double theory)
{
	tl_expect_within(what, e, REPS, theory);
}

static char *scenario(const char *cpu)
{
	static char buf[1024];
	snprintf(buf, sizeof buf,
		 "name: validate\n"
		 "seed: 11\n"
		 "duration: 2000s\n"
		 "warmup: 20s\n"
		 "replications: %d\n"
		 "workload:\n"
		 "  arrivals: { process: poisson, rate: 900/s }\n"
		 "  classes:\n"
		 "    - name: only\n"
		 "      phases:\n"
		 "        - cpu: %s\n"
		 "systems:\n"
		 "  - { name: node, model: event-loop, cores: 1, "
		 "overheads: zero }\n",
		 REPS, cpu);
	return buf;
}

Test(validate_event_loop, mm1_mean_and_p99_match_theory, .timeout = 120)
{
	/* lambda 900/s, mu 1000/s, rho 0.9: T = 1/(mu-lambda) = 10 ms,
	 * response time exponential: p99 = ln(100)/(mu-lambda) */
	struct sim_summary s =
	    run_scenario(scenario("{ dist: exponential, mean: 1ms }"));
	expect_within("mean", s.lat_mean, 0.010);
	expect_within("p99", s.p99, log(100.0) / 100.0);
	expect_within("throughput", s.throughput_rps, 900.0);
	sim_summary_release(&s);
}

Test(validate_event_loop, md1_mean_matches_theory, .timeout = 120)
{
	/* M/D/1: T = S + rho S / (2 (1 - rho)) = 1 + 4.5 ms */
	struct sim_summary s =
	    run_scenario(scenario("{ dist: constant, mean: 1ms }"));
	expect_within("mean", s.lat_mean, 0.001 + 0.9 * 0.001 / (2 * 0.1));
	sim_summary_release(&s);
}

Test(validate_event_loop, mg1_mean_matches_pollaczek_khinchine, .timeout = 120)
{
	/* M/G/1 with gamma service, cv 0.5 (E[S^2] = S^2 (1 + cv^2)):
	 * T = S + lambda E[S^2] / (2 (1 - rho)) */
	struct sim_summary s =
	    run_scenario(scenario("{ dist: gamma, mean: 1ms, cv: 0.5 }"));
	double es2 = 1e-6 * (1 + 0.25);
	expect_within("mean", s.lat_mean, 0.001 + 900 * es2 / (2 * 0.1));
	sim_summary_release(&s);
}

Test(validate_event_loop, mg1_rho_half_high_variance, .timeout = 120)
{
	/* hyperexponential service, cv 2, at rho = 0.5 (rate 500/s):
	 * T = S + lambda S^2 (1 + cv^2) / (2 (1 - rho)) = 1 + 2.5 ms */
	char *y = scenario("{ dist: hyperexponential, mean: 1ms, cv: 2 }");
	char *p = strstr(y, "900/s");
	memcpy(p, "500", 3);
	struct sim_summary s = run_scenario(y);
	expect_within("mean", s.lat_mean, 0.001 + 500 * 1e-6 * 5 / (2 * 0.5));
	sim_summary_release(&s);
}
