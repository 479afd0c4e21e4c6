/*
 * test_loop.c - an event loop's turns (runtime/loop.h): a poll runs the
 * callbacks of the requests in flight that it found as a turn, before the
 * connections it accepted, which run first in the next turn (libuv reads
 * an accepted socket at the next poll); a poll that finds only new
 * connections runs them at once, in order; a killed process's loop gives
 * back to the listen socket only the connections no poll accepted (not a
 * session's message, which dies with the process).
 */
#include <string.h>

#include <criterion/criterion.h>

#include "runtime/loop.h"
#include "runtime/request.h"

static struct sim s;
static struct sim_hist lag;
static int listen_n;
static struct sim_loop l;
static struct sim_request r[10];

static void setup(void)
{
	cr_assert_eq(sim_init(&s), 0);
	sim_hist_init(&lag);
	listen_n = 0;
	sim_loop_init(&l, &s, &lag, &listen_n);
	memset(r, 0, sizeof r);
}

static void teardown(void)
{
	sim_hist_release(&lag);
	sim_release(&s);
}

/* A new connection: the model counts it into the listen socket. */
static void conn(struct sim_request *q)
{
	listen_n++;
	sim_loop_connect(&l, q);
}

/* An event for a request in flight (its first callback ran). */
static void cont(struct sim_request *q)
{
	q->flags |= SIM_LOOP_ACCEPTED;
	sim_loop_post(&l, q);
}

/* The next callback, run and over at once. */
static struct sim_request *run(void)
{
	struct sim_request *q = sim_loop_next(&l);
	if (q) {
		sim_loop_first(q);
		sim_loop_done(&l);
	}
	return q;
}

TestSuite(loop, .init = setup, .fini = teardown);

Test(loop, answers_of_requests_in_flight_take_a_turn_before_new_connections)
{
	conn(&r[0]);
	cr_assert_eq(sim_loop_next(&l), &r[0]); /* idle: at once */
	/* while r0's callback runs: connections and events interleaved */
	conn(&r[1]);
	cont(&r[2]);
	conn(&r[3]);
	cont(&r[4]);
	sim_loop_done(&l);
	cr_expect_eq(run(), &r[2]);
	cr_expect_eq(l.nready, 1, "the turn: the two events only");
	cr_expect_eq(listen_n, 0, "the poll accepted both connections");
	/* while r2's callback runs, more of both */
	conn(&r[5]);
	cont(&r[6]);
	cr_expect_eq(run(), &r[4]);
	cr_expect_eq(l.nready, 0, "the turn is over");
	/* the next turn: the connections accepted, then the event found */
	cr_expect_eq(run(), &r[1]);
	cr_expect_eq(run(), &r[3]);
	cr_expect_eq(run(), &r[6]);
	cr_expect_eq(l.nready, 0);
	cr_expect_eq(run(), &r[5], "accepted at the last poll, alone now");
	cr_expect_null(run());
	cr_expect_eq(l.ready.len, 0);
	cr_expect_eq(listen_n, 0);
}

Test(loop, connections_alone_run_at_once_in_order)
{
	conn(&r[0]);
	cr_assert_eq(sim_loop_next(&l), &r[0]);
	conn(&r[1]);
	conn(&r[2]);
	sim_loop_done(&l);
	cr_expect_eq(run(), &r[1]);
	cr_expect_eq(l.nready, 1, "one turn: both");
	cr_expect_eq(run(), &r[2]);
	cr_expect_null(run());
}

Test(loop, a_killed_loop_gives_back_only_connections_not_accepted)
{
	conn(&r[0]);
	cr_assert_eq(sim_loop_next(&l), &r[0]);
	conn(&r[1]);
	cont(&r[2]);
	sim_loop_done(&l);
	cr_assert_eq(sim_loop_next(&l), &r[2]); /* r1 is accepted, held */
	conn(&r[3]);				/* still in the socket */
	sim_loop_post(&l, &r[4]); /* a session's message (flags 0) */
	struct sim_queue keep = {0};
	sim_loop_stop(&l, &keep);
	cr_expect_eq(keep.len, 1, "only r3 goes back, not r1 nor the message");
	cr_expect_eq(keep.head, &r[3]);
	cr_expect_eq(listen_n, 1, "r3 stays in the listen socket");
	cr_expect_eq(l.nready, 0);
	cr_expect_eq(l.nheld, 0);
	cr_expect_eq(l.ready.len, 0);
}
