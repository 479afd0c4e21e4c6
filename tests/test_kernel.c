/*
 * test_kernel.c - the future event list, random streams and distributions.
 */
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "kernel/kernel.h"
#include "kernel/rng.h"

static double seen[64];
static int nseen;

static void record(struct sim *s, void *obj, uint64_t arg)
{
	seen[nseen++] = (double)arg + s->now * 1000;
}

Test(kernel, events_come_out_in_time_order)
{
	struct sim s;
	cr_assert_eq(sim_init(&s), 0);
	nseen = 0;
	double t[] = {5, 1, 3, 2, 4};
	for (int i = 0; i < 5; i++)
		sim_at(&s, t[i], record, NULL, 0);
	cr_assert_eq(sim_run_until(&s, 10), 0);
	cr_assert_eq(nseen, 5);
	for (int i = 0; i < 5; i++)
		cr_expect_eq(seen[i], (i + 1) * 1000.0);
	cr_expect_eq(s.now, 10);
	sim_release(&s);
}

Test(kernel, equal_times_keep_insertion_order)
{
	struct sim s;
	cr_assert_eq(sim_init(&s), 0);
	nseen = 0;
	for (int i = 0; i < 40; i++)
		sim_at(&s, 1.0, record, NULL, (uint64_t)i);
	sim_run_until(&s, 2);
	cr_assert_eq(nseen, 40);
	for (int i = 0; i < 40; i++)
		cr_expect_eq(seen[i], 1000.0 + i);
	sim_release(&s);
}

/* A flood of events at one instant (a closed loop whose users are refused
 * and send again at once, until run.c stops it), with a later event in
 * the same day (an I/O completion): the calendar links each after its
 * equals in O(1) (after the bucket's last, or the last it linked), in
 * insertion order. With a walk of the bucket from its first entry,
 * 200,000 pending take 2 x 10^10 steps, minutes: the timeout fails the
 * test (as it did with the append alone, the later event being last). */
enum { FLOOD = 200000 };
static uint64_t flood_next, flood_fired;
static bool flood_in_order = true;
static void flood(struct sim *s, void *obj, uint64_t arg)
{
	(void)obj;
	flood_in_order &= arg == flood_fired;
	flood_fired++;
	if (flood_next < 2 * FLOOD) /* each sends again, at once */
		sim_at(s, s->now, flood, NULL, flood_next++);
}

Test(kernel, a_flood_at_one_instant_is_linked_in_order_at_once, .timeout = 20)
{
	struct sim s;
	cr_assert_eq(sim_init(&s), 0);
	sim_at(&s, 1.5, record, NULL, 0);
	nseen = 0;
	for (flood_next = 0; flood_next < FLOOD; flood_next++)
		sim_at(&s, 1.0, flood, NULL, flood_next);
	cr_assert_eq(sim_run_until(&s, 2), 0);
	cr_expect_eq(flood_fired, 2 * FLOOD);
	cr_expect_eq(nseen, 1);
	cr_expect_eq(seen[0], 1500.0, "the later event last");
	cr_expect(flood_in_order, "equal times in insertion order");
	sim_release(&s);
}

Test(kernel, cancelled_events_do_not_fire_and_stale_handles_miss)
{
	struct sim s;
	cr_assert_eq(sim_init(&s), 0);
	nseen = 0;
	sim_ev a = sim_at(&s, 1, record, NULL, 1);
	sim_ev b = sim_at(&s, 2, record, NULL, 2);
	cr_assert_neq(a, 0);
	sim_cancel(&s, a);
	sim_cancel(&s, a); /* twice is harmless */
	sim_run_until(&s, 3);
	cr_expect_eq(nseen, 1);
	cr_expect_eq(seen[0], 2002.0);
	/* b fired and its record was reused: cancelling it must not touch
	 * the new event in the same record */
	sim_ev c = sim_at(&s, 4, record, NULL, 4);
	sim_cancel(&s, b);
	sim_run_until(&s, 5);
	cr_expect_eq(nseen, 2);
	cr_expect_eq(seen[1], 4004.0);
	sim_cancel(&s, c);
	sim_release(&s);
}

/* sim_at_to stores in *ev the handle sim_at would return, on its inline
 * path (the heap with room, a handler's first event into the top's
 * place) and on its out-of-line ones (a fresh simulation's first
 * records, the heap growing, the calendar queue past SIM__CAL_ON): a
 * handle it stored cancels its event, and only that one. */
enum { NTO = 2000 };
static sim_ev to_ev[NTO + 1];
static int to_fired[NTO + 1];
static void fire_to(struct sim *s, void *obj, uint64_t arg)
{
	to_fired[arg]++;
}
/* at t = 1: schedules event NTO at t = 20 through sim_at_to, the
 * dispatched top's place free */
static void schedule_to(struct sim *s, void *obj, uint64_t arg)
{
	sim_at_to(&to_ev[NTO], s, 20, fire_to, NULL, NTO);
}
static void cancel_to(struct sim *s, void *obj, uint64_t arg)
{
	sim_cancel(s, to_ev[NTO]);
}

Test(kernel, sim_at_to_stores_the_handle_on_every_path)
{
	for (int cancel = 0; cancel < 2; cancel++) {
		struct sim s;
		cr_assert_eq(sim_init(&s), 0);
		memset(to_fired, 0, sizeof to_fired);
		for (int i = 0; i < NTO; i++) {
			to_ev[i] = 0xdead; /* a caller's stale field */
			sim_at_to(&to_ev[i], &s, 2 + (i * 7919 % NTO) * 1e-3,
				  fire_to, NULL, (uint64_t)i);
			cr_assert_neq(to_ev[i], 0xdead);
			cr_assert_neq(to_ev[i], 0);
		}
		for (int i = 1; i < NTO; i += 2)
			sim_cancel(&s, to_ev[i]);
		cr_assert_eq(sim_run_until(&s, 10), 0);
		for (int i = 0; i < NTO; i++)
			cr_expect_eq(to_fired[i], i % 2 == 0, "event %d", i);
		/* a heap of one: the handler's event takes the top's place */
		to_ev[NTO] = 0xdead;
		sim_at(&s, 11, schedule_to, NULL, 0);
		if (cancel)
			sim_at(&s, 12, cancel_to, NULL, 0);
		cr_assert_eq(sim_run_until(&s, 30), 0);
		cr_expect_eq(to_fired[NTO], !cancel);
		sim_release(&s);
	}
}

/* sim_at's precondition is asserted: an event in the past is a bug. */
Test(kernel, rejects_an_event_in_the_past, .signal = SIGABRT)
{
	struct sim s;
	cr_assert_eq(sim_init(&s), 0);
	cr_assert_eq(sim_run_until(&s, 2), 0);
	sim_at(&s, 1, record, NULL, 0);
}

Test(kernel, run_until_stops_before_later_events)
{
	struct sim s;
	cr_assert_eq(sim_init(&s), 0);
	nseen = 0;
	sim_at(&s, 1, record, NULL, 0);
	sim_at(&s, 7, record, NULL, 0);
	sim_run_until(&s, 5);
	cr_expect_eq(nseen, 1);
	cr_expect_eq(s.now, 5);
	cr_expect_eq(sim_pending(&s), 1);
	sim_run_until(&s, 8);
	cr_expect_eq(nseen, 2);
	sim_release(&s);
}

/* Heap order under many random insertions: a hold model. */
static double last_t;
static int order_ok = 1;
static void hold(struct sim *s, void *obj, uint64_t arg)
{
	if (s->now < last_t)
		order_ok = 0;
	last_t = s->now;
	if (arg > 0)
		sim_after(s, sim_exponential(obj, 1.0), hold, obj, arg - 1);
}

Test(kernel, hold_model_keeps_order_with_many_pending)
{
	struct sim s;
	struct sim_stream st;
	cr_assert_eq(sim_init(&s), 0);
	cr_assert_eq(sim_stream_init(&st, 1, 0, "hold"), 0);
	for (int i = 0; i < 10000; i++)
		sim_at(&s, sim_exponential(&st, 1.0), hold, &st, 20);
	sim_run_until(&s, 1e9);
	cr_expect(order_ok);
	cr_expect_eq(s.events, 10000u * 21u);
	sim_stream_release(&st);
	sim_release(&s);
}

/* Events of the calendar test: each records (time, insertion number). */
struct big {
	double t[40000];
	uint64_t id[40000];
	int n;
};

static void note(struct sim *s, void *obj, uint64_t arg)
{
	struct big *b = obj;
	b->t[b->n] = s->now;
	b->id[b->n++] = arg;
}

/* How many of b's events came out of (time, insertion) order. */
static int out_of_order(const struct big *b)
{
	int bad = 0;
	for (int i = 1; i < b->n; i++)
		if (b->t[i] < b->t[i - 1] ||
		    (b->t[i] == b->t[i - 1] && b->id[i] < b->id[i - 1]))
			bad++;
	return bad;
}

/* The (time, insertion) order checked event by event, for handlers that
 * fire too many events to keep them all (struct big). */
struct order {
	uint64_t fired, last_id;
	double last_t;
	int bad;
};

static void order_note(struct order *o, double t, uint64_t id)
{
	if (o->fired > 0 &&
	    (t < o->last_t || (t == o->last_t && id < o->last_id)))
		o->bad++;
	o->fired++;
	o->last_t = t;
	o->last_id = id;
}

/* The heap's top taken in place while its event is dispatched (s->hole):
 * a handler's first sim_at fills it (sift down), later ones sift up, and
 * a handler that schedules nothing leaves it to be closed. Handlers here
 * schedule 0 to 3 events each, at times rounded to whole units (ties
 * galore, including ties with the event being dispatched), into heaps of
 * every size from 0 to about 300, and cancel some: every event must come
 * out in (time, insertion) order, and sim_pending never counts the hole. */
struct churn {
	struct sim_stream st;
	struct order ord;
	uint64_t next, scheduled;
	int bad_pending, steps;
	size_t maxpend;
	sim_ev ev[8];
	int nev;
};

static void churn_ev(struct sim *s, void *obj, uint64_t arg)
{
	struct churn *c = obj;
	order_note(&c->ord, s->now, arg);
	size_t before = sim_pending(s);
	/* up to about 300 pending (every heap size on the way), around
	 * 300, then down to at most two or three for a while (M/M/1's
	 * sizes), then let it drain */
	double m = c->steps > 90000   ? 1.9
		   : c->steps > 60000 ? (before >= 2 ? 1.6 : 3)
		   : before < 300     ? 3.2
				      : 1.9;
	int k = (int)(sim_uniform(&c->st) * m);
	if (c->steps <= 90000 && before == 0 && k == 0)
		k = 1; /* not yet the end */
	c->steps++;
	if (before + 4 > c->maxpend)
		c->maxpend = before + 4;
	for (int i = 0; i < k; i++) {
		double u = sim_uniform(&c->st);
		double t = u < 0.3 ? s->now /* a tie with this very event */
				   : floor(s->now + 4 * u);
		sim_ev e = sim_at(s, t, churn_ev, c, c->next++);
		c->scheduled++;
		if (sim_pending(s) != before + (size_t)i + 1)
			c->bad_pending++;
		if (c->nev < 8)
			c->ev[c->nev++] = e;
	}
	if (c->nev == 8 && sim_uniform(&c->st) < 0.2) {
		sim_cancel(s, c->ev[3]); /* pending or gone: either is fine */
		c->nev = 0;
	}
	if (c->nev == 8)
		c->nev = 0;
}

Test(kernel, a_handlers_first_event_takes_the_dispatched_tops_place)
{
	static struct churn c;
	struct sim s;
	cr_assert_eq(sim_init(&s), 0);
	cr_assert_eq(sim_stream_init(&c.st, 5, 0, "churn"), 0);
	for (int i = 0; i < 3; i++)
		sim_at(&s, 0, churn_ev, &c, c.next++);
	cr_assert_eq(sim_run_until(&s, 1e9), 0);
	cr_expect_null(s.cal, "a heap test that went to the calendar queue");
	cr_expect_gt(c.ord.fired, 75000u, "%llu events",
		     (unsigned long long)c.ord.fired);
	cr_expect_gt(c.maxpend, 300u);
	cr_expect_lt(c.maxpend, SIM__CAL_ON);
	cr_expect_eq(c.ord.bad, 0,
		     "%d of %llu events out of (time, insertion) order",
		     c.ord.bad, (unsigned long long)c.ord.fired);
	cr_expect_eq(c.bad_pending, 0);
	cr_expect_eq(sim_pending(&s), 0);
	cr_expect_eq(s.events, c.ord.fired);
	cr_expect_eq(s.hole, 0);
	sim_stream_release(&c.st);
	sim_release(&s);
}

/* Lanes (sim_after_fixed): the events of one fixed delay wait in a FIFO of
 * their own, merged with the list at dispatch. Handlers here schedule
 * into the list at whole-unit times and a delay 0 to 4 ahead, and into
 * SIM__LANES + 2 fixed delays: whole units (ties with the list and with
 * each other) and halves, two more than there are lanes, so that the
 * last two used go to the list; the first lane opens in a handler mid-run
 * (the heap's loop hands over to its loop with the lanes). They cancel
 * some of what they scheduled, in the lanes and in the list: one of the
 * last eight, pending or not, and the handle of the event scheduled 1,023
 * events before, long gone, whose lane slot a pending entry may hold
 * since; and stop the run now and then (sim_stop). The run goes in
 * slices of random lengths, some empty, as run.c's does. Every event must
 * come out in (time, insertion) order, within its slice, once, unless it
 * was cancelled while pending, with the heap (about 100 pending) and with
 * the calendar queue (about 3,000); sim_pending must count the lanes'
 * entries and s.events only what ran. */
enum { LANES_LIMIT = 200000, LANES_IDS = 4 * LANES_LIMIT };
struct lanes_mix {
	struct sim_stream st;
	struct order ord;
	uint64_t next;
	int steps, bad_pending, twice, fired_cancelled, cancelled, late;
	size_t target;
	bool saw_cal;
	double slice_start, slice_end;
	uint8_t state[LANES_IDS]; /* 1 fired, 2 cancelled while pending */
	sim_ev ev[8], old[1024];
	uint64_t evid[8];
	int nev;
};

/* Cancels event `id` (handle e), counting it if it was pending. */
static void lanes_cancel(struct sim *s, struct lanes_mix *c, sim_ev e,
			 uint64_t id)
{
	sim_cancel(s, e);
	if (c->state[id] == 0) {
		c->state[id] = 2;
		c->cancelled++;
	}
}

static void lanes_ev(struct sim *s, void *obj, uint64_t arg)
{
	static const double fixed[SIM__LANES + 2] = {0, 1,   2, 3,   0.5,
						     7, 1.5, 4, 5.5, 9};
	struct lanes_mix *c = obj;
	order_note(&c->ord, s->now, arg);
	if (c->state[arg] == 1)
		c->twice++;
	if (c->state[arg] == 2)
		c->fired_cancelled++;
	c->state[arg] = 1;
	if (s->now > c->slice_end || s->now < c->slice_start)
		c->late++; /* time ran backwards, or beyond t_end */
	if (s->cal)
		c->saw_cal = true;
	if (sim_uniform(&c->st) < 0.001)
		sim_stop(s);
	if (++c->steps > LANES_LIMIT)
		return; /* the end: let it drain */
	size_t before = sim_pending(s);
	/* 1.29 events an event on average below the target, 0.47 above */
	int k = (int)(sim_uniform(&c->st) * (before < c->target ? 3.5 : 1.9));
	for (int i = 0; i < k; i++) {
		double u = sim_uniform(&c->st);
		sim_ev e;
		if (c->steps > 50 && u < 0.6)
			e = sim_after_fixed(s, fixed[(int)(u / 0.6 * 10)],
					    lanes_ev, c, c->next);
		else
			e = sim_at(
			    s, u < 0.7 ? s->now : floor(s->now) + ceil(4 * u),
			    lanes_ev, c, c->next);
		if (sim_pending(s) != before + (size_t)i + 1)
			c->bad_pending++;
		/* the handle of the event scheduled 1,023 before this one */
		uint64_t back = c->next % 1024;
		if (c->next >= 1024 && sim_uniform(&c->st) < 0.05)
			lanes_cancel(s, c, c->old[back], c->next - 1024);
		c->old[back] = e;
		c->evid[c->nev] = c->next++;
		c->ev[c->nev++] = e;
		if (c->nev == 8) {
			/* one of the last eight, fired already or not */
			int j = (int)(sim_uniform(&c->st) * 8);
			if (sim_uniform(&c->st) < 0.3)
				lanes_cancel(s, c, c->ev[j], c->evid[j]);
			c->nev = 0;
		}
	}
}

static void lanes_mix_run(size_t target, bool cal)
{
	static struct lanes_mix c;
	memset(&c, 0, sizeof c);
	c.target = target;
	struct sim s;
	cr_assert_eq(sim_init(&s), 0);
	cr_assert_eq(sim_stream_init(&c.st, 7, 0, "lanes"), 0);
	for (int i = 0; i < 20; i++)
		sim_at(&s, 0, lanes_ev, &c, c.next++);
	/* slices until nothing is left, a stop ending one early */
	int slices = 0, bad_now = 0;
	for (double t_end = 0; sim_pending(&s) > 0 && slices < 10000000;
	     slices++) {
		c.slice_start = t_end;
		if (sim_uniform(&c.st) < 0.9)
			t_end += 3 * sim_uniform(&c.st);
		c.slice_end = t_end;
		cr_assert_eq(sim_run_until(&s, t_end), 0);
		if (s.now > t_end)
			bad_now++;
		for (int k = 0; s.now < t_end && k < 100; k++) /* stopped */
			cr_assert_eq(sim_run_until(&s, t_end), 0);
		if (s.now != t_end)
			bad_now++;
	}
	cr_expect_lt(slices, 10000000, "events pending forever");
	cr_expect_eq(bad_now, 0, "%d slices ended at the wrong time", bad_now);
	cr_expect_eq(c.late, 0, "%d events ran outside their slice", c.late);
	cr_expect_eq(s.events, c.ord.fired, "%llu events counted, %llu ran",
		     (unsigned long long)s.events,
		     (unsigned long long)c.ord.fired);
	cr_assert_lt(c.next, (uint64_t)LANES_IDS);
	cr_expect_gt(c.steps, LANES_LIMIT, "the events died out after %d",
		     c.steps);
	cr_expect_eq(c.saw_cal, cal, "the calendar queue %s",
		     c.saw_cal ? "ran" : "never ran");
	cr_expect_eq(s.nlanes, SIM__LANES);
	cr_expect_gt(c.cancelled, 1000, "%d cancelled", c.cancelled);
	cr_expect_eq(c.ord.fired + (uint64_t)c.cancelled, c.next,
		     "%llu fired and %d cancelled of %llu events",
		     (unsigned long long)c.ord.fired, c.cancelled,
		     (unsigned long long)c.next);
	cr_expect_eq(c.twice, 0, "%d fired twice", c.twice);
	cr_expect_eq(c.fired_cancelled, 0, "%d fired once cancelled",
		     c.fired_cancelled);
	cr_expect_eq(c.ord.bad, 0,
		     "%d of %llu events out of (time, insertion) order",
		     c.ord.bad, (unsigned long long)c.ord.fired);
	cr_expect_eq(c.bad_pending, 0);
	cr_expect_eq(sim_pending(&s), 0);
	sim_stream_release(&c.st);
	sim_release(&s);
}

/* Events in lanes only, scheduled before the first run: nothing runs
 * before its time, each runs at it. */
Test(kernel, lanes_alone_run_from_the_start)
{
	struct sim s;
	cr_assert_eq(sim_init(&s), 0);
	nseen = 0;
	for (int i = 0; i < 3; i++)
		sim_after_fixed(&s, 1.0, record, NULL, (uint64_t)i);
	sim_after_fixed(&s, 2.0, record, NULL, 3);
	cr_expect_eq(sim_pending(&s), 4);
	cr_assert_eq(sim_run_until(&s, 0.5), 0);
	cr_expect_eq(nseen, 0);
	cr_expect_eq(s.now, 0.5);
	cr_assert_eq(sim_run_until(&s, 1.0), 0);
	cr_assert_eq(nseen, 3);
	for (int i = 0; i < 3; i++)
		cr_expect_eq(seen[i], 1000.0 + i);
	cr_assert_eq(sim_run_until(&s, 5), 0);
	cr_assert_eq(nseen, 4);
	cr_expect_eq(seen[3], 2003.0);
	cr_expect_eq(s.events, 4);
	cr_expect_eq(sim_pending(&s), 0);
	sim_release(&s);
}

Test(kernel, lanes_keep_the_lists_order_with_the_heap)
{
	lanes_mix_run(100, false);
}

Test(kernel, lanes_keep_the_lists_order_with_the_calendar_queue)
{
	lanes_mix_run(3000, true);
}

/* The heap becomes a calendar queue in the middle of a handler (its
 * dispatch hands over after the event, SIM__STOP_CAL): the order goes on
 * unchanged, and a sim_stop made in the same handler before still stops
 * the run there. */
static int spawned;
static void spawn(struct sim *s, void *obj, uint64_t arg)
{
	note(s, obj, arg); /* (time, id) */
	if (arg == 1) {
		if (spawned == 2)
			sim_stop(s);
		for (int i = 0; i < SIM__CAL_ON + 100; i++)
			sim_at(s, s->now + (i % 7), note, obj,
			       1000 + (uint64_t)i);
		spawned = 1;
	}
}

Test(kernel, the_heap_hands_over_to_the_calendar_in_a_handler)
{
	static struct big b;
	for (int stop = 0; stop < 2; stop++) {
		struct sim s;
		b.n = 0;
		spawned = stop ? 2 : 0;
		cr_assert_eq(sim_init(&s), 0);
		sim_at(&s, 1, spawn, &b, 0);
		sim_at(&s, 2, spawn, &b, 1);
		sim_at(&s, 3, spawn, &b, 2);
		cr_assert_eq(sim_run_until(&s, 100), 0);
		if (stop) {
			cr_expect_eq(b.n, 2, "sim_stop was lost: %d events",
				     b.n);
			cr_expect_eq(s.now, 2);
			cr_expect_not_null(s.cal);
			cr_assert_eq(sim_run_until(&s, 100), 0);
		}
		cr_expect_eq(b.n, 3 + SIM__CAL_ON + 100);
		int bad = out_of_order(&b);
		cr_expect_eq(bad, 0, "%d events out of order", bad);
		cr_expect_eq(s.now, 100);
		sim_release(&s);
	}
}

/* A batch of events drawn from a stream: some at equal times, some far
 * away, every seventh cancelled. */
static void schedule_batch(struct sim *s, struct sim_stream *st, struct big *b,
			   uint64_t *next, int n, sim_ev *ev)
{
	for (int i = 0; i < n; i++) {
		double u = sim_uniform(st);
		double t = u < 0.1    ? floor(s->now) + 1 /* ties */
			   : u < 0.15 ? s->now + 1000 * u /* far away */
				      : s->now + sim_exponential(st, 1e-3);
		ev[i] = sim_at(s, t, note, b, (*next)++);
	}
	for (int i = 0; i < n; i += 7)
		sim_cancel(s, ev[i]);
}

Test(kernel, calendar_queue_keeps_time_and_insertion_order)
{
	/* more than SIM__CAL_ON pending: the calendar queue takes over, and
	 * later the heap again; the order must be (time, insertion)
	 * throughout */
	static struct big b;
	static sim_ev ev[12000];
	struct sim s;
	struct sim_stream st;
	uint64_t next = 0;
	b.n = 0;
	cr_assert_eq(sim_init(&s), 0);
	cr_assert_eq(sim_stream_init(&st, 9, 0, "cal"), 0);
	schedule_batch(&s, &st, &b, &next, 12000, ev);
	cr_assert_gt(sim_pending(&s), SIM__CAL_ON);
	cr_expect_not_null(s.cal, "no calendar queue with %zu pending",
			   sim_pending(&s));
	cr_assert_eq(sim_run_until(&s, 0.5), 0);
	schedule_batch(&s, &st, &b, &next, 12000, ev); /* into the calendar */
	cr_assert_eq(sim_run_until(&s, 1e9), 0);
	cr_expect_null(s.cal, "the heap is back once few are pending");
	cr_expect_eq(b.n, 24000 - 2 * (12000 / 7 + 1));
	int bad = out_of_order(&b);
	cr_expect_eq(bad, 0, "%d events out of (time, insertion) order", bad);
	sim_stream_release(&st);
	sim_release(&s);
}

/* The calendar queue's far tier (kernel.c): entries more than a span
 * ahead wait unsorted in their span's list and are linked into their
 * buckets when the current day reaches the span before. A hold model
 * whose handlers schedule ties with themselves, ties on a grid, events
 * within the day, within a few spans and years away, with cancellations,
 * grows the calendar (rebuilds while the far tier holds entries), shrinks
 * it, runs it sparse (years without an entry: the search of every bucket
 * and the far tier's jump) and drains it back to the heap: every event
 * must come out in (time, insertion) order, and the far tier must have
 * held entries (it fails with the far tier off). */
struct farq {
	struct sim_stream st;
	struct order ord;
	uint64_t next, scheduled;
	int phase;
	size_t far_max, far_late, maxpend;
	sim_ev ev[16];
	int nev;
};

static void farq_ev(struct sim *s, void *obj, uint64_t arg)
{
	struct farq *q = obj;
	order_note(&q->ord, s->now, arg);
	size_t p = sim_pending(s), far = sim__cal_far(s);
	if (far > q->far_max)
		q->far_max = far;
	if (p > q->maxpend)
		q->maxpend = p;
	/* 0: grow to 9000 pending; 1: shrink to 600; 2: sparse, far
	 * apart, for 3000 events; 3: drain */
	if (q->phase == 0 && p >= 9000)
		q->phase = 1;
	else if (q->phase == 1 && p <= 600)
		q->phase = 2;
	else if (q->phase == 2 && q->ord.fired > 200000)
		q->phase = 3;
	if (q->phase >= 1 && far > q->far_late)
		q->far_late = far;
	double u = sim_uniform(&q->st);
	int k = q->phase == 0	? (u < 0.3 ? 2 : 1)
		: q->phase == 1 ? (u < 0.2 ? 0 : 1)
		: q->phase == 2 ? 1
				: 0;
	for (int i = 0; i < k; i++) {
		double v = sim_uniform(&q->st);
		double t =
		    q->phase == 2 ? s->now + 1e6 * v /* years apart */
		    : v < 0.15	  ? s->now	     /* a tie with this event */
		    : v < 0.3			     /* ties on a grid */
			? (floor(s->now * 16) + 1 + floor(8 * v)) / 16
			: v < 0.4    ? s->now + 1e-6 * v /* within the day */
			  : v < 0.97 ? s->now + sim_exponential(&q->st, 1)
				     : s->now + 1e4 * v; /* years away */
		sim_ev e = sim_at(s, t, farq_ev, q, q->next++);
		q->scheduled++;
		if (q->nev < 16)
			q->ev[q->nev++] = e;
	}
	if (q->nev == 16) {
		sim_cancel(s, q->ev[5]); /* pending or gone: either is fine */
		sim_cancel(s, q->ev[11]);
		q->nev = 0;
	}
}

Test(kernel, the_calendars_far_tier_keeps_time_and_insertion_order)
{
	static struct farq q;
	struct sim s;
	cr_assert_eq(sim_init(&s), 0);
	cr_assert_eq(sim_stream_init(&q.st, 17, 0, "far"), 0);
	for (int i = 0; i < 1000; i++)
		sim_at(&s, sim_uniform(&q.st), farq_ev, &q, q.next++);
	q.scheduled = 1000;
	cr_assert_eq(sim_run_until(&s, INFINITY), 0);
	cr_expect_eq(q.phase, 3);
	cr_expect_geq(q.maxpend, 9000u);
	cr_expect_null(s.cal, "the heap is back once few are pending");
	cr_expect_eq(sim_pending(&s), 0);
	cr_expect_gt(q.far_max, 1000u, "the far tier held at most %zu entries",
		     q.far_max);
	cr_expect_gt(q.far_late, 0u, "nothing in the far tier after growing");
	cr_expect_leq(q.ord.fired, q.scheduled);
	cr_expect_geq(q.ord.fired + q.scheduled / 8, q.scheduled);
	cr_expect_eq(q.ord.bad, 0,
		     "%d of %llu events out of (time, insertion) order",
		     q.ord.bad, (unsigned long long)q.ord.fired);
	sim_stream_release(&q.st);
	sim_release(&s);
}

/* A calendar that finds its next entry only by searching every bucket
 * (a year of days without one) and stops before it (t_end), then takes an
 * entry before that one from outside: the new entry comes out first, and
 * time never goes back. The search moves the current day a long way on;
 * the far tier must move with it, or the new entry waits there while the
 * calendar's front says it heads its bucket. */
static double yr_last;
static int yr_n, yr_back;
static uint64_t yr_first_after;
static void yr_ev(struct sim *s, void *obj, uint64_t arg)
{
	if (s->now < yr_last)
		yr_back++;
	yr_last = s->now;
	if (yr_n++ == (int)(uintptr_t)obj)
		yr_first_after = arg;
}

/* The calendar's entry held apart from its buckets (kernel.c: near), with
 * everything around it: handlers that schedule 0 to 3 events each (ties
 * with the event being dispatched, times on a grid, within seconds, far
 * ahead, and into three lanes of fixed delays), cancel recent events and
 * their own fired handle, while the pending count swings between about
 * 130 and 6,000 (the heap's return with an entry held, rebuilds with one
 * held) and the run stops at times in between. Every event must fire
 * once, at its time, in (time, insertion) order, and no cancelled one. */
#define HELD_N 300000
struct heldq {
	struct sim_stream st;
	struct order ord;
	uint64_t next;
	size_t target, steps, cal_on, cal_off;
	bool was_cal;
	int bad;
	sim_ev h[HELD_N];
	double t[HELD_N];
	unsigned char state[HELD_N]; /* 1 pending, 2 fired, 3 cancelled */
};

static void heldq_ev(struct sim *s, void *obj, uint64_t id);

static void heldq_at(struct sim *s, struct heldq *q)
{
	static const double lane[3] = {0, 0.5, 1.25};
	if (q->next >= HELD_N)
		return;
	uint64_t id = q->next++;
	double u = sim_uniform(&q->st), v = sim_uniform(&q->st);
	if (u < 0.2) {
		double dt = lane[(int)(3 * v) % 3];
		q->t[id] = s->now + dt;
		q->h[id] = sim_after_fixed(s, dt, heldq_ev, q, id);
	} else {
		double t = u < 0.35  ? s->now
			   : u < 0.4 ? s->now + 50 + 100 * v
			   : u < 0.7 ? ceil((s->now + 3 * v) * 1000) / 1000
				     : s->now + 3 * v;
		q->t[id] = t;
		q->h[id] = sim_at(s, t, heldq_ev, q, id);
	}
	q->state[id] = 1;
}

static void heldq_ev(struct sim *s, void *obj, uint64_t id)
{
	struct heldq *q = obj;
	if (q->state[id] != 1 || s->now != q->t[id])
		q->bad++;
	q->state[id] = 2;
	order_note(&q->ord, s->now, id);
	if (!q->was_cal != !s->cal)
		*(s->cal ? &q->cal_on : &q->cal_off) += 1;
	q->was_cal = s->cal != NULL;
	if (++q->steps % 20000 == 0)
		q->target = q->target > 1000 ? 130 : 6000;
	int k = sim_pending(s) < q->target ? 2 + (sim_uniform(&q->st) < 0.5)
					   : sim_uniform(&q->st) < 0.5;
	for (int i = 0; i < k; i++)
		heldq_at(s, q);
	if (sim_uniform(&q->st) < 0.2) {
		double w = sim_uniform(&q->st);
		uint64_t back =
		    (uint64_t)(w * (double)(q->next < 5000 ? q->next : 5000));
		uint64_t c = w < 0.3 ? id : q->next - 1 - back;
		sim_cancel(s, q->h[c]); /* pending, fired or its own */
		if (q->state[c] == 1)
			q->state[c] = 3;
	}
}

Test(kernel, the_calendars_held_entry_keeps_order_with_lanes_and_stops)
{
	static struct heldq q;
	struct sim s;
	cr_assert_eq(sim_init(&s), 0);
	cr_assert_eq(sim_stream_init(&q.st, 11, 0, "held"), 0);
	q.target = 6000;
	for (int i = 0; i < 10; i++)
		heldq_at(&s, &q);
	double t = 0;
	while (q.next < HELD_N - 10000 && sim_pending(&s) > 0) {
		t += 0.37 + sim_uniform(&q.st);
		cr_assert_eq(sim_run_until(&s, t), 0);
	}
	cr_assert_eq(sim_run_until(&s, INFINITY), 0);
	size_t unfired = 0;
	for (uint64_t i = 0; i < q.next; i++)
		unfired += q.state[i] == 1;
	cr_expect_eq(q.bad, 0, "%d events fired twice, cancelled or off time",
		     q.bad);
	cr_expect_eq(q.ord.bad, 0, "%d events out of (time, insertion) order",
		     q.ord.bad);
	cr_expect_eq(unfired, 0, "%zu events never fired", unfired);
	cr_expect_gt(q.cal_on, 2, "the calendar came %zu times", q.cal_on);
	cr_expect_gt(q.cal_off, 2, "the heap came back %zu times", q.cal_off);
	sim_stream_release(&q.st);
	sim_release(&s);
}

Test(kernel, an_entry_before_the_front_a_year_search_found_comes_first)
{
	struct sim s;
	cr_assert_eq(sim_init(&s), 0);
	for (int i = 0; i < 10000; i++) {
		sim_at(&s, 1000 + i * 1e-4, yr_ev, (void *)(uintptr_t)10000,
		       1000000 + (uint64_t)i);
		sim_at(&s, i * 1e-4, yr_ev, (void *)(uintptr_t)10000,
		       (uint64_t)i);
	}
	cr_assert_not_null(s.cal, "20,000 pending: the calendar queue");
	cr_assert_eq(sim_run_until(&s, 2.0), 0);
	cr_assert_eq(yr_n, 10000, "the first second's events, no more");
	cr_assert_not_null(s.cal);
	/* before the 1000 s cluster, and within the far tier's reach of
	 * the day the search started from (a year of 0.3 ms days on) */
	sim_at(&s, 10.0, yr_ev, (void *)(uintptr_t)10000, 42);
	cr_assert_eq(sim_run_until(&s, INFINITY), 0);
	cr_expect_eq(yr_n, 20001);
	cr_expect_eq(yr_first_after, 42, "the entry at 10 s first, not %llu",
		     (unsigned long long)yr_first_after);
	cr_expect_eq(yr_back, 0, "time went back %d times", yr_back);
	sim_release(&s);
}

/* sim_set_fetcher: with the calendar queue running, a handler's early
 * fetcher sees each of its events (object and argument) two events
 * before the handler runs, and its late fetcher one event before, most of
 * them exactly so; other handlers' events are not fetched; the order of
 * events does not change. */
#define NFETCH 4096
static int dispatched; /* handlers run so far (both kinds) */
/* when each event was seen by each stage (dispatches so far then) */
static int early_at[NFETCH], late_at[NFETCH], nearly, nlate;
static uint64_t handled[NFETCH];
static int nhandled, two_ahead, one_ahead;
static void fetched_fn(struct sim *s, void *obj, uint64_t arg)
{
	/* the fetchers ran while the kernel took the events before this
	 * one: two dispatches ago, and one */
	if (arg < NFETCH && dispatched - early_at[arg] == 2)
		two_ahead++;
	if (arg < NFETCH && dispatched - late_at[arg] == 1)
		one_ahead++;
	dispatched++;
	handled[nhandled++] = arg;
}
static void other_fn(struct sim *s, void *obj, uint64_t arg)
{
	dispatched++;
}
static void early_fetcher(const void *obj, uint64_t arg)
{
	cr_assert_eq(obj, (const void *)handled);
	nearly++;
	if (arg < NFETCH)
		early_at[arg] = dispatched;
}
static void late_fetcher(const void *obj, uint64_t arg)
{
	cr_assert_eq(obj, (const void *)handled);
	nlate++;
	if (arg < NFETCH)
		late_at[arg] = dispatched;
}

Test(kernel, a_handlers_fetchers_see_its_events_two_and_one_ahead)
{
	struct sim s;
	cr_assert_eq(sim_init(&s), 0);
	sim_set_fetcher(&s, fetched_fn, early_fetcher, late_fetcher);
	sim_set_fetcher(&s, fetched_fn, early_fetcher, late_fetcher);
	for (int i = 0; i < NFETCH; i++)
		early_at[i] = late_at[i] = -100;
	for (int i = 0; i < 2000; i++) { /* past SIM__CAL_ON: a calendar */
		sim_at(&s, 1 + i * 1e-3, fetched_fn, handled, (uint64_t)i);
		sim_at(&s, 1 + i * 1e-3 + 5e-4, other_fn, NULL, 0);
	}
	cr_assert_not_null(s.cal);
	cr_assert_eq(sim_run_until(&s, 10), 0);
	cr_assert_eq(nhandled, 2000);
	for (int i = 0; i < 2000; i++)
		cr_expect_eq(handled[i], (uint64_t)i, "order kept");
	cr_expect_leq(nearly, 2000, "only its handler's events, early");
	cr_expect_leq(nlate, 2000, "only its handler's events, late");
	cr_expect_geq(two_ahead, 1500, "%d of 2000 fetched two ahead",
		      two_ahead);
	cr_expect_geq(one_ahead, 1500, "%d of 2000 fetched one ahead",
		      one_ahead);
	sim_release(&s);
}

Test(streams, same_name_same_numbers_other_name_other_numbers)
{
	struct sim_stream a, b, c, d;
	sim_stream_init(&a, 42, 0, "arrivals");
	sim_stream_init(&b, 42, 0, "arrivals");
	sim_stream_init(&c, 42, 0, "request");
	sim_stream_init(&d, 42, 1, "arrivals");
	int same_c = 0, same_d = 0;
	for (int i = 0; i < 1000; i++) {
		double x = sim_uniform(&a);
		cr_expect_eq(x, sim_uniform(&b));
		same_c += x == sim_uniform(&c);
		same_d += x == sim_uniform(&d);
		cr_expect(x >= 0 && x < 1);
	}
	cr_expect_lt(same_c, 2);
	cr_expect_lt(same_d, 2);
	sim_stream_release(&a);
	sim_stream_release(&b);
	sim_stream_release(&c);
	sim_stream_release(&d);
}

Test(streams, seek_depends_only_on_id)
{
	struct sim_stream a;
	sim_stream_init(&a, 7, 0, "request");
	sim_stream_seek(&a, 12345);
	double x1 = sim_uniform(&a), x2 = sim_uniform(&a);
	for (int i = 0; i < 10; i++)
		sim_uniform(&a);
	sim_stream_seek(&a, 99);
	double y = sim_uniform(&a);
	sim_stream_seek(&a, 12345);
	cr_expect_eq(sim_uniform(&a), x1);
	cr_expect_eq(sim_uniform(&a), x2);
	cr_expect_neq(y, x1);
	sim_stream_release(&a);
}

/* Sample mean and cv of n draws. */
static void moments(const struct sim_dist *d, int n, double *mean, double *cv)
{
	struct sim_stream st;
	sim_stream_init(&st, 3, 0, "moments");
	double s = 0, s2 = 0;
	for (int i = 0; i < n; i++) {
		double x = sim_dist_sample(d, &st);
		cr_assert(x >= 0 && isfinite(x));
		s += x;
		s2 += x * x;
	}
	*mean = s / n;
	double var = s2 / n - *mean * *mean;
	*cv = var > 0 ? sqrt(var) / *mean : 0;
	sim_stream_release(&st);
}

Test(dists, every_kind_has_the_mean_and_cv_it_was_given)
{
	struct {
		enum sim_dist_kind k;
		double cv;
	} cases[] = {
	    {SIM_DIST_CONSTANT, 0},    {SIM_DIST_EXPONENTIAL, 1},
	    {SIM_DIST_UNIFORM, 0.5},   {SIM_DIST_NORMAL, 0.2},
	    {SIM_DIST_LOGNORMAL, 1.5}, {SIM_DIST_GAMMA, 0.7},
	    {SIM_DIST_WEIBULL, 2.0},   {SIM_DIST_PARETO, 0.8},
	    {SIM_DIST_ERLANG, 0.5},    {SIM_DIST_HYPEREXP, 3.0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sim_dist d;
		const char *why;
		cr_assert_eq(
		    sim_dist_set(&d, cases[i].k, 0.005, cases[i].cv, &why), 0,
		    "%s: %s", sim_dist_names[cases[i].k], why);
		double m, cv;
		moments(&d, 400000, &m, &cv);
		/* standard error of the mean is cv/sqrt(n) ~ 0.5 %; heavy
		 * tails (pareto, lognormal) converge slower in cv */
		cr_expect(fabs(m / 0.005 - 1) < 0.02, "%s mean %g",
			  sim_dist_names[cases[i].k], m);
		double tol = cases[i].k == SIM_DIST_PARETO ||
				     cases[i].k == SIM_DIST_LOGNORMAL
				 ? 0.25
				 : 0.03;
		cr_expect(fabs(cv - cases[i].cv) <= tol * (cases[i].cv + 0.01),
			  "%s cv %g", sim_dist_names[cases[i].k], cv);
	}
}

Test(dists, rejects_impossible_parameters)
{
	struct sim_dist d;
	const char *why;
	cr_expect_eq(sim_dist_set(&d, SIM_DIST_HYPEREXP, 1, 0.5, &why),
		     SIM_EINVAL);
	cr_expect_str_eq(why, "cv of a hyperexponential must be at least 1");
	cr_expect_eq(sim_dist_set(&d, SIM_DIST_UNIFORM, 1, 0.9, &why),
		     SIM_EINVAL);
	cr_expect_eq(sim_dist_set(&d, SIM_DIST_EXPONENTIAL, NAN, 1, &why),
		     SIM_EINVAL);
	cr_expect_eq(sim_dist_set(&d, SIM_DIST_ERLANG, 1, 0.6, &why),
		     SIM_EINVAL);
	cr_expect_eq(sim_dist_set(&d, SIM_DIST_GAMMA, -1, 1, &why), SIM_EINVAL);
}

Test(dists, empirical_draws_only_its_samples)
{
	struct sim_dist d;
	const char *why;
	double x[] = {0.003, 0.001, 0.002};
	cr_assert_eq(sim_dist_set_empirical(&d, x, 3, &why), 0);
	cr_expect(fabs(d.mean - 0.002) < 1e-15);
	struct sim_stream st;
	sim_stream_init(&st, 1, 0, "e");
	int count[3] = {0};
	for (int i = 0; i < 30000; i++) {
		double v = sim_dist_sample(&d, &st);
		int k = (int)lround(v * 1000) - 1;
		cr_assert(k >= 0 && k < 3);
		count[k]++;
	}
	for (int k = 0; k < 3; k++)
		cr_expect(abs(count[k] - 10000) < 500);
	sim_stream_release(&st);
	sim_dist_release(&d);
}

Test(dists, ziggurat_tables_close_at_the_published_edge)
{
	struct sim_stream st; /* the first stream builds the tables */
	sim_stream_init(&st, 1, 0, "z");
	sim_stream_release(&st);
	/* Marsaglia & Tsang (2000) give r = 7.69711747013104972 for 256
	 * strips; the strips must climb to exp(0) = 1 with equal areas */
	cr_expect(fabs(sim_zig.x[1] - 7.69711747013104972) < 1e-12, "r %.17g",
		  sim_zig.x[1]);
	double v = (sim_zig.x[1] + 1) * exp(-sim_zig.x[1]);
	for (int i = 1; i < 256; i++)
		cr_expect(
		    fabs(sim_zig.x[i] * (sim_zig.f[i + 1] - sim_zig.f[i]) / v -
			 1) < 1e-9,
		    "strip %d", i);
}

/* Every part of the sampler (rectangles, wedges, the tail beyond r) must
 * give exp(-x): the counts in 100 equiprobable bins, and beyond r and 2r,
 * are tested against the exact probabilities. */
Test(dists, ziggurat_exponential_fits_exp_minus_x)
{
	enum { N = 4000000, BINS = 100 };
	static long count[BINS];
	long beyond_r = 0, beyond_2r = 0;
	struct sim_stream st;
	sim_stream_init(&st, 7, 0, "z");
	double r = sim_zig.x[1];
	for (long n = 0; n < N; n++) {
		double x = sim_exp1(&st);
		cr_assert(x >= 0 && isfinite(x));
		/* F(x) = 1 - exp(-x) is uniform */
		int b = (int)(-expm1(-x) * BINS);
		count[b < BINS ? b : BINS - 1]++;
		beyond_r += x > r;
		beyond_2r += x > 2 * r;
	}
	sim_stream_release(&st);
	double chi2 = 0, e = (double)N / BINS;
	for (int b = 0; b < BINS; b++)
		chi2 += (count[b] - e) * (count[b] - e) / e;
	/* chi-square with 99 degrees of freedom: P(chi2 > 148.2) = 0.001 */
	cr_expect(chi2 < 148.2, "chi2 %g", chi2);
	/* binomial counts beyond r (p = 4.5e-4) and 2r (p = 2.1e-7), within
	 * 3.3 standard deviations (two-sided 0.001) */
	double p1 = exp(-r), p2 = exp(-2 * r);
	cr_expect(fabs(beyond_r - N * p1) < 3.3 * sqrt(N * p1) + 1,
		  "beyond r: %ld, expected %g", beyond_r, N * p1);
	cr_expect(fabs(beyond_2r - N * p2) < 3.3 * sqrt(N * p2) + 2,
		  "beyond 2r: %ld, expected %g", beyond_2r, N * p2);
}
