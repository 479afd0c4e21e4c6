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

#include "cli/cli.h"
#include "cli/progress.h"
#include "cli/slo.h"
#include "output/csv.h"
#include "output/json.h"
#include "output/sweepio.h"
#include "runtime/model.h"
#include "scenario/read_systems.h"
#include "workload/budget.h"
#include "workload/run.h"

#define MAX_DOUBLINGS 40  /* bracket growth: 2^40 times the start */
#define MAX_STEPS     200 /* evaluations of one search, all told */
#define MAX_TRIED     (MAX_DOUBLINGS + MAX_STEPS + 4)
/* The whole search is bounded up front like `run` (budget.c): a try costs
 * at most SIM_LIMIT_REQUESTS / (searches x TRIES_BUDGETED), so that the
 * doubling (whose tries sum to about twice the last) and the bisection
 * (about log2(1/tolerance) tries near the end) together stay within the
 * limit of one run. */
#define TRIES_BUDGETED 12

/* How one search ended. */
enum outcome {
	FOUND,
	BELOW,	/* the objective fails at the lowest value tried */
	ABOVE,	/* it holds at the highest value tried */
	FAILED, /* a simulation or a load failed */
};
static const char *const outcome_names[] = {"found", "below", "above",
					    "failed"};

/* What one search did: every value tried with its verdict, the final
 * bracket [lo, hi] (the objective holds at lo and fails at hi when
 * maximizing; fails at lo and holds at hi when minimizing). */
struct search_rec {
	enum outcome out;
	double value, lo, hi;
	double tried[MAX_TRIED];
	signed char ok[MAX_TRIED]; /* 1 holds, 0 fails, -1 could not tell */
	int ntried;
};

struct capacity {
	struct cli_opts o;
	const char *slo;
	const char *path; /* the parameter */
	struct slo obj;
	const char *minimize; /* --minimize KEY */
	char **mpath;	      /* per system: systems.NAME.KEY, or NULL */
	double *mstart;	      /* per system: the key's value in the file */
	double *mmin, *mmax;  /* per system: the key's bounds */
	double lo, hi, tol;
	bool have_lo, have_hi, integer;
	char unit[16]; /* appended to every value: "/s", "ms", "" */
	struct sim_scenario base;
	char *text; /* the scenario file */
	size_t len;
	size_t nsys;
	int nsearch;		/* searches run per system */
	int stride;		/* room per system in rec */
	int from, batch;	/* the searches being run: from .. from+batch */
	double precision;	/* --precision (a share), 0: off */
	int max_reps;		/* --max-replications */
	struct search_rec *rec; /* nsys * stride */
	double try_limit;	/* requests one try may simulate */
	pthread_mutex_t lock;
	char *problem; /* the first load or simulation failure */
	bool failed;
	struct cli_progress progress; /* on a terminal */
	size_t done, total;
};

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
	const char *path = c->minimize ? c->mpath[sys] : c->path;
	struct sim_override *ov = calloc(c->o.nov + 1, sizeof(*ov));
	struct sim_scenario sc = {0};
	struct sim_rep_result res = {0};
	char val[64], *msg = NULL;
	size_t msglen = 0;
	const char *why = NULL;
	int verdict = -1;

	if (!ov)
		goto nomem;
	if (c->minimize)
		snprintf(val, sizeof(val), "%.0f", x);
	else
		format_value(c, x, val, sizeof(val));
	if (c->o.nov)
		memcpy(ov, c->o.ov, c->o.nov * sizeof(*ov));
	ov[c->o.nov] = (struct sim_override){path, val};
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
		snprintf(what, sizeof(what), "%s=%s", path, val);
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
		snprintf(what, sizeof(what), "%s=%s", path, val);
		note_problem(c, "cannot try %s: %s", what, over);
		goto cleanup;
	}
	if (!(b.requests <= c->try_limit)) {
		char what[128];
		snprintf(what, sizeof(what), "%s=%s", path, val);
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
	for (size_t i = 0; i < c->obj.n; i++)
		if (!slo_meets(&c->obj.t[i], slo_value(&c->obj.t[i], &res)))
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
	return c->integer || c->minimize ? hi - lo <= 1
					 : hi - lo <= c->tol * lo;
}

/* One evaluation of a search, recorded. When minimizing, the search runs
 * on "the objective fails" so that, as when maximizing, the answer
 * crosses from true (low values) to false (high values). */
static int probe(struct capacity *c, size_t sys, int rep, struct search_rec *r,
		 double x)
{
	int h = holds(c, sys, rep, x);
	if (r->ntried < MAX_TRIED) {
		r->tried[r->ntried] = x;
		r->ok[r->ntried++] = (signed char)h;
	}
	if (h < 0)
		return h;
	return c->minimize ? !h : h;
}

/* One search: bracket the crossing point, then bisect. */
static int search(void *arg, size_t i)
{
	struct capacity *c = arg;
	size_t sys = i / (size_t)c->batch;
	int rep = c->from + (int)(i % (size_t)c->batch);
	struct search_rec *r = &c->rec[sys * (size_t)c->stride + (size_t)rep];
	bool integer = c->integer || c->minimize;
	double floor_ = c->minimize ? c->mmin[sys] : 0;
	double ceil_ = c->minimize ? c->mmax[sys] : INFINITY;
	double lo = NAN, hi = NAN, x0;
	int h, steps = 0;
	enum outcome out = FAILED;

	r->lo = r->hi = NAN;
	if (c->minimize && !c->mpath[sys]) {
		r->out = FAILED; /* not applicable: never searched */
		return 0;
	}
	if (c->have_lo && c->have_hi) {
		lo = c->lo;
		hi = c->hi;
		if ((h = probe(c, sys, rep, r, lo)) <= 0) {
			out = h ? FAILED : BELOW;
			goto done;
		}
		if ((h = probe(c, sys, rep, r, hi)) != 0) {
			out = h < 0 ? FAILED : ABOVE;
			goto done;
		}
	} else {
		x0 = c->minimize  ? c->mstart[sys]
		     : c->have_lo ? c->lo
		     : c->have_hi ? c->hi
				  : c->lo;
		if ((h = probe(c, sys, rep, r, x0)) < 0)
			goto done;
		lo = hi = x0;
		for (int d = 0;; d++) {
			if (d == MAX_DOUBLINGS) {
				out = h ? ABOVE : BELOW;
				goto done;
			}
			if (h) {
				lo = hi;
				if (lo >= ceil_) {
					out = ABOVE;
					goto done;
				}
				hi = integer ? 2 * hi + 1 : 2 * hi;
				hi = fmin(hi, ceil_);
				h = probe(c, sys, rep, r, hi);
				if (h < 0)
					goto done;
				if (!h)
					break;
			} else {
				hi = lo;
				if (c->minimize && lo <= floor_) {
					/* holds at the key's least value */
					lo = hi = floor_;
					r->value = floor_;
					out = FOUND;
					goto done;
				}
				lo = integer ? floor(lo / 2) : lo / 2;
				lo = fmax(lo, floor_);
				if (c->integer && !c->minimize && hi <= 1) {
					out = BELOW;
					goto done;
				}
				h = probe(c, sys, rep, r, lo);
				if (h < 0)
					goto done;
				if (h)
					break;
			}
		}
	}
	while (!narrow(c, lo, hi) && steps++ < MAX_STEPS) {
		double mid = integer ? floor((lo + hi) / 2) : (lo + hi) / 2;
		if ((h = probe(c, sys, rep, r, mid)) < 0)
			goto done;
		if (h)
			lo = mid;
		else
			hi = mid;
	}
	/* maximizing: the highest value that holds; minimizing: the lowest
	 * value that holds, the first of the bracket where "fails" is false */
	r->value = c->minimize ? hi : integer ? lo : (lo + hi) / 2;
	out = FOUND;
done:
	if (!(r->lo == r->lo)) {
		r->lo = lo;
		r->hi = hi;
	}
	if (out != FOUND) {
		r->lo = r->ntried ? r->tried[0] : NAN;
		r->hi = r->lo;
		for (int k = 0; k < r->ntried; k++) {
			r->lo = fmin(r->lo, r->tried[k]);
			r->hi = fmax(r->hi, r->tried[k]);
		}
	}
	r->out = out;
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

/* A system's searches: the estimate from those that found the crossing
 * (a failed or unbounded search does not void the others), how many
 * did, and the worst outcome of the others. */
struct verdict {
	struct sim_est e;
	int nfound;
	enum outcome other; /* FOUND when every search found it */
	double bound;	    /* BELOW: the lowest value tried; ABOVE: highest */
	double largest;	    /* minimizing: the largest answer */
};

static struct verdict summarize(const struct capacity *c, size_t sys)
{
	struct verdict v = {{NAN, NAN}, 0, FOUND, NAN, NAN};
	double *x = calloc((size_t)c->nsearch + 1, sizeof(*x));
	for (int k = 0; k < c->nsearch; k++) {
		const struct search_rec *r =
		    &c->rec[sys * (size_t)c->stride + (size_t)k];
		if (r->out == FOUND) {
			if (x)
				x[v.nfound] = r->value;
			v.nfound++;
			if (!(r->value <= v.largest))
				v.largest = r->value;
			continue;
		}
		if (v.other == FOUND || r->out == FAILED)
			v.other = r->out;
		if (r->out == BELOW && !(r->lo >= v.bound))
			v.bound = r->lo;
		if (r->out == ABOVE && !(r->hi <= v.bound))
			v.bound = r->hi;
	}
	if (x && v.nfound)
		v.e = sim_est_of(x, (size_t)v.nfound);
	if (v.nfound < 2)
		v.e.ci95 = NAN;
	free(x);
	return v;
}

static void json_search(const struct capacity *c, const struct search_rec *r,
			int k)
{
	char num[3][SIM_NUM_LEN];
	sim_fmt_double(num[0], sizeof(num[0]),
		       r->out == FOUND ? r->value : NAN);
	sim_fmt_double(num[1], sizeof(num[1]), r->lo);
	sim_fmt_double(num[2], sizeof(num[2]), r->hi);
	printf(
	    "%s\n      {\"replication\": %d, \"outcome\": \"%s\", \"value\": "
	    "%s, \"bracket\": [%s, %s], \"tried\": [",
	    k ? "," : "", k, outcome_names[r->out], num[0], num[1], num[2]);
	for (int t = 0; t < r->ntried; t++) {
		sim_fmt_double(num[0], sizeof(num[0]), r->tried[t]);
		printf("%s{\"value\": %s, \"meets\": %s}", t ? ", " : "",
		       num[0],
		       r->ok[t] < 0 ? "null"
		       : r->ok[t]   ? "true"
				    : "false");
	}
	printf("]}");
	(void)c;
}

static void print_json(const struct capacity *c)
{
	char num[3][SIM_NUM_LEN];
	printf("{\"slo\": ");
	sim_json_string(stdout, c->slo);
	printf(", \"parameter\": ");
	sim_json_string(stdout, c->minimize ? c->minimize : c->path);
	printf(", \"replications\": %d, \"systems\": [", c->nsearch);
	for (size_t s = 0; s < c->nsys; s++) {
		struct verdict v = summarize(c, s);
		const struct search_rec *rec = &c->rec[s * (size_t)c->stride];
		printf("%s\n  {\"name\": ", s ? "," : "");
		sim_json_string(stdout, c->base.systems[s].name);
		printf(", \"model\": ");
		sim_json_string(stdout, c->base.systems[s].model->name);
		if (c->minimize) {
			printf(", \"minimum\": ");
			if (!c->mpath[s]) {
				printf("{\"applicable\": false, \"key\": ");
				sim_json_string(stdout, c->minimize);
				printf("}}");
				continue;
			}
			sim_fmt_double(num[0], sizeof(num[0]), v.largest);
			sim_fmt_double(num[1], sizeof(num[1]), v.e.mean);
			sim_fmt_double(num[2], sizeof(num[2]), v.e.ci95);
			printf("{\"applicable\": true, \"path\": ");
			sim_json_string(stdout, c->mpath[s]);
			printf(", \"value\": %s, \"mean\": %s, \"ci95\": %s, "
			       "\"found\": %d, \"replications\": [",
			       num[0], num[1], num[2], v.nfound);
			for (int k = 0; k < c->nsearch; k++)
				json_search(c, &rec[k], k);
			printf("]}}");
			continue;
		}
		sim_fmt_double(num[0], sizeof(num[0]), v.e.mean);
		sim_fmt_double(num[1], sizeof(num[1]), v.e.ci95);
		printf(", \"capacity_rps\": %s, \"ci95\": %s, \"found\": %d",
		       num[0], num[1], v.nfound);
		if (v.other == BELOW || v.other == ABOVE) {
			sim_fmt_double(num[2], sizeof(num[2]), v.bound);
			printf(", \"bound\": \"%s\", \"bound_value\": %s",
			       v.other == BELOW ? "below" : "above", num[2]);
		}
		printf(", \"searches\": [");
		for (int k = 0; k < c->nsearch; k++)
			json_search(c, &rec[k], k);
		printf("]}");
	}
	printf("\n]}\n");
}

static void print_csv(const struct capacity *c)
{
	/* the half-width of figure X is X_ci95, as in run's and sweep's
	 * CSV */
	printf("system,model,parameter,slo,%s,found,searches,bound,"
	       "bound_value\n",
	       c->minimize ? "minimum,minimum_mean,minimum_mean_ci95"
			   : "capacity_rps,capacity_rps_ci95");
	for (size_t s = 0; s < c->nsys; s++) {
		struct verdict v = summarize(c, s);
		bool first = true;
		char n[16];
		sim_csv_cell(stdout, &first, c->base.systems[s].name);
		sim_csv_cell(stdout, &first, c->base.systems[s].model->name);
		sim_csv_cell(stdout, &first,
			     c->minimize ? (c->mpath[s] ? c->mpath[s] : "")
					 : c->path);
		sim_csv_cell(stdout, &first, c->slo);
		if (c->minimize)
			sim_csv_num(stdout, &first, v.largest);
		sim_csv_num(stdout, &first, v.e.mean);
		sim_csv_num(stdout, &first, v.e.ci95);
		snprintf(n, sizeof(n), "%d", v.nfound);
		sim_csv_cell(stdout, &first, n);
		snprintf(n, sizeof(n), "%d", c->nsearch);
		sim_csv_cell(stdout, &first, n);
		sim_csv_cell(stdout, &first,
			     c->minimize && !c->mpath[s] ? "not applicable"
			     : v.other == BELOW		 ? "below"
			     : v.other == ABOVE		 ? "above"
			     : v.other == FAILED	 ? "failed"
							 : "");
		sim_csv_num(stdout, &first, v.bound);
		putchar('\n');
	}
}

static void print_table(const struct capacity *c)
{
	if (c->minimize)
		printf("%s: least %s with %s at the scenario's load\n"
		       "(the largest answer of %d independent searches, each "
		       "on its own replication)\n\n",
		       c->base.name, c->minimize, c->slo, c->nsearch);
	else
		printf("%s: highest %s with %s\n(mean of the independent "
		       "searches that found it, of %d, +- the 95%% confidence "
		       "half-width)\n\n",
		       c->base.name, c->path, c->slo, c->nsearch);
	int w = 6;
	for (size_t s = 0; s < c->nsys; s++)
		if ((int)strlen(c->base.systems[s].name) > w)
			w = (int)strlen(c->base.systems[s].name);
	printf("%-*s  %-12s  %s\n", w, "system", "model",
	       c->minimize ? "minimum (per replication)"
	       : !strcmp(c->path, "workload.arrivals.rate") ? "capacity (req/s)"
							    : "capacity");
	for (size_t s = 0; s < c->nsys; s++) {
		struct verdict v = summarize(c, s);
		char b[64];
		printf("%-*s  %-12s  ", w, c->base.systems[s].name,
		       c->base.systems[s].model->name);
		if (c->minimize && !c->mpath[s]) {
			printf("not applicable (no key '%s')\n", c->minimize);
			continue;
		}
		if (c->minimize)
			snprintf(b, sizeof(b), "%.0f", v.bound);
		else
			format_value(c, v.bound, b, sizeof(b));
		if (c->minimize && v.nfound) {
			printf("%.0f:", v.largest);
			for (int k = 0; k < c->nsearch; k++) {
				const struct search_rec *r =
				    &c->rec[s * (size_t)c->stride + (size_t)k];
				if (r->out == FOUND)
					printf(" %.0f", r->value);
				else
					printf(" %s", outcome_names[r->out]);
			}
		} else if (v.nfound > 1 && fabs(v.e.mean) >= 100)
			printf("%.0f +- %.0f", v.e.mean, v.e.ci95);
		else if (v.nfound > 1)
			printf("%.4g +- %.2g", v.e.mean, v.e.ci95);
		else if (v.nfound == 1)
			printf("%.4g (one search: no interval)", v.e.mean);
		if (v.nfound && v.other != FOUND)
			printf(" (%d of %d searches; others: ", v.nfound,
			       c->nsearch);
		if (v.other == BELOW)
			printf(c->minimize ? "meets it at %s, the least value"
					   : "below %s: the objective fails "
					     "at the lowest value tried",
			       b);
		else if (v.other == ABOVE)
			printf(c->minimize ? "fails even at %s, the most tried"
					   : "above %s: the objective still "
					     "holds at the highest value tried",
			       b);
		else if (v.other == FAILED)
			printf("a simulation failed, see above");
		printf("%s\n", v.nfound && v.other != FOUND ? ")" : "");
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
	bool have_param = false;
	c->path = "workload.arrivals.rate";
	c->tol = 0.002;
	for (size_t i = 0; i < o->nextra; i++) {
		const char *a = o->extra[i], *val = NULL;
		if (!cli_extra_is_option(o, i)) {
			cli_error("unexpected argument '%s'", a);
			return EXIT_USAGE;
		}
		const char *eq = strchr(a, '=');
		size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
		if (!(val = cli_extra_value(o, &i)))
			return EXIT_USAGE;
		int rc = 0;
		char msg[512];
#define IS(name) (nlen == strlen(name) && !strncmp(a, name, nlen))
		if (IS("--slo")) {
			c->slo = val;
			if (slo_parse(&c->obj, val, msg, sizeof(msg))) {
				cli_error("%s", msg);
				rc = EXIT_USAGE;
			}
		} else if (IS("--param")) {
			c->path = val;
			have_param = true;
		} else if (IS("--minimize")) {
			c->minimize = val;
		} else if (IS("--precision")) {
			rc = cli_parse_precision(val, &c->precision);
		} else if (IS("--max-replications")) {
			rc = cli_parse_max_reps(val, &c->max_reps);
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
	if (c->minimize && (have_param || c->have_lo || c->have_hi)) {
		cli_error("--minimize searches the key at the scenario's load: "
			  "it takes no --param, --lo or --hi (set the load "
			  "with --set)");
		return EXIT_USAGE;
	}
	if (c->have_lo && c->have_hi && !(c->lo < c->hi)) {
		cli_error("--lo must be below --hi");
		return EXIT_USAGE;
	}
	return 0;
}

/* The integer key `key` of one system, for --minimize: found among the
 * system's own keys (and every host's); a replicas system that does not
 * have it passes it to its replica (host keys too, unless colocated).
 * Fills path ("systems.NAME[.replica].KEY"), the value in the file and
 * its bounds. Returns 1 found, 0 the system has no such key, -1 the key
 * is not a whole number (message printed). */
static int find_key(const struct sim_system *sys, const char *key, char *path,
		    size_t size, double *val, double *lo, double *hi)
{
	const struct sim_system *at = sys;
	char prefix[300];
	snprintf(prefix, sizeof(prefix), "systems.%s", sys->name);
	for (int depth = 0; at && depth < 4; depth++) {
		const struct sim_system *sub = NULL;
		bool coloc = false;
		for (size_t k = 0; k < at->model->nparams; k++) {
			const struct sim_param *p = &at->model->params[k];
			const char *f = (const char *)at->config + p->offset;
			if (p->type == SIM_PT_SYSTEM)
				sub = *(struct sim_system *const *)f;
			if (p->type == SIM_PT_BOOL &&
			    !strcmp(p->key, "colocated"))
				coloc = *(const bool *)f;
			if (strcmp(p->key, key))
				continue;
			if (p->type != SIM_PT_INT) {
				cli_error("--minimize: '%s' is not a whole "
					  "number key (workers, threads, "
					  "cores, replicas, processes, "
					  "threadpool...)",
					  key);
				return -1;
			}
			snprintf(path, size, "%s.%s", prefix, key);
			*val = *(const int *)f;
			*lo = fmax(p->min, 1);
			*hi = p->max;
			return 1;
		}
		for (size_t k = 0; k < sim__nhost_params; k++) {
			const struct sim_param *p = &sim__host_params[k];
			if (strcmp(p->key, key) || (sub && !coloc))
				continue;
			if (p->type != SIM_PT_INT) {
				cli_error("--minimize: '%s' is not a whole "
					  "number key",
					  key);
				return -1;
			}
			snprintf(path, size, "%s.%s", prefix, key);
			*val =
			    *(const int *)((const char *)&at->host + p->offset);
			*lo = fmax(p->min, 1);
			*hi = p->max;
			return 1;
		}
		if (!sub)
			break;
		for (size_t k = 0; k < at->model->nparams; k++)
			if (at->model->params[k].type == SIM_PT_SYSTEM) {
				size_t n = strlen(prefix);
				snprintf(prefix + n, sizeof(prefix) - n, ".%s",
					 at->model->params[k].key);
			}
		at = sub;
	}
	return 0;
}

/* --minimize KEY or systems.NAME.KEY: which systems it applies to. */
static int minimize_setup(struct capacity *c)
{
	const char *key = c->minimize, *only = NULL;
	char name[256];
	c->mpath = calloc(c->nsys + 1, sizeof(*c->mpath));
	c->mstart = calloc(c->nsys + 1, sizeof(*c->mstart));
	c->mmin = calloc(c->nsys + 1, sizeof(*c->mmin));
	c->mmax = calloc(c->nsys + 1, sizeof(*c->mmax));
	if (!c->mpath || !c->mstart || !c->mmin || !c->mmax) {
		cli_error("out of memory");
		return EXIT_FAILED;
	}
	if (!strncmp(key, "systems.", 8)) {
		const char *dot = strrchr(key, '.');
		if (dot == key + 7 || (size_t)(dot - key - 8) >= sizeof(name)) {
			cli_error("--minimize expects KEY or systems.NAME.KEY, "
				  "got '%s'",
				  key);
			return EXIT_USAGE;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(dot - key - 8),
			 key + 8);
		only = name;
		key = dot + 1;
	}
	size_t applies = 0;
	bool named = false;
	for (size_t s = 0; s < c->nsys; s++) {
		const struct sim_system *sys = &c->base.systems[s];
		char path[512];
		if (only && strcmp(sys->name, only))
			continue;
		named = true;
		int f = find_key(sys, key, path, sizeof(path), &c->mstart[s],
				 &c->mmin[s], &c->mmax[s]);
		if (f < 0)
			return EXIT_USAGE;
		if (f && !(c->mpath[s] = strdup(path))) {
			cli_error("out of memory");
			return EXIT_FAILED;
		}
		applies += (size_t)f;
	}
	if (only && !named) {
		cli_error("--minimize: no system named '%s'", only);
		return EXIT_USAGE;
	}
	if (!applies) {
		cli_error(
		    "--minimize: no system has the key '%s' (whole-number "
		    "keys: workers, threads, cores, replicas, processes, "
		    "threadpool; `concsim help models`)",
		    key);
		return EXIT_USAGE;
	}
	/* the searches only see systems that apply (others not searched) */
	return 0;
}

/* Whether any schedule step is an absolute rate (warned about when the
 * search moves the base rate). */
static void warn_absolute_steps(const struct capacity *c)
{
	const struct sim_arrivals *a = &c->base.workload.arrivals;
	for (size_t i = 0; i < a->nschedule; i++)
		if (!a->schedule[i].scaled) {
			sim_fprintf_safe(
			    stderr,
			    "%s:%d:%d: warning: 'rate': this schedule step "
			    "stays at an absolute rate while capacity moves "
			    "the base rate; write 'scale: F' to make it "
			    "follow\n",
			    a->schedule[i].mark.file, a->schedule[i].mark.line,
			    a->schedule[i].mark.col);
			return;
		}
}

int cmd_capacity(int argc, char **argv)
{
	struct capacity c = {0};
	int rc = cli_parse(argc, argv,
			   "--set|--seed|--replications|--format|--jobs|"
			   "--quiet|--systems",
			   "--slo|--param|--lo|--hi|--tolerance|--minimize|"
			   "--precision|--max-replications",
			   &c.o);
	pthread_mutex_init(&c.lock, NULL);
	if (rc || (rc = capacity_options(&c)) || (rc = cli_load(&c.o, &c.base)))
		goto cleanup;
	c.nsys = c.base.nsystems;
	bool rate = !strcmp(c.path, "workload.arrivals.rate");
	if (c.minimize) {
		if ((rc = minimize_setup(&c)))
			goto cleanup;
	} else if (!c.have_lo && !c.have_hi) {
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
	if (!c.minimize && rate && c.unit[0] && strcmp(c.unit, "/s") &&
	    strcmp(c.unit, "/m")) {
		cli_error("a rate's bounds take /s or /m, got '%s'", c.unit);
		rc = EXIT_USAGE;
		goto cleanup;
	}
	if (!c.minimize && rate && !c.o.quiet)
		warn_absolute_steps(&c);
	/* the text cli_load read, kept to load each point's variant */
	c.text = c.o.text;
	c.len = c.o.len;
	c.o.text = NULL;
	if ((rc = cli_budget(&c.base, 0, &c.o.jobs)))
		goto cleanup;
	if (c.max_reps && !c.precision) {
		cli_error("--max-replications goes with --precision P%%");
		rc = EXIT_USAGE;
		goto cleanup;
	}
	if (!c.max_reps)
		c.max_reps = 50;
	c.nsearch = c.base.replications;
	if (c.precision && c.nsearch < 3)
		c.nsearch = 3;
	if (c.precision && c.nsearch > c.max_reps)
		c.nsearch = c.max_reps;
	c.stride = c.precision ? c.max_reps : c.nsearch;
	/* the whole search is bounded like one run: each try may simulate
	 * its share of the limit */
	c.try_limit =
	    SIM_LIMIT_REQUESTS / ((double)c.nsys * c.stride * TRIES_BUDGETED);
	/* --lo and --hi are usage: a value the scenario refuses, or that
	 * costs more than a try may, is said now, on one line (exit 2) */
	if (!c.minimize &&
	    ((c.have_lo && (rc = check_bound(&c, "--lo", c.lo))) ||
	     (c.have_hi && (rc = check_bound(&c, "--hi", c.hi)))))
		goto cleanup;
	c.rec = calloc(c.nsys * (size_t)c.stride, sizeof(*c.rec));
	if (!c.rec) {
		cli_error("out of memory");
		rc = EXIT_FAILED;
		goto cleanup;
	}
	cli_progress_start(&c.progress, !c.o.quiet);
	/* --precision: more searches (each on its own replication) until
	 * every system's answer has a 95 % half-width within P/(1+P) of it
	 * (Law & Kelton's relative precision, as `run --precision`) */
	for (c.from = 0;;) {
		c.batch = c.nsearch - c.from;
		c.total = c.nsys * (size_t)c.batch;
		c.done = 0;
		char counts[64];
		snprintf(counts, sizeof counts, "0/%zu searches", c.total);
		cli_progress_draw(&c.progress, "capacity", 0, counts);
		sim_parallel(c.total, c.o.jobs, search, &c);
		if (!c.precision || c.nsearch >= c.max_reps)
			break;
		double g = c.precision / (1 + c.precision), worst = 0;
		for (size_t s = 0; s < c.nsys; s++) {
			struct verdict v = summarize(&c, s);
			if (v.nfound < 2 || !(fabs(v.e.mean) > 0))
				continue;
			worst = fmax(worst, v.e.ci95 / (g * fabs(v.e.mean)));
		}
		if (worst <= 1)
			break;
		int want = (int)ceil(c.nsearch * worst * worst);
		c.from = c.nsearch;
		c.nsearch = want > c.max_reps  ? c.max_reps
			    : want > c.nsearch ? want
					       : c.nsearch + 1;
	}
	cli_progress_end(&c.progress);
	if (c.precision && c.nsearch >= c.max_reps)
		fprintf(stderr,
			"concsim: note: --precision stopped at "
			"--max-replications (%d searches)\n",
			c.nsearch);
	/* a failed simulation voids only its own search: say so, keep the
	 * others */
	if (c.problem)
		sim_fprintf_safe(stderr, "concsim: warning: %s\n", c.problem);
	int fmt = cli_format(&c.o);
	if (fmt == SIM_FMT_JSON)
		print_json(&c);
	else if (fmt == SIM_FMT_CSV)
		print_csv(&c);
	else
		print_table(&c);
	rc = cli_flushed(0);
	if (rc)
		goto cleanup;
	/* exit 1 when a system that applies has no answer at all */
	for (size_t s = 0; s < c.nsys && !rc; s++)
		if ((!c.minimize || c.mpath[s]) && !summarize(&c, s).nfound)
			rc = EXIT_FAILED;
cleanup:
	for (size_t s = 0; c.mpath && s < c.nsys; s++)
		free(c.mpath[s]);
	free(c.mpath);
	free(c.mstart);
	free(c.mmin);
	free(c.mmax);
	free(c.rec);
	free(c.problem);
	free(c.text);
	sim_scenario_release(&c.base);
	pthread_mutex_destroy(&c.lock);
	cli_opts_release(&c.o);
	return rc;
}
