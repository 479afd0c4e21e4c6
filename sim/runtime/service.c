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
};

struct sim_calls {
	struct sim_svcset *set;
	struct sim_request *parent; /* NULL: the caller was killed */
	const struct sim_phase *ph;
	uint32_t left; /* slots not yet answered */
	uint8_t fail;
};

/* ------------------------------------------------------------ answers -- */

static void answer(struct sim_calls *k, enum sim_outcome o)
{
	if (o != SIM_OUT_OK && !k->fail)
		k->fail = (uint8_t)o;
	if (--k->left)
		return;
	struct sim_request *r = k->parent;
	struct sim *s = k->set->s;
	uint8_t fail = k->fail;
	free(k);
	if (!r)
		return;
	r->calls = NULL;
	if (fail && !r->fail)
		r->fail = fail;
	r->io_state = 0; /* io.c's IO_NONE */
	r->io_fn(s, r->io_obj, (uint64_t)(uintptr_t)r);
}

static void send_attempt(struct sim_calls *k, uint32_t j, uint8_t attempt);

struct retry_arg {
	struct sim_calls *k;
	uint32_t j;
	uint8_t attempt;
};

/* The backoff is over: attempt again, unless the caller is gone. */
static void retry_now(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	struct sim_calls *k = obj;
	uint32_t j = (uint32_t)(arg & 0xffffffffu);
	uint8_t attempt = (uint8_t)(arg >> 32);
	if (!k->parent)
		answer(k, SIM_OUT_KILLED);
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
	answer(k, o);
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
	struct sim_calls *k = r->caller;
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
		answer(k, o);
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
	failed(in, r->caller, r->slot, r->attempt, SIM_OUT_TIMEOUT);
}

static void send_attempt(struct sim_calls *k, uint32_t j, uint8_t attempt)
{
	struct sim_svcset *set = k->set;
	const struct sim_call *c = &k->ph->calls[j];
	struct sim_svcinst *in = &set->v[c->svc];
	struct sim_request *p = k->parent, *r = set->alloc.get(set->alloc.arg);
	if (!r) { /* the run is stopping */
		answer(k, SIM_OUT_KILLED);
		return;
	}
	r->id = p->id;
	r->client = p->client;
	r->t_first = r->t_sent = set->s->now;
	r->cls = (uint16_t)c->site;
	r->nphases = (uint8_t)c->nphases;
	r->attempt = attempt;
	r->caller = k;
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
		    sim_after(set->s, c->client.timeout, call_timeout, in,
			      (uint64_t)(uintptr_t)r);
	sim_model_submit(&in->inst, r);
}

/* A cache hit's wait is over. */
static void hit_done(struct sim *s, void *obj, uint64_t j)
{
	(void)s;
	(void)j;
	answer(obj, SIM_OUT_OK);
}

void sim_call_start(const struct sim_ctx *c, struct sim_request *r, sim_fn fn,
		    void *obj)
{
	struct sim_svcset *set = c->svc;
	const struct sim_phase *ph = &c->wl->classes[r->cls].phases[r->phase];
	struct sim_calls *k = malloc(sizeof *k);
	r->io_fn = fn;
	r->io_obj = obj;
	if (!k) { /* fails the request, as a process out of memory would */
		r->fail = SIM_OUT_KILLED;
		fn(c->s, obj, (uint64_t)(uintptr_t)r);
		return;
	}
	*k = (struct sim_calls){
	    .set = set, .parent = r, .ph = ph, .left = (uint32_t)ph->ncalls};
	r->calls = k;
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
		} else {
			send_attempt(k, j, 0);
		}
	}
}

void sim_call_abort(struct sim_request *r)
{
	if (r->calls)
		r->calls->parent = NULL;
	r->calls = NULL;
}

/* ----------------------------------------------------------- the set -- */

int sim_svcset_init(struct sim_svcset *set, struct sim *s,
		    const struct sim_scenario *sc, const struct sim_system *sys,
		    int rep, struct sim_svc_alloc alloc)
{
	*set = (struct sim_svcset){.s = s, .sc = sc, .alloc = alloc};
	if (!sc->nservices)
		return 0;
	set->v = calloc(sc->nservices, sizeof *set->v);
	if (!set->v)
		return SIM_ENOMEM;
	set->n = sc->nservices;
	for (size_t i = 0; i < set->n; i++) {
		struct sim_svcinst *in = &set->v[i];
		const struct sim_service *svc = &sc->services[i];
		char name[64];
		int err;
		in->set = set;
		in->svc = svc;
		if (sim_hist_init(&in->lat) < 0)
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
		in->ctx = (struct sim_ctx){.s = s,
					   .sc = sc,
					   .wl = &in->svc->wl,
					   .sys = ss,
					   .port = {svc_done, in},
					   .rng = &in->rng,
					   .svc = set};
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
	}
	free(set->v);
	*set = (struct sim_svcset){0};
}

void sim_svcset_reset_stats(struct sim_svcset *set, double now)
{
	set->measuring = 1;
	set->t_reset = now;
	for (size_t i = 0; i < set->n; i++) {
		struct sim_svcinst *in = &set->v[i];
		in->sent = in->first = in->retries = in->completed = 0;
		in->hits = in->wasted = 0;
		memset(in->errors, 0, sizeof in->errors);
		sim_hist_reset(&in->lat);
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
		/* the model's own figures (utilization, queues...) below */
		struct sim_metrics own = {0};
		sim_model_report(&in->inst, &own);
		for (size_t k = 0; k < own.n; k++)
			put(m, name, own.v[k].group, own.v[k].key,
			    own.v[k].value);
		sim_metrics_release(&own);
	}
}
