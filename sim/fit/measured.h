/*
 * measured.h - what `concsim fit` is fitted to: points measured on a real
 * server, read from a CSV with concsim's own column names (a sweep's
 * results.csv is one), from k6's `--summary-export` JSON or from wrk and
 * wrk2 `--latency` text.
 *
 * A point is one load level: the offered rate and whichever of the
 * figures below were measured (NaN where not). Latencies are in seconds,
 * rates per second, utilization a fraction of the host's cores.
 */
#ifndef SIM_MEASURED_H
#define SIM_MEASURED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum fit_col {
	FIT_THROUGHPUT, /* throughput_rps */
	FIT_LAT_MEAN,	/* latency_s_mean */
	FIT_P50,	/* latency_s_p50 */
	FIT_P90,	/* latency_s_p90 */
	FIT_P99,	/* latency_s_p99 */
	FIT_UTIL,	/* utilization_cpu */
	FIT_NCOLS
};

/* The CSV column name of each figure (concsim's results.csv names). */
extern const char *const fit_col_names[FIT_NCOLS];

/* A point counts as saturated when its throughput is below this share of
 * its offered rate: only its throughput and utilization are fitted. */
#define FIT_SATURATED 0.95

struct fit_point {
	double offered;	     /* requests per second */
	double v[FIT_NCOLS]; /* NaN: not measured */
	char *system;	     /* the `system` cell; NULL when none */
	char *source;	     /* "FILE:LINE" or "FILE", for messages */
	bool saturated;
};

struct fit_points {
	struct fit_point *v;
	size_t n, cap;
};

/* Reads the points of one measured file into *pts (appending). `arg` is
 * FILE or FILE@RATE (RATE a rate with its unit, e.g. run.json@800/s: the
 * offered rate of a k6 or wrk file). The kind is told by the content: a
 * JSON object is k6's summary, text with "Requests/sec:" is wrk's, and
 * anything else a CSV. Returns 0; SIM_EINVAL after printing one message
 * to `err` (`FILE:LINE:COLUMN: error: ...` for a problem in the file,
 * `concsim: error: ...` otherwise); SIM_EIO when the file cannot be read
 * (message printed); SIM_ENOMEM. */
int fit_read_measured(const char *arg, struct fit_points *pts, FILE *err);

/* Frees every point. */
void fit_points_release(struct fit_points *pts);

#endif
