/*
 * table.c - a run's results for people at a terminal: one row per system
 * with rates, errors, latency percentiles, CPU and memory; then classes,
 * the paired differences against the first system, and the other figures
 * of each model, wrapped before 80 columns.
 */
#include "output/table.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/error.h"
#include "output/output.h"

/* The class of s named `name`, or NULL. */
static const struct sim_class_summary *find_class(const struct sim_summary *s,
						  const char *name)
{
	char nb[32];
	for (size_t c = 0; c < s->nclasses; c++)
		if (!strcmp(sim__class_name(&s->classes[c], c, nb, sizeof(nb)),
			    name))
			return &s->classes[c];
	return NULL;
}

/* ------------------------------------------------------------- grid -- */

int sim_tbl_init(struct sim_tbl *t, size_t nrows, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->cell = calloc(nrows * ncols + 1, sizeof(*t->cell));
	t->right = calloc(ncols ? ncols : 1, sizeof(*t->right));
	if (!t->cell || !t->right) {
		sim_tbl_release(t);
		return SIM_ENOMEM;
	}
	t->nrows = nrows;
	t->ncols = ncols;
	return 0;
}

void sim_tbl_release(struct sim_tbl *t)
{
	free(t->cell);
	free(t->right);
	memset(t, 0, sizeof(*t));
}

char *sim_tbl_at(struct sim_tbl *t, size_t row, size_t col)
{
	assert(row < t->nrows && col < t->ncols);
	return t->cell[row * t->ncols + col];
}

void sim_tbl_print(FILE *f, const struct sim_tbl *t)
{
	size_t *w = calloc(t->ncols ? t->ncols : 1, sizeof(*w));
	if (!w)
		return; /* a table is for people; its lack is not an error */
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			char *cell = t->cell[r * t->ncols + c];
			/* names come from users: no escape sequence reaches a
			 * terminal (or summary.txt) */
			for (char *p = cell; *p; p++)
				if (sim_is_ctl((unsigned char)*p))
					*p = '?';
			size_t len = strlen(cell);
			if (len > w[c])
				w[c] = len;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cell[r * t->ncols + c];
			bool last = c + 1 == t->ncols;
			if (c)
				fputs("  ", f);
			if (t->right[c])
				fprintf(f, "%*s", (int)w[c], s);
			else if (last)
				fputs(s, f);
			else
				fprintf(f, "%-*s", (int)w[c], s);
		}
		fputc('\n', f);
		if (r == 0) {
			size_t total = 0;
			for (size_t c = 0; c < t->ncols; c++)
				total += w[c] + (c ? 2 : 0);
			for (size_t k = 0; k < total; k++)
				fputc('-', f);
			fputc('\n', f);
		}
	}
	free(w);
}

/* ------------------------------------------------------- formatting -- */

/* Decimals that show about three significant digits of v. */
static int decimals(double v)
{
	double a = fabs(v);
	return a >= 100 ? 0 : a >= 10 ? 1 : 2;
}

/* A duration with an automatic unit (ns, us, ms, s) and, when ci is true,
 * "+- half-width" in the same unit; "-" when not finite. `sep` goes
 * between number and unit. */
static void fmt_time(char *buf, size_t len, struct sim_est e, bool ci,
		     const char *sep)
{
	static const struct {
		double below, scale;
		const char *unit;
	} units[] = {
	    {1e-6, 1e9, "ns"},
	    {1e-3, 1e6, "us"},
	    {1.0, 1e3, "ms"},
	    {INFINITY, 1.0, "s"},
	};
	if (!isfinite(e.mean)) {
		snprintf(buf, len, "-");
		return;
	}
	/* one unit for the estimate and its half-width, chosen by the
	 * larger of the two (a tiny difference with a wide interval reads
	 * "+0.00 +- 134.46 ms", not "+1.46 +- 134459273.46 ns") */
	double mag = fabs(e.mean);
	if (ci && isfinite(e.ci95) && e.ci95 > mag)
		mag = e.ci95;
	size_t u = 0;
	while (mag >= units[u].below && u + 1 < 4)
		u++;
	if (mag == 0.0)
		u = 2; /* "0.00 ms" reads better than "0.00 ns" */
	double v = e.mean * units[u].scale;
	int d = decimals(v);
	double h = ci && isfinite(e.ci95) ? e.ci95 * units[u].scale : NAN;
	if (isfinite(h) && h > 0 && h < 0.5 * pow(10, -d))
		/* a half-width too small for the estimate's decimals: two
		 * significant digits rather than "+- 0.00" */
		snprintf(buf, len, "%.*f +- %.2g%s%s", d, v, h, sep,
			 units[u].unit);
	else if (isfinite(h))
		snprintf(buf, len, "%.*f +- %.*f%s%s", d, v, d, h, sep,
			 units[u].unit);
	else
		snprintf(buf, len, "%.*f%s%s", d, v, sep, units[u].unit);
}

/* A scenario duration as given: "60 s", "500 ms". */
static void fmt_span(char *buf, size_t len, double v)
{
	if (v != 0 && fabs(v) < 1e-3)
		snprintf(buf, len, "%g us", v * 1e6);
	else if (v != 0 && fabs(v) < 1)
		snprintf(buf, len, "%g ms", v * 1e3);
	else
		snprintf(buf, len, "%g s", v);
}

/* A rate per second, with "+- half-width" when ci is true. */
static void fmt_rate(char *buf, size_t len, struct sim_est e, bool ci)
{
	if (!isfinite(e.mean)) {
		snprintf(buf, len, "-");
		return;
	}
	int d = fabs(e.mean) >= 10000 ? 0 : 1;
	if (ci && isfinite(e.ci95))
		snprintf(buf, len, "%.*f +- %.*f", d, e.mean, d, e.ci95);
	else
		snprintf(buf, len, "%.*f", d, e.mean);
}

/* A count averaged over replications: whole when it is whole. */
static void fmt_count(char *buf, size_t len, double v)
{
	if (v == floor(v) || fabs(v) >= 1000)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.1f", v);
}

/* The errors of a replication (mean over replications): the total, then
 * every kind that occurred, largest first: "60017 (39373 refused, 20644
 * timeout)"; one kind alone reads "120 (timeout)". */
static void fmt_errors(char *buf, size_t len, const struct sim_summary *s)
{
	int kinds[SIM_OUT_N], nk = 0;
	double total = 0;
	for (int o = SIM_OUT_OK + 1; o < SIM_OUT_N; o++) {
		total += s->errors[o];
		if (!(s->errors[o] > 0))
			continue;
		int k = nk++;
		for (; k > 0 && s->errors[kinds[k - 1]] < s->errors[o]; k--)
			kinds[k] = kinds[k - 1];
		kinds[k] = o;
	}
	char cnt[SIM_NUM_LEN];
	fmt_count(cnt, sizeof(cnt), total);
	size_t at = (size_t)snprintf(buf, len, "%s", cnt);
	for (int k = 0; k < nk && at < len; k++) {
		if (nk == 1) {
			at += (size_t)snprintf(buf + at, len - at, " (%s)",
					       sim_outcome_names[kinds[k]]);
			break;
		}
		fmt_count(cnt, sizeof(cnt), s->errors[kinds[k]]);
		at += (size_t)snprintf(
		    buf + at, len - at, "%s%s %s%s", k ? ", " : " (", cnt,
		    sim_outcome_names[kinds[k]], k + 1 == nk ? ")" : "");
	}
}

/* The memory peak a model reported, or NaN. */
static double mem_peak(const struct sim_metrics *m)
{
	double v = sim_metrics_get(m, "", "memory_peak_bytes", NAN);
	if (isnan(v))
		v = sim_metrics_get(m, "memory", "peak_bytes", NAN);
	return v;
}

/* Whether the table already shows this metric in a column. */
static bool shown_in_table(const struct sim_metric *x)
{
	return !strcmp(x->group, "vs_first") ||		/* its own block */
	       !strncmp(x->group, "services.", 9) ||	/* its own block */
	       !strncmp(x->group, "time_share.", 11) || /* its own block */
	       (!strcmp(x->group, "utilization") && !strcmp(x->key, "cpu")) ||
	       (!x->group[0] && !strcmp(x->key, "memory_peak_bytes")) ||
	       (!strcmp(x->group, "memory") && !strcmp(x->key, "peak_bytes"));
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

/* One metric as key=value: utilization in percent, figures in seconds
 * (a name ending in "_s", not "per_s") as durations, everything else with
 * four significant digits. */
static void fmt_metric(char *buf, size_t len, const struct sim_metric *x)
{
	char v[SIM_TBL_CELL];
	bool util = !strncmp(x->group, "utilization", 11);
	bool secs = (ends_with(x->key, "_s") && !ends_with(x->key, "per_s")) ||
		    ends_with(x->group, "_s") ||
		    strstr(x->group, "_s.") != NULL;
	if (!isfinite(x->value))
		snprintf(v, sizeof(v), "-");
	else if (util)
		snprintf(v, sizeof(v), "%.1f%%", 100.0 * x->value);
	else if (secs)
		fmt_time(v, sizeof(v), (struct sim_est){x->value, 0}, false,
			 "");
	else
		snprintf(v, sizeof(v), "%.4g", x->value);
	snprintf(buf, len, "%s%s%s=%s", x->group, x->group[0] ? "." : "",
		 x->key, v);
}

/* The paired differences of each system against the first one (group
 * "vs_first", common random numbers), one line per system:
 *   name  mean +12.3 +- 1.1 ms  p99 ...  goodput -3.20 +- 0.50/s */
static void table_paired(FILE *f, const struct sim_summary *sys, size_t n)
{
	static const struct {
		const char *key, *label;
		bool secs;
	} figs[] = {{"latency_s_mean_diff", "mean", true},
		    {"latency_s_p99_diff", "p99", true},
		    {"goodput_rps_diff", "goodput", false}};
	bool header = false;
	for (size_t i = 1; i < n; i++) {
		const struct sim_metrics *m = &sys[i].metrics;
		if (isnan(sim_metrics_get(m, "vs_first", figs[0].key, NAN)))
			continue;
		if (!header) {
			char nm[128];
			sim_safe_copy(nm, sizeof nm,
				      sys[0].name ? sys[0].name
						  : "the first system");
			fprintf(f,
				"\ncompared with %s on the same requests "
				"(paired differences, +- 95%%):\n",
				nm);
		}
		header = true;
		fprintf(f, "  %-18s", sys[i].name ? sys[i].name : "?");
		for (size_t k = 0; k < sizeof figs / sizeof figs[0]; k++) {
			char key[48], v[2 * SIM_TBL_CELL];
			snprintf(key, sizeof key, "%s_ci95", figs[k].key);
			struct sim_est e = {
			    sim_metrics_get(m, "vs_first", figs[k].key, NAN),
			    sim_metrics_get(m, "vs_first", key, NAN)};
			const char *sign = e.mean < 0 ? "-" : "+";
			e.mean = fabs(e.mean);
			if (isnan(e.ci95) && isfinite(e.mean)) {
				size_t at = 0;
				if (figs[k].secs)
					fmt_time(v, sizeof v, e, false, " ");
				else
					snprintf(v, sizeof v, "%.3g/s", e.mean);
				at = strlen(v);
				snprintf(v + at, sizeof v - at,
					 " (one pair: no interval)");
			} else if (figs[k].secs)
				fmt_time(v, sizeof v, e, true, " ");
			else
				snprintf(v, sizeof v, "%.3g +- %.2g/s", e.mean,
					 e.ci95);
			fprintf(f, "  %s %s%s", figs[k].label, sign, v);
		}
		fputc('\n', f);
	}
}

/* Writes `s: k=v k=v ...` wrapped before 80 columns. */
static void table_metrics_line(FILE *f, const struct sim_summary *s)
{
	char tok[2 * SIM_TBL_CELL + 48];
	size_t col = 0;
	bool any = false;

	for (size_t i = 0; i < s->metrics.n + 1; i++) {
		if (i < s->metrics.n) {
			if (shown_in_table(&s->metrics.v[i]))
				continue;
			fmt_metric(tok, sizeof(tok), &s->metrics.v[i]);
		} else if (s->wasted > 0) {
			char v[SIM_NUM_LEN];
			fmt_count(v, sizeof(v), s->wasted);
			snprintf(tok, sizeof(tok), "wasted=%s", v);
		} else {
			break;
		}
		if (!any) {
			fputs("  ", f);
			sim_fputs_safe(s->name ? s->name : "?", f);
			fputc(':', f);
			col = 3 + strlen(s->name ? s->name : "?");
			any = true;
		}
		size_t len = strlen(tok);
		if (col + 1 + len > 79 && col > 4) {
			fputs("\n   ", f);
			col = 3;
		}
		fprintf(f, " %s", tok);
		col += 1 + len;
	}
	if (any)
		fputc('\n', f);
}

/* The services block: one row per system and service it called, then
 * where the requests' time went (mean share, and share of the slowest
 * 1 %) per system. */
static int table_services(FILE *f, const struct sim_scenario *sc,
			  const struct sim_summary *sys, size_t n)
{
	static const char *const head[] = {
	    "system", "service", "calls/s", "served/s",	 "errors",   "mean",
	    "p99",    "cpu %",	 "busy %",  "pool wait", "pool peak"};
	enum { NC = sizeof head / sizeof head[0] };
	struct sim_tbl t = {0};
	size_t rows = 1;
	int rc = sim_tbl_init(&t, 1 + n * sc->nservices, NC);
	if (rc)
		return rc;
	for (size_t c = 0; c < NC; c++) {
		snprintf(sim_tbl_at(&t, 0, c), SIM_TBL_CELL, "%s", head[c]);
		t.right[c] = c >= 2;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < sc->nservices; k++) {
			const struct sim_metrics *m = &sys[i].metrics;
			char g[40], g2[60];
			const char *name = sc->services[k].sys.name;
			snprintf(g, sizeof g, "services.%s", name);
			double calls = sim_metrics_get(m, g, "calls_rps", NAN);
			if (isnan(calls))
				continue;
			size_t r = rows++;
			snprintf(sim_tbl_at(&t, r, 0), SIM_TBL_CELL, "%s",
				 sys[i].name ? sys[i].name : "?");
			snprintf(sim_tbl_at(&t, r, 1), SIM_TBL_CELL, "%s",
				 name);
			fmt_rate(sim_tbl_at(&t, r, 2), SIM_TBL_CELL,
				 (struct sim_est){calls, 0}, false);
			fmt_rate(
			    sim_tbl_at(&t, r, 3), SIM_TBL_CELL,
			    (struct sim_est){
				sim_metrics_get(m, g, "throughput_rps", 0), 0},
			    false);
			double errs = 0;
			snprintf(g2, sizeof g2, "%s.errors", g);
			for (int o = SIM_OUT_OK + 1; o < SIM_OUT_N; o++)
				errs += sim_metrics_get(
				    m, g2, sim_outcome_names[o], 0);
			fmt_count(sim_tbl_at(&t, r, 4), SIM_TBL_CELL, errs);
			snprintf(g2, sizeof g2, "%s.latency_s", g);
			fmt_time(sim_tbl_at(&t, r, 5), SIM_TBL_CELL,
				 (struct sim_est){
				     sim_metrics_get(m, g2, "mean", 0), 0},
				 false, " ");
			fmt_time(sim_tbl_at(&t, r, 6), SIM_TBL_CELL,
				 (struct sim_est){
				     sim_metrics_get(m, g2, "p99", 0), 0},
				 false, " ");
			snprintf(g2, sizeof g2, "%s.utilization", g);
			double cpu = sim_metrics_get(m, g2, "cpu", NAN);
			/* how full its own limit is: connections, workers, loop
			 */
			double busy =
			    sim_metrics_get(m, g2, "connections", NAN);
			if (isnan(busy))
				busy = sim_metrics_get(m, g2, "workers", NAN);
			if (isnan(busy))
				busy = sim_metrics_get(m, g2, "loop", NAN);
			snprintf(sim_tbl_at(&t, r, 7), SIM_TBL_CELL,
				 isfinite(cpu) ? "%.1f" : "-", 100.0 * cpu);
			snprintf(sim_tbl_at(&t, r, 8), SIM_TBL_CELL,
				 isfinite(busy) ? "%.1f" : "-", 100.0 * busy);
			snprintf(g2, sizeof g2, "%s.pool", g);
			double w = sim_metrics_get(m, g2, "wait_s_mean", NAN);
			double pk =
			    sim_metrics_get(m, g2, "connections_peak", NAN);
			if (isfinite(w))
				fmt_time(sim_tbl_at(&t, r, 9), SIM_TBL_CELL,
					 (struct sim_est){w, 0}, false, " ");
			else
				snprintf(sim_tbl_at(&t, r, 9), SIM_TBL_CELL,
					 "-");
			snprintf(sim_tbl_at(&t, r, 10), SIM_TBL_CELL,
				 isfinite(pk) ? "%.0f" : "-", pk);
		}
	t.nrows = rows;
	fputs("\nservices (per system: its own instance of each)\n\n", f);
	sim_tbl_print(f, &t);
	sim_tbl_release(&t);

	fputs("\nwhere the time went (share of latency: mean | slowest 1 %)\n",
	      f);
	static const char *const tiers[] = {"cpu", "io", "waiting",
					    "pool_wait"};
	for (size_t i = 0; i < n; i++) {
		const struct sim_metrics *m = &sys[i].metrics;
		fprintf(f, "  %-14s", sys[i].name ? sys[i].name : "?");
		for (int p = 0; p < 2; p++) {
			const char *g =
			    p ? "time_share.p99" : "time_share.mean";
			fputs(p ? " |" : "", f);
			for (size_t k = 0; k < 4 + sc->nservices; k++) {
				char key[40];
				snprintf(key, sizeof key, "%s%s",
					 k < 4 ? "" : "service_",
					 k < 4 ? tiers[k]
					       : sc->services[k - 4].sys.name);
				double v = sim_metrics_get(m, g, key, NAN);
				if (isfinite(v) && v >= 0.005)
					fprintf(f, " %s %.0f%%",
						k < 4 ? tiers[k] : key + 8,
						100 * v);
			}
		}
		fputc('\n', f);
	}
	return ferror(f) ? SIM_EIO : 0;
}

/* The per-class block: one row per class and system. */
static int table_classes(FILE *f, const struct sim_summary *sys, size_t n)
{
	char fallback[SIM__MAX_FALLBACK_NAMES][32];
	struct sim__names cls = {0};
	struct sim_tbl t = {0};
	int rc =
	    sim__class_names(sys, n, &cls, fallback, SIM__MAX_FALLBACK_NAMES);
	if (rc)
		goto cleanup;
	rc = sim_tbl_init(&t, 1 + cls.n * n, 6);
	if (rc)
		goto cleanup;
	static const char *const head[] = {"class", "system", "done/s",
					   "mean",  "p50",    "p99"};
	for (size_t c = 0; c < 6; c++) {
		snprintf(sim_tbl_at(&t, 0, c), SIM_TBL_CELL, "%s", head[c]);
		t.right[c] = c >= 2;
	}
	size_t row = 1;
	for (size_t c = 0; c < cls.n; c++)
		for (size_t i = 0; i < n; i++, row++) {
			const struct sim_summary *s = &sys[i];
			const struct sim_class_summary *cs =
			    find_class(s, cls.v[c]);
			snprintf(sim_tbl_at(&t, row, 0), SIM_TBL_CELL, "%s",
				 i == 0 ? cls.v[c] : "");
			snprintf(sim_tbl_at(&t, row, 1), SIM_TBL_CELL, "%s",
				 s->name ? s->name : "?");
			if (!cs) {
				for (size_t k = 2; k < 6; k++)
					snprintf(sim_tbl_at(&t, row, k),
						 SIM_TBL_CELL, "-");
				continue;
			}
			double done = s->duration_s > 0
					  ? cs->completed / s->duration_s
					  : NAN;
			fmt_rate(sim_tbl_at(&t, row, 2), SIM_TBL_CELL,
				 (struct sim_est){done, 0}, false);
			fmt_time(sim_tbl_at(&t, row, 3), SIM_TBL_CELL,
				 cs->lat_mean, false, " ");
			fmt_time(sim_tbl_at(&t, row, 4), SIM_TBL_CELL, cs->p50,
				 false, " ");
			fmt_time(sim_tbl_at(&t, row, 5), SIM_TBL_CELL, cs->p99,
				 false, " ");
		}
	fputc('\n', f);
	sim_tbl_print(f, &t);

cleanup:
	sim_tbl_release(&t);
	free(cls.v);
	return rc;
}

enum {
	COL_SYSTEM,
	COL_MODEL,
	COL_OFFERED,
	COL_THRUPUT,
	COL_GOODPUT,
	COL_ERRORS,
	COL_MEAN,
	COL_P50,
	COL_P99,
	COL_P999,
	COL_CPU,
	COL_MEM,
	NCOLS
};

int sim_write_table(FILE *f, const struct sim_scenario *sc,
		    const struct sim_summary *sys, size_t n)
{
	static const char *const head[NCOLS] = {
	    "system", "model", "offered/s", "thruput/s", "goodput/s", "errors",
	    "mean",   "p50",   "p99",	    "p99.9",	 "cpu %",     "mem MiB",
	};
	struct sim_tbl t = {0};
	int reps = n ? sys[0].replications : sc->replications;
	bool ci = reps > 1;
	char dur[SIM_TBL_CELL], warm[2 * SIM_TBL_CELL];
	int rc;

	fmt_span(dur, sizeof(dur), sc->duration);
	fmt_span(warm, sizeof(warm), sc->warmup);
	if (sc->warmup_auto && n) {
		/* the truncation MSER-5 chose, mean per replication, over
		 * the systems */
		double lo = sys[0].warmup_s, hi = lo;
		for (size_t i = 1; i < n; i++) {
			lo = fmin(lo, sys[i].warmup_s);
			hi = fmax(hi, sys[i].warmup_s);
		}
		char a[SIM_TBL_CELL / 2], b[SIM_TBL_CELL / 2];
		snprintf(a, sizeof(a), "%.3g s", lo);
		snprintf(b, sizeof(b), "%.3g s", hi);
		if (lo == hi)
			snprintf(warm, sizeof(warm), "an MSER-5 (auto) %s", a);
		else
			snprintf(warm, sizeof(warm),
				 "an MSER-5 (auto) %s to %s by system", a, b);
	}
	sim_fputs_safe(sc->name ? sc->name : "scenario", f);
	fprintf(f, ": %s measured after %s warm-up, %d replication%s%s\n\n",
		dur, warm, reps, reps == 1 ? "" : "s",
		ci ? " (+- is the 95% confidence half-width)" : "");

	rc = sim_tbl_init(&t, n + 1, NCOLS);
	if (rc)
		goto cleanup;
	for (size_t c = 0; c < NCOLS; c++) {
		snprintf(sim_tbl_at(&t, 0, c), SIM_TBL_CELL, "%s", head[c]);
		t.right[c] = c >= COL_OFFERED;
	}
	for (size_t i = 0; i < n; i++) {
		const struct sim_summary *s = &sys[i];
		size_t r = i + 1;

		snprintf(sim_tbl_at(&t, r, COL_SYSTEM), SIM_TBL_CELL, "%s",
			 s->name ? s->name : "?");
		snprintf(sim_tbl_at(&t, r, COL_MODEL), SIM_TBL_CELL, "%s",
			 s->model ? s->model : "?");
		fmt_rate(sim_tbl_at(&t, r, COL_OFFERED), SIM_TBL_CELL,
			 s->offered_rps, false);
		fmt_rate(sim_tbl_at(&t, r, COL_THRUPUT), SIM_TBL_CELL,
			 s->throughput_rps, ci);
		fmt_rate(sim_tbl_at(&t, r, COL_GOODPUT), SIM_TBL_CELL,
			 s->goodput_rps, false);

		fmt_errors(sim_tbl_at(&t, r, COL_ERRORS), SIM_TBL_CELL, s);

		fmt_time(sim_tbl_at(&t, r, COL_MEAN), SIM_TBL_CELL, s->lat_mean,
			 false, " ");
		fmt_time(sim_tbl_at(&t, r, COL_P50), SIM_TBL_CELL, s->p50,
			 false, " ");
		fmt_time(sim_tbl_at(&t, r, COL_P99), SIM_TBL_CELL, s->p99, ci,
			 " ");
		fmt_time(sim_tbl_at(&t, r, COL_P999), SIM_TBL_CELL, s->p999,
			 false, " ");

		double cpu =
		    sim_metrics_get(&s->metrics, "utilization", "cpu", NAN);
		double mem = mem_peak(&s->metrics);
		if (isfinite(cpu))
			snprintf(sim_tbl_at(&t, r, COL_CPU), SIM_TBL_CELL,
				 "%.1f", 100.0 * cpu);
		else
			snprintf(sim_tbl_at(&t, r, COL_CPU), SIM_TBL_CELL, "-");
		if (isfinite(mem))
			snprintf(sim_tbl_at(&t, r, COL_MEM), SIM_TBL_CELL,
				 "%.1f", mem / (1024.0 * 1024.0));
		else
			snprintf(sim_tbl_at(&t, r, COL_MEM), SIM_TBL_CELL, "-");
	}
	sim_tbl_print(f, &t);

	bool multi = false;
	for (size_t i = 0; i < n; i++)
		multi = multi || sys[i].nclasses > 1;
	if (multi) {
		rc = table_classes(f, sys, n);
		if (rc)
			goto cleanup;
	}

	if (sc->nservices) {
		rc = table_services(f, sc, sys, n);
		if (rc)
			goto cleanup;
	}

	table_paired(f, sys, n);

	bool header = false;
	for (size_t i = 0; i < n; i++) {
		bool has = sys[i].wasted > 0;
		for (size_t k = 0; k < sys[i].metrics.n && !has; k++)
			has = !shown_in_table(&sys[i].metrics.v[k]);
		if (!has)
			continue;
		if (!header)
			fputs("\nother figures (means over replications; "
			      "*.max: maximum):\n",
			      f);
		header = true;
		table_metrics_line(f, &sys[i]);
	}
	rc = ferror(f) ? SIM_EIO : 0;

cleanup:
	sim_tbl_release(&t);
	return rc;
}
