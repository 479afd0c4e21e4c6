/*
 * stats.h - statistics: log-bucketed latency histograms, time-weighted
 * averages, named metrics from models, the outcomes of requests,
 * per-replication results, time series, and their aggregation across
 * replications with Student-t confidence intervals.
 */
#ifndef SIM_STATS_H
#define SIM_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---------------------------------------------------------- histogram -- */

/* Buckets are octaves split into 2^SIM_HIST_SUB sub-buckets taken from the
 * top mantissa bits of the double, so a value's bucket costs a few bit
 * operations. Reporting a bucket's midpoint gives a relative error of at
 * most 2^-(SIM_HIST_SUB+1) = 0.39 %. Values below SIM_HIST_MIN count as
 * SIM_HIST_MIN, above SIM_HIST_MAX as SIM_HIST_MAX (exact mean/max are kept
 * separately). */
#define SIM_HIST_SUB	7
#define SIM_HIST_EMIN	(-30) /* 2^-30 s ~ 0.93 ns */
#define SIM_HIST_EMAX	20    /* 2^20 s ~ 12 days */
#define SIM_HIST_NB	(((SIM_HIST_EMAX) - (SIM_HIST_EMIN)) << SIM_HIST_SUB)
#define SIM_HIST_RELERR 0.0039 /* 2^-8: stated bound on relative error */

struct sim_hist {
	/* Counts of buckets lo .. lo + nb - 1 only (never past the last
	 * bucket, which sim_hist_record relies on): the range grows (by whole
	 * octaves) when a value falls outside it, so a histogram costs memory
	 * for the octaves its values span (1 KiB each), not all 50 of them,
	 * and an empty one costs none: 100,000 replicas keep 100,000 loop-lag
	 * histograms. Recording with moments only (a replica among
	 * thousands) reads and writes the fields from n on (SIM_HIST_HOT),
	 * not b, under and lost, which come first. */
	uint64_t *b;
	uint64_t under; /* more counts of bucket 0 (below 2^EMIN: zeros, such
			   as the lag of an idle loop), so that they do not
			   stretch the range down to it */
	uint64_t lost;	/* values counted in n but in no bucket (no memory) */
	uint64_t n;
	double sum, max, min;
	uint32_t lo, nb;
	bool moments; /* keeps n, sum, min and max only: no buckets, no
			 quantiles (sim_hist_init_moments) */
};
/* Where the fields that recording with moments only touches begin. */
#define SIM_HIST_HOT (offsetof(struct sim_hist, n))

/* Returns 0 (nothing is allocated until a value is recorded; the int is
 * kept for callers that check). An empty histogram has n = sum = 0, min =
 * +inf and max = -inf (so that recording needs no test for the first
 * value). */
int sim_hist_init(struct sim_hist *h);
/* A histogram that keeps only n, sum, min and max (its quantiles are not
 * wanted: a replica's loop lag, of which the fleet reports the maximum),
 * so that it costs no memory and recording touches no bucket. */
void sim_hist_init_moments(struct sim_hist *h);
void sim_hist_release(struct sim_hist *h);
void sim_hist_reset(struct sim_hist *h);
/* Internal: the bucket of x if x is in [2^EMIN, 2^EMAX), else a number
 * from SIM_HIST_NB up: below 2^EMIN wraps round, and a sign bit set lands
 * far above the last bucket. */
static inline uint64_t sim__hist_raw(double x)
{
	uint64_t bits;
	memcpy(&bits, &x, sizeof(bits));
	return (bits >> (52 - SIM_HIST_SUB)) -
	       ((uint64_t)(SIM_HIST_EMIN + 1023) << SIM_HIST_SUB);
}

/* The bucket of x: values below 2^EMIN (zero and negatives included) land
 * in the first bucket, values from 2^EMAX up (and NaN) in the last. The
 * bucket is the double's exponent and top SIM_HIST_SUB mantissa bits. */
static inline size_t sim_hist_index(double x)
{
	uint64_t k = sim__hist_raw(x); /* one unsigned test, common case */
	if (__builtin_expect(k < SIM_HIST_NB, 1))
		return (size_t)k;
	/* below 2^EMIN, or sign bit set: the first; else the last */
	uint64_t bits;
	memcpy(&bits, &x, sizeof(bits));
	return (int64_t)bits < 0 || (int64_t)k < 0 ? 0 : SIM_HIST_NB - 1;
}

/* Counts x, whose bucket is outside the range held: in `under` for
 * bucket 0, otherwise grows the range to hold it (allocation happens only
 * here, a few times per histogram), or, out of memory, counts the value as
 * lost; then n, sum, min and max, as sim_hist_record. Out of line (and
 * the last thing sim_hist_record does), so that its callers keep no
 * registers for it. */
void sim__hist_record_out(struct sim_hist *h, double x);
/* How many values this thread's histograms have counted in no bucket
 * since it started, for want of memory to widen them (sim_hist.lost): a
 * simulation that runs on one thread compares it before and after, and
 * fails (SIM_ENOMEM) rather than report percentiles without them. */
uint64_t sim_hist_lost_total(void);

/* The count of bucket k (0 outside the range held). */
static inline uint64_t sim_hist_bucket(const struct sim_hist *h, size_t k)
{
	size_t i = k - h->lo;
	return (i < h->nb ? h->b[i] : 0) + (k == 0 ? h->under : 0);
}

/* Internal: counts x in n, sum, min and max. */
static inline void sim__hist_moments(struct sim_hist *h, double x)
{
	if (x < h->min)
		h->min = x;
	if (x > h->max)
		h->max = x;
	h->n++;
	h->sum += x;
}

/* Counts x (inline: called once or twice per simulated request). */
static inline void sim_hist_record(struct sim_hist *h, double x)
{
	/* the range held, [lo, lo + nb), lies within [0, SIM_HIST_NB), so a
	 * value outside the buckets fails this test too (one test, not two);
	 * below lo wraps round */
	size_t i = sim__hist_raw(x) - h->lo;
	if (i >= h->nb) {
		sim__hist_record_out(h, x);
		return;
	}
	h->b[i]++;
	sim__hist_moments(h, x);
}
/* The q-quantile (0 <= q <= 1), 0 when empty: the order statistic of rank
 * ceil(q n) (at least 1) to within SIM_HIST_RELERR; exact at ranks 1 and n
 * (min, max) and for a constant sample. */
double sim_hist_quantile(const struct sim_hist *h, double q);
/* sim_hist_quantile of each of q[0..n), ascending, into out[], in one
 * pass over the buckets. */
void sim_hist_quantiles(const struct sim_hist *h, const double *q, size_t n,
			double *out);
static inline double sim_hist_mean(const struct sim_hist *h)
{
	return h->n ? h->sum / (double)h->n : 0.0;
}
/* Adds src's counts into dst. Returns 0 or SIM_ENOMEM (dst's range could
 * not grow: dst is unchanged). */
int sim_hist_merge(struct sim_hist *dst, const struct sim_hist *src);

/* -------------------------------------------------- time-weighted values -- */

struct sim_tw {
	/* what every change touches first, the start of the measurement
	 * (read only by reports) last */
	double tlast; /* last change */
	double v;     /* current value */
	double area;  /* integral of v from t0 to tlast */
	double max;
	double t0; /* start of the measurement */
};

static inline void sim_tw_set(struct sim_tw *w, double now, double v)
{
	w->area += w->v * (now - w->tlast);
	w->tlast = now;
	w->v = v;
	if (v > w->max)
		w->max = v;
}
static inline void sim_tw_add(struct sim_tw *w, double now, double dv)
{
	sim_tw_set(w, now, w->v + dv);
}
/* Restarts the measurement at `now`, keeping the current value. */
void sim_tw_reset(struct sim_tw *w, double now);
/* Time average from t0 to now (the current value if no time elapsed). */
double sim_tw_mean(const struct sim_tw *w, double now);

/* ------------------------------------------------------------- metrics -- */

/* A named figure a model reports: group is where it goes in the output
 * ("utilization", "queues.mean", "queues.max", "loop_lag_s", "memory",
 * "replicas.NAME" ...). Names are copied (truncated to 39 bytes). When
 * replications are aggregated, a metric whose key or group ends in "max"
 * takes the maximum, one whose key or group ends in "min" the minimum; the
 * others the mean over the replications that reported them. */
struct sim_metric {
	char group[40];
	char key[40];
	double value;
};

/* The figures in the order they were first put (v[0..n), the output
 * order), indexed by (group, key) in an open-addressing hash table, so
 * that put and get cost O(1) whatever the number held: a `replicas`
 * system of 100,000 replicas reports as fast per figure as one of 2. A
 * zeroed struct is an empty set; moving one by value moves its storage. */
struct sim_metrics {
	struct sim_metric *v;
	size_t n, cap;
	uint32_t *slot; /* 0: empty, else 1 + index into v */
	size_t nslot;	/* a power of two, at least 2 * cap */
	/* After sim_metrics_clear, v[n..replay) keep the names of the fill
	 * before, each still in the table at its index: a refill that puts
	 * the same names in the same order (a fleet's replicas, each
	 * reported into one cleared list) compares each name with the one
	 * at its place and neither copies nor hashes it. A lookup skips the
	 * table's entries from n on; the first put out of that order
	 * rebuilds the table for v[0..n). */
	size_t replay;
	/* a put ran out of memory: the reports that ignore a put's result
	 * (every model's) leave a figure out, so whoever reads the metrics
	 * checks this, or a missing figure passes for a whole report */
	bool failed;
};

/* Appends (or overwrites, if group/key exists). Returns 0 or SIM_ENOMEM
 * (and sets m->failed). */
int sim_metrics_put(struct sim_metrics *m, const char *group, const char *key,
		    double value);
/* Returns the value, or `dflt` when absent. */
double sim_metrics_get(const struct sim_metrics *m, const char *group,
		       const char *key, double dflt);
/* The index in v of (group, key), or SIZE_MAX when absent. */
size_t sim_metrics_index(const struct sim_metrics *m, const char *group,
			 const char *key);
/* Empties m, keeping its storage for the next puts. */
void sim_metrics_clear(struct sim_metrics *m);
void sim_metrics_release(struct sim_metrics *m);

/* -------------------------------------------------- replication results -- */

/* How a request ended, as the client sees it: OK, then the errors. Each
 * outcome is one line here; the enum, sim_outcome_names and the writers'
 * columns (errors_refused, ...) are generated from these lists. */
#define SIM_ERROR_MAP(X)                                                       \
	X(REFUSED, "refused")	      /* backlog full: connection refused */   \
	X(TIMEOUT, "timeout")	      /* client gave up */                     \
	X(KILLED, "killed")	      /* worker killed / process OOM */        \
	X(UNAVAILABLE, "unavailable") /* 503 from a concurrency limit */
#define SIM_OUTCOME_MAP(X) X(OK, "ok") SIM_ERROR_MAP(X)

enum sim_outcome {
#define X(name, str) SIM_OUT_##name,
	SIM_OUTCOME_MAP(X)
#undef X
	    SIM_OUT_N
};
/* The outcomes' names, indexed by enum sim_outcome (static strings). */
extern const char *const sim_outcome_names[SIM_OUT_N];

struct sim_class_result {
	uint64_t completed;
	struct sim_hist lat;
};

/* What one replication of one system measured after warm-up. */
struct sim_rep_result {
	double duration;    /* measured simulated seconds */
	uint64_t offered;   /* requests issued by clients (first attempts) */
	uint64_t attempts;  /* attempts sent (first + retries) */
	uint64_t completed; /* responses the server finished (incl. wasted) */
	uint64_t good;	    /* answered OK within the deadline, not abandoned */
	uint64_t errors[SIM_OUT_N]; /* by outcome, [0] unused */
	uint64_t wasted;	    /* finished after the client gave up */
	uint64_t events;	    /* kernel events dispatched (whole run) */
	double warmup;		    /* the warm-up this replication used, s */
	bool warmup_long;    /* warmup: auto cut more than half the pilot run */
	struct sim_hist lat; /* latency of good responses (from first send) */
	struct sim_class_result *classes;
	size_t nclasses;
	struct sim_metrics metrics;
};

/* Returns 0 or SIM_ENOMEM. */
int sim_rep_init(struct sim_rep_result *r, size_t nclasses);
void sim_rep_release(struct sim_rep_result *r);

/* --------------------------------------------------------- time series -- */

/* One row of a time series: a system's figures over one interval. */
struct sim_ts_row {
	double time_s; /* end of the interval, simulated seconds from 0
			  (warm-up included, like `schedule` times) */
	int replication;
	double offered_rps, throughput_rps, goodput_rps;
	uint64_t errors;
	double p50, p99; /* latency of good responses in the interval */
	struct sim_metrics metrics; /* interval means of the model's figures */
};

struct sim_ts {
	struct sim_ts_row *rows;
	size_t n, cap;
};
/* Frees the rows and their metrics; *ts is left empty. */
void sim_ts_release(struct sim_ts *ts);

/* ------------------------------------------------ aggregated (summary) -- */

/* A figure across replications: mean and 95 % half-width (Student t;
 * 0 with a single replication). */
struct sim_est {
	double mean, ci95;
};

struct sim_class_summary {
	const char *name;
	double completed; /* mean per replication */
	struct sim_est lat_mean, p50, p90, p99;
};

/* Quantiles at which a summary keeps the pooled latency distribution
 * (sim_cdf_q[0] = 0 is the minimum, the last, 1, the maximum). */
#define SIM_CDF_N 32
extern const double sim_cdf_q[SIM_CDF_N];

struct sim_summary {
	const char *name;  /* system name */
	const char *model; /* model name */
	int replications;
	double duration_s, warmup_s;
	struct sim_est offered_rps, throughput_rps, goodput_rps;
	double completed;	  /* mean per replication */
	double errors[SIM_OUT_N]; /* mean per replication */
	double wasted;
	struct sim_est lat_mean, p50, p90, p99, p999;
	double lat_max;
	/* Latency of good responses pooled over every replication, at the
	 * quantiles sim_cdf_q (ncdf is 0 when none was measured). */
	double cdf[SIM_CDF_N];
	size_t ncdf;
	double events; /* mean per replication */
	struct sim_class_summary *classes;
	size_t nclasses;
	struct sim_metrics metrics; /* aggregated as described above */
	bool warmup_auto;	    /* warmup_s was chosen by MSER-5 ... */
	int warmup_long;	    /* ... cutting more than half the pilot in
				       this many replications */
};

/* Aggregates n replications of one system (class names from `cnames`).
 * Every estimate is the mean over replications of the per-replication
 * figure, with its Student-t 95 % half-width; cdf pools the replications'
 * histograms. Latency figures use only the
 * replications that measured at least one response, and are NaN when none
 * did. name, model and warmup_s are left for the caller to fill; class
 * names point into `cnames` (not copied; cnames may be NULL). Returns 0 or
 * SIM_ENOMEM. */
int sim_summarize(const struct sim_rep_result *reps, size_t n,
		  const char *const *cnames, struct sim_summary *out);
void sim_summary_release(struct sim_summary *s);

/* MSER (White 1997) on k batch means b[0..k): the truncation d (batches
 * to discard) that minimises the squared standard error of the mean of
 * what is left, sum_{i>=d} (b_i - mean_d)^2 / (k - d)^2, over d with at
 * least 5 batches left. With batches of 5 observations this is MSER-5.
 * Returns d (0 when k < 10). */
size_t sim_mser(const double *b, size_t k);

/* Student-t 95 % half-width of n values (0 when n < 2). */
struct sim_est sim_est_of(const double *x, size_t n);

#endif
