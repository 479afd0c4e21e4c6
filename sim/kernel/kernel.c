/*
 * kernel.c - simulated time and the future event list.
 *
 * The event list is a binary min-heap of 16-byte entries {time, key} where
 * key = insertion sequence << 24 | record index: the sort key lives in the
 * heap array, so sifting never touches the event records, and equal times
 * come out in insertion order. Records (handler, object, argument) live in
 * one pool with an index freelist: no malloc per event once the pool has
 * grown to the simulation's high-water mark. Cancelling clears the record's
 * handler; the stale entry is dropped when it surfaces.
 *
 * Dispatch from the heap leaves the top in place while its handler runs
 * (s->hole): the handler's first sim_at puts its entry there and sifts it
 * down, one sift where a pop and a push take two (most handlers schedule
 * one event: the next arrival, the end of the next burst); the top is
 * removed after a handler that scheduled nothing. The heap's loop tests
 * one flag after each event, s->stop, which sim__cal_on also sets
 * (SIM__STOP_CAL) to hand over to the calendar queue's, and
 * sim_after_fixed to the heap's loop with the lanes.
 *
 * Past SIM__CAL_ON pending events the entries move to a calendar queue
 * (Brown, CACM 1988): nb buckets (a power of two), each a day of `width`
 * seconds, sorted lists, a year of nb days; an entry of day d =
 * floor(t / width) goes to bucket d mod nb. Dequeuing looks at the current
 * day's bucket and moves on day by day; after a whole year without an
 * entry it searches the bucket heads directly. The calendar doubles
 * (halves) when it holds more than 2 nb (fewer than nb / 2) entries, with
 * a width of three times the mean gap between the next entries (Brown's
 * rule). Days are integers kept in the entries, so an entry's bucket and
 * day never disagree through rounding. An entry, its day and its bucket
 * list's link live in the event's record, which is one cache line
 * (struct sim_evrec, 64-byte aligned): a large calendar's dispatch and
 * insertion touch one line per event, where a separate array of nodes
 * made it two (10,000 replicas: 4 fewer misses of a 1 MiB cache per
 * request, cachegrind). From CAL_FAR_MIN_NB buckets on, an entry more
 * than a span (64 days) ahead is not sorted in at once: its record's
 * index waits in its span's array (the far tier) until the current day
 * reaches the span before, and is then linked in with the span's other
 * entries, their records fetched ahead, since a sorted insertion's walk
 * of a bucket list waits for one miss after another (10,000 replicas:
 * insertion 26 % of the time before, 15 % with the span's linking).
 * Below SIM__CAL_OFF entries the heap comes back. bench_calq and the README's
 * Speed section compare the two on the hold model. One entry waits apart
 * from the buckets (near): the earlier of it and each new one, which
 * dispatch compares with the front, so that a source with one event
 * pending at a time (a fleet's arrivals) skips the buckets.
 *
 * While the calendar runs, dispatch looks ahead (cal_prefetch), four
 * events deep, a stage per event: it fetches the record of the fourth
 * event ahead and the object of the third, and calls the second's early
 * fetcher and the next one's late fetcher (sim_set_fetcher), so that a
 * fleet of replicas, whose events land on memory the caches no longer
 * hold, overlaps those misses with the work of the events before.
 *
 * Events scheduled a fixed delay ahead (sim_after_fixed: a balancer's
 * hop, the clients' network, the timeouts of clients, calls and sync
 * workers, the GIL's switch interval) skip the list: since now only
 * grows, the events of one delay come due in the order they were
 * scheduled, and a lane, a ring of entries that carry the event itself,
 * holds them in that order for O(1) a push and a pop, where the heap
 * sifts each (O(log n))
 * and the calendar links each into a bucket and gives it a record; a
 * timeout, scheduled and cancelled for every request, otherwise waits in
 * the list until its time (a 30 s worker timeout at 100/s: 30 x 100 dead
 * entries, enough to turn the heap into a calendar queue). A lane's
 * cancelled entry is dropped when it surfaces, as the list's are. The
 * first SIM__LANES delays get one each. Dispatch takes the earliest of
 * the list's first entry and the lanes' (lane_t: the earliest of their
 * firsts, kept up to date at each push into an empty lane and each pop),
 * by (time, insertion) as the list orders its own, so that the order,
 * and every result, is the same as with the list alone (the golden
 * outputs did not change). A simulation without a lane (the M/M/1) runs
 * the heap's loop without the test (heap_run); the first lane, opened
 * in a handler, hands over to the loop with it after that event (as the
 * calendar's coming does: SIM__STOP_CAL).
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel.h"

#define IDX_BITS SIM__IDX_BITS
#define IDX_MASK ((UINT64_C(1) << IDX_BITS) - 1)
#define NO_REC	 SIM__NO_REC

/* n event records, each one cache line (struct sim_evrec), or NULL. */
static struct sim_evrec *rec_alloc(size_t n)
{
	return aligned_alloc(_Alignof(struct sim_evrec),
			     n * sizeof(struct sim_evrec));
}

/* sim_at's inline path: the heap while it has room and stays below
 * SIM__CAL_ON (sim__at moves it to a calendar queue past that), and
 * holds fewer entries than there are records: each record in use is a
 * heap entry's or the hole's (kept for its handler's first sim_at, which
 * takes no other), so below nrec entries one is free, and sim_at need
 * not test the free list. */
static void set_hlim(struct sim *s)
{
	size_t lim = s->capheap < SIM__CAL_ON ? s->capheap : SIM__CAL_ON;
	s->hlim = s->cal ? 0 : s->nrec < lim ? s->nrec : lim;
}

int sim_init(struct sim *s)
{
	*s = (struct sim){.free_head = NO_REC};
	s->caprec = 256;
	s->rec = rec_alloc(s->caprec);
	s->capheap = 256;
	s->heap = malloc(s->capheap * sizeof *s->heap);
	set_hlim(s);
	if (!s->rec || !s->heap) {
		sim_release(s);
		return SIM_ENOMEM;
	}
	s->heap[0].t = NAN; /* empty (heap_run) */
	s->heap[0].key = 0; /* read, not used, by the first sim_at */
	s->lane_t = NAN;    /* no lane entry */
	return 0;
}

static void cal_free(struct sim *s);

void sim_release(struct sim *s)
{
	cal_free(s);
	free(s->rec);
	free(s->heap);
	for (int i = 0; i < s->nlanes; i++)
		free(s->lanes[i].q);
	s->rec = NULL;
	s->heap = NULL;
	s->nheap = s->nrec = 0;
	s->nlanes = 0;
	s->nlaned = 0;
	s->lane_t = NAN;
}

/* ---------------------------------------------------- calendar queue -- */

#define CAL_NIL UINT32_MAX
/* A span: 2^CAL_SPAN_BITS days, the unit of the calendar's far tier. */
#define CAL_SPAN_BITS 6
#define CAL_FAR_AHEAD 8	   /* records fetched ahead while a span moves in */
#define CAL_FAR_YEARS 2	   /* the far tier holds 2^CAL_FAR_YEARS years */
#define CAL_FAR_KEEP  1024 /* a span's list keeps room for this many */
/* The far tier runs from this many buckets on (the calendar grows to them
 * past 4,096 pending and keeps them down to 2,048): a smaller calendar's
 * records stay in a core's caches, where a sorted insertion's walk is
 * cheaper than the far tier's extra work (bench_hold at 10^3 and 3 x 10^3
 * pending: 1.15 and 1.24 x the time per hold with it). From 4,096 buckets
 * it costs the hold model, whose records alone stay in the caches, 1.10 x
 * at 6,000 and 8,000 pending, and saves a fleet of 10,000 replicas, about
 * 8,000 pending in 4,096 buckets since the balancer's hops went to lanes,
 * 0.88 x its time: the replicas' and requests' lines evict the records
 * that a walk reads (2026-12-05) */
#define CAL_FAR_MIN_NB 4096

/* The far tier's list of one span: the records of entries of that span,
 * in no order, waiting to be linked into their buckets. */
struct cal_far {
	uint32_t *n;
	uint32_t len, cap;
};

/* A record waiting in the calendar keeps its entry, day and the next
 * record in its bucket's list (cnext, or CAL_NIL) in its own cache line
 * (struct sim_evrec). */
struct sim_cal {
	struct sim_evrec *node; /* s->rec (its calendar fields), by index */
	uint32_t *head;		/* nb buckets: first node, or CAL_NIL */
	/* nb buckets: last node, where head is not CAL_NIL (a same-instant
	 * flood appends in O(1): a closed loop of 5,000 users refused at
	 * one instant took 82 s to be stopped with a sorted walk) */
	uint32_t *tail;
	/* the node last linked between a bucket's first and last (a
	 * finger), or CAL_NIL: the next such insertion walks on from it when
	 * it is in the same bucket and before the new one (a flood at one
	 * instant among later entries of its day: each after the last) */
	uint32_t finger;
	size_t nb;     /* a power of two */
	double inv;    /* 1 / width */
	uint64_t day;  /* the current day: no entry of the buckets or the
			  far tier is earlier (the one held apart may be) */
	size_t lo, hi; /* resize below lo, above hi entries */
	size_t misses; /* years searched in vain since the rebuild */
	/* The far tier: an entry more than a span ahead of the current
	 * day's waits in its span's list, unsorted, until the current day
	 * reaches the span before it, so that its insertion touches no
	 * other entry (a sorted insertion walks its bucket's list, a cache
	 * miss per entry once the calendar outgrows the caches), and the
	 * span's records are fetched all at once when it moves in. far
	 * holds the spans far_next to far_next + nfar - 1 (span s in
	 * far[s % nfar]), 2^CAL_FAR_YEARS years of them, or none (nfar 0);
	 * an entry later than that goes into its bucket at once. */
	struct cal_far *far;
	size_t nfar;
	uint64_t far_next; /* the first span not yet linked into the buckets */
	uint64_t far_day;  /* from this day on, far_next is due (or never) */
	/* The earliest entry of the buckets, as cal_find last found it
	 * (front_ok), kept by the insertions before it and, when the first is
	 * taken, passed to the next of its bucket if that is due the same day
	 * (else dropped, for cal_find to find again: 10,000 replicas searched
	 * 1.9 times a request before, 0.2 times since): dispatch compares the
	 * entry held apart (near), then the lanes' first with it, and takes
	 * it from the head of the current day's bucket, without a search for
	 * the day (a fleet's lane events, half of its events, come between
	 * those of the calendar). The current day is
	 * the front's (cal_find sets both, an insertion before the front moves
	 * the day back to its own), and a bucket's list is in order, so the
	 * front heads its bucket; an entry still in the far tier is a span
	 * later than the day cal_find found. */
	struct sim_heapent front;
	bool front_ok;
	/* One entry held apart (near_ok), in no bucket and not in the far
	 * tier, that dispatch compares with the front: the earlier of it and
	 * each entry pushed while it is held (the later one goes in), so
	 * that a source with one event pending at a time, whose handler
	 * schedules the next (a fleet's arrivals, one every 125 ns, each due
	 * before most of the replicas' ends of bursts), is scheduled and
	 * dispatched without a bucket's insertion and removal or the
	 * look-ahead's walk. A rebuild leaves it apart; the heap's return
	 * takes it with the others. */
	struct sim_heapent near;
	bool near_ok;
};

static inline int ent_before(struct sim_heapent a, struct sim_heapent b)
{
	return a.t < b.t || (a.t == b.t && a.key < b.key);
}

static uint64_t cal_day(const struct sim_cal *c, double t)
{
	double d = t * c->inv; /* monotonic in t: so are days */
	return d < 9.2e18 ? (uint64_t)d : UINT64_MAX;
}

static void far_free(struct sim_cal *c)
{
	for (size_t i = 0; i < c->nfar; i++)
		free(c->far[i].n);
	free(c->far);
	c->far = NULL;
	c->nfar = 0;
	c->far_day = UINT64_MAX;
}

static void cal_free(struct sim *s)
{
	if (!s->cal)
		return;
	far_free(s->cal);
	free(s->cal->head);
	free(s->cal->tail);
	free(s->cal);
	s->cal = NULL;
}

/* Links node n (its entry and day set) into its bucket, in order: first
 * or last in O(1), else after a walk from the finger (when it is before
 * n in the bucket) or from the first. */
static void cal_link(struct sim_cal *c, uint32_t n)
{
	struct sim_evrec *x = &c->node[n];
	size_t b = x->day & (c->nb - 1);
	uint32_t h = c->head[b];
	if (h == CAL_NIL || ent_before(x->e, c->node[h].e)) {
		x->cnext = h;
		c->head[b] = n;
		if (h == CAL_NIL)
			c->tail[b] = n;
		return;
	}
	uint32_t t = c->tail[b];
	if (t == h || !ent_before(x->e, c->node[t].e)) {
		x->cnext = CAL_NIL;
		c->node[t].cnext = n;
		c->tail[b] = n;
		return;
	}
	/* between the first and the last: from the finger if it is before
	 * n in this bucket, else from the first */
	uint32_t f = c->finger;
	uint32_t *pp = f != CAL_NIL && (c->node[f].day & (c->nb - 1)) == b &&
			       ent_before(c->node[f].e, x->e)
			   ? &c->node[f].cnext
			   : &c->node[h].cnext;
	while (!ent_before(x->e, c->node[*pp].e))
		pp = &c->node[*pp].cnext;
	x->cnext = *pp;
	*pp = n;
	c->finger = n;
}

/* Links the far tier's list of a span into the buckets, fetching its
 * records ahead (their indices are in one array: the fetches overlap). */
static void far_move(struct sim_cal *c, struct cal_far *f)
{
	uint32_t len = f->len;
	for (uint32_t i = 0; i < len && i < CAL_FAR_AHEAD; i++)
		__builtin_prefetch(&c->node[f->n[i]]);
	for (uint32_t i = 0; i < len; i++) {
		if (i + CAL_FAR_AHEAD < len)
			__builtin_prefetch(&c->node[f->n[i + CAL_FAR_AHEAD]]);
		cal_link(c, f->n[i]);
	}
	f->len = 0;
	if (f->cap > CAL_FAR_KEEP) { /* a crowd: its room is not kept */
		free(f->n);
		f->n = NULL;
		f->cap = 0;
	}
}

/* Node n onto a full span's list, made larger; false if memory ran out
 * (the entry is then sorted into its bucket at once, slower but right). */
static __attribute__((noinline)) bool far_grow(struct cal_far *f, uint32_t n)
{
	uint32_t cap = f->cap ? 2 * f->cap : 16;
	uint32_t *a = realloc(f->n, cap * sizeof *a);
	if (!a)
		return false;
	f->n = a;
	f->cap = cap;
	f->n[f->len++] = n;
	return true;
}

static __attribute__((noinline)) void cal_link_out(struct sim_cal *c,
						   uint32_t n)
{
	cal_link(c, n);
}

/* Node n (its entry and day set) into its span's list if the far tier
 * holds its span (far_next on: one before far_next wraps round to far
 * more than nfar ahead), else (or if memory ran out) into its bucket. Out
 * of line, so that cal_push without a far tier keeps a small frame. */
static __attribute__((noinline)) void far_push(struct sim_cal *c, uint32_t n)
{
	uint64_t span = c->node[n].day >> CAL_SPAN_BITS;
	if (span - c->far_next < c->nfar) {
		struct cal_far *f = &c->far[span & (c->nfar - 1)];
		if (f->len < f->cap) {
			f->n[f->len++] = n;
			return;
		}
		if (far_grow(f, n))
			return;
	}
	cal_link_out(c, n);
}

size_t sim__cal_far(const struct sim *s)
{
	size_t k = 0;
	for (size_t i = 0; s->cal && i < s->cal->nfar; i++)
		k += s->cal->far[i].len;
	return k;
}

/* Every entry of the far tier into the buckets. */
static void far_flush(struct sim_cal *c)
{
	for (size_t i = 0; i < c->nfar; i++)
		far_move(c, &c->far[i]);
}

/* Links into the buckets the far tier's spans up to the one after the
 * current day's, so that every entry due before the next span waits in
 * a bucket. */
static void far_catch_up(struct sim_cal *c)
{
	uint64_t upto = (c->day >> CAL_SPAN_BITS) + 1;
	if (upto >= c->far_next + c->nfar) { /* a jump: every span */
		far_flush(c);
		c->far_next = upto + 1;
	}
	while (c->far_next <= upto) {
		far_move(c, &c->far[c->far_next & (c->nfar - 1)]);
		c->far_next++;
	}
	/* span far_next is due when the day reaches the span before it */
	c->far_day = (c->far_next - 1) << CAL_SPAN_BITS;
	if (c->far_day >> CAL_SPAN_BITS != c->far_next - 1)
		c->far_day = UINT64_MAX; /* days that far are never reached */
}

/* The bucket holding the earliest entry (c holds at least one), with
 * c->day moved to its day. */
static size_t cal_find(struct sim_cal *c)
{
	size_t mask = c->nb - 1;
	for (size_t k = 0; k < c->nb; k++, c->day++) {
		if (c->day >= c->far_day)
			far_catch_up(c);
		uint32_t n = c->head[c->day & mask];
		if (n != CAL_NIL && c->node[n].day == c->day) {
			c->front = c->node[n].e;
			c->front_ok = true;
			return c->day & mask;
		}
	}
	/* a year without an entry: the earliest of the bucket heads */
	far_flush(c);
	uint32_t best = CAL_NIL;
	for (size_t b = 0; b < c->nb; b++) {
		uint32_t n = c->head[b];
		if (n != CAL_NIL && (best == CAL_NIL ||
				     ent_before(c->node[n].e, c->node[best].e)))
			best = n;
	}
	c->day = c->node[best].day;
	c->misses++;
	/* the far tier (empty now) from the span after the new day's on, as
	 * cal_rebuild sets it: an entry it takes later is a span past the
	 * front, never before it */
	if (c->nfar) {
		c->far_next = (c->day >> CAL_SPAN_BITS) + 2;
		far_catch_up(c);
	}
	c->front = c->node[best].e;
	c->front_ok = true;
	return c->day & mask;
}

/* Takes the first node of bucket b off its list (the finger with it). */
static uint32_t cal_unlink_head(struct sim_cal *c, size_t b)
{
	uint32_t n = c->head[b];
	uint32_t m = c->node[n].cnext;
	c->head[b] = m;
	if (n == c->finger)
		c->finger = CAL_NIL;
	/* the first, as a rule (cal_find's): the next of its bucket is the
	 * front if it is due the same day (the bucket is in order, and no
	 * entry is due before the current day) */
	c->front_ok = m != CAL_NIL && c->node[m].day == c->day;
	if (c->front_ok)
		c->front = c->node[m].e;
	return n;
}

static uint32_t cal_unlink_first(struct sim_cal *c)
{
	return cal_unlink_head(c, cal_find(c));
}

/* The k-th smallest of x[0..n) (x is reordered): Hoare's selection. */
static double select_kth(double *x, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;
	while (lo < hi) {
		double p = x[lo + (hi - lo) / 2];
		size_t i = lo, j = hi;
		while (i <= j) {
			while (x[i] < p)
				i++;
			while (x[j] > p)
				j--;
			if (i <= j) {
				double t = x[i];
				x[i] = x[j];
				x[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return x[k];
	}
	return x[k];
}

/* Rebuilds c with nb buckets around its `count` entries (of the buckets
 * and the far tier: not the one held apart, which stays so). The width is
 * three times the mean gap between entries, about three entries a day,
 * the gap taken where entries are densest of two places: the next 25
 * (Brown's rule) and the bulk of the pending times (10th to 90th
 * percentile). Brown's rule alone fails when the next entries are a few
 * near events among many far ones (30,000 pending timeouts seconds away,
 * a handful of events due now): it piles them into the same few days. Returns 0
 * or SIM_ENOMEM (c unchanged). */
static int cal_rebuild(struct sim_cal *c, size_t count, size_t nb)
{
	far_flush(c);
	uint32_t *head = malloc(nb * sizeof *head);
	uint32_t *tail = malloc(nb * sizeof *tail);
	double *t = malloc((count ? count : 1) * sizeof *t);
	if (!head || !tail || !t) {
		free(head);
		free(tail);
		free(t);
		return SIM_ENOMEM;
	}
	double width = c->inv > 0 ? 1 / c->inv : 1;
	size_t m = 0;
	for (size_t b = 0; b < c->nb; b++)
		for (uint32_t n = c->head[b]; n != CAL_NIL;
		     n = c->node[n].cnext)
			if (isfinite(c->node[n].e.t) && m < count)
				t[m++] = c->node[n].e.t;
	if (m >= 10) {
		double q10 = select_kth(t, m, m / 10);
		double q90 = select_kth(t, m, m - 1 - m / 10);
		double gap = (q90 - q10) / (double)(m - 1 - 2 * (m / 10));
		if (gap > 0 && isfinite(gap))
			width = 3 * gap;
	}
	free(t);
	if (count >= 2) {
		/* Brown: three times the mean gap of the next 25
		 * entries, when that is narrower (the next entries are
		 * the dense ones, as in the hold model) */
		uint32_t next[25];
		size_t k = count < 25 ? count : 25;
		for (size_t i = 0; i < k; i++)
			next[i] = cal_unlink_first(c);
		double gap = (c->node[next[k - 1]].e.t - c->node[next[0]].e.t) /
			     (double)(k - 1);
		for (size_t i = 0; i < k; i++)
			cal_link(c, next[i]);
		if (gap > 0 && isfinite(gap) && 3 * gap < width)
			width = 3 * gap;
	}
	uint32_t *old = c->head;
	size_t onb = c->nb;
	free(c->tail);
	c->finger = CAL_NIL; /* every node linked again, from the first */
	c->head = head;
	c->tail = tail;
	c->nb = nb;
	c->inv = 1 / width;
	for (size_t b = 0; b < nb; b++)
		head[b] = CAL_NIL;
	uint64_t first = UINT64_MAX;
	for (size_t b = 0; b < onb; b++)
		for (uint32_t n = old[b], next; n != CAL_NIL; n = next) {
			next = c->node[n].cnext;
			c->node[n].day = cal_day(c, c->node[n].e.t);
			if (c->node[n].day < first)
				first = c->node[n].day;
			cal_link(c, n);
		}
	free(old);
	c->day = first == UINT64_MAX ? 0 : first;
	c->front_ok = false; /* every node linked again */
	c->lo = nb / 2 > SIM__CAL_OFF ? nb / 2 : 0;
	c->hi = 2 * nb;
	c->misses = 0;
	/* the far tier's spans (a small calendar: none, every entry sorted
	 * at once) */
	far_free(c);
	size_t nfar = (nb << CAL_FAR_YEARS) >> CAL_SPAN_BITS;
	c->far_next = (c->day >> CAL_SPAN_BITS) + 2;
	c->far_day = UINT64_MAX;
	if (nb >= CAL_FAR_MIN_NB && (c->far = calloc(nfar, sizeof *c->far))) {
		c->nfar = nfar;
		far_catch_up(c); /* sets far_day */
	}
	return 0;
}

void sim__cal_on(struct sim *s)
{
	struct sim_cal *c = calloc(1, sizeof *c);
	size_t nb = 1;
	while (nb < s->nheap)
		nb *= 2;
	if (!c || !(c->head = malloc(sizeof *c->head)) ||
	    !(c->tail = malloc(sizeof *c->tail))) {
		if (c)
			free(c->head);
		free(c);
		return; /* the heap goes on, O(log n) */
	}
	/* first one sorted list (one bucket, every day 0: a valid calendar
	 * with a width of infinity), then the calendar proper */
	c->node = s->rec;
	c->nb = 1;
	c->inv = 0;
	c->far_day = UINT64_MAX; /* no far tier yet */
	c->finger = CAL_NIL;
	/* one sorted list: the heap in order */
	uint32_t sorted = CAL_NIL, *tail = &sorted, end = CAL_NIL;
	for (size_t m = s->nheap; m > 0; m--) {
		struct sim_heapent e = s->heap[0];
		struct sim_heapent last = s->heap[m - 1];
		size_t k = 0;
		for (;;) { /* pop the heap in place */
			size_t ch = 2 * k + 1;
			if (ch >= m - 1)
				break;
			if (ch + 1 < m - 1 &&
			    ent_before(s->heap[ch + 1], s->heap[ch]))
				ch++;
			if (!ent_before(s->heap[ch], last))
				break;
			s->heap[k] = s->heap[ch];
			k = ch;
		}
		s->heap[k] = last;
		uint32_t n = (uint32_t)(e.key & IDX_MASK);
		c->node[n].e = e;
		c->node[n].day = 0;
		*tail = n;
		tail = &c->node[n].cnext;
		end = n;
	}
	*tail = CAL_NIL;
	c->head[0] = sorted;
	c->tail[0] = end; /* its last node */
	c->hi = SIZE_MAX;
	s->cal = c;
	set_hlim(s);
	/* no memory for the buckets: the one list goes on, slower */
	cal_rebuild(c, s->nheap, nb);
	if (!s->stop) /* the heap's dispatch hands over after this event */
		s->stop = SIM__STOP_CAL;
}

/* e (its record's index in its key) into the buckets or the far tier. */
static inline __attribute__((always_inline)) void
cal_insert(struct sim_cal *c, struct sim_heapent e)
{
	uint32_t n = (uint32_t)(e.key & IDX_MASK);
	c->node[n].e = e;
	c->node[n].day = cal_day(c, e.t);
	if (c->node[n].day < c->day) /* earlier than the current day */
		c->day = c->node[n].day;
	if (c->front_ok && ent_before(e, c->front))
		c->front = e;
	if (c->nfar)
		far_push(c, n);
	else
		cal_link(c, n);
}

/* The entry held apart (near) into the buckets, before the heap's return
 * takes them all. */
static void near_flush(struct sim_cal *c)
{
	if (c->near_ok) {
		c->near_ok = false;
		cal_insert(c, c->near);
	}
}

/* Back to the heap: the calendar's entries in order form a valid heap. */
static void cal_off(struct sim *s)
{
	struct sim_cal *c = s->cal;
	size_t n = 0, count = s->nheap;
	near_flush(c);
	far_flush(c);
	while (n < count) {
		uint32_t i = cal_unlink_first(c);
		s->heap[n++] = c->node[i].e;
	}
	cal_free(s);
	set_hlim(s);
}

/* e into the calendar queue (s->cal set). Inline into sim__at, its one
 * caller: at 10,000 replicas every other event comes this way, and the
 * call's frame cost 26 instructions a request (callgrind). e is held
 * apart (near) if nothing is, or if it is before what is; the entry it
 * displaces goes into the buckets. */
static inline __attribute__((always_inline)) void cal_push(struct sim *s,
							   struct sim_heapent e)
{
	struct sim_cal *c = s->cal;
	if (!c->near_ok || ent_before(e, c->near)) {
		struct sim_heapent x = c->near;
		bool held = c->near_ok;
		c->near = e;
		c->near_ok = true;
		if (held)
			cal_insert(c, x);
	} else {
		cal_insert(c, e);
	}
	if (++s->nheap > c->hi &&
	    cal_rebuild(c, s->nheap - c->near_ok, 2 * c->nb) < 0)
		c->hi = SIZE_MAX; /* no memory: slower, still right */
}

/* Fetches ahead what dispatching the next events reads, so that their
 * cache misses overlap the work of the event being dispatched (a fleet
 * of replicas spreads its events over more memory than the caches hold;
 * each dispatch would otherwise wait for its record, then its handler's
 * object, then the model's state, then the request, one after the
 * other). n is the entry being dispatched; the next ones are guessed by
 * walking its bucket, then the next day's (cal_after). The look-ahead
 * runs four events deep, a stage per event: the record of the fourth, the
 * object of the third (its record came one event ago), the handler's early
 * fetcher for the second (its object came one event ago) and its late fetcher
 * for the next (what the early one fetched came one event ago). A guess that
 * turns out wrong (an earlier event scheduled meanwhile) costs only the
 * fetches; prefetches never fault. The heap path (at most SIM__CAL_ON
 * pending, all in cache) does none. */
static inline void fetcher_call(const struct sim *s, sim_fn fn, const void *obj,
				uint64_t arg, bool early)
{
	for (int k = 0; k < s->nfetchers; k++)
		if (s->fetchers[k].fn == fn) {
			sim_fetch_fn f =
			    early ? s->fetchers[k].early : s->fetchers[k].late;
			if (f)
				f(obj, arg);
			return;
		}
}

/* The entry likely due after n, which is due on day *d: the next in n's
 * bucket if it is due that day too (check: its record is read), else the
 * first of the next day's bucket (*d moves on; a guess, its record not
 * read: it may belong to a later year, or that day be empty). */
static inline uint32_t cal_after(const struct sim_cal *c, uint32_t n,
				 uint64_t *d, bool check)
{
	uint32_t m = c->node[n].cnext;
	if (m != CAL_NIL && (!check || c->node[m].day == *d))
		return m;
	++*d;
	return c->head[*d & (c->nb - 1)];
}

static inline void cal_prefetch(const struct sim *s, const struct sim_cal *c,
				uint32_t n)
{
	uint64_t d = c->day;
	/* the records of the next three came one, two and three events ago
	 * (as the fourth): reading the next two's, to check that each is due
	 * the day the walk is on, costs no miss once the look-ahead runs */
	uint32_t nx = cal_after(c, n, &d, true);
	if (nx == CAL_NIL)
		return;
	fetcher_call(s, s->rec[nx].fn, s->rec[nx].obj, s->rec[nx].arg, false);
	uint32_t n2 = cal_after(c, nx, &d, true);
	if (n2 == CAL_NIL)
		return;
	fetcher_call(s, s->rec[n2].fn, s->rec[n2].obj, s->rec[n2].arg, true);
	/* n3's day unchecked: its record, fetched one event ago, may still be
	 * on its way (checking it cost 1.05 x the time at 10,000 replicas) */
	uint32_t n3 = cal_after(c, n2, &d, false);
	if (n3 == CAL_NIL)
		return;
	/* its first two lines; as integers: the object may be NULL or
	 * smaller than two lines (sim_prefetch) */
	uintptr_t obj = (uintptr_t)s->rec[n3].obj;
	__builtin_prefetch((const void *)obj);
	__builtin_prefetch((const void *)(obj + 64));
	uint32_t n4 = cal_after(c, n3, &d, false);
	if (n4 != CAL_NIL)
		__builtin_prefetch(&s->rec[n4]);
}

void sim_set_fetcher(struct sim *s, sim_fn fn, sim_fetch_fn early,
		     sim_fetch_fn late)
{
	for (int k = 0; k < s->nfetchers; k++)
		if (s->fetchers[k].fn == fn)
			return;
	if (s->nfetchers < SIM__FETCHERS) {
		s->fetchers[s->nfetchers].fn = fn;
		s->fetchers[s->nfetchers].early = early;
		s->fetchers[s->nfetchers++].late = late;
	}
}

/* ------------------------------------------------------------- lanes -- */

/* Finds the earliest first entry of the lanes (lane_t NaN: none). */
static void lane_find(struct sim *s)
{
	if (s->nlanes == 1) { /* one delay (a fleet's hops): no search */
		const struct sim_lane *l = s->lanes;
		if (l->len) {
			const struct sim_laneent *e =
			    &l->q[l->first & (l->cap - 1)];
			s->lane_t = e->t;
			s->lane_key = e->key;
			s->lane_min = 0;
		} else {
			s->lane_t = NAN;
			s->lane_key = 0;
			s->lane_min = -1;
		}
		return;
	}
	double t = NAN;
	uint64_t key = 0;
	int m = -1;
	for (int i = 0; i < s->nlanes; i++) {
		const struct sim_lane *l = &s->lanes[i];
		if (!l->len)
			continue;
		const struct sim_laneent *e = &l->q[l->first & (l->cap - 1)];
		if (m < 0 || e->t < t || (e->t == t && e->key < key)) {
			t = e->t;
			key = e->key;
			m = i;
		}
	}
	s->lane_t = t;
	s->lane_key = key;
	s->lane_min = m;
}

/* A full lane's ring twice as large, each entry in its number's slot;
 * 0, or SIM_ENOMEM. */
static int lane_grow(struct sim_lane *l)
{
	uint32_t cap = l->cap ? 2 * l->cap : 64;
	if (cap <= l->cap)
		return SIM_ENOMEM;
	struct sim_laneent *q = malloc((size_t)cap * sizeof *q);
	if (!q)
		return SIM_ENOMEM;
	for (uint64_t p = l->first; p < l->first + l->len; p++)
		q[p & (cap - 1)] = l->q[p & (l->cap - 1)];
	free(l->q);
	l->q = q;
	l->cap = cap;
	return 0;
}

sim_ev sim_after_fixed(struct sim *s, double dt, sim_fn fn, void *obj,
		       uint64_t arg)
{
	assert(dt >= 0);
	int i = 0;
	while (i < s->nlanes && s->lanes[i].dt != dt)
		i++;
	if (i == s->nlanes) {
		if (i == SIM__LANES) /* every lane taken: the list */
			return sim_after(s, dt, fn, obj, arg);
		s->lanes[s->nlanes++] = (struct sim_lane){.dt = dt};
		/* the first lane: the heap's dispatch hands over after this
		 * event to its loop with the lanes (heap_run_lanes) */
		if (s->nlanes == 1 && !s->stop)
			s->stop = SIM__STOP_CAL;
	}
	struct sim_lane *l = &s->lanes[i];
	if (l->len == l->cap && lane_grow(l) < 0) {
		s->stop = SIM_ENOMEM;
		return 0;
	}
	uint64_t p = l->first + l->len++;
	l->q[p & (l->cap - 1)] = (struct sim_laneent){
	    s->now + dt, s->seq++ << IDX_BITS, fn, obj, arg};
	s->nlaned++;
	if (l->len == 1) /* a new first entry */
		lane_find(s);
	return ((p << IDX_BITS) | (SIM__LANE_IDX + (uint32_t)i)) + 1;
}

/* Whether the lanes' earliest entry comes before list entry e (whose
 * time may be NaN: the heap is empty) and is due by t_end. */
static inline bool lane_first(const struct sim *s, struct sim_heapent e,
			      double t_end)
{
	double lt = s->lane_t; /* NaN: no lane entry, never first */
	return lt <= t_end &&
	       (!(e.t <= lt) || (e.t == lt && s->lane_key < e.key));
}

/* While the calendar runs (a fleet), the lane's next entries are looked
 * at ahead as cal_prefetch does the list's, a stage per event of the
 * lane: the object of the third, the early fetcher of the second, the
 * late one of the next (they are known, not guessed). */
static inline void lane_prefetch(const struct sim *s, const struct sim_lane *l)
{
	uint32_t mask = l->cap - 1;
	if (l->len > 0) {
		const struct sim_laneent *e = &l->q[l->first & mask];
		fetcher_call(s, e->fn, e->obj, e->arg, false);
	}
	if (l->len > 1) {
		const struct sim_laneent *e = &l->q[(l->first + 1) & mask];
		fetcher_call(s, e->fn, e->obj, e->arg, true);
	}
	if (l->len > 2) {
		uintptr_t obj = (uintptr_t)l->q[(l->first + 2) & mask].obj;
		__builtin_prefetch((const void *)obj);
		__builtin_prefetch((const void *)(obj + 64));
	}
}

/* Runs an event taken from a list or a lane at time t, unless it was
 * cancelled (fn NULL). */
static inline void fire(struct sim *s, double t, sim_fn fn, void *obj,
			uint64_t arg)
{
	if (!fn)
		return;
	s->now = t;
	s->events++;
	fn(s, obj, arg);
}

/* Dispatches the lanes' earliest entry (drops it if cancelled). */
static void lane_run(struct sim *s)
{
	struct sim_lane *l = &s->lanes[s->lane_min];
	struct sim_laneent e = l->q[l->first++ & (l->cap - 1)];
	l->len--;
	s->nlaned--;
	lane_find(s);
	if (s->cal)
		lane_prefetch(s, l);
	fire(s, e.t, e.fn, e.obj, e.arg);
}

/* After an entry is taken: back to the heap, or a smaller calendar, or
 * a rebuild when years go by empty. Inline into both of cal_pop's
 * paths: out of line, gcc's choice, its call cost 15 instructions an
 * event (callgrind, 10,000 replicas). */
static inline __attribute__((always_inline)) void cal_taken(struct sim *s)
{
	struct sim_cal *c = s->cal;
	s->nheap--;
	if (s->nheap < SIM__CAL_OFF)
		cal_off(s);
	else if (s->nheap < c->lo)
		/* no memory: stay */
		cal_rebuild(c, s->nheap - c->near_ok, c->nb / 2);
	else if (c->misses > 8 + c->nb / 64)
		/* days far too short for the entries: years go by empty,
		 * each costing a search of every bucket */
		cal_rebuild(c, s->nheap - c->near_ok, c->nb);
}

/* Takes the earliest entry into *e if it is due by t_end and before the
 * lanes' earliest: 1; 2 if the lanes' comes first (due by t_end); 0 if
 * neither is due. */
static int cal_pop(struct sim *s, double t_end, struct sim_heapent *e)
{
	struct sim_cal *c = s->cal;
	/* the first of the buckets heads the current day's (see front),
	 * which cal_find finds when it is not known: until it is taken, a
	 * lane's event before it reads neither the bucket nor the record (the
	 * buckets are never empty here: the heap comes back below
	 * SIM__CAL_OFF entries) */
	size_t b = c->front_ok ? c->day & (c->nb - 1) : cal_find(c);
	if (c->near_ok && ent_before(c->near, c->front)) {
		/* the entry held apart: no bucket, no look-ahead */
		if (lane_first(s, c->near, t_end))
			return 2;
		if (c->near.t > t_end)
			return 0;
		*e = c->near;
		c->near_ok = false;
		cal_taken(s);
		return 1;
	}
	if (lane_first(s, c->front, t_end))
		return 2;
	if (c->front.t > t_end)
		return 0;
	uint32_t n = c->head[b];
	assert(c->node[n].e.key == c->front.key);
	cal_unlink_head(c, b);
	cal_prefetch(s, c, n);
	*e = c->node[n].e;
	cal_taken(s);
	return 1;
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
		set_hlim(s);
	}
	if (s->free_head == NO_REC && s->nrec == s->caprec) {
		/* indices from SIM__LANE_IDX on are the lanes' handles' */
		size_t cap = 2 * (size_t)s->caprec;
		if (cap > SIM__LANE_IDX)
			cap = SIM__LANE_IDX;
		if (cap <= s->caprec)
			goto nomem;
		struct sim_evrec *r = rec_alloc(cap);
		if (!r)
			goto nomem;
		memcpy(r, s->rec, s->nrec * sizeof *r);
		free(s->rec);
		s->rec = r;
		if (s->cal)
			s->cal->node = r;
		s->caprec = (uint32_t)cap;
	}
	return 0;
nomem:
	s->stop = SIM_ENOMEM;
	return SIM_ENOMEM;
}

sim_ev sim__at(struct sim *s, double t, sim_fn fn, void *obj, uint64_t arg)
{
	if (s->hole) /* the handler's first event, on a path of its own */
		sim__heap_close(s);
	if ((s->nheap == s->capheap ||
	     (s->free_head == NO_REC && s->nrec == s->caprec)) &&
	    sim__grow(s) < 0)
		return 0;
	uint32_t i = s->free_head;
	if (i != NO_REC) {
		s->free_head = s->rec[i].next_free;
	} else {
		i = s->nrec++;
	}
	struct sim_heapent e = sim__rec_set(s, i, t, fn, obj, arg);
	if (s->cal) {
		cal_push(s, e);
	} else {
		size_t k = s->nheap++; /* sift up */
		while (k > 0 && !ent_before(s->heap[(k - 1) / 2], e)) {
			s->heap[k] = s->heap[(k - 1) / 2];
			k = (k - 1) / 2;
		}
		s->heap[k] = e;
		if (s->nheap > SIM__CAL_ON)
			sim__cal_on(s);
	}
	/* a record ahead, free, so that the inline path (nheap < nrec)
	 * has one for the next event too */
	if (s->nrec <= s->nheap + 1 && s->nrec < s->caprec) {
		s->rec[s->nrec].next_free = s->free_head;
		s->free_head = s->nrec++;
	}
	set_hlim(s);
	return e.key + 1;
}

void sim__at_to(sim_ev *ev, struct sim *s, double t, sim_fn fn, void *obj,
		uint64_t arg)
{
	*ev = sim__at(s, t, fn, obj, arg);
}

static void rec_free(struct sim *s, uint32_t i)
{
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
	uint32_t i = (uint32_t)((ev - 1) & IDX_MASK);
	if (i >= SIM__LANE_IDX) { /* a lane's entry, if still pending */
		uint32_t lane = i - SIM__LANE_IDX;
		if (lane >= (uint32_t)s->nlanes)
			return;
		struct sim_lane *l = &s->lanes[lane];
		uint64_t p = (ev - 1) >> IDX_BITS; /* the entry's number */
		if (p - l->first < l->len)	   /* not one since dropped */
			l->q[p & (l->cap - 1)].fn = NULL;
		return;
	}
	/* a record freed since, not reused yet, may still match (or its
	 * next_free may): clearing a free record's handler is harmless */
	if (i < s->nrec && s->rec[i].key == ev - 1)
		s->rec[i].fn = NULL;
}

/* Puts e at heap slot 0 of h[0..n) and sifts it down. */
static inline void sift_down(struct sim_heapent *h, size_t n,
			     struct sim_heapent e)
{
	size_t k = 0;
	for (;;) {
		size_t c = 2 * k + 1;
		if (c >= n)
			break;
		if (c + 1 < n && ent_less(h[c + 1], h[c]))
			c++;
		if (!ent_less(h[c], e))
			break;
		h[k] = h[c];
		k = c;
	}
	h[k] = e;
}

void sim__heap_fill(struct sim *s, struct sim_heapent e)
{
	s->hole = 0;
	sift_down(s->heap, s->nheap, e);
}

/* Removes the heap's top, taken by the event being dispatched (the
 * pop's second half). */
void sim__heap_close(struct sim *s)
{
	rec_free(s, (uint32_t)(s->heap[0].key & IDX_MASK));
	s->hole = 0;
	s->nheap--;
	sift_down(s->heap, s->nheap, s->heap[s->nheap]);
	if (!s->nheap)
		s->heap[0].t = NAN; /* heap_run's end */
}

/* What heap_run ends with. */
enum { RUN_DONE, RUN_CAL, RUN_STOPPED };

/* sim_run_until while the heap holds the events: the top is taken in
 * place (s->hole) for the handler's first sim_at to fill. Returns
 * RUN_DONE (no event left by t_end), RUN_CAL (the calendar queue took
 * over) or RUN_STOPPED (s->stop set: sim_stop or an error). `lanes`: a
 * constant, whether the lanes' entries are merged in (a simulation
 * without a lane, the M/M/1, runs the loop without that test). */
static inline __attribute__((always_inline)) int
heap_run_(struct sim *s, double t_end, bool lanes)
{
	for (;;) {
		/* an empty heap's top is a NaN time (sim_init, sim__heap_close;
		 * no event has one): one test for both ends */
		struct sim_heapent top = s->heap[0];
		if (lanes && lane_first(s, top, t_end)) {
			lane_run(s);
			goto next;
		}
		if (!(top.t <= t_end))
			break;
		uint32_t i = (uint32_t)(top.key & IDX_MASK);
		struct sim_evrec *r = &s->rec[i];
		sim_fn fn = r->fn;
		void *obj = r->obj;
		uint64_t arg = r->arg;
		s->hole = 1; /* its record too, for the first sim_at */
		fire(s, top.t, fn, obj, arg);
		if (s->hole)
			sim__heap_close(s);
	next:
		/* one test for both: a stop, or the calendar queue */
		if (s->stop) {
			if (s->stop != SIM__STOP_CAL)
				return RUN_STOPPED;
			s->stop = 0;
			return RUN_CAL;
		}
	}
	return RUN_DONE;
}

static int heap_run(struct sim *s, double t_end)
{
	return heap_run_(s, t_end, false);
}

static int heap_run_lanes(struct sim *s, double t_end)
{
	return heap_run_(s, t_end, true);
}

int sim_run_until(struct sim *s, double t_end)
{
	s->stop = 0;
	/* lane_t is NaN, unequal to itself, while the lanes are empty */
	while (s->nheap > 0 || s->lane_t == s->lane_t) {
		if (!s->cal) {
			int how = s->nlanes ? heap_run_lanes(s, t_end)
					    : heap_run(s, t_end);
			if (how == RUN_STOPPED)
				return s->stop < 0 ? s->stop : 0;
			if (how == RUN_DONE)
				break;
			continue;
		}
		struct sim_heapent e;
		int got = cal_pop(s, t_end, &e);
		if (!got)
			break;
		if (got == 2) {
			lane_run(s);
		} else {
			uint32_t i = (uint32_t)(e.key & IDX_MASK);
			struct sim_evrec r = s->rec[i];
			rec_free(s, i);
			fire(s, e.t, r.fn, r.obj, r.arg);
		}
		/* SIM__STOP_CAL: the heap came back (cal_pop), grew again in
		 * this handler and is a calendar queue again, or the first
		 * lane opened (the calendar's loop merges the lanes anyway) */
		if (s->stop == SIM__STOP_CAL)
			s->stop = 0;
		if (s->stop)
			return s->stop < 0 ? s->stop : 0;
	}
	if (t_end > s->now)
		s->now = t_end;
	return 0;
}
