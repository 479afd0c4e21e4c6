/*
 * eevdf.c - Linux's EEVDF scheduler's choice of the next thread
 * (eevdf.h), after kernel/sched/fair.c (6.18): avg_vruntime(),
 * place_entity(), update_entity_lag(), dequeue_entity() with
 * DELAY_DEQUEUE and DELAY_ZERO, requeue_delayed_entity(), update_deadline()
 * and __pick_eevdf() with RUN_TO_PARITY, for threads of one weight (every
 * server process at one nice level). The threads waiting and delayed
 * are a treap ordered by deadline with the least v below each node, so
 * that the pick, as the kernel's augmented rbtree's, takes O(log n).
 */
#include "runtime/eevdf.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "runtime/host.h"

/* Within this of V a thread counts eligible, of its vprot protected past
 * it: a decision at the instant the arithmetic says a v reaches a mark
 * must see it reached, or the host would decide again at that instant.
 * (Deadlines are compared in whole nanoseconds, as the kernel's: key_of;
 * a tie goes to the thread that joined the tree first.) */
#define EPS 1e-9

static struct sim_eevdf *ev(const struct sim_host *h,
			    const struct sim_thread *t)
{
	return sim__eevdf_of(h, t);
}

double sim__eevdf_vnow(const struct sim_host *h, const struct sim_core *co,
		       double now)
{
	/* between threads (a burst's end, its on_done running) the last
	 * one's slice is in its v already (sim__eevdf_ended) */
	if (!co->cur)
		return ev(h, co->last)->v;
	double ran = now - co->t_cpu;
	ran = ran < 0 ? 0 : ran > co->slice ? co->slice : ran;
	return ev(h, co->last)->v + ran;
}

/* The threads on the queue, and the sum of their v in *sum: those no core
 * runs (ev_n, ev_sum) and those the cores run, their v as of now. */
static int on_queue(const struct sim_host *h, double *sum)
{
	double now = h->s->now;
	int n = h->ev_n;
	*sum = h->ev_sum;
	for (int c = 0; c < h->ncores; c++)
		if (h->cores[c].cur) {
			*sum += sim__eevdf_vnow(h, &h->cores[c], now);
			n++;
		}
	return n;
}

double sim__eevdf_avg(const struct sim_host *h)
{
	double sum;
	int n = on_queue(h, &sum);
	return n > 0 ? sum / n : h->ev_zero;
}

void sim__eevdf_count(struct sim_host *h, const struct sim_thread *t, int sign)
{
	h->ev_sum += sign * ev(h, t)->v;
	h->ev_n += sign;
	if (h->ev_n == 0)
		h->ev_sum = 0; /* no drift left behind */
}

/* ------------------------------------------------------------- tree -- */

static double minv_of(const struct sim_host *h, int i)
{
	return i < 0 ? INFINITY : h->ev[i].minv;
}

static void fix(struct sim_host *h, int i)
{
	struct sim_eevdf *e = &h->ev[i];
	double l = minv_of(h, e->left), r = minv_of(h, e->right);
	e->minv = e->v < l ? (e->v < r ? e->v : r) : (l < r ? l : r);
}

/* Whether node a goes before node b: the earlier deadline, then the one
 * that joined first (the kernel's tree puts equal keys to the right). */
static bool before(const struct sim_host *h, int a, int b)
{
	const struct sim_eevdf *x = &h->ev[a], *y = &h->ev[b];
	return x->key < y->key || (x->key == y->key && x->seq < y->seq);
}

/* Splits tree t into the nodes before node k (*l) and the rest (*r). */
static void split(struct sim_host *h, int t, int k, int *l, int *r)
{
	if (t < 0) {
		*l = *r = -1;
		return;
	}
	if (before(h, t, k)) {
		split(h, h->ev[t].right, k, &h->ev[t].right, r);
		*l = t;
	} else {
		split(h, h->ev[t].left, k, l, &h->ev[t].left);
		*r = t;
	}
	fix(h, t);
}

/* Joins trees a and b, every node of a before every node of b. */
static int merge(struct sim_host *h, int a, int b)
{
	if (a < 0 || b < 0)
		return a < 0 ? b : a;
	if (h->ev[a].prio > h->ev[b].prio) {
		h->ev[a].right = merge(h, h->ev[a].right, b);
		fix(h, a);
		return a;
	}
	h->ev[b].left = merge(h, a, h->ev[b].left);
	fix(h, b);
	return b;
}

static int insert(struct sim_host *h, int t, int i)
{
	if (t < 0)
		return i;
	if (h->ev[i].prio > h->ev[t].prio) {
		split(h, t, i, &h->ev[i].left, &h->ev[i].right);
		fix(h, i);
		return i;
	}
	if (before(h, i, t))
		h->ev[t].left = insert(h, h->ev[t].left, i);
	else
		h->ev[t].right = insert(h, h->ev[t].right, i);
	fix(h, t);
	return t;
}

static int erase(struct sim_host *h, int t, int i)
{
	if (t == i)
		return merge(h, h->ev[t].left, h->ev[t].right);
	if (before(h, i, t))
		h->ev[t].left = erase(h, h->ev[t].left, i);
	else
		h->ev[t].right = erase(h, h->ev[t].right, i);
	fix(h, t);
	return t;
}

/* The deadline as the tree orders it: whole nanoseconds, as the kernel's
 * (deadlines a float's last bits apart tie). */
static int64_t key_of(double deadline)
{
	return llround(deadline * 1e9);
}

void sim__eevdf_enqueue(struct sim_host *h, struct sim_thread *t)
{
	struct sim_eevdf *e = ev(h, t);
	int i = -2 - t->hpos;
	/* xorshift32: priorities of its own, the same run after run */
	uint32_t x = h->ev_rand ? h->ev_rand : 2463534242u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	h->ev_rand = x;
	e->prio = x;
	e->key = key_of(e->deadline);
	e->seq = h->ev_seq++;
	e->left = e->right = -1;
	e->t = t;
	e->queued = true;
	fix(h, i);
	h->ev_root = insert(h, h->ev_root, i);
}

void sim__eevdf_dequeue(struct sim_host *h, struct sim_thread *t)
{
	h->ev_root = erase(h, h->ev_root, -2 - t->hpos);
	ev(h, t)->queued = false;
}

/* The eligible node (v <= lim) with the earliest deadline, or -1: left
 * while the left subtree holds one (its least v says so), else the node
 * itself if eligible, else right (__pick_eevdf()). */
static int leftmost_eligible(const struct sim_host *h, double lim)
{
	int t = h->ev_root;
	while (t >= 0) {
		const struct sim_eevdf *e = &h->ev[t];
		if (e->left >= 0 && h->ev[e->left].minv <= lim)
			t = e->left;
		else if (e->v <= lim)
			return t;
		else
			t = e->right;
	}
	return -1;
}

/* Takes delayed t off the queue (the tree and the count). */
static void unlink_delayed(struct sim_host *h, struct sim_thread *t)
{
	sim__eevdf_dequeue(h, t);
	ev(h, t)->delayed = false;
	h->ev_ndelayed--;
	sim__eevdf_count(h, t, -1);
}

int sim__eevdf_place(struct sim_host *h, struct sim_thread *t)
{
	if (t->hpos == -1) { /* its first wake-up: a state of its own */
		if (h->ev_len == h->ev_cap) {
			int cap = h->ev_cap ? 2 * h->ev_cap : 8;
			struct sim_eevdf *ev =
			    realloc(h->ev, (size_t)cap * sizeof *ev);
			if (!ev)
				return SIM_ENOMEM;
			h->ev = ev;
			h->ev_cap = cap;
		}
		h->ev[h->ev_len] = (struct sim_eevdf){0};
		t->hpos = -2 - h->ev_len++;
	}
	struct sim_eevdf *e = ev(h, t);
	double q = h->quantum;
	if (e->delayed) {
		/* requeue_delayed_entity(): where it is, unless its lag is
		 * now positive, when it starts afresh at V (DELAY_ZERO) */
		double lag = sim__eevdf_avg(h) - e->v;
		unlink_delayed(h, t);
		if (lag > 0) {
			e->v = sim__eevdf_avg(h);
			e->deadline = e->v + q;
		}
		return 0;
	}
	/* place_entity(): V less its lag, inflated by the weight it adds
	 * (load + 1) / load, so that V after it joins leaves it that lag */
	double sum;
	int n = on_queue(h, &sum);
	e->v = n > 0 ? sum / n - e->lag * (n + 1) / n : h->ev_zero;
	e->deadline = e->v + q;
	return 0;
}

void sim__eevdf_sleep(struct sim_host *h, struct sim_thread *t)
{
	struct sim_eevdf *e = ev(h, t);
	if (e->v >= e->deadline - EPS) /* update_curr() as it leaves */
		e->deadline = e->v + h->quantum;
	sim__eevdf_count(h, t, 1);
	double avg = sim__eevdf_avg(h);
	h->ev_zero = avg;
	if (e->v > avg + EPS) {
		/* not eligible: it stays, competing, until it is */
		e->delayed = true;
		h->ev_ndelayed++;
		sim__eevdf_enqueue(h, t);
		return;
	}
	sim__eevdf_count(h, t, -1);
	/* update_entity_lag(): at most two slices or a tick either way */
	double lim = 2 * h->quantum > h->tick ? 2 * h->quantum : h->tick;
	double lag = avg - e->v;
	e->lag = lag > lim ? lim : lag < -lim ? -lim : lag;
}

/* The deadline of a thread whose v is v at `now`, having run without a
 * break since `since`: renewed (a slice past its v then) at each tick it
 * ran through with its v past it (update_curr() at the tick), none at
 * now itself. */
static void renew_ticks(const struct sim_host *h, struct sim_eevdf *e, double v,
			double now, double since)
{
	double tk = h->tick, q = h->quantum;
	if (!(tk > 0) || v < e->deadline - EPS)
		return;
	/* the first tick after its v reached the deadline (and after
	 * `since`), then one each time it has run another slice: every
	 * `period`, the ticks a slice spans; the last before now counts */
	double reached = now - (v - e->deadline);
	double from = reached > since ? reached : since;
	double k = tk * ceil(from / tk - 1e-6);
	if (!(k > since))
		k += tk;
	if (k >= now - 1e-6 * tk)
		return;
	double period = tk * ceil(q / tk - 1e-6);
	k += period * floor((now - 1e-6 * tk - k) / period);
	e->deadline = v - (now - k) + q;
}

bool sim__eevdf_renew(const struct sim_host *h, const struct sim_core *co,
		      double now)
{
	struct sim_eevdf *e = ev(h, co->last);
	double v = sim__eevdf_vnow(h, co, now);
	renew_ticks(h, e, v, now, co->held);
	if (v < e->deadline - EPS)
		return false;
	e->deadline = v + h->quantum;
	return true;
}

void sim__eevdf_ended(const struct sim_host *h, const struct sim_core *co,
		      struct sim_thread *t)
{
	struct sim_eevdf *e = ev(h, t);
	e->v += co->slice;
	renew_ticks(h, e, e->v, h->s->now, co->held);
}

bool sim__eevdf_protected(const struct sim_host *h, const struct sim_core *co,
			  double now)
{
	return sim__eevdf_vnow(h, co, now) < ev(h, co->last)->vprot - EPS;
}

struct sim_thread *sim__eevdf_pick(struct sim_host *h, int c, bool dequeue)
{
	const struct sim_core *co = c >= 0 ? &h->cores[c] : NULL;
	struct sim_thread *cur = co ? co->cur : NULL;
	double now = h->s->now;
	for (;;) {
		double avg = sim__eevdf_avg(h);
		bool cur_ok = cur && sim__eevdf_vnow(h, co, now) <= avg + EPS;
		if (cur_ok && sim__eevdf_protected(h, co, now))
			return cur;
		int b = leftmost_eligible(h, avg + EPS);
		struct sim_thread *best = b >= 0 ? h->ev[b].t : NULL;
		if (cur_ok &&
		    (!best || key_of(ev(h, cur)->deadline) < h->ev[b].key))
			best = cur;
		if (best && ev(h, best)->delayed) {
			if (!dequeue)
				return best;
			/* dequeued at last: its lag, not negative now, paid */
			unlink_delayed(h, best);
			ev(h, best)->lag = 0;
			continue;
		}
		if (best)
			return best;
		/* none eligible among these (others run on other cores):
		 * the one owed most */
		for (struct sim_thread *t = h->rq_head; t; t = t->next)
			if (!best || ev(h, t)->v < ev(h, best)->v)
				best = t;
		return best ? best : cur;
	}
}
