/*
 * csv.c - a run's results as a flat CSV: the fixed columns, the union of
 * the models' figures flattened with '_', then per-class columns; one row
 * per system, RFC 4180 quoting, numbers in their shortest exact form.
 */
#include "output/csv.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/error.h"
#include "kernel/grow.h"

void sim_csv_cell(FILE *f, bool *first, const char *s)
{
	if (!*first)
		fputc(',', f);
	*first = false;
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void sim_csv_num(FILE *f, bool *first, double v)
{
	char buf[SIM_NUM_LEN] = "";
	if (isfinite(v))
		sim_fmt_double(buf, sizeof(buf), v);
	sim_csv_cell(f, first, buf);
}

void sim__csv_int(FILE *f, bool *first, long long v)
{
	char buf[SIM_NUM_LEN];
	snprintf(buf, sizeof(buf), "%lld", v);
	sim_csv_cell(f, first, buf);
}

void sim__csv_metric_header(FILE *f, bool *first,
			    const struct sim__colset *cols)
{
	char name[2 * sizeof(((struct sim_metric *)0)->group) + 2];
	for (size_t k = 0; k < cols->n; k++) {
		sim__flat_name(name, sizeof(name), cols->v[k]);
		sim_csv_cell(f, first, name);
	}
}
const char *const sim_csv_fixed[SIM_CSV_NFIXED] = {
    "scenario",
    "system",
    "model",
    "replications",
    "duration_s",
    "offered_rps",
    "offered_rps_ci95",
    "throughput_rps",
    "throughput_rps_ci95",
    "goodput_rps",
    "goodput_rps_ci95",
    "completed",
#define X(name, str) "errors_" str,
    SIM_ERROR_MAP(X)
#undef X
	"wasted",
    "latency_s_mean",
    "latency_s_mean_ci95",
    "latency_s_p50",
    "latency_s_p90",
    "latency_s_p99",
    "latency_s_p99_ci95",
    "latency_s_p999",
    "latency_s_max",
    "events",
};

/* Suffixes of the per-class columns, class_NAME_SUFFIX. */
static const char *const class_sfx[] = {
    "completed",
    "latency_s_mean",
    "latency_s_p50",
    "latency_s_p99",
};
#define NCLASS_SFX (sizeof(class_sfx) / sizeof(class_sfx[0]))

void sim_cells_release(struct sim_cells *c)
{
	free(c->v);
	free(c->names);
	*c = (struct sim_cells){0};
}

/* Adds a cell; a fixed one's name is sim_csv_fixed's, the others' are
 * copied into c->names (pointed to once all are in: the block moves as it
 * grows), not allocated one by one. */
static int cell_add(struct sim_cells *c, enum sim_cell_kind kind,
		    const char *name, const char *str, double num)
{
	struct sim_cell *v = sim_grow(c->v, &c->cap, c->n, sizeof(*v), 64);
	size_t at = c->nlen, len = strlen(name) + 1;
	if (!v)
		return SIM_ENOMEM;
	c->v = v;
	if (kind != SIM_CELL_FIXED) {
		while (at + len > c->ncap) {
			char *b =
			    sim_grow(c->names, &c->ncap, c->ncap, 1, 1024);
			if (!b)
				return SIM_ENOMEM;
			c->names = b;
		}
		memcpy(c->names + at, name, len);
		c->nlen += len;
	}
	c->v[c->n++] = (struct sim_cell){kind, name, str, num, at};
	return 0;
}

/* The cell of that kind and name in c, or NULL. */
static const struct sim_cell *
find_cell(const struct sim_cells *c, enum sim_cell_kind kind, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].kind == kind && !strcmp(c->v[i].name, name))
			return &c->v[i];
	return NULL;
}

/* Writes a cell's value; an absent cell is an empty one. */
static void csv_value(FILE *f, bool *first, const struct sim_cell *c)
{
	if (c && c->str)
		sim_csv_cell(f, first, c->str);
	else
		sim_csv_num(f, first, c ? c->num : NAN);
}

int sim_summary_flatten(const struct sim_scenario *sc,
			const struct sim_summary *s, struct sim_cells *out)
{
	/* scenario, system and model are strings, in str[] */
	const double fixed[SIM_CSV_NFIXED] = {
	    NAN,
	    NAN,
	    NAN,
	    s->replications,
	    s->duration_s,
	    s->offered_rps.mean,
	    s->offered_rps.ci95,
	    s->throughput_rps.mean,
	    s->throughput_rps.ci95,
	    s->goodput_rps.mean,
	    s->goodput_rps.ci95,
	    s->completed,
#define X(name, str) s->errors[SIM_OUT_##name],
	    SIM_ERROR_MAP(X)
#undef X
		s->wasted,
	    s->lat_mean.mean,
	    s->lat_mean.ci95,
	    s->p50.mean,
	    s->p90.mean,
	    s->p99.mean,
	    s->p99.ci95,
	    s->p999.mean,
	    s->lat_max,
	    s->events,
	};
	const char *const str[3] = {sc->name ? sc->name : "",
				    s->name ? s->name : "",
				    s->model ? s->model : ""};
	int rc = 0;

	*out = (struct sim_cells){0};
	for (size_t k = 0; k < SIM_CSV_NFIXED && !rc; k++)
		rc = cell_add(out, SIM_CELL_FIXED, sim_csv_fixed[k],
			      k < 3 ? str[k] : NULL, fixed[k]);
	for (size_t k = 0; k < s->metrics.n && !rc; k++) {
		char name[2 * sizeof(s->metrics.v[k].group) + 2];
		sim__flat_name(name, sizeof(name), &s->metrics.v[k]);
		rc = cell_add(out, SIM_CELL_METRIC, name, NULL,
			      s->metrics.v[k].value);
	}
	for (size_t c = 0; c < s->nclasses && !rc; c++) {
		const struct sim_class_summary *cs = &s->classes[c];
		const double v[NCLASS_SFX] = {cs->completed, cs->lat_mean.mean,
					      cs->p50.mean, cs->p99.mean};
		char nb[32];
		const char *cname = sim__class_name(cs, c, nb, sizeof(nb));
		for (size_t k = 0; k < NCLASS_SFX && !rc; k++) {
			char name[256];
			sim__class_col(name, sizeof(name), cname, class_sfx[k]);
			rc = cell_add(out, SIM_CELL_CLASS, name, NULL, v[k]);
		}
	}
	for (size_t k = 0; k < out->n && !rc; k++)
		if (out->v[k].kind != SIM_CELL_FIXED)
			out->v[k].name = out->names + out->v[k].at;
	if (rc)
		sim_cells_release(out);
	return rc;
}
int sim_write_csv(FILE *f, const struct sim_scenario *sc,
		  const struct sim_summary *sys, size_t n)
{
	struct sim__colset cols = {0};
	struct sim__names cls = {0};
	struct sim_cells row = {0};
	char fallback[SIM__MAX_FALLBACK_NAMES][32];
	bool first;
	int rc;

	for (size_t i = 0; i < n; i++) {
		rc = sim__colset_add(&cols, &sys[i].metrics);
		if (rc)
			goto cleanup;
	}
	rc = sim__class_names(sys, n, &cls, fallback, SIM__MAX_FALLBACK_NAMES);
	if (rc)
		goto cleanup;

	first = true;
	for (size_t k = 0; k < SIM_CSV_NFIXED; k++)
		sim_csv_cell(f, &first, sim_csv_fixed[k]);
	sim__csv_metric_header(f, &first, &cols);
	for (size_t c = 0; c < cls.n; c++) {
		for (size_t k = 0; k < NCLASS_SFX; k++) {
			char name[256];
			sim__class_col(name, sizeof(name), cls.v[c],
				       class_sfx[k]);
			sim_csv_cell(f, &first, name);
		}
	}
	fputc('\n', f);

	for (size_t i = 0; i < n; i++) {
		rc = sim_summary_flatten(sc, &sys[i], &row);
		if (rc)
			goto cleanup;
		first = true;
		for (size_t k = 0; k < row.n && row.v[k].kind == SIM_CELL_FIXED;
		     k++)
			csv_value(f, &first, &row.v[k]);
		for (size_t k = 0; k < cols.n; k++) {
			char name[2 * sizeof(cols.v[k]->group) + 2];
			sim__flat_name(name, sizeof(name), cols.v[k]);
			csv_value(f, &first,
				  find_cell(&row, SIM_CELL_METRIC, name));
		}
		for (size_t c = 0; c < cls.n; c++)
			for (size_t k = 0; k < NCLASS_SFX; k++) {
				char name[256];
				sim__class_col(name, sizeof(name), cls.v[c],
					       class_sfx[k]);
				csv_value(
				    f, &first,
				    find_cell(&row, SIM_CELL_CLASS, name));
			}
		fputc('\n', f);
		sim_cells_release(&row);
	}
	rc = ferror(f) ? SIM_EIO : 0;

cleanup:
	sim_cells_release(&row);
	free(cols.v);
	free(cls.v);
	return rc;
}

void sim_csv_long_header(FILE *f, const char *const *lead, size_t nlead)
{
	bool first = true;
	for (size_t i = 0; i < nlead; i++)
		sim_csv_cell(f, &first, lead[i]);
	sim_csv_cell(f, &first, "figure");
	sim_csv_cell(f, &first, "value");
	fputc('\n', f);
}

void sim_csv_long_row(FILE *f, const char *const *lead, size_t nlead,
		      const char *figure, const char *value)
{
	bool first = true;
	for (size_t i = 0; i < nlead; i++)
		sim_csv_cell(f, &first, lead[i]);
	sim_csv_cell(f, &first, figure);
	sim_csv_cell(f, &first, value);
	fputc('\n', f);
}

int sim_write_csv_long(FILE *f, const struct sim_scenario *sc,
		       const struct sim_summary *sys, size_t n)
{
	static const char *const head[] = {"scenario", "system", "model"};
	struct sim_cells row = {0};
	sim_csv_long_header(f, head, 3);
	for (size_t i = 0; i < n; i++) {
		int rc = sim_summary_flatten(sc, &sys[i], &row);
		if (rc)
			return rc;
		const char *lead[] = {sc->name, sys[i].name, sys[i].model};
		for (size_t k = 0; k < row.n; k++) {
			char num[SIM_NUM_LEN] = "";
			if (row.v[k].str)
				continue; /* scenario, system, model */
			if (isfinite(row.v[k].num))
				sim_fmt_double(num, sizeof(num), row.v[k].num);
			sim_csv_long_row(f, lead, 3, row.v[k].name, num);
		}
		sim_cells_release(&row);
	}
	return ferror(f) ? SIM_EIO : 0;
}

int sim_write_replications_csv(FILE *f, const struct sim_scenario *sc,
			       const struct sim_summary *sum,
			       const struct sim_rep_result *reps)
{
	static const double q[] = {0.5, 0.9, 0.99, 0.999};
	bool first = true;
	size_t nrep = (size_t)sc->replications;
	fputs("system,model,replication,warmup_s,duration_s,offered,attempts,"
	      "completed,good",
	      f);
	for (int o = SIM_OUT_OK + 1; o < SIM_OUT_N; o++)
		fprintf(f, ",errors_%s", sim_outcome_names[o]);
	fputs(",wasted,offered_rps,throughput_rps,goodput_rps,latency_s_mean,"
	      "latency_s_p50,latency_s_p90,latency_s_p99,latency_s_p999,"
	      "latency_s_max\n",
	      f);
	for (size_t s = 0; s < sc->nsystems; s++)
		for (size_t r = 0; r < nrep; r++) {
			const struct sim_rep_result *x = &reps[s * nrep + r];
			char num[32];
			first = true;
			sim_csv_cell(f, &first, sum[s].name);
			sim_csv_cell(f, &first, sum[s].model);
			snprintf(num, sizeof num, "%zu", r);
			sim_csv_cell(f, &first, num);
			sim_csv_num(f, &first, x->warmup);
			sim_csv_num(f, &first, x->duration);
			const uint64_t counts[] = {x->offered, x->attempts,
						   x->completed, x->good};
			for (size_t k = 0; k < 4; k++) {
				snprintf(num, sizeof num, "%" PRIu64,
					 counts[k]);
				sim_csv_cell(f, &first, num);
			}
			for (int o = SIM_OUT_OK + 1; o < SIM_OUT_N; o++) {
				snprintf(num, sizeof num, "%" PRIu64,
					 x->errors[o]);
				sim_csv_cell(f, &first, num);
			}
			snprintf(num, sizeof num, "%" PRIu64, x->wasted);
			sim_csv_cell(f, &first, num);
			double d = x->duration > 0 ? x->duration : NAN;
			sim_csv_num(f, &first, (double)x->offered / d);
			sim_csv_num(f, &first, (double)x->completed / d);
			sim_csv_num(f, &first, (double)x->good / d);
			bool any = x->lat.n > 0;
			sim_csv_num(f, &first,
				    any ? sim_hist_mean(&x->lat) : NAN);
			for (size_t k = 0; k < 4; k++)
				sim_csv_num(
				    f, &first,
				    any ? sim_hist_quantile(&x->lat, q[k])
					: NAN);
			sim_csv_num(f, &first, any ? x->lat.max : NAN);
			fputc('\n', f);
		}
	return ferror(f) ? SIM_EIO : 0;
}
