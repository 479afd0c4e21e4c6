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

/* Wake-up preemption and holding a core: one core, 4 ms quantum, no
 * switch cost. Thread A computes (one burst of `a_cpu`, or `a_bursts`
 * bursts of 1 ms back to back: its on_done starts the next at once, as a
 * thread that has not blocked); thread B becomes runnable at `b_at` for
 * 1 ms. Returns when B finished. */
struct hold {
	struct probe a, b;
	struct sim_host *h;
	int a_bursts;
};

static void a_next(struct sim_thread *t)
{
	struct hold *x = t->owner;
	done(t);
	if (x->a.bursts < x->a_bursts)
		sim_host_run(x->h, t, 0.001);
}

static void b_wakes(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	(void)arg;
	struct hold *x = obj;
	sim_host_run(x->h, &x->b.t, 0.001);
}

static double hold_case(bool preempt, double a_cpu, int a_bursts, double b_at)
{
	struct sim s;
	struct sim_host h;
	struct hold x = {.h = &h, .a_bursts = a_bursts};
	struct sim_host_cfg cfg = {
	    .cores = 1, .quantum = 0.004, .wakeup_preemption = preempt};
	cr_assert_eq(sim_init(&s), 0);
	cr_assert_eq(sim_host_init(&h, &s, &cfg), 0);
	sim_thread_init(&x.a.t, &h, a_bursts ? a_next : done, &x);
	sim_thread_init(&x.b.t, &h, done, &x);
	sim_host_run(&h, &x.a.t, a_bursts ? 0.001 : a_cpu);
	sim_at(&s, b_at, b_wakes, &x, 0);
	sim_run_until(&s, 1);
	cr_expect_eq(x.b.bursts, 1);
	cr_expect_eq(x.a.bursts, a_bursts ? a_bursts : 1);
	sim_host_release(&h);
	sim_release(&s);
	return x.b.finished;
}

/* B wakes 10 ms into A's 20 ms burst: A has held the core past its
 * quantum, and B takes it at once (Linux's fair scheduler lets a waking
 * task preempt one that has had more than its share); without wake-up
 * preemption B waits for A's quantum to end, at 12 ms. */
Test(host, a_thread_that_wakes_preempts_one_past_its_quantum)
{
	cr_expect_float_eq(hold_case(true, 0.020, 0, 0.010), 0.011, 1e-12);
	cr_expect_float_eq(hold_case(false, 0.020, 0, 0.010), 0.013, 1e-12);
}

/* B wakes 1 ms into A's burst: A got the core less than a quantum ago
 * and keeps it to the quantum's end (EEVDF's RUN_TO_PARITY), 4 ms, with
 * wake-up preemption or without. */
Test(host, a_thread_keeps_its_core_for_its_quantum)
{
	cr_expect_float_eq(hold_case(true, 0.020, 0, 0.001), 0.005, 1e-12);
	cr_expect_float_eq(hold_case(false, 0.020, 0, 0.001), 0.005, 1e-12);
}

/* A runs 1 ms bursts back to back without blocking (an event loop with
 * callbacks queued, a worker going from parsing to the app's code): it
 * keeps the core between them, so B, waking at 0.5 ms, waits for A's
 * quantum to end at 4 ms rather than taking the core when A's first
 * burst ends at 1 ms. Waking at 6.5 ms, when A has held the core for 6.5
 * ms a burst at a time, B takes it at once with wake-up preemption (in
 * the middle of A's seventh burst), and without it waits for the quantum
 * boundary at 8 ms. */
Test(host, a_thread_that_runs_on_without_blocking_keeps_its_core)
{
	cr_expect_float_eq(hold_case(true, 0, 12, 0.0005), 0.005, 1e-12);
	cr_expect_float_eq(hold_case(false, 0, 12, 0.0005), 0.005, 1e-12);
	cr_expect_float_eq(hold_case(true, 0, 12, 0.0065), 0.0075, 1e-12);
	cr_expect_float_eq(hold_case(false, 0, 12, 0.0065), 0.009, 1e-12);
}

/* Threads on a host with a 1.5 ms quantum (the validation VM's EEVDF
 * slice as computed before Linux 6.15's 0.70 ms base; its kernel's is
 * 1.4 ms) and a tick of `tick`, each waking at `at` and running `n` bursts
 * of `cpu` back to back without blocking; their finish times in fin[]. */
struct script {
	struct sim_host *h;
	struct probe p[4];
	double at[4], cpu[4];
	int n[4];
	double gap[4]; /* > 0: it sleeps this long between bursts */
	double tick;
	int cores; /* 0: 1 */
	int sched; /* sim_host_cfg.scheduler */
};

static void script_wakes(struct sim *s, void *obj, uint64_t arg);

static void script_next(struct sim_thread *t)
{
	struct script *x = t->owner;
	done(t);
	int i = (int)((struct probe *)t - x->p);
	if (x->p[i].bursts >= x->n[i])
		return;
	if (x->gap[i] > 0)
		sim_at(x->h->s, x->h->s->now + x->gap[i], script_wakes, x,
		       (uint64_t)i);
	else
		sim_host_run(x->h, t, x->cpu[i]);
}

static void script_wakes(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	struct script *x = obj;
	sim_host_run(x->h, &x->p[arg].t, x->cpu[arg]);
}

static void run_script(struct script *x, int nthreads, bool preempt,
		       double *fin)
{
	struct sim s;
	struct sim_host h;
	struct sim_host_cfg cfg = {.cores = x->cores > 0 ? x->cores : 1,
				   .quantum = 0.0015,
				   .tick = x->tick,
				   .scheduler = x->sched,
				   .wakeup_preemption = preempt};
	cr_assert_eq(sim_init(&s), 0);
	cr_assert_eq(sim_host_init(&h, &s, &cfg), 0);
	x->h = &h;
	for (int i = 0; i < nthreads; i++) {
		sim_thread_init(&x->p[i].t, &h, script_next, x);
		x->p[i].bursts = 0;
		x->p[i].finished = -1;
		sim_at(&s, x->at[i], script_wakes, x, (uint64_t)i);
	}
	sim_run_until(&s, 10);
	for (int i = 0; i < nthreads; i++) {
		cr_expect_eq(x->p[i].bursts, x->n[i]);
		fin[i] = x->p[i].finished;
	}
	sim_host_release(&h);
	sim_release(&s);
}

/* HOGS threads computing 20 ms from 0, and B waking at b_at for 1 ms,
 * with a tick of `tick` and scheduler `sched`; returns when B finishes. */
static double hogs_case(double tick, int sched, int hogs, double b_at)
{
	double fin[4];
	struct script x = {.tick = tick, .sched = sched};
	for (int i = 0; i <= hogs; i++) {
		x.at[i] = i < hogs ? 0 : b_at;
		x.cpu[i] = i < hogs ? 0.020 : 0.001;
		x.n[i] = 1;
	}
	run_script(&x, hogs + 1, true, fin);
	return fin[hogs];
}

/* The scheduler's tick, round robin. */
static double tick_case(double tick, int hogs, double b_at)
{
	return hogs_case(tick, SIM_SCHED_ROUND_ROBIN, hogs, b_at);
}

/* With a 4 ms tick (Linux at CONFIG_HZ=250, no HRTICK) a slice used up
 * ends only at a tick, and a thread alone starts a new one there. A
 * computes alone from 0: its first slice runs out at 1.5 ms, and it
 * starts new ones at the ticks of 4, 8, ... ms. B waking at 1 ms waits
 * for the tick of 4 ms (without a tick, for the slice's end at 1.5 ms);
 * at 5 ms, inside the slice A began at the tick of 4 ms, it waits for the
 * tick of 8 ms (without a tick A has held the core 5 ms, and B takes it
 * at once); at 6 ms that slice is used up, and B takes the core at once. */
Test(host, a_used_up_slice_ends_at_the_next_tick)
{
	cr_expect_float_eq(tick_case(0.004, 1, 0.001), 0.005, 1e-12);
	cr_expect_float_eq(tick_case(0, 1, 0.001), 0.0025, 1e-12);
	cr_expect_float_eq(tick_case(0.004, 1, 0.005), 0.009, 1e-12);
	cr_expect_float_eq(tick_case(0, 1, 0.005), 0.006, 1e-12);
	cr_expect_float_eq(tick_case(0.004, 1, 0.006), 0.007, 1e-12);
}

/* Two threads computing take turns at the ticks: A 0-4 ms, C from 4 ms,
 * its slice fresh until 5.5 ms. B, waking at 5 ms, waits for the tick of
 * 8 ms, and then goes before A, which C's turn found waiting: a thread
 * preempted at a tick has run past its slice, one that slept has not
 * (EEVDF); behind A it would finish at 13 ms. Without a tick the two
 * take turns every 1.5 ms (C's from 4.5 ms), and B waits for the end of
 * C's and then of A's: 7.5-8.5 ms. */
Test(host, a_woken_thread_goes_before_those_preempted_at_a_tick)
{
	cr_expect_float_eq(tick_case(0.004, 2, 0.005), 0.009, 1e-12);
	cr_expect_float_eq(tick_case(0, 2, 0.005), 0.0085, 1e-12);
}

/* A burst's end is not a tick: A, computing in 2 ms bursts without
 * blocking, keeps the core past its slice (1.5 ms) to the tick of 4 ms,
 * and B, woken at 1 ms, runs 4-5 ms, as when A computes in one long
 * burst; a burst that ends on that tick gives the core up there (A in
 * 4 ms bursts). */
Test(host, a_burst_that_ends_between_ticks_keeps_its_core)
{
	double fin[4];
	struct script a2 = {.at = {0, 0.001},
			    .cpu = {0.002, 0.001},
			    .n = {5, 1},
			    .tick = 0.004};
	run_script(&a2, 2, true, fin);
	cr_expect_float_eq(fin[1], 0.005, 1e-12);
	struct script a4 = {.at = {0, 0.001},
			    .cpu = {0.004, 0.001},
			    .n = {2, 1},
			    .tick = 0.004};
	run_script(&a4, 2, true, fin);
	cr_expect_float_eq(fin[1], 0.005, 1e-12);
	run_script(&a4, 2, false, fin);
	cr_expect_float_eq(fin[1], 0.005, 1e-12);
}

/* A thread that wakes once the running one's slice is used up preempts
 * it at once, even with another already waiting for the tick: A computes
 * from 0, B wakes at 1 ms (inside A's slice: it waits), C at 2 ms (past
 * it): A gives the core up at 2 ms, to B, which woke first (an earlier
 * deadline), then C. */
Test(host, a_late_waker_preempts_at_once_with_others_waiting)
{
	double fin[4];
	struct script x = {.at = {0, 0.001, 0.002},
			   .cpu = {0.020, 0.001, 0.001},
			   .n = {1, 1, 1},
			   .tick = 0.004};
	run_script(&x, 3, true, fin);
	cr_expect_float_eq(fin[1], 0.003, 1e-12);
	cr_expect_float_eq(fin[2], 0.004, 1e-12);
}

/* On two cores one thread that wakes takes one core, not every core
 * whose thread is past its slice: A and B compute from 0, C wakes at 1 ms
 * (inside both slices: it waits), D at 2 ms (past both): one core is
 * given up at once, to C, which woke first (2-3 ms), and D gets it when C
 * is done, before the thread preempted there (3-4 ms); were both cores
 * given up, D would run 2-3 ms on the other. */
Test(host, a_waker_takes_one_core_of_several)
{
	double fin[4];
	struct script x = {.at = {0, 0, 0.001, 0.002},
			   .cpu = {0.020, 0.020, 0.001, 0.001},
			   .n = {1, 1, 1, 1},
			   .tick = 0.004,
			   .cores = 2};
	run_script(&x, 4, true, fin);
	cr_expect_float_eq(fin[2], 0.003, 1e-12);
	cr_expect_float_eq(fin[3], 0.004, 1e-12);
}

/* Three threads that never block, A in bursts of a quarter tick, B and C
 * computing, take turns at the ticks (a tick of 2^-8 s, so that A's bursts
 * end exactly on them): A 0-1, B 1-2, C 2-3, A 3-4 ticks, ... A's bursts
 * end on the ticks where its turns end, and there it queues behind the
 * two it found waiting, not ahead as a thread that slept would (which
 * would give it every other turn). Its 16 bursts end with its fourth
 * turn, at 10 ticks. */
Test(host, a_thread_in_short_bursts_takes_its_turn)
{
	double fin[4], tick = 0.00390625;
	struct script x = {.at = {0, 0, 0},
			   .cpu = {tick / 4, 0.2, 0.2},
			   .n = {16, 1, 1},
			   .tick = tick};
	run_script(&x, 3, true, fin);
	cr_expect_float_eq(fin[0], 10 * tick, 1e-12);
}

/* The switch refill, once per burst: one core, 4 ms quantum, a switch
 * refill of 1 ms between processes. A (process 1) computes 10 ms from 0
 * on an idle core; B (process 2) wakes at 5 ms for 1 ms and preempts it,
 * paying the refill (the core ran A): 5-7 ms. A resumes at 7 ms on a core
 * that ran another process and pays its refill then (its first core had
 * run nobody): 6 ms left, so it finishes at 13 ms. C (process 2) wakes at
 * 10 ms; A's quantum counts from after its refill (8 ms), so C waits to
 * 12 ms, pays the refill, runs to 14 ms, and A, which paid for this
 * burst already, finishes its last 1 ms at 15 ms. */
struct sw {
	struct sim_host *h;
	struct probe a, b, c;
};

/* One core, a 4 ms quantum, wake-up preemption: x's threads, a of
 * process 1, b and c of process 2. */
static void three_procs(struct sim *s, struct sim_host *h, struct sw *x)
{
	static const int p1 = 1, p2 = 2;
	struct sim_host_cfg cfg = {
	    .cores = 1, .quantum = 0.004, .wakeup_preemption = true};
	cr_assert_eq(sim_init(s), 0);
	cr_assert_eq(sim_host_init(h, s, &cfg), 0);
	struct probe *pr[] = {&x->a, &x->b, &x->c};
	for (int i = 0; i < 3; i++) {
		sim_thread_init(&pr[i]->t, h, done, x);
		sim_thread_set_proc(&pr[i]->t, i ? &p2 : &p1);
		pr[i]->finished = -1;
	}
}

static void sw_b(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	struct sw *x = obj;
	sim_host_run(x->h, arg ? &x->c.t : &x->b.t, 0.001);
}

static void switch_case(bool with_c, double *a_done, double *b_done,
			double *c_done)
{
	struct sim s;
	struct sim_host h;
	struct sw x = {.h = &h};
	three_procs(&s, &h, &x);
	sim_host_set_switch_refill(&h, 0.001);
	sim_host_run(&h, &x.a.t, 0.010);
	sim_at(&s, 0.005, sw_b, &x, 0);
	if (with_c)
		sim_at(&s, 0.010, sw_b, &x, 1);
	sim_run_until(&s, 1);
	*a_done = x.a.finished;
	*b_done = x.b.finished;
	*c_done = x.c.finished;
	sim_host_release(&h);
	sim_release(&s);
}

Test(host, a_burst_pays_its_switch_refill_once)
{
	double a, b, c;
	switch_case(false, &a, &b, &c);
	cr_expect_float_eq(b, 0.007, 1e-12);
	cr_expect_float_eq(a, 0.013, 1e-12);
	switch_case(true, &a, &b, &c);
	cr_expect_float_eq(b, 0.007, 1e-12);
	cr_expect_float_eq(c, 0.014, 1e-12);
	cr_expect_float_eq(a, 0.015, 1e-12);
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

/* Another process's hold evicts as idle time does: one core, a 4 ms
 * quantum, a refill of 1 ms with a time constant of 10 ms, no switch
 * refill. C (process 2) runs 1 ms from 0; B (process 2, C's) wakes at 1
 * ms for 5 ms on a core its own process just left (no idle: no refill).
 * A (process 1) wakes at 3 ms; B has held the core 2 ms of its quantum,
 * so A waits to 5 ms and pays the refill of B's 4 ms hold, 1 - exp(-0.4)
 * ms, finishing at 6.3297 ms. B resumes after the preemption and pays no
 * refill (only a burst's first core does): its last 1 ms ends at 7.3297
 * ms. Without the other process's hold A finishes at 6 ms; with it on
 * every resume (A's 1 ms hold), B at 7.42 ms. */
static void own_wake(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	struct sw *x = obj;
	if (arg)
		sim_host_run(x->h, &x->a.t, 0.001);
	else
		sim_host_run(x->h, &x->b.t, 0.005);
}

Test(host, another_process_s_hold_evicts_as_idle_time_does)
{
	struct sim s;
	struct sim_host h;
	struct sw x = {.h = &h};
	three_procs(&s, &h, &x);
	sim_host_set_refill(&h, 0.001, 0.010, 0, 0, false, 0);
	sim_host_run(&h, &x.c.t, 0.001);
	sim_at(&s, 0.001, own_wake, &x, 0);
	sim_at(&s, 0.003, own_wake, &x, 1);
	sim_run_until(&s, 1);
	double refill = -0.001 * expm1(-0.4);
	cr_expect_float_eq(x.c.finished, 0.001, 1e-12);
	cr_expect_float_eq(x.a.finished, 0.006 + refill, 1e-12,
			   "A finished at %.9g s", x.a.finished);
	cr_expect_float_eq(x.b.finished, 0.007 + refill, 1e-12,
			   "B finished at %.9g s", x.b.finished);
	sim_host_release(&h);
	sim_release(&s);
}

/* What a burst that runs part of the server's code leaves cold, the burst
 * that starts the process's next request pays (host.c, idle_refill): a
 * refill of R = 1 ms with a time constant of 10 ms, threads A, B and C of
 * one process sharing their rest, bursts of 1 ms (A's second 5 ms in the
 * second case), r(g) the refill after an idle gap g. */
#define REST_R	 0.001
#define REST_TAU 0.010

struct rest_case {
	struct sim_host *h;
	struct probe a, b, c;
	struct sim_rest rest;
};

enum { REST_PART = 1, REST_PLAIN, REST_PAYS };

static double rest_r(double gap)
{
	return -REST_R * expm1(-gap / REST_TAU);
}

/* arg: the thread (0-2) times 8, plus the kind of burst, plus 4 for 5 ms */
static void rest_step(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	struct rest_case *x = obj;
	struct probe *pr[] = {&x->a, &x->b, &x->c};
	struct sim_thread *t = &pr[arg / 8]->t;
	if ((arg & 3) == REST_PART)
		sim_thread_refill_part(t, 0.5);
	else if ((arg & 3) == REST_PAYS)
		sim_thread_pay_rest(t);
	sim_host_run(x->h, t, arg & 4 ? 0.005 : 0.001);
}

static void rest_init(struct sim *s, struct sim_host *h, struct rest_case *x,
		      int cores)
{
	struct sim_host_cfg cfg = {.cores = cores, .quantum = 0.004};
	cr_assert_eq(sim_init(s), 0);
	cr_assert_eq(sim_host_init(h, s, &cfg), 0);
	sim_host_set_refill(h, REST_R, REST_TAU, 0, 0, false, 0);
	*x = (struct rest_case){.h = h, .rest = {.core = -1}};
	struct probe *pr[] = {&x->a, &x->b, &x->c};
	for (int i = 0; i < 3; i++) {
		sim_thread_init(&pr[i]->t, h, done, x);
		sim_thread_keep_rest(&pr[i]->t, &x->rest);
	}
}

/* Runs the four steps (at[k] seconds, arg[k] for rest_step) on `cores`
 * cores and checks when A, B and C finished. */
static void rest_run(int cores, const double at[4], const uint64_t arg[4],
		     double fa, double fb, double fc)
{
	struct sim s;
	struct sim_host h;
	struct rest_case x;
	rest_init(&s, &h, &x, cores);
	for (int k = 0; k < 4; k++)
		sim_at(&s, at[k], rest_step, &x, arg[k]);
	sim_run_until(&s, 1);
	cr_expect_float_eq(x.a.finished, fa, 1e-12, "A at %.9g s, want %.9g",
			   x.a.finished, fa);
	cr_expect_float_eq(x.b.finished, fb, 1e-12, "B at %.9g s, want %.9g",
			   x.b.finished, fb);
	cr_expect_float_eq(x.c.finished, fc, 1e-12, "C at %.9g s, want %.9g",
			   x.c.finished, fc);
	cr_expect(x.rest.cold == 0, "a rest of %g s left", x.rest.cold);
	sim_host_release(&h);
	sim_release(&s);
}

/* One core. At 100 ms A runs a part (half) after 100 ms idle: it pays
 * r1 / 2, leaving r1 / 2. At 110 ms A's plain burst (a GIL retake) pays
 * its gap's r2 and nothing of the rest, of which that gap evicted r2 /
 * R again (within r2): r1 / 2 (1 - r2 / R) is left. At 115 ms B starts a
 * request: r3 and the rest left, their union, r3 + rest (1 - r3 / R). At
 * 120 ms C's request finds no rest: r4. Paying the rest in any burst,
 * A's plain one takes it; without the union B pays the whole rest. */
Test(host, a_request_pays_what_a_part_left_cold)
{
	static const double at[4] = {0.100, 0.110, 0.115, 0.120};
	static const uint64_t arg[4] = {0 * 8 + REST_PART, 0 * 8 + REST_PLAIN,
					1 * 8 + REST_PAYS, 2 * 8 + REST_PAYS};
	double r1 = rest_r(0.100), f1 = 0.101 + r1 / 2;
	double r2 = rest_r(0.110 - f1), f2 = 0.111 + r2;
	double rest = r1 / 2 * (1 - r2 / REST_R);
	double r3 = rest_r(0.115 - f2);
	double f3 = 0.116 + r3 + rest * (1 - r3 / REST_R);
	rest_run(1, at, arg, f2, f3, 0.121 + rest_r(0.120 - f3));
}

/* The rest is the core's: two cores. A's part at 100 ms leaves r1 / 2
 * on its core X; its 5 ms plain burst from 102 ms keeps X (the core it
 * last ran on) and leaves r1 / 2 (1 - r2 / R). B's request at 103 ms gets
 * the other core, idle since 0, and pays that core's r3 alone; C's at 110
 * ms gets X, the last core freed (a fresh thread takes the top of the
 * idle stack), and pays the rest with its gap's r4. With one rest for
 * all cores B pays it and C does not. */
Test(host, the_rest_is_paid_on_the_core_it_was_left_on)
{
	static const double at[4] = {0.100, 0.102, 0.103, 0.110};
	static const uint64_t arg[4] = {0 * 8 + REST_PART,
					0 * 8 + 4 + REST_PLAIN,
					1 * 8 + REST_PAYS, 2 * 8 + REST_PAYS};
	double r1 = rest_r(0.100), f1 = 0.101 + r1 / 2;
	double r2 = rest_r(0.102 - f1), f2 = 0.107 + r2;
	double rest = r1 / 2 * (1 - r2 / REST_R);
	double r4 = rest_r(0.110 - f2);
	rest_run(2, at, arg, f2, 0.104 + rest_r(0.103),
		 0.111 + r4 + rest * (1 - r4 / REST_R));
}

/* A part that finds a rest on its core adds to it: A's part at 100 ms
 * leaves r1 / 2; its next part at 110 ms pays r2 / 2 and leaves what is
 * left of the first, r1 / 2 (1 - r2 / R), and its own r2 / 2; B's
 * request at 115 ms pays r3 and all of that, their union; C's at 120 ms
 * none. */
Test(host, a_part_adds_to_the_rest_it_finds)
{
	static const double at[4] = {0.100, 0.110, 0.115, 0.120};
	static const uint64_t arg[4] = {0 * 8 + REST_PART, 0 * 8 + REST_PART,
					1 * 8 + REST_PAYS, 2 * 8 + REST_PAYS};
	double r1 = rest_r(0.100), f1 = 0.101 + r1 / 2;
	double r2 = rest_r(0.110 - f1), f2 = 0.111 + r2 / 2;
	double rest = r1 / 2 * (1 - r2 / REST_R) + r2 / 2;
	double r3 = rest_r(0.115 - f2);
	double f3 = 0.116 + r3 + rest * (1 - r3 / REST_R);
	rest_run(1, at, arg, f2, f3, 0.121 + rest_r(0.120 - f3));
}

/* Linux's EEVDF (scheduler: eevdf) on one core, with the 1.5 ms slice
 * and a 4 ms tick. */
static double eevdf_case(int hogs, double b_at)
{
	return hogs_case(0.004, SIM_SCHED_EEVDF, hogs, b_at);
}

/* A computes from 0 alone; B wakes for 1 ms. A got the core with a
 * deadline a slice (1.5 ms) past its virtual runtime v, and keeps it
 * until v reaches that deadline (RUN_TO_PARITY); alone, it renews its
 * deadline at each tick past it (4 ms: v 4, deadline 5.5). B wakes with
 * V, the average v, and a deadline a slice on. At 1 ms A is protected:
 * B waits for the tick of 4 ms, done at 5. At 5 ms A's protection has
 * run out, but its deadline (5.5, renewed at 4) is earlier than B's
 * (6.5): A goes on to the tick of 8, B done at 9 (with the deadline
 * renewed only at B's wake-up, B would win at 5 and be done at 6). At 6
 * ms A is past 5.5: renewed to 7.5, the same as B's, and B, waiting,
 * wins the tie: done at 7. */
Test(host, eevdf_runs_a_thread_to_its_deadline_renewed_at_the_ticks)
{
	cr_expect_float_eq(eevdf_case(1, 0.001), 0.005, 1e-12);
	cr_expect_float_eq(eevdf_case(1, 0.005), 0.009, 1e-12);
	cr_expect_float_eq(eevdf_case(1, 0.006), 0.007, 1e-12);
}

/* Two threads compute from 0 and B wakes at 9 ms: A ran 0-4 and 8-12, C
 * 4-8, so at 9 A's v is 5, C's 4, and B comes in at V = 4.5 with deadline
 * 6. At the tick of 12 C (v 4, deadline 5.5) is eligible with the
 * earliest deadline and runs to 16; only then B, done at 17. Round robin
 * with the same tick runs B at 12 (a thread woken goes before those
 * preempted), done at 13. The machine's share of such waits grows with
 * the busy threads, as here (scripts/calibrate-tick.sh). */
Test(host, eevdf_a_thread_woken_waits_for_one_owed_more)
{
	cr_expect_float_eq(eevdf_case(2, 0.009), 0.017, 1e-12);
	cr_expect_float_eq(tick_case(0.004, 2, 0.009), 0.013, 1e-12);
}

/* A computes 30 ms from 0; B wakes at `at` for n bursts of `cpu`, a
 * sleep of `gap` between each; returns when B finishes. */
static double eevdf_sleeper(double at, double cpu, int n, double gap)
{
	double fin[4];
	struct script x = {.tick = 0.004,
			   .sched = SIM_SCHED_EEVDF,
			   .at = {0, at},
			   .cpu = {0.030, cpu},
			   .n = {1, n},
			   .gap = {0, gap}};
	run_script(&x, 2, true, fin);
	return fin[1];
}

/* A thread keeps across a sleep the CPU it is owed (its lag). B waits
 * from 1 to the tick of 4 and runs 4-5 (v 1 to 2), when A's v is 4: V is
 * 3, so B sleeps owed 1 ms. Waking at 5.5 it comes back that far behind
 * V (2 ms behind A: the lag grows with the weight it adds), A (picked at
 * 5, v 4.5) is no longer eligible and B preempts it at once: done at
 * 6.5. Placed at V, B would find A eligible and in its slice, and wait
 * for the tick of 8 (done at 9). */
Test(host, eevdf_a_thread_owed_cpu_comes_back_ahead)
{
	cr_expect_float_eq(eevdf_sleeper(0.001, 0.001, 2, 0.0005), 0.0065,
			   1e-12);
}

/* A thread that sleeps owing stays on the queue until it has paid
 * (DELAY_DEQUEUE), and what it is owed by then is not kept (DELAY_ZERO).
 * First, B runs 4-7.5 (v 1 to 4.5) while A's v is 4: it sleeps owing
 * 0.25 ms, still on the queue and counted in V. When it wakes at 11.5, A
 * has run since (v 8) and B's debt is paid: it starts afresh at V without
 * it, deadline 9.5, the same as A's just renewed, and wins the tie: done
 * at 15. Off the queue with its debt kept, B would come back 0.5 ms behind
 * (the debt grown by the weight it adds), A the pick, and wait for the
 * tick of 16 (done at 19.5).
 * Then, the kernel weighs a thread woken while still delayed against the
 * running one's v as it last accounted it, not now (the requeue comes
 * before the update_curr() of the wake-up's check): B runs 3.1-3.5 (v
 * 3.1 to 3.5, A's 3.1) and sleeps owing, deadline 4.6. When it wakes at
 * 4.9, A has run on, but its v was last accounted at the tick of 4
 * (3.6): B is owed 0.05 ms and comes in afresh at V without it, A's 3.6,
 * deadline 5.1. The check then finds A at 4.5, past V (4.05), and B
 * preempts it at once: done at 5.3. Weighed against A's v at 4.9, B
 * would come in at 4.5 (deadline 6) and wait for A's slice to end at the
 * tick of 8: done at 8.4. */
Test(host, eevdf_a_thread_owing_cpu_stays_queued_until_paid)
{
	cr_expect_float_eq(eevdf_sleeper(0.001, 0.0035, 2, 0.004), 0.015,
			   1e-12);
	cr_expect_float_eq(eevdf_sleeper(0.0031, 0.0004, 2, 0.0014), 0.0053,
			   1e-12);
}

/* A thread past its share waits, however early its deadline. B wakes at
 * 4.3 and runs 8-9.6 (v 4.3 to 5.9), sleeps, and runs again from 10.5
 * (v 6.8, deadline 8.3). At the tick of 12 it has used that slice (v
 * 8.3, renewed to 9.8), and A's deadline (9.5) is earlier, but A has had
 * more than its share (v 8.9, V 8.6): B, eligible, goes on, and its last
 * burst is done at 14.6. Picked by its deadline alone, A would run to
 * the tick of 16, B done at 18.6. */
Test(host, eevdf_a_thread_past_its_share_waits_for_one_eligible)
{
	cr_expect_float_eq(eevdf_sleeper(0.0043, 0.0016, 3, 0.0009), 0.0146,
			   1e-12);
}

/* While a thread's on_done runs after its burst (the GIL asks then
 * whether a waiter could have the core: gil.c, sim_py_yield), the core is
 * still its, in the slice it got: A's 1 ms burst from 0 leaves it 0.5 ms
 * of its protected 1.5, so a thread waking then gets the core at 1.5 ms,
 * not at once. (Its v counts that burst once: counted twice, 2 ms, A
 * would be past its slice.) */
static double core_at_seen;
static struct sim_thread *core_at_other;

static void core_at_done(struct sim_thread *t)
{
	core_at_seen =
	    sim_host_core_at(t->host, core_at_other, t->host->s->now);
}

Test(host, eevdf_a_burst_end_leaves_the_thread_its_slice)
{
	struct sim s;
	struct sim_host h;
	struct sim_host_cfg cfg = {.cores = 1,
				   .quantum = 0.0015,
				   .scheduler = SIM_SCHED_EEVDF,
				   .wakeup_preemption = true};
	struct sim_thread a, b;
	cr_assert_eq(sim_init(&s), 0);
	cr_assert_eq(sim_host_init(&h, &s, &cfg), 0);
	sim_thread_init(&a, &h, core_at_done, NULL);
	sim_thread_init(&b, &h, core_at_done, NULL);
	core_at_other = &b;
	sim_host_run(&h, &a, 0.001);
	sim_run_until(&s, 1);
	cr_expect_float_eq(core_at_seen, 0.0015, 1e-12);
	sim_host_release(&h);
	sim_release(&s);
}

/* A thread that wakes another as its burst ends (a GIL's release, a
 * loop handing work to a pool) does not give it its core: the core is
 * still the waker's, in its slice (3 ms here, the tick 4 ms), and the
 * woken one gets it by the pick. A runs 1 ms from 0 and then wakes B for
 * 1 ms; `on` >= 0: A goes on for `on` more without blocking, else it
 * blocks; C, if `c_at` >= 0, wakes then for 1 ms. */
struct wake_in_done {
	struct probe p[3]; /* A, B, C */
	struct sim_host *h;
	double on;
	bool woke;
};

static void wid_done(struct sim_thread *t)
{
	struct wake_in_done *x = t->owner;
	done(t);
	if (t != &x->p[0].t || x->woke)
		return;
	x->woke = true;
	sim_host_run(x->h, &x->p[1].t, 0.001);
	if (x->on >= 0)
		sim_host_run(x->h, t, x->on);
}

static void wid_c_wakes(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	(void)arg;
	struct wake_in_done *x = obj;
	sim_host_run(x->h, &x->p[2].t, 0.001);
}

static void wake_in_done_case(double on, double c_at, double *fin)
{
	struct sim s;
	struct sim_host h;
	struct sim_host_cfg cfg = {.cores = 1,
				   .quantum = 0.003,
				   .tick = 0.004,
				   .scheduler = SIM_SCHED_EEVDF,
				   .wakeup_preemption = true};
	struct wake_in_done x = {.h = &h, .on = on};
	cr_assert_eq(sim_init(&s), 0);
	cr_assert_eq(sim_host_init(&h, &s, &cfg), 0);
	for (int i = 0; i < 3; i++) {
		sim_thread_init(&x.p[i].t, &h, wid_done, &x);
		x.p[i].finished = -1;
	}
	sim_host_run(&h, &x.p[0].t, 0.001);
	if (c_at >= 0)
		sim_at(&s, c_at, wid_c_wakes, &x, 0);
	sim_run_until(&s, 1);
	for (int i = 0; i < 3; i++)
		fin[i] = x.p[i].finished;
	sim_host_release(&h);
	sim_release(&s);
}

/* A goes on for 2 ms: in its slice (v 1 of 3) and eligible, it keeps the
 * core, done at 3, then B at 4. A blocks instead, with C waiting since
 * 0.5 (v 0.5, deadline 3.5) and B just woken (v 0.75, deadline 3.75): C,
 * the earlier deadline, runs first (done at 2), then B (3). */
Test(host, eevdf_a_thread_woken_at_a_burst_end_waits_for_the_pick)
{
	double fin[3];
	wake_in_done_case(0.002, -1, fin);
	cr_expect_float_eq(fin[0], 0.003, 1e-12);
	cr_expect_float_eq(fin[1], 0.004, 1e-12);
	wake_in_done_case(-1, 0.0005, fin);
	cr_expect_float_eq(fin[2], 0.002, 1e-12);
	cr_expect_float_eq(fin[1], 0.003, 1e-12);
}
