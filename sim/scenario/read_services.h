/*
 * read_services.h - reads `services:` and systems' service overrides, and
 * links the calls of the workload to the services (read_services.c).
 */
#ifndef SIM_READ_SERVICES_H
#define SIM_READ_SERVICES_H

#include "scenario/diag.h"

/* Deepest chain of calls (a gateway calling a service calling a database
 * is 3 deep). */
#define SIM_MAX_CALL_DEPTH 16

/* A service definition's own key beside its system keys: `pool`. */
extern const struct sim_param sim__service_pool_param[];

/* Reads the top-level `services:` map into sc->services (problems
 * reported). */
void sim__read_services(struct sim_load *l, const struct sim_ynode *v,
			struct sim_scenario *sc);

/* After workload, systems and services are read: reads each system's
 * `services:` overrides (`systems` is the systems list, `services` the
 * services map; either may be NULL), resolves every call to its service,
 * rejects unknown services and cycles of calls, makes each call a class
 * of its service's workload and lays out the demand slots (sets
 * sc->max_phases). */
void sim__link_services(struct sim_load *l, const struct sim_ynode *services,
			const struct sim_ynode *systems,
			struct sim_scenario *sc);

/* Frees the services and the systems' overrides (before the systems). */
void sim__release_services(struct sim_scenario *sc);

/* Frees a phase list and the calls in it. */
void sim__release_phases(struct sim_phase *ph, size_t n);

#endif
