/*
 * output.h - result writers: the terminal table, JSON and CSV of a run
 * (shared/contract.md, "run --format json"), the time-series CSV, and
 * atomic file output (temporary file, then rename).
 *
 * Writers know nothing about models: they print summaries and metrics.
 */
#ifndef SIM_OUTPUT_H
#define SIM_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "kernel/stats.h"
#include "scenario/scenario.h"
#include "workload/run.h"

enum sim_format { SIM_FMT_TABLE, SIM_FMT_JSON, SIM_FMT_CSV };

/* Writes the summaries of a run. Returns 0, SIM_EIO (write error: the
 * stream's error flag is set) or SIM_ENOMEM. Non-finite figures (a latency
 * with no response measured) print as null in JSON, an empty CSV cell and
 * "-" in the table. Top-level replications come from sys[0] (the scenario
 * when n is 0). */
int sim_write_table(FILE *f, const struct sim_scenario *sc,
		    const struct sim_summary *sys, size_t n);
int sim_write_json(FILE *f, const struct sim_scenario *sc,
		   const struct sim_summary *sys, size_t n);
/* One header line, one row per system; nested figures flattened with '_'
 * (latency_s_p99, utilization_cpu, queues_mean_loop). */
int sim_write_csv(FILE *f, const struct sim_scenario *sc,
		  const struct sim_summary *sys, size_t n);

/* The columns every row of sim_write_csv starts with, in order: scenario,
 * system, model, replications, duration_s, offered_rps, ... events. */
#define SIM_CSV_NFIXED 26
extern const char *const sim_csv_fixed[SIM_CSV_NFIXED];

/* One figure of a summary as a CSV cell: its column name and value. */
enum sim_cell_kind {
	SIM_CELL_FIXED,	 /* one of sim_csv_fixed */
	SIM_CELL_METRIC, /* a model's figure, flattened with '_' */
	SIM_CELL_CLASS,	 /* class_NAME_completed, class_NAME_latency_s_... */
};
struct sim_cell {
	enum sim_cell_kind kind;
	char *name;	 /* owned */
	const char *str; /* a string (borrowed from the summary), or NULL */
	double num;	 /* the number when str is NULL; NaN prints empty */
};
struct sim_cells {
	struct sim_cell *v;
	size_t n, cap;
};

/* Fills *out with one system's row of sim_write_csv: the fixed columns in
 * order, then the metrics and the classes in the summary's order. Strings
 * point into sc and s, which must outlive *out. Returns 0 or SIM_ENOMEM
 * (*out then empty). Release with sim_cells_release. */
int sim_summary_flatten(const struct sim_scenario *sc,
			const struct sim_summary *s, struct sim_cells *out);
void sim_cells_release(struct sim_cells *c);

/* Writes DIR/timeseries.csv rows for every system: time_s, system,
 * replication, offered_rps, throughput_rps, goodput_rps, errors,
 * latency_s_p50, latency_s_p99, then the model's figures (union over all
 * rows, flattened as in sim_write_csv; empty where a row lacks one).
 * ts[i] belongs to sc->systems[i]; sim_ts_row.replication is printed as
 * is (run.c stores it 1-based). Returns 0, SIM_EIO or SIM_ENOMEM. */
int sim_write_timeseries(FILE *f, const struct sim_scenario *sc,
			 const struct sim_ts *ts, size_t nsystems);

/* Atomic output: open DIR/NAME.tmp.PID, write, then commit renames it to
 * DIR/NAME. Abort removes the temporary file. */
struct sim_afile {
	FILE *f;
	char *tmp, *final;
};
/* Returns 0, SIM_EIO or SIM_ENOMEM (message with strerror printed to
 * `err` as `concsim: error: cannot write 'DIR/NAME': REASON`). dir may be
 * NULL or "" for the current directory. On failure *a is cleared. */
int sim_afile_open(struct sim_afile *a, const char *dir, const char *name,
		   FILE *err);
/* Flushes, fsyncs, closes and renames; returns 0 or SIM_EIO (e.g. disk
 * full, message printed to `err`; the temporary file is then removed). A
 * write that failed earlier on a->f is reported here too, so callers may
 * write, ignore the writer's result and commit. *a is cleared either way. */
int sim_afile_commit(struct sim_afile *a, FILE *err);
/* Closes and removes the temporary file; safe on a cleared afile. */
void sim_afile_abort(struct sim_afile *a);
/* The two halves of commit, for a group of files that must appear all or
 * none (`run -o`): close flushes, fsyncs and closes a->f, reporting any
 * write error (a full disk, EFBIG) and then removing the temporary file
 * and clearing *a; publish renames a closed file into place (nothing is
 * printed for a cleared afile). Both return 0 or SIM_EIO with the message
 * printed to `err`; abort still removes a closed, unpublished file. */
int sim_afile_close(struct sim_afile *a, FILE *err);
int sim_afile_publish(struct sim_afile *a, FILE *err);

/* Creates DIR (and parents) if missing. Returns 0 or SIM_EIO (message
 * printed to `err`, e.g. when a path component is a file). */
int sim_mkdir_p(const char *dir, FILE *err);

/* Writes s as one CSV cell, after a comma unless *first (then cleared),
 * quoted as RFC 4180 says when it holds a comma, a quote or a line break. */
void sim_csv_cell(FILE *f, bool *first, const char *s);
/* Writes s as a JSON string; invalid UTF-8 becomes U+FFFD. */
void sim_json_string(FILE *f, const char *s);

#endif
