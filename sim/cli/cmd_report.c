/*
 * cmd_report.c - `concsim report DIR [-o report.html]`: one self-contained
 * HTML page of a run's or a sweep's results, to read offline or send as
 * an e-mail attachment.
 *
 * The page holds the comparison table with its 95 % intervals, the
 * figures as inline SVG (output/svg.c: no script, no external URL, no font to
 * fetch), the paired differences, the per-class (and per-service)
 * breakdown and the resolved scenario. From a run folder (`run -o DIR`):
 * the latency percentile spectrum and, with --timeseries, the time series.
 * From a sweep folder (`sweep -o DIR`): throughput, latency, goodput and
 * failures against the offered load with their 95 % bands, one panel per
 * value of the other swept parameters.
 *
 * Every input is read, bounded, before anything is written: results.json
 * and scenario.yaml through sim_read_bytes and the YAML parser (bounded
 * in bytes, nodes and depth), timeseries.csv up to REPORT_MAX_CSV bytes;
 * the work is linear in them (up to a sort). A folder that is neither a
 * run nor a sweep is refused with exit status 2 and nothing written.
 * Every name from the files reaches the page only HTML-escaped.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "kernel/error.h"
#include "output/files.h"
#include "output/svg.h"
#include "output/sweepio.h"
#include "scenario/yamldoc.h"

#define REPORT_MAX_CSV	   (64u << 20) /* timeseries.csv */
#define REPORT_MAX_PANELS  16	       /* values of the other parameters */
#define REPORT_MAX_SYSTEMS 256	       /* systems (and classes) on one page */
#define REPORT_MAX_PARAMS  16	       /* swept parameters */
#define REPORT_MAX_VALUES  64	/* values of one shown as given (100ms) */
#define REPORT_TS_POINTS   2000 /* per time series, after binning */

struct report {
	struct cli_opts o;
	const char *dir;
	char *json, *yaml; /* results.json, scenario.yaml (or NULL) */
	size_t json_len, yaml_len;
	char json_path[4096];
	struct sim_ydoc doc;
	const struct sim_ynode *root;
	bool sweep;
	struct rts *ts; /* the time series, one per system */
	size_t nts;
	bool ts_present;
	struct sim_svg_tick slo[8]; /* --slo objectives: target (ms), label */
	char slo_label[8][48];
	size_t nslo;
};

/* ----------------------------------------------------------- values -- */

static double num_text(const char *s)
{
	char *end;
	if (!s || !*s)
		return NAN;
	double v = strtod(s, &end);
	return *end ? NAN : v;
}

/* The node at a dotted path of fixed keys below n, or NULL. */
static const struct sim_ynode *jget(const struct sim_ynode *n, const char *path)
{
	char key[64];
	while (n && *path) {
		size_t k = strcspn(path, ".");
		if (k >= sizeof(key))
			return NULL;
		memcpy(key, path, k);
		key[k] = '\0';
		n = sim_ymap_get(n, key, NULL);
		path += k + (path[k] == '.');
	}
	return n;
}

static double jnum(const struct sim_ynode *n, const char *path)
{
	const struct sim_ynode *v = jget(n, path);
	return v && v->kind == SIM_Y_SCALAR ? num_text(v->text) : NAN;
}

static const char *jstr(const struct sim_ynode *n, const char *path)
{
	const struct sim_ynode *v = jget(n, path);
	return v && v->kind == SIM_Y_SCALAR ? v->text : NULL;
}

/* A half-width with two significant digits, never in exponent form. */
static void fmt_ci(char *buf, size_t len, double ci, const char *unit)
{
	if (ci >= 100) {
		double p = pow(10, floor(log10(ci)) - 1);
		snprintf(buf, len, "\xc2\xb1 %.0f%s", round(ci / p) * p, unit);
	} else {
		snprintf(buf, len, "\xc2\xb1 %.2g%s", ci, unit);
	}
}

/* A latency in seconds as "12.3 ms" into buf, and its half-width in the
 * same unit into cibuf ("" when ci is not finite); "\u2013" when v is not
 * finite. */
static void fmt_lat(char *buf, size_t len, double v, double ci, char *cibuf,
		    size_t cilen)
{
	if (cibuf)
		cibuf[0] = '\0';
	if (!isfinite(v)) {
		snprintf(buf, len, "\xe2\x80\x93");
		return;
	}
	/* the unit of the larger of the value and its half-width */
	double a = isfinite(ci) ? fmax(fabs(v), ci) : fabs(v), m = 1;
	const char *u = " s";
	if (a < 1e-3 && a > 0) {
		m = 1e6;
		u = " \xc2\xb5s";
	} else if (a < 1) {
		m = 1e3;
		u = " ms";
	}
	snprintf(buf, len, "%.3g%s", v * m, u);
	if (cibuf && isfinite(ci))
		fmt_ci(cibuf, cilen, ci * m, u);
}

/* A rate or count: one decimal from 10 up, three digits below. */
static void fmt_num(char *buf, size_t len, double v, double ci, char *cibuf,
		    size_t cilen)
{
	if (cibuf)
		cibuf[0] = '\0';
	if (!isfinite(v)) {
		snprintf(buf, len, "\xe2\x80\x93");
		return;
	}
	snprintf(buf, len, v == 0 ? "0" : fabs(v) >= 10 ? "%.1f" : "%.3g", v);
	if (cibuf && isfinite(ci))
		fmt_ci(cibuf, cilen, ci, "");
}

/* A numeric cell: the value, and the half-width below it in grey. */
static void td_val(FILE *f, const char *v, const char *ci, bool bold)
{
	fprintf(f, "<td class=\"n%s\">%s", bold ? " sig" : "", v);
	if (ci && *ci)
		fprintf(f, "<span class=\"ci\">%s</span>", ci);
	fputs("</td>", f);
}

static void esc(FILE *f, const char *s)
{
	sim_svg_escape(f, s ? s : "", 0);
}

static void td(FILE *f, const char *text)
{
	fputs("<td>", f);
	esc(f, text);
	fputs("</td>", f);
}

static void td_lat(FILE *f, double v, double ci)
{
	char buf[64], cb[64];
	fmt_lat(buf, sizeof(buf), v, ci, cb, sizeof(cb));
	td_val(f, buf, cb, false);
}

static void td_num(FILE *f, double v, double ci)
{
	char buf[64], cb[64];
	fmt_num(buf, sizeof(buf), v, ci, cb, sizeof(cb));
	td_val(f, buf, cb, false);
}

static void caption(FILE *f, const char *text)
{
	fputs("<p class=\"cap\">", f);
	esc(f, text);
	fputs("</p>\n", f);
}

/* -------------------------------------------------------------- run -- */

/* One system's time series: means over replications per time. */
struct rts {
	char *system;
	double *t, *v; /* v: 4 per time: offered, throughput, goodput, p99 */
	size_t n;
};

struct tsrec {
	size_t sys;
	double t, v[4];
};

static int tsrec_cmp(const void *a, const void *b)
{
	const struct tsrec *x = a, *y = b;
	if (x->sys != y->sys)
		return x->sys < y->sys ? -1 : 1;
	return (x->t > y->t) - (x->t < y->t);
}

static void rts_release(struct report *r)
{
	for (size_t k = 0; k < r->nts; k++) {
		free(r->ts[k].system);
		free(r->ts[k].t);
		free(r->ts[k].v);
	}
	free(r->ts);
	r->ts = NULL;
	r->nts = 0;
}

/* Reads DIR/timeseries.csv when present. Returns 0 or an exit status
 * (message printed). */
static int read_timeseries(struct report *r)
{
	static const char *const want[] = {"time_s",	  "system",
					   "offered_rps", "throughput_rps",
					   "goodput_rps", "latency_s_p99"};
	char path[4096], **cells = NULL;
	size_t cap = 0, line = 1, nrec = 0, caprec = 0;
	struct tsrec *rec = NULL;
	long idx[6], nhead, n;
	int rc = EXIT_USAGE;
	struct stat st;

	snprintf(path, sizeof(path), "%s/timeseries.csv", r->dir);
	FILE *f = fopen(path, "rb");
	if (!f)
		return errno == ENOENT ? 0
				       : (cli_error("cannot read '%s': %s",
						    path, strerror(errno)),
					  EXIT_FAILED);
	r->ts_present = true;
	if (fstat(fileno(f), &st) || st.st_size > (off_t)REPORT_MAX_CSV) {
		cli_error("'%s' is larger than %u MiB: not a time series "
			  "concsim wrote",
			  path, REPORT_MAX_CSV >> 20);
		goto cleanup;
	}
	nhead = sim_csv_record(f, &cells, &cap);
	if (nhead < 0) {
		rc = nhead == -1 ? EXIT_FAILED : EXIT_USAGE;
		cli_error("cannot read '%s': %s", path,
			  nhead == -1 ? "out of memory" : "unterminated quote");
		goto cleanup;
	}
	for (int k = 0; k < 6; k++) {
		idx[k] = -1;
		for (long i = 0; i < nhead && idx[k] < 0; i++)
			if (!strcmp(cells[i], want[k]))
				idx[k] = i;
	}
	for (long i = 0; i < nhead; i++)
		free(cells[i]);
	for (int k = 0; k < 6; k++)
		if (idx[k] < 0) {
			fprintf(stderr, "%s:1:1: error: no column '%s'\n", path,
				want[k]);
			goto cleanup;
		}
	while ((n = sim_csv_record(f, &cells, &cap)) > 0) {
		line++;
		bool ok = n == nhead;
		if (ok && nrec == caprec) {
			size_t c = caprec ? 2 * caprec : 1024;
			struct tsrec *m = realloc(rec, c * sizeof(*m));
			if (!m) {
				for (long i = 0; i < n; i++)
					free(cells[i]);
				rc = EXIT_FAILED;
				cli_error("out of memory");
				goto cleanup;
			}
			rec = m;
			caprec = c;
		}
		if (ok) {
			struct tsrec *q = &rec[nrec];
			const char *sys = cells[idx[1]];
			/* systems come in blocks: look at the last first */
			size_t k = r->nts;
			if (k && !strcmp(r->ts[k - 1].system, sys))
				k--;
			else
				for (k = 0; k < r->nts; k++)
					if (!strcmp(r->ts[k].system, sys))
						break;
			if (k == r->nts && k == REPORT_MAX_SYSTEMS) {
				for (long i = 0; i < n; i++)
					free(cells[i]);
				fprintf(stderr,
					"%s:%zu:1: error: more than %d "
					"systems\n",
					path, line, REPORT_MAX_SYSTEMS);
				goto cleanup;
			}
			if (k == r->nts) {
				struct rts *m =
				    realloc(r->ts, (k + 1) * sizeof(*m));
				if (m) {
					r->ts = m;
					memset(&m[k], 0, sizeof(*m));
					m[k].system = strdup(sys);
				}
				if (!m || !m[k].system) {
					for (long i = 0; i < n; i++)
						free(cells[i]);
					rc = EXIT_FAILED;
					cli_error("out of memory");
					goto cleanup;
				}
				r->nts++;
			}
			q->sys = k;
			q->t = num_text(cells[idx[0]]);
			for (int c = 0; c < 4; c++)
				q->v[c] = num_text(cells[idx[2 + c]]);
			if (isfinite(q->t))
				nrec++;
		}
		for (long i = 0; i < n; i++)
			free(cells[i]);
		if (!ok) {
			fprintf(stderr,
				"%s:%zu:1: error: %ld cells where the header "
				"has %ld\n",
				path, line, n, nhead);
			goto cleanup;
		}
	}
	if (n < 0) {
		rc = n == -1 ? EXIT_FAILED : EXIT_USAGE;
		cli_error("cannot read '%s': %s", path,
			  n == -1 ? "out of memory" : "unterminated quote");
		goto cleanup;
	}
	/* means over replications per (system, time), then at most
	 * REPORT_TS_POINTS points per system (bins of equal counts) */
	qsort(rec, nrec, sizeof(*rec), tsrec_cmp);
	for (size_t i = 0, k = 0; k < r->nts; k++) {
		size_t j = i;
		while (j < nrec && rec[j].sys == k)
			j++;
		struct rts *s = &r->ts[k];
		s->t = malloc((j - i + 1) * sizeof(double));
		s->v = malloc((j - i + 1) * 4 * sizeof(double));
		if (!s->t || !s->v) {
			rc = EXIT_FAILED;
			cli_error("out of memory");
			goto cleanup;
		}
		while (i < j) {
			size_t e = i;
			double sum[4] = {0}, cnt[4] = {0};
			while (e < j && rec[e].t == rec[i].t) {
				for (int c = 0; c < 4; c++)
					if (isfinite(rec[e].v[c])) {
						sum[c] += rec[e].v[c];
						cnt[c]++;
					}
				e++;
			}
			s->t[s->n] = rec[i].t;
			for (int c = 0; c < 4; c++)
				s->v[s->n * 4 + c] =
				    cnt[c] ? sum[c] / cnt[c] : NAN;
			s->n++;
			i = e;
		}
		if (s->n > REPORT_TS_POINTS) {
			size_t g = (s->n + REPORT_TS_POINTS - 1) /
				   REPORT_TS_POINTS,
			       m = 0;
			for (size_t a = 0; a < s->n; a += g, m++) {
				size_t b = a + g < s->n ? a + g : s->n;
				double tt = 0, sum[4] = {0}, cnt[4] = {0};
				for (size_t q = a; q < b; q++) {
					tt += s->t[q];
					for (int c = 0; c < 4; c++)
						if (isfinite(s->v[q * 4 + c])) {
							sum[c] +=
							    s->v[q * 4 + c];
							cnt[c]++;
						}
				}
				s->t[m] = tt / (double)(b - a);
				for (int c = 0; c < 4; c++)
					s->v[m * 4 + c] =
					    cnt[c] ? sum[c] / cnt[c] : NAN;
			}
			s->n = m;
		}
	}
	rc = 0;
cleanup:
	free(rec);
	free(cells);
	fclose(f);
	return rc;
}

/* The percentile ticks of the spectrum's axis, x = 1/(1-p). */
static const struct sim_svg_tick spectrum_ticks[] = {
    {1, "0%"},	     {2, "50%"},	{10, "90%"},	  {100, "99%"},
    {1000, "99.9%"}, {10000, "99.99%"}, {1e5, "99.999%"},
};

static int figure_spectrum(FILE *f, const struct sim_ynode *sys,
			   const struct sim_svg_tick *slo, size_t nslo)
{
	struct sim_svg_series *s = calloc(sys->n + 1, sizeof(*s));
	double *buf = NULL;
	size_t total = 0, ns = 0, used = 0;
	double xmax = 100;
	int rc = SIM_ENOMEM;

	for (size_t i = 0; i < sys->n; i++) {
		const struct sim_ynode *cdf =
		    jget(sys->vals[i], "latency_s.cdf");
		if (cdf && cdf->kind == SIM_Y_SEQ)
			total += cdf->n;
	}
	if (!s || !(buf = malloc((2 * total + 1) * sizeof(double))))
		goto cleanup;
	for (size_t i = 0; i < sys->n; i++) {
		const struct sim_ynode *cdf =
		    jget(sys->vals[i], "latency_s.cdf");
		if (!cdf || cdf->kind != SIM_Y_SEQ)
			continue;
		struct sim_svg_series *q = &s[ns++];
		q->name = jstr(sys->vals[i], "name");
		q->style = (int)i;
		q->x = buf + used;
		q->y = buf + used + cdf->n;
		for (size_t k = 0; k < cdf->n; k++) {
			const struct sim_ynode *pt = cdf->vals[k];
			double p = NAN, v = NAN;
			if (pt->kind == SIM_Y_SEQ && pt->n == 2 &&
			    pt->vals[0]->kind == SIM_Y_SCALAR &&
			    pt->vals[1]->kind == SIM_Y_SCALAR) {
				p = num_text(pt->vals[0]->text);
				v = num_text(pt->vals[1]->text);
			}
			/* p = 1 (the maximum) is at infinity on this axis */
			if (!(p >= 0 && p < 1))
				continue;
			buf[used + q->n] = 1 / (1 - p);
			buf[used + cdf->n + q->n] = v * 1e3;
			if (1 / (1 - p) > xmax)
				xmax = 1 / (1 - p);
			q->n++;
		}
		used += 2 * cdf->n;
	}
	struct sim_svg_chart c;
	sim_svg_chart_init(&c);
	c.title = "latency percentile spectrum";
	c.xlabel = "percentile (log scale of 1/(1\xe2\x88\x92p))";
	c.ylabel = "latency (ms, log scale)";
	c.xlog = c.ylog = true;
	c.xmin = 1;
	c.xmax = pow(10, ceil(log10(xmax) - 1e-9));
	c.xticks = spectrum_ticks;
	c.nxticks = 0;
	while (c.nxticks < sizeof(spectrum_ticks) / sizeof(spectrum_ticks[0]) &&
	       spectrum_ticks[c.nxticks].v <= c.xmax * 1.0001)
		c.nxticks++;
	c.width = 960;
	c.height = 440;
	c.s = s;
	c.ns = ns;
	c.hlines = slo;
	c.nhlines = nslo;
	fputs("<figure>", f);
	rc = sim_svg_chart_write(f, &c);
	caption(f, "Latency at every percentile, good responses only (failed "
		   "and timed-out requests are not in it), pooled over the "
		   "replications: the tail to the right, as HdrHistogram and "
		   "wrk2 draw it. A curve that bends upward early means a "
		   "heavy tail; the maximum is not drawn (it sits at infinity "
		   "on this axis).");
	/* what the figure leaves out, said where it matters */
	for (size_t i = 0; i < sys->n; i++) {
		double off = jnum(sys->vals[i], "offered_rps");
		double good = jnum(sys->vals[i], "goodput_rps");
		if (!(off > 0 && good < 0.99 * off))
			continue;
		fputs("<p class=\"cap warn\">", f);
		esc(f, jstr(sys->vals[i], "name"));
		fprintf(f,
			": %.1f %% of the offered requests got no good "
			"response and are not in this figure.</p>\n",
			100 * (off - fmax(good, 0)) / off);
	}
	fputs("</figure>\n", f);
cleanup:
	free(s);
	free(buf);
	return rc;
}

static int figure_timeseries(FILE *f, const struct report *r)
{
	size_t n = r->nts;
	struct sim_svg_series *s = calloc(2 * n + 2, sizeof(*s));
	double *col = NULL;
	size_t total = 0;
	int rc = SIM_ENOMEM;

	for (size_t k = 0; k < n; k++)
		total += r->ts[k].n;
	if (!s || !(col = malloc((4 * total + 1) * sizeof(double))))
		goto cleanup;
	/* columns: offered, throughput, goodput, p99 (ms), per system */
	double *c0 = col;
	for (size_t k = 0; k < n; k++) {
		const struct rts *t = &r->ts[k];
		for (size_t i = 0; i < t->n; i++)
			for (int c = 0; c < 4; c++)
				c0[c * t->n + i] =
				    t->v[i * 4 + c] * (c == 3 ? 1e3 : 1);
		c0 += 4 * t->n;
	}
	/* the panels share the time axis, whatever a panel's data cover */
	double tmax = 0;
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < r->ts[k].n; i++)
			if (isfinite(r->ts[k].t[i]) && r->ts[k].t[i] > tmax)
				tmax = r->ts[k].t[i];
	/* is the offered load the same for every system (open arrivals)? */
	bool same = true;
	for (size_t k = 1; k < n && same; k++) {
		same = r->ts[k].n == r->ts[0].n;
		for (size_t i = 0; same && i < r->ts[0].n; i++) {
			double a = r->ts[0].v[i * 4], b = r->ts[k].v[i * 4];
			same = fabs(a - b) <= 1e-9 * fmax(fabs(a), 1);
		}
	}
	static const struct {
		const char *title, *ylabel;
		int c;
	} panel[] = {
	    {"throughput over time", "responses/s", 1},
	    {"goodput over time", "good responses/s", 2},
	    {"p99 latency over time, good responses only", "ms (log scale)", 3},
	};
	fputs("<figure>", f);
	for (int p = 0; p < 3; p++) {
		size_t ns = 0;
		c0 = col;
		if (panel[p].c != 3 && n) {
			/* the offered load first, drawn under the lines */
			if (same) {
				s[ns++] = (struct sim_svg_series){
				    .name = "offered load",
				    .x = r->ts[0].t,
				    .y = col,
				    .n = r->ts[0].n,
				    .style = -1,
				    .area = true};
			} else {
				for (size_t k = 0; k < n; k++) {
					s[ns++] = (struct sim_svg_series){
					    .x = r->ts[k].t,
					    .y = c0,
					    .n = r->ts[k].n,
					    .style = (int)k,
					    .dashed = true};
					c0 += 4 * r->ts[k].n;
				}
				s[ns++] = (struct sim_svg_series){
				    .name = "offered (dashed)",
				    .style = -1,
				    .dashed = true};
				c0 = col;
			}
		}
		for (size_t k = 0; k < n; k++) {
			s[ns++] = (struct sim_svg_series){
			    .name = r->ts[k].system,
			    .x = r->ts[k].t,
			    .y = c0 + (size_t)panel[p].c * r->ts[k].n,
			    .n = r->ts[k].n,
			    .style = (int)k};
			c0 += 4 * r->ts[k].n;
		}
		struct sim_svg_chart c;
		sim_svg_chart_init(&c);
		c.title = panel[p].title;
		c.ylabel = panel[p].ylabel;
		c.xlabel = "simulated time (s), warm-up included";
		c.xmin = 0;
		c.xmax = tmax;
		c.ylog = panel[p].c == 3;
		c.yzero = true;
		c.width = 960;
		c.height = 300;
		c.s = s;
		c.ns = ns;
		if ((rc = sim_svg_chart_write(f, &c)))
			goto cleanup;
	}
	caption(f, "Means over the replications of each interval, from time "
		   "0 (the warm-up is included). Throughput counts every "
		   "response a server finished, goodput only those the client "
		   "received in time; the p99 is of good responses only. The "
		   "grey area is the load the clients offered (dashed lines, "
		   "one per system, when it differs between systems, as in a "
		   "closed loop): a line below it is load not served.");
	fputs("</figure>\n", f);
	rc = 0;
cleanup:
	free(s);
	free(col);
	return rc;
}

static double err_total(const struct sim_ynode *s)
{
	const struct sim_ynode *e = sim_ymap_get(s, "errors", NULL);
	double sum = 0;
	if (!e || e->kind != SIM_Y_MAP)
		return NAN;
	for (size_t i = 0; i < e->n; i++)
		if (e->vals[i]->kind == SIM_Y_SCALAR &&
		    isfinite(num_text(e->vals[i]->text)))
			sum += num_text(e->vals[i]->text);
	return sum;
}

/* A half-width, or NaN when there are fewer than 2 replications (the
 * files then hold 0, which is no interval). */
static double ci_of(double ci, double reps)
{
	return reps >= 2 ? ci : NAN;
}

static void table_run(FILE *f, const struct sim_ynode *sys, double reps)
{
	fputs("<h2>Comparison</h2>\n<div class=\"wide\"><table>\n<tr>"
	      "<th>system</th><th>model</th><th>offered/s</th>"
	      "<th>throughput/s</th><th>goodput/s</th><th>without a "
	      "good response</th><th>failed attempts</th><th>mean</th>"
	      "<th>p50</th><th>p90</th>"
	      "<th>p99</th><th>p99.9</th><th>max</th><th>CPU</th>"
	      "<th>memory peak</th></tr>\n",
	      f);
	for (size_t i = 0; i < sys->n; i++) {
		const struct sim_ynode *s = sys->vals[i];
		char buf[96];
		fputs("<tr>", f);
		td(f, jstr(s, "name"));
		td(f, jstr(s, "model"));
		td_num(f, jnum(s, "offered_rps"), NAN);
		td_num(f, jnum(s, "throughput_rps"),
		       ci_of(jnum(s, "ci95.throughput_rps"), reps));
		td_num(f, jnum(s, "goodput_rps"),
		       ci_of(jnum(s, "ci95.goodput_rps"), reps));
		double off = jnum(s, "offered_rps"),
		       good = jnum(s, "goodput_rps");
		if (off > 0 && isfinite(good))
			fprintf(f, "<td class=\"n\">%.2f %%</td>",
				100 * fmax(off - good, 0) / off);
		else
			td(f, "\xe2\x80\x93");
		/* the kinds of failure in a tooltip */
		const struct sim_ynode *e = sim_ymap_get(s, "errors", NULL);
		fputs("<td class=\"n\" title=\"", f);
		for (size_t k = 0; e && e->kind == SIM_Y_MAP && k < e->n; k++) {
			if (e->vals[k]->kind != SIM_Y_SCALAR)
				continue;
			fputs(k ? ", " : "", f);
			esc(f, e->keys[k]->text);
			fputs(" ", f);
			esc(f, e->vals[k]->text);
		}
		double errs = err_total(s);
		if (isfinite(errs) && errs >= 100)
			snprintf(buf, sizeof(buf), "%.0f", errs);
		else
			fmt_num(buf, sizeof(buf), errs, NAN, NULL, 0);
		fprintf(f, "\">%s</td>", buf);
		td_lat(f, jnum(s, "latency_s.mean"),
		       ci_of(jnum(s, "ci95.latency_mean_s"), reps));
		td_lat(f, jnum(s, "latency_s.p50"),
		       ci_of(jnum(s, "ci95.latency_p50_s"), reps));
		td_lat(f, jnum(s, "latency_s.p90"), NAN);
		td_lat(f, jnum(s, "latency_s.p99"),
		       ci_of(jnum(s, "ci95.latency_p99_s"), reps));
		td_lat(f, jnum(s, "latency_s.p999"), NAN);
		td_lat(f, jnum(s, "latency_s.max"), NAN);
		double cpu = jnum(s, "utilization.cpu");
		if (isfinite(cpu))
			fprintf(f, "<td class=\"n\">%.1f %%</td>", 100 * cpu);
		else
			td(f, "\xe2\x80\x93");
		double mem = jnum(s, "memory_peak_bytes");
		if (isfinite(mem))
			fprintf(f, "<td class=\"n\">%.1f MiB</td>",
				mem / 1048576);
		else
			td(f, "\xe2\x80\x93");
		fputs("</tr>\n", f);
	}
	fputs("</table></div>\n", f);
	caption(f, "Means over the replications, \xc2\xb1 the 95 % "
		   "confidence half-width (Student t). Latency is from the "
		   "first attempt to the good response (retries included), "
		   "good responses only; failed attempts are refused, timed "
		   "out, killed or unavailable (hover for the kinds). "
		   "Throughput counts every response finished, goodput the "
		   "ones the client received in time; without a good response: "
		   "the share of the offered requests that got none.");
}

static void table_paired(FILE *f, const struct sim_ynode *sys, double reps)
{
	static const struct {
		const char *key, *label;
		bool lat;
	} d[] = {
	    {"latency_mean_s_diff", "mean latency", true},
	    {"latency_p99_s_diff", "p99 latency", true},
	    {"goodput_rps_diff", "goodput/s", false},
	    {"throughput_rps_diff", "throughput/s", false},
	};
	bool any = false;
	for (size_t i = 0; i < sys->n && !any; i++)
		any = sim_ymap_get(sys->vals[i], "vs_first", NULL) != NULL;
	if (!any || !sys->n)
		return;
	fputs("<h2>Paired differences</h2>\n<div class=\"wide\"><table>\n"
	      "<tr><th>system</th>",
	      f);
	for (size_t k = 0; k < 4; k++)
		fprintf(f, "<th>\xce\x94 %s</th>", d[k].label);
	fputs("</tr>\n", f);
	for (size_t i = 0; i < sys->n; i++) {
		const struct sim_ynode *v =
		    sim_ymap_get(sys->vals[i], "vs_first", NULL);
		if (!v)
			continue;
		fputs("<tr>", f);
		td(f, jstr(sys->vals[i], "name"));
		for (size_t k = 0; k < 4; k++) {
			char key[64], buf[64], cb[64];
			snprintf(key, sizeof(key), "%s_ci95", d[k].key);
			double x = jnum(v, d[k].key),
			       ci = ci_of(jnum(v, key), reps);
			if (d[k].lat)
				fmt_lat(buf + 1, sizeof(buf) - 1, x, ci, cb,
					sizeof(cb));
			else
				fmt_num(buf + 1, sizeof(buf) - 1, x, ci, cb,
					sizeof(cb));
			bool sig = isfinite(x) && isfinite(ci) && fabs(x) > ci;
			buf[0] = '+';
			td_val(f, x > 0 ? buf : buf + 1, cb, sig);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table></div>\n", f);
	fputs("<p class=\"cap\">Each system minus ", f);
	esc(f, jstr(sys->vals[0], "name"));
	fputs(" (the first), replication by replication on the very same "
	      "requests (common random numbers), with the 95 % half-width "
	      "of the paired difference. <b>Bold</b>: the interval excludes "
	      "0, a difference the replications resolve; otherwise the "
	      "runs cannot tell the two apart. Latency of good responses "
	      "only.</p>\n",
	      f);
}

/* Rows: class (or service), then system; columns from `lat` keys. */
static void table_breakdown(FILE *f, const struct sim_ynode *sys,
			    const char *group, const char *title,
			    const char *what, const char *note)
{
	bool rate = !strcmp(group, "services");
	/* the names, in order of first appearance (linear scans: the
	 * tree's size bounds them) */
	const struct sim_ynode **names = NULL;
	size_t nn = 0, cap = 0;
	for (size_t i = 0; i < sys->n; i++) {
		const struct sim_ynode *g =
		    sim_ymap_get(sys->vals[i], group, NULL);
		if (!g || g->kind != SIM_Y_MAP)
			continue;
		for (size_t k = 0; k < g->n; k++) {
			size_t j = 0;
			while (j < nn &&
			       strcmp(names[j]->text, g->keys[k]->text))
				j++;
			if (j < nn || nn == REPORT_MAX_SYSTEMS)
				continue;
			if (nn == cap) {
				size_t c = cap ? 2 * cap : 16;
				const struct sim_ynode **m =
				    realloc(names, c * sizeof(*m));
				if (!m)
					goto cleanup;
				names = m;
				cap = c;
			}
			names[nn++] = g->keys[k];
		}
	}
	if (!nn)
		goto cleanup;
	fprintf(f,
		"<h2>%s</h2>\n<div class=\"wide\"><table>\n<tr><th>%s</th>"
		"<th>system</th><th>completed</th>%s"
		"<th>mean</th><th>p50</th><th>p90</th><th>p99</th></tr>\n",
		title, what, rate ? "<th>throughput/s</th>" : "");
	for (size_t j = 0; j < nn; j++) {
		for (size_t i = 0; i < sys->n; i++) {
			const struct sim_ynode *g =
			    sim_ymap_get(sys->vals[i], group, NULL);
			const struct sim_ynode *c =
			    sim_ymap_get(g, names[j]->text, NULL);
			if (!c)
				continue;
			fprintf(f, "<tr%s>", i ? "" : " class=\"first\"");
			if (i == 0 ||
			    !sim_ymap_get(
				sim_ymap_get(sys->vals[i - 1], group, NULL),
				names[j]->text, NULL))
				td(f, names[j]->text);
			else
				td(f, "");
			td(f, jstr(sys->vals[i], "name"));
			td_num(f, jnum(c, "completed"), NAN);
			if (rate)
				td_num(f, jnum(c, "throughput_rps"), NAN);
			td_lat(f, jnum(c, "latency_s.mean"), NAN);
			td_lat(f, jnum(c, "latency_s.p50"), NAN);
			td_lat(f, jnum(c, "latency_s.p90"), NAN);
			td_lat(f, jnum(c, "latency_s.p99"), NAN);
			fputs("</tr>\n", f);
		}
	}
	fputs("</table></div>\n", f);
	caption(f, note);
cleanup:
	free(names);
}

static int write_run(FILE *f, const struct report *r)
{
	const struct sim_ynode *sys = sim_ymap_get(r->root, "systems", NULL);
	char buf[64];
	fputs("<p class=\"meta\">A run of ", f);
	fprintf(f, "%zu system%s", sys->n, sys->n == 1 ? "" : "s");
	double d = jnum(r->root, "duration_s"), w = jnum(r->root, "warmup_s");
	double reps = jnum(r->root, "replications");
	if (isfinite(d)) {
		fmt_num(buf, sizeof(buf), d, NAN, NULL, 0);
		fprintf(f, " for %s s measured", buf);
	}
	if (isfinite(w)) {
		fmt_num(buf, sizeof(buf), w, NAN, NULL, 0);
		fprintf(f, " after %s s of warm-up", buf);
	}
	if (isfinite(reps))
		fprintf(f, ", %.0f replication%s", reps, reps == 1 ? "" : "s");
	const char *seed = jstr(r->root, "seed");
	if (seed) {
		fputs(", seed ", f);
		esc(f, seed);
	}
	fputs(". The systems ran on common random numbers: the same "
	      "arrivals, classes and demands (with open arrivals, the very "
	      "same requests).</p>\n",
	      f);
	table_run(f, sys, reps);
	fputs("<h2>Latency</h2>\n", f);
	int rc = figure_spectrum(f, sys, r->slo, r->nslo);
	if (!rc && r->ts_present) {
		fputs("<h2>Over time</h2>\n", f);
		rc = figure_timeseries(f, r);
	}
	if (rc)
		return rc;
	table_paired(f, sys, reps);
	table_breakdown(f, sys, "classes", "Request classes", "class",
			"Per request class: requests completed in a "
			"replication (mean over replications); latency of "
			"good responses only.");
	table_breakdown(f, sys, "services", "Services", "service",
			"Per service (each system has its own instance of "
			"every service): latency of good responses only.");
	return ferror(f) ? SIM_EIO : 0;
}

/* ------------------------------------------------------------ sweep -- */

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
	return jstr(w->params->vals[i], "path");
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
		const char *sys = jstr(row, "system");
		if (row->kind != SIM_Y_MAP || !sys) {
			cli_error("'%s': row %zu is not a system's figures",
				  r->json_path, i + 1);
			return SIM_EINVAL;
		}
		struct srow *q = &w->rows[w->nrow];
		q->row = row;
		q->order = i;
		q->x = w->offered ? jnum(row, "offered_rps")
				  : num_text(param_cell(w, row, w->xparam));
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
		double off = jnum(row, "offered_rps");
		double *m[M_N];
		w->x[i] = w->rows[i].x;
		for (int k = 0; k < M_N; k++)
			m[k] = &w->m[k][i];
		*m[M_THR] = jnum(row, "throughput_rps");
		double reps = jnum(row, "replications");
		*m[M_THR_CI] = ci_of(jnum(row, "throughput_rps_ci95"), reps);
		*m[M_GOOD] = jnum(row, "goodput_rps");
		*m[M_GOOD_CI] = ci_of(jnum(row, "goodput_rps_ci95"), reps);
		*m[M_P50] = jnum(row, "latency_s_p50") * 1e3;
		*m[M_P99] = jnum(row, "latency_s_p99") * 1e3;
		*m[M_P99_CI] =
		    ci_of(jnum(row, "latency_s_p99_ci95"), reps) * 1e3;
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
		esc(f, w->sysname[j]);
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
	caption(f, g->note);
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
				   ? num_text(v->text) * 1e3
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
		esc(tf, name);
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
		esc(f, param_path(w, p));
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
			td(f, param_cell(w, row, p));
		td(f, jstr(row, "system"));
		double off = jnum(row, "offered_rps");
		double good = jnum(row, "goodput_rps");
		double reps = jnum(row, "replications");
		td_num(f, off, ci_of(jnum(row, "offered_rps_ci95"), reps));
		td_num(f, jnum(row, "throughput_rps"),
		       ci_of(jnum(row, "throughput_rps_ci95"), reps));
		td_num(f, good, ci_of(jnum(row, "goodput_rps_ci95"), reps));
		if (off > 0 && isfinite(good))
			fprintf(f, "<td class=\"n\">%.2f %%</td>",
				100 * fmax(off - good, 0) / off);
		else
			td(f, "\xe2\x80\x93");
		td_lat(f, jnum(row, "latency_s_mean"),
		       ci_of(jnum(row, "latency_s_mean_ci95"), reps));
		td_lat(f, jnum(row, "latency_s_p50"), NAN);
		td_lat(f, jnum(row, "latency_s_p99"),
		       ci_of(jnum(row, "latency_s_p99_ci95"), reps));
		double cpu = jnum(row, "utilization_cpu");
		if (isfinite(cpu))
			fprintf(f, "<td class=\"n\">%.1f %%</td>", 100 * cpu);
		else
			td(f, "\xe2\x80\x93");
		fputs("</tr>\n", f);
	}
	fputs("</table></div>\n", f);
	caption(f, "One row per point of the grid and system, means over the "
		   "replications \xc2\xb1 the 95 % half-width. Latency of good "
		   "responses only; \"without a good response\" is the share "
		   "of the offered requests that got none (every attempt "
		   "failed, or the answer came too late).");
}

static int write_sweep(FILE *f, const struct report *r)
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
		esc(f, param_path(&w, p));
		fputs("</code> (", f);
		for (size_t k = 0; v && v->kind == SIM_Y_SEQ && k < v->n; k++) {
			if (k == 8 && v->n > 10) {
				fprintf(f, ", \xe2\x80\xa6 %zu values", v->n);
				break;
			}
			fputs(k ? ", " : "", f);
			if (v->vals[k]->kind == SIM_Y_SCALAR)
				esc(f, v->vals[k]->text);
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

/* ------------------------------------------------------------ command -- */

static const char style_css[] =
    "body{font-family:sans-serif;color:#222;background:#fff;margin:24px "
    "auto;max-width:1240px;padding:0 16px;line-height:1.4}\n"
    "h1{font-size:24px;margin:0 0 4px}h1 small{font-weight:normal;"
    "color:#666;font-size:15px}\n"
    "h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid #ddd;"
    "padding-bottom:3px}h3{font-size:16px;margin:14px 0 4px}\n"
    ".meta{color:#444}.cap{color:#555;font-size:13px;max-width:960px;"
    "margin:4px 0 16px}\n"
    "figure{margin:0 0 12px}svg{display:block;max-width:100%;"
    "height:auto}\n"
    ".panels{display:flex;flex-wrap:wrap;gap:0 8px}\n"
    ".legend{font-size:13px;margin:2px 0 4px}.legend span{margin-right:"
    "16px;white-space:nowrap;display:inline-block}\n"
    ".sw{display:inline-block;width:22px;height:0;border-top:2px solid "
    "#555;vertical-align:middle;margin-right:6px}\n"
    ".sw.dashed{border-top-style:dashed}.sw.band{height:10px;border:0;"
    "background:#bbb;opacity:.6}\n"
    ".wide{overflow-x:auto}table{border-collapse:collapse;font-size:13px;"
    "margin:4px 0}\n"
    "th,td{padding:3px 8px;border-bottom:1px solid #e4e4e4;text-align:"
    "left;white-space:nowrap}\n"
    "th{white-space:normal;vertical-align:bottom;max-width:110px}\n"
    "th{background:#f3f3f3;font-weight:600}td.n{text-align:right;"
    "font-variant-numeric:tabular-nums}\n"
    ".ci{display:block;color:#777;font-size:11px}"
    ".warn{color:#a33}"
    "td.sig{font-weight:bold}tr.first td{border-top:1px solid #bbb}\n"
    "pre{background:#f7f7f7;border:1px solid #e4e4e4;padding:10px;"
    "font-size:12px;overflow-x:auto;white-space:pre}\n"
    "footer{color:#888;font-size:12px;margin-top:24px}\n";

/* Reads DIR's files and decides what it is. Returns 0 or an exit status
 * (message printed). */
static int load(struct report *r)
{
	struct sim_yerror ye;
	snprintf(r->json_path, sizeof(r->json_path), "%s/results.json", r->dir);
	int e = sim_read_bytes(r->json_path, &r->json, &r->json_len);
	if (e) {
		if (e == SIM_EINVAL)
			cli_error("'%s' is neither a run's nor a sweep's "
				  "folder: it has no results.json (write one "
				  "with `concsim run ... -o DIR` or `concsim "
				  "sweep ... -o DIR`)",
				  r->dir);
		else
			cli_error("cannot read '%s': %s", r->json_path,
				  sim_strerror(e));
		return e == SIM_ENOMEM ? EXIT_FAILED : EXIT_USAGE;
	}
	e = sim_yaml_parse(&r->doc, r->json_path, r->json, r->json_len, 0, &ye);
	if (e == SIM_ENOMEM) {
		cli_error("out of memory");
		return EXIT_FAILED;
	}
	r->root = e ? NULL : r->doc.root;
	const struct sim_ynode *sys = sim_ymap_get(r->root, "systems", NULL);
	const struct sim_ynode *rows = sim_ymap_get(r->root, "rows", NULL);
	const struct sim_ynode *par = sim_ymap_get(r->root, "parameters", NULL);
	if (rows && rows->kind == SIM_Y_SEQ && par && par->kind == SIM_Y_SEQ) {
		r->sweep = true;
	} else if (!sys || sys->kind != SIM_Y_SEQ) {
		if (e)
			cli_error("'%s' is neither a run's nor a sweep's "
				  "results: %s:%d:%d: %s",
				  r->dir, r->json_path, ye.mark.line,
				  ye.mark.col, ye.msg);
		else
			cli_error("'%s' is neither a run's nor a sweep's "
				  "results (no 'systems' and no 'rows')",
				  r->json_path);
		return EXIT_USAGE;
	}
	if (!r->sweep && sys->n > REPORT_MAX_SYSTEMS) {
		cli_error("'%s': more than %d systems", r->json_path,
			  REPORT_MAX_SYSTEMS);
		return EXIT_USAGE;
	}
	for (size_t i = 0; !r->sweep && i < sys->n; i++)
		if (sys->vals[i]->kind != SIM_Y_MAP ||
		    !jstr(sys->vals[i], "name")) {
			cli_error("'%s': system %zu has no name", r->json_path,
				  i + 1);
			return EXIT_USAGE;
		}
	char path[4096];
	snprintf(path, sizeof(path), "%s/scenario.yaml", r->dir);
	e = sim_read_bytes(path, &r->yaml, &r->yaml_len);
	if (e && e != SIM_EINVAL) {
		cli_error("cannot read '%s': %s", path, sim_strerror(e));
		return e == SIM_ENOMEM ? EXIT_FAILED : EXIT_USAGE;
	}
	return r->sweep ? 0 : read_timeseries(r);
}

static int write_page(FILE *f, const struct report *r)
{
	const char *name = jstr(r->root, "scenario");
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" "
	      "content=\"default-src 'none'; style-src 'unsafe-inline'; "
	      "img-src data:\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, "
	      "initial-scale=1\">\n"
	      "<link rel=\"icon\" href=\"data:,\">\n<title>",
	      f);
	esc(f, name ? name : "results");
	fprintf(f,
		" \xe2\x80\x94 concsim report</title>\n<style>\n%s"
		"</style>\n</head>\n<body>\n<h1>",
		style_css);
	esc(f, name ? name : "results");
	fprintf(f, " <small>concsim %s</small></h1>\n",
		r->sweep ? "sweep" : "run");
	int rc = r->sweep ? write_sweep(f, r) : write_run(f, r);
	if (rc)
		return rc;
	fputs("<h2>Scenario</h2>\n", f);
	if (r->yaml) {
		caption(f, "The resolved scenario (scenario.yaml), every "
			   "default made explicit: run it again with "
			   "`concsim run scenario.yaml`.");
		fputs("<pre>", f);
		esc(f, r->yaml);
		fputs("</pre>\n", f);
	} else {
		caption(f, "The folder has no scenario.yaml.");
	}
	fputs("<footer>Written by concsim " CONCSIM_VERSION " from <code>", f);
	esc(f, r->dir);
	fputs("</code>. Self-contained: no script, no external "
	      "resource.</footer>\n</body>\n</html>\n",
	      f);
	return ferror(f) ? SIM_EIO : 0;
}

int cmd_report(int argc, char **argv)
{
	struct report r = {0};
	struct sim_afile a = {0};
	char *outdir = NULL;
	const char *outname = "report.html";
	int rc = cli_parse(argc, argv, "--out|--quiet", "--slo", &r.o);

	if (rc)
		goto cleanup;
	rc = EXIT_USAGE;
	for (size_t i = 0; i < r.o.nextra; i++) {
		const char *x = r.o.extra[i];
		if (!strncmp(x, "--slo", 5)) {
			const char *v = x[5] == '='	     ? x + 6
					: i + 1 < r.o.nextra ? r.o.extra[++i]
							     : NULL;
			struct cli_objective obj[8];
			size_t n = 0;
			if (!v) {
				cli_error("--slo needs a value, e.g. --slo "
					  "'p99<100ms'");
				goto cleanup;
			}
			if (cli_parse_slo(v, obj, 8, &n))
				goto cleanup;
			for (size_t k = 0; k < n && r.nslo < 8; k++) {
				char *lb = r.slo_label[r.nslo];
				if (obj[k].stat == CLI_STAT_MEAN)
					snprintf(lb, 48, "objective: mean < ");
				else
					snprintf(lb, 48, "objective: p%g < ",
						 obj[k].q * 100);
				size_t l = strlen(lb);
				fmt_lat(lb + l, 48 - l, obj[k].target, NAN,
					NULL, 0);
				r.slo[r.nslo++] = (struct sim_svg_tick){
				    obj[k].target * 1e3, lb};
			}
		} else {
			cli_error("unexpected argument '%s'", x);
			goto cleanup;
		}
	}
	if (!r.o.file) {
		cli_error("no folder given: concsim report DIR (the -o DIR of "
			  "`concsim run` or `concsim sweep`)");
		goto cleanup;
	}
	r.dir = r.o.file;
	if (r.o.out) {
		const char *slash = strrchr(r.o.out, '/');
		outname = slash ? slash + 1 : r.o.out;
		if (!*outname) {
			cli_error("-o expects a file name, got '%s'", r.o.out);
			goto cleanup;
		}
		if (slash &&
		    !(outdir = strndup(r.o.out, (size_t)(slash - r.o.out) +
						    (slash == r.o.out)))) {
			rc = EXIT_FAILED;
			goto cleanup;
		}
	}
	if ((rc = load(&r)))
		goto cleanup;
	rc = EXIT_FAILED;
	if (sim_afile_open(&a, r.o.out ? outdir : r.dir, outname, stderr))
		goto cleanup;
	int e = write_page(a.f, &r);
	if (e == SIM_ENOMEM) {
		cli_error("out of memory");
		goto cleanup;
	}
	if (sim_afile_commit(&a, stderr))
		goto cleanup;
	if (!r.o.quiet)
		printf("%s%s%s\n", r.o.out ? (outdir ? outdir : "") : r.dir,
		       r.o.out ? (outdir ? "/" : "") : "/", outname);
	rc = 0;
cleanup:
	sim_afile_abort(&a);
	free(outdir);
	rts_release(&r);
	sim_yaml_free(&r.doc);
	free(r.json);
	free(r.yaml);
	cli_opts_release(&r.o);
	return rc;
}
