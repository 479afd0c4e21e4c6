/*
 * measured.c - reads the points `concsim fit` is fitted to: a CSV with
 * concsim's column names, k6's `--summary-export` JSON, or the text wrk
 * and wrk2 print with `--latency`. See measured.h.
 *
 * Every problem is one message naming where it is: a bad cell as
 * FILE:LINE:COLUMN, a missing column or figure as FILE:1:1 (or FILE:LINE
 * of the header), so that a user finds it without guessing.
 */
#include "fit/measured.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/error.h"
#include "kernel/grow.h"
#include "output/sweepio.h"
#include "scenario/yamldoc.h"

const char *const fit_col_names[FIT_NCOLS] = {
    "throughput_rps", "latency_s_mean", "latency_s_p50",
    "latency_s_p90",  "latency_s_p99",	"utilization_cpu",
};

#define ATTR_PRINTF(a, b) __attribute__((format(printf, a, b)))

static void ATTR_PRINTF(5, 6) file_error(FILE *err, const char *file, int line,
					 int col, const char *fmt, ...)
{
	va_list ap;
	if (line > 0)
		sim_fprintf_safe(err, "%s:%d:%d: error: ", file, line, col);
	else
		sim_fprintf_safe(err, "concsim: error: '%s': ", file);
	va_start(ap, fmt);
	sim_vfprintf_safe(err, fmt, ap);
	va_end(ap);
	fputc('\n', err);
}

/* A new point at the end of pts, every figure NaN. NULL on ENOMEM. */
static struct fit_point *new_point(struct fit_points *pts, const char *file,
				   int line)
{
	struct fit_point *v =
	    sim_grow(pts->v, &pts->cap, pts->n, sizeof(*v), 16);
	if (!v)
		return NULL;
	pts->v = v;
	struct fit_point *p = &pts->v[pts->n];
	memset(p, 0, sizeof(*p));
	for (int c = 0; c < FIT_NCOLS; c++)
		p->v[c] = NAN;
	size_t len = strlen(file) + 24;
	if (!(p->source = malloc(len)))
		return NULL;
	if (line > 0)
		snprintf(p->source, len, "%s:%d", file, line);
	else
		snprintf(p->source, len, "%s", file);
	pts->n++;
	return p;
}

/* Whether the whole of s is a finite number (leading and trailing
 * blanks allowed). */
static bool number(const char *s, double *x)
{
	char *end;
	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return false;
	errno = 0;
	*x = strtod(s, &end);
	while (isspace((unsigned char)*end))
		end++;
	return end != s && !*end && !errno && isfinite(*x);
}

/* ----------------------------------------------------------------- CSV -- */

struct cell {
	char *s;
	int line, col;
};

struct record {
	struct cell *c;
	size_t n, cap;
};

static void record_clear(struct record *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->c[i].s);
	r->n = 0;
}

/* Reads one RFC 4180 record from text at *pos (advanced), tracking the
 * line and column of every cell. Returns 1, 0 at the end, SIM_ENOMEM, or
 * SIM_EINVAL for an unterminated quote (*line set to where it opened). */
static int next_record(const char *text, size_t len, size_t *pos, int *line,
		       size_t *linestart, struct record *r)
{
	size_t i = *pos;
	record_clear(r);
	if (i >= len)
		return 0;
	for (;;) {
		char *buf = malloc(len - i + 1);
		size_t n = 0;
		int cline = *line, ccol = (int)(i - *linestart) + 1;
		if (!buf)
			return SIM_ENOMEM;
		if (i < len && text[i] == '"') {
			i++;
			for (;;) {
				if (i >= len) {
					free(buf);
					*line = cline;
					return SIM_EINVAL;
				}
				if (text[i] == '"' && i + 1 < len &&
				    text[i + 1] == '"') {
					buf[n++] = '"';
					i += 2;
				} else if (text[i] == '"') {
					i++;
					break;
				} else {
					if (text[i] == '\n') {
						(*line)++;
						*linestart = i + 1;
					}
					buf[n++] = text[i++];
				}
			}
		}
		while (i < len && text[i] != ',' && text[i] != '\n')
			buf[n++] = text[i++];
		if (n && buf[n - 1] == '\r')
			n--;
		buf[n] = '\0';
		struct cell *c = sim_grow(r->c, &r->cap, r->n, sizeof(*c), 32);
		if (!c) {
			free(buf);
			return SIM_ENOMEM;
		}
		r->c = c;
		r->c[r->n++] = (struct cell){buf, cline, ccol};
		if (i < len && text[i] == ',') {
			i++;
			continue;
		}
		if (i < len) { /* '\n' */
			i++;
			(*line)++;
			*linestart = i;
		}
		break;
	}
	*pos = i;
	return 1;
}

/* Whether a record is blank (one empty cell). */
static bool blank(const struct record *r)
{
	return r->n == 1 && !r->c[0].s[strspn(r->c[0].s, " \t")];
}

static int read_csv(const char *file, const char *text, size_t len,
		    struct fit_points *pts, FILE *err)
{
	struct record hdr = {0}, row = {0};
	size_t pos = 0, linestart = 0;
	int line = 1, rc, col[FIT_NCOLS], offered = -1, system = -1,
	    nominal = -1;
	bool any = false;

	/* the header: the first non-blank record */
	while ((rc = next_record(text, len, &pos, &line, &linestart, &hdr)) ==
		   1 &&
	       blank(&hdr))
		;
	if (rc == SIM_EINVAL) {
		file_error(err, file, line, 1, "unterminated quote");
		goto cleanup;
	}
	if (rc < 0)
		goto cleanup;
	if (rc == 0) {
		file_error(err, file, 1, 1,
			   "empty file; expected a header row with "
			   "'offered_rps' and measured columns");
		rc = SIM_EINVAL;
		goto cleanup;
	}
	for (int c = 0; c < FIT_NCOLS; c++)
		col[c] = -1;
	for (size_t i = 0; i < hdr.n; i++) {
		const char *h = hdr.c[i].s;
		if (!strcmp(h, "offered_rps"))
			offered = (int)i;
		else if (!strcmp(h, "system"))
			system = (int)i;
		else if (!strcmp(h, "workload.arrivals.rate"))
			nominal = (int)i;
		for (int c = 0; c < FIT_NCOLS; c++)
			if (!strcmp(h, fit_col_names[c]))
				col[c] = (int)i;
	}
	for (int c = 0; c < FIT_NCOLS; c++)
		any |= col[c] >= 0;
	if (offered < 0 || !any) {
		file_error(err, file, hdr.c[0].line, 1,
			   "missing column '%s' in the header; expected "
			   "'offered_rps' and at least one of throughput_rps, "
			   "latency_s_mean, latency_s_p50, latency_s_p90, "
			   "latency_s_p99, utilization_cpu",
			   offered < 0 ? "offered_rps" : "throughput_rps");
		rc = SIM_EINVAL;
		goto cleanup;
	}
	for (;;) {
		rc = next_record(text, len, &pos, &line, &linestart, &row);
		if (rc == SIM_EINVAL) {
			file_error(err, file, line, 1, "unterminated quote");
			goto cleanup;
		}
		if (rc <= 0)
			break;
		if (blank(&row))
			continue;
		int rline = row.c[0].line;
		if (row.n != hdr.n) {
			file_error(err, file, rline, 1,
				   "%zu cells, but the header has %zu", row.n,
				   hdr.n);
			rc = SIM_EINVAL;
			goto cleanup;
		}
		struct fit_point *p = new_point(pts, file, rline);
		if (!p) {
			rc = SIM_ENOMEM;
			goto cleanup;
		}
		const struct cell *oc = &row.c[offered];
		if (!number(oc->s, &p->offered) || !(p->offered > 0)) {
			file_error(err, file, oc->line, oc->col,
				   "'offered_rps': expected a rate in "
				   "requests per second (a number > 0), got "
				   "'%s'",
				   oc->s);
			rc = SIM_EINVAL;
			goto cleanup;
		}
		/* a concsim sweep's nominal rate: offered_rps is what its
		 * streams happened to draw */
		double x;
		if (nominal >= 0 && number(row.c[nominal].s, &x) && x > 0)
			p->offered = x;
		for (int c = 0; c < FIT_NCOLS; c++) {
			if (col[c] < 0)
				continue;
			const struct cell *e = &row.c[col[c]];
			if (!e->s[strspn(e->s, " \t")])
				continue; /* empty: not measured */
			bool ok = number(e->s, &x) && x >= 0 &&
				  (c != FIT_UTIL || x <= 1);
			if (!ok) {
				file_error(
				    err, file, e->line, e->col,
				    "'%s': expected %s, got '%s'",
				    fit_col_names[c],
				    c == FIT_UTIL ? "a fraction from 0 to 1"
				    : c == FIT_THROUGHPUT
					? "a number of requests per second"
					: "a number of seconds",
				    e->s);
				rc = SIM_EINVAL;
				goto cleanup;
			}
			p->v[c] = x;
		}
		if (system >= 0 && row.c[system].s[0] &&
		    !(p->system = strdup(row.c[system].s))) {
			rc = SIM_ENOMEM;
			goto cleanup;
		}
	}
cleanup:
	record_clear(&hdr);
	record_clear(&row);
	free(hdr.c);
	free(row.c);
	return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------------ k6 -- */

/* The node at metric.key (a k6 summary keeps a trend's figures either in
 * the metric's map or, since v0.30's handleSummary, in its "values"), or
 * NULL. */
static const struct sim_ynode *k6_field(const struct sim_ynode *metric,
					const char *key)
{
	if (!metric || metric->kind != SIM_Y_MAP)
		return NULL;
	const struct sim_ynode *vals = sim_ymap_get(metric, "values", NULL);
	if (vals && vals->kind == SIM_Y_MAP)
		metric = vals;
	return sim_ymap_get(metric, key, NULL);
}

/* The number at metric.key (k6_field). */
static bool k6_get(const struct sim_ynode *metric, const char *key, double *x)
{
	const struct sim_ynode *v = k6_field(metric, key);
	return v && v->kind == SIM_Y_SCALAR && number(v->text, x);
}

static int read_k6(const char *file, const char *text, size_t len, double rate,
		   struct fit_points *pts, FILE *err)
{
	struct sim_ydoc doc = {0};
	struct sim_yerror ye;
	int rc = sim_yaml_parse(&doc, file, text, len, 0, &ye);
	if (rc == SIM_ENOMEM)
		return rc;
	if (rc) {
		file_error(err, file, ye.mark.line, ye.mark.col,
			   "not a k6 summary: %s", ye.msg);
		return SIM_EINVAL;
	}
	const struct sim_ynode *m = sim_ymap_get(doc.root, "metrics", NULL);
	const struct sim_ynode *reqs = sim_ymap_get(m, "http_reqs", NULL);
	const struct sim_ynode *dur =
	    sim_ymap_get(m, "http_req_duration", NULL);
	double x, it = NAN, dropped = 0;
	struct fit_point *p;
	if (!m || m->kind != SIM_Y_MAP || !reqs || !dur) {
		file_error(err, file, 1, 1,
			   "not a k6 summary: expected 'metrics' with "
			   "'http_reqs' and 'http_req_duration' (write it with "
			   "k6 run --summary-export FILE)");
		rc = SIM_EINVAL;
		goto cleanup;
	}
	if (!(p = new_point(pts, file, 0))) {
		rc = SIM_ENOMEM;
		goto cleanup;
	}
	if (!k6_get(reqs, "rate", &p->v[FIT_THROUGHPUT])) {
		file_error(err, file, reqs->mark.line, reqs->mark.col,
			   "'http_reqs': no 'rate'");
		rc = SIM_EINVAL;
		goto cleanup;
	}
	static const struct {
		const char *key;
		enum fit_col col;
	} trend[] = {{"avg", FIT_LAT_MEAN},
		     {"med", FIT_P50},
		     {"p(50)", FIT_P50},
		     {"p(90)", FIT_P90},
		     {"p(99)", FIT_P99}};
	for (size_t i = 0; i < sizeof(trend) / sizeof(trend[0]); i++) {
		const struct sim_ynode *t = k6_field(dur, trend[i].key);
		if (!t)
			continue;
		if (t->kind != SIM_Y_SCALAR || !number(t->text, &x)) {
			/* a figure the file names but that is no number is
			 * not left out unseen */
			file_error(err, file, t->mark.line, t->mark.col,
				   "'http_req_duration.%s': expected a "
				   "number of milliseconds",
				   trend[i].key);
			rc = SIM_EINVAL;
			goto cleanup;
		}
		p->v[trend[i].col] = x / 1000; /* k6 writes ms */
	}
	/* offered: --rate, else the iterations an arrival-rate executor
	 * started plus those it dropped, one request each */
	if (rate > 0)
		p->offered = rate;
	else {
		k6_get(sim_ymap_get(m, "iterations", NULL), "rate", &it);
		k6_get(sim_ymap_get(m, "dropped_iterations", NULL), "rate",
		       &dropped);
		if (!(it > 0)) {
			file_error(err, file, m->mark.line, m->mark.col,
				   "no offered rate: give it as %s@RATE (e.g. "
				   "%s@800/s)",
				   file, file);
			rc = SIM_EINVAL;
			goto cleanup;
		}
		p->offered = p->v[FIT_THROUGHPUT] * (it + dropped) / it;
	}
	rc = 0;
cleanup:
	sim_yaml_free(&doc);
	return rc;
}

/* ----------------------------------------------------------------- wrk -- */

/* Reads "5.12ms" (us, ms, s, m; wrk2's spectrum is in ms) at s. */
static bool wrk_duration(const char *s, double *out)
{
	char *end;
	double x = strtod(s, &end);
	if (end == s || !isfinite(x))
		return false;
	if (!strncmp(end, "us", 2))
		x *= 1e-6;
	else if (!strncmp(end, "ms", 2))
		x *= 1e-3;
	else if (*end == 's')
		;
	else if (*end == 'm')
		x *= 60;
	else if (!strncmp(end, "h", 1))
		x *= 3600;
	else
		return false;
	*out = x;
	return true;
}

static int read_wrk(const char *file, const char *text, double rate,
		    struct fit_points *pts, FILE *err)
{
	struct fit_point *p = new_point(pts, file, 0);
	const char *s;
	double x;
	bool dist = false;
	int line = 1;

	if (!p)
		return SIM_ENOMEM;
	for (const char *l = text; *l; line++) {
		const char *eol = strchr(l, '\n');
		size_t n = eol ? (size_t)(eol - l) : strlen(l);
		char buf[512];
		snprintf(buf, sizeof(buf), "%.*s", (int)(n < 511 ? n : 511), l);
		s = buf + strspn(buf, " \t");
		if (!strncmp(s, "Requests/sec:", 13)) {
			if (!number(s + 13, &p->v[FIT_THROUGHPUT])) {
				file_error(err, file, line, (int)(s - buf) + 14,
					   "'Requests/sec': expected a number");
				return SIM_EINVAL;
			}
		} else if (!strncmp(s, "Latency Distribution", 20)) {
			dist = true;
		} else if (!strncmp(s, "Latency ", 8) && !dist) {
			/* Thread Stats: Latency AVG STDEV MAX +/-STDEV */
			const char *a = s + 8 + strspn(s + 8, " ");
			if (!wrk_duration(a, &x)) {
				file_error(err, file, line, (int)(a - buf) + 1,
					   "'Latency': expected the mean "
					   "latency such as 4.2ms");
				return SIM_EINVAL;
			}
			p->v[FIT_LAT_MEAN] = x;
		} else if (!strncmp(s, "#[Mean", 6) && strchr(s, '=')) {
			/* wrk2's spectrum summary, in milliseconds */
			char *end;
			const char *a = strchr(s, '=') + 1;
			x = strtod(a, &end);
			if (end == a || !isfinite(x)) {
				file_error(err, file, line, (int)(a - buf) + 1,
					   "'#[Mean': expected a number of "
					   "milliseconds");
				return SIM_EINVAL;
			}
			p->v[FIT_LAT_MEAN] = x / 1000;
		} else if (dist && isdigit((unsigned char)*s)) {
			char *end;
			double q = strtod(s, &end);
			if (*end != '%') {
				dist = false;
				goto next;
			}
			if (!wrk_duration(end + 1 + strspn(end + 1, " "), &x)) {
				file_error(err, file, line,
					   (int)(end - buf) + 2,
					   "expected a latency such as 4.2ms "
					   "after the percentile");
				return SIM_EINVAL;
			}
			if (q == 50)
				p->v[FIT_P50] = x;
			else if (q == 90)
				p->v[FIT_P90] = x;
			else if (q == 99)
				p->v[FIT_P99] = x;
		} else if (dist && *s == '\0') {
			dist = false;
		}
		/* wrk2's -R, when the command line is in the file */
		if (!(rate > 0)) {
			const char *r = strstr(buf, " -R");
			if (!r)
				r = strstr(buf, " --rate");
			if (r) {
				r += r[2] == 'R' ? 3 : 7;
				r += strspn(r, " =");
				char *end;
				double v = strtod(r, &end);
				if (end != r && v > 0)
					rate = v;
			}
		}
	next:
		l = eol ? eol + 1 : l + n;
	}
	if (!isfinite(p->v[FIT_THROUGHPUT])) {
		file_error(err, file, 1, 1, "no 'Requests/sec:' line");
		return SIM_EINVAL;
	}
	if (!(rate > 0)) {
		file_error(err, file, 1, 1,
			   "no offered rate: wrk is a closed loop and wrk2's "
			   "-R is not in the file; give it as %s@RATE (e.g. "
			   "%s@800/s)",
			   file, file);
		return SIM_EINVAL;
	}
	p->offered = rate;
	return 0;
}

/* -------------------------------------------------------------- entry -- */

int fit_read_measured(const char *arg, struct fit_points *pts, FILE *err)
{
	char *file = strdup(arg), *text = NULL;
	const char *at = strrchr(arg, '@'), *why;
	double rate = 0;
	size_t len, first = pts->n;
	int rc;

	if (!file)
		return SIM_ENOMEM;
	if (at && at != arg) {
		bool is_rate = !sim_parse_rate(at + 1, &rate, &why);
		file[at - arg] = '\0';
		if (!is_rate && !access(file, F_OK) && access(arg, F_OK)) {
			/* FILE exists, FILE@WHAT does not: WHAT was meant as
			 * the offered rate */
			sim_fprintf_safe(err,
					 "concsim: error: '%s': expected an "
					 "offered rate after '@' such as "
					 "800/s: %s\n",
					 arg, why);
			rc = SIM_EINVAL;
			goto cleanup;
		}
		if (!is_rate) { /* a file name with '@' in it */
			file[at - arg] = '@';
			rate = 0;
		} else if (!(rate > 0)) {
			sim_fprintf_safe(
			    err,
			    "concsim: error: '%s': the offered rate after "
			    "'@' must be above 0/s\n",
			    arg);
			rc = SIM_EINVAL;
			goto cleanup;
		}
	}
	rc = sim_read_bytes(file, &text, &len);
	if (rc == SIM_ENOMEM)
		goto cleanup;
	if (rc) {
		sim_fprintf_safe(err, "concsim: error: cannot read '%s': %s\n",
				 file,
				 rc == SIM_EINVAL   ? "no such file"
				 : rc == SIM_ELIMIT ? "file too large"
						    : strerror(errno));
		rc =
		    rc == SIM_EINVAL || rc == SIM_ELIMIT ? SIM_EINVAL : SIM_EIO;
		goto cleanup;
	}
	if (memchr(text, '\0', len)) {
		file_error(err, file, 1, 1, "not a text file");
		rc = SIM_EINVAL;
		goto cleanup;
	}
	const char *s = text + strspn(text, " \t\r\n");
	if (*s == '{')
		rc = read_k6(file, text, len, rate, pts, err);
	else if (strstr(text, "Requests/sec:") ||
		 strstr(text, "Thread Stats") || !strncmp(s, "Running ", 8))
		/* wrk's and wrk2's text: a run's banner, its thread stats or
		 * its rate (read_wrk says which is missing) */
		rc = read_wrk(file, text, rate, pts, err);
	else if (rate > 0) {
		sim_fprintf_safe(
		    err,
		    "concsim: error: '%s': '@RATE' is for k6 and wrk "
		    "files; a CSV gives each row's offered_rps\n",
		    arg);
		rc = SIM_EINVAL;
	} else if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		rc = read_csv(file, text + 3, len - 3, pts, err); /* a BOM */
	else
		rc = read_csv(file, text, len, pts, err);
	if (!rc && pts->n == first) {
		file_error(err, file, 0, 0,
			   "no measured point (a header "
			   "without rows?)");
		rc = SIM_EINVAL;
	}
	/* what a load tool's file said must make sense as a figure */
	for (size_t i = first; !rc && i < pts->n; i++) {
		const struct fit_point *p = &pts->v[i];
		int bad = -1;
		for (int c = 0; c < FIT_NCOLS && bad < 0; c++)
			if (!isnan(p->v[c]) &&
			    (!isfinite(p->v[c]) || p->v[c] < 0 ||
			     (c == FIT_UTIL && p->v[c] > 1)))
				bad = c;
		if (bad >= 0 || !isfinite(p->offered) || !(p->offered > 0)) {
			file_error(
			    err, file, 0, 0,
			    "%s %g: expected a finite figure >= 0 (and an "
			    "offered rate > 0)",
			    bad >= 0 ? fit_col_names[bad] : "offered_rps",
			    bad >= 0 ? p->v[bad] : p->offered);
			rc = SIM_EINVAL;
		}
	}
cleanup:
	free(text);
	free(file);
	return rc;
}

void fit_points_release(struct fit_points *pts)
{
	for (size_t i = 0; i < pts->n; i++) {
		free(pts->v[i].system);
		free(pts->v[i].source);
	}
	free(pts->v);
	*pts = (struct fit_points){0};
}
