/*
 * request.c - the names of the request outcomes, as the writers print them
 * (one list, SIM_OUTCOME_MAP in request.h, makes the codes and the names),
 * and the figures of a model's in-flight count.
 */
#include "runtime/request.h"

const char *const sim_outcome_names[SIM_OUT_N] = {
#define X(name, str) str,
    SIM_OUTCOME_MAP(X)
#undef X
};

void sim_inflight_report(const struct sim_inflight *f, double now, bool max,
			 struct sim_metrics *m)
{
	if (max)
		sim_metrics_put(m, "queues.max", "inflight", f->tw.max);
	else
		sim_metrics_put(m, "queues.mean", "inflight",
				sim_tw_mean(&f->tw, now));
}
