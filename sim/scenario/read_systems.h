/*
 * read_systems.h - reads the systems of a scenario.
 */
#ifndef SIM_READ_SYSTEMS_H
#define SIM_READ_SYSTEMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "scenario/diag.h"
#include "scenario/params.h"

/* The keys every system has (struct sim_host_cfg). */
extern const struct sim_param sim__host_params[];
extern const size_t sim__nhost_params;

/* Reads a system map: name (or defname), model, host keys, the model's
 * own keys, then the model's validate hook. Returns 0 or -1 on error
 * (reported); the fields filled so far are owned by sys. */
int sim__read_system(struct sim_load *l, const char *key,
		     const struct sim_ynode *v, struct sim_system *sys,
		     const char *defname, bool zero);

/* A system map at indent `ind`, its first line at indent `first`. */
void sim__put_system(FILE *f, const struct sim_system *sys, int ind, int first);

/* SIM_PT_SYSTEM for the table engine (sim__param_nested). */
extern const struct sim__nested sim__system_nested;

/* Reads `systems:` into sc->systems. */
void sim__read_systems(struct sim_load *l, const struct sim_ynode *v,
		       struct sim_scenario *sc);

/* Refuses a name that a terminal or trace CSV would not carry as it is:
 * a control character (newline included) in any name; also a comma or a
 * double quote in a class name (`what` "class"), a trace's unquoted cell. */
void sim__check_name(struct sim_load *l, const char *what, const char *name,
		     const struct sim_ynode *at);

/* Checks that the names (top-level systems or classes, each at `stride`
 * bytes from the last) are unique and usable in a `--set` path. */
void sim__check_names(struct sim_load *l, const char *what,
		      const struct sim_ynode *seq, char *const *names,
		      size_t stride);

/* Frees what a system owns (sim__free_system_fields) and, for
 * sim__free_system, the system itself (NULL is fine). */
void sim__free_system_fields(struct sim_system *sys);
void sim__free_system(struct sim_system *sys);

#endif
