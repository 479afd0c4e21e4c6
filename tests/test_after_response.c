/*
 * test_after_response.c - the `after_response` key: of the server's own
 * CPU o in the burst that writes a response (overheads, cache refills),
 * the request is answered after its cpu phases and (1 - s) o; the thread
 * goes on with the other s o before it takes its next work. The CPU per
 * request does not change.
 *
 * Requests 100 ms apart, one cpu phase of 2 ms, overheads zero but
 * request_overhead 1 ms and after_response 0.25: each is answered after
 * 2.75 ms and costs 3 ms of CPU. A closed loop of one user thinking 0.1
 * ms sends the next request while the loop still works after the last
 * answer: it waits the 0.15 ms left, so 2.9 ms from send to answer.
 */
#include <math.h>
#include <stdio.h>

#include <criterion/criterion.h>

#include "scenario/trace.h"
#include "testlib.h"

static const char *const models[] = {
    "model: event-loop",
    "model: worker-pool, workers: 1",
    "model: worker-pool, workers: 1, threads: 4",
    "model: async",
};
#define NMODELS (sizeof models / sizeof models[0])

/* One core, one `model` system with overheads zero, request_overhead 1
 * ms and then `keys`; arrivals 10/s apart (`load` empty) or `load`. */
static void run_one(const char *model, const char *keys, const char *load,
		    struct sim_summary *s)
{
	char yaml[1024];
	snprintf(yaml, sizeof(yaml),
		 "seed: 5\nduration: 20s\nwarmup: 1s\nreplications: 2\n"
		 "workload:\n"
		 "  %s\n"
		 "  classes: [ { name: a, phases: [ { cpu: 2ms } ] } ]\n"
		 "systems:\n"
		 "  - { name: s, %s, cores: 1, overheads: zero, "
		 "request_overhead: 1ms%s }\n",
		 *load ? load : "arrivals: { process: constant, rate: 10/s }",
		 model, keys);
	tl_run(yaml, s, 1);
}

static void expect_near(const char *model, const char *what, double got,
			double want, double tol)
{
	cr_expect(fabs(got - want) < tol, "%s: %s %.9g, want %.9g", model, what,
		  got, want);
}

Test(after_response, answers_before_the_work_after_it)
{
	for (size_t i = 0; i < NMODELS; i++) {
		struct sim_summary s;
		run_one(models[i], ", after_response: 0.25", "", &s);
		expect_near(models[i], "mean response", s.lat_mean.mean,
			    2.75e-3, 1e-9);
		/* the CPU per request is the same: 3 ms */
		expect_near(models[i], "CPU per request",
			    tl_metric(&s, "utilization", "cpu") / 10, 3e-3,
			    1e-5);
		sim_summary_release(&s);
	}
}

/* The thread is busy after the answer: a request sent 0.1 ms after it
 * waits the 0.15 ms of work left (2.9 ms); sent 1 ms after, not (2.75). */
Test(after_response, the_next_request_waits_for_it)
{
	static const struct {
		const char *think;
		double want;
	} cases[] = {{"100us", 2.9e-3}, {"1ms", 2.75e-3}};
	for (size_t i = 0; i < NMODELS; i++) {
		for (size_t k = 0; k < 2; k++) {
			char load[128];
			snprintf(load, sizeof load,
				 "closed: { users: 1, think: %s }",
				 cases[k].think);
			struct sim_summary s;
			run_one(models[i], ", after_response: 0.25", load, &s);
			cr_log_info("%s think %s", models[i], cases[k].think);
			expect_near(models[i], "mean response", s.lat_mean.mean,
				    cases[k].want, 1e-9);
			sim_summary_release(&s);
		}
	}
}

/* A cache refill is the server's own work too: its share waits as well.
 * Every request starts on a core idle for ~97 ms: cache_refill 1 ms
 * (time constant 0: all of it), after_response 0.5 of it and of the
 * request_overhead: answered after 2 + 0.5 + 0.5 ms, 4 ms of CPU. In
 * gthread the main thread's accept, not the burst that writes the
 * response, pays the refill: 1 + 2 + 0.5 ms. */
Test(after_response, holds_back_a_share_of_the_refill)
{
	static const double want[NMODELS] = {3e-3, 3e-3, 3.5e-3, 3e-3};
	for (size_t i = 0; i < NMODELS; i++) {
		struct sim_summary s;
		run_one(models[i],
			", after_response: 0.5, cache_refill: 1ms, "
			"cache_refill_time: 0s, cache_refill_work: false",
			"", &s);
		expect_near(models[i], "mean response", s.lat_mean.mean,
			    want[i], 1e-9);
		expect_near(models[i], "CPU per request",
			    tl_metric(&s, "utilization", "cpu") / 10, 4e-3,
			    1e-5);
		sim_summary_release(&s);
	}
}

/* `overheads: zero` sets it to 0 like any overhead: all of the request's
 * CPU before its answer (3 ms), as without the key. */
Test(after_response, is_an_overhead)
{
	for (size_t i = 0; i < NMODELS; i++) {
		struct sim_summary s;
		run_one(models[i], "", "", &s);
		expect_near(models[i], "mean response", s.lat_mean.mean, 3e-3,
			    1e-9);
		sim_summary_release(&s);
	}
}

/* Two requests at once, 100 ms apart, on one core (quantum 10 ms: no
 * slicing) and two processes: the first is answered after 2.75 ms and its
 * thread keeps the core for its 0.25 ms after the answer, as a thread
 * that has not blocked does; the second runs after it, answered at 5.75
 * ms: a mean of 4.25 ms. (Were the core given to the waiting thread at
 * the answer, the second would be answered at 5.5 ms: 4.125.) */
Test(after_response, keeps_its_core_after_the_answer, .init = tl_mktmp,
     .fini = tl_rmtmp)
{
	static const char *const pairs[] = {
	    "model: event-loop, processes: 2",
	    "model: worker-pool, workers: 2",
	    "model: async, workers: 2",
	};
	char path[512];
	snprintf(path, sizeof path, "%s/pairs.csv", tl_tmpdir());
	FILE *f = fopen(path, "w");
	cr_assert(f);
	cr_assert_eq(sim_trace_write_header(f, 1), 0);
	double cpu = 2e-3;
	for (int k = 0; k < 200; k++)
		for (int j = 0; j < 2; j++)
			cr_assert_eq(sim_trace_write_row(f, 0.05 + 0.1 * k, "a",
							 &cpu, 1, 1),
				     0);
	cr_assert_eq(fclose(f), 0);
	for (size_t i = 0; i < 3; i++) {
		char load[600], model[200];
		snprintf(load, sizeof load,
			 "arrivals: { process: trace, file: %s }", path);
		snprintf(model, sizeof model, "%s, quantum: 10ms", pairs[i]);
		struct sim_summary s;
		run_one(model, ", after_response: 0.25", load, &s);
		expect_near(pairs[i], "mean response", s.lat_mean.mean, 4.25e-3,
			    1e-9);
		sim_summary_release(&s);
	}
}

/* A sync worker closes the connection in its work after the answer: until
 * then it accepts nothing, and a request that comes meanwhile does not go
 * before those already waiting in the listen backlog. Three requests at
 * once and a fourth 2.8 ms later, on one worker: answered after 2.75,
 * 5.75, 8.75 and 11.75 - 2.8 ms, in that order: the longest 8.95 ms
 * (taken during the first one's work after its answer, the fourth would
 * be answered after 2.95 ms, the second and third after 8.75 and 11.75:
 * the same mean, the longest 11.75 ms). */
Test(after_response, a_sync_worker_accepts_after_it, .init = tl_mktmp,
     .fini = tl_rmtmp)
{
	char path[512];
	snprintf(path, sizeof path, "%s/fifo.csv", tl_tmpdir());
	FILE *f = fopen(path, "w");
	cr_assert(f);
	cr_assert_eq(sim_trace_write_header(f, 1), 0);
	double cpu = 2e-3;
	for (int k = 0; k < 200; k++)
		for (int j = 0; j < 4; j++)
			cr_assert_eq(sim_trace_write_row(
					 f,
					 0.05 + 0.1 * k + (j == 3 ? 2.8e-3 : 0),
					 "a", &cpu, 1, 1),
				     0);
	cr_assert_eq(fclose(f), 0);
	char load[600];
	snprintf(load, sizeof load, "arrivals: { process: trace, file: %s }",
		 path);
	struct sim_summary s;
	run_one("model: worker-pool, workers: 1, quantum: 10ms",
		", after_response: 0.25", load, &s);
	expect_near("sync", "longest response", s.lat_max, 8.95e-3, 1e-9);
	sim_summary_release(&s);
}

/* uvicorn with a `def` endpoint: the handler runs in a pool thread and the
 * loop writes its result in a later callback (callback_overhead 1 ms here),
 * which holds back its share: answered after 2 + 0.75 ms, 3 ms of CPU. */
Test(after_response, async_answers_a_sync_handler_before_it)
{
	struct sim_summary s;
	tl_run("seed: 5\nduration: 20s\nwarmup: 1s\nreplications: 2\n"
	       "workload:\n"
	       "  arrivals: { process: constant, rate: 10/s }\n"
	       "  classes:\n"
	       "    - name: a\n"
	       "      handler: sync\n"
	       "      phases: [ { cpu: 2ms } ]\n"
	       "systems:\n"
	       "  - { name: s, model: async, cores: 1, overheads: zero, "
	       "callback_overhead: 1ms, after_response: 0.25 }\n",
	       &s, 1);
	expect_near("async, def handler", "mean response", s.lat_mean.mean,
		    2.75e-3, 1e-9);
	expect_near("async, def handler", "CPU per request",
		    tl_metric(&s, "utilization", "cpu") / 10, 3e-3, 1e-5);
	sim_summary_release(&s);
}
