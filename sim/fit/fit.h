/*
 * fit.h - the engine of `concsim fit`: finds the values a scenario writes
 * as `fit`, and estimates them so that the simulated figures match
 * measured points (measured.h).
 *
 * Unknowns are found in the YAML tree, before the loader: a scalar `fit`,
 * or a map `{ fit: [LOW, HIGH] }`. Each is given a kind (duration, rate,
 * size, number, whole number) by loading the scenario with probe values at
 * its path (the `--set` mechanism: a problem the loader reports at the
 * probe is a kind that does not fit), so the loader stays the one place
 * that knows what each key takes. Candidate values are substituted the
 * same way, and the fitted ones are written back into the text at the
 * placeholders' positions.
 *
 * The method (fit.c has the details): a start from the operational laws,
 * then a Nelder-Mead simplex on common random numbers in a space where the
 * bounds cannot be crossed, on every replication at once: the estimate.
 * Refitted once per replication from a step off it, the refits' spread
 * and the residuals' (the Jacobian of the residuals at the estimate) make
 * its uncertainty.
 */
#ifndef SIM_FIT_H
#define SIM_FIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "fit/measured.h"
#include "scenario/scenario.h"

enum fit_kind { FIT_DURATION, FIT_RATE, FIT_SIZE, FIT_NUMBER, FIT_INT };

/* One value written `fit` in the scenario. */
struct fit_unknown {
	char *path;	      /* dotted path, as --set takes it */
	struct sim_mark mark; /* where the placeholder starts */
	size_t off, end;      /* its bytes in the scenario text */
	enum fit_kind kind;
	bool bounded;  /* { fit: [LOW, HIGH] } */
	double lo, hi; /* SI units (seconds, per second, bytes) */
	char unit[8];  /* the unit LOW was written in ("" if none) */
	/* results */
	double start;		   /* after the operational laws */
	double value;		   /* the estimate */
	double ci95;		   /* its 95 % half-width */
	double ci95_sim, ci95_fit; /* the two parts of it (see fit.c) */
	char text[64];		   /* the estimate as fit_substitute writes
				      it, with its unit */
};

struct fit_unknowns {
	struct fit_unknown *v;
	size_t n, cap;
};

/* Finds every `fit` in the scenario text and gives each its kind. `ov`
 * are the user's --set overrides (applied too). Returns 0 (out->n may be
 * 0); SIM_ESCENARIO after printing the problems to `err` as
 * FILE:LINE:COLUMN (a `fit` on a key that takes no number, bad bounds);
 * SIM_ENOMEM. */
int fit_find_unknowns(const char *file, const char *text, size_t len,
		      const struct sim_override *ov, size_t nov, FILE *err,
		      struct fit_unknowns *out);
/* Frees the list and every path in it; *u is empty afterwards. */
void fit_unknowns_release(struct fit_unknowns *u);

/* A fitting problem: the scenario, its unknowns and the points. */
struct fit_problem {
	const char *file;
	const char *text;
	size_t len;
	const struct sim_override *ov; /* the user's --set */
	size_t nov;
	struct fit_unknowns *u;
	struct fit_points *pts; /* points of other systems are dropped */
	size_t *sys;		/* per point: its system's index */
	int *cores;		/* per point: its system's cores */
	char **names;		/* per point: its system's name */
	int reps;		/* refits, one per replication */
	int jobs;		/* parallel simulations */
	int max_iter;		/* simplex iterations per refit */
	bool progress;		/* show progress on stderr */
	char **inputs;		/* the files the scenario reads (a trace,
				   samples), set by fit_problem_init */
	size_t ninputs;
};

struct fit_result {
	double *sim;	  /* pts->n * FIT_NCOLS: simulated at the estimate
			     (mean over the replications); NaN unused */
	bool *used;	  /* pts->n * FIT_NCOLS: the cell was fitted */
	double rms;	  /* RMS relative error over the fitted cells */
	size_t ncells;	  /* fitted cells */
	double *refits;	  /* reps * u->n: each refit's values */
	long evaluations; /* objective evaluations, all refits */
	bool converged;	  /* the search on every replication (the estimate) */
	int unsettled;	  /* refits stopped by --max-iter: their best points
			     count in the spread, a value the points pin
			     loosely (a bound, a flat trade) */
	char why[512];	  /* when not converged, or a failure */
};

/* Prepares p (after the caller filled file..pts, reps, jobs): matches
 * points to systems (the `system` column, `system` when given, or the
 * only system) and checks the points can be fitted. Returns 0;
 * SIM_EINVAL after printing one message (exit 2 material); SIM_ESCENARIO
 * (loader messages printed); SIM_ENOMEM. */
int fit_problem_init(struct fit_problem *p, const char *system, FILE *err);
/* Frees what fit_problem_init allocated (not the caller's fields). */
void fit_problem_release(struct fit_problem *p);

/* Fits: fills every unknown's results and *r. Returns 0 (r->converged
 * says whether the search that gives the estimate converged); SIM_ELIMIT or
 * SIM_ESCENARIO when a simulation could not run at all (r->why); SIM_ENOMEM. */
int fit_run(struct fit_problem *p, struct fit_result *r);
/* fit_run's stopping rule for one Nelder-Mead search, given after each
 * iteration the simplex's size (log units) and its best value so far:
 * true once the size is below 0.003, or once it is below 0.01 and the
 * best value has not improved for 200 iterations (common random numbers
 * make the objective piecewise constant: below some scale no event moves,
 * and the simplex can cycle there without shrinking). Start from {0}. */
struct fit_stop {
	double best;
	int still, seen;
};
bool fit_stop_converged(struct fit_stop *st, double size, double best);
/* Frees the arrays of *r; *r is empty afterwards. */
void fit_result_release(struct fit_result *r);

/* Formats x of kind k for the scenario file: in `unit` when given, else
 * in a unit that suits its size, with enough digits for a value known to
 * +- hw (hw 0: 6 digits). */
void fit_format(char *buf, size_t len, enum fit_kind k, const char *unit,
		double x, double hw);

/* The scenario text with every placeholder replaced by its fitted value
 * (*out malloc'd, NUL-terminated) and `header` (comment lines) put
 * before it. Returns 0 or SIM_ENOMEM. */
int fit_substitute(const char *text, size_t len, const struct fit_unknowns *u,
		   const char *header, char **out, size_t *outlen);

#endif
