/*
 * cmd_sweep.c - `concsim sweep`: a scenario over a grid of parameter
 * values, one row per point and system.
 *
 * The steps: load the scenario; build the grid from its `sweep:` section
 * and the --param options; load the scenario once per point with the
 * point's values as overrides, so that every value is checked (with its
 * FILE:LINE:COLUMN) before anything runs; then simulate every (point,
 * system, replication) on the job pool, most expensive points first, and
 * turn each point into rows as soon as its last simulation is done. The
 * result files are rewritten atomically at most once a second while the
 * sweep runs, so an interrupted sweep keeps every finished point and
 * `--resume` picks up from there. With MPI the points are dealt to the
 * ranks and rank 0 gathers the rows; the rows are text (sweepio.h), so
 * every way of running a sweep writes the same bytes.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef CONCSIM_HAVE_MPI
#include <mpi.h>
#endif

#include "cli/budget.h"
#include "cli/cli.h"
#include "output/sweepio.h"
#include "runtime/model.h"
#include "scenario/yamldoc.h"
#include "workload/run.h"

#define MAX_POINTS   100000 /* points of one grid */
#define MAX_MESSAGES 40	    /* distinct error lines shown */
#define CHECKPOINT_S 1.0    /* rewrite the results at most this often */

/* Set by SIGINT/SIGTERM: launch nothing more. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	static const char msg[] =
	    "\nconcsim: interrupted: finishing the simulations in progress "
	    "(again to abandon them)\n";
	interrupted = sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
	}
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ------------------------------------------------------------- state -- */

struct point {
	struct sim_scenario sc; /* loaded with the point's values */
	char **cells;		/* the swept cells */
	bool loaded, mine, done;
	size_t ntask;		    /* nsystems * replications */
	atomic_size_t left;	    /* simulations still to finish */
	struct sim_rep_result *res; /* system-major */
	double cost;		    /* estimated work of one simulation */
};

struct task {
	size_t point, sys;
	int rep;
};

struct sweep {
	struct cli_opts o;
	bool resume;
	size_t shard, nshards;
	int rank, nranks;
	bool writer; /* writes the files: -o given and rank 0 */
	struct sim_scenario base;
	char *text; /* the scenario file */
	size_t len;
	char **owned; /* strings marks point into */
	size_t nowned;
	struct sim_grid grid;
	struct point *pt;
	struct task *task;
	size_t ntask;
	struct sim_table table; /* rows kept from before, and finished */
	pthread_mutex_t lock;
	atomic_int failed;
	const char *why;
	size_t why_point;
	int err;
	/* progress */
	bool show;
	double t0, last_draw, last_write, cost_all, cost_done;
	size_t points_all, points_done;
};

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
			cli_error("--param %s: %.0f values; at most %d", path,
				  count, MAX_POINTS);
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
			fprintf(stderr,
				"%s:%d:%d: error: the sweep has more than %d "
				"points\n",
				sw->o.file, p->mark.line, p->mark.col,
				MAX_POINTS);
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
		fprintf(stderr, "%s\n", buf);
}

/* Loads every point of the grid (the user's overrides, then the point's
 * values) and checks what each would cost (limits.h), lowering -j when
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
	if (sw->o.nov)
		memcpy(ov, sw->o.ov, sw->o.nov * sizeof(*ov));
	rc = 0;
	for (size_t k = 0; k < sw->grid.npoints; k++) {
		struct point *p = &sw->pt[k];
		char *msg = NULL;
		size_t msglen = 0;
		FILE *err = open_memstream(&msg, &msglen);
		if (!err) {
			rc = EXIT_FAILED;
			break;
		}
		for (size_t i = 0; i < sw->grid.np; i++) {
			const struct sim_gparam *g = &sw->grid.p[i];
			ov[sw->o.nov + i] = (struct sim_override){
			    g->path,
			    g->values[sim_grid_value(&sw->grid, k, i)]};
		}
		int e = sim_scenario_load_string(sw->o.file, sw->text, sw->len,
						 ov, nov, err, &p->sc);
		fclose(err);
		/* a point that would cost too much is refused like a bad
		 * value (limits.h); the others bound the parallel jobs */
		char over[640] = "";
		if (e == 0) {
			struct sim_budget b;
			struct sim_mark at;
			char why[512];
			if (sim_scenario_budget(&p->sc, 0, &b, &at, why,
						sizeof(why))) {
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
			free(msg);
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
		free(msg);
	}
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

/* ---------------------------------------------------------- running -- */

/* Estimated work of one simulation of sc: requests times phases. */
static double cost_of(const struct sim_scenario *sc)
{
	const struct sim_workload *wl = &sc->workload;
	double rate = wl->arrivals.rate;
	for (size_t i = 0; i < wl->arrivals.nschedule; i++)
		rate = fmax(rate, wl->arrivals.schedule[i].rate);
	if (wl->closed.users)
		rate = wl->closed.users / fmax(wl->closed.think.mean, 1e-3);
	return fmax((sc->warmup + sc->duration) * rate, 1.0) *
	       (double)(1 + sc->max_phases);
}

static void draw_progress(struct sweep *sw, bool final)
{
	double t = now_s();
	if (!sw->show || (!final && t - sw->last_draw < 0.1))
		return;
	sw->last_draw = t;
	if (final) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		return;
	}
	double f = sw->cost_all > 0 ? sw->cost_done / sw->cost_all : 1;
	char bar[31];
	int w = (int)(f * 30 + 0.5);
	for (int i = 0; i < 30; i++)
		bar[i] = i < w ? '#' : '-';
	bar[30] = '\0';
	fprintf(stderr, "\rsweep [%s] %zu/%zu points %3.0f%%", bar,
		sw->points_done, sw->points_all, 100 * f);
	if (f > 0.01 && f < 1) {
		double eta = (t - sw->t0) * (1 - f) / f;
		fprintf(stderr, "  ETA %d:%02d:%02d", (int)(eta / 3600),
			(int)fmod(eta / 60, 60), (int)fmod(eta, 60));
	}
	fputs("\033[K", stderr);
	fflush(stderr);
}

/* Rewrites the result files with the rows so far (lock held): after the
 * first point, then at most every CHECKPOINT_S seconds, or when forced. */
static void checkpoint(struct sweep *sw, bool force)
{
	double t = now_s();
	/* the first point at once, so that a sweep shows results early */
	if (!sw->writer || (!force && sw->points_done > 1 &&
			    t - sw->last_write < CHECKPOINT_S))
		return;
	sw->last_write = t;
	if (sim_table_save(&sw->table, &sw->grid, sw->base.name, sw->o.out,
			   stderr))
		atomic_store(&sw->failed, 1);
}

/* Turns a point whose simulations are all done into rows. */
static int finish_point(struct sweep *sw, size_t k)
{
	struct point *p = &sw->pt[k];
	size_t nsys = p->sc.nsystems, nrep = (size_t)p->sc.replications;
	struct sim_summary *sum = calloc(nsys, sizeof(*sum));
	const char **cnames =
	    calloc(p->sc.workload.nclasses + 1, sizeof(*cnames));
	int rc = SIM_ENOMEM;

	if (!sum || !cnames)
		goto cleanup;
	for (size_t c = 0; c < p->sc.workload.nclasses; c++)
		cnames[c] = p->sc.workload.classes[c].name;
	for (size_t s = 0; s < nsys; s++) {
		rc = sim_summarize(&p->res[s * nrep], nrep, cnames, &sum[s]);
		if (rc)
			goto cleanup;
		sum[s].name = p->sc.systems[s].name;
		sum[s].model = p->sc.systems[s].model->name;
		sum[s].warmup_s = p->sc.warmup;
	}
	pthread_mutex_lock(&sw->lock);
	rc = sim_table_add_point(&sw->table, k, (const char *const *)p->cells,
				 &p->sc, sum, nsys);
	if (!rc) {
		p->done = true;
		sw->points_done++;
		checkpoint(sw, false);
	}
	pthread_mutex_unlock(&sw->lock);
cleanup:
	for (size_t s = 0; sum && s < nsys; s++)
		sim_summary_release(&sum[s]);
	for (size_t i = 0; i < p->ntask; i++)
		sim_rep_release(&p->res[i]);
	free(sum);
	free(cnames);
	return rc;
}

static int run_task(void *arg, size_t i)
{
	struct sweep *sw = arg;
	const struct task *t = &sw->task[i];
	struct point *p = &sw->pt[t->point];
	const char *why = NULL;

	if (interrupted || atomic_load(&sw->failed))
		return 0;
	size_t nrep = (size_t)p->sc.replications;
	int err = sim_run_one(&p->sc, t->sys, t->rep, 0, NULL,
			      &p->res[t->sys * nrep + (size_t)t->rep], &why);
	if (!err && atomic_fetch_sub(&p->left, 1) == 1)
		err = finish_point(sw, t->point);
	pthread_mutex_lock(&sw->lock);
	if (err && !sw->err) {
		sw->err = err;
		sw->why = why;
		sw->why_point = t->point;
		atomic_store(&sw->failed, 1);
	}
	sw->cost_done += p->cost;
	draw_progress(sw, false);
	pthread_mutex_unlock(&sw->lock);
	return err;
}

static int cost_cmp(const size_t *a, const size_t *b, const struct point *pt)
{
	size_t x = *a, y = *b;
	double cx = pt[x].cost * (double)pt[x].ntask;
	double cy = pt[y].cost * (double)pt[y].ntask;
	if (cx != cy)
		return cx > cy ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Sorts idx (n point indices) by decreasing total cost, then index: a
 * merge sort, as qsort cannot pass the points to the comparison. */
static void sort_by_cost(size_t *idx, size_t n, struct point *pt)
{
	if (n < 2)
		return;
	size_t h = n / 2;
	sort_by_cost(idx, h, pt);
	sort_by_cost(idx + h, n - h, pt);
	size_t *tmp = malloc(n * sizeof(*tmp));
	if (!tmp)
		return; /* only the order of work suffers */
	size_t a = 0, b = h, k = 0;
	while (a < h || b < n)
		tmp[k++] =
		    b >= n || (a < h && cost_cmp(&idx[a], &idx[b], pt) <= 0)
			? idx[a++]
			: idx[b++];
	memcpy(idx, tmp, n * sizeof(*tmp));
	free(tmp);
}

/* Builds the task list: this process's points still to run, most
 * expensive first, each point's simulations together. Returns 0 or
 * SIM_ENOMEM. */
static int plan(struct sweep *sw)
{
	size_t *todo = calloc(sw->grid.npoints + 1, sizeof(*todo)), n = 0;
	size_t ntask = 0;
	if (!todo)
		return SIM_ENOMEM;
	for (size_t k = 0; k < sw->grid.npoints; k++) {
		struct point *p = &sw->pt[k];
		p->ntask = p->sc.nsystems * (size_t)p->sc.replications;
		p->cost = cost_of(&p->sc);
		if (k % sw->nshards == sw->shard && !p->done)
			todo[n++] = k;
	}
	sort_by_cost(todo, n, sw->pt);
	size_t mine = 0;
	for (size_t j = 0; j < n; j++) {
		struct point *p = &sw->pt[todo[j]];
		p->mine = j % (size_t)sw->nranks == (size_t)sw->rank;
		if (!p->mine)
			continue;
		todo[mine++] = todo[j];
		ntask += p->ntask;
		sw->cost_all += p->cost * (double)p->ntask;
	}
	sw->points_all = mine;
	sw->task = calloc(ntask ? ntask : 1, sizeof(*sw->task));
	if (!sw->task) {
		free(todo);
		return SIM_ENOMEM;
	}
	for (size_t j = 0; j < mine; j++) {
		struct point *p = &sw->pt[todo[j]];
		size_t nrep = (size_t)p->sc.replications;
		if (!(p->res = calloc(p->ntask, sizeof(*p->res)))) {
			free(todo);
			return SIM_ENOMEM;
		}
		atomic_init(&p->left, p->ntask);
		for (size_t s = 0; s < p->sc.nsystems; s++)
			for (size_t r = 0; r < nrep; r++)
				sw->task[sw->ntask++] =
				    (struct task){todo[j], s, (int)r};
	}
	free(todo);
	return 0;
}

/* --------------------------------------------------------- resuming -- */

/* Compares DIR/scenario.yaml with the sweep's and keeps the finished
 * points of DIR/results.csv. Returns 0 or an exit status. */
static int resume(struct sweep *sw, const char *yaml, size_t ylen)
{
	char path[4096], *old = NULL;
	size_t olen, clash;
	size_t *nrows = NULL;
	bool *taken = NULL;
	int rc = EXIT_USAGE;

	snprintf(path, sizeof(path), "%s/scenario.yaml", sw->o.out);
	int e = sim_read_bytes(path, &old, &olen);
	snprintf(path, sizeof(path), "%s/results.csv", sw->o.out);
	if (e == SIM_EINVAL) {
		if (access(path, F_OK) == 0) {
			cli_error("cannot resume: '%s/scenario.yaml' is "
				  "missing, so '%s' cannot be checked against "
				  "this sweep",
				  sw->o.out, path);
			goto cleanup;
		}
		rc = 0; /* nothing to resume: a fresh start */
		goto cleanup;
	}
	if (e) {
		cli_error("cannot read '%s/scenario.yaml': %s", sw->o.out,
			  sim_strerror(e));
		rc = EXIT_FAILED;
		goto cleanup;
	}
	if (olen != ylen || memcmp(old, yaml, ylen)) {
		int line = 1;
		for (size_t i = 0; i < olen && i < ylen && old[i] == yaml[i];
		     i++)
			line += old[i] == '\n';
		cli_error("cannot resume: '%s/scenario.yaml' differs from "
			  "this sweep at line %d (another scenario, --set, "
			  "--param, --seed or --replications); use another "
			  "folder, or run without --resume to start over",
			  sw->o.out, line);
		goto cleanup;
	}
	if (access(path, F_OK)) {
		rc = 0;
		goto cleanup;
	}
	rc = EXIT_FAILED;
	e = sim_table_read_csv(&sw->table, &sw->grid, path, stderr);
	if (e) {
		rc = e == SIM_ENOMEM ? EXIT_FAILED : EXIT_USAGE;
		goto cleanup;
	}
	nrows = calloc(sw->grid.npoints, sizeof(*nrows));
	taken = calloc(sw->grid.npoints, sizeof(*taken));
	if (!nrows || !taken)
		goto cleanup;
	for (size_t k = 0; k < sw->grid.npoints; k++)
		nrows[k] = sw->pt[k].sc.nsystems;
	if (sim_table_assign(&sw->table, &sw->grid, nrows, taken, &clash))
		goto cleanup;
	/* keep only this shard's points, with the systems they should have */
	for (size_t i = 0; i < sw->table.nrow; i++) {
		struct sim_trow *r = &sw->table.row[i];
		if (r->point == SIZE_MAX)
			continue;
		const struct sim_scenario *sc = &sw->pt[r->point].sc;
		if (r->point % sw->nshards != sw->shard ||
		    strcmp(sim_trow_get(&sw->table, r, "system"),
			   sc->systems[r->sub].name))
			taken[r->point] = false;
	}
	for (size_t i = 0; i < sw->table.nrow; i++)
		if (sw->table.row[i].point != SIZE_MAX &&
		    !taken[sw->table.row[i].point])
			sw->table.row[i].point = SIZE_MAX;
	sim_table_drop(&sw->table);
	size_t kept = 0;
	for (size_t k = 0; k < sw->grid.npoints; k++) {
		sw->pt[k].done = taken[k];
		kept += taken[k];
	}
	if (!sw->o.quiet)
		fprintf(stderr, "concsim: resuming: %zu point%s already done\n",
			kept, kept == 1 ? "" : "s");
	rc = 0;
cleanup:
	if (rc == EXIT_FAILED && e == 0)
		cli_error("out of memory");
	free(old);
	free(nrows);
	free(taken);
	return rc;
}

/* -------------------------------------------------------------- MPI -- */

#ifdef CONCSIM_HAVE_MPI
/* Whether this process was started by an MPI launcher. */
static bool under_mpi(void)
{
	return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") ||
	       getenv("PMIX_RANK") || getenv("MPI_LOCALNRANKS");
}

/* Without -j, the ranks on one node share its cores rather than each
 * starting one simulation per core. */
static void share_cores(struct sweep *sw, int argc, char **argv)
{
	const char *local = getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
	if (!local)
		local = getenv("MPI_LOCALNRANKS");
	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], "-j", 2) ||
		    !strncmp(argv[i], "--jobs", 6))
			return;
	int n = local ? atoi(local) : 0;
	if (sw->nranks > 1 && n > 1)
		sw->o.jobs = sw->o.jobs / n > 1 ? sw->o.jobs / n : 1;
}

/* Appends s and its NUL to the buffer. */
static int put_str(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t l = strlen(s) + 1;
	if (*len + l > *cap) {
		size_t c = *cap ? *cap : 4096;
		while (c < *len + l)
			c *= 2;
		char *b = realloc(*buf, c);
		if (!b)
			return SIM_ENOMEM;
		*buf = b;
		*cap = c;
	}
	memcpy(*buf + *len, s, l);
	*len += l;
	return 0;
}

/* This rank's rows as NUL-separated strings: point, sub, cell count,
 * the swept cells, then name and text of each non-empty cell. */
static int pack_rows(const struct sim_table *t, char **buf, size_t *len)
{
	size_t cap = 0;
	int rc = 0;
	*buf = NULL;
	*len = 0;
	for (size_t i = 0; i < t->nrow && !rc; i++) {
		const struct sim_trow *r = &t->row[i];
		size_t nc = 0;
		char num[3][32];
		for (size_t c = 0; c < r->n; c++)
			nc += r->cell[c] != NULL;
		snprintf(num[0], sizeof(num[0]), "%zu", r->point);
		snprintf(num[1], sizeof(num[1]), "%zu", r->sub);
		snprintf(num[2], sizeof(num[2]), "%zu", nc);
		for (int k = 0; k < 3 && !rc; k++)
			rc = put_str(buf, len, &cap, num[k]);
		for (size_t p = 0; p < t->np && !rc; p++)
			rc = put_str(buf, len, &cap,
				     r->param[p] ? r->param[p] : "");
		for (size_t c = 0; c < r->n && !rc; c++)
			if (r->cell[c]) {
				rc = put_str(buf, len, &cap, t->col[c]);
				if (!rc)
					rc =
					    put_str(buf, len, &cap, r->cell[c]);
			}
	}
	return rc;
}

static int unpack_rows(struct sim_table *t, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	const char **param = calloc(t->np + 1, sizeof(*param));
	int rc = SIM_ENOMEM;
	if (!param)
		return rc;
	while (p < end) {
		size_t point = strtoull(p, NULL, 10);
		p += strlen(p) + 1;
		size_t sub = strtoull(p, NULL, 10);
		p += strlen(p) + 1;
		size_t nc = strtoull(p, NULL, 10);
		p += strlen(p) + 1;
		for (size_t i = 0; i < t->np; i++, p += strlen(p) + 1)
			param[i] = p;
		struct sim_trow *r = sim_table_add(t, point, sub, param);
		if (!r)
			goto cleanup;
		size_t row = (size_t)(r - t->row);
		for (size_t c = 0; c < nc; c++) {
			const char *name = p;
			p += strlen(p) + 1;
			if (sim_table_put(t, &t->row[row], name, p))
				goto cleanup;
			p += strlen(p) + 1;
		}
	}
	rc = 0;
cleanup:
	free(param);
	return rc;
}

/* Rank 0 receives every other rank's rows. Returns 0 or SIM_ENOMEM. */
static int gather_rows(struct sweep *sw, struct sim_table *mine)
{
	char *buf = NULL, *all = NULL;
	size_t len = 0;
	int *counts = NULL, *displs = NULL, rc = pack_rows(mine, &buf, &len);
	int n = rc || len > INT32_MAX ? -1 : (int)len, bad = 0;

	if (sw->rank == 0) {
		counts = calloc((size_t)sw->nranks, sizeof(*counts));
		displs = calloc((size_t)sw->nranks, sizeof(*displs));
	}
	MPI_Gather(&n, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
	long total = 0;
	if (sw->rank == 0) {
		for (int r = 0; r < sw->nranks; r++) {
			bad |= counts[r] < 0;
			displs[r] = (int)total;
			total += counts[r] < 0 ? 0 : counts[r];
		}
		bad |= total > INT32_MAX;
		all = bad ? NULL : malloc((size_t)total + 1);
		bad |= !all;
	}
	MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
	rc = bad ? SIM_ENOMEM : 0;
	if (!bad)
		MPI_Gatherv(buf, n, MPI_CHAR, all, counts, displs, MPI_CHAR, 0,
			    MPI_COMM_WORLD);
	if (!bad && sw->rank == 0)
		rc = unpack_rows(&sw->table, all, (size_t)total);
	free(buf);
	free(all);
	free(counts);
	free(displs);
	return rc;
}
#endif

/* ----------------------------------------------------------- output -- */

/* A short table of the main figures, for people. */
static void print_table(const struct sweep *sw)
{
	static const char *const head[] = {
	    "system", "offered/s", "thruput/s", "goodput/s",
	    "errors", "p50 ms",	   "p99 ms"};
	const struct sim_table *t = &sw->table;
	size_t np = sw->grid.np, nc = np + 7;
	size_t *w = calloc(nc, sizeof(*w));
	char(*cell)[48] = calloc((t->nrow + 1) * nc, sizeof(*cell));
	if (!w || !cell)
		goto cleanup;
	for (size_t i = 0; i < np; i++) {
		const char *dot = strrchr(sw->grid.p[i].path, '.');
		snprintf(cell[i], 48, "%s", dot ? dot + 1 : sw->grid.p[i].path);
	}
	for (size_t c = 0; c < 7; c++)
		snprintf(cell[np + c], 48, "%s", head[c]);
	for (size_t r = 0; r < t->nrow; r++) {
		const struct sim_trow *row = &t->row[r];
		char(*out)[48] = cell + (r + 1) * nc;
		for (size_t i = 0; i < np; i++)
			snprintf(out[i], 48, "%s",
				 row->param[i] ? row->param[i] : "");
		snprintf(out[np], 48, "%s", sim_trow_get(t, row, "system"));
		static const char *const rates[] = {
		    "offered_rps", "throughput_rps", "goodput_rps"};
		for (int k = 0; k < 3; k++) {
			const char *v = sim_trow_get(t, row, rates[k]);
			snprintf(out[np + 1 + k], 48, *v ? "%.1f" : "-",
				 atof(v));
		}
		double errs = 0;
		static const char *const ek[] = {
		    "errors_refused", "errors_timeout", "errors_killed",
		    "errors_unavailable"};
		for (int k = 0; k < 4; k++)
			errs += atof(sim_trow_get(t, row, ek[k]));
		snprintf(out[np + 4], 48, "%.0f", errs);
		static const char *const lk[] = {"latency_s_p50",
						 "latency_s_p99"};
		for (int k = 0; k < 2; k++) {
			const char *v = sim_trow_get(t, row, lk[k]);
			snprintf(out[np + 5 + k], 48, *v ? "%.4g" : "-",
				 1e3 * atof(v));
		}
	}
	for (size_t r = 0; r <= t->nrow; r++)
		for (size_t c = 0; c < nc; c++)
			if (strlen(cell[r * nc + c]) > w[c])
				w[c] = strlen(cell[r * nc + c]);
	for (size_t r = 0; r <= t->nrow; r++) {
		for (size_t c = 0; c < nc; c++)
			printf(c == np ? "%s%-*s" : "%s%*s", c ? "  " : "",
			       (int)w[c], cell[r * nc + c]);
		printf("\n");
		if (r == 0) {
			size_t total = 0;
			for (size_t c = 0; c < nc; c++)
				total += w[c] + (c ? 2 : 0);
			for (size_t i = 0; i < total; i++)
				putchar('-');
			putchar('\n');
		}
	}
cleanup:
	free(w);
	free(cell);
}

/* ------------------------------------------------------------ command -- */

/* Handles the options only sweep has. Returns 0 or an exit status. */
static int sweep_options(struct sweep *sw)
{
	struct cli_opts *o = &sw->o;
	for (size_t i = 0; i < o->nextra; i++) {
		const char *a = o->extra[i], *val = NULL;
		if (strncmp(a, "--", 2)) {
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
		if (!strncmp(a, "--resume=", 9)) {
			cli_error("--resume takes no value");
			return EXIT_USAGE;
		}
		const char *eq = strchr(a, '=');
		if (eq)
			val = eq + 1;
		else if (i + 1 < o->nextra && strncmp(o->extra[i + 1], "--", 2))
			val = o->extra[++i];
		if (!val) {
			cli_error("option '%s' needs a value", a);
			return EXIT_USAGE;
		}
		if (!strncmp(a, "--param", 7)) {
			int rc = add_param_option(sw, val);
			if (rc)
				return rc;
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
	return 0;
}

static int sweep_main(struct sweep *sw, int argc, char **argv)
{
	char *yaml = NULL;
	size_t ylen = 0;
	int rc = cli_parse(argc, argv,
			   "--set|--seed|--replications|--format|--out|"
			   "--jobs|--quiet",
			   "--param|--shard|--resume", &sw->o);
	if (rc || (rc = sweep_options(sw)))
		return rc;
#ifdef CONCSIM_HAVE_MPI
	share_cores(sw, argc, argv);
#endif
	if ((rc = cli_load(&sw->o, &sw->base)))
		return rc;
	int e = sim_read_bytes(sw->o.file, &sw->text, &sw->len);
	if (e) {
		cli_error("cannot read '%s': %s", sw->o.file, sim_strerror(e));
		return EXIT_FAILED;
	}
	/* the file's sweep first, then --param (which may replace one) */
	struct sim_grid cmdline = sw->grid;
	sw->grid = (struct sim_grid){0};
	if ((rc = add_file_sweep(sw)))
		goto cleanup_grid;
	for (size_t i = 0; i < cmdline.np && !rc; i++) {
		const struct sim_gparam *g = &cmdline.p[i];
		if (sim_grid_set(&sw->grid, g->path,
				 (const char *const *)g->values, g->marks,
				 g->nvalues, MAX_POINTS)) {
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
	if (!mem || sim_scenario_write_yaml(&sw->base, mem) || fclose(mem)) {
		cli_error("cannot describe the scenario");
		free(yaml);
		return EXIT_FAILED;
	}
	sw->writer = sw->o.out && sw->rank == 0;
	sim_table_init(&sw->table, sw->grid.np);
	rc = 0;
	if (sw->resume && sw->rank == 0)
		rc = resume(sw, yaml, ylen);
#ifdef CONCSIM_HAVE_MPI
	if (sw->nranks > 1) {
		unsigned char *done = calloc(sw->grid.npoints, 1);
		int ok = done != NULL;
		MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN,
			      MPI_COMM_WORLD);
		MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
		if (!ok) {
			free(done);
			free(yaml);
			cli_error("out of memory");
			return EXIT_FAILED;
		}
		for (size_t k = 0; k < sw->grid.npoints; k++)
			done[k] = sw->pt[k].done;
		MPI_Bcast(done, (int)sw->grid.npoints, MPI_UNSIGNED_CHAR, 0,
			  MPI_COMM_WORLD);
		for (size_t k = 0; k < sw->grid.npoints; k++)
			sw->pt[k].done = done[k];
		free(done);
	}
#endif
	if (rc) {
		free(yaml);
		return rc;
	}
	if (sw->writer &&
	    (sim_mkdir_p(sw->o.out, stderr) ||
	     sim_save_bytes(sw->o.out, "scenario.yaml", yaml, ylen, stderr))) {
		free(yaml);
		return EXIT_FAILED;
	}
	free(yaml);
	if (plan(sw)) {
		cli_error("out of memory");
		return EXIT_FAILED;
	}
	/* points this process will not run need not stay in memory */
	for (size_t k = 0; k < sw->grid.npoints; k++)
		if (!sw->pt[k].mine)
			sim_scenario_release(&sw->pt[k].sc);

	struct sigaction sa = {.sa_handler = on_signal,
			       .sa_flags = (int)SA_RESETHAND};
	struct sigaction old_int, old_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sw->show = !sw->o.quiet && sw->rank == 0 && isatty(STDERR_FILENO);
	sw->t0 = sw->last_write = now_s();
	int perr = sim_parallel(sw->ntask, sw->o.jobs, run_task, sw);
	draw_progress(sw, true);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	for (size_t k = 0; k < sw->grid.npoints; k++) {
		struct point *p = &sw->pt[k];
		for (size_t i = 0; p->res && i < p->ntask; i++)
			sim_rep_release(&p->res[i]);
	}

	int stopped = interrupted != 0, failed = sw->err || perr;
	size_t ndone = 0;
#ifdef CONCSIM_HAVE_MPI
	if (sw->nranks > 1) {
		struct sim_table mine;
		MPI_Allreduce(MPI_IN_PLACE, &stopped, 1, MPI_INT, MPI_MAX,
			      MPI_COMM_WORLD);
		MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX,
			      MPI_COMM_WORLD);
		/* rank 0 keeps its rows; the others send theirs */
		if (sw->rank == 0) {
			sim_table_init(&mine, sw->grid.np);
		} else {
			mine = sw->table;
			sim_table_init(&sw->table, sw->grid.np);
		}
		if (gather_rows(sw, &mine)) {
			failed = 1;
			cli_error("out of memory gathering the rows");
		}
		sim_table_release(&mine);
	}
#endif
	for (size_t i = 0; i < sw->table.nrow; i++)
		ndone += sw->table.row[i].sub == 0;
	if (sw->rank == 0) {
		pthread_mutex_lock(&sw->lock);
		sw->last_write = 0;
		atomic_store(&sw->failed, 0);
		checkpoint(sw, true);
		if (atomic_load(&sw->failed))
			failed = 1;
		pthread_mutex_unlock(&sw->lock);
	}
	if (sw->err) {
		char where[512] = "";
		size_t off = 0;
		for (size_t i = 0; i < sw->grid.np && off < sizeof(where); i++)
			off += (size_t)snprintf(
			    where + off, sizeof(where) - off, "%s%s=%s",
			    i ? ", " : "", sw->grid.p[i].path,
			    sw->grid.p[i].values[sim_grid_value(
				&sw->grid, sw->why_point, i)]);
		cli_error("simulation failed at %s: %s", where,
			  sw->why ? sw->why : sim_strerror(sw->err));
	}
	if (sw->rank != 0)
		return failed ? EXIT_FAILED : stopped ? EXIT_INTERRUPTED : 0;
	size_t shard_points = 0;
	for (size_t k = 0; k < sw->grid.npoints; k++)
		shard_points += k % sw->nshards == sw->shard;
	if (stopped) {
		fprintf(stderr,
			"concsim: interrupted: %zu of %zu points done%s%s%s\n",
			ndone, shard_points,
			sw->o.out ? "; finish with --resume -o " : "",
			sw->o.out ? sw->o.out : "",
			sw->o.out ? "" : " (nothing kept: no -o DIR)");
		return EXIT_INTERRUPTED;
	}
	if (failed)
		return EXIT_FAILED;
	int fmt = sw->o.format >= 0	  ? sw->o.format
		  : isatty(STDOUT_FILENO) ? SIM_FMT_TABLE
					  : SIM_FMT_JSON;
	sim_table_sort(&sw->table);
	if (fmt == SIM_FMT_CSV)
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
	struct sweep sw = {.nshards = 1, .nranks = 1};
	pthread_mutex_init(&sw.lock, NULL);
	atomic_init(&sw.failed, 0);
	interrupted = 0;
#ifdef CONCSIM_HAVE_MPI
	bool mpi = under_mpi();
	if (mpi) {
		int provided;
		MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
		MPI_Comm_rank(MPI_COMM_WORLD, &sw.rank);
		MPI_Comm_size(MPI_COMM_WORLD, &sw.nranks);
	}
#endif
	int rc = sweep_main(&sw, argc, argv);
#ifdef CONCSIM_HAVE_MPI
	if (mpi)
		MPI_Finalize();
#endif
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
	for (size_t i = 0; i < sw.nowned; i++)
		free(sw.owned[i]);
	free(sw.owned);
	free(sw.text);
	pthread_mutex_destroy(&sw.lock);
	cli_opts_release(&sw.o);
	return rc;
}
