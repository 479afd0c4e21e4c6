/*
 * csv.h - a run's results as a flat CSV for scripts and pandas: one header
 * line, one row per system, nested figures flattened with '_'
 * (latency_s_p99, utilization_cpu, queues_mean_loop), RFC 4180 quoting.
 */
#ifndef SIM_CSV_H
#define SIM_CSV_H

#include <stdbool.h>
#include <stdio.h>

#include "kernel/stats.h"
#include "output/output.h"
#include "scenario/scenario.h"

/* Writes the summaries of a run. Returns 0, SIM_EIO (write error: the
 * stream's error flag is set) or SIM_ENOMEM. Non-finite figures print as
 * an empty cell. */
int sim_write_csv(FILE *f, const struct sim_scenario *sc,
		  const struct sim_summary *sys, size_t n);

/* Long-format CSV, shared by run and sweep: a header of the leading
 * columns' names then `figure,value`; a row of the leading cells, the
 * figure's name and its value (text as in the wide CSV; "" for none). */
void sim_csv_long_header(FILE *f, const char *const *lead, size_t nlead);
void sim_csv_long_row(FILE *f, const char *const *lead, size_t nlead,
		      const char *figure, const char *value);

/* The same figures in long form, one per row, for pandas and R:
 * scenario,system,model,figure,value (figure = the wide column's name).
 * Returns as sim_write_csv. */
int sim_write_csv_long(FILE *f, const struct sim_scenario *sc,
		       const struct sim_summary *sys, size_t n);

/* Every replication's own figures, one row per system and replication
 * (reps system-major, sc->replications per system; names from sum): the counts
 * of that replication (offered, attempts, completed, good, errors_KIND, wasted:
 * whole numbers, never rates), the rates (*_rps, per second) and the
 * latency of good responses. Returns 0 or SIM_EIO. */
int sim_write_replications_csv(FILE *f, const struct sim_scenario *sc,
			       const struct sim_summary *sum,
			       const struct sim_rep_result *reps);

/* The columns every row of sim_write_csv starts with, in order: scenario,
 * system, model, replications, duration_s, offered_rps, ..., completed,
 * errors_NAME for each outcome but OK (SIM_ERROR_MAP), wasted, ...
 * events: 22 columns and the errors. */
#define SIM_CSV_NFIXED (22 + SIM_OUT_N - 1)
extern const char *const sim_csv_fixed[SIM_CSV_NFIXED];

/* One figure of a summary as a CSV cell: its column name and value. */
enum sim_cell_kind {
	SIM_CELL_FIXED,	 /* one of sim_csv_fixed */
	SIM_CELL_METRIC, /* a model's figure, flattened with '_' */
	SIM_CELL_CLASS,	 /* class_NAME_completed, class_NAME_latency_s_... */
};
struct sim_cell {
	enum sim_cell_kind kind;
	const char *name; /* sim_csv_fixed's, or in the cells' `names` */
	const char *str;  /* a string (borrowed from the summary), or NULL */
	double num;	  /* the number when str is NULL; NaN prints empty */
	size_t at;	  /* where name starts in `names` (not fixed) */
};
struct sim_cells {
	struct sim_cell *v;
	size_t n, cap;
	char *names; /* the metrics' and classes' names, one block */
	size_t nlen, ncap;
};

/* Fills *out with one system's row of sim_write_csv: the fixed columns in
 * order, then the metrics and the classes in the summary's order. Strings
 * point into sc and s, which must outlive *out. Returns 0 or SIM_ENOMEM
 * (*out then empty). Release with sim_cells_release. */
int sim_summary_flatten(const struct sim_scenario *sc,
			const struct sim_summary *s, struct sim_cells *out);
void sim_cells_release(struct sim_cells *c);

/* Writes s as one CSV cell, after a comma unless *first (then cleared),
 * quoted as RFC 4180 says when it holds a comma, a quote or a line break;
 * NULL is an empty cell. */
void sim_csv_cell(FILE *f, bool *first, const char *s);

/* Writes v as one CSV cell like sim_csv_cell: its shortest exact form
 * (sim_fmt_double), an empty cell when it is not finite. */
void sim_csv_num(FILE *f, bool *first, double v);

/* For the CSV writers of this folder: an integer cell, and the header
 * cells of a set of metric columns. */
void sim__csv_int(FILE *f, bool *first, long long v);
void sim__csv_metric_header(FILE *f, bool *first,
			    const struct sim__colset *cols);

#endif
