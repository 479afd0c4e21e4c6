/*
 * test_sessions.c - connections and sessions against queueing theory and
 * their bad inputs: messages of N sessions on an event loop are an M/G/1
 * queue at the aggregate rate; a constant connection_overhead on every new
 * connection (reuse 1) is an M/G/1 with the overhead added to each
 * service; with zero overheads keep-alive changes nothing; the memory of
 * sessions is linear in their number. Tolerances: the simulation's own
 * 99.9 % intervals (tl_expect_within).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "testlib.h"

#define REPS 10

/* Per-replication figure group.key of system 0, as an estimate. */
static struct sim_est per_rep(const char *yaml, const char *group,
			      const char *key)
{
	struct sim_scenario sc;
	tl_load(yaml, &sc);
	double x[REPS];
	for (int r = 0; r < REPS; r++) {
		struct sim_rep_result res;
		const char *why = NULL;
		int rc = sim_run_one(&sc, 0, r, 0, NULL, &res, &why);
		cr_assert_eq(rc, 0, "run failed: %s", why ? why : "");
		x[r] = sim_metrics_get(&res.metrics, group, key, NAN);
		cr_assert(!isnan(x[r]), "%s.%s missing", group, key);
		sim_rep_release(&res);
	}
	sim_scenario_release(&sc);
	return sim_est_of(x, REPS);
}

Test(sessions, messages_on_a_loop_are_mg1_at_the_aggregate_rate, .timeout = 120)
{
	/* 100 sessions x 8 messages/s: Poisson at 800/s, service exp 1 ms:
	 * M/M/1 with rho 0.8, T = 1/(mu - lambda) = 5 ms */
	char yaml[1024];
	snprintf(yaml, sizeof yaml,
		 "name: v\nseed: 3\nduration: 300s\nwarmup: 10s\n"
		 "replications: %d\n"
		 "workload:\n"
		 "  arrivals: { process: poisson, rate: 1/m }\n"
		 "  classes: [ { name: x, phases: [ { cpu: 1us } ] } ]\n"
		 "  sessions:\n"
		 "    count: 100\n"
		 "    messages:\n"
		 "      rate: 8/s\n"
		 "      phases: [ { cpu: { dist: exponential, mean: 1ms } } ]\n"
		 "systems:\n"
		 "  - { name: n, model: event-loop, overheads: zero }\n",
		 REPS);
	struct sim_est e = per_rep(yaml, "sessions.latency_s", "mean");
	tl_expect_within("message mean", e, REPS, 0.005);
	struct sim_est r = per_rep(yaml, "sessions", "messages_rps");
	tl_expect_within("messages_rps", r, REPS, 800);
}

Test(sessions, a_broadcast_costs_cpu_per_recipient, .timeout = 120)
{
	/* 100 sessions x 8 messages/s; each message is sent to 50 of them
	 * at 20 us each: a constant 1 ms of service, M/D/1 at rho 0.8:
	 * T = S + rho S / (2 (1 - rho)) = 3 ms */
	char yaml[1024];
	snprintf(yaml, sizeof yaml,
		 "name: v\nseed: 4\nduration: 300s\nwarmup: 10s\n"
		 "replications: %d\n"
		 "workload:\n"
		 "  arrivals: { process: poisson, rate: 1/m }\n"
		 "  classes: [ { name: x, phases: [ { cpu: 1us } ] } ]\n"
		 "  sessions:\n"
		 "    count: 100\n"
		 "    messages: { rate: 8/s, phases: [ { cpu: 0us } ] }\n"
		 "    broadcast: { fanout: 50, phases: [ { cpu: 20us } ] }\n"
		 "systems:\n"
		 "  - { name: n, model: event-loop, overheads: zero }\n",
		 REPS);
	struct sim_est e = per_rep(yaml, "sessions.latency_s", "mean");
	tl_expect_within("message mean", e, REPS, 0.003);
}

/* `reps` replications of `secs` seconds at 900/s, exp(500 us) of cpu */
static char *conn_scenario(const char *conns, const char *sys, int secs,
			   int reps)
{
	static char buf[1024];
	snprintf(buf, sizeof buf,
		 "name: v\nseed: 5\nduration: %ds\nwarmup: 10s\n"
		 "replications: %d\n"
		 "workload:\n"
		 "  arrivals: { process: poisson, rate: 900/s }\n"
		 "%s"
		 "  classes:\n"
		 "    - { name: x, phases: [ { cpu: { dist: exponential, "
		 "mean: 500us } } ] }\n"
		 "systems:\n"
		 "  - { name: n, model: event-loop, overheads: zero%s }\n",
		 secs, reps, conns, sys);
	return buf;
}

Test(sessions, connection_overhead_is_added_to_every_new_connection,
     .timeout = 120)
{
	/* S = 0.5 ms + exp(0.5 ms): E[S] = 1 ms, E[S^2] = 1.25e-6 s^2;
	 * Pollaczek-Khinchine: T = E[S] + lambda E[S^2] / (2 (1 - rho)) */
	struct sim_summary s[1];
	tl_run(conn_scenario("", ", connection_overhead: 500us", 400, REPS), s,
	       1);
	tl_expect_within("mean", s[0].lat_mean, REPS,
			 1e-3 + 900 * 1.25e-6 / (2 * 0.1));
	sim_summary_release(&s[0]);
}

Test(sessions, keepalive_changes_nothing_without_overheads, .timeout = 60)
{
	struct sim_summary a[1], b[1];
	tl_run(conn_scenario("", "", 20, 2), a, 1);
	tl_run(conn_scenario("  connections: { reuse: { mean: 20 } }\n", "", 20,
			     2),
	       b, 1);
	cr_expect_eq(a[0].lat_mean.mean, b[0].lat_mean.mean);
	cr_expect_eq(a[0].p99.mean, b[0].p99.mean);
	sim_summary_release(&a[0]);
	sim_summary_release(&b[0]);
}

Test(sessions, keepalive_saves_the_connection_cost, .timeout = 60)
{
	/* reuse 20 on a 5 s keep-alive at 900/s: almost every request finds
	 * an idle connection; the loop's busy fraction drops by nearly
	 * 900 x 500 us */
	struct sim_summary a[1], b[1];
	tl_run(conn_scenario("", ", connection_overhead: 500us", 60, 2), a, 1);
	tl_run(conn_scenario("  connections: { reuse: 20 }\n",
			     ", connection_overhead: 500us", 60, 2),
	       b, 1);
	double ua = tl_reported(&a[0], "utilization", "loop");
	double ub = tl_reported(&b[0], "utilization", "loop");
	cr_expect(fabs(ua - 0.9) < 0.01, "reuse 1: %g", ua);
	cr_expect(fabs(ub - (0.45 + 0.45 / 20)) < 0.01, "reuse 20: %g", ub);
	cr_expect(tl_reported(&b[0], "connections", "opened_per_s") < 50);
	sim_summary_release(&a[0]);
	sim_summary_release(&b[0]);
}

static double session_memory(int count, const char *model)
{
	char yaml[1024];
	snprintf(yaml, sizeof yaml,
		 "name: m\nseed: 1\nduration: 2s\nwarmup: 2s\n"
		 "replications: 1\n"
		 "workload:\n"
		 "  arrivals: { process: poisson, rate: 1/m }\n"
		 "  classes: [ { name: x, phases: [ { cpu: 1us } ] } ]\n"
		 "  sessions: { count: %d, ramp: 1s, messages: { rate: 0/s, "
		 "phases: "
		 "[ { cpu: 1ms } ] } }\n"
		 "systems:\n"
		 "  - { name: n, model: %s, cores: 4 }\n",
		 count, model);
	struct sim_summary s[1];
	tl_run(yaml, s, 1);
	double m = tl_reported(&s[0], "", "memory_peak_bytes");
	cr_expect_eq(tl_reported(&s[0], "sessions", "open_max"), count);
	sim_summary_release(&s[0]);
	return m;
}

Test(sessions, memory_is_linear_in_sessions, .timeout = 60)
{
	const char *models[] = {"event-loop", "async"};
	double per[] = {5689, 25898};
	for (int k = 0; k < 2; k++) {
		double m1 = session_memory(1000, models[k]);
		double m2 = session_memory(2000, models[k]);
		double m4 = session_memory(4000, models[k]);
		cr_expect_eq(m2 - m1, 1000 * per[k], "%s", models[k]);
		cr_expect_eq(m4 - m2, 2000 * per[k], "%s", models[k]);
	}
}

Test(sessions, a_sync_pool_holds_one_session_per_thread, .timeout = 60)
{
	struct sim_summary s[1];
	tl_run("name: m\nseed: 1\nduration: 2s\nwarmup: 1s\n"
	       "replications: 1\n"
	       "workload:\n"
	       "  arrivals: { process: poisson, rate: 1/m }\n"
	       "  classes: [ { name: x, phases: [ { cpu: 1ms } ] } ]\n"
	       "  sessions: { count: 100, messages: { rate: 1/s, phases: "
	       "[ { cpu: 1ms } ] } }\n"
	       "systems:\n"
	       "  - { name: n, model: worker-pool, workers: 3, threads: 4, "
	       "cache_refill: 0s }\n",
	       s, 1);
	cr_expect_eq(tl_reported(&s[0], "sessions", "open_max"), 12);
	/* their messages run on the threads that hold them: 1 ms of Python
	 * and the 254 us of request_overhead, alone on their cores (no cache
	 * refill here: test_cache_refill.c has it) */
	double lat = tl_reported(&s[0], "sessions.latency_s", "mean");
	cr_expect(lat >= 1.254e-3 && lat < 2e-3, "message latency %g", lat);
	cr_expect_gt(tl_reported(&s[0], "sessions", "messages_rps"), 5);
	sim_summary_release(&s[0]);
}

Test(sessions, sessions_beyond_the_memory_limit_meet_the_oom_killer,
     .timeout = 60)
{
	/* 55 MiB + 4 x 20 KiB of process, 5689 B per session: about 8000
	 * sessions fit in 100 MiB, 10000 do not */
	struct sim_summary s[1];
	tl_run("name: m\nseed: 1\nduration: 3s\nwarmup: 0s\n"
	       "replications: 1\n"
	       "workload:\n"
	       "  arrivals: { process: poisson, rate: 1/m }\n"
	       "  classes: [ { name: x, phases: [ { cpu: 1us } ] } ]\n"
	       "  sessions: { count: 10000, ramp: 1s, messages: { rate: 0/s, "
	       "phases: [ { cpu: 1ms } ] } }\n"
	       "systems:\n"
	       "  - { name: n, model: event-loop, memory: 100MiB }\n",
	       s, 1);
	cr_expect_gt(tl_reported(&s[0], "memory", "oom_kills"), 0);
	cr_expect_gt(tl_reported(&s[0], "sessions", "killed"), 0);
	/* (100 MiB - 55 MiB - 80 KiB) / 5689 B: 8279 sessions at most */
	double open = tl_reported(&s[0], "sessions", "open_max");
	cr_expect(open > 8000 && open <= 8279, "open_max %g", open);
	sim_summary_release(&s[0]);
}

static void expect_rejected(const char *yaml, const char *what)
{
	char *msg = tl_rejected(yaml);
	cr_expect(strstr(msg, what) != NULL, "got: %s", msg);
	cr_expect(strncmp(msg, "test.yaml:", 10) == 0, "got: %s", msg);
	free(msg);
}

#define BASE                                                                   \
	"name: b\nduration: 2s\n"                                              \
	"workload:\n"                                                          \
	"  arrivals: { process: poisson, rate: 1/s }\n"                        \
	"  classes: [ { name: x, phases: [ { cpu: 1ms } ] } ]\n"

Test(sessions, bad_inputs_are_rejected)
{
	expect_rejected(BASE "  connections: { reuse: 0 }\n"
			     "systems: [ { name: n, model: event-loop } ]\n",
			"'reuse'");
	expect_rejected(BASE "  sessions: { count: 10, messages: { rate: 1/s, "
			     "phases: [ { cpu: 1ms } ] }, broadcast: { "
			     "fanout: 11, phases: [ { cpu: 1us } ] } }\n"
			     "systems: [ { name: n, model: event-loop } ]\n",
			"'fanout'");
	expect_rejected(BASE "  sessions: { count: 10, ramp: 30s, messages: { "
			     "rate: 1/s, phases: [ { cpu: 1ms } ] } }\n"
			     "systems: [ { name: n, model: event-loop } ]\n",
			"'ramp'");
	expect_rejected(BASE "  sessions: { count: 10, messages: { rate: 1/s, "
			     "phases: [ { cpu: 1ms } ] } }\n"
			     "systems: [ { name: n, model: replicas, replicas: "
			     "2, replica: { model: event-loop } } ]\n",
			"cannot hold sessions");
}

Test(sessions, check_reports_bad_sessions_with_exit_2)
{
	tl_mktmp();
	tl_write("s.yaml",
		 BASE "  sessions: { count: 10, messages: { rate: "
		      "1/s, phases: [ { cpu: 1ms } ] }, broadcast: { "
		      "fanout: 20, phases: [ { cpu: 1us } ] } }\n"
		      "systems: [ { name: n, model: event-loop } ]\n");
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "cd %s && %s check s.yaml 2>&1", tl_tmpdir(),
		 tl_bin());
	char *out = NULL;
	cr_expect_eq(tl_capture(cmd, &out), 2);
	cr_expect(strncmp(out, "s.yaml:6:98: error: ", 20) == 0, "got: %s",
		  out);
	cr_expect(strstr(out, "'fanout': 20 recipients") != NULL, "got: %s",
		  out);
	free(out);
	tl_rmtmp();
}
