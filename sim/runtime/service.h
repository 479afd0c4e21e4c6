/*
 * service.h - calls between services (service.c): one instance of every
 * service of the scenario per simulated system (shared by all its
 * replicas), the `call` and `parallel` phases that send requests to them,
 * with the client layer's timeouts and retries, cache hits, and the
 * services' figures.
 *
 * To the model that runs it, a call is an io phase: it starts it with
 * sim_io_start() and gets its callback when every answer is in, so each
 * model only says who holds what meanwhile (a sync worker its thread, an
 * event loop nothing). A call that fails (refused, killed, timed out after
 * its retries) fails the caller's request with that outcome: the caller
 * finishes its handler and answers with the error (request.h, `fail`).
 */
#ifndef SIM_SERVICE_H
#define SIM_SERVICE_H

#include "kernel/kernel.h"
#include "kernel/stats.h"
#include "runtime/request.h"

struct sim_ctx;
struct sim_scenario;
struct sim_system;
struct sim_svcinst;

/* Where service requests come from: the driver's request records. */
struct sim_svc_alloc {
	/* A new record (clone_of NULL) or NULL after stopping the run. */
	struct sim_request *(*get)(void *arg);
	void (*put)(void *arg, struct sim_request *r);
	void *arg;
};

/* Every service's instance for one simulated system. */
struct sim_svcset {
	struct sim *s;
	const struct sim_scenario *sc;
	struct sim_svc_alloc alloc;
	size_t n;
	struct sim_svcinst *v;
	int measuring;
	double t_reset;
};

/* Builds one instance of every service of sc for system `sys` (its
 * overrides applied), with streams from seed and replication `rep`.
 * Returns 0 or SIM_E*; sim_svcset_release() undoes a partial build. */
int sim_svcset_init(struct sim_svcset *set, struct sim *s,
		    const struct sim_scenario *sc, const struct sim_system *sys,
		    int rep, struct sim_svc_alloc alloc);
void sim_svcset_release(struct sim_svcset *set);
/* End of warm-up: every service restarts its statistics. */
void sim_svcset_reset_stats(struct sim_svcset *set, double now);
/* Appends each service's figures as groups "services.NAME[...]". */
void sim_svcset_report(struct sim_svcset *set, struct sim_metrics *m);

/* Starts r's current phase, a call or parallel: when every call is
 * answered (or hit the cache), calls fn(s, obj, r). */
void sim_call_start(const struct sim_ctx *c, struct sim_request *r, sim_fn fn,
		    void *obj);
/* Abandons r's calls in progress (its worker was killed): fn is not
 * called; answers still on their way are dropped when they come. */
void sim_call_abort(struct sim_request *r);

#endif
