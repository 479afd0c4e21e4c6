/*
 * sweep_run.c - the scheduler of a sweep: every (point, system,
 * replication) of this process's points is one task on the job pool, the
 * most expensive points first and each point's simulations together, so
 * points finish early and steadily. The task that ends a point's last
 * simulation summarises it into rows, which are appended to results.csv
 * at most once a second, so an interrupted sweep keeps every finished
 * point; the sorted files are written at the end. Which thread finishes first
 * never changes a byte: rows are kept by point and sorted before the final
 * write.
 */
#include "cli/sweep_run.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kernel/error.h"
#include "runtime/model.h"
#include "workload/run.h"

#define CHECKPOINT_S 1.0 /* rewrite the results at most this often */

/* Set by SIGINT, SIGTERM, SIGHUP, SIGQUIT: launch nothing more. */
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

/* Estimated work of one simulation of sc: requests times phases. */
static double cost_of(const struct sim_scenario *sc)
{
	const struct sim_workload *wl = &sc->workload;
	double rate = wl->arrivals.rate;
	for (size_t i = 0; i < wl->arrivals.nschedule; i++)
		if (wl->arrivals.schedule[i].at < sc->warmup + sc->duration)
			rate = fmax(rate, wl->arrivals.schedule[i].rate);
	if (wl->closed.users)
		rate = wl->closed.users / fmax(wl->closed.think.mean, 1e-3);
	return fmax((sc->warmup + sc->duration) * rate, 1.0) *
	       (double)(1 + sc->max_phases);
}

static void draw_progress(struct sweep *sw, bool final)
{
	if (final) {
		cli_progress_end(&sw->progress);
		return;
	}
	if (!sw->progress.show)
		return;
	char counts[64];
	snprintf(counts, sizeof(counts), "%zu/%zu points", sw->points_done,
		 sw->points_all);
	cli_progress_draw(&sw->progress, "sweep",
			  sw->cost_all > 0 ? sw->cost_done / sw->cost_all : 1,
			  counts);
}

/* Saves the rows so far (lock held), at most every CHECKPOINT_S seconds
 * but at once after the first point, so that a sweep shows results early.
 * A checkpoint appends the rows finished since the last one to
 * results.csv, in their order of completion; the file is rewritten whole
 * only the first time and when a point brought a new column (the header
 * changes). So a sweep of n points writes O(n) rows in all, not O(n^2).
 * `force`: the final write, sorted, results.csv and results.json, all
 * or none (scenario.yaml is there from the start). A failure sets
 * sw->failed. */
static void checkpoint(struct sweep *sw, bool force)
{
	double t = now_s();
	int rc;

	if (!sw->writer)
		return;
	if (force) {
		rc = sim_table_save(&sw->table, &sw->grid, sw->base.name, NULL,
				    0, sw->lng, sw->o.out, stderr);
		sw->ckpt_cols = 0; /* sorted: the rows moved */
	} else if (sw->points_done > 1 && t - sw->last_write < CHECKPOINT_S) {
		return;
	} else if (!sw->ckpt_cols || sw->table.ncol != sw->ckpt_cols) {
		rc = sim_table_save_csv(&sw->table, &sw->grid, sw->o.out,
					stderr);
		sw->ckpt_cols = sw->table.ncol;
		sw->ckpt_rows = sw->table.nrow;
	} else if (sw->table.nrow > sw->ckpt_rows) {
		rc = sim_table_append_csv(&sw->table, sw->ckpt_rows, sw->o.out,
					  stderr);
		sw->ckpt_rows = sw->table.nrow;
	} else {
		return;
	}
	sw->last_write = t;
	if (rc)
		atomic_store(&sw->failed, 1);
}

/* Turns a point whose simulations are all done into rows. */
static int finish_point(struct sweep *sw, size_t k)
{
	struct sweep_point *p = &sw->pt[k];
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
		if (!p->sc.warmup_auto)
			sum[s].warmup_s = p->sc.warmup;
	}
	pthread_mutex_lock(&sw->lock);
	size_t from = sw->table.nrow;
	rc = sim_table_add_point(&sw->table, k, (const char *const *)p->cells,
				 &p->sc, sum, nsys);
	if (!rc)
		rc = sim_table_put_hash(&sw->table, from, sw->hash);
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

/* --precision: the point's sequential procedure, the very one of `run
 * --precision` (sim_run_to_precision), then its rows as finish_point
 * makes them from the replications it ran. */
static int run_point_precise(struct sweep *sw, size_t k, const char **why)
{
	struct sweep_point *p = &sw->pt[k];
	size_t nsys = p->sc.nsystems;
	struct sim_summary *sum = calloc(nsys, sizeof(*sum));
	if (!sum)
		return SIM_ENOMEM;
	int err = sim_run_to_precision(&p->sc, sw->inner_jobs, sw->precision,
				       sw->max_reps, sum, &p->res, NULL, why);
	if (!err)
		p->imprecise = p->sc.replications >= sw->max_reps &&
			       !sim_precise_enough(sum, nsys, sw->precision);
	for (size_t s = 0; s < nsys; s++)
		sim_summary_release(&sum[s]);
	free(sum);
	if (err)
		return err;
	p->ntask = nsys * (size_t)p->sc.replications;
	return finish_point(sw, k);
}

static int run_task(void *arg, size_t i)
{
	struct sweep *sw = arg;
	const struct sweep_task *t = &sw->task[i];
	struct sweep_point *p = &sw->pt[t->point];
	const char *why = NULL;
	double work = p->cost * (t->rep < 0 ? (double)p->ntask : 1);
	int err;

	if (interrupted || atomic_load(&sw->failed))
		return 0;
	if (t->rep < 0) {
		err = run_point_precise(sw, t->point, &why);
	} else {
		size_t nrep = (size_t)p->sc.replications;
		err =
		    sim_run_one(&p->sc, t->sys, t->rep, 0, NULL,
				&p->res[t->sys * nrep + (size_t)t->rep], &why);
		if (!err && atomic_fetch_sub(&p->left, 1) == 1)
			err = finish_point(sw, t->point);
	}
	pthread_mutex_lock(&sw->lock);
	if (err && !sw->err) {
		sw->err = err;
		sw->why = why;
		sw->why_point = t->point;
		atomic_store(&sw->failed, 1);
	}
	sw->cost_done += work;
	draw_progress(sw, false);
	pthread_mutex_unlock(&sw->lock);
	return err;
}

static int cost_cmp(const size_t *a, const size_t *b,
		    const struct sweep_point *pt)
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
static void sort_by_cost(size_t *idx, size_t n, struct sweep_point *pt)
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

int sweep_plan(struct sweep *sw)
{
	size_t *todo = calloc(sw->grid.npoints + 1, sizeof(*todo)), n = 0;
	size_t ntask = 0;
	if (!todo)
		return SIM_ENOMEM;
	for (size_t k = 0; k < sw->grid.npoints; k++) {
		struct sweep_point *p = &sw->pt[k];
		p->ntask = p->sc.nsystems * (size_t)p->sc.replications;
		p->cost = cost_of(&p->sc);
		if (k % sw->nshards == sw->shard && !p->done)
			todo[n++] = k;
	}
	sort_by_cost(todo, n, sw->pt);
	size_t mine = 0;
	for (size_t j = 0; j < n; j++) {
		struct sweep_point *p = &sw->pt[todo[j]];
		p->mine = j % (size_t)sw->nranks == (size_t)sw->rank;
		if (!p->mine)
			continue;
		todo[mine++] = todo[j];
		ntask += p->ntask;
		sw->cost_all += p->cost * (double)p->ntask;
	}
	sw->points_all = mine;
	if (sw->precision) {
		/* a task per point, each running its own replications on
		 * the cores the points leave free */
		int outer = (size_t)sw->o.jobs < mine ? sw->o.jobs : (int)mine;
		sw->inner_jobs = outer > 1 ? sw->o.jobs / outer : sw->o.jobs;
		ntask = mine;
	}
	sw->task = calloc(ntask ? ntask : 1, sizeof(*sw->task));
	if (!sw->task) {
		free(todo);
		return SIM_ENOMEM;
	}
	for (size_t j = 0; j < mine; j++) {
		struct sweep_point *p = &sw->pt[todo[j]];
		size_t nrep = (size_t)p->sc.replications;
		if (sw->precision) {
			sw->task[sw->ntask++] =
			    (struct sweep_task){todo[j], 0, -1};
			continue;
		}
		if (!(p->res = calloc(p->ntask, sizeof(*p->res)))) {
			free(todo);
			return SIM_ENOMEM;
		}
		atomic_init(&p->left, p->ntask);
		for (size_t s = 0; s < p->sc.nsystems; s++)
			for (size_t r = 0; r < nrep; r++)
				sw->task[sw->ntask++] =
				    (struct sweep_task){todo[j], s, (int)r};
	}
	free(todo);
	return 0;
}

int sweep_run(struct sweep *sw, int *stopped)
{
	struct sigaction old[CLI_NSIGNALS];
	interrupted = 0;
	cli_signals_catch(on_signal, (int)SA_RESETHAND, old);
	cli_progress_start(&sw->progress, !sw->o.quiet && sw->rank == 0);
	sw->last_write = now_s();
	int perr = sim_parallel(sw->ntask, sw->o.jobs, run_task, sw);
	draw_progress(sw, true);
	cli_signals_restore(old);
	for (size_t k = 0; k < sw->grid.npoints; k++) {
		struct sweep_point *p = &sw->pt[k];
		for (size_t i = 0; p->res && i < p->ntask; i++)
			sim_rep_release(&p->res[i]);
	}
	*stopped = interrupted != 0;
	return perr;
}

int sweep_save(struct sweep *sw)
{
	pthread_mutex_lock(&sw->lock);
	sw->last_write = 0;
	atomic_store(&sw->failed, 0);
	checkpoint(sw, true);
	int rc = atomic_load(&sw->failed) ? SIM_EIO : 0;
	pthread_mutex_unlock(&sw->lock);
	return rc;
}

void sweep_point_name(const struct sweep *sw, size_t k, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sw->grid.np && off < len; i++)
		off += (size_t)snprintf(
		    buf + off, len - off, "%s%s=%s", i ? ", " : "",
		    sw->grid.p[i].path,
		    sw->grid.p[i].values[sim_grid_value(&sw->grid, k, i)]);
}
