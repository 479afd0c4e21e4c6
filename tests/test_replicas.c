/*
 * test_replicas.c - the replicas model against queueing theory, and its
 * balancers, co-location, weights, autoscaling and validation.
 *
 * Every replica is `{model: event-loop, cores: 1, overheads: zero}` with one
 * exponential `cpu` phase, i.e. an M/M/1 server with mu = 1000/s:
 *   - random splitting of a Poisson stream gives N independent M/M/1
 *     queues: T = 1 / (mu - lambda / N);
 *   - round-robin gives each replica every N-th arrival, Erlang-N
 *     interarrival times (rate lambda per stage): an E_N/M/1 queue with
 *     T = 1 / (mu (1 - sigma)), sigma the root in (0, 1) of
 *     sigma = (lambda / (lambda + mu (1 - sigma)))^N;
 *   - power-of-d choices against the mean-field limit (Mitzenmacher 2001).
 *
 * As in test_validate_event_loop.c, exact results must lie inside the
 * 99.9 % Student-t interval of the replication means (ci95 widened by
 * t(0.9995) / t(0.975)), and that interval must be narrower than 5 % of
 * the value. The mean-field comparison allows 10 % more (see there).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "testlib.h"

#define MAXSYS 4
#define MU     1000.0 /* service rate of one replica, per second */

struct result {
	struct sim_summary s[MAXSYS];
	size_t n;
	int reps;
};

/* Loads yaml (it must be valid) and runs every system on 2 threads. */
static struct result run_yaml(const char *yaml)
{
	struct result res = {0};
	struct sim_scenario sc;
	tl_load(yaml, &sc);
	sc.per_replica = true; /* per_replica.I figures too */
	cr_assert_leq(sc.nsystems, MAXSYS);
	tl_run_loaded(&sc, res.s);
	res.n = sc.nsystems;
	res.reps = sc.replications;
	for (size_t i = 0; i < res.n; i++)
		res.s[i].name = NULL; /* points into the scenario */
	sim_scenario_release(&sc);
	return res;
}

static void release(struct result *res)
{
	for (size_t i = 0; i < res->n; i++)
		sim_summary_release(&res->s[i]);
}

static double share(const struct sim_summary *s, int i)
{
	char g[40];
	snprintf(g, sizeof g, "per_replica.%d", i);
	return tl_metric(s, g, "throughput_share");
}

/* A scenario of one open Poisson workload with exponential 1 ms CPU and
 * the given systems (YAML list items, indented by two). */
static const char *scenario(char *buf, size_t size, int reps,
			    const char *duration, const char *rate,
			    const char *systems)
{
	snprintf(buf, size,
		 "name: replicas\n"
		 "seed: 7\n"
		 "duration: %s\n"
		 "warmup: 2s\n"
		 "replications: %d\n"
		 "workload:\n"
		 "  arrivals: { process: poisson, rate: %s }\n"
		 "  classes:\n"
		 "    - name: only\n"
		 "      phases:\n"
		 "        - cpu: { dist: exponential, mean: 1ms }\n"
		 "systems:\n%s",
		 duration, reps, rate, systems);
	return buf;
}

#define REPLICA "{ model: event-loop, cores: 1, overheads: zero }"

/* ------------------------------------------------------ exact results -- */

Test(replicas, random_is_independent_mm1_queues, .timeout = 120)
{
	/* N = 4, lambda = 3200/s: rho = 0.8 per replica, T = 5 ms */
	char buf[2048];
	struct result r = run_yaml(scenario(
	    buf, sizeof buf, 12, "60s", "3200/s",
	    "  - { name: random, model: replicas, replicas: 4, balancer: "
	    "random, overheads: zero, replica: " REPLICA " }\n"));
	tl_expect_within("mean response", r.s[0].lat_mean, r.reps,
			 1 / (MU - 3200.0 / 4));
	/* each replica's utilisation is rho */
	cr_expect(fabs(tl_metric(&r.s[0], "utilization", "cpu") - 0.8) < 0.01,
		  "utilization %g, expected 0.8",
		  tl_metric(&r.s[0], "utilization", "cpu"));
	release(&r);
}

/* sigma of the E_N/M/1 queue, by fixed-point iteration (a contraction on
 * [0, 1) below saturation). */
static double erlang_sigma(double lambda, double mu, int n)
{
	double s = 0.5;
	for (int i = 0; i < 10000; i++) {
		double next = pow(lambda / (lambda + mu * (1 - s)), n);
		if (fabs(next - s) < 1e-15)
			return next;
		s = next;
	}
	return s;
}

Test(replicas, round_robin_is_erlang_n_m1, .timeout = 120)
{
	char buf[2048];
	struct result r = run_yaml(
	    scenario(buf, sizeof buf, 12, "60s", "3200/s",
		     "  - { name: rr, model: replicas, replicas: 4, balancer: "
		     "round-robin, overheads: zero, replica: " REPLICA " }\n"));
	double sigma = erlang_sigma(3200, MU, 4);
	/* sigma = 0.6939, T = 3.267 ms: well below random's 5 ms */
	tl_expect_within("mean response", r.s[0].lat_mean, r.reps,
			 1 / (MU * (1 - sigma)));
	for (int i = 0; i < 4; i++)
		cr_expect(fabs(share(&r.s[0], i) - 0.25) < 1e-4,
			  "replica %d share %g", i, share(&r.s[0], i));
	release(&r);
}

Test(replicas, hop_adds_two_crossings_and_nesting_composes, .timeout = 120)
{
	/* random over 2 x (random over 2) = 4 independent M/M/1 queues at
	 * rho = 0.8; the outer hop (given beside overheads: zero, so it
	 * wins) adds 1 ms in and 1 ms out: T = 5 + 2 ms */
	char buf[2048];
	struct result r = run_yaml(scenario(
	    buf, sizeof buf, 12, "40s", "3200/s",
	    "  - name: nested\n"
	    "    model: replicas\n"
	    "    replicas: 2\n"
	    "    balancer: random\n"
	    "    overheads: zero\n"
	    "    hop: 1ms\n"
	    "    replica: { model: replicas, replicas: 2, balancer: random, "
	    "replica: " REPLICA " }\n"));
	tl_expect_within("mean response", r.s[0].lat_mean, r.reps,
			 1 / (MU - 800.0) + 0.002);
	release(&r);
}

/* Mean-field response time of power-of-d at load rho (Mitzenmacher 2001):
 * the fraction of servers with at least i jobs is rho^((d^i - 1)/(d - 1)),
 * their sum is the mean number per server, Little's law gives T. */
static double mean_field(double rho, int d)
{
	double jobs = 0;
	for (int i = 1; i < 64; i++) {
		double s = pow(rho, (pow(d, i) - 1) / (d - 1));
		jobs += s;
		if (s < 1e-12)
			break;
	}
	return jobs / (rho * MU);
}

Test(replicas, power_of_d_near_mean_field_and_far_below_random, .timeout = 120)
{
	/* N = 50, rho = 0.9. The mean-field values (2.614 ms for d = 2,
	 * 2.028 ms for d = 3) are exact only as N -> infinity; at N = 50 the
	 * finite system queues a little more (a few per cent: its queue
	 * lengths fluctuate around the fixed point). We accept 10 % plus
	 * the 99.9 % interval: a broken policy (random would give 10 ms,
	 * round-robin 4.5 ms, JSQ 1.2 ms) is far outside. */
	char buf[2048];
	struct result r = run_yaml(scenario(
	    buf, sizeof buf, 8, "5s", "45000/s",
	    "  - { name: p2, model: replicas, replicas: 50, balancer: "
	    "power-of-two, overheads: zero, replica: " REPLICA " }\n"
	    "  - { name: p3, model: replicas, replicas: 50, balancer: "
	    "power-of-d, d: 3, overheads: zero, replica: " REPLICA " }\n"));
	for (int d = 2; d <= 3; d++) {
		struct sim_est e = r.s[d - 2].lat_mean;
		double mf = mean_field(0.9, d);
		double hw = tl_ci999(e.ci95, r.reps);
		cr_log_info("power-of-%d: simulated %.4g +- %.2g ms (99.9%%), "
			    "mean field %.4g ms",
			    d, 1e3 * e.mean, 1e3 * hw, 1e3 * mf);
		cr_expect(fabs(e.mean - mf) <= 0.10 * mf + hw,
			  "d = %d: simulated %.4g +- %.2g ms, mean field %.4g "
			  "ms",
			  d, 1e3 * e.mean, 1e3 * hw, 1e3 * mf);
		cr_expect(hw < 0.05 * mf, "d = %d: interval too wide", d);
	}
	/* exponentially better than random (T = 10 ms); d = 3 only a
	 * constant better than d = 2 */
	double t2 = r.s[0].lat_mean.mean, t3 = r.s[1].lat_mean.mean;
	cr_expect(t2 < 0.4 / (MU * 0.1), "power-of-two %g not << random", t2);
	cr_expect(t3 < t2 && t3 > 0.6 * t2, "d = 3: %g vs d = 2: %g", t3, t2);
	release(&r);
}

/* ---------------------------------------------------------- qualitative -- */

Test(replicas, least_connections_beats_random_at_high_load, .timeout = 120)
{
	/* rho = 0.95: random gives 20 ms (M/M/1); joining the shortest
	 * queue of 4 is close to M/M/4, a few ms */
	char buf[2048];
	struct result r = run_yaml(scenario(
	    buf, sizeof buf, 10, "60s", "3800/s",
	    "  - { name: random, model: replicas, replicas: 4, balancer: "
	    "random, overheads: zero, replica: " REPLICA " }\n"
	    "  - { name: lc, model: replicas, replicas: 4, balancer: "
	    "least-connections, overheads: zero, replica: " REPLICA " }\n"));
	struct sim_est rnd = r.s[0].lat_mean, lc = r.s[1].lat_mean;
	double hr = tl_ci999(rnd.ci95, r.reps), hl = tl_ci999(lc.ci95, r.reps);
	cr_expect(lc.mean + hl < 0.5 * (rnd.mean - hr),
		  "least-connections %g +- %g, random %g +- %g", lc.mean, hl,
		  rnd.mean, hr);
	release(&r);
}

Test(replicas, hash_keeps_each_client_on_one_replica, .timeout = 60)
{
	/* three closed-loop users: hash uses at most three of 8 replicas,
	 * round-robin all of them */
	const char *yaml =
	    "name: sticky\n"
	    "seed: 3\n"
	    "duration: 5s\n"
	    "warmup: 1s\n"
	    "replications: 3\n"
	    "workload:\n"
	    "  closed: { users: 3, think: { dist: exponential, mean: 2ms } }\n"
	    "  classes:\n"
	    "    - name: only\n"
	    "      phases:\n"
	    "        - cpu: { dist: exponential, mean: 1ms }\n"
	    "systems:\n"
	    "  - { name: hash, model: replicas, replicas: 8, balancer: hash, "
	    "replica: { model: event-loop, cores: 1 } }\n"
	    "  - { name: rr, model: replicas, replicas: 8, "
	    "replica: { model: event-loop, cores: 1 } }\n";
	struct result r = run_yaml(yaml);
	int used[2] = {0};
	double total[2] = {0};
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < 8; i++) {
			double sh = share(&r.s[k], i);
			cr_assert(!isnan(sh), "no per_replica.%d figures", i);
			used[k] += sh > 0;
			total[k] += sh;
		}
	cr_expect(used[0] >= 1 && used[0] <= 3, "hash used %d replicas",
		  used[0]);
	cr_expect_eq(used[1], 8, "round-robin used %d replicas", used[1]);
	cr_expect(fabs(total[0] - 1) < 1e-9, "shares sum to %g", total[0]);
	release(&r);
}

Test(replicas, colocated_replicas_share_the_hosts_cores, .timeout = 60)
{
	/* 4 single-process replicas at 450/s each: on their own cores each
	 * is 45 % busy; on 2 shared cores the host is 90 % busy and the
	 * loops time-share. Utilisation = lambda S / cores; over 10 x 40 s x
	 * 1800 requests its relative noise is ~0.1 %, so 0.02 is > 6 sd.
	 * (10 replications: with 4, the 99.9 % t quantile is 4 x the 95 %
	 * one and the shared case's noisy mean could not be told apart.) */
	char buf[2048];
	struct result r = run_yaml(scenario(
	    buf, sizeof buf, 10, "40s", "1800/s",
	    "  - { name: own, model: replicas, replicas: 4, overheads: zero, "
	    "replica: " REPLICA " }\n"
	    "  - { name: shared, model: replicas, replicas: 4, colocated: "
	    "true, cores: 2, overheads: zero, replica: " REPLICA " }\n"));
	struct sim_est own = r.s[0].lat_mean, shared = r.s[1].lat_mean;
	cr_expect(shared.mean - tl_ci999(shared.ci95, r.reps) >
		      2 * (own.mean + tl_ci999(own.ci95, r.reps)),
		  "colocated %g, own hosts %g", shared.mean, own.mean);
	double uo = tl_metric(&r.s[0], "utilization", "cpu");
	double us = tl_metric(&r.s[1], "utilization", "cpu");
	cr_expect(fabs(uo - 0.45) < 0.02, "own hosts utilization %g", uo);
	cr_expect(fabs(us - 0.90) < 0.02, "shared host utilization %g", us);
	release(&r);
}

Test(replicas, weights_skew_traffic_shares, .timeout = 60)
{
	char buf[2048];
	struct result r = run_yaml(scenario(
	    buf, sizeof buf, 3, "10s", "1200/s",
	    "  - { name: wrr, model: replicas, replicas: 2, balancer: "
	    "weighted-round-robin, weights: [3, 1], overheads: zero, "
	    "replica: " REPLICA " }\n"
	    "  - { name: wrand, model: replicas, replicas: 2, balancer: "
	    "weighted-random, weights: [3, 1], overheads: zero, "
	    "replica: " REPLICA " }\n"));
	/* smooth weighted round-robin: exactly 3 of every 4 requests */
	cr_expect(fabs(share(&r.s[0], 0) - 0.75) < 1e-3, "wrr share %g",
		  share(&r.s[0], 0));
	/* weighted random: binomial, sd = sqrt(p (1 - p) / n) with n the
	 * requests of all replications; 5 sd */
	double n = r.s[1].completed * r.reps;
	double sd = sqrt(0.75 * 0.25 / n);
	cr_expect(fabs(share(&r.s[1], 0) - 0.75) < 5 * sd,
		  "weighted random share %g (sd %g)", share(&r.s[1], 0), sd);
	/* the summary of the shares: 1/4 and 3/4, Jain's index
	 * (1/4 + 3/4)^2 / (2 (1/16 + 9/16)) = 0.8 */
	const struct sim_summary *w = &r.s[0];
	const char *g = "per_replica.throughput_share";
	cr_expect(fabs(tl_metric(w, g, "min") - 0.25) < 1e-3);
	cr_expect(fabs(tl_metric(w, g, "median") - 0.5) < 1e-9);
	cr_expect(fabs(tl_metric(w, g, "max") - 0.75) < 1e-3);
	cr_expect(fabs(tl_metric(w, "per_replica", "fairness_jain") - 0.8) <
		  1e-3);
	cr_expect_eq(tl_metric(w, "per_replica", "count"), 2);
	cr_expect(tl_metric(w, "per_replica.utilization_cpu", "max") >
		  tl_metric(w, "per_replica.utilization_cpu", "min"));
	release(&r);
}

Test(replicas, per_replica_list_only_on_request, .timeout = 60)
{
	char buf[2048];
	struct sim_scenario sc;
	struct sim_summary s[1];
	tl_load(scenario(buf, sizeof buf, 2, "2s", "600/s",
			 "  - { name: rr, model: replicas, replicas: 3, "
			 "replica: " REPLICA " }\n"),
		&sc);
	tl_run_loaded(&sc, s);
	cr_expect(isnan(tl_metric(&s[0], "per_replica.0", "throughput_share")));
	cr_expect(fabs(tl_metric(&s[0], "per_replica", "fairness_jain") - 1) <
		  1e-3);
	sim_summary_release(&s[0]);
	sim_scenario_release(&sc);
}

/* A fleet whose states outgrow a core's caches (SIM_CROWDED_BYTES) is
 * fetched ahead, and its random balancer draws each pick one request
 * early: neither may change a result. 4 replicas built among 1000
 * (autoscale_max, a target never reached: crowded) against 4 alone. */
Test(replicas, a_crowded_fleet_gives_what_a_small_one_gives, .timeout = 60)
{
	char buf[2048];
	struct result r[2];
	for (int k = 0; k < 2; k++) {
		char sys[512];
		snprintf(sys, sizeof sys,
			 "  - { name: random, model: replicas, replicas: 4, "
			 "balancer: random,%s replica: " REPLICA " }\n",
			 k ? " autoscale_max: 1000, autoscale_target: 1e9,"
			   : "");
		r[k] =
		    run_yaml(scenario(buf, sizeof buf, 2, "3s", "3200/s", sys));
	}
	cr_expect_eq(r[0].s[0].completed, r[1].s[0].completed);
	cr_expect_eq(r[0].s[0].lat_mean.mean, r[1].s[0].lat_mean.mean,
		     "mean response %.17g, crowded %.17g",
		     r[0].s[0].lat_mean.mean, r[1].s[0].lat_mean.mean);
	cr_expect_eq(r[0].s[0].p99.mean, r[1].s[0].p99.mean);
	for (int i = 0; i < 4; i++)
		cr_expect_eq(share(&r[0].s[0], i), share(&r[1].s[0], i),
			     "replica %d's share", i);
	release(&r[0]);
	release(&r[1]);
}

Test(replicas, autoscaling_adds_replicas_under_a_load_step, .timeout = 60)
{
	/* 1000/s on 2 replicas (rho 0.5), then 3000/s from 20 s: 2 replicas
	 * cannot keep up, and at least 4 are needed (rho 0.75) */
	const char *yaml =
	    "name: step\n"
	    "seed: 5\n"
	    "duration: 50s\n"
	    "warmup: 5s\n"
	    "replications: 3\n"
	    "workload:\n"
	    "  arrivals:\n"
	    "    process: poisson\n"
	    "    rate: 1000/s\n"
	    "    schedule:\n"
	    "      - { at: 20s, rate: 3000/s }\n"
	    "  classes:\n"
	    "    - name: only\n"
	    "      phases:\n"
	    "        - cpu: { dist: exponential, mean: 1ms }\n"
	    "systems:\n"
	    "  - name: auto\n"
	    "    model: replicas\n"
	    "    replicas: 2\n"
	    "    balancer: least-connections\n"
	    "    autoscale_max: 8\n"
	    "    autoscale_target: 2\n"
	    "    autoscale_interval: 5s\n"
	    "    scale_up_delay: 1s\n"
	    "    cold_start: 2s\n"
	    "    overheads: zero\n"
	    "    replica: " REPLICA "\n"
	    "  - { name: fixed, model: replicas, replicas: 2, overheads: zero, "
	    "replica: " REPLICA " }\n";
	struct result r = run_yaml(yaml);
	const struct sim_summary *a = &r.s[0], *f = &r.s[1];
	double amax = tl_metric(a, "replicas", "active_max");
	cr_expect(amax >= 4, "at most %g replicas", amax);
	cr_expect(tl_metric(a, "replicas", "active_mean") > 2.5,
		  "mean active %g", tl_metric(a, "replicas", "active_mean"));
	cr_expect(tl_metric(a, "replicas", "scale_ups") >= 2, "scale-ups %g",
		  tl_metric(a, "replicas", "scale_ups"));
	for (int i = 0; i < 4; i++)
		cr_expect(!isnan(share(a, i)) && share(a, i) > 0,
			  "replica %d: share %g", i, share(a, i));
	cr_expect(isnan(share(f, 2)), "fixed system reports a third replica");
	/* the scaled system keeps up; the fixed one refuses or queues */
	cr_expect(a->throughput_rps.mean > 1.05 * f->throughput_rps.mean ||
		      a->lat_mean.mean < 0.5 * f->lat_mean.mean,
		  "autoscaled %g/s %g s, fixed %g/s %g s",
		  a->throughput_rps.mean, a->lat_mean.mean,
		  f->throughput_rps.mean, f->lat_mean.mean);
	release(&r);
}

/* ----------------------------------------------------------- validation -- */

/* Loads a one-system scenario with the given replicas keys; expects it to
 * be rejected with a message containing `want`. */
static void expect_rejected(const char *keys, const char *want)
{
	char yaml[2048];
	snprintf(yaml, sizeof yaml,
		 "name: bad\n"
		 "duration: 1s\n"
		 "workload:\n"
		 "  arrivals: { process: poisson, rate: 10/s }\n"
		 "  classes:\n"
		 "    - name: only\n"
		 "      phases:\n"
		 "        - cpu: 1ms\n"
		 "systems:\n"
		 "  - name: r\n"
		 "    model: replicas\n"
		 "%s",
		 keys);
	char *msg = tl_rejected(yaml);
	cr_expect(msg && strstr(msg, want), "message '%s' lacks '%s'",
		  msg ? msg : "", want);
	free(msg);
}

#define EL "    replica: { model: event-loop }\n"

Test(replicas, rejects_bad_configurations)
{
	expect_rejected("    replicas: 2\n", "replica");
	expect_rejected("    weights: [1, 2]\n" EL, "weighted balancer");
	expect_rejected("    balancer: weighted-random\n" EL, "'weights'");
	expect_rejected("    balancer: weighted-round-robin\n"
			"    weights: [1, 2, 3]\n" EL,
			"needs 2 entries");
	expect_rejected("    balancer: weighted-round-robin\n"
			"    weights: [1, 0]\n" EL,
			"greater than 0");
	expect_rejected("    replicas: 4\n"
			"    autoscale_max: 6\n"
			"    autoscale_target: 2\n"
			"    balancer: weighted-random\n"
			"    weights: [1, 1, 1, 1]\n" EL,
			"needs 6 entries");
	expect_rejected("    replicas: 3\n"
			"    balancer: power-of-d\n"
			"    d: 4\n" EL,
			"'d'");
	expect_rejected("    autoscale_max: 4\n" EL, "autoscale_target");
	expect_rejected("    replicas: 3\n    autoscale_max: 2\n"
			"    autoscale_target: 1\n" EL,
			"autoscale_max");
	expect_rejected(
	    "    replica: { model: replicas, replica: { model: replicas, "
	    "replica: { model: replicas, replica: { model: event-loop } } } "
	    "}\n",
	    "nested more than 3 deep");
}

Test(replicas, accepts_three_levels_of_nesting)
{
	const char *yaml =
	    "name: ok\n"
	    "duration: 1s\n"
	    "workload:\n"
	    "  arrivals: { process: poisson, rate: 10/s }\n"
	    "  classes:\n"
	    "    - name: only\n"
	    "      phases:\n"
	    "        - cpu: 1ms\n"
	    "systems:\n"
	    "  - name: r\n"
	    "    model: replicas\n"
	    "    replica: { model: replicas, replica: { model: replicas, "
	    "replica: { model: event-loop } } }\n";
	struct sim_scenario sc;
	tl_load(yaml, &sc);
	sim_scenario_release(&sc);
}

/* ------------------------------------------------- shared downstream -- */

Test(replicas, share_one_downstream_pool_that_caps_their_throughput,
     .timeout = 60)
{
	/* every request holds one of 10 database connections for 10 ms:
	 * whatever the number of replicas, at most 10 / 10 ms = 1000/s get
	 * through, with the pool saturated (offered 1500/s) */
	static const int nrep[] = {4, 16};
	for (size_t k = 0; k < 2; k++) {
		char sys[256], buf[1024];
		snprintf(sys, sizeof sys,
			 "  - name: r\n"
			 "    model: replicas\n"
			 "    replicas: %d\n"
			 "    replica: " REPLICA "\n"
			 "    hop: 0s\n",
			 nrep[k]);
		snprintf(buf, sizeof buf,
			 "name: ds\nseed: 3\nduration: 10s\nwarmup: 1s\n"
			 "replications: 3\n"
			 "workload:\n"
			 "  arrivals: { process: poisson, rate: 1500/s }\n"
			 "  downstream: { connections: 10 }\n"
			 "  classes:\n"
			 "    - name: only\n"
			 "      phases:\n"
			 "        - cpu: { dist: exponential, mean: 1ms }\n"
			 "        - io: 10ms\n"
			 "systems:\n%s",
			 sys);
		struct result res = run_yaml(buf);
		double thr = res.s[0].throughput_rps.mean;
		double util =
		    tl_reported(&res.s[0], "utilization", "downstream");
		cr_expect(fabs(thr - 1000) < 10, "%d replicas: %g/s", nrep[k],
			  thr);
		cr_expect(util > 0.99, "%d replicas: pool at %g", nrep[k],
			  util);
		release(&res);
	}
}
