/*
 * kernel.h - the discrete-event kernel: simulated time and the future
 * event list (kernel.c).
 *
 * One `struct sim` is one independent simulation (one system, one
 * replication). Nothing in it is shared between simulations, so jobs run on
 * separate threads without locks. Times are seconds as doubles.
 */
#ifndef SIM_KERNEL_H
#define SIM_KERNEL_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/error.h"

/* ------------------------------------------------------------ events -- */

struct sim;
/* An event handler: `obj` and `arg` are what was given to sim_at(). */
typedef void (*sim_fn)(struct sim *s, void *obj, uint64_t arg);

/* A handle to a scheduled event, for sim_cancel(). 0 is never a valid
 * handle, so it can mean "nothing scheduled". */
typedef uint64_t sim_ev;

struct sim_heapent {
	double t;
	uint64_t
	    key; /* insertion sequence << 24 | record index: ties are FIFO */
};

/* An event's record: one cache line, which holds too what the calendar
 * queue (kernel.c) keeps of the event while it waits there, so that a
 * large calendar's dispatch, and its look-ahead, fetch one line per
 * event, not two. */
struct sim_evrec {
	_Alignas(64) sim_fn fn; /* NULL once cancelled */
	void *obj;
	uint64_t arg;
	union {
		/* while pending: its heap key (insertion sequence << 24 |
		 * index), unique over the run, of which its handle is key + 1:
		 * a handle whose event has fired or been cancelled, its
		 * record reused since, misses */
		uint64_t key;
		uint32_t next_free; /* while free */
	};
	/* the calendar queue's: the entry, its day, the next record in its
	 * bucket's list */
	struct sim_heapent e;
	uint64_t day;
	uint32_t cnext;
};

struct sim_cal;

/* What a handler will touch, fetched two (early) and one (late) events
 * ahead (sim_set_fetcher). */
typedef void (*sim_fetch_fn)(const void *obj, uint64_t arg);
#define SIM__FETCHERS 4

/* The future event list is a binary heap of (time, key) entries while it
 * is small, and a calendar queue (kernel.c) while it holds more than
 * SIM__CAL_ON events (many replicas, many users): the heap costs
 * O(log n) per event and misses the cache once n is large; the calendar
 * O(1). Both give the same order, (time, insertion), so results do not
 * depend on which one ran. */
#define SIM__CAL_ON  512
#define SIM__CAL_OFF 128

/* A lane (sim_after_fixed): the events scheduled one fixed delay ahead,
 * which come due in the order they were scheduled (now only grows), so
 * that a FIFO holds them in order where the list would sort each in: a
 * ring of entries that carry the event itself (no record; fn NULL once
 * cancelled). Entry number p of the lane (counting every entry it ever
 * held) is in slot p % cap, cap a power of two; `first` is the number of
 * the first pending, `len` how many are pending. */
struct sim_laneent {
	double t;
	uint64_t key; /* insertion sequence << 24: ties as in the list */
	sim_fn fn;
	void *obj;
	uint64_t arg;
};
struct sim_lane {
	double dt;
	struct sim_laneent *q;
	uint64_t first;
	uint32_t len, cap;
};
#define SIM__LANES 8
/* A lane event's handle - 1 is (its entry's number << SIM__IDX_BITS) | (
 * SIM__LANE_IDX + lane): record indices stay below SIM__LANE_IDX. */
#define SIM__LANE_IDX ((UINT32_C(1) << SIM__IDX_BITS) - SIM__LANES)

struct sim {
	double now;
	uint64_t seq;
	uint64_t events; /* events dispatched so far */
	struct sim_heapent *heap;
	size_t nheap, capheap; /* nheap: events pending, in either list */
	struct sim_evrec *rec;
	uint32_t nrec, caprec, free_head;
	int stop; /* also SIM__STOP_CAL: the heap became a calendar queue,
		     or the first lane opened (sim_after_fixed) */
	/* The heap's top is the event being dispatched, taken already:
	 * heap[0] is free for the handler's first sim_at (which sifts its
	 * entry down from there: one sift instead of a pop's and a push's),
	 * or the top is removed after the handler (sim__heap_close). nheap
	 * counts it meanwhile, and heap[0] still holds its entry, whose
	 * record is not freed: that first sim_at takes it (it would take it
	 * back from the free list at once), or sim__heap_close frees it. */
	int hole;
	struct sim_cal *cal; /* the calendar queue in use, or NULL */
	/* sim_at's inline path while nheap < hlim: the heap, with room, below
	 * SIM__CAL_ON and below nrec (so a record is free); 0 while the
	 * calendar queue is in use */
	size_t hlim;
	/* handlers' fetchers (sim_set_fetcher) */
	struct {
		sim_fn fn;
		sim_fetch_fn early, late; /* two events ahead, one ahead */
	} fetchers[SIM__FETCHERS];
	int nfetchers;
	/* the lanes (sim_after_fixed): the earliest of their first entries,
	 * its time (NaN while the lanes are empty), key and lane; nlaned:
	 * their entries in all */
	double lane_t;
	uint64_t lane_key;
	int lane_min, nlanes;
	size_t nlaned;
	struct sim_lane lanes[SIM__LANES];
};

/* Initialises an empty simulation at time 0. Returns 0 or SIM_ENOMEM. */
int sim_init(struct sim *s);
/* Releases the event list. */
void sim_release(struct sim *s);

#define SIM__IDX_BITS 24
#define SIM__NO_REC   UINT32_MAX

/* Internal: makes room for one more event (record and heap entry).
 * Returns 0, or SIM_ENOMEM after stopping the simulation. */
int sim__grow(struct sim *s);
/* Internal: sim_at's every case but the inline one (a new record, the
 * heap full or about to become a calendar queue, the calendar queue). */
sim_ev sim__at(struct sim *s, double t, sim_fn fn, void *obj, uint64_t arg);
/* Internal: the heap grew past SIM__CAL_ON: move to a calendar queue (if
 * memory allows; else stay with the heap). */
void sim__cal_on(struct sim *s);
/* Internal (tests): how many entries wait in the calendar queue's far
 * tier, not yet linked into their buckets (0 without a calendar queue). */
size_t sim__cal_far(const struct sim *s);
/* Internal: removes the hole at the heap's top (s->hole set) and frees
 * its record. */
void sim__heap_close(struct sim *s);
/* Internal: s->stop while the dispatch of the heap must hand over to the
 * calendar queue's, or to its loop with the lanes (set by sim__cal_on and
 * by the first sim_after_fixed unless a stop is pending). */
#define SIM__STOP_CAL 2

/* Internal: puts e, newer than every pending entry, at the heap's top
 * (the hole) and sifts it down (sim_at does it inline for a heap of at
 * most two). */
void sim__heap_fill(struct sim *s, struct sim_heapent e);

/* Internal: fills record i with the event and returns its list entry;
 * the key keeps insertion order among equal times. */
static inline struct sim_heapent sim__rec_set(struct sim *s, uint32_t i,
					      double t, sim_fn fn, void *obj,
					      uint64_t arg)
{
	struct sim_evrec *r = &s->rec[i];
	r->fn = fn;
	r->obj = obj;
	r->arg = arg;
	struct sim_heapent e = {t, (s->seq++ << SIM__IDX_BITS) | i};
	r->key = e.key;
	return e;
}

/* Internal: sim_at's inline path. Puts the event in the heap and its
 * handle in *ev, and returns true, while the heap has room, a free record
 * and no calendar queue (hlim); else returns false, having done nothing,
 * for sim__at to take over. */
static inline bool sim__at_inline(struct sim *s, double t, sim_fn fn, void *obj,
				  uint64_t arg, sim_ev *ev)
{
	assert(t >= s->now);
	/* one test for the heap's room and size, whether it is the heap at
	 * all, and a record to reuse (hlim) */
	if (s->nheap >= s->hlim)
		return false;
	/* a handler's first event takes the top's place (the hole) and the
	 * dispatched event's record, still named by the top's entry */
	uint64_t seq = s->seq++;
	uint32_t i = (uint32_t)(s->heap[0].key & ((1u << SIM__IDX_BITS) - 1));
	if (!s->hole) {
		i = s->free_head; /* never SIM__NO_REC here */
		s->free_head = s->rec[i].next_free;
	}
	struct sim_heapent e = {t, (seq << SIM__IDX_BITS) | i};
	struct sim_evrec *r = &s->rec[i];
	r->fn = fn;
	r->obj = obj;
	r->arg = arg;
	r->key = e.key;
	*ev = e.key + 1; /* never 0 */
	if (s->hole) {
		struct sim_heapent *h = s->heap;
		if (s->nheap > 2) {
			sim__heap_fill(s, e);
		} else if (s->nheap == 2 && h[1].t <= e.t) {
			/* a tie goes to h[1]: e is the newest */
			h[0] = h[1];
			h[1] = e;
			s->hole = 0;
		} else {
			h[0] = e;
			s->hole = 0;
		}
		return true;
	}
	size_t k = s->nheap++; /* sift up */
	while (k > 0) {
		struct sim_heapent p = s->heap[(k - 1) / 2];
		/* p.t < e.t, or a tie, which p wins: every pending key is
		 * smaller than e's, the newest (seq only grows, and stays
		 * below 2^40: far more than MAX_EVENTS_PER_RUN) */
		if (p.t <= e.t)
			break;
		s->heap[k] = p;
		k = (k - 1) / 2;
	}
	s->heap[k] = e;
	return true;
}

/* Schedules fn(s, obj, arg) at absolute time t, which must not be in the
 * past (t >= now: asserted, a model scheduling backwards is a bug). Returns
 * its handle, or 0 when memory ran out (the simulation then stops with
 * SIM_ENOMEM). Inline: every simulated request schedules a few events. */
static inline sim_ev sim_at(struct sim *s, double t, sim_fn fn, void *obj,
			    uint64_t arg)
{
	sim_ev ev;
	if (sim__at_inline(s, t, fn, obj, arg, &ev))
		return ev;
	return sim__at(s, t, fn, obj, arg);
}

/* Internal: *ev = sim__at(...), out of line. */
void sim__at_to(sim_ev *ev, struct sim *s, double t, sim_fn fn, void *obj,
		uint64_t arg);

/* sim_at that stores the handle in *ev (where the caller keeps it) instead
 * of returning it: its out-of-line path then stores it itself, so that a
 * caller whose last act is to schedule (the host's dispatch, once per
 * burst) calls it last, a tail call, and keeps no registers across it. */
static inline void sim_at_to(sim_ev *ev, struct sim *s, double t, sim_fn fn,
			     void *obj, uint64_t arg)
{
	if (!sim__at_inline(s, t, fn, obj, arg, ev))
		sim__at_to(ev, s, t, fn, obj, arg);
}

static inline sim_ev sim_after(struct sim *s, double dt, sim_fn fn, void *obj,
			       uint64_t arg)
{
	return sim_at(s, s->now + dt, fn, obj, arg);
}

/* Schedules fn(s, obj, arg) at now + dt, where dt is a fixed delay that
 * the caller uses again and again (a network hop, a timeout of the
 * configuration):
 * since now only grows, the events of one delay come due in the order
 * they were scheduled, and the kernel keeps them in a lane, a FIFO of its
 * own, rather than sorting each into the list (with thousands of
 * replicas, a calendar insertion and its record's cache line per event).
 * Dispatch takes from the lanes and the list in the same (time,
 * insertion) order as if all were in the list, so results do not depend
 * on it. Returns its handle for sim_cancel, or 0 when memory ran out
 * (the simulation then stops with SIM_ENOMEM). The first SIM__LANES
 * delays get a lane, others go to the list. */
sim_ev sim_after_fixed(struct sim *s, double dt, sim_fn fn, void *obj,
		       uint64_t arg);

/* While the calendar queue runs (many pending events: a fleet of
 * replicas), the events after the one being dispatched are looked at
 * ahead, so that what a handler touches comes in stages, each stage's
 * misses overlapping the work of an event: three events before an event
 * whose handler is `fn`, the kernel fetches its object's first two lines;
 * two before, early(obj, arg) may read those and fetch (sim_prefetch)
 * what they point at (the model's state); one before, late(obj, arg) may
 * read that and fetch what it points at in turn (the request the handler
 * will finish). Each must only prefetch and read only what the stages
 * before fetched; either may be NULL. At most SIM__FETCHERS handlers
 * (more are ignored); registering one again changes nothing. */
void sim_set_fetcher(struct sim *s, sim_fn fn, sim_fetch_fn early,
		     sim_fetch_fn late);

/* Cancels a scheduled event; a handle that already fired, was cancelled, or
 * is 0 is ignored. O(1): the list's entry is skipped when it surfaces. */
void sim_cancel(struct sim *s, sim_ev ev);

/* Dispatches events in (time, insertion) order until the next one is later
 * than t_end or sim_stop() is called; then sets now = t_end (if reached).
 * Returns 0, or SIM_ENOMEM if scheduling failed on the way. */
int sim_run_until(struct sim *s, double t_end);

/* Makes sim_run_until() return after the current event. */
static inline void sim_stop(struct sim *s)
{
	s->stop = 1;
}

/* Fetches [p, p + len) into the cache, every line at once (for code
 * about to touch memory that has likely left the caches: thousands of
 * replicas). Prefetches never fault; the addresses are computed as
 * integers, so that p may be NULL (pointer arithmetic on NULL, or past
 * an object's end, is undefined behaviour). */
static inline void sim_prefetch(const void *p, size_t len)
{
	uintptr_t b = (uintptr_t)p & ~(uintptr_t)63, e = (uintptr_t)p + len;
	for (; b < e; b += 64)
		__builtin_prefetch((const void *)b);
}

/* The cache lines of n bytes from a line boundary: sim_prefetch_lines'
 * count. */
#define SIM_LINES(n) ((unsigned)(((n) + 63) / 64))
/* Fetches the n cache lines from p, which is on a line boundary (a
 * record or a model's state: aligned_alloc(64)): with n a constant, one
 * instruction a line, where sim_prefetch tests the end at each (a fleet's
 * event loop fetches ten lines of a replica twice a request: those tests
 * were 90 of a request's 2,200 instructions, callgrind). */
static inline void sim_prefetch_lines(const void *p, unsigned n)
{
	uintptr_t b = (uintptr_t)p;
	assert(b % 64 == 0);
	for (unsigned i = 0; i < n; i++)
		__builtin_prefetch((const void *)(b + 64 * (uintptr_t)i));
}

/* Number of events waiting (including cancelled ones not yet surfaced). */
static inline size_t sim_pending(const struct sim *s)
{
	return s->nheap - (size_t)s->hole + s->nlaned;
}
#endif
