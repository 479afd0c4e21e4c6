/*
 * test_cache_refill.c - the `cache_refill` keys: a burst that starts on a
 * core idle for g pays cache_refill x (1 - exp(-g / cache_refill_time))
 * more CPU. On one core with overheads zero, every busy period's first
 * request gets an exceptional first service S + D: M/G/1 with setup times
 * D (Welch 1964; Takagi, Queueing Analysis vol. 1, 2.3.6):
 *
 *   E[T] = E[T_M/G/1] + (2 E[D] + lambda E[D^2]) / (2 (1 + lambda E[D]))
 *   utilization = (rho + lambda E[D]) / (1 + lambda E[D])
 *
 * With a time constant the setup depends on the idle period I ~ Exp(lambda)
 * before it: D = c (1 - exp(-I / tau)), E[D] = c (1 - a), E[D^2] =
 * c^2 (1 - 2a + b), a = lambda / (lambda + 1/tau), b = lambda /
 * (lambda + 2/tau).
 *
 * `cache_refill_long` adds a second part with its own time constant,
 * D = c (1 - exp(-I / tau)) + l (1 - exp(-I / tl)), whose cross moment
 * E[(1 - exp(-I / tau)) (1 - exp(-I / tl))] = 1 - a - al + lambda /
 * (lambda + 1/tau + 1/tl).
 *
 * `cache_refill_work` (off in those): the application's cpu phases evict
 * the server's working set as idle time does, so the code after c of
 * them pays cache_refill x (1 - exp(-c / cache_refill_work_time)) more
 * (and the long part's share of c).
 */
#include <math.h>
#include <stdio.h>

#include <criterion/criterion.h>

#include "testlib.h"

#define REPS   6
#define LAMBDA 500.0
#define MU     1000.0 /* 1 ms mean service */
#define REFILL 1e-3

/* One core, one `model` system with overheads zero and this refill (and
 * `more` keys). */
static void run_refill_more(const char *model, const char *tau,
			    const char *more, struct sim_summary *s)
{
	char yaml[1024];
	snprintf(yaml, sizeof(yaml),
		 "seed: 11\n"
		 "duration: 300s\n"
		 "warmup: 2s\n"
		 "replications: %d\n"
		 "workload:\n"
		 "  arrivals: { process: poisson, rate: %g/s }\n"
		 "  classes:\n"
		 "    - { name: a, phases: [ { cpu: { dist: exponential, "
		 "mean: 1ms } } ] }\n"
		 "systems:\n"
		 "  - { name: s, %s, cores: 1, overheads: zero, "
		 "cache_refill: 1ms, cache_refill_time: %s, "
		 "cache_refill_work: false%s }\n",
		 REPS, LAMBDA, model, tau, more);
	tl_run(yaml, s, 1);
}

static void run_refill(const char *model, const char *tau,
		       struct sim_summary *s)
{
	run_refill_more(model, tau, "", s);
}

/* Mean response and utilization of M/M/1 with setup D (moments ed, ed2). */
static void expect_setup(const struct sim_summary *s, double ed, double ed2)
{
	double t = 1 / (MU - LAMBDA) +
		   (2 * ed + LAMBDA * ed2) / (2 * (1 + LAMBDA * ed));
	tl_expect_within("mean response", s->lat_mean, REPS, t);
	double rho = LAMBDA / MU;
	double u = (rho + LAMBDA * ed) / (1 + LAMBDA * ed);
	double got = tl_metric(s, "utilization", "cpu");
	cr_expect(fabs(got - u) < 0.01, "utilization %.4f, theory %.4f", got,
		  u);
}

/* The three models with one thread on one core */
static const char *const models[] = {
    "model: event-loop",
    "model: worker-pool, workers: 1",
    "model: async",
};

Test(cache_refill, every_busy_period_pays_it_welch)
{
	for (size_t i = 0; i < 3; i++) {
		struct sim_summary s;
		cr_log_info("%s", models[i]);
		run_refill(models[i], "0s", &s);
		expect_setup(&s, REFILL, REFILL * REFILL);
		sim_summary_release(&s);
	}
}

Test(cache_refill, grows_with_the_idle_time)
{
	double tau = 1e-3;
	double a = LAMBDA / (LAMBDA + 1 / tau), b = LAMBDA / (LAMBDA + 2 / tau);
	struct sim_summary s;
	run_refill("model: event-loop", "1ms", &s);
	expect_setup(&s, REFILL * (1 - a), REFILL * REFILL * (1 - 2 * a + b));
	sim_summary_release(&s);
}

/* A long part of 2 ms with a time constant of 5 ms beside the 1 ms of 1
 * ms: idle periods of 2 ms on average pay 1 x 0.5 + 2 x 0.17 ms. */
Test(cache_refill, its_long_part_grows_over_longer_idles)
{
	double tau = 1e-3, tl = 5e-3, l = 2e-3;
	double a = LAMBDA / (LAMBDA + 1 / tau), b = LAMBDA / (LAMBDA + 2 / tau);
	double al = LAMBDA / (LAMBDA + 1 / tl), bl = LAMBDA / (LAMBDA + 2 / tl);
	double x = 1 - a - al + LAMBDA / (LAMBDA + 1 / tau + 1 / tl);
	double ed = REFILL * (1 - a) + l * (1 - al);
	double ed2 = REFILL * REFILL * (1 - 2 * a + b) +
		     l * l * (1 - 2 * al + bl) + 2 * REFILL * l * x;
	for (size_t i = 0; i < 3; i++) {
		struct sim_summary s;
		cr_log_info("%s", models[i]);
		run_refill_more(models[i], "1ms",
				", cache_refill_long: 2ms, "
				"cache_refill_long_time: 5ms",
				&s);
		expect_setup(&s, ed, ed2);
		sim_summary_release(&s);
	}
}

/* `overheads: zero` turns it off (M/M/1 again); a key beside it wins. */
Test(cache_refill, is_an_overhead)
{
	struct sim_summary s;
	tl_run(
	    "seed: 2\nduration: 300s\nwarmup: 2s\nreplications: 6\n"
	    "workload:\n"
	    "  arrivals: { process: poisson, rate: 500/s }\n"
	    "  classes: [ { name: a, phases: [ { cpu: { dist: "
	    "exponential, mean: 1ms } } ] } ]\n"
	    "systems:\n"
	    "  - { name: s, model: event-loop, cores: 1, overheads: zero }\n",
	    &s, 1);
	tl_expect_within("M/M/1 mean response", s.lat_mean, 6,
			 1 / (MU - LAMBDA));
	sim_summary_release(&s);
}

/* Requests 100 ms apart with these phases, on one core, overheads zero,
 * cache_refill 1 ms and the refill's other `keys`. */
static void run_constant(const char *model, const char *phases,
			 const char *keys, struct sim_summary *s)
{
	char yaml[1024];
	snprintf(yaml, sizeof(yaml),
		 "seed: 3\nduration: 20s\nwarmup: 1s\nreplications: 2\n"
		 "workload:\n"
		 "  arrivals: { process: constant, rate: 10/s }\n"
		 "  classes: [ { name: a, phases: [ %s ] } ]\n"
		 "systems:\n"
		 "  - { name: s, %s, cores: 1, overheads: zero, "
		 "cache_refill: 1ms, %s }\n",
		 phases, model, keys);
	tl_run(yaml, s, 1);
}

/* The four ways of serving the work tests' requests */
static const char *const four[] = {
    "model: event-loop",
    "model: worker-pool, workers: 1",
    "model: worker-pool, workers: 1, threads: 4",
    "model: async",
};

/* Requests 100 ms apart, each one cpu phase of 2 ms, cache_refill 1 ms
 * with a time constant of 2 ms over idle gaps and under the work alike
 * (cache_refill_work_time too): a request starts on a core idle for ~97
 * ms (a refill of 1 ms, to rounding), and its 2 ms of application work
 * cost the code after it 1 - exp(-1) ms more: 3.632 ms each, CPU and
 * response alike. Without the work's refill, 3 ms. `keys`: the refill's
 * other keys. */
static void run_work(const char *model, const char *keys, struct sim_summary *s)
{
	char more[512];
	snprintf(more, sizeof(more),
		 "cache_refill_time: 2ms, cache_refill_work_time: 2ms, %s",
		 keys);
	run_constant(model, "{ cpu: 2ms }", more, s);
}

Test(cache_refill, the_application_work_evicts_it_too)
{
	for (size_t i = 0; i < 4; i++) {
		struct sim_summary s;
		run_work(four[i], "cache_refill_work: true", &s);
		double want = 3e-3 - 1e-3 * expm1(-1.0);
		cr_expect(fabs(s.lat_mean.mean - want) < 1e-9,
			  "%s: mean response %.9g s, want %.9g s", four[i],
			  s.lat_mean.mean, want);
		double per = tl_metric(&s, "utilization", "cpu") / 10;
		cr_expect(fabs(per - want) < 1e-5,
			  "%s: CPU per request %.6g s, want %.6g s", four[i],
			  per, want);
		sim_summary_release(&s);
		run_work(four[i], "cache_refill_work: false", &s);
		cr_expect(fabs(s.lat_mean.mean - 3e-3) < 1e-9,
			  "%s without it: mean response %.9g s", four[i],
			  s.lat_mean.mean);
		sim_summary_release(&s);
	}
}

/* The work test with a long part of 1 ms over 10 ms as well: a request
 * starts after an idle g = 100 ms - its predecessor's response r, and r
 * = 2 ms + both parts after g + both parts after its 2 ms of work. */
Test(cache_refill, the_application_work_evicts_its_long_part_too)
{
	struct sim_summary s;
	run_work("model: event-loop",
		 "cache_refill_long: 1ms, cache_refill_long_time: 10ms", &s);
	double r = 3e-3;
	for (int k = 0; k < 50; k++) {
		double g = 0.1 - r;
		r = 2e-3 - 1e-3 * (expm1(-g / 2e-3) + expm1(-g / 10e-3)) -
		    1e-3 * (expm1(-1.0) + expm1(-0.2));
	}
	cr_expect(fabs(s.lat_mean.mean - r) < 1e-9,
		  "mean response %.9g s, want %.9g s", s.lat_mean.mean, r);
	sim_summary_release(&s);
}

/* The application's work evicts the short part at its own pace,
 * cache_refill_work_time, and an idle core at cache_refill_time's: the
 * run_work requests with the work's pace 20 ms pay 1 - exp(-0.1) ms after
 * their 2 ms of work (the idle's 2 ms would make it 1 - exp(-1)); with
 * the idle's pace 100 ms and the work's 2 ms, a request that starts after
 * an idle g = 100 ms - r (r its predecessor's response) pays 1 - exp(-g /
 * 100 ms) ms for it and 1 - exp(-1) ms after its work. */
Test(cache_refill, the_work_and_an_idle_core_evict_it_at_their_own_paces)
{
	for (size_t i = 0; i < 4; i++) {
		struct sim_summary s;
		run_constant(four[i], "{ cpu: 2ms }",
			     "cache_refill_time: 2ms, "
			     "cache_refill_work_time: 20ms",
			     &s);
		double want = 3e-3 - 1e-3 * expm1(-0.1);
		cr_expect(fabs(s.lat_mean.mean - want) < 1e-9,
			  "%s: mean response %.9g s, want %.9g s", four[i],
			  s.lat_mean.mean, want);
		sim_summary_release(&s);
	}
	struct sim_summary s;
	run_constant("model: event-loop", "{ cpu: 2ms }",
		     "cache_refill_time: 100ms, cache_refill_work_time: 2ms",
		     &s);
	double r = 3e-3;
	for (int k = 0; k < 50; k++)
		r = 2e-3 - 1e-3 * expm1(-(0.1 - r) / 0.1) - 1e-3 * expm1(-1.0);
	cr_expect(fabs(s.lat_mean.mean - r) < 1e-9,
		  "mean response %.9g s, want %.9g s", s.lat_mean.mean, r);
	sim_summary_release(&s);
}

/* gunicorn writes the response after the app returns: with a wait last,
 * the worker pool's response_share of request_overhead runs after it as
 * a burst of its own, which pays the refill of the idle core again, of
 * the code it runs: response_share of it (measured: the part after a 20
 * ms sleep cost 0.29 ms more than after a 50 us one, where the whole
 * refill after 20 ms idle is 0.83 ms; worker_pool.c, response_share).
 * Requests 100 ms apart of 2 ms of cpu then 10 ms of io, request_overhead
 * 1 ms, half of it after, a refill of 1 ms after any idle gap (time
 * constant 1 us; the application's work evicts nothing): 0.5 + 1 + 2, the
 * wait, then 0.5 + 0.5: 14.5 ms, of which 4.5 ms of CPU (the whole refill
 * after the wait: 15 and 5). With response_share 0 nothing runs after the
 * wait (14 ms, 4 ms of CPU); with no wait, one burst (4 ms, whatever the
 * share). With after_response 0.25, a quarter of the request's own work,
 * the burst after the wait, which holds response_share of it, leaves 0.25
 * / response_share of its own work and refill until after the response:
 * 14 ms with the share 0.5, 13.75 with 0.25 (0.75 + 1 + 2, then the whole
 * burst after it: 0.25 + 0.25 of CPU), the CPU unchanged. */
static void run_response(const char *model, const char *share,
			 const char *phases, struct sim_summary *s)
{
	char keys[512];
	snprintf(keys, sizeof(keys),
		 "request_overhead: 1ms, response_share: %s, "
		 "cache_refill_time: 1us, cache_refill_work: false",
		 share);
	run_constant(model, phases, keys, s);
}

Test(cache_refill, the_response_after_a_wait_refills_its_share)
{
	static const char *const two[] = {
	    "model: worker-pool, workers: 1",
	    "model: worker-pool, workers: 1, threads: 4",
	    /* processor sharing: the part read where vfinish lives */
	    "model: worker-pool, workers: 1, quantum: 0s",
	};
	static const struct {
		const char *share, *phases;
		double lat, cpu;
	} cases[] = {
	    {"0.5", "{ cpu: 2ms }, { io: 10ms }", 14.5e-3, 4.5e-3},
	    {"0", "{ cpu: 2ms }, { io: 10ms }", 14e-3, 4e-3},
	    {"0.5", "{ cpu: 2ms }", 4e-3, 4e-3},
	    {"0.5, after_response: 0.25", "{ cpu: 2ms }, { io: 10ms }", 14e-3,
	     4.5e-3},
	    {"0.25, after_response: 0.25", "{ cpu: 2ms }, { io: 10ms }",
	     13.75e-3, 4.25e-3},
	};
	for (size_t i = 0; i < sizeof two / sizeof *two; i++)
		for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
			struct sim_summary s;
			run_response(two[i], cases[k].share, cases[k].phases,
				     &s);
			cr_expect(fabs(s.lat_mean.mean - cases[k].lat) < 1e-9,
				  "%s, response_share %s, %s: mean response "
				  "%.9g s, want %.9g s",
				  two[i], cases[k].share, cases[k].phases,
				  s.lat_mean.mean, cases[k].lat);
			double per = tl_metric(&s, "utilization", "cpu") / 10;
			cr_expect(fabs(per - cases[k].cpu) < 1e-5,
				  "%s, response_share %s, %s: CPU per "
				  "request %.6g s, want %.6g s",
				  two[i], cases[k].share, cases[k].phases, per,
				  cases[k].cpu);
			sim_summary_release(&s);
		}
}

/* What the response after a wait leaves cold, the rest of the server's
 * code (accept, parse, the call into the app), the next request pays: a
 * worker that goes from that response straight to a request queued
 * meanwhile starts on a core that did not idle, yet its code went cold
 * over the wait (measured: +0.23 ms for such a start, host.c,
 * idle_refill). One sync worker on one core, requests of 2 ms of cpu then
 * 10 ms of io, request_overhead 1 ms, half after, a refill of 1 ms after
 * any idle gap. Two users, no think time (the other request always
 * queued): each start 0.5 + 2 + the rest 0.5, the wait, the response 0.5
 * + 0.5: 14 ms a request, 4 ms of CPU, 28 ms from send to answer (without
 * the rest: 13.5, 3.5 and 27). One user thinking 5 ms: the start after
 * the think time pays the whole refill, which covers the rest (their
 * union: 0.5 + 1 - 0.5 x 1 / 1), 14.5 ms and 4.5 of CPU (with both added,
 * 15 and 5). The same under processor sharing. */
Test(cache_refill, the_next_request_pays_what_the_response_left_cold)
{
	static const char *const pools[] = {
	    "model: worker-pool, workers: 1",
	    "model: worker-pool, workers: 1, quantum: 0s",
	};
	static const struct {
		const char *load;
		double lat, cpu;
	} cases[] = {
	    {"closed: { users: 2, think: 0s }", 28e-3, 4e-3},
	    {"closed: { users: 1, think: 5ms }", 14.5e-3, 4.5e-3},
	};
	for (size_t i = 0; i < sizeof pools / sizeof *pools; i++)
		for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
			char yaml[1024];
			snprintf(
			    yaml, sizeof(yaml),
			    "seed: 3\nduration: 20s\nwarmup: 1s\n"
			    "replications: 2\n"
			    "workload:\n"
			    "  %s\n"
			    "  classes: [ { name: a, phases: [ { cpu: 2ms "
			    "}, { io: 10ms } ] } ]\n"
			    "systems:\n"
			    "  - { name: s, %s, cores: 1, overheads: zero, "
			    "cache_refill: 1ms, cache_refill_time: 1us, "
			    "cache_refill_work: false, request_overhead: "
			    "1ms, response_share: 0.5 }\n",
			    cases[k].load, pools[i]);
			struct sim_summary s;
			tl_run(yaml, &s, 1);
			cr_expect(fabs(s.lat_mean.mean - cases[k].lat) < 1e-9,
				  "%s, %s: mean response %.9g s, want %.9g s",
				  pools[i], cases[k].load, s.lat_mean.mean,
				  cases[k].lat);
			double per = tl_metric(&s, "utilization", "cpu") /
				     s.throughput_rps.mean;
			cr_expect(fabs(per - cases[k].cpu) < 1e-5,
				  "%s, %s: CPU per request %.6g s, want %.6g s",
				  pools[i], cases[k].load, per, cases[k].cpu);
			sim_summary_release(&s);
		}
}

/* Gunicorn's sync workers take turns: the idle worker that has waited
 * longest wins the accept (Linux 6.18), and a worker pays the refill of
 * the idle gap and of the last worker's hold before it. Requests 10 ms
 * apart of 1 ms of cpu, 4 sync workers on one core, a refill of 1 ms with
 * a time constant of 10 ms (the application's work evicts nothing within
 * a request): each request's worker follows another, whose hold began 10
 * ms before, so r = 1 - exp(-1) ms and every request takes 1 + r ms, CPU
 * and response alike. With the lowest idle worker always (worker 0,
 * after itself: the idle gap only) r would be 1 - exp(-(9 - r) / 10)
 * (0.5696); with a worker at random, that for a quarter of the
 * requests. */
Test(cache_refill, sync_workers_take_turns_and_each_refills)
{
	struct sim_summary s;
	tl_run("seed: 3\nduration: 20s\nwarmup: 1s\nreplications: 2\n"
	       "workload:\n"
	       "  arrivals: { process: constant, rate: 100/s }\n"
	       "  classes: [ { name: a, phases: [ { cpu: 1ms } ] } ]\n"
	       "systems:\n"
	       "  - { name: s, model: worker-pool, workers: 4, cores: 1, "
	       "overheads: zero, cache_refill: 1ms, cache_refill_time: 10ms, "
	       "cache_refill_work: false }\n",
	       &s, 1);
	double want = (1 - expm1(-1.0)) * 1e-3;
	cr_expect(fabs(s.lat_mean.mean - want) < 1e-9,
		  "mean response %.9g s, want %.9g s", s.lat_mean.mean, want);
	double per = tl_metric(&s, "utilization", "cpu") / 100;
	cr_expect(fabs(per - want) < 1e-5,
		  "CPU per request %.6g s, want %.6g s", per, want);
	sim_summary_release(&s);
}
