/*
 * read_workload.c - reads `workload:`: the arrival process and its
 * schedule or a closed loop, the client (timeout, retries), the request
 * classes and their phases, and the shared downstream pool.
 */
#include "scenario/read_workload.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/params.h"
#include "scenario/read_dist.h"
#include "scenario/read_services.h"
#include "scenario/read_systems.h"
#include "scenario/trace.h"

#define MAX_CLASSES 1000
#define MAX_PHASES  250
#define MAX_USERS   1e7
#define MAX_RETRIES 100

/* Enums are written through int pointers by the table reader. */
_Static_assert(sizeof(enum sim_arrival_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(enum sim_jitter) == sizeof(int), "enum size");

static const char *const arrival_names[] = {"poisson", "constant", "mmpp",
					    "diurnal", "trace",	   NULL};

const struct sim_param sim__arrival_params[] = {
    SIM_PARAM("process", SIM_PT_ENUM, struct sim_arrivals, kind,
	      .def = SIM_ARR_POISSON, .choices = arrival_names,
	      .help = "arrival process"),
    SIM_PARAM("rate", SIM_PT_RATE, struct sim_arrivals, rate, .min = 0,
	      .max = INFINITY, .flags = SIM_P_POSITIVE,
	      .help = "mean arrival rate"),
    SIM_PARAM("rate_off", SIM_PT_RATE, struct sim_arrivals, rate_off, .min = 0,
	      .max = INFINITY, .help = "mmpp: rate while off"),
    SIM_PARAM("mean_on", SIM_PT_DURATION, struct sim_arrivals, mean_on,
	      .min = 0, .max = SIM_MAX_SIM_TIME, .flags = SIM_P_POSITIVE,
	      .help = "mmpp: mean length of a burst"),
    SIM_PARAM("mean_off", SIM_PT_DURATION, struct sim_arrivals, mean_off,
	      .min = 0, .max = SIM_MAX_SIM_TIME, .flags = SIM_P_POSITIVE,
	      .help = "mmpp: mean time between bursts"),
    SIM_PARAM("period", SIM_PT_DURATION, struct sim_arrivals, period, .min = 0,
	      .max = SIM_MAX_SIM_TIME, .flags = SIM_P_POSITIVE,
	      .help = "diurnal: period of the cycle"),
    SIM_PARAM("amplitude", SIM_PT_DOUBLE, struct sim_arrivals, amplitude,
	      .def = 0.5, .min = 0, .max = 1,
	      .help = "diurnal: relative swing of the rate"),
    SIM_PARAM("file", SIM_PT_STRING, struct sim_arrivals, file,
	      .help = "trace: CSV written by `concsim trace`"),
    SIM_PARAM("speed", SIM_PT_DOUBLE, struct sim_arrivals, speed, .def = 1,
	      .min = 0, .max = 1e6, .flags = SIM_P_POSITIVE,
	      .help = "trace: replay speed factor"),
};

#define A(k)  (1u << SIM_ARR_##k)
#define A_ALL (A(POISSON) | A(CONSTANT) | A(MMPP) | A(DIURNAL) | A(TRACE))
/* Which processes each key of sim__arrival_params (then schedule) goes with. */
static const struct {
	unsigned allow, need;
} arrival_rules[] = {
    {A_ALL, 0},		{A_ALL & ~A(TRACE), A_ALL & ~A(TRACE)},
    {A(MMPP), 0},	{A(MMPP), A(MMPP)},
    {A(MMPP), A(MMPP)}, {A(DIURNAL), A(DIURNAL)},
    {A(DIURNAL), 0},	{A(TRACE), A(TRACE)},
    {A(TRACE), 0},
};
_Static_assert(NELEM(arrival_rules) == NELEM(sim__arrival_params), "rules");

const struct sim_param sim__step_params[] = {
    SIM_PARAM("at", SIM_PT_DURATION, struct sim_rate_step, at, .min = 0,
	      .max = SIM_MAX_SIM_TIME, .flags = SIM_P_REQUIRED,
	      .help = "time of the change"),
    SIM_PARAM("rate", SIM_PT_RATE, struct sim_rate_step, rate, .min = 0,
	      .max = INFINITY, .help = "rate from then on"),
    SIM_PARAM("scale", SIM_PT_DOUBLE, struct sim_rate_step, scale, .min = 0,
	      .max = 1e6,
	      .help = "rate from then on as a multiple of the base rate"),
};

static void read_schedule(struct sim_load *l, const struct sim_ynode *v,
			  struct sim_arrivals *a)
{
	if (!sim__expect_kind(l, "schedule", v, SIM_Y_SEQ) || !v->n)
		return;
	if (!(a->schedule = calloc(v->n, sizeof(*a->schedule)))) {
		sim__nomem(l);
		return;
	}
	a->nschedule = v->n;
	for (size_t i = 0; i < v->n && !sim__give_up(l); i++) {
		const struct sim_ynode *e = v->vals[i];
		struct section sec = {sim__step_params, NELEM(sim__step_params),
				      &a->schedule[i], NULL};
		int nerr = l->nerr;
		if (!sim__expect_kind(l, "schedule", e, SIM_Y_MAP))
			continue;
		sim__read_table(l, e, &sec, 1, NULL, "in a schedule entry",
				NULL);
		struct sim_rate_step *st = &a->schedule[i];
		const struct sim_ynode *rt = sim_ymap_get(e, "rate", NULL),
				       *sc = sim_ymap_get(e, "scale", NULL);
		st->mark = e->mark;
		st->scaled = sc != NULL;
		if (l->nerr == nerr && !rt == !sc)
			sim__error(l, (rt && sc) ? sc->mark : e->mark,
				   "%s in a schedule entry: give either 'rate' "
				   "(e.g. rate: 1000/s) or 'scale' (a multiple "
				   "of the base rate, e.g. scale: 1.5)",
				   rt ? "both 'rate' and 'scale'"
				      : "missing key 'rate'");
		else if (l->nerr == nerr && rt && l->rate_set)
			sim__warning(l, rt->mark,
				     "'rate': this schedule step stays at an "
				     "absolute rate while the base rate "
				     "(workload.arrivals.rate) is overridden; "
				     "write 'scale: F' to make it follow");
		if (l->nerr == nerr && i > 0 &&
		    a->schedule[i].at <= a->schedule[i - 1].at) {
			const struct sim_ynode *at =
			    sim_ymap_get(e, "at", NULL);
			sim__error(
			    l, at->mark,
			    "'at': schedule times must increase, got %s "
			    "after %s",
			    sim__got(at).s,
			    sim__got(sim_ymap_get(v->vals[i - 1], "at", NULL))
				.s);
		}
	}
}

static void read_arrivals(struct sim_load *l, const struct sim_ynode *v,
			  struct sim_arrivals *a)
{
	static const char *const extra[] = {"schedule", NULL};
	bool given[NELEM(sim__arrival_params)] = {false};
	struct section sec = {sim__arrival_params, NELEM(sim__arrival_params),
			      a, given};
	int nerr = l->nerr;
	a->mark = v ? v->mark : a->mark;
	if (!sim__expect_kind(l, "arrivals", v, SIM_Y_MAP))
		return;
	sim__read_table(l, v, &sec, 1, extra, "in 'workload.arrivals'", NULL);
	const char *proc = arrival_names[a->kind];
	for (size_t i = 0; l->nerr == nerr && i < NELEM(sim__arrival_params);
	     i++) {
		size_t k;
		if (given[i] && !(arrival_rules[i].allow & (1u << a->kind))) {
			sim_ymap_get(v, sim__arrival_params[i].key, &k);
			sim__error(l, v->keys[k]->mark,
				   "'%s' does not apply to process '%s'",
				   sim__arrival_params[i].key, proc);
		} else if (!given[i] &&
			   (arrival_rules[i].need & (1u << a->kind)))
			sim__error(l, v->mark,
				   "missing key '%s' in 'workload.arrivals' "
				   "(process '%s' needs it)",
				   sim__arrival_params[i].key, proc);
	}
	size_t si;
	const struct sim_ynode *s = sim_ymap_get(v, "schedule", &si);
	if (s && a->kind == SIM_ARR_TRACE)
		sim__error(l, v->keys[si]->mark,
			   "'schedule' does not apply to process 'trace'");
	else if (s)
		read_schedule(l, s, a);
	for (size_t i = 0; i < a->nschedule; i++)
		if (a->schedule[i].scaled)
			a->schedule[i].rate = a->schedule[i].scale * a->rate;
	if (a->file && l->nerr == nerr) {
		char *path = sim__resolve(l, "file", a->file,
					  sim_ymap_get(v, "file", NULL));
		free(a->file);
		a->file = path;
	}
}

struct closed_spec {
	int users;
	struct sim_dist think;
	bool co;
};

const struct sim_param sim__closed_params[] = {
    SIM_PARAM("users", SIM_PT_INT, struct closed_spec, users, .min = 1,
	      .max = MAX_USERS, .flags = SIM_P_REQUIRED,
	      .help = "closed loop: number of users"),
    SIM_PARAM("think", SIM_PT_DIST, struct closed_spec, think,
	      .help =
		  "closed loop: think time between requests (default none)"),
    SIM_PARAM("coordinated_omission", SIM_PT_BOOL, struct closed_spec, co,
	      .min = 0, .max = 1,
	      .help = "also run an open workload at the achieved throughput "
		      "and report the gap"),
};

/* A round trip over a geostationary satellite, the longest a client
 * usually sees, is 4 x 35,786 km at the speed of light, 0.48 s, before the
 * ground's share; 10 s is beyond any network's and catches a duration
 * written as if in ms. */
#define MAX_RTT 10.0

static const char *const jitter_names[] = {"none", "full", "equal", NULL};

const struct sim_param sim__client_params[] = {
    SIM_PARAM("timeout", SIM_PT_DURATION, struct sim_client, timeout, .min = 0,
	      .max = SIM_MAX_SIM_TIME, .help = "client timeout; 0 = none"),
    SIM_PARAM("cancel", SIM_PT_BOOL, struct sim_client, cancel, .min = 0,
	      .max = 1, .help = "server drops abandoned work"),
    SIM_PARAM("deadline", SIM_PT_DURATION, struct sim_client, deadline,
	      .min = 0, .max = SIM_MAX_SIM_TIME,
	      .help = "goodput deadline; 0 = the timeout"),
    /* the writer puts it only when set: a scenario without it is
     * written, and hashed, as before the key existed */
    SIM_PARAM("rtt", SIM_PT_DURATION, struct sim_client, rtt, .def = 0,
	      .min = 0, .max = MAX_RTT, .flags = SIM_P_UNLESS_DEFAULT,
	      .help = "the clients' network round trip: a request reaches "
		      "the server 1.5 rtt after it is sent on a new "
		      "connection (2.5 with TLS), 0.5 on a kept-alive one, "
		      "its answer the client 0.5 after; 0 = none"),
    /* a load generator's core is taken by other work now and then, as
     * the servers' are (the host's stall_rate): scripts/validate-real.sh
     * measures both (scripts/calibrate/stallprobe.c) */
    SIM_PARAM("stall_rate", SIM_PT_RATE, struct sim_client, stall_rate,
	      .def = 0, .min = 0, .max = 1000, .flags = SIM_P_UNLESS_DEFAULT,
	      .help = "how often the clients' machine stops, per second: a "
		      "request sent or an answer received while it is "
		      "stopped waits for the end (with rtt); 0 = never"),
    SIM_PARAM("stall_time", SIM_PT_DIST, struct sim_client, stall_time,
	      .help = "how long the clients' machine stops (with "
		      "stall_rate)"),
};

const struct sim_param sim__retry_params[] = {
    SIM_PARAM("max", SIM_PT_INT, struct sim_client, retries, .min = 0,
	      .max = MAX_RETRIES, .flags = SIM_P_REQUIRED,
	      .help = "extra attempts after the first"),
    SIM_PARAM("backoff", SIM_PT_DURATION, struct sim_client, backoff,
	      .def = 0.1, .min = 0, .max = SIM_MAX_SIM_TIME,
	      .help = "first backoff"),
    SIM_PARAM("multiplier", SIM_PT_DOUBLE, struct sim_client, multiplier,
	      .def = 2, .min = 1, .max = 1e6,
	      .help = "backoff growth per attempt"),
    SIM_PARAM("jitter", SIM_PT_ENUM, struct sim_client, jitter,
	      .def = SIM_JITTER_FULL, .choices = jitter_names,
	      .help = "backoff jitter"),
    SIM_PARAM("budget", SIM_PT_DOUBLE, struct sim_client, retry_budget,
	      .min = 0, .max = 1,
	      .help = "max retries per request; 0 = unlimited"),
};

/* `retries` (r; NULL: the defaults stay): a map of sim__retry_params
 * read through rsec, or a whole number, its `max`. */
static void read_retries(struct sim_load *l, const struct sim_ynode *r,
			 struct section *rsec, const char *where)
{
	if (r && r->kind == SIM_Y_MAP)
		sim__read_table(l, r, rsec, 1, NULL, where, NULL);
	else if (sim__is_scalar(r))
		sim__read_value(l, &sim__retry_params[0], r, rsec->base, NULL);
	else if (r)
		sim__error(l, r->mark,
			   "'retries': expected a whole number or a map "
			   "{max, backoff, ...}, got %s",
			   sim__got(r).s);
}

static void read_client(struct sim_load *l, const struct sim_ynode *v,
			struct sim_client *c)
{
	static const char *const extra[] = {"retries", NULL};
	struct section sec = {sim__client_params, NELEM(sim__client_params), c,
			      NULL};
	struct section rsec = {sim__retry_params, NELEM(sim__retry_params), c,
			       NULL};
	const struct sim_ynode *r = sim_ymap_get(v, "retries", NULL);
	if (v && !sim__expect_kind(l, "client", v, SIM_Y_MAP))
		return;
	int nerr = l->nerr;
	sim__read_table(l, v, &sec, 1, extra, "in 'workload.client'", NULL);
	sim__read_table(l, NULL, &rsec, 1, NULL, "", NULL); /* defaults */
	read_retries(l, r, &rsec, "in 'workload.client.retries'");
	const struct sim_ynode *st = sim_ymap_get(v, "stall_rate", NULL);
	if (l->nerr > nerr || !st || !(c->stall_rate > 0))
		return;
	if (!(c->stall_time.mean > 0))
		sim__error(l, st->mark,
			   "'stall_rate': needs 'stall_time' above 0 in "
			   "'workload.client', how long a stall lasts (e.g. "
			   "{ dist: exponential, mean: 2ms })");
	else if (!(c->rtt > 0))
		sim__error(l, st->mark,
			   "'stall_rate': needs 'rtt' in 'workload.client' "
			   "(a stall holds the client's requests and answers "
			   "on their way)");
}

struct class_spec {
	char *name;
	double weight;
	int handler;
};

static const char *const handler_names[] = {"async", "sync", NULL};

const struct sim_param sim__class_params[] = {
    SIM_PARAM("name", SIM_PT_STRING, struct class_spec, name,
	      .flags = SIM_P_REQUIRED, .help = "class name"),
    SIM_PARAM("weight", SIM_PT_DOUBLE, struct class_spec, weight, .def = 1,
	      .min = 0, .max = 1e12, .flags = SIM_P_POSITIVE,
	      .help = "relative share of requests"),
    SIM_PARAM("handler", SIM_PT_ENUM, struct class_spec, handler,
	      .choices = handler_names,
	      .help = "sync handlers run in a threadpool on async models"),
};

const char *const sim_phase_names[] = {"cpu",  "io",	   "pool",
				       "call", "parallel", NULL};

/* The items of the list `key` (1 to max `items`), zeroed, v->n of `size`
 * bytes each. Returns them (the caller frees) or NULL after an error. */
static void *alloc_list(struct sim_load *l, const char *key,
			const struct sim_ynode *v, int max, const char *items,
			size_t size)
{
	void *p;
	if (!sim__expect_kind(l, key, v, SIM_Y_SEQ))
		return NULL;
	if (v->n == 0 || v->n > (size_t)max) {
		sim__error(l, v->mark, "'%s': expected 1 to %d %s, got %zu",
			   key, max, items, v->n);
		return NULL;
	}
	if (!(p = calloc(v->n, size)))
		return sim__nomem(l);
	return p;
}

/* ------------------------------------------------------------- calls -- */

/* Deepest nesting of calls (a gateway calling a service calling a
 * database is 3). */
#define MAX_CALL_DEPTH SIM_MAX_CALL_DEPTH
/* Calls one `parallel` fans out to. */
#define MAX_FANOUT 64

struct call_spec {
	char *service;
	int handler;
	int pool;
	double hit;
	struct sim_dist hit_cost;
};

const struct sim_param sim__call_params[] = {
    SIM_PARAM("service", SIM_PT_STRING, struct call_spec, service,
	      .flags = SIM_P_REQUIRED, .help = "the service called"),
    SIM_PARAM("handler", SIM_PT_ENUM, struct call_spec, handler,
	      .choices = handler_names,
	      .help = "the service's handler: async or sync (def)"),
    /* SQLAlchemy's QueuePool keeps pool_size = 5 connections and opens
     * up to max_overflow = 10 more under load (docs.sqlalchemy.org,
     * "Engine Configuration", create_engine); node-postgres's Pool holds
     * at most max = 10 clients (node-postgres.com/apis/pool; lib/defaults.js
     * `max: 10`). A process waits for a free one. */
    SIM_PARAM("pool", SIM_PT_INT, struct call_spec, pool, .min = 0,
	      .max = 100000,
	      .help = "connections each calling process keeps to the service "
		      "(pool_size + max_overflow, pg max); 0 = none"),
    SIM_PARAM("hit", SIM_PT_DOUBLE, struct call_spec, hit, .min = 0, .max = 1,
	      .help = "cache hit probability: a hit skips the call"),
    SIM_PARAM("hit_cost", SIM_PT_DIST, struct call_spec, hit_cost,
	      .help = "a cache hit's wait (a cache round trip); default 0"),
};
const size_t sim__ncall_params = NELEM(sim__call_params);

static void read_phase_list(struct sim_load *l, const struct sim_ynode *v,
			    struct sim_phase **out, size_t *n, int depth,
			    bool sync);

/* The call's client: the client layer's timeout and retries (same keys as
 * workload.client, no cancellation, no deadline). */
static void read_call_client(struct sim_load *l, const struct sim_ynode *v,
			     struct sim_client *c)
{
	const struct sim_ynode *t = sim_ymap_get(v, "timeout", NULL);
	const struct sim_ynode *r = sim_ymap_get(v, "retries", NULL);
	struct section rsec = {sim__retry_params, NELEM(sim__retry_params), c,
			       NULL};
	*c = (struct sim_client){0};
	sim__read_table(l, NULL, &rsec, 1, NULL, "", NULL); /* defaults */
	if (t)
		sim__read_value(l, &sim__client_params[0], t, c, NULL);
	read_retries(l, r, &rsec, "in a call's 'retries'");
}

static void read_call(struct sim_load *l, const struct sim_ynode *v,
		      struct sim_call *c, int depth)
{
	static const char *const extra[] = {"phases", "timeout", "retries",
					    NULL};
	struct call_spec cs = {0};
	struct section sec = {sim__call_params, sim__ncall_params, &cs, NULL};
	c->mark = v->mark;
	if (!sim__expect_kind(l, "call", v, SIM_Y_MAP))
		return;
	if (depth > MAX_CALL_DEPTH) {
		sim__error(l, v->mark,
			   "'call': calls nested %d deep; at most %d "
			   "services can call one another in a chain",
			   depth, MAX_CALL_DEPTH);
		return;
	}
	sim__read_table(l, v, &sec, 1, extra, "in a call", NULL);
	c->service = cs.service;
	c->sync = cs.handler == 1;
	c->pool = cs.pool;
	c->hit = cs.hit;
	c->hit_cost = cs.hit_cost;
	read_call_client(l, v, &c->client);
	const struct sim_ynode *p = sim_ymap_get(v, "phases", NULL);
	if (!p)
		sim__error(l, v->mark,
			   "missing key 'phases' in a call (what the service "
			   "does for it)");
	else
		read_phase_list(l, p, &c->phases, &c->nphases, depth + 1,
				c->sync);
}

/* A phase `call: {...}` (one call) or `parallel: [ {call: ...}, ... ]`. */
static void read_calls(struct sim_load *l, const struct sim_ynode *key,
		       const struct sim_ynode *v, struct sim_phase *ph,
		       int depth, bool sync)
{
	if (ph->kind == SIM_PHASE_CALL) {
		if (!(ph->calls = calloc(1, sizeof *ph->calls))) {
			sim__nomem(l);
			return;
		}
		ph->ncalls = 1;
		read_call(l, v, ph->calls, depth);
		return;
	}
	if (sync) {
		sim__error(l, key->mark,
			   "'parallel' in a sync handler (handler: sync): a "
			   "`def` handler makes its calls one after another; "
			   "use separate call phases, or an async handler");
		return;
	}
	if (!(ph->calls = alloc_list(l, "parallel", v, MAX_FANOUT, "calls",
				     sizeof *ph->calls)))
		return;
	ph->ncalls = v->n;
	for (size_t i = 0; i < v->n && !sim__give_up(l); i++) {
		const struct sim_ynode *e = v->vals[i];
		if (e->kind != SIM_Y_MAP || e->n != 1 ||
		    strcmp(e->keys[0]->text, "call")) {
			sim__error(l, e->mark,
				   "'parallel': expected a list of "
				   "{ call: {...} }, got %s",
				   sim__got(e).s);
			continue;
		}
		read_call(l, e->vals[0], &ph->calls[i], depth);
	}
}

void sim__release_phases(struct sim_phase *ph, size_t n)
{
	for (size_t j = 0; ph && j < n; j++) {
		sim_dist_release(&ph[j].dist);
		for (size_t k = 0; k < ph[j].ncalls; k++) {
			struct sim_call *c = &ph[j].calls[k];
			free(c->service);
			sim_dist_release(&c->hit_cost);
			sim__release_phases(c->phases, c->nphases);
		}
		free(ph[j].calls);
	}
	free(ph);
}

/* ------------------------------------------------------------ phases -- */

static void read_phase_list(struct sim_load *l, const struct sim_ynode *v,
			    struct sim_phase **out, size_t *n, int depth,
			    bool sync)
{
	struct sim_phase *phases;
	if (!(phases = alloc_list(l, "phases", v, MAX_PHASES, "phases",
				  sizeof(*phases))))
		return;
	*out = phases;
	*n = v->n;
	for (size_t i = 0; i < v->n && !sim__give_up(l); i++) {
		const struct sim_ynode *p = v->vals[i];
		struct sim_phase *ph = &phases[i];
		int k = 0;
		if (p->kind != SIM_Y_MAP || p->n != 1) {
			sim__error(l, p->mark,
				   "a phase is a map with one key (cpu, io, "
				   "pool, call or parallel), got %s",
				   p->kind != SIM_Y_MAP ? sim__got(p).s
				   : p->n		? "several keys"
							: "an empty map");
			continue;
		}
		while (sim_phase_names[k] &&
		       strcmp(sim_phase_names[k], p->keys[0]->text))
			k++;
		if (!sim_phase_names[k]) {
			const char *best = NULL;
			size_t bestd = SIZE_MAX;
			char hint[96];
			for (k = 0; sim_phase_names[k]; k++)
				sim__consider(p->keys[0]->text,
					      sim_phase_names[k], &best,
					      &bestd);
			sim__error(l, p->keys[0]->mark,
				   "unknown phase kind '%s'; expected cpu, io, "
				   "pool, call or parallel%s",
				   sim__word(p->keys[0]->text).s,
				   sim__suggest(hint, sizeof(hint), best));
			continue;
		}
		ph->kind = (enum sim_phase_kind)k;
		ph->on_cpu =
		    ph->kind == SIM_PHASE_CPU || ph->kind == SIM_PHASE_POOL;
		if (ph->kind >= SIM_PHASE_CALL)
			read_calls(l, p->keys[0], p->vals[0], ph, depth, sync);
		else if (ph->kind == SIM_PHASE_POOL)
			sim__read_dist(l, sim_phase_names[k], p->vals[0],
				       &ph->dist, sim__dist_cpu_param,
				       &ph->on_cpu);
		else if (ph->kind == SIM_PHASE_IO)
			sim__read_dist(l, sim_phase_names[k], p->vals[0],
				       &ph->dist, sim__dist_downstream_param,
				       &ph->downstream);
		else
			sim__read_dist(l, sim_phase_names[k], p->vals[0],
				       &ph->dist, NULL, NULL);
	}
}

void sim__read_phases(struct sim_load *l, const struct sim_ynode *v,
		      struct sim_class *c)
{
	if (!v) {
		sim__error(l, c->mark, "missing key 'phases' in class '%s'",
			   c->name ? c->name : "?");
		return;
	}
	read_phase_list(l, v, &c->phases, &c->nphases, 1, c->sync);
}

static void read_classes(struct sim_load *l, const struct sim_ynode *v,
			 struct sim_workload *w)
{
	static const char *const extra[] = {"phases", NULL};
	if (!(w->classes = alloc_list(l, "classes", v, MAX_CLASSES,
				      "request classes", sizeof(*w->classes))))
		return;
	w->nclasses = v->n;
	for (size_t i = 0; i < v->n && !sim__give_up(l); i++) {
		const struct sim_ynode *e = v->vals[i];
		struct sim_class *c = &w->classes[i];
		struct class_spec cs = {0};
		struct section sec = {sim__class_params,
				      NELEM(sim__class_params), &cs, NULL};
		char where[320];
		c->mark = e->mark;
		if (!sim__expect_kind(l, "classes", e, SIM_Y_MAP))
			continue;
		const struct sim_ynode *n = sim_ymap_get(e, "name", NULL);
		snprintf(where, sizeof(where), "in class %s",
			 sim__is_scalar(n) ? sim__got(n).s : "(unnamed)");
		sim__read_table(l, e, &sec, 1, extra, where, NULL);
		c->name = cs.name;
		c->weight = cs.weight;
		c->sync = cs.handler == 1;
		if (c->name && !c->name[0])
			sim__error(l, n->mark, "'name': must not be empty");
		sim__read_phases(l, sim_ymap_get(e, "phases", NULL), c);
	}
	sim__check_names(l, "class", v, &w->classes[0].name,
			 sizeof(struct sim_class));
}

const struct sim_param sim__downstream_params[] = {
    SIM_PARAM("connections", SIM_PT_INT, struct sim_downstream, connections,
	      .min = 1, .max = 1000000, .flags = SIM_P_REQUIRED,
	      .help = "connections of the shared pool"),
};

bool sim__read_workload(struct sim_load *l, const struct sim_ynode *v,
			struct sim_workload *w)
{
	static const char *const extra[] = {
	    "arrivals",	  "classes",	 "client",   "closed",
	    "downstream", "connections", "sessions", NULL};
	const struct sim_ynode *a, *c, *n;
	if (!sim__expect_kind(l, "workload", v, SIM_Y_MAP))
		return false;
	sim__read_table(l, v, NULL, 0, extra, "in 'workload'", NULL);
	a = sim_ymap_get(v, "arrivals", NULL);
	c = sim_ymap_get(v, "closed", NULL);
	if (a && c) {
		size_t i;
		sim_ymap_get(v, "closed", &i);
		sim__error(l, v->keys[i]->mark,
			   "'workload': give either 'arrivals' or 'closed', "
			   "not both");
	} else if (!a && !c)
		sim__error(l, v->mark,
			   "missing key 'arrivals' (open workload) or 'closed' "
			   "(closed loop) in 'workload'");
	else if (a)
		read_arrivals(l, a, &w->arrivals);
	else if (sim__expect_kind(l, "closed", c, SIM_Y_MAP)) {
		struct closed_spec cs = {0};
		struct section sec = {sim__closed_params,
				      NELEM(sim__closed_params), &cs, NULL};
		sim__read_table(l, c, &sec, 1, NULL, "in 'workload.closed'",
				NULL);
		w->closed.users = (uint32_t)cs.users;
		w->closed.think = cs.think;
		w->closed.coordinated_omission = cs.co;
		w->arrivals.mark = c->mark;
	}
	read_client(l, sim_ymap_get(v, "client", NULL), &w->client);
	if (!(n = sim_ymap_get(v, "classes", NULL)))
		sim__error(l, v->mark, "missing key 'classes' in 'workload'");
	else
		read_classes(l, n, w);
	if ((n = sim_ymap_get(v, "downstream", NULL)) &&
	    sim__expect_kind(l, "downstream", n, SIM_Y_MAP)) {
		struct section sec = {sim__downstream_params, 1, &w->downstream,
				      NULL};
		sim__read_table(l, n, &sec, 1, NULL, "in 'workload.downstream'",
				NULL);
	}
	return true;
}

void sim__check_trace(struct sim_load *l, const struct sim_workload *w)
{
	/* a replayed trace must fit the classes: check every row now, so
	 * that `run` never stops half-way on a bad one */
	if (w->arrivals.kind == SIM_ARR_TRACE && w->arrivals.file &&
	    w->nclasses && l->nerr == 0) {
		int rc = sim_trace_check(w->arrivals.file, w, l->err);
		if (rc == SIM_ENOMEM)
			l->rc = SIM_ENOMEM;
		else if (rc < 0)
			l->nerr++;
	}
}

const size_t sim__narrival_params = NELEM(sim__arrival_params);
const size_t sim__nclient_params = NELEM(sim__client_params);
const size_t sim__nretry_params = NELEM(sim__retry_params);
const size_t sim__nstep_params = NELEM(sim__step_params);
const size_t sim__nclosed_params = NELEM(sim__closed_params);
const size_t sim__nclass_params = NELEM(sim__class_params);
const size_t sim__ndownstream_params = NELEM(sim__downstream_params);

bool sim__arrival_key_applies(size_t i, enum sim_arrival_kind kind)
{
	return arrival_rules[i].allow & (1u << kind);
}
