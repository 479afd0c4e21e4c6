/*
 * test_stalls.c - the host keys `stall_rate` and `stall_time`: a core
 * stops at Poisson times (rate nu a second of the time between stalls)
 * for a time D, whatever it runs. On one core with overheads zero that is
 * M/G/1 with preemptive-resume interruptions that come busy or idle
 * (Avi-Itzhak and Naor 1963): a request's service S stretches to its
 * completion time C, the stalls that fall in it added,
 *
 *   E[C] = E[S] (1 + nu E[D]),
 *   E[C^2] = E[S^2] (1 + nu E[D])^2 + nu E[S] E[D^2],
 *
 * and the first request of a busy period may find the core stopped: it
 * waits the stall's rest D0 first, an exceptional first service (Welch
 * 1964; test_cache_refill.c uses the same), E[T] = E[T_M/G/1 of C] + (2
 * E[D0] + lambda E[D0^2]) / (2 (1 + lambda E[D0])). A busy period ends with
 * the core running, and the time to its next stall is exponential, so
 * with exponential stalls of mean d (each stall's rest exponential too):
 *
 *   E[D0] = nu d^2 / (1 + lambda d + nu d),
 *   E[D0^2] = 2 nu d^3 / (1 + lambda d + nu d).
 *
 * The guest charges a stall under a thread to that thread: utilization is
 * lambda E[C]; an idle core's stalls are not.
 *
 * The client's machine stalls too (workload.client.stall_rate): a request
 * sent or an answer received while it is stopped waits for the stall's
 * end. With a fixed time X from send to receipt (rtt and an io phase, no
 * queue), the stalls a two-state Markov chain (exponential up times of
 * mean 1/nu, stalls of mean d): a Poisson send finds it stopped with
 * p = nu d / (1 + nu d) and waits an exponential rest of mean d; the
 * receipt comes X after the client last ran (its send, or its stall's
 * end), where the chain, started running, is stopped with p (1 -
 * exp(-(nu + 1/d) X)):
 *
 *   E[latency] = X + p d + p (1 - exp(-(nu + 1/d) X)) d.
 */
#include <math.h>
#include <stdio.h>

#include <criterion/criterion.h>

#include "runtime/config.h"
#include "runtime/host.h"
#include "testlib.h"

#define REPS   6
#define LAMBDA 500.0
#define MU     1000.0 /* 1 ms mean service */
#define NU     100.0  /* stalls a second */
#define D      2e-3   /* their mean length */

/* The three models with one thread on one core */
static const char *const models[] = {
    "model: event-loop",
    "model: worker-pool, workers: 1",
    "model: async",
};

static void run_stalls(const char *model, struct sim_summary *s)
{
	char yaml[1024];
	snprintf(yaml, sizeof(yaml),
		 "seed: 5\n"
		 "duration: 1000s\n"
		 "warmup: 2s\n"
		 "replications: %d\n"
		 "workload:\n"
		 "  arrivals: { process: poisson, rate: %g/s }\n"
		 "  classes:\n"
		 "    - { name: a, phases: [ { cpu: { dist: exponential, "
		 "mean: 1ms } } ] }\n"
		 "systems:\n"
		 "  - { name: s, %s, cores: 1, overheads: zero, "
		 "stall_rate: %g/s, stall_time: { dist: exponential, mean: "
		 "%gs } }\n",
		 REPS, LAMBDA, model, NU, D);
	tl_run(yaml, s, 1);
}

Test(stalls, stretch_the_work_and_delay_an_idle_cores_next_request)
{
	double es = 1 / MU, es2 = 2 / (MU * MU);
	double ec = es * (1 + NU * D);
	double ec2 = es2 * (1 + NU * D) * (1 + NU * D) + NU * es * 2 * D * D;
	double t = ec + LAMBDA * ec2 / (2 * (1 - LAMBDA * ec));
	double k = 1 + LAMBDA * D + NU * D;
	double ed0 = NU * D * D / k, ed02 = 2 * NU * D * D * D / k;
	t += (2 * ed0 + LAMBDA * ed02) / (2 * (1 + LAMBDA * ed0));
	for (size_t i = 0; i < 3; i++) {
		struct sim_summary s;
		cr_log_info("%s", models[i]);
		run_stalls(models[i], &s);
		tl_expect_within("mean response", s.lat_mean, REPS, t);
		double u = tl_metric(&s, "utilization", "cpu");
		cr_expect(fabs(u - LAMBDA * ec) < 0.01,
			  "utilization %.4f, theory %.4f", u, LAMBDA * ec);
		/* a stall every 1/nu + d: per second nu / (1 + nu d), and that
		 * times d of the time stopped */
		double n = tl_reported(&s, "host", "stalls_per_s");
		double share = tl_reported(&s, "host", "stalled");
		cr_expect(fabs(n / (NU / (1 + NU * D)) - 1) < 0.02,
			  "stalls %.2f a second, theory %.2f", n,
			  NU / (1 + NU * D));
		cr_expect(fabs(share / (NU * D / (1 + NU * D)) - 1) < 0.03,
			  "stopped %.4f of the time, theory %.4f", share,
			  NU * D / (1 + NU * D));
		sim_summary_release(&s);
	}
}

/* With EEVDF, a core that has run nothing and is stopped while idle is
 * off the idle stack: when a thread would get a core (sim_host_core_at,
 * the GIL asks) it is free at its stall's end. It once read the EEVDF
 * state of a last thread it never had (a crash, seeds 3 and 5). */
Test(stalls, with_eevdf_an_idle_core_that_ran_nothing_frees_at_its_end)
{
	for (int seed = 3; seed <= 5; seed += 2) {
		char yaml[1024];
		snprintf(
		    yaml, sizeof(yaml),
		    "seed: %d\n"
		    "duration: 20s\n"
		    "warmup: 0s\n"
		    "replications: 2\n"
		    "workload:\n"
		    "  arrivals: { process: poisson, rate: 200/s }\n"
		    "  classes:\n"
		    "    - { name: short, phases: [ { cpu: { dist: "
		    "exponential, mean: 1ms } }, { io: { dist: "
		    "exponential, mean: 2ms } }, { cpu: 300us } ] }\n"
		    "systems:\n"
		    "  - { name: s, model: worker-pool, cores: 2, quantum: "
		    "3ms, tick: 1ms, scheduler: eevdf, workers: 6, "
		    "threads: 4, stall_rate: 50/s, stall_time: 2ms }\n",
		    seed);
		struct sim_summary s;
		tl_run(yaml, &s, 1);
		cr_expect(s.completed > 0, "seed %d: nothing completed", seed);
		sim_summary_release(&s);
	}
}

/* Without them the host reports nothing of them. */
Test(stalls, none_by_default)
{
	struct sim_summary s;
	tl_run("seed: 5\nduration: 10s\nreplications: 2\n"
	       "workload:\n"
	       "  arrivals: { process: poisson, rate: 100/s }\n"
	       "  classes: [ { name: a, phases: [ { cpu: 1ms } ] } ]\n"
	       "systems: [ { name: s, model: event-loop } ]\n",
	       &s, 1);
	cr_expect(isnan(tl_metric(&s, "host", "stalls_per_s")));
	sim_summary_release(&s);
}

/* `yaml` is rejected with a message that holds `want`. */
static void expect_message(const char *yaml, const char *want)
{
	char *msg = tl_rejected(yaml);
	cr_expect(strstr(msg, want), "message: %s, want '%s'", msg, want);
	free(msg);
}

/* A scenario of this one system is rejected with `want`. */
static void expect_rejected(const char *system, const char *want)
{
	char yaml[1024];
	snprintf(yaml, sizeof(yaml),
		 "workload:\n"
		 "  arrivals: { process: poisson, rate: 100/s }\n"
		 "  classes: [ { name: a, phases: [ { cpu: 1ms } ] } ]\n"
		 "systems:\n"
		 "  - %s\n",
		 system);
	expect_message(yaml, want);
}

Test(stalls, need_a_length_and_cores_to_stop)
{
	expect_rejected(
	    "{ name: s, model: event-loop, stall_rate: 5/s }",
	    "test.yaml:5:47: error: 'stall_rate': needs 'stall_time' above 0");
	expect_rejected(
	    "{ name: s, model: event-loop, quantum: 0s, stall_rate: 5/s, "
	    "stall_time: { dist: exponential, mean: 2ms } }",
	    "'stall_rate': needs quantum > 0");
	expect_rejected("{ name: s, model: event-loop, stall_rate: 5000/s, "
			"stall_time: 1ms }",
			"stall_rate");
}

/* A new connection reaches the server 1.5 rtt after it is sent and its
 * answer the client 0.5 rtt after: 2 ms of the network and 10 ms of io. */
static void run_client(const char *stalls, struct sim_summary *s)
{
	char yaml[1024];
	snprintf(yaml, sizeof(yaml),
		 "seed: 3\n"
		 "duration: 400s\n"
		 "warmup: 1s\n"
		 "replications: %d\n"
		 "workload:\n"
		 "  arrivals: { process: poisson, rate: 200/s }\n"
		 "  client: { rtt: 1ms%s }\n"
		 "  classes: [ { name: a, phases: [ { io: 10ms } ] } ]\n"
		 "systems:\n"
		 "  - { name: s, model: event-loop, overheads: zero }\n",
		 REPS, stalls);
	tl_run(yaml, s, 1);
}

Test(stalls, of_the_client_hold_its_requests_and_answers)
{
	const double x = 12e-3, nu = 20, d = 5e-3;
	struct sim_summary s;
	run_client("", &s);
	cr_expect(fabs(s.lat_mean.mean - x) < 1e-9, "without: %.9g, want %g",
		  s.lat_mean.mean, x);
	sim_summary_release(&s);
	run_client(", stall_rate: 20/s, stall_time: { dist: exponential, "
		   "mean: 5ms }",
		   &s);
	double p = nu * d / (1 + nu * d);
	double t = x + p * d + p * (1 - exp(-(nu + 1 / d) * x)) * d;
	tl_expect_within("mean latency", s.lat_mean, REPS, t);
	sim_summary_release(&s);
}

Test(stalls, of_the_client_need_a_length_and_a_network)
{
	static const char *const wl[][2] = {
	    {"{ rtt: 1ms, stall_rate: 5/s }",
	     "test.yaml:3:35: error: 'stall_rate': needs 'stall_time' above 0"},
	    {"{ stall_rate: 5/s, stall_time: 1ms }",
	     "'stall_rate': needs 'rtt' in 'workload.client'"},
	};
	for (size_t i = 0; i < 2; i++) {
		char yaml[512];
		snprintf(
		    yaml, sizeof(yaml),
		    "workload:\n"
		    "  arrivals: { process: poisson, rate: 100/s }\n"
		    "  client: %s\n"
		    "  classes: [ { name: a, phases: [ { cpu: 1ms } ] } ]\n"
		    "systems: [ { name: s, model: event-loop } ]\n",
		    wl[i][0]);
		expect_message(yaml, wl[i][1]);
	}
}

/* A stopped core gives nothing to a thread that wakes meanwhile, even
 * when the one it holds has run past its quantum (which a thread that
 * wakes preempts at once on a running core): on one core stopped 98 % of
 * the time (stalls of 50 ms, 1 ms apart on average) and computing a long
 * burst, a thread woken once a second for 100 us waits for the stall it
 * wakes in to end, so only the few that wake between stalls finish
 * within 1 ms. Host-level: the woken thread's own test of the core. */
struct waker {
	struct sim_thread t;
	struct sim_host *h;
	double woke;
	int n, quick;
};

static void waker_wake(struct sim *s, void *obj, uint64_t arg)
{
	struct waker *w = obj;
	(void)arg;
	w->woke = s->now;
	sim_host_run(w->h, &w->t, 100e-6);
}

static void waker_done(struct sim_thread *t)
{
	struct waker *w = t->owner;
	struct sim *s = w->h->s;
	w->n++;
	w->quick += s->now - w->woke < 1e-3;
	sim_at(s, s->now + 1, waker_wake, w, 0);
}

static void long_done(struct sim_thread *t)
{
	(void)t;
}

Test(stalls, keep_a_waking_thread_off_a_stopped_busy_core)
{
	struct sim s;
	struct sim_host h;
	struct sim_host_cfg cfg = {
	    .cores = 1, .quantum = 3e-3, .wakeup_preemption = true};
	struct sim_dist d;
	const char *why = NULL;
	cr_assert_eq(sim_init(&s), 0);
	cr_assert_eq(sim_host_init(&h, &s, &cfg), 0);
	cr_assert_eq(sim_dist_set(&d, SIM_DIST_CONSTANT, 50e-3, 0, &why), 0);
	cr_assert_eq(sim_host_set_stalls(&h, 1000, &d, 42), 0);
	struct sim_thread busy;
	struct waker w = {.h = &h};
	sim_thread_init(&busy, &h, long_done, NULL);
	sim_thread_init(&w.t, &h, waker_done, &w);
	sim_host_run(&h, &busy, 1000); /* never done in the run */
	sim_at(&s, 1, waker_wake, &w, 0);
	sim_run_until(&s, 200);
	cr_log_info("%d of %d wakes within 1 ms", w.quick, w.n);
	cr_expect_gt(w.n, 100, "%d wakes", w.n);
	cr_expect_lt(w.quick, w.n / 5, "%d of %d within 1 ms", w.quick, w.n);
	sim_host_release(&h);
	sim_release(&s);
}

/* A replicas system's stalls are its one shared host's (colocated) or
 * each replica's own: a key where it has no effect is an error. */
Test(stalls, of_replicas_where_they_apply)
{
	static const char *const sys[][2] = {
	    {"{ name: f, model: replicas, replicas: 2, colocated: true, "
	     "replica: { model: event-loop, stall_rate: 5/s, stall_time: "
	     "1ms } }",
	     "'replica.stall_rate' has no effect with colocated: true"},
	    {"{ name: f, model: replicas, replicas: 2, stall_rate: 5/s, "
	     "stall_time: 1ms, replica: { model: event-loop } }",
	     "'stall_rate' needs colocated: true"},
	};
	for (size_t i = 0; i < 2; i++)
		expect_rejected(sys[i][0], sys[i][1]);
	/* each replica's own: the figures are their mean, not their sum */
	struct sim_summary s;
	tl_run("seed: 4\nduration: 100s\nreplications: 2\n"
	       "workload:\n"
	       "  arrivals: { process: poisson, rate: 100/s }\n"
	       "  classes: [ { name: a, phases: [ { cpu: 1ms } ] } ]\n"
	       "systems:\n"
	       "  - { name: f, model: replicas, replicas: 4, replica: { "
	       "model: event-loop, stall_rate: 10/s, stall_time: 2ms } }\n",
	       &s, 1);
	double n = tl_reported(&s, "host", "stalls_per_s");
	cr_expect(fabs(n / (10 / 1.02) - 1) < 0.05,
		  "stalls %.3f a second a core, theory %.3f", n, 10 / 1.02);
	sim_summary_release(&s);
}
