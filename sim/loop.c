/*
 * loop.c - an event loop's queue of callbacks (loop.h): what is not on
 * the per-request path, i.e. stopping a killed process's loop and the
 * loop's statistics.
 */
#include "loop.h"

void sim_loop_init(struct sim_loop *l, struct sim *s, struct sim_hist *lag,
		   int *listen, bool split)
{
	*l = (struct sim_loop){.s = s, .lag = lag, .listen = listen};
	l->in = split ? &l->pending : &l->ready;
}

static bool split(const struct sim_loop *l)
{
	return l->in != &l->ready;
}

void sim_loop_stop(struct sim_loop *l, struct sim_queue *keep)
{
	double now = l->s->now;
	if (keep) {
		/* the connections posted since the last poll whose first
		 * callback has not run */
		struct sim_request *r = l->in->head;
		for (size_t i = 0; !split(l) && r && i < l->nready; i++)
			r = r->next;
		for (struct sim_request *nx; r; r = nx) {
			nx = r->next;
			if (r->flags & SIM_LOOP_ACCEPTED)
				continue;
			l->backlog--;
			sim_queue_push(keep, r, now);
		}
	}
	l->cur = NULL;
	if (l->busy)
		sim__loop_busy(l, now, 0);
	sim_queue_clear(&l->ready, now);
	if (split(l))
		sim_queue_clear(&l->pending, now);
	l->nready = 0;
	*l->listen -= l->backlog;
	l->backlog = 0;
}

void sim_loop_reset_stats(struct sim_loop *l, double now)
{
	sim_tw_reset(&l->busy_tw, now);
	sim_tw_reset(&l->ready.tw, now);
	sim_tw_reset(&l->pending.tw, now);
}

void sim_loop_tally(const struct sim_loop *l, struct sim_loop_figs *f)
{
	double now = l->s->now, mean, max;
	f->busy += sim_tw_mean(&l->busy_tw, now);
	if (split(l)) {
		mean = sim_tw_mean(&l->ready.tw, now) +
		       sim_tw_mean(&l->pending.tw, now);
		max = l->ready.tw.max + l->pending.tw.max;
	} else {
		mean = sim_tw_mean(&l->ready.tw, now);
		max = l->ready.tw.max;
	}
	f->qmean += mean;
	if (max > f->qmax)
		f->qmax = max;
}

void sim_loop_report_lag(const struct sim_hist *lag, struct sim_metrics *m)
{
	sim_metrics_put(m, "loop_lag_s", "mean", sim_hist_mean(lag));
	sim_metrics_put(m, "loop_lag_s", "p99", sim_hist_quantile(lag, 0.99));
	sim_metrics_put(m, "loop_lag_s", "max", lag->n ? lag->max : 0);
}
