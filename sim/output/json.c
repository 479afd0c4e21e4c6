/*
 * json.c - a run's results as pretty-printed JSON: the scenario, then one
 * object per system with its rates, errors by outcome, latency (with the
 * pooled distribution), confidence half-widths, the model's figures nested
 * by group, and the classes.
 */
#include "output/json.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kernel/error.h"
#include "output/output.h"

#define JW_MAXDEPTH 64

/* A pretty-printing JSON emitter (2-space indentation). */
struct jw {
	FILE *f;
	int depth;
	bool empty[JW_MAXDEPTH]; /* container at this depth has no member */
};

void sim_json_string(FILE *f, const char *s)
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
		sim_json_string(w->f, key);
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
	char buf[SIM_NUM_LEN];
	sim_fmt_double(buf, sizeof(buf), v);
	jw_key(w, key);
	fputs(buf, w->f);
}

static void jw_str(struct jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	sim_json_string(w->f, s);
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
	if (s->warmup_auto)
		jw_num(w, "warmup_s", s->warmup_s);
	jw_num(w, "offered_rps", s->offered_rps.mean);
	jw_num(w, "throughput_rps", s->throughput_rps.mean);
	jw_num(w, "goodput_rps", s->goodput_rps.mean);
	jw_num(w, "completed", s->completed);
	jw_begin(w, "errors", '{');
	for (int o = SIM_OUT_OK + 1; o < SIM_OUT_N; o++)
		jw_num(w, sim_outcome_names[o], s->errors[o]);
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
			char q[SIM_NUM_LEN], v[SIM_NUM_LEN];
			sim_fmt_double(q, sizeof(q), sim_cdf_q[k]);
			sim_fmt_double(v, sizeof(v), s->cdf[k]);
			jw_key(w, NULL);
			fprintf(w->f, "[%s, %s]", q, v);
		}
		jw_end(w, ']');
	}
	jw_end(w, '}');
	/* ci95.X is the half-width of figure X, named as the CSV's X and
	 * X_ci95 (latency_s_p99); latency_mean_s, latency_p50_s and
	 * latency_p99_s are the contract's older names, kept */
	jw_begin(w, "ci95", '{');
	jw_num(w, "offered_rps", s->offered_rps.ci95);
	jw_num(w, "throughput_rps", s->throughput_rps.ci95);
	jw_num(w, "goodput_rps", s->goodput_rps.ci95);
	jw_num(w, "latency_s_mean", s->lat_mean.ci95);
	jw_num(w, "latency_s_p50", s->p50.ci95);
	jw_num(w, "latency_s_p99", s->p99.ci95);
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
		jw_begin(w, sim__class_name(cs, c, nb, sizeof(nb)), '{');
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
	/* warmup: auto, the longest truncation of any system (each
	 * system's own mean is in its object) */
	double warm = sc->warmup;
	for (size_t i = 0; sc->warmup_auto && i < n; i++)
		warm = i ? fmax(warm, sys[i].warmup_s) : sys[i].warmup_s;
	jw_num(&w, "warmup_s", warm);
	if (sc->warmup_auto)
		jw_str(&w, "warmup", "auto (MSER-5)");
	jw_begin(&w, "systems", '[');
	for (size_t i = 0; i < n; i++)
		json_system(&w, &sys[i]);
	jw_end(&w, ']');
	jw_end(&w, '}');
	fputc('\n', f);
	return ferror(f) ? SIM_EIO : 0;
}
