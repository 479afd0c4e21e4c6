/*
 * test_workload.c - workloads and clients: each arrival process's mean
 * rate, trace replay at another speed, the closed loop against the
 * machine-repairman result, timeouts, retries, budgets, cancellation,
 * deadlines, and common random numbers (identical systems give identical
 * figures).
 *
 * Tolerances come from the runs themselves: the expected value must lie
 * in the 99.9 % Student-t interval of the replication means.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "testlib.h"
#include "workload/workload.h"

static void run(const char *yaml, struct sim_summary *out, size_t nsys)
{
	tl_run(yaml, out, nsys);
}

static double widen(double ci95, int n)
{
	return tl_ci999(ci95, n);
}

/* Mean arrival rate of a process over `reps` independent streams. */
static struct sim_est arrival_rate(const struct sim_arrivals *a, double T,
				   int reps)
{
	double rate[32];
	for (int r = 0; r < reps; r++) {
		struct sim_arr ar;
		const char *why;
		cr_assert_eq(sim_arr_init(&ar, a, 99, (uint32_t)r, &why), 0);
		size_t n = 0;
		while (sim_arr_next(&ar) <= T)
			n++;
		rate[r] = (double)n / T;
		sim_arr_release(&ar);
	}
	return sim_est_of(rate, (size_t)reps);
}

static void expect_rate(const char *what, const struct sim_arrivals *a,
			double T, double expect)
{
	struct sim_est e = arrival_rate(a, T, 20);
	double hw = widen(e.ci95, 20);
	cr_expect(fabs(e.mean - expect) <= hw, "%s: %g +- %g, expected %g",
		  what, e.mean, hw, expect);
	cr_expect(hw < 0.05 * expect, "%s: interval too wide", what);
}

Test(arrivals, poisson_constant_and_schedule_have_their_mean_rate)
{
	struct sim_arrivals a = {.kind = SIM_ARR_POISSON, .rate = 500};
	expect_rate("poisson", &a, 100, 500);
	/* constant: exactly rate * T arrivals, no noise at all */
	a.kind = SIM_ARR_CONSTANT;
	struct sim_est c = arrival_rate(&a, 100, 2);
	cr_expect_float_eq(c.mean, 500, 0.011);
	cr_expect_eq(c.ci95, 0);
	/* a step schedule: 500/s for 40 s, 1500/s for 20 s, 500/s after */
	struct sim_rate_step steps[] = {{.at = 40, .rate = 1500},
					{.at = 60, .rate = 500}};
	a = (struct sim_arrivals){.kind = SIM_ARR_POISSON,
				  .rate = 500,
				  .schedule = steps,
				  .nschedule = 2};
	expect_rate("schedule", &a, 100, (500 * 80 + 1500 * 20) / 100.0);
}

Test(arrivals, bursty_and_diurnal_have_their_mean_rate)
{
	/* on-off: 1000/s for Exp(0.5 s), 100/s for Exp(1.5 s):
	 * long-run rate (1000 * 0.5 + 100 * 1.5) / 2 = 325/s */
	struct sim_arrivals a = {.kind = SIM_ARR_MMPP,
				 .rate = 1000,
				 .rate_off = 100,
				 .mean_on = 0.5,
				 .mean_off = 1.5};
	expect_rate("mmpp", &a, 4000, 325);
	/* diurnal: the sine averages out over whole periods */
	a = (struct sim_arrivals){.kind = SIM_ARR_DIURNAL,
				  .rate = 400,
				  .period = 10,
				  .amplitude = 0.8};
	expect_rate("diurnal", &a, 100, 400);
}

Test(arrivals, mmpp_is_burstier_than_poisson)
{
	/* counts per 1 s window: index of dispersion ~1 for Poisson, far
	 * above 1 for on-off traffic with the same mean */
	struct sim_arrivals p = {.kind = SIM_ARR_POISSON, .rate = 325};
	struct sim_arrivals m = {.kind = SIM_ARR_MMPP,
				 .rate = 1000,
				 .rate_off = 100,
				 .mean_on = 0.5,
				 .mean_off = 1.5};
	const struct sim_arrivals *procs[2] = {&p, &m};
	double disp[2];
	for (int k = 0; k < 2; k++) {
		struct sim_arr ar;
		const char *why;
		sim_arr_init(&ar, procs[k], 5, 0, &why);
		double counts[2000] = {0}, t;
		while ((t = sim_arr_next(&ar)) < 2000)
			counts[(int)t]++;
		double s = 0, s2 = 0;
		for (int i = 0; i < 2000; i++) {
			s += counts[i];
			s2 += counts[i] * counts[i];
		}
		double mean = s / 2000;
		disp[k] = (s2 / 2000 - mean * mean) / mean;
		sim_arr_release(&ar);
	}
	cr_expect(disp[0] > 0.8 && disp[0] < 1.2, "poisson %g", disp[0]);
	cr_expect_gt(disp[1], 20, "mmpp %g", disp[1]);
}

/* A trace of TRACE_N requests 10 ms apart from 5 ms (100/s), classes a
 * (cpu, io) and b (cpu) in turn, every demand different. */
#define TRACE_N 400

struct arrival {
	double t;
	uint16_t cls;
	uint8_t nphases;
	double demand[2];
};

/* Writes that trace to trace.csv in the scratch folder with the trace
 * writer of `concsim trace`; what it wrote goes into want[]. */
static void write_trace(struct arrival *want)
{
	char path[512];
	snprintf(path, sizeof path, "%s/trace.csv", tl_tmpdir());
	FILE *f = fopen(path, "w");
	cr_assert(f);
	cr_assert_eq(sim_trace_write_header(f, 2), 0);
	for (int i = 0; i < TRACE_N; i++) {
		struct arrival *w = &want[i];
		*w = (struct arrival){.t = 0.005 + 0.01 * i,
				      .cls = (uint16_t)(i % 2),
				      .nphases = (uint8_t)(2 - i % 2),
				      .demand = {1e-4 * (1 + i % 7),
						 i % 2 ? 0 : 1e-3 + 1e-6 * i}};
		cr_assert_eq(sim_trace_write_row(f, w->t, w->cls ? "b" : "a",
						 w->demand, w->nphases, 2),
			     0);
	}
	cr_assert_eq(fclose(f), 0);
}

/* A scenario that replays that trace at `speed` (the value of the key)
 * for 2 s, on one event loop. */
static const char *trace_scenario(const char *speed)
{
	static char y[1024];
	snprintf(y, sizeof y,
		 "seed: 1\nduration: 2s\nwarmup: 0s\nreplications: 1\n"
		 "workload:\n"
		 "  arrivals: { process: trace, file: %s/trace.csv, speed: %s "
		 "}\n"
		 "  classes:\n"
		 "    - { name: a, phases: [ {cpu: 1ms}, {io: 1ms} ] }\n"
		 "    - { name: b, phases: [ {cpu: 1ms} ] }\n"
		 "systems: [ { name: s, model: event-loop, cores: 4 } ]\n",
		 tl_tmpdir(), speed);
	return y;
}

/* Replays the trace of `yaml` through its arrival process into got[]
 * (room for TRACE_N); returns the number of arrivals. */
static size_t replay(const char *yaml, struct arrival *got)
{
	struct sim_scenario sc;
	tl_load(yaml, &sc);
	struct sim_arr ar;
	const char *why;
	cr_assert_eq(sim_arr_init(&ar, &sc.workload.arrivals, 1, 0, &why), 0);
	cr_assert_eq(sim_arr_init_trace(&ar, &sc.workload, &why), 0, "%s", why);
	struct sim_request *r = malloc(sizeof *r + 2 * sizeof r->demand[0]);
	cr_assert(r);
	size_t n = 0;
	double t;
	while (isfinite(t = sim_arr_next(&ar))) {
		cr_assert_lt(n, TRACE_N, "more arrivals than rows");
		sim_arr_fill(&ar, r);
		got[n] = (struct arrival){
		    .t = t, .cls = r->cls, .nphases = r->nphases};
		memcpy(got[n].demand, r->demand,
		       r->nphases * sizeof r->demand[0]);
		n++;
	}
	cr_expect(!ar.failed, "a row of the trace could not be read");
	free(r);
	sim_arr_release(&ar);
	sim_scenario_release(&sc);
	return n;
}

/* The same class and phase demands. */
static bool same_request(const struct arrival *a, const struct arrival *b)
{
	if (a->cls != b->cls || a->nphases != b->nphases)
		return false;
	for (int p = 0; p < a->nphases; p++)
		if (a->demand[p] != b->demand[p])
			return false;
	return true;
}

Test(arrivals, trace_speed_divides_the_times_and_keeps_the_demands,
     .init = tl_mktmp, .fini = tl_rmtmp)
{
	static struct arrival want[TRACE_N], x1[TRACE_N], x2[TRACE_N];
	write_trace(want);
	struct sim_scenario sc;
	tl_load(trace_scenario("2"), &sc);
	cr_expect_eq(sc.workload.arrivals.speed, 2);
	sim_scenario_release(&sc);
	cr_assert_eq(replay(trace_scenario("1"), x1), TRACE_N);
	cr_assert_eq(replay(trace_scenario("2"), x2), TRACE_N);
	/* at speed 1 the trace's own times, at speed 2 exactly half of
	 * them; the same classes and demands, request by request */
	for (size_t i = 0; i < TRACE_N; i++)
		if (x1[i].t != want[i].t || x2[i].t != want[i].t / 2) {
			cr_expect_fail("request %zu arrives at %.17g (speed 1) "
				       "and %.17g (speed 2), not %.17g and "
				       "%.17g",
				       i, x1[i].t, x2[i].t, want[i].t,
				       want[i].t / 2);
			break;
		}
	for (size_t i = 0; i < TRACE_N; i++)
		if (!same_request(&x1[i], &want[i]) ||
		    !same_request(&x2[i], &want[i])) {
			cr_expect_fail("request %zu: class %u, %u phases, "
				       "first demand %.17g (speed 1) and %.17g "
				       "(speed 2), not %.17g of class %u",
				       i, x1[i].cls, x1[i].nphases,
				       x1[i].demand[0], x2[i].demand[0],
				       want[i].demand[0], want[i].cls);
			break;
		}
	/* end to end, the same 2 s window: the first 200 rows at speed 1,
	 * all 400 at speed 2, so twice the offered rate */
	struct sim_summary s1, s2;
	run(trace_scenario("1"), &s1, 1);
	run(trace_scenario("2"), &s2, 1);
	cr_expect_float_eq(s1.offered_rps.mean, 100, 1e-9, "speed 1: %g/s",
			   s1.offered_rps.mean);
	cr_expect_float_eq(s2.offered_rps.mean, 200, 1e-9, "speed 2: %g/s",
			   s2.offered_rps.mean);
	sim_summary_release(&s1);
	sim_summary_release(&s2);
}

Test(closed, matches_the_machine_repairman_result, .timeout = 60)
{
	/* N = 10 users, think Z = 45 ms, one server S = 5 ms, exponential:
	 * M/M/1//N. P0 = 1 / sum_k N!/(N-k)! (S/Z)^k, X = (1 - P0) / S,
	 * R = N / X - Z (response time law). */
	const int N = 10;
	const double S = 0.005, Z = 0.045;
	double sum = 0, term = 1;
	for (int k = 0; k <= N; k++) {
		sum += term;
		term *= (N - k) * (S / Z);
	}
	double X = (1 - 1 / sum) / S, R = N / X - Z;
	struct sim_summary s;
	run("seed: 3\nduration: 300s\nwarmup: 10s\nreplications: 10\n"
	    "workload:\n"
	    "  closed: { users: 10, think: { dist: exponential, mean: 45ms } "
	    "}\n"
	    "  classes: [ { name: c, phases: [ {cpu: {dist: exponential, "
	    "mean: 5ms}} ] } ]\n"
	    "systems: [ { name: s, model: event-loop, overheads: zero } ]\n",
	    &s, 1);
	double hx = widen(s.throughput_rps.ci95, 10);
	double hr = widen(s.lat_mean.ci95, 10);
	cr_expect(fabs(s.throughput_rps.mean - X) <= hx, "X %g +- %g vs %g",
		  s.throughput_rps.mean, hx, X);
	cr_expect(fabs(s.lat_mean.mean - R) <= hr, "R %g +- %g vs %g",
		  s.lat_mean.mean, hr, R);
	cr_expect(hx < 0.02 * X && hr < 0.05 * R);
	sim_summary_release(&s);
}

/* A closed loop stops when time does not advance (users refused at once
 * send again without end: test_bad_inputs), but not on a burst that ends:
 * 150,000 users refused together whose think times are 0 half the time
 * send about 300,000 times at that instant before time moves on (run.c,
 * SAME_INSTANT_PER_USER; one a user and 100,000 more stopped this run). */
Test(closed, a_burst_of_refusals_at_one_instant_that_ends_runs, .timeout = 60)
{
	char path[512], yaml[1024];
	snprintf(path, sizeof path, "%s/think.csv", tl_tmpdir());
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs("0\n0.01\n", f);
	cr_assert_eq(fclose(f), 0);
	snprintf(yaml, sizeof yaml,
		 "seed: 1\nduration: 50ms\nwarmup: 0s\nreplications: 1\n"
		 "workload:\n"
		 "  closed: { users: 150000, think: { dist: empirical, file: "
		 "%s } }\n"
		 "  classes: [ { name: c, phases: [ {cpu: 1ms} ] } ]\n"
		 "systems: [ { name: s, model: worker-pool, backlog: 1 } ]\n",
		 path);
	struct sim_summary s;
	run(yaml, &s, 1);
	cr_expect_gt(s.completed, 0);
	sim_summary_release(&s);
}

static const char *two_systems =
    "seed: 8\nduration: 20s\nwarmup: 1s\nreplications: 4\n"
    "workload:\n"
    "  arrivals: { rate: 800/s }\n"
    "  classes:\n"
    "    - { name: a, weight: 2, phases: [ {cpu: 400us}, "
    "{io: {dist: lognormal, mean: 4ms, cv: 1}} ] }\n"
    "    - { name: b, phases: [ {cpu: {dist: gamma, mean: 1ms, cv: 2}} ] }\n"
    "systems:\n"
    "  - { name: x, model: event-loop, cores: 2 }\n"
    "  - { name: y, model: event-loop, cores: 2 }\n";

Test(crn, identical_systems_give_identical_figures)
{
	struct sim_summary s[2];
	run(two_systems, s, 2);
	cr_expect_eq(s[0].offered_rps.mean, s[1].offered_rps.mean);
	cr_expect_eq(s[0].completed, s[1].completed);
	cr_expect_eq(s[0].lat_mean.mean, s[1].lat_mean.mean);
	cr_expect_eq(s[0].p99.mean, s[1].p99.mean);
	cr_expect_eq(s[0].p99.ci95, s[1].p99.ci95);
	/* the paired difference is exactly zero, with a zero interval */
	cr_expect_eq(sim_metrics_get(&s[1].metrics, "vs_first",
				     "latency_s_mean_diff", -1),
		     0);
	cr_expect_eq(sim_metrics_get(&s[1].metrics, "vs_first",
				     "latency_s_mean_diff_ci95", -1),
		     0);
	for (int i = 0; i < 2; i++)
		sim_summary_release(&s[i]);
}

/* 10 s of arrivals every 10 ms (process constant) unless `process` says
 * otherwise. */
static struct sim_summary one_p(const char *process, const char *client,
				const char *phases, const char *system)
{
	static char y[2048];
	snprintf(y, sizeof y,
		 "seed: 4\nduration: 10s\nwarmup: 0s\nreplications: 2\n"
		 "workload:\n"
		 "  arrivals: { process: %s, rate: 100/s }\n"
		 "  client: %s\n"
		 "  classes: [ { name: c, phases: %s } ]\n"
		 "systems: [ %s ]\n",
		 process, client, phases, system);
	struct sim_summary s;
	run(y, &s, 1);
	return s;
}

static struct sim_summary one(const char *client, const char *phases,
			      const char *system)
{
	return one_p("constant", client, phases, system);
}

/* Timeouts within the 10 s window for arrivals at 10 ms, 20 ms, ... 10 s
 * whose attempts time out `timeout` after being sent, retried after the
 * given backoffs. */
static double timeouts_in_window(double timeout, const double *backoff,
				 int retries)
{
	double n = 0;
	for (int i = 1; i <= 1000; i++) {
		double t = i * 0.01;
		for (int k = 0; k <= retries; k++) {
			if (t + timeout > 10 + 1e-9)
				break;
			n++;
			t += timeout + (k < retries ? backoff[k] : 0);
		}
	}
	return n;
}

/* An open workload of one class, no timeout, trace, cpu_scale or
 * connection pool takes issue()'s plain path (run.c, plain_issue); a
 * client timeout that never fires (an hour, in a 20 s run) sends the same
 * requests by the general path. Both must give the same figures. */
static struct sim_summary plain_or_not(const char *client)
{
	static char y[2048];
	snprintf(y, sizeof y,
		 "seed: 7\nduration: 20s\nwarmup: 2s\nreplications: 2\n"
		 "workload:\n"
		 "  arrivals: { process: poisson, rate: 300/s }\n"
		 "  client: %s\n"
		 "  classes: [ { name: c, phases: [ {cpu: {dist: exponential, "
		 "mean: 1ms}}, {io: {dist: lognormal, mean: 5ms, cv: 1}}, "
		 "{cpu: 500us} ] } ]\n"
		 "systems: [ { name: s, model: event-loop, cores: 1 } ]\n",
		 client);
	struct sim_summary s;
	run(y, &s, 1);
	return s;
}

Test(client, the_plain_path_sends_what_the_general_one_does)
{
	struct sim_summary a = plain_or_not("{}");
	struct sim_summary b = plain_or_not("{ timeout: 1h }");
	cr_assert_gt(a.completed, 5000);
	cr_expect_eq(a.offered_rps.mean, b.offered_rps.mean);
	cr_expect_eq(a.completed, b.completed);
	cr_expect_eq(a.lat_mean.mean, b.lat_mean.mean);
	cr_expect_eq(a.lat_mean.ci95, b.lat_mean.ci95);
	cr_expect_eq(a.p99.mean, b.p99.mean);
	cr_expect_eq(a.lat_max, b.lat_max);
	cr_assert_eq(a.ncdf, b.ncdf);
	for (size_t i = 0; i < a.ncdf; i++)
		cr_expect_eq(a.cdf[i], b.cdf[i], "cdf[%zu]", i);
	cr_expect_eq(sim_metrics_get(&a.metrics, "utilization", "cpu", -1),
		     sim_metrics_get(&b.metrics, "utilization", "cpu", -1));
	sim_summary_release(&a);
	sim_summary_release(&b);
}

#define NODE "{ name: s, model: event-loop, cores: 4, overheads: zero }"

Test(client, timeouts_count_and_the_server_keeps_working)
{
	/* every request waits 300 ms on I/O, the client gives up at 100 ms:
	 * the 990 requests sent by 9.9 s time out, the server still answers
	 * the 970 sent by 9.7 s (wasted work), nobody gets a good response */
	struct sim_summary s =
	    one("{ timeout: 100ms }", "[ {io: 300ms} ]", NODE);
	cr_expect_eq(s.goodput_rps.mean, 0);
	cr_expect_float_eq(s.errors[2], timeouts_in_window(0.1, NULL, 0),
			   1e-9); /* SIM_OUT_TIMEOUT */
	cr_expect_float_eq(s.errors[2], 990, 1e-9);
	cr_expect_float_eq(s.wasted, 970, 1e-9);
	cr_expect_float_eq(s.wasted, s.completed, 1e-9);
	sim_summary_release(&s);
	/* with cancellation the server drops them at the next boundary:
	 * no response completes */
	s = one("{ timeout: 100ms, cancel: true }", "[ {io: 300ms} ]", NODE);
	cr_expect_eq(s.completed, 0);
	sim_summary_release(&s);
}

Test(client, retries_resend_and_backoff_delays_them)
{
	/* io 150 ms, timeout 100 ms, 2 retries, no jitter: every request
	 * times out 3 times; retries follow 50 ms and 100 ms later */
	struct sim_summary s = one(
	    "{ timeout: 100ms, retries: { max: 2, backoff: 50ms, multiplier: "
	    "2, jitter: none } }",
	    "[ {io: 150ms} ]", NODE);
	double backoff[] = {0.05, 0.1};
	cr_expect_float_eq(s.errors[2], timeouts_in_window(0.1, backoff, 2),
			   1e-9);
	cr_expect_eq(s.goodput_rps.mean, 0);
	sim_summary_release(&s);
	/* a retry budget of 10 % allows ~100 of the ~2000 retries */
	s = one("{ timeout: 100ms, retries: { max: 2, backoff: 50ms, jitter: "
		"none, budget: 0.1 } }",
		"[ {io: 150ms} ]", NODE);
	cr_expect(s.errors[2] > 990 + 90 && s.errors[2] <= 990 + 101,
		  "timeouts %g", s.errors[2]);
	sim_summary_release(&s);
}

Test(client, a_retry_that_succeeds_counts_latency_from_the_first_try)
{
	/* Poisson arrivals at 100/s, 5 ms of CPU each, a backlog of one
	 * connection: arrivals during a busy loop turn are refused, retried
	 * after 1 ms (no jitter) and succeed later; latency runs from the
	 * first attempt */
	struct sim_summary s =
	    one_p("poisson",
		  "{ retries: { max: 20, backoff: 1ms, multiplier: 1, jitter: "
		  "none } }",
		  "[ {cpu: 5ms} ]",
		  "{ name: s, model: event-loop, backlog: 1, overheads: zero "
		  "}");
	cr_expect_gt(s.errors[1], 10); /* refused attempts */
	cr_expect_float_eq(s.goodput_rps.mean, s.offered_rps.mean, 1.0);
	cr_expect_gt(s.p99.mean, 0.006);
	sim_summary_release(&s);
}

Test(client, deadline_separates_goodput_from_throughput)
{
	/* 50 % of requests take 20 ms, 50 % take 2 ms (hyperexponential
	 * would do; a deadline of 10 ms cuts the slow ones from goodput) */
	struct sim_summary s =
	    one("{ deadline: 10ms }",
		"[ {io: {dist: empirical, values: [2ms, 20ms]}} ]", NODE);
	cr_expect_float_eq(s.throughput_rps.mean, 100, 0.2);
	cr_expect(s.goodput_rps.mean > 40 && s.goodput_rps.mean < 60,
		  "goodput %g", s.goodput_rps.mean);
	sim_summary_release(&s);
}

Test(downstream, a_pool_of_c_connections_is_an_mmc_queue, .timeout = 60)
{
	/* requests that only wait on the database (exponential 10 ms), 3
	 * connections, 240/s: the connection pool is M/M/3 whatever serves
	 * the requests. W = C(3, a) / (3 mu - lambda) + 1 / mu */
	struct sim_summary s;
	run("seed: 6\nduration: 800s\nwarmup: 10s\nreplications: 10\n"
	    "workload:\n"
	    "  arrivals: { rate: 240/s }\n"
	    "  downstream: { connections: 3 }\n"
	    "  classes: [ { name: q, phases: [ {io: {dist: exponential, "
	    "mean: 10ms}} ] } ]\n"
	    "systems: [ { name: s, model: event-loop, overheads: zero } ]\n",
	    &s, 1);
	double mu = 100, lambda = 240;
	double W = tl_erlang_c(3, lambda / mu) / (3 * mu - lambda) + 1 / mu;
	double hw = widen(s.lat_mean.ci95, 10);
	cr_expect(fabs(s.lat_mean.mean - W) <= hw, "W %g +- %g vs %g",
		  s.lat_mean.mean, hw, W);
	cr_expect(hw < 0.05 * W);
	cr_expect_float_eq(
	    sim_metrics_get(&s.metrics, "utilization", "downstream", -1),
	    lambda / mu / 3, 0.02);
	sim_summary_release(&s);
}

Test(downstream, phases_can_opt_out_of_the_pool)
{
	/* one connection, but the phase says downstream: false: no wait */
	struct sim_summary s;
	run("seed: 6\nduration: 20s\nwarmup: 1s\nreplications: 2\n"
	    "workload:\n"
	    "  arrivals: { rate: 500/s }\n"
	    "  downstream: { connections: 1 }\n"
	    "  classes: [ { name: q, phases: [ {io: {dist: constant, "
	    "mean: 10ms, downstream: false}} ] } ]\n"
	    "systems: [ { name: s, model: event-loop, overheads: zero } ]\n",
	    &s, 1);
	cr_expect_float_eq(s.lat_mean.mean, 0.010, 1e-9);
	sim_summary_release(&s);
}
