/*
 * output.c - what the result writers share: the column name of a model's
 * figure, the set of columns over many summaries and class names.
 *
 * Writers see summaries and named metrics only; which model produced a
 * figure is just a string to them. A metric's group decides where it goes:
 * "" at the system's top level, "a.b" nested as {"a": {"b": {...}}} in
 * JSON and flattened as a_b_key in CSV.
 */
#include "output/output.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/error.h"
#include "kernel/grow.h"

/* ---------------------------------------------------------- columns -- */

void sim__flat_name(char *buf, size_t len, const struct sim_metric *m)
{
	/* GROUP_KEY (KEY without a group), '.' as '_', cut at len - 1 as
	 * snprintf would: by hand, as it runs for every metric of every
	 * sweep row */
	const char *part[3] = {m->group, m->group[0] ? "_" : "", m->key};
	size_t n = 0;
	if (!len)
		return;
	for (int i = 0; i < 3; i++)
		for (const char *p = part[i]; *p && n + 1 < len; p++)
			buf[n++] = *p == '.' ? '_' : *p;
	buf[n] = '\0';
}

void sim__class_col(char *buf, size_t len, const char *cname,
		    const char *suffix)
{
	const char *part[4] = {"class_", cname, "_", suffix};
	size_t n = 0;
	if (!len)
		return;
	for (int i = 0; i < 4; i++)
		for (const char *p = part[i]; *p && n + 1 < len; p++)
			buf[n++] = *p;
	buf[n] = '\0';
}

static bool same_metric(const struct sim_metric *a, const struct sim_metric *b)
{
	return !strcmp(a->group, b->group) && !strcmp(a->key, b->key);
}

int sim__colset_add(struct sim__colset *c, const struct sim_metrics *m)
{
	for (size_t i = 0; i < m->n; i++) {
		size_t j = 0;
		while (j < c->n && !same_metric(c->v[j], &m->v[i]))
			j++;
		if (j < c->n)
			continue;
		const struct sim_metric **v =
		    sim_grow(c->v, &c->cap, c->n, sizeof(*v), 16);
		if (!v)
			return SIM_ENOMEM;
		c->v = v;
		c->v[c->n++] = &m->v[i];
	}
	return 0;
}

double sim__metric_value(const struct sim_metrics *m,
			 const struct sim_metric *col)
{
	for (size_t i = 0; i < m->n; i++)
		if (same_metric(&m->v[i], col))
			return m->v[i].value;
	return NAN;
}

const char *sim__class_name(const struct sim_class_summary *c, size_t i,
			    char *buf, size_t len)
{
	if (c->name)
		return c->name;
	snprintf(buf, len, "class%zu", i);
	return buf;
}

int sim__class_names(const struct sim_summary *sys, size_t n,
		     struct sim__names *out, char (*fallback)[32],
		     size_t nfallback)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += sys[i].nclasses;
	out->n = 0;
	out->v = calloc(total ? total : 1, sizeof(*out->v));
	if (!out->v)
		return SIM_ENOMEM;
	for (size_t i = 0; i < n; i++)
		for (size_t c = 0; c < sys[i].nclasses; c++) {
			const char *name = sys[i].classes[c].name;
			if (!name) {
				if (c >= nfallback)
					continue;
				snprintf(fallback[c], 32, "class%zu", c);
				name = fallback[c];
			}
			size_t j = 0;
			while (j < out->n && strcmp(out->v[j], name))
				j++;
			if (j == out->n)
				out->v[out->n++] = name;
		}
	return 0;
}
