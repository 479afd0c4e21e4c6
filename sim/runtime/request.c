/*
 * request.c - the figures of a model's in-flight count (request.h).
 */
#include "runtime/request.h"

void sim_inflight_reset(struct sim_inflight *f, double now)
{
	f->t0 = now;
	f->done = 0;
	f->open = -(double)f->n * now; /* admitted at the reset, as it were */
	f->max = f->n;
}

double sim_inflight_mean(const struct sim_inflight *f, double now)
{
	double span = now - f->t0;
	if (!(span > 0))
		return (double)f->n;
	/* those still in flight leave now, as it were */
	return (f->done + f->open + (double)f->n * now) / span;
}

void sim_inflight_report(const struct sim_inflight *f, double now, bool max,
			 struct sim_metrics *m)
{
	if (max)
		sim_metrics_put(m, "queues.max", "inflight", (double)f->max);
	else
		sim_metrics_put(m, "queues.mean", "inflight",
				sim_inflight_mean(f, now));
}
