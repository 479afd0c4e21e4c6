/*
 * test_network.c - the network between the clients and the server
 * (workload.client.rtt): a request reaches the server 1.5 round trips
 * after it is sent on a new connection (2.5 with TLS), 0.5 on a kept-alive
 * one, and its answer the client 0.5 after the server sends it. Checked
 * against an M/M/1 (theory + 2 rtt), keep-alive (+1 rtt on the reused
 * ones), the machine-repairman closed loop with the network as part of
 * the users' cycle (the interactive response time law), timeouts and
 * deadlines counted from the client's send, a trace's times as sends,
 * session messages (+1 rtt), calls between services (none), and the
 * scenario writer. Tolerances: the runs' own 99.9 % Student-t intervals
 * (exact figures where nothing is random).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "scenario/scenario.h"
#include "scenario/trace.h"
#include "testlib.h"

#define REPS 10

/* An M/M/1 (Poisson 500/s, exponential cpu of mean 1 ms, one event loop
 * on one core, no overheads) with client section `client` and extra
 * workload lines `more`, over REPS replications. */
static struct sim_summary mm1(const char *client, const char *more)
{
	static char y[2048];
	snprintf(
	    y, sizeof y,
	    "seed: 11\nduration: 200s\nwarmup: 5s\nreplications: %d\n"
	    "workload:\n"
	    "  arrivals: { process: poisson, rate: 500/s }\n"
	    "  client: %s\n%s"
	    "  classes: [ { name: c, phases: [ {cpu: {dist: exponential, "
	    "mean: 1ms}} ] } ]\n"
	    "systems: [ { name: s, model: event-loop, cores: 1, overheads: "
	    "zero } ]\n",
	    REPS, client, more);
	struct sim_summary s;
	tl_run(y, &s, 1);
	return s;
}

Test(network, mm1_latency_is_theory_plus_two_round_trips, .timeout = 120)
{
	/* W = 1 / (mu - lambda) = 2 ms, and 1.5 rtt out, 0.5 back on a new
	 * connection per request */
	const double rtt = 0.005, W = 1 / (1000.0 - 500.0);
	struct sim_summary s = mm1("{ rtt: 5ms }", "");
	tl_expect_within("mean latency", s.lat_mean, REPS, W + 2 * rtt);
	/* the network adds delay, not work: the server's utilisation is
	 * rho, whatever the round trip */
	cr_expect_float_eq(tl_reported(&s, "utilization", "cpu"), 0.5, 0.01);
	sim_summary_release(&s);
}

Test(network, a_reused_connection_costs_one_round_trip, .timeout = 120)
{
	/* reuse 1e6: the clients keep as many connections as they ever have
	 * requests in flight at once, and nearly every request goes on one
	 * of them, 0.5 rtt out and 0.5 back; the few new ones
	 * (connections.opened_per_s of the throughput) pay 1 rtt more. With
	 * nearly all delayed alike, the server still sees Poisson arrivals
	 * and W is the M/M/1's. (A mixture, such as reuse 10's one request
	 * in 10 on a new connection, is not: a burst finds no idle
	 * connection, opens new ones and is spread out by their longer
	 * delay, and the server queues less: 7.44 ms for 7.51 with rtt
	 * 5 ms, a real effect, which this test avoids.) */
	const double rtt = 0.005, W = 1 / (1000.0 - 500.0);
	struct sim_summary s =
	    mm1("{ rtt: 5ms }", "  connections: { reuse: 1000000 }\n");
	double opened = tl_reported(&s, "connections", "opened_per_s");
	double fnew = opened / s.throughput_rps.mean;
	cr_expect(fnew < 0.001, "new connections: %g", fnew);
	tl_expect_within("mean latency", s.lat_mean, REPS,
			 W + rtt * (1 + fnew));
	sim_summary_release(&s);
}

/* 10 s of requests every 10 ms (process constant), each `phases`, with
 * client section `client` and extra workload lines `more`, on 4 cores: no
 * queueing. */
static struct sim_summary steady(const char *client, const char *phases,
				 const char *more)
{
	static char y[2048];
	snprintf(
	    y, sizeof y,
	    "seed: 4\nduration: 10s\nwarmup: 0s\nreplications: 2\n"
	    "workload:\n"
	    "  arrivals: { process: constant, rate: 100/s }\n"
	    "  client: %s\n%s"
	    "  classes: [ { name: c, phases: %s } ]\n"
	    "systems: [ { name: s, model: event-loop, cores: 4, overheads: "
	    "zero } ]\n",
	    client, more, phases);
	struct sim_summary s;
	tl_run(y, &s, 1);
	return s;
}

Test(network, each_connection_pays_its_handshakes)
{
	/* 1 ms of cpu, nothing to wait for: the latency is 1 ms and the
	 * network's, exactly */
	struct sim_summary s = steady("{ rtt: 4ms }", "[ {cpu: 1ms} ]", "");
	cr_expect_float_eq(s.lat_mean.mean, 0.001 + 2 * 0.004, 1e-9, "%.9g",
			   s.lat_mean.mean);
	cr_expect_float_eq(s.lat_max, 0.001 + 2 * 0.004, 1e-9);
	sim_summary_release(&s);
	/* reuse 4, open arrivals 10 ms apart: one connection, new for one
	 * request in 4 (2 rtt), kept alive for 3 (1 rtt) */
	s = steady("{ rtt: 4ms }", "[ {cpu: 1ms} ]",
		   "  connections: { reuse: 4 }\n");
	/* the window's edge cuts a connection's four */
	cr_expect_float_eq(s.lat_mean.mean, 0.001 + 1.25 * 0.004, 2e-6, "%.9g",
			   s.lat_mean.mean);
	/* within the histogram's resolution */
	cr_expect_float_eq(s.p50.mean, 0.001 + 0.004, 2e-5, "%.9g", s.p50.mean);
	cr_expect_float_eq(s.lat_max, 0.001 + 2 * 0.004, 1e-9);
	sim_summary_release(&s);
	/* TLS 1.3: one more round trip before the request can go */
	s = steady("{ rtt: 4ms }", "[ {cpu: 1ms} ]",
		   "  connections: { tls: true }\n");
	cr_expect_float_eq(s.lat_mean.mean, 0.001 + 3 * 0.004, 1e-9, "%.9g",
			   s.lat_mean.mean);
	sim_summary_release(&s);
}

/* Timeouts (outcome "timeout") of s. */
static double timeouts(const struct sim_summary *s)
{
	return s->errors[SIM_OUT_TIMEOUT];
}

Test(network, the_timeout_counts_from_the_send)
{
	/* 1 ms of cpu, rtt 4 ms: the answer reaches the client 9 ms after
	 * the send. A 10 ms timeout: all good. */
	struct sim_summary s =
	    steady("{ rtt: 4ms, timeout: 10ms }", "[ {cpu: 1ms} ]", "");
	cr_expect_eq(timeouts(&s), 0);
	cr_expect_float_eq(s.goodput_rps.mean, 100, 0.2);
	sim_summary_release(&s);
	/* An 8 ms timeout: the server answers at 7 ms, the client gives up
	 * at 8 while the answer is on its way: every request sent by 9.992 s
	 * times out (999 of them), the server's work is wasted */
	s = steady("{ rtt: 4ms, timeout: 8ms }", "[ {cpu: 1ms} ]", "");
	cr_expect_eq(s.goodput_rps.mean, 0);
	cr_expect_float_eq(timeouts(&s), 999, 1e-9);
	cr_expect_float_eq(s.wasted, s.completed, 1e-9);
	cr_expect_gt(s.completed, 990);
	sim_summary_release(&s);
	/* A 5 ms timeout with cancellation: the client gives up before the
	 * request reaches the server (6 ms), which never sees it; requests
	 * sent by 9.995 s time out in the window (999) */
	s = steady("{ rtt: 4ms, timeout: 5ms, cancel: true }", "[ {cpu: 1ms} ]",
		   "");
	cr_expect_float_eq(timeouts(&s), 999, 1e-9);
	cr_expect_eq(s.completed, 0);
	cr_expect_eq(tl_reported(&s, "utilization", "cpu"), 0);
	sim_summary_release(&s);
	/* without cancellation it still arrives and is served, for nothing */
	s = steady("{ rtt: 4ms, timeout: 5ms }", "[ {cpu: 1ms} ]", "");
	cr_expect_float_eq(timeouts(&s), 999, 1e-9);
	cr_expect_gt(s.completed, 990);
	cr_expect_float_eq(s.wasted, s.completed, 1e-9);
	sim_summary_release(&s);
}

Test(network, the_deadline_counts_from_the_send)
{
	/* the answer reaches the client 9 ms after the send (1 ms of cpu,
	 * 2 rtt of 4 ms): a deadline of 8 ms takes every answer out of
	 * goodput, one of 10 ms none */
	struct sim_summary s =
	    steady("{ rtt: 4ms, deadline: 8ms }", "[ {cpu: 1ms} ]", "");
	cr_expect_eq(s.goodput_rps.mean, 0);
	cr_expect_float_eq(s.throughput_rps.mean, 100, 0.2);
	sim_summary_release(&s);
	s = steady("{ rtt: 4ms, deadline: 10ms }", "[ {cpu: 1ms} ]", "");
	cr_expect_float_eq(s.goodput_rps.mean, 100, 0.2);
	sim_summary_release(&s);
}

Test(network, a_trace_gives_the_sends, .init = tl_mktmp, .fini = tl_rmtmp)
{
	/* 200 rows 10 ms apart from 5 ms, 1 ms of cpu each, replayed with
	 * rtt 3 ms: sent at the trace's times (100/s offered over the 2 s),
	 * each answered 1 ms + 2 rtt later */
	char path[512], y[1024];
	snprintf(path, sizeof path, "%s/t.csv", tl_tmpdir());
	FILE *f = fopen(path, "w");
	cr_assert(f);
	cr_assert_eq(sim_trace_write_header(f, 1), 0);
	for (int i = 0; i < 200; i++) {
		double d = 0.001;
		cr_assert_eq(
		    sim_trace_write_row(f, 0.005 + 0.01 * i, "c", &d, 1, 1), 0);
	}
	cr_assert_eq(fclose(f), 0);
	snprintf(
	    y, sizeof y,
	    "seed: 1\nduration: 2s\nwarmup: 0s\nreplications: 1\n"
	    "workload:\n"
	    "  arrivals: { process: trace, file: %s }\n"
	    "  client: { rtt: 3ms }\n"
	    "  classes: [ { name: c, phases: [ {cpu: 1ms} ] } ]\n"
	    "systems: [ { name: s, model: event-loop, overheads: zero } ]\n",
	    path);
	struct sim_summary s;
	tl_run(y, &s, 1);
	cr_expect_float_eq(s.offered_rps.mean, 100, 1e-9, "%g/s",
			   s.offered_rps.mean);
	cr_expect_float_eq(s.lat_mean.mean, 0.001 + 2 * 0.003, 1e-9, "%.9g",
			   s.lat_mean.mean);
	sim_summary_release(&s);
}

Test(network, a_retry_crosses_the_network_again)
{
	/* rtt 4 ms, a 3 ms timeout, one retry 1 ms after it without
	 * jitter: each attempt times out 3 ms after its own send, before
	 * the server (6 ms) has it; the retry goes out 4 ms after the first
	 * send and over the network again */
	struct sim_summary s = steady("{ rtt: 4ms, timeout: 3ms, retries: { "
				      "max: 1, backoff: 1ms, jitter: none } }",
				      "[ {cpu: 1ms} ]", "");
	/* requests sent at 10 ms ... 10 s: first attempts time out by 10 s
	 * if sent by 9.997 s (999), retries if sent by 9.993 s (999) */
	cr_expect_float_eq(timeouts(&s), 999 + 999, 1e-9);
	/* each attempt reached the server 6 ms after its send: the server
	 * served both, 2 x 1 ms each 10 ms */
	cr_expect_float_eq(tl_reported(&s, "utilization", "cpu"), 0.2 / 4,
			   0.002);
	sim_summary_release(&s);
}

Test(network, a_closed_loop_cycles_through_the_network, .timeout = 60)
{
	/* N = 10 users, think Z = 45 ms, one server S = 5 ms, exponential,
	 * rtt 5 ms: a user's cycle is its think, 2 rtt on the network and
	 * the server, so the server sees a machine-repairman M/M/1//N with
	 * think Z' = Z + 2 rtt: P0 = 1 / sum_k N!/(N-k)! (S/Z')^k,
	 * X = (1 - P0) / S; and the users see R = N / X - Z (the
	 * interactive response time law, R counted from send to answer,
	 * the 2 rtt in it) */
	const int N = 10;
	const double S = 0.005, Z = 0.045, rtt = 0.005, Zn = Z + 2 * rtt;
	double sum = 0, term = 1;
	for (int k = 0; k <= N; k++) {
		sum += term;
		term *= (N - k) * (S / Zn);
	}
	double X = (1 - 1 / sum) / S, R = N / X - Z;
	struct sim_summary s;
	tl_run("seed: 3\nduration: 300s\nwarmup: 10s\nreplications: 10\n"
	       "workload:\n"
	       "  closed: { users: 10, think: { dist: exponential, mean: 45ms "
	       "} }\n"
	       "  client: { rtt: 5ms }\n"
	       "  classes: [ { name: c, phases: [ {cpu: {dist: exponential, "
	       "mean: 5ms}} ] } ]\n"
	       "systems: [ { name: s, model: event-loop, overheads: zero } ]\n",
	       &s, 1);
	tl_expect_within("throughput", s.throughput_rps, 10, X);
	tl_expect_within("response time", s.lat_mean, 10, R);
	sim_summary_release(&s);
}

Test(network, a_session_message_takes_a_round_trip, .timeout = 60)
{
	/* 20 sessions, 5 messages/s each, 1 ms of io per message on an event
	 * loop (no queueing): every message 1 ms + 0.5 rtt each way */
	struct sim_summary s;
	tl_run("seed: 2\nduration: 20s\nwarmup: 2s\nreplications: 2\n"
	       "workload:\n"
	       "  arrivals: { process: poisson, rate: 1/m }\n"
	       "  client: { rtt: 6ms }\n"
	       "  classes: [ { name: x, phases: [ { cpu: 1us } ] } ]\n"
	       "  sessions:\n"
	       "    count: 20\n"
	       "    lifetime: { dist: exponential, mean: 2s }\n"
	       "    messages: { rate: 5/s, phases: [ { io: 1ms } ] }\n"
	       "systems: [ { name: s, model: event-loop, overheads: zero } ]\n",
	       &s, 1);
	cr_expect_float_eq(tl_reported(&s, "sessions.latency_s", "p50"),
			   0.001 + 0.006, 2e-4);
	cr_expect_float_eq(tl_reported(&s, "sessions.latency_s", "max"),
			   0.001 + 0.006, 1e-9);
	/* messages flow at about 20 x 5/s, less the time each session takes
	 * to open again after its end (2 rtt from the client's reconnect
	 * to its knowing it open, of a 2 s mean lifetime) */
	double m = tl_reported(&s, "sessions", "messages_rps");
	cr_expect(m > 90 && m < 101, "messages %g/s", m);
	/* a message sent within 0.5 rtt before the server ended its session,
	 * or before the client learnt of it 0.5 rtt later, reaches a closed
	 * connection and is lost: rtt x 5/s per session's end, 10 ends a
	 * second for 20 s, about 6 a replication */
	double lost = tl_reported(&s, "sessions", "messages_failed");
	cr_expect(lost >= 1 && lost <= 15, "lost %g", lost);
	sim_summary_release(&s);
}

/* A gateway (1 ms of cpu) calling a service (2 ms of cpu, 3 ms of io), 10
 * requests a second, nothing queues; client section `client`. */
static struct sim_summary gateway(const char *client)
{
	static char y[1024];
	snprintf(
	    y, sizeof y,
	    "seed: 14\nduration: 10s\nwarmup: 1s\nreplications: 2\n"
	    "workload:\n"
	    "  arrivals: { process: constant, rate: 10/s }\n"
	    "  client: %s\n"
	    "  classes:\n"
	    "    - name: q\n"
	    "      phases:\n"
	    "        - cpu: 1ms\n"
	    "        - call: { service: svc, phases: [ { cpu: 2ms }, { io: "
	    "3ms } ] }\n"
	    "services:\n"
	    "  svc: { model: event-loop, overheads: zero }\n"
	    "systems: [ { name: front, model: event-loop, overheads: zero "
	    "} ]\n",
	    client);
	struct sim_summary s;
	tl_run(y, &s, 1);
	return s;
}

Test(network, calls_between_services_take_no_round_trip)
{
	/* the rtt is the clients' network: the call inside the data centre
	 * takes none (6 ms + 2 rtt, not 4), and where the server's time
	 * went (time_share) is the same with or without it */
	struct sim_summary a = gateway("{}");
	struct sim_summary b = gateway("{ rtt: 5ms }");
	cr_expect_float_eq(a.lat_mean.mean, 0.006, 1e-9, "%.9g",
			   a.lat_mean.mean);
	cr_expect_float_eq(b.lat_mean.mean, 0.006 + 2 * 0.005, 1e-9, "%.9g",
			   b.lat_mean.mean);
	static const char *const keys[] = {"cpu", "io", "waiting",
					   "service_svc"};
	for (size_t k = 0; k < 4; k++) {
		double x = tl_reported(&a, "time_share.mean", keys[k]);
		double y = tl_reported(&b, "time_share.mean", keys[k]);
		cr_expect_float_eq(x, y, 1e-9, "time_share.mean.%s: %g, %g",
				   keys[k], x, y);
	}
	cr_expect_gt(tl_reported(&a, "time_share.mean", "service_svc"), 0.5);
	sim_summary_release(&a);
	sim_summary_release(&b);
}

/* The scenario as the writer puts it (scenario.yaml of a run). */
static char *written(const char *yaml)
{
	struct sim_scenario sc;
	tl_load(yaml, &sc);
	char *buf;
	size_t n;
	FILE *f = open_memstream(&buf, &n);
	cr_assert(f);
	cr_assert_eq(sim_scenario_write_yaml(&sc, f), 0);
	fclose(f);
	sim_scenario_release(&sc);
	return buf;
}

Test(network, the_writer_puts_rtt_only_when_set)
{
	const char *a = "duration: 1s\nworkload:\n  arrivals: { rate: 1/s }\n"
			"  classes: [ { name: c, phases: [ {cpu: 1ms} ] } ]\n"
			"systems: [ { name: s, model: event-loop } ]\n";
	const char *b = "duration: 1s\nworkload:\n  arrivals: { rate: 1/s }\n"
			"  client: { rtt: 250us }\n"
			"  classes: [ { name: c, phases: [ {cpu: 1ms} ] } ]\n"
			"systems: [ { name: s, model: event-loop } ]\n";
	/* without it, as before the key existed (scenario hashes stay) */
	char *ya = written(a), *yb = written(b);
	cr_expect_null(strstr(ya, "rtt"), "%s", ya);
	cr_expect_not_null(strstr(yb, "    rtt: 250us\n"), "%s", yb);
	free(ya);
	free(yb);
}
