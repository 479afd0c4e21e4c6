/*
 * keys.c - the shape of a scenario file as a tree of sections over the
 * loader's own parameter tables (read_*.c), and each parameter described
 * in words (type and units, default, range) for the documents made from
 * it: `concsim help scenario`, the man page, completion and the schema.
 *
 * To document a new section (a map the loader reads through a table of
 * its own, e.g. `workload.sessions`): export its table and count from its
 * read_*.c, add a `struct sim_section` below, and list it in the `sub` of
 * the section that holds it. A new key in an existing table needs
 * nothing: every document walks the tables themselves.
 */
#include "scenario/keys.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "scenario/diag.h"
#include "scenario/read_dist.h"
#include "scenario/read_services.h"
#include "scenario/read_sessions.h"
#include "scenario/read_systems.h"
#include "scenario/read_workload.h"
#include "scenario/scenario.h"
#include "scenario/units.h"

/* `seed` is read by its own code (a 64-bit whole number); this row only
 * describes it. */
static const struct sim_param seed_doc[] = {
    {.key = "seed",
     .type = SIM_PT_INT,
     .def = 1,
     .min = 0,
     .max = SIM_SEED_END,
     .help = "master seed: every random stream is derived from it"},
};
static const size_t nseed_doc = NELEM(seed_doc);

static const struct sim_section seed_sec = {
    .key = NULL, .path = "", .help = NULL, .p = seed_doc, .np = &nseed_doc};

static const struct sim_section schedule_sec = {
    .key = "schedule",
    .path = "workload.arrivals.schedule[]",
    .help = "piecewise-constant changes of the rate, times increasing",
    .list = true,
    .p = sim__step_params,
    .np = &sim__nstep_params};

static const struct sim_section *const arrivals_sub[] = {&schedule_sec, NULL};

static const struct sim_section arrivals_sec = {
    .key = "arrivals",
    .path = "workload.arrivals",
    .help = "open arrivals (give this or 'closed'); the keys of a "
	    "process other than the chosen one are refused",
    .p = sim__arrival_params,
    .np = &sim__narrival_params,
    .sub = arrivals_sub};

static const struct sim_section closed_sec = {
    .key = "closed",
    .path = "workload.closed",
    .help = "a closed loop of users instead of open arrivals",
    .p = sim__closed_params,
    .np = &sim__nclosed_params};

static const struct sim_section retries_sec = {
    .key = "retries",
    .path = "workload.client.retries",
    .help = "retries of failed attempts (a whole number is 'max')",
    .special = SIM_SEC_RETRIES,
    .p = sim__retry_params,
    .np = &sim__nretry_params};

static const struct sim_section *const client_sub[] = {&retries_sec, NULL};

static const struct sim_section client_sec = {
    .key = "client",
    .path = "workload.client",
    .help = "what the clients do: timeout, retries, cancellation, and "
	    "their network's round trip",
    .p = sim__client_params,
    .np = &sim__nclient_params,
    .sub = client_sub};

static const struct sim_section phases_sec = {
    .key = "phases",
    .path = "workload.classes[].phases[]",
    .help = "the request's steps in order, each a one-key map: cpu (needs "
	    "a thread and a core), io (a non-blocking wait), pool (blocking "
	    "work for a threadpool); each a duration or a distribution",
    .list = true,
    .required = true,
    .special = SIM_SEC_PHASES};

static const struct sim_section *const class_sub[] = {&phases_sec, NULL};

static const struct sim_section classes_sec = {
    .key = "classes",
    .path = "workload.classes[]",
    .help = "request classes, drawn by weight",
    .list = true,
    .required = true,
    .p = sim__class_params,
    .np = &sim__nclass_params,
    .sub = class_sub};

static const struct sim_section downstream_sec = {
    .key = "downstream",
    .path = "workload.downstream",
    .help = "a connection pool shared by io phases (a database pool)",
    .p = sim__downstream_params,
    .np = &sim__ndownstream_params};

static const struct sim_section connections_sec = {
    .key = "connections",
    .path = "workload.connections",
    .help = "keep-alive: requests per connection, TLS",
    .p = sim__connections_doc,
    .np = &sim__nconnections_doc};

static const struct sim_section message_phases_sec = {
    .key = "phases",
    .path = "workload.sessions.messages.phases[]",
    .help = "a message's steps (cpu, io, pool), as a class's phases",
    .list = true,
    .required = true,
    .special = SIM_SEC_PHASES};

static const struct sim_section *const messages_sub[] = {&message_phases_sec,
							 NULL};

static const struct sim_section messages_sec = {
    .key = "messages",
    .path = "workload.sessions.messages",
    .help = "what each session sends: a Poisson stream of requests on its "
	    "connection",
    .required = true,
    .p = sim__messages_doc,
    .np = &sim__nmessages_doc,
    .sub = messages_sub};

static const struct sim_section broadcast_phases_sec = {
    .key = "phases",
    .path = "workload.sessions.broadcast.phases[]",
    .help = "the work of sending to one recipient (cpu phases only)",
    .list = true,
    .required = true,
    .special = SIM_SEC_PHASES};

static const struct sim_section *const broadcast_sub[] = {&broadcast_phases_sec,
							  NULL};

static const struct sim_section broadcast_sec = {
    .key = "broadcast",
    .path = "workload.sessions.broadcast",
    .help = "each message is sent on to 'fanout' sessions",
    .p = sim__broadcast_doc,
    .np = &sim__nbroadcast_doc,
    .sub = broadcast_sub};

static const struct sim_section *const sessions_sub[] = {&messages_sec,
							 &broadcast_sec, NULL};

static const struct sim_section sessions_sec = {
    .key = "sessions",
    .path = "workload.sessions",
    .help = "long-lived connections (WebSocket, SSE) that carry messages",
    .p = sim__sessions_doc,
    .np = &sim__nsessions_doc,
    .sub = sessions_sub};

static const struct sim_section *const workload_sub[] = {
    &arrivals_sec,   &closed_sec,      &client_sec,   &classes_sec,
    &downstream_sec, &connections_sec, &sessions_sec, NULL};

static const struct sim_section workload_sec = {
    .key = "workload",
    .path = "workload",
    .help = "the requests: arrivals (or a closed loop), client, classes",
    .required = true,
    .sub = workload_sub};

static const struct sim_section systems_sec = {
    .key = "systems",
    .path = "systems[]",
    .help = "the designs to compare, each on the same requests: name, "
	    "model, the host's keys and the model's own (`concsim help "
	    "models`)",
    .list = true,
    .required = true,
    .special = SIM_SEC_SYSTEMS,
    .p = sim__host_params,
    .np = &sim__nhost_params};

static const struct sim_section sweep_sec = {
    .key = "sweep",
    .path = "sweep",
    .help = "for `concsim sweep`: dotted paths, each to a list of values "
	    "or a range {from, to, step} in the unit of from",
    .special = SIM_SEC_SWEEP};

static const struct sim_section *const top_sub[] = {
    &seed_sec, &workload_sec, &systems_sec, &sweep_sec, NULL};

const struct sim_section sim_scenario_shape = {
    .key = NULL,
    .path = "",
    .help = "a scenario: the workload once, and the systems to run it on",
    .p = sim__top_params,
    .np = &sim__ntop_params,
    .sub = top_sub};

const struct sim_param *const sim_dist_keys = sim__dist_params;
const size_t *const sim_ndist_keys = &sim__ndist_params;
const struct sim_param *const sim_host_keys = sim__host_params;
const size_t *const sim_nhost_keys = &sim__nhost_params;
const struct sim_param *const sim_io_flag = sim__dist_downstream_param;
const struct sim_param *const sim_pool_flag = sim__dist_cpu_param;
const struct sim_param *const sim_call_keys = sim__call_params;
const size_t *const sim_ncall_keys = &sim__ncall_params;
const struct sim_param *const sim_client_keys = sim__client_params;
const size_t *const sim_nclient_keys = &sim__nclient_params;
const struct sim_param *const sim_service_pool_key = sim__service_pool_param;

void sim_param_type_text(const struct sim_param *p, char *buf, size_t size)
{
	char u[64];
	size_t n;
	switch (p->type) {
	case SIM_PT_INT:
		snprintf(buf, size, "whole number");
		return;
	case SIM_PT_DOUBLE:
		snprintf(buf, size, "number");
		return;
	case SIM_PT_DURATION:
	case SIM_PT_RATE:
	case SIM_PT_SIZE:
		sim_unit_names(p->type, u, sizeof(u));
		snprintf(buf, size, "%s (%s)",
			 p->type == SIM_PT_DURATION ? "duration"
			 : p->type == SIM_PT_RATE   ? "rate"
						    : "size",
			 u);
		return;
	case SIM_PT_BOOL:
		snprintf(buf, size, "true or false");
		return;
	case SIM_PT_ENUM:
		n = (size_t)snprintf(buf, size, "one of");
		for (size_t i = 0; p->choices[i] && n < size; i++)
			n += (size_t)snprintf(buf + n, size - n, "%s %s",
					      i ? "," : "", p->choices[i]);
		return;
	case SIM_PT_STRING:
		snprintf(buf, size, "string");
		return;
	case SIM_PT_DIST:
		snprintf(buf, size, "duration or distribution");
		return;
	case SIM_PT_SYSTEM:
		snprintf(buf, size, "system (model: and its keys)");
		return;
	case SIM_PT_DOUBLES:
		snprintf(buf, size, "list of numbers");
		return;
	}
	snprintf(buf, size, "?");
}

void sim_param_default_text(const struct sim_param *p, char *buf, size_t size)
{
	buf[0] = '\0';
	/* required, or a key that must be given above its minimum when it
	 * applies (an mmpp's mean_on): no default to speak of */
	if ((p->flags & SIM_P_REQUIRED) ||
	    ((p->flags & SIM_P_POSITIVE) && p->def <= p->min))
		return;
	switch (p->type) {
	case SIM_PT_INT:
	case SIM_PT_DOUBLE:
		snprintf(buf, size, "%.15g", p->def);
		return;
	case SIM_PT_DURATION:
	case SIM_PT_RATE:
	case SIM_PT_SIZE:
		sim__fmt_typed(buf, size, p->type, p->def, true);
		return;
	case SIM_PT_BOOL:
		snprintf(buf, size, "%s", p->def != 0 ? "true" : "false");
		return;
	case SIM_PT_ENUM:
		snprintf(buf, size, "%s", p->choices[(int)p->def]);
		return;
	default:
		return;
	}
}

void sim_param_range_text(const struct sim_param *p, char *buf, size_t size)
{
	char a[64], b[64];
	bool num = p->type == SIM_PT_INT || p->type == SIM_PT_DOUBLE ||
		   p->type == SIM_PT_DURATION || p->type == SIM_PT_RATE ||
		   p->type == SIM_PT_SIZE;
	buf[0] = '\0';
	if (!num || (p->min == 0 && p->max == 0))
		return;
	if (p->max == SIM_SEED_END) {
		snprintf(buf, size, "0 to 2^64 - 1");
		return;
	}
	sim__fmt_typed(a, sizeof(a), p->type, p->min, true);
	sim__fmt_typed(b, sizeof(b), p->type, p->max, true);
	if (p->flags & SIM_P_POSITIVE)
		snprintf(buf, size, "> %s%s%s", a,
			 isinf(p->max) ? "" : ", <= ", isinf(p->max) ? "" : b);
	else if (isinf(p->max) || p->max >= 1e300)
		snprintf(buf, size, ">= %s", a);
	else
		snprintf(buf, size, "%s to %s", a, b);
}

const char *sim_param_overhead_text(const struct sim_param *p)
{
	if (!(p->flags & SIM_P_OVERHEAD))
		return "";
	return p->type == SIM_PT_BOOL
		   ? " (an overhead: false with "
		     "`overheads: zero`)"
		   : " (an overhead: 0 with `overheads: zero`)";
}
