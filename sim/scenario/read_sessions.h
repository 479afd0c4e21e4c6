/*
 * read_sessions.h - reads workload.connections and workload.sessions
 * (read_sessions.c).
 */
#ifndef SIM_READ_SESSIONS_H
#define SIM_READ_SESSIONS_H

#include "runtime/config.h"
#include "scenario/diag.h"
#include "scenario/yamldoc.h"

/* For documents (keys.c): the keys of workload.connections,
 * workload.sessions, its messages and its broadcast. */
extern const struct sim_param sim__connections_doc[];
extern const size_t sim__nconnections_doc;
extern const struct sim_param sim__sessions_doc[];
extern const size_t sim__nsessions_doc;
extern const struct sim_param sim__messages_doc[];
extern const size_t sim__nmessages_doc;
extern const struct sim_param sim__broadcast_doc[];
extern const size_t sim__nbroadcast_doc;

/* Reads `connections` (v may be NULL: the defaults, reuse 1). */
void sim__read_connections(struct sim_load *l, const struct sim_ynode *v,
			   struct sim_connections *c);
/* Reads `sessions`. Problems are reported. */
void sim__read_sessions(struct sim_load *l, const struct sim_ynode *v,
			struct sim_sessions *s);
/* Appends the sessions' two classes past w->nclasses (the message, with
 * its broadcast phase, and the session itself). Returns 0 or SIM_ENOMEM. */
int sim__sessions_classes(struct sim_workload *w);
/* Checks the sessions against the whole scenario: the ramp within the
 * run, every system's model able to hold sessions. */
void sim__check_sessions(struct sim_load *l, const struct sim_scenario *sc);
/* Frees what sim__read_sessions allocated. */
void sim__release_sessions(struct sim_sessions *s);

#endif
