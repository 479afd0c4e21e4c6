/*
 * output.h - what the result writers share: the formats a command can
 * print, the column name of a model's figure, the set of columns over many
 * summaries and class names. Numbers are printed by sim_fmt_double
 * (scenario/units.h): the shortest form that reads back exactly.
 *
 * The writers themselves are json.h, csv.h, table.h and timeseries.h;
 * files.h writes their output atomically. Writers know nothing about
 * models: they print summaries and named metrics.
 */
#ifndef SIM_OUTPUT_H
#define SIM_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "kernel/stats.h"
#include "scenario/units.h"

enum sim_format {
	SIM_FMT_TABLE,
	SIM_FMT_JSON,
	SIM_FMT_CSV,
	SIM_FMT_CSV_LONG /* --format csv --long: one figure per row */
};

#define SIM_NUM_LEN 32 /* room for any double sim_fmt_double prints */

/* Writes the column name of a metric into buf: the group with '.' turned
 * into '_', then '_' and the key; just the key when the group is empty. */
void sim__flat_name(char *buf, size_t len, const struct sim_metric *m);
/* A class's column name, class_CLASS_SUFFIX, cut at len - 1 as snprintf
 * would (by hand: it runs for every class figure of every sweep row). */
void sim__class_col(char *buf, size_t len, const char *cname,
		    const char *suffix);

/* A set of (group, key) names in first-seen order: the columns of a CSV.
 * The entries point into the metrics they came from; free(v) releases. */
struct sim__colset {
	const struct sim_metric **v;
	size_t n, cap;
};
/* Adds the names of m not yet in c. Returns 0 or SIM_ENOMEM. */
int sim__colset_add(struct sim__colset *c, const struct sim_metrics *m);
/* The value of metric `col` in m, or NaN when m lacks it. */
double sim__metric_value(const struct sim_metrics *m,
			 const struct sim_metric *col);

/* A class's name, or "classI" written into buf when it has none. Returns
 * the name (borrowed from c, or buf). */
const char *sim__class_name(const struct sim_class_summary *c, size_t i,
			    char *buf, size_t len);

/* Class names over all systems, first-seen order (pointers into sys or
 * into the caller's fallback buffers, one per unnamed class index). */
#define SIM__MAX_FALLBACK_NAMES 64
struct sim__names {
	const char **v;
	size_t n;
};
/* Fills *out (free(out->v) releases it). Returns 0 or SIM_ENOMEM. */
int sim__class_names(const struct sim_summary *sys, size_t n,
		     struct sim__names *out, char (*fallback)[32],
		     size_t nfallback);

#endif
