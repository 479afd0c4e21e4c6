/*
 * test_worker_pool.c - the worker-pool model (gunicorn sync and gthread).
 *
 * Validation: with `overheads: zero`, c sync workers on c cores are an
 * M/M/c queue whether the work is CPU or blocking I/O (Erlang C). The
 * analytic mean must lie inside the 99.9 % Student-t confidence interval
 * of the replication means (half-width = ci95 * t(0.9995) / t(0.975)),
 * and that interval must be narrower than 5 % of the value.
 *
 * Mechanisms: each test below would fail on a plain M/M/c queue with a
 * new name: blocked workers while the CPU idles, the arbiter's timeout,
 * the GIL, the listen backlog, max_requests recycling and client
 * cancellation.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "runtime/host.h"
#include "runtime/memory.h"
#include "runtime/model.h"
#include "testlib.h"

#define REPS 12

static const char *mmc_yaml(const char *phase)
{
	static char buf[1024];
	snprintf(buf, sizeof buf,
		 "name: validate\n"
		 "seed: 5\n"
		 "duration: 40s\n"
		 "warmup: 4s\n"
		 "replications: %d\n"
		 "workload:\n"
		 "  arrivals: { process: poisson, rate: 3200/s }\n"
		 "  classes:\n"
		 "    - name: only\n"
		 "      phases:\n"
		 "        - %s: { dist: exponential, mean: 1ms }\n"
		 "systems:\n"
		 "  - { name: gunicorn, model: worker-pool, cores: 4, "
		 "workers: 4, overheads: zero }\n",
		 REPS, phase);
	return buf;
}

Test(worker_pool, erlang_c_helper_is_right)
{
	/* textbook values: C(1, a) = a; C(2, 1) = 1/3 */
	cr_expect_float_eq(tl_erlang_c(1, 0.7), 0.7, 1e-12);
	cr_expect_float_eq(tl_erlang_c(2, 1.0), 1.0 / 3, 1e-12);
}

Test(worker_pool, mmc_cpu_phase_matches_erlang_c, .timeout = 60)
{
	/* c = 4, mu = 1000/s, lambda = 3200/s: rho = 0.8 */
	struct sim_summary s;
	tl_run(mmc_yaml("cpu"), &s, 1);
	tl_expect_within("mean", s.lat_mean, REPS,
			 tl_mmc_response(4, 3200, 1000));
	tl_expect_within("throughput", s.throughput_rps, REPS, 3200);
	cr_expect(fabs(tl_reported(&s, "utilization", "cpu") - 0.8) < 0.01);
	cr_expect(fabs(tl_reported(&s, "utilization", "workers") - 0.8) < 0.01);
	sim_summary_release(&s);
}

Test(worker_pool, mmc_io_phase_holds_workers_not_cpu, .timeout = 60)
{
	/* blocking I/O holds the worker: still M/M/4, but the CPU idles */
	struct sim_summary s;
	tl_run(mmc_yaml("io"), &s, 1);
	tl_expect_within("mean", s.lat_mean, REPS,
			 tl_mmc_response(4, 3200, 1000));
	tl_expect_within("throughput", s.throughput_rps, REPS, 3200);
	cr_expect(tl_reported(&s, "utilization", "cpu") < 0.001);
	cr_expect(fabs(tl_reported(&s, "utilization", "workers") - 0.8) < 0.01);
	sim_summary_release(&s);
}

Test(worker_pool, long_io_exhausts_sync_pool_while_cpu_idles, .timeout = 30)
{
	/* 4 sync workers can serve 4 / 101 ms = 40 req/s of this; 100 are
	 * offered. The same cores with gthread 4 x 8 serve them all. */
	struct sim_summary s[2];
	tl_run("name: io\n"
	       "seed: 1\n"
	       "duration: 20s\n"
	       "warmup: 2s\n"
	       "replications: 2\n"
	       "workload:\n"
	       "  arrivals: { process: poisson, rate: 100/s }\n"
	       "  client: { timeout: 1s }\n"
	       "  classes:\n"
	       "    - name: api\n"
	       "      phases:\n"
	       "        - cpu: { dist: exponential, mean: 1ms }\n"
	       "        - io: { dist: constant, mean: 100ms }\n"
	       "systems:\n"
	       "  - { name: sync, model: worker-pool, cores: 4, "
	       "workers: 4 }\n"
	       "  - { name: gthread, model: worker-pool, cores: 4, "
	       "workers: 4, threads: 8 }\n",
	       s, 2);
	cr_expect(s[0].goodput_rps.mean < 42, "sync goodput %g",
		  s[0].goodput_rps.mean);
	cr_expect(s[0].errors[SIM_OUT_TIMEOUT] + s[0].errors[SIM_OUT_REFUSED] >
		  500);
	cr_expect(tl_reported(&s[0], "utilization", "workers") > 0.98);
	cr_expect(tl_reported(&s[0], "utilization", "cpu") < 0.2);
	cr_expect(tl_reported(&s[0], "queues.mean", "backlog") > 100);
	/* 32 threads: no errors, latency ~ the work itself */
	cr_expect(fabs(s[1].goodput_rps.mean - 100) < 5);
	cr_expect_eq(s[1].errors[SIM_OUT_TIMEOUT], 0);
	cr_expect(s[1].lat_mean.mean < 0.11, "gthread mean %g",
		  s[1].lat_mean.mean);
	cr_expect(tl_reported(&s[1], "utilization", "cpu") < 0.2);
	sim_summary_release(&s[0]);
	sim_summary_release(&s[1]);
}

Test(worker_pool, timeout_kills_sync_worker_not_gthread, .timeout = 30)
{
	/* 10 % of requests outlive the 1 s timeout, waiting (io) or
	 * computing (cpu). Sync workers are killed and rebooted; gthread
	 * workers keep notifying the arbiter and are not. */
	struct sim_summary s[2];
	tl_run("name: kill\n"
	       "seed: 2\n"
	       "duration: 60s\n"
	       "warmup: 5s\n"
	       "replications: 2\n"
	       "workload:\n"
	       "  arrivals: { process: poisson, rate: 2/s }\n"
	       "  classes:\n"
	       "    - { name: fast, weight: 0.9, phases: "
	       "[ { cpu: 1ms } ] }\n"
	       "    - { name: slow_io, weight: 0.05, phases: "
	       "[ { cpu: 1ms }, { io: 3s } ] }\n"
	       "    - { name: slow_cpu, weight: 0.05, phases: "
	       "[ { cpu: 2s } ] }\n"
	       "systems:\n"
	       "  - { name: sync, model: worker-pool, cores: 2, "
	       "workers: 3, timeout: 1s, boot_time: 500ms }\n"
	       "  - { name: gthread, model: worker-pool, cores: 2, "
	       "workers: 3, threads: 2, timeout: 1s }\n",
	       s, 2);
	double killed = s[0].errors[SIM_OUT_KILLED];
	/* 0.2 slow requests/s over 60 s: about 12 per replication */
	cr_expect(killed > 5 && killed < 25, "killed %g", killed);
	cr_expect_float_eq(tl_reported(&s[0], "workers", "killed"), killed,
			   1e-9);
	cr_expect(tl_reported(&s[0], "workers", "restarts") >= killed);
	/* only the fast class got through, well under the timeout */
	cr_expect_eq(s[0].classes[1].completed, 0);
	cr_expect_eq(s[0].classes[2].completed, 0);
	cr_expect(s[0].lat_max < 1.0 + 0.5 + 0.1, "max %g", s[0].lat_max);
	cr_expect_eq(s[1].errors[SIM_OUT_KILLED], 0);
	cr_expect_eq(tl_reported(&s[1], "workers", "restarts"), 0);
	cr_expect(s[1].classes[1].completed > 0);
	cr_expect(s[1].classes[2].completed > 0);
	sim_summary_release(&s[0]);
	sim_summary_release(&s[1]);
}

static const char *gil_yaml(const char *phase)
{
	static char buf[1024];
	/* 250 req/s of 10 ms: 2.5 cores' worth offered to 2 cores */
	snprintf(buf, sizeof buf,
		 "name: gil\n"
		 "seed: 3\n"
		 "duration: 10s\n"
		 "warmup: 1s\n"
		 "replications: 2\n"
		 "workload:\n"
		 "  arrivals: { process: poisson, rate: 250/s }\n"
		 "  classes:\n"
		 "    - { name: work, phases: [ { %s: 10ms } ] }\n"
		 "systems:\n"
		 "  - { name: gil, model: worker-pool, cores: 2, "
		 "threads: 2, overheads: zero }\n"
		 "  - { name: nogil, model: worker-pool, cores: 2, "
		 "threads: 2, gil: false, overheads: zero }\n",
		 phase);
	return buf;
}

Test(worker_pool, gil_serialises_threads_of_one_worker, .timeout = 30)
{
	struct sim_summary s[2];
	tl_run(gil_yaml("cpu"), s, 2);
	/* one core's worth: 100 req/s, half the CPU */
	cr_expect(s[0].throughput_rps.mean > 95 &&
		      s[0].throughput_rps.mean < 101,
		  "gil throughput %g", s[0].throughput_rps.mean);
	cr_expect(fabs(tl_reported(&s[0], "utilization", "cpu") - 0.5) < 0.02);
	cr_expect(tl_reported(&s[0], "gil", "forced_per_s") > 50);
	cr_expect(tl_reported(&s[0], "queues.mean", "gil") > 0.9);
	/* free-threaded: both cores, twice the throughput */
	cr_expect(s[1].throughput_rps.mean > 190 &&
		      s[1].throughput_rps.mean < 201,
		  "nogil throughput %g", s[1].throughput_rps.mean);
	cr_expect(tl_reported(&s[1], "utilization", "cpu") > 0.98);
	sim_summary_release(&s[0]);
	sim_summary_release(&s[1]);
}

Test(worker_pool, pool_phase_runs_without_the_gil, .timeout = 30)
{
	/* C code that releases the GIL (zlib, hashlib) uses both cores
	 * even with the GIL on */
	struct sim_summary s[2];
	tl_run(gil_yaml("pool"), s, 2);
	cr_expect(s[0].throughput_rps.mean > 190, "gil throughput %g",
		  s[0].throughput_rps.mean);
	cr_expect(tl_reported(&s[0], "utilization", "cpu") > 0.98);
	cr_expect(tl_reported(&s[0], "gil", "forced_per_s") == 0);
	sim_summary_release(&s[0]);
	sim_summary_release(&s[1]);
}

Test(worker_pool, gthread_accepts_into_its_own_queue, .timeout = 30)
{
	/* 2 workers x 2 threads, worker_connections 4: up to 8 connections
	 * are accepted (4 served, 4 queued in the workers), the rest wait
	 * in the shared backlog */
	struct sim_summary s;
	tl_run("name: accept\n"
	       "seed: 4\n"
	       "duration: 5s\n"
	       "warmup: 1s\n"
	       "replications: 2\n"
	       "workload:\n"
	       "  arrivals: { process: poisson, rate: 100/s }\n"
	       "  classes:\n"
	       "    - { name: w, phases: [ { io: 100ms } ] }\n"
	       "systems:\n"
	       "  - { name: gthread, model: worker-pool, cores: 2, "
	       "workers: 2, threads: 2, worker_connections: 4, "
	       "overheads: zero }\n",
	       &s, 1);
	cr_expect_float_eq(tl_reported(&s, "queues.max", "accepted"), 4, 1e-9);
	cr_expect(tl_reported(&s, "queues.mean", "accepted") > 3.5);
	cr_expect(tl_reported(&s, "queues.mean", "backlog") > 50);
	cr_expect(fabs(s.throughput_rps.mean - 40) < 2);
	sim_summary_release(&s);
}

Test(worker_pool, backlog_overflow_refuses, .timeout = 30)
{
	struct sim_summary s;
	tl_run("name: backlog\n"
	       "seed: 5\n"
	       "duration: 5s\n"
	       "warmup: 1s\n"
	       "replications: 2\n"
	       "workload:\n"
	       "  arrivals: { process: poisson, rate: 200/s }\n"
	       "  classes:\n"
	       "    - { name: w, phases: [ { cpu: 10ms } ] }\n"
	       "systems:\n"
	       "  - { name: one, model: worker-pool, backlog: 10, "
	       "overheads: zero }\n",
	       &s, 1);
	/* 100 served, about 100 refused per second */
	cr_expect(s.errors[SIM_OUT_REFUSED] > 400, "refused %g",
		  s.errors[SIM_OUT_REFUSED]);
	cr_expect_float_eq(tl_reported(&s, "queues.max", "backlog"), 10, 1e-9);
	cr_expect(fabs(s.throughput_rps.mean - 100) < 1);
	sim_summary_release(&s);
}

Test(worker_pool, max_requests_recycles_workers, .timeout = 30)
{
	/* each worker is replaced after 100 + U{0..20} requests */
	struct sim_summary s;
	tl_run("name: recycle\n"
	       "seed: 6\n"
	       "duration: 20s\n"
	       "warmup: 2s\n"
	       "replications: 2\n"
	       "workload:\n"
	       "  arrivals: { process: poisson, rate: 200/s }\n"
	       "  classes:\n"
	       "    - { name: w, phases: [ { cpu: 1ms } ] }\n"
	       "systems:\n"
	       "  - { name: sync, model: worker-pool, cores: 2, "
	       "workers: 2, max_requests: 100, max_requests_jitter: 20, "
	       "boot_time: 50ms }\n",
	       &s, 1);
	double restarts = tl_reported(&s, "workers", "restarts");
	double expect = s.completed / 110;
	cr_expect(restarts > 0.9 * expect && restarts < 1.1 * expect,
		  "restarts %g, expected ~%g", restarts, expect);
	cr_expect_eq(tl_reported(&s, "workers", "killed"), 0);
	cr_expect_eq(s.errors[SIM_OUT_REFUSED] + s.errors[SIM_OUT_KILLED], 0);
	/* while one worker boots the other serves alone: some queueing */
	cr_expect(tl_reported(&s, "queues.mean", "backlog") > 0);
	sim_summary_release(&s);
}

Test(worker_pool, client_cancel_drops_abandoned_work, .timeout = 30)
{
	/* overloaded single worker, clients give up after 300 ms: without
	 * cancellation the worker serves dead requests (wasted work); with
	 * it, they are dropped and more answers arrive in time */
	const char *fmt = "name: cancel\n"
			  "seed: 7\n"
			  "duration: 20s\n"
			  "warmup: 2s\n"
			  "replications: 2\n"
			  "workload:\n"
			  "  arrivals: { process: poisson, rate: 15/s }\n"
			  "  client: { timeout: 300ms, cancel: %s }\n"
			  "  classes:\n"
			  "    - { name: w, phases: [ { io: 100ms } ] }\n"
			  "systems:\n"
			  "  - { name: one, model: worker-pool }\n";
	char y[1024];
	struct sim_summary off, on;
	snprintf(y, sizeof y, fmt, "false");
	tl_run(y, &off, 1);
	snprintf(y, sizeof y, fmt, "true");
	tl_run(y, &on, 1);
	cr_expect(off.wasted > 50, "wasted %g", off.wasted);
	cr_expect_eq(on.wasted, 0);
	cr_expect(on.goodput_rps.mean > 1.5 * off.goodput_rps.mean,
		  "goodput with cancel %g, without %g", on.goodput_rps.mean,
		  off.goodput_rps.mean);
	sim_summary_release(&off);
	sim_summary_release(&on);
}

Test(worker_pool, rejects_inconsistent_config)
{
	const char *head =
	    "name: bad\n"
	    "duration: 1s\n"
	    "workload:\n"
	    "  arrivals: { process: poisson, rate: 1/s }\n"
	    "  classes: [ { name: w, phases: [ { cpu: 1ms } ] } ]\n"
	    "systems:\n";
	char y[1024];
	snprintf(y, sizeof y,
		 "%s  - { name: s, model: worker-pool, "
		 "max_requests_jitter: 5 }\n",
		 head);
	char *msg = tl_rejected(y);
	cr_expect(strstr(msg, "max_requests_jitter") != NULL, "%s", msg);
	free(msg);
	snprintf(y, sizeof y,
		 "%s  - { name: s, model: worker-pool, "
		 "threads: 8, worker_connections: 4 }\n",
		 head);
	msg = tl_rejected(y);
	cr_expect(strstr(msg, "worker_connections") != NULL, "%s", msg);
	free(msg);
	snprintf(y, sizeof y,
		 "%s  - { name: s, model: worker-pool, "
		 "gil_interval: 0s }\n",
		 head);
	msg = tl_rejected(y);
	cr_expect(strstr(msg, "gil_interval") != NULL, "%s", msg);
	free(msg);
}

/* gthread's main thread takes the GIL to accept: a short request arriving
 * while a thread runs 50 ms of Python waits the switch interval (5 ms)
 * for the main thread, which forces the long one out; its own thread,
 * woken while the main thread holds the GIL for less than a quantum, is
 * runnable when the main thread lets it go and takes it before the long
 * one (gil.h); its 1 ms of CPU, and the interval again for its body after
 * the headers (the two sends): 11 ms exactly (16 ms when its thread
 * waited behind the long one, before 2026-12-06). Without
 * the GIL the threads only share the core: the short one, woken 10 ms
 * into the long one's hold, takes the core at once (wake-up preemption)
 * and answers in 1 ms; without wake-up preemption it waits for the long
 * one's quantum to end (3 ms quantum: at 13 ms), 3 ms. */
Test(worker_pool, gthread_main_thread_waits_for_the_gil, .init = tl_mktmp,
     .fini = tl_rmtmp)
{
	char trace[2048], yaml[1024];
	int n = snprintf(trace, sizeof trace, "time_s,class,demand_1_s\n");
	for (int k = 0; k < 20; k++)
		n += snprintf(trace + n, sizeof trace - (size_t)n,
			      "%.3f,long,0.05\n%.3f,short,0.001\n",
			      0.1 * k + 0.001, 0.1 * k + 0.011);
	tl_write("gt.csv", trace);
	snprintf(yaml, sizeof yaml,
		 "seed: 1\nduration: 2s\nwarmup: 0s\nreplications: 1\n"
		 "workload:\n"
		 "  arrivals: { process: trace, file: %s/gt.csv }\n"
		 "  classes:\n"
		 "    - { name: long, phases: [ { cpu: 50ms } ] }\n"
		 "    - { name: short, phases: [ { cpu: 1ms } ] }\n"
		 "systems:\n"
		 "  - { name: gil, model: worker-pool, cores: 1, workers: 1, "
		 "threads: 2, overheads: zero }\n"
		 "  - { name: nogil, model: worker-pool, cores: 1, workers: 1, "
		 "threads: 2, overheads: zero, gil: false }\n"
		 "  - { name: rr, model: worker-pool, cores: 1, workers: 1, "
		 "threads: 2, overheads: zero, gil: false, "
		 "wakeup_preemption: false }\n",
		 tl_tmpdir());
	struct sim_summary s[3];
	tl_run(yaml, s, 3);
	cr_expect(fabs(s[0].classes[1].lat_mean.mean - 0.011) < 1e-9,
		  "short request with the GIL: %.9f s",
		  s[0].classes[1].lat_mean.mean);
	cr_expect(fabs(s[0].classes[0].lat_mean.mean - 0.051) < 1e-9,
		  "long request with the GIL: %.9f s",
		  s[0].classes[0].lat_mean.mean);
	cr_expect(fabs(s[1].classes[1].lat_mean.mean - 0.001) < 1e-9,
		  "short request without the GIL: %.9f s",
		  s[1].classes[1].lat_mean.mean);
	cr_expect(fabs(s[2].classes[1].lat_mean.mean - 0.003) < 1e-9,
		  "short request without the GIL or wake-up preemption: %.9f s",
		  s[2].classes[1].lat_mean.mean);
	for (int i = 0; i < 3; i++)
		sim_summary_release(&s[i]);
}

/* gthread's response goes out in two sends with the GIL released between
 * them (sim_py_yield). 1 worker x 3 threads, overheads zero (3 ms
 * quantum): a 20 ms request at 0, 1 ms ones at 1 and 1.5 ms. The main
 * thread waits for the GIL from 1 ms and forces the long request out at
 * 6 ms; it accepts both short ones at once (no CPU) and lets the GIL go.
 * On two cores the long request, asleep on the GIL since 6 ms (the idle
 * core would have run it), takes it first, and the short ones' threads
 * wait behind it to 11 ms. The first runs 11-12 ms and, sending its
 * headers, hands the GIL to the second, which can run at once on the idle
 * core (12-13 ms) and in turn hands it to the long request at its
 * headers; both bodies wait for the long request's next forced switch at
 * 18 ms: latencies 17 and 16.5 ms (11 and 11.5 with one send). On one
 * core the long request, preempted by the main thread, not asleep, takes
 * the GIL before the threads woken to serve (gil.h), to 11 ms; the first
 * short one then takes it and, having held the core for less than a
 * quantum, which no waiter can preempt, keeps it over its sends (11-12
 * ms); its release at the headers signals the second, asleep since 9 ms,
 * which then goes before the long one, preempted again (12-13 ms): 11 and
 * 11.5 ms (6 and 6.5 ms before the preempted holder went first, 7 and 6.5
 * with a hand-over at every send). The long request ends at 22 ms either
 * way. */
static void two_sends(int cores, double want)
{
	char yaml[1024];
	tl_write("pair.csv",
		 "time_s,class,demand_1_s\n"
		 "0,long,0.02\n0.001,short,0.001\n0.0015,short,0.001\n");
	snprintf(yaml, sizeof yaml,
		 "seed: 1\nduration: 1s\nwarmup: 0s\nreplications: 1\n"
		 "workload:\n"
		 "  arrivals: { process: trace, file: %s/pair.csv }\n"
		 "  classes:\n"
		 "    - { name: long, phases: [ { cpu: 20ms } ] }\n"
		 "    - { name: short, phases: [ { cpu: 1ms } ] }\n"
		 "systems:\n"
		 "  - { name: gil, model: worker-pool, cores: %d, workers: 1, "
		 "threads: 3, overheads: zero }\n",
		 tl_tmpdir(), cores);
	struct sim_summary s[1];
	tl_run(yaml, s, 1);
	double mean = s[0].classes[1].lat_mean.mean;
	cr_expect(fabs(mean - want) < 1e-9,
		  "%d cores: short requests' mean latency %.9f s", cores, mean);
	cr_expect(fabs(s[0].classes[0].lat_mean.mean - 0.022) < 1e-9,
		  "long request %.9f s", s[0].classes[0].lat_mean.mean);
	sim_summary_release(&s[0]);
}

Test(worker_pool, gthread_response_goes_out_in_two_sends, .init = tl_mktmp,
     .fini = tl_rmtmp)
{
	two_sends(2, (0.017 + 0.0165) / 2);
}

Test(worker_pool, gthread_sender_on_a_busy_core_keeps_the_gil, .init = tl_mktmp,
     .fini = tl_rmtmp)
{
	two_sends(1, (0.011 + 0.0115) / 2);
}

/* gthread's main thread pays the thread pool's costs for each connection:
 * pool_overhead, and for every request the worker holds pool_scan if a
 * request finished since its last connection, else pool_wait and
 * pool_scan_none each (its futures.wait() over them all). One core, 1
 * worker x 5 threads, no GIL, overheads zero but pool_overhead 1 ms,
 * pool_scan 1 ms, pool_wait 2 ms and pool_scan_none 3 ms: four requests
 * that wait 1 s (no CPU) come first and hold four threads; a 1 ms probe at
 * 200 ms then costs the main thread 1 + 2 + 4 x 3 ms before its thread
 * runs it: 16 ms. With a fifth request of 10 ms of I/O after the four,
 * over by then, the probe's pass finds it finished: 1 + 4 x 1 ms, 6 ms.
 * With the scan's keys at 0, 2 ms either way. */
Test(worker_pool, gthread_main_thread_scans_the_requests_it_holds,
     .init = tl_mktmp, .fini = tl_rmtmp)
{
	char yaml[1024];
	const char *holds = "time_s,class,demand_1_s\n"
			    "0,hold,1\n0.0001,hold,1\n0.0002,hold,1\n"
			    "0.0003,hold,1\n";
	struct {
		bool quick, scan;
		double want;
	} cases[] = {{false, true, 0.016},
		     {true, true, 0.006},
		     {false, false, 0.002},
		     {true, false, 0.002}};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		char trace[256];
		snprintf(trace, sizeof trace, "%s%s0.2,probe,0.001\n", holds,
			 cases[k].quick ? "0.0004,hold,0.01\n" : "");
		tl_write("held.csv", trace);
		snprintf(
		    yaml, sizeof yaml,
		    "seed: 1\nduration: 2s\nwarmup: 0s\nreplications: 1\n"
		    "workload:\n"
		    "  arrivals: { process: trace, file: %s/held.csv }\n"
		    "  classes:\n"
		    "    - { name: hold, phases: [ { io: 1s } ] }\n"
		    "    - { name: probe, phases: [ { cpu: 1ms } ] }\n"
		    "systems:\n"
		    "  - { name: gt, model: worker-pool, cores: 1, "
		    "workers: 1, threads: 5, gil: false, overheads: zero, "
		    "pool_overhead: 1ms, pool_scan: %dms, pool_wait: %dms, "
		    "pool_scan_none: %dms }\n",
		    tl_tmpdir(), cases[k].scan, 2 * cases[k].scan,
		    3 * cases[k].scan);
		struct sim_summary s[1];
		tl_run(yaml, s, 1);
		cr_expect(fabs(s[0].classes[1].lat_mean.mean - cases[k].want) <
			      1e-9,
			  "case %zu: the probe's latency %.9f s, want %g", k,
			  s[0].classes[1].lat_mean.mean, cases[k].want);
		sim_summary_release(&s[0]);
	}
}

/* A gthread worker that reboots is a new process: its first pass finds no
 * request finished in it, so it pays pool_wait, as its first pass after
 * boot did. One core, 1 worker x 2 threads, overheads zero but pool_wait
 * 1 ms, recycled after every request (max_requests 1, boot 100 ms): two
 * requests of 1 ms, at 0 and at 1 s, each take 2 ms. Counting the old
 * process's finished request, the second would take 1 ms. */
Test(worker_pool, gthread_worker_reboots_with_nothing_finished,
     .init = tl_mktmp, .fini = tl_rmtmp)
{
	char yaml[1024];
	tl_write("rb.csv", "time_s,class,demand_1_s\n0,w,0.001\n1,w,0.001\n");
	snprintf(yaml, sizeof yaml,
		 "seed: 1\nduration: 3s\nwarmup: 0s\nreplications: 1\n"
		 "workload:\n"
		 "  arrivals: { process: trace, file: %s/rb.csv }\n"
		 "  classes: [ { name: w, phases: [ { cpu: 1ms } ] } ]\n"
		 "systems:\n"
		 "  - { name: gt, model: worker-pool, cores: 1, workers: 1, "
		 "threads: 2, overheads: zero, pool_wait: 1ms, "
		 "max_requests: 1, boot_time: 100ms }\n",
		 tl_tmpdir());
	struct sim_summary s[1];
	tl_run(yaml, s, 1);
	cr_expect(fabs(s[0].classes[0].lat_mean.mean - 0.002) < 1e-9,
		  "mean latency %.9f s, want 0.002",
		  s[0].classes[0].lat_mean.mean);
	sim_summary_release(&s[0]);
}
