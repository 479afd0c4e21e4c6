/*
 * stats.c - the statistics every simulation keeps and the aggregation of
 * replications into one summary per system.
 *
 * Latencies go into log-bucketed histograms whose bucket index is read off
 * the bits of the double (exponent and top mantissa bits), so recording a
 * value on the hot path costs a few integer operations and a clamp, and a
 * quantile carries a relative error bounded by SIM_HIST_RELERR without
 * storing samples. Replications are combined figure by figure: each
 * replication yields one value, and the summary reports their mean and the
 * Student-t 95 % half-width.
 */
#include "kernel/stats.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "kernel/kernel.h"
#include "kernel/rng.h"

/* ---------------------------------------------------------- histogram -- */

int sim_hist_init(struct sim_hist *h)
{
	*h = (struct sim_hist){.min = INFINITY, .max = -INFINITY};
	return 0;
}

void sim_hist_init_moments(struct sim_hist *h)
{
	sim_hist_init(h);
	h->moments = true; /* nb stays 0: every value goes to count_out */
}

void sim_hist_release(struct sim_hist *h)
{
	free(h->b);
	memset(h, 0, sizeof(*h));
}

void sim_hist_reset(struct sim_hist *h)
{
	if (h->b)
		memset(h->b, 0, h->nb * sizeof(*h->b));
	h->n = 0;
	h->sum = 0.0;
	h->min = INFINITY;
	h->max = -INFINITY;
	h->under = 0;
	h->lost = 0;
}

#define OCTAVE ((size_t)1 << SIM_HIST_SUB)

/* Widens h's range to buckets [lo, hi) (octave-aligned, covering the
 * current range), keeping the counts. Returns 0 or SIM_ENOMEM. */
static int hist_widen(struct sim_hist *h, size_t lo, size_t hi)
{
	uint64_t *b = calloc(hi - lo, sizeof(*b));
	if (!b)
		return SIM_ENOMEM;
	if (h->nb)
		memcpy(b + (h->lo - lo), h->b, h->nb * sizeof(*b));
	free(h->b);
	h->b = b;
	h->lo = (uint32_t)lo;
	h->nb = (uint32_t)(hi - lo);
	return 0;
}

/* The octave-aligned range covering h's and [lo, hi), one octave wider on
 * a side that grows (values spreading out usually keep spreading). */
static void hist_span(const struct sim_hist *h, size_t *lo, size_t *hi)
{
	size_t l = *lo / OCTAVE * OCTAVE,
	       u = (*hi + OCTAVE - 1) / OCTAVE * OCTAVE;
	if (h->nb) {
		if (l < h->lo)
			l = l >= OCTAVE ? l - OCTAVE : 0;
		else
			l = h->lo;
		if (u > (size_t)h->lo + h->nb)
			u = u + OCTAVE <= SIM_HIST_NB ? u + OCTAVE
						      : SIM_HIST_NB;
		else
			u = (size_t)h->lo + h->nb;
	}
	*lo = l;
	*hi = u;
}

static _Thread_local uint64_t lost_total;

uint64_t sim_hist_lost_total(void)
{
	return lost_total;
}

/* Counts bucket k, outside the range held (sim__hist_record_out). */
static void count_out(struct sim_hist *h, size_t k)
{
	if (h->moments)
		return;
	if (k == 0) {
		h->under++;
		return;
	}
	/* in the range held: a value the inline test sent here only for
	 * being past the top bucket (2^20 s and more, NaN, infinity), which
	 * sim_hist_index counts in the last */
	if (k - h->lo < h->nb) {
		h->b[k - h->lo]++;
		return;
	}
	size_t lo = k, hi = k + 1;
	hist_span(h, &lo, &hi);
	if (hist_widen(h, lo, hi)) {
		h->lost++;
		lost_total++;
		return;
	}
	h->b[k - h->lo]++;
}

void sim__hist_record_out(struct sim_hist *h, double x)
{
	count_out(h, sim_hist_index(x));
	sim__hist_moments(h, x);
}

/* The value reported for bucket k: of [lo, hi), the point 2 lo hi / (lo +
 * hi) whose worst relative error to any value of the bucket is smallest,
 * (hi - lo) / (hi + lo) <= 2^-SUB / (2 + 2^-SUB) < SIM_HIST_RELERR. */
static double hist_value(size_t k)
{
	int e = (int)(k >> SIM_HIST_SUB) + SIM_HIST_EMIN;
	double top = (double)(k & ((1u << SIM_HIST_SUB) - 1));
	double lo = ldexp(1.0 + top / (1u << SIM_HIST_SUB), e);
	double hi = ldexp(1.0 + (top + 1.0) / (1u << SIM_HIST_SUB), e);
	return 2.0 * lo * hi / (lo + hi);
}

/* The q-quantile is the order statistic x_(r) of rank r = ceil(q n),
 * clamped to [1, n] (so q = 0 is the minimum, q = 1 the maximum). Ranks 1
 * and n return the exact min and max; any other rank returns the value of
 * the bucket holding x_(r), clamped to [min, max], so a constant sample
 * gives its exact value. Values under 2^EMIN report as about 2^EMIN, the
 * overflow bucket (from 2^EMAX) as the max. Returns 0 when empty. */
double sim_hist_quantile(const struct sim_hist *h, double q)
{
	double v;
	sim_hist_quantiles(h, &q, 1, &v);
	return v;
}

void sim_hist_quantiles(const struct sim_hist *h, const double *q, size_t n,
			double *out)
{
	/* As sim_hist_quantile, with the walk over the buckets resumed from
	 * one quantile to the next (their ranks do not decrease). */
	uint64_t cum = h->under; /* counts up to bucket k */
	size_t pos = 0, k = 0;	 /* next index into b; bucket reached */
	for (size_t j = 0; j < n; j++) {
		if (h->n == 0) {
			out[j] = 0.0;
			continue;
		}
		double qq = q[j];
		if (!(qq > 0.0))
			qq = 0.0;
		if (qq > 1.0)
			qq = 1.0;
		double rq = ceil(qq * (double)h->n);
		uint64_t r = rq < 1.0 ? 1 : (uint64_t)rq;
		if (r >= h->n || r == 1) {
			out[j] = r >= h->n ? h->max : h->min;
			continue;
		}
		while (cum < r && pos < h->nb) {
			cum += h->b[pos];
			k = h->lo + pos++;
		}
		if (cum < r || k >= SIM_HIST_NB - 1) {
			out[j] =
			    h->max; /* values lost, or the overflow bucket */
			continue;
		}
		double v = hist_value(k);
		out[j] = v < h->min ? h->min : v > h->max ? h->max : v;
	}
}

int sim_hist_merge(struct sim_hist *dst, const struct sim_hist *src)
{
	if (src->n == 0)
		return 0;
	if (src->nb && (src->lo < dst->lo || !dst->nb ||
			src->lo + src->nb > dst->lo + dst->nb)) {
		size_t lo = src->lo, hi = (size_t)src->lo + src->nb;
		hist_span(dst, &lo, &hi);
		if (hist_widen(dst, lo, hi))
			return SIM_ENOMEM;
	}
	for (size_t i = 0; i < src->nb; i++)
		dst->b[src->lo - dst->lo + i] += src->b[i];
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->n += src->n;
	dst->sum += src->sum;
	dst->under += src->under;
	dst->lost += src->lost;
	return 0;
}

/* -------------------------------------------------- time-weighted values -- */

void sim_tw_reset(struct sim_tw *w, double now)
{
	w->t0 = now;
	w->tlast = now;
	w->area = 0.0;
	w->max = w->v;
}

double sim_tw_mean(const struct sim_tw *w, double now)
{
	double span = now - w->t0;
	if (!(span > 0.0))
		return w->v;
	return (w->area + w->v * (now - w->tlast)) / span;
}

/* ------------------------------------------------------------- metrics -- */

/* FNV-1a over group, a separator and key (both already truncated to
 * their fields, so a stored name and a looked-up one hash alike). */
static uint32_t metrics_hash(const char *group, const char *key)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)group; *p; p++)
		h = (h ^ *p) * 16777619u;
	h = (h ^ 0xffu) * 16777619u; /* a byte no name holds */
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

/* The slot of (group, key): the one holding it, or the empty one where it
 * would go. The table is never full (nslot >= 2 n). Entries from n on
 * (the names a cleared list keeps: m->replay) are passed over. */
static uint32_t *metrics_slot(const struct sim_metrics *m, const char *group,
			      const char *key)
{
	size_t mask = m->nslot - 1;
	for (size_t i = metrics_hash(group, key) & mask;; i = (i + 1) & mask) {
		uint32_t s = m->slot[i];
		if (!s)
			return &m->slot[i];
		const struct sim_metric *x = &m->v[s - 1];
		if (s <= m->n && !strcmp(x->group, group) &&
		    !strcmp(x->key, key))
			return &m->slot[i];
	}
}

/* The table of v[0..n) alone: the names a cleared list kept dropped. */
static void metrics_reindex(struct sim_metrics *m)
{
	memset(m->slot, 0, m->nslot * sizeof(*m->slot));
	m->replay = 0;
	for (size_t i = 0; i < m->n; i++)
		*metrics_slot(m, m->v[i].group, m->v[i].key) = (uint32_t)i + 1;
}

/* Names already truncated to the fields' sizes. */
static struct sim_metric *metrics_find(const struct sim_metrics *m,
				       const char *group, const char *key)
{
	if (!m->nslot)
		return NULL;
	uint32_t s = *metrics_slot(m, group, key);
	return s ? &m->v[s - 1] : NULL;
}

/* Doubles the storage and rebuilds the index. Returns 0 or SIM_ENOMEM. */
static int metrics_grow(struct sim_metrics *m)
{
	size_t cap = m->cap ? 2 * m->cap : 16;
	if (cap > UINT32_MAX / 4)
		return SIM_ENOMEM;
	struct sim_metric *v = realloc(m->v, cap * sizeof(*v));
	if (!v)
		return SIM_ENOMEM;
	m->v = v;
	uint32_t *slot = calloc(2 * cap, sizeof(*slot));
	if (!slot)
		return SIM_ENOMEM; /* cap unchanged: the index still fits n */
	m->cap = cap;
	free(m->slot);
	m->slot = slot;
	m->nslot = 2 * cap;
	metrics_reindex(m);
	return 0;
}

/* Copies s into a field of `size` bytes, truncated (snprintf's effect at
 * a tenth of its cost: a report puts thousands of names). */
static void copy_name(char *dst, const char *s, size_t size)
{
	size_t n = s ? strnlen(s, size - 1) : 0;
	memcpy(dst, s ? s : "", n);
	dst[n] = '\0';
}

/* Names longer than the fields are truncated (to 39 bytes). */
int sim_metrics_put(struct sim_metrics *m, const char *group, const char *key,
		    double value)
{
	if (m->n < m->replay) { /* a refill: the name at this place? */
		struct sim_metric *x = &m->v[m->n];
		if (group && key && !strcmp(x->group, group) &&
		    !strcmp(x->key, key)) {
			x->value = value;
			m->n++;
			return 0;
		}
		metrics_reindex(m); /* another order: the table of v[0..n) */
	}
	struct sim_metric tmp;
	copy_name(tmp.group, group, sizeof(tmp.group));
	copy_name(tmp.key, key, sizeof(tmp.key));
	tmp.value = value;

	if (m->n == m->cap) { /* an overwrite needs no room */
		struct sim_metric *old = metrics_find(m, tmp.group, tmp.key);
		if (old) {
			old->value = value;
			return 0;
		}
		if (metrics_grow(m)) {
			m->failed = true;
			return SIM_ENOMEM;
		}
	}
	uint32_t *s = metrics_slot(m, tmp.group, tmp.key);
	if (*s) {
		m->v[*s - 1].value = value;
		return 0;
	}
	m->v[m->n++] = tmp;
	*s = (uint32_t)m->n;
	return 0;
}

size_t sim_metrics_index(const struct sim_metrics *m, const char *group,
			 const char *key)
{
	char g[sizeof(((struct sim_metric *)0)->group)];
	char k[sizeof(((struct sim_metric *)0)->key)];
	copy_name(g, group, sizeof(g));
	copy_name(k, key, sizeof(k));
	const struct sim_metric *x = metrics_find(m, g, k);
	return x ? (size_t)(x - m->v) : SIZE_MAX;
}

double sim_metrics_get(const struct sim_metrics *m, const char *group,
		       const char *key, double dflt)
{
	size_t i = sim_metrics_index(m, group, key);
	return i == SIZE_MAX ? dflt : m->v[i].value;
}

void sim_metrics_clear(struct sim_metrics *m)
{
	/* the table keeps v[0..replay): see struct sim_metrics */
	if (m->n > m->replay)
		m->replay = m->n;
	m->n = 0;
	m->failed = false;
}

void sim_metrics_release(struct sim_metrics *m)
{
	free(m->v);
	free(m->slot);
	memset(m, 0, sizeof(*m));
}

/* -------------------------------------------------- replication results -- */

const char *const sim_outcome_names[SIM_OUT_N] = {
#define X(name, str) str,
    SIM_OUTCOME_MAP(X)
#undef X
};

int sim_rep_init(struct sim_rep_result *r, size_t nclasses)
{
	int rc = SIM_ENOMEM;

	memset(r, 0, sizeof(*r));
	if (sim_hist_init(&r->lat))
		goto cleanup;
	if (nclasses) {
		r->classes = calloc(nclasses, sizeof(*r->classes));
		if (!r->classes)
			goto cleanup;
		r->nclasses = nclasses;
		for (size_t c = 0; c < nclasses; c++)
			if (sim_hist_init(&r->classes[c].lat))
				goto cleanup;
	}
	return 0;

cleanup:
	sim_rep_release(r);
	return rc;
}

void sim_rep_release(struct sim_rep_result *r)
{
	for (size_t c = 0; c < r->nclasses; c++)
		sim_hist_release(&r->classes[c].lat);
	free(r->classes);
	sim_hist_release(&r->lat);
	sim_metrics_release(&r->metrics);
	memset(r, 0, sizeof(*r));
}

/* --------------------------------------------------------- time series -- */

void sim_ts_release(struct sim_ts *ts)
{
	for (size_t i = 0; i < ts->n; i++)
		sim_metrics_release(&ts->rows[i].metrics);
	free(ts->rows);
	*ts = (struct sim_ts){0};
}

/* ------------------------------------------------ aggregated (summary) -- */

struct sim_est sim_est_of(const double *x, size_t n)
{
	struct sim_est e = {0.0, 0.0};
	if (n == 0)
		return e;
	double sum = 0.0;
	for (size_t i = 0; i < n; i++)
		sum += x[i];
	e.mean = sum / (double)n;
	if (n < 2)
		return e;
	double ss = 0.0;
	for (size_t i = 0; i < n; i++)
		ss += (x[i] - e.mean) * (x[i] - e.mean);
	double s = sqrt(ss / (double)(n - 1));
	e.ci95 =
	    gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * s / sqrt((double)n);
	return e;
}

/* The estimate of a latency figure over the replications that measured at
 * least one response (k of them); NaN for both when none did. */
const double sim_cdf_q[SIM_CDF_N] = {
    0,	  0.01, 0.02, 0.05, 0.1,  0.15,	 0.2,	0.25,  0.3,    0.35, 0.4,
    0.45, 0.5,	0.55, 0.6,  0.65, 0.7,	 0.75,	0.8,   0.85,   0.9,  0.92,
    0.94, 0.96, 0.97, 0.98, 0.99, 0.995, 0.998, 0.999, 0.9999, 1,
};

/* The pooled distribution of the replications' latencies at sim_cdf_q.
 * Returns 0 or SIM_ENOMEM. */
static int pooled_cdf(const struct sim_rep_result *reps, size_t n,
		      struct sim_summary *out)
{
	if (n == 1) { /* one replication's distribution is its own */
		if (reps[0].lat.n) {
			sim_hist_quantiles(&reps[0].lat, sim_cdf_q, SIM_CDF_N,
					   out->cdf);
			out->ncdf = SIM_CDF_N;
		}
		return 0;
	}
	struct sim_hist all;
	int rc = sim_hist_init(&all);
	if (rc)
		return rc;
	for (size_t i = 0; i < n && !rc; i++)
		rc = sim_hist_merge(&all, &reps[i].lat);
	if (!rc && all.n) {
		sim_hist_quantiles(&all, sim_cdf_q, SIM_CDF_N, out->cdf);
		out->ncdf = SIM_CDF_N;
	}
	sim_hist_release(&all);
	return rc;
}

/* The quantiles q[0..n) (each one of sim_cdf_q) of the distribution
 * whose quantiles at sim_cdf_q are cdf. */
static void cdf_pick(const double *cdf, const double *q, size_t n, double *v)
{
	for (size_t j = 0, i = 0; j < n; j++) {
		while (sim_cdf_q[i] != q[j])
			i++;
		v[j] = cdf[i];
	}
}

static struct sim_est est_lat(const double *x, size_t k)
{
	if (k == 0)
		return (struct sim_est){NAN, NAN};
	return sim_est_of(x, k);
}

static double rate(uint64_t count, double duration)
{
	return duration > 0.0 ? (double)count / duration : 0.0;
}

/* True when a string ends in `end` (3 bytes: "max", "min"). */
static bool ends_in(const char *s, const char *end)
{
	size_t len = strlen(s);
	return len >= 3 && !strcmp(s + len - 3, end);
}

/* How replications combine a metric: +1 the maximum, -1 the minimum, 0
 * the mean. */
static int extremum(const struct sim_metric *x)
{
	if (ends_in(x->key, "max") || ends_in(x->group, "max"))
		return 1;
	if (ends_in(x->key, "min") || ends_in(x->group, "min"))
		return -1;
	return 0;
}

/* Folds the metrics of n replications into out: union of (group, key) in
 * first-seen order; the maximum for names ending in "max", the minimum for
 * names ending in "min", otherwise the mean over the replications that
 * reported the metric. */
static int summarize_metrics(const struct sim_rep_result *reps, size_t n,
			     struct sim_metrics *out)
{
	size_t *cnt = NULL, capcnt = 0;
	int rc = 0;

	/* the first replication's as they are (a copy, not a put each) */
	const struct sim_metrics *m0 = &reps[0].metrics;
	if (m0->n) {
		out->v = malloc(m0->cap * sizeof(*out->v));
		out->slot = malloc(m0->nslot * sizeof(*out->slot));
		cnt = malloc(m0->cap * sizeof(*cnt));
		if (!out->v || !out->slot || !cnt) {
			rc = SIM_ENOMEM;
			goto cleanup;
		}
		memcpy(out->v, m0->v, m0->n * sizeof(*out->v));
		memcpy(out->slot, m0->slot, m0->nslot * sizeof(*out->slot));
		out->n = m0->n;
		out->cap = capcnt = m0->cap;
		out->nslot = m0->nslot;
		if (m0->replay > m0->n) /* names m0 kept past its own */
			metrics_reindex(out);
		for (size_t j = 0; j < m0->n; j++)
			cnt[j] = 1;
	}
	for (size_t i = 1; i < n; i++) {
		const struct sim_metrics *m = &reps[i].metrics;
		for (size_t j = 0; j < m->n; j++) {
			const struct sim_metric *x = &m->v[j];
			struct sim_metric *o =
			    metrics_find(out, x->group, x->key);
			if (!o) {
				rc = sim_metrics_put(out, x->group, x->key,
						     x->value);
				if (rc)
					goto cleanup;
				if (out->n > capcnt) {
					size_t cap = out->cap;
					size_t *c =
					    realloc(cnt, cap * sizeof(*c));
					if (!c) {
						rc = SIM_ENOMEM;
						goto cleanup;
					}
					cnt = c;
					capcnt = cap;
				}
				cnt[out->n - 1] = 1;
				continue;
			}
			size_t idx = (size_t)(o - out->v);
			int ext = extremum(o);
			if (ext > 0) {
				if (x->value > o->value)
					o->value = x->value;
			} else if (ext < 0) {
				if (x->value < o->value)
					o->value = x->value;
			} else {
				o->value += x->value; /* sum until the end */
			}
			cnt[idx]++;
		}
	}
	for (size_t k = 0; k < out->n; k++) {
		struct sim_metric *o = &out->v[k];
		if (!extremum(o))
			o->value /= (double)cnt[k];
	}

cleanup:
	free(cnt);
	return rc;
}

int sim_summarize(const struct sim_rep_result *reps, size_t n,
		  const char *const *cnames, struct sim_summary *out)
{
	double *x = NULL;
	size_t k;
	int rc = SIM_ENOMEM;

	memset(out, 0, sizeof(*out));
	out->replications = (int)n;
	for (size_t i = 0; i < n; i++) {
		out->warmup_s += reps[i].warmup / (double)n;
		out->warmup_long += reps[i].warmup_long;
	}
	out->lat_max = NAN;
	if (n == 0)
		return 0;

	/* 5 columns per figure: one value per replication each. */
	x = calloc(5 * n, sizeof(*x));
	if (!x)
		goto cleanup;
	double *x0 = x, *x1 = x + n, *x2 = x + 2 * n, *x3 = x + 3 * n,
	       *x4 = x + 4 * n;

	double dur = 0.0;
	for (size_t i = 0; i < n; i++) {
		const struct sim_rep_result *r = &reps[i];
		dur += r->duration;
		x0[i] = rate(r->offered, r->duration);
		x1[i] = rate(r->completed, r->duration);
		x2[i] = rate(r->good, r->duration);
		out->completed += (double)r->completed;
		for (int o = 0; o < SIM_OUT_N; o++)
			out->errors[o] += (double)r->errors[o];
		out->wasted += (double)r->wasted;
		out->events += (double)r->events;
	}
	out->duration_s = dur / (double)n;
	out->offered_rps = sim_est_of(x0, n);
	out->throughput_rps = sim_est_of(x1, n);
	out->goodput_rps = sim_est_of(x2, n);
	out->completed /= (double)n;
	for (int o = 0; o < SIM_OUT_N; o++)
		out->errors[o] /= (double)n;
	out->wasted /= (double)n;
	out->events /= (double)n;

	/* Latency: only replications that measured a response count. */
	if (pooled_cdf(reps, n, out))
		goto cleanup;
	k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct sim_hist *h = &reps[i].lat;
		if (h->n == 0)
			continue;
		static const double q[] = {0.50, 0.90, 0.99, 0.999};
		double v[4]; /* one walk over the buckets, not four */
		if (n == 1)  /* the pooled distribution is this one */
			cdf_pick(out->cdf, q, 4, v);
		else
			sim_hist_quantiles(h, q, 4, v);
		x0[k] = sim_hist_mean(h);
		x1[k] = v[0];
		x2[k] = v[1];
		x3[k] = v[2];
		x4[k] = v[3];
		if (k == 0 || h->max > out->lat_max)
			out->lat_max = h->max;
		k++;
	}
	out->lat_mean = est_lat(x0, k);
	out->p50 = est_lat(x1, k);
	out->p90 = est_lat(x2, k);
	out->p99 = est_lat(x3, k);
	out->p999 = est_lat(x4, k);

	size_t nc = reps[0].nclasses;
	if (nc) {
		out->classes = calloc(nc, sizeof(*out->classes));
		if (!out->classes)
			goto cleanup;
		out->nclasses = nc;
	}
	for (size_t c = 0; c < nc; c++) {
		struct sim_class_summary *cs = &out->classes[c];
		cs->name = cnames ? cnames[c] : NULL;
		k = 0;
		for (size_t i = 0; i < n; i++) {
			assert(reps[i].nclasses == nc);
			const struct sim_class_result *cr = &reps[i].classes[c];
			cs->completed += (double)cr->completed;
			if (cr->lat.n == 0)
				continue;
			static const double q[] = {0.50, 0.90, 0.99};
			double v[3];
			sim_hist_quantiles(&cr->lat, q, 3, v);
			x0[k] = sim_hist_mean(&cr->lat);
			x1[k] = v[0];
			x2[k] = v[1];
			x3[k] = v[2];
			k++;
		}
		cs->completed /= (double)n;
		cs->lat_mean = est_lat(x0, k);
		cs->p50 = est_lat(x1, k);
		cs->p90 = est_lat(x2, k);
		cs->p99 = est_lat(x3, k);
	}

	rc = summarize_metrics(reps, n, &out->metrics);
	if (rc)
		goto cleanup;
	free(x);
	return 0;

cleanup:
	free(x);
	sim_summary_release(out);
	return rc;
}

void sim_summary_release(struct sim_summary *s)
{
	free(s->classes);
	sim_metrics_release(&s->metrics);
	memset(s, 0, sizeof(*s));
}

size_t sim_mser(const double *b, size_t k)
{
	if (k < 10)
		return 0;
	/* suffix sums from the end, so each d costs O(1) */
	double s1 = 0, s2 = 0, best = INFINITY;
	size_t dbest = 0;
	for (size_t i = k; i-- > 0;) {
		s1 += b[i];
		s2 += b[i] * b[i];
		size_t n = k - i;
		if (n < 5)
			continue;
		double sse = s2 - s1 * s1 / (double)n;
		double v = (sse < 0 ? 0 : sse) / ((double)n * (double)n);
		if (v <= best) { /* ties: the earlier truncation */
			best = v;
			dbest = i;
		}
	}
	return dbest;
}
