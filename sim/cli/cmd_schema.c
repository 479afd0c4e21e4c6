/*
 * cmd_schema.c - `concsim schema`: a JSON Schema (draft 2020-12) of the
 * scenario file, made by walking the loader's tables (scenario/keys.c):
 * each key with its description, type, default and range; durations,
 * rates and sizes as strings matching the patterns of their units (the
 * parser's own unit tables), so that a bare number is refused as the
 * loader refuses it. Editors with the YAML language server use it for
 * completion and hover documentation.
 *
 * The schema says what a schema can: the shape, types, units, ranges and
 * unknown keys. Rules across keys (the keys of another arrival process,
 * schedule times increasing, unique names) stay with `concsim check`.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "kernel/rng.h"
#include "models/registry.h"
#include "output/files.h"
#include "output/json.h"
#include "runtime/model.h"
#include "scenario/keys.h"
#include "scenario/units.h"

/* A JSON writer that places commas and indentation. */
struct jw {
	FILE *f;
	int depth;
	bool first[64], after_key;
};

static void jw_sep(struct jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth && !w->first[w->depth])
		fputc(',', w->f);
	if (w->depth)
		fprintf(w->f, "\n%*s", 2 * w->depth, "");
	w->first[w->depth] = false;
}

static void jw_open(struct jw *w, char c)
{
	jw_sep(w);
	fputc(c, w->f);
	w->first[++w->depth] = true;
}

static void jw_close(struct jw *w, char c)
{
	bool empty = w->first[w->depth--];
	if (!empty)
		fprintf(w->f, "\n%*s", 2 * w->depth, "");
	fputc(c, w->f);
}

static void jw_key(struct jw *w, const char *k)
{
	jw_sep(w);
	sim_json_string(w->f, k);
	fputs(": ", w->f);
	w->after_key = true;
}

static void jw_str(struct jw *w, const char *s)
{
	jw_sep(w);
	sim_json_string(w->f, s);
}

static void jw_raw(struct jw *w, const char *s)
{
	jw_sep(w);
	fputs(s, w->f);
}

static void jw_num(struct jw *w, double v)
{
	char b[64];
	sim_fmt_double(b, sizeof b, v);
	jw_raw(w, b);
}

/* "key": "string" */
static void jw_kstr(struct jw *w, const char *k, const char *s)
{
	jw_key(w, k);
	jw_str(w, s);
}

static void unit_string(struct jw *w, enum sim_ptype t)
{
	char pat[256];
	sim_unit_pattern(t, pat, sizeof pat);
	jw_kstr(w, "type", "string");
	jw_kstr(w, "pattern", pat);
}

/* The bounds of a number key (not for the types with units: a pattern
 * cannot bound a value). */
static void bounds(struct jw *w, const struct sim_param *p)
{
	if (p->min == 0 && p->max == 0)
		return;
	jw_key(w, (p->flags & SIM_P_POSITIVE) ? "exclusiveMinimum" : "minimum");
	jw_num(w, p->min);
	if (p->max == SIM_SEED_END) {
		jw_key(w, "exclusiveMaximum");
		jw_raw(w, "18446744073709551616");
	} else if (isfinite(p->max) && p->max < 1e300) {
		jw_key(w, "maximum");
		jw_num(w, p->max);
	}
}

static void description(struct jw *w, const struct sim_param *p)
{
	char type[160], def[64], range[128], text[800];
	sim_param_type_text(p, type, sizeof type);
	sim_param_default_text(p, def, sizeof def);
	sim_param_range_text(p, range, sizeof range);
	snprintf(text, sizeof text, "%s%s. %s%s%s%s%s.", p->help ? p->help : "",
		 sim_param_overhead_text(p), type, *def ? "; default " : "",
		 def, *range ? "; " : "", range);
	jw_kstr(w, "description", text);
}

/* The schema of one key of a table; `dist` names the $defs entry of its
 * distributions. */
static void param(struct jw *w, const struct sim_param *p, const char *dist)
{
	char def[64];
	jw_key(w, p->key);
	jw_open(w, '{');
	description(w, p);
	sim_param_default_text(p, def, sizeof def);
	switch (p->type) {
	case SIM_PT_INT:
	case SIM_PT_DOUBLE:
		jw_kstr(w, "type",
			p->type == SIM_PT_INT ? "integer" : "number");
		bounds(w, p);
		break;
	case SIM_PT_DURATION:
	case SIM_PT_RATE:
	case SIM_PT_SIZE:
		unit_string(w, p->type);
		break;
	case SIM_PT_BOOL:
		jw_kstr(w, "type", "boolean");
		break;
	case SIM_PT_ENUM:
		jw_key(w, "enum");
		jw_open(w, '[');
		for (size_t i = 0; p->choices[i]; i++)
			jw_str(w, p->choices[i]);
		if (!strcmp(p->key, "process")) /* params.c's alias */
			jw_str(w, "on-off");
		jw_close(w, ']');
		break;
	case SIM_PT_STRING:
		jw_kstr(w, "type", "string");
		break;
	case SIM_PT_DIST: {
		char ref[64];
		snprintf(ref, sizeof ref, "#/$defs/%s", dist);
		jw_key(w, "$ref");
		jw_str(w, ref);
		break;
	}
	case SIM_PT_SYSTEM:
		jw_kstr(w, "$ref", "#/$defs/replica");
		break;
	case SIM_PT_DOUBLES:
		jw_kstr(w, "type", "array");
		jw_key(w, "items");
		jw_open(w, '{');
		jw_kstr(w, "type", "number");
		bounds(w, p);
		jw_close(w, '}');
		break;
	}
	if (*def && !(p->flags & SIM_P_REQUIRED)) {
		jw_key(w, "default");
		if (p->type == SIM_PT_INT || p->type == SIM_PT_DOUBLE)
			jw_num(w, p->def);
		else if (p->type == SIM_PT_BOOL)
			jw_raw(w, p->def != 0 ? "true" : "false");
		else
			jw_str(w, def);
	}
	jw_close(w, '}');
}

static void table(struct jw *w, const struct sim_param *p, size_t np)
{
	for (size_t i = 0; i < np; i++)
		param(w, &p[i], "dist");
}

static void required(struct jw *w, const struct sim_param *p, size_t np,
		     const char *const *more)
{
	size_t n = 0;
	for (size_t i = 0; i < np; i++)
		n += (p[i].flags & SIM_P_REQUIRED) != 0;
	for (size_t i = 0; more && more[i]; i++)
		n++;
	if (!n)
		return;
	jw_key(w, "required");
	jw_open(w, '[');
	for (size_t i = 0; i < np; i++)
		if (p[i].flags & SIM_P_REQUIRED)
			jw_str(w, p[i].key);
	for (size_t i = 0; more && more[i]; i++)
		jw_str(w, more[i]);
	jw_close(w, ']');
}

static void section(struct jw *w, const struct sim_section *s);

/* A section's map: its keys and those of the sections below. */
static void section_map(struct jw *w, const struct sim_section *s)
{
	const char *more[16];
	size_t nmore = 0;
	jw_open(w, '{');
	jw_kstr(w, "type", "object");
	if (s->help)
		jw_kstr(w, "description", s->help);
	jw_key(w, "properties");
	jw_open(w, '{');
	if (s->p)
		table(w, s->p, *s->np);
	for (size_t i = 0; s->sub && s->sub[i]; i++) {
		const struct sim_section *c = s->sub[i];
		if (!c->key) {
			table(w, c->p, *c->np);
			continue;
		}
		if (c->required && nmore < 15)
			more[nmore++] = c->key;
		jw_key(w, c->key);
		section(w, c);
	}
	jw_close(w, '}');
	more[nmore] = NULL;
	required(w, s->p, s->p ? *s->np : 0, more);
	jw_key(w, "additionalProperties");
	jw_raw(w, "false");
	if (!strcmp(s->path, "workload")) { /* arrivals or closed */
		jw_key(w, "oneOf");
		jw_open(w, '[');
		jw_raw(w, "{\"required\": [\"arrivals\"]}");
		jw_raw(w, "{\"required\": [\"closed\"]}");
		jw_close(w, ']');
	}
	jw_close(w, '}');
}

/* One phase (the body of $defs/phase): cpu, io, pool, or a call to a
 * service, alone or several in parallel. */
static void phases(struct jw *w)
{
	static const char *const kinds[][2] = {{"cpu", "dist"},
					       {"io", "dist_io"},
					       {"pool", "dist_pool"},
					       {"call", "call"},
					       {"parallel", "parallel"}};
	jw_kstr(w, "type", "object");
	jw_kstr(w, "description",
		"one phase: cpu (needs a thread and a core), io (a "
		"non-blocking wait), pool (blocking work for a threadpool), "
		"call (a request to a service, waited for) or parallel "
		"(several calls, waited for together)");
	jw_key(w, "properties");
	jw_open(w, '{');
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		char ref[64];
		snprintf(ref, sizeof ref, "#/$defs/%s", kinds[i][1]);
		jw_key(w, kinds[i][0]);
		jw_open(w, '{');
		jw_kstr(w, "$ref", ref);
		jw_close(w, '}');
	}
	jw_close(w, '}');
	jw_key(w, "minProperties");
	jw_raw(w, "1");
	jw_key(w, "maxProperties");
	jw_raw(w, "1");
	jw_key(w, "additionalProperties");
	jw_raw(w, "false");
}

/* $defs/call and $defs/parallel: a call's own keys, its phases (phases
 * of the service), and its client (timeout, retries). */
static void call_defs(struct jw *w)
{
	jw_key(w, "call");
	jw_open(w, '{');
	jw_kstr(w, "type", "object");
	jw_kstr(w, "description",
		"a request to a service (concsim help services), waited for");
	jw_key(w, "properties");
	jw_open(w, '{');
	table(w, sim_call_keys, *sim_ncall_keys);
	jw_key(w, "phases");
	jw_raw(w, "{\"type\": \"array\", \"minItems\": 1, \"items\": "
		  "{\"$ref\": \"#/$defs/phase\"}, \"description\": \"what "
		  "the service does for the call\"}");
	for (size_t i = 0; i < *sim_nclient_keys; i++)
		if (!strcmp(sim_client_keys[i].key, "timeout"))
			param(w, &sim_client_keys[i], "dist");
	jw_key(w, "retries");
	jw_raw(w, "{\"type\": [\"integer\", \"object\"], \"description\": "
		  "\"as workload.client.retries\"}");
	jw_close(w, '}');
	jw_key(w, "required");
	jw_raw(w, "[\"service\", \"phases\"]");
	jw_key(w, "additionalProperties");
	jw_raw(w, "false");
	jw_close(w, '}');
	jw_key(w, "parallel");
	jw_raw(w, "{\"type\": \"array\", \"minItems\": 1, \"description\": "
		  "\"calls sent together; the slowest decides\", \"items\": "
		  "{\"type\": \"object\", \"properties\": {\"call\": "
		  "{\"$ref\": \"#/$defs/call\"}}, \"required\": [\"call\"], "
		  "\"additionalProperties\": false}}");
	jw_key(w, "phase");
	jw_open(w, '{');
	phases(w);
	jw_close(w, '}');
}

static void sweep(struct jw *w, const struct sim_section *s)
{
	jw_open(w, '{');
	jw_kstr(w, "type", "object");
	jw_kstr(w, "description", s->help);
	jw_key(w, "additionalProperties");
	jw_open(w, '{');
	jw_key(w, "anyOf");
	jw_open(w, '[');
	jw_raw(w, "{\"type\": \"array\", \"minItems\": 1, \"items\": "
		  "{\"type\": [\"string\", \"number\", \"boolean\"]}}");
	jw_raw(w, "{\"type\": \"object\", \"required\": [\"from\", \"to\", "
		  "\"step\"], \"additionalProperties\": false, "
		  "\"properties\": {\"from\": {\"type\": [\"string\", "
		  "\"number\"]}, \"to\": {\"type\": [\"string\", \"number\"]}, "
		  "\"step\": {\"type\": [\"string\", \"number\"]}}}");
	jw_close(w, ']');
	jw_close(w, '}');
	jw_close(w, '}');
}

/* Opens {"type": "array", "minItems": 1, "items": ... (the caller writes
 * the items' schema, then closes the brace). */
static void array_open(struct jw *w, const char *help)
{
	jw_open(w, '{');
	jw_kstr(w, "type", "array");
	if (help)
		jw_kstr(w, "description", help);
	jw_key(w, "minItems");
	jw_raw(w, "1");
	jw_key(w, "items");
}

/* The schema of a section below a key. */
static void section(struct jw *w, const struct sim_section *s)
{
	switch (s->special) {
	case SIM_SEC_SWEEP:
		sweep(w, s);
		return;
	case SIM_SEC_SYSTEMS:
		array_open(w, s->help);
		jw_raw(w, "{\"$ref\": \"#/$defs/system\"}");
		jw_close(w, '}');
		return;
	case SIM_SEC_PHASES:
		array_open(w, s->help);
		jw_raw(w, "{\"$ref\": \"#/$defs/phase\"}");
		jw_close(w, '}');
		return;
	case SIM_SEC_RETRIES:
		jw_open(w, '{');
		jw_kstr(w, "description", s->help);
		jw_key(w, "anyOf");
		jw_open(w, '[');
		jw_open(w, '{');
		jw_kstr(w, "type", "integer");
		bounds(w, &s->p[0]);
		jw_close(w, '}');
		section_map(w, s);
		jw_close(w, ']');
		jw_close(w, '}');
		return;
	case SIM_SEC_PLAIN:
		break;
	}
	if (!s->list) {
		section_map(w, s);
		return;
	}
	array_open(w, NULL);
	section_map(w, s);
	jw_close(w, '}');
}

/* A distribution: a duration, or a map; `flag` is the phase's own key. */
static void dist(struct jw *w, const char *name, const struct sim_param *flag)
{
	jw_key(w, name);
	jw_open(w, '{');
	jw_kstr(w, "description",
		"a duration (a constant) or a distribution {dist, mean, cv, "
		"k, file, values}");
	jw_key(w, "anyOf");
	jw_open(w, '[');
	jw_open(w, '{');
	unit_string(w, SIM_PT_DURATION);
	jw_close(w, '}');
	jw_open(w, '{');
	jw_kstr(w, "type", "object");
	jw_key(w, "properties");
	jw_open(w, '{');
	jw_key(w, "dist");
	jw_open(w, '{');
	jw_kstr(w, "description", "the kind of distribution");
	jw_key(w, "enum");
	jw_open(w, '[');
	for (int i = 0; i < SIM_DIST_NKINDS; i++)
		jw_str(w, sim_dist_names[i]);
	jw_close(w, ']');
	jw_kstr(w, "default", "exponential");
	jw_close(w, '}');
	table(w, sim_dist_keys, *sim_ndist_keys);
	jw_key(w, "values");
	jw_open(w, '{');
	jw_kstr(w, "description", "empirical: the samples, durations");
	jw_kstr(w, "type", "array");
	jw_key(w, "items");
	jw_open(w, '{');
	unit_string(w, SIM_PT_DURATION);
	jw_close(w, '}');
	jw_close(w, '}');
	if (flag)
		param(w, flag, "dist");
	jw_close(w, '}');
	jw_key(w, "additionalProperties");
	jw_raw(w, "false");
	jw_close(w, '}');
	jw_close(w, ']');
	jw_close(w, '}');
}

/* A system: name, model, overheads, the host's keys, and the model's
 * keys when `model` names it; a replica needs no name. */
static void system_def(struct jw *w, const char *def, bool named,
		       const struct sim_param *extra)
{
	jw_key(w, def);
	jw_open(w, '{');
	jw_kstr(w, "type", "object");
	jw_key(w, "properties");
	jw_open(w, '{');
	jw_key(w, "name");
	jw_raw(w, "{\"type\": \"string\", \"description\": \"the system's "
		  "name (no '.': --set systems.NAME.KEY)\"}");
	jw_key(w, "model");
	jw_open(w, '{');
	jw_kstr(w, "description", "the concurrency model");
	jw_key(w, "enum");
	jw_open(w, '[');
	for (size_t i = 0; sim_models[i]; i++)
		jw_str(w, sim_models[i]->name);
	jw_close(w, ']');
	jw_close(w, '}');
	jw_key(w, "overheads");
	jw_raw(w, "{\"enum\": [\"default\", \"zero\"], \"description\": "
		  "\"zero sets every overhead of the model to 0\"}");
	table(w, sim_host_keys, *sim_nhost_keys);
	if (extra)
		table(w, extra, 1);
	if (named) {
		jw_key(w, "services");
		jw_raw(w, "{\"type\": \"object\", \"description\": \"this "
			  "system's overrides of services' keys "
			  "(services.SVC.KEY)\", \"additionalProperties\": "
			  "{\"type\": \"object\"}}");
	}
	jw_close(w, '}');
	jw_key(w, "required");
	jw_raw(w, named ? "[\"name\", \"model\"]" : "[\"model\"]");
	jw_key(w, "allOf");
	jw_open(w, '[');
	for (size_t i = 0; sim_models[i]; i++) {
		const struct sim_model_ops *m = sim_models[i];
		jw_open(w, '{');
		jw_key(w, "if");
		jw_open(w, '{');
		jw_key(w, "properties");
		jw_open(w, '{');
		jw_key(w, "model");
		jw_open(w, '{');
		jw_kstr(w, "const", m->name);
		jw_close(w, '}');
		jw_close(w, '}');
		jw_key(w, "required");
		jw_raw(w, "[\"model\"]");
		jw_close(w, '}');
		jw_key(w, "then");
		jw_open(w, '{');
		jw_kstr(w, "description", m->summary);
		jw_key(w, "properties");
		jw_open(w, '{');
		table(w, m->params, m->nparams);
		jw_close(w, '}');
		jw_close(w, '}');
		jw_close(w, '}');
	}
	jw_close(w, ']');
	jw_key(w, "unevaluatedProperties");
	jw_raw(w, "false");
	jw_close(w, '}');
}

static void schema(FILE *f)
{
	struct jw w = {.f = f};
	const struct sim_section *top = &sim_scenario_shape;
	jw_open(&w, '{');
	jw_kstr(&w, "$schema", "https://json-schema.org/draft/2020-12/schema");
	jw_kstr(&w, "title", "concsim scenario");
	jw_kstr(&w, "description",
		"A concsim scenario (concsim " CONCSIM_VERSION
		"): the workload once, and the systems to run it on. Every "
		"duration, rate and size carries its unit.");
	/* the top level, as section_map writes it, without its braces */
	jw_kstr(&w, "type", "object");
	jw_key(&w, "properties");
	jw_open(&w, '{');
	table(&w, top->p, *top->np);
	for (size_t i = 0; top->sub[i]; i++) {
		const struct sim_section *c = top->sub[i];
		if (!c->key) {
			table(&w, c->p, *c->np);
			continue;
		}
		jw_key(&w, c->key);
		section(&w, c);
	}
	jw_key(&w, "services");
	jw_raw(&w, "{\"type\": \"object\", \"description\": \"services the "
		   "workload's calls reach: a name -> a system definition "
		   "(concsim help services)\", \"additionalProperties\": "
		   "{\"$ref\": \"#/$defs/service\"}}");
	jw_close(&w, '}');
	jw_key(&w, "required");
	jw_raw(&w, "[\"workload\", \"systems\"]");
	jw_key(&w, "additionalProperties");
	jw_raw(&w, "false");
	jw_key(&w, "$defs");
	jw_open(&w, '{');
	dist(&w, "dist", NULL);
	dist(&w, "dist_io", sim_io_flag);
	dist(&w, "dist_pool", sim_pool_flag);
	call_defs(&w);
	system_def(&w, "system", true, NULL);
	system_def(&w, "replica", false, NULL);
	system_def(&w, "service", false, sim_service_pool_key);
	jw_close(&w, '}');
	jw_close(&w, '}');
	fputc('\n', f);
}

int cmd_schema(int argc, char **argv)
{
	struct cli_opts o;
	struct sim_afile a = {0};
	int rc = cli_parse(argc, argv, "--out", NULL, &o);
	if (rc)
		goto cleanup;
	if (o.file) {
		cli_error("unexpected argument '%s'", o.file);
		rc = EXIT_USAGE;
		goto cleanup;
	}
	if (!o.out) {
		schema(stdout);
		rc = cli_flushed(0);
		goto cleanup;
	}
	rc = EXIT_FAILED;
	const char *slash = strrchr(o.out, '/');
	char dir[4096];
	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - o.out) : 1,
		 slash ? o.out : ".");
	if (slash == o.out)
		snprintf(dir, sizeof dir, "/");
	if (sim_afile_open(&a, dir, slash ? slash + 1 : o.out, stderr))
		goto cleanup;
	schema(a.f);
	if (sim_afile_commit(&a, stderr))
		goto cleanup;
	rc = 0;
cleanup:
	sim_afile_abort(&a);
	cli_opts_release(&o);
	return rc;
}
