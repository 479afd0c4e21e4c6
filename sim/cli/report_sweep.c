/*
 * report_sweep.c - the page `concsim report` writes for a sweep's folder
 * (`sweep -o DIR`): throughput, latency, goodput and failures against the
 * offered load with their 95 % bands, one panel per value of the other
 * swept parameters, the per-class curves and the table of every point.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/report.h"
#include "output/sweepio.h"

/* One row of a sweep, and where it goes. */
struct srow {
	const struct sim_ynode *row;
	size_t order; /* in the file */
	size_t panel, sys;
	double x;
};

static int srow_cmp(const void *a, const void *b)
{
	const struct srow *p = a, *q = b;
	if (p->panel != q->panel)
		return p->panel < q->panel ? -1 : 1;
	if (p->sys != q->sys)
		return p->sys < q->sys ? -1 : 1;
	if (p->x != q->x)
		return p->x < q->x ? -1 : 1;
	return (p->order > q->order) - (p->order < q->order);
}

/* The metrics drawn against x, one column per row (in sorted order). */
enum { M_THR, M_THR_CI, M_GOOD, M_GOOD_CI, M_P50, M_P99, M_P99_CI, M_BAD, M_N };

struct sweep {
	const struct sim_ynode *params; /* seq of {path, values} */
	size_t np, xparam;
	bool offered;
	struct srow *rows;
	size_t nrow;
	char **panel; /* "rate=100/s, cores=4" per panel */
	size_t npanel;
	bool panels_cut; /* more values than REPORT_MAX_PANELS */
	const char **sysname;
	size_t nsys;
	double *x; /* the rows' x, sorted like them */
	char **si; /* np x REPORT_MAX_VALUES cells of the given values */
	/* x is a parameter of names (a balancer): its values in order */
	bool categorical;
	struct sim_svg_tick xt[REPORT_MAX_VALUES];
	size_t nxt;
	double *m[M_N];
	double *lo[3], *hi[3]; /* bands: throughput, goodput, p99 */
};

static void sweep_release(struct sweep *w)
{
	for (size_t i = 0; i < w->npanel; i++)
		free(w->panel[i]);
	free(w->panel);
	free(w->rows);
	free(w->sysname);
	free(w->x);
	for (size_t i = 0; w->si && i < w->np * REPORT_MAX_VALUES; i++)
		free(w->si[i]);
	free(w->si);
	for (int k = 0; k < M_N; k++)
		free(w->m[k]);
	for (int k = 0; k < 3; k++) {
		free(w->lo[k]);
		free(w->hi[k]);
	}
}

static const char *param_path(const struct sweep *w, size_t i)
{
	return rep_jstr(w->params->vals[i], "path");
}

/* The cell of swept parameter i in a row, as text ("" when absent). */
static const char *param_cell(const struct sweep *w,
			      const struct sim_ynode *row, size_t i)
{
	const char *path = param_path(w, i);
	const struct sim_ynode *v = path ? sim_ymap_get(row, path, NULL) : NULL;
	return v && v->kind == SIM_Y_SCALAR ? v->text : "";
}

/* The last part of a dotted path: rate, cores. */
static const char *short_name(const char *path)
{
	const char *d = strrchr(path, '.');
	return d ? d + 1 : path;
}

/* Reads the rows into *w. Returns 0, SIM_ENOMEM or SIM_EINVAL (message
 * printed). */
static int sweep_prepare(const struct report *r, struct sweep *w)
{
	const struct sim_ynode *rows = sim_ymap_get(r->root, "rows", NULL);
	w->params = sim_ymap_get(r->root, "parameters", NULL);
	w->np = w->params->n;
	if (!w->np) {
		/* x is one of them: nothing to draw the rows against */
		cli_error("'%s': a sweep without a swept parameter",
			  r->json_path);
		return SIM_EINVAL;
	}
	if (w->np > REPORT_MAX_PARAMS) {
		cli_error("'%s': more than %d swept parameters", r->json_path,
			  REPORT_MAX_PARAMS);
		return SIM_EINVAL;
	}
	/* the cells of the values as the sweep gave them, to show those */
	if (!(w->si = calloc(w->np * REPORT_MAX_VALUES + 1, sizeof(*w->si))))
		return SIM_ENOMEM;
	for (size_t i = 0; i < w->np; i++) {
		const struct sim_ynode *vals =
		    sim_ymap_get(w->params->vals[i], "values", NULL);
		for (size_t k = 0; vals && vals->kind == SIM_Y_SEQ &&
				   k < vals->n && k < REPORT_MAX_VALUES;
		     k++)
			if (vals->vals[k]->kind == SIM_Y_SCALAR &&
			    !(w->si[i * REPORT_MAX_VALUES + k] =
				  sim_grid_cell(vals->vals[k]->text)))
				return SIM_ENOMEM;
	}
	for (size_t i = 0; i < w->np; i++) {
		const char *p = param_path(w, i);
		if (!p) {
			cli_error("'%s': parameter %zu has no path",
				  r->json_path, i + 1);
			return SIM_EINVAL;
		}
		if (!strcmp(p, "workload.arrivals.rate")) {
			w->xparam = i;
			w->offered = true;
		}
	}
	if (!(w->rows = calloc(rows->n + 1, sizeof(*w->rows))) ||
	    !(w->sysname = calloc(rows->n + 1, sizeof(*w->sysname))) ||
	    !(w->panel = calloc(REPORT_MAX_PANELS, sizeof(*w->panel))))
		return SIM_ENOMEM;
	for (size_t i = 0; i < rows->n; i++) {
		const struct sim_ynode *row = rows->vals[i];
		const char *sys = rep_jstr(row, "system");
		if (row->kind != SIM_Y_MAP || !sys) {
			cli_error("'%s': row %zu is not a system's figures",
				  r->json_path, i + 1);
			return SIM_EINVAL;
		}
		struct srow *q = &w->rows[w->nrow];
		q->row = row;
		q->order = i;
		q->x = w->offered ? rep_jnum(row, "offered_rps")
				  : rep_num_text(param_cell(w, row, w->xparam));
		/* the panel: the values of the other parameters */
		char *key = NULL;
		size_t klen = 0;
		FILE *kf = open_memstream(&key, &klen);
		if (!kf)
			return SIM_ENOMEM;
		for (size_t p = 0, first = 1; p < w->np; p++) {
			if (p == w->xparam)
				continue;
			/* the value as the sweep was given it (100ms), when
			 * it is one of the grid's */
			const char *cell = param_cell(w, row, p);
			const struct sim_ynode *vals =
			    sim_ymap_get(w->params->vals[p], "values", NULL);
			const char *shown = cell;
			for (size_t k = 0; k < REPORT_MAX_VALUES; k++) {
				const char *c =
				    w->si[p * REPORT_MAX_VALUES + k];
				if (c && !strcmp(c, cell)) {
					shown = vals->vals[k]->text;
					break;
				}
			}
			fprintf(kf, "%s%s = %s", first ? "" : ", ",
				short_name(param_path(w, p)), shown);
			first = 0;
		}
		if (fclose(kf)) {
			free(key);
			return SIM_ENOMEM;
		}
		size_t k = 0;
		while (k < w->npanel && strcmp(w->panel[k], key))
			k++;
		if (k == w->npanel && k == REPORT_MAX_PANELS) {
			w->panels_cut = true;
			free(key);
			continue;
		}
		if (k == w->npanel)
			w->panel[w->npanel++] = key;
		else
			free(key);
		q->panel = k;
		size_t j = 0;
		while (j < w->nsys && strcmp(w->sysname[j], sys))
			j++;
		if (j == w->nsys && j == REPORT_MAX_SYSTEMS) {
			cli_error("'%s': more than %d systems", r->json_path,
				  REPORT_MAX_SYSTEMS);
			return SIM_EINVAL;
		}
		if (j == w->nsys)
			w->sysname[w->nsys++] = sys;
		q->sys = j;
		w->nrow++;
	}
	/* a parameter of names is drawn in the order of its values */
	for (size_t i = 0; !w->offered && i < w->nrow; i++)
		if (!isfinite(w->rows[i].x))
			w->categorical = true;
	if (w->categorical) {
		const struct sim_ynode *vals =
		    sim_ymap_get(w->params->vals[w->xparam], "values", NULL);
		for (size_t k = 0; k < REPORT_MAX_VALUES && vals &&
				   vals->kind == SIM_Y_SEQ && k < vals->n;
		     k++)
			if (vals->vals[k]->kind == SIM_Y_SCALAR)
				w->xt[w->nxt++] = (struct sim_svg_tick){
				    (double)(k + 1), vals->vals[k]->text};
		for (size_t i = 0; i < w->nrow; i++) {
			const char *cell =
			    param_cell(w, w->rows[i].row, w->xparam);
			w->rows[i].x = NAN;
			for (size_t k = 0; k < REPORT_MAX_VALUES; k++) {
				const char *c =
				    w->si[w->xparam * REPORT_MAX_VALUES + k];
				if (c && !strcmp(c, cell)) {
					w->rows[i].x = (double)(k + 1);
					break;
				}
			}
		}
	}
	qsort(w->rows, w->nrow, sizeof(*w->rows), srow_cmp);
	if (!(w->x = calloc(w->nrow + 1, sizeof(double))))
		return SIM_ENOMEM;
	for (int k = 0; k < M_N; k++)
		if (!(w->m[k] = calloc(w->nrow + 1, sizeof(double))))
			return SIM_ENOMEM;
	for (int k = 0; k < 3; k++)
		if (!(w->lo[k] = calloc(w->nrow + 1, sizeof(double))) ||
		    !(w->hi[k] = calloc(w->nrow + 1, sizeof(double))))
			return SIM_ENOMEM;
	for (size_t i = 0; i < w->nrow; i++) {
		const struct sim_ynode *row = w->rows[i].row;
		double off = rep_jnum(row, "offered_rps");
		double *m[M_N];
		w->x[i] = w->rows[i].x;
		for (int k = 0; k < M_N; k++)
			m[k] = &w->m[k][i];
		*m[M_THR] = rep_jnum(row, "throughput_rps");
		double reps = rep_jnum(row, "replications");
		*m[M_THR_CI] =
		    rep_ci_of(rep_jnum(row, "throughput_rps_ci95"), reps);
		*m[M_GOOD] = rep_jnum(row, "goodput_rps");
		*m[M_GOOD_CI] =
		    rep_ci_of(rep_jnum(row, "goodput_rps_ci95"), reps);
		*m[M_P50] = rep_jnum(row, "latency_s_p50") * 1e3;
		*m[M_P99] = rep_jnum(row, "latency_s_p99") * 1e3;
		*m[M_P99_CI] =
		    rep_ci_of(rep_jnum(row, "latency_s_p99_ci95"), reps) * 1e3;
		*m[M_BAD] =
		    off > 0 ? 100 * fmax(off - *m[M_GOOD], 0) / off : NAN;
		static const int val[3] = {M_THR, M_GOOD, M_P99},
				 ci[3] = {M_THR_CI, M_GOOD_CI, M_P99_CI};
		for (int k = 0; k < 3; k++) {
			/* none of these is ever negative */
			w->lo[k][i] = fmax(w->m[val[k]][i] - w->m[ci[k]][i], 0);
			w->hi[k][i] = w->m[val[k]][i] + w->m[ci[k]][i];
		}
	}
	return 0;
}

/* The legend of a group of sweep charts, as HTML. */
static void sweep_legend(FILE *f, const struct sweep *w, const char *extra)
{
	fputs("<div class=\"legend\">", f);
	for (size_t j = 0; j < w->nsys; j++) {
		const char *dash = j < SIM_SVG_NCOLORS ? "" : " dashed";
		fprintf(f,
			"<span><i class=\"sw%s\" style=\"border-color:%s\">"
			"</i>",
			dash, sim_svg_colors[j % SIM_SVG_NCOLORS]);
		rep_esc(f, w->sysname[j]);
		fputs("</span>", f);
	}
	if (extra)
		fputs(extra, f);
	fputs("</div>\n", f);
}

struct sweep_fig {
	const char *title, *ylabel, *legend, *note;
	int val, band; /* metric, band index (-1 none) */
	int val2;      /* a dashed second line per system (-1 none) */
	bool ylog, diagonal;
};

/* One figure of curves against x: y (with the band lo..hi when non-NULL,
 * and a dashed y2 when non-NULL) per system, one chart per panel. The
 * arrays are per row, in the sorted order of w->rows. */
static int sweep_figure(FILE *f, const struct report *r, const struct sweep *w,
			const struct sweep_fig *g, const char *xlabel,
			const double *y, const double *lo, const double *hi,
			const double *y2)
{
	struct sim_svg_series *s = calloc(2 * w->nsys + 2, sizeof(*s));
	int rc = SIM_ENOMEM;
	if (!s)
		return rc;
	/* panels share the y axis: the range of every row */
	double span[2] = {INFINITY, -INFINITY};
	const double *cols[4] = {y, lo, hi, y2};
	for (int k = 0; k < 4; k++)
		for (size_t i = 0; cols[k] && i < w->nrow; i++)
			if (isfinite(cols[k][i]) &&
			    (!g->ylog || cols[k][i] > 0)) {
				span[0] = fmin(span[0], cols[k][i]);
				span[1] = fmax(span[1], cols[k][i]);
			}
	fprintf(f, "<figure>\n<h3>%s</h3>\n", g->title);
	/* no diagonal without the offered load on x: only the band */
	sweep_legend(f, w,
		     g->diagonal && !w->offered
			 ? "<span><i class=\"sw band\"></i>95 % interval</span>"
			 : g->legend);
	fputs("<div class=\"panels\">\n", f);
	size_t i = 0;
	for (size_t p = 0; p < w->npanel; p++) {
		size_t ns = 0;
		double xlo = INFINITY, xhi = -INFINITY;
		while (i < w->nrow && w->rows[i].panel == p) {
			size_t a = i, sys = w->rows[i].sys;
			while (i < w->nrow && w->rows[i].panel == p &&
			       w->rows[i].sys == sys) {
				if (isfinite(w->x[i])) {
					xlo = fmin(xlo, w->x[i]);
					xhi = fmax(xhi, w->x[i]);
				}
				i++;
			}
			struct sim_svg_series *q = &s[ns++];
			*q = (struct sim_svg_series){.x = w->x + a,
						     .y = y + a,
						     .n = i - a,
						     .style = (int)sys,
						     .markers = true};
			if (lo && hi) {
				q->lo = lo + a;
				q->hi = hi + a;
			}
			if (y2) {
				s[ns] = *q;
				s[ns].y = y2 + a;
				s[ns].lo = s[ns].hi = NULL;
				s[ns].dashed = true;
				s[ns].markers = false;
				ns++;
			}
		}
		/* the diagonal: every request served */
		double dx[2] = {xlo, xhi};
		if (g->diagonal && w->offered && xlo < xhi)
			s[ns++] = (struct sim_svg_series){.x = dx,
							  .y = dx,
							  .n = 2,
							  .style = -1,
							  .dashed = true};
		struct sim_svg_chart c;
		sim_svg_chart_init(&c);
		c.title = w->npanel > 1 ? w->panel[p] : NULL;
		c.xlabel = xlabel;
		c.ylabel = g->ylabel;
		c.ylog = g->ylog;
		c.yzero = true;
		if (w->categorical) {
			c.xticks = w->xt;
			c.nxticks = w->nxt;
			c.xmin = 0.5;
			c.xmax = (double)w->nxt + 0.5;
		}
		if (span[0] <= span[1]) {
			c.yspan[0] = span[0];
			c.yspan[1] = span[1];
		}
		c.width = w->npanel > 1 ? 480 : 960;
		c.height = w->npanel > 1 ? 320 : 400;
		if (g->ylog) {
			c.hlines = r->slo;
			c.nhlines = r->nslo;
		}
		c.s = s;
		c.ns = ns;
		if ((rc = sim_svg_chart_write(f, &c)))
			goto cleanup;
	}
	fputs("</div>\n", f);
	rep_caption(f, g->note);
	fputs("</figure>\n", f);
	rc = 0;
cleanup:
	free(s);
	return rc;
}

/* The p99 of every request class against x: the columns
 * class_NAME_latency_s_p99 of the rows (at most 16 classes). */
static int sweep_classes(FILE *f, const struct report *r, const struct sweep *w,
			 const char *xlabel)
{
	static const char pre[] = "class_", suf[] = "_latency_s_p99";
	const size_t lp = sizeof(pre) - 1, ls = sizeof(suf) - 1;
	const struct sim_ynode *row0 = w->nrow ? w->rows[0].row : NULL;
	double *y = calloc(w->nrow + 1, sizeof(double));
	int rc = y ? 0 : SIM_ENOMEM;
	bool any = false;
	for (size_t k = 0, nc = 0; !rc && row0 && k < row0->n && nc < 16; k++) {
		const char *key = row0->keys[k]->text;
		size_t len = strlen(key);
		if (len <= lp + ls || strncmp(key, pre, lp) ||
		    strcmp(key + len - ls, suf))
			continue;
		if (!any)
			fputs("<h2>Request classes</h2>\n", f);
		any = true;
		nc++;
		for (size_t i = 0; i < w->nrow; i++) {
			const struct sim_ynode *v =
			    sim_ymap_get(w->rows[i].row, key, NULL);
			y[i] = v && v->kind == SIM_Y_SCALAR
				   ? rep_num_text(v->text) * 1e3
				   : NAN;
		}
		/* the heading is HTML: the class's name escaped into it */
		char *title = NULL;
		size_t tlen = 0;
		FILE *tf = open_memstream(&title, &tlen);
		if (!tf) {
			rc = SIM_ENOMEM;
			break;
		}
		fputs("p99 latency of class ", tf);
		char name[128];
		size_t nlen = len - lp - ls < sizeof(name) - 1
				  ? len - lp - ls
				  : sizeof(name) - 1;
		memcpy(name, key + lp, nlen);
		name[nlen] = '\0';
		rep_esc(tf, name);
		if (fclose(tf)) {
			free(title);
			rc = SIM_ENOMEM;
			break;
		}
		const struct sweep_fig g = {
		    title,
		    "ms (log scale)",
		    NULL,
		    "The 99th percentile of this class's good responses only "
		    "(failed requests are not in it), means over the "
		    "replications; the sweep keeps no interval per class.",
		    0,
		    -1,
		    -1,
		    true,
		    false};
		rc = sweep_figure(f, r, w, &g, xlabel, y, NULL, NULL, NULL);
		free(title);
	}
	free(y);
	return rc;
}

static void table_sweep(FILE *f, const struct report *r, const struct sweep *w)
{
	const struct sim_ynode *rows = sim_ymap_get(r->root, "rows", NULL);
	fputs("<h2>Comparison</h2>\n<div class=\"wide\"><table>\n<tr>", f);
	for (size_t p = 0; p < w->np; p++) {
		fputs("<th>", f);
		rep_esc(f, param_path(w, p));
		fputs("</th>", f);
	}
	fputs("<th>system</th><th>offered/s</th><th>throughput/s</th>"
	      "<th>goodput/s</th><th>without a good response</th>"
	      "<th>mean</th><th>p50</th><th>p99</th><th>CPU</th></tr>\n",
	      f);
	for (size_t i = 0; i < rows->n; i++) {
		const struct sim_ynode *row = rows->vals[i];
		if (row->kind != SIM_Y_MAP)
			continue;
		fputs("<tr>", f);
		for (size_t p = 0; p < w->np; p++)
			rep_td(f, param_cell(w, row, p));
		rep_td(f, rep_jstr(row, "system"));
		double off = rep_jnum(row, "offered_rps");
		double good = rep_jnum(row, "goodput_rps");
		double reps = rep_jnum(row, "replications");
		rep_td_num(f, off,
			   rep_ci_of(rep_jnum(row, "offered_rps_ci95"), reps));
		rep_td_num(
		    f, rep_jnum(row, "throughput_rps"),
		    rep_ci_of(rep_jnum(row, "throughput_rps_ci95"), reps));
		rep_td_num(f, good,
			   rep_ci_of(rep_jnum(row, "goodput_rps_ci95"), reps));
		if (off > 0 && isfinite(good))
			fprintf(f, "<td class=\"n\">%.2f %%</td>",
				100 * fmax(off - good, 0) / off);
		else
			rep_td(f, "\xe2\x80\x93");
		rep_td_lat(
		    f, rep_jnum(row, "latency_s_mean"),
		    rep_ci_of(rep_jnum(row, "latency_s_mean_ci95"), reps));
		rep_td_lat(f, rep_jnum(row, "latency_s_p50"), NAN);
		rep_td_lat(
		    f, rep_jnum(row, "latency_s_p99"),
		    rep_ci_of(rep_jnum(row, "latency_s_p99_ci95"), reps));
		double cpu = rep_jnum(row, "utilization_cpu");
		if (isfinite(cpu))
			fprintf(f, "<td class=\"n\">%.1f %%</td>", 100 * cpu);
		else
			rep_td(f, "\xe2\x80\x93");
		fputs("</tr>\n", f);
	}
	fputs("</table></div>\n", f);
	rep_caption(
	    f, "One row per point of the grid and system, means over the "
	       "replications \xc2\xb1 the 95 % half-width. Latency of good "
	       "responses only; \"without a good response\" is the share "
	       "of the offered requests that got none (every attempt "
	       "failed, or the answer came too late).");
}

int rep_write_sweep(FILE *f, const struct report *r)
{
	struct sweep w = {0};
	int rc = sweep_prepare(r, &w);
	if (rc)
		goto cleanup;
	fputs("<p class=\"meta\">A sweep over ", f);
	for (size_t p = 0; p < w.np; p++) {
		const struct sim_ynode *v =
		    sim_ymap_get(w.params->vals[p], "values", NULL);
		fputs(p ? (p + 1 == w.np ? " and " : ", ") : "", f);
		fputs("<code>", f);
		rep_esc(f, param_path(&w, p));
		fputs("</code> (", f);
		for (size_t k = 0; v && v->kind == SIM_Y_SEQ && k < v->n; k++) {
			if (k == 8 && v->n > 10) {
				fprintf(f, ", \xe2\x80\xa6 %zu values", v->n);
				break;
			}
			fputs(k ? ", " : "", f);
			if (v->vals[k]->kind == SIM_Y_SCALAR)
				rep_esc(f, v->vals[k]->text);
		}
		fputs(")", f);
	}
	fprintf(f,
		": %zu system%s at every point, each on the same "
		"requests.",
		w.nsys, w.nsys == 1 ? "" : "s");
	if (w.npanel > 1)
		fputs(" One panel per value of the other parameters.", f);
	if (w.panels_cut)
		fprintf(f,
			" Only the first %d panels are drawn (the table "
			"has every row).",
			REPORT_MAX_PANELS);
	fputs("</p>\n", f);

	char xlabel[512];
	if (w.offered)
		snprintf(xlabel, sizeof(xlabel), "offered load (requests/s)");
	else
		snprintf(xlabel, sizeof(xlabel), "%s",
			 param_path(&w, w.xparam));
	const struct sweep_fig figs[] = {
	    {"Throughput", "responses/s",
	     "<span><i class=\"sw dashed\" style=\"border-color:#555\">"
	     "</i>all served</span>"
	     "<span><i class=\"sw band\"></i>95 % interval</span>",
	     "Responses the servers finished per second (including ones the "
	     "client had given up on) against the offered load; the dashed "
	     "diagonal serves every request. The shaded band is the 95 % "
	     "interval over the replications.",
	     M_THR, 0, -1, false, true},
	    {"Latency", "ms (log scale)",
	     "<span><i class=\"sw\" style=\"border-color:#555\"></i>p99"
	     "</span><span><i class=\"sw dashed\" "
	     "style=\"border-color:#555\"></i>p50</span>"
	     "<span><i class=\"sw band\"></i>95 % interval of the p99"
	     "</span>",
	     "Median (dashed) and 99th percentile (solid, with its 95 % band) "
	     "of the latency of good responses only: requests that failed "
	     "or timed out are not in it, so read it beside the failures "
	     "below. Log scale, so that the flat part and the knee both "
	     "show.",
	     M_P99, 2, M_P50, true, false},
	    {"Goodput", "good responses/s",
	     "<span><i class=\"sw dashed\" style=\"border-color:#555\">"
	     "</i>all good</span>"
	     "<span><i class=\"sw band\"></i>95 % interval</span>",
	     "Good responses per second: answered, in time, to a client still "
	     "waiting. The dashed diagonal is every request answered well; "
	     "the band is the 95 % interval.",
	     M_GOOD, 1, -1, false, true},
	    {"Requests without a good response", "% of offered", NULL,
	     "The share of the offered requests that got no good response "
	     "(refused, timed out, killed or unavailable on every attempt, "
	     "or answered too late): 1 \xe2\x88\x92 goodput / offered.",
	     M_BAD, -1, -1, false, false},
	};
	fputs("<h2>Curves</h2>\n", f);
	for (size_t k = 0; k < sizeof(figs) / sizeof(figs[0]); k++) {
		const struct sweep_fig *g = &figs[k];
		if ((rc = sweep_figure(f, r, &w, g, xlabel, w.m[g->val],
				       g->band >= 0 ? w.lo[g->band] : NULL,
				       g->band >= 0 ? w.hi[g->band] : NULL,
				       g->val2 >= 0 ? w.m[g->val2] : NULL)))
			goto cleanup;
	}
	if ((rc = sweep_classes(f, r, &w, xlabel)))
		goto cleanup;
	table_sweep(f, r, &w);
	rc = ferror(f) ? SIM_EIO : 0;
cleanup:
	sweep_release(&w);
	return rc;
}
