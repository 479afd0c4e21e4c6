/*
 * procset.h - a set of server processes behind one listening port, as a
 * Node cluster or a multi-worker uvicorn runs them (procset.c).
 *
 * The runtimes differ in what a process does; what they share is here: the
 * array of processes, dealing a new connection to the next one alive
 * (round-robin), each process's memory footprint and the requests it
 * holds (memory.h), what an OOM kill does to the set (the kill and the
 * restart counted, the restart scheduled after `restart_time`, every
 * request the process held failed), and the requests in flight in the
 * model with their time-weighted count (struct sim_inflight, request.h).
 *
 * SQLite-style, the model declares the size of its own process struct,
 * which must begin with a struct sim_member; the set allocates them
 * (zeroed) and the model fills in the rest.
 */
#ifndef SIM_PROCSET_H
#define SIM_PROCSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/kernel.h"
#include "kernel/stats.h"
#include "runtime/memory.h"
#include "runtime/model.h"
#include "runtime/request.h"

/* One process of a set; the model's process struct begins with it. */
struct sim_member {
	sim_ev restart_ev;   /* killed: when it serves again */
	struct sim_proc mem; /* footprint, requests held, OOM kills; its
				owner is the model's process struct; last:
				its last fields are what a request reads */
};

/* The row of the `restart_time` key of a model whose config struct `cfg`
 * has a double `field`, with the model's default (cited where it uses
 * this) and what its help calls a process (`proc_`: "worker"). */
#define SIM_RESTART_PARAM(cfg, field, proc_, restart_)                         \
	SIM_PARAM("restart_time", SIM_PT_DURATION, cfg, field,                 \
		  .def = (restart_), .min = SIM_MIN_RESTART, .max = 3600,      \
		  .help =                                                      \
		      "from an OOM kill to the replacement " proc_ " serving")

struct sim_procset_cfg {
	int n;		     /* processes */
	size_t size;	     /* the model's process struct */
	double base;	     /* bytes of a process up, at start and restart */
	double per_req;	     /* bytes per request held */
	double per_sess;     /* bytes per session held (SIM_CONN_SESSION) */
	double restart_time; /* from an OOM kill to serving again */
	/* The kernel OOM-killed process p (p->owner, already down): the model
	 * stops its threads and timers, then calls sim_procset_killed() and
	 * sim_procset_fail_held(). */
	void (*on_kill)(struct sim_proc *p);
	/* Optional: p serves again (after its restart). */
	void (*on_restart)(struct sim_member *p);
	/* Optional: zeroed storage of `size` bytes for the process when n is
	 * 1, inside the model's state, so that a one-process model is one
	 * allocation whose lines a request finds together (a fleet of
	 * replicas); the set does not free it. */
	void *one;
};

struct sim_procset {
	/* per request, first and together in 80 bytes (see struct sim_host;
	 * port.opened, for sessions, and inflight.t0 are not) */
	struct sim *s;	      /* ctx's, and its port: one load less */
	unsigned char *procs; /* n structs of `size` bytes */
	struct sim_port port; /* per request */
	int n;
	bool own;		      /* procs allocated here (not cfg->one) */
	struct sim_inflight inflight; /* its t0 (reports only) last */
	/* the rest: a cluster's round robin, kills, restarts, reports */
	unsigned char *next; /* round-robin: the next one to try */
	unsigned char *end;  /* past the last one */
	size_t size;
	const struct sim_ctx *ctx; /* the model's: port, io */
	struct sim_host *host;
	double base, restart_time;
	void (*on_restart)(struct sim_member *p);
	struct sim_inflight sessions;	  /* sessions held (SIM_CONN_SESSION) */
	uint64_t oom_kills, oom_restarts; /* since the reset */
};

/* Allocates cfg->n processes of cfg->size bytes (zeroed) and registers
 * each, up, on host h's memory. ctx must outlive the set. Returns 0 or
 * SIM_ENOMEM. */
int sim_procset_init(struct sim_procset *ps, const struct sim_ctx *ctx,
		     struct sim_host *h, const struct sim_procset_cfg *cfg);
/* Takes the processes off the host and frees them (harmless after a
 * failed or no init). */
void sim_procset_release(struct sim_procset *ps);

/* Process i (0 <= i < n): the model casts it to its own struct. */
static inline void *sim_procset_at(const struct sim_procset *ps, int i)
{
	return ps->procs + (size_t)i * ps->size;
}

/* The process for a new connection: the next one alive in round-robin
 * order, or NULL when none is. */
static inline void *sim_procset_pick(struct sim_procset *ps)
{
	if (ps->n == 1) /* the round robin stays where it is */
		return ((struct sim_member *)ps->procs)->mem.up ? ps->procs
								: NULL;
	int k = ps->n; /* > 0: each process is tried once */
	do {
		struct sim_member *p = (struct sim_member *)ps->next;
		ps->next += ps->size; /* no multiplication per request */
		if (ps->next == ps->end)
			ps->next = ps->procs;
		if (p->mem.up)
			return p;
	} while (--k > 0);
	return NULL;
}

/* A request entered the model: one more in flight. */
static inline void sim_procset_arrive(struct sim_procset *ps)
{
	sim_inflight_add(&ps->inflight, ps->s->now);
}
/* A session (SIM_CONN_SESSION) entered the model: one more held. */
static inline void sim_procset_arrive_session(struct sim_procset *ps)
{
	sim_inflight_add(&ps->sessions, ps->s->now);
}

/* Process p takes r: r->mptr = p, and p's footprint counts it. */
static inline void sim_procset_hold(struct sim_member *p, struct sim_request *r)
{
	r->mptr = p;
	sim_proc_hold(&p->mem, r);
}

/* Process p lets r go and r leaves the model with outcome o. */
static inline void sim_procset_finish(struct sim_procset *ps,
				      struct sim_member *p,
				      struct sim_request *r, enum sim_outcome o)
{
	sim_proc_drop(&p->mem, r);
	/* a branch, not a selected pointer: one test on a request's way */
	if (__builtin_expect(r->conn & SIM_CONN_SESSION, 0))
		sim_inflight_sub(&ps->sessions, ps->s->now);
	else
		sim_inflight_sub(&ps->inflight, ps->s->now);
	sim_port_done(&ps->port, r, o);
}

/* Counts the OOM kill of p and schedules its restart after restart_time
 * (then sim_proc_up with `base`, counted, and on_restart). */
void sim_procset_killed(struct sim_procset *ps, struct sim_member *p);
/* Fails every request killed process p holds, oldest first: its io phase
 * is abandoned, forget(p->mem.owner, r) (optional) does the model's own
 * bookkeeping, and r leaves the model with SIM_OUT_KILLED. */
void sim_procset_fail_held(struct sim_procset *ps, struct sim_member *p,
			   void (*forget)(void *proc, struct sim_request *r));

/* Restarts the in-flight count and the kill counters at `now`. */
void sim_procset_reset_stats(struct sim_procset *ps, double now);
/* The model's estimated memory peak: its processes' `base`, the most
 * requests in flight at once at per_req and the most sessions at
 * per_sess. */
double sim_procset_peak(const struct sim_procset *ps, double base,
			double per_req, double per_sess);
/* Appends the memory figures (sim_memory_report) with the set's kills and
 * restarts, for the model's estimated `peak`. */
void sim_procset_report_memory(const struct sim_procset *ps, double peak,
			       struct sim_metrics *m);

#endif
