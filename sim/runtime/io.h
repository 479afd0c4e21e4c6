/*
 * io.h - the io phase shared by every model, and the downstream resource
 * (a database pool) requests may wait for (io.c).
 */
#ifndef SIM_IO_H
#define SIM_IO_H

#include "kernel/kernel.h"
#include "kernel/stats.h"
#include "runtime/request.h"

struct sim_ctx;

/* The downstream resource requests share whatever model serves them: a
 * database pool of `cap` connections. An io phase that uses it first waits
 * (FIFO) for a free connection, holds it for its demand, then frees it. */
struct sim_dspool {
	struct sim *s;
	int cap, busy;
	struct sim_queue wait;
	struct sim_tw busy_tw;
};

/* Starts r's current phase (an io phase): after its demand (and a wait for
 * a downstream connection if it uses one), calls fn(s, obj, r). */
void sim_io_start(const struct sim_ctx *c, struct sim_request *r, sim_fn fn,
		  void *obj);
/* Abandons r's io phase in progress (its worker was killed): the timer is
 * cancelled, a connection it held is freed, a wait is left; fn is not
 * called. Harmless if r has no io in progress. */
void sim_io_abort(const struct sim_ctx *c, struct sim_request *r);
void sim_dspool_reset_stats(struct sim_dspool *p, double now);
void sim_dspool_report(struct sim_dspool *p, struct sim_metrics *m);

#endif
