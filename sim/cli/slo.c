/*
 * slo.c - the objective grammar of slo.h, shared by every command that
 * takes --slo, and the value of an objective's figure in a replication.
 */
#include "cli/slo.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "scenario/units.h"

/* Reads the figure at *p ("mean", "p99.9", "errors"...) into t. */
static int read_figure(const char **p, struct slo_term *t)
{
	const char *s = *p;
	size_t n = 0;
	while (isalnum((unsigned char)s[n]) || s[n] == '.' || s[n] == '_')
		n++;
	*p = s + n;
	if (n == 4 && !strncmp(s, "mean", 4))
		t->fig = SLO_MEAN;
	else if (n == 6 && !strncmp(s, "errors", 6))
		t->fig = SLO_ERRORS;
	else if (n == 7 && !strncmp(s, "goodput", 7))
		t->fig = SLO_GOODPUT;
	else if (n >= 2 && s[0] == 'p' && isdigit((unsigned char)s[1])) {
		char num[32], *end;
		if (n - 1 >= sizeof(num))
			return -1;
		memcpy(num, s + 1, n - 1);
		num[n - 1] = '\0';
		errno = 0;
		double x = strtod(num, &end);
		if (*end || errno)
			return -1;
		/* p999 and p9999 are the usual short forms of p99.9 and
		 * p99.99; any other pN is the N-th percentile */
		if (!strchr(num, '.') && strlen(num) > 2 &&
		    strspn(num, "9") == strlen(num))
			x = 100 * (1 - pow(10, -(double)strlen(num)));
		if (!(x > 0 && x < 100))
			return -1;
		t->fig = SLO_QUANTILE;
		t->q = x / 100;
	} else
		return -1;
	return 0;
}

int slo_parse(struct slo *o, const char *s, char *msg, size_t size)
{
	const char *p = s;
	memset(o, 0, sizeof(*o));
	while (*p) {
		struct slo_term t = {0};
		const char *start, *why = NULL;
		char val[64];
		size_t n = 0;
		while (isspace((unsigned char)*p))
			p++;
		start = p;
		if (read_figure(&p, &t)) {
			snprintf(
			    msg, size,
			    "--slo: unknown figure in '%s': expected mean, "
			    "a percentile (p50, p95, p99, p99.9), errors "
			    "or goodput, e.g. 'p99<100ms,errors<1%%'",
			    s);
			return -1;
		}
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '<' || *p == '>') {
			bool lt = *p++ == '<';
			bool eq = *p == '=';
			p += eq;
			t.op = lt ? (eq ? SLO_LE : SLO_LT)
				  : (eq ? SLO_GE : SLO_GT);
		} else {
			snprintf(msg, size,
				 "--slo: expected <, <=, > or >= after the "
				 "figure in '%s'",
				 s);
			return -1;
		}
		if ((t.op == SLO_GT || t.op == SLO_GE) &&
		    t.fig != SLO_GOODPUT) {
			snprintf(msg, size,
				 "--slo: only goodput takes > or >= (a latency "
				 "or an error share is an upper bound), in "
				 "'%s'",
				 s);
			return -1;
		}
		while (*p && *p != ',' && n + 1 < sizeof(val))
			val[n++] = *p++;
		while (n && isspace((unsigned char)val[n - 1]))
			n--;
		val[n] = '\0';
		char *v = val, *end;
		while (isspace((unsigned char)*v))
			v++;
		if (t.fig == SLO_MEAN || t.fig == SLO_QUANTILE) {
			if (sim_parse_duration(v, &t.target, &why) ||
			    !(t.target > 0)) {
				snprintf(msg, size,
					 "--slo: '%s' is not a duration > 0 "
					 "(%s)",
					 v, why ? why : "expected e.g. 100ms");
				return -1;
			}
		} else {
			errno = 0;
			t.target = strtod(v, &end);
			bool pct = *end == '%';
			if (pct)
				t.target /= 100, end++;
			if (end == v || *end || errno ||
			    !(t.target >= 0 && t.target <= 1)) {
				snprintf(msg, size,
					 "--slo: '%s' is not a share: expected "
					 "a percentage (1%%) or a fraction "
					 "from 0 to 1 (0.01)",
					 v);
				return -1;
			}
		}
		if (o->n == SLO_MAX_TERMS) {
			snprintf(msg, size, "--slo: at most %d objectives",
				 SLO_MAX_TERMS);
			return -1;
		}
		snprintf(t.text, sizeof(t.text), "%.*s", (int)(p - start),
			 start);
		o->t[o->n++] = t;
		if (*p == ',')
			p++;
	}
	if (!o->n) {
		snprintf(msg, size,
			 "--slo: no objective given, e.g. --slo 'p99<100ms'");
		return -1;
	}
	return 0;
}

double slo_value(const struct slo_term *t, const struct sim_rep_result *r)
{
	uint64_t failed = 0;
	for (int k = 1; k < SIM_OUT_N; k++)
		failed += r->errors[k];
	switch (t->fig) {
	case SLO_ERRORS:
		return r->attempts ? (double)failed / (double)r->attempts : 0;
	case SLO_GOODPUT:
		return r->offered ? (double)r->good / (double)r->offered : 1;
	case SLO_MEAN:
		if (!r->lat.n || failed)
			return INFINITY;
		return sim_hist_mean(&r->lat);
	case SLO_QUANTILE:
		break;
	}
	if (!r->lat.n)
		return INFINITY;
	/* the rank of the quantile among all requests offered, the slowest
	 * of which are the ones without a good response */
	double all = (double)(r->offered > r->lat.n ? r->offered : r->lat.n);
	double rank = ceil(t->q * all);
	if (rank < 1)
		rank = 1;
	if (rank > (double)r->lat.n)
		return INFINITY;
	return sim_hist_quantile(&r->lat, (rank - 0.5) / (double)r->lat.n);
}

bool slo_meets(const struct slo_term *t, double v)
{
	switch (t->op) {
	case SLO_LT:
		return v < t->target;
	case SLO_LE:
		return v <= t->target;
	case SLO_GT:
		return v > t->target;
	default:
		return v >= t->target;
	}
}

void slo_format(const struct slo_term *t, double v, char *buf, size_t size)
{
	if (isnan(v))
		snprintf(buf, size, "-");
	else if (isinf(v))
		snprintf(buf, size, "inf (too few good responses)");
	else if (t->fig == SLO_ERRORS || t->fig == SLO_GOODPUT)
		snprintf(buf, size, "%.3g%%", 100 * v);
	else if (v < 1e-3)
		snprintf(buf, size, "%.3g us", v * 1e6);
	else if (v < 1)
		snprintf(buf, size, "%.3g ms", v * 1e3);
	else
		snprintf(buf, size, "%.3g s", v);
}

/* The latency terms of the grammar above, for the commands that draw an
 * objective as a line (plot, report); error and goodput shares have no
 * place on a latency axis and are left out. */
int cli_parse_slo(const char *s, struct cli_objective *obj, size_t max,
		  size_t *nobj)
{
	struct slo o;
	char msg[512];
	if (slo_parse(&o, s, msg, sizeof(msg))) {
		cli_error("%s", msg);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < o.n; i++) {
		const struct slo_term *t = &o.t[i];
		if (t->fig != SLO_MEAN && t->fig != SLO_QUANTILE)
			continue;
		if (*nobj == max) {
			cli_error("--slo: at most %zu objectives", max);
			return EXIT_USAGE;
		}
		obj[(*nobj)++] = (struct cli_objective){
		    t->fig == SLO_MEAN ? CLI_STAT_MEAN : CLI_STAT_QUANTILE,
		    t->q, t->target};
	}
	return 0;
}

int cli_extra_slo(const struct cli_opts *o, size_t *i,
		  struct cli_objective *obj, size_t max, size_t *nobj)
{
	const char *v = cli_extra_value(o, i);
	return v ? cli_parse_slo(v, obj, max, nobj) : EXIT_USAGE;
}
