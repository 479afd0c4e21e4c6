/*
 * test_lazy_stats.c - the statistics kept without a time-weighted update
 * per change, against the integral computed step by step: a model's
 * in-flight count (sums over busy periods, request.h), an event loop's
 * ready queue (its callbacks' waits, loop.h), and a host's core handed
 * back at once to the thread whose burst ended (host.c).
 */
#include <math.h>
#include <stdlib.h>

#include <criterion/criterion.h>

#include "runtime/config.h"
#include "runtime/host.h"
#include "runtime/loop.h"
#include "runtime/request.h"

/* A deterministic sequence in [0, 1). */
static double next_u(uint64_t *x)
{
	*x = *x * 6364136223846793005u + 1442695040888963407u;
	return (double)(*x >> 11) * 0x1.0p-53;
}

static void expect_close(double got, double want, const char *what)
{
	cr_expect(fabs(got - want) <= 1e-12 * fabs(want) + 1e-12,
		  "%s: %.17g, the integral says %.17g", what, got, want);
}

Test(lazy_stats, inflight_mean_and_max_match_the_integral_across_a_reset)
{
	struct sim_inflight f = {0};
	uint64_t x = 7;
	double t = 0, t0 = 0, area = 0;
	size_t n = 0, max = 0;
	for (int k = 0; k < 20000; k++) {
		double dt = next_u(&x);
		area += (double)n * dt;
		t += dt;
		if (k == 10500) { /* mid-run, with some in flight */
			cr_assert_gt(n, 0);
			sim_inflight_reset(&f, t);
			t0 = t;
			area = 0;
			max = n;
		}
		/* up more often than down, to leave the count above 0 for a
		 * while, then back to 0 (busy periods end) */
		if (n > 0 && next_u(&x) < (k % 2000 < 1000 ? 0.4 : 0.7)) {
			sim_inflight_sub(&f, t);
			n--;
		} else {
			sim_inflight_add(&f, t);
			if (++n > max)
				max = n;
		}
		cr_assert_eq(f.n, n);
		if (k % 997 == 0 && t > t0)
			expect_close(sim_inflight_mean(&f, t), area / (t - t0),
				     "mean");
	}
	cr_expect_eq(f.max, max);
	expect_close(sim_inflight_mean(&f, t + 2),
		     (area + (double)n * 2) / (t + 2 - t0), "mean at the end");
	/* no time since the reset: the count itself */
	sim_inflight_reset(&f, t);
	cr_expect_eq(sim_inflight_mean(&f, t), (double)n);
}

Test(lazy_stats, loop_queue_mean_and_max_match_the_integral)
{
	struct sim s;
	cr_assert_eq(sim_init(&s), 0);
	struct sim_hist lag;
	sim_hist_init(&lag);
	int listen = 0;
	struct sim_loop l;
	sim_loop_init(&l, &s, &lag, &listen);
	enum { N = 4000 };
	struct sim_request *r = calloc(N, sizeof *r);
	cr_assert_not_null(r);
	uint64_t x = 3;
	double t0 = 0, area = 0;
	size_t max = 0, posted = 0;
	for (int k = 0; posted < N; k++) {
		double dt = next_u(&x);
		area += (double)l.ready.len * dt;
		s.now += dt;
		if (k == N / 2) { /* a reset with callbacks waiting */
			cr_assert_gt(l.ready.len, 0);
			sim_loop_reset_stats(&l, s.now);
			t0 = s.now;
			area = 0;
			max = l.ready.len;
		}
		if (next_u(&x) < (k % 400 < 200 ? 0.6 : 0.4)) {
			sim_loop_post(&l, &r[posted++]);
			if (l.ready.len > max)
				max = l.ready.len;
		} else if (sim_loop_next(&l)) {
			sim_loop_done(&l);
		}
		if (k % 499 == 0 && s.now > t0) {
			struct sim_loop_figs fg = {0};
			sim_loop_tally(&l, &fg);
			expect_close(fg.qmean, area / (s.now - t0), "qmean");
			cr_expect_eq(fg.qmax, (double)max);
		}
	}
	/* the process is killed: those waiting leave the queue now */
	cr_assert_gt(l.ready.len, 0);
	sim_loop_stop(&l, NULL);
	s.now += 1;
	struct sim_loop_figs fg = {0};
	sim_loop_tally(&l, &fg);
	expect_close(fg.qmean, area / (s.now - t0), "qmean after a kill");
	free(r);
	sim_hist_release(&lag);
	sim_release(&s);
}

struct chain {
	struct sim_thread t;
	struct chain *next; /* whose burst this one's on_done starts (NULL:
			       its own) */
	int starts;	    /* how many times it still does */
	double burst;
	int core_seen; /* the core that burst got, seen from on_done */
};

static void chain_done(struct sim_thread *t)
{
	struct chain *c = (struct chain *)t;
	struct chain *n = c->next ? c->next : c;
	if (c->starts > 0) {
		c->starts--;
		sim_host_run(t->host, &n->t, n->burst);
		c->core_seen = n->t.core;
	}
}

static double report(struct sim_host *h, const char *group, const char *key)
{
	struct sim_metrics m = {0};
	sim_host_report(h, NULL, &m);
	double v = sim_metrics_get(&m, group, key, -1);
	sim_metrics_release(&m);
	return v;
}

Test(lazy_stats, a_core_handed_back_at_once_keeps_the_hosts_figures)
{
	/* one thread, three bursts of 1 s back to back, then 2 s idle */
	struct sim s;
	struct sim_host h;
	struct sim_host_cfg cfg = {.cores = 1, .quantum = 0.01};
	cr_assert_eq(sim_init(&s), 0);
	cr_assert_eq(sim_host_init(&h, &s, &cfg), 0);
	struct chain a = {.starts = 2, .burst = 1};
	sim_thread_init(&a.t, &h, chain_done, NULL);
	sim_host_run(&h, &a.t, 1);
	sim_run_until(&s, 5);
	cr_expect_eq(a.core_seen, 0);
	cr_expect_eq(h.handoff, -1);
	cr_expect_eq(h.nidle, 1, "the core is idle once the bursts are over");
	cr_expect(fabs(report(&h, "utilization", "cpu") - 0.6) < 1e-15);
	cr_expect_eq(report(&h, "host", "context_switches_per_s"), 0);
	sim_host_release(&h);
	sim_release(&s);
}

Test(lazy_stats, a_freed_core_goes_to_another_thread_as_before)
{
	/* two cores: A (core 0, 2 s) ends after B (core 1, 0.5 s) went
	 * idle, and starts B again: B takes its own last core back, not the
	 * one A frees, so no context switch */
	struct sim s;
	struct sim_host h;
	struct sim_host_cfg cfg = {
	    .cores = 2, .quantum = 0.01, .context_switch = 0.001};
	cr_assert_eq(sim_init(&s), 0);
	cr_assert_eq(sim_host_init(&h, &s, &cfg), 0);
	struct chain b = {.burst = 0.5};
	struct chain a = {.next = &b, .starts = 1, .burst = 2};
	sim_thread_init(&a.t, &h, chain_done, NULL);
	sim_thread_init(&b.t, &h, chain_done, NULL);
	sim_host_run(&h, &a.t, 2);
	sim_host_run(&h, &b.t, 0.5);
	sim_run_until(&s, 10);
	cr_expect_eq(a.core_seen, 1, "B ran on core %d", a.core_seen);
	cr_expect_eq(report(&h, "host", "context_switches_per_s"), 0);
	/* busy: A 2 s, B 0.5 + 0.5 s, over 10 s on 2 cores */
	cr_expect(fabs(report(&h, "utilization", "cpu") - 3.0 / 20) < 1e-15);
	sim_host_release(&h);
	sim_release(&s);
}
