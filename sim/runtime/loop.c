/*
 * loop.c - an event loop's queue of callbacks (loop.h): what is not on
 * the per-request path, i.e. a poll's turn when it holds connections back,
 * stopping a killed process's loop and the loop's statistics.
 */
#include <assert.h>

#include "runtime/loop.h"

void sim_loop_init(struct sim_loop *l, struct sim *s, struct sim_hist *lag,
		   int *listen)
{
	*l = (struct sim_loop){.s = s, .lag = lag, .listen = listen};
}

/* Whether r came as a new connection (sim_loop_connect) and its first
 * callback has not run. */
static bool new_conn(const struct sim_request *r)
{
	return r->flags & SIM_LOOP_CONN && !(r->flags & SIM_LOOP_ACCEPTED);
}

void sim__loop_turn(struct sim_loop *l)
{
	/* the connections the last poll accepted, at the front, run now */
	struct sim_request **pp = &l->ready.head;
	for (uint32_t i = 0; i < l->nheld; i++)
		pp = &(*pp)->next;
	/* the connections posted since move to the end, held for the next
	 * turn; the other callbacks stay in order and run now (there is one
	 * at least: the caller's test) */
	struct sim_request *nh = NULL, *nt = NULL;
	uint32_t kept = l->nheld, moved = 0;
	while (*pp) {
		struct sim_request *r = *pp;
		if (new_conn(r)) {
			*pp = r->next;
			r->next = NULL;
			if (nt)
				nt->next = r;
			else
				nh = r;
			nt = r;
			moved++;
		} else {
			pp = &r->next;
			kept++;
		}
	}
	assert(kept > 0);
	*pp = nh;
	if (nt)
		l->ready.tail = nt;
	l->nready = kept;
	l->nheld = moved;
}

/* The waits so far of the callbacks in the ready queue (struct sim_loop:
 * `waited`). */
static double waiting(const struct sim_loop *l, double now)
{
	double w = 0;
	for (const struct sim_request *r = l->ready.head; r; r = r->next)
		w += now - r->t_mark;
	return w;
}

void sim_loop_stop(struct sim_loop *l, struct sim_queue *keep)
{
	double now = l->s->now;
	l->waited += waiting(l, now); /* all of them leave */
	if (keep) {
		/* the connections posted since the last poll (not the
		 * events of requests in flight, nor a session's messages,
		 * posted with sim_loop_post: they die with the process) */
		struct sim_request *r = l->ready.head;
		for (size_t i = 0; r && i < (size_t)l->nready + l->nheld; i++)
			r = r->next;
		for (struct sim_request *nx; r; r = nx) {
			nx = r->next;
			if (!new_conn(r))
				continue;
			l->backlog--;
			sim_queue_push(keep, r, now);
		}
	}
	l->cur = NULL;
	if (l->busy)
		sim__loop_busy(l, now, 0);
	sim_queue_clear(&l->ready, now);
	l->nready = 0;
	l->nheld = 0;
	*l->listen -= l->backlog;
	l->backlog = 0;
}

void sim_loop_reset_stats(struct sim_loop *l, double now)
{
	sim_tw_reset(&l->busy_tw, now);
	l->waited = -waiting(l, now); /* before now: not counted */
	l->t0 = now;
	l->qmax = l->ready.len;
}

void sim_loop_tally(const struct sim_loop *l, struct sim_loop_figs *f)
{
	double now = l->s->now;
	f->busy += sim_tw_mean(&l->busy_tw, now);
	double span = now - l->t0;
	f->qmean += span > 0 ? (l->waited + waiting(l, now)) / span
			     : (double)l->ready.len;
	if ((double)l->qmax > f->qmax)
		f->qmax = (double)l->qmax;
}

void sim_loop_report_lag(const struct sim_hist *lag, struct sim_metrics *m)
{
	sim_metrics_put(m, "loop_lag_s", "mean", sim_hist_mean(lag));
	if (!lag->moments)
		sim_metrics_put(m, "loop_lag_s", "p99",
				sim_hist_quantile(lag, 0.99));
	sim_metrics_put(m, "loop_lag_s", "max", lag->n ? lag->max : 0);
}
