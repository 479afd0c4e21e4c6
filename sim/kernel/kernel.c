/*
 * kernel.c - simulated time and the future event list.
 *
 * The event list is a binary min-heap of 16-byte entries {time, key} where
 * key = insertion sequence << 24 | record index: the sort key lives in the
 * heap array, so sifting never touches the event records, and equal times
 * come out in insertion order. Records (handler, object, argument) live in
 * one pool with an index freelist: no malloc per event once the pool has
 * grown to the simulation's high-water mark. Cancelling clears the record's
 * handler; the stale heap entry is dropped when it surfaces.
 */
#include <assert.h>
#include <stdlib.h>

#include "kernel/kernel.h"

#define IDX_BITS SIM__IDX_BITS
#define IDX_MASK ((UINT64_C(1) << IDX_BITS) - 1)
#define NO_REC	 SIM__NO_REC

int sim_init(struct sim *s)
{
	*s = (struct sim){.free_head = NO_REC};
	s->caprec = 256;
	s->rec = malloc(s->caprec * sizeof *s->rec);
	s->capheap = 256;
	s->heap = malloc(s->capheap * sizeof *s->heap);
	if (!s->rec || !s->heap) {
		sim_release(s);
		return SIM_ENOMEM;
	}
	return 0;
}

void sim_release(struct sim *s)
{
	free(s->rec);
	free(s->heap);
	s->rec = NULL;
	s->heap = NULL;
	s->nheap = s->nrec = 0;
}

int sim__grow(struct sim *s)
{
	if (s->nheap == s->capheap) {
		struct sim_heapent *h =
		    realloc(s->heap, 2 * s->capheap * sizeof *h);
		if (!h)
			goto nomem;
		s->heap = h;
		s->capheap *= 2;
	}
	if (s->free_head == NO_REC && s->nrec == s->caprec) {
		if (s->caprec >= (UINT32_C(1) << IDX_BITS))
			goto nomem;
		struct sim_evrec *r =
		    realloc(s->rec, 2 * (size_t)s->caprec * sizeof *r);
		if (!r)
			goto nomem;
		s->rec = r;
		s->caprec *= 2;
	}
	return 0;
nomem:
	s->stop = SIM_ENOMEM;
	return SIM_ENOMEM;
}

static void rec_free(struct sim *s, uint32_t i)
{
	s->rec[i].gen++;
	s->rec[i].next_free = s->free_head;
	s->free_head = i;
}

static inline int ent_less(struct sim_heapent a, struct sim_heapent b)
{
	return a.t < b.t || (a.t == b.t && a.key < b.key);
}

void sim_cancel(struct sim *s, sim_ev ev)
{
	if (!ev)
		return;
	uint32_t i = (uint32_t)(ev & 0xffffffffu) - 1;
	if (i < s->nrec && s->rec[i].gen == (uint32_t)(ev >> 32))
		s->rec[i].fn = NULL;
}

static struct sim_heapent heap_pop(struct sim *s)
{
	struct sim_heapent top = s->heap[0];
	struct sim_heapent last = s->heap[--s->nheap];
	size_t n = s->nheap, k = 0;
	for (;;) {
		size_t c = 2 * k + 1;
		if (c >= n)
			break;
		if (c + 1 < n && ent_less(s->heap[c + 1], s->heap[c]))
			c++;
		if (!ent_less(s->heap[c], last))
			break;
		s->heap[k] = s->heap[c];
		k = c;
	}
	s->heap[k] = last;
	return top;
}

int sim_run_until(struct sim *s, double t_end)
{
	s->stop = 0;
	while (s->nheap > 0 && s->heap[0].t <= t_end) {
		struct sim_heapent e = heap_pop(s);
		uint32_t i = (uint32_t)(e.key & IDX_MASK);
		struct sim_evrec r = s->rec[i];
		rec_free(s, i);
		if (!r.fn)
			continue;
		s->now = e.t;
		s->events++;
		r.fn(s, r.obj, r.arg);
		if (s->stop)
			return s->stop < 0 ? s->stop : 0;
	}
	if (t_end > s->now)
		s->now = t_end;
	return 0;
}
