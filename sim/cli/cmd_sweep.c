/*
 * cmd_sweep.c - `concsim sweep`: a scenario over a grid of parameter
 * values, one row per point and system.
 *
 * The steps: load the scenario; build the grid from its `sweep:` section
 * and the --param options; load the scenario once per point with the
 * point's values as overrides, so that every value is checked (with its
 * FILE:LINE:COLUMN) before anything runs; keep the points an interrupted
 * sweep already finished (--resume, sweep_resume.c); run the rest
 * (sweep_run.c, over MPI ranks with sweep_mpi.c); print the rows. The rows
 * are text (sweepio.h), so every way of running a sweep writes the same
 * bytes.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/sweep_mpi.h"
#include "cli/sweep_resume.h"
#include "cli/sweep_run.h"
#include "output/files.h"
#include "output/sweepio.h"
#include "output/table.h"
#include "runtime/model.h"
#include "scenario/yamldoc.h"
#include "workload/budget.h"

#define MAX_POINTS   SIM_GRID_MAX_POINTS /* points of one grid */
#define MAX_MESSAGES 40			 /* distinct error lines shown */

static const char *keep(struct sweep *sw, char *s)
{
	char **v = s ? realloc(sw->owned, (sw->nowned + 1) * sizeof(*v)) : NULL;
	if (!v) {
		free(s);
		return NULL;
	}
	sw->owned = v;
	sw->owned[sw->nowned++] = s;
	return s;
}

/* --------------------------------------------------------- the grid -- */

/* Splits "PATH=V1,V2,..." or "PATH=FROM:TO:STEP" into the grid. Returns
 * 0 or an exit status (message printed). */
static int add_param_option(struct sweep *sw, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *path = NULL, *copy = NULL, **vals = NULL;
	struct sim_mark *marks = NULL;
	size_t n = 0;
	int rc = EXIT_USAGE;

	if (!eq || eq == arg || !eq[1]) {
		cli_error("--param expects PATH=V1,V2,... or "
			  "PATH=FROM:TO:STEP, got '%s'",
			  arg);
		return EXIT_USAGE;
	}
	path = strndup(arg, (size_t)(eq - arg));
	copy = strdup(eq + 1);
	size_t cap = 1;
	for (const char *p = eq + 1; *p; p++)
		cap += *p == ',';
	const char *mfile = NULL;
	if (path && copy) {
		size_t flen = strlen(path) + 9;
		char *mf = malloc(flen);
		if (mf)
			snprintf(mf, flen, "--param %s", path);
		mfile = keep(sw, mf);
	}
	if (!path || !copy || !mfile) {
		rc = EXIT_FAILED;
		goto nomem;
	}
	int col0 = (int)(eq - arg) + 2; /* column of the first value */
	char *c1 = strchr(copy, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (c2 && !strchr(c2 + 1, ':') && !strchr(copy, ',')) {
		/* FROM:TO:STEP, every value in the unit of FROM */
		const char *part[3] = {copy, c1 + 1, c2 + 1};
		double x[3];
		char unit[3][16];
		*c1 = *c2 = '\0';
		for (int i = 0; i < 3; i++) {
			char *end;
			errno = 0;
			x[i] = strtod(part[i], &end);
			if (end == part[i] || errno || !isfinite(x[i]) ||
			    strlen(end) >= sizeof(unit[i])) {
				cli_error("--param %s: '%s' is not a number "
					  "(with a unit if the key takes one)",
					  path, part[i]);
				goto cleanup;
			}
			snprintf(unit[i], sizeof(unit[i]), "%s", end);
			if (i && strcmp(unit[i], unit[0])) {
				cli_error("--param %s: expected the unit of "
					  "FROM ('%s') in '%s'",
					  path, unit[0], part[i]);
				goto cleanup;
			}
		}
		if (!(x[2] > 0) || x[1] < x[0]) {
			cli_error("--param %s: expected STEP > 0 and TO >= "
				  "FROM",
				  path);
			goto cleanup;
		}
		/* the count scenario.c gives a {from, to, step} range */
		double count =
		    floor((x[1] - x[0]) / x[2] * (1 + 1e-12) + 1e-9) + 1;
		if (!(count <= MAX_POINTS)) {
			cli_error("--param %s: %.*g values; at most %d", path,
				  count < 1e15 ? 15 : 3, count, MAX_POINTS);
			goto cleanup;
		}
		cap = (size_t)count;
		vals = calloc(cap, sizeof(*vals));
		marks = calloc(cap, sizeof(*marks));
		if (!vals || !marks) {
			rc = EXIT_FAILED;
			goto nomem;
		}
		for (; n < cap; n++) {
			char buf[64];
			snprintf(buf, sizeof(buf), "%.15g%s",
				 x[0] + (double)n * x[2], unit[0]);
			marks[n] = (struct sim_mark){mfile, 1, col0};
			if (!(vals[n] = strdup(buf))) {
				rc = EXIT_FAILED;
				goto nomem;
			}
		}
	} else {
		vals = calloc(cap, sizeof(*vals));
		marks = calloc(cap, sizeof(*marks));
		if (!vals || !marks) {
			rc = EXIT_FAILED;
			goto nomem;
		}
		char *p = copy;
		for (;;) {
			char *e = strchr(p, ',');
			if (e)
				*e = '\0';
			if (!*p) {
				cli_error("--param %s: empty value in '%s'",
					  path, eq + 1);
				goto cleanup;
			}
			marks[n] =
			    (struct sim_mark){mfile, 1, col0 + (int)(p - copy)};
			if (!(vals[n++] = strdup(p))) {
				rc = EXIT_FAILED;
				goto nomem;
			}
			if (!e)
				break;
			p = e + 1;
		}
	}
	int err = sim_grid_set(&sw->grid, path, (const char *const *)vals,
			       marks, n, MAX_POINTS);
	if (err == SIM_ELIMIT) {
		cli_error("the grid would have more than %d points",
			  MAX_POINTS);
		goto cleanup;
	}
	if (err) {
		rc = EXIT_FAILED;
		goto nomem;
	}
	rc = 0;
	goto cleanup;
nomem:
	cli_error("out of memory");
cleanup:
	for (size_t i = 0; vals && i < n; i++)
		free(vals[i]);
	free(vals);
	free(marks);
	free(path);
	free(copy);
	return rc;
}

/* Puts the scenario's own `sweep:` section first in the grid, each value
 * marked where the file has it. Returns 0 or an exit status. */
static int add_file_sweep(struct sweep *sw)
{
	struct sim_ydoc doc = {0};
	struct sim_yerror e;
	const struct sim_ynode *node = NULL;
	struct sim_mark *marks = NULL;
	int rc = EXIT_FAILED;

	if (sim_yaml_parse(&doc, sw->o.file, sw->text, sw->len, 0, &e) == 0)
		node = sim_ymap_get(doc.root, "sweep", NULL);
	for (size_t i = 0; i < sw->base.nsweep; i++) {
		const struct sim_sweep_param *p = &sw->base.sweep[i];
		const struct sim_ynode *v =
		    node && node->kind == SIM_Y_MAP
			? sim_ymap_get(node, p->path, NULL)
			: NULL;
		free(marks);
		if (!(marks =
			  calloc(p->nvalues ? p->nvalues : 1, sizeof(*marks))))
			goto cleanup;
		for (size_t j = 0; j < p->nvalues; j++) {
			marks[j] = p->mark;
			marks[j].file = sw->o.file;
			if (v && v->kind == SIM_Y_SEQ && v->n == p->nvalues)
				marks[j] = v->vals[j]->mark;
			else if (v && v->kind == SIM_Y_MAP)
				marks[j] = v->mark;
		}
		int err = sim_grid_set(&sw->grid, p->path,
				       (const char *const *)p->values, marks,
				       p->nvalues, MAX_POINTS);
		if (err == SIM_ELIMIT) {
			sim_fprintf_safe(
			    stderr,
			    "%s:%d:%d: error: the sweep has more than %d "
			    "points\n",
			    sw->o.file, p->mark.line, p->mark.col, MAX_POINTS);
			rc = EXIT_USAGE;
			goto cleanup;
		}
		if (err)
			goto cleanup;
	}
	rc = 0;
cleanup:
	if (rc == EXIT_FAILED)
		cli_error("out of memory");
	free(marks);
	sim_yaml_free(&doc);
	return rc;
}

/* Replaces the base scenario's sweep section by the grid, so that
 * scenario.yaml records the sweep that ran. Returns 0 or SIM_ENOMEM. */
static int record_grid(struct sweep *sw)
{
	struct sim_scenario *sc = &sw->base;
	struct sim_sweep_param *p = calloc(sw->grid.np, sizeof(*p));
	if (!p)
		return SIM_ENOMEM;
	sim_scenario_sweep_release(sc);
	sc->sweep = p;
	sc->nsweep = sw->grid.np;
	for (size_t i = 0; i < sw->grid.np; i++) {
		const struct sim_gparam *g = &sw->grid.p[i];
		p[i].mark = g->marks[0];
		p[i].path = strdup(g->path);
		p[i].values = calloc(g->nvalues, sizeof(char *));
		if (!p[i].path || !p[i].values)
			return SIM_ENOMEM;
		for (size_t j = 0; j < g->nvalues; j++, p[i].nvalues++)
			if (!(p[i].values[j] = strdup(g->values[j])))
				return SIM_ENOMEM;
	}
	return 0;
}

/* ------------------------------------------------------- validation -- */

/* Distinct error lines, in the order they first came. */
struct lines {
	char **v;
	size_t n;
};

static bool lines_add(struct lines *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return false;
	char **v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		return false;
	l->v = v;
	if (!(l->v[l->n] = strdup(s)))
		return false;
	l->n++;
	return true;
}

static void lines_release(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* Rewrites a loader message about a point's override (`--set PATH:L:C:`)
 * to point where the value came from; other messages stay as they are. */
static void relocate(const struct sweep *sw, size_t k, const char *line,
		     char *out, size_t len)
{
	for (size_t i = 0; i < sw->grid.np; i++) {
		const struct sim_gparam *g = &sw->grid.p[i];
		size_t plen = strlen(g->path);
		int l, c = 1, used = 0;
		if (strncmp(line, "--set ", 6) ||
		    strncmp(line + 6, g->path, plen) || line[6 + plen] != ':')
			continue;
		/* `--set PATH:L:C: error: ...`, or `--set PATH: error: ...`
		 * when the path itself does not fit the scenario */
		if (sscanf(line + 7 + plen, "%d:%d:%n", &l, &c, &used) != 2 ||
		    !used) {
			c = 1;
			used = 0;
		}
		struct sim_mark m = g->marks[sim_grid_value(&sw->grid, k, i)];
		snprintf(out, len, "%s:%d:%d:%s", m.file, m.line, m.col + c - 1,
			 line + 7 + plen + used);
		return;
	}
	snprintf(out, len, "%s", line);
}

/* Prints a loader message of point k, relocated, unless already shown. */
static void report(const struct sweep *sw, size_t k, const char *line,
		   struct lines *seen, size_t *shown)
{
	char buf[1024];
	relocate(sw, k, line, buf, sizeof(buf));
	if (sw->rank == 0 && lines_add(seen, buf) && (*shown)++ < MAX_MESSAGES)
		sim_fprintf_safe(stderr, "%s\n", buf);
}

/* Loads every point of the grid (the user's overrides, then the point's
 * values) and checks what each would cost (budget.h), lowering -j when
 * the simulations running at once would not fit in memory. Prints each
 * distinct problem once. Returns 0 or an exit status. */
static int load_points(struct sweep *sw)
{
	size_t nov = sw->o.nov + sw->grid.np;
	struct sim_override *ov = calloc(nov, sizeof(*ov));
	struct lines seen = {0};
	size_t shown = 0;
	int rc = EXIT_FAILED, jobs = sw->o.jobs;

	sw->pt = calloc(sw->grid.npoints, sizeof(*sw->pt));
	if (!ov || !sw->pt)
		goto cleanup;
	/* the text parsed once (cli_load checked it): each point copies
	 * only the paths its values change */
	if (sim_scenario_parse(sw->o.file, sw->text, sw->len, stderr, &sw->src))
		goto cleanup;
	if (sw->o.nov)
		memcpy(ov, sw->o.ov, sw->o.nov * sizeof(*ov));
	rc = 0;
	/* the loader's messages of a point: one stream while points load
	 * silently (opening one costs a quarter of loading a point),
	 * a new one after a point that wrote */
	char *msg = NULL;
	size_t msglen = 0;
	FILE *err = NULL;
	for (size_t k = 0; k < sw->grid.npoints; k++) {
		struct sweep_point *p = &sw->pt[k];
		if (!err && !(err = open_memstream(&msg, &msglen))) {
			rc = EXIT_FAILED;
			break;
		}
		for (size_t i = 0; i < sw->grid.np; i++) {
			const struct sim_gparam *g = &sw->grid.p[i];
			ov[sw->o.nov + i] = (struct sim_override){
			    g->path,
			    g->values[sim_grid_value(&sw->grid, k, i)]};
		}
		int e = sim_scenario_load_src(&sw->src, ov, nov, err, &p->sc);
		if (fflush(err) || msglen) {
			fclose(err);
			err = NULL;
		}
		if (e == 0)
			p->sc.per_replica = sw->o.per_replica;
		/* a point that would cost too much is refused like a bad
		 * value (budget.h); the others bound the parallel jobs */
		char over[640] = "";
		if (e == 0) {
			struct sim_budget b;
			struct sim_mark at;
			char why[512];
			/* --precision may run up to --max-replications */
			int r0 = p->sc.replications;
			if (sw->precision)
				p->sc.replications = sw->max_reps;
			int over_budget = sim_scenario_budget(
			    &p->sc, 0, &b, &at, why, sizeof(why));
			p->sc.replications = r0;
			if (over_budget) {
				e = SIM_ELIMIT;
				if (at.file)
					snprintf(over, sizeof(over),
						 "%s:%d:%d: error: %s", at.file,
						 at.line, at.col, why);
				else
					snprintf(over, sizeof(over),
						 "concsim: error: %s", why);
			} else {
				jobs = sim_budget_jobs(&b, jobs);
			}
		}
		p->loaded = e == 0;
		p->cells = sim_grid_point(&sw->grid, k);
		if (e == SIM_ENOMEM || !p->cells) {
			rc = EXIT_FAILED;
			break;
		}
		if (e && !rc)
			rc = EXIT_USAGE;
		for (char *s = e ? msg : NULL, *nl; s && *s;
		     s = nl ? nl + 1 : NULL) {
			nl = strchr(s, '\n');
			if (nl)
				*nl = '\0';
			report(sw, k, s, &seen, &shown);
		}
		if (over[0])
			report(sw, k, over, &seen, &shown);
		/* warnings of a point that loads (an absolute schedule step
		 * under a swept rate) are the same at every point: once */
		if (!e && k == 0 && msg && *msg && sw->rank == 0 &&
		    !sw->o.quiet)
			fputs(msg, stderr);
		if (!err) {
			free(msg);
			msg = NULL;
			msglen = 0;
		}
	}
	if (err)
		fclose(err);
	free(msg);
	sw->o.jobs = jobs;
	if (shown > MAX_MESSAGES && sw->rank == 0)
		fprintf(stderr, "concsim: error: %zu more problems not shown\n",
			shown - MAX_MESSAGES);
cleanup:
	if (rc == EXIT_FAILED)
		cli_error("out of memory");
	lines_release(&seen);
	free(ov);
	return rc;
}

/* ----------------------------------------------------------- output -- */

/* A short table of the main figures, for people. */
static void print_table(const struct sweep *sw)
{
	static const char *const head[] = {
	    "system", "offered/s", "thruput/s", "goodput/s",
	    "errors", "p50 ms",	   "p99 ms"};
	static const char *const rates[] = {"offered_rps", "throughput_rps",
					    "goodput_rps"};
	static const char *const errors[] = {
#define X(name, str) "errors_" str,
	    SIM_ERROR_MAP(X)
#undef X
	};
	static const char *const lat[] = {"latency_s_p50", "latency_s_p99"};
	const struct sim_table *t = &sw->table;
	/* with --precision, how many replications each point used */
	size_t np = sw->grid.np, nc = np + 7 + (sw->precision > 0);
	struct sim_tbl tb;

	if (sim_tbl_init(&tb, t->nrow + 1, nc))
		return;
	for (size_t c = 0; c < nc; c++)
		tb.right[c] = c != np;
	for (size_t i = 0; i < np; i++) {
		const char *dot = strrchr(sw->grid.p[i].path, '.');
		snprintf(sim_tbl_at(&tb, 0, i), SIM_TBL_CELL, "%s",
			 dot ? dot + 1 : sw->grid.p[i].path);
	}
	for (size_t c = 0; c < 7; c++)
		snprintf(sim_tbl_at(&tb, 0, np + c), SIM_TBL_CELL, "%s",
			 head[c]);
	if (sw->precision)
		snprintf(sim_tbl_at(&tb, 0, np + 7), SIM_TBL_CELL, "reps");
	for (size_t r = 0; r < t->nrow; r++) {
		const struct sim_trow *row = &t->row[r];
		for (size_t i = 0; i < np; i++)
			snprintf(sim_tbl_at(&tb, r + 1, i), SIM_TBL_CELL, "%s",
				 row->param[i] ? row->param[i] : "");
		snprintf(sim_tbl_at(&tb, r + 1, np), SIM_TBL_CELL, "%s",
			 sim_trow_get(t, row, "system"));
		for (size_t k = 0; k < 3; k++) {
			const char *v = sim_trow_get(t, row, rates[k]);
			snprintf(sim_tbl_at(&tb, r + 1, np + 1 + k),
				 SIM_TBL_CELL, *v ? "%.1f" : "-", atof(v));
		}
		double errs = 0;
		for (size_t k = 0; k < sizeof(errors) / sizeof(*errors); k++)
			errs += atof(sim_trow_get(t, row, errors[k]));
		snprintf(sim_tbl_at(&tb, r + 1, np + 4), SIM_TBL_CELL, "%.0f",
			 errs);
		for (size_t k = 0; k < 2; k++) {
			const char *v = sim_trow_get(t, row, lat[k]);
			snprintf(sim_tbl_at(&tb, r + 1, np + 5 + k),
				 SIM_TBL_CELL, *v ? "%.4g" : "-",
				 1e3 * atof(v));
		}
		if (sw->precision)
			snprintf(sim_tbl_at(&tb, r + 1, np + 7), SIM_TBL_CELL,
				 "%s", sim_trow_get(t, row, "replications"));
	}
	sim_tbl_print(stdout, &tb);
	sim_tbl_release(&tb);
}

/* ------------------------------------------------------------ command -- */

/* A warning per point this process ran whose --precision was not reached
 * within --max-replications, in the grid's order. */
static void warn_imprecise(const struct sweep *sw)
{
	size_t n = 0;
	for (size_t k = 0; sw->precision && k < sw->grid.npoints; k++) {
		if (!sw->pt[k].imprecise || n++ >= MAX_MESSAGES)
			continue;
		char where[512];
		sweep_point_name(sw, k, where, sizeof(where));
		fprintf(stderr,
			"concsim: warning: --precision %g%% not reached at "
			"%s in %d replications (--max-replications); its "
			"half-widths are as shown\n",
			100 * sw->precision, where, sw->max_reps);
	}
	if (n > MAX_MESSAGES)
		fprintf(stderr,
			"concsim: warning: --precision not reached at %zu "
			"more points\n",
			n - MAX_MESSAGES);
}

/* Handles the options only sweep has. Returns 0 or an exit status. */
static int sweep_options(struct sweep *sw)
{
	struct cli_opts *o = &sw->o;
	for (size_t i = 0; i < o->nextra; i++) {
		const char *a = o->extra[i], *val = NULL;
		if (!cli_extra_is_option(o, i)) {
			if (o->file) {
				cli_error("unexpected argument '%s'", a);
				return EXIT_USAGE;
			}
			o->file = a;
			continue;
		}
		if (!strcmp(a, "--resume")) {
			sw->resume = true;
			continue;
		}
		if (!strcmp(a, "--long")) {
			sw->lng = true;
			continue;
		}
		if (!strncmp(a, "--resume=", 9)) {
			cli_error("--resume takes no value");
			return EXIT_USAGE;
		}
		const char *eq = strchr(a, '=');
		if (eq)
			val = eq + 1;
		else if (i + 1 < o->nextra && !cli_extra_is_option(o, i + 1))
			val = o->extra[++i];
		if (!val) {
			cli_error("option '%s' needs a value", a);
			return EXIT_USAGE;
		}
		if (!strncmp(a, "--param=", 8)) {
			int rc = add_param_option(sw, val);
			if (rc)
				return rc;
		} else if (!strncmp(a, "--precision=", 12)) {
			if (cli_parse_precision(val, &sw->precision))
				return EXIT_USAGE;
		} else if (!strncmp(a, "--max-replications=", 19)) {
			if (cli_parse_max_reps(val, &sw->max_reps))
				return EXIT_USAGE;
		} else {
			char *end;
			errno = 0;
			unsigned long long s = strtoull(val, &end, 10), n = 0;
			bool ok = end != val && *end == '/' && !errno &&
				  isdigit((unsigned char)*val);
			if (ok) {
				const char *nv = end + 1;
				n = strtoull(nv, &end, 10);
				ok = end != nv && !*end && !errno &&
				     isdigit((unsigned char)*nv) && n >= 1 &&
				     s < n && n <= MAX_POINTS;
			}
			if (!ok) {
				cli_error("--shard expects I/N with 0 <= I < N "
					  "(e.g. 0/4 ... 3/4), got '%s'",
					  val);
				return EXIT_USAGE;
			}
			sw->shard = (size_t)s;
			sw->nshards = (size_t)n;
		}
	}
	if (sw->resume && !o->out) {
		cli_error("--resume needs the folder to resume: -o DIR");
		return EXIT_USAGE;
	}
	if (sw->max_reps && !sw->precision) {
		cli_error("--max-replications goes with --precision P%%");
		return EXIT_USAGE;
	}
	if (!sw->max_reps)
		sw->max_reps = 50;
	return 0;
}

static int sweep_main(struct sweep *sw, int argc, char **argv)
{
	char *yaml = NULL;
	size_t ylen = 0;
	int rc = cli_parse(argc, argv,
			   "--set|--seed|--replications|--format|--out|"
			   "--jobs|--quiet|--per-replica|--systems",
			   "--param|--shard|--resume!|--precision|"
			   "--max-replications|--long!",
			   &sw->o);
	if (rc || (rc = sweep_options(sw)))
		return rc;
	sweep_mpi_share_cores(sw, argc, argv);
	if ((rc = sweep_mpi_share_text(sw)) ||
	    (rc = cli_load(&sw->o, &sw->base)))
		return rc;
	/* the text cli_load read (once: it may be standard input), kept to
	 * load each point's variant */
	sw->text = sw->o.text;
	sw->len = sw->o.len;
	sw->o.text = NULL;
	/* the file's sweep first, then --param (which may replace one) */
	struct sim_grid cmdline = sw->grid;
	sw->grid = (struct sim_grid){0};
	if ((rc = add_file_sweep(sw)))
		goto cleanup_grid;
	for (size_t i = 0; i < cmdline.np && !rc; i++) {
		const struct sim_gparam *g = &cmdline.p[i];
		int ge = sim_grid_set(&sw->grid, g->path,
				      (const char *const *)g->values, g->marks,
				      g->nvalues, MAX_POINTS);
		if (ge == SIM_ENOMEM) {
			cli_error("out of memory");
			rc = EXIT_FAILED;
		} else if (ge) {
			cli_error("the grid would have more than %d points",
				  MAX_POINTS);
			rc = EXIT_USAGE;
		}
	}
cleanup_grid:
	sim_grid_release(&cmdline);
	if (rc)
		return rc;
	if (!sw->grid.np) {
		cli_error("nothing to sweep: '%s' has no 'sweep:' section; "
			  "give --param PATH=V1,V2,... or "
			  "--param PATH=FROM:TO:STEP",
			  sw->o.file);
		return EXIT_USAGE;
	}
	if ((rc = load_points(sw)))
		return rc;
	if (record_grid(sw)) {
		cli_error("out of memory");
		return EXIT_FAILED;
	}
	FILE *mem = open_memstream(&yaml, &ylen);
	/* --precision decides each point's replications: scenario.yaml says
	 * so, which keeps --resume and merge from mixing rows of another */
	if (mem && sw->precision)
		fprintf(mem,
			"# sweep --precision %g%% --max-replications %d: each "
			"row's replications says how many ran\n",
			100 * sw->precision, sw->max_reps);
	if (!mem || sim_scenario_write_yaml(&sw->base, mem) || fclose(mem)) {
		cli_error("cannot describe the scenario");
		free(yaml);
		return EXIT_FAILED;
	}
	sw->writer = sw->o.out && sw->rank == 0;
	sim_table_init(&sw->table, sw->grid.np);
	sim_hash_hex(yaml, ylen, sw->hash);
	rc = 0;
	/* the output folder: never over the input, made and locked (a second
	 * sweep or run into it fails) before its files are read or written */
	if (sw->writer &&
	    cli_check_clobber(sw->o.out, sim_sweep_outputs, SIM_SWEEP_NOUT,
			      sw->o.file, sw->base.inputs, sw->base.ninputs)) {
		free(yaml);
		return EXIT_USAGE;
	}
	if (sw->writer &&
	    (!(sw->made_path = strdup(sw->o.out)) ||
	     sim_mkdir_made(sw->o.out, &sw->made_len, stderr) ||
	     (sw->dirlock = sim_dir_lock(sw->o.out, stderr)) < 0)) {
		if (!sw->made_path)
			cli_error("out of memory");
		free(yaml);
		return EXIT_FAILED;
	}
	if (sw->resume && sw->rank == 0)
		rc = sweep_resume(sw, yaml, ylen);
	if (sweep_mpi_share_resume(sw, &rc)) {
		free(yaml);
		cli_error("out of memory");
		return EXIT_FAILED;
	}
	if (rc) {
		free(yaml);
		return rc;
	}
	/* a fresh sweep's scenario.yaml never stands beside an earlier
	 * sweep's results (a report would mix them): those go first */
	if (sw->writer &&
	    ((!sw->resume && sim_table_forget(sw->o.out, stderr)) ||
	     sim_save_bytes(sw->o.out, "scenario.yaml", yaml, ylen, stderr))) {
		free(yaml);
		return EXIT_FAILED;
	}
	free(yaml);
	if (sweep_plan(sw)) {
		cli_error("out of memory");
		return EXIT_FAILED;
	}
	/* points this process will not run need not stay in memory */
	for (size_t k = 0; k < sw->grid.npoints; k++)
		if (!sw->pt[k].mine)
			sim_scenario_release(&sw->pt[k].sc);

	int stopped;
	int perr = sweep_run(sw, &stopped);
	/* sw->failed without sw->err: a checkpoint could not be written,
	 * and the points left were not run */
	int failed = sw->err || perr || atomic_load(&sw->failed);
	if (perr && !sw->err)
		cli_error("%s", sim_strerror(perr)); /* the pool could not
							start */
	size_t ndone = 0;
	sweep_mpi_gather(sw, &stopped, &failed);
	for (size_t i = 0; i < sw->table.nrow; i++)
		ndone += sw->table.row[i].sub == 0;
	if (sw->rank == 0 && sweep_save(sw))
		failed = 1;
	if (sw->err) {
		char where[512];
		sweep_point_name(sw, sw->why_point, where, sizeof(where));
		cli_error("simulation failed at %s: %s", where,
			  sw->why ? sw->why : sim_strerror(sw->err));
	}
	warn_imprecise(sw);
	if (sw->rank != 0)
		return failed ? EXIT_FAILED : stopped ? EXIT_INTERRUPTED : 0;
	size_t shard_points = 0;
	for (size_t k = 0; k < sw->grid.npoints; k++)
		shard_points += k % sw->nshards == sw->shard;
	if (stopped) {
		sim_fprintf_safe(
		    stderr,
		    "concsim: interrupted: %zu of %zu points done%s%s%s\n",
		    ndone, shard_points,
		    sw->o.out ? "; finish with --resume -o " : "",
		    sw->o.out ? sw->o.out : "",
		    sw->o.out ? "" : " (nothing kept: no -o DIR)");
		return EXIT_INTERRUPTED;
	}
	if (failed)
		return EXIT_FAILED;
	int fmt = cli_format(&sw->o), e = 0;
	sim_table_sort(&sw->table);
	if (fmt == SIM_FMT_CSV && sw->lng)
		e = sim_table_write_csv_long(&sw->table, &sw->grid, stdout);
	else if (fmt == SIM_FMT_CSV)
		e = sim_table_write_csv(&sw->table, &sw->grid, stdout);
	else if (fmt == SIM_FMT_JSON)
		e = sim_table_write_json(&sw->table, &sw->grid, sw->base.name,
					 stdout);
	else
		print_table(sw);
	if (e || fflush(stdout)) {
		cli_error("cannot write to standard output");
		return EXIT_FAILED;
	}
	return 0;
}

int cmd_sweep(int argc, char **argv)
{
	struct sweep sw = {.nshards = 1, .nranks = 1, .dirlock = -1};
	pthread_mutex_init(&sw.lock, NULL);
	atomic_init(&sw.failed, 0);
	bool mpi = sweep_mpi_begin(&sw);
	int rc = sweep_main(&sw, argc, argv);
	sweep_mpi_end(mpi);
	/* folders this sweep made and left empty (it failed early) go */
	if (rc && sw.made_path && sw.made_len)
		sim_rmdir_made(sw.made_path, sw.made_len);
	free(sw.made_path);
	sim_dir_unlock(sw.dirlock);
	for (size_t k = 0; sw.pt && k < sw.grid.npoints; k++) {
		sim_scenario_release(&sw.pt[k].sc);
		sim_grid_point_free(sw.pt[k].cells, sw.grid.np);
		free(sw.pt[k].res);
	}
	free(sw.pt);
	free(sw.task);
	sim_table_release(&sw.table);
	sim_grid_release(&sw.grid);
	sim_scenario_release(&sw.base);
	sim_scenario_src_release(&sw.src); /* after the points: their marks */
	for (size_t i = 0; i < sw.nowned; i++)
		free(sw.owned[i]);
	free(sw.owned);
	free(sw.text);
	pthread_mutex_destroy(&sw.lock);
	cli_opts_release(&sw.o);
	return rc;
}
