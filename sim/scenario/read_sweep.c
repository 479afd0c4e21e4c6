/*
 * read_sweep.c - reads `sweep:`: each dotted path with a list of values or
 * a range {from, to, step} in the unit of `from`, with the grid bounded
 * before any value is made.
 */
#include "scenario/read_sweep.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/params.h"
#include "scenario/scenario.h"
#include "scenario/units.h"

#define MAX_SWEEP_POINTS 100000 /* per parameter */
#define MAX_SWEEP_PARAMS 32

static int add_value(struct sim_load *l, struct sim_sweep_param *p,
		     const char *s)
{
	if (!(p->values[p->nvalues] = strdup(s)))
		return sim__nomem(l), -1;
	p->nvalues++;
	return 0;
}

/* {from, to, step}: from + i step up to `to`, keeping the unit of `from`. */
/* `before` is the number of points of the parameters before this one:
 * the grid is their product, so a range that would make it larger than
 * any sweep runs is refused before its values are made. */
static void read_range(struct sim_load *l, const struct sim_ynode *v,
		       struct sim_sweep_param *p, double before)
{
	static const char *const keys[] = {"from", "to", "step"};
	const struct sim_ynode *n[3];
	const char *unit = NULL;
	double x[3];
	for (int i = 0; i < 3; i++) {
		const char *rest = "";
		n[i] = sim_ymap_get(v, keys[i], NULL);
		if (!n[i]) {
			sim__error(l, v->mark, "missing key '%s' in sweep '%s'",
				   keys[i], p->path);
			return;
		}
		if (!sim__is_scalar(n[i]) ||
		    sim__parse_number(n[i]->text, &x[i], &rest) !=
			SIM__NUM_OK) {
			sim__error(l, n[i]->mark,
				   "'%s': expected a number (with a unit if "
				   "the key takes one), got %s",
				   keys[i], sim__got(n[i]).s);
			return;
		}
		if (!unit)
			unit = rest;
		else if (strcmp(rest, unit)) {
			sim__error(l, n[i]->mark,
				   "'%s': expected the unit of 'from' ('%s'), "
				   "got %s",
				   keys[i], unit, sim__got(n[i]).s);
			return;
		}
	}
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->keys[i]->text, "from") &&
		    strcmp(v->keys[i]->text, "to") &&
		    strcmp(v->keys[i]->text, "step"))
			sim__error(l, v->keys[i]->mark,
				   "unknown key '%s' in sweep '%s' (expected "
				   "from, to, step)",
				   v->keys[i]->text, p->path);
	if (x[2] <= 0 || x[1] < x[0]) {
		sim__error(l, v->mark,
			   "sweep '%s': expected step > 0 and to >= from",
			   p->path);
		return;
	}
	double count = floor((x[1] - x[0]) / x[2] * (1 + 1e-12) + 1e-9) + 1;
	if (!(count <= MAX_SWEEP_POINTS)) {
		sim__error(l, v->mark,
			   "sweep '%s': %.*g points; at most %d per parameter",
			   p->path, count < 1e15 ? 15 : 3, count,
			   MAX_SWEEP_POINTS);
		return;
	}
	if (!(count * before <= MAX_SWEEP_POINTS)) {
		sim__error(l, v->mark,
			   "sweep '%s': %.*g points, %.3g with the parameters "
			   "before it; at most %d in all",
			   p->path, count < 1e15 ? 15 : 3, count,
			   count * before, MAX_SWEEP_POINTS);
		return;
	}
	if (!(p->values = calloc((size_t)count, sizeof(char *)))) {
		sim__nomem(l);
		return;
	}
	for (size_t i = 0; i < (size_t)count; i++) {
		char buf[96];
		snprintf(buf, sizeof(buf), "%.15g%s", x[0] + (double)i * x[2],
			 unit);
		if (add_value(l, p, buf))
			return;
	}
}

void sim__read_sweep(struct sim_load *l, const struct sim_ynode *v,
		     struct sim_scenario *sc)
{
	if (!sim__expect_kind(l, "sweep", v, SIM_Y_MAP) || !v->n)
		return;
	if (v->n > MAX_SWEEP_PARAMS) {
		sim__error(l, v->mark,
			   "'sweep': %zu parameters; at most %d can be swept "
			   "together",
			   v->n, MAX_SWEEP_PARAMS);
		return;
	}
	if (!(sc->sweep = calloc(v->n, sizeof(*sc->sweep)))) {
		sim__nomem(l);
		return;
	}
	double points = 1;
	for (size_t i = 0; i < v->n && !sim__give_up(l); i++) {
		struct sim_sweep_param *p = &sc->sweep[sc->nsweep++];
		const struct sim_ynode *e = v->vals[i];
		p->mark = v->keys[i]->mark;
		if (!(p->path = strdup(v->keys[i]->text))) {
			sim__nomem(l);
			return;
		}
		if (e && e->kind == SIM_Y_MAP) {
			read_range(l, e, p, points);
			points *= p->nvalues ? (double)p->nvalues : 1;
			continue;
		}
		if (!e || e->kind != SIM_Y_SEQ || !e->n ||
		    e->n > MAX_SWEEP_POINTS) {
			sim__error(l, e->mark,
				   "sweep '%s': expected a list of 1 to %d "
				   "values or {from, to, step}, got %s",
				   p->path, MAX_SWEEP_POINTS,
				   e->kind != SIM_Y_SEQ ? sim__got(e).s
				   : e->n		? "too many"
							: "an empty list");
			continue;
		}
		if (!(p->values = calloc(e->n, sizeof(char *)))) {
			sim__nomem(l);
			return;
		}
		for (size_t j = 0; j < e->n; j++) {
			if (!sim__is_scalar(e->vals[j])) {
				sim__error(l, e->vals[j]->mark,
					   "sweep '%s': expected a single "
					   "value, got %s",
					   p->path, sim__got(e->vals[j]).s);
				break;
			}
			if (add_value(l, p, e->vals[j]->text))
				return;
		}
		points *= p->nvalues ? (double)p->nvalues : 1;
	}
}

void sim_scenario_sweep_release(struct sim_scenario *sc)
{
	for (size_t i = 0; i < sc->nsweep; i++) {
		for (size_t j = 0; j < sc->sweep[i].nvalues; j++)
			free(sc->sweep[i].values[j]);
		free(sc->sweep[i].values);
		free(sc->sweep[i].path);
	}
	free(sc->sweep);
	sc->sweep = NULL;
	sc->nsweep = 0;
}
