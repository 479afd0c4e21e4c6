/*
 * diag.h - the state of one load and how it reports problems: one line
 * `FILE:LINE:COLUMN: error: MESSAGE` each, with "did you mean" hints.
 */
#ifndef SIM_DIAG_H
#define SIM_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "runtime/config.h"
#include "scenario/yamldoc.h"

#define SIM_MAX_ERRORS 20
#define NELEM(a)       (sizeof(a) / sizeof((a)[0]))

/* The state of one load. */
struct sim_load {
	FILE *err;
	int nerr;
	int rc; /* SIM_ENOMEM once memory ran out */
	struct sim_ydoc doc;
	const char *file;	 /* the scenario's name, for defaults */
	char *dir;		 /* its directory, for relative file names */
	bool rate_set;		 /* --set workload.arrivals.rate was given */
	struct sim_scenario *sc; /* the scenario being read */
};

/* Prints a warning at m (not counted as an error). */
void sim__warning(struct sim_load *l, struct sim_mark m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prints one problem at m (after SIM_MAX_ERRORS, a last line saying so)
 * and counts it. */
void sim__error(struct sim_load *l, struct sim_mark m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* True once there are too many errors or memory ran out. */
bool sim__give_up(const struct sim_load *l);

/* Records that memory ran out; returns NULL for the caller to return. */
void *sim__nomem(struct sim_load *l);

/* Text for a message, held by value. */
struct gotbuf {
	char s[64];
};

/* What a node holds, for "got ...": 'text', a map, a list, nothing. */
struct gotbuf sim__got(const struct sim_ynode *n);

/* A user-given word for a message: short, on one line. */
struct gotbuf sim__word(const char *s);

/* Keeps in *best the candidate closest to w (distance at most 2, and less
 * than w's length), *bestd its distance (start with SIZE_MAX). */
void sim__consider(const char *w, const char *cand, const char **best,
		   size_t *bestd);

/* "; did you mean 'x'?" or "" (into buf, returned). */
const char *sim__suggest(char *buf, size_t size, const char *best);

#endif
