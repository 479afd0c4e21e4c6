/*
 * report_run.c - the page `concsim report` writes for a run's folder
 * (`run -o DIR`): the comparison table with its intervals, the latency
 * percentile spectrum, the time series (timeseries.csv, read bounded and
 * binned), the paired differences with the first system and the
 * per-class and per-service breakdowns.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/report.h"
#include "output/sweepio.h"
#include "scenario/readfile.h"

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

void rep_rts_release(struct report *r)
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
int rep_read_timeseries(struct report *r)
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
	FILE *f = sim_fopen_regular(path); /* a FIFO is refused, not read */
	if (!f)
		return errno == ENOENT
			   ? 0
			   : (cli_error("cannot read '%s': %s", path,
					sim_file_strerror(errno)),
			      EXIT_USAGE);
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
			sim_fprintf_safe(stderr,
					 "%s:1:1: error: no column '%s'\n",
					 path, want[k]);
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
				sim_fprintf_safe(
				    stderr,
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
			q->t = rep_num_text(cells[idx[0]]);
			for (int c = 0; c < 4; c++)
				q->v[c] = rep_num_text(cells[idx[2 + c]]);
			if (isfinite(q->t))
				nrec++;
		}
		for (long i = 0; i < n; i++)
			free(cells[i]);
		if (!ok) {
			sim_fprintf_safe(
			    stderr,
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
	if (nrec) /* rec is NULL when no row had a time */
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
		    rep_jget(sys->vals[i], "latency_s.cdf");
		if (cdf && cdf->kind == SIM_Y_SEQ)
			total += cdf->n;
	}
	if (!s || !(buf = malloc((2 * total + 1) * sizeof(double))))
		goto cleanup;
	for (size_t i = 0; i < sys->n; i++) {
		const struct sim_ynode *cdf =
		    rep_jget(sys->vals[i], "latency_s.cdf");
		if (!cdf || cdf->kind != SIM_Y_SEQ)
			continue;
		struct sim_svg_series *q = &s[ns++];
		q->name = rep_jstr(sys->vals[i], "name");
		q->style = (int)i;
		q->x = buf + used;
		q->y = buf + used + cdf->n;
		for (size_t k = 0; k < cdf->n; k++) {
			const struct sim_ynode *pt = cdf->vals[k];
			double p = NAN, v = NAN;
			if (pt->kind == SIM_Y_SEQ && pt->n == 2 &&
			    pt->vals[0]->kind == SIM_Y_SCALAR &&
			    pt->vals[1]->kind == SIM_Y_SCALAR) {
				p = rep_num_text(pt->vals[0]->text);
				v = rep_num_text(pt->vals[1]->text);
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
	rep_caption(f,
		    "Latency at every percentile, good responses only (failed "
		    "and timed-out requests are not in it), pooled over the "
		    "replications: the tail to the right, as HdrHistogram and "
		    "wrk2 draw it. A curve that bends upward early means a "
		    "heavy tail; the maximum is not drawn (it sits at infinity "
		    "on this axis).");
	/* what the figure leaves out, said where it matters */
	for (size_t i = 0; i < sys->n; i++) {
		double off = rep_jnum(sys->vals[i], "offered_rps");
		double good = rep_jnum(sys->vals[i], "goodput_rps");
		if (!(off > 0 && good < 0.99 * off))
			continue;
		fputs("<p class=\"cap warn\">", f);
		rep_esc(f, rep_jstr(sys->vals[i], "name"));
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
	rep_caption(f,
		    "Means over the replications of each interval, from time "
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
		    isfinite(rep_num_text(e->vals[i]->text)))
			sum += rep_num_text(e->vals[i]->text);
	return sum;
}

/* A half-width, or NaN when there are fewer than 2 replications (the
 * files then hold 0, which is no interval). */
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
		rep_td(f, rep_jstr(s, "name"));
		rep_td(f, rep_jstr(s, "model"));
		rep_td_num(f, rep_jnum(s, "offered_rps"), NAN);
		rep_td_num(f, rep_jnum(s, "throughput_rps"),
			   rep_ci_of(rep_jnum(s, "ci95.throughput_rps"), reps));
		rep_td_num(f, rep_jnum(s, "goodput_rps"),
			   rep_ci_of(rep_jnum(s, "ci95.goodput_rps"), reps));
		double off = rep_jnum(s, "offered_rps"),
		       good = rep_jnum(s, "goodput_rps");
		if (off > 0 && isfinite(good))
			fprintf(f, "<td class=\"n\">%.2f %%</td>",
				100 * fmax(off - good, 0) / off);
		else
			rep_td(f, "\xe2\x80\x93");
		/* the kinds of failure in a tooltip */
		const struct sim_ynode *e = sim_ymap_get(s, "errors", NULL);
		fputs("<td class=\"n\" title=\"", f);
		for (size_t k = 0; e && e->kind == SIM_Y_MAP && k < e->n; k++) {
			if (e->vals[k]->kind != SIM_Y_SCALAR)
				continue;
			fputs(k ? ", " : "", f);
			rep_esc(f, e->keys[k]->text);
			fputs(" ", f);
			rep_esc(f, e->vals[k]->text);
		}
		double errs = err_total(s);
		if (isfinite(errs) && errs >= 100)
			snprintf(buf, sizeof(buf), "%.0f", errs);
		else
			rep_fmt_num(buf, sizeof(buf), errs, NAN, NULL, 0);
		fprintf(f, "\">%s</td>", buf);
		rep_td_lat(f, rep_jnum(s, "latency_s.mean"),
			   rep_ci_of(rep_jnum(s, "ci95.latency_mean_s"), reps));
		rep_td_lat(f, rep_jnum(s, "latency_s.p50"),
			   rep_ci_of(rep_jnum(s, "ci95.latency_p50_s"), reps));
		rep_td_lat(f, rep_jnum(s, "latency_s.p90"), NAN);
		rep_td_lat(f, rep_jnum(s, "latency_s.p99"),
			   rep_ci_of(rep_jnum(s, "ci95.latency_p99_s"), reps));
		rep_td_lat(f, rep_jnum(s, "latency_s.p999"), NAN);
		rep_td_lat(f, rep_jnum(s, "latency_s.max"), NAN);
		double cpu = rep_jnum(s, "utilization.cpu");
		if (isfinite(cpu))
			fprintf(f, "<td class=\"n\">%.1f %%</td>", 100 * cpu);
		else
			rep_td(f, "\xe2\x80\x93");
		double mem = rep_jnum(s, "memory_peak_bytes");
		if (isfinite(mem))
			fprintf(f, "<td class=\"n\">%.1f MiB</td>",
				mem / 1048576);
		else
			rep_td(f, "\xe2\x80\x93");
		fputs("</tr>\n", f);
	}
	fputs("</table></div>\n", f);
	rep_caption(
	    f, "Means over the replications, \xc2\xb1 the 95 % "
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
	    {"latency_s_mean_diff", "mean latency", true},
	    {"latency_s_p99_diff", "p99 latency", true},
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
		rep_td(f, rep_jstr(sys->vals[i], "name"));
		for (size_t k = 0; k < 4; k++) {
			char key[64], buf[64], cb[64];
			snprintf(key, sizeof(key), "%s_ci95", d[k].key);
			double x = rep_jnum(v, d[k].key),
			       ci = rep_ci_of(rep_jnum(v, key), reps);
			if (d[k].lat)
				rep_fmt_lat(buf + 1, sizeof(buf) - 1, x, ci, cb,
					    sizeof(cb));
			else
				rep_fmt_num(buf + 1, sizeof(buf) - 1, x, ci, cb,
					    sizeof(cb));
			bool sig = isfinite(x) && isfinite(ci) && fabs(x) > ci;
			buf[0] = '+';
			rep_td_val(f, x > 0 ? buf : buf + 1, cb, sig);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table></div>\n", f);
	fputs("<p class=\"cap\">Each system minus ", f);
	rep_esc(f, rep_jstr(sys->vals[0], "name"));
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
				rep_td(f, names[j]->text);
			else
				rep_td(f, "");
			rep_td(f, rep_jstr(sys->vals[i], "name"));
			rep_td_num(f, rep_jnum(c, "completed"), NAN);
			if (rate)
				rep_td_num(f, rep_jnum(c, "throughput_rps"),
					   NAN);
			rep_td_lat(f, rep_jnum(c, "latency_s.mean"), NAN);
			rep_td_lat(f, rep_jnum(c, "latency_s.p50"), NAN);
			rep_td_lat(f, rep_jnum(c, "latency_s.p90"), NAN);
			rep_td_lat(f, rep_jnum(c, "latency_s.p99"), NAN);
			fputs("</tr>\n", f);
		}
	}
	fputs("</table></div>\n", f);
	rep_caption(f, note);
cleanup:
	free(names);
}

int rep_write_run(FILE *f, const struct report *r)
{
	const struct sim_ynode *sys = sim_ymap_get(r->root, "systems", NULL);
	char buf[64];
	fputs("<p class=\"meta\">A run of ", f);
	fprintf(f, "%zu system%s", sys->n, sys->n == 1 ? "" : "s");
	double d = rep_jnum(r->root, "duration_s"),
	       w = rep_jnum(r->root, "warmup_s");
	double reps = rep_jnum(r->root, "replications");
	if (isfinite(d)) {
		rep_fmt_num(buf, sizeof(buf), d, NAN, NULL, 0);
		fprintf(f, " for %s s measured", buf);
	}
	if (isfinite(w)) {
		rep_fmt_num(buf, sizeof(buf), w, NAN, NULL, 0);
		fprintf(f, " after %s s of warm-up", buf);
	}
	if (isfinite(reps))
		fprintf(f, ", %.0f replication%s", reps, reps == 1 ? "" : "s");
	const char *seed = rep_jstr(r->root, "seed");
	if (seed) {
		fputs(", seed ", f);
		rep_esc(f, seed);
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
