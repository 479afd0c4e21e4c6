/*
 * calq.c - the hold model of hold.c on a calendar queue (Brown 1988)
 * instead of the kernel's binary heap, to decide which event list concsim
 * should use for large pending sets. Same entries (time, insertion order:
 * ties are FIFO), same random stream and same warm-up as hold.c; prints one
 * key=value line with ns_per_hold.
 *
 * The calendar: nb buckets (a power of two) of `width` seconds each, one
 * sorted list per bucket, a year of nb * width; an event at t goes to
 * bucket floor(t / width) mod nb. Dequeuing scans from the current bucket
 * for an event of the current year, and falls back to a direct search of
 * the bucket heads after a whole empty year. The calendar doubles (halves)
 * when it holds more than 2 nb (fewer than nb / 2) events, with a width of
 * three times the mean gap between the next events (Brown's rule).
 *
 *   bench_calq PENDING OPS [calendar|heap]   (heap: a bare binary heap of
 *                                             the same entries)
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kernel/rng.h"

#define NIL UINT32_MAX

struct node {
	double t;
	uint64_t seq;
	uint32_t next;
};

struct calq {
	struct node *pool;
	uint32_t free_head, npool;
	uint32_t *head; /* per bucket: first node, or NIL */
	size_t nb, size;
	double width, top; /* top: end of the current bucket's day */
	size_t cur;	   /* current bucket */
	uint64_t seq;
};

static int before(const struct node *a, const struct node *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static size_t bucket_of(const struct calq *q, double t)
{
	return (size_t)(uint64_t)(t / q->width) & (q->nb - 1);
}

static void link_node(struct calq *q, uint32_t n)
{
	struct node *x = &q->pool[n];
	uint32_t *pp = &q->head[bucket_of(q, x->t)];
	while (*pp != NIL && !before(x, &q->pool[*pp]))
		pp = &q->pool[*pp].next;
	x->next = *pp;
	*pp = n;
}

/* Points the calendar at the day of time t. */
static void seek(struct calq *q, double t)
{
	q->cur = bucket_of(q, t);
	q->top = (floor(t / q->width) + 1) * q->width;
}

static uint32_t pop_node(struct calq *q)
{
	for (size_t k = 0; k < q->nb; k++) {
		uint32_t n = q->head[q->cur];
		if (n != NIL && q->pool[n].t < q->top) {
			q->head[q->cur] = q->pool[n].next;
			return n;
		}
		q->cur = (q->cur + 1) & (q->nb - 1);
		q->top += q->width;
	}
	/* a year without events: search the heads directly */
	uint32_t best = NIL;
	for (size_t b = 0; b < q->nb; b++)
		if (q->head[b] != NIL &&
		    (best == NIL ||
		     before(&q->pool[q->head[b]], &q->pool[best])))
			best = q->head[b];
	seek(q, q->pool[best].t);
	q->head[q->cur] = q->pool[best].next;
	return best;
}

/* Rebuilds the calendar with nb buckets and a width from the next events. */
static int resize(struct calq *q, size_t nb)
{
	double w = q->width;
	if (q->size >= 2) {
		/* Brown: three times the mean gap of the next few events */
		uint32_t s[25];
		size_t k = q->size < 25 ? q->size : 25;
		for (size_t i = 0; i < k; i++)
			s[i] = pop_node(q);
		double gap = (q->pool[s[k - 1]].t - q->pool[s[0]].t) / (k - 1);
		for (size_t i = 0; i < k; i++)
			link_node(q, s[i]);
		seek(q, q->pool[s[0]].t);
		if (gap > 0)
			w = 3 * gap;
	}
	uint32_t *old = q->head;
	size_t onb = q->nb;
	q->head = malloc(nb * sizeof *q->head);
	if (!q->head)
		return -1;
	for (size_t b = 0; b < nb; b++)
		q->head[b] = NIL;
	q->nb = nb;
	q->width = w;
	double tmin = INFINITY;
	for (size_t b = 0; b < onb; b++)
		for (uint32_t n = old[b], next; n != NIL; n = next) {
			next = q->pool[n].next;
			if (q->pool[n].t < tmin)
				tmin = q->pool[n].t;
			link_node(q, n);
		}
	free(old);
	if (isfinite(tmin))
		seek(q, tmin);
	return 0;
}

static int push(struct calq *q, double t)
{
	if (q->free_head == NIL)
		return -1; /* the pool is sized for the population */
	uint32_t n = q->free_head;
	q->free_head = q->pool[n].next;
	q->pool[n].t = t;
	q->pool[n].seq = q->seq++;
	link_node(q, n);
	if (t < q->top - q->width) /* earlier than the current day */
		seek(q, t);
	if (++q->size > 2 * q->nb)
		return resize(q, 2 * q->nb);
	return 0;
}

static double pop(struct calq *q)
{
	uint32_t n = pop_node(q);
	double t = q->pool[n].t;
	q->pool[n].next = q->free_head;
	q->free_head = n;
	if (--q->size < q->nb / 2 && q->nb > 2 && resize(q, q->nb / 2) < 0)
		return NAN;
	return t;
}

/* ------------------------------------------------ a bare binary heap -- */

/* The kernel's heap without its event records: 16-byte entries (time,
 * insertion order), so that the two lists compare as data structures. */
struct bheap {
	struct node *v;
	size_t n;
	uint64_t seq;
};

static void bh_push(struct bheap *h, double t)
{
	struct node e = {t, h->seq++, 0};
	size_t k = h->n++;
	while (k > 0 && before(&e, &h->v[(k - 1) / 2])) {
		h->v[k] = h->v[(k - 1) / 2];
		k = (k - 1) / 2;
	}
	h->v[k] = e;
}

static double bh_pop(struct bheap *h)
{
	double t = h->v[0].t;
	struct node last = h->v[--h->n];
	size_t k = 0, n = h->n;
	for (;;) {
		size_t c = 2 * k + 1;
		if (c >= n)
			break;
		if (c + 1 < n && before(&h->v[c + 1], &h->v[c]))
			c++;
		if (!before(&h->v[c], &last))
			break;
		h->v[k] = h->v[c];
		k = c;
	}
	h->v[k] = last;
	return t;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s PENDING OPS [calendar|heap]\n",
			argv[0]);
		return 2;
	}
	long pending = atol(argv[1]), ops = atol(argv[2]);
	int heap = argc > 3 && argv[3][0] == 'h';
	struct sim_stream st;
	struct calq q = {.nb = 2, .width = 1.0};
	struct bheap bh = {0};
	if (pending < 1 || ops < 1 || sim_stream_init(&st, 1, 0, "hold") < 0)
		return 2;
	q.pool = malloc((size_t)pending * sizeof *q.pool);
	q.head = malloc(q.nb * sizeof *q.head);
	bh.v = malloc((size_t)pending * sizeof *bh.v);
	if (!q.pool || !q.head || !bh.v)
		return 2;
	q.head[0] = q.head[1] = NIL;
	for (long i = 0; i < pending; i++)
		q.pool[i].next = i + 1 < pending ? (uint32_t)(i + 1) : NIL;
	q.free_head = 0;
	q.top = q.width;
#define PUSH(t)                                                                \
	do {                                                                   \
		if (heap)                                                      \
			bh_push(&bh, (t));                                     \
		else if (push(&q, (t)) < 0)                                    \
			return 1;                                              \
	} while (0)
#define POP() (heap ? bh_pop(&bh) : pop(&q))
	for (long i = 0; i < pending; i++)
		PUSH(sim_exponential(&st, 1.0));
	/* warm-up: one pass over the population, as hold.c */
	double checksum = 0, now = 0;
	for (long i = 0; i < pending; i++) {
		now = POP();
		PUSH(now + sim_exponential(&st, 1.0));
	}
	double t0 = now_s();
	long disorder = 0; /* pops earlier than the one before: must be 0 */
	for (long i = 0; i < ops; i++) {
		double prev = now;
		now = POP();
		disorder += now < prev;
		checksum += now;
		PUSH(now + sim_exponential(&st, 1.0));
	}
	double wall = now_s() - t0;
	printf("model=hold kernel=%s pending=%ld ops=%ld sim_wall_s=%.4f "
	       "ns_per_hold=%.2f checksum=%.17g disorder=%ld\n",
	       heap ? "heap" : "calendar", pending, ops, wall,
	       1e9 * wall / (double)ops, checksum, disorder);
	sim_stream_release(&st);
	free(q.pool);
	free(q.head);
	free(bh.v);
	return 0;
}
