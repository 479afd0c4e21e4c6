/*
 * test_gil.c - the GIL mechanism: mutual exclusion of Python threads,
 * forced hand-off after the switch interval, and the convoy effect of an
 * I/O-bound thread beside a CPU-bound one (bpo-7946).
 */
#include <criterion/criterion.h>

#include "runtime/config.h"
#include "runtime/gil.h"

/* One host of `cores` cores (4 ms quantum) and its GIL (5 ms interval,
 * no hand-off cost). */
struct rig {
	struct sim s;
	struct sim_host h;
	struct sim_gil g;
};

static void rig_up(struct rig *r, int cores, bool gil)
{
	struct sim_host_cfg cfg = {.cores = cores, .quantum = 0.004};
	sim_init(&r->s);
	sim_host_init(&r->h, &r->s, &cfg);
	sim_gil_init(&r->g, &r->h, gil, 0.005, 0);
}

static void rig_down(struct rig *r)
{
	sim_host_release(&r->h);
	sim_release(&r->s);
}

struct worker {
	struct sim_pythread pt;
	int rounds;	 /* I/O thread: rounds left */
	double finished; /* time of the last burst's end */
	double cpu, io;
};

static void io_back(struct sim *s, void *obj, uint64_t arg)
{
	struct worker *w = obj;
	sim_py_run(&w->pt, w->cpu);
}

static void io_thread_done(struct sim_pythread *pt)
{
	struct worker *w = pt->owner;
	w->finished = pt->t.host->s->now;
	if (--w->rounds > 0) /* blocks on I/O: releases the GIL */
		sim_after(pt->t.host->s, w->io, io_back, w, 0);
}

static void cpu_thread_done(struct sim_pythread *pt)
{
	struct worker *w = pt->owner;
	w->finished = pt->t.host->s->now;
}

/* A CPU-bound thread (2 s of Python) and an I/O-bound one (100 rounds of
 * 0.1 ms CPU + 1 ms I/O) on 2 cores; returns the I/O thread's finish. */
static double convoy(bool gil, double *cpu_finish)
{
	struct rig r;
	rig_up(&r, 2, gil);
	struct worker cpu = {0}, io = {.rounds = 100, .cpu = 1e-4, .io = 1e-3};
	sim_pythread_init(&cpu.pt, &r.g, cpu_thread_done, &cpu);
	sim_pythread_init(&io.pt, &r.g, io_thread_done, &io);
	sim_py_run(&cpu.pt, 2.0);
	sim_py_run(&io.pt, io.cpu);
	sim_run_until(&r.s, 100);
	*cpu_finish = cpu.finished;
	rig_down(&r);
	return io.finished;
}

Test(gil, free_threaded_io_thread_is_not_held_up)
{
	double cpu_end;
	double t = convoy(false, &cpu_end);
	cr_expect_float_eq(t, 100 * 1e-4 + 99 * 1e-3, 1e-9);
	cr_expect_float_eq(cpu_end, 2.0, 1e-9);
}

Test(gil, io_thread_waits_a_switch_interval_after_every_io)
{
	double cpu_end;
	double t = convoy(true, &cpu_end);
	/* the CPU thread holds the GIL whenever the I/O thread comes back,
	 * so each of the 100 bursts first waits the 5 ms interval */
	double expect = 100 * (0.005 + 1e-4) + 99 * 1e-3;
	cr_expect_float_eq(t, expect, 1e-9, "io finished at %g", t);
	/* the CPU thread lost the GIL for 100 bursts of 0.1 ms */
	cr_expect_float_eq(cpu_end, 2.0 + 100 * 1e-4, 1e-9);
}

static int order[8], norder;
static double ended[8];
static void note(struct sim_pythread *pt)
{
	ended[norder] = pt->t.host->s->now;
	order[norder++] = (int)(intptr_t)pt->owner;
}

Test(gil, only_one_thread_runs_python_at_a_time)
{
	/* 3 threads of 1 ms each on 4 cores: serialised by the GIL, they end
	 * at 1, 2 and 3 ms (without it, all three would end at 1 ms) */
	struct rig r;
	rig_up(&r, 4, true);
	struct sim_pythread pt[3];
	norder = 0;
	for (int i = 0; i < 3; i++) {
		sim_pythread_init(&pt[i], &r.g, note, (void *)(intptr_t)i);
		sim_py_run(&pt[i], 0.001);
	}
	sim_run_until(&r.s, 1);
	cr_expect_eq(norder, 3);
	for (int i = 0; i < 3; i++) {
		cr_expect_eq(order[i], i);
		cr_expect_float_eq(ended[i], 0.001 * (i + 1), 1e-9,
				   "thread %d ended at %.9g s", i, ended[i]);
	}
	rig_down(&r);
}

/* A thread that holds the GIL and yields it around a send (sim_py_yield)
 * hands it to the first waiter and takes it back after that one's burst;
 * with nobody waiting, the yield is nothing. */
static int yields;
static void yield_done(struct sim_pythread *pt)
{
	ended[norder] = pt->t.host->s->now;
	order[norder++] = (int)(intptr_t)pt->owner;
	if ((intptr_t)pt->owner == 0 && yields++ == 0)
		cr_expect(sim_py_yield(pt),
			  "a thread waits: the yield hands over");
}

static void start_second(struct sim *s, void *obj, uint64_t arg)
{
	sim_py_run(obj, 0.0005);
}

Test(gil, yield_hands_the_gil_to_the_waiter_and_takes_it_back)
{
	struct rig r;
	rig_up(&r, 2, true);
	struct sim_pythread pt[2];
	norder = 0;
	yields = 0;
	for (int i = 0; i < 2; i++)
		sim_pythread_init(&pt[i], &r.g, yield_done,
				  (void *)(intptr_t)i);
	sim_py_run(&pt[0], 0.001);
	sim_after(&r.s, 0.0002, start_second, &pt[1], 0);
	sim_run_until(&r.s, 1);
	/* thread 0 ends its burst at 1 ms and yields; thread 1 runs its
	 * 0.5 ms; thread 0 has the GIL back at 1.5 ms */
	cr_assert_eq(norder, 3);
	int want[3] = {0, 1, 0};
	double at[3] = {0.001, 0.0015, 0.0015};
	for (int i = 0; i < 3; i++) {
		cr_expect_eq(order[i], want[i]);
		cr_expect_float_eq(ended[i], at[i], 1e-12, "step %d at %.9g s",
				   i, ended[i]);
	}
	cr_expect(r.g.holder == NULL);
	/* nobody waits now: a yield is nothing */
	sim_py_run(&pt[0], 0.001);
	sim_run_until(&r.s, 2);
	cr_expect_eq(norder, 4);
	rig_down(&r);
}

/* gil.h, "Who takes a released GIL": a gthread worker's main thread (m)
 * forces a long request (h) out after the switch interval, accepts for
 * 0.5 ms and hands the connection to a thread (w) that wants the GIL
 * while m holds it. On one core h, whose core m took, is preempted, not
 * asleep on the GIL, and w, woken, cannot preempt m: both are runnable
 * when m lets the GIL go, and h, preempted in mid-slice, goes first; w
 * takes the GIL at h's next forced switch. With a second, idle core h is
 * asleep on the GIL from the forced switch and w from when it came: h
 * first again. */
static struct sim_pythread *served;
static double m_end, w_end;

static void w_done(struct sim_pythread *pt)
{
	w_end = pt->t.host->s->now;
}

static void m_done(struct sim_pythread *pt)
{
	m_end = pt->t.host->s->now;
	sim_py_run(served, 0.001);
}

static void m_wakes(struct sim *s, void *obj, uint64_t arg)
{
	sim_py_run(obj, 0.0005);
}

static void handover(int cores)
{
	struct rig r;
	rig_up(&r, cores, true);
	struct sim_pythread h, m, w;
	sim_pythread_init(&h, &r.g, cpu_thread_done, &(struct worker){0});
	sim_pythread_init(&m, &r.g, m_done, NULL);
	sim_pythread_init(&w, &r.g, w_done, NULL);
	served = &w;
	m_end = w_end = 0;
	sim_py_run(&h, 1.0);
	/* m comes at 10 ms, runnable until h's quantum ends at 12 ms (this
	 * rig has no wake-up preemption), then waits on the GIL and forces h
	 * out at 15 ms */
	sim_after(&r.s, 0.010, m_wakes, &m, 0);
	sim_run_until(&r.s, 0.1);
	cr_expect_float_eq(m_end, 0.0155, 1e-12, "m ended at %.9g s", m_end);
	/* h takes the GIL back at 15.5 ms, w at 20.5 */
	cr_expect_float_eq(w_end, 0.0215, 1e-12,
			   "%d cores: w waited behind h an interval: "
			   "ended at %.9g s",
			   cores, w_end);
	cr_expect(r.g.holder == &h, "h holds the GIL after w");
	rig_down(&r);
}

Test(gil, the_long_request_preempted_goes_before_the_served_thread)
{
	handover(1);
}

Test(gil, with_an_idle_core_the_served_thread_waits_its_turn)
{
	handover(2);
}

/* Several waiters: a (at 10 ms) and b (11 ms) come while h computes (14
 * ms) and, runnable until h's quantum boundary at 12 ms, then sleep on
 * the GIL from the same instant, a first (it came first); c comes at 13
 * ms, runnable until the next boundary at 16 ms. h ends at 14 ms: c,
 * runnable, takes the GIL before the sleepers (1 ms, to 15 ms), then a
 * (0.5 ms) and b (0.5 ms), in the order they came. */
static void wants(struct sim *s, void *obj, uint64_t arg)
{
	sim_py_run(obj, arg ? 0.001 : 0.0005);
}

Test(gil, waiters_take_it_runnable_first_then_in_the_order_they_waited)
{
	struct rig r;
	rig_up(&r, 1, true);
	struct sim_pythread h, a, b, c;
	sim_pythread_init(&h, &r.g, note, (void *)(intptr_t)3);
	sim_pythread_init(&a, &r.g, note, (void *)(intptr_t)0);
	sim_pythread_init(&b, &r.g, note, (void *)(intptr_t)1);
	sim_pythread_init(&c, &r.g, note, (void *)(intptr_t)2);
	norder = 0;
	sim_py_run(&h, 0.014);
	sim_after(&r.s, 0.010, wants, &a, 0);
	sim_after(&r.s, 0.011, wants, &b, 0);
	sim_after(&r.s, 0.013, wants, &c, 1);
	sim_run_until(&r.s, 1);
	cr_assert_eq(norder, 4);
	int want[4] = {3, 2, 0, 1};
	double at[4] = {0.014, 0.015, 0.0155, 0.016};
	for (int i = 0; i < 4; i++) {
		cr_expect_eq(order[i], want[i], "step %d: thread %d", i,
			     order[i]);
		cr_expect_float_eq(ended[i], at[i], 1e-12, "step %d at %.9g s",
				   i, ended[i]);
	}
	cr_expect(r.g.nwait == 0 && !r.g.wq_head && !r.g.wq_tail);
	rig_down(&r);
}

/* gil.h, "Who takes a released GIL", signalled: two long requests (x
 * from 0, y from 1 ms) take turns, each forced out preempted until the
 * other's quantum ends, then asleep; the main thread m (its bursts start
 * with an accept that lets the GIL go, `drops`) comes at 7 ms while y
 * holds, runnable until 10 ms, then asleep behind x; x takes the GIL at
 * 11 ms, m at 16 ms. m's accept signals y (asleep since 15; not x, which
 * m's take forced out), which cannot have the core before m's quantum
 * ends at 20 ms. m ends at 16.5 ms and hands the connection to w: of y
 * (signalled), x (preempted) and w (woken) y takes the GIL, then x
 * (asleep from 20 ms, before w), and w only at 26.5 ms. Without the
 * signal x would take it at 16.5 ms, y at 21.5 and w still at 26.5:
 * who holds it between says which. */
static void long_request(struct sim *s, void *obj, uint64_t arg)
{
	sim_py_run(obj, 1.0);
}

Test(gil, the_accept_wakes_a_sleeper_that_goes_before_the_served_thread)
{
	struct rig r;
	rig_up(&r, 1, true);
	struct sim_pythread x, y, m, w;
	sim_pythread_init(&x, &r.g, cpu_thread_done, &(struct worker){0});
	sim_pythread_init(&y, &r.g, cpu_thread_done, &(struct worker){0});
	sim_pythread_init(&m, &r.g, m_done, NULL);
	sim_pythread_init(&w, &r.g, w_done, NULL);
	m.drops = true;
	served = &w;
	m_end = w_end = 0;
	sim_py_run(&x, 1.0);
	sim_after(&r.s, 0.001, long_request, &y, 0);
	sim_after(&r.s, 0.007, m_wakes, &m, 0);
	sim_run_until(&r.s, 0.0166);
	cr_expect(r.g.holder == &y, "y, signalled, took the GIL after m");
	sim_run_until(&r.s, 0.0216);
	cr_expect(r.g.holder == &x, "x, preempted, took it after y");
	sim_run_until(&r.s, 0.1);
	cr_expect_float_eq(m_end, 0.0165, 1e-12, "m ended at %.9g s", m_end);
	cr_expect_float_eq(w_end, 0.0275, 1e-12,
			   "w went behind y (woken by the accept) and x: "
			   "ended at %.9g s",
			   w_end);
	rig_down(&r);
}
