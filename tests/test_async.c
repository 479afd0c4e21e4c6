/*
 * test_async.c - the ASGI async model (uvicorn + FastAPI): validation
 * against queueing theory with `overheads: zero` (an async handler on one
 * loop is M/M/1; a sync handler doing only I/O in a pool of c threads is
 * M/M/c), and its mechanisms: the GIL convoy effect, head-of-line blocking
 * on the loop, uvloop's batched writes, limit_concurrency's 503s and
 * backlog refusals.
 *
 * Validation tolerances come from the simulation itself: the analytic value
 * must lie inside the 99.9 % Student-t confidence interval of the
 * replication means (half-width = ci95 * t(0.9995) / t(0.975)), and that
 * interval must be narrower than 5 % of the value. Mechanism checks compare
 * two systems fed the very same request stream (common random numbers) and
 * require the difference to exceed both 95 % intervals.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "runtime/gil.h"
#include "runtime/host.h"
#include "runtime/memory.h"
#include "runtime/model.h"
#include "testlib.h"

#define REPS 12

static struct sim_summary run_one(const char *yaml)
{
	struct sim_summary s[1];
	tl_run(yaml, s, 1);
	return s[0];
}

/* The scenario `fmt` with its one %s replaced by `v`, run. */
static struct sim_summary run_with(const char *fmt, const char *v)
{
	char y[2048];
	snprintf(y, sizeof y, fmt, v);
	return run_one(y);
}

/* ------------------------------------------------------------ validation -- */

Test(async, mm1_async_handler_matches_theory, .timeout = 120)
{
	/* lambda 800/s, mu 1000/s: T = 1/(mu - lambda) = 5 ms, response
	 * time exponential: p99 = ln(100)/(mu - lambda). 600 s per
	 * replication: at 300 s the p99's 99.9 % interval is about 5 % of
	 * the value, on the edge of informative. */
	char y[1024];
	snprintf(y, sizeof y,
		 "name: mm1\n"
		 "seed: 3\n"
		 "duration: 600s\n"
		 "warmup: 5s\n"
		 "replications: %d\n"
		 "workload:\n"
		 "  arrivals: { process: poisson, rate: 800/s }\n"
		 "  classes:\n"
		 "    - name: only\n"
		 "      phases:\n"
		 "        - cpu: { dist: exponential, mean: 1ms }\n"
		 "systems:\n"
		 "  - { name: uvicorn, model: async, cores: 1, "
		 "overheads: zero }\n",
		 REPS);
	struct sim_summary s = run_one(y);
	tl_expect_within("mean", s.lat_mean, REPS, 0.005);
	tl_expect_within("p99", s.p99, REPS, log(100.0) / 200.0);
	tl_expect_within("throughput", s.throughput_rps, REPS, 800.0);
	sim_summary_release(&s);
}

Test(async, mmc_sync_handler_in_threadpool_matches_erlang_c, .timeout = 120)
{
	/* 4 pool threads, 10 ms of blocking I/O each, 320/s: rho 0.8 */
	char y[1024];
	snprintf(y, sizeof y,
		 "name: mmc\n"
		 "seed: 5\n"
		 "duration: 300s\n"
		 "warmup: 5s\n"
		 "replications: %d\n"
		 "workload:\n"
		 "  arrivals: { process: poisson, rate: 320/s }\n"
		 "  classes:\n"
		 "    - name: only\n"
		 "      handler: sync\n"
		 "      phases:\n"
		 "        - io: { dist: exponential, mean: 10ms }\n"
		 "systems:\n"
		 "  - { name: uvicorn, model: async, cores: 1, threadpool: 4, "
		 "overheads: zero }\n",
		 REPS);
	struct sim_summary s = run_one(y);
	double t = tl_mmc_response(4, 320, 100);
	tl_expect_within("mean", s.lat_mean, REPS, t);
	cr_expect_float_eq(tl_reported(&s, "queues.max", "gil"), 0, 1e-12);
	sim_summary_release(&s);
}

/* ------------------------------------------------------------ mechanisms -- */

Test(async, gil_convoy_slows_io_bound_sync_handlers, .timeout = 60)
{
	/* An I/O-bound sync handler (20 small queries: 50 us of Python
	 * then 500 us of blocking I/O each, the N+1 pattern) beside a
	 * CPU-bound async handler (10 ms of Python on the loop), one worker
	 * on 2 cores, the same request stream with and without the GIL.
	 * With the GIL, every return from I/O during a CPU-bound callback
	 * waits for the loop to be forced off, up to the 5 ms interval. */
	char y[4096];
	int n = snprintf(y, sizeof y,
			 "name: convoy\n"
			 "seed: 9\n"
			 "duration: 30s\n"
			 "warmup: 2s\n"
			 "replications: 6\n"
			 "workload:\n"
			 "  arrivals: { process: poisson, rate: 100/s }\n"
			 "  classes:\n"
			 "    - name: io\n"
			 "      weight: 0.6\n"
			 "      handler: sync\n"
			 "      phases:\n");
	for (int i = 0; i < 20; i++)
		n += snprintf(y + n, sizeof y - (size_t)n,
			      "        - cpu: 50us\n"
			      "        - io: { dist: exponential, "
			      "mean: 500us }\n");
	snprintf(y + n, sizeof y - (size_t)n,
		 "        - cpu: 50us\n"
		 "    - name: crunch\n"
		 "      weight: 0.4\n"
		 "      phases:\n"
		 "        - cpu: { dist: exponential, mean: 10ms }\n"
		 "systems:\n"
		 "  - { name: gil, model: async, cores: 2 }\n"
		 "  - { name: nogil, model: async, cores: 2, gil: false }\n");
	struct sim_summary s[2];
	tl_run(y, s, 2);
	struct sim_est g = s[0].classes[0].lat_mean;
	struct sim_est f = s[1].classes[0].lat_mean;
	cr_expect(g.mean - g.ci95 > f.mean + f.ci95 && g.mean > 1.2 * f.mean,
		  "io class: %.4g +- %.2g s with the GIL, %.4g +- %.2g "
		  "without",
		  g.mean, g.ci95, f.mean, f.ci95);
	cr_expect(tl_reported(&s[0], "gil", "forced_per_s") > 0);
	cr_expect(tl_reported(&s[0], "queues.mean", "gil") > 0);
	cr_expect_float_eq(tl_reported(&s[1], "gil", "forced_per_s"), 0, 1e-12);
	cr_expect_float_eq(tl_reported(&s[1], "gil", "handoffs_per_s"), 0,
			   1e-12);
	sim_summary_release(&s[0]);
	sim_summary_release(&s[1]);
}

static double light_latency(const char *heavy, double *lag_max)
{
	char y[1024];
	snprintf(y, sizeof y,
		 "name: hol\n"
		 "seed: 4\n"
		 "duration: 30s\n"
		 "warmup: 2s\n"
		 "replications: 4\n"
		 "workload:\n"
		 "  arrivals: { process: poisson, rate: 100/s }\n"
		 "  classes:\n"
		 "    - name: light\n"
		 "      weight: 0.98\n"
		 "      phases:\n"
		 "        - cpu: { dist: exponential, mean: 500us }\n"
		 "        - io: { dist: exponential, mean: 5ms }\n"
		 "        - cpu: { dist: exponential, mean: 200us }\n"
		 "    - name: heavy\n"
		 "      weight: 0.02\n"
		 "      phases:\n"
		 "        - cpu: %s\n"
		 "systems:\n"
		 "  - { name: uvicorn, model: async, cores: 4 }\n",
		 heavy);
	struct sim_summary s = run_one(y);
	double t = s.classes[0].lat_mean.mean;
	*lag_max = tl_reported(&s, "loop_lag_s", "max");
	sim_summary_release(&s);
	return t;
}

Test(async, cpu_heavy_async_handler_blocks_the_loop, .timeout = 60)
{
	/* 2 % of requests spend 100 ms on the loop: every light request
	 * behind one waits (4 idle cores do not help an async handler) */
	double lag_heavy, lag_light;
	double with = light_latency("100ms", &lag_heavy);
	double without = light_latency("100us", &lag_light);
	cr_expect(with > 2 * without, "light: %.4g s beside heavy, %.4g s not",
		  with, without);
	cr_expect(lag_heavy > 0.09, "loop lag max %.4g s", lag_heavy);
	cr_expect(lag_light < 0.05, "loop lag max %.4g s", lag_light);
}

Test(async, batched_writes_hold_a_response_for_its_turn, .timeout = 60)
{
	/* 90 % 1 ms and 10 % 20 ms requests at 100/s on one loop, the same
	 * requests to both systems: with uvloop's batched writes a 1 ms
	 * request found by the same poll as a 20 ms one queued after it is
	 * answered only when that one is done, so its tail grows; the work,
	 * and so the throughput and the CPU, are the same. */
	struct sim_summary s[2];
	tl_run("name: batched\n"
	       "seed: 5\n"
	       "duration: 60s\n"
	       "warmup: 2s\n"
	       "replications: 6\n"
	       "workload:\n"
	       "  arrivals: { process: poisson, rate: 100/s }\n"
	       "  classes:\n"
	       "    - { name: short, weight: 0.9, phases: [ { cpu: 1ms } ] }\n"
	       "    - { name: long, weight: 0.1, phases: [ { cpu: 20ms } ] }\n"
	       "systems:\n"
	       "  - { name: uvloop, model: async, cores: 1 }\n"
	       "  - { name: asyncio, model: async, cores: 1,\n"
	       "      batched_writes: false }\n",
	       s, 2);
	struct sim_est b = s[0].classes[0].p99, a = s[1].classes[0].p99;
	cr_log_info("short p99: batched %.4g +- %.2g s, at once %.4g +- %.2g s",
		    b.mean, b.ci95, a.mean, a.ci95);
	cr_expect(b.mean - a.mean > b.ci95 + a.ci95,
		  "short p99: batched %.4g +- %.2g s, at once %.4g +- %.2g s",
		  b.mean, b.ci95, a.mean, a.ci95);
	cr_expect(s[0].classes[0].lat_mean.mean >
		  s[1].classes[0].lat_mean.mean);
	/* a response held past the window's end may leave the count */
	cr_expect(fabs(s[0].throughput_rps.mean - s[1].throughput_rps.mean) <=
		      s[0].throughput_rps.ci95 + s[1].throughput_rps.ci95 +
			  1e-3 * s[1].throughput_rps.mean,
		  "throughput %.6g and %.6g", s[0].throughput_rps.mean,
		  s[1].throughput_rps.mean);
	sim_summary_release(&s[0]);
	sim_summary_release(&s[1]);
}

/* A run of 100 ms of the trace t.csv in the test's folder through one
 * uvicorn worker on one core with no overheads and batched writes on or
 * off; `classes` the scenario's class lines. */
static struct sim_summary run_trace(const char *classes, int batched)
{
	char y[1024];
	snprintf(y, sizeof y,
		 "name: trace\n"
		 "seed: 1\n"
		 "duration: 100ms\n"
		 "warmup: 0s\n"
		 "replications: 1\n"
		 "workload:\n"
		 "  arrivals: { process: trace, file: %s/t.csv }\n"
		 "  classes:\n"
		 "%s"
		 "systems:\n"
		 "  - { name: uvicorn, model: async, cores: 1,\n"
		 "      overheads: zero, batched_writes: %s }\n",
		 tl_tmpdir(), classes, batched ? "true" : "false");
	return run_one(y);
}

Test(async, batched_writes_leave_at_the_turns_end, .init = tl_mktmp,
     .fini = tl_rmtmp)
{
	/* 1 ms requests at 0, 0.2 and 1.5 ms, a 20 ms one at 0.4 ms, on a
	 * loop with no overheads. The first runs alone (its turn: answered
	 * at 1 ms); the poll at 1 ms finds the second and the 20 ms one,
	 * which run 1-2 and 2-22 ms, and the second's response leaves with
	 * the 20 ms one's, at 22 ms (21.8 ms late; 1.8 ms at once); the
	 * third, found by the poll at 22 ms, is answered at 23 ms. */
	tl_write("t.csv", "time_s,class,demand_1_s\n"
			  "0,short,0.001\n"
			  "0.0002,short,0.001\n"
			  "0.0004,long,0.02\n"
			  "0.0015,short,0.001\n");
	for (int batched = 1; batched >= 0; batched--) {
		struct sim_summary s = run_trace(
		    "    - { name: short, phases: [ { cpu: 1ms } ] }\n"
		    "    - { name: long, phases: [ { cpu: 20ms } ] }\n",
		    batched);
		double shorts = batched ? (1.0 + 21.8 + 21.5) / 3 : 8.1;
		cr_expect_float_eq(s.classes[0].lat_mean.mean, shorts * 1e-3,
				   1e-12, "batched %d: short mean %.9g s",
				   batched, s.classes[0].lat_mean.mean);
		cr_expect_float_eq(s.classes[1].lat_mean.mean, 21.6e-3, 1e-12,
				   "batched %d: long mean %.9g s", batched,
				   s.classes[1].lat_mean.mean);
		sim_summary_release(&s);
	}
}

Test(async, an_answer_waits_no_turn_for_the_connections_of_its_poll,
     .init = tl_mktmp, .fini = tl_rmtmp)
{
	/* On a loop with no overheads: a request at 0 (1 ms of CPU, then a
	 * 5 ms wait: its event comes at 6 ms), a 20 ms one at 2 ms that holds
	 * the loop until 22 ms, and 1 ms requests at 4 and 12 ms. The poll at
	 * 22 ms finds the first's event and the two connections: the event's
	 * callback (its response, no CPU) is a turn of its own, so the answer
	 * leaves at 22 ms, batched or not; the connections run next, 22-23
	 * and 23-24 ms (answered at 24 ms together with batched writes: 20
	 * and 12 ms late; at 23 and 24 ms without). In one turn in the order
	 * the events came (before 2026-12-06) the first would have waited for
	 * the connection of 4 ms: 24 ms batched, 23 ms not. */
	tl_write("t.csv", "time_s,class,demand_1_s,demand_2_s\n"
			  "0,io,0.001,0.005\n"
			  "0.002,long,0.02,\n"
			  "0.004,short,0.001,\n"
			  "0.012,short,0.001,\n");
	for (int batched = 1; batched >= 0; batched--) {
		struct sim_summary s = run_trace(
		    "    - { name: io, phases: [ { cpu: 1ms }, { io: 5ms } ] "
		    "}\n"
		    "    - { name: long, phases: [ { cpu: 20ms } ] }\n"
		    "    - { name: short, phases: [ { cpu: 1ms } ] }\n",
		    batched);
		cr_expect_float_eq(s.classes[0].lat_mean.mean, 22e-3, 1e-12,
				   "batched %d: the answer %.9g s", batched,
				   s.classes[0].lat_mean.mean);
		cr_expect_float_eq(s.classes[1].lat_mean.mean, 20e-3, 1e-12,
				   "batched %d: long %.9g s", batched,
				   s.classes[1].lat_mean.mean);
		double shorts = batched ? (20.0 + 12.0) / 2 : (19.0 + 12.0) / 2;
		cr_expect_float_eq(s.classes[2].lat_mean.mean, shorts * 1e-3,
				   1e-12, "batched %d: shorts %.9g s", batched,
				   s.classes[2].lat_mean.mean);
		sim_summary_release(&s);
	}
}

Test(async, limit_concurrency_answers_503, .timeout = 60)
{
	/* 200/s of 100 ms blocking handlers want 20 in flight; at most 10
	 * are admitted, so at most 10 of the 40 tokens are ever used */
	static const char y[] =
	    "name: limit\n"
	    "seed: 2\n"
	    "duration: 20s\n"
	    "warmup: 1s\n"
	    "replications: 2\n"
	    "workload:\n"
	    "  arrivals: { process: poisson, rate: 200/s }\n"
	    "  classes:\n"
	    "    - name: slow\n"
	    "      handler: sync\n"
	    "      phases:\n"
	    "        - io: 100ms\n"
	    "systems:\n"
	    "  - { name: limited, model: async, limit_concurrency: 10 }\n"
	    "  - { name: open, model: async }\n";
	struct sim_summary s[2];
	tl_run(y, s, 2);
	cr_expect(s[0].errors[SIM_OUT_UNAVAILABLE] > 0);
	cr_expect(s[0].throughput_rps.mean < 101, "%g/s",
		  s[0].throughput_rps.mean);
	cr_expect(tl_reported(&s[0], "utilization", "threadpool") <=
		  0.25 + 1e-9);
	cr_expect_float_eq(s[1].errors[SIM_OUT_UNAVAILABLE], 0, 1e-12);
	cr_expect(s[1].throughput_rps.mean > 190);
	sim_summary_release(&s[0]);
	sim_summary_release(&s[1]);
}

Test(async, full_backlog_refuses_connections, .timeout = 60)
{
	/* 300/s of 100 ms async handlers on one loop (10/s): connections
	 * pile up in a backlog of 16 while a batch runs */
	static const char y[] =
	    "name: backlog\n"
	    "seed: 2\n"
	    "duration: 20s\n"
	    "warmup: 1s\n"
	    "replications: 2\n"
	    "workload:\n"
	    "  arrivals: { process: poisson, rate: 300/s }\n"
	    "  classes:\n"
	    "    - name: slow\n"
	    "      phases:\n"
	    "        - cpu: 100ms\n"
	    "systems:\n"
	    "  - { name: uvicorn, model: async, backlog: 16 }\n";
	struct sim_summary s = run_one(y);
	cr_expect(s.errors[SIM_OUT_REFUSED] > 0.9 * 290 * 20, "%g refused",
		  s.errors[SIM_OUT_REFUSED]);
	cr_expect(fabs(s.throughput_rps.mean - 10) < 0.5, "%g/s",
		  s.throughput_rps.mean);
	cr_expect(tl_reported(&s, "queues.max", "loop") <= 32);
	sim_summary_release(&s);
}

Test(async, abandoned_requests_are_dropped_with_cancel, .timeout = 60)
{
	/* an overloaded pool of 4 threads and a 50 ms client timeout: with
	 * cancellation the model drops abandoned requests instead of
	 * finishing them (no wasted work beyond the phase in progress) */
	static const char y[] =
	    "name: cancel\n"
	    "seed: 8\n"
	    "duration: 20s\n"
	    "warmup: 1s\n"
	    "replications: 2\n"
	    "workload:\n"
	    "  arrivals: { process: poisson, rate: 200/s }\n"
	    "  client: { timeout: 50ms, cancel: %s }\n"
	    "  classes:\n"
	    "    - name: slow\n"
	    "      handler: sync\n"
	    "      phases:\n"
	    "        - cpu: 1ms\n"
	    "        - io: 30ms\n"
	    "systems:\n"
	    "  - { name: uvicorn, model: async, threadpool: 4 }\n";
	struct sim_summary c = run_with(y, "true");
	struct sim_summary k = run_with(y, "false");
	cr_expect(c.errors[SIM_OUT_TIMEOUT] > 0);
	cr_expect(k.wasted > 0);
	cr_expect(c.wasted < 0.5 * k.wasted, "wasted %g with cancel, %g not",
		  c.wasted, k.wasted);
	/* dropping abandoned work leaves room: more answers in time */
	cr_expect(c.goodput_rps.mean > k.goodput_rps.mean);
	sim_summary_release(&c);
	sim_summary_release(&k);
}

/* ------------------------------------------------- gil: GIL-free bursts -- */

struct nt {
	struct sim_pythread pt;
	double end;
	int chain; /* on_done starts a GIL-free burst of this many ms */
};

static void nt_done(struct sim_pythread *pt)
{
	struct nt *t = pt->owner;
	t->end = pt->t.host->s->now;
	if (t->chain) {
		double d = t->chain * 1e-3;
		t->chain = 0;
		sim_py_run_nogil(pt, d);
	}
}

Test(async, gil_free_burst_lets_another_thread_run_python)
{
	struct sim s;
	struct sim_host h;
	struct sim_gil g;
	struct sim_host_cfg cfg = {.cores = 2, .quantum = 0.004};
	sim_init(&s);
	sim_host_init(&h, &s, &cfg);
	sim_gil_init(&g, &h, true, 0.005, 0);
	/* a: 1 ms of Python, then 10 ms of C without the GIL; b: 3 ms of
	 * Python, waiting for a's Python only */
	struct nt a = {.chain = 10}, b = {0};
	sim_pythread_init(&a.pt, &g, nt_done, &a);
	sim_pythread_init(&b.pt, &g, nt_done, &b);
	sim_py_run(&a.pt, 1e-3);
	sim_py_run(&b.pt, 3e-3);
	sim_run_until(&s, 1);
	cr_expect_float_eq(b.end, 4e-3, 1e-12, "b ended at %g", b.end);
	cr_expect_float_eq(a.end, 11e-3, 1e-12, "a ended at %g", a.end);
	cr_expect_eq(g.forced, 0);
	cr_expect(g.holder == NULL);
	sim_host_release(&h);
	sim_release(&s);
}

/* A `def` handler's job costs thread_overhead of Python on its thread
 * before its phases: alone on an idle process (constant arrivals 100 ms
 * apart, every other overhead fixed), a request takes request_overhead +
 * thread_overhead + its 1 ms + callback_overhead, exactly. */
Test(async, thread_overhead_is_charged_once_per_thread_job)
{
	const char *fmt =
	    "name: handoff\n"
	    "duration: 2s\n"
	    "warmup: 0s\n"
	    "replications: 1\n"
	    "workload:\n"
	    "  arrivals: { process: constant, rate: 10/s }\n"
	    "  classes:\n"
	    "    - { name: d, handler: sync, phases: [ { cpu: 1ms } ] }\n"
	    "systems:\n"
	    "  - { name: u, model: async, cores: 2, overheads: zero,\n"
	    "      request_overhead: 100us, callback_overhead: 10us,\n"
	    "      thread_overhead: %s }\n";
	struct sim_summary with = run_with(fmt, "60us");
	struct sim_summary without = run_with(fmt, "0s");
	cr_expect_float_eq(with.lat_mean.mean, 1.17e-3, 1e-9, "with: %.9g",
			   with.lat_mean.mean);
	cr_expect_float_eq(without.lat_mean.mean, 1.11e-3, 1e-9,
			   "without: %.9g", without.lat_mean.mean);
	sim_summary_release(&with);
	sim_summary_release(&without);
}

/* Both loop models charge wakeup_overhead when an event wakes an idle
 * loop, and only then: requests 100 ms apart each wake it (1 ms of cpu +
 * request_overhead + the wake-up, exactly); requests that arrive while the
 * loop is busy do not. */
Test(async, an_idle_loop_pays_its_wakeup_and_a_busy_one_does_not)
{
	const char *fmt =
	    "name: wake\n"
	    "duration: 2s\n"
	    "warmup: 0s\n"
	    "replications: 1\n"
	    "workload:\n"
	    "  arrivals: { process: constant, rate: %s }\n"
	    "  classes: [ { name: c, phases: [ { cpu: 1ms } ] } ]\n"
	    "systems:\n"
	    "  - { name: node, model: event-loop, overheads: zero,\n"
	    "      request_overhead: 100us, wakeup_overhead: 25us }\n"
	    "  - { name: uvicorn, model: async, overheads: zero,\n"
	    "      request_overhead: 100us, wakeup_overhead: 60us }\n";
	char y[1024];
	struct sim_summary s[2];
	snprintf(y, sizeof y, fmt, "10/s");
	tl_run(y, s, 2);
	cr_expect_float_eq(s[0].lat_mean.mean, 1.125e-3, 1e-9, "node %.9g",
			   s[0].lat_mean.mean);
	cr_expect_float_eq(s[1].lat_mean.mean, 1.16e-3, 1e-9, "uvicorn %.9g",
			   s[1].lat_mean.mean);
	sim_summary_release(&s[0]);
	sim_summary_release(&s[1]);
	/* 2000/s, twice what a loop at 1.1 ms per request can answer: it
	 * never idles, so it answers 1/1.1 ms (a wake-up per request would
	 * make that 1/1.125 ms for node, 1/1.16 ms for uvicorn) */
	snprintf(y, sizeof y, fmt, "2000/s");
	tl_run(y, s, 2);
	for (int k = 0; k < 2; k++) {
		double done = s[k].throughput_rps.mean;
		cr_expect(fabs(done * 1.1e-3 - 1) < 0.01,
			  "system %d answers %g/s, not 1/1.1 ms", k, done);
		sim_summary_release(&s[k]);
	}
}
