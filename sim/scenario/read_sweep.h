/*
 * read_sweep.h - reads the sweep section of a scenario.
 */
#ifndef SIM_READ_SWEEP_H
#define SIM_READ_SWEEP_H

#include "scenario/diag.h"

/* Reads `sweep:` into sc->sweep (problems reported). */
void sim__read_sweep(struct sim_load *l, const struct sim_ynode *v,
		     struct sim_scenario *sc);

#endif
