/*
 * writer.h - pieces of the scenario YAML writer shared with the table
 * engine (the whole writer is sim_scenario_write_yaml in scenario.h).
 */
#ifndef SIM_WRITER_H
#define SIM_WRITER_H

#include <stdbool.h>
#include <stdio.h>

#include "scenario/config.h"

/* Each writes one YAML value to f. */
void sim__put_string(FILE *f, const char *s); /* double-quoted */
void sim__put_typed(FILE *f, enum sim_ptype t, double v);
/* A distribution as a flow map; `flag` (named `flagkey`) is a phase's own
 * boolean, or NULL. */
void sim__put_dist(FILE *f, const struct sim_dist *d, const char *flagkey,
		   const bool *flag);
/* A system map at indent `ind`, its first line at indent `first`. */
void sim__put_system(FILE *f, const struct sim_system *sys, int ind, int first);

#endif
