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

#include "kernel/grow.h"

/* Within this of V a thread counts eligible, of its vprot protected past
 * it: a decision at the instant the arithmetic says a v reaches a mark
 * must see it reached, or the host would decide again at that instant.
 * (Deadlines are compared in whole nanoseconds, as the kernel's: key_of;
 * a tie goes to the thread that joined the tree first.) */
#define EPS 1e-9

int sim__eevdf_init(struct sim_eevdf_rq *q, double quantum, double tick,
		    int cores)
{
	*q =
	    (struct sim_eevdf_rq){.root = -1, .quantum = quantum, .tick = tick};
	if (cores > 0 &&
	    (!(q->vrun = malloc((size_t)cores * sizeof *q->vrun)) ||
	     !(q->seen = calloc((size_t)cores, sizeof *q->seen))))
		return -1;
	return 0;
}

void sim__eevdf_release(struct sim_eevdf_rq *q)
{
	free(q->ev);
	free(q->vrun);
	free(q->seen);
	q->ev = NULL;
	q->vrun = NULL;
	q->seen = NULL;
	q->len = 0;
	q->cap = 0;
}

int sim__eevdf_new(struct sim_eevdf_rq *q, struct sim_thread *t)
{
	struct sim_eevdf *ev =
	    sim_grow(q->ev, &q->cap, (size_t)q->len, sizeof *ev, 8);
	if (!ev)
		return -1;
	q->ev = ev;
	q->ev[q->len] = (struct sim_eevdf){.t = t};
	return q->len++;
}

/* The threads on the queue, and the sum of their v in *sum: those no core
 * runs (n, sum) and those the cores run (run). */
static int on_queue(const struct sim_eevdf_rq *q, struct sim_eevdf_run run,
		    double *sum)
{
	*sum = q->sum;
	for (int i = 0; i < run.n; i++)
		*sum += run.v[i];
	return q->n + run.n;
}

double sim__eevdf_avg(const struct sim_eevdf_rq *q, struct sim_eevdf_run run)
{
	double sum;
	int n = on_queue(q, run, &sum);
	return n > 0 ? sum / n : q->zero;
}

void sim__eevdf_count(struct sim_eevdf_rq *q, int i, int sign)
{
	q->sum += sign * q->ev[i].v;
	q->n += sign;
	if (q->n == 0)
		q->sum = 0; /* no drift left behind */
}

/* ------------------------------------------------------------- tree -- */

static double minv_of(const struct sim_eevdf_rq *q, int i)
{
	return i < 0 ? INFINITY : q->ev[i].minv;
}

static void fix(struct sim_eevdf_rq *q, int i)
{
	struct sim_eevdf *e = &q->ev[i];
	double l = minv_of(q, e->left), r = minv_of(q, e->right);
	e->minv = e->v < l ? (e->v < r ? e->v : r) : (l < r ? l : r);
}

/* Whether node a goes before node b: the earlier deadline, then the one
 * that joined first (the kernel's tree puts equal keys to the right). */
static bool before(const struct sim_eevdf_rq *q, int a, int b)
{
	const struct sim_eevdf *x = &q->ev[a], *y = &q->ev[b];
	return x->key < y->key || (x->key == y->key && x->seq < y->seq);
}

/* Splits tree t into the nodes before node k (*l) and the rest (*r). */
static void split(struct sim_eevdf_rq *q, int t, int k, int *l, int *r)
{
	if (t < 0) {
		*l = *r = -1;
		return;
	}
	if (before(q, t, k)) {
		split(q, q->ev[t].right, k, &q->ev[t].right, r);
		*l = t;
	} else {
		split(q, q->ev[t].left, k, l, &q->ev[t].left);
		*r = t;
	}
	fix(q, t);
}

/* Joins trees a and b, every node of a before every node of b. */
static int merge(struct sim_eevdf_rq *q, int a, int b)
{
	if (a < 0 || b < 0)
		return a < 0 ? b : a;
	if (q->ev[a].prio > q->ev[b].prio) {
		q->ev[a].right = merge(q, q->ev[a].right, b);
		fix(q, a);
		return a;
	}
	q->ev[b].left = merge(q, a, q->ev[b].left);
	fix(q, b);
	return b;
}

static int insert(struct sim_eevdf_rq *q, int t, int i)
{
	if (t < 0)
		return i;
	if (q->ev[i].prio > q->ev[t].prio) {
		split(q, t, i, &q->ev[i].left, &q->ev[i].right);
		fix(q, i);
		return i;
	}
	if (before(q, i, t))
		q->ev[t].left = insert(q, q->ev[t].left, i);
	else
		q->ev[t].right = insert(q, q->ev[t].right, i);
	fix(q, t);
	return t;
}

static int erase(struct sim_eevdf_rq *q, int t, int i)
{
	if (t == i)
		return merge(q, q->ev[t].left, q->ev[t].right);
	if (before(q, i, t))
		q->ev[t].left = erase(q, q->ev[t].left, i);
	else
		q->ev[t].right = erase(q, q->ev[t].right, i);
	fix(q, t);
	return t;
}

/* The deadline as the tree orders it: whole nanoseconds, as the kernel's
 * (deadlines a float's last bits apart tie). */
static int64_t key_of(double deadline)
{
	return llround(deadline * 1e9);
}

void sim__eevdf_enqueue(struct sim_eevdf_rq *q, int i)
{
	struct sim_eevdf *e = &q->ev[i];
	/* xorshift32: priorities of its own, the same run after run */
	uint32_t x = q->rand ? q->rand : 2463534242u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	q->rand = x;
	e->prio = x;
	e->key = key_of(e->deadline);
	e->seq = q->seq++;
	e->left = e->right = -1;
	e->queued = true;
	fix(q, i);
	q->root = insert(q, q->root, i);
}

void sim__eevdf_dequeue(struct sim_eevdf_rq *q, int i)
{
	q->root = erase(q, q->root, i);
	q->ev[i].queued = false;
}

/* The eligible node (v <= lim) with the earliest deadline, or -1: left
 * while the left subtree holds one (its least v says so), else the node
 * itself if eligible, else right (__pick_eevdf()). */
static int leftmost_eligible(const struct sim_eevdf_rq *q, double lim)
{
	int t = q->root;
	while (t >= 0) {
		const struct sim_eevdf *e = &q->ev[t];
		if (e->left >= 0 && q->ev[e->left].minv <= lim)
			t = e->left;
		else if (e->v <= lim)
			return t;
		else
			t = e->right;
	}
	return -1;
}

/* Takes delayed i off the queue (the tree and the count). */
static void unlink_delayed(struct sim_eevdf_rq *q, int i)
{
	sim__eevdf_dequeue(q, i);
	q->ev[i].delayed = false;
	q->ndelayed--;
	sim__eevdf_count(q, i, -1);
}

void sim__eevdf_place(struct sim_eevdf_rq *q, int i, struct sim_eevdf_run run)
{
	struct sim_eevdf *e = &q->ev[i];
	if (e->delayed) {
		/* requeue_delayed_entity(): where it is, unless its lag is
		 * now positive, when it starts afresh at V (DELAY_ZERO) */
		double lag = sim__eevdf_avg(q, run) - e->v;
		unlink_delayed(q, i);
		if (lag > 0) {
			e->v = sim__eevdf_avg(q, run);
			e->deadline = e->v + q->quantum;
		}
		return;
	}
	/* place_entity(): V less its lag, inflated by the weight it adds
	 * (load + 1) / load, so that V after it joins leaves it that lag */
	double sum;
	int n = on_queue(q, run, &sum);
	e->v = n > 0 ? sum / n - e->lag * (n + 1) / n : q->zero;
	e->deadline = e->v + q->quantum;
}

void sim__eevdf_sleep(struct sim_eevdf_rq *q, int i, struct sim_eevdf_run run)
{
	struct sim_eevdf *e = &q->ev[i];
	if (e->v >= e->deadline - EPS) /* update_curr() as it leaves */
		e->deadline = e->v + q->quantum;
	sim__eevdf_count(q, i, 1);
	double avg = sim__eevdf_avg(q, run);
	q->zero = avg;
	if (e->v > avg + EPS) {
		/* not eligible: it stays, competing, until it is */
		e->delayed = true;
		q->ndelayed++;
		sim__eevdf_enqueue(q, i);
		return;
	}
	sim__eevdf_count(q, i, -1);
	/* update_entity_lag(): at most two slices or a tick either way */
	double lim = 2 * q->quantum > q->tick ? 2 * q->quantum : q->tick;
	double lag = avg - e->v;
	e->lag = lag > lim ? lim : lag < -lim ? -lim : lag;
}

/* The deadline of a thread whose v is v at `now`, having run without a
 * break since `since`: renewed (a slice past its v then) at each tick it
 * ran through with its v past it (update_curr() at the tick), none at
 * now itself. */
static void renew_ticks(const struct sim_eevdf_rq *q, struct sim_eevdf *e,
			double v, double now, double since)
{
	double tk = q->tick, qt = q->quantum;
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
	double period = tk * ceil(qt / tk - 1e-6);
	k += period * floor((now - 1e-6 * tk - k) / period);
	e->deadline = v - (now - k) + qt;
}

bool sim__eevdf_renew(struct sim_eevdf_rq *q, int i, double v, double now,
		      double since)
{
	struct sim_eevdf *e = &q->ev[i];
	renew_ticks(q, e, v, now, since);
	if (v < e->deadline - EPS)
		return false;
	e->deadline = v + q->quantum;
	return true;
}

void sim__eevdf_ended(struct sim_eevdf_rq *q, int i, double slice, double now,
		      double since)
{
	struct sim_eevdf *e = &q->ev[i];
	e->v += slice;
	renew_ticks(q, e, e->v, now, since);
}

bool sim__eevdf_protected(const struct sim_eevdf_rq *q, int i, double v)
{
	return v < q->ev[i].vprot - EPS;
}

int sim__eevdf_pick(struct sim_eevdf_rq *q, int cur, double curv,
		    struct sim_eevdf_run run, bool dequeue)
{
	for (;;) {
		double avg = sim__eevdf_avg(q, run);
		bool cur_ok = cur >= 0 && curv <= avg + EPS;
		if (cur_ok && sim__eevdf_protected(q, cur, curv))
			return cur;
		int best = leftmost_eligible(q, avg + EPS);
		if (cur_ok &&
		    (best < 0 || key_of(q->ev[cur].deadline) < q->ev[best].key))
			best = cur;
		if (best >= 0 && q->ev[best].delayed) {
			if (!dequeue)
				return best;
			/* dequeued at last: its lag, not negative now, paid */
			unlink_delayed(q, best);
			q->ev[best].lag = 0;
			continue;
		}
		return best;
	}
}
