/*
 * request.h - a request as it travels through a model (one attempt of a
 * client request, with its drawn phase demands), how it ended, the
 * intrusive FIFO queue models keep requests in, and the count of requests
 * in flight in a model (request.c).
 */
#ifndef SIM_REQUEST_H
#define SIM_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/kernel.h"
#include "kernel/stats.h"

/* How a request ended: enum sim_outcome, in kernel/stats.h. */

/* r->conn: the attempt goes on a kept-alive connection (else it opens one:
 * the server pays connection_overhead, and tls_overhead with
 * SIM_CONN_TLS); it is a session (WebSocket, SSE) held open, or a message
 * on one, whose session request the client puts in r->mptr; the client
 * took its connection from its keep-alive pool. Zero (a new connection
 * without TLS) is what a zeroed request says, so the default path sets
 * nothing. */
#define SIM_CONN_REUSED	 0x1
#define SIM_CONN_TLS	 0x2
#define SIM_CONN_SESSION 0x4
#define SIM_CONN_MESSAGE 0x8
#define SIM_CONN_POOLED	 0x10

/* r->net: the attempt is on the network between the client and the
 * server (workload.client.rtt), its request on the way to the server (the
 * server does not have it yet) or its answer on the way back (the server
 * is done with it). Zero: neither. */
#define SIM_NET_OUT  0x1
#define SIM_NET_BACK 0x2

/* One attempt of a client request. Records come from a pool sized for the
 * scenario's longest phase list (workload.h). A record is a whole number
 * of cache lines from a line boundary: this header and the demands first,
 * then the fields only I/O, memory limits and calls use (struct
 * sim_req_cold, after the demands: sim_req_cold). A fleet of replicas
 * holds more requests in flight than the caches do, so that each line a
 * request touches is a miss: a request of up to four phases with none of
 * those touches two lines. */
struct sim_request {
	/* the first line: what the end of its callback touches too (the
	 * model's fields, its phase and outcome), besides the client's */
	struct sim_request *next; /* link for sim_queue; owned by the holder */
	uint64_t id;		  /* logical request id (same for retries) */
	double t_first;		  /* first attempt sent (latency origin) */
	void *mptr;		  /* free for models */
	uint64_t mtag;		  /* free for models */
	sim_ev timeout_ev;
	uint32_t client;	/* closed-loop user / hash key */
	uint16_t cls;		/* index into workload.classes */
	uint8_t nphases, phase; /* phase = next phase to run */
	uint8_t attempt;	/* 0 for the first attempt */
	uint8_t abandoned;	/* client gave up; finish quietly */
	uint8_t flags;		/* free for models */
	uint8_t fail;	/* a call failed: the request ends with this outcome */
	uint8_t conn;	/* SIM_CONN_*: what connection it is on */
	uint8_t net;	/* SIM_NET_*: on the network (workload.client.rtt) */
	uint8_t answer; /* SIM_NET_BACK: the outcome the answer carries */
	uint8_t io_state; /* runtime/io.c: where its I/O phase is */
	/* the second line: its arrival's and its callback's start */
	double t_sent; /* this attempt sent */
	double t_mark; /* free for models: e.g. when enqueued */
	/* the process holding the request (sim_proc_hold): whose client
	 * pools its calls use */
	struct sim_proc *holder;
	uint32_t slot; /* service.c: which of its caller's calls r answers */
	/* the demands' slots in this record (the pool's), after which its
	 * cold fields begin; set by sim_req_new */
	uint16_t ncap;
	double demand[]; /* seconds, one per phase */
};

/* What only some requests use, after the demands: an I/O phase's
 * completion (sim_io_start), the list of the process that holds it under
 * a memory limit (sim_proc_hold), the calls of service.c. Not zeroed by
 * sim_req_new: set by whoever uses them. */
struct sim_req_cold {
	sim_fn io_fn; /* sim_io_start: who to tell */
	void *io_obj;
	sim_ev io_ev;
	struct sim_request *hnext, *hprev; /* the holder's list */
	/* service.c: the calls r waits for, and for a request sent to a
	 * service, the caller's calls it answers (NULL for a client's
	 * request) */
	struct sim_calls *calls, *caller;
};

/* the cold part follows the demands with their alignment */
_Static_assert(_Alignof(struct sim_req_cold) <= _Alignof(double),
	       "the cold fields need no more than a double's alignment");
static inline struct sim_req_cold *sim_req_cold(struct sim_request *r)
{
	return (struct sim_req_cold *)(void *)(r->demand + r->ncap);
}
/* The bytes of a request that the simple path touches: its header and
 * first demand; a look-ahead fetches their lines (a record starts on a
 * line boundary: sim_prefetch_lines). */
#define SIM_REQ_HOT   (offsetof(struct sim_request, demand) + sizeof(double))
#define SIM_REQ_LINES SIM_LINES(SIM_REQ_HOT)

/* The sum of r's phase demands from phase `from` up to (not including)
 * `to`. */
static inline double sim_req_demand(const struct sim_request *r, size_t from,
				    size_t to)
{
	double d = 0;
	for (size_t i = from; i < to; i++)
		d += r->demand[i];
	return d;
}

/* An intrusive FIFO of requests with its time-weighted length. */
struct sim_queue {
	struct sim_request *head, *tail;
	size_t len;
	struct sim_tw tw;
};

/* Appends r / takes the head (NULL when empty), leaving q->tw alone: for
 * a holder that keeps the queue's time average its own way (loop.h). */
static inline void sim_queue_link(struct sim_queue *q, struct sim_request *r)
{
	r->next = NULL;
	if (q->tail)
		q->tail->next = r;
	else
		q->head = r;
	q->tail = r;
	q->len++;
}
static inline struct sim_request *sim_queue_unlink(struct sim_queue *q)
{
	struct sim_request *r = q->head;
	if (!r)
		return NULL;
	q->head = r->next;
	if (!q->head)
		q->tail = NULL;
	q->len--;
	r->next = NULL;
	return r;
}

static inline void sim_queue_push(struct sim_queue *q, struct sim_request *r,
				  double now)
{
	sim_queue_link(q, r);
	sim_tw_set(&q->tw, now, (double)q->len);
}

static inline struct sim_request *sim_queue_pop(struct sim_queue *q, double now)
{
	struct sim_request *r = sim_queue_unlink(q);
	if (r)
		sim_tw_set(&q->tw, now, (double)q->len);
	return r;
}

/* Empties q without looking at its requests (their holder deals with
 * them), e.g. when the process that owns q is killed. */
static inline void sim_queue_clear(struct sim_queue *q, double now)
{
	q->head = q->tail = NULL;
	q->len = 0;
	sim_tw_set(&q->tw, now, 0);
}

/* Requests in flight in a model, from admission to port.done: their count
 * and its time average (queues.mean/max inflight, memory peaks). The
 * integral of the count over a busy period (from a first admission to the
 * count's return to 0) is the sum of its requests' stays, sum(leaving
 * times) - sum(admission times), so admitting and letting go add a time
 * each, instead of a time-weighted update; sums are folded into `done`
 * when the count returns to 0, so that they stay small. A zeroed struct is
 * an empty count measured from time 0. */
struct sim_inflight {
	/* what a request touches first, the reset (read by reports) last */
	size_t n, max; /* now; the most since the reset */
	double done;   /* the integral over the busy periods ended since t0 */
	double open;   /* the busy period under way: sum of leaving times
			  minus sum of admission times (t0 for those held at
			  the reset) */
	double t0;     /* the reset */
};

static inline void sim_inflight_add(struct sim_inflight *f, double now)
{
	f->open -= now;
	if (++f->n > f->max)
		f->max = f->n;
}
static inline void sim_inflight_sub(struct sim_inflight *f, double now)
{
	f->open += now;
	if (--f->n == 0) {
		f->done += f->open;
		f->open = 0;
	}
}
/* Restarts the measurement at `now` (those in flight stay). */
void sim_inflight_reset(struct sim_inflight *f, double now);
/* The time-averaged count from the reset to now (the count if no time
 * elapsed). */
double sim_inflight_mean(const struct sim_inflight *f, double now);
/* Appends queues.mean.inflight (max false) or queues.max.inflight. */
void sim_inflight_report(const struct sim_inflight *f, double now, bool max,
			 struct sim_metrics *m);

#endif
