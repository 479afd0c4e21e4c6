/*
 * timeseries.h - a run's time series (struct sim_ts, kernel/stats.h) as
 * the CSV `run --timeseries` writes.
 */
#ifndef SIM_TIMESERIES_H
#define SIM_TIMESERIES_H

#include <stdio.h>

#include "kernel/stats.h"
#include "scenario/scenario.h"

/* Writes timeseries.csv rows for every system: time_s, system,
 * replication, offered_rps, throughput_rps, goodput_rps, errors,
 * latency_s_p50, latency_s_p99, then the model's figures (union over all
 * rows, flattened as in sim_write_csv; empty where a row lacks one).
 * ts[i] belongs to sc->systems[i]; sim_ts_row.replication is printed as
 * is (run.c stores it 1-based). Returns 0, SIM_EIO or SIM_ENOMEM. */
int sim_write_timeseries(FILE *f, const struct sim_scenario *sc,
			 const struct sim_ts *ts, size_t nsystems);

#endif
