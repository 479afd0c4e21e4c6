/*
 * test_services.c - calls between services against queueing theory, and
 * the scenario errors of services.
 *
 * The front of every validation is an event loop with `overheads: zero`
 * whose only phases are calls: its callbacks cost nothing, so a request's
 * latency is the sum of its calls' times, and the services are the
 * textbook queues (an M/M/1 per single-core server):
 *   - Jackson tandem: a processor-sharing front (a worker pool of many
 *     workers on one core with quantum 0) then a FCFS back (an event loop)
 *     with exponential demands: T = 1/(mu1 - lambda) + 1/(mu2 - lambda);
 *   - a closed two-tier network with think time: exact Mean Value
 *     Analysis;
 *   - a shared service caps the goodput of any number of replicas;
 *   - a call with zero-cost phases to an idle service adds nothing.
 * As elsewhere, theory must lie in the simulation's own 99.9 % interval.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "testlib.h"

#define FRONT "{ name: front, model: event-loop, overheads: zero }"

Test(services, jackson_tandem_is_the_sum_of_two_mm1, .timeout = 120)
{
	struct sim_summary s;
	tl_run("seed: 11\nduration: 200s\nwarmup: 5s\nreplications: 10\n"
	       "workload:\n"
	       "  arrivals: { rate: 500/s }\n"
	       "  classes:\n"
	       "    - name: q\n"
	       "      phases:\n"
	       "        - call: { service: ps, phases: [ { cpu: { dist: "
	       "exponential, mean: 1ms } } ] }\n"
	       "        - call: { service: fcfs, phases: [ { cpu: { dist: "
	       "exponential, mean: 1.25ms } } ] }\n"
	       "services:\n"
	       "  ps: { model: worker-pool, workers: 64, cores: 1, quantum: "
	       "0s, overheads: zero }\n"
	       "  fcfs: { model: event-loop, cores: 1, overheads: zero }\n"
	       "systems: [ " FRONT " ]\n",
	       &s, 1);
	double lambda = 500, T = 1 / (1000 - lambda) + 1 / (800 - lambda);
	tl_expect_within("tandem mean", s.lat_mean, 10, T);
	cr_expect_float_eq(tl_reported(&s, "services.fcfs.utilization", "cpu"),
			   lambda / 800, 0.02);
	sim_summary_release(&s);
}

/* Exact MVA of a closed network: N users, think time Z, single-server
 * FCFS stations with demands D[k]. Returns the response time. */
static double mva(int N, double Z, const double *D, int K)
{
	double Q[8] = {0}, R = 0;
	for (int n = 1; n <= N; n++) {
		double Rk[8];
		R = 0;
		for (int k = 0; k < K; k++)
			R += Rk[k] = D[k] * (1 + Q[k]);
		double X = n / (Z + R);
		for (int k = 0; k < K; k++)
			Q[k] = X * Rk[k];
	}
	return R;
}

Test(services, closed_two_tier_matches_mean_value_analysis, .timeout = 120)
{
	struct sim_summary s;
	tl_run("seed: 12\nduration: 200s\nwarmup: 5s\nreplications: 10\n"
	       "workload:\n"
	       "  closed: { users: 12, think: { dist: exponential, mean: "
	       "20ms } }\n"
	       "  classes:\n"
	       "    - name: q\n"
	       "      phases:\n"
	       "        - call: { service: app, phases: [ { cpu: { dist: "
	       "exponential, mean: 1ms } } ] }\n"
	       "        - call: { service: db, phases: [ { cpu: { dist: "
	       "exponential, mean: 2ms } } ] }\n"
	       "services:\n"
	       "  app: { model: event-loop, cores: 1, overheads: zero }\n"
	       "  db: { model: event-loop, cores: 1, overheads: zero }\n"
	       "systems: [ " FRONT " ]\n",
	       &s, 1);
	/* two FCFS stations and the users' think time (a delay station) */
	double D[2] = {0.001, 0.002};
	tl_expect_within("closed two-tier response", s.lat_mean, 10,
			 mva(12, 0.020, D, 2));
	sim_summary_release(&s);
}

Test(services, a_shared_service_caps_any_number_of_replicas, .timeout = 60)
{
	/* the database does 1 ms of work per call on 2 cores: at most
	 * 2000/s, whatever the number of replicas that share it */
	for (int n = 1; n <= 16; n *= 4) {
		char y[1024];
		snprintf(y, sizeof y,
			 "seed: 13\nduration: 10s\nwarmup: 1s\nreplications: "
			 "3\n"
			 "workload:\n"
			 "  arrivals: { rate: 3000/s }\n"
			 "  classes:\n"
			 "    - name: q\n"
			 "      phases:\n"
			 "        - cpu: 100us\n"
			 "        - call: { service: db, phases: [ { cpu: 1ms "
			 "} ] }\n"
			 "services:\n"
			 "  db: { model: worker-pool, workers: 2, cores: 2, "
			 "overheads: zero }\n"
			 "systems:\n"
			 "  - { name: r, model: replicas, replicas: %d, hop: "
			 "0s, replica: { model: event-loop, cores: 1, "
			 "overheads: zero } }\n",
			 n);
		struct sim_summary s;
		tl_run(y, &s, 1);
		double thr = s.goodput_rps.mean;
		cr_expect(fabs(thr - 2000) < 20, "%d replicas: %g/s", n, thr);
		cr_expect(tl_reported(&s, "services.db.utilization", "cpu") >
			      0.99,
			  "%d replicas: db not saturated", n);
		sim_summary_release(&s);
	}
}

Test(services, a_zero_cost_call_to_an_idle_service_adds_nothing)
{
	struct sim_summary s;
	tl_run("seed: 14\nduration: 10s\nwarmup: 1s\nreplications: 2\n"
	       "workload:\n"
	       "  arrivals: { process: constant, rate: 10/s }\n"
	       "  classes:\n"
	       "    - name: q\n"
	       "      phases:\n"
	       "        - cpu: 1ms\n"
	       "        - call: { service: idle, phases: [ { cpu: 0s } ] }\n"
	       "services:\n"
	       "  idle: { model: event-loop, overheads: zero }\n"
	       "systems: [ " FRONT " ]\n",
	       &s, 1);
	cr_expect_float_eq(s.lat_mean.mean, 0.001, 1e-12);
	cr_expect_float_eq(s.p99.mean, 0.001, 0.001 * 0.01);
	sim_summary_release(&s);
}

Test(services, parallel_waits_for_the_slowest_and_hits_skip_the_call)
{
	struct sim_summary s;
	tl_run("seed: 15\nduration: 10s\nwarmup: 1s\nreplications: 2\n"
	       "workload:\n"
	       "  arrivals: { process: constant, rate: 10/s }\n"
	       "  classes:\n"
	       "    - name: q\n"
	       "      phases:\n"
	       "        - parallel:\n"
	       "            - call: { service: a, phases: [ { io: 3ms } ] }\n"
	       "            - call: { service: b, phases: [ { io: 5ms } ] }\n"
	       "        - call: { service: a, hit: 1, hit_cost: 1ms, phases: "
	       "[ { io: 9ms } ] }\n"
	       "services:\n"
	       "  a: { model: event-loop, overheads: zero }\n"
	       "  b: { model: event-loop, overheads: zero }\n"
	       "systems: [ " FRONT " ]\n",
	       &s, 1);
	cr_expect_float_eq(s.lat_mean.mean, 0.006, 1e-12);
	sim_summary_release(&s);
}

Test(services, a_failing_service_fails_its_callers_requests)
{
	/* every call times out after 1 ms (the service takes 10 ms), once
	 * retried: the callers' requests fail as timeouts */
	struct sim_summary s;
	tl_run("seed: 16\nduration: 10s\nwarmup: 1s\nreplications: 2\n"
	       "workload:\n"
	       "  arrivals: { process: constant, rate: 10/s }\n"
	       "  classes:\n"
	       "    - name: q\n"
	       "      phases:\n"
	       "        - call: { service: slow, timeout: 1ms, retries: { "
	       "max: 1, backoff: 0s }, phases: [ { io: 10ms } ] }\n"
	       "services:\n"
	       "  slow: { model: event-loop, overheads: zero }\n"
	       "systems: [ " FRONT " ]\n",
	       &s, 1);
	cr_expect_eq(s.goodput_rps.mean, 0);
	cr_expect(s.errors[SIM_OUT_TIMEOUT] > 99);
	cr_expect_float_eq(tl_reported(&s, "services.slow.errors", "timeout"),
			   2 * s.errors[SIM_OUT_TIMEOUT], 1e-9);
	sim_summary_release(&s);
}

Test(services, a_client_pool_wait_is_erlang_c, .timeout = 120)
{
	/* one process keeps at most 3 connections; each call holds one for
	 * an exponential 10 ms (a service that never queues): the pool is
	 * M/M/3, whose mean wait is C(3, a) / (3 mu - lambda) */
	struct sim_summary s;
	tl_run("seed: 17\nduration: 400s\nwarmup: 5s\nreplications: 10\n"
	       "workload:\n"
	       "  arrivals: { rate: 240/s }\n"
	       "  classes:\n"
	       "    - name: q\n"
	       "      phases:\n"
	       "        - call: { service: db, pool: 3, phases: [ { io: { "
	       "dist: exponential, mean: 10ms } } ] }\n"
	       "services:\n"
	       "  db: { model: event-loop, overheads: zero }\n"
	       "systems: [ " FRONT " ]\n",
	       &s, 1);
	double lambda = 240, mu = 100;
	double Wq = tl_erlang_c(3, lambda / mu) / (3 * mu - lambda);
	tl_expect_within("response with pool wait", s.lat_mean, 10,
			 Wq + 1 / mu);
	double w = tl_reported(&s, "services.db.pool", "wait_s_mean");
	cr_expect(fabs(w - Wq) < 0.05 * Wq, "pool wait %g vs %g", w, Wq);
	cr_expect_float_eq(tl_reported(&s, "services.db.pool", "waited_share"),
			   tl_erlang_c(3, lambda / mu), 0.02);
	sim_summary_release(&s);
}

Test(services, pools_beyond_max_connections_are_refused)
{
	/* 4 processes x pool 5 = 20 connections against max_connections 8:
	 * under load some processes cannot open theirs */
	struct sim_summary s;
	tl_run("seed: 18\nduration: 10s\nwarmup: 1s\nreplications: 2\n"
	       "workload:\n"
	       "  arrivals: { rate: 1500/s }\n"
	       "  classes:\n"
	       "    - name: q\n"
	       "      phases:\n"
	       "        - call: { service: db, pool: 5, phases: [ { io: 5ms "
	       "} ] }\n"
	       "services:\n"
	       "  db: { model: server, cores: 4, max_connections: 8, "
	       "overheads: zero }\n"
	       "systems: [ { name: front, model: event-loop, processes: 4, "
	       "cores: 4, overheads: zero } ]\n",
	       &s, 1);
	cr_expect(s.errors[SIM_OUT_REFUSED] > 0);
	cr_expect_eq(tl_reported(&s, "services.db.pool", "connections_peak"),
		     8);
	cr_expect(tl_reported(&s, "services.db.pool", "connections_refused") >
		  0);
	sim_summary_release(&s);
}

/* ------------------------------------------------------------ errors -- */

static void expect_error(const char *yaml, const char *want)
{
	char *msg = tl_rejected(yaml);
	cr_expect(msg && strstr(msg, want), "message '%s' lacks '%s'",
		  msg ? msg : "", want);
	free(msg);
}

#define HEAD                                                                   \
	"workload:\n"                                                          \
	"  arrivals: { rate: 1/s }\n"                                          \
	"  classes:\n"                                                         \
	"    - name: q\n"                                                      \
	"      phases:\n"
#define SYSTEMS "systems: [ { name: s, model: event-loop } ]\n"

Test(services, rejects_an_unknown_service_with_a_suggestion)
{
	expect_error(HEAD "        - call: { service: dbb, phases: [ {cpu: "
			  "1ms} ] }\n"
			  "services: { db: { model: event-loop } }\n" SYSTEMS,
		     "test.yaml:6:17: error: 'service': unknown service "
		     "'dbb'; did you mean 'db'?");
	expect_error(HEAD "        - cpu: 1ms\n"
			  "services: { db: { model: event-loop } }\n"
			  "systems: [ { name: s, model: event-loop, services: "
			  "{ dbx: { cores: 2 } } } ]\n",
		     "unknown service 'dbx'; did you mean 'db'?");
}

Test(services, rejects_a_cycle_of_calls)
{
	expect_error(HEAD "        - call:\n"
			  "            service: a\n"
			  "            phases:\n"
			  "              - call:\n"
			  "                  service: b\n"
			  "                  phases: [ { call: { service: a, "
			  "phases: [ {cpu: 1ms} ] } } ]\n"
			  "services: { a: { model: event-loop }, b: { model: "
			  "event-loop } }\n" SYSTEMS,
		     "test.yaml:11:37: error: 'service': a cycle of calls: "
		     "a -> b -> a");
}

Test(services, rejects_calls_nested_deeper_than_16)
{
	char y[8192], inner[6000] = "[ {cpu: 1ms} ]";
	for (int i = 0; i < 17; i++) {
		char t[6000];
		int k = snprintf(t, sizeof t,
				 "[ { call: { service: s%d, phases: %s } } ]",
				 i, inner);
		cr_assert(k > 0 && (size_t)k < sizeof t);
		strcpy(inner, t);
	}
	int n = snprintf(y, sizeof y,
			 "workload:\n  arrivals: { rate: 1/s }\n  classes: [ { "
			 "name: q, phases: %s } ]\nservices:\n",
			 inner);
	for (int i = 0; i < 17; i++)
		n += snprintf(y + n, sizeof y - (size_t)n,
			      "  s%d: { model: event-loop }\n", i);
	snprintf(y + n, sizeof y - (size_t)n, SYSTEMS);
	expect_error(y, "calls nested 17 deep; at most 16");
}

Test(services, rejects_parallel_in_a_sync_handler)
{
	expect_error("workload:\n  arrivals: { rate: 1/s }\n"
		     "  classes:\n    - name: q\n      handler: sync\n"
		     "      phases:\n"
		     "        - parallel: [ { call: { service: a, phases: [ "
		     "{cpu: 1ms} ] } } ]\n"
		     "services: { a: { model: event-loop } }\n" SYSTEMS,
		     "test.yaml:7:11: error: 'parallel' in a sync handler");
}

Test(services, cli_exits_2_on_an_unknown_service, .init = tl_mktmp,
     .fini = tl_rmtmp)
{
	char cmd[1024], *out = NULL;
	tl_write("s.yaml", "workload:\n  arrivals: { rate: 1/s }\n  classes: "
			   "[ { name: q, phases: [ { call: { service: x, "
			   "phases: [ { cpu: 1ms } ] } } ] } ]\nsystems: [ { "
			   "name: s, model: event-loop } ]\n");
	snprintf(cmd, sizeof cmd, "%s check %s/s.yaml 2>&1", tl_bin(),
		 tl_tmpdir());
	cr_expect_eq(tl_capture(cmd, &out), 2);
	cr_expect(strstr(out, ":3:43: error: 'service': unknown service 'x'"),
		  "%s", out);
	free(out);
}
