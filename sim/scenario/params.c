/*
 * params.c - the one engine for tables of `struct sim_param`: it applies
 * defaults, reads a YAML map through one or more tables (types, units,
 * ranges, required and unknown keys), releases what it allocated, writes the
 * values back as YAML and describes them for `concsim check`.
 */
#include "scenario/params.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/model.h"
#include "scenario/units.h"

/* ------------------------------------------------------- the types -- */

/* How a value of each type is kept in a config struct. */
enum store {
	ST_INT,
	ST_DOUBLE,
	ST_BOOL,
	ST_STRING,
	ST_DIST,
	ST_SYSTEM,
	ST_DOUBLES
};

/* What the engine knows of each type, in one place: how its value is
 * kept, what a message says is expected, and how `check` shows a number. */
static const struct ptype {
	enum store store;
	size_t size;
	const char *expect; /* NULL: the unit's ("expected a duration ...") */
	const char *show;   /* printf format of a number, for `check` */
} ptypes[] = {
    [SIM_PT_INT] = {ST_INT, sizeof(int), "expected a whole number", "%d"},
    [SIM_PT_DOUBLE] = {ST_DOUBLE, sizeof(double), "expected a number", "%g"},
    [SIM_PT_DURATION] = {ST_DOUBLE, sizeof(double), NULL, "%gs"},
    [SIM_PT_RATE] = {ST_DOUBLE, sizeof(double), NULL, "%g/s"},
    [SIM_PT_SIZE] = {ST_DOUBLE, sizeof(double), NULL, "%.0fB"},
    [SIM_PT_BOOL] = {ST_BOOL, sizeof(bool), "expected true or false", NULL},
    [SIM_PT_ENUM] = {ST_INT, sizeof(int), "expected one of the listed words",
		     NULL},
    [SIM_PT_STRING] = {ST_STRING, sizeof(char *), "expected a string", NULL},
    [SIM_PT_DIST] = {ST_DIST, sizeof(struct sim_dist),
		     "expected a distribution (a duration such as 5ms, or a "
		     "map such as {dist: exponential, mean: 5ms})",
		     NULL},
    [SIM_PT_SYSTEM] = {ST_SYSTEM, sizeof(struct sim_system *),
		       "expected a system (a map with 'model')", NULL},
    [SIM_PT_DOUBLES] = {ST_DOUBLES, sizeof(struct sim_doubles),
			"expected a list of numbers", NULL},
};

/* The reader and writer of each nested type (sim__param_nested). */
static const struct sim__nested *nested[SIM_PT_DOUBLES + 1];

void sim__param_nested(enum sim_ptype t, const struct sim__nested *n)
{
	assert(ptypes[t].store == ST_DIST || ptypes[t].store == ST_SYSTEM);
	nested[t] = n;
}

/* The nested type t's reader and writer, handed over by the loader. */
static const struct sim__nested *nested_of(enum sim_ptype t)
{
	assert(nested[t]);
	return nested[t];
}

/* Stores the number v in p's field as its type keeps numbers (an enum
 * index, a bool); values of other types are left alone. */
static void store_number(const struct sim_param *p, void *base, double v)
{
	char *dst = (char *)base + p->offset;
	switch (ptypes[p->type].store) {
	case ST_INT:
		*(int *)dst = (int)v;
		break;
	case ST_DOUBLE:
		*(double *)dst = v;
		break;
	case ST_BOOL:
		*(bool *)dst = v != 0;
		break;
	default:
		break;
	}
}

/* ------------------------------------------------- scalar readers -- */

bool sim__is_scalar(const struct sim_ynode *n)
{
	return n && n->kind == SIM_Y_SCALAR && !sim_ynode_is_null(n);
}

const char *sim__expect_of(enum sim_ptype t)
{
	return ptypes[t].expect ? ptypes[t].expect : sim__unit_expect(t);
}

/* Reads a number (plain number or number with a unit per t). */
bool sim__read_number(struct sim_load *l, const char *key, enum sim_ptype t,
		      const struct sim_ynode *v, double *x)
{
	bool k = sim__has_unit(t);
	const char *why = sim__expect_of(t), *rest = NULL;
	if (!sim__is_scalar(v) || (!k && !v->plain)) {
		sim__error(l, v->mark, "'%s': %s, got %s%s", key, why,
			   sim__is_scalar(v) ? "the string " : "",
			   sim__got(v).s);
		return false;
	}
	if (k) {
		if (!sim__parse_typed(v->text, t, x, &why))
			return true;
	} else {
		switch (sim__parse_number(v->text, x, &rest)) {
		case SIM__NUM_OK:
			if (*rest)
				break;
			if (t == SIM_PT_INT && *x != floor(*x))
				break;
			return true;
		case SIM__NUM_NONFINITE:
			why = "expected a finite number";
			break;
		case SIM__NUM_RANGE:
			why = "number out of range";
			break;
		}
	}
	sim__error(l, v->mark, "'%s': %s, got %s", key, why, sim__got(v).s);
	return false;
}

/* min <= x <= max (inclusive; both 0 means unbounded), > min with
 * SIM_P_POSITIVE. */
bool sim__check_range(struct sim_load *l, const char *key, enum sim_ptype t,
		      double min, double max, unsigned flags,
		      const struct sim_ynode *v, double x)
{
	char a[64], b[64];
	if (t == SIM_PT_INT) {
		min = min < INT_MIN ? INT_MIN : min;
		max = max > INT_MAX || (min == 0 && max == 0) ? INT_MAX : max;
	}
	if ((flags & SIM_P_POSITIVE) && x <= min) {
		sim__fmt_typed(a, sizeof(a), t, min, true);
		sim__error(l, v->mark, "'%s': must be greater than %s, got %s",
			   key, a, sim__got(v).s);
		return false;
	}
	if ((min == 0 && max == 0) || (x >= min && x <= max))
		return true;
	sim__fmt_typed(a, sizeof(a), t, min, true);
	sim__fmt_typed(b, sizeof(b), t, max, true);
	if (max >= 1e300)
		sim__error(l, v->mark, "'%s': must be at least %s, got %s", key,
			   a, sim__got(v).s);
	else if (min <= -1e300)
		sim__error(l, v->mark, "'%s': must be at most %s, got %s", key,
			   b, sim__got(v).s);
	else
		sim__error(l, v->mark,
			   "'%s': must be between %s and %s, got %s", key, a, b,
			   sim__got(v).s);
	return false;
}

static const char *const arrival_aliases[][2] = {{"on-off", "mmpp"}};

/* Index of v's text in a NULL-terminated sim__word list, or -1 (with error). */
int sim__read_choice(struct sim_load *l, const char *key,
		     const char *const *choices, const struct sim_ynode *v)
{
	const char *best = NULL, *text = sim__is_scalar(v) ? v->text : "";
	size_t bestd = SIZE_MAX, len = 0;
	char list[256] = "", hint[96];
	for (size_t i = 0; sim__is_scalar(v) && i < NELEM(arrival_aliases); i++)
		if (!strcmp(text, arrival_aliases[i][0]))
			text = arrival_aliases[i][1];
	for (int i = 0; sim__is_scalar(v) && choices[i]; i++)
		if (!strcmp(text, choices[i]))
			return i;
	for (int i = 0; choices[i]; i++) {
		if (len < sizeof(list))
			len +=
			    (size_t)snprintf(list + len, sizeof(list) - len,
					     "%s%s", i ? ", " : "", choices[i]);
		sim__consider(text, choices[i], &best, &bestd);
	}
	sim__error(l, v->mark, "'%s': expected one of %s, got %s%s", key, list,
		   sim__got(v).s, sim__suggest(hint, sizeof(hint), best));
	return -1;
}

bool sim__read_bool(struct sim_load *l, const char *key,
		    const struct sim_ynode *v, bool *out)
{
	static const char *const t[] = {"true", "True", "TRUE"};
	static const char *const f[] = {"false", "False", "FALSE"};
	for (size_t i = 0; sim__is_scalar(v) && v->plain && i < 3; i++) {
		if (!strcmp(v->text, t[i]) || !strcmp(v->text, f[i])) {
			*out = !strcmp(v->text, t[i]);
			return true;
		}
	}
	sim__error(l, v->mark, "'%s': expected true or false, got %s", key,
		   sim__got(v).s);
	return false;
}

char *sim__read_string(struct sim_load *l, const char *key,
		       const struct sim_ynode *v)
{
	if (!v || v->kind != SIM_Y_SCALAR ||
	    (v->plain && sim_ynode_is_null(v))) {
		sim__error(l, v->mark, "'%s': expected a string, got %s", key,
			   sim__got(v).s);
		return NULL;
	}
	char *s = strdup(v->text);
	return s ? s : sim__nomem(l);
}

bool sim__expect_kind(struct sim_load *l, const char *key,
		      const struct sim_ynode *v, enum sim_ykind kind)
{
	if (v && v->kind == kind)
		return true;
	sim__error(l, v->mark, "'%s': expected a %s, got %s", key,
		   kind == SIM_Y_MAP ? "map" : "list", sim__got(v).s);
	return false;
}

/* ------------------------------------------------------ table reader -- */

/* The value of p before the map is read: its default, or nothing. */
static void set_default(const struct sim_param *p, void *base)
{
	memset((char *)base + p->offset, 0, ptypes[p->type].size);
	store_number(p, base, p->def);
}

/* Reads v as the value of p into base. */
void sim__read_value(struct sim_load *l, const struct sim_param *p,
		     const struct sim_ynode *v, void *base,
		     const struct vctx *vc)
{
	char *dst = (char *)base + p->offset;
	double x;
	int i;
	switch (p->type) {
	case SIM_PT_INT:
	case SIM_PT_DOUBLE:
	case SIM_PT_DURATION:
	case SIM_PT_RATE:
	case SIM_PT_SIZE:
		if (!sim__read_number(l, p->key, p->type, v, &x) ||
		    !sim__check_range(l, p->key, p->type, p->min, p->max,
				      p->flags, v, x))
			return;
		store_number(p, base, x);
		return;
	case SIM_PT_BOOL:
		sim__read_bool(l, p->key, v, (bool *)dst);
		return;
	case SIM_PT_ENUM:
		if ((i = sim__read_choice(l, p->key, p->choices, v)) >= 0)
			store_number(p, base, i);
		return;
	case SIM_PT_STRING:
		*(char **)dst = sim__read_string(l, p->key, v);
		return;
	case SIM_PT_DIST:
	case SIM_PT_SYSTEM:
		nested_of(p->type)->read(l, p, v, dst, vc);
		return;
	case SIM_PT_DOUBLES: {
		struct sim_doubles *d = (struct sim_doubles *)dst;
		if (!sim__expect_kind(l, p->key, v, SIM_Y_SEQ))
			return;
		if (v->n && !(d->v = calloc(v->n, sizeof(double)))) {
			sim__nomem(l);
			return;
		}
		for (size_t j = 0; j < v->n && !sim__give_up(l); j++)
			if (sim__read_number(l, p->key, SIM_PT_DOUBLE,
					     v->vals[j], &x) &&
			    sim__check_range(l, p->key, SIM_PT_DOUBLE, p->min,
					     p->max, p->flags, v->vals[j], x))
				d->v[d->n++] = x;
		return;
	}
	}
}

/* Reads the keys of `map` (may be NULL: defaults only) through the tables
 * of `sec`; keys in `extra` are left to the caller; anything else is an
 * unknown key, reported with the closest valid one. `where` completes
 * messages ("in system 'node'"). */
void sim__read_table(struct sim_load *l, const struct sim_ynode *map,
		     struct section *sec, size_t nsec, const char *const *extra,
		     const char *where, const struct vctx *vc)
{
	for (size_t s = 0; s < nsec; s++)
		for (size_t i = 0; i < sec[s].np; i++)
			set_default(&sec[s].p[i], sec[s].base);
	for (size_t k = 0; map && k < map->n && !sim__give_up(l); k++) {
		const struct sim_ynode *key = map->keys[k];
		const char *best = NULL;
		size_t bestd = SIZE_MAX;
		bool found = false;
		for (size_t s = 0; s < nsec && !found; s++)
			for (size_t i = 0; i < sec[s].np && !found; i++) {
				const struct sim_param *p = &sec[s].p[i];
				if (strcmp(key->text, p->key))
					continue;
				found = true;
				if (sec[s].given)
					sec[s].given[i] = true;
				sim__read_value(l, p, map->vals[k], sec[s].base,
						vc);
			}
		for (size_t i = 0; extra && extra[i] && !found; i++)
			found = !strcmp(key->text, extra[i]);
		if (!found) {
			/* suggestions only for an unknown key: edit distances
			 * to every name cost more than reading a good file (a
			 * sweep loads the scenario once per point) */
			for (size_t s = 0; s < nsec; s++)
				for (size_t i = 0; i < sec[s].np; i++)
					sim__consider(key->text,
						      sec[s].p[i].key, &best,
						      &bestd);
			for (size_t i = 0; extra && extra[i]; i++)
				sim__consider(key->text, extra[i], &best,
					      &bestd);
			char hint[96];
			sim__error(l, key->mark, "unknown key '%s' %s%s",
				   sim__word(key->text).s, where,
				   sim__suggest(hint, sizeof(hint), best));
		}
	}
	for (size_t s = 0; s < nsec && map; s++)
		for (size_t i = 0; i < sec[s].np; i++)
			if ((sec[s].p[i].flags & SIM_P_REQUIRED) &&
			    !sim_ymap_get(map, sec[s].p[i].key, NULL))
				sim__error(l, map->mark, "missing key '%s' %s",
					   sec[s].p[i].key, where);
}

/* Frees what a table put into base (strings, lists, nested systems). */
void sim__release_table(const struct sim_param *p, size_t np, void *base)
{
	for (size_t i = 0; base && i < np; i++) {
		char *dst = (char *)base + p[i].offset;
		switch (ptypes[p[i].type].store) {
		case ST_STRING:
			free(*(char **)dst);
			break;
		case ST_DIST:
			sim_dist_release((struct sim_dist *)dst);
			break;
		case ST_SYSTEM:
			nested_of(p[i].type)->release(dst);
			break;
		case ST_DOUBLES:
			free(((struct sim_doubles *)dst)->v);
			break;
		default:
			break;
		}
	}
}

void sim__set_zero(const struct sim_param *p, void *base)
{
	store_number(p, base, 0);
}

/* -------------------------------------------------------- table writer -- */

void sim__put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void sim__put_typed(FILE *f, enum sim_ptype t, double v)
{
	char buf[64];
	sim__fmt_typed(buf, sizeof(buf), t, v, false);
	fputs(buf, f);
}

/* One key of a table, or nothing for values that were never set. */
void sim__put_param(FILE *f, const struct sim_param *p, const void *base,
		    int ind)
{
	const char *src = (const char *)base + p->offset;
	const struct sim_dist *d = (const struct sim_dist *)src;
	const struct sim_doubles *dv = (const struct sim_doubles *)src;
	int i;
	if ((p->type == SIM_PT_STRING || p->type == SIM_PT_SYSTEM) &&
	    !*(void *const *)src)
		return;
	if (p->type == SIM_PT_DIST && d->kind == SIM_DIST_CONSTANT &&
	    !d->mean && !d->cv && !d->nsamples)
		return;
	if ((p->flags & SIM_P_UNLESS_DEFAULT) &&
	    (p->type == SIM_PT_DOUBLE || p->type == SIM_PT_DURATION ||
	     p->type == SIM_PT_RATE || p->type == SIM_PT_SIZE) &&
	    *(const double *)src == p->def)
		return;
	if ((p->flags & SIM_P_UNLESS_DEFAULT) &&
	    (p->type == SIM_PT_INT || p->type == SIM_PT_ENUM) &&
	    *(const int *)src == (int)p->def)
		return;
	fprintf(f, "%*s%s:", ind, "", p->key);
	switch (p->type) {
	case SIM_PT_INT:
		fprintf(f, " %d\n", *(const int *)src);
		return;
	case SIM_PT_ENUM:
		i = *(const int *)src;
		fprintf(f, " %s\n", i >= 0 ? p->choices[i] : "?");
		return;
	case SIM_PT_BOOL:
		fprintf(f, " %s\n", *(const bool *)src ? "true" : "false");
		return;
	case SIM_PT_STRING:
		fputc(' ', f);
		sim__put_string(f, *(char *const *)src);
		fputc('\n', f);
		return;
	case SIM_PT_DIST:
	case SIM_PT_SYSTEM:
		nested_of(p->type)->put(f, src, ind);
		return;
	case SIM_PT_DOUBLES:
		fputs(" [", f);
		for (size_t j = 0; j < dv->n; j++) {
			fputs(j ? ", " : "", f);
			sim__put_typed(f, SIM_PT_DOUBLE, dv->v[j]);
		}
		fputs("]\n", f);
		return;
	default:
		fputc(' ', f);
		sim__put_typed(f, p->type, *(const double *)src);
		fputc('\n', f);
		return;
	}
}

void sim__put_table(FILE *f, const struct sim_param *p, size_t np,
		    const void *base, int ind)
{
	for (size_t i = 0; i < np; i++)
		sim__put_param(f, &p[i], base, ind);
}

void sim_param_describe(FILE *f, const struct sim_param *p, const void *base)
{
	const char *at = (const char *)base + p->offset;
	/* a key with no default to speak of (sim_param_default_text), not
	 * given: its help says what stands for it */
	if ((p->flags & SIM_P_POSITIVE) && p->def <= p->min &&
	    ptypes[p->type].show && ptypes[p->type].store != ST_INT &&
	    *(const double *)at == p->def) {
		fprintf(f, "(not given)");
		return;
	}
	if (ptypes[p->type].show && ptypes[p->type].store == ST_INT) {
		fprintf(f, ptypes[p->type].show, *(const int *)at);
		return;
	}
	if (ptypes[p->type].show) {
		fprintf(f, ptypes[p->type].show, *(const double *)at);
		return;
	}
	switch (p->type) {
	case SIM_PT_BOOL:
		fprintf(f, "%s", *(const bool *)at ? "true" : "false");
		break;
	case SIM_PT_ENUM:
		fprintf(f, "%s", p->choices[*(const int *)at]);
		break;
	case SIM_PT_STRING:
		fprintf(f, "%s", *(char *const *)at ? *(char *const *)at : "");
		break;
	case SIM_PT_DIST: {
		const struct sim_dist *d = (const void *)at;
		fprintf(f, "%s(mean %gs, cv %g)", sim_dist_names[d->kind],
			d->mean, d->cv);
		break;
	}
	case SIM_PT_SYSTEM: {
		const struct sim_system *s = *(struct sim_system *const *)at;
		fprintf(f, "%s", s ? s->model->name : "(none)");
		break;
	}
	case SIM_PT_DOUBLES: {
		const struct sim_doubles *v = (const void *)at;
		fputc('[', f);
		for (size_t i = 0; i < v->n; i++)
			fprintf(f, "%s%g", i ? ", " : "", v->v[i]);
		fputc(']', f);
		break;
	}
	default: /* numbers: above */
		break;
	}
}
