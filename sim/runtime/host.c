/*
 * host.c - the host CPU scheduler shared by every model.
 *
 * Threads (a Node loop, a gunicorn worker, a pool thread) ask for bursts of
 * CPU. With a quantum q > 0 the host is round-robin: a thread runs on a
 * free core for min(remaining, q); when its slice ends and others wait, it
 * goes to the tail of the run queue. A thread keeps its core across the
 * bursts it runs without blocking (its hold), and a thread that becomes
 * runnable while another has held a core for more than q takes that core
 * at once (wake-up preemption, as Linux does); with a tick (sim_host_cfg
 * .tick) a used-up slice ends only at the next tick, and threads that woke
 * queue before those preempted (hold_end_ticked, rq_insert). With Linux's
 * EEVDF (sim_host_cfg.scheduler, eevdf.h) a core runs the eligible thread
 * with the earliest virtual deadline instead, each thread keeping the CPU
 * it is owed or owes across its sleeps (the ev_ functions). A core that
 * changes thread pays the context-switch cost first (the core is busy,
 * nobody progresses), so oversubscription (64 threads on 4 cores) shows
 * up as slower bursts and lower useful capacity. With q = 0 the host is
 * ideal processor sharing: n runnable threads on c cores each progress at
 * min(1, c/n), tracked with a virtual clock so only the next completion
 * is scheduled.
 *
 * Stalls (sim_host_set_stalls): a round-robin core can stop for a while,
 * as a virtual machine's vCPU does when the hypervisor runs another on its
 * physical core. The thread on it gets nothing done meanwhile: its slice
 * ends that much later (its core's CPU start and hold move with it), and
 * the core counts busy, since the guest charges that time to the thread.
 * An idle core that stops leaves the idle stack until the stall ends.
 */
#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "runtime/config.h"
#include "runtime/host.h"

/* sim_thread.owed: its burst owes the switch refill, and has not had a
 * core yet (START: hand_over charges the last process's hold) */
enum { SIM__OWED = 1, SIM__OWED_START = 2 };

/* The EEVDF scheduler (sim_host.eevdf), read from the hot field slow. */
static inline bool ev_on(const struct sim_host *h)
{
	return h->slow & SIM__HOST_EEVDF;
}

/* EEVDF (eevdf.h, which knows no host): the v at `now` of core co's
 * thread, or of its last one if it runs none (its slice's CPU so far
 * added; between threads, a burst's end with its on_done running, the
 * last one's slice is in its v already: sim__eevdf_ended). */
static double ev_vnow(const struct sim_host *h, const struct sim_core *co,
		      double now)
{
	if (!co->cur)
		return sim__eevdf_of(h, co->last)->v;
	double ran = now - co->t_cpu;
	ran = ran < 0 ? 0 : ran > co->slice ? co->slice : ran;
	return sim__eevdf_of(h, co->last)->v + ran;
}

/* The threads the cores run, on the queue as eevdf.c counts them: their
 * v, written into the queue's room for them (h->evq.vrun); as of now, or
 * with `seen` as the kernel last accounted each (update_curr()): at its
 * core's last tick, or its last wake-up check or reschedule
 * (h->evq.seen), whichever is later; without a tick, now. A thread that
 * wakes while still delayed is requeued against these
 * (requeue_delayed_entity() from ttwu_runnable(), with no update_curr()
 * before it: the running thread's v is the one of its last accounting),
 * and only then checks the core (see ev_place). A thread that reads its
 * CPU clock is accounted at each read (task_sched_runtime()), as the
 * validation servers' burns are: a host of such threads wants no tick.
 * Two approximations, as tests/eevdf/oracle.py's: a burst's end counts as
 * an accounting (its v is brought up to date there, sim__eevdf_ended,
 * where in the kernel a thread that goes on is not seen), so a thread
 * woken by one as it ends is weighed against that one's v of now; and
 * without wake-up preemption a wake-up accounts nothing (the kernel's
 * enqueue_entity() would). */
static struct sim_eevdf_run ev_run_as(struct sim_host *h, bool seen)
{
	double now = h->s->now;
	seen = seen && h->tick > 0;
	double tick = seen ? h->tick * floor(now / h->tick + 1e-6) : now;
	int n = 0;
	for (int c = 0; c < h->ncores; c++)
		if (h->cores[c].cur)
			h->evq.vrun[n++] = ev_vnow(
			    h, &h->cores[c],
			    seen ? fmin(now, fmax(tick, h->evq.seen[c])) : now);
	return (struct sim_eevdf_run){.v = h->evq.vrun, .n = n};
}

static struct sim_eevdf_run ev_run(struct sim_host *h)
{
	return ev_run_as(h, false);
}

/* Whether core co's thread still holds its core at `now` (eevdf.h). */
static bool ev_protected(const struct sim_host *h, const struct sim_core *co,
			 double now)
{
	return sim__eevdf_protected(&h->evq, sim__eevdf_idx(co->last),
				    ev_vnow(h, co, now));
}

/* update_curr()'s deadline for core co's thread at `now` (eevdf.h), its
 * v accounted then (ev_run_as). */
static bool ev_renew(struct sim_host *h, const struct sim_core *co, double now)
{
	h->evq.seen[co - h->cores] = now;
	return sim__eevdf_renew(&h->evq, sim__eevdf_idx(co->last),
				ev_vnow(h, co, now), now, co->held);
}

/* The thread core c should run (c >= 0: against its own; -1 a core
 * about to take a waiting thread), as sim__eevdf_pick says; when none of
 * them is eligible (others run on other cores), the waiting one owed
 * most, else c's own. NULL when nothing runnable waits and c runs
 * nothing. */
static struct sim_thread *ev_pick(struct sim_host *h, int c, bool dequeue)
{
	const struct sim_core *co = c >= 0 ? &h->cores[c] : NULL;
	struct sim_thread *cur = co ? co->cur : NULL;
	int ci = cur ? sim__eevdf_idx(cur) : -1;
	double curv = cur ? ev_vnow(h, co, h->s->now) : 0;
	int i = sim__eevdf_pick(&h->evq, ci, curv, ev_run(h), dequeue);
	if (i >= 0)
		return i == ci ? cur : h->evq.ev[i].t;
	struct sim_thread *best = NULL;
	for (struct sim_thread *t = h->rq_head; t; t = t->next)
		if (!best || sim__eevdf_of(h, t)->v < sim__eevdf_of(h, best)->v)
			best = t;
	return best ? best : cur;
}

/* Places t as it wakes (sim__eevdf_place), a state of its own first if it
 * has none; one still delayed against the running threads' v as last
 * accounted (ev_run_as). Returns 0 or SIM_ENOMEM. */
static int ev_place(struct sim_host *h, struct sim_thread *t)
{
	if (t->hpos == -1) {
		int i = sim__eevdf_new(&h->evq, t);
		if (i < 0)
			return SIM_ENOMEM;
		t->hpos = -2 - i;
	}
	sim__eevdf_place(&h->evq, sim__eevdf_idx(t),
			 ev_run_as(h, sim__eevdf_of(h, t)->delayed));
	return 0;
}

void sim_thread_init(struct sim_thread *t, struct sim_host *h,
		     void (*on_done)(struct sim_thread *), void *owner)
{
	*t = (struct sim_thread){.on_done = on_done,
				 .owner = owner,
				 .host = h,
				 .core = -1,
				 .lastcore = -1,
				 .hpos = -1};
}

static void core_event(struct sim *s, void *obj, uint64_t arg);
static void set_slow(struct sim_host *h);

int sim_host_init(struct sim_host *h, struct sim *s,
		  const struct sim_host_cfg *cfg)
{
	*h = (struct sim_host){.s = s,
			       .ncores = cfg->cores,
			       .quantum = cfg->quantum,
			       .tick = cfg->quantum > 0 ? cfg->tick : 0,
			       .cs = cfg->context_switch,
			       .wakeup_preempt = cfg->wakeup_preemption,
			       .eevdf = cfg->scheduler == SIM_SCHED_EEVDF &&
					cfg->quantum > 0,
			       .handoff = -1,
			       .core_fn = core_event};
	set_slow(h);
	/* whole bytes: memory.c keeps footprints as integers */
	h->mem.limit = cfg->memory > 0 ? (int64_t)llround(cfg->memory) : 0;
	assert(h->ncores > 0);
	if (h->ncores == 1) {
		h->cores = &h->one_core;
		h->idle = &h->one_idle;
	} else {
		h->cores = calloc((size_t)h->ncores, sizeof *h->cores);
		h->idle = malloc((size_t)h->ncores * sizeof *h->idle);
	}
	if (!h->cores || !h->idle ||
	    sim__eevdf_init(&h->evq, h->quantum, h->tick,
			    h->eevdf ? h->ncores : 0) < 0) {
		sim_host_release(h);
		return SIM_ENOMEM;
	}
	/* lowest core on top of the stack */
	for (int i = 0; i < h->ncores; i++)
		h->idle[i] = h->ncores - 1 - i;
	h->nidle = h->ncores;
	return 0;
}

/* A host's stalls: its own stream, how long they last, and per core when
 * its current stall ends (sim_host_abort: what a thread stopped under it
 * did). */
struct sim_stalls {
	struct sim_stream rng;
	const struct sim_dist *time;
	double gap;	/* mean time between a stall's end and the next */
	uint64_t n;	/* stalls since the reset */
	double stopped; /* their time, since the reset */
	double until[];
};

void sim_host_release(struct sim_host *h)
{
	free(h->stalls);
	h->stalls = NULL;
	if (h->cores != &h->one_core) {
		free(h->cores);
		free(h->idle);
	}
	free(h->ps);
	sim__eevdf_release(&h->evq);
	h->cores = NULL;
	h->idle = NULL;
	h->ps = NULL;
}

/* ------------------------------------------------------ cache refill -- */

/* sim_host.slow from the refills and the quantum */
static void set_slow(struct sim_host *h)
{
	h->slow = h->refill > 0 || h->refill_long > 0 || h->swrefill > 0 ||
		  h->quantum <= 0;
	if (h->refill_long > 0)
		h->slow |= SIM__HOST_LONG;
	if (h->eevdf)
		h->slow |= 1 | SIM__HOST_EEVDF;
}

void sim_host_set_refill(struct sim_host *h, double cpu, double time,
			 double lcpu, double ltime, bool work, double wtime)
{
	h->refill = cpu;
	h->refill_time = time;
	h->work_time = wtime > 0 ? wtime : time;
	h->refill_long = lcpu;
	h->refill_long_time = ltime;
	h->work_refill = work ? cpu + lcpu : 0;
	set_slow(h);
}

void sim_host_set_switch_refill(struct sim_host *h, double cpu)
{
	h->swrefill = cpu;
	set_slow(h);
}

static void core_event_fetched(struct sim *s, void *obj, uint64_t arg);

/* Two events ahead of core_event_fetched (sim_set_fetcher): h came with
 * the kernel's fetch of the event's object. */
static void fetch_ahead(const void *obj, uint64_t arg)
{
	const struct sim_host *h = obj;
	if (h->pfahead)
		h->pfahead(h->pfarg);
}
/* what fetch_ahead and fetch_late read: the two lines the kernel fetched
 * as the event's object */
_Static_assert(offsetof(struct sim_host, pfahead) + sizeof(void *) <= 128 &&
		   offsetof(struct sim_host, pfarg) + sizeof(void *) <= 128 &&
		   offsetof(struct sim_host, pf) + sizeof(void *) <= 128,
	       "the host's prefetch handlers in its first two lines");

/* One event ahead: what fetch_ahead fetched came one event ago. */
static void fetch_late(const void *obj, uint64_t arg)
{
	const struct sim_host *h = obj;
	h->pf(h->pfarg);
}

void sim_host_set_prefetch(struct sim_host *h, void (*ahead)(const void *arg),
			   void (*fetch)(const void *arg), const void *arg)
{
	h->pf = fetch;
	h->pfarg = arg;
	h->pfahead = ahead;
	h->core_fn = fetch ? core_event_fetched : core_event;
	if (fetch)
		sim_set_fetcher(h->s, core_event_fetched, fetch_ahead,
				fetch_late);
}

void sim_thread_set_proc(struct sim_thread *t, const void *proc)
{
	t->proc = proc;
}

/* The cache refill of a burst starting on a core idle since `since`
 * (sim_host_set_refill). */
static double refill(const struct sim_host *h, double since)
{
	double g = h->s->now - since;
	if (g <= 0)
		return 0; /* the same instant: nothing was evicted */
	double r = sim__refill_after(h->refill, h->refill_time, g);
	if (h->slow & SIM__HOST_LONG)
		r += sim__refill_after(h->refill_long, h->refill_long_time, g);
	return r;
}

/* The idle refill of t's burst on core c (-1: processor sharing) since
 * `since` (refill), and what t->start says of it (then back to zero).
 * The server's code still cold on a core after a burst that ran a part of
 * it (sim_thread_refill_part) is kept in its process's t->rest
 * (sim_thread_keep_rest). With R the refill of a fully cold working set,
 * a gap whose refill is r evicts a fraction r / R of the code, what was
 * still cold included, so of a rest on c, rest x (1 - r / R) is left
 * beside the gap's r: a burst that runs a part pays spared x r less
 * than r and leaves rest x (1 - r / R) + spared x r; the burst that
 * starts the process's next request (sim_thread_pay_rest) pays r and the
 * rest left, their union (as charge's of the idle and switch refills),
 * and leaves none; any other burst (the GIL's retakes, a resumption, work
 * without the GIL) pays r and leaves rest x (1 - r / R). A rest left on
 * another core stays there: the caches are the core's, and a request
 * that starts elsewhere pays that core's own gap (until the process's
 * next part leaves a rest there instead). A worker that goes from a
 * response straight to the next request, queued meanwhile, starts on a
 * core that did not idle (r = 0) and pays the rest: measured
 * (docs/validation.md, 2026-12-05 08:10, perf trace of one gunicorn sync
 * worker with Flask pinned to one core, wall time between syscalls), a
 * start after a response that followed a 20 ms sleep took 0.717 ms at
 * the median against 0.487 ms back to back without the sleep: +0.230 ms,
 * 0.45 of the whole refill after an idle gap (+0.516 ms), where the rest
 * that 1 - response_share leaves is 0.53 of it. (The same trace had the
 * response after the sleep pay 0.78 of that refill, not 0.47: the
 * request with its wait paid more than the whole refill, which a union
 * cannot.) */
static double idle_refill(const struct sim_host *h, struct sim_thread *t, int c,
			  double since)
{
	double r = refill(h, since), spared = t->start.spared;
	bool pays = t->start.pays_rest;
	t->start.spared = 0;
	t->start.pays_rest = false;
	struct sim_rest *rest = t->rest;
	double left = 0;
	if (rest && rest->cold > 0 && rest->core == c) {
		left =
		    rest->cold - rest->cold * r / (h->refill + h->refill_long);
		rest->cold = left;
	}
	if (spared > 0) {
		double unpaid = spared * r;
		if (rest) {
			rest->cold = left + unpaid;
			rest->core = c;
		}
		return r - unpaid;
	}
	if (pays && left > 0) {
		rest->cold = 0;
		return r + left;
	}
	return r;
}

/* Adds refill x to t's burst, but the share held back for after its
 * response (sim_thread_after). */
static void add_refill(struct sim_thread *t, double x)
{
	if (t->after > 0) {
		double held = t->after * x;
		t->held += held;
		x -= held;
	}
	t->remaining += x;
}

/* The refill of t's burst on core co, whose idle refill is `idle` (see
 * hand_over). Two causes evict the working set independently: time left
 * to others (the idle gap, other tenants and sleep states; where the core
 * last ran another process, that process's hold too) a fraction idle / R
 * of it, a switch from another process of the server b / R, with R =
 * max(cache_refill + cache_refill_long, switch_refill) the refill of a fully
 * cold working set and b the switch refill when the core's last process was
 * another one, else 0. What is cold is the union: R x (1 - (1 - idle/R)(1 -
 * b/R)) = idle + b - idle x b / R. A fully cold request (long idle: idle = R)
 * pays R once, not twice; a core that just ran another process pays b; in
 * between the switch adds only what the idle gap had not already evicted. b
 * only for a burst that still owes it (once per burst, see switched). */
static __attribute__((noinline)) double charge(const struct sim_host *h,
					       double idle,
					       const struct sim_core *co,
					       struct sim_thread *t)
{
	/* co->last: threads live as long as their host */
	const struct sim_thread *l = co->last;
	if (!t->owed || !(h->swrefill > 0) || !t->proc || !l || !l->proc ||
	    l->proc == t->proc)
		return idle;
	t->owed = 0; /* once per burst */
	double b = h->swrefill;
	double cold = h->refill + h->refill_long;
	double r = cold > b ? cold : b;
	return idle + b - idle * b / r;
}

/* Core co goes from its last thread to t; slow paths only (a cache
 * refill or a queue). Returns since when t's working set has been left to
 * others, the `since` of its refill: when the core went idle (now, if it
 * is busy), or, where a burst of a process other than the core's last
 * one's starts (`start`), when that last one's hold began: its work, the
 * application's above all, evicts what the server's code keeps in the
 * caches as other tenants do while the core idles, and the same process
 * would pay it in its own next burst (`cache_refill_work`). Measured on
 * the validation VM (2026-12-03, perf sched, gunicorn sync with 4
 * workers on one core, `hol`: 90 % of requests burn 1 ms, 10 % 20 ms):
 * at 150/s a 1 ms request cost 1.99-2.25 ms of CPU at the median when the
 * core had not idled since its worker last ran (other workers computed),
 * 2.11-2.39 ms when it had idled 5-50 ms, against 1.54 ms back to back in
 * one worker; with only the idle gap's refill, the model charged those
 * the switch refill alone, and a 1 ms request that woke during a 20 ms
 * one ran within its 1.5 ms slice, where the real one needed two
 * and waited a slice of the long one between (3.56 ms at the median at
 * 49/s, 2.3 for the others). Other workers serving requests evict little
 * (their code is the same): at 300/s of empty requests 4 workers cost
 * 999 us a request, 1 worker 1022. A burst resuming after a preemption
 * pays no more than its switch refill (switched). */
static double hand_over(const struct sim_core *co, struct sim_thread *t,
			bool start)
{
	double end = co->t_cpu + co->slice;
	const struct sim_thread *l = co->last;
	if (start && l && l != t && t->proc && l->proc && l->proc != t->proc &&
	    co->held < end)
		return co->held;
	return end;
}

/* The refill of a thread that waited for a core and takes busy core co
 * from its last thread: at its burst's first core, that of the last
 * process's hold (hand_over's `since`); and the switch refill, once per
 * burst (a request's server code, evicted by another process), the first
 * time the burst gets a core that ran another process: when it first
 * gets one, or when it resumes after a preemption, if the cores it had
 * until then ran only its own process (a worker going on to its next
 * request without blocking keeps its core). A burst time-sliced with
 * other processes pays once, not per slice: what the others evict is the
 * server's code around the application's, not the application's loop.
 * Returns the switch refill's part of what it adds to the burst: the
 * thread's quantum counts from after that (see dispatch), while the
 * hold's part counts in it, as an idle core's refill does. Out of line,
 * off the path without one. */
static __attribute__((noinline, cold)) double
switched(const struct sim_host *h, const struct sim_core *co,
	 struct sim_thread *t, double since)
{
	double idle = idle_refill(h, t, (int)(co - h->cores), since);
	double all = charge(h, idle, co, t);
	double before = t->remaining;
	add_refill(t, all);
	double added = t->remaining - before;
	return all > idle ? added * (all - idle) / all : 0;
}

/* ------------------------------------------------------- round robin -- */

/* The first scheduler tick at or after x (ticks at multiples of h->tick
 * from time 0; within a millionth of a tick counts as on it). */
static double tick_at(const struct sim_host *h, double x)
{
	return h->tick * ceil(x / h->tick - 1e-6);
}

/* hold_end with a scheduler tick: a thread's slice ends a quantum after
 * it got the core, but the scheduler acts on it only at a tick. At that
 * tick a thread with others waiting gives the core up; a thread alone
 * keeps it and starts a new slice there (Linux: update_deadline() at the
 * tick gives it a new deadline, a quantum on). A thread that wakes
 * (`woken`) preempts it once that deadline has passed, at once
 * (check_preempt_wakeup_fair()'s update_curr()); else, and for the end
 * of a burst or a slice, nothing happens before the next tick. */
static double hold_end_ticked(const struct sim_host *h,
			      const struct sim_core *co, double now, bool woken)
{
	double q = h->quantum, d = co->held + q;
	if (now >= d) {
		/* renewed, alone, at the ticks since its slice ran out and
		 * before now (one at now has not happened yet) */
		double r = tick_at(h, d);
		if (r < now - 1e-6 * h->tick) {
			double period = tick_at(h, q);
			r += period * (ceil((now - r) / period - 1e-6) - 1);
			d = r + q;
		}
	}
	double end = now < d			  ? tick_at(h, d)
		     : woken && h->wakeup_preempt ? now
						  : tick_at(h, now);
	return end > now ? end : now;
}

/* hold_end with EEVDF (eevdf.h): core co's thread gives its core up to
 * a waiting thread no sooner than its v reaches its vprot (RUN_TO_PARITY),
 * and then at the first tick after (update_curr() at the tick asks for a
 * reschedule); past it, a thread that wakes (`woken`) has it reschedule
 * at once, else the next tick does. The pick there may keep it (see
 * ev_slice_end). Without a tick the reschedule comes as v reaches vprot,
 * and past it at its deadline. Always later than now while protected, so
 * that a thread kept makes progress. */
static double core_now(const struct sim_host *h, int c);

static double ev_hold_end(const struct sim_host *h, const struct sim_core *co,
			  double now, bool woken)
{
	/* it has run nothing: idle, but stopped (stalls) until core_now */
	if (!co->last)
		return fmax(core_now(h, (int)(co - h->cores)), now);
	const struct sim_eevdf *e = sim__eevdf_of(h, co->last);
	double v = ev_vnow(h, co, now);
	double next_tick =
	    h->tick > 0 ? h->tick * (floor(now / h->tick + 1e-6) + 1) : now;
	if (sim__eevdf_protected(&h->evq, sim__eevdf_idx(co->last), v)) {
		double end = now + (e->vprot - v);
		if (h->tick > 0)
			end = h->tick * ceil((end - 1e-9) / h->tick);
		return end > now + 1e-12 ? end : next_tick;
	}
	if (woken)
		return now;
	if (h->tick > 0)
		return next_tick;
	return e->deadline > v ? now + (e->deadline - v) : now;
}

/* When the hold of core co's thread ends if threads wait (at `now` or
 * later): at the end of its first quantum; past it, at once with wake-up
 * preemption, else at its next quantum boundary; with a tick, at the
 * tick where the scheduler sees it so (hold_end_ticked; `woken`: asked
 * for a thread that just became runnable). */
static double hold_end(const struct sim_host *h, const struct sim_core *co,
		       double now, bool woken)
{
	if (ev_on(h))
		return ev_hold_end(h, co, now, woken);
	if (h->tick > 0)
		return hold_end_ticked(h, co, now, woken);
	double q = h->quantum, used = now > co->held ? now - co->held : 0;
	if (h->wakeup_preempt)
		return co->held + (used < q ? q : used);
	double n = floor(used / q);
	/* at a boundary (a burst that ended on it) the hold ends there */
	if (n >= 1 && used - n * q < 1e-12)
		return now;
	return co->held + (n + 1) * q;
}

double sim_host_core_at(const struct sim_host *h, const struct sim_thread *t,
			double now)
{
	if (h->nidle > 0 || !(h->quantum > 0) ||
	    (h->handoff >= 0 && h->cores[h->handoff].last == t))
		return now;
	double at = INFINITY;
	for (int i = 0; i < h->ncores; i++)
		at = fmin(at, hold_end(h, &h->cores[i], now, true));
	return fmax(at, now);
}

/* Gives core c to t for its burst; a new hold's quantum starts after
 * `refill`, the switch refill just added to the burst. */
static void dispatch(struct sim_host *h, int c, struct sim_thread *t,
		     double refill)
{
	struct sim_core *co = &h->cores[c];
	double cost = 0, now = h->s->now;
	if (co->last != t && co->last) {
		cost = h->cs;
		h->switches++;
	}
	/* A burst that follows the thread's last on this core at the same
	 * instant continues its hold (it has not blocked): its quantum runs
	 * from when it got the core. */
	if (co->last != t || now - (co->t_cpu + co->slice) > 1e-9) {
		co->held = now + cost + refill;
		if (ev_on(h)) /* picked: it keeps the core to its deadline */
			sim__eevdf_of(h, t)->vprot =
			    sim__eevdf_of(h, t)->deadline;
	}
	/* these three before the slice is known, their neighbours in
	 * memory (co->cur, co->slice, t->core) after it: written side by
	 * side, each pair became one vector store, whose vector takes more
	 * instructions to build than the two stores (gcc 12) */
	co->last = t;
	co->t_cpu = now + cost;
	t->lastcore = c;
	/* With nobody waiting, the thread runs to the end of its burst; a
	 * thread that becomes runnable later cuts it back (see bound_slices),
	 * which is what slicing every quantum would do, without an event per
	 * quantum. */
	double slice = t->remaining;
	if ((h->rq_head || (ev_on(h) && h->evq.ndelayed)) && h->quantum > 0) {
		double left = hold_end(h, co, now + cost, false) - (now + cost);
		if (slice > left)
			slice = left;
	}
	co->cur = t;
	co->slice = slice;
	t->core = c;
	/* last, so that its out-of-line path is a tail call (sim_at_to) */
	sim_at_to(&co->ev, h->s, h->s->now + (cost + slice), h->core_fn, h,
		  (uint64_t)c);
}

void sim__host_dispatch(struct sim_host *h, int c, struct sim_thread *t)
{
	dispatch(h, c, t, 0);
}

/* Now, for core c: a stopped core (stalls) gives nothing up before it
 * runs again, its slice's start and hold moved with the stall. */
static double core_now(const struct sim_host *h, int c)
{
	double now = h->s->now;
	if (h->stalls && h->stalls->until[c] > now)
		now = h->stalls->until[c];
	return now;
}

/* When core c's hold ends, as hold_end says. */
static double core_hold_end(const struct sim_host *h, int c, bool woken)
{
	return hold_end(h, &h->cores[c], core_now(h, c), woken);
}

/* Ends core c's slice at `end` if that is sooner. */
static void cut_slice(struct sim_host *h, int c, double end)
{
	struct sim_core *co = &h->cores[c];
	double bound = end > co->t_cpu ? end - co->t_cpu : 0;
	if (bound >= co->slice)
		return;
	sim_cancel(h->s, co->ev);
	co->slice = bound;
	double t = co->t_cpu + bound, now = core_now(h, c);
	co->ev = sim_at(h->s, t > now ? t : now, h->core_fn, h, (uint64_t)c);
}

/* With a tick, a thread that wakes takes one core at once, at most: the
 * one whose thread is past its slice and can give it up first. */
static void preempt_one(struct sim_host *h)
{
	int best = -1;
	double first = INFINITY;
	for (int c = 0; c < h->ncores; c++) {
		const struct sim_core *co = &h->cores[c];
		if (!co->cur)
			continue;
		double end = core_hold_end(h, c, true);
		if (end < co->t_cpu + co->slice && end < first) {
			first = end;
			best = c;
		}
	}
	if (best >= 0)
		cut_slice(h, best, first);
}

/* Threads now wait for a core: every running slice longer than a quantum
 * ends at its next quantum boundary instead, to let them in. With wake-up
 * preemption a thread that has held its core for a quantum or more gives
 * it up now, and one that got it less than a quantum ago keeps it to the
 * quantum's end: Linux's fair scheduler lets a waking task preempt one
 * that has had more than its share, but not one that has just been picked
 * (EEVDF's RUN_TO_PARITY). The thread preempted goes to the back of the
 * queue, behind the one that woke. With a tick the slices end at their
 * ticks, and a thread that wakes preempts one core at most (rq_insert,
 * preempt_one), not each one past its slice. */
static void bound_slices(struct sim_host *h)
{
	for (int c = 0; c < h->ncores; c++)
		if (h->cores[c].cur)
			cut_slice(
			    h, c,
			    core_hold_end(h, c, !(h->tick > 0) && !ev_on(h)));
}

/* Links t into the run queue at *at. */
static void rq_link(struct sim_host *h, struct sim_thread **at,
		    struct sim_thread *t)
{
	t->next = *at;
	*at = t;
	if (!t->next)
		h->rq_tail = t;
	h->rq_len++;
	sim_tw_set(&h->waiting, h->s->now, (double)h->rq_len);
}

static void ev_insert(struct sim_host *h, struct sim_thread *t, bool woke);

/* Queues t for a core: at the back, or, with a tick (hold_end_ticked)
 * and t woken rather than preempted, behind the others woken but ahead of
 * those preempted. Linux's EEVDF runs the eligible task with the earliest
 * deadline: a task preempted at a tick has run past its slice (it is owed
 * nothing, or is ineligible) where one that slept comes back with its lag
 * paid (DELAY_DEQUEUE) and a slice ahead of it. On the validation VM a
 * process that woke to burn 1.3 ms beside two CPU-bound ones waited about
 * a tick at most (p90 5.9-6.0 ms, scripts/calibrate-tick.sh), as here,
 * but more often than beside one (62-65 % of its deadlines against
 * 16-17 %), and beside three sometimes two ticks (p90 9.4 ms, 79-81 %):
 * EEVDF's lags, which this order does not keep (scheduler: eevdf does,
 * ev_insert). */
static void rq_insert(struct sim_host *h, struct sim_thread *t, bool woke)
{
	if (ev_on(h)) {
		ev_insert(h, t, woke);
		return;
	}
	/* a thread giving up its core at a burst's end (burst_end_queued)
	 * and starting its next burst has not slept */
	if (t == h->yielding)
		woke = false;
	if (h->quantum > 0 && !h->rq_head)
		bound_slices(h);
	/* with a tick a thread that wakes preempts one past its slice at
	 * once, whoever waits already */
	if (woke && h->tick > 0 && h->wakeup_preempt)
		preempt_one(h);
	struct sim_thread **at = h->rq_tail ? &h->rq_tail->next : &h->rq_head;
	if (woke && h->tick > 0) {
		at = h->rq_woken ? &h->rq_woken->next : &h->rq_head;
		h->rq_woken = t;
	}
	rq_link(h, at, t);
}

/* A thread t that woke checks core c's (check_preempt_wakeup_fair()):
 * update_curr() there renews the running thread's deadline and
 * reschedules once that thread is past its protected slice, and t
 * preempts it if t is now the pick. */
static void ev_wake_check(struct sim_host *h, int c, struct sim_thread *t)
{
	struct sim_core *co = &h->cores[c];
	double now = h->s->now;
	bool resched = ev_renew(h, co, now) || !ev_protected(h, co, now);
	if (resched || ev_pick(h, c, false) == t)
		cut_slice(h, c, core_now(h, c));
}

/* rq_insert with EEVDF: t joins the queue (placed by run_slow as it
 * woke), and one that woke checks the core it last ran on, or the first
 * busy one (ev_wake_check; without wake-up preemption, none). One woken
 * by a thread whose burst just ended, while its on_done runs, is checked
 * against that thread if it goes on (run_slow), and waits for the pick if
 * it blocks: the core is still that thread's. */
static void ev_insert(struct sim_host *h, struct sim_thread *t, bool woke)
{
	if (!h->rq_head)
		bound_slices(h);
	sim__eevdf_of(h, t)->prev = h->rq_tail;
	rq_link(h, h->rq_tail ? &h->rq_tail->next : &h->rq_head, t);
	sim__eevdf_count(&h->evq, sim__eevdf_idx(t), 1);
	sim__eevdf_enqueue(&h->evq, sim__eevdf_idx(t));
	if (!woke || !h->wakeup_preempt)
		return;
	if (h->ev_ending) { /* checked when that thread goes on (run_slow) */
		h->ev_woke = t;
		return;
	}
	int c = t->lastcore;
	if (c < 0 || !h->cores[c].cur)
		for (c = 0; c < h->ncores && !h->cores[c].cur; c++)
			;
	if (c < h->ncores)
		ev_wake_check(h, c, t);
}

/* Takes queued t off the run queue (with EEVDF, in O(log n): the list
 * knows its predecessor, the tree its place). */
static void rq_remove(struct sim_host *h, struct sim_thread *t)
{
	struct sim_thread *prev = NULL;
	if (ev_on(h)) {
		prev = sim__eevdf_of(h, t)->prev;
		if (t->next)
			sim__eevdf_of(h, t->next)->prev = prev;
		sim__eevdf_dequeue(&h->evq, sim__eevdf_idx(t));
	} else {
		for (struct sim_thread *p = h->rq_head; p != t; p = p->next)
			prev = p;
	}
	*(prev ? &prev->next : &h->rq_head) = t->next;
	if (h->rq_tail == t)
		h->rq_tail = prev;
	if (h->rq_woken == t) /* the woken before it, if any */
		h->rq_woken = prev;
	t->next = NULL;
	h->rq_len--;
	sim_tw_set(&h->waiting, h->s->now, (double)h->rq_len);
	if (ev_on(h))
		sim__eevdf_count(&h->evq, sim__eevdf_idx(t), -1);
}

/* The next thread waiting for core co, with the refill it pays for taking
 * a core that is busy (no idle part: switch refill only). */
static struct sim_thread *rq_pop(struct sim_host *h)
{
	struct sim_thread *t = h->rq_head;
	if (!t)
		return NULL;
	h->rq_head = t->next;
	if (!h->rq_head)
		h->rq_tail = NULL;
	if (h->rq_woken == t) /* the last woken: none left */
		h->rq_woken = NULL;
	t->next = NULL;
	h->rq_len--;
	sim_tw_set(&h->waiting, h->s->now, (double)h->rq_len);
	return t;
}

/* Gives core c to `next`, off the queue, which pays its switch refill if
 * it is owed (switched). Out of line: the M/M/1 path never queues. */
static __attribute__((noinline)) void give(struct sim_host *h, int c,
					   struct sim_thread *next)
{
	struct sim_core *co = &h->cores[c];
	double since = hand_over(co, next, next->owed == SIM__OWED_START);
	double refill = 0;
	if (next->owed) {
		refill = switched(h, co, next, since);
		if (next->owed) /* not paid: a core of its own process */
			next->owed = SIM__OWED;
	}
	dispatch(h, c, next, refill);
}

/* Gives free core c to the thread waiting that should run: the first, or
 * with EEVDF the pick (a delayed thread picked leaves the queue). */
static void dispatch_next(struct sim_host *h, int c)
{
	struct sim_thread *next;
	if (ev_on(h)) {
		next = ev_pick(h, -1, true);
		rq_remove(h, next);
	} else {
		next = rq_pop(h);
	}
	give(h, c, next);
}

/* A core goes idle, nothing runnable waiting: with EEVDF the kernel's
 * pick before it idles dequeues the delayed threads that have paid. */
static void ev_idle(struct sim_host *h)
{
	if (ev_on(h))
		ev_pick(h, -1, true);
}

/* Core c has nothing to run any more: give it the next thread, or idle. */
static void core_free(struct sim_host *h, int c)
{
	h->cores[c].cur = NULL;
	if (h->rq_head) {
		dispatch_next(h, c);
	} else {
		ev_idle(h);
		h->idle[h->nidle++] = c;
		sim_tw_add(&h->busy, h->s->now, -1);
	}
}

/* EEVDF: t's burst ended (core_event; sim__eevdf_ended), and it stays
 * counted on the queue while its on_done runs (ev_ending): threads it
 * wakes meanwhile are placed beside it. */
static void ev_ended(struct sim_host *h, const struct sim_core *co,
		     struct sim_thread *t)
{
	sim__eevdf_ended(&h->evq, sim__eevdf_idx(t), co->slice, h->s->now,
			 co->held);
	sim__eevdf_count(&h->evq, sim__eevdf_idx(t), 1);
	h->ev_ending = t;
}

/* EEVDF, after the on_done of the thread whose burst ended (ev_ending):
 * if it started no burst, it blocks. A core about to go idle with nothing
 * runnable waiting dequeues the delayed threads that have paid (the
 * kernel's pick before idling). */
static void ev_after(struct sim_host *h)
{
	struct sim_thread *t = h->ev_ending;
	if (!t)
		return;
	h->ev_ending = NULL;
	h->ev_woke = NULL; /* the pick decides (keep_core, core_event) */
	sim__eevdf_count(&h->evq, sim__eevdf_idx(t), -1);
	bool none = !h->rq_head && !h->evq.ndelayed;
	sim__eevdf_sleep(&h->evq, sim__eevdf_idx(t), ev_run(h));
	if (h->handoff >= 0 && !h->rq_head)
		ev_idle(h);
	/* delayed, it competes: the running threads' slices end at their
	 * reschedules, where the pick may dequeue it */
	if (none && h->evq.ndelayed)
		bound_slices(h);
}

/* The core of h->handoff goes idle (core_free's second half), now that
 * it is known that its thread does not take it back at once. */
static void release_handoff(struct sim_host *h)
{
	h->idle[h->nidle++] = h->handoff;
	h->handoff = -1;
	sim_tw_add(&h->busy, h->s->now, -1);
}

/* The thread whose burst ended on core h->handoff did not take it back
 * (its on_done is over): the first waiting gets it, or it goes idle. */
static void handoff_end(struct sim_host *h)
{
	int c = h->handoff;
	if (c < 0)
		return;
	if (h->rq_head) {
		h->handoff = -1;
		dispatch_next(h, c);
	} else {
		release_handoff(h);
	}
}

/* t's burst on core c ended within its hold (or wrote a response, whose
 * work after it follows, sim_thread_after) and threads wait for a core: a
 * thread that has not blocked keeps its core rather than queue behind
 * them. on_done(t) takes the core back in sim_host_run (h->handoff); if
 * it does not (it blocks), the first thread waiting gets it. */
static __attribute__((noinline)) void keep_core(struct sim_host *h, int c,
						struct sim_thread *t)
{
	h->handoff = c;
	t->on_done(t);
	if (ev_on(h))
		ev_after(h);
	handoff_end(h);
}

/* t's burst on core c ended (core_event) and threads wait for a core:
 * before its hold ends the thread keeps the core for what it runs next
 * without blocking (keep_core), else the first waiting gets it. Out of
 * line, as slice_end: what core_event keeps across on_done is then the
 * host alone. */
static __attribute__((noinline)) void
burst_end_queued(struct sim_host *h, int c, struct sim_thread *t)
{
	double now = h->s->now;
	/* EEVDF reschedules at ticks and wake-ups, not as a burst ends */
	if (ev_on(h) || t->after > 0 ||
	    now < hold_end(h, &h->cores[c], now, false)) {
		keep_core(h, c, t);
		return;
	}
	dispatch_next(h, c);
	h->yielding = t;
	t->on_done(t);
	h->yielding = NULL;
	if (h->handoff >= 0)
		release_handoff(h);
}

/* slice_end with EEVDF: a reschedule (hold_end's tick, or a wake-up
 * that asked for one): t's deadline is renewed if past and the core runs
 * the pick, t again (its hold goes on) or another, t then waiting. */
static void ev_slice_end(struct sim_host *h, int c, struct sim_thread *t)
{
	struct sim_core *co = &h->cores[c];
	struct sim_thread *next = NULL;
	if (h->rq_head || h->evq.ndelayed) {
		ev_renew(h, co, h->s->now);
		next = ev_pick(h, c, true);
	}
	t->remaining -= co->slice;
	sim__eevdf_of(h, t)->v += co->slice;
	if (!next || next == t) {
		sim__host_dispatch(h, c, t);
		return;
	}
	rq_remove(h, next);
	co->cur = NULL;
	t->core = -1;
	ev_insert(h, t, false);
	give(h, c, next);
}

/* core_event's end of t's burst on core c with EEVDF (out of line, so
 * that the path every burst takes keeps nothing across on_done but the
 * host): its v and deadline (ev_ended); then as core_event, but the
 * thread blocks or goes on (ev_after), and threads it woke meanwhile wait
 * for the core, which the pick gives (handoff_end). */
static __attribute__((noinline, cold)) void
ev_burst_end(struct sim_host *h, int c, struct sim_thread *t)
{
	ev_ended(h, &h->cores[c], t);
	if (h->rq_head) {
		burst_end_queued(h, c, t);
		return;
	}
	h->handoff = c;
	t->on_done(t);
	ev_after(h);
	handoff_end(h);
}

/* The slice of t on core c ended before its burst (core_event). */
static __attribute__((noinline)) void slice_end(struct sim_host *h, int c,
						struct sim_thread *t)
{
	if (ev_on(h)) {
		ev_slice_end(h, c, t);
		return;
	}
	t->remaining -= h->cores[c].slice;
	if (h->rq_head) { /* preempted: to the back of the queue */
		t->core = -1;
		rq_insert(h, t, false);
		dispatch_next(h, c);
	} else {
		sim__host_dispatch(h, c, t);
	}
}

static void core_event(struct sim *s, void *obj, uint64_t arg)
{
	struct sim_host *h = obj;
	int c = (int)arg;
	struct sim_core *co = &h->cores[c];
	struct sim_thread *t = co->cur;
	co->ev = 0;
	if (co->slice < t->remaining) {
		slice_end(h, c, t);
		return;
	}
	t->remaining = 0;
	t->core = -1;
	co->cur = NULL;
	if (ev_on(h)) {
		ev_burst_end(h, c, t);
		return;
	}
	/* core_free, with the core going idle deferred until on_done has
	 * run: a thread that starts its next burst at once (an event loop
	 * with callbacks queued) takes the core back in sim_host_run, where
	 * going idle and busy again at the same instant would leave the
	 * host's figures as they are; any other use of the host releases it
	 * first, so the idle stack and the figures are what core_free would
	 * have made them */
	if (h->rq_head) {
		burst_end_queued(h, c, t);
		return;
	}
	h->handoff = c;
	t->on_done(t);
	if (h->handoff >= 0)
		release_handoff(h);
}

/* core_event after fetching what the end of the burst touches
 * (sim_host_set_prefetch): a handler of its own, so that the path
 * without (M/M/1) does not even test for it. */
static void core_event_fetched(struct sim *s, void *obj, uint64_t arg)
{
	struct sim_host *h = obj;
	h->pf(h->pfarg);
	core_event(s, obj, arg);
}

/* Takes an idle core, preferring the one t last ran on (no switch). */
static int take_idle(struct sim_host *h, struct sim_thread *t)
{
	int pick = h->nidle - 1;
	if (t->lastcore >= 0 && h->idle[pick] != t->lastcore) {
		for (int i = h->nidle - 2; i >= 0; i--)
			if (h->idle[i] == t->lastcore) {
				pick = i;
				break;
			}
	}
	int c = h->idle[pick];
	h->idle[pick] = h->idle[--h->nidle];
	return c;
}

/* ------------------------------------------------- processor sharing -- */

static double ps_rate(const struct sim_host *h)
{
	return h->nps <= (size_t)h->ncores ? 1.0
					   : (double)h->ncores / (double)h->nps;
}

static void ps_advance(struct sim_host *h)
{
	double now = h->s->now;
	if (h->nps)
		h->vtime += (now - h->vlast) * ps_rate(h);
	h->vlast = now;
}

static void ps_swap(struct sim_host *h, size_t i, size_t j)
{
	struct sim_thread *t = h->ps[i];
	h->ps[i] = h->ps[j];
	h->ps[j] = t;
	h->ps[i]->hpos = (int)i;
	h->ps[j]->hpos = (int)j;
}

static void ps_sift(struct sim_host *h, size_t i)
{
	while (i > 0 && h->ps[i]->vfinish < h->ps[(i - 1) / 2]->vfinish) {
		ps_swap(h, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < h->nps && h->ps[l]->vfinish < h->ps[m]->vfinish)
			m = l;
		if (l + 1 < h->nps && h->ps[l + 1]->vfinish < h->ps[m]->vfinish)
			m = l + 1;
		if (m == i)
			break;
		ps_swap(h, i, m);
		i = m;
	}
}

static void ps_remove(struct sim_host *h, struct sim_thread *t)
{
	size_t i = (size_t)t->hpos;
	t->hpos = -1;
	/* vfinish's place: every burst's refill whole */
	t->start.spared = 0;
	t->start.pays_rest = false;
	if (i != --h->nps) {
		h->ps[i] = h->ps[h->nps];
		h->ps[i]->hpos = (int)i;
		ps_sift(h, i);
	}
}

static void ps_event(struct sim *s, void *obj, uint64_t arg);

static void ps_schedule(struct sim_host *h)
{
	sim_cancel(h->s, h->ps_ev);
	h->ps_ev = 0;
	size_t busy = h->nps < (size_t)h->ncores ? h->nps : (size_t)h->ncores;
	sim_tw_set(&h->busy, h->s->now, (double)busy);
	sim_tw_set(&h->waiting, h->s->now, (double)(h->nps - busy));
	if (!h->nps) {
		h->ps_idle_since = h->s->now;
		return;
	}
	double dv = h->ps[0]->vfinish - h->vtime;
	h->ps_ev =
	    sim_after(h->s, dv > 0 ? dv / ps_rate(h) : 0, ps_event, h, 0);
}

static void ps_event(struct sim *s, void *obj, uint64_t arg)
{
	struct sim_host *h = obj;
	h->ps_ev = 0;
	ps_advance(h);
	/* finish every thread whose virtual finish time has come (ties) */
	struct sim_thread *done = NULL;
	while (h->nps && h->ps[0]->vfinish <= h->vtime * (1 + 1e-12)) {
		struct sim_thread *t = h->ps[0];
		ps_remove(h, t);
		t->remaining = 0;
		t->next = done;
		done = t;
	}
	if (!done) { /* rounding: finish the first one anyway */
		done = h->ps[0];
		ps_remove(h, done);
		done->next = NULL;
	}
	ps_schedule(h);
	while (done) {
		struct sim_thread *t = done;
		done = t->next;
		t->next = NULL;
		t->on_done(t);
	}
}

static int ps_add(struct sim_host *h, struct sim_thread *t, double cpu)
{
	if (h->nps == h->capps) {
		size_t cap = h->capps ? 2 * h->capps : 16;
		struct sim_thread **p = realloc(h->ps, cap * sizeof *p);
		if (!p)
			return SIM_ENOMEM;
		h->ps = p;
		h->capps = cap;
	}
	ps_advance(h);
	t->vfinish = h->vtime + cpu;
	t->hpos = (int)h->nps;
	h->ps[h->nps++] = t;
	ps_sift(h, h->nps - 1);
	ps_schedule(h);
	return 0;
}

/* ------------------------------------------------------------ public -- */

/* sim_host_run with a cache refill or processor sharing: out of line, so
 * that the path without (M/M/1 with overheads zero) only tests h->slow. */
static __attribute__((noinline)) void run_slow(struct sim_host *h,
					       struct sim_thread *t)
{
	/* EEVDF: a thread whose burst just ended goes on (its on_done):
	 * it has not slept; any other wakes, placed as it joins */
	bool woke = true;
	if (ev_on(h) && h->ev_ending == t) {
		h->ev_ending = NULL;
		sim__eevdf_count(&h->evq, sim__eevdf_idx(t), -1);
		woke = false;
	} else if (ev_on(h) && ev_place(h, t) < 0) {
		h->s->stop = SIM_ENOMEM;
		return;
	}
	if (h->quantum <= 0) {
		/* a busy host's CPU is never idle: no gap, but a rest still
		 * cold (idle_refill) */
		add_refill(
		    t, h->refill > 0 || h->refill_long > 0
			   ? idle_refill(h, t, -1,
					 h->nps ? h->s->now : h->ps_idle_since)
			   : 0);
		/* ps_add's vfinish takes a part not read here in its place */
		if (ps_add(h, t, t->remaining) < 0)
			h->s->stop = SIM_ENOMEM;
	} else if (h->nidle > 0) {
		sim_tw_add(&h->busy, h->s->now, 1);
		int c = take_idle(h, t);
		struct sim_core *co = &h->cores[c];
		/* idle since its last slice ended */
		t->owed = SIM__OWED;
		add_refill(
		    t, charge(h, idle_refill(h, t, c, hand_over(co, t, true)),
			      co, t));
		sim__host_dispatch(h, c, t);
	} else {
		t->owed = SIM__OWED_START; /* switched() when it gets a core */
		rq_insert(h, t, woke);
	}
	/* it went on, the core its own again: a thread that woke meanwhile
	 * checks it now (ev_insert) */
	if (!woke && h->ev_woke) {
		struct sim_thread *w = h->ev_woke;
		h->ev_woke = NULL;
		if (t->core >= 0)
			ev_wake_check(h, t->core, w);
	}
}

void sim__host_run(struct sim_host *h, struct sim_thread *t, double cpu)
{
	t->remaining = cpu;
	/* with EEVDF the core stays the ending thread's until it goes on or
	 * blocks (ev_insert) */
	if (h->handoff >= 0 && !(ev_on(h) && h->ev_ending && h->ev_ending != t))
		release_handoff(h);
	if (h->slow) {
		run_slow(h, t);
		return;
	}
	if (h->nidle > 0) {
		sim_tw_add(&h->busy, h->s->now, 1);
		sim__host_dispatch(h, take_idle(h, t), t);
	} else {
		rq_insert(h, t, true);
	}
}

/* ------------------------------------------------------------ stalls -- */

static void stall_event(struct sim *s, void *obj, uint64_t arg);

/* Stopped idle core c runs again: it takes the first thread waiting, or
 * goes back on the idle stack. */
static void stall_end(struct sim *s, void *obj, uint64_t arg)
{
	struct sim_host *h = obj;
	int c = (int)arg;
	assert(h->handoff < 0); /* only inside core_event */
	if (h->rq_head) {
		sim_tw_add(&h->busy, s->now, 1);
		dispatch_next(h, c);
	} else {
		ev_idle(h);
		h->idle[h->nidle++] = c;
	}
}

/* Core c stops now for a time drawn from the stalls' distribution; the
 * next stall comes an exponential time after this one ends. */
static void stall_event(struct sim *s, void *obj, uint64_t arg)
{
	struct sim_host *h = obj;
	struct sim_stalls *st = h->stalls;
	int c = (int)arg;
	struct sim_core *co = &h->cores[c];
	double now = s->now, d = sim_dist_sample(st->time, &st->rng);
	d = d > 0 ? d : 0;
	assert(h->handoff < 0); /* only inside core_event */
	st->n++;
	st->stopped += d;
	st->until[c] = now + d;
	if (co->cur) { /* under its thread: the slice ends d later */
		sim_cancel(s, co->ev);
		co->t_cpu += d;
		co->held += d;
		co->ev = sim_at(s, co->t_cpu + co->slice, h->core_fn, h, arg);
	} else { /* idle: off the idle stack until it runs again */
		for (int i = 0; i < h->nidle; i++)
			if (h->idle[i] == c) {
				h->idle[i] = h->idle[--h->nidle];
				break;
			}
		sim_at(s, now + d, stall_end, h, arg);
	}
	sim_at(s, now + d + sim_exponential(&st->rng, st->gap), stall_event, h,
	       arg);
}

int sim_host_set_stalls(struct sim_host *h, double rate,
			const struct sim_dist *time, uint64_t key)
{
	assert(h->quantum > 0 && rate > 0);
	struct sim_stalls *st =
	    calloc(1, sizeof *st + (size_t)h->ncores * sizeof(double));
	if (!st)
		return SIM_ENOMEM;
	int err = sim_stream_init(&st->rng, key, 0, "stalls");
	if (err < 0) {
		free(st);
		return err;
	}
	st->time = time;
	st->gap = 1 / rate;
	h->stalls = st;
	for (int c = 0; c < h->ncores; c++)
		sim_at(h->s, h->s->now + sim_exponential(&st->rng, st->gap),
		       stall_event, h, (uint64_t)c);
	return 0;
}

double sim_host_abort(struct sim_host *h, struct sim_thread *t)
{
	double now = h->s->now;
	if (h->handoff >= 0)
		release_handoff(h);
	if (h->quantum <= 0) {
		if (t->hpos < 0)
			return 0;
		ps_advance(h);
		double rem = t->vfinish - h->vtime;
		ps_remove(h, t);
		ps_schedule(h);
		return rem > 0 ? rem : 0;
	}
	if (t->core >= 0) {
		int c = t->core;
		struct sim_core *co = &h->cores[c];
		/* stopped: the slice's start moved with the stall, which has
		 * not ended; the core runs nothing else until it does */
		double until = h->stalls ? h->stalls->until[c] : 0;
		double used = (now < until ? until : now) - co->t_cpu;
		used = used < 0 ? 0 : used > co->slice ? co->slice : used;
		sim_cancel(h->s, co->ev);
		co->ev = 0;
		t->core = -1;
		t->remaining -= used;
		co->t_cpu = now; /* the core's work ends now (refill) */
		co->slice = 0;
		if (ev_on(h)) { /* it leaves the queue, as if it slept */
			co->cur = NULL;
			sim__eevdf_of(h, t)->v += used;
			sim__eevdf_sleep(&h->evq, sim__eevdf_idx(t), ev_run(h));
		}
		if (now < until) {
			co->cur = NULL;
			ev_idle(h);
			sim_tw_add(&h->busy, now, -1);
			sim_at(h->s, until, stall_end, h, (uint64_t)c);
		} else {
			core_free(h, c);
		}
		return t->remaining > 0 ? t->remaining : 0;
	}
	/* queued? with EEVDF its state says so (in the tree, not delayed) */
	bool queued = false;
	if (ev_on(h))
		queued = t->hpos <= -2 && sim__eevdf_of(h, t)->queued &&
			 !sim__eevdf_of(h, t)->delayed;
	else
		for (struct sim_thread *p = h->rq_head; p && !queued;
		     p = p->next)
			queued = p == t;
	if (!queued)
		return 0;
	rq_remove(h, t);
	t->owed = 0;
	if (ev_on(h))
		sim__eevdf_sleep(&h->evq, sim__eevdf_idx(t), ev_run(h));
	return t->remaining;
}

void sim_host_reset_stats(struct sim_host *h, double now)
{
	if (h->handoff >= 0)
		release_handoff(h);
	if (h->quantum <= 0)
		ps_advance(h);
	sim_tw_reset(&h->busy, now);
	sim_tw_reset(&h->waiting, now);
	h->switches = 0;
	h->t_reset = now;
	if (h->stalls) {
		h->stalls->n = 0;
		h->stalls->stopped = 0;
	}
}

/* The group `prefix``name` in g (just `name` without a prefix: a
 * replicas system reports thousands of hosts). */
static const char *group(char *g, size_t len, const char *prefix,
			 const char *name)
{
	if (!prefix || !*prefix)
		return name;
	snprintf(g, len, "%s%s", prefix, name);
	return g;
}

void sim_host_report(struct sim_host *h, const char *prefix,
		     struct sim_metrics *m)
{
	double now = h->s->now;
	char g[40];
	if (h->handoff >= 0)
		release_handoff(h);
	sim_metrics_put(m, group(g, sizeof g, prefix, "utilization"), "cpu",
			sim_tw_mean(&h->busy, now) / h->ncores);
	sim_metrics_put(m, group(g, sizeof g, prefix, "queues.mean"), "runq",
			sim_tw_mean(&h->waiting, now));
	sim_metrics_put(m, group(g, sizeof g, prefix, "queues.max"), "runq",
			h->waiting.max);
	const char *hg = group(g, sizeof g, prefix, "host");
	double el = now - h->t_reset;
	sim_metrics_put(m, hg, "context_switches_per_s",
			el > 0 ? (double)h->switches / el : 0);
	/* every runnable thread is on a core or waiting for one */
	sim_metrics_put(m, hg, "runnable_mean",
			sim_tw_mean(&h->busy, now) +
			    sim_tw_mean(&h->waiting, now));
	if (h->stalls) { /* per core; the time's share of the cores' */
		sim_metrics_put(m, hg, "stalls_per_s",
				el > 0 ? (double)h->stalls->n / el / h->ncores
				       : 0);
		sim_metrics_put(m, hg, "stalled",
				el > 0 ? h->stalls->stopped / el / h->ncores
				       : 0);
	}
}
