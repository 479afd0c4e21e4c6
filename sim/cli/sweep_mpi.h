/*
 * sweep_mpi.h - a sweep over MPI ranks: the points are dealt to the ranks
 * and rank 0 gathers every row as text, so the files are the bytes one
 * process writes. Without CONCSIM_HAVE_MPI every function is a no-op and
 * the sweep runs as rank 0 of 1.
 */
#ifndef SIM_SWEEP_MPI_H
#define SIM_SWEEP_MPI_H

#include <stdbool.h>

#include "cli/sweep_run.h"

/* Under an MPI launcher, initialises MPI and sets sw->rank and
 * sw->nranks. Returns whether sweep_mpi_end must finalise. */
bool sweep_mpi_begin(struct sweep *sw);
void sweep_mpi_end(bool started);

/* Without -j, the ranks on one node share its cores rather than each
 * starting one simulation per core (lowers sw->o.jobs). */
void sweep_mpi_share_cores(struct sweep *sw, int argc, char **argv);

/* Reads the scenario's text (cli_text). Under MPI with a FILE of "-"
 * (collective): rank 0 reads its standard input, the only one the
 * launcher gives, and sends the text to the others. Returns 0 or the
 * exit status (the same on every rank). */
int sweep_mpi_share_text(struct sweep *sw);

/* Collective: gives every rank rank 0's *rc and the points that
 * `--resume` found done. Returns 0 or SIM_ENOMEM (on every rank). */
int sweep_mpi_share_resume(struct sweep *sw, int *rc);

/* Collective, after the run: *stopped and *failed become their maximum
 * over the ranks and rank 0's sw->table receives every rank's rows (out
 * of memory sets *failed, with a message). */
void sweep_mpi_gather(struct sweep *sw, int *stopped, int *failed);

#endif
