/*
 * fit.c - estimates the values a scenario writes as `fit` from measured
 * points (fit.h).
 *
 * The method, and why.
 *
 * Objective. For each point (an offered rate, a system) and each figure
 * measured there, the relative error (simulated - measured) / measured;
 * the objective is the mean of their squares, so every figure counts in
 * proportion, whatever its unit. A saturated point (throughput below
 * FIT_SATURATED of the offered rate) contributes only its throughput and
 * utilization: past capacity the latency grows with how long the test ran,
 * not with the parameters, but the throughput there is the capacity.
 *
 * Common random numbers. Every evaluation of refit k simulates
 * replication k's streams (the same arrivals and demands at every
 * candidate), so the objective is a smooth function of the parameters
 * rather than a noisy one, and a simplex can follow it.
 *
 * Space. A bounded unknown moves through a logistic transform of [LOW,
 * HIGH] (of log LOW..log HIGH when LOW > 0), a bare `fit` through its
 * logarithm (it must be > 0): every point the simplex tries is inside the
 * bounds, and steps are relative.
 *
 * Start. The simplex starts from the operational laws: with
 * utilization_cpu measured, the utilization law U = X D gives the CPU
 * demand per request D = U / X at each point; the ratio of the measured
 * to the simulated D (at the bounds' geometric mean) scales every
 * duration unknown. Without it, the latency at the lightest load (where
 * a request barely queues) gives the ratio. For a whole number (a pool
 * size), Little's law N = X R gives one: the saturated throughput times
 * the latency at the lightest load. Each start is kept only if it does
 * better.
 *
 * Estimate, refits and uncertainty. The simplex (GSL's nmsimplex2; started
 * again from its best point, smaller, when it stops improving without
 * shrinking: up to MAX_RESTARTS times) searches once on the mean figures
 * of every replication (the sample average, smoother than any one
 * replication's), from the start: the estimate is where it ends. Then it
 * runs once per replication, refit k starting a step of the simplex off
 * the estimate, up (k even) or down along unknown k / 2 (cycling: with
 * fewer than twice as many replications as unknowns, the last unknowns
 * get no step). Where the points pin an unknown down, the refits come
 * back to it; where they do not (two CPU costs seen through their sum),
 * the objective is flat within the simulation's noise and a search stops
 * about where it started. Measured on tests/bench/fit.yaml's pair
 * (2026-12-07, 10 measurements): the refits' mean as the estimate, all
 * started at the start, held the true 100 us within the interval once in
 * 10 (185-270 us); this way 9 in 10 (127-209 us).
 *
 * The uncertainty has two parts: the refits' spread (simulation noise
 * and that slack: the Student-t 95 % half-width of their deviations from
 * the estimate) and the residuals' (noise in the measured points and
 * misfit: sigma^2 (J'J)^-1, the nonlinear least-squares covariance, with
 * J the Jacobian of the relative errors at the estimate by central
 * differences on all replications and sigma^2 = RSS / (m - p), m fitted
 * values, p unknowns). The half-widths are combined in quadrature: ci95 =
 * sqrt(ci95_sim^2 + ci95_fit^2).
 */
#include "fit/fit.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multimin.h>

#include "fit/unknowns.h"
#include "kernel/error.h"
#include "workload/budget.h"
#include "workload/run.h"

#define PENALTY	     1e30 /* objective of a candidate that cannot run */
#define NO_RESP	     1e3  /* relative error of a figure the run lacks */
#define SIZE_TOL     3e-3 /* simplex size at convergence (log units) */
#define FLAT_SIZE    1e-2 /* fit_stop_converged (fit.h) */
#define FLAT_ITERS   200
#define MAX_RESTARTS 4	  /* a stuck simplex started again, smaller */
#define JAC_STEP     0.05 /* central-difference step (log units or of range) */

/* ------------------------------------------------------------ problem -- */

/* The value where a search starts before the operational laws. */
static double initial(const struct fit_unknown *u)
{
	static const double dflt[] = {1e-3, 100, 65536, 1, 4};
	if (!u->bounded)
		return dflt[u->kind];
	if (u->lo > 0)
		return sqrt(u->lo * u->hi);
	return u->kind == FIT_INT ? rint((u->lo + u->hi) / 2)
				  : (u->lo + u->hi) / 2;
}

int fit_problem_init(struct fit_problem *p, const char *system, FILE *err)
{
	struct fit_unknowns *u = p->u;
	struct sim_scenario sc = {0};
	const char **vals = calloc(u->n + 1, sizeof(*vals));
	char(*buf)[64] = calloc(u->n + 1, sizeof(*buf));
	char *msg = NULL;
	int rc = SIM_ENOMEM;

	if (!vals || !buf)
		goto cleanup;
	for (size_t i = 0; i < u->n; i++) {
		fit__candidate(buf[i], sizeof(buf[i]), &u->v[i],
			       initial(&u->v[i]));
		vals[i] = buf[i];
	}
	rc = fit__probe_load(p->file, p->text, p->len, p->ov, p->nov, u, vals,
			     NULL, &msg, &sc);
	if (rc == SIM_ESCENARIO)
		fit__print_mapped(err, msg, u, p->file);
	if (rc)
		goto cleanup;
	rc = SIM_EINVAL;
	const struct sim_arrivals *a = &sc.workload.arrivals;
	if (sc.workload.closed.users || a->kind == SIM_ARR_TRACE ||
	    a->nschedule) {
		sim_fprintf_safe(
		    err,
		    "%s:%d:%d: error: 'workload': fit needs open arrivals "
		    "at a steady rate (no closed loop, trace or schedule): "
		    "each point's offered_rps replaces the rate\n",
		    p->file, a->mark.line, a->mark.col);
		goto cleanup;
	}
	if (system) {
		size_t s = 0;
		while (s < sc.nsystems && strcmp(sc.systems[s].name, system))
			s++;
		if (s == sc.nsystems) {
			sim_fprintf_safe(
			    err,
			    "concsim: error: --system: no system '%s' in "
			    "'%s'\n",
			    system, p->file);
			goto cleanup;
		}
	}
	/* keep the points of the system asked for */
	size_t k = 0;
	for (size_t i = 0; i < p->pts->n; i++) {
		struct fit_point *pt = &p->pts->v[i];
		if (system && pt->system && strcmp(pt->system, system)) {
			free(pt->system);
			free(pt->source);
			continue;
		}
		p->pts->v[k++] = *pt;
	}
	p->pts->n = k;
	p->sys = calloc(k + 1, sizeof(*p->sys));
	p->cores = calloc(k + 1, sizeof(*p->cores));
	p->names = calloc(k + 1, sizeof(*p->names));
	if (!p->sys || !p->cores || !p->names) {
		rc = SIM_ENOMEM;
		goto cleanup;
	}
	size_t nsat = 0, ncells = 0;
	for (size_t i = 0; i < k; i++) {
		struct fit_point *pt = &p->pts->v[i];
		const char *name = pt->system ? pt->system : system;
		size_t s = 0;
		if (name) {
			while (s < sc.nsystems &&
			       strcmp(sc.systems[s].name, name))
				s++;
			if (s == sc.nsystems) {
				sim_fprintf_safe(
				    err,
				    "%s:1: error: 'system': no system "
				    "'%s' in '%s'\n",
				    pt->source, name, p->file);
				goto cleanup;
			}
		} else if (sc.nsystems > 1) {
			sim_fprintf_safe(
			    err,
			    "concsim: error: '%s' has %zu systems; say "
			    "which one was measured with a 'system' "
			    "column or --system NAME\n",
			    p->file, sc.nsystems);
			goto cleanup;
		}
		p->sys[i] = s;
		p->cores[i] = sc.systems[s].host.cores;
		if (!(p->names[i] = strdup(sc.systems[s].name))) {
			rc = SIM_ENOMEM;
			goto cleanup;
		}
		double x = pt->v[FIT_THROUGHPUT];
		pt->saturated = isfinite(x) && x < FIT_SATURATED * pt->offered;
		nsat += pt->saturated;
		for (int c = 0; c < FIT_NCOLS; c++)
			ncells += isfinite(pt->v[c]) &&
				  (!pt->saturated || c == FIT_THROUGHPUT ||
				   c == FIT_UTIL);
	}
	if (k == 0) {
		sim_fprintf_safe(err, "concsim: error: no measured point%s\n",
				 system ? " of that system" : "");
		goto cleanup;
	}
	if (nsat == k) {
		fprintf(err,
			"concsim: error: every point is saturated (throughput "
			"below %.0f%% of offered_rps): past capacity the "
			"latency depends on how long the test ran; measure at "
			"least one load below capacity\n",
			FIT_SATURATED * 100);
		goto cleanup;
	}
	if (k < u->n || ncells <= u->n) {
		sim_fprintf_safe(
		    err,
		    "concsim: error: %zu point%s with %zu measured "
		    "value%s for %zu unknown%s: fitting needs more values "
		    "than unknowns (and at least as many points)\n",
		    k, k == 1 ? "" : "s", ncells, ncells == 1 ? "" : "s", u->n,
		    u->n == 1 ? "" : "s");
		goto cleanup;
	}
	if (p->reps <= 0)
		p->reps = sc.replications;
	/* the files the scenario reads, which -o must not replace */
	p->inputs = sc.inputs;
	p->ninputs = sc.ninputs;
	sc.inputs = NULL;
	sc.ninputs = 0;
	rc = 0;
cleanup:
	sim_scenario_release(&sc);
	free(msg);
	free(vals);
	free(buf);
	return rc;
}

void fit_problem_release(struct fit_problem *p)
{
	free(p->sys);
	free(p->cores);
	for (size_t i = 0; p->names && i < p->pts->n; i++)
		free(p->names[i]);
	free(p->names);
	for (size_t i = 0; i < p->ninputs; i++)
		free(p->inputs[i]);
	free(p->inputs);
	p->inputs = NULL;
	p->ninputs = 0;
	p->names = NULL;
	p->sys = NULL;
	p->cores = NULL;
}

/* ---------------------------------------------------------- evaluate -- */

/* What the evaluations share. */
struct engine {
	struct fit_problem *p;
	pthread_mutex_t lock;
	char *why; /* the first failure */
	long evals;
	size_t done; /* refits finished (progress) */
	bool oom;    /* a search or refit could not allocate */
};

static void note(struct engine *e, const char *msg)
{
	pthread_mutex_lock(&e->lock);
	if (!e->why)
		e->why = strdup(msg);
	pthread_mutex_unlock(&e->lock);
}

/* Simulates point i at x with replication rep into f[FIT_NCOLS].
 * Returns 0, or -1 (noted) when it cannot run. */
static int eval_point(struct engine *e, const double *x, size_t i, int rep,
		      double *f)
{
	struct fit_problem *p = e->p;
	size_t nu = p->u->n, nov = p->nov + nu + 1;
	struct sim_override *ov = calloc(nov, sizeof(*ov));
	char(*buf)[64] = calloc(nu + 1, sizeof(*buf));
	struct sim_scenario sc = {0};
	struct sim_rep_result res = {0};
	char *msg = NULL;
	size_t mlen = 0;
	const char *why = NULL;
	int rc = -1, lrc;

	for (int c = 0; c < FIT_NCOLS; c++)
		f[c] = NAN;
	if (!ov || !buf) {
		note(e, "out of memory");
		goto cleanup;
	}
	if (p->nov)
		memcpy(ov, p->ov, p->nov * sizeof(*ov));
	for (size_t k = 0; k < nu; k++) {
		fit__candidate(buf[k], sizeof(buf[k]), &p->u->v[k], x[k]);
		ov[p->nov + k] = (struct sim_override){p->u->v[k].path, buf[k]};
	}
	snprintf(buf[nu], sizeof(buf[nu]), "%.17g/s", p->pts->v[i].offered);
	ov[nov - 1] = (struct sim_override){"workload.arrivals.rate", buf[nu]};
	FILE *err = open_memstream(&msg, &mlen);
	if (!err) {
		note(e, "out of memory");
		goto cleanup;
	}
	lrc = sim_scenario_load_string(p->file, p->text, p->len, ov, nov, err,
				       &sc);
	fclose(err);
	if (lrc) {
		note(e, msg && *msg ? msg : sim_strerror(lrc));
		goto cleanup;
	}
	struct sim_budget b;
	struct sim_mark at;
	char over[512];
	if (sim_scenario_budget(&sc, 0, &b, &at, over, sizeof(over))) {
		note(e, over);
		goto cleanup;
	}
	lrc = sim_run_one(&sc, p->sys[i], rep, 0, NULL, &res, &why);
	if (lrc) {
		note(e, why ? why : sim_strerror(lrc));
		goto cleanup;
	}
	f[FIT_THROUGHPUT] = (double)res.completed / res.duration;
	if (res.lat.n) {
		f[FIT_LAT_MEAN] = sim_hist_mean(&res.lat);
		f[FIT_P50] = sim_hist_quantile(&res.lat, 0.5);
		f[FIT_P90] = sim_hist_quantile(&res.lat, 0.9);
		f[FIT_P99] = sim_hist_quantile(&res.lat, 0.99);
	}
	f[FIT_UTIL] = sim_metrics_get(&res.metrics, "utilization", "cpu", NAN);
	rc = 0;
cleanup:
	sim_rep_release(&res);
	sim_scenario_release(&sc);
	free(msg);
	free(buf);
	free(ov);
	return rc;
}

/* One batch of simulations: every point at x, replications
 * [rep0, rep0 + nrep), averaged into f[npts * FIT_NCOLS]. */
struct batch {
	struct engine *e;
	const double *x;
	int rep0, nrep;
	double *all; /* npts * nrep * FIT_NCOLS */
	int failed;
};

static int batch_item(void *arg, size_t j)
{
	struct batch *b = arg;
	size_t i = j / (size_t)b->nrep;
	int rep = b->rep0 + (int)(j % (size_t)b->nrep);
	if (eval_point(b->e, b->x, i, rep, &b->all[j * FIT_NCOLS]))
		b->failed = 1;
	return 0;
}

/* Returns 0 or -1 (a simulation could not run; noted). */
static int evaluate(struct engine *e, const double *x, int rep0, int nrep,
		    int jobs, double *f)
{
	size_t n = e->p->pts->n;
	struct batch b = {e, x, rep0, nrep, NULL, 0};
	if (!(b.all = calloc(n * (size_t)nrep * FIT_NCOLS, sizeof(double)))) {
		note(e, "out of memory");
		return -1;
	}
	sim_parallel(n * (size_t)nrep, jobs, batch_item, &b);
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < FIT_NCOLS; c++) {
			double s = 0;
			for (int r = 0; r < nrep; r++)
				s += b.all[((i * (size_t)nrep + (size_t)r) *
					    FIT_NCOLS) +
					   (size_t)c];
			f[i * FIT_NCOLS + (size_t)c] = s / nrep;
		}
	free(b.all);
	pthread_mutex_lock(&e->lock);
	e->evals++;
	pthread_mutex_unlock(&e->lock);
	return b.failed ? -1 : 0;
}

/* Whether cell c of point i is fitted. */
static bool used(const struct fit_point *pt, int c)
{
	return isfinite(pt->v[c]) &&
	       (!pt->saturated || c == FIT_THROUGHPUT || c == FIT_UTIL);
}

/* The relative errors of every fitted cell into r (may be NULL); returns
 * how many. */
static size_t residuals(const struct fit_problem *p, const double *f, double *r)
{
	size_t m = 0;
	for (size_t i = 0; i < p->pts->n; i++)
		for (int c = 0; c < FIT_NCOLS; c++) {
			const struct fit_point *pt = &p->pts->v[i];
			if (!used(pt, c))
				continue;
			double s = f[i * FIT_NCOLS + (size_t)c], d = pt->v[c];
			double e = !isfinite(s) ? NO_RESP
				   : d > 0	? (s - d) / d
						: s - d;
			if (r)
				r[m] = e;
			m++;
		}
	return m;
}

static double objective(const struct fit_problem *p, const double *f, double *r)
{
	size_t m = residuals(p, f, r);
	double s = 0;
	for (size_t k = 0; k < m; k++)
		s += r[k] * r[k];
	return m ? s / (double)m : 0;
}

/* ------------------------------------------------------------- space -- */

static bool logscale(const struct fit_unknown *u)
{
	return !u->bounded || u->lo > 0;
}

/* Transformed coordinate y of value x, and back. */
static double to_y(const struct fit_unknown *u, double x)
{
	if (!u->bounded)
		return log(x > 0 ? x : 1e-300);
	double a = logscale(u) ? log(u->lo) : u->lo;
	double b = logscale(u) ? log(u->hi) : u->hi;
	double v = logscale(u) ? log(x) : x;
	double s = (v - a) / (b - a);
	s = s < 1e-6 ? 1e-6 : s > 1 - 1e-6 ? 1 - 1e-6 : s;
	return log(s / (1 - s));
}

static double to_x(const struct fit_unknown *u, double y)
{
	double x;
	if (!u->bounded)
		x = exp(y);
	else {
		double a = logscale(u) ? log(u->lo) : u->lo;
		double b = logscale(u) ? log(u->hi) : u->hi;
		double v = a + (b - a) / (1 + exp(-y));
		x = logscale(u) ? exp(v) : v;
		x = x < u->lo ? u->lo : x > u->hi ? u->hi : x;
	}
	return u->kind == FIT_INT ? rint(x) : x;
}

/* ----------------------------------------------------------- simplex -- */

struct refit {
	struct engine *e;
	int rep, nrep, jobs;
	double *f, *r; /* scratch: npts * FIT_NCOLS, cells */
	double *x;     /* scratch: the candidate */
};

static double nm_f(const gsl_vector *y, void *arg)
{
	struct refit *rf = arg;
	struct fit_problem *p = rf->e->p;
	for (size_t k = 0; k < p->u->n; k++)
		rf->x[k] = to_x(&p->u->v[k], gsl_vector_get(y, k));
	if (evaluate(rf->e, rf->x, rf->rep, rf->nrep, rf->jobs, rf->f))
		return PENALTY;
	double v = objective(p, rf->f, rf->r);
	return isfinite(v) ? v : PENALTY;
}

/* State of all refits, or of the one search on every replication. */
struct refits {
	struct engine *e;
	const double *start; /* u->n */
	double *out;	     /* reps * u->n */
	double *size;	     /* reps: final simplex size */
	int *iters;	     /* reps */
	int jobs;	     /* per refit */
	size_t ncells;
	int all;  /* the search: replications [0, reps) at once, from start */
	bool off; /* refit k starts a step off start (the top of the file) */
};

bool fit_stop_converged(struct fit_stop *st, double size, double best)
{
	if (size < SIZE_TOL)
		return true;
	if (!st->seen || best < st->best) {
		st->best = best;
		st->seen = 1;
		st->still = 0;
		return false;
	}
	return ++st->still >= FLAT_ITERS && size < FLAT_SIZE;
}

static int refit_one(void *arg, size_t k)
{
	struct refits *rs = arg;
	struct fit_problem *p = rs->e->p;
	size_t nu = p->u->n;
	struct refit rf = {.e = rs->e,
			   .rep = rs->all ? 0 : (int)k,
			   .nrep = rs->all ? rs->all : 1,
			   .jobs = rs->jobs};
	gsl_multimin_fminimizer *m = gsl_multimin_fminimizer_alloc(
	    gsl_multimin_fminimizer_nmsimplex2, nu);
	gsl_vector *y = gsl_vector_alloc(nu), *step = gsl_vector_alloc(nu);
	rf.f = calloc(p->pts->n * FIT_NCOLS, sizeof(double));
	rf.r = calloc(rs->ncells + 1, sizeof(double));
	rf.x = calloc(nu, sizeof(double));
	if (!m || !y || !step || !rf.f || !rf.r || !rf.x) {
		note(rs->e, "out of memory");
		pthread_mutex_lock(&rs->e->lock);
		rs->e->oom = true;
		pthread_mutex_unlock(&rs->e->lock);
		goto cleanup;
	}
	for (size_t j = 0; j < nu; j++) {
		const struct fit_unknown *u = &p->u->v[j];
		/* a third of an e-fold, or of the logistic's range; whole
		 * numbers need steps that reach the next one */
		double s = u->bounded ? 0.7 : 0.35;
		if (u->kind == FIT_INT && !u->bounded)
			s = fmax(s, 1.5 / fmax(rs->start[j], 1));
		/* refit k: a step up (k even) or down along unknown k / 2
		 * (cycling), so that a value the points do not pin down,
		 * where a search stops about where it starts, shows in the
		 * refits' spread */
		double off =
		    rs->off && (k / 2) % nu == j ? (k % 2 ? -s : s) : 0;
		double y0 = to_y(u, rs->start[j]) + off;
		if (u->kind == FIT_INT && !u->bounded)
			y0 = fmax(y0, 0); /* not below 1 (log 0) */
		gsl_vector_set(y, j, y0);
		gsl_vector_set(step, j, s);
	}
	gsl_multimin_function fn = {nm_f, nu, &rf};
	gsl_multimin_fminimizer_set(m, &fn, y, step);
	int it = 0, restarts = 0;
	bool done = false;
	struct fit_stop stop = {0};
	while (!done && it < p->max_iter) {
		it++;
		if (gsl_multimin_fminimizer_iterate(m))
			break;
		double size = gsl_multimin_fminimizer_size(m);
		done = fit_stop_converged(&stop, size,
					  gsl_multimin_fminimizer_minimum(m));
		/* stuck: no better point for FLAT_ITERS iterations at a size
		 * the flat rule does not accept. Seen with an unknown whose
		 * best value lies below its bound: its coordinate ran far
		 * past the logistic's saturation (-27), where a move changes
		 * nothing, and the simplex cycled there at a size of 0.19
		 * for good (tests/fit_bound.sh). Start again from its best
		 * point with a simplex a quarter its size, which the flat
		 * rule then accepts, or the next restart shrinks again */
		if (!done && stop.still >= FLAT_ITERS &&
		    restarts < MAX_RESTARTS && it < p->max_iter &&
		    isfinite(size)) {
			gsl_vector_memcpy(y, gsl_multimin_fminimizer_x(m));
			/* nmsimplex2's size is the corners' RMS distance from
			 * their centre: s n / (n + 1) for a step s along each
			 * of n axes */
			gsl_vector_set_all(step, size / 4 * (double)(nu + 1) /
						     (double)nu);
			if (gsl_multimin_fminimizer_set(m, &fn, y, step))
				break;
			stop = (struct fit_stop){0};
			restarts++;
		}
	}
	rs->size[k] = done ? 0 : gsl_multimin_fminimizer_size(m);
	rs->iters[k] = it;
	for (size_t j = 0; j < nu; j++)
		rs->out[k * nu + j] =
		    to_x(&p->u->v[j], gsl_vector_get(m->x, j));
cleanup:
	pthread_mutex_lock(&rs->e->lock);
	rs->e->done += !rs->all;
	if (p->progress && !rs->all) {
		fprintf(stderr, "\r\033[Kfit: %zu/%d refits, %ld evaluations",
			rs->e->done, p->reps, rs->e->evals);
		if (rs->e->done == (size_t)p->reps)
			fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	pthread_mutex_unlock(&rs->e->lock);
	if (m)
		gsl_multimin_fminimizer_free(m);
	if (y)
		gsl_vector_free(y);
	if (step)
		gsl_vector_free(step);
	free(rf.f);
	free(rf.r);
	free(rf.x);
	return 0;
}

/* ------------------------------------------------------------- start -- */

/* Scales the duration unknowns of x by the operational laws (see the top
 * of the file) when that improves the objective at replication 0. */
static int start_point(struct engine *e, double *x, double *f, double *r)
{
	struct fit_problem *p = e->p;
	size_t n = p->pts->n, nu = p->u->n;
	double *x2 = calloc(nu, sizeof(double));
	int rc = -1;
	if (!x2)
		return -1;
	if (evaluate(e, x, 0, 1, p->jobs, f))
		goto cleanup;
	double before = objective(p, f, r), num = 0, den = 0, k = NAN;
	size_t cnt = 0;
	/* the utilization law: D = U / X, measured against simulated */
	for (size_t i = 0; i < n; i++) {
		const struct fit_point *pt = &p->pts->v[i];
		double xm = isfinite(pt->v[FIT_THROUGHPUT])
				? pt->v[FIT_THROUGHPUT]
				: pt->offered;
		double us = f[i * FIT_NCOLS + FIT_UTIL],
		       xs = f[i * FIT_NCOLS + FIT_THROUGHPUT];
		if (!isfinite(pt->v[FIT_UTIL]) || !(xm > 0) || !(us > 0) ||
		    !(xs > 0))
			continue;
		num += pt->v[FIT_UTIL] / xm;
		den += us / xs;
		cnt++;
	}
	if (cnt && den > 0)
		k = num / den;
	else {
		/* the lightest unsaturated load: latency ~ demand */
		size_t best = n;
		for (size_t i = 0; i < n; i++) {
			const struct fit_point *pt = &p->pts->v[i];
			if (!pt->saturated &&
			    (isfinite(pt->v[FIT_LAT_MEAN]) ||
			     isfinite(pt->v[FIT_P50])) &&
			    (best == n ||
			     pt->offered < p->pts->v[best].offered))
				best = i;
		}
		if (best < n) {
			int c = isfinite(p->pts->v[best].v[FIT_LAT_MEAN])
				    ? FIT_LAT_MEAN
				    : FIT_P50;
			double s = f[best * FIT_NCOLS + (size_t)c];
			if (s > 0)
				k = p->pts->v[best].v[c] / s;
		}
	}
	bool any = false;
	for (size_t j = 0; j < nu; j++) {
		const struct fit_unknown *u = &p->u->v[j];
		x2[j] = x[j];
		/* what CPU per request is proportional to */
		bool cpu = u->kind == FIT_DURATION ||
			   !strcmp(fit__last_key(u->path), "cpu_scale");
		if (cpu && isfinite(k) && k > 0) {
			x2[j] = x[j] * k;
			if (u->bounded)
				x2[j] = fmin(fmax(x2[j], u->lo), u->hi);
			any = true;
		}
	}
	rc = 0;
	/* kept when it runs and does better (a candidate that does not run
	 * leaves x as it was) */
	if (any && !evaluate(e, x2, 0, 1, p->jobs, f) &&
	    objective(p, f, r) < before) {
		before = objective(p, f, r);
		memcpy(x, x2, nu * sizeof(double));
	}
	/* Little's law for a pool: N busy servers finish X = N / R requests
	 * per second, so the saturated throughput times the latency at the
	 * lightest load is a pool size to start a whole number from */
	double xsat = 0, rmin = INFINITY;
	for (size_t i = 0; i < n; i++) {
		const struct fit_point *pt = &p->pts->v[i];
		if (pt->saturated)
			xsat = fmax(xsat, pt->v[FIT_THROUGHPUT]);
		else if (isfinite(pt->v[FIT_LAT_MEAN]))
			rmin = fmin(rmin, pt->v[FIT_LAT_MEAN]);
	}
	any = false;
	for (size_t j = 0; j < nu; j++) {
		const struct fit_unknown *u = &p->u->v[j];
		x2[j] = x[j];
		if (u->kind == FIT_INT && xsat > 0 && isfinite(rmin)) {
			x2[j] = fmax(rint(xsat * rmin), 1);
			if (u->bounded)
				x2[j] = fmin(fmax(x2[j], u->lo), u->hi);
			any |= x2[j] != x[j];
		}
	}
	if (any && !evaluate(e, x2, 0, 1, p->jobs, f) &&
	    objective(p, f, r) < before)
		memcpy(x, x2, nu * sizeof(double));
cleanup:
	free(x2);
	return rc;
}

/* ------------------------------------------------------------ result -- */

/* Inverts the symmetric positive definite a (n x n) in place. Returns 0
 * or -1 when it is singular (an unknown the data do not determine). */
static int invert(double *a, size_t n)
{
	gsl_matrix_view m = gsl_matrix_view_array(a, n, n);
	gsl_error_handler_t *old = gsl_set_error_handler_off();
	int rc = gsl_linalg_cholesky_decomp1(&m.matrix);
	if (!rc)
		rc = gsl_linalg_cholesky_invert(&m.matrix);
	gsl_set_error_handler(old);
	return rc ? -1 : 0;
}

int fit_run(struct fit_problem *p, struct fit_result *r)
{
	struct engine e = {.p = p};
	size_t n = p->pts->n, nu = p->u->n, m = 0;
	double *x = calloc(nu, sizeof(double)), *f = NULL, *res = NULL;
	double *jac = NULL, *jtj = NULL, *rp = NULL, *rm = NULL, *xs = NULL;
	size_t *idx = NULL;
	struct refits rs = {0};
	int rc = SIM_ENOMEM;

	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&e.lock, NULL);
	m = 0;
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < FIT_NCOLS; c++)
			m += used(&p->pts->v[i], c);
	f = calloc(n * FIT_NCOLS, sizeof(double));
	res = calloc(m + 1, sizeof(double));
	r->sim = calloc(n * FIT_NCOLS, sizeof(double));
	r->used = calloc(n * FIT_NCOLS, sizeof(bool));
	r->refits = calloc((size_t)p->reps * nu, sizeof(double));
	rs.size = calloc((size_t)p->reps, sizeof(double));
	rs.iters = calloc((size_t)p->reps, sizeof(int));
	if (!x || !f || !res || !r->sim || !r->used || !r->refits || !rs.size ||
	    !rs.iters)
		goto cleanup;
	r->ncells = m;
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < FIT_NCOLS; c++)
			r->used[i * FIT_NCOLS + (size_t)c] =
			    used(&p->pts->v[i], c);

	/* the start */
	for (size_t j = 0; j < nu; j++)
		x[j] = initial(&p->u->v[j]);
	if (start_point(&e, x, f, res)) {
		snprintf(r->why, sizeof(r->why),
			 "the simulation cannot run at the start point: %s",
			 e.why ? e.why : "out of memory");
		rc = SIM_ESCENARIO;
		goto cleanup;
	}
	for (size_t j = 0; j < nu; j++)
		p->u->v[j].start = x[j];

	/* the estimate: one search on every replication at once */
	double sa_size = 0;
	int sa_iters = 0;
	struct refits sa = {.e = &e,
			    .start = x,
			    .out =
				x, /* read at its start, written at its end */
			    .size = &sa_size,
			    .iters = &sa_iters,
			    .jobs = p->jobs,
			    .ncells = m,
			    .all = p->reps};
	if (p->progress) {
		fprintf(stderr, "\rfit: the search on all %d replications",
			p->reps);
		fflush(stderr);
	}
	refit_one(&sa, 0);
	if (e.oom)
		goto cleanup; /* rc SIM_ENOMEM */

	/* the refits, each on one replication from a step off it */
	rs.e = &e;
	rs.start = x;
	rs.off = true;
	rs.out = r->refits;
	rs.ncells = m;
	/* refits side by side, the cores left over shared by their points */
	int outer = p->reps < p->jobs ? p->reps : p->jobs;
	rs.jobs = p->jobs / (outer > 0 ? outer : 1);
	if (rs.jobs < 1)
		rs.jobs = 1;
	sim_parallel((size_t)p->reps, outer, refit_one, &rs);
	if (e.oom)
		goto cleanup;
	/* the estimate must have converged; a refit stopped by --max-iter
	 * (one that wandered along a flat trade, or to a bound) gives its
	 * best point to the spread */
	r->converged = !(sa_size > 0);
	if (!r->converged)
		snprintf(r->why, sizeof(r->why),
			 "the search on all %d replications did not converge: "
			 "after %d iterations the simplex still spans %.3g "
			 "(in log units; converged means below %g): raise "
			 "--max-iter, give tighter bounds, or measure more "
			 "figures",
			 p->reps, sa_iters, sa_size, SIZE_TOL);
	for (int k = 0; k < p->reps; k++)
		r->unsettled += rs.size[k] > 0;

	/* the estimate, and the refits' deviations from it (not from their
	 * own mean: where they end apart from it counts too) */
	double tr = gsl_cdf_tdist_Pinv(0.975, p->reps);
	for (size_t j = 0; j < nu; j++) {
		struct fit_unknown *u = &p->u->v[j];
		double ss = 0;
		for (int k = 0; k < p->reps; k++) {
			double d = r->refits[(size_t)k * nu + j] - x[j];
			ss += d * d;
		}
		u->value = u->kind == FIT_INT ? rint(x[j]) : x[j];
		u->ci95_sim = tr * sqrt(ss / p->reps / p->reps);
		x[j] = u->value;
	}
	if (evaluate(&e, x, 0, p->reps, p->jobs, r->sim)) {
		snprintf(r->why, sizeof(r->why),
			 "the simulation cannot run at the estimate: %s",
			 e.why ? e.why : "out of memory");
		rc = SIM_ESCENARIO;
		goto cleanup;
	}
	double rss = objective(p, r->sim, res) * (double)m;
	r->rms = sqrt(rss / (double)m);

	/* the residuals' part: sigma^2 (J'J)^-1 over the continuous ones */
	size_t q = 0;
	if (!(idx = calloc(nu, sizeof(size_t))))
		goto cleanup;
	for (size_t j = 0; j < nu; j++)
		if (p->u->v[j].kind != FIT_INT)
			idx[q++] = j;
	jac = calloc(m * (q + 1), sizeof(double));
	jtj = calloc((q + 1) * (q + 1), sizeof(double));
	rp = calloc(m + 1, sizeof(double));
	rm = calloc(m + 1, sizeof(double));
	xs = calloc(nu, sizeof(double));
	if (!jac || !jtj || !rp || !rm || !xs)
		goto cleanup;
	bool jac_ok = m > nu;
	for (size_t a = 0; a < q && jac_ok; a++) {
		const struct fit_unknown *u = &p->u->v[idx[a]];
		double h[2];
		for (int sgn = 0; sgn < 2 && jac_ok; sgn++) {
			memcpy(xs, x, nu * sizeof(double));
			double d = sgn ? -JAC_STEP : JAC_STEP;
			if (logscale(u))
				xs[idx[a]] = x[idx[a]] * exp(d);
			else
				xs[idx[a]] = x[idx[a]] + d * (u->hi - u->lo);
			if (u->bounded)
				xs[idx[a]] =
				    fmin(fmax(xs[idx[a]], u->lo), u->hi);
			h[sgn] = logscale(u) ? log(xs[idx[a]]) : xs[idx[a]];
			if (evaluate(&e, xs, 0, p->reps, p->jobs, f))
				jac_ok = false;
			else
				objective(p, f, sgn ? rm : rp);
		}
		double dh = h[0] - h[1];
		if (!(dh != 0))
			jac_ok = false;
		for (size_t k = 0; jac_ok && k < m; k++)
			jac[k * q + a] = (rp[k] - rm[k]) / dh;
	}
	double sigma2 = m > nu ? rss / (double)(m - nu) : NAN;
	double tf = m > nu ? gsl_cdf_tdist_Pinv(0.975, (double)(m - nu)) : NAN;
	for (size_t a = 0; a < q; a++)
		for (size_t b = 0; b < q; b++) {
			double s = 0;
			for (size_t k = 0; k < m; k++)
				s += jac[k * q + a] * jac[k * q + b];
			jtj[a * q + b] = s;
		}
	bool inv = jac_ok && q && !invert(jtj, q);
	for (size_t a = 0; a < q; a++) {
		struct fit_unknown *u = &p->u->v[idx[a]];
		double se = inv ? sqrt(sigma2 * jtj[a * q + a]) : INFINITY;
		if (logscale(u))
			se *= u->value;
		u->ci95_fit = tf * se;
	}
	for (size_t j = 0; j < nu; j++) {
		struct fit_unknown *u = &p->u->v[j];
		double a = u->ci95_sim,
		       b = u->kind == FIT_INT ? 0 : u->ci95_fit;
		u->ci95 = sqrt(a * a + b * b);
		fit_format(u->text, sizeof(u->text), u->kind, u->unit, u->value,
			   u->ci95);
	}
	r->evaluations = e.evals;
	rc = 0;
cleanup:
	if (rc == SIM_ENOMEM)
		snprintf(r->why, sizeof(r->why), "out of memory");
	free(e.why);
	pthread_mutex_destroy(&e.lock);
	free(x);
	free(f);
	free(res);
	free(jac);
	free(jtj);
	free(rp);
	free(rm);
	free(xs);
	free(idx);
	free(rs.size);
	free(rs.iters);
	return rc;
}

void fit_result_release(struct fit_result *r)
{
	free(r->sim);
	free(r->used);
	free(r->refits);
	memset(r, 0, sizeof(*r));
}
