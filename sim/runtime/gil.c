/*
 * gil.c - the GIL: who holds it, who waits, and forced hand-offs after the
 * switch interval. See gil.h for the model.
 */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>

#include "runtime/gil.h"

static void py_host_done(struct sim_thread *t);

void sim_gil_init(struct sim_gil *g, struct sim_host *h, bool enabled,
		  double interval, double handoff)
{
	*g = (struct sim_gil){.host = h,
			      .enabled = enabled,
			      .interval = interval,
			      .handoff = handoff};
}

void sim_pythread_init(struct sim_pythread *pt, struct sim_gil *g,
		       void (*on_done)(struct sim_pythread *), void *owner)
{
	*pt =
	    (struct sim_pythread){.gil = g, .on_done = on_done, .owner = owner};
	sim_thread_init(&pt->t, g->host, py_host_done, pt);
}

static double now_of(const struct sim_gil *g)
{
	return g->host->s->now;
}

/* pt comes to want the GIL; a holder forced out waits on it at once. */
static void wq_push(struct sim_gil *g, struct sim_pythread *pt, bool forced)
{
	double now = now_of(g);
	pt->woke = now;
	pt->how = SIM_PY_WOKEN;
	pt->runnable_until =
	    forced ? now : sim_host_core_at(g->host, &pt->t, now);
	pt->next = NULL;
	if (g->wq_tail)
		g->wq_tail->next = pt;
	else
		g->wq_head = pt;
	g->wq_tail = pt;
	g->nwait++;
	sim_tw_set(&g->waiting, now_of(g), (double)g->nwait);
}

/* Whether waiter a takes a released GIL before waiter b (gil.h): a
 * runnable one first, signalled before preempted before woken, the first
 * to become runnable among them; the others in the order they started to
 * sleep on it (when they would have had a core). */
static bool takes_first(const struct sim_pythread *a,
			const struct sim_pythread *b, double now)
{
	bool ra = a->runnable_until > now, rb = b->runnable_until > now;
	if (ra != rb)
		return ra;
	if (!ra)
		return a->runnable_until < b->runnable_until;
	if (a->how != b->how)
		return a->how < b->how;
	return a->woke < b->woke;
}

/* pt, waiting, is runnable from now, as `how` says, until it can have a
 * core, if that is later. */
static void make_runnable(struct sim_gil *g, struct sim_pythread *pt,
			  enum sim_py_runnable how)
{
	double now = now_of(g), at = sim_host_core_at(g->host, &pt->t, now);
	if (at > now) {
		pt->woke = now;
		pt->runnable_until = at;
		pt->how = how;
	}
}

/* Takes the waiter *at (the head's link or its predecessor's next) out of
 * the queue and returns it. */
static struct sim_pythread *wq_unlink(struct sim_gil *g,
				      struct sim_pythread **at)
{
	struct sim_pythread *pt = *at;
	*at = pt->next;
	if (g->wq_tail == pt) /* the new tail: the one before it, if any */
		g->wq_tail =
		    at == &g->wq_head
			? NULL
			: (struct sim_pythread *)((char *)at -
						  offsetof(struct sim_pythread,
							   next));
	pt->next = NULL;
	g->nwait--;
	sim_tw_set(&g->waiting, now_of(g), (double)g->nwait);
	return pt;
}

/* The link to the waiter that takes a released GIL (the head's link or
 * its predecessor's next); *result is NULL with nobody waiting. */
static struct sim_pythread **wq_first(struct sim_gil *g)
{
	struct sim_pythread **at = &g->wq_head;
	if (!*at)
		return at;
	/* the head unless another goes first */
	double now = now_of(g);
	for (struct sim_pythread **pp = &(*at)->next; *pp; pp = &(*pp)->next)
		if (takes_first(*pp, *at, now))
			at = pp;
	return at;
}

static struct sim_pythread *wq_pop(struct sim_gil *g)
{
	struct sim_pythread **at = wq_first(g);
	return *at ? wq_unlink(g, at) : NULL;
}

/* The holder let the GIL go around a call that returned at once and has
 * it back (gil.h): the release signalled the first thread asleep on it,
 * other than the one the holder is forcing out as it takes the GIL. */
static void signal_sleeper(struct sim_gil *g)
{
	double now = now_of(g);
	struct sim_pythread *w = NULL;
	for (struct sim_pythread *p = g->wq_head; p; p = p->next)
		if (p->runnable_until <= now && p != g->forcing &&
		    (!w || p->runnable_until < w->runnable_until))
			w = p;
	if (w)
		make_runnable(g, w, SIM_PY_SIGNALLED);
}

static void drop_request(struct sim *s, void *obj, uint64_t arg);

static void arm(struct sim_gil *g)
{
	if (!g->drop_ev && g->wq_head && g->holder)
		g->drop_ev = sim_after_fixed(g->host->s, g->interval,
					     drop_request, g, 0);
}

static void take(struct sim_gil *g, struct sim_pythread *pt)
{
	double cost = 0;
	if (g->last && g->last != pt) {
		cost = g->handoff;
		g->handoffs++;
	}
	g->holder = g->last = pt;
	sim_host_run(g->host, &pt->t, pt->need + cost);
	if (pt->drops)
		signal_sleeper(g);
	arm(g);
}

static void release(struct sim_gil *g)
{
	g->holder = NULL;
	sim_cancel(g->host->s, g->drop_ev);
	g->drop_ev = 0;
	struct sim_pythread *next = wq_pop(g);
	if (next)
		take(g, next);
}

/* The switch interval passed with threads waiting: the holder drops the
 * GIL at its next check and queues behind the waiters. */
static void drop_request(struct sim *s, void *obj, uint64_t arg)
{
	struct sim_gil *g = obj;
	g->drop_ev = 0;
	struct sim_pythread *h = g->holder;
	if (!h || !g->wq_head)
		return;
	assert(h->running);
	h->need = sim_host_abort(g->host, &h->t);
	g->forced++;
	wq_push(g, h, true);
	g->forcing = h;
	release(g);
	g->forcing = NULL;
	/* it lost its core to the one that took the GIL, if that one cannot
	 * have another: preempted, not yet asleep on the GIL (it is behind
	 * every other waiter, so another took it) */
	assert(g->holder != h);
	make_runnable(g, h, SIM_PY_PREEMPTED);
}

static void py_host_done(struct sim_thread *t)
{
	struct sim_pythread *pt = t->owner;
	struct sim_gil *g = pt->gil;
	pt->running = 0;
	pt->need = 0;
	pt->on_done(pt);
	/* not running Python any more: it blocks, so it lets the GIL go */
	if (g->enabled && g->holder == pt && !pt->running)
		release(g);
}

void sim_py_run(struct sim_pythread *pt, double cpu)
{
	struct sim_gil *g = pt->gil;
	assert(!pt->running);
	pt->running = 1;
	pt->need = cpu;
	if (!g->enabled || g->holder == pt) {
		sim_host_run(g->host, &pt->t, cpu);
		if (g->enabled && pt->drops)
			signal_sleeper(g);
		return;
	}
	if (!g->holder) {
		take(g, pt);
		return;
	}
	wq_push(g, pt, false);
	arm(g);
}

void sim_py_run_nogil(struct sim_pythread *pt, double cpu)
{
	struct sim_gil *g = pt->gil;
	assert(!pt->running);
	if (g->enabled && g->holder == pt)
		release(g);
	pt->running = 1;
	pt->need = cpu;
	sim_host_run(g->host, &pt->t, cpu);
}

bool sim_py_yield(struct sim_pythread *pt)
{
	struct sim_gil *g = pt->gil;
	if (!g->enabled || g->holder != pt || pt->running || !g->wq_head)
		return false;
	/* the waiter the release gives it to must run before pt, still on
	 * its core, takes it back */
	struct sim_pythread *w = *wq_first(g);
	if (sim_host_core_at(g->host, &w->t, now_of(g)) > now_of(g)) {
		signal_sleeper(g);
		return false;
	}
	pt->running = 1;
	pt->need = 0;
	release(g);
	/* it wants the GIL back at once, runnable as any thread that comes
	 * to want it (gil.h) */
	wq_push(g, pt, false);
	arm(g);
	return true;
}

void sim_py_abort(struct sim_pythread *pt)
{
	struct sim_gil *g = pt->gil;
	if (!pt->running)
		return;
	pt->running = 0;
	if (!g->enabled) {
		sim_host_abort(g->host, &pt->t);
		return;
	}
	if (g->holder == pt) {
		sim_host_abort(g->host, &pt->t);
		release(g);
		return;
	}
	for (struct sim_pythread **pp = &g->wq_head; *pp; pp = &(*pp)->next) {
		if (*pp == pt) {
			wq_unlink(g, pp);
			return;
		}
	}
	/* neither holding nor waiting: a burst without the GIL */
	sim_host_abort(g->host, &pt->t);
}

void sim_gil_reset_stats(struct sim_gil *g, double now)
{
	sim_tw_reset(&g->waiting, now);
	g->handoffs = g->forced = 0;
	g->t_reset = now;
}

void sim_gil_report(struct sim_gil *g, const char *prefix,
		    struct sim_metrics *m)
{
	double now = now_of(g), el = now - g->t_reset;
	const char *p = prefix ? prefix : "";
	char grp[40];
	snprintf(grp, sizeof grp, "%squeues.mean", p);
	sim_metrics_put(m, grp, "gil", sim_tw_mean(&g->waiting, now));
	snprintf(grp, sizeof grp, "%squeues.max", p);
	sim_metrics_put(m, grp, "gil", g->waiting.max);
	snprintf(grp, sizeof grp, "%sgil", p);
	sim_metrics_put(m, grp, "handoffs_per_s",
			el > 0 ? (double)g->handoffs / el : 0);
	sim_metrics_put(m, grp, "forced_per_s",
			el > 0 ? (double)g->forced / el : 0);
}
