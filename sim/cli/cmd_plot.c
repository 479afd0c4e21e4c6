/*
 * cmd_plot.c - `concsim plot DIR`: figures of a sweep's or a run's results
 * through gnuplot.
 *
 * The command reads the result files, writes the figures' data as gnuplot
 * data files (one block per series) and one script per figure, made of a
 * few variables (format, data file, series labels), plots/common.gp and
 * the figure's template from plots/ (compiled in, see plots.h); then it
 * runs gnuplot on each script in the output folder. The scripts stay
 * there, so a figure can be restyled and redrawn with `gnuplot NAME.gp`,
 * and without gnuplot the data and scripts are still written.
 *
 * From a sweep (DIR/results.csv of `concsim sweep`): throughput, latency
 * (p50 and p99, log axis), goodput and error rate against the offered
 * load, one line per system (and per value of any other swept parameter).
 * From a run (`concsim run -o DIR`): the latency distribution of each
 * system, and with --timeseries the throughput, goodput and p99 latency
 * over time.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "output/files.h"
#include "output/keyindex.h"
#include "output/plots.h"
#include "output/sweepio.h"
#include "scenario/readfile.h"
#include "scenario/yamldoc.h"

#define FIG_W 960
#define FIG_H 600

/* What one script needs besides its template. */
struct figure {
	const char *name;   /* output base name: throughput */
	const char *tpl;    /* template in plots/ */
	const char *data;   /* data file */
	const char *xlabel; /* NULL: the template's own */
	bool offered_x;	    /* x is the offered load */
	int width, height;  /* pixels */
};

struct plot {
	struct cli_opts o;
	const char *dir, *out, *format;
	char *scenario;
	char **label; /* series labels, in data-block order */
	size_t nlabel;
	char *written[16]; /* scripts written, by base name */
	size_t nwritten;
	char **panel; /* sweep: values of the other swept parameters */
	size_t npanel;
	int prows, pcols;	     /* the panels' layout */
	struct cli_objective slo[8]; /* --slo */
	size_t nslo;
};

/* Whether --systems (if given) names `sys`. */
static bool wanted(const struct plot *p, const char *sys)
{
	const char *l = p->o.systems;
	size_t n = strlen(sys);
	while (l && *l) {
		size_t len = strcspn(l, ",");
		if (len == n && !strncmp(l, sys, n))
			return true;
		l += len + (l[len] == ',');
	}
	return !p->o.systems;
}

/* --systems must name systems that DIR's results.csv (a run's or a
 * sweep's: both have a `system` column) holds: otherwise a one-line error
 * naming the first unknown one and listing those it has, before anything
 * is written. Returns 0, EXIT_USAGE or EXIT_FAILED (message printed). */
static int check_systems(const struct plot *p, const char *csv)
{
	FILE *f = p->o.systems ? sim_fopen_regular(csv) : NULL;
	char **cells = NULL, **known = NULL;
	size_t cap = 0, nknown = 0, col = SIZE_MAX;
	int rc = 0;
	long n;

	if (!f)
		return 0; /* no results.csv: the readers say so */
	for (bool head = true; rc == 0 && (n = sim_csv_record(f, &cells, &cap));
	     head = false) {
		if (n < 0) {
			rc = n == -1 ? EXIT_FAILED : EXIT_USAGE;
			break;
		}
		for (size_t c = 0; c < (size_t)n; c++) {
			if (head && col == SIZE_MAX &&
			    !strcmp(cells[c], "system"))
				col = c;
			if (!head && c == col) {
				size_t k = 0;
				while (k < nknown && strcmp(known[k], cells[c]))
					k++;
				char **v = k < nknown
					       ? known
					       : realloc(known, (nknown + 1) *
								    sizeof(*v));
				if (!v) {
					rc = EXIT_FAILED;
				} else if (k == nknown) {
					known = v;
					known[nknown++] = cells[c];
					cells[c] = NULL;
				}
			}
			free(cells[c]);
		}
	}
	fclose(f);
	if (rc == EXIT_FAILED)
		cli_error("out of memory");
	else if (rc)
		cli_error("'%s' is not a results.csv (an unterminated quote)",
			  csv);
	for (const char *l = p->o.systems; !rc && *l;) {
		size_t len = strcspn(l, ","), k = 0;
		while (k < nknown &&
		       (strlen(known[k]) != len || strncmp(known[k], l, len)))
			k++;
		if (k == nknown) {
			char list[1024] = "";
			size_t at = 0;
			for (size_t j = 0; j < nknown && at < sizeof(list); j++)
				at += (size_t)snprintf(
				    list + at, sizeof(list) - at, "%s%s",
				    j ? ", " : "", known[j]);
			cli_error("--systems: no system named '%.*s' in '%s'; "
				  "it has %s",
				  (int)len, l, csv, nknown ? list : "none");
			rc = EXIT_USAGE;
		}
		l += len + (l[len] == ',');
	}
	for (size_t k = 0; k < nknown; k++)
		free(known[k]);
	free(known);
	free(cells);
	return rc;
}

static const char *template_text(const char *name)
{
	for (const struct sim_plot_template *t = sim_plot_templates; t->name;
	     t++)
		if (!strcmp(t->name, name))
			return t->text;
	return NULL;
}

/* Writes s as a gnuplot single-quoted string. */
static void gp_string(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		if (*s != '\n' && *s != '\r')
			fputc(*s, f);
	}
	fputc('\'', f);
}

static void labels_release(struct plot *p)
{
	for (size_t i = 0; i < p->nlabel; i++)
		free(p->label[i]);
	free(p->label);
	p->label = NULL;
	p->nlabel = 0;
}

/* Writes OUT/NAME.gp. Returns 0 or an exit status (message printed). */
static int write_script(struct plot *p, const struct figure *fig)
{
	const char *common = template_text("common.gp");
	const char *body = template_text(fig->tpl);
	char name[128];
	struct sim_afile a;

	if (!common || !body) {
		cli_error("the plot template '%s' is missing from this build",
			  body ? "common.gp" : fig->tpl);
		return EXIT_FAILED;
	}
	snprintf(name, sizeof(name), "%s.gp", fig->name);
	if (sim_afile_open(&a, p->out, name, stderr))
		return EXIT_FAILED;
	FILE *f = a.f;
	fprintf(f,
		"# %s - written by `concsim plot` from plots/%s.\n"
		"# Redraw (e.g. after editing) in this folder with: gnuplot "
		"%s\n\n",
		name, fig->tpl, name);
	fprintf(f, "format = ");
	gp_string(f, p->format);
	/* concsim gives gnuplot a fresh temporary file (-e output=...) and
	 * renames it: a symlink planted at NAME.FORMAT is replaced, never
	 * written through; by hand, gnuplot NAME.gp writes NAME.FORMAT */
	fprintf(f, "\nif (!exists(\"output\")) output = '%s.%s'\ndata = ",
		fig->name, p->format);
	gp_string(f, fig->data);
	fprintf(f, "\nscenario = ");
	gp_string(f, p->scenario ? p->scenario : "");
	if (fig->xlabel) {
		fprintf(f, "\nxlabel = ");
		gp_string(f, fig->xlabel);
	}
	fprintf(f, "\noffered_x = %d\nwidth = %d\nheight = %d\n",
		fig->offered_x, fig->width, fig->height);
	fprintf(f, "n = %zu\narray label[%zu] = [", p->nlabel,
		p->nlabel ? p->nlabel : 1);
	for (size_t i = 0; i < p->nlabel; i++) {
		fputs(i ? ", " : "", f);
		gp_string(f, p->label[i]);
	}
	fprintf(f, "%s]\n", p->nlabel ? "" : "''");
	/* panels (a sweep's other parameters): block (p-1)*n + i-1 */
	fprintf(f, "npanel = %zu\nprows = %d\npcols = %d\narray panel[%zu] = [",
		p->npanel ? p->npanel : 1, p->prows ? p->prows : 1,
		p->pcols ? p->pcols : 1, p->npanel ? p->npanel : 1);
	for (size_t i = 0; i < p->npanel; i++) {
		fputs(i ? ", " : "", f);
		gp_string(f, p->panel[i]);
	}
	fprintf(f, "%s]\n", p->npanel ? "" : "''");
	/* objectives (--slo): target in ms, quantile (0: the mean), label */
	size_t ns = p->nslo ? p->nslo : 1;
	fprintf(f,
		"slo_n = %zu\narray slo_v[%zu]\narray slo_q[%zu]\n"
		"array slo_l[%zu]\n",
		p->nslo, ns, ns, ns);
	if (!p->nslo) /* gnuplot evaluates an empty iteration's title */
		fputs("slo_v[1] = NaN; slo_q[1] = -1; slo_l[1] = ''\n", f);
	for (size_t i = 0; i < p->nslo; i++) {
		char lb[64];
		const struct cli_objective *o = &p->slo[i];
		if (o->stat == CLI_STAT_MEAN)
			snprintf(lb, sizeof(lb), "objective: mean < %g ms",
				 o->target * 1e3);
		else
			snprintf(lb, sizeof(lb), "objective: p%g < %g ms",
				 o->q * 100, o->target * 1e3);
		fprintf(f, "slo_v[%zu] = %.17g; slo_q[%zu] = %g; slo_l[%zu] = ",
			i + 1, o->target * 1e3, i + 1,
			o->stat == CLI_STAT_MEAN ? 0 : o->q, i + 1);
		gp_string(f, lb);
		fputc('\n', f);
	}
	fprintf(f, "\n%s\n%s", common, body);
	if (sim_afile_commit(&a, stderr))
		return EXIT_FAILED;
	if (p->nwritten < sizeof(p->written) / sizeof(p->written[0]))
		p->written[p->nwritten++] = strdup(fig->name);
	return 0;
}

/* -------------------------------------------------------------- sweep -- */

/* A series of a sweep: the rows of one system in one panel (one
 * combination of the swept values other than x), sorted by x. */
struct series {
	size_t *rows;
	double *x;
	size_t n;
};

/* A row of a series on its way to being sorted by x. */
struct srow {
	double x;
	size_t r;
};

/* by x (NaN last), then row: the order insertion once gave, in
 * O(n log n) */
static int srow_by_x(const void *a, const void *b)
{
	const struct srow *x = a, *y = b;
	if (x->x < y->x || (!isnan(x->x) && isnan(y->x)))
		return -1;
	if (x->x > y->x || (isnan(x->x) && !isnan(y->x)))
		return 1;
	return (x->r > y->r) - (x->r < y->r);
}

static double cell_num(const char *s)
{
	char *end;
	if (!s || !*s)
		return NAN;
	double v = strtod(s, &end);
	return *end ? NAN : v;
}

/* Whether a latency_s.cdf entry is a [quantile, seconds] pair of scalars
 * (anything else is skipped, not trusted). */
static bool cdf_point(const struct sim_ynode *pt)
{
	return pt->kind == SIM_Y_SEQ && pt->n == 2 &&
	       pt->vals[0]->kind == SIM_Y_SCALAR &&
	       pt->vals[1]->kind == SIM_Y_SCALAR;
}

/* Writes a number for gnuplot: the cell's text, or NaN when empty. */
static void dat_cell(FILE *f, const char *s)
{
	fprintf(f, " %s", s && *s ? s : "NaN");
}

static void dat_num(FILE *f, double v)
{
	char buf[32];
	if (isfinite(v))
		sim_fmt_double(buf, sizeof(buf), v);
	else
		snprintf(buf, sizeof(buf), "NaN");
	fprintf(f, " %s", buf);
}

/* Opens the data file `name` in the output folder and writes its header:
 * "# written by `concsim plot` from " and the rest as `fmt` formats it
 * (where from, then a "# columns: " line). Returns 0, or -1 once it has
 * said why. */
static int dat_open(struct sim_afile *a, const struct plot *p, const char *name,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int dat_open(struct sim_afile *a, const struct plot *p, const char *name,
		    const char *fmt, ...)
{
	if (sim_afile_open(a, p->out, name, stderr))
		return -1;
	fputs("# written by `concsim plot` from ", a->f);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(a->f, fmt, ap);
	va_end(ap);
	return 0;
}

/* Starts block k of a data file, the series `name` (in `panel`, if not
 * NULL or ""): gnuplot's `index` counts blocks separated by two blank
 * lines, and the comment says whose a block is. */
static void dat_block(FILE *f, size_t k, const char *name, const char *panel)
{
	bool in = panel && *panel;
	fprintf(f, "%s# %s%s%s\n", k ? "\n\n" : "", name, in ? " | " : "",
		in ? panel : "");
}

/* The panel of row r: the swept values other than x, as the sweep gave
 * them ("timeout=100ms, cores=4"); "" when x is the only parameter. */
static char *panel_key(const struct sim_grid *g, const struct sim_trow *r,
		       size_t xparam)
{
	char *k = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&k, &len);
	if (!f)
		return NULL;
	bool first = true;
	for (size_t i = 0; i < g->np; i++) {
		if (i == xparam)
			continue;
		/* the last two parts of the path: loop.cores, client.timeout */
		const char *path = g->p[i].path, *last = strrchr(path, '.');
		const char *prev = NULL;
		for (const char *q = path; last && q < last; q++)
			if (*q == '.')
				prev = q;
		const char *cell = r->param[i] ? r->param[i] : "",
			   *shown = cell;
		for (size_t j = 0; j < g->p[i].nvalues && shown == cell; j++) {
			char *c = sim_grid_cell(g->p[i].values[j]);
			if (c && !strcmp(c, cell))
				shown = g->p[i].values[j];
			free(c);
		}
		fprintf(f, "%s%s=%s", first ? "" : ", ", prev ? prev + 1 : path,
			shown);
		first = false;
	}
	if (fclose(f)) {
		free(k);
		return NULL;
	}
	return k;
}

/* Index of `key` in v[0..*n), appended when new (the string is then
 * owned by v); SIZE_MAX when memory ran out. */
static size_t intern(char ***v, size_t *n, char *key)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i], key)) {
			free(key);
			return i;
		}
	char **m = realloc(*v, (*n + 1) * sizeof(*m));
	if (!m) {
		free(key);
		return SIZE_MAX;
	}
	*v = m;
	m[*n] = key;
	return (*n)++;
}

static int prepare_sweep(struct plot *p)
{
	struct sim_grid g = {0};
	struct sim_table t;
	struct series *s = NULL;
	size_t nsys;
	char path[4096];
	int rc = EXIT_FAILED;

	sim_table_init(&t, 0);
	snprintf(path, sizeof(path), "%s/scenario.yaml", p->dir);
	int e = sim_grid_read_yaml(path, &g, &p->scenario, &nsys, stderr);
	if (!e) {
		sim_table_init(&t, g.np);
		snprintf(path, sizeof(path), "%s/results.csv", p->dir);
		e = sim_table_read_csv(&t, &g, path, stderr);
	}
	if (e) {
		rc = e == SIM_ENOMEM ? EXIT_FAILED : EXIT_USAGE;
		goto cleanup;
	}
	/* x: the offered load when the rate is swept, else the first
	 * parameter */
	size_t xparam = 0;
	bool offered = false;
	for (size_t i = 0; i < g.np; i++)
		if (!strcmp(g.p[i].path, "workload.arrivals.rate")) {
			xparam = i;
			offered = true;
		}
	/* series: one per (panel, system), each sorted by x */
	size_t *sp = calloc(t.nrow + 1, sizeof(size_t)); /* per row */
	size_t *ss = calloc(t.nrow + 1, sizeof(size_t));
	double *sx = calloc(t.nrow + 1, sizeof(double));
	if (!sp || !ss || !sx) {
		free(sp);
		free(ss);
		free(sx);
		goto nomem;
	}
	double minlat = INFINITY;
	for (size_t r = 0; r < t.nrow; r++) {
		const struct sim_trow *row = &t.row[r];
		if (!wanted(p, sim_trow_get(&t, row, "system")))
			continue;
		double x = offered
			       ? cell_num(sim_trow_get(&t, row, "offered_rps"))
			       : cell_num(row->param[xparam]);
		if (!offered && !isfinite(x)) {
			cli_error("'%s' is not a number ('%s'): concsim plot "
				  "draws against a numeric parameter; put it "
				  "second in the sweep",
				  g.p[xparam].path,
				  row->param[xparam] ? row->param[xparam] : "");
			rc = EXIT_USAGE;
			free(sp);
			free(ss);
			free(sx);
			goto cleanup;
		}
		char *pk = panel_key(&g, row, offered ? xparam : 0);
		char *sk = pk ? strdup(sim_trow_get(&t, row, "system")) : NULL;
		if (!sk)
			free(pk);
		sp[r] = sk ? intern(&p->panel, &p->npanel, pk) : SIZE_MAX;
		ss[r] = sk ? intern(&p->label, &p->nlabel, sk) : SIZE_MAX;
		if (sp[r] == SIZE_MAX || ss[r] == SIZE_MAX) {
			free(sp);
			free(ss);
			free(sx);
			goto nomem;
		}
		sx[r] = x;
		for (int c = 0; c < 2; c++) {
			double v = cell_num(sim_trow_get(
			    &t, row, c ? "latency_s_p99" : "latency_s_p50"));
			if (v > 0 && v < minlat)
				minlat = v;
		}
	}
	/* each series gets exactly its rows (memory linear in the rows, not
	 * series x rows), then is sorted by x with qsort */
	size_t ns = p->npanel * p->nlabel;
	s = calloc(ns + 1, sizeof(*s));
	size_t *cnt = calloc(ns + 1, sizeof(size_t));
	struct srow *sr = calloc(t.nrow + 1, sizeof(*sr));
	bool ok = s && cnt && sr;
	for (size_t r = 0; ok && r < t.nrow; r++)
		cnt[sp[r] * p->nlabel + ss[r]]++;
	for (size_t k = 0; ok && k < ns; k++)
		ok = !cnt[k] || ((s[k].rows = calloc(cnt[k], sizeof(size_t))) &&
				 (s[k].x = calloc(cnt[k], sizeof(double))));
	if (!ok) {
		free(cnt);
		free(sr);
		free(sp);
		free(ss);
		free(sx);
		goto nomem;
	}
	for (size_t r = 0; r < t.nrow; r++) {
		struct series *q = &s[sp[r] * p->nlabel + ss[r]];
		q->rows[q->n++] = r;
	}
	for (size_t k = 0; k < ns; k++) {
		struct series *q = &s[k];
		for (size_t j = 0; j < q->n; j++)
			sr[j] = (struct srow){sx[q->rows[j]], q->rows[j]};
		qsort(sr, q->n, sizeof(*sr), srow_by_x);
		for (size_t j = 0; j < q->n; j++) {
			q->x[j] = sr[j].x;
			q->rows[j] = sr[j].r;
		}
	}
	free(cnt);
	free(sr);
	free(sp);
	free(ss);
	free(sx);

	/* the data: one block per panel and system, panel-major */
	struct sim_afile a;
	if (dat_open(
		&a, p, "sweep.dat",
		"%s/results.csv\n"
		"# columns: x offered_rps throughput_rps goodput_rps "
		"latency_s_p50 latency_s_p99 bad_pct "
		"throughput_rps_ci95 latency_s_p99_ci95 goodput_rps_ci95 "
		"latency_s_p99_lo latency_s_p99_hi\n"
		"# (p99_lo/hi: the 95 %% interval; a lower end at or below 0 "
		"is cut to half the smallest latency, the bottom of a log "
		"axis)\n"
		"# block (panel-1)*%zu + system-1: panels are the values of "
		"the other swept parameters\n",
		p->dir, p->nlabel))
		goto cleanup;
	for (size_t k = 0; k < ns; k++) {
		dat_block(a.f, k, p->label[k % p->nlabel],
			  p->panel[k / p->nlabel]);
		if (!s[k].n) /* a block for every pair keeps the indices */
			fputs(" NaN NaN NaN NaN NaN NaN NaN NaN NaN NaN NaN "
			      "NaN\n",
			      a.f);
		for (size_t j = 0; j < s[k].n; j++) {
			const struct sim_trow *row = &t.row[s[k].rows[j]];
			/* errors count attempts (retries too): the share of
			 * requests without a good response says more */
			double offer =
			    cell_num(sim_trow_get(&t, row, "offered_rps"));
			double bad =
			    offer -
			    cell_num(sim_trow_get(&t, row, "goodput_rps"));
			double p99 =
			    cell_num(sim_trow_get(&t, row, "latency_s_p99"));
			double ci = cell_num(
			    sim_trow_get(&t, row, "latency_s_p99_ci95"));
			dat_num(a.f, s[k].x[j]);
			dat_cell(a.f, sim_trow_get(&t, row, "offered_rps"));
			dat_cell(a.f, sim_trow_get(&t, row, "throughput_rps"));
			dat_cell(a.f, sim_trow_get(&t, row, "goodput_rps"));
			dat_cell(a.f, sim_trow_get(&t, row, "latency_s_p50"));
			dat_cell(a.f, sim_trow_get(&t, row, "latency_s_p99"));
			dat_num(a.f,
				offer > 0 ? 100 * fmax(bad, 0) / offer : NAN);
			dat_cell(a.f,
				 sim_trow_get(&t, row, "throughput_rps_ci95"));
			dat_cell(a.f,
				 sim_trow_get(&t, row, "latency_s_p99_ci95"));
			dat_cell(a.f,
				 sim_trow_get(&t, row, "goodput_rps_ci95"));
			bool band = isfinite(p99) && isfinite(ci);
			dat_num(a.f, !band	    ? NAN
				     : p99 - ci > 0 ? p99 - ci
						    : minlat / 2);
			dat_num(a.f, band ? p99 + ci : NAN);
			fputc('\n', a.f);
		}
	}
	if (sim_afile_commit(&a, stderr))
		goto cleanup;

	/* panels side by side, at most 3 a row */
	p->pcols = p->npanel <= 3 ? (int)p->npanel
				  : (int)ceil(sqrt((double)p->npanel));
	p->prows = (int)((p->npanel + (size_t)p->pcols - 1) / (size_t)p->pcols);
	int fw = p->npanel > 1 ? 80 + p->pcols * FIG_W * 2 / 3 : FIG_W;
	int fh = p->npanel > 1 ? 40 + p->prows * FIG_H * 2 / 3 : FIG_H;
	char xlabel[256];
	if (offered)
		snprintf(xlabel, sizeof(xlabel), "offered load (requests/s)");
	else
		snprintf(xlabel, sizeof(xlabel), "%s", g.p[xparam].path);
	const struct figure figs[] = {
	    {"throughput", "sweep-throughput.gp", "sweep.dat", xlabel, offered,
	     fw, fh},
	    {"latency", "sweep-latency.gp", "sweep.dat", xlabel, offered, fw,
	     fh},
	    {"goodput", "sweep-goodput.gp", "sweep.dat", xlabel, offered, fw,
	     fh},
	    {"errors", "sweep-errors.gp", "sweep.dat", xlabel, offered, fw, fh},
	    {"summary", "sweep-summary.gp", "sweep.dat", xlabel, offered,
	     FIG_W * 3 / 2, FIG_H * 3 / 2},
	};
	/* the summary's four panels are for one series set: with panels,
	 * the four figures are the summary */
	size_t nfig = sizeof(figs) / sizeof(figs[0]) - (p->npanel > 1);
	for (size_t i = 0; i < nfig; i++)
		if ((rc = write_script(p, &figs[i])))
			goto cleanup;
	rc = 0;
	goto cleanup;
nomem:
	cli_error("out of memory");
	rc = EXIT_FAILED;
cleanup:
	for (size_t k = 0; s && k < p->npanel * p->nlabel; k++) {
		free(s[k].rows);
		free(s[k].x);
	}
	free(s);
	sim_table_release(&t);
	sim_grid_release(&g);
	return rc;
}

/* ------------------------------------------------------------ hgrm -- */

/* A file name from a system's name: letters, digits, '-', '_' and '.'
 * kept (no leading '.'), anything else '_', at most 48 bytes. */
static void safe_name(char *buf, size_t len, const char *name)
{
	size_t k = 0;
	for (const char *c = name; *c && k + 1 < len && k < 48; c++) {
		bool ok = (*c >= 'a' && *c <= 'z') ||
			  (*c >= 'A' && *c <= 'Z') ||
			  (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' ||
			  (*c == '.' && k);
		buf[k++] = ok ? *c : '_';
	}
	buf[k] = '\0';
}

/* Writes one system's latency distribution (good responses, pooled over
 * the replications) in HdrHistogram's percentile-distribution format,
 * values in milliseconds, so that HdrHistogram's plotter and tools read
 * it. Its points are the quantiles results.json keeps (latency_s.cdf);
 * TotalCount is the good responses of all replications (completed times
 * replications, rounded); StdDeviation is estimated from those quantiles
 * (the quantile function taken as linear between them), as results.json
 * has no standard deviation; there is no Buckets line (not an HdrHistogram
 * underneath). Returns 0 or an exit status. */
static int write_hgrm(struct plot *p, const char *file,
		      const struct sim_ynode *s, double reps)
{
	const struct sim_ynode *cdf =
	    sim_ymap_get(sim_ymap_get(s, "latency_s", NULL), "cdf", NULL);
	const struct sim_ynode *v;
	double total = NAN, mean = NAN, max = NAN;
	if ((v = sim_ymap_get(s, "completed", NULL)) && v->kind == SIM_Y_SCALAR)
		total = round(cell_num(v->text) * reps);
	const struct sim_ynode *lat = sim_ymap_get(s, "latency_s", NULL);
	if ((v = sim_ymap_get(lat, "mean", NULL)) && v->kind == SIM_Y_SCALAR)
		mean = cell_num(v->text) * 1e3;
	if ((v = sim_ymap_get(lat, "max", NULL)) && v->kind == SIM_Y_SCALAR)
		max = cell_num(v->text) * 1e3;
	if (!isfinite(total))
		total = 0;
	struct sim_afile a;
	if (sim_afile_open(&a, p->out, file, stderr))
		return EXIT_FAILED;
	fprintf(a.f, "%12s %14s %10s %14s\n\n", "Value", "Percentile",
		"TotalCount", "1/(1-Percentile)");
	double pq = NAN, pv = NAN, m1 = 0, m2 = 0;
	for (size_t k = 0; k < cdf->n; k++) {
		const struct sim_ynode *pt = cdf->vals[k];
		if (!cdf_point(pt))
			continue;
		double q = cell_num(pt->vals[0]->text);
		double ms = cell_num(pt->vals[1]->text) * 1e3;
		if (!(q >= 0 && q <= 1) || !isfinite(ms) || q < pq)
			continue;
		if (isfinite(
			pq)) { /* the quantile function, piecewise linear */
			m1 += (q - pq) * (pv + ms) / 2;
			m2 += (q - pq) * (pv * pv + pv * ms + ms * ms) / 3;
		}
		pq = q;
		pv = ms;
		long long count = llround(q * total);
		if (q < 1)
			fprintf(a.f, "%12.3f %2.12f %10lld %14.2f\n", ms, q,
				count, 1 / (1 - q));
		else
			fprintf(a.f, "%12.3f %2.12f %10lld\n", ms, q, count);
	}
	double sd = m2 - m1 * m1 > 0 ? sqrt(m2 - m1 * m1) : 0;
	fprintf(a.f,
		"#[Mean    = %12.3f, StdDeviation   = %12.3f]\n"
		"#[Max     = %12.3f, Total count    = %12lld]\n",
		isfinite(mean) ? mean : m1, sd, isfinite(max) ? max : pv,
		(long long)total);
	return sim_afile_commit(&a, stderr) ? EXIT_FAILED : 0;
}

/* latency-NAME.hgrm for every system with a distribution. */
static int write_hgrms(struct plot *p, const struct sim_ynode *root,
		       const struct sim_ynode *sys)
{
	const struct sim_ynode *r = sim_ymap_get(root, "replications", NULL);
	double reps = r && r->kind == SIM_Y_SCALAR ? cell_num(r->text) : 1;
	char **names = calloc(sys->n + 1, sizeof(*names));
	size_t nn = 0;
	int rc = 0;
	if (!names) {
		cli_error("out of memory");
		return EXIT_FAILED;
	}
	for (size_t i = 0; i < sys->n && !rc; i++) {
		const struct sim_ynode *s = sys->vals[i];
		const struct sim_ynode *nm = sim_ymap_get(s, "name", NULL);
		const struct sim_ynode *cdf = sim_ymap_get(
		    sim_ymap_get(s, "latency_s", NULL), "cdf", NULL);
		if (!nm || nm->kind != SIM_Y_SCALAR || !cdf ||
		    cdf->kind != SIM_Y_SEQ)
			continue;
		char safe[64], file[128];
		safe_name(safe, sizeof(safe), nm->text);
		snprintf(file, sizeof(file), "latency-%s.hgrm", safe);
		/* two names that read the same: the system's number */
		for (size_t k = 0; k < nn; k++)
			if (!strcmp(names[k], file))
				snprintf(file, sizeof(file),
					 "latency-%s-%zu.hgrm", safe, i + 1);
		if (!(names[nn] = strdup(file))) {
			cli_error("out of memory");
			rc = EXIT_FAILED;
			break;
		}
		nn++;
		rc = write_hgrm(p, file, s,
				isfinite(reps) && reps >= 1 ? reps : 1);
		if (!rc && !p->o.quiet)
			sim_fprintf_safe(stdout, "%s/%s\n", p->out, file);
	}
	for (size_t k = 0; k < nn; k++)
		free(names[k]);
	free(names);
	return rc;
}

/* ---------------------------------------------------------------- run -- */

/* The latency distribution of every system from results.json. Returns 0,
 * or EXIT_USAGE when there is none to draw (message printed). */
static int prepare_cdf(struct plot *p)
{
	struct sim_ydoc doc = {0};
	struct sim_yerror ye;
	char path[4096], *text = NULL;
	size_t len;
	int rc = EXIT_USAGE;
	struct sim_afile a = {0};

	snprintf(path, sizeof(path), "%s/results.json", p->dir);
	int e = sim_read_bytes(path, &text, &len);
	if (e) {
		cli_error("cannot read '%s': %s", path,
			  e == SIM_EINVAL ? "no such file (not a result "
					    "folder of run or sweep?)"
					  : sim_read_strerror(e));
		return e == SIM_ENOMEM ? EXIT_FAILED : EXIT_USAGE;
	}
	e = sim_yaml_parse(&doc, path, text, len, 0, &ye);
	const struct sim_ynode *root = e ? NULL : doc.root;
	const struct sim_ynode *sys = sim_ymap_get(root, "systems", NULL);
	const struct sim_ynode *name = sim_ymap_get(root, "scenario", NULL);
	if (!sys || sys->kind != SIM_Y_SEQ) {
		cli_error("'%s' is not the results.json of `concsim run`",
			  path);
		goto cleanup;
	}
	if (name && name->kind == SIM_Y_SCALAR && !p->scenario)
		p->scenario = strdup(name->text);
	if (!(p->label = calloc(sys->n + 1, sizeof(*p->label))))
		goto nomem;
	if (dat_open(&a, p, "cdf.dat",
		     "%s\n"
		     "# columns: quantile latency_s (good responses, pooled "
		     "over replications)\n",
		     path)) {
		rc = EXIT_FAILED;
		goto cleanup;
	}
	for (size_t i = 0; i < sys->n; i++) {
		const struct sim_ynode *s = sys->vals[i];
		const struct sim_ynode *nm = sim_ymap_get(s, "name", NULL);
		const struct sim_ynode *cdf = sim_ymap_get(
		    sim_ymap_get(s, "latency_s", NULL), "cdf", NULL);
		if (!nm || nm->kind != SIM_Y_SCALAR || !cdf ||
		    cdf->kind != SIM_Y_SEQ || !wanted(p, nm->text))
			continue;
		if (!(p->label[p->nlabel] = strdup(nm->text)))
			goto nomem;
		dat_block(a.f, p->nlabel++, nm->text, NULL);
		for (size_t k = 0; k < cdf->n; k++) {
			const struct sim_ynode *pt = cdf->vals[k];
			if (!cdf_point(pt))
				continue;
			/* the minimum would stretch the log axis for one
			 * point; the curve starts at the first percentile */
			double q = cell_num(pt->vals[0]->text);
			if (!(q > 0))
				continue;
			fprintf(a.f, "%s %s\n", pt->vals[0]->text,
				pt->vals[1]->text);
		}
	}
	if (!p->nlabel) {
		sim_afile_abort(&a);
		cli_error("'%s' has no latency distribution (latency_s.cdf): "
			  "no system answered, or an older concsim wrote it",
			  path);
		goto cleanup;
	}
	rc = EXIT_FAILED;
	if (sim_afile_commit(&a, stderr))
		goto cleanup;
	const struct figure fig = {"latency-cdf", "run-cdf.gp", "cdf.dat", NULL,
				   false,	  FIG_W,	FIG_H};
	const struct figure spec = {"latency-spectrum",
				    "run-spectrum.gp",
				    "cdf.dat",
				    NULL,
				    false,
				    FIG_W,
				    FIG_H};
	if ((rc = write_script(p, &fig)) || (rc = write_script(p, &spec)))
		goto cleanup;
	rc = write_hgrms(p, root, sys);
	goto cleanup;
nomem:
	cli_error("out of memory");
	rc = EXIT_FAILED;
cleanup:
	sim_afile_abort(&a);
	sim_yaml_free(&doc);
	free(text);
	return rc;
}

/* One system's time series, averaged over replications per time; its
 * times indexed (each replication repeats them), so that reading is
 * linear in the rows. */
struct tseries {
	char *system;
	double *t, *sum; /* sum: NCOL per time */
	size_t *cnt;
	size_t n, cap;
	struct sim_keyindex times;
};

#define NCOL 5 /* offered, throughput, goodput, p50, p99 */

struct time_key {
	const struct tseries *s;
	double t;
};

static bool same_time(const void *ctx, size_t i)
{
	const struct time_key *k = ctx;
	return k->s->t[i] == k->t;
}

static int ts_add(struct tseries *s, double t, const double *v)
{
	if (t == 0)
		t = 0; /* -0: the same time as 0, and the same hash */
	const struct time_key key = {s, t};
	uint64_t h = sim_key_hash(&t, sizeof(t));
	size_t i = sim_keyindex_find(&s->times, h, same_time, &key);
	if (i == SIZE_MAX) {
		i = s->n;
		if (s->n == s->cap) {
			size_t cap = s->cap ? 2 * s->cap : 8;
			double *nt = realloc(s->t, cap * sizeof(*nt));
			if (nt)
				s->t = nt;
			double *ns = realloc(s->sum, cap * NCOL * sizeof(*ns));
			if (ns)
				s->sum = ns;
			size_t *nc = realloc(s->cnt, cap * NCOL * sizeof(*nc));
			if (nc)
				s->cnt = nc;
			if (!nt || !ns || !nc)
				return SIM_ENOMEM;
			s->cap = cap;
		}
		if (sim_keyindex_add(&s->times, h, i))
			return SIM_ENOMEM;
		s->t[i] = t;
		memset(&s->sum[i * NCOL], 0, NCOL * sizeof(double));
		memset(&s->cnt[i * NCOL], 0, NCOL * sizeof(size_t));
		s->n++;
	}
	for (int c = 0; c < NCOL; c++)
		if (isfinite(v[c])) {
			s->sum[i * NCOL + c] += v[c];
			s->cnt[i * NCOL + c]++;
		}
	return 0;
}

/* DIR/timeseries.csv, read whole before anything is written, so that a
 * bad file leaves no output; the systems indexed by name. */
struct tsdata {
	char path[4096];
	struct tseries *s;
	size_t ns, cap;
	struct sim_keyindex systems;
	bool present;
};

static void tsdata_release(struct tsdata *d)
{
	for (size_t k = 0; k < d->ns; k++) {
		free(d->s[k].system);
		free(d->s[k].t);
		free(d->s[k].sum);
		free(d->s[k].cnt);
		sim_keyindex_release(&d->s[k].times);
	}
	free(d->s);
	sim_keyindex_release(&d->systems);
	d->s = NULL;
	d->ns = d->cap = 0;
}

struct system_key {
	const struct tsdata *d;
	const char *name;
};

static bool same_system(const void *ctx, size_t k)
{
	const struct system_key *x = ctx;
	return !strcmp(x->d->s[k].system, x->name);
}

/* The series of system `name`, made if new: its index, or SIZE_MAX when
 * memory ran out. */
static size_t ts_series(struct tsdata *d, const char *name)
{
	const struct system_key key = {d, name};
	uint64_t h = sim_key_hash(name, strlen(name));
	size_t k = sim_keyindex_find(&d->systems, h, same_system, &key);
	if (k != SIZE_MAX)
		return k;
	if (d->ns == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 16;
		struct tseries *m = realloc(d->s, cap * sizeof(*m));
		if (!m)
			return SIZE_MAX;
		d->s = m;
		d->cap = cap;
	}
	struct tseries *s = &d->s[d->ns];
	memset(s, 0, sizeof(*s));
	if (!(s->system = strdup(name)))
		return SIZE_MAX;
	if (sim_keyindex_add(&d->systems, h, d->ns)) {
		free(s->system);
		return SIZE_MAX;
	}
	return d->ns++;
}

/* Reads DIR/timeseries.csv into *d (d->present false when there is
 * none). Returns 0 or an exit status, with a message. */
static int read_timeseries(const struct plot *p, struct tsdata *d)
{
	static const char *const want[] = {
	    "time_s",	   "system",	    "offered_rps",  "throughput_rps",
	    "goodput_rps", "latency_s_p50", "latency_s_p99"};
	char **cells = NULL;
	size_t cap = 0, line = 1;
	long n = 0, nhead = 0;
	long idx[7];
	int rc = EXIT_FAILED;
	const char *path = d->path;

	snprintf(d->path, sizeof(d->path), "%s/timeseries.csv", p->dir);
	FILE *f = sim_fopen_regular(path);
	if (!f && errno == ENOENT)
		return 0; /* a run without --timeseries */
	if (!f) {
		cli_error("cannot read '%s': %s", path,
			  sim_file_strerror(errno));
		return EXIT_USAGE;
	}
	d->present = true;
	nhead = sim_csv_record(f, &cells, &cap);
	if (nhead == -1) {
		cli_error("out of memory");
		goto cleanup;
	}
	if (nhead == -2) {
		sim_fprintf_safe(stderr, "%s:1:1: error: unterminated quote\n",
				 path);
		rc = EXIT_USAGE;
		goto cleanup;
	}
	int missing = -1;
	for (int k = 0; k < 7; k++) {
		idx[k] = -1;
		for (long i = 0; i < nhead; i++)
			if (!strcmp(cells[i], want[k]))
				idx[k] = i;
		if (idx[k] < 0 && missing < 0)
			missing = k;
	}
	for (long i = 0; i < nhead; i++)
		free(cells[i]);
	if (missing >= 0) {
		sim_fprintf_safe(stderr, "%s:1:1: error: no column '%s'\n",
				 path, want[missing]);
		rc = EXIT_USAGE;
		goto cleanup;
	}
	while ((n = sim_csv_record(f, &cells, &cap)) > 0) {
		line++;
		if (n != nhead) {
			for (long i = 0; i < n; i++)
				free(cells[i]);
			sim_fprintf_safe(
			    stderr,
			    "%s:%zu:1: error: %ld cells where the header "
			    "has %ld\n",
			    path, line, n, nhead);
			rc = EXIT_USAGE;
			goto cleanup;
		}
		if (n > 0 && !wanted(p, cells[idx[1]])) {
			for (long i = 0; i < nhead; i++)
				free(cells[i]);
			continue;
		}
		size_t k = ts_series(d, cells[idx[1]]);
		if (k == SIZE_MAX)
			n = -1;
		double v[NCOL];
		for (int c = 0; c < NCOL; c++)
			v[c] = cell_num(cells[idx[2 + c]]);
		if (n > 0 && ts_add(&d->s[k], cell_num(cells[idx[0]]), v))
			n = -1;
		for (long i = 0; i < nhead; i++)
			free(cells[i]);
		if (n < 0)
			break;
	}
	if (n == -1) {
		cli_error("out of memory");
	} else if (n < 0) {
		sim_fprintf_safe(stderr,
				 "%s:%zu:1: error: unterminated quote\n", path,
				 line + 1);
		rc = EXIT_USAGE;
	} else {
		rc = 0;
	}
cleanup:
	free(cells);
	fclose(f);
	return rc;
}

/* Writes timeseries.dat and its script from what read_timeseries read.
 * Returns 0 or an exit status. */
static int write_timeseries(struct plot *p, struct tsdata *d)
{
	if (!d->present)
		return 0;
	labels_release(p);
	struct sim_afile a;
	if (dat_open(&a, p, "timeseries.dat",
		     "%s (means over replications)\n"
		     "# columns: time_s offered_rps throughput_rps goodput_rps "
		     "latency_s_p50 latency_s_p99\n",
		     d->path))
		return EXIT_FAILED;
	if (!(p->label = calloc(d->ns + 1, sizeof(*p->label)))) {
		sim_afile_abort(&a);
		cli_error("out of memory");
		return EXIT_FAILED;
	}
	for (size_t k = 0; k < d->ns; k++) {
		struct tseries *s = &d->s[k];
		dat_block(a.f, k, s->system, NULL);
		p->label[p->nlabel++] = s->system;
		s->system = NULL;
		for (size_t i = 0; i < s->n; i++) {
			dat_num(a.f, s->t[i]);
			for (int c = 0; c < NCOL; c++)
				dat_num(a.f,
					s->cnt[i * NCOL + c]
					    ? s->sum[i * NCOL + c] /
						  (double)s->cnt[i * NCOL + c]
					    : NAN);
			fputc('\n', a.f);
		}
	}
	if (sim_afile_commit(&a, stderr))
		return EXIT_FAILED;
	const struct figure fig = {
	    "timeseries", "run-timeseries.gp", "timeseries.dat", NULL, false,
	    FIG_W,	  FIG_H * 4 / 3};
	return write_script(p, &fig);
}

/* ------------------------------------------------------------ gnuplot -- */

/* The gnuplot to run: $GNUPLOT, else `gnuplot` on the PATH; NULL if none
 * (malloc'd). */
static char *find_gnuplot(void)
{
	const char *env = getenv("GNUPLOT");
	if (env && *env)
		return access(env, X_OK) ? NULL : strdup(env);
	const char *path = getenv("PATH");
	for (const char *d = path ? path : "/usr/bin:/bin"; d && *d;) {
		const char *e = strchr(d, ':');
		size_t len = e ? (size_t)(e - d) : strlen(d);
		char *cand = malloc(len + 10);
		if (!cand)
			return NULL;
		snprintf(cand, len + 10, "%.*s/gnuplot", (int)len,
			 len ? d : ".");
		if (!access(cand, X_OK))
			return cand;
		free(cand);
		d = e ? e + 1 : NULL;
	}
	return NULL;
}

/* Runs gnuplot on OUT/NAME.gp in OUT, drawing into a fresh temporary file
 * (mkstemp) that is renamed to OUT/NAME.FORMAT once gnuplot succeeded.
 * Returns gnuplot's exit status, -1 if it could not run, or -2 when the
 * figure could not be put in place (message printed). */
static int run_gnuplot(const char *gnuplot, const char *out, const char *name,
		       const char *format)
{
	char script[256], fig[256], set[512];
	struct sim_afile a;
	snprintf(script, sizeof(script), "%s.gp", name);
	snprintf(fig, sizeof(fig), "%s.%s", name, format);
	if (sim_afile_open(&a, out, fig, stderr) || sim_afile_close(&a, stderr))
		return -2;
	const char *base = strrchr(a.tmp, '/');
	/* mkstemp's letters and digits need no quoting */
	snprintf(set, sizeof(set), "output='%s'", base ? base + 1 : a.tmp);
	pid_t pid = fork();
	if (pid < 0) {
		sim_afile_abort(&a);
		return -1;
	}
	if (pid == 0) {
		if (chdir(out) == 0) {
			char *argv[] = {"gnuplot", "-e", set, script, NULL};
			execv(gnuplot, argv);
		}
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			sim_afile_abort(&a);
			return -1;
		}
	int rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	if (rc) {
		sim_afile_abort(&a);
		return rc;
	}
	return sim_afile_publish(&a, stderr) ? -2 : 0;
}

/* ------------------------------------------------------------ command -- */

int cmd_plot(int argc, char **argv)
{
	struct plot p = {.format = "png"};
	struct tsdata ts = {0};
	char *gnuplot = NULL, head[64] = "", path[4096];
	int rc = cli_parse(argc, argv, "--out|--quiet|--systems",
			   "--format|--slo", &p.o);

	if (rc)
		goto cleanup;
	rc = EXIT_USAGE;
	for (size_t i = 0; i < p.o.nextra; i++) {
		const char *a = p.o.extra[i];
		if (!cli_extra_is_option(&p.o, i)) {
			cli_error("unexpected argument '%s'", a);
			goto cleanup;
		} else if (!strncmp(a, "--format", 8)) {
			const char *v = a[8] == '='	     ? a + 9
					: i + 1 < p.o.nextra ? p.o.extra[++i]
							     : NULL;
			if (!v || (strcmp(v, "png") && strcmp(v, "svg") &&
				   strcmp(v, "pdf"))) {
				cli_error("--format expects png, svg or pdf, "
					  "got '%s'",
					  v ? v : "");
				goto cleanup;
			}
			p.format = v;
		} else if (!strncmp(a, "--slo", 5)) {
			if (cli_extra_slo(&p.o, &i, p.slo, 8, &p.nslo))
				goto cleanup;
		} else {
			cli_error("unexpected argument '%s'", a);
			goto cleanup;
		}
	}
	if (!p.o.file) {
		cli_error("no folder given: concsim plot DIR (the -o DIR of "
			  "`concsim sweep` or `concsim run`)");
		goto cleanup;
	}
	p.dir = p.o.file;
	p.out = p.o.out ? p.o.out : p.dir;
	/* a sweep's results.csv starts with a swept path, a run's with
	 * "scenario" */
	snprintf(path, sizeof(path), "%s/results.csv", p.dir);
	FILE *f = sim_fopen_regular(path);
	if (!f && errno != ENOENT) {
		cli_error("cannot read '%s': %s", path,
			  sim_file_strerror(errno));
		rc = EXIT_USAGE;
		goto cleanup;
	}
	if (f) {
		if (!fgets(head, sizeof(head), f))
			head[0] = '\0';
		fclose(f);
	}
	bool sweep = f && strncmp(head, "scenario,", 9) && head[0];
	if ((rc = check_systems(&p, path)))
		goto cleanup;
	if (sim_mkdir_p(p.out, stderr)) {
		rc = EXIT_FAILED;
		goto cleanup;
	}
	if (sweep) {
		rc = prepare_sweep(&p);
	} else { /* every input is read before anything is written */
		rc = read_timeseries(&p, &ts);
		if (!rc)
			rc = prepare_cdf(&p);
		if (!rc)
			rc = write_timeseries(&p, &ts);
	}
	if (rc)
		goto cleanup;

	gnuplot = find_gnuplot();
	if (!gnuplot) {
		cli_error("gnuplot not found (on Debian: apt install "
			  "gnuplot-nox); the data and scripts are in '%s': "
			  "draw them there with `gnuplot NAME.gp`",
			  p.out);
		rc = EXIT_FAILED;
		goto cleanup;
	}
	for (size_t i = 0; i < p.nwritten; i++) {
		int st = run_gnuplot(gnuplot, p.out, p.written[i], p.format);
		if (st == -2) {
			rc = EXIT_FAILED;
			continue;
		}
		if (st) {
			cli_error("gnuplot failed on '%s/%s.gp' (status %d)",
				  p.out, p.written[i], st);
			rc = EXIT_FAILED;
			continue;
		}
		if (!p.o.quiet)
			sim_fprintf_safe(stdout, "%s/%s.%s\n", p.out,
					 p.written[i], p.format);
	}
cleanup:
	tsdata_release(&ts);
	for (size_t i = 0; i < p.nwritten; i++)
		free(p.written[i]);
	labels_release(&p);
	for (size_t i = 0; i < p.npanel; i++)
		free(p.panel[i]);
	free(p.panel);
	free(p.scenario);
	free(gnuplot);
	cli_opts_release(&p.o);
	return rc;
}
