/*
 * cli.c - option parsing shared by the commands, and scenario loading with
 * the command line's overrides.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/budget.h"
#include "cli/cli.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("concsim: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static bool listed(const char *list, const char *opt)
{
	size_t n = strlen(opt);
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, '|');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && !strncmp(p, opt, n))
			return true;
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

int cli_parse(int argc, char **argv, const char *accept, const char *own,
	      struct cli_opts *o)
{
	*o = (struct cli_opts){.format = -1};
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	o->jobs = cores > 0 ? (int)cores : 1;
	o->extra = calloc((size_t)argc + 1, sizeof *o->extra);
	if (!o->extra)
		return EXIT_FAILED;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;
		char name[32];
		if (a[0] != '-' || !a[1]) {
			if (o->file) {
				o->extra[o->nextra++] = argv[i];
				continue;
			}
			o->file = a;
			continue;
		}
		/* --opt=value form; -j2 / -odir short forms */
		const char *eq = strchr(a, '=');
		if (a[1] != '-' && a[2] && strchr("jo", a[1]))
			eq = a + 1;
		bool attached = eq && (a[1] == '-' || eq == a + 1);
		size_t nlen =
		    attached ? (size_t)(eq - a) + (eq == a + 1) : strlen(a);
		if (nlen >= sizeof name)
			nlen = sizeof name - 1;
		memcpy(name, a, nlen);
		name[nlen] = 0;
		if (!strcmp(name, "-o"))
			strcpy(name, "--out");
		if (!strcmp(name, "-j"))
			strcpy(name, "--jobs");
		if (!strcmp(name, "-q"))
			strcpy(name, "--quiet");
		if (own && listed(own, name)) {
			o->extra[o->nextra++] = argv[i];
			if (!attached && i + 1 < argc && argv[i + 1][0] != '-')
				o->extra[o->nextra++] = argv[++i];
			continue;
		}
		if (!listed(accept, name)) {
			cli_error("unknown option '%s'; see 'concsim help %s'",
				  name, argv[0]);
			return EXIT_USAGE;
		}
		if (!strcmp(name, "--quiet")) {
			o->quiet = true;
			continue;
		}
		if (!strcmp(name, "--per-replica")) {
			o->per_replica = true;
			continue;
		}
		if (attached) {
			val = eq + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			cli_error("option '%s' needs a value", name);
			return EXIT_USAGE;
		}
		long v;
		if (!strcmp(name, "--set")) {
			const char *e = strchr(val, '=');
			if (!e || e == val) {
				cli_error("--set expects PATH=VALUE, got '%s'",
					  val);
				return EXIT_USAGE;
			}
			char *path = strndup(val, (size_t)(e - val));
			char **ow =
			    realloc(o->owned, (o->nowned + 1) * sizeof *ow);
			if (ow)
				o->owned = ow;
			if (!path || !ow || add_override(o, path, e + 1) < 0) {
				free(path);
				cli_error("out of memory");
				return EXIT_FAILED;
			}
			o->owned[o->nowned++] = path;
		} else if (!strcmp(name, "--seed")) {
			if (parse_int(name, val, 0, 0x7fffffffffffffffL, &v))
				return EXIT_USAGE;
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
				cli_error("--format expects table, json or "
					  "csv, got '%s'",
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
			if (sim_parse_duration(val, &o->ts_interval, &why) <
				0 ||
			    !(o->ts_interval > 0)) {
				cli_error("--timeseries expects a duration "
					  "> 0 with a unit (e.g. 1s), got '%s'",
					  val);
				return EXIT_USAGE;
			}
		}
	}
	return 0;
}

int cli_format(const struct cli_opts *o)
{
	if (o->format >= 0)
		return o->format;
	return isatty(STDOUT_FILENO) ? SIM_FMT_TABLE : SIM_FMT_JSON;
}

void cli_opts_release(struct cli_opts *o)
{
	for (size_t i = 0; i < o->nowned; i++)
		free(o->owned[i]);
	free(o->owned);
	free(o->ov);
	free(o->extra);
	*o = (struct cli_opts){0};
}

int cli_load(const struct cli_opts *o, struct sim_scenario *sc)
{
	if (!o->file) {
		cli_error("no scenario file given");
		return EXIT_USAGE;
	}
	int err = sim_scenario_load(o->file, o->ov, o->nov, stderr, sc);
	if (!err)
		sc->per_replica = o->per_replica;
	if (err == SIM_ENOMEM) {
		cli_error("out of memory loading '%s'", o->file);
		return EXIT_FAILED;
	}
	return err < 0 ? EXIT_USAGE : 0;
}

int cli_budget(const struct sim_scenario *sc, double ts_interval, int *jobs)
{
	struct sim_budget b;
	struct sim_mark at;
	char why[512];
	if (sim_scenario_budget(sc, ts_interval, &b, &at, why, sizeof why)) {
		if (at.file)
			fprintf(stderr, "%s:%d:%d: error: %s\n", at.file,
				at.line, at.col, why);
		else
			cli_error("%s", why);
		return EXIT_USAGE;
	}
	if (jobs)
		*jobs = sim_budget_jobs(&b, *jobs);
	return 0;
}
