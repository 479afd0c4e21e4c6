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
	/* where the clients' requests' time went: per tier (own cpu, own io,
	 * waiting for a core/loop/worker, pool waits, then each service), the
	 * sums over good requests and over those beyond the running p99 */
	double *tier, *tail;
	double lat, tail_lat, thr;
	uint64_t since;
	struct sim_hist h;
	struct sim_calls *free_calls; /* records for call phases, reused */
	struct sim_calls *all_calls;  /* every record, to free at the end */
	size_t fanout;		      /* the most calls of one phase */
};

/* Demand slots a request record needs beyond the phases' (max_phases):
 * its pool waits and time in each service; 0 without services. */
size_t sim_svc_slots(const struct sim_scenario *sc);

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

/* A client's request (a first attempt, or a retry with accounts false: its
 * time accounts go on) gets the fields services use reset. */
void sim_svcset_fresh(const struct sim_svcset *set, struct sim_request *r,
		      bool accounts);
/* A client's request r was answered well after `lat` seconds: counts
 * where its time went (measuring only). */
void sim_svcset_account(struct sim_svcset *set, const struct sim_request *r,
			double lat);

/* Starts r's current phase, a call or parallel: when every call is
 * answered (or hit the cache), calls fn(s, obj, r). */
void sim_call_start(const struct sim_ctx *c, struct sim_request *r, sim_fn fn,
		    void *obj);
/* Abandons r's calls in progress (its worker was killed): fn is not
 * called; answers still on their way are dropped when they come. */
void sim_call_abort(struct sim_request *r);

#endif
