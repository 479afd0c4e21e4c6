/*
 * fleet.c - the yardstick of bench.sh's replica measurement: the same
 * system as its scenario (N single-server FIFO queues, Poisson arrivals at
 * 800/s per queue, a random pick per request, a hop of 100 us on the way
 * in and on the way out, exponential service of mean 1 ms) as a plain C
 * loop, with what any simulator of it must keep: a record per request in
 * flight, a FIFO and a busy flag per queue, one event list. It shows what
 * the memory system alone costs when the requests spread over more
 * queues than the caches hold, so that concsim's ratio between 10,000 and
 * 10 replicas can be read against the floor of that ratio.
 *
 *   bench_fleet QUEUES REQUESTS [heap|cal [QLINES RLINES]]
 *                                  -> ns_per_request=... (CPU time)
 *
 * The event list is a binary heap of 16-byte entries (time, tag) as in the
 * plain C loop of the M/M/1 yardstick, or with `cal` a calendar queue
 * (Brown, CACM 1988) whose day and year are set from what this system is
 * known to hold (about one pending event per queue, spread over a few
 * service times): O(1) per event where the heap's sift grows with the
 * queues, so that the floor does not rest on the heap; requests live in
 * one pool with a free list; draws are xoshiro256+ with inversion.
 * QLINES and RLINES (default 0: the bare records, half a line a queue and
 * a quarter of one a request) make each queue and each request record
 * that many cache lines, every one of which a visit updates: a simulator
 * that keeps more per replica and per request (README, Scale: how the
 * floor grows with the lines a request touches). Time must never run
 * backwards: the loop stops (exit 3) if it does, and
 * tests/fleet_lists.sh checks that both lists give the same results.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t st[4] = {0x9e3779b97f4a7c15ull, 0xbf58476d1ce4e5b9ull,
			 0x94d049bb133111ebull, 0x2545f4914f6cdd1dull};

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static double uniform(void)
{
	uint64_t r = st[0] + st[3], t = st[1] << 17;
	st[2] ^= st[0];
	st[3] ^= st[1];
	st[1] ^= st[2];
	st[0] ^= st[3];
	st[2] ^= t;
	st[3] = rotl(st[3], 45);
	return (double)(r >> 11) * 0x1.0p-53;
}

static double expo(double mean)
{
	return -log(1.0 - uniform()) * mean;
}

enum { EV_ARRIVE, EV_HOP_IN, EV_DONE, EV_HOP_OUT };

struct ent {
	double t;
	uint64_t tag; /* seq << 32 | kind << 28 | request (or queue) */
};

static struct ent *heap;
static size_t nheap;
static uint64_t seq;

static int before(const struct ent *a, const struct ent *b)
{
	return a->t < b->t || (a->t == b->t && a->tag < b->tag);
}

static void push(struct ent e)
{
	size_t i = nheap++;
	while (i > 0 && before(&e, &heap[(i - 1) / 2])) {
		heap[i] = heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	heap[i] = e;
}

static struct ent pop(void)
{
	struct ent top = heap[0], last = heap[--nheap];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= nheap)
			break;
		if (c + 1 < nheap && before(&heap[c + 1], &heap[c]))
			c++;
		if (!before(&heap[c], &last))
			break;
		heap[i] = heap[c];
		i = c;
	}
	heap[i] = last;
	return top;
}

/* The calendar: nb buckets of `width` seconds, each a list sorted by
 * (t, tag) of nodes from one pool; an event's day is (uint64_t)(t /
 * width), computed the same way where it is filed and where it is taken
 * (a running sum of widths drifts from it, and an event then waits a year
 * in a bucket already passed); `day` is the day of the last event taken. */
struct node {
	struct ent e;
	uint32_t next;
};
static struct node *pool;
static uint32_t *bucket, nb, pfree;
static uint64_t day;
static double width;
static int cal;

static uint64_t day_of(double t)
{
	return (uint64_t)(t / width);
}

static void cal_push(struct ent e)
{
	uint32_t n = pfree;
	if (n == UINT32_MAX) {
		fprintf(stderr,
			"bench_fleet: more pending events than its pool\n");
		exit(2);
	}
	pfree = pool[n].next;
	pool[n].e = e;
	uint32_t *at = &bucket[day_of(e.t) & (nb - 1)];
	while (*at != UINT32_MAX && !before(&e, &pool[*at].e))
		at = &pool[*at].next;
	pool[n].next = *at;
	*at = n;
}

static struct ent cal_pop(void)
{
	for (uint32_t k = 0; k < nb; k++, day++) {
		uint32_t *b = &bucket[day & (nb - 1)];
		uint32_t n = *b;
		if (n != UINT32_MAX && day_of(pool[n].e.t) <= day) {
			*b = pool[n].next;
			pool[n].next = pfree;
			pfree = n;
			return pool[n].e;
		}
	}
	/* a year went by empty: go straight to the earliest event (the
	 * loop's callers never let the list empty) */
	uint32_t best = UINT32_MAX;
	for (uint32_t b = 0; b < nb; b++)
		if (bucket[b] != UINT32_MAX &&
		    (best == UINT32_MAX ||
		     before(&pool[bucket[b]].e, &pool[bucket[best]].e)))
			best = b;
	day = day_of(pool[bucket[best]].e.t);
	return cal_pop();
}

/* Schedules an event of `kind` for request or queue `id` at t. */
static void add(double t, unsigned kind, uint32_t id)
{
	struct ent e = {t, (++seq << 32) | ((uint64_t)kind << 28) | id};
	if (cal)
		cal_push(e);
	else
		push(e);
}

static struct ent take(void)
{
	return cal ? cal_pop() : pop();
}

struct req {
	double t_arrive;
	uint32_t queue, next; /* FIFO link, or the free list's */
};

struct queue {
	uint32_t head, tail, n; /* FIFO of requests (head in service) */
	uint32_t done;
	double busy_since, busy; /* utilisation, as a simulator keeps it */
};

#define NIL UINT32_MAX

/* A visit's update of every line of a record of `lines` lines but the
 * first (the one its fields are in). */
static void touch(void *p, size_t lines)
{
	for (size_t l = 1; l < lines; l++)
		((volatile uint64_t *)((char *)p + 64 * l))[0]++;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc == 5 || argc > 6 ||
	    (argc > 3 && strcmp(argv[3], "cal") && strcmp(argv[3], "heap"))) {
		fprintf(stderr, "usage: bench_fleet QUEUES REQUESTS "
				"[heap|cal [QLINES RLINES]]\n");
		return 2;
	}
	cal = argc > 3 && !strcmp(argv[3], "cal");
	size_t qlines = argc > 5 ? strtoul(argv[4], NULL, 10) : 0;
	size_t rlines = argc > 5 ? strtoul(argv[5], NULL, 10) : 0;
	uint32_t nq = (uint32_t)strtoul(argv[1], NULL, 10);
	uint64_t want = strtoull(argv[2], NULL, 10);
	size_t cap = 1u << 20; /* requests in flight at most */
	if (!nq || nq >= 1u << 28 || qlines > 64 || rlines > 64) {
		fprintf(stderr, "bench_fleet: 1 to 2^28 - 1 queues, up to 64 "
				"lines a record\n");
		return 2;
	}
	/* records of qlines / rlines whole lines, or bare */
	size_t qs = qlines ? 64 * qlines : sizeof(struct queue);
	size_t rs = rlines ? 64 * rlines : sizeof(struct req);
	char *qm = aligned_alloc(64, (nq * qs + 63) / 64 * 64);
	char *rm = aligned_alloc(64, (cap * rs + 63) / 64 * 64);
	if (!qm || !rm)
		return 2;
	memset(qm, 0, nq * qs);
	memset(rm, 0, cap * rs);
#define Q(i)  ((struct queue *)(qm + (size_t)(i)*qs))
#define RQ(i) (*(struct req *)(rm + (size_t)(i)*rs))
	heap = malloc((cap + 2) * sizeof *heap);
	if (!heap)
		return 2;
	if (cal) { /* a bucket per queue or more; a year of 2 service times */
		for (nb = 16; nb < nq; nb *= 2)
			;
		width = 2e-3 / nb;
		bucket = malloc(nb * sizeof *bucket);
		pool = malloc((cap + 2) * sizeof *pool);
		if (!bucket || !pool)
			return 2;
		for (uint32_t b = 0; b < nb; b++)
			bucket[b] = UINT32_MAX;
		for (uint32_t n = 0; n < cap + 2; n++)
			pool[n].next = n + 1 < cap + 2 ? n + 1 : UINT32_MAX;
	}
	for (uint32_t i = 0; i < nq; i++)
		Q(i)->head = Q(i)->tail = NIL;
	uint32_t freel = NIL, used = 0;
	const double lambda = 800.0 * nq, hop = 100e-6, svc = 1e-3;
	double lat = 0, last = 0;
	uint64_t arrived = 0, finished = 0;
	struct timespec a, b;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	add(expo(1 / lambda), EV_ARRIVE, 0);
	while (finished < want) {
		struct ent e = take();
		unsigned kind = (unsigned)(e.tag >> 28) & 0xf;
		uint32_t id = (uint32_t)e.tag & 0x0fffffff;
		double now = e.t;
		if (now < last) { /* the event list lost its order */
			fprintf(stderr, "bench_fleet: time ran backwards\n");
			return 3;
		}
		last = now;
		if (kind == EV_ARRIVE) {
			if (++arrived < want)
				add(now + expo(1 / lambda), EV_ARRIVE, 0);
			if (freel == NIL && used == cap) {
				fprintf(stderr,
					"bench_fleet: more than %zu "
					"requests in flight\n",
					cap);
				return 2;
			}
			uint32_t r = freel != NIL ? freel : used++;
			if (r == freel)
				freel = RQ(r).next;
			uint32_t k = (uint32_t)(uniform() * nq);
			RQ(r) = (struct req){now, k < nq ? k : nq - 1, NIL};
			touch(&RQ(r), rlines);
			add(now + hop, EV_HOP_IN, r);
		} else if (kind == EV_HOP_IN) {
			struct queue *x = Q(RQ(id).queue);
			touch(x, qlines);
			if (x->tail != NIL)
				RQ(x->tail).next = id;
			else
				x->head = id;
			x->tail = id;
			if (x->n++ == 0) {
				x->busy_since = now;
				add(now + expo(svc), EV_DONE, RQ(id).queue);
			}
		} else if (kind == EV_DONE) {
			struct queue *x = Q(id);
			touch(x, qlines);
			uint32_t r = x->head;
			x->head = RQ(r).next;
			touch(&RQ(r), rlines);
			if (x->head == NIL)
				x->tail = NIL;
			x->done++;
			if (--x->n > 0) {
				add(now + expo(svc), EV_DONE, id);
			} else {
				x->busy += now - x->busy_since;
			}
			add(now + hop, EV_HOP_OUT, r);
		} else {
			lat += now - RQ(id).t_arrive;
			touch(&RQ(id), rlines);
			RQ(id).next = freel;
			freel = id;
			finished++;
		}
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 +
		    (double)(b.tv_nsec - a.tv_nsec);
	printf("queues=%u list=%s requests=%llu ns_per_request=%.1f "
	       "latency_mean=%.12g\n",
	       nq, cal ? "calendar" : "heap", (unsigned long long)finished,
	       ns / (double)finished, lat / (double)finished);
	free(qm);
	free(rm);
	free(heap);
	free(bucket);
	free(pool);
	return 0;
}
