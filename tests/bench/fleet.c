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
 *   bench_fleet QUEUES REQUESTS     -> ns_per_request=... (CPU time)
 *
 * The event list is a binary heap of 16-byte entries (time, tag) as in the
 * plain C loop of the M/M/1 yardstick; requests live in one pool with a
 * free list; draws are xoshiro256+ with inversion.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

static void push(double t, unsigned kind, uint32_t id)
{
	struct ent e = {t, (++seq << 32) | ((uint64_t)kind << 28) | id};
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

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: bench_fleet QUEUES REQUESTS\n");
		return 2;
	}
	uint32_t nq = (uint32_t)strtoul(argv[1], NULL, 10);
	uint64_t want = strtoull(argv[2], NULL, 10);
	size_t cap = 1u << 20; /* requests in flight at most */
	struct queue *q = calloc(nq, sizeof *q);
	struct req *rq = malloc(cap * sizeof *rq);
	heap = malloc((cap + 2) * sizeof *heap);
	if (!nq || !q || !rq || !heap)
		return 2;
	for (uint32_t i = 0; i < nq; i++)
		q[i].head = q[i].tail = NIL;
	uint32_t freel = NIL, used = 0;
	const double lambda = 800.0 * nq, hop = 100e-6, svc = 1e-3;
	double lat = 0;
	uint64_t arrived = 0, finished = 0;
	struct timespec a, b;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	push(expo(1 / lambda), EV_ARRIVE, 0);
	while (finished < want) {
		struct ent e = pop();
		unsigned kind = (unsigned)(e.tag >> 28) & 0xf;
		uint32_t id = (uint32_t)e.tag & 0x0fffffff;
		double now = e.t;
		if (kind == EV_ARRIVE) {
			if (++arrived < want)
				push(now + expo(1 / lambda), EV_ARRIVE, 0);
			uint32_t r = freel != NIL ? freel : used++;
			if (r == freel)
				freel = rq[r].next;
			uint32_t k = (uint32_t)(uniform() * nq);
			rq[r] = (struct req){now, k < nq ? k : nq - 1, NIL};
			push(now + hop, EV_HOP_IN, r);
		} else if (kind == EV_HOP_IN) {
			struct queue *x = &q[rq[id].queue];
			if (x->tail != NIL)
				rq[x->tail].next = id;
			else
				x->head = id;
			x->tail = id;
			if (x->n++ == 0) {
				x->busy_since = now;
				push(now + expo(svc), EV_DONE, rq[id].queue);
			}
		} else if (kind == EV_DONE) {
			struct queue *x = &q[id];
			uint32_t r = x->head;
			x->head = rq[r].next;
			if (x->head == NIL)
				x->tail = NIL;
			x->done++;
			if (--x->n > 0) {
				push(now + expo(svc), EV_DONE, id);
			} else {
				x->busy += now - x->busy_since;
			}
			push(now + hop, EV_HOP_OUT, r);
		} else {
			lat += now - rq[id].t_arrive;
			rq[id].next = freel;
			freel = id;
			finished++;
		}
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 +
		    (double)(b.tv_nsec - a.tv_nsec);
	printf(
	    "queues=%u requests=%llu ns_per_request=%.1f latency_mean=%.6f\n",
	    nq, (unsigned long long)finished, ns / (double)finished,
	    lat / (double)finished);
	return 0;
}
