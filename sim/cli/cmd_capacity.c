/*
 * cmd_capacity.c - `concsim capacity FILE --slo 'p99<100ms'`: per system,
 * the highest value of a parameter (the arrival rate unless --param says
 * otherwise) at which a latency objective still holds, with a 95 %
 * confidence interval.
 *
 * The method, and why. A capacity found by bisecting on noisy estimates
 * is itself a random variable, so it gets a confidence interval the way
 * any simulation output does: from independent replications of the whole
 * search. Search k uses only replication k's random streams, the same at
 * every value it tries (common random numbers): with the same arrivals
 * and demands, a higher rate only compresses the same arrival times, so
 * the objective's value grows with the rate along one search and a
 * bracket-then-bisect converges to the one crossing point of that sample
 * path. The searches are independent, identically distributed estimates
 * of the capacity; the command reports their mean and the Student-t 95 %
 * half-width (`ci95`). More replications narrow the interval; a longer
 * `duration` makes each search less noisy.
 *
 * A request without a good response (refused, timed out, killed or
 * unavailable on every attempt, or answered too late) counts as slower
 * than any target: p99 < T needs 99 % of the requests offered answered
 * well within T, and a mean needs every attempt answered. So a design
 * cannot meet an objective by shedding load.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/budget.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "output/csv.h"
#include "output/json.h"
#include "output/sweepio.h"
#include "runtime/model.h"
#include "workload/run.h"

#define MAX_OBJECTIVES 8
#define MAX_DOUBLINGS  40  /* bracket growth: 2^40 times the start */
#define MAX_STEPS      200 /* evaluations of one search, all told */
/* The whole search is bounded up front like `run` (budget.c): a try costs
 * at most SIM_LIMIT_REQUESTS / (searches x TRIES_BUDGETED), so that the
 * doubling (whose tries sum to about twice the last) and the bisection
 * (about log2(1/tolerance) tries near the end) together stay within the
 * limit of one run. */
#define TRIES_BUDGETED 12

/* How one search ended. */
enum outcome {
	FOUND,
	BELOW,	   /* the objective fails at the lowest value tried */
	ABOVE,	   /* it holds at the highest value tried */
	NOT_TRIED, /* another search failed first */
	FAILED,	   /* a simulation or a load failed */
};

struct capacity {
	struct cli_opts o;
	const char *slo;
	const char *path; /* the parameter */
	struct cli_objective obj[MAX_OBJECTIVES];
	size_t nobj;
	double lo, hi, tol;
	bool have_lo, have_hi, integer;
	char unit[16]; /* appended to every value: "/s", "ms", "" */
	struct sim_scenario base;
	char *text; /* the scenario file */
	size_t len;
	size_t nsys;
	int nsearch;
	double try_limit;      /* requests one try may simulate */
	double *value;	       /* nsys * nsearch results */
	enum outcome *outcome; /* nsys * nsearch */
	pthread_mutex_t lock;
	char *problem; /* the first load or simulation failure */
	bool failed;
	struct cli_progress progress; /* on a terminal */
	size_t done, total;
};

/* --------------------------------------------------------- objective -- */

/* Parses "p99<100ms,mean<10ms" (see cli.h). */
int cli_parse_slo(const char *s, struct cli_objective *obj, size_t max,
		  size_t *nobj)
{
	static const struct {
		const char *name;
		enum cli_stat stat;
		double q;
	} stats[] = {
	    {"mean", CLI_STAT_MEAN, 0},
	    {"p50", CLI_STAT_QUANTILE, 0.5},
	    {"p90", CLI_STAT_QUANTILE, 0.9},
	    {"p99", CLI_STAT_QUANTILE, 0.99},
	    {"p999", CLI_STAT_QUANTILE, 0.999},
	};
	const char *p = s;
	while (*p) {
		char name[16], dur[64];
		const char *why;
		size_t n = 0;
		while (isspace((unsigned char)*p))
			p++;
		while (isalnum((unsigned char)*p) && n + 1 < sizeof(name))
			name[n++] = *p++;
		name[n] = '\0';
		while (isspace((unsigned char)*p))
			p++;
		size_t k = 0, nstats = sizeof(stats) / sizeof(stats[0]);
		while (k < nstats && strcmp(stats[k].name, name))
			k++;
		if (k == nstats || *p != '<') {
			cli_error("--slo: expected STAT<DURATION with STAT one "
				  "of mean, p50, p90, p99, p999 (several "
				  "joined by ','), got '%s'",
				  s);
			return EXIT_USAGE;
		}
		p++;
		n = 0;
		while (*p && *p != ',' && n + 1 < sizeof(dur))
			dur[n++] = *p++;
		while (n && isspace((unsigned char)dur[n - 1]))
			n--;
		dur[n] = '\0';
		char *d = dur;
		while (isspace((unsigned char)*d))
			d++;
		double t;
		if (sim_parse_duration(d, &t, &why) || !(t > 0)) {
			cli_error("--slo: '%s' is not a duration > 0 (%s)", d,
				  why ? why : "expected e.g. 100ms");
			return EXIT_USAGE;
		}
		if (*nobj == max) {
			cli_error("--slo: at most %zu objectives", max);
			return EXIT_USAGE;
		}
		obj[(*nobj)++] =
		    (struct cli_objective){stats[k].stat, stats[k].q, t};
		if (*p == ',')
			p++;
	}
	if (!*nobj) {
		cli_error("--slo: no objective given, e.g. --slo 'p99<100ms'");
		return EXIT_USAGE;
	}
	return 0;
}

/* The value of an objective's statistic in one replication. Requests
 * without a good response count as infinitely slow: those are the offered
 * requests the replication did not answer well (all their attempts
 * failed, or the answer came too late). The mean has nothing to average
 * for a failed attempt, so any failed attempt makes it infinite. */
static double statistic(const struct cli_objective *o,
			const struct sim_rep_result *r)
{
	uint64_t failed = 0;
	for (int k = 1; k < SIM_OUT_N; k++)
		failed += r->errors[k];
	if (!r->lat.n || (o->stat == CLI_STAT_MEAN && failed))
		return INFINITY;
	if (o->stat == CLI_STAT_MEAN)
		return sim_hist_mean(&r->lat);
	/* the rank of the quantile among all requests offered, the slowest
	 * of which are the ones without a good response */
	double all = (double)(r->offered > r->lat.n ? r->offered : r->lat.n);
	double rank = ceil(o->q * all);
	if (rank < 1)
		rank = 1;
	if (rank > (double)r->lat.n)
		return INFINITY;
	return sim_hist_quantile(&r->lat, (rank - 0.5) / (double)r->lat.n);
}

/* ------------------------------------------------------------ search -- */

static void format_value(const struct capacity *c, double x, char *buf,
			 size_t len)
{
	if (c->integer)
		snprintf(buf, len, "%.0f", x);
	else
		snprintf(buf, len, "%.17g%s", x, c->unit);
}

/* Keeps the first problem's message. */
static void note_problem(struct capacity *c, const char *fmt, const char *a,
			 const char *b)
{
	pthread_mutex_lock(&c->lock);
	if (!c->problem) {
		size_t len = strlen(fmt) + strlen(a) + strlen(b) + 1;
		if ((c->problem = malloc(len)))
			snprintf(c->problem, len, fmt, a, b);
	}
	c->failed = true;
	pthread_mutex_unlock(&c->lock);
}

/* Whether the objective holds for system `sys` in replication `rep` with
 * the parameter at x: 1 holds, 0 fails, -1 could not tell (noted). */
static int holds(struct capacity *c, size_t sys, int rep, double x)
{
	struct sim_override *ov = calloc(c->o.nov + 1, sizeof(*ov));
	struct sim_scenario sc = {0};
	struct sim_rep_result res = {0};
	char val[64], *msg = NULL;
	size_t msglen = 0;
	const char *why = NULL;
	int verdict = -1;

	if (!ov)
		goto nomem;
	format_value(c, x, val, sizeof(val));
	if (c->o.nov)
		memcpy(ov, c->o.ov, c->o.nov * sizeof(*ov));
	ov[c->o.nov] = (struct sim_override){c->path, val};
	FILE *err = open_memstream(&msg, &msglen);
	if (!err)
		goto nomem;
	int e = sim_scenario_load_string(c->o.file, c->text, c->len, ov,
					 c->o.nov + 1, err, &sc);
	fclose(err);
	if (e == SIM_ENOMEM)
		goto nomem;
	if (e) {
		char what[128];
		snprintf(what, sizeof(what), "%s=%s", c->path, val);
		if (msg && (msglen = strcspn(msg, "\n")))
			msg[msglen] = '\0'; /* the first problem */
		note_problem(c, "cannot try %s: %s", what, msg ? msg : "");
		goto cleanup;
	}
	/* doubling the load must stop before a run that costs hours */
	struct sim_budget b;
	struct sim_mark at;
	char over[512];
	if (sim_scenario_budget(&sc, 0, &b, &at, over, sizeof(over))) {
		char what[128];
		snprintf(what, sizeof(what), "%s=%s", c->path, val);
		note_problem(c, "cannot try %s: %s", what, over);
		goto cleanup;
	}
	if (!(b.requests <= c->try_limit)) {
		char what[128];
		snprintf(what, sizeof(what), "%s=%s", c->path, val);
		snprintf(over, sizeof over,
			 "one try there simulates about %.3g requests, and "
			 "the whole search may simulate %.0g (about an hour); "
			 "give --hi, or shorten 'duration'",
			 b.requests, SIM_LIMIT_REQUESTS);
		note_problem(c, "the search stopped before %s: %s", what, over);
		goto cleanup;
	}
	e = sim_run_one(&sc, sys, rep, 0, NULL, &res, &why);
	if (e) {
		note_problem(c, "simulation failed: %s%s",
			     why ? why : sim_strerror(e), "");
		goto cleanup;
	}
	verdict = 1;
	for (size_t i = 0; i < c->nobj; i++)
		if (!(statistic(&c->obj[i], &res) < c->obj[i].target))
			verdict = 0;
	goto cleanup;
nomem:
	note_problem(c, "out of memory%s%s", "", "");
cleanup:
	sim_rep_release(&res);
	sim_scenario_release(&sc);
	free(msg);
	free(ov);
	return verdict;
}

/* Loads the scenario with the parameter at x (a --lo or --hi bound) and
 * estimates one try's cost. Returns 0, or EXIT_USAGE with one line. */
static int check_bound(struct capacity *c, const char *flag, double x)
{
	struct sim_override *ov = calloc(c->o.nov + 1, sizeof(*ov));
	struct sim_scenario sc = {0};
	char val[64], *msg = NULL, over[512];
	size_t msglen = 0;
	int rc = EXIT_FAILED;
	FILE *err = NULL;

	if (!ov || !(err = open_memstream(&msg, &msglen))) {
		cli_error("out of memory");
		goto cleanup;
	}
	format_value(c, x, val, sizeof(val));
	if (c->o.nov)
		memcpy(ov, c->o.ov, c->o.nov * sizeof(*ov));
	ov[c->o.nov] = (struct sim_override){c->path, val};
	int e = sim_scenario_load_string(c->o.file, c->text, c->len, ov,
					 c->o.nov + 1, err, &sc);
	fclose(err);
	if (e == SIM_ENOMEM) {
		cli_error("out of memory");
		goto cleanup;
	}
	rc = EXIT_USAGE;
	if (e) {
		const char *m = msg ? msg : "";
		const char *w = strstr(m, "error: ");
		msg[strcspn(msg, "\n")] = '\0';
		cli_error("%s %s: %s", flag, val, w ? w + 7 : m);
		goto cleanup;
	}
	struct sim_budget b;
	struct sim_mark at;
	if (sim_scenario_budget(&sc, 0, &b, &at, over, sizeof(over))) {
		cli_error("%s %s: %s", flag, val, over);
		goto cleanup;
	}
	if (!(b.requests <= c->try_limit)) {
		cli_error("%s %s: one try there simulates about %.3g requests "
			  "and a search makes about %d tries; the limit is "
			  "%.0g requests in all: lower %s or shorten "
			  "'duration'",
			  flag, val, b.requests, TRIES_BUDGETED,
			  SIM_LIMIT_REQUESTS, flag);
		goto cleanup;
	}
	rc = 0;
cleanup:
	sim_scenario_release(&sc);
	free(msg);
	free(ov);
	return rc;
}

/* Whether a bracket [lo, hi] is narrow enough. */
static bool narrow(const struct capacity *c, double lo, double hi)
{
	return c->integer ? hi - lo <= 1 : hi - lo <= c->tol * lo;
}

/* One search: bracket the crossing point, then bisect. */
static int search(void *arg, size_t i)
{
	struct capacity *c = arg;
	size_t sys = i / (size_t)c->nsearch;
	int rep = (int)(i % (size_t)c->nsearch);
	double lo, hi, x0;
	int h, steps = 0;
	enum outcome out = FAILED;

	if (c->failed) {
		c->outcome[i] = NOT_TRIED;
		return 0;
	}
	if (c->have_lo && c->have_hi) {
		lo = c->lo;
		hi = c->hi;
		if ((h = holds(c, sys, rep, lo)) <= 0) {
			out = h ? FAILED : BELOW;
			goto done;
		}
		if ((h = holds(c, sys, rep, hi)) != 0) {
			out = h < 0 ? FAILED : ABOVE;
			goto done;
		}
	} else {
		x0 = c->have_lo ? c->lo : c->have_hi ? c->hi : c->lo;
		if ((h = holds(c, sys, rep, x0)) < 0)
			goto done;
		lo = hi = x0;
		for (int d = 0;; d++) {
			if (d == MAX_DOUBLINGS) {
				out = h ? ABOVE : BELOW;
				goto done;
			}
			if (h) {
				lo = hi;
				hi = c->integer ? 2 * hi + 1 : 2 * hi;
				h = holds(c, sys, rep, hi);
				if (h < 0)
					goto done;
				if (!h)
					break;
			} else {
				hi = lo;
				lo = c->integer ? floor(lo / 2) : lo / 2;
				if (c->integer && hi <= 1) {
					out = BELOW;
					goto done;
				}
				h = holds(c, sys, rep, lo);
				if (h < 0)
					goto done;
				if (h)
					break;
			}
		}
	}
	while (!narrow(c, lo, hi) && steps++ < MAX_STEPS) {
		double mid = c->integer ? floor((lo + hi) / 2) : (lo + hi) / 2;
		if ((h = holds(c, sys, rep, mid)) < 0)
			goto done;
		if (h)
			lo = mid;
		else
			hi = mid;
	}
	c->value[i] = c->integer ? lo : (lo + hi) / 2;
	out = FOUND;
done:
	c->outcome[i] = out;
	pthread_mutex_lock(&c->lock);
	c->done++;
	char counts[64];
	snprintf(counts, sizeof counts, "%zu/%zu searches", c->done, c->total);
	cli_progress_draw(&c->progress, "capacity",
			  (double)c->done / (double)c->total, counts);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

/* ------------------------------------------------------------ output -- */

/* A system's searches: the estimate, or why there is none. */
static enum outcome summarize(const struct capacity *c, size_t sys,
			      struct sim_est *e)
{
	const double *v = &c->value[sys * (size_t)c->nsearch];
	const enum outcome *o = &c->outcome[sys * (size_t)c->nsearch];
	for (int k = 0; k < c->nsearch; k++)
		if (o[k] != FOUND)
			return o[k];
	*e = sim_est_of(v, (size_t)c->nsearch);
	return FOUND;
}

static void print_result(const struct capacity *c, int fmt)
{
	char num[3][32];
	if (fmt == SIM_FMT_JSON) {
		printf("{\"slo\": ");
		sim_json_string(stdout, c->slo);
		printf(", \"parameter\": ");
		sim_json_string(stdout, c->path);
		printf(", \"replications\": %d, \"systems\": [", c->nsearch);
		for (size_t s = 0; s < c->nsys; s++) {
			struct sim_est e = {NAN, NAN};
			enum outcome o = summarize(c, s, &e);
			sim_fmt_double(num[0], sizeof(num[0]), e.mean);
			sim_fmt_double(num[1], sizeof(num[1]), e.ci95);
			printf("%s\n  {\"name\": ", s ? "," : "");
			sim_json_string(stdout, c->base.systems[s].name);
			printf(", \"model\": ");
			sim_json_string(stdout, c->base.systems[s].model->name);
			printf(", \"capacity_rps\": %s, \"ci95\": %s", num[0],
			       num[1]);
			if (o == BELOW || o == ABOVE)
				printf(", \"bound\": \"%s\"",
				       o == BELOW ? "below" : "above");
			printf(", \"searches\": [");
			for (int k = 0; k < c->nsearch; k++) {
				size_t i = s * (size_t)c->nsearch + (size_t)k;
				sim_fmt_double(
				    num[2], sizeof(num[2]),
				    c->outcome[i] == FOUND ? c->value[i] : NAN);
				printf("%s%s", k ? ", " : "", num[2]);
			}
			printf("]}");
		}
		printf("\n]}\n");
		return;
	}
	if (fmt == SIM_FMT_CSV) {
		printf("system,model,parameter,slo,capacity,ci95\n");
		for (size_t s = 0; s < c->nsys; s++) {
			struct sim_est e = {NAN, NAN};
			bool first = true;
			summarize(c, s, &e);
			sim_csv_cell(stdout, &first, c->base.systems[s].name);
			sim_csv_cell(stdout, &first,
				     c->base.systems[s].model->name);
			sim_csv_cell(stdout, &first, c->path);
			sim_csv_cell(stdout, &first, c->slo);
			sim_csv_num(stdout, &first, e.mean);
			sim_csv_num(stdout, &first, e.ci95);
			putchar('\n');
		}
		return;
	}
	printf("%s: highest %s with %s\n(mean of %d independent searches, "
	       "+- the 95%% confidence half-width)\n\n",
	       c->base.name, c->path, c->slo, c->nsearch);
	int w = 6;
	for (size_t s = 0; s < c->nsys; s++)
		if ((int)strlen(c->base.systems[s].name) > w)
			w = (int)strlen(c->base.systems[s].name);
	printf("%-*s  %-12s  %s\n", w, "system", "model",
	       !strcmp(c->path, "workload.arrivals.rate") ? "capacity (req/s)"
							  : "capacity");
	for (size_t s = 0; s < c->nsys; s++) {
		struct sim_est e = {NAN, NAN};
		enum outcome o = summarize(c, s, &e);
		char lo[64], hi[64];
		printf("%-*s  %-12s  ", w, c->base.systems[s].name,
		       c->base.systems[s].model->name);
		format_value(c, c->lo, lo, sizeof(lo));
		format_value(c, c->hi, hi, sizeof(hi));
		if (o == FOUND && c->nsearch > 1)
			printf("%.4g +- %.2g\n", e.mean, e.ci95);
		else if (o == FOUND)
			printf("%.4g (one search: no interval)\n", e.mean);
		else if (o == BELOW)
			printf("below %s: the objective fails there\n",
			       c->have_lo ? lo : "the lowest value tried");
		else if (o == ABOVE)
			printf("above %s: the objective still holds\n",
			       c->have_hi ? hi : "the highest value tried");
		else
			printf("-\n");
	}
}

/* ----------------------------------------------------------- command -- */

/* Reads --lo/--hi: a number, with the unit every tried value will get. */
static int parse_bound(struct capacity *c, const char *opt, const char *s,
		       double *out)
{
	char *end;
	errno = 0;
	*out = strtod(s, &end);
	if (end == s || errno || !isfinite(*out) || *out < 0 ||
	    strlen(end) >= sizeof(c->unit)) {
		cli_error("%s expects a number (with the parameter's unit), "
			  "got '%s'",
			  opt, s);
		return EXIT_USAGE;
	}
	if ((c->have_lo || c->have_hi) && strcmp(end, c->unit)) {
		cli_error("--lo and --hi need the same unit, got '%s'", s);
		return EXIT_USAGE;
	}
	snprintf(c->unit, sizeof(c->unit), "%s", end);
	/* whole numbers without a unit: an integer parameter (threads) */
	c->integer = !*end && !strpbrk(s, ".eE") &&
		     (c->have_lo || c->have_hi ? c->integer : true);
	return 0;
}

static int capacity_options(struct capacity *c)
{
	struct cli_opts *o = &c->o;
	c->path = "workload.arrivals.rate";
	c->tol = 0.002;
	for (size_t i = 0; i < o->nextra; i++) {
		const char *a = o->extra[i], *val = NULL;
		if (strncmp(a, "--", 2)) {
			cli_error("unexpected argument '%s'", a);
			return EXIT_USAGE;
		}
		const char *eq = strchr(a, '=');
		size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
		if (eq)
			val = eq + 1;
		else if (i + 1 < o->nextra)
			val = o->extra[++i];
		if (!val) {
			cli_error("option '%.*s' needs a value", (int)nlen, a);
			return EXIT_USAGE;
		}
		int rc = 0;
#define IS(name) (nlen == strlen(name) && !strncmp(a, name, nlen))
		if (IS("--slo")) {
			c->slo = val;
			rc = cli_parse_slo(val, c->obj, MAX_OBJECTIVES,
					   &c->nobj);
		} else if (IS("--param")) {
			c->path = val;
		} else if (IS("--lo")) {
			rc = parse_bound(c, "--lo", val, &c->lo);
			c->have_lo = true;
		} else if (IS("--hi")) {
			rc = parse_bound(c, "--hi", val, &c->hi);
			c->have_hi = true;
		} else {
			char *end;
			c->tol = strtod(val, &end) / 100;
			if (end == val || strcmp(end, "%") ||
			    !(c->tol >= 1e-5 && c->tol <= 0.5)) {
				cli_error("--tolerance expects a percentage "
					  "from 0.001%% to 50%%, got '%s'",
					  val);
				rc = EXIT_USAGE;
			}
		}
#undef IS
		if (rc)
			return rc;
	}
	if (!c->slo) {
		cli_error("no objective: give --slo, e.g. --slo 'p99<100ms'");
		return EXIT_USAGE;
	}
	if (c->have_lo && c->have_hi && !(c->lo < c->hi)) {
		cli_error("--lo must be below --hi");
		return EXIT_USAGE;
	}
	return 0;
}

int cmd_capacity(int argc, char **argv)
{
	struct capacity c = {0};
	int rc = cli_parse(argc, argv,
			   "--set|--seed|--replications|--format|--jobs|"
			   "--quiet",
			   "--slo|--param|--lo|--hi|--tolerance", &c.o);
	pthread_mutex_init(&c.lock, NULL);
	if (rc || (rc = capacity_options(&c)) || (rc = cli_load(&c.o, &c.base)))
		goto cleanup;
	bool rate = !strcmp(c.path, "workload.arrivals.rate");
	if (!c.have_lo && !c.have_hi) {
		if (!rate) {
			cli_error("give --lo and --hi (in the unit of '%s') to "
				  "search it",
				  c.path);
			rc = EXIT_USAGE;
			goto cleanup;
		}
		if (c.base.workload.closed.users ||
		    c.base.workload.arrivals.kind == SIM_ARR_TRACE ||
		    !(c.base.workload.arrivals.rate > 0)) {
			cli_error("'%s' has no arrival rate to start from (a "
				  "closed loop or a trace); give --param, --lo "
				  "and --hi",
				  c.o.file);
			rc = EXIT_USAGE;
			goto cleanup;
		}
		c.lo = c.base.workload.arrivals.rate;
		snprintf(c.unit, sizeof(c.unit), "/s");
	} else if (rate && !c.unit[0]) {
		cli_error("--lo and --hi of a rate need a unit, e.g. 100/s");
		rc = EXIT_USAGE;
		goto cleanup;
	}
	if (rate && c.unit[0] && strcmp(c.unit, "/s") && strcmp(c.unit, "/m")) {
		cli_error("a rate's bounds take /s or /m, got '%s'", c.unit);
		rc = EXIT_USAGE;
		goto cleanup;
	}
	/* the text cli_load read, kept to load each point's variant */
	c.text = c.o.text;
	c.len = c.o.len;
	c.o.text = NULL;
	if ((rc = cli_budget(&c.base, 0, &c.o.jobs)))
		goto cleanup;
	c.nsys = c.base.nsystems;
	c.nsearch = c.base.replications;
	c.total = c.nsys * (size_t)c.nsearch;
	c.try_limit = SIM_LIMIT_REQUESTS / ((double)c.total * TRIES_BUDGETED);
	/* --lo and --hi are usage: a value the scenario refuses, or that
	 * costs more than a try may, is said now, on one line (exit 2) */
	if ((c.have_lo && (rc = check_bound(&c, "--lo", c.lo))) ||
	    (c.have_hi && (rc = check_bound(&c, "--hi", c.hi))))
		goto cleanup;
	c.value = calloc(c.total, sizeof(*c.value));
	c.outcome = calloc(c.total, sizeof(*c.outcome));
	if (!c.value || !c.outcome) {
		cli_error("out of memory");
		rc = EXIT_FAILED;
		goto cleanup;
	}
	cli_progress_start(&c.progress, !c.o.quiet);
	char counts[64];
	snprintf(counts, sizeof counts, "0/%zu searches", c.total);
	cli_progress_draw(&c.progress, "capacity", 0, counts);
	sim_parallel(c.total, c.o.jobs, search, &c);
	cli_progress_end(&c.progress);
	if (c.problem) {
		cli_error("%s", c.problem);
		rc = EXIT_FAILED;
		goto cleanup;
	}
	int fmt = cli_format(&c.o);
	print_result(&c, fmt);
	if (fflush(stdout) || ferror(stdout)) {
		cli_error("cannot write to standard output");
		rc = EXIT_FAILED;
		goto cleanup;
	}
	rc = 0;
	for (size_t s = 0; s < c.nsys && !rc; s++) {
		struct sim_est e;
		if (summarize(&c, s, &e) != FOUND)
			rc = EXIT_FAILED;
	}
cleanup:
	free(c.value);
	free(c.outcome);
	free(c.problem);
	free(c.text);
	sim_scenario_release(&c.base);
	pthread_mutex_destroy(&c.lock);
	cli_opts_release(&c.o);
	return rc;
}
