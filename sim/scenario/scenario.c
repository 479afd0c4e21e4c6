/*
 * scenario.c - the loader's entry points: YAML text -> struct sim_scenario.
 *
 * The file is parsed into a small tree (yamldoc.c), the `--set` overrides
 * are grafted onto it (overrides.c), and the tree is read section by
 * section (read_*.c) through tables of `struct sim_param` (params.c).
 * Problems are printed as they are found (diag.c) and the load fails at
 * the end if there were any; a sweep is then checked at its first and
 * last values.
 */
#include "scenario/scenario.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/diag.h"
#include "scenario/overrides.h"
#include "scenario/params.h"
#include "scenario/read_dist.h"
#include "scenario/read_services.h"
#include "scenario/read_sessions.h"
#include "scenario/read_sweep.h"
#include "scenario/read_systems.h"
#include "scenario/read_workload.h"
#include "scenario/readfile.h"
#include "scenario/units.h"
#include "scenario/yamldoc.h"

#define MAX_REQUESTS 2e9 /* per replication */

const struct sim_param sim__top_params[] = {
    SIM_PARAM("name", SIM_PT_STRING, struct sim_scenario, name,
	      .help = "scenario name"),
    SIM_PARAM("description", SIM_PT_STRING, struct sim_scenario, description,
	      .help = "one line"),
    SIM_PARAM("duration", SIM_PT_DURATION, struct sim_scenario, duration,
	      .def = 60, .min = 0, .max = SIM_MAX_SIM_TIME,
	      .flags = SIM_P_POSITIVE, .help = "measured simulated time"),
    SIM_PARAM("warmup", SIM_PT_DURATION, struct sim_scenario, warmup, .def = 5,
	      .min = 0, .max = SIM_MAX_SIM_TIME,
	      .help = "simulated time before measuring"),
    SIM_PARAM("replications", SIM_PT_INT, struct sim_scenario, replications,
	      .def = 5, .min = 1, .max = 10000,
	      .help = "independent replications"),
};

static void read_seed(struct sim_load *l, const struct sim_ynode *v,
		      uint64_t *seed)
{
	char *end;
	*seed = 1;
	if (!v)
		return;
	errno = 0;
	unsigned long long x =
	    sim__is_scalar(v) && v->plain && isdigit((unsigned char)v->text[0])
		? strtoull(v->text, &end, 10)
		: 0;
	if (!sim__is_scalar(v) || !v->plain ||
	    !isdigit((unsigned char)v->text[0]) || *end || errno)
		sim__error(l, v->mark,
			   "'seed': expected a whole number from 0 to %llu, "
			   "got %s",
			   (unsigned long long)UINT64_MAX, sim__got(v).s);
	else
		*seed = x;
}

/* Refuses workloads too large to simulate before anything runs. */
static void check_limits(struct sim_load *l, const struct sim_scenario *sc)
{
	const struct sim_arrivals *a = &sc->workload.arrivals;
	double peak = a->rate;
	if (sc->workload.closed.users || a->kind == SIM_ARR_TRACE)
		return;
	/* a step at or after the end of the run never takes effect */
	for (size_t i = 0; i < a->nschedule; i++)
		if (a->schedule[i].at < sc->warmup + sc->duration)
			peak = fmax(peak, a->schedule[i].rate);
	double n = peak * (sc->warmup + sc->duration);
	if (n > MAX_REQUESTS) {
		char r[64], t[64];
		sim__fmt_typed(r, sizeof(r), SIM_PT_RATE, peak, true);
		sim__fmt_typed(t, sizeof(t), SIM_PT_DURATION,
			       sc->warmup + sc->duration, true);
		sim__error(l, a->mark,
			   "too many requests per replication: %s x %s "
			   "(warmup + duration) = %.3g; the limit is %.0g",
			   r, t, n, MAX_REQUESTS);
	}
}

static void interpret(struct sim_load *l, const struct sim_ynode *root,
		      struct sim_scenario *sc, bool sweep);

/* Loads the scenario once more with each sweep parameter at its first and
 * last value, so that a bad sweep is caught before anything runs. */
static void check_sweep(struct sim_load *l, const struct sim_ynode *root,
			const struct sim_scenario *sc)
{
	const struct sim_ynode *sw = sim_ymap_get(root, "sweep", NULL);
	for (size_t i = 0; i < sc->nsweep && !sim__give_up(l); i++) {
		const struct sim_sweep_param *p = &sc->sweep[i];
		const struct sim_ynode *e = sw->vals[i];
		for (size_t j = 0; j < 2 && p->nvalues && !sim__give_up(l);
		     j++) {
			size_t at = j ? p->nvalues - 1 : 0;
			struct sim_ynode *val;
			char msg[256];
			if (j && p->nvalues == 1)
				break;
			if (e->kind == SIM_Y_SEQ)
				val = e->vals[at];
			else
				val = sim_ynode_new(
				    &l->doc, SIM_Y_SCALAR, p->values[at],
				    sim_ymap_get(e, j ? "to" : "from", NULL)
					->mark);
			if (!val) {
				sim__nomem(l);
				return;
			}
			struct sim_ynode *r = sim__set_root_path(
			    l, root, p->path, val, msg, sizeof(msg));
			if (!r) {
				if (!l->rc)
					sim__error(l, p->mark, "sweep '%s': %s",
						   p->path, msg);
				break;
			}
			struct sim_scenario tmp = {0};
			interpret(l, r, &tmp, false);
			sim_scenario_release(&tmp);
		}
	}
}

/* `workload:`: the requests (read_workload.c), their connections and
 * sessions (read_sessions.c), then a replayed trace against the classes. */
static void read_workload(struct sim_load *l, const struct sim_ynode *v,
			  struct sim_workload *w)
{
	const struct sim_ynode *n;
	if (!sim__read_workload(l, v, w))
		return;
	sim__read_connections(l, sim_ymap_get(v, "connections", NULL),
			      &w->connections);
	if ((n = sim_ymap_get(v, "sessions", NULL)))
		sim__read_sessions(l, n, &w->sessions);
	sim__check_trace(l, w);
}

static void interpret(struct sim_load *l, const struct sim_ynode *root,
		      struct sim_scenario *sc, bool sweep)
{
	static const char *const extra[] = {"seed",  "workload", "systems",
					    "sweep", "services", NULL};
	struct section sec = {sim__top_params, NELEM(sim__top_params), sc,
			      NULL};
	struct sim_mark top = {l->file, 1, 1};
	const struct sim_ynode *n;
	int nerr = l->nerr;

	if (sim_ynode_is_null(root)) {
		sim__error(l, top,
			   "empty scenario; expected a map with 'workload' and "
			   "'systems'");
		return;
	}
	if (root->kind != SIM_Y_MAP) {
		sim__error(
		    l, root->mark,
		    "expected a map with 'workload' and 'systems' at the "
		    "top level, got %s",
		    sim__got(root).s);
		return;
	}
	/* `warmup: auto`: read as 0 here, chosen from the data per
	 * replication when it runs (MSER-5, workload/run.c) */
	size_t wi;
	const struct sim_ynode *wu = sim_ymap_get(root, "warmup", &wi);
	struct sim_ynode *auto_root = NULL;
	if (wu && wu->kind == SIM_Y_SCALAR && !strcmp(wu->text, "auto")) {
		struct sim_ynode *z =
		    sim_ynode_new(&l->doc, SIM_Y_SCALAR, "0s", wu->mark);
		if (!z || !(auto_root = sim_ynode_clone(&l->doc, root))) {
			sim__nomem(l);
			return;
		}
		auto_root->vals[wi] = z;
		root = auto_root;
	}
	sim__read_table(l, root, &sec, 1, extra, "at the top level", NULL);
	sc->warmup_auto = auto_root != NULL;
	read_seed(l, sim_ymap_get(root, "seed", NULL), &sc->seed);
	if (sc->name)
		sim__check_name(l, "scenario", sc->name,
				sim_ymap_get(root, "name", NULL));
	if (!sc->name) {
		const char *base = strrchr(l->file, '/');
		base = base ? base + 1 : l->file;
		const char *dot = strrchr(base, '.');
		size_t len =
		    dot && dot > base ? (size_t)(dot - base) : strlen(base);
		if (!(sc->name = strndup(base, len)))
			sim__nomem(l);
		/* a control character in the file name: '_' instead */
		for (char *p = sc->name; p && *p; p++)
			if (sim_is_ctl((unsigned char)*p))
				*p = '_';
	}
	if ((n = sim_ymap_get(root, "workload", NULL)))
		read_workload(l, n, &sc->workload);
	else
		sim__error(l, root->mark,
			   "missing key 'workload' at the top "
			   "level");
	if ((n = sim_ymap_get(root, "systems", NULL)))
		sim__read_systems(l, n, sc);
	else
		sim__error(l, root->mark,
			   "missing key 'systems' at the top "
			   "level");
	if ((n = sim_ymap_get(root, "services", NULL)))
		sim__read_services(l, n, sc);
	sim__link_services(l, n, sim_ymap_get(root, "systems", NULL), sc);
	if (l->nerr == nerr) {
		sim__check_sessions(l, sc);
		if (l->nerr == nerr && sim__sessions_classes(&sc->workload) < 0)
			sim__nomem(l);
	}
	for (size_t i = sc->workload.nclasses;
	     i < sc->workload.nclasses + sc->workload.nextra; i++)
		if (sc->workload.classes[i].nphases > sc->max_phases)
			sc->max_phases = sc->workload.classes[i].nphases;
	if (sweep && (n = sim_ymap_get(root, "sweep", NULL)))
		sim__read_sweep(l, n, sc);
	if (l->nerr == nerr)
		check_limits(l, sc);
	if (sweep && l->nerr == nerr && !l->rc)
		check_sweep(l, root, sc);
}

/* ------------------------------------------------------------- loading -- */

/* sc->file holds the file name, then the "--set PATH" mark names of the
 * overrides, in one allocation: marks kept in the scenario point into it
 * and it is freed with the scenario. */
static char *mark_names(const char *file, const struct sim_override *ov,
			size_t nov, const char ***names)
{
	size_t size = strlen(file) + 1, off;
	for (size_t i = 0; i < nov; i++)
		size += strlen("--set ") + strlen(ov[i].path) + 1;
	char *block = malloc(size);
	*names = calloc(nov + 1, sizeof(**names));
	if (!block || !*names) {
		free(block);
		free(*names);
		*names = NULL;
		return NULL;
	}
	off = (size_t)(stpcpy(block, file) - block) + 1;
	for (size_t i = 0; i < nov; i++) {
		(*names)[i] = block + off;
		off += (size_t)sprintf(block + off, "--set %s", ov[i].path) + 1;
	}
	return block;
}

/* The table engine's nested types: a distribution, a system. */
static void nested_types(void)
{
	sim__param_nested(SIM_PT_DIST, &sim__dist_nested);
	sim__param_nested(SIM_PT_SYSTEM, &sim__system_nested);
}

/* The loader: parses `text` (shared NULL) or starts from the tree
 * `shared` (left alone: the overrides copy the nodes on their paths into
 * l.doc, which holds only the nodes of this load), applies the overrides
 * and reads the result into *out; `sweep` reads and checks the `sweep:`
 * section too. */
static int load(const char *name, const char *text, size_t len,
		const struct sim_ynode *shared, bool sweep,
		const struct sim_override *ov, size_t nov, FILE *err,
		struct sim_scenario *out)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, nested_types);
	struct sim_load l = {.err = err};
	struct sim_yerror e;
	const struct sim_ynode *root = shared;
	const char **names = NULL;
	char *slash;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!(out->file = mark_names(name, ov, nov, &names)))
		return SIM_ENOMEM;
	l.file = out->file;
	l.sc = out;
	/* an absolute schedule step under an overridden base rate is
	 * warned about, unless the schedule is overridden too */
	bool sched_set = false;
	for (size_t i = 0; i < nov; i++) {
		l.rate_set |= !strcmp(ov[i].path, "workload.arrivals.rate");
		sched_set |=
		    !strncmp(ov[i].path, "workload.arrivals.schedule", 26) ||
		    !strcmp(ov[i].path, "workload.arrivals") ||
		    !strcmp(ov[i].path, "workload");
	}
	l.rate_set &= !sched_set;
	if (!(l.dir = strdup(name))) {
		rc = SIM_ENOMEM;
		goto cleanup;
	}
	if ((slash = strrchr(l.dir, '/')))
		slash[slash == l.dir] = '\0';
	else {
		free(l.dir);
		l.dir = NULL;
	}
	if (!shared) {
		rc = sim_yaml_parse(&l.doc, out->file, text, len, 0, &e);
		if (rc == SIM_ESCENARIO)
			sim__error(&l, e.mark, "%s", e.msg);
		if (rc)
			goto cleanup;
		root = l.doc.root;
	}
	for (size_t i = 0; i < nov && !sim__give_up(&l); i++) {
		char msg[256];
		if (!strcmp(ov[i].path, SIM_SELECT_SYSTEMS))
			continue; /* after every --set */
		struct sim_ynode *v = sim__parse_override(
		    &l, names[i], ov[i].value ? ov[i].value : "");
		if (!v)
			continue;
		struct sim_ynode *r = sim__set_root_path(&l, root, ov[i].path,
							 v, msg, sizeof(msg));
		if (r)
			root = r;
		else if (!l.rc && l.nerr++ < SIM_MAX_ERRORS) {
			fputs("--set ", err);
			sim_fputs_safe(ov[i].path, err);
			fputs(": error: ", err);
			sim_fputs_safe(msg, err);
			fputc('\n', err);
		}
	}
	for (size_t i = 0; i < nov && !sim__give_up(&l); i++) {
		char msg[512];
		if (strcmp(ov[i].path, SIM_SELECT_SYSTEMS))
			continue;
		struct sim_ynode *r = sim__select_systems(
		    &l, root, ov[i].value ? ov[i].value : "", msg, sizeof(msg));
		if (r)
			root = r;
		else if (!l.rc && l.nerr++ < SIM_MAX_ERRORS)
			sim_fprintf_safe(err, "concsim: error: --systems: %s\n",
					 msg);
	}
	if (!sim__give_up(&l))
		interpret(&l, root, out, sweep);
	rc = l.rc ? l.rc : l.nerr ? SIM_ESCENARIO : 0;
cleanup:
	sim_yaml_free(&l.doc);
	free(l.dir);
	free(names);
	if (rc)
		sim_scenario_release(out);
	return rc;
}

int sim_scenario_load_string(const char *name, const char *text, size_t len,
			     const struct sim_override *ov, size_t nov,
			     FILE *err, struct sim_scenario *out)
{
	return load(name, text, len, NULL, true, ov, nov, err, out);
}

int sim_scenario_parse(const char *name, const char *text, size_t len,
		       FILE *err, struct sim_scenario_src *src)
{
	struct sim_yerror e;
	int rc;

	memset(src, 0, sizeof(*src));
	if (!(src->file = strdup(name)) ||
	    !(src->doc = calloc(1, sizeof(*src->doc)))) {
		sim_scenario_src_release(src);
		return SIM_ENOMEM;
	}
	rc = sim_yaml_parse(src->doc, src->file, text, len, 0, &e);
	if (rc == SIM_ESCENARIO) {
		struct sim_load l = {.err = err};
		sim__error(&l, e.mark, "%s", e.msg);
	}
	if (rc)
		sim_scenario_src_release(src);
	return rc;
}

int sim_scenario_load_src(const struct sim_scenario_src *src,
			  const struct sim_override *ov, size_t nov, FILE *err,
			  struct sim_scenario *out)
{
	return load(src->file, NULL, 0, src->doc->root, false, ov, nov, err,
		    out);
}

void sim_scenario_src_release(struct sim_scenario_src *src)
{
	if (src->doc)
		sim_yaml_free(src->doc);
	free(src->doc);
	free(src->file);
	memset(src, 0, sizeof(*src));
}

int sim_scenario_read(const char *file, FILE *in, FILE *err, char **text,
		      size_t *len)
{
	int rc = in ? sim_read_stream(in, SIM_YAML_MAX_BYTES, text, len)
		    : sim_read_file(file, SIM_YAML_MAX_BYTES, text, len);
	if (rc == SIM_EIO) {
		int e = errno;
		fputs("concsim: error: cannot read '", err);
		sim_fputs_safe(file, err);
		sim_fprintf_safe(err, "': %s\n", sim_file_strerror(e));
	} else if (rc == SIM_ELIMIT) {
		sim_fprintf_safe(
		    err,
		    "%s:1:1: error: file too large (more than %u MiB); "
		    "a scenario is a small text file\n",
		    file, SIM_YAML_MAX_BYTES >> 20);
		rc = SIM_ESCENARIO;
	}
	return rc;
}

int sim_scenario_load(const char *file, const struct sim_override *ov,
		      size_t nov, FILE *err, struct sim_scenario *out)
{
	char *text = NULL;
	size_t len = 0;
	int rc = sim_scenario_read(file, NULL, err, &text, &len);

	memset(out, 0, sizeof(*out));
	if (!rc)
		rc = sim_scenario_load_string(file, text, len, ov, nov, err,
					      out);
	free(text);
	return rc;
}

void sim_scenario_release(struct sim_scenario *sc)
{
	struct sim_workload *w = &sc->workload;
	free(sc->file);
	free(sc->name);
	free(sc->description);
	free(w->arrivals.schedule);
	free(w->arrivals.file);
	sim_dist_release(&w->closed.think);
	sim_dist_release(&w->client.stall_time);
	sim__release_sessions(&w->sessions);
	for (size_t i = 0; i < w->nclasses + w->nextra; i++) {
		sim__release_phases(w->classes[i].phases,
				    w->classes[i].nphases);
		free(w->classes[i].name);
	}
	free(w->classes);
	sim__release_services(sc);
	for (size_t i = 0; i < sc->nsystems; i++)
		sim__free_system_fields(&sc->systems[i]);
	free(sc->systems);
	sim_scenario_sweep_release(sc);
	for (size_t i = 0; i < sc->ninputs; i++)
		free(sc->inputs[i]);
	free(sc->inputs);
	memset(sc, 0, sizeof(*sc));
}

const size_t sim__ntop_params = NELEM(sim__top_params);
