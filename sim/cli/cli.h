/*
 * cli.h - what the command files share: the common options, loading a
 * scenario with them, and the command table's entry points.
 *
 * To add a command: write sim/cmd_<name>.c exporting
 * `int cmd_<name>(int argc, char **argv)`, declare it here, and add a row
 * (name, function, one-line summary, usage text) to `commands[]` in main.c.
 * Commands return the process exit status: 0 success, 1 the simulation ran
 * but something failed, 2 bad usage or bad scenario.
 */
#ifndef SIM_CLI_H
#define SIM_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "output/output.h"
#include "scenario/scenario.h"

#define EXIT_FAILED	 1
#define EXIT_USAGE	 2
#define EXIT_INTERRUPTED 130 /* SIGINT or SIGTERM */

/* Options most commands accept. */
struct cli_opts {
	const char *file;
	struct sim_override *ov; /* --set, --seed, --replications */
	size_t nov;
	int format; /* enum sim_format, or -1 for the default */
	const char *out;
	int jobs;
	bool quiet;
	bool per_replica; /* --per-replica: every replica's figures */
	double ts_interval;
	char **extra; /* arguments the command handles itself */
	size_t nextra;
	char **owned; /* --set paths, freed with the options */
	size_t nowned;
};

/* Parses argv[1..] (argv[0] is the command name). Options a command does
 * not take are rejected unless listed in `accept` (a string of option
 * names separated by '|', e.g. "--set|--seed|--format"). Unknown options
 * starting with '-' that the command handles itself are collected in
 * `extra` when listed in `own`. Prints an error and returns EXIT_USAGE on
 * bad usage; 0 on success. */
int cli_parse(int argc, char **argv, const char *accept, const char *own,
	      struct cli_opts *o);
void cli_opts_release(struct cli_opts *o);

/* The enum sim_format to print results in: --format when given, else a
 * table on a terminal and JSON otherwise. */
int cli_format(const struct cli_opts *o);

/* Loads o->file with o's overrides; messages go to stderr. Returns 0 or
 * the exit status to use. */
int cli_load(const struct cli_opts *o, struct sim_scenario *sc);

/* Refuses a loaded scenario that would need absurd time or memory
 * (limits.h), with the message on stderr as FILE:LINE:COLUMN (or
 * `concsim: error:` for an option such as --timeseries). Otherwise lowers
 * *jobs (if non-NULL) so that the simulations running at once fit in
 * memory. Returns 0 or EXIT_USAGE. */
int cli_budget(const struct sim_scenario *sc, double ts_interval, int *jobs);

/* One term of a latency objective (--slo): a statistic below a target. */
enum cli_stat { CLI_STAT_MEAN, CLI_STAT_QUANTILE };
struct cli_objective {
	enum cli_stat stat;
	double q;      /* CLI_STAT_QUANTILE: 0.5, 0.9, 0.99, 0.999 */
	double target; /* seconds */
};

/* Parses an objective such as "p99<100ms,mean<10ms" (mean, p50, p90, p99,
 * p999) and appends its terms to obj[*nobj..max). Returns 0, or
 * EXIT_USAGE with the message printed. Shared by capacity, plot and
 * report (defined in cmd_capacity.c). */
int cli_parse_slo(const char *s, struct cli_objective *obj, size_t max,
		  size_t *nobj);

/* Prints `concsim: error: ...` to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints the usage of one command to stdout; returns 0, or EXIT_USAGE if
 * there is no such command. */
int cli_help(const char *name);

int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_capacity(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_fit(int argc, char **argv);

#endif
