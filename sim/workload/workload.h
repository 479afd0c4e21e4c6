/*
 * workload.h - where requests come from: the request pool, drawing a
 * request's class and phase demands, and the open arrival processes.
 *
 * Draws are keyed by request id (sim_stream_seek), so request k has the
 * same class and demands in every system of a scenario.
 */
#ifndef SIM_WORKLOAD_H
#define SIM_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernel/kernel.h"
#include "kernel/rng.h"
#include "runtime/model.h"
#include "scenario/scenario.h"
#include "scenario/trace.h"

/* Request records of one size (header, max_phases demands, the cold
 * fields: request.h), whole cache lines on line boundaries, handed out
 * from chunks with a freelist: no malloc per request once warm. */
struct sim_reqpool {
	size_t recsize;
	uint16_t ncap; /* demand slots (sim_reqpool_init's max_phases) */
	struct sim_request *free;
	void **chunks;
	size_t nchunks, capchunks;
	size_t live, peak;
};

/* Returns 0 or SIM_ENOMEM. */
int sim_reqpool_init(struct sim_reqpool *p, size_t max_phases);
/* Frees every chunk (and so every request still out). */
void sim_reqpool_release(struct sim_reqpool *p);
/* Internal: adds a chunk of records to the freelist. Returns 0 or
 * SIM_ENOMEM. */
int sim__reqpool_grow(struct sim_reqpool *p);

/* A request whose header is zeroed (its demands and cold fields are
 * not: request.h), with room for max_phases demands, or NULL (no memory).
 * Inline, as sim_req_free: one of each per simulated request. */
static inline struct sim_request *sim_req_new(struct sim_reqpool *p)
{
	if (!p->free && sim__reqpool_grow(p) < 0)
		return NULL;
	struct sim_request *r = p->free;
	p->free = r->next;
	/* the pool's fields before the stores below, which may alias them
	 * (may_alias): nothing read again after them */
	uint16_t ncap = p->ncap;
	if (++p->live > p->peak)
		p->peak = p->live;
	/* the header (request.h), its demands' slots set after. Six 16-byte
	 * stores of one zeroed register (records are line-aligned:
	 * sim__reqpool_grow), written out: GCC (12, x86-64) makes a memset
	 * of such a size, or a loop of these stores, a `rep stosq`, whose
	 * start-up costs more than the stores (10 % of the whole M/M/1
	 * benchmark's time), and a copy from a zeroed header takes twice the
	 * instructions */
	typedef uint64_t v2 __attribute__((vector_size(16), may_alias));
	_Static_assert(offsetof(struct sim_request, demand) == 6 * sizeof(v2),
		       "the zeroed header is six 16-byte words");
	v2 *w = (v2 *)(void *)r, z = {0, 0};
	w[0] = z, w[1] = z, w[2] = z, w[3] = z;
	w[4] = z, w[5] = z;
	r->ncap = ncap;
	return r;
}

static inline void sim_req_free(struct sim_reqpool *p, struct sim_request *r)
{
	r->next = p->free;
	p->free = r;
	p->live--;
}
/* A new attempt of r (same id, class, demands), or NULL. */
struct sim_request *sim_req_clone(struct sim_reqpool *p,
				  const struct sim_request *r);

/* Draws class and demands for request `id`. In a closed loop, requests
 * are made in an order that depends on the model, so each request's draws
 * start at a position given by its id (sim_stream_seek). In an open
 * workload ids come in order 0, 1, 2... in every system, so one
 * sequential stream gives the same draws, without a seek per request. */
struct sim_gen {
	const struct sim_workload *wl;
	struct sim_stream st;
	double *cumw; /* cumulative class weights, normalised */
	bool seek;
	/* one class without calls, in an open workload: no class to pick, no
	 * seek, only the phases' demands to draw (sim_gen_fill, inline) */
	bool plain;
	/* a request with calls: these demand slots (its time accounts,
	 * runtime/service.h) start at 0; set by the driver */
	size_t acct_off, acct_n;
};

int sim_gen_init(struct sim_gen *g, const struct sim_workload *wl,
		 uint64_t seed, uint32_t rep);
void sim_gen_release(struct sim_gen *g);
/* Internal: sim_gen_fill for every workload (the inline one does the
 * plain case itself). */
void sim__gen_fill(struct sim_gen *g, struct sim_request *r, uint64_t id);
/* sim_gen_fill when g->plain (the caller knows it): the one class's
 * phase demands, drawn in order. */
static inline void sim_gen_fill_plain(struct sim_gen *g, struct sim_request *r,
				      uint64_t id)
{
	const struct sim_class *k = g->wl->classes;
	r->id = id;
	r->cls = 0;
	r->nphases = (uint8_t)k->nphases;
	for (size_t i = 0; i < k->nphases; i++)
		r->demand[i] = sim_dist_sample(&k->phases[i].dist, &g->st);
}

/* Gives r its class and demands. Inline: once per request. */
static inline void sim_gen_fill(struct sim_gen *g, struct sim_request *r,
				uint64_t id)
{
	if (!g->plain) {
		sim__gen_fill(g, r, id);
		return;
	}
	sim_gen_fill_plain(g, r, id);
}

/* An open arrival process: successive arrival times. */
struct sim_arr {
	const struct sim_arrivals *a;
	struct sim_stream st;
	double t;		    /* time of the last arrival */
	size_t step;		    /* next schedule entry */
	double rate;		    /* current base rate */
	double gap;		    /* 1 / rate when a constant-rate Poisson
				       process is all that is left, else 0 */
	int on;			    /* mmpp: in the on state */
	double t_switch;	    /* mmpp: next on/off switch */
	struct sim_trace_reader tr; /* trace: the row of the next arrival */
	int failed;		    /* trace: a row could not be read */
};

/* Returns 0, SIM_ENOMEM, or SIM_EIO (trace unreadable; *why set). */
int sim_arr_init(struct sim_arr *ar, const struct sim_arrivals *a,
		 uint64_t seed, uint32_t rep, const char **why);
/* Trace replay: opens the trace (after sim_arr_init). Returns 0 or SIM_E*
 * with *why set. */
int sim_arr_init_trace(struct sim_arr *ar, const struct sim_workload *wl,
		       const char **why);
void sim_arr_release(struct sim_arr *ar);
/* Internal: sim_arr_next's every case but the common one. */
double sim__arr_next(struct sim_arr *ar);

/* The next arrival time after the last one, or INFINITY when the process
 * has no more arrivals (or, for a trace, a row was bad: ar->failed).
 * Inline for the common case, a Poisson stream at a constant rate. */
static inline double sim_arr_next(struct sim_arr *ar)
{
	if (ar->gap > 0)
		return ar->t += sim_exponential(&ar->st, ar->gap);
	return sim__arr_next(ar);
}
/* Trace replay: gives r the class and demands of the arrival last returned
 * by sim_arr_next (id is set by the caller). */
void sim_arr_fill(const struct sim_arr *ar, struct sim_request *r);
/* The base rate in force at time t (schedule applied). */
double sim_arr_rate_at(const struct sim_arrivals *a, double t);

#endif
