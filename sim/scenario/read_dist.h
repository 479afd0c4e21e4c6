/*
 * read_dist.h - reads a distribution of a scenario.
 */
#ifndef SIM_READ_DIST_H
#define SIM_READ_DIST_H

#include <stdbool.h>
#include <stdio.h>

#include "scenario/diag.h"
#include "scenario/params.h"

/* A phase's own flag beside its distribution: `cpu` (pool phases) and
 * `downstream` (io phases). */
extern const struct sim_param sim__dist_params[]; /* but dist, values */
extern const size_t sim__ndist_params;
extern const struct sim_param sim__dist_cpu_param[];
extern const struct sim_param sim__dist_downstream_param[];

/* Reads a distribution into *d: a duration (constant) or a map. With
 * flagp set (a phase's flag), the map may also hold that boolean, stored
 * in *flag (default flagp->def). Problems are reported. */
void sim__read_dist(struct sim_load *l, const char *key,
		    const struct sim_ynode *v, struct sim_dist *d,
		    const struct sim_param *flagp, bool *flag);

/* Writes a distribution as a flow map; `flag` (named `flagkey`) is a
 * phase's own boolean, or NULL. */
void sim__put_dist(FILE *f, const struct sim_dist *d, const char *flagkey,
		   const bool *flag);

/* SIM_PT_DIST for the table engine (sim__param_nested). */
extern const struct sim__nested sim__dist_nested;

/* Kinds whose shape needs a cv. */
bool sim__dist_needs_cv(enum sim_dist_kind k);

/* A file name relative to the scenario's directory, made absolute (so
 * that a written scenario still finds it), and checked to be a readable
 * regular file. Returns the new path (caller frees), or NULL after an
 * error. */
char *sim__resolve(struct sim_load *l, const char *key, const char *name,
		   const struct sim_ynode *at);

#endif
