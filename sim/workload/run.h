/*
 * run.h - running a scenario: one simulation per (system, replication),
 * the client layer that feeds it the scenario's request stream, and the
 * job pool that runs simulations on several cores.
 *
 * Every system of a replication sees the same requests: the streams that
 * draw arrivals, classes and demands are named and seeded from (seed,
 * replication, name) only, never from the model or the system.
 */
#ifndef SIM_RUN_H
#define SIM_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/stats.h"
#include "scenario/scenario.h"

/* Runs replication `rep` (0-based) of system `sys` of the scenario and
 * fills *out (initialised here; release with sim_rep_release). If ts is
 * non-NULL and interval > 0, appends one row per interval. Returns 0,
 * SIM_ENOMEM, or SIM_ELIMIT if a run-time bound was hit (message in *why). */
int sim_run_one(const struct sim_scenario *sc, size_t sys, int rep,
		double ts_interval, struct sim_ts *ts,
		struct sim_rep_result *out, const char **why);

/* Runs every system and replication of the scenario on `jobs` threads and
 * summarises each system (out[nsystems], release each with
 * sim_summary_release). Results do not depend on `jobs`. When ts is
 * non-NULL, ts[sys] receives the rows of every replication, in order.
 * `progress`, if non-NULL, is called after each finished simulation.
 * Returns 0 or a SIM_E* code (message in *why). */
int sim_run_scenario(const struct sim_scenario *sc, int jobs,
		     double ts_interval, struct sim_ts *ts,
		     struct sim_summary *out,
		     void (*progress)(void *arg, size_t done, size_t total),
		     void *progress_arg, const char **why);

/* sim_run_scenario that also hands over every replication's result on
 * success: *reps (if reps is non-NULL) gets nsystems x replications
 * results, system-major (index sys * replications + rep); the caller
 * releases each with sim_rep_release and frees the array. */
int sim_run_scenario_keep(
    const struct sim_scenario *sc, int jobs, double ts_interval,
    struct sim_ts *ts, struct sim_summary *out,
    void (*progress)(void *arg, size_t done, size_t total), void *progress_arg,
    struct sim_rep_result **reps, const char **why);

/* Runs the scenario with as many replications as it takes for every
 * system's mean and p99 latency, throughput and goodput to have a 95 %
 * half-width within `rel` (0.05 for 5 %) of the estimate, from the
 * scenario's replications (at least 3) up to max_reps: Law & Kelton's
 * sequential relative-precision procedure. Each step runs only the
 * replications it adds (a replication depends on its index alone), so
 * stopping at n gives what `replications: n` gives, at the cost of n
 * replications. Sets sc->replications to the number run; out and *reps
 * (if non-NULL) as sim_run_scenario_keep; adds to *ran (if non-NULL) the
 * simulations it ran (nsystems x replications: none twice).
 * Returns 0 or a SIM_E* code (message in *why). */
int sim_run_to_precision(struct sim_scenario *sc, int jobs, double rel,
			 int max_reps, struct sim_summary *out,
			 struct sim_rep_result **reps, size_t *ran,
			 const char **why);

/* Whether the n summaries meet sim_run_to_precision's criterion. */
bool sim_precise_enough(const struct sim_summary *s, size_t n, double rel);

/* Runs fn(arg, i) for i in [0, n) on `jobs` threads (jobs <= 1: inline).
 * Returns the first non-zero result by index, or 0. */
int sim_parallel(size_t n, int jobs, int (*fn)(void *arg, size_t i), void *arg);

#endif
