/*
 * service.c - calls between services (see service.h).
 *
 * A call or parallel phase of request r becomes a `struct sim_calls`:
 * one slot per call, each answered once (by the service, by a cache hit,
 * or by a failure after the call's retries); when the last slot is
 * answered, r's model gets its io callback. Each attempt of a call is a
 * request of its own, sent to the service instance with the demands the
 * caller's request drew for it (config.h, struct sim_call), with the
 * call's timeout and the client layer's retry policy (retry.h). A caller
 * killed meanwhile leaves its sim_calls behind (parent NULL) until the
 * last answer comes back and is dropped.
 */
#include "runtime/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/memory.h"
#include "runtime/model.h"
#include "runtime/retry.h"

/* One service's instance in one simulated system. */
struct sim_svcinst {
	struct sim_svcset *set;
	const struct sim_service *svc;
	struct sim_ctx ctx;
	struct sim_instance inst;
	struct sim_stream rng, client_rng;
	bool has_rng, has_crng, has_inst;
	/* since the reset */
	uint64_t sent, first, retries, completed, hits, wasted;
	uint64_t errors[SIM_OUT_N];
	struct sim_hist lat;		   /* per attempt answered OK */
	uint64_t sent_first, sent_retries; /* whole run: retry budget */
	/* client pools to it: connections open (against the server's
	 * connection_limit, 0 none), waits for a pooled connection */
	int limit, open, open_peak;
	int pool; /* the service's `pool` for calls that give none */
	uint64_t pooled, waited, conn_refused;
	struct sim_hist pool_wait;
};

/* A call waiting for a connection of its process's pool: slot j of k
 * (the queue links through the slots, so that waiting allocates
 * nothing). */
struct cwait {
	struct sim_calls *k;
	uint32_t j;
};

/* One process's client pool to one service (SQLAlchemy's QueuePool,
 * node-postgres's Pool): up to `cap` connections, opened when needed and
 * kept; a call finding them all busy waits, FIFO. */
struct sim_cpool {
	int cap, open, busy;
	struct cwait head, tail; /* k NULL: none */
};

struct sim_calls {
	struct sim_svcset *set;
	struct sim_calls *next_free; /* the set's free list */
	struct sim_calls *all;	     /* every record of the set, to free */
	struct sim_request *parent;  /* NULL: the caller was killed */
	const struct sim_phase *ph;
	uint32_t left; /* slots not yet answered */
	uint8_t fail;
	double t0; /* the phase started */
	struct {
		struct sim_cpool *held; /* the pool it holds, or NULL */
		double wait;		/* its wait for that pool */
		double t;		/* waiting for a connection since */
		struct cwait next;	/* the next waiting after it */
	} slot[];
};

/* ------------------------------------------------------------ answers -- */

static void send_attempt(struct sim_calls *k, uint32_t j, uint8_t attempt);
static void release_conn(struct sim_calls *k, uint32_t j);

static void answer(struct sim_calls *k, uint32_t j, enum sim_outcome o)
{
	if (k->slot[j].held)
		release_conn(k, j);
	if (o != SIM_OUT_OK && !k->fail)
		k->fail = (uint8_t)o;
	if (--k->left)
		return;
	struct sim_request *r = k->parent;
	struct sim *s = k->set->s;
	uint8_t fail = k->fail;
	struct sim_svcset *set = k->set;
	/* a client's request: where its time went */
	if (r && !sim_req_cold(r)->caller) {
		/* the last answer decides: its service, its pool wait */
		double *t = r->demand + k->set->sc->max_phases,
		       w = k->slot[j].wait;
		t[0] += w;
		t[1 + k->ph->calls[j].svc] += s->now - k->t0 - w;
	}
	k->next_free = set->free_calls; /* no malloc per call */
	set->free_calls = k;
	if (!r)
		return;
	struct sim_req_cold *rk = sim_req_cold(r);
	rk->calls = NULL;
	if (fail && !r->fail)
		r->fail = fail;
	r->io_state = 0; /* io.c's IO_NONE */
	rk->io_fn(s, rk->io_obj, (uint64_t)(uintptr_t)r);
}

/* ------------------------------------------------------ client pools -- */

/* Slot j of k has a connection of pool p: send its first attempt (a
 * caller gone meanwhile answers at once). */
static void granted(struct sim_calls *k, uint32_t j, struct sim_cpool *p,
		    double t_wait)
{
	struct sim_svcinst *in = &k->set->v[k->ph->calls[j].svc];
	k->slot[j].held = p;
	k->slot[j].wait = k->set->s->now - t_wait;
	if (k->set->measuring) {
		double w = k->set->s->now - t_wait;
		in->pooled++;
		in->waited += w > 0;
		sim_hist_record(&in->pool_wait, w);
	}
	if (!k->parent)
		answer(k, j, SIM_OUT_KILLED);
	else
		send_attempt(k, j, 0);
}

/* Slot j is answered: its connection goes back to the pool, or to the
 * first call waiting for one. */
static void release_conn(struct sim_calls *k, uint32_t j)
{
	struct sim_cpool *p = k->slot[j].held;
	k->slot[j].held = NULL;
	struct cwait w = p->head;
	if (!w.k) {
		p->busy--;
		return;
	}
	p->head = w.k->slot[w.j].next;
	if (!p->head.k)
		p->tail.k = NULL;
	granted(w.k, w.j, p, w.k->slot[w.j].t);
}

/* Slot j needs a connection of its process's pool to the service. Returns
 * whether it got one now (else it waits, or was refused and answered). */
static bool acquire(struct sim_calls *k, uint32_t j)
{
	struct sim_svcset *set = k->set;
	const struct sim_call *c = &k->ph->calls[j];
	struct sim_svcinst *in = &set->v[c->svc];
	struct sim_proc *proc = k->parent->holder;
	if (!proc->cpools &&
	    !(proc->cpools = calloc(set->n, sizeof *proc->cpools))) {
		answer(k, j, SIM_OUT_KILLED); /* out of memory */
		return false;
	}
	struct sim_cpool *p = &proc->cpools[c->svc];
	if (!p->cap)
		p->cap = c->pool ? c->pool : in->pool;
	if (p->busy < p->open) {
		p->busy++;
		granted(k, j, p, set->s->now);
		return true;
	}
	if (p->open < p->cap) {
		if (in->limit && in->open >= in->limit) {
			/* PostgreSQL: "sorry, too many clients already" */
			if (set->measuring) {
				in->conn_refused++;
				in->errors[SIM_OUT_REFUSED]++;
			}
			answer(k, j, SIM_OUT_REFUSED);
			return false;
		}
		p->open++;
		p->busy++;
		if (++in->open > in->open_peak)
			in->open_peak = in->open;
		granted(k, j, p, set->s->now);
		return true;
	}
	k->slot[j].t = set->s->now;
	k->slot[j].next = (struct cwait){NULL, 0};
	if (p->tail.k)
		p->tail.k->slot[p->tail.j].next = (struct cwait){k, j};
	else
		p->head = (struct cwait){k, j};
	p->tail = (struct cwait){k, j};
	return false;
}

/* ------------------------------------------------------------- calls -- */

/* The backoff is over: attempt again, unless the caller is gone. */
static void retry_now(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	struct sim_calls *k = obj;
	uint32_t j = (uint32_t)(arg & 0xffffffffu);
	uint8_t attempt = (uint8_t)(arg >> 32);
	if (!k->parent)
		answer(k, j, SIM_OUT_KILLED);
	else
		send_attempt(k, j, attempt);
}

/* Attempt `attempt` of slot j failed with o: retry or answer. */
static void failed(struct sim_svcinst *in, struct sim_calls *k, uint32_t j,
		   uint8_t attempt, enum sim_outcome o)
{
	const struct sim_client *c = &k->ph->calls[j].client;
	if (k->parent &&
	    sim_retry_allowed(c, attempt, in->sent_first, in->sent_retries)) {
		in->sent_retries++;
		if (in->set->measuring)
			in->retries++;
		sim_after(in->set->s,
			  sim_retry_backoff(c, attempt + 1, &in->client_rng),
			  retry_now, k,
			  (uint64_t)j | (uint64_t)(attempt + 1) << 32);
		return;
	}
	answer(k, j, o);
}

/* port.done of a service instance: an attempt is over. */
static void svc_done(void *ctx, struct sim_request *r, enum sim_outcome o)
{
	struct sim_svcinst *in = ctx;
	struct sim_svcset *set = in->set;
	if (o == SIM_OUT_OK && r->fail) /* one of its own calls failed */
		o = (enum sim_outcome)r->fail;
	if (r->abandoned) { /* the call timed out already: wasted work */
		if (o == SIM_OUT_OK && set->measuring) {
			in->completed++;
			in->wasted++;
		}
		set->alloc.put(set->alloc.arg, r);
		return;
	}
	if (r->timeout_ev)
		sim_cancel(set->s, r->timeout_ev);
	struct sim_calls *k = sim_req_cold(r)->caller;
	uint32_t j = r->slot;
	uint8_t attempt = r->attempt;
	if (set->measuring) {
		if (o == SIM_OUT_OK) {
			in->completed++;
			sim_hist_record(&in->lat, set->s->now - r->t_sent);
		} else {
			in->errors[o]++;
		}
	}
	set->alloc.put(set->alloc.arg, r);
	if (o == SIM_OUT_OK)
		answer(k, j, o);
	else
		failed(in, k, j, attempt, o);
}

static void call_timeout(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	struct sim_svcinst *in = obj;
	struct sim_request *r = (struct sim_request *)(uintptr_t)arg;
	r->timeout_ev = 0;
	r->abandoned = 1; /* the service finishes it quietly */
	if (in->set->measuring)
		in->errors[SIM_OUT_TIMEOUT]++;
	failed(in, sim_req_cold(r)->caller, r->slot, r->attempt,
	       SIM_OUT_TIMEOUT);
}

static void send_attempt(struct sim_calls *k, uint32_t j, uint8_t attempt)
{
	struct sim_svcset *set = k->set;
	const struct sim_call *c = &k->ph->calls[j];
	struct sim_svcinst *in = &set->v[c->svc];
	struct sim_request *p = k->parent, *r = set->alloc.get(set->alloc.arg);
	if (!r) { /* the run is stopping */
		answer(k, j, SIM_OUT_KILLED);
		return;
	}
	r->id = p->id;
	r->client = p->client;
	r->t_first = r->t_sent = set->s->now;
	r->cls = (uint16_t)c->site;
	r->nphases = (uint8_t)c->nphases;
	r->attempt = attempt;
	struct sim_req_cold *rk = sim_req_cold(r);
	rk->caller = k;
	rk->calls = NULL;
	r->holder = NULL;
	r->slot = j;
	memcpy(r->demand, p->demand + c->off + 2, c->len * sizeof *r->demand);
	if (!attempt) /* retries are counted when scheduled */
		in->sent_first++;
	if (set->measuring) {
		in->sent++;
		in->first += attempt == 0;
	}
	if (c->client.timeout > 0)
		r->timeout_ev =
		    sim_after_fixed(set->s, c->client.timeout, call_timeout, in,
				    (uint64_t)(uintptr_t)r);
	sim_model_submit(&in->inst, r);
}

/* A cache hit's wait is over. */
static void hit_done(struct sim *s, void *obj, uint64_t j)
{
	(void)s;
	answer(obj, (uint32_t)j, SIM_OUT_OK);
}

void sim_call_start(const struct sim_ctx *c, struct sim_request *r, sim_fn fn,
		    void *obj)
{
	struct sim_svcset *set = c->svc;
	const struct sim_phase *ph = &c->wl->classes[r->cls].phases[r->phase];
	struct sim_calls *k = set->free_calls;
	if (k) {
		set->free_calls = k->next_free;
	} else if ((k = malloc(sizeof *k + set->fanout * sizeof k->slot[0]))) {
		k->all = set->all_calls;
		set->all_calls = k;
	}
	struct sim_req_cold *rk = sim_req_cold(r);
	rk->io_fn = fn;
	rk->io_obj = obj;
	if (!k) { /* fails the request, as a process out of memory would */
		r->fail = SIM_OUT_KILLED;
		fn(c->s, obj, (uint64_t)(uintptr_t)r);
		return;
	}
	k->set = set;
	k->parent = r;
	k->ph = ph;
	k->left = (uint32_t)ph->ncalls;
	k->fail = 0;
	k->t0 = set->s->now;
	for (size_t j = 0; j < ph->ncalls; j++) {
		k->slot[j].held = NULL;
		k->slot[j].wait = 0;
	}
	rk->calls = k;
	r->io_state = 3; /* io.c's IO_CALL */
	/* left counts every slot before any is sent, so that an answer at
	 * once (a zero-cost hit) cannot finish the phase early */
	for (uint32_t j = 0; j < ph->ncalls; j++) {
		const struct sim_call *call = &ph->calls[j];
		if (call->hit > 0 && r->demand[call->off] < call->hit) {
			struct sim_svcinst *in = &set->v[call->svc];
			if (set->measuring)
				in->hits++;
			sim_after(set->s, r->demand[call->off + 1], hit_done, k,
				  j);
		} else if ((!call->pool && !set->v[call->svc].pool) ||
			   !r->holder) {
			send_attempt(k, j, 0);
		} else {
			acquire(k, j);
		}
	}
}

void sim_call_abort(struct sim_request *r)
{
	struct sim_req_cold *rk = sim_req_cold(r);
	if (rk->calls)
		rk->calls->parent = NULL;
	rk->calls = NULL;
}

/* ----------------------------------------------------------- the set -- */

enum { T_CPU, T_IO, T_WAIT, T_POOL, T_SVC };

/* The most calls one phase of these phases (and their calls') makes. */
static size_t fanout(const struct sim_phase *ph, size_t n)
{
	size_t f = 0;
	for (size_t i = 0; i < n; i++) {
		if (ph[i].ncalls > f)
			f = ph[i].ncalls;
		for (size_t j = 0; j < ph[i].ncalls; j++) {
			size_t g = fanout(ph[i].calls[j].phases,
					  ph[i].calls[j].nphases);
			f = g > f ? g : f;
		}
	}
	return f;
}

size_t sim_svc_slots(const struct sim_scenario *sc)
{
	return sc->nservices ? 1 + sc->nservices : 0;
}

void sim_svcset_fresh(const struct sim_svcset *set, struct sim_request *r,
		      bool accounts)
{
	struct sim_req_cold *rk = sim_req_cold(r);
	rk->calls = rk->caller = NULL;
	r->holder = NULL;
	if (accounts)
		memset(r->demand + set->sc->max_phases, 0,
		       (1 + set->n) * sizeof *r->demand);
}

void sim_svcset_account(struct sim_svcset *set, const struct sim_request *r,
			double lat)
{
	const struct sim_class *c = &set->sc->workload.classes[r->cls];
	/* a class without calls has no accounts (workload.c) */
	const double *t =
	    c->ndemands > c->nphases ? r->demand + set->sc->max_phases : NULL;
	double cpu = 0, io = 0, rest = lat;
	for (size_t i = 0; i < c->nphases; i++) {
		const struct sim_phase *ph = &c->phases[i];
		if (ph->on_cpu)
			cpu += r->demand[i];
		else if (ph->kind == SIM_PHASE_IO || ph->kind == SIM_PHASE_POOL)
			io += r->demand[i];
	}
	rest -= cpu + io;
	for (size_t k = 0; t && k <= set->n; k++)
		rest -= t[k];
	/* the slowest 1 %: beyond a p99 re-estimated every 4096 requests
	 * (and over the first 256) */
	sim_hist_record(&set->h, lat);
	if (++set->since >= (set->h.n < 4096 ? 256 : 4096)) {
		set->since = 0;
		set->thr = sim_hist_quantile(&set->h, 0.99);
	}
	double *acc[2] = {set->tier, lat >= set->thr ? set->tail : NULL};
	set->lat += lat;
	if (acc[1])
		set->tail_lat += lat;
	for (int a = 0; a < 2 && acc[a]; a++) {
		double *v = acc[a];
		v[T_CPU] += cpu;
		v[T_IO] += io;
		v[T_WAIT] += rest > 0 ? rest : 0;
		for (size_t k = 0; t && k <= set->n; k++)
			v[T_POOL + k] += t[k]; /* pool, then each service */
	}
}

int sim_svcset_init(struct sim_svcset *set, struct sim *s,
		    const struct sim_scenario *sc, const struct sim_system *sys,
		    int rep, struct sim_svc_alloc alloc)
{
	*set = (struct sim_svcset){.s = s, .sc = sc, .alloc = alloc};
	if (!sc->nservices)
		return 0;
	set->v = calloc(sc->nservices, sizeof *set->v);
	set->tier = calloc(2 * (T_SVC + sc->nservices), sizeof *set->tier);
	if (!set->v || !set->tier || sim_hist_init(&set->h) < 0)
		return SIM_ENOMEM;
	set->tail = set->tier + T_SVC + sc->nservices;
	for (size_t c = 0; c < sc->workload.nclasses; c++) {
		size_t f = fanout(sc->workload.classes[c].phases,
				  sc->workload.classes[c].nphases);
		set->fanout = f > set->fanout ? f : set->fanout;
	}
	set->n = sc->nservices;
	for (size_t i = 0; i < set->n; i++) {
		struct sim_svcinst *in = &set->v[i];
		const struct sim_service *svc = &sc->services[i];
		char name[64];
		int err;
		in->set = set;
		in->svc = svc;
		if (sim_hist_init(&in->lat) < 0 ||
		    sim_hist_init(&in->pool_wait) < 0)
			return SIM_ENOMEM;
		/* streams by service name: the same in every system */
		snprintf(name, sizeof name, "service:%s", svc->sys.name);
		if ((err = sim_stream_init(&in->rng, sc->seed, (uint32_t)rep,
					   name)) < 0)
			return err;
		in->has_rng = true;
		snprintf(name, sizeof name, "service-client:%s", svc->sys.name);
		if ((err = sim_stream_init(&in->client_rng, sc->seed,
					   (uint32_t)rep, name)) < 0)
			return err;
		in->has_crng = true;
	}
	/* every instance exists before any starts: services call each
	 * other through set->v */
	for (size_t i = 0; i < set->n; i++) {
		struct sim_svcinst *in = &set->v[i];
		const struct sim_system *ss =
		    sys->svc && sys->svc[i] ? sys->svc[i] : &in->svc->sys;
		in->ctx =
		    (struct sim_ctx){.s = s,
				     .sc = sc,
				     .wl = &in->svc->wl,
				     .sys = ss,
				     .port = {.done = svc_done, .ctx = in},
				     .rng = &in->rng,
				     .svc = set};
		in->pool = ss->client_pool;
		if (ss->model->connection_limit)
			in->limit = ss->model->connection_limit(ss);
		if (!in->svc->wl.nclasses)
			continue; /* nobody calls it */
		int err = sim_instance_new(&in->inst, &in->ctx);
		if (err < 0)
			return err;
		in->has_inst = true;
	}
	return 0;
}

void sim_svcset_release(struct sim_svcset *set)
{
	for (size_t i = 0; i < set->n; i++) {
		struct sim_svcinst *in = &set->v[i];
		if (in->has_inst)
			sim_instance_free(&in->inst);
		if (in->has_crng)
			sim_stream_release(&in->client_rng);
		if (in->has_rng)
			sim_stream_release(&in->rng);
		sim_hist_release(&in->lat);
		sim_hist_release(&in->pool_wait);
	}
	/* every record, in use or not (calls in progress at the end) */
	while (set->all_calls) {
		struct sim_calls *k = set->all_calls;
		set->all_calls = k->all;
		free(k);
	}
	free(set->v);
	free(set->tier);
	sim_hist_release(&set->h);
	*set = (struct sim_svcset){0};
}

void sim_svcset_reset_stats(struct sim_svcset *set, double now)
{
	set->measuring = 1;
	set->t_reset = now;
	set->lat = set->tail_lat = 0;
	memset(set->tier, 0, 2 * (T_SVC + set->n) * sizeof *set->tier);
	for (size_t i = 0; i < set->n; i++) {
		struct sim_svcinst *in = &set->v[i];
		in->sent = in->first = in->retries = in->completed = 0;
		in->hits = in->wasted = 0;
		in->pooled = in->waited = in->conn_refused = 0;
		in->open_peak = in->open;
		memset(in->errors, 0, sizeof in->errors);
		sim_hist_reset(&in->lat);
		sim_hist_reset(&in->pool_wait);
		if (in->has_inst)
			sim_model_reset_stats(&in->inst, now);
	}
}

/* Puts value under "services.NAME[.sub]" key; skips groups too long. */
static int put(struct sim_metrics *m, const char *svc, const char *sub,
	       const char *key, double v)
{
	char g[sizeof(((struct sim_metric *)0)->group)];
	int n = snprintf(g, sizeof g, "services.%s%s%s", svc, sub[0] ? "." : "",
			 sub);
	if (n < 0 || (size_t)n >= sizeof g)
		return 0;
	return sim_metrics_put(m, g, key, v);
}

void sim_svcset_report(struct sim_svcset *set, struct sim_metrics *m)
{
	double dt = set->s->now - set->t_reset;
	if (!set->measuring)
		dt = set->s->now;
	static const char *const tiers[] = {"cpu", "io", "waiting",
					    "pool_wait"};
	for (size_t k = 0; set->n && k < T_SVC + set->n; k++) {
		char key[40];
		if (k < T_SVC)
			snprintf(key, sizeof key, "%s", tiers[k]);
		else
			snprintf(key, sizeof key, "service_%s",
				 set->v[k - T_SVC].svc->sys.name);
		sim_metrics_put(m, "time_share.mean", key,
				set->lat > 0 ? set->tier[k] / set->lat : 0);
		sim_metrics_put(m, "time_share.p99", key,
				set->tail_lat > 0 ? set->tail[k] / set->tail_lat
						  : 0);
	}
	for (size_t i = 0; i < set->n; i++) {
		struct sim_svcinst *in = &set->v[i];
		const char *name = in->svc->sys.name;
		if (!in->has_inst)
			continue;
		put(m, name, "", "calls_rps", dt > 0 ? in->first / dt : 0);
		put(m, name, "", "attempts_rps", dt > 0 ? in->sent / dt : 0);
		put(m, name, "", "throughput_rps",
		    dt > 0 ? in->completed / dt : 0);
		put(m, name, "", "cache_hits_rps", dt > 0 ? in->hits / dt : 0);
		put(m, name, "", "wasted", (double)in->wasted);
		put(m, name, "", "retries", (double)in->retries);
		for (int o = 1; o < SIM_OUT_N; o++)
			put(m, name, "errors", sim_outcome_names[o],
			    (double)in->errors[o]);
		bool any = in->lat.n > 0;
		put(m, name, "latency_s", "mean",
		    any ? sim_hist_mean(&in->lat) : 0);
		put(m, name, "latency_s", "p50",
		    any ? sim_hist_quantile(&in->lat, 0.5) : 0);
		put(m, name, "latency_s", "p90",
		    any ? sim_hist_quantile(&in->lat, 0.9) : 0);
		put(m, name, "latency_s", "p99",
		    any ? sim_hist_quantile(&in->lat, 0.99) : 0);
		if (in->pooled || in->conn_refused) {
			bool w = in->pool_wait.n > 0;
			put(m, name, "pool", "wait_s_mean",
			    w ? sim_hist_mean(&in->pool_wait) : 0);
			put(m, name, "pool", "wait_s_p99",
			    w ? sim_hist_quantile(&in->pool_wait, 0.99) : 0);
			put(m, name, "pool", "waited_share",
			    in->pooled ? (double)in->waited / in->pooled : 0);
			put(m, name, "pool", "connections_peak", in->open_peak);
			put(m, name, "pool", "connections_refused",
			    (double)in->conn_refused);
		}
		/* the model's own figures (utilization, queues...) below */
		struct sim_metrics own = {0};
		sim_model_report(&in->inst, &own);
		for (size_t k = 0; k < own.n; k++)
			put(m, name, own.v[k].group, own.v[k].key,
			    own.v[k].value);
		sim_metrics_release(&own);
	}
}
