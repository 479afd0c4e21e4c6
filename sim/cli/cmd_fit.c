/*
 * cmd_fit.c - `concsim fit SCENARIO MEASURED... -o FITTED.yaml`: estimates
 * the values a scenario writes as `fit` from measured points, and writes
 * the scenario back with them in place.
 *
 * The steps: read the scenario and find its unknowns (fit/fit.c), read
 * the measured files (fit/measured.c), check that the points can
 * determine the unknowns, fit, print the estimates and a measured-vs-
 * fitted table, and write FITTED.yaml atomically. Every check on the
 * input comes before the first simulation, so bad input exits 2 with
 * nothing written.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "fit/fit.h"
#include "output/files.h"
#include "output/json.h"
#include "output/sweepio.h"
#include "scenario/units.h"

struct fitcmd {
	struct cli_opts o;
	const char **files; /* measured files (FILE or FILE@RATE) */
	size_t nfiles;
	const char *system;
	int max_iter;
	char *text;
	size_t len;
	struct fit_unknowns u;
	struct fit_points pts;
	struct fit_problem p;
	struct fit_result r;
	double seconds;
};

static int fit_options(struct fitcmd *c)
{
	struct cli_opts *o = &c->o;
	c->max_iter = 400;
	c->files = calloc(o->nextra + 1, sizeof(*c->files));
	if (!c->files) {
		cli_error("out of memory");
		return EXIT_FAILED;
	}
	for (size_t i = 0; i < o->nextra; i++) {
		const char *a = o->extra[i];
		if (!cli_extra_is_option(o, i)) {
			c->files[c->nfiles++] = a;
			continue;
		}
		const char *eq = strchr(a, '='), *val = NULL;
		size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
		if (!(val = cli_extra_value(o, &i)))
			return EXIT_USAGE;
		if (nlen == 8 && !strncmp(a, "--system", 8)) {
			c->system = val;
		} else {
			char *end;
			long v = strtol(val, &end, 10);
			if (end == val || *end || v < 1 || v > 100000) {
				cli_error("--max-iter expects a whole number "
					  "from 1 to 100000, got '%s'",
					  val);
				return EXIT_USAGE;
			}
			c->max_iter = (int)v;
		}
	}
	if (!o->file) {
		cli_error("no scenario given; see 'concsim help fit'");
		return EXIT_USAGE;
	}
	if (!c->nfiles) {
		cli_error("no measured file given: concsim fit SCENARIO "
			  "MEASURED.csv -o FITTED.yaml");
		return EXIT_USAGE;
	}
	if (o->format == SIM_FMT_CSV) {
		cli_error("fit --format takes table or json");
		return EXIT_USAGE;
	}
	return 0;
}

/* The measured file's name without a trailing @RATE. */
static void file_of(const char *arg, char *buf, size_t len)
{
	snprintf(buf, len, "%s", arg);
	char *at = strrchr(buf, '@');
	const char *why;
	double r;
	if (at && at != buf && !sim_parse_rate(at + 1, &r, &why))
		*at = '\0';
}

static int check_output(const struct fitcmd *c)
{
	char f[4096];
	if (!c->o.out)
		return 0;
	if (sim_same_file(c->o.out, c->o.file)) {
		cli_error("-o '%s' is the scenario itself; write the fitted "
			  "scenario to another file",
			  c->o.out);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < c->nfiles; i++) {
		file_of(c->files[i], f, sizeof(f));
		if (sim_same_file(c->o.out, f)) {
			cli_error("-o '%s' is a measured file; write the "
				  "fitted scenario to another file",
				  c->o.out);
			return EXIT_USAGE;
		}
	}
	return 0;
}

/* A folder that cannot take FITTED.yaml is found before the fit, not
 * after it (exit 1, as `run -o`). */
static int check_writable(const struct fitcmd *c)
{
	char f[4096];
	if (!c->o.out)
		return 0;
	snprintf(f, sizeof(f), "%s", c->o.out);
	char *slash = strrchr(f, '/');
	if (slash)
		slash[slash == f] = '\0';
	struct stat st;
	if ((slash ? stat(f, &st) : 0) ||
	    (slash && !S_ISDIR(st.st_mode) && (errno = ENOTDIR)) ||
	    access(slash ? f : ".", W_OK)) {
		cli_error("cannot write '%s': %s", c->o.out, strerror(errno));
		return EXIT_FAILED;
	}
	return 0;
}

/* ------------------------------------------------------------ output -- */

static const char *const kind_names[] = {"duration", "rate", "size", "number",
					 "integer"};

/* The utilization law's demand per request (core-seconds) and Little's
 * law's number in the system at point i, NaN when not measured. */
static void laws(const struct fitcmd *c, size_t i, double *d, double *n)
{
	const struct fit_point *pt = &c->pts.v[i];
	double x = isfinite(pt->v[FIT_THROUGHPUT]) ? pt->v[FIT_THROUGHPUT]
						   : pt->offered;
	*d = x > 0 ? pt->v[FIT_UTIL] * c->p.cores[i] / x : NAN;
	*n = x * pt->v[FIT_LAT_MEAN];
}

static void fmt_or_dash(char *buf, size_t len, double v, const char *fmt)
{
	if (isfinite(v))
		snprintf(buf, len, fmt, v);
	else
		snprintf(buf, len, "-");
}

/* A half-width with two significant digits, in the unknown's unit. */
static void half_width(char *buf, size_t len, const struct fit_unknown *u,
		       double hw)
{
	if (!isfinite(hw))
		snprintf(buf, len, "undetermined");
	else
		fit_format(buf, len, u->kind == FIT_INT ? FIT_NUMBER : u->kind,
			   u->unit, hw, hw / 5);
}

static void print_table(const struct fitcmd *c)
{
	const struct fit_result *r = &c->r;
	size_t w = 7;
	for (size_t j = 0; j < c->u.n; j++)
		if (strlen(c->u.v[j].path) > w)
			w = strlen(c->u.v[j].path);
	/* the file name through the safe printer (it may hold control
	 * characters), the rest as is: the safe one keeps only a last
	 * newline */
	sim_fprintf_safe(stdout,
			 "fit of %s to %zu point%s (%zu measured values, %zu "
			 "unknown%s)\n",
			 c->o.file, c->pts.n, c->pts.n == 1 ? "" : "s",
			 r->ncells, c->u.n, c->u.n == 1 ? "" : "s");
	printf("the search and %d refit%s on common random numbers, %ld "
	       "evaluations, %.1f s\n",
	       c->p.reps, c->p.reps == 1 ? "" : "s", r->evaluations,
	       c->seconds);
	if (r->unsettled)
		printf("%d refit%s stopped at --max-iter without converging: "
		       "%s best point%s count%s in the spread (a value the "
		       "points pin loosely)\n",
		       r->unsettled, r->unsettled == 1 ? "" : "s",
		       r->unsettled == 1 ? "its" : "their",
		       r->unsettled == 1 ? "" : "s",
		       r->unsettled == 1 ? "s" : "");
	printf("\n");
	printf("%-*s  %-9s  %-10s  %-12s  %s\n", (int)w, "unknown", "at",
	       "start", "fitted", "+- 95% (refits, residuals)");
	for (size_t j = 0; j < c->u.n; j++) {
		const struct fit_unknown *u = &c->u.v[j];
		char at[32], st[64], a[64], b[64], h[64];
		snprintf(at, sizeof(at), "%d:%d", u->mark.line, u->mark.col);
		fit_format(st, sizeof(st), u->kind, u->unit, u->start,
			   u->start / 100);
		half_width(h, sizeof(h), u, u->ci95);
		half_width(a, sizeof(a), u, u->ci95_sim);
		half_width(b, sizeof(b), u, u->ci95_fit);
		if (u->kind == FIT_INT && u->ci95_sim == 0)
			printf("%-*s  %-9s  %-10s  %-12s  0 (every refit found "
			       "it)\n",
			       (int)w, u->path, at, st, u->text);
		else if (u->kind == FIT_INT)
			printf("%-*s  %-9s  %-10s  %-12s  %s (refits only)\n",
			       (int)w, u->path, at, st, u->text, h);
		else
			printf("%-*s  %-9s  %-10s  %-12s  %s (%s, %s)\n",
			       (int)w, u->path, at, st, u->text, h, a, b);
	}
	printf("\n%5s  %-10s  %10s  %-16s  %12s  %12s  %8s\n", "point",
	       "system", "offered/s", "figure", "measured", "fitted",
	       "rel.err");
	for (size_t i = 0; i < c->pts.n; i++) {
		const struct fit_point *pt = &c->pts.v[i];
		const char *sys = c->p.names[i];
		bool first = true;
		for (int k = 0; k < FIT_NCOLS; k++) {
			if (!isfinite(pt->v[k]))
				continue;
			double s = r->sim[i * FIT_NCOLS + (size_t)k];
			char e[32], sv[32];
			fmt_or_dash(sv, sizeof(sv), s, "%.6g");
			if (r->used[i * FIT_NCOLS + (size_t)k] && isfinite(s) &&
			    pt->v[k] > 0)
				snprintf(e, sizeof(e), "%+.2f%%",
					 100 * (s - pt->v[k]) / pt->v[k]);
			else
				snprintf(e, sizeof(e), "%s",
					 r->used[i * FIT_NCOLS + (size_t)k]
					     ? "-"
					     : "(sat.)");
			if (first)
				printf("%5zu  %-10.10s  %10.6g  ", i + 1,
				       sys ? sys : "-", pt->offered);
			else
				printf("%5s  %-10s  %10s  ", "", "", "");
			printf("%-16s  %12.6g  %12s  %8s\n", fit_col_names[k],
			       pt->v[k], sv, e);
			first = false;
		}
	}
	printf("\nRMS relative error %.2f%% over %zu values", 100 * r->rms,
	       r->ncells);
	size_t nsat = 0;
	for (size_t i = 0; i < c->pts.n; i++)
		nsat += c->pts.v[i].saturated;
	if (nsat)
		printf(" (%zu saturated point%s: throughput and utilization "
		       "only)",
		       nsat, nsat == 1 ? "" : "s");
	printf("\n");
	bool head = false;
	for (size_t i = 0; i < c->pts.n; i++) {
		double d, n;
		char ds[32], ns[32];
		laws(c, i, &d, &n);
		if (!isfinite(d) && !isfinite(n))
			continue;
		if (!head)
			printf("operational laws of the measured points: D = "
			       "U cores / X (CPU per request), N = X R "
			       "(requests in the system)\n");
		head = true;
		fmt_or_dash(ds, sizeof(ds), d * 1e3, "%.4gms");
		fmt_or_dash(ns, sizeof(ns), n, "%.4g");
		printf("  point %zu: D = %s, N = %s\n", i + 1, ds, ns);
	}
}

static void json_num(double v)
{
	char b[32];
	sim_fmt_double(b, sizeof(b), v);
	fputs(b, stdout);
}

static void print_json(const struct fitcmd *c)
{
	const struct fit_result *r = &c->r;
	printf("{\"scenario\": ");
	sim_json_string(stdout, c->o.file);
	printf(", \"measured\": [");
	for (size_t i = 0; i < c->nfiles; i++) {
		printf("%s", i ? ", " : "");
		sim_json_string(stdout, c->files[i]);
	}
	printf("], \"refits\": %d, \"refits_unconverged\": %d, "
	       "\"evaluations\": %ld, \"converged\": %s",
	       c->p.reps, r->unsettled, r->evaluations,
	       r->converged ? "true" : "false");
	if (!r->converged) {
		printf(", \"why\": ");
		sim_json_string(stdout, r->why);
	}
	printf(", \"rms_relative_error\": ");
	json_num(r->rms);
	printf(", \"values\": %zu,\n \"unknowns\": [", r->ncells);
	for (size_t j = 0; j < c->u.n; j++) {
		const struct fit_unknown *u = &c->u.v[j];
		printf("%s\n  {\"path\": ", j ? "," : "");
		sim_json_string(stdout, u->path);
		printf(", \"line\": %d, \"column\": %d, \"kind\": \"%s\", "
		       "\"text\": ",
		       u->mark.line, u->mark.col, kind_names[u->kind]);
		sim_json_string(stdout, u->text);
		printf(", \"value\": ");
		json_num(u->value);
		printf(", \"ci95\": ");
		json_num(u->ci95);
		printf(", \"ci95_refits\": ");
		json_num(u->ci95_sim);
		printf(", \"ci95_residuals\": ");
		json_num(u->kind == FIT_INT ? NAN : u->ci95_fit);
		printf(", \"start\": ");
		json_num(u->start);
		if (u->bounded) {
			printf(", \"bounds\": [");
			json_num(u->lo);
			printf(", ");
			json_num(u->hi);
			printf("]");
		}
		printf(", \"refit_values\": [");
		for (int k = 0; k < c->p.reps; k++) {
			printf("%s", k ? ", " : "");
			json_num(r->refits[(size_t)k * c->u.n + j]);
		}
		printf("]}");
	}
	printf("\n ],\n \"points\": [");
	for (size_t i = 0; i < c->pts.n; i++) {
		const struct fit_point *pt = &c->pts.v[i];
		const char *sys = c->p.names[i];
		double d, n;
		laws(c, i, &d, &n);
		printf("%s\n  {\"source\": ", i ? "," : "");
		sim_json_string(stdout, pt->source);
		printf(", \"system\": ");
		if (sys)
			sim_json_string(stdout, sys);
		else
			printf("null");
		printf(", \"offered_rps\": ");
		json_num(pt->offered);
		printf(", \"saturated\": %s", pt->saturated ? "true" : "false");
		printf(", \"demand_s\": ");
		json_num(d);
		printf(", \"concurrency\": ");
		json_num(n);
		for (int pass = 0; pass < 2; pass++) {
			bool first = true;
			printf(", \"%s\": {", pass ? "fitted" : "measured");
			for (int k = 0; k < FIT_NCOLS; k++) {
				if (!isfinite(pt->v[k]))
					continue;
				printf("%s\"%s\": ", first ? "" : ", ",
				       fit_col_names[k]);
				json_num(pass
					     ? r->sim[i * FIT_NCOLS + (size_t)k]
					     : pt->v[k]);
				first = false;
			}
			printf("}");
		}
		printf("}");
	}
	printf("\n ]}\n");
}

/* Writes FITTED.yaml: the scenario text with the values in place, after
 * a comment saying where they came from. */
static int write_fitted(const struct fitcmd *c)
{
	char *hdr = NULL, *out = NULL;
	size_t hlen = 0, olen = 0;
	struct sim_afile a;
	FILE *h = open_memstream(&hdr, &hlen);
	int rc = EXIT_FAILED;
	if (!h) {
		cli_error("out of memory");
		return EXIT_FAILED;
	}
	fprintf(h, "# Fitted by `concsim fit` to ");
	for (size_t i = 0; i < c->nfiles; i++)
		fprintf(h, "%s%s", i ? ", " : "", c->files[i]);
	fprintf(h,
		"\n# (%zu points, %zu values; RMS relative error %.2f%%; %d "
		"refits on common\n# random numbers). Each value +- its 95%% "
		"half-width:\n",
		c->pts.n, c->r.ncells, 100 * c->r.rms, c->p.reps);
	for (size_t j = 0; j < c->u.n; j++) {
		const struct fit_unknown *u = &c->u.v[j];
		char hw[64];
		half_width(hw, sizeof(hw), u, u->ci95);
		fprintf(h, "#   %s = %s +- %s (line %d)\n", u->path, u->text,
			hw, u->mark.line);
	}
	fclose(h);
	if (fit_substitute(c->text, c->len, &c->u, hdr ? hdr : "", &out,
			   &olen)) {
		cli_error("out of memory");
		goto cleanup;
	}
	if (sim_afile_open(&a, NULL, c->o.out, stderr))
		goto cleanup;
	fwrite(out, 1, olen, a.f);
	if (sim_afile_commit(&a, stderr))
		goto cleanup;
	rc = 0;
cleanup:
	free(hdr);
	free(out);
	return rc;
}

/* ----------------------------------------------------------- command -- */

int cmd_fit(int argc, char **argv)
{
	struct fitcmd c = {0};
	struct timespec t0, t1;
	int rc = cli_parse(argc, argv,
			   "--set|--seed|--replications|--format|--out|--jobs|"
			   "--quiet",
			   "--system|--max-iter", &c.o);
	if (rc || (rc = fit_options(&c)) || (rc = check_output(&c)))
		goto cleanup;
	int e = sim_read_bytes(c.o.file, &c.text, &c.len);
	if (e) {
		cli_error("cannot read '%s': %s", c.o.file,
			  e == SIM_EINVAL   ? "no such file"
			  : e == SIM_ELIMIT ? "file too large"
					    : sim_strerror(e));
		rc = e == SIM_EINVAL || e == SIM_ELIMIT ? EXIT_USAGE
							: EXIT_FAILED;
		goto cleanup;
	}
	e = fit_find_unknowns(c.o.file, c.text, c.len, c.o.ov, c.o.nov, stderr,
			      &c.u);
	if (e) {
		if (e == SIM_ENOMEM)
			cli_error("out of memory");
		rc = e == SIM_ENOMEM ? EXIT_FAILED : EXIT_USAGE;
		goto cleanup;
	}
	if (!c.u.n) {
		cli_error("'%s' has no value written 'fit' (e.g. mean: fit, "
			  "or request_overhead: { fit: [10us, 1ms] }): "
			  "nothing to estimate",
			  c.o.file);
		rc = EXIT_USAGE;
		goto cleanup;
	}
	for (size_t i = 0; i < c.nfiles; i++) {
		e = fit_read_measured(c.files[i], &c.pts, stderr);
		if (e) {
			if (e == SIM_ENOMEM)
				cli_error("out of memory");
			rc = e == SIM_EINVAL ? EXIT_USAGE : EXIT_FAILED;
			goto cleanup;
		}
	}
	c.p = (struct fit_problem){
	    .file = c.o.file,
	    .text = c.text,
	    .len = c.len,
	    .ov = c.o.ov,
	    .nov = c.o.nov,
	    .u = &c.u,
	    .pts = &c.pts,
	    .jobs = c.o.jobs,
	    .max_iter = c.max_iter,
	    .progress = !c.o.quiet && isatty(STDERR_FILENO),
	};
	e = fit_problem_init(&c.p, c.system, stderr);
	if (e) {
		if (e == SIM_ENOMEM)
			cli_error("out of memory");
		rc = e == SIM_ENOMEM ? EXIT_FAILED : EXIT_USAGE;
		goto cleanup;
	}
	/* -o must not replace a file the scenario reads (samples) either */
	const char *out = c.o.out;
	if ((out && (rc = cli_check_clobber(NULL, &out, 1, NULL, c.p.inputs,
					    c.p.ninputs))) ||
	    (rc = check_writable(&c)))
		goto cleanup;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	e = fit_run(&c.p, &c.r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	c.seconds = (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
	if (e) {
		cli_error("%s", c.r.why);
		rc = EXIT_FAILED;
		goto cleanup;
	}
	if (cli_format(&c.o) == SIM_FMT_JSON)
		print_json(&c);
	else
		print_table(&c);
	rc = cli_flushed(0);
	if (rc)
		goto cleanup;
	if (!c.r.converged) {
		cli_error("%s; the best point found is shown%s", c.r.why,
			  c.o.out ? ", and nothing was written" : "");
		rc = EXIT_FAILED;
		goto cleanup;
	}
	rc = c.o.out ? write_fitted(&c) : 0;
cleanup:
	fit_result_release(&c.r);
	fit_problem_release(&c.p);
	fit_points_release(&c.pts);
	fit_unknowns_release(&c.u);
	free(c.text);
	free(c.files);
	cli_opts_release(&c.o);
	return rc;
}
