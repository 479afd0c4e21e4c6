/*
 * json.h - a run's results as JSON, in the shape `run --format json`
 * documents (README, `concsim help run`).
 */
#ifndef SIM_JSON_H
#define SIM_JSON_H

#include <stdio.h>

#include "kernel/stats.h"
#include "scenario/scenario.h"

/* Writes the summaries of a run as one JSON object (2-space indentation,
 * a final newline). Returns 0 or SIM_EIO (write error: the stream's error
 * flag is set). Non-finite figures (a latency with no response measured)
 * print as null. Top-level replications come from sys[0] (the scenario
 * when n is 0). */
int sim_write_json(FILE *f, const struct sim_scenario *sc,
		   const struct sim_summary *sys, size_t n);

/* Writes s as a JSON string ("null" when s is NULL); invalid UTF-8 becomes
 * U+FFFD. */
void sim_json_string(FILE *f, const char *s);

#endif
