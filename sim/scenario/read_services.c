/*
 * read_services.c - reads `services:` (a name -> a system definition, any
 * model), each system's `services:` overrides (systems.NAME.services.SVC.KEY
 * over the service's own keys), and links the calls: every `call` names a
 * service that exists (with a "did you mean"), no service calls itself
 * through a chain (A -> B -> A), each call becomes a class of its
 * service's workload (a call site), and the demand slots are laid out
 * (config.h, struct sim_call).
 */
#include "scenario/read_services.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/params.h"
#include "scenario/read_systems.h"

#define MAX_SERVICES 64
/* A service's name goes into metric groups ("services.NAME.latency_s"). */
#define MAX_SERVICE_NAME 20
/* Demand slots of one request, its calls' included. */
#define MAX_DEMANDS 4096

struct pool_spec {
	int pool;
};

const struct sim_param sim__service_pool_param[] = {
    SIM_PARAM("pool", SIM_PT_INT, struct pool_spec, pool, .min = 0,
	      .max = 100000,
	      .help = "connections each calling process keeps to it"),
};

/* Reads a service definition v as a system, its `pool` key aside. */
static void read_service_system(struct sim_load *l, const struct sim_ynode *v,
				struct sim_system *sys, const char *name)
{
	struct sim_ynode copy;
	const struct sim_ynode *pn = NULL;
	if (v->kind == SIM_Y_MAP && (pn = sim_ymap_get(v, "pool", NULL))) {
		copy = *v;
		copy.keys = calloc(v->n, sizeof *copy.keys);
		copy.vals = calloc(v->n, sizeof *copy.vals);
		if (!copy.keys || !copy.vals) {
			free(copy.keys);
			free(copy.vals);
			sim__nomem(l);
			return;
		}
		copy.n = 0;
		for (size_t i = 0; i < v->n; i++)
			if (strcmp(v->keys[i]->text, "pool")) {
				copy.keys[copy.n] = v->keys[i];
				copy.vals[copy.n++] = v->vals[i];
			}
		v = &copy;
	}
	sim__read_system(l, "services", v, sys, name, false);
	if (pn) {
		struct pool_spec ps = {0};
		sim__read_value(l, sim__service_pool_param, pn, &ps, NULL);
		sys->client_pool = ps.pool;
		free(copy.keys);
		free(copy.vals);
	}
}

void sim__read_services(struct sim_load *l, const struct sim_ynode *v,
			struct sim_scenario *sc)
{
	if (!sim__expect_kind(l, "services", v, SIM_Y_MAP))
		return;
	if (v->n > MAX_SERVICES) {
		sim__error(l, v->mark, "'services': %zu services; at most %d",
			   v->n, MAX_SERVICES);
		return;
	}
	if (v->n == 0)
		return;
	if (!(sc->services = calloc(v->n, sizeof *sc->services))) {
		sim__nomem(l);
		return;
	}
	sc->nservices = v->n;
	for (size_t i = 0; i < v->n && !sim__give_up(l); i++) {
		const struct sim_ynode *k = v->keys[i];
		struct sim_service *svc = &sc->services[i];
		svc->mark = k->mark;
		if (strchr(k->text, '.') ||
		    strlen(k->text) > MAX_SERVICE_NAME || !k->text[0]) {
			sim__error(l, k->mark,
				   "'services': a service name has 1 to %d "
				   "characters and no '.', got %s",
				   MAX_SERVICE_NAME, sim__got(k).s);
			continue;
		}
		if (sim_ymap_get(v->vals[i], "name", NULL)) {
			size_t j;
			sim_ymap_get(v->vals[i], "name", &j);
			sim__error(l, v->vals[i]->keys[j]->mark,
				   "'name': a service is named by its key "
				   "under 'services'");
			continue;
		}
		read_service_system(l, v->vals[i], &svc->sys, k->text);
	}
}

/* The index of the service named `name`, or -1 after an error at m. */
static long find_service(struct sim_load *l, const struct sim_scenario *sc,
			 const char *name, struct sim_mark m)
{
	const char *best = NULL;
	size_t bestd = SIZE_MAX;
	char hint[96];
	for (size_t i = 0; i < sc->nservices; i++) {
		if (sc->services[i].sys.name &&
		    !strcmp(sc->services[i].sys.name, name))
			return (long)i;
		if (sc->services[i].sys.name)
			sim__consider(name, sc->services[i].sys.name, &best,
				      &bestd);
	}
	if (!sc->nservices)
		sim__error(l, m,
			   "'service': unknown service '%s'; define it under "
			   "the top-level 'services:'",
			   sim__word(name).s);
	else
		sim__error(l, m, "'service': unknown service '%s'%s",
			   sim__word(name).s,
			   sim__suggest(hint, sizeof hint, best));
	return -1;
}

/* systems.NAME.services: each SVC's keys over the service's own. */
static void read_overrides(struct sim_load *l, const struct sim_ynode *v,
			   const struct sim_ynode *services,
			   struct sim_scenario *sc, struct sim_system *sys)
{
	if (!sim__expect_kind(l, "services", v, SIM_Y_MAP))
		return;
	if (!(sys->svc = calloc(sc->nservices + 1, sizeof *sys->svc))) {
		sim__nomem(l);
		return;
	}
	for (size_t i = 0; i < v->n && !sim__give_up(l); i++) {
		long j =
		    find_service(l, sc, v->keys[i]->text, v->keys[i]->mark);
		const struct sim_ynode *o = v->vals[i];
		if (j < 0 || !sim__expect_kind(l, "services", o, SIM_Y_MAP))
			continue;
		const struct sim_ynode *base =
		    sim_ymap_get(services, v->keys[i]->text, NULL);
		if (!base || base->kind != SIM_Y_MAP)
			continue;
		/* the service's keys that the override does not give, then
		 * the override's: one map read as a system; an override that
		 * names a model is a new definition */
		bool own = sim_ymap_get(o, "model", NULL) != NULL;
		size_t n = base->n + o->n, m = 0;
		struct sim_ynode merged = *base;
		merged.keys = calloc(n, sizeof *merged.keys);
		merged.vals = calloc(n, sizeof *merged.vals);
		struct sim_system *ss = calloc(1, sizeof *ss);
		if (!merged.keys || !merged.vals || !ss) {
			free(merged.keys);
			free(merged.vals);
			free(ss);
			sim__nomem(l);
			return;
		}
		for (size_t k = 0; k < base->n && !own; k++)
			if (!sim_ymap_get(o, base->keys[k]->text, NULL)) {
				merged.keys[m] = base->keys[k];
				merged.vals[m++] = base->vals[k];
			}
		for (size_t k = 0; k < o->n; k++) {
			merged.keys[m] = o->keys[k];
			merged.vals[m++] = o->vals[k];
		}
		merged.n = m;
		merged.mark = o->mark;
		sim__free_system(sys->svc[j]);
		sys->svc[j] = ss;
		read_service_system(l, &merged, ss, sc->services[j].sys.name);
		free(merged.keys);
		free(merged.vals);
	}
}

struct linker {
	struct sim_load *l;
	struct sim_scenario *sc;
	long path[SIM_MAX_CALL_DEPTH + 2]; /* services on the call chain */
	int depth;
};

/* Adds call c as a class of its service's workload. */
static int add_site(struct linker *k, struct sim_call *c)
{
	struct sim_workload *w = &k->sc->services[c->svc].wl;
	struct sim_class *cl =
	    realloc(w->classes, (w->nclasses + 1) * sizeof *cl);
	if (!cl)
		return sim__nomem(k->l), -1;
	w->classes = cl;
	c->site = w->nclasses;
	cl[w->nclasses++] = (struct sim_class){.name = c->service,
					       .weight = 1,
					       .sync = c->sync,
					       .phases = c->phases,
					       .nphases = c->nphases,
					       .ndemands = c->len,
					       .mark = c->mark};
	return 0;
}

/* Resolves the calls of a phase list, checks for cycles, and lays out its
 * demand slots; returns how many (or 0 after an error). */
static size_t link_list(struct linker *k, struct sim_phase *ph, size_t n)
{
	size_t pos = n;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < ph[i].ncalls; j++) {
			struct sim_call *c = &ph[i].calls[j];
			if (!c->service)
				return 0;
			long s = find_service(k->l, k->sc, c->service, c->mark);
			if (s < 0)
				return 0;
			for (int d = 0; d < k->depth; d++)
				if (k->path[d] == s) {
					char chain[512];
					size_t len = 0;
					for (int e = d; e < k->depth; e++)
						len += (size_t)snprintf(
						    chain + len,
						    sizeof chain - len,
						    "%s -> ",
						    k->sc->services[k->path[e]]
							.sys.name);
					sim__error(k->l, c->mark,
						   "'service': a cycle of "
						   "calls: %s%s",
						   chain,
						   sim__word(c->service).s);
					return 0;
				}
			c->svc = (size_t)s;
			struct sim_service *svc = &k->sc->services[s];
			if (svc->depth < k->depth + 1)
				svc->depth = k->depth + 1;
			k->path[k->depth++] = s;
			c->off = pos;
			c->len = link_list(k, c->phases, c->nphases);
			k->depth--;
			if (!c->len || add_site(k, c) < 0)
				return 0;
			pos += 2 + c->len;
			if (pos > MAX_DEMANDS) {
				sim__error(k->l, c->mark,
					   "'call': one request would draw "
					   "more than %d demands with its "
					   "calls; fewer calls or phases",
					   MAX_DEMANDS);
				return 0;
			}
		}
	return pos;
}

void sim__link_services(struct sim_load *l, const struct sim_ynode *services,
			const struct sim_ynode *systems,
			struct sim_scenario *sc)
{
	struct linker k = {.l = l, .sc = sc};
	for (size_t i = 0;
	     i < sc->nsystems && systems && systems->kind == SIM_Y_SEQ &&
	     i < systems->n && !sim__give_up(l);
	     i++) {
		const struct sim_ynode *o =
		    sim_ymap_get(systems->vals[i], "services", NULL);
		if (o)
			read_overrides(l, o, services, sc, &sc->systems[i]);
	}
	for (size_t i = 0; i < sc->workload.nclasses && !sim__give_up(l); i++) {
		struct sim_class *c = &sc->workload.classes[i];
		c->ndemands = link_list(&k, c->phases, c->nphases);
		if (c->ndemands > sc->max_phases)
			sc->max_phases = c->ndemands;
		if (c->ndemands > c->nphases && !sc->workload.closed.users &&
		    sc->workload.arrivals.kind == SIM_ARR_TRACE)
			sim__error(l, c->mark,
				   "class '%s': a trace replays the demands "
				   "of top-level phases only; a class with "
				   "calls needs generated arrivals",
				   sim__word(c->name ? c->name : "?").s);
	}
}

void sim__release_services(struct sim_scenario *sc)
{
	for (size_t i = 0; i < sc->nservices; i++) {
		sim__free_system_fields(&sc->services[i].sys);
		free(sc->services[i].wl.classes);
	}
	free(sc->services);
	for (size_t i = 0; i < sc->nsystems; i++) {
		for (size_t j = 0; sc->systems[i].svc && j < sc->nservices; j++)
			sim__free_system(sc->systems[i].svc[j]);
		free(sc->systems[i].svc);
	}
}
