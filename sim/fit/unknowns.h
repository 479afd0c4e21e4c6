/*
 * unknowns.h - what unknowns.c shares with fit.c (internal to sim/fit):
 * loading the scenario with candidate values at the `fit` placeholders.
 */
#ifndef SIM_UNKNOWNS_H
#define SIM_UNKNOWNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "fit/fit.h"

/* The last component of a dotted path. */
const char *fit__last_key(const char *path);

/* Loads the scenario with each unknown at vals[i]; bad[i] tells whether
 * the loader found a problem at that value. Returns 0 (the load
 * succeeded), SIM_ESCENARIO (*msg holds the messages) or SIM_ENOMEM. */
int fit__probe_load(const char *file, const char *text, size_t len,
		    const struct sim_override *ov, size_t nov,
		    const struct fit_unknowns *u, const char *const *vals,
		    bool *bad, char **msg, struct sim_scenario *keep);

/* Rewrites loader messages at an unknown's `--set PATH:L:C:` to the
 * placeholder's FILE:LINE:COLUMN, and prints them. */
void fit__print_mapped(FILE *err, const char *msg, const struct fit_unknowns *u,
		       const char *file);

/* The candidate value of an unknown as --set takes it (SI, full
 * precision). */
void fit__candidate(char *buf, size_t len, const struct fit_unknown *u,
		    double x);

#endif
