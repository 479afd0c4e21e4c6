/*
 * cli.h - what the command files share: the common options, loading a
 * scenario with them, and the command table's entry points.
 *
 * To add a command: write sim/cli/cmd_<name>.c exporting
 * `int cmd_<name>(int argc, char **argv)`, declare it here, and add a row
 * (name, function, one-line summary, usage text) to `cli_commands[]` in
 * main.c. Its help, man page section and completion (options are taken
 * from the usage text's option lines) follow from that row.
 * Commands return the process exit status: 0 success, 1 the simulation ran
 * but something failed, 2 bad usage or bad scenario.
 */
#ifndef SIM_CLI_H
#define SIM_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "output/output.h"
#include "scenario/scenario.h"

#define EXIT_FAILED	 1
#define EXIT_USAGE	 2
#define EXIT_INTERRUPTED 130 /* SIGINT, SIGTERM, SIGHUP or SIGQUIT */

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
	const char *systems; /* --systems a,b (also an override) */
	char **extra;	     /* arguments the command handles itself */
	size_t nextra;
	bool *extra_opt; /* extra[i] is the command's own option (not an
			  * operand, even one after `--` that looks like
			  * one): cli_extra_is_option */
	char **owned;	 /* strings made while parsing, freed with them */
	size_t nowned;
	char *text; /* the scenario's text once read (cli_text) */
	size_t len;
};

/* How a scenario read from standard input (`-`) is named in messages. */
#define CLI_STDIN_NAME "<stdin>"

/* Parses argv[1..] (argv[0] is the command name) as getopt_long would:
 * short options may be bundled (-qj2, -qo DIR), a long option's value is
 * attached (--jobs=2) or the next argument (--jobs 2, even if it starts
 * with '-'), `--` ends the options, and `-` is an operand.
 *
 * `accept` lists the common options the command takes, names separated
 * by '|' ("--set|--seed|--format|--out|--jobs|--quiet"; -o, -j and -q
 * stand for --out, --jobs and --quiet). `own` lists the options the
 * command handles itself, the same way; each takes a value unless its
 * name ends in '!' ("--param|--shard|--resume!"). They reach the command
 * in `extra`, in order, as one argument each: "--name=VALUE" or "--name".
 * The first operand is `file`; the others follow in `extra` as they are.
 * Prints an error and returns EXIT_USAGE on bad usage; 0 on success. */
int cli_parse(int argc, char **argv, const char *accept, const char *own,
	      struct cli_opts *o);
void cli_opts_release(struct cli_opts *o);

/* Whether o->extra[i] is one of the command's own options, "--name" or
 * "--name=VALUE"; else it is an operand (a file), whatever it looks
 * like: `concsim run -- --odd-name.yaml`. */
bool cli_extra_is_option(const struct cli_opts *o, size_t i);

/* The value of o->extra[*i], an option the command handles itself: what
 * follows '=' in the same argument, else the next argument (then *i
 * advances). Returns it, or NULL with the message printed (exit 2). */
const char *cli_extra_value(const struct cli_opts *o, size_t *i);

/* The enum sim_format to print results in: --format when given, else a
 * table on a terminal and JSON otherwise. */
int cli_format(const struct cli_opts *o);

/* Flushes standard output: returns rc, or EXIT_FAILED once it has said
 * that standard output could not be written (a full disk, a closed
 * pipe), which a command's exit status must not hide. */
int cli_flushed(int rc);

/* Reads the scenario's text into o->text once: o->file, or standard input
 * when it is "-" (o->file then becomes CLI_STDIN_NAME). Messages go to
 * stderr. Returns 0 or the exit status to use. */
int cli_text(struct cli_opts *o);

/* Loads the scenario (cli_text) with o's overrides; messages go to
 * stderr. Returns 0 or the exit status to use. */
int cli_load(struct cli_opts *o, struct sim_scenario *sc);

/* Refuses a loaded scenario that would need absurd time or memory
 * (budget.h), with the message on stderr as FILE:LINE:COLUMN (or
 * `concsim: error:` for an option such as --timeseries). Otherwise lowers
 * *jobs (if non-NULL) so that the simulations running at once fit in
 * memory. Returns 0 or EXIT_USAGE. */
/* EXIT_USAGE, message printed, if an output DIR/NAMES[i] (NAMES[i]
 * with DIR NULL) is the scenario FILE or one of the NIN files it reads
 * (a trace, samples: a scenario's `inputs`); 0 otherwise. */
int cli_check_clobber(const char *dir, const char *const *names, size_t n,
		      const char *file, char *const *in, size_t nin);
int cli_budget(const struct sim_scenario *sc, double ts_interval, int *jobs);

/* One term of a latency objective (--slo): a statistic below a target. */
enum cli_stat { CLI_STAT_MEAN, CLI_STAT_QUANTILE };
struct cli_objective {
	enum cli_stat stat;
	double q;      /* CLI_STAT_QUANTILE: 0.5, 0.95, 0.999 ... */
	double target; /* seconds */
};

/* Parses objectives in the one grammar of cli/slo.h (shared by run,
 * capacity, plot and report) and appends the latency terms (mean, any
 * percentile) to obj[*nobj..max). Returns 0, or EXIT_USAGE with the
 * message printed (defined in cli/slo.c). */
int cli_parse_slo(const char *s, struct cli_objective *obj, size_t max,
		  size_t *nobj);
/* The same for a command's own --slo option at o->extra[*i] (its value
 * after '=' or in the next argument, cli_extra_value). */
int cli_extra_slo(const struct cli_opts *o, size_t *i,
		  struct cli_objective *obj, size_t max, size_t *nobj);

/* --precision P% (0.1% to 50%) as a share into *share, and
 * --max-replications N (2 to 10000) into *n; each returns 0 or
 * EXIT_USAGE with the message printed. */
int cli_parse_precision(const char *val, double *share);
int cli_parse_max_reps(const char *val, int *n);

/* The terminating signals a command cleans up after (SIGINT, SIGTERM,
 * SIGHUP, SIGQUIT): catch installs fn (with sa_flags) for each and keeps
 * the old actions in old; restore puts them back. */
#define CLI_NSIGNALS 4
void cli_signals_catch(void (*fn)(int), int flags,
		       struct sigaction old[CLI_NSIGNALS]);
void cli_signals_restore(const struct sigaction old[CLI_NSIGNALS]);
/* Holds the terminating signals back (a file that exists only for a few
 * instructions, then is removed, cannot be left behind by one); let go
 * delivers what came meanwhile. */
void cli_signals_hold(sigset_t *old);
void cli_signals_let_go(const sigset_t *old);

/* Prints `concsim: error: ...` to stderr, control characters shown as
 * '?' (no escape sequence from a name reaches the terminal). */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A row of the command table (main.c), NULL-terminated. */
struct cli_command {
	const char *name;
	int (*fn)(int argc, char **argv); /* NULL: `help` itself */
	const char *summary;		  /* one line */
	const char *usage;		  /* `concsim help NAME` */
};
extern const struct cli_command cli_commands[];

/* help.c: prints the usage of one command, or a topic (`scenario`,
 * `models`), or (NULL) the list of commands to stdout; returns 0, or
 * EXIT_USAGE if there is no such command or topic. */
int cli_help(const char *name);
/* The list of commands, to f (stderr when no command is given). */
void cli_usage(FILE *f);
/* The manual page, concsim(1), in roff to f. Returns 0. */
int cli_man(FILE *f);

int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_capacity(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_schema(int argc, char **argv);
int cmd_completion(int argc, char **argv);
int cmd_fit(int argc, char **argv);

#endif
