/*
 * read_workload.h - reads the workload of a scenario.
 */
#ifndef SIM_READ_WORKLOAD_H
#define SIM_READ_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "scenario/diag.h"

/* The tables of `arrivals`, `client` and `client.retries`, for the
 * writer. */
extern const struct sim_param sim__arrival_params[];
extern const size_t sim__narrival_params;
extern const struct sim_param sim__client_params[];
extern const size_t sim__nclient_params;
extern const struct sim_param sim__retry_params[];
extern const size_t sim__nretry_params;
extern const struct sim_param sim__step_params[]; /* a schedule entry */
extern const size_t sim__nstep_params;
extern const struct sim_param sim__closed_params[];
extern const size_t sim__nclosed_params;
extern const struct sim_param sim__class_params[]; /* but its phases */
extern const size_t sim__nclass_params;
extern const struct sim_param
    sim__call_params[]; /* but phases, timeout, retries */
extern const size_t sim__ncall_params;
extern const struct sim_param sim__downstream_params[];
extern const size_t sim__ndownstream_params;

/* Whether key i of sim__arrival_params goes with process `kind`. */
bool sim__arrival_key_applies(size_t i, enum sim_arrival_kind kind);

/* "cpu", "io", "pool", "call", "parallel", then NULL: the phase keys. */
extern const char *const sim_phase_names[];

/* Reads a class's phase list v into c. Problems are reported. */
void sim__read_phases(struct sim_load *l, const struct sim_ynode *v,
		      struct sim_class *c);
/* Reads `workload:` into *w but its connections and sessions
 * (read_sessions.h), problems reported. Returns false when v is no map. */
bool sim__read_workload(struct sim_load *l, const struct sim_ynode *v,
			struct sim_workload *w);
/* Checks every row of a replayed trace against the classes (once the
 * whole workload is read without a problem). */
void sim__check_trace(struct sim_load *l, const struct sim_workload *w);

#endif
