/*
 * output.c - the result writers: a table for people at a terminal, JSON in
 * the shape of shared/contract.md ("run --format json"), a flat CSV for
 * scripts and pandas, the time-series CSV, and the atomic file output that
 * keeps a half-written result from ever having the final name.
 *
 * Writers see summaries and named metrics only; which model produced a
 * figure is just a string to them. A metric's group decides where it goes:
 * "" at the system's top level, "a.b" nested as {"a": {"b": {...}}} in
 * JSON and flattened as a_b_key in CSV.
 */
#include "output/output.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "kernel/kernel.h"
#include "kernel/rng.h"

#define NUM_LEN 32 /* room for any double sim_fmt_double prints */

/* Outcome names for errors[1..], as in model.h's SIM_OUTCOME_MAP. */
static const char *const outcome_key[SIM_NOUTCOMES] = {
    "ok", "refused", "timeout", "killed", "unavailable",
};

/* ---------------------------------------------------------- helpers -- */

/* The column name of a metric: group with '.' turned into '_', then '_'
 * and the key; just the key when the group is empty. */
static void flat_name(char *buf, size_t len, const struct sim_metric *m)
{
	if (m->group[0])
		snprintf(buf, len, "%s_%s", m->group, m->key);
	else
		snprintf(buf, len, "%s", m->key);
	for (char *p = buf; *p; p++)
		if (*p == '.')
			*p = '_';
}

/* A set of (group, key) names in first-seen order: columns of a CSV. The
 * entries point into the metrics they came from. */
struct colset {
	const struct sim_metric **v;
	size_t n, cap;
};

static bool same_metric(const struct sim_metric *a, const struct sim_metric *b)
{
	return !strcmp(a->group, b->group) && !strcmp(a->key, b->key);
}

static int colset_add(struct colset *c, const struct sim_metrics *m)
{
	for (size_t i = 0; i < m->n; i++) {
		size_t j = 0;
		while (j < c->n && !same_metric(c->v[j], &m->v[i]))
			j++;
		if (j < c->n)
			continue;
		if (c->n == c->cap) {
			size_t cap = c->cap ? 2 * c->cap : 16;
			const struct sim_metric **v =
			    realloc(c->v, cap * sizeof(*v));
			if (!v)
				return SIM_ENOMEM;
			c->v = v;
			c->cap = cap;
		}
		c->v[c->n++] = &m->v[i];
	}
	return 0;
}

/* The value of metric `col` in m, or NaN when m lacks it. */
static double metric_value(const struct sim_metrics *m,
			   const struct sim_metric *col)
{
	for (size_t i = 0; i < m->n; i++)
		if (same_metric(&m->v[i], col))
			return m->v[i].value;
	return NAN;
}

static const char *class_name(const struct sim_class_summary *c, size_t i,
			      char *buf, size_t len)
{
	if (c->name)
		return c->name;
	snprintf(buf, len, "class%zu", i);
	return buf;
}

/* ------------------------------------------------------------- JSON -- */

#define JW_MAXDEPTH 64

/* A pretty-printing JSON emitter (2-space indentation). */
struct jw {
	FILE *f;
	int depth;
	bool empty[JW_MAXDEPTH]; /* container at this depth has no member */
};

/* Writes s as a JSON string; invalid UTF-8 becomes U+FFFD. */
static void json_string(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	const unsigned char *p = (const unsigned char *)s;
	fputc('"', f);
	while (*p) {
		unsigned char c = *p;
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			p++;
		} else if (c < 0x20) {
			switch (c) {
			case '\n':
				fputs("\\n", f);
				break;
			case '\r':
				fputs("\\r", f);
				break;
			case '\t':
				fputs("\\t", f);
				break;
			case '\b':
				fputs("\\b", f);
				break;
			case '\f':
				fputs("\\f", f);
				break;
			default:
				fprintf(f, "\\u%04x", c);
			}
			p++;
		} else if (c < 0x80) {
			fputc(c, f);
			p++;
		} else {
			/* Length of a well-formed UTF-8 sequence, or 0. */
			size_t len = 0;
			uint32_t cp = 0;
			if (c >= 0xc2 && c <= 0xdf) {
				len = 2;
				cp = c & 0x1f;
			} else if (c >= 0xe0 && c <= 0xef) {
				len = 3;
				cp = c & 0x0f;
			} else if (c >= 0xf0 && c <= 0xf4) {
				len = 4;
				cp = c & 0x07;
			}
			for (size_t i = 1; i < len; i++) {
				if ((p[i] & 0xc0) != 0x80) {
					len = 0;
					break;
				}
				cp = cp << 6 | (p[i] & 0x3f);
			}
			/* Reject overlong forms, surrogates, > U+10FFFF. */
			if ((len == 3 &&
			     (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
			    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
				len = 0;
			if (len) {
				fwrite(p, 1, len, f);
				p += len;
			} else {
				fputs("\\ufffd", f);
				p++;
			}
		}
	}
	fputc('"', f);
}

static void jw_indent(struct jw *w, int depth)
{
	for (int i = 0; i < depth; i++)
		fputs("  ", w->f);
}

/* Starts a new member of the current container. */
static void jw_sep(struct jw *w)
{
	if (w->depth == 0)
		return;
	if (!w->empty[w->depth])
		fputc(',', w->f);
	fputc('\n', w->f);
	jw_indent(w, w->depth);
	w->empty[w->depth] = false;
}

static void jw_key(struct jw *w, const char *key)
{
	jw_sep(w);
	if (key) {
		json_string(w->f, key);
		fputs(": ", w->f);
	}
}

/* Opens an object ('{') or array ('['), as member `key` (NULL inside an
 * array or at the top). */
static void jw_begin(struct jw *w, const char *key, char open)
{
	jw_key(w, key);
	fputc(open, w->f);
	assert(w->depth + 1 < JW_MAXDEPTH);
	w->depth++;
	w->empty[w->depth] = true;
}

static void jw_end(struct jw *w, char close)
{
	if (!w->empty[w->depth]) {
		fputc('\n', w->f);
		jw_indent(w, w->depth - 1);
	}
	fputc(close, w->f);
	w->depth--;
}

static void jw_num(struct jw *w, const char *key, double v)
{
	char buf[NUM_LEN];
	sim_fmt_double(buf, sizeof(buf), v);
	jw_key(w, key);
	fputs(buf, w->f);
}

static void jw_str(struct jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	json_string(w->f, s);
}

/* If group g lies at or below the prefix (its first plen bytes, a whole
 * number of segments), sets *rest to what follows it ("" when g is the
 * prefix itself) and returns true. */
static bool group_under(const char *g, const char *prefix, size_t plen,
			const char **rest)
{
	if (plen == 0) {
		*rest = g;
		return true;
	}
	if (strncmp(g, prefix, plen) || (g[plen] && g[plen] != '.'))
		return false;
	*rest = g[plen] ? g + plen + 1 : g + plen;
	return true;
}

/* Whether a metric before index i already opened the sub-object `seg`
 * (slen bytes) below the prefix. */
static bool seg_seen(const struct sim_metrics *m, size_t i, const char *prefix,
		     size_t plen, const char *seg, size_t slen)
{
	for (size_t j = 0; j < i; j++) {
		const char *rest;
		if (group_under(m->v[j].group, prefix, plen, &rest) &&
		    strcspn(rest, ".") == slen && !strncmp(rest, seg, slen))
			return true;
	}
	return false;
}

/* Emits, in the current object, the metrics at or below a group prefix:
 * leaves as "key": value, deeper groups as nested objects, each in the
 * order its first metric appears. */
static void json_metrics(struct jw *w, const struct sim_metrics *m,
			 const char *prefix, size_t plen)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct sim_metric *x = &m->v[i];
		const char *rest;
		if (!group_under(x->group, prefix, plen, &rest))
			continue;
		size_t slen = strcspn(rest, ".");
		if (slen == 0) { /* the group itself (or a malformed one) */
			jw_num(w, x->key, x->value);
			continue;
		}
		if (seg_seen(m, i, prefix, plen, rest, slen))
			continue;
		char seg[sizeof(x->group)];
		memcpy(seg, rest, slen);
		seg[slen] = '\0';
		jw_begin(w, seg, '{');
		json_metrics(w, m, x->group, (size_t)(rest - x->group) + slen);
		jw_end(w, '}');
	}
}

static void json_system(struct jw *w, const struct sim_summary *s)
{
	jw_begin(w, NULL, '{');
	jw_str(w, "name", s->name);
	jw_str(w, "model", s->model);
	jw_num(w, "offered_rps", s->offered_rps.mean);
	jw_num(w, "throughput_rps", s->throughput_rps.mean);
	jw_num(w, "goodput_rps", s->goodput_rps.mean);
	jw_num(w, "completed", s->completed);
	jw_begin(w, "errors", '{');
	for (int o = 1; o < SIM_NOUTCOMES; o++)
		jw_num(w, outcome_key[o], s->errors[o]);
	jw_end(w, '}');
	jw_num(w, "wasted", s->wasted);
	jw_begin(w, "latency_s", '{');
	jw_num(w, "mean", s->lat_mean.mean);
	jw_num(w, "p50", s->p50.mean);
	jw_num(w, "p90", s->p90.mean);
	jw_num(w, "p99", s->p99.mean);
	jw_num(w, "p999", s->p999.mean);
	jw_num(w, "max", s->lat_max);
	if (s->ncdf) {
		/* [quantile, seconds] pairs, one per line */
		jw_begin(w, "cdf", '[');
		for (size_t k = 0; k < s->ncdf; k++) {
			char q[NUM_LEN], v[NUM_LEN];
			sim_fmt_double(q, sizeof(q), sim_cdf_q[k]);
			sim_fmt_double(v, sizeof(v), s->cdf[k]);
			jw_key(w, NULL);
			fprintf(w->f, "[%s, %s]", q, v);
		}
		jw_end(w, ']');
	}
	jw_end(w, '}');
	jw_begin(w, "ci95", '{');
	jw_num(w, "throughput_rps", s->throughput_rps.ci95);
	jw_num(w, "goodput_rps", s->goodput_rps.ci95);
	jw_num(w, "latency_mean_s", s->lat_mean.ci95);
	jw_num(w, "latency_p50_s", s->p50.ci95);
	jw_num(w, "latency_p99_s", s->p99.ci95);
	jw_end(w, '}');
	json_metrics(w, &s->metrics, "", 0);
	jw_num(w, "events", s->events);
	jw_begin(w, "classes", '{');
	for (size_t c = 0; c < s->nclasses; c++) {
		const struct sim_class_summary *cs = &s->classes[c];
		char nb[32];
		jw_begin(w, class_name(cs, c, nb, sizeof(nb)), '{');
		jw_num(w, "completed", cs->completed);
		jw_begin(w, "latency_s", '{');
		jw_num(w, "mean", cs->lat_mean.mean);
		jw_num(w, "p50", cs->p50.mean);
		jw_num(w, "p90", cs->p90.mean);
		jw_num(w, "p99", cs->p99.mean);
		jw_end(w, '}');
		jw_end(w, '}');
	}
	jw_end(w, '}');
	jw_end(w, '}');
}

int sim_write_json(FILE *f, const struct sim_scenario *sc,
		   const struct sim_summary *sys, size_t n)
{
	struct jw w = {.f = f};
	int reps = n ? sys[0].replications : sc->replications;

	jw_begin(&w, NULL, '{');
	jw_str(&w, "scenario", sc->name);
	jw_key(&w, "seed");
	fprintf(f, "%" PRIu64, sc->seed);
	jw_key(&w, "replications");
	fprintf(f, "%d", reps);
	jw_num(&w, "duration_s", sc->duration);
	jw_num(&w, "warmup_s", sc->warmup);
	jw_begin(&w, "systems", '[');
	for (size_t i = 0; i < n; i++)
		json_system(&w, &sys[i]);
	jw_end(&w, ']');
	jw_end(&w, '}');
	fputc('\n', f);
	return ferror(f) ? SIM_EIO : 0;
}

/* -------------------------------------------------------------- CSV -- */

/* Writes one cell, quoted (RFC 4180) when it holds a comma, a quote or a
 * line break; `first` tracks the separator. */
static void csv_cell(FILE *f, bool *first, const char *s)
{
	if (!*first)
		fputc(',', f);
	*first = false;
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void sim_csv_cell(FILE *f, bool *first, const char *s)
{
	csv_cell(f, first, s);
}

void sim_json_string(FILE *f, const char *s)
{
	json_string(f, s);
}

/* A number cell: shortest form, empty when not finite. */
static void csv_num(FILE *f, bool *first, double v)
{
	char buf[NUM_LEN] = "";
	if (isfinite(v))
		sim_fmt_double(buf, sizeof(buf), v);
	csv_cell(f, first, buf);
}

static void csv_int(FILE *f, bool *first, long long v)
{
	char buf[NUM_LEN];
	snprintf(buf, sizeof(buf), "%lld", v);
	csv_cell(f, first, buf);
}

static void csv_metric_header(FILE *f, bool *first, const struct colset *cols)
{
	char name[2 * sizeof(((struct sim_metric *)0)->group) + 2];
	for (size_t k = 0; k < cols->n; k++) {
		flat_name(name, sizeof(name), cols->v[k]);
		csv_cell(f, first, name);
	}
}

const char *const sim_csv_fixed[SIM_CSV_NFIXED] = {
    "scenario",
    "system",
    "model",
    "replications",
    "duration_s",
    "offered_rps",
    "offered_rps_ci95",
    "throughput_rps",
    "throughput_rps_ci95",
    "goodput_rps",
    "goodput_rps_ci95",
    "completed",
    "errors_refused",
    "errors_timeout",
    "errors_killed",
    "errors_unavailable",
    "wasted",
    "latency_s_mean",
    "latency_s_mean_ci95",
    "latency_s_p50",
    "latency_s_p90",
    "latency_s_p99",
    "latency_s_p99_ci95",
    "latency_s_p999",
    "latency_s_max",
    "events",
};

/* Class names over all systems, first-seen order (pointers into sys). */
struct nameset {
	const char **v;
	size_t n;
};

static int class_names(const struct sim_summary *sys, size_t n,
		       struct nameset *out, char (*fallback)[32],
		       size_t nfallback)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += sys[i].nclasses;
	out->n = 0;
	out->v = calloc(total ? total : 1, sizeof(*out->v));
	if (!out->v)
		return SIM_ENOMEM;
	for (size_t i = 0; i < n; i++)
		for (size_t c = 0; c < sys[i].nclasses; c++) {
			const char *name = sys[i].classes[c].name;
			if (!name) {
				if (c >= nfallback)
					continue;
				snprintf(fallback[c], 32, "class%zu", c);
				name = fallback[c];
			}
			size_t j = 0;
			while (j < out->n && strcmp(out->v[j], name))
				j++;
			if (j == out->n)
				out->v[out->n++] = name;
		}
	return 0;
}

static const struct sim_class_summary *find_class(const struct sim_summary *s,
						  const char *name)
{
	char nb[32];
	for (size_t c = 0; c < s->nclasses; c++)
		if (!strcmp(class_name(&s->classes[c], c, nb, sizeof(nb)),
			    name))
			return &s->classes[c];
	return NULL;
}

/* Suffixes of the per-class columns, class_NAME_SUFFIX. */
static const char *const class_sfx[] = {
    "completed",
    "latency_s_mean",
    "latency_s_p50",
    "latency_s_p99",
};
#define NCLASS_SFX (sizeof(class_sfx) / sizeof(class_sfx[0]))

void sim_cells_release(struct sim_cells *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].name);
	free(c->v);
	*c = (struct sim_cells){0};
}

static int cell_add(struct sim_cells *c, enum sim_cell_kind kind,
		    const char *name, const char *str, double num)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct sim_cell *v = realloc(c->v, cap * sizeof(*v));
		if (!v)
			return SIM_ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return SIM_ENOMEM;
	c->v[c->n++] = (struct sim_cell){kind, copy, str, num};
	return 0;
}

/* The cell of that kind and name in c, or NULL. */
static const struct sim_cell *
find_cell(const struct sim_cells *c, enum sim_cell_kind kind, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].kind == kind && !strcmp(c->v[i].name, name))
			return &c->v[i];
	return NULL;
}

/* Writes a cell's value; an absent cell is an empty one. */
static void csv_value(FILE *f, bool *first, const struct sim_cell *c)
{
	if (c && c->str)
		csv_cell(f, first, c->str);
	else
		csv_num(f, first, c ? c->num : NAN);
}

int sim_summary_flatten(const struct sim_scenario *sc,
			const struct sim_summary *s, struct sim_cells *out)
{
	/* scenario, system and model are strings, in str[] */
	const double fixed[SIM_CSV_NFIXED] = {
	    NAN,
	    NAN,
	    NAN,
	    s->replications,
	    s->duration_s,
	    s->offered_rps.mean,
	    s->offered_rps.ci95,
	    s->throughput_rps.mean,
	    s->throughput_rps.ci95,
	    s->goodput_rps.mean,
	    s->goodput_rps.ci95,
	    s->completed,
	    s->errors[1],
	    s->errors[2],
	    s->errors[3],
	    s->errors[4],
	    s->wasted,
	    s->lat_mean.mean,
	    s->lat_mean.ci95,
	    s->p50.mean,
	    s->p90.mean,
	    s->p99.mean,
	    s->p99.ci95,
	    s->p999.mean,
	    s->lat_max,
	    s->events,
	};
	const char *const str[3] = {sc->name ? sc->name : "",
				    s->name ? s->name : "",
				    s->model ? s->model : ""};
	int rc = 0;

	*out = (struct sim_cells){0};
	for (size_t k = 0; k < SIM_CSV_NFIXED && !rc; k++)
		rc = cell_add(out, SIM_CELL_FIXED, sim_csv_fixed[k],
			      k < 3 ? str[k] : NULL, fixed[k]);
	for (size_t k = 0; k < s->metrics.n && !rc; k++) {
		char name[2 * sizeof(s->metrics.v[k].group) + 2];
		flat_name(name, sizeof(name), &s->metrics.v[k]);
		rc = cell_add(out, SIM_CELL_METRIC, name, NULL,
			      s->metrics.v[k].value);
	}
	for (size_t c = 0; c < s->nclasses && !rc; c++) {
		const struct sim_class_summary *cs = &s->classes[c];
		const double v[NCLASS_SFX] = {cs->completed, cs->lat_mean.mean,
					      cs->p50.mean, cs->p99.mean};
		char nb[32];
		const char *cname = class_name(cs, c, nb, sizeof(nb));
		for (size_t k = 0; k < NCLASS_SFX && !rc; k++) {
			char name[256];
			snprintf(name, sizeof(name), "class_%s_%s", cname,
				 class_sfx[k]);
			rc = cell_add(out, SIM_CELL_CLASS, name, NULL, v[k]);
		}
	}
	if (rc)
		sim_cells_release(out);
	return rc;
}

#define MAX_FALLBACK_NAMES 64

int sim_write_csv(FILE *f, const struct sim_scenario *sc,
		  const struct sim_summary *sys, size_t n)
{
	struct colset cols = {0};
	struct nameset cls = {0};
	struct sim_cells row = {0};
	char fallback[MAX_FALLBACK_NAMES][32];
	bool first;
	int rc;

	for (size_t i = 0; i < n; i++) {
		rc = colset_add(&cols, &sys[i].metrics);
		if (rc)
			goto cleanup;
	}
	rc = class_names(sys, n, &cls, fallback, MAX_FALLBACK_NAMES);
	if (rc)
		goto cleanup;

	first = true;
	for (size_t k = 0; k < SIM_CSV_NFIXED; k++)
		csv_cell(f, &first, sim_csv_fixed[k]);
	csv_metric_header(f, &first, &cols);
	for (size_t c = 0; c < cls.n; c++) {
		for (size_t k = 0; k < NCLASS_SFX; k++) {
			char name[256];
			snprintf(name, sizeof(name), "class_%s_%s", cls.v[c],
				 class_sfx[k]);
			csv_cell(f, &first, name);
		}
	}
	fputc('\n', f);

	for (size_t i = 0; i < n; i++) {
		rc = sim_summary_flatten(sc, &sys[i], &row);
		if (rc)
			goto cleanup;
		first = true;
		for (size_t k = 0; k < row.n && row.v[k].kind == SIM_CELL_FIXED;
		     k++)
			csv_value(f, &first, &row.v[k]);
		for (size_t k = 0; k < cols.n; k++) {
			char name[2 * sizeof(cols.v[k]->group) + 2];
			flat_name(name, sizeof(name), cols.v[k]);
			csv_value(f, &first,
				  find_cell(&row, SIM_CELL_METRIC, name));
		}
		for (size_t c = 0; c < cls.n; c++)
			for (size_t k = 0; k < NCLASS_SFX; k++) {
				char name[256];
				snprintf(name, sizeof(name), "class_%s_%s",
					 cls.v[c], class_sfx[k]);
				csv_value(
				    f, &first,
				    find_cell(&row, SIM_CELL_CLASS, name));
			}
		fputc('\n', f);
		sim_cells_release(&row);
	}
	rc = ferror(f) ? SIM_EIO : 0;

cleanup:
	sim_cells_release(&row);
	free(cols.v);
	free(cls.v);
	return rc;
}

int sim_write_timeseries(FILE *f, const struct sim_scenario *sc,
			 const struct sim_ts *ts, size_t nsystems)
{
	static const char *const fixed[] = {
	    "time_s",	   "system",	     "replication",
	    "offered_rps", "throughput_rps", "goodput_rps",
	    "errors",	   "latency_s_p50",  "latency_s_p99",
	};
	struct colset cols = {0};
	bool first = true;
	int rc = 0;

	for (size_t i = 0; i < nsystems; i++)
		for (size_t r = 0; r < ts[i].n; r++) {
			rc = colset_add(&cols, &ts[i].rows[r].metrics);
			if (rc)
				goto cleanup;
		}
	for (size_t k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++)
		csv_cell(f, &first, fixed[k]);
	csv_metric_header(f, &first, &cols);
	fputc('\n', f);

	for (size_t i = 0; i < nsystems; i++) {
		const char *name = i < sc->nsystems ? sc->systems[i].name : "";
		for (size_t r = 0; r < ts[i].n; r++) {
			const struct sim_ts_row *row = &ts[i].rows[r];
			first = true;
			csv_num(f, &first, row->time_s);
			csv_cell(f, &first, name);
			csv_int(f, &first, row->replication);
			csv_num(f, &first, row->offered_rps);
			csv_num(f, &first, row->throughput_rps);
			csv_num(f, &first, row->goodput_rps);
			csv_int(f, &first, (long long)row->errors);
			csv_num(f, &first, row->p50);
			csv_num(f, &first, row->p99);
			for (size_t k = 0; k < cols.n; k++)
				csv_num(f, &first,
					metric_value(&row->metrics, cols.v[k]));
			fputc('\n', f);
		}
	}
	rc = ferror(f) ? SIM_EIO : 0;

cleanup:
	free(cols.v);
	return rc;
}

/* ------------------------------------------------------------ table -- */

#define TBL_CELL    48
#define TBL_MAXCOLS 16

/* A grid of formatted cells, printed with every column as wide as its
 * widest cell; `right` aligns a column to the right (numbers). */
struct tbl {
	size_t ncols, nrows;
	char (*cell)[TBL_CELL];
	bool right[TBL_MAXCOLS];
};

static int tbl_init(struct tbl *t, size_t nrows, size_t ncols)
{
	assert(ncols <= TBL_MAXCOLS);
	memset(t, 0, sizeof(*t));
	t->cell = calloc(nrows * ncols, sizeof(*t->cell));
	if (!t->cell)
		return SIM_ENOMEM;
	t->nrows = nrows;
	t->ncols = ncols;
	return 0;
}

static char *tbl_at(struct tbl *t, size_t row, size_t col)
{
	return t->cell[row * t->ncols + col];
}

/* Prints the grid; row 0 is the header, underlined with dashes. */
static void tbl_print(FILE *f, struct tbl *t)
{
	size_t w[TBL_MAXCOLS] = {0};
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t len = strlen(tbl_at(t, r, c));
			if (len > w[c])
				w[c] = len;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = tbl_at(t, r, c);
			bool last = c + 1 == t->ncols;
			if (c)
				fputs("  ", f);
			if (t->right[c])
				fprintf(f, "%*s", (int)w[c], s);
			else if (last)
				fputs(s, f);
			else
				fprintf(f, "%-*s", (int)w[c], s);
		}
		fputc('\n', f);
		if (r == 0) {
			size_t total = 0;
			for (size_t c = 0; c < t->ncols; c++)
				total += w[c] + (c ? 2 : 0);
			for (size_t k = 0; k < total; k++)
				fputc('-', f);
			fputc('\n', f);
		}
	}
}

/* Decimals that show about three significant digits of v. */
static int decimals(double v)
{
	double a = fabs(v);
	return a >= 100 ? 0 : a >= 10 ? 1 : 2;
}

/* A duration with an automatic unit (ns, us, ms, s) and, when ci is true,
 * "+- half-width" in the same unit; "-" when not finite. `sep` goes
 * between number and unit. */
static void fmt_time(char *buf, size_t len, struct sim_est e, bool ci,
		     const char *sep)
{
	static const struct {
		double below, scale;
		const char *unit;
	} units[] = {
	    {1e-6, 1e9, "ns"},
	    {1e-3, 1e6, "us"},
	    {1.0, 1e3, "ms"},
	    {INFINITY, 1.0, "s"},
	};
	if (!isfinite(e.mean)) {
		snprintf(buf, len, "-");
		return;
	}
	size_t u = 0;
	while (fabs(e.mean) >= units[u].below && u + 1 < 4)
		u++;
	if (e.mean == 0.0)
		u = 2; /* "0.00 ms" reads better than "0.00 ns" */
	double v = e.mean * units[u].scale;
	int d = decimals(v);
	if (ci && isfinite(e.ci95))
		snprintf(buf, len, "%.*f +- %.*f%s%s", d, v, d,
			 e.ci95 * units[u].scale, sep, units[u].unit);
	else
		snprintf(buf, len, "%.*f%s%s", d, v, sep, units[u].unit);
}

/* A scenario duration as given: "60 s", "500 ms". */
static void fmt_span(char *buf, size_t len, double v)
{
	if (v != 0 && fabs(v) < 1e-3)
		snprintf(buf, len, "%g us", v * 1e6);
	else if (v != 0 && fabs(v) < 1)
		snprintf(buf, len, "%g ms", v * 1e3);
	else
		snprintf(buf, len, "%g s", v);
}

/* A rate per second, with "+- half-width" when ci is true. */
static void fmt_rate(char *buf, size_t len, struct sim_est e, bool ci)
{
	if (!isfinite(e.mean)) {
		snprintf(buf, len, "-");
		return;
	}
	int d = fabs(e.mean) >= 10000 ? 0 : 1;
	if (ci && isfinite(e.ci95))
		snprintf(buf, len, "%.*f +- %.*f", d, e.mean, d, e.ci95);
	else
		snprintf(buf, len, "%.*f", d, e.mean);
}

/* A count averaged over replications: whole when it is whole. */
static void fmt_count(char *buf, size_t len, double v)
{
	if (v == floor(v) || fabs(v) >= 1000)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.1f", v);
}

/* The memory peak a model reported, or NaN. */
static double mem_peak(const struct sim_metrics *m)
{
	double v = sim_metrics_get(m, "", "memory_peak_bytes", NAN);
	if (isnan(v))
		v = sim_metrics_get(m, "memory", "peak_bytes", NAN);
	return v;
}

/* Whether the table already shows this metric in a column. */
static bool shown_in_table(const struct sim_metric *x)
{
	return !strcmp(x->group, "vs_first") || /* its own block */
	       (!strcmp(x->group, "utilization") && !strcmp(x->key, "cpu")) ||
	       (!x->group[0] && !strcmp(x->key, "memory_peak_bytes")) ||
	       (!strcmp(x->group, "memory") && !strcmp(x->key, "peak_bytes"));
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

/* One metric as key=value: utilization in percent, figures in seconds
 * (a name ending in "_s", not "per_s") as durations, everything else with
 * four significant digits. */
static void fmt_metric(char *buf, size_t len, const struct sim_metric *x)
{
	char v[TBL_CELL];
	bool util = !strncmp(x->group, "utilization", 11);
	bool secs = (ends_with(x->key, "_s") && !ends_with(x->key, "per_s")) ||
		    ends_with(x->group, "_s") ||
		    strstr(x->group, "_s.") != NULL;
	if (!isfinite(x->value))
		snprintf(v, sizeof(v), "-");
	else if (util)
		snprintf(v, sizeof(v), "%.1f%%", 100.0 * x->value);
	else if (secs)
		fmt_time(v, sizeof(v), (struct sim_est){x->value, 0}, false,
			 "");
	else
		snprintf(v, sizeof(v), "%.4g", x->value);
	snprintf(buf, len, "%s%s%s=%s", x->group, x->group[0] ? "." : "",
		 x->key, v);
}

/* The paired differences of each system against the first one (group
 * "vs_first", common random numbers), one line per system:
 *   name  mean +12.3 +- 1.1 ms  p99 ...  goodput -3.20 +- 0.50/s */
static void table_paired(FILE *f, const struct sim_summary *sys, size_t n)
{
	static const struct {
		const char *key, *label;
		bool secs;
	} figs[] = {{"latency_mean_s_diff", "mean", true},
		    {"latency_p99_s_diff", "p99", true},
		    {"goodput_rps_diff", "goodput", false}};
	bool header = false;
	for (size_t i = 1; i < n; i++) {
		const struct sim_metrics *m = &sys[i].metrics;
		if (isnan(sim_metrics_get(m, "vs_first", figs[0].key, NAN)))
			continue;
		if (!header)
			fprintf(f,
				"\ncompared with %s on the same requests "
				"(paired differences, +- 95%%):\n",
				sys[0].name ? sys[0].name : "the first system");
		header = true;
		fprintf(f, "  %-18s", sys[i].name ? sys[i].name : "?");
		for (size_t k = 0; k < sizeof figs / sizeof figs[0]; k++) {
			char key[48], v[2 * TBL_CELL];
			snprintf(key, sizeof key, "%s_ci95", figs[k].key);
			struct sim_est e = {
			    sim_metrics_get(m, "vs_first", figs[k].key, NAN),
			    sim_metrics_get(m, "vs_first", key, NAN)};
			const char *sign = e.mean < 0 ? "-" : "+";
			e.mean = fabs(e.mean);
			if (figs[k].secs)
				fmt_time(v, sizeof v, e, true, " ");
			else
				snprintf(v, sizeof v, "%.3g +- %.2g/s", e.mean,
					 e.ci95);
			fprintf(f, "  %s %s%s", figs[k].label, sign, v);
		}
		fputc('\n', f);
	}
}

/* Writes `s: k=v k=v ...` wrapped before 80 columns. */
static void table_metrics_line(FILE *f, const struct sim_summary *s)
{
	char tok[2 * TBL_CELL + 48];
	size_t col = 0;
	bool any = false;

	for (size_t i = 0; i < s->metrics.n + 1; i++) {
		if (i < s->metrics.n) {
			if (shown_in_table(&s->metrics.v[i]))
				continue;
			fmt_metric(tok, sizeof(tok), &s->metrics.v[i]);
		} else if (s->wasted > 0) {
			char v[NUM_LEN];
			fmt_count(v, sizeof(v), s->wasted);
			snprintf(tok, sizeof(tok), "wasted=%s", v);
		} else {
			break;
		}
		if (!any) {
			fprintf(f, "  %s:", s->name ? s->name : "?");
			col = 3 + strlen(s->name ? s->name : "?");
			any = true;
		}
		size_t len = strlen(tok);
		if (col + 1 + len > 79 && col > 4) {
			fputs("\n   ", f);
			col = 3;
		}
		fprintf(f, " %s", tok);
		col += 1 + len;
	}
	if (any)
		fputc('\n', f);
}

/* The per-class block: one row per class and system. */
static int table_classes(FILE *f, const struct sim_summary *sys, size_t n)
{
	char fallback[MAX_FALLBACK_NAMES][32];
	struct nameset cls = {0};
	struct tbl t = {0};
	int rc = class_names(sys, n, &cls, fallback, MAX_FALLBACK_NAMES);
	if (rc)
		goto cleanup;
	rc = tbl_init(&t, 1 + cls.n * n, 6);
	if (rc)
		goto cleanup;
	static const char *const head[] = {"class", "system", "done/s",
					   "mean",  "p50",    "p99"};
	for (size_t c = 0; c < 6; c++) {
		snprintf(tbl_at(&t, 0, c), TBL_CELL, "%s", head[c]);
		t.right[c] = c >= 2;
	}
	size_t row = 1;
	for (size_t c = 0; c < cls.n; c++)
		for (size_t i = 0; i < n; i++, row++) {
			const struct sim_summary *s = &sys[i];
			const struct sim_class_summary *cs =
			    find_class(s, cls.v[c]);
			snprintf(tbl_at(&t, row, 0), TBL_CELL, "%s",
				 i == 0 ? cls.v[c] : "");
			snprintf(tbl_at(&t, row, 1), TBL_CELL, "%s",
				 s->name ? s->name : "?");
			if (!cs) {
				for (size_t k = 2; k < 6; k++)
					snprintf(tbl_at(&t, row, k), TBL_CELL,
						 "-");
				continue;
			}
			double done = s->duration_s > 0
					  ? cs->completed / s->duration_s
					  : NAN;
			fmt_rate(tbl_at(&t, row, 2), TBL_CELL,
				 (struct sim_est){done, 0}, false);
			fmt_time(tbl_at(&t, row, 3), TBL_CELL, cs->lat_mean,
				 false, " ");
			fmt_time(tbl_at(&t, row, 4), TBL_CELL, cs->p50, false,
				 " ");
			fmt_time(tbl_at(&t, row, 5), TBL_CELL, cs->p99, false,
				 " ");
		}
	fputc('\n', f);
	tbl_print(f, &t);

cleanup:
	free(t.cell);
	free(cls.v);
	return rc;
}

enum {
	COL_SYSTEM,
	COL_MODEL,
	COL_OFFERED,
	COL_THRUPUT,
	COL_GOODPUT,
	COL_ERRORS,
	COL_MEAN,
	COL_P50,
	COL_P99,
	COL_P999,
	COL_CPU,
	COL_MEM,
	NCOLS
};

int sim_write_table(FILE *f, const struct sim_scenario *sc,
		    const struct sim_summary *sys, size_t n)
{
	static const char *const head[NCOLS] = {
	    "system", "model", "offered/s", "thruput/s", "goodput/s", "errors",
	    "mean",   "p50",   "p99",	    "p99.9",	 "cpu %",     "mem MiB",
	};
	struct tbl t = {0};
	int reps = n ? sys[0].replications : sc->replications;
	bool ci = reps > 1;
	char dur[TBL_CELL], warm[TBL_CELL];
	int rc;

	fmt_span(dur, sizeof(dur), sc->duration);
	fmt_span(warm, sizeof(warm), sc->warmup);
	fprintf(f, "%s: %s measured after %s warm-up, %d replication%s%s\n\n",
		sc->name ? sc->name : "scenario", dur, warm, reps,
		reps == 1 ? "" : "s",
		ci ? " (+- is the 95% confidence half-width)" : "");

	rc = tbl_init(&t, n + 1, NCOLS);
	if (rc)
		goto cleanup;
	for (size_t c = 0; c < NCOLS; c++) {
		snprintf(tbl_at(&t, 0, c), TBL_CELL, "%s", head[c]);
		t.right[c] = c >= COL_OFFERED;
	}
	for (size_t i = 0; i < n; i++) {
		const struct sim_summary *s = &sys[i];
		size_t r = i + 1;

		snprintf(tbl_at(&t, r, COL_SYSTEM), TBL_CELL, "%s",
			 s->name ? s->name : "?");
		snprintf(tbl_at(&t, r, COL_MODEL), TBL_CELL, "%s",
			 s->model ? s->model : "?");
		fmt_rate(tbl_at(&t, r, COL_OFFERED), TBL_CELL, s->offered_rps,
			 false);
		fmt_rate(tbl_at(&t, r, COL_THRUPUT), TBL_CELL,
			 s->throughput_rps, ci);
		fmt_rate(tbl_at(&t, r, COL_GOODPUT), TBL_CELL, s->goodput_rps,
			 false);

		double total = 0;
		int worst = 0;
		for (int o = 1; o < SIM_NOUTCOMES; o++) {
			total += s->errors[o];
			if (s->errors[o] > 0 &&
			    (!worst || s->errors[o] > s->errors[worst]))
				worst = o;
		}
		char cnt[NUM_LEN];
		fmt_count(cnt, sizeof(cnt), total);
		snprintf(tbl_at(&t, r, COL_ERRORS), TBL_CELL, "%s%s%s%s", cnt,
			 worst ? " (" : "", worst ? outcome_key[worst] : "",
			 worst ? ")" : "");

		fmt_time(tbl_at(&t, r, COL_MEAN), TBL_CELL, s->lat_mean, false,
			 " ");
		fmt_time(tbl_at(&t, r, COL_P50), TBL_CELL, s->p50, false, " ");
		fmt_time(tbl_at(&t, r, COL_P99), TBL_CELL, s->p99, ci, " ");
		fmt_time(tbl_at(&t, r, COL_P999), TBL_CELL, s->p999, false,
			 " ");

		double cpu =
		    sim_metrics_get(&s->metrics, "utilization", "cpu", NAN);
		double mem = mem_peak(&s->metrics);
		if (isfinite(cpu))
			snprintf(tbl_at(&t, r, COL_CPU), TBL_CELL, "%.1f",
				 100.0 * cpu);
		else
			snprintf(tbl_at(&t, r, COL_CPU), TBL_CELL, "-");
		if (isfinite(mem))
			snprintf(tbl_at(&t, r, COL_MEM), TBL_CELL, "%.1f",
				 mem / (1024.0 * 1024.0));
		else
			snprintf(tbl_at(&t, r, COL_MEM), TBL_CELL, "-");
	}
	tbl_print(f, &t);

	bool multi = false;
	for (size_t i = 0; i < n; i++)
		multi = multi || sys[i].nclasses > 1;
	if (multi) {
		rc = table_classes(f, sys, n);
		if (rc)
			goto cleanup;
	}

	table_paired(f, sys, n);

	bool header = false;
	for (size_t i = 0; i < n; i++) {
		bool has = sys[i].wasted > 0;
		for (size_t k = 0; k < sys[i].metrics.n && !has; k++)
			has = !shown_in_table(&sys[i].metrics.v[k]);
		if (!has)
			continue;
		if (!header)
			fputs("\nother figures (means over replications; "
			      "*.max: maximum):\n",
			      f);
		header = true;
		table_metrics_line(f, &sys[i]);
	}
	rc = ferror(f) ? SIM_EIO : 0;

cleanup:
	free(t.cell);
	return rc;
}

/* ------------------------------------------------------- atomic files -- */

static char *join_path(const char *dir, const char *name)
{
	size_t len = (dir ? strlen(dir) : 0) + strlen(name) + 2;
	char *p = malloc(len);
	if (!p)
		return NULL;
	if (dir && dir[0])
		snprintf(p, len, "%s/%s", dir, name);
	else
		snprintf(p, len, "%s", name);
	return p;
}

int sim_afile_open(struct sim_afile *a, const char *dir, const char *name,
		   FILE *err)
{
	int rc = SIM_ENOMEM;

	memset(a, 0, sizeof(*a));
	a->final = join_path(dir, name);
	if (!a->final)
		goto cleanup;
	size_t len = strlen(a->final) + 32;
	a->tmp = malloc(len);
	if (!a->tmp)
		goto cleanup;
	snprintf(a->tmp, len, "%s.tmp.%ld", a->final, (long)getpid());
	a->f = fopen(a->tmp, "w");
	if (!a->f) {
		fprintf(err, "concsim: error: cannot write '%s': %s\n",
			a->final, strerror(errno));
		rc = SIM_EIO;
		goto cleanup;
	}
	return 0;

cleanup:
	if (rc == SIM_ENOMEM)
		fprintf(err, "concsim: error: cannot write '%s': %s\n",
			a->final ? a->final : name, strerror(ENOMEM));
	free(a->tmp);
	free(a->final);
	memset(a, 0, sizeof(*a));
	return rc;
}

/* Makes a rename durable; failures here are not worth an error. */
static void sync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, (size_t)(slash - path)) : NULL;
	FILE *d = fopen(dir ? (dir[0] ? dir : "/") : ".", "r");
	if (d) {
		fsync(fileno(d));
		fclose(d);
	}
	free(dir);
}

int sim_afile_close(struct sim_afile *a, FILE *err)
{
	int saved = errno, e = 0;

	assert(a->f && a->tmp && a->final);
	if (fflush(a->f))
		e = errno;
	else if (ferror(a->f))
		e = saved ? saved : EIO; /* an earlier write failed */
	if (!e && fsync(fileno(a->f)) && errno != EINVAL)
		e = errno;
	if (fclose(a->f) && !e)
		e = errno;
	a->f = NULL;
	if (e) {
		fprintf(err, "concsim: error: cannot write '%s': %s\n",
			a->final, strerror(e));
		sim_afile_abort(a);
		return SIM_EIO;
	}
	return 0;
}

int sim_afile_publish(struct sim_afile *a, FILE *err)
{
	if (!a->tmp)
		return 0;
	assert(!a->f && a->final);
	if (rename(a->tmp, a->final)) {
		fprintf(err, "concsim: error: cannot write '%s': %s\n",
			a->final, strerror(errno));
		sim_afile_abort(a);
		return SIM_EIO;
	}
	sync_parent(a->final);
	free(a->tmp);
	free(a->final);
	memset(a, 0, sizeof(*a));
	return 0;
}

int sim_afile_commit(struct sim_afile *a, FILE *err)
{
	int rc = sim_afile_close(a, err);
	return rc ? rc : sim_afile_publish(a, err);
}

void sim_afile_abort(struct sim_afile *a)
{
	if (a->f)
		fclose(a->f);
	if (a->tmp)
		unlink(a->tmp);
	free(a->tmp);
	free(a->final);
	memset(a, 0, sizeof(*a));
}

int sim_mkdir_p(const char *dir, FILE *err)
{
	struct stat st;
	int rc = SIM_EIO, e = 0;
	char *p = dir[0] ? strdup(dir) : NULL;

	if (!dir[0]) {
		e = ENOENT;
		goto cleanup;
	}
	if (!p) {
		e = ENOMEM;
		rc = SIM_ENOMEM;
		goto cleanup;
	}
	/* Each parent in turn, then the directory itself. */
	for (char *s = p + 1;; s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0777) && errno != EEXIST) {
			e = errno;
			goto cleanup;
		}
		*s = c;
		if (!c)
			break;
	}
	if (stat(p, &st)) {
		e = errno;
		goto cleanup;
	}
	if (!S_ISDIR(st.st_mode)) {
		e = ENOTDIR;
		goto cleanup;
	}
	rc = 0;

cleanup:
	if (rc)
		fprintf(err,
			"concsim: error: cannot create directory '%s': %s\n",
			dir, strerror(e));
	free(p);
	return rc;
}
