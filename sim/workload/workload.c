/*
 * workload.c - request records, request drawing and open arrival processes.
 *
 * Arrival processes are generated one arrival at a time. A Poisson process
 * whose rate changes (schedule steps, on/off bursts, a diurnal sine) is
 * drawn by thinning (Lewis & Shedler): candidates at the segment's highest
 * rate, each kept with probability rate(t) / highest; at a segment boundary
 * the memoryless draw simply restarts.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload/workload.h"

#define CHUNK_RECS 1024
#define TWO_PI	   6.283185307179586

int sim_reqpool_init(struct sim_reqpool *p, size_t max_phases)
{
	*p = (struct sim_reqpool){0};
	/* at most 4,096 demands and 65 accounts (read_services.c) */
	assert(max_phases <= UINT16_MAX);
	p->ncap = (uint16_t)max_phases;
	size_t sz = sizeof(struct sim_request) + max_phases * sizeof(double) +
		    sizeof(struct sim_req_cold);
	p->recsize = (sz + 63) & ~(size_t)63;
	return 0;
}

void sim_reqpool_release(struct sim_reqpool *p)
{
	for (size_t i = 0; i < p->nchunks; i++)
		free(p->chunks[i]);
	free(p->chunks);
	*p = (struct sim_reqpool){0};
}

int sim__reqpool_grow(struct sim_reqpool *p)
{
	if (p->nchunks == p->capchunks) {
		size_t cap = p->capchunks ? 2 * p->capchunks : 16;
		void **c = realloc(p->chunks, cap * sizeof *c);
		if (!c)
			return SIM_ENOMEM;
		p->chunks = c;
		p->capchunks = cap;
	}
	/* records on line boundaries (recsize is whole lines) */
	char *mem = aligned_alloc(64, CHUNK_RECS * p->recsize);
	if (!mem)
		return SIM_ENOMEM;
	p->chunks[p->nchunks++] = mem;
	for (size_t i = CHUNK_RECS; i-- > 0;) {
		struct sim_request *r = (void *)(mem + i * p->recsize);
		r->next = p->free;
		p->free = r;
	}
	return 0;
}

struct sim_request *sim_req_clone(struct sim_reqpool *p,
				  const struct sim_request *r)
{
	struct sim_request *c = sim_req_new(p);
	if (!c)
		return NULL;
	c->id = r->id;
	c->t_first = r->t_first;
	c->client = r->client;
	c->cls = r->cls;
	c->nphases = r->nphases;
	c->attempt = r->attempt;
	/* every slot: the calls' demands follow the phases' */
	memcpy(c->demand, r->demand, p->ncap * sizeof *r->demand);
	return c;
}

/* ------------------------------------------------------ request drawing -- */

int sim_gen_init(struct sim_gen *g, const struct sim_workload *wl,
		 uint64_t seed, uint32_t rep)
{
	*g = (struct sim_gen){.wl = wl, .seek = wl->closed.users > 0};
	g->plain = !g->seek && wl->nclasses == 1 &&
		   wl->classes[0].ndemands <= wl->classes[0].nphases;
	g->cumw = malloc(wl->nclasses * sizeof *g->cumw);
	if (!g->cumw)
		return SIM_ENOMEM;
	double sum = 0;
	for (size_t i = 0; i < wl->nclasses; i++)
		sum += wl->classes[i].weight;
	double acc = 0;
	for (size_t i = 0; i < wl->nclasses; i++) {
		acc += wl->classes[i].weight;
		g->cumw[i] = acc / sum;
	}
	int err = sim_stream_init(&g->st, seed, rep, "request");
	if (err < 0)
		free(g->cumw);
	return err;
}

void sim_gen_release(struct sim_gen *g)
{
	free(g->cumw);
	sim_stream_release(&g->st);
}

/* The demands of the calls of a phase list, after its own n slots: per
 * call, a uniform for the cache, the hit's cost, then the callee's block
 * (config.h, struct sim_call). */
static void fill_calls(struct sim_stream *st, const struct sim_phase *ph,
		       size_t n, double *d)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < ph[i].ncalls; j++) {
			const struct sim_call *c = &ph[i].calls[j];
			double *b = d + c->off;
			b[0] = c->hit > 0 ? sim_uniform(st) : 1;
			b[1] =
			    c->hit > 0 ? sim_dist_sample(&c->hit_cost, st) : 0;
			for (size_t k = 0; k < c->nphases; k++)
				b[2 + k] = c->phases[k].ncalls
					       ? 0
					       : sim_dist_sample(
						     &c->phases[k].dist, st);
			fill_calls(st, c->phases, c->nphases, b + 2);
		}
}

void sim__gen_fill(struct sim_gen *g, struct sim_request *r, uint64_t id)
{
	const struct sim_workload *wl = g->wl;
	size_t c = 0;
	if (g->seek)
		sim_stream_seek(&g->st, id);
	if (wl->nclasses > 1) {
		double u = sim_uniform(&g->st);
		while (c + 1 < wl->nclasses && u >= g->cumw[c])
			c++;
	}
	const struct sim_class *k = &wl->classes[c];
	r->id = id;
	r->cls = (uint16_t)c;
	r->nphases = (uint8_t)k->nphases;
	for (size_t i = 0; i < k->nphases; i++)
		r->demand[i] = sim_dist_sample(&k->phases[i].dist, &g->st);
	if (k->ndemands > k->nphases) {
		fill_calls(&g->st, k->phases, k->nphases, r->demand);
		memset(r->demand + g->acct_off, 0,
		       g->acct_n * sizeof *r->demand);
		struct sim_req_cold *rk = sim_req_cold(r);
		rk->calls = rk->caller = NULL; /* a client's request */
		r->holder = NULL;
	}
}

/* ---------------------------------------------------- arrival processes -- */

double sim_arr_rate_at(const struct sim_arrivals *a, double t)
{
	double rate = a->rate;
	for (size_t i = 0; i < a->nschedule && a->schedule[i].at <= t; i++)
		rate = a->schedule[i].rate;
	return rate;
}

/* Sets the fast path of sim_arr_next once the process is a Poisson stream
 * at a constant rate from now on (no schedule step left). */
static void set_gap(struct sim_arr *ar)
{
	const struct sim_arrivals *a = ar->a;
	ar->gap = a->kind == SIM_ARR_POISSON && ar->step >= a->nschedule &&
			  ar->rate > 0
		      ? 1.0 / ar->rate
		      : 0;
}

int sim_arr_init(struct sim_arr *ar, const struct sim_arrivals *a,
		 uint64_t seed, uint32_t rep, const char **why)
{
	*ar = (struct sim_arr){.a = a, .rate = a->rate, .on = 1};
	*why = NULL;
	int err = sim_stream_init(&ar->st, seed, rep, "arrivals");
	if (err < 0)
		return err;
	if (a->kind == SIM_ARR_MMPP)
		ar->t_switch = sim_exponential(&ar->st, a->mean_on);
	set_gap(ar);
	return 0;
}

int sim_arr_init_trace(struct sim_arr *ar, const struct sim_workload *wl,
		       const char **why)
{
	int err = sim_trace_open(&ar->tr, ar->a->file, wl, NULL);
	if (err < 0)
		*why = "cannot read the trace file (check it with `concsim "
		       "check`)";
	return err;
}

void sim_arr_fill(const struct sim_arr *ar, struct sim_request *r)
{
	r->cls = ar->tr.cls;
	r->nphases = ar->tr.nphases;
	memcpy(r->demand, ar->tr.demand, ar->tr.nphases * sizeof *r->demand);
}

void sim_arr_release(struct sim_arr *ar)
{
	sim_stream_release(&ar->st);
	sim_trace_close(&ar->tr);
}

double sim__arr_next(struct sim_arr *ar)
{
	const struct sim_arrivals *a = ar->a;
	if (a->kind == SIM_ARR_POISSON && ar->step >= a->nschedule)
		return INFINITY; /* a rate of 0: any other has its ar->gap */
	if (a->kind == SIM_ARR_TRACE) {
		int rc = sim_trace_next(&ar->tr, NULL);
		if (rc <= 0) {
			ar->failed = rc < 0;
			return INFINITY;
		}
		return ar->t = ar->tr.t / a->speed;
	}
	for (;;) {
		double seg_end = ar->step < a->nschedule
				     ? a->schedule[ar->step].at
				     : INFINITY;
		if (a->kind == SIM_ARR_MMPP && ar->t_switch < seg_end)
			seg_end = ar->t_switch;
		double rate = ar->rate, top = rate;
		if (a->kind == SIM_ARR_MMPP && !ar->on)
			rate = top = a->rate_off;
		if (a->kind == SIM_ARR_DIURNAL)
			top = rate * (1.0 + a->amplitude);

		double cand = INFINITY;
		if (top > 0)
			cand =
			    ar->t + (a->kind == SIM_ARR_CONSTANT
					 ? 1.0 / top
					 : sim_exponential(&ar->st, 1.0 / top));
		if (cand >= seg_end) {
			if (seg_end == INFINITY)
				return INFINITY;
			ar->t = seg_end; /* restart in the next segment */
			if (a->kind == SIM_ARR_MMPP &&
			    seg_end == ar->t_switch) {
				ar->on = !ar->on;
				ar->t_switch += sim_exponential(
				    &ar->st, ar->on ? a->mean_on : a->mean_off);
			} else {
				ar->rate = a->schedule[ar->step++].rate;
				set_gap(ar);
			}
			continue;
		}
		ar->t = cand;
		if (a->kind == SIM_ARR_DIURNAL) {
			double lam =
			    rate * (1.0 + a->amplitude *
					      sin(TWO_PI * cand / a->period));
			if (sim_uniform(&ar->st) * top > lam)
				continue; /* thinned away */
		}
		return cand;
	}
}
