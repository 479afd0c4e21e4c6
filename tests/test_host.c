/*
 * test_host.c - the host CPU scheduler: round-robin with a quantum and a
 * context-switch cost, and ideal processor sharing.
 */
#include <math.h>
#include <signal.h>

#include <criterion/criterion.h>

#include "runtime/host.h"
#include "runtime/memory.h"
#include "runtime/model.h"

struct probe {
	struct sim_thread t;
	double finished;
	int bursts;
};

static void done(struct sim_thread *t)
{
	struct probe *p = (struct probe *)t;
	p->finished = t->host->s->now;
	p->bursts++;
}

/* Runs n threads each needing `cpu` on a host; returns the last finish. */
static double run_threads(int cores, double quantum, double cs, int n,
			  double cpu, struct probe *pr, double *util)
{
	struct sim s;
	struct sim_host h;
	struct sim_host_cfg cfg = {
	    .cores = cores, .quantum = quantum, .context_switch = cs};
	cr_assert_eq(sim_init(&s), 0);
	cr_assert_eq(sim_host_init(&h, &s, &cfg), 0);
	sim_host_reset_stats(&h, 0);
	for (int i = 0; i < n; i++) {
		sim_thread_init(&pr[i].t, &h, done, NULL);
		pr[i].finished = -1;
		pr[i].bursts = 0;
		sim_host_run(&h, &pr[i].t, cpu);
	}
	sim_run_until(&s, 1e6);
	double last = 0;
	for (int i = 0; i < n; i++) {
		cr_expect_eq(pr[i].bursts, 1);
		if (pr[i].finished > last)
			last = pr[i].finished;
	}
	if (util) {
		struct sim_metrics m = {0};
		s.now = last;
		sim_host_report(&h, NULL, &m);
		*util = sim_metrics_get(&m, "utilization", "cpu", -1);
		sim_metrics_release(&m);
	}
	sim_host_release(&h);
	sim_release(&s);
	return last;
}

Test(host, a_thread_alone_runs_at_full_speed)
{
	struct probe p[1];
	double util;
	cr_expect_float_eq(run_threads(4, 0.004, 2e-6, 1, 0.1, p, &util), 0.1,
			   1e-12);
	cr_expect_float_eq(util, 0.25, 1e-9);
}

Test(host, threads_up_to_the_core_count_do_not_interfere)
{
	struct probe p[4];
	cr_expect_float_eq(run_threads(4, 0.004, 2e-6, 4, 0.1, p, NULL), 0.1,
			   1e-12);
}

Test(host, round_robin_time_shares_and_charges_each_switch)
{
	/* 2 threads of 10 ms on 1 core, 4 ms quantum: slices A B A B A B
	 * (4,4,4,4,2,2 ms) with a switch before every slice but the first */
	struct probe p[2];
	double cs = 1e-5;
	double last = run_threads(1, 0.004, cs, 2, 0.010, p, NULL);
	cr_expect_float_eq(last, 0.020 + 5 * cs, 1e-12);
	cr_expect_float_eq(p[0].finished, 0.018 + 4 * cs, 1e-12);
}

Test(host, processor_sharing_splits_cores_evenly)
{
	/* 8 threads of 1 s on 2 cores: all finish together at 4 s */
	struct probe p[8];
	double last = run_threads(2, 0, 0, 8, 1.0, p, NULL);
	cr_expect_float_eq(last, 4.0, 1e-9);
	for (int i = 0; i < 8; i++)
		cr_expect_float_eq(p[i].finished, 4.0, 1e-9);
}

Test(host, oversubscription_costs_context_switches)
{
	/* the same 4 s of CPU as 4 threads or 64 threads on 4 cores:
	 * 64 threads time-share and pay a switch per quantum */
	static struct probe p[64];
	double t4 = run_threads(4, 0.004, 5e-6, 4, 1.0, p, NULL);
	double t64 = run_threads(4, 0.004, 5e-6, 64, 1.0 / 16, p, NULL);
	cr_expect_float_eq(t4, 1.0, 1e-12);
	/* 1000 quanta of CPU, each preceded by a switch on its core:
	 * ~250 switches per core */
	cr_expect_gt(t64, 1.0 + 200 * 5e-6);
	cr_expect_lt(t64, 1.0 + 300 * 5e-6);
}

Test(host, abort_frees_the_core_for_the_next_thread)
{
	struct sim s;
	struct sim_host h;
	struct sim_host_cfg cfg = {.cores = 1, .quantum = 0.004};
	struct probe a, b;
	sim_init(&s);
	sim_host_init(&h, &s, &cfg);
	sim_thread_init(&a.t, &h, done, NULL);
	sim_thread_init(&b.t, &h, done, NULL);
	a.bursts = b.bursts = 0;
	sim_host_run(&h, &a.t, 1.0);
	sim_host_run(&h, &b.t, 0.5);
	sim_run_until(&s, 0.002);
	sim_host_abort(&h, &a.t);
	sim_run_until(&s, 10);
	cr_expect_eq(a.bursts, 0);
	cr_expect_eq(b.bursts, 1);
	cr_expect_float_eq(b.finished, 0.502, 1e-12);
	sim_host_release(&h);
	sim_release(&s);
}

/* sim_host_run's precondition is asserted: a thread with a burst in
 * progress (running, or queued for processor sharing) cannot start
 * another. */
static void run_twice(double quantum)
{
	struct sim s;
	struct sim_host h;
	struct probe pr;
	struct sim_host_cfg cfg = {.cores = 1, .quantum = quantum};
	cr_assert_eq(sim_init(&s), 0);
	cr_assert_eq(sim_host_init(&h, &s, &cfg), 0);
	sim_thread_init(&pr.t, &h, done, NULL);
	sim_host_run(&h, &pr.t, 1);
	sim_host_run(&h, &pr.t, 1);
}

Test(host, a_running_thread_cannot_start_a_burst, .signal = SIGABRT)
{
	run_twice(0.01);
}

Test(host, a_sharing_thread_cannot_start_a_burst, .signal = SIGABRT)
{
	run_twice(0);
}
