/*
 * budget.h - what a run would cost, estimated before anything runs.
 *
 * A scenario can ask for more than any machine has: 10^12 requests, a
 * million replications, replicas of replicas of thousands of processes, a
 * time series with a row per nanosecond. Rather than be killed by the
 * kernel hours later, `run` (and any command that simulates) asks
 * sim_scenario_budget() first and refuses with a message that says what is
 * too large and what to change. Every bound lives here, in one place:
 *
 *   requests   logical requests over the whole run (every replication of
 *              every system), estimated from the arrival process or, for a
 *              closed loop, from Little's law: users / (think + demand)
 *   switches   on/off switches of an mmpp arrival process
 *   slices     preemptions of a system: cores / quantum per simulated
 *              second when every core has threads waiting
 *   threads    simulated threads (and processes) of one system, nested
 *              replicas included
 *   rows       --timeseries rows (intervals x replications x systems)
 *   memory     latency histograms kept until the end, time-series rows,
 *              and one simulation's threads, users and requests in flight
 *
 * Estimates are upper bounds up to small factors; the limits leave room
 * for every sensible scenario (about an hour of computing, a few GiB).
 */
#ifndef SIM_LIMITS_H
#define SIM_LIMITS_H

#include <stddef.h>

#include "scenario/scenario.h"

#define SIM_LIMIT_REQUESTS   2e9       /* whole run; ~1 h of computing */
#define SIM_LIMIT_SWITCHES   1e10      /* mmpp on/off switches, whole run */
#define SIM_LIMIT_DELIVERIES 4e10      /* broadcast recipients, whole run */
#define SIM_LIMIT_SLICES     5e10      /* preemptions of a system, whole run */
#define SIM_LIMIT_THREADS    4194304.0 /* in one system */
#define SIM_LIMIT_TS_ROWS    1e6       /* ~1.5 GiB in memory */
#define SIM_LIMIT_MEMORY     (32.0 * 1073741824) /* or 3/4 of the RAM */

/* The estimate of one run (all figures are counts or bytes). */
struct sim_budget {
	double requests;   /* logical requests of one replication (peak
			      system; the same for every system) */
	double total;	   /* requests over every replication and system */
	double threads;	   /* simulated threads of the largest system */
	double inflight;   /* requests one simulation may hold at once */
	double ts_rows;	   /* --timeseries rows, all systems */
	double kept_bytes; /* kept for the whole run: histograms and rows */
	double sim_bytes;  /* one simulation while it runs */
	double limit;	   /* the memory bound used (bytes) */
};

/* Estimates the cost of running sc with --timeseries ts_interval (0: no
 * time series) and fills *b. Returns 0, or SIM_ELIMIT when a bound is
 * exceeded: `why` (len bytes) then holds one lowercase line saying what and
 * what to change, and *at the position of the key at fault (at->file is
 * NULL when the fault is a command-line option, not the scenario). */
int sim_scenario_budget(const struct sim_scenario *sc, double ts_interval,
			struct sim_budget *b, struct sim_mark *at, char *why,
			size_t len);

/* How many simulations may run at once: at most `jobs` (>= 1), and few
 * enough that the estimated memory fits in b->limit. Never below 1. */
int sim_budget_jobs(const struct sim_budget *b, int jobs);

/* Bytes of physical memory (or the cgroup's limit, if lower), or 0 when
 * unknown. */
double sim_physical_memory(void);

#endif
