/*
 * report_html.c - the small pieces every page of `concsim report` is made
 * of: numbers read from results.json by dotted path, values with their
 * 95 % half-widths formatted in a readable unit, and HTML-escaped cells
 * and captions.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/report.h"

double rep_num_text(const char *s)
{
	char *end;
	if (!s || !*s)
		return NAN;
	double v = strtod(s, &end);
	return *end ? NAN : v;
}

/* The node at a dotted path of fixed keys below n, or NULL. */
const struct sim_ynode *rep_jget(const struct sim_ynode *n, const char *path)
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

double rep_jnum(const struct sim_ynode *n, const char *path)
{
	const struct sim_ynode *v = rep_jget(n, path);
	return v && v->kind == SIM_Y_SCALAR ? rep_num_text(v->text) : NAN;
}

const char *rep_jstr(const struct sim_ynode *n, const char *path)
{
	const struct sim_ynode *v = rep_jget(n, path);
	return v && v->kind == SIM_Y_SCALAR ? v->text : NULL;
}

/* A half-width with two significant digits, never in exponent form. */
void rep_fmt_ci(char *buf, size_t len, double ci, const char *unit)
{
	if (ci >= 100) {
		double p = pow(10, floor(log10(ci)) - 1);
		snprintf(buf, len, "\xc2\xb1 %.0f%s", round(ci / p) * p, unit);
	} else {
		snprintf(buf, len, "\xc2\xb1 %.2g%s", ci, unit);
	}
}

/* v x m in printf format `fmt` (a double, then the unit u) into buf, and
 * the half-width ci x m with the unit into cibuf ("" when ci is not
 * finite); "\u2013" when v is not finite. */
static void fmt_value(char *buf, size_t len, const char *fmt, double v,
		      double m, const char *u, double ci, char *cibuf,
		      size_t cilen)
{
	if (cibuf)
		cibuf[0] = '\0';
	if (!isfinite(v)) {
		snprintf(buf, len, "\xe2\x80\x93");
		return;
	}
	snprintf(buf, len, fmt, v * m, u);
	if (cibuf && isfinite(ci))
		rep_fmt_ci(cibuf, cilen, ci * m, u);
}

/* A latency in seconds as "12.3 ms" into buf, and its half-width in the
 * same unit into cibuf ("" when ci is not finite); "\u2013" when v is not
 * finite. */
void rep_fmt_lat(char *buf, size_t len, double v, double ci, char *cibuf,
		 size_t cilen)
{
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
	fmt_value(buf, len, "%.3g%s", v, m, u, ci, cibuf, cilen);
}

/* A rate or count: one decimal from 10 up, three digits below. */
void rep_fmt_num(char *buf, size_t len, double v, double ci, char *cibuf,
		 size_t cilen)
{
	/* v == 0 ? 0: -0 reads "0" */
	fmt_value(buf, len, fabs(v) >= 10 ? "%.1f%s" : "%.3g%s", v == 0 ? 0 : v,
		  1, "", ci, cibuf, cilen);
}

/* A numeric cell: the value, and the half-width below it in grey. */
void rep_td_val(FILE *f, const char *v, const char *ci, bool bold)
{
	fprintf(f, "<td class=\"n%s\">%s", bold ? " sig" : "", v);
	if (ci && *ci)
		fprintf(f, "<span class=\"ci\">%s</span>", ci);
	fputs("</td>", f);
}

void rep_esc(FILE *f, const char *s)
{
	sim_svg_escape(f, s ? s : "", 0);
}

void rep_td(FILE *f, const char *text)
{
	fputs("<td>", f);
	rep_esc(f, text);
	fputs("</td>", f);
}

void rep_td_lat(FILE *f, double v, double ci)
{
	char buf[64], cb[64];
	rep_fmt_lat(buf, sizeof(buf), v, ci, cb, sizeof(cb));
	rep_td_val(f, buf, cb, false);
}

void rep_td_num(FILE *f, double v, double ci)
{
	char buf[64], cb[64];
	rep_fmt_num(buf, sizeof(buf), v, ci, cb, sizeof(cb));
	rep_td_val(f, buf, cb, false);
}

void rep_caption(FILE *f, const char *text)
{
	fputs("<p class=\"cap\">", f);
	rep_esc(f, text);
	fputs("</p>\n", f);
}

/* ci when there are replications enough for an interval, else NaN. */
double rep_ci_of(double ci, double reps)
{
	return reps >= 2 ? ci : NAN;
}
