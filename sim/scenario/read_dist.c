/*
 * read_dist.c - reads a distribution: a duration (a constant) or a map
 * {dist, mean, cv, k, file, values} whose keys must fit the kind, with the
 * samples of an empirical distribution from a list or a CSV file.
 */
#include "scenario/read_dist.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/grow.h"
#include "scenario/params.h"
#include "scenario/readfile.h"
#include "scenario/trace.h"
#include "scenario/units.h"

#define MAX_SAMPLES 10000000

struct dspec {
	double mean, cv;
	int k;
	char *file;
	bool cpu, downstream;
};

const struct sim_param sim__dist_params[] = {
    SIM_PARAM("mean", SIM_PT_DURATION, struct dspec, mean, .min = 0,
	      .max = SIM_MAX_SIM_TIME, .help = "mean"),
    SIM_PARAM("cv", SIM_PT_DOUBLE, struct dspec, cv, .min = 0, .max = 1e6,
	      .help = "coefficient of variation"),
    SIM_PARAM("k", SIM_PT_INT, struct dspec, k, .def = 1, .min = 1,
	      .max = 1000000, .help = "erlang: number of phases"),
    SIM_PARAM("file", SIM_PT_STRING, struct dspec, file,
	      .help = "empirical: CSV of samples in seconds"),
};
/* A phase's own flag beside its distribution. */
const struct sim_param sim__dist_cpu_param[] = {
    SIM_PARAM("cpu", SIM_PT_BOOL, struct dspec, cpu, .def = 1, .min = 0,
	      .max = 1, .help = "pool: the blocking work burns CPU"),
};
const struct sim_param sim__dist_downstream_param[] = {
    SIM_PARAM("downstream", SIM_PT_BOOL, struct dspec, downstream, .def = 1,
	      .min = 0, .max = 1,
	      .help = "io: holds a connection of workload.downstream, if any"),
};
enum { D_MEAN, D_CV, D_K, D_FILE };
const size_t sim__ndist_params = NELEM(sim__dist_params);

/* Records a resolved path among the scenario's inputs (so no output
 * replaces it) and returns it; NULL, and path freed, without memory. */
static char *note_input(struct sim_load *l, char *path)
{
	struct sim_scenario *sc = l->sc;
	char *copy, **grown;
	if (!sc)
		return path;
	if (!(copy = strdup(path)) ||
	    !(grown = sim_grow(sc->inputs, &sc->inputs_cap, sc->ninputs,
			       sizeof(*sc->inputs), 4))) {
		free(copy);
		free(path);
		return sim__nomem(l);
	}
	sc->inputs = grown;
	sc->inputs[sc->ninputs++] = copy;
	return path;
}

/* A file name relative to the scenario's directory, made absolute (so
 * that a written scenario still finds it), and checked to be readable.
 * Returns the new path, or NULL after an error. */
char *sim__resolve(struct sim_load *l, const char *key, const char *name,
		   const struct sim_ynode *at)
{
	char cwd[4096] = "", *path;
	const char *dir = name[0] == '/' ? "" : l->dir ? l->dir : "";
	struct stat st;
	if (name[0] != '/' && (!l->dir || l->dir[0] != '/') &&
	    !getcwd(cwd, sizeof(cwd)))
		cwd[0] = '\0';
	size_t n = strlen(cwd) + strlen(dir) + strlen(name) + 3;
	if (!(path = malloc(n)))
		return sim__nomem(l);
	snprintf(path, n, "%s%s%s%s%s", cwd, cwd[0] ? "/" : "", dir,
		 dir[0] ? "/" : "", name);
	errno = EISDIR;
	if (access(path, R_OK) || stat(path, &st) || S_ISDIR(st.st_mode)) {
		sim__error(l, at->mark, "'%s': cannot read '%s': %s", key, path,
			   strerror(errno));
		free(path);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) { /* a device or a pipe: no end, or hangs */
		sim__error(l, at->mark,
			   "'%s': cannot read '%s': not a regular file", key,
			   path);
		free(path);
		return NULL;
	}
	return note_input(l, path);
}

/* Reads samples in seconds from a CSV file (first column; a first line
 * that is not a number is a header). */
static double *read_samples(struct sim_load *l, const char *path,
			    const struct sim_ynode *at, size_t *n)
{
	FILE *f = sim_fopen_regular(path);
	char *line = NULL;
	size_t cap = 0, ncap = 0, lineno = 0;
	double *x = NULL;
	size_t got_len;
	int rc;
	*n = 0;
	if (!f) {
		sim__error(l, at->mark, "'file': cannot read '%s': %s", path,
			   sim_file_strerror(errno));
		return NULL;
	}
	while ((rc = sim_read_line(f, &line, &cap, SIM_TRACE_MAX_LINE,
				   &got_len)) > 0) {
		const char *rest;
		double v;
		lineno++;
		line[strcspn(line, ",\r\n")] = '\0';
		char *s = line + strspn(line, " \t");
		if (!*s)
			continue;
		int r = sim__parse_number(s, &v, &rest);
		if (r == SIM__NUM_OK)
			rest += strspn(rest, " \t");
		if (r != SIM__NUM_OK || *rest || v < 0) {
			if (lineno == 1 && r == SIM__NUM_BAD)
				continue; /* header */
			sim__error(l, at->mark,
				   "'file': line %zu of '%s': expected a "
				   "number of seconds, got '%.40s'",
				   lineno, path, s);
			goto cleanup;
		}
		if (*n == MAX_SAMPLES) {
			sim__error(l, at->mark,
				   "'file': more than %d samples in '%s'",
				   MAX_SAMPLES, path);
			goto cleanup;
		}
		if (*n == ncap) {
			ncap = ncap ? 2 * ncap : 1024;
			double *nx = realloc(x, ncap * sizeof(*x));
			if (!nx) {
				sim__nomem(l);
				goto cleanup;
			}
			x = nx;
		}
		x[(*n)++] = v;
	}
	if (rc < 0) {
		const char *why =
		    rc == SIM_EIO ? sim_file_strerror(errno)
		    : rc == SIM_ELIMIT
			? "longer than " SIM_STR(SIM_TRACE_MAX_LINE) " bytes"
			: "binary data (a NUL byte)";
		if (rc == SIM_ENOMEM)
			sim__nomem(l);
		else
			sim__error(l, at->mark,
				   "'file': line %zu of '%s': %s; expected one "
				   "number of seconds per line",
				   lineno + 1, path, why);
		goto cleanup;
	}
	free(line);
	fclose(f);
	return x;
cleanup:
	free(line);
	fclose(f);
	free(x);
	*n = 0;
	return NULL;
}

/* Kinds whose shape needs a cv. */
bool sim__dist_needs_cv(enum sim_dist_kind k)
{
	return k != SIM_DIST_CONSTANT && k != SIM_DIST_EXPONENTIAL &&
	       k != SIM_DIST_ERLANG && k != SIM_DIST_EMPIRICAL;
}

/* Reads a distribution: a duration (constant) or a map. With flagp set
 * (a phase's flag: `cpu` for pool phases, `downstream` for io phases), the
 * map may also hold that boolean, stored in *flag (default flagp->def). */
void sim__read_dist(struct sim_load *l, const char *key,
		    const struct sim_ynode *v, struct sim_dist *d,
		    const struct sim_param *flagp, bool *flag)
{
	static const char *const extra[] = {"dist", "values", NULL};
	struct dspec ds = {0};
	bool given[NELEM(sim__dist_params)] = {false}, flag_given = false;
	struct section sec[2] = {
	    {sim__dist_params, NELEM(sim__dist_params), &ds, given},
	    {flagp, 1, &ds, &flag_given}};
	bool *on_cpu = flag;
	const char *why = NULL;
	char where[128];
	double *x = NULL;
	size_t n = 0;
	int kind = SIM_DIST_EXPONENTIAL, nerr = l->nerr;

	memset(d, 0, sizeof(*d));
	if (on_cpu)
		*on_cpu = flagp->def != 0;
	if (sim__is_scalar(v)) {
		double mean;
		if (sim__parse_typed(v->text, SIM_PT_DURATION, &mean, &why))
			sim__error(l, v->mark,
				   "'%s': %s or a distribution map, "
				   "got %s",
				   key, why, sim__got(v).s);
		/* the bound of `mean` in a map (found by fuzzing: a larger
		 * constant was written back as a map that did not load) */
		else if (sim__check_range(l, key, SIM_PT_DURATION,
					  sim__dist_params[D_MEAN].min,
					  sim__dist_params[D_MEAN].max, 0, v,
					  mean) &&
			 sim_dist_set(d, SIM_DIST_CONSTANT, mean, 0, &why))
			sim__error(l, v->mark, "'%s': %s", key, why);
		return;
	}
	if (!v || v->kind != SIM_Y_MAP) {
		sim__error(l, v->mark, "'%s': %s, got %s", key,
			   sim__expect_of(SIM_PT_DIST), sim__got(v).s);
		return;
	}
	snprintf(where, sizeof(where), "in distribution '%s'", key);
	sim__read_table(l, v, sec, on_cpu ? 2 : 1, extra, where, NULL);
	if (on_cpu)
		*on_cpu = *(const bool *)((const char *)&ds + flagp->offset);
	const struct sim_ynode *kn = sim_ymap_get(v, "dist", NULL);
	if (kn) {
		const char *names[SIM_DIST_NKINDS + 1];
		for (int i = 0; i < SIM_DIST_NKINDS; i++)
			names[i] = sim_dist_names[i];
		names[SIM_DIST_NKINDS] = NULL;
		kind = sim__read_choice(l, "dist", names, kn);
	}
	if (kind < 0 || l->nerr > nerr)
		goto cleanup;

	/* which keys go with which kind */
	const struct sim_ynode *vals = sim_ymap_get(v, "values", NULL);
	const char *bad = NULL, *need = NULL;
	bool erlang = kind == SIM_DIST_ERLANG;
	if (kind == SIM_DIST_EMPIRICAL) {
		if (given[D_MEAN] || given[D_CV] || given[D_K])
			bad = given[D_MEAN] ? "mean" : given[D_CV] ? "cv" : "k";
		else if (given[D_FILE] && vals)
			bad = "values";
		else if (!given[D_FILE] && !vals)
			need = "file' or 'values";
	} else {
		if (given[D_FILE] || vals)
			bad = given[D_FILE] ? "file" : "values";
		else if (given[D_K] && !erlang)
			bad = "k";
		else if (given[D_CV] && erlang)
			bad = "cv";
		else if (!given[D_MEAN])
			need = "mean";
		else if (sim__dist_needs_cv(kind) && !given[D_CV])
			need = "cv";
		else if (erlang && !given[D_K])
			need = "k";
	}
	if (bad) {
		size_t i;
		sim_ymap_get(v, bad, &i);
		sim__error(l, v->keys[i]->mark,
			   "'%s' does not apply to a%s %s distribution%s", bad,
			   strchr("aeiou", sim_dist_names[kind][0]) ? "n" : "",
			   sim_dist_names[kind],
			   erlang ? " (give 'k'; cv is 1/sqrt(k))" : "");
		goto cleanup;
	}
	if (need) {
		sim__error(l, v->mark, "missing key '%s' %s (%s needs it)",
			   need, where, sim_dist_names[kind]);
		goto cleanup;
	}
	if ((kind == SIM_DIST_CONSTANT && given[D_CV] && ds.cv != 0) ||
	    (kind == SIM_DIST_EXPONENTIAL && given[D_CV] && ds.cv != 1)) {
		size_t i;
		sim_ymap_get(v, "cv", &i);
		sim__error(l, v->vals[i]->mark,
			   "'cv': a%s %s distribution has cv %d, got %s",
			   kind == SIM_DIST_EXPONENTIAL ? "n" : "",
			   sim_dist_names[kind], kind == SIM_DIST_EXPONENTIAL,
			   sim__got(v->vals[i]).s);
		goto cleanup;
	}
	if (kind != SIM_DIST_EMPIRICAL) {
		double cv = kind == SIM_DIST_EXPONENTIAL ? 1
			    : kind == SIM_DIST_ERLANG	 ? 1 / sqrt(ds.k)
							 : ds.cv;
		if (sim_dist_set(d, (enum sim_dist_kind)kind, ds.mean, cv,
				 &why))
			sim__error(l, v->mark, "'%s': %s", key, why);
		goto cleanup;
	}
	if (vals) {
		if (!sim__expect_kind(l, "values", vals, SIM_Y_SEQ))
			goto cleanup;
		if (vals->n && !(x = calloc(vals->n, sizeof(*x)))) {
			sim__nomem(l);
			goto cleanup;
		}
		for (size_t i = 0; i < vals->n && !sim__give_up(l); i++)
			if (sim__read_number(l, "values", SIM_PT_DURATION,
					     vals->vals[i], &x[n]))
				n++;
		if (l->nerr > nerr)
			goto cleanup;
	} else {
		size_t i;
		sim_ymap_get(v, "file", &i);
		char *path = sim__resolve(l, "file", ds.file, v->vals[i]);
		if (path)
			x = read_samples(l, path, v->vals[i], &n);
		free(path);
		if (l->nerr > nerr || l->rc)
			goto cleanup;
	}
	if (sim_dist_set_empirical(d, x, n, &why))
		sim__error(l, v->mark, "'%s': %s", key,
			   why ? why : "cannot build the distribution");
cleanup:
	free(x);
	free(ds.file);
}

/* Writes a distribution map; `flag` (named `flagkey`) is a phase's own
 * boolean, or NULL. */
void sim__put_dist(FILE *f, const struct sim_dist *d, const char *flagkey,
		   const bool *flag)
{
	fprintf(f, "{dist: %s", sim_dist_names[d->kind]);
	if (d->kind == SIM_DIST_EMPIRICAL) {
		fputs(", values: [", f);
		for (size_t i = 0; i < d->nsamples; i++) {
			fputs(i ? ", " : "", f);
			sim__put_typed(f, SIM_PT_DURATION, d->samples[i]);
		}
		fputs("]", f);
	} else {
		fputs(", mean: ", f);
		sim__put_typed(f, SIM_PT_DURATION, d->mean);
	}
	if (d->kind == SIM_DIST_ERLANG)
		fprintf(f, ", k: %ld", lround(1 / (d->cv * d->cv)));
	else if (sim__dist_needs_cv(d->kind)) {
		fputs(", cv: ", f);
		sim__put_typed(f, SIM_PT_DOUBLE, d->cv);
	}
	if (flag)
		fprintf(f, ", %s: %s", flagkey, *flag ? "true" : "false");
	fputs("}", f);
}

/* A distribution as the value of a table's key (SIM_PT_DIST). */
static void read_nested(struct sim_load *l, const struct sim_param *p,
			const struct sim_ynode *v, void *dst,
			const struct vctx *vc)
{
	sim__read_dist(l, p->key, v, dst, NULL, NULL);
}

static void put_nested(FILE *f, const void *src, int ind)
{
	fputc(' ', f);
	sim__put_dist(f, src, NULL, NULL);
	fputc('\n', f);
}

const struct sim__nested sim__dist_nested = {
    .read = read_nested,
    .put = put_nested,
};
