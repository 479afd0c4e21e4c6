/*
 * cli.c - the command line every command shares: options parsed the
 * getopt_long way (bundled short options -qj2, --opt=value or --opt value,
 * `--` ends the options, `-` is an operand: standard input), the common
 * options themselves, and the scenario read once (file or standard input)
 * and loaded with the command line's overrides.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "output/files.h"
#include "scenario/diag.h"
#include "workload/budget.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;
	char buf[2048];
	/* names in messages come from users: no escape sequence reaches the
	 * terminal */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	fputs("concsim: error: ", stderr);
	sim_fputs_safe(buf, stderr);
	fputc('\n', stderr);
}

static const int term_signals[CLI_NSIGNALS] = {SIGINT, SIGTERM, SIGHUP,
					       SIGQUIT};

void cli_signals_catch(void (*fn)(int), int flags,
		       struct sigaction old[CLI_NSIGNALS])
{
	struct sigaction sa = {.sa_handler = fn, .sa_flags = flags};
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < CLI_NSIGNALS; i++)
		sigaddset(&sa.sa_mask, term_signals[i]);
	for (int i = 0; i < CLI_NSIGNALS; i++)
		sigaction(term_signals[i], &sa, &old[i]);
}

void cli_signals_restore(const struct sigaction old[CLI_NSIGNALS])
{
	for (int i = 0; i < CLI_NSIGNALS; i++)
		sigaction(term_signals[i], &old[i], NULL);
}

void cli_signals_hold(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	for (int i = 0; i < CLI_NSIGNALS; i++)
		sigaddset(&set, term_signals[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

void cli_signals_let_go(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
}

/* Whether `opt` is one of the '|'-separated names of `list`; *flag says
 * whether the name was written with a trailing '!' (takes no value). */
static bool listed(const char *list, const char *opt, bool *flag)
{
	size_t n = strlen(opt);
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, '|');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		bool bang = len && p[len - 1] == '!';
		if (len - bang == n && !strncmp(p, opt, n)) {
			if (flag)
				*flag = bang;
			return true;
		}
		p = e ? e + 1 : NULL;
	}
	return false;
}

static int add_override(struct cli_opts *o, const char *path, const char *value)
{
	struct sim_override *ov = realloc(o->ov, (o->nov + 1) * sizeof *o->ov);
	if (!ov)
		return -1;
	o->ov = ov;
	o->ov[o->nov++] = (struct sim_override){path, value};
	return 0;
}

/* Keeps s (malloc'd) to be freed with the options. Returns s, or NULL
 * (s freed) when out of memory. */
static char *own_string(struct cli_opts *o, char *s)
{
	char **ow = s ? realloc(o->owned, (o->nowned + 1) * sizeof *ow) : NULL;
	if (!ow) {
		free(s);
		return NULL;
	}
	o->owned = ow;
	return o->owned[o->nowned++] = s;
}

static int parse_int(const char *opt, const char *s, long lo, long hi,
		     long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		cli_error("'%s' expects a whole number from %ld to %ld, got "
			  "'%s'",
			  opt, lo, hi, s);
		return EXIT_USAGE;
	}
	*out = v;
	return 0;
}

/* The short options, the long ones they stand for, and whether they take
 * a value (as getopt's "o:j:q"). */
static const struct {
	char c;
	const char *name;
	bool value;
} shorts[] = {
    {'o', "--out", true}, {'j', "--jobs", true}, {'q', "--quiet", false}};

/* The common options that take no value. */
static const char common_flags[] = "--quiet|--per-replica";

/* Applies one common option `name` (accepted by the command) with its
 * value. Returns 0 or an exit status (message printed). */
static int common_option(struct cli_opts *o, const char *name, const char *val)
{
	long v;
	if (!strcmp(name, "--quiet")) {
		o->quiet = true;
	} else if (!strcmp(name, "--per-replica")) {
		o->per_replica = true;
	} else if (!strcmp(name, "--set")) {
		const char *e = strchr(val, '=');
		if (!e || e == val) {
			cli_error("--set expects PATH=VALUE, got '%s'", val);
			return EXIT_USAGE;
		}
		char *path = own_string(o, strndup(val, (size_t)(e - val)));
		if (!path || add_override(o, path, e + 1) < 0) {
			cli_error("out of memory");
			return EXIT_FAILED;
		}
	} else if (!strcmp(name, "--systems")) {
		if (!*val || strstr(val, ",,") || *val == ',' ||
		    val[strlen(val) - 1] == ',') {
			cli_error(
			    "--systems expects system names joined by ',' "
			    "(e.g. node,uvicorn), got '%s'",
			    val);
			return EXIT_USAGE;
		}
		o->systems = val;
		if (add_override(o, SIM_SELECT_SYSTEMS, val) < 0)
			return EXIT_FAILED;
	} else if (!strcmp(name, "--seed")) {
		/* the range `seed:` takes in the file: all of uint64 */
		char *end;
		errno = 0;
		if (!isdigit((unsigned char)val[0]) ||
		    (strtoull(val, &end, 10), *end || errno)) {
			cli_error("'--seed' expects a whole number from 0 to "
				  "%llu, got '%s'",
				  (unsigned long long)UINT64_MAX, val);
			return EXIT_USAGE;
		}
		if (add_override(o, "seed", val) < 0)
			return EXIT_FAILED;
	} else if (!strcmp(name, "--replications")) {
		if (parse_int(name, val, 1, 10000, &v))
			return EXIT_USAGE;
		if (add_override(o, "replications", val) < 0)
			return EXIT_FAILED;
	} else if (!strcmp(name, "--format")) {
		if (!strcmp(val, "table"))
			o->format = SIM_FMT_TABLE;
		else if (!strcmp(val, "json"))
			o->format = SIM_FMT_JSON;
		else if (!strcmp(val, "csv"))
			o->format = SIM_FMT_CSV;
		else {
			cli_error("--format expects table, json or csv, got "
				  "'%s'",
				  val);
			return EXIT_USAGE;
		}
	} else if (!strcmp(name, "--out")) {
		o->out = val;
	} else if (!strcmp(name, "--jobs")) {
		if (parse_int(name, val, 1, 4096, &v))
			return EXIT_USAGE;
		o->jobs = (int)v;
	} else if (!strcmp(name, "--timeseries")) {
		const char *why;
		if (sim_parse_duration(val, &o->ts_interval, &why) < 0 ||
		    !(o->ts_interval > 0)) {
			cli_error("--timeseries expects a duration > 0 with a "
				  "unit (e.g. 1s), got '%s'",
				  val);
			return EXIT_USAGE;
		}
	}
	return 0;
}

/* The parse in progress. */
struct cli_args {
	int argc, i;
	char **argv;
	const char *accept, *own;
	struct cli_opts *o;
};

/* One option: `name` (long form), as the user wrote it (`shown`), with a
 * value attached to it (--x=V, -jV) or NULL. Takes the value from the
 * next argument when it needs one. Returns 0 or an exit status. */
static int take(struct cli_args *a, const char *name, const char *shown,
		const char *val)
{
	struct cli_opts *o = a->o;
	bool flag = false, own = a->own && listed(a->own, name, &flag);
	if (!own && !listed(a->accept, name, NULL)) {
		cli_error("unknown option '%s'; see 'concsim help %s'", shown,
			  a->argv[0]);
		return EXIT_USAGE;
	}
	if (!own)
		flag = listed(common_flags, name, NULL);
	if (flag && val) {
		cli_error("option '%s' takes no value", shown);
		return EXIT_USAGE;
	}
	if (!flag && !val) {
		if (a->i + 1 >= a->argc) {
			cli_error("option '%s' needs a value", shown);
			return EXIT_USAGE;
		}
		val = a->argv[++a->i];
	}
	if (!own)
		return common_option(o, name, val);
	/* the command's own: as one argument, --name or --name=value */
	size_t n = strlen(name) + (flag ? 1 : strlen(val) + 2);
	char *x = malloc(n);
	if (x)
		snprintf(x, n, flag ? "%s" : "%s=%s", name, val);
	if (!own_string(o, x)) {
		cli_error("out of memory");
		return EXIT_FAILED;
	}
	o->extra_opt[o->nextra] = true;
	o->extra[o->nextra++] = x;
	return 0;
}

/* Short options, bundled or not: -q, -j2, -j 2, -qj2, -qo DIR. */
static int take_shorts(struct cli_args *a, const char *arg)
{
	for (const char *p = arg + 1; *p; p++) {
		size_t k = 0;
		char shown[3] = {'-', *p, 0};
		while (k < NELEM(shorts) && shorts[k].c != *p)
			k++;
		if (k == NELEM(shorts)) {
			cli_error("unknown option '%s'; see 'concsim help %s'",
				  shown, a->argv[0]);
			return EXIT_USAGE;
		}
		if (!listed(a->accept, shorts[k].name, NULL) &&
		    !(a->own && listed(a->own, shorts[k].name, NULL))) {
			cli_error("unknown option '%s'; see 'concsim help %s'",
				  shown, a->argv[0]);
			return EXIT_USAGE;
		}
		if (shorts[k].value)
			return take(a, shorts[k].name, shown,
				    p[1] ? p + 1 : NULL);
		int rc = take(a, shorts[k].name, shown, NULL);
		if (rc)
			return rc;
	}
	return 0;
}

int cli_parse(int argc, char **argv, const char *accept, const char *own,
	      struct cli_opts *o)
{
	*o = (struct cli_opts){.format = -1};
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	o->jobs = cores > 0 ? (int)cores : 1;
	o->extra = calloc((size_t)argc + 1, sizeof *o->extra);
	o->extra_opt = calloc((size_t)argc + 1, sizeof *o->extra_opt);
	if (!o->extra || !o->extra_opt) {
		cli_error("out of memory");
		return EXIT_FAILED;
	}
	struct cli_args a = {argc, 0, argv, accept, own, o};
	bool options = true;
	for (a.i = 1; a.i < argc; a.i++) {
		char *arg = argv[a.i];
		int rc = 0;
		if (!options || arg[0] != '-' || !arg[1]) {
			/* an operand; "-" is standard input */
			if (o->file)
				o->extra[o->nextra++] = arg;
			else
				o->file = arg;
			continue;
		}
		if (!strcmp(arg, "--")) {
			options = false;
			continue;
		}
		if (arg[1] != '-') {
			rc = take_shorts(&a, arg);
		} else {
			char name[64];
			const char *eq = strchr(arg, '=');
			size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
			snprintf(name, sizeof name, "%.*s", (int)n, arg);
			rc = take(&a, name, name, eq ? eq + 1 : NULL);
		}
		if (rc)
			return rc;
	}
	return 0;
}

int cli_format(const struct cli_opts *o)
{
	if (o->format >= 0)
		return o->format;
	return isatty(STDOUT_FILENO) ? SIM_FMT_TABLE : SIM_FMT_JSON;
}

int cli_flushed(int rc)
{
	if (fflush(stdout) || ferror(stdout)) {
		cli_error("cannot write to standard output");
		return EXIT_FAILED;
	}
	return rc;
}

void cli_opts_release(struct cli_opts *o)
{
	for (size_t i = 0; i < o->nowned; i++)
		free(o->owned[i]);
	free(o->owned);
	free(o->ov);
	free(o->extra);
	free(o->extra_opt);
	free(o->text);
	*o = (struct cli_opts){0};
}

int cli_text(struct cli_opts *o)
{
	if (o->text)
		return 0;
	if (!o->file) {
		cli_error("no scenario file given (or '-' for standard input)");
		return EXIT_USAGE;
	}
	bool in = !strcmp(o->file, "-");
	if (in)
		o->file = CLI_STDIN_NAME;
	int err = sim_scenario_read(o->file, in ? stdin : NULL, stderr,
				    &o->text, &o->len);
	if (err == SIM_ENOMEM) {
		cli_error("out of memory loading '%s'", o->file);
		return EXIT_FAILED;
	}
	return err < 0 ? EXIT_USAGE : 0;
}

int cli_load(struct cli_opts *o, struct sim_scenario *sc)
{
	int rc = cli_text(o);
	if (rc) {
		memset(sc, 0, sizeof *sc);
		return rc;
	}
	int err = sim_scenario_load_string(o->file, o->text, o->len, o->ov,
					   o->nov, stderr, sc);
	if (!err)
		sc->per_replica = o->per_replica;
	if (err == SIM_ENOMEM) {
		cli_error("out of memory loading '%s'", o->file);
		return EXIT_FAILED;
	}
	return err < 0 ? EXIT_USAGE : 0;
}

int cli_check_clobber(const char *dir, const char *const *names, size_t n,
		      const char *file, char *const *in, size_t nin)
{
	if (sim_check_clobber(dir, names, n, file, stderr))
		return EXIT_USAGE;
	for (size_t i = 0; i < nin; i++)
		if (sim_check_clobber(dir, names, n, in[i], stderr))
			return EXIT_USAGE;
	return 0;
}

int cli_budget(const struct sim_scenario *sc, double ts_interval, int *jobs)
{
	struct sim_budget b;
	struct sim_mark at;
	char why[512];
	if (sim_scenario_budget(sc, ts_interval, &b, &at, why, sizeof why)) {
		if (at.file)
			sim_fprintf_safe(stderr, "%s:%d:%d: error: %s\n",
					 at.file, at.line, at.col, why);
		else
			cli_error("%s", why);
		return EXIT_USAGE;
	}
	if (jobs)
		*jobs = sim_budget_jobs(&b, *jobs);
	return 0;
}

int cli_parse_precision(const char *val, double *share)
{
	char *end;
	double p = strtod(val, &end);
	if (end == val || strcmp(end, "%") || !(p >= 0.1 && p <= 50)) {
		cli_error("--precision expects a percentage from 0.1%% to 50%% "
			  "(e.g. 5%%), got '%s'",
			  val);
		return EXIT_USAGE;
	}
	*share = p / 100;
	return 0;
}

int cli_parse_max_reps(const char *val, int *n)
{
	long v;
	if (parse_int("--max-replications", val, 2, 10000, &v))
		return EXIT_USAGE;
	*n = (int)v;
	return 0;
}

bool cli_extra_is_option(const struct cli_opts *o, size_t i)
{
	return i < o->nextra && o->extra_opt && o->extra_opt[i];
}

const char *cli_extra_value(const struct cli_opts *o, size_t *i)
{
	const char *a = o->extra[*i], *eq = strchr(a, '=');
	if (eq)
		return eq + 1;
	if (*i + 1 < o->nextra && !cli_extra_is_option(o, *i + 1))
		return o->extra[++*i];
	cli_error("option '%s' needs a value", a);
	return NULL;
}
