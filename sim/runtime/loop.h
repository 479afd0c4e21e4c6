/*
 * loop.h - an event loop's queue of callbacks, shared by the models that
 * run a process's requests as callbacks on one loop thread (event_loop.c:
 * Node.js and libuv; async.c: uvicorn and asyncio).
 *
 * A loop runs callbacks to completion, in FIFO order. Events that happen
 * while it runs a batch (new connections, I/O and thread completions) are
 * seen at its next poll: the queue holds, oldest first, the `nready`
 * callbacks the last poll found (a turn), then those posted since. The
 * loop polls when it has run everything the last poll found; the poll
 * also accepts the new connections, which until then wait in the listen
 * backlog. A connection a poll accepts is read by the next one, so its
 * first callback runs a turn after the callbacks of the requests in
 * flight that the same poll found (libuv's uv_run: timers, idle, prepare,
 * poll, check; an accepted socket's read watcher joins epoll at the next
 * uv__io_poll; uvloop runs the ready handles in its idle phase and
 * Node.js an I/O callback in the poll), unless the poll found nothing else:
 * after a stall the answers of the requests in flight do not wait for the
 * requests that arrived during it. The
 * loop measures how long it is busy (from the first callback of a batch to
 * the poll that finds nothing), how many callbacks wait, and its lag: from
 * an event to the start of its callback.
 *
 * What a callback costs and which thread runs it (a host thread, or a
 * Python thread under the GIL) is the model's: it takes the next callback
 * with sim_loop_next(), runs it, takes it back with sim_loop_done() when
 * its thread is done, and asks for the next one.
 */
#ifndef SIM_LOOP_H
#define SIM_LOOP_H

#include <stdbool.h>

#include "runtime/request.h"

/* The bits of r->flags the loop owns (models use the others): r's first
 * callback, the one that accepts the connection, has run; r came as a new
 * connection (sim_loop_connect; still set once that callback ran). */
#define SIM_LOOP_ACCEPTED 0x1
#define SIM_LOOP_CONN	  0x80

struct sim_loop {
	/* Every field but t0, busy_tw.t0 and ready.tw is read or written by
	 * every callback: those three come last (with ready.tw, which the
	 * loop does not use, at the end of the queue), so that the loop's
	 * hot part is its first SIM_LOOP_HOT bytes. */
	struct sim *s;
	struct sim_hist *lag; /* from an event to its callback (the model's) */
	int *listen;	      /* connections in the listen socket this loop
				 accepts from, not accepted yet: the model
				 counts them in, a poll takes them out */
	struct sim_request *cur; /* callback running, or NULL */
	uint32_t nready;	 /* the turn: the first nready of `ready` */
	uint32_t nheld;		 /* then the connections the last poll accepted,
				    which run in the next turn */
	/* The ready queue's time-weighted length, kept as its callbacks'
	 * waits: the integral of a queue's length over [t0, now] is the time
	 * its members spent in it then, so each callback adds its wait (its
	 * lag, computed anyway) when it leaves, and sim_loop_tally adds those
	 * of the ones still waiting; no update per push and pop. `waited`
	 * starts at minus the waits before t0 of those queued at the reset. */
	double waited;
	size_t qmax; /* the most callbacks waiting at once since t0 */
	int backlog; /* connections posted since the last poll */
	/* beside backlog in one 8-byte slot (the loop's hot part is what an
	 * event loop's request touches: event_loop.c's lines) */
	bool busy;
	bool woke; /* the running callback woke the loop from idle */
	struct sim_tw busy_tw; /* its t0 (reports only) last */
	/* callbacks waiting, oldest first: the `nready` the last poll found,
	 * then those posted since (r->t_mark: when each was posted) */
	struct sim_queue ready;
	double t0;
};

/* The bytes of a loop from its start that every callback reads or writes
 * (its busy time's t0 inside is not). */
#define SIM_LOOP_HOT (offsetof(struct sim_loop, ready.tw))

/* Initialises an idle loop of simulation s. Its lags go to `lag`, which
 * the loops of a model may share, as they may share `listen`; both stay
 * the caller's. */
void sim_loop_init(struct sim_loop *l, struct sim *s, struct sim_hist *lag,
		   int *listen);

/* Internal: the loop starts or stops being busy. */
static inline void sim__loop_busy(struct sim_loop *l, double now, bool busy)
{
	l->busy = busy;
	sim_tw_set(&l->busy_tw, now, busy);
}

/* An event for r happened (an I/O or thread completion): its callback
 * waits for the next poll. Returns true if the loop is idle: the caller
 * must then start it (sim_loop_next). Inline: every request comes here. */
static inline bool sim_loop_post(struct sim_loop *l, struct sim_request *r)
{
	r->t_mark = l->s->now;
	sim_queue_link(&l->ready, r);
	if (l->ready.len > l->qmax)
		l->qmax = l->ready.len;
	return !l->busy;
}

/* A new connection r, already counted in *listen, waits for the next poll
 * to accept it. Returns as sim_loop_post(). */
static inline bool sim_loop_connect(struct sim_loop *l, struct sim_request *r)
{
	l->backlog++;
	r->flags |= SIM_LOOP_CONN;
	return sim_loop_post(l, r);
}

/* Internal: a poll that found both connections and callbacks of requests
 * in flight, or follows one (loop.c). The loop tells them apart by how
 * they came: `backlog` counts the connections posted since the last poll
 * (sim_loop_connect), every other post is an event of a request in flight
 * or a session's message (sim_loop_post); a model must post a new
 * connection with sim_loop_connect and nothing else with it. */
void sim__loop_turn(struct sim_loop *l);

/* The loop is free: polls if it has run everything the last poll found,
 * and returns the next callback's request, now running (l->cur), or NULL
 * when there is none and the loop goes idle. Inline: the per-request path
 * of both loop models. */
static inline struct sim_request *sim_loop_next(struct sim_loop *l)
{
	double now = l->s->now;
	if (!l->nready) {
		/* poll: what happened becomes runnable, in order, and the
		 * backlog is accepted; only new connections or none (a
		 * fleet's, an M/M/1's: every poll) run at once */
		if (__builtin_expect(
			l->nheld ||
			    (l->backlog && l->ready.len != (size_t)l->backlog),
			0))
			sim__loop_turn(l);
		else
			l->nready = (uint32_t)l->ready.len;
		*l->listen -= l->backlog;
		l->backlog = 0;
	}
	struct sim_request *r = sim_queue_unlink(&l->ready);
	if (!r) {
		sim__loop_busy(l, now, 0);
		return NULL;
	}
	l->nready--;
	l->woke = !l->busy;
	if (l->woke)
		sim__loop_busy(l, now, 1);
	double wait = now - r->t_mark;
	l->waited += wait;
	sim_hist_record(l->lag, wait);
	l->cur = r;
	return r;
}

/* The running callback is over: returns its request (l->cur), which the
 * model moves on before it asks for the next callback. */
static inline struct sim_request *sim_loop_done(struct sim_loop *l)
{
	struct sim_request *r = l->cur;
	l->cur = NULL;
	return r;
}

/* Whether r's callback about to run is its first (it accepts and parses
 * the connection); marks it as run. */
static inline bool sim_loop_first(struct sim_request *r)
{
	if (r->flags & SIM_LOOP_ACCEPTED)
		return false;
	r->flags |= SIM_LOOP_ACCEPTED;
	return true;
}

/* The process is gone (OOM-killed): the loop stops where it is, idle and
 * empty. The requests it had queued stay the caller's (they are on the
 * process's list). The connections no poll has accepted yet leave
 * *listen, or with `keep` are appended to *keep instead: they are still
 * in the listen socket, for another loop. */
void sim_loop_stop(struct sim_loop *l, struct sim_queue *keep);

/* Restarts the loop's statistics (not the lag histogram, the model's). */
void sim_loop_reset_stats(struct sim_loop *l, double now);

/* The figures of a model's loops, summed by sim_loop_tally(). */
struct sim_loop_figs {
	double busy;  /* mean busy fraction, summed over the loops */
	double qmean; /* mean callbacks waiting, summed over the loops */
	double qmax;  /* most callbacks waiting in any one loop */
};

/* Adds loop l's figures since the reset to *f. */
void sim_loop_tally(const struct sim_loop *l, struct sim_loop_figs *f);

/* Appends loop_lag_s.mean, .p99 (unless the histogram keeps only moments)
 * and .max from a model's lag histogram. */
void sim_loop_report_lag(const struct sim_hist *lag, struct sim_metrics *m);

#endif
