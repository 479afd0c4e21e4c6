/*
 * request.c - the figures of a model's in-flight count (request.h).
 */
#include "runtime/request.h"

void sim_inflight_report(const struct sim_inflight *f, double now, bool max,
			 struct sim_metrics *m)
{
	if (max)
		sim_metrics_put(m, "queues.max", "inflight", f->tw.max);
	else
		sim_metrics_put(m, "queues.mean", "inflight",
				sim_tw_mean(&f->tw, now));
}
