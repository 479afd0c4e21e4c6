/*
 * writer.c - writes a loaded scenario back as YAML with every default made
 * explicit (the `scenario.yaml` of a result folder), in a form the loader
 * reads back to the very same scenario.
 */
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "runtime/model.h"
#include "scenario/params.h"
#include "scenario/read_dist.h"
#include "scenario/read_systems.h"
#include "scenario/read_workload.h"
#include "scenario/scenario.h"
#include "scenario/units.h"

/* A sweep value: plain when it reads back as the same plain scalar. */
static void put_scalar(FILE *f, const char *s)
{
	bool plain = s[0] && !strchr("-?:,[]{}#&*!|>'\"%@` ", s[0]) &&
		     s[strlen(s) - 1] != ' ' && !strstr(s, ": ") &&
		     !strstr(s, " #") && !strpbrk(s, ",[]{}\n\t");
	if (plain || (s[0] == '-' && isdigit((unsigned char)s[1])))
		fputs(s, f);
	else
		sim__put_string(f, s);
}

/* A service's definition (no name: its key names it). */
static void put_service(FILE *f, const struct sim_system *sys, int ind)
{
	fprintf(f, "%*smodel: %s\n", ind, "", sys->model->name);
	sim__put_table(f, sim__host_params, sim__nhost_params, &sys->host, ind);
	sim__put_table(f, sys->model->params, sys->model->nparams, sys->config,
		       ind);
	fprintf(f, "%*spool: %d\n", ind, "", sys->client_pool);
}

static void put_phases(FILE *f, const struct sim_phase *ph, size_t n, int ind);

static void put_call(FILE *f, const struct sim_call *c, int ind)
{
	fprintf(f, "%*sservice: ", ind, "");
	sim__put_string(f, c->service);
	fprintf(f, "\n%*shandler: %s\n%*stimeout: ", ind, "",
		c->sync ? "sync" : "async", ind, "");
	sim__put_typed(f, SIM_PT_DURATION, c->client.timeout);
	fprintf(f, "\n%*sretries:\n", ind, "");
	sim__put_table(f, sim__retry_params, sim__nretry_params, &c->client,
		       ind + 2);
	fprintf(f, "%*spool: %d\n", ind, "", c->pool);
	fprintf(f, "%*shit: ", ind, "");
	sim__put_typed(f, SIM_PT_DOUBLE, c->hit);
	fprintf(f, "\n%*shit_cost: ", ind, "");
	sim__put_dist(f, &c->hit_cost, NULL, NULL);
	fprintf(f, "\n%*sphases:\n", ind, "");
	put_phases(f, c->phases, c->nphases, ind + 2);
}

static void put_phases(FILE *f, const struct sim_phase *ph, size_t n, int ind)
{
	for (size_t j = 0; j < n; j++) {
		const struct sim_phase *p = &ph[j];
		fprintf(f, "%*s- %s:", ind, "", sim_phase_names[p->kind]);
		if (p->kind == SIM_PHASE_CALL) {
			fputc('\n', f);
			put_call(f, &p->calls[0], ind + 4);
			continue;
		}
		if (p->kind == SIM_PHASE_PARALLEL) {
			fputc('\n', f);
			for (size_t k = 0; k < p->ncalls; k++) {
				fprintf(f, "%*s- call:\n", ind + 4, "");
				put_call(f, &p->calls[k], ind + 8);
			}
			continue;
		}
		fputc(' ', f);
		if (p->kind == SIM_PHASE_POOL)
			sim__put_dist(f, &p->dist, "cpu", &p->on_cpu);
		else if (p->kind == SIM_PHASE_IO)
			sim__put_dist(f, &p->dist, "downstream",
				      &p->downstream);
		else
			sim__put_dist(f, &p->dist, NULL, NULL);
		fputc('\n', f);
	}
}

/* workload.connections (when not the default) and workload.sessions. */
static void put_connections(FILE *f, const struct sim_workload *w)
{
	const struct sim_connections *c = &w->connections;
	const struct sim_sessions *s = &w->sessions;
	if (c->geometric || c->reuse != 1 || c->tls) {
		fputs("  connections:\n    reuse: ", f);
		if (c->geometric)
			fputs("{dist: geometric, mean: ", f);
		sim__put_typed(f, SIM_PT_DOUBLE, c->reuse);
		fprintf(f, "%s\n    tls: %s\n", c->geometric ? "}" : "",
			c->tls ? "true" : "false");
	}
	if (!s->count)
		return;
	fprintf(f, "  sessions:\n    count: %u\n    ramp: ", s->count);
	sim__put_typed(f, SIM_PT_DURATION, s->ramp);
	if (s->lifetime.kind != SIM_DIST_NKINDS) {
		fputs("\n    lifetime: ", f);
		sim__put_dist(f, &s->lifetime, NULL, NULL);
	}
	fputs("\n    messages:\n      rate: ", f);
	sim__put_typed(f, SIM_PT_RATE, s->rate);
	fputs("\n      phases:\n", f);
	put_phases(f, s->msg.phases, s->msg.nphases, 8);
	if (!s->fanout)
		return;
	fputs("    broadcast:\n      fanout: ", f);
	if (s->fanout_all)
		fputs("all", f);
	else
		fprintf(f, "%u", s->fanout);
	fputs("\n      phases:\n", f);
	put_phases(f, s->bcast.phases, s->bcast.nphases, 8);
}

int sim_scenario_write_yaml(const struct sim_scenario *sc, FILE *f)
{
	const struct sim_workload *w = &sc->workload;
	const struct sim_arrivals *a = &w->arrivals;

	sim__put_table(f, sim__top_params, 2, sc, 0);
	fprintf(f, "seed: %llu\n", (unsigned long long)sc->seed);
	/* duration, warmup (or `auto`), replications */
	for (size_t i = 2; i < sim__ntop_params; i++)
		if (sc->warmup_auto &&
		    !strcmp(sim__top_params[i].key, "warmup"))
			fputs("warmup: auto\n", f);
		else
			sim__put_table(f, sim__top_params + i, 1, sc, 0);
	fputs("workload:\n", f);
	if (w->closed.users) {
		fprintf(f, "  closed:\n    users: %u\n    think: ",
			(unsigned)w->closed.users);
		sim__put_dist(f, &w->closed.think, NULL, NULL);
		fprintf(f, "\n    coordinated_omission: %s\n",
			w->closed.coordinated_omission ? "true" : "false");
	} else {
		fputs("  arrivals:\n", f);
		for (size_t i = 0; i < sim__narrival_params; i++)
			if (sim__arrival_key_applies(i, a->kind))
				sim__put_param(f, &sim__arrival_params[i], a,
					       4);
		if (a->kind != SIM_ARR_TRACE)
			fputs("    schedule:", f);
		if (a->kind != SIM_ARR_TRACE && !a->nschedule)
			fputs(" []", f);
		for (size_t i = 0; a->kind != SIM_ARR_TRACE && i < a->nschedule;
		     i++) {
			fputs("\n      - {at: ", f);
			sim__put_typed(f, SIM_PT_DURATION, a->schedule[i].at);
			if (a->schedule[i].scaled) {
				fputs(", scale: ", f);
				sim__put_typed(f, SIM_PT_DOUBLE,
					       a->schedule[i].scale);
			} else {
				fputs(", rate: ", f);
				sim__put_typed(f, SIM_PT_RATE,
					       a->schedule[i].rate);
			}
			fputs("}", f);
		}
		if (a->kind != SIM_ARR_TRACE)
			fputc('\n', f);
	}
	fputs("  client:\n", f);
	/* rtt and the stalls only when set (unless-default): a scenario
	 * without them is written as before the keys existed (so are the
	 * scenario hashes) */
	sim__put_table(f, sim__client_params, sim__nclient_params, &w->client,
		       4);
	fputs("    retries:\n", f);
	sim__put_table(f, sim__retry_params, sim__nretry_params, &w->client, 6);
	fputs("  classes:\n", f);
	for (size_t i = 0; i < w->nclasses; i++) {
		const struct sim_class *c = &w->classes[i];
		fputs("    - name: ", f);
		sim__put_string(f, c->name);
		fputs("\n      weight: ", f);
		sim__put_typed(f, SIM_PT_DOUBLE, c->weight);
		fprintf(f, "\n      handler: %s\n      phases:\n",
			c->sync ? "sync" : "async");
		put_phases(f, c->phases, c->nphases, 8);
	}
	if (w->downstream.connections)
		fprintf(f, "  downstream:\n    connections: %d\n",
			w->downstream.connections);
	put_connections(f, w);
	if (sc->nservices)
		fputs("services:\n", f);
	for (size_t i = 0; i < sc->nservices; i++) {
		fputs("  ", f);
		sim__put_string(f, sc->services[i].sys.name);
		fputs(":\n", f);
		put_service(f, &sc->services[i].sys, 4);
	}
	fputs("systems:\n", f);
	for (size_t i = 0; i < sc->nsystems; i++) {
		const struct sim_system *sys = &sc->systems[i];
		fputs("  - ", f);
		sim__put_system(f, sys, 4, 0);
		bool any = false;
		for (size_t j = 0; sys->svc && j < sc->nservices; j++) {
			if (!sys->svc[j])
				continue;
			if (!any)
				fputs("    services:\n", f);
			any = true;
			fputs("      ", f);
			sim__put_string(f, sc->services[j].sys.name);
			fputs(":\n", f);
			put_service(f, sys->svc[j], 8);
		}
	}
	if (sc->nsweep)
		fputs("sweep:\n", f);
	for (size_t i = 0; i < sc->nsweep; i++) {
		fputs("  ", f);
		sim__put_string(f, sc->sweep[i].path);
		fputs(": [", f);
		for (size_t j = 0; j < sc->sweep[i].nvalues; j++) {
			fputs(j ? ", " : "", f);
			put_scalar(f, sc->sweep[i].values[j]);
		}
		fputs("]\n", f);
	}
	return ferror(f) ? SIM_EIO : 0;
}
