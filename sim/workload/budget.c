/*
 * budget.c - the cost estimate of a run and its bounds (see budget.h).
 *
 * Models are not asked how large they are: their keys are. A system's
 * size is read from its parameter table by the role each key declares
 * (runtime/config.h): SIM_P_PROCESSES keys multiply processes,
 * SIM_P_THREADS keys multiply the threads of each, SIM_P_QUEUE keys bound a
 * queue, and SIM_P_COPIES keys (the largest) copy the nested system; a core
 * is preempted every `quantum` and a process holding the GIL every
 * SIM_P_GIL_SLICE (unless a SIM_P_GIL key is false). A model marks its keys
 * and needs no edit here. Everything else follows from the scenario:
 * request counts from the arrival process, memory from histograms (stats.h)
 * and requests.
 */
#include "workload/budget.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kernel/stats.h"
#include "runtime/model.h"

/* Rough costs in bytes, measured on x86-64 (see the tests' comments). */
#define THREAD_BYTES  192.0 /* a simulated thread with its queues */
#define REQUEST_BYTES 256.0 /* a request in flight with its events */
#define USER_BYTES    64.0  /* a closed-loop user */
#define SESSION_BYTES                                                          \
	24.0		  /* a session's client state, besides its             \
			     request */
#define ROW_BYTES  1600.0 /* a time-series row with its figures */
#define HIST_BYTES ((double)SIM_HIST_NB * 8.0)
#define SIM_BASE   (4.0 * 1048576) /* kernel, pools, streams */

/* Threads, queue slots and time slices per simulated second (a core
 * with waiting threads is preempted every `quantum`) of one system;
 * replicas: of all copies. */
static void system_size(const struct sim_system *sys, double *threads,
			double *queue, double *slices)
{
	const struct sim_model_ops *m = sys->model;
	const struct sim_system *sub = NULL;
	double procs = 1, per = 1, copies = 1, backlog = 0, gil = 0;
	bool gil_on = true;
	for (size_t i = 0; m && sys->config && i < m->nparams; i++) {
		const struct sim_param *p = &m->params[i];
		const char *at = (const char *)sys->config + p->offset;
		if (p->type == SIM_PT_SYSTEM) {
			sub = *(struct sim_system *const *)at;
			continue;
		}
		if (p->type == SIM_PT_DURATION && (p->flags & SIM_P_GIL_SLICE))
			gil = *(const double *)at > 0 ? 1 / *(const double *)at
						      : 0;
		if (p->type == SIM_PT_BOOL && (p->flags & SIM_P_GIL))
			gil_on = *(const bool *)at;
		if (p->type != SIM_PT_INT)
			continue;
		double v = *(const int *)at;
		if (p->flags & SIM_P_PROCESSES)
			procs *= fmax(v, 1);
		else if (p->flags & SIM_P_THREADS)
			per *= fmax(v, 1);
		else if (p->flags & SIM_P_COPIES)
			copies = fmax(copies, v);
		else if (p->flags & SIM_P_QUEUE)
			backlog = fmax(backlog, v);
	}
	if (sub) {
		system_size(sub, threads, queue, slices);
		*threads *= copies;
		*queue = *queue * copies + backlog;
		*slices *= copies;
		return;
	}
	*threads = procs * (per + 1); /* + each process's main thread */
	*queue = backlog;
	*slices =
	    (sys->host.quantum > 0 ? sys->host.cores / sys->host.quantum : 0) +
	    2 * sys->host.cores * sys->host.stall_rate + /* stall, its end */
	    (gil_on ? procs * gil : 0);
}

/* The integral of a piecewise-constant rate (start `r0`, then the
 * schedule) over [0, t]. */
static double integrate(double r0, const struct sim_arrivals *a, double t)
{
	double sum = 0, from = 0, r = r0;
	for (size_t i = 0; i < a->nschedule && a->schedule[i].at < t; i++) {
		sum += r * (a->schedule[i].at - from);
		from = a->schedule[i].at;
		r = a->schedule[i].rate;
	}
	return sum + r * (t - from);
}

/* Mean demand of a request (all phases, classes weighted). */
static double mean_demand(const struct sim_workload *wl)
{
	double sum = 0, w = 0;
	for (size_t c = 0; c < wl->nclasses; c++) {
		double d = 0;
		for (size_t i = 0; i < wl->classes[c].nphases; i++)
			d += wl->classes[c].phases[i].dist.mean;
		sum += wl->classes[c].weight * d;
		w += wl->classes[c].weight;
	}
	return w > 0 ? sum / w : 0;
}

/* Simulated seconds of one replication: warm-up and duration; with
 * `warmup: auto`, a pilot of `duration` then at most that again of
 * warm-up before the measured `duration` (run.c). */
static double sim_budget_horizon(const struct sim_scenario *sc)
{
	return sc->warmup + sc->duration +
	       (sc->warmup_auto ? 2 * sc->duration : 0);
}

/* The sessions' requests of one replication (their openings and their
 * messages) and their broadcast deliveries (a draw per recipient). */
static double session_requests(const struct sim_scenario *sc,
			       double *deliveries)
{
	const struct sim_sessions *s = &sc->workload.sessions;
	double t = sim_budget_horizon(sc);
	*deliveries = 0;
	if (!s->count)
		return 0;
	double opens = s->count;
	if (s->lifetime.kind != SIM_DIST_NKINDS)
		opens += s->lifetime.mean > 0 ? s->count * t / s->lifetime.mean
					      : INFINITY;
	double messages = s->count * s->rate * t;
	*deliveries = messages * s->fanout * (double)s->bcast.nphases;
	return opens + messages;
}

/* Requests of one replication (an upper estimate; trace: 0, the file
 * bounds it) and mmpp switches. */
static double requests_of(const struct sim_scenario *sc, double *switches)
{
	const struct sim_workload *wl = &sc->workload;
	const struct sim_arrivals *a = &wl->arrivals;
	double t = sim_budget_horizon(sc);
	*switches = 0;
	if (wl->closed.users) {
		/* Little's law: each user sends at most one request per
		 * think time plus the time the request needs at least; with
		 * a client timeout shorter than that, a cycle is up to
		 * 1 + retries attempts of `timeout` each (the abandoned ones
		 * still reach the server) */
		double d = mean_demand(wl), tries = 1;
		const struct sim_client *c = &wl->client;
		if (c->timeout > 0 && c->timeout < d) {
			tries += c->retries;
			d = tries * c->timeout;
		}
		double cycle = wl->closed.think.mean + d;
		return cycle > 0 ? wl->closed.users * tries * t / cycle
				 : INFINITY;
	}
	switch (a->kind) {
	case SIM_ARR_TRACE:
		return 0;
	case SIM_ARR_MMPP: {
		double on = a->mean_on / (a->mean_on + a->mean_off);
		*switches = 2 * t / (a->mean_on + a->mean_off);
		return on * integrate(a->rate, a, t) +
		       (1 - on) * a->rate_off * t;
	}
	case SIM_ARR_DIURNAL: /* candidates are drawn at the peak rate */
		return (1 + a->amplitude) * integrate(a->rate, a, t);
	default:
		return integrate(a->rate, a, t);
	}
}

/* "1.5 GiB", "512 MiB": a byte count for people. */
static void fmt_bytes(char *buf, size_t len, double x)
{
	static const char *const u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	int i = 0;
	while (x >= 1024 && i < 5) {
		x /= 1024;
		i++;
	}
	snprintf(buf, len, "%.3g %s", x, u[i]);
}

/* A cgroup's memory limit in bytes (v2 memory.max, v1 limit_in_bytes),
 * or 0 when there is none: a container may have far less than the host. */
static double cgroup_limit(void)
{
	static const char *const files[] = {
	    "/sys/fs/cgroup/memory.max",
	    "/sys/fs/cgroup/memory/memory.limit_in_bytes"};
	for (size_t i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "r");
		double v = 0;
		if (!f)
			continue;
		if (fscanf(f, "%lf", &v) != 1) /* "max": no limit */
			v = 0;
		fclose(f);
		if (v > 0 && v < 1e18) /* v1 says "none" with a huge number */
			return v;
	}
	return 0;
}

static double physical_memory;
static pthread_once_t physical_once = PTHREAD_ONCE_INIT;

static void measure_physical_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
	double phys = pages > 0 && size > 0 ? (double)pages * (double)size : 0;
	double cg = cgroup_limit();
	physical_memory = cg > 0 && (phys == 0 || cg < phys) ? cg : phys;
}

/* Measured once per process: a sweep checks the budget of every point. */
double sim_physical_memory(void)
{
	pthread_once(&physical_once, measure_physical_memory);
	return physical_memory;
}

static int refuse(struct sim_mark *at, struct sim_mark where, char *why,
		  size_t len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int refuse(struct sim_mark *at, struct sim_mark where, char *why,
		  size_t len, const char *fmt, ...)
{
	va_list ap;
	*at = where;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return SIM_ELIMIT;
}

/* Requests sent to services per request of a phase list: each call that
 * misses its cache is one, plus the calls its own phases make. */
static double calls_per(const struct sim_phase *ph, size_t n)
{
	double k = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < ph[i].ncalls; j++) {
			const struct sim_call *c = &ph[i].calls[j];
			k += (1 - c->hit) *
			     (1 + calls_per(c->phases, c->nphases));
		}
	return k;
}

/* Simulated requests per client request: 1 + the calls of the average
 * class (each call's retries aside, as the client's). */
static double with_calls(const struct sim_workload *wl)
{
	double w = 0, k = 0;
	for (size_t c = 0; c < wl->nclasses; c++) {
		w += wl->classes[c].weight;
		k += wl->classes[c].weight *
		     calls_per(wl->classes[c].phases, wl->classes[c].nphases);
	}
	return w > 0 ? 1 + k / w : 1;
}

int sim_scenario_budget(const struct sim_scenario *sc, double ts_interval,
			struct sim_budget *b, struct sim_mark *at, char *why,
			size_t len)
{
	const struct sim_workload *wl = &sc->workload;
	const struct sim_mark top = {sc->file, 1, 1}, none = {NULL, 0, 0};
	const struct sim_mark amark =
	    wl->arrivals.mark.file ? wl->arrivals.mark : top;
	double reps = sc->replications, nsys = (double)sc->nsystems;
	double t = sim_budget_horizon(sc), switches, queue = 0;
	size_t big = 0;
	char x[32], y[32], lim[64];

	memset(b, 0, sizeof(*b));
	why[0] = '\0';
	/* the services' requests are simulated as well */
	double deliveries;
	b->requests = requests_of(sc, &switches) * with_calls(wl);
	b->requests += session_requests(sc, &deliveries);
	b->total = b->requests * reps * nsys;
	if (!(b->total <= SIM_LIMIT_REQUESTS)) {
		if (wl->closed.users && !isfinite(b->requests))
			return refuse(at, amark, why, len,
				      "a closed loop with no think time and "
				      "requests that need no time would "
				      "send infinitely many requests at "
				      "the same instant; give 'think' or a "
				      "phase a duration");
		return refuse(
		    at, amark, why, len,
		    "too much work: about %.3g requests to "
		    "simulate (%.3g per replication%s x %d "
		    "replications x %zu systems); the limit is "
		    "%.0g, about an hour of computing: shorten "
		    "'duration', lower 'replications' or the %s",
		    b->total, b->requests,
		    sc->nservices ? ", calls to services included," : "",
		    sc->replications, sc->nsystems, SIM_LIMIT_REQUESTS,
		    wl->closed.users ? "number of users" : "rate");
	}
	if (!(deliveries * reps * nsys <= SIM_LIMIT_DELIVERIES))
		return refuse(at, wl->sessions.fanout_mark, why, len,
			      "too much work: about %.3g broadcast "
			      "deliveries (%.3g per replication x %d "
			      "replications x %zu systems: sessions x "
			      "message rate x (warmup + duration) x fanout); "
			      "the limit is %.0g: lower 'fanout', the rate "
			      "or 'duration'",
			      deliveries * reps * nsys, deliveries,
			      sc->replications, sc->nsystems,
			      SIM_LIMIT_DELIVERIES);
	if (!(switches * reps <= SIM_LIMIT_SWITCHES))
		return refuse(at, amark, why, len,
			      "too much work: about %.3g on/off switches "
			      "of the mmpp arrivals (%.3g per replication x "
			      "%d replications); the limit is %.0g: make "
			      "'mean_on' and 'mean_off' longer",
			      switches * reps, switches, sc->replications,
			      SIM_LIMIT_SWITCHES);
	double slices = 0;
	size_t busy = 0;
	for (size_t i = 0; i < sc->nsystems; i++) {
		double th, q, sl;
		system_size(&sc->systems[i], &th, &q, &sl);
		/* and its own instance of every service */
		for (size_t k = 0; k < sc->nservices; k++) {
			const struct sim_system *ss = &sc->services[k].sys;
			double th2, q2, sl2;
			if (sc->systems[i].svc && sc->systems[i].svc[k])
				ss = sc->systems[i].svc[k];
			system_size(ss, &th2, &q2, &sl2);
			th += th2;
			q += q2;
			sl += sl2;
		}
		if (th > b->threads) {
			b->threads = th;
			big = i;
		}
		if (sl > slices) {
			slices = sl;
			busy = i;
		}
		queue = fmax(queue, q);
	}
	if (!(b->threads <= SIM_LIMIT_THREADS))
		return refuse(at, sc->systems[big].mark, why, len,
			      "system '%s' would simulate about %.3g threads "
			      "(processes x threads, times replicas); the "
			      "limit is %.0f per system",
			      sc->systems[big].name, b->threads,
			      SIM_LIMIT_THREADS);
	if (!(slices * t * reps <= SIM_LIMIT_SLICES))
		return refuse(
		    at, sc->systems[busy].mark, why, len,
		    "too much work: system '%s' may be preempted "
		    "about %.3g times (cores / quantum + processes / "
		    "gil_interval, x (warmup + duration) x %d "
		    "replications); the limit is %.0g: make 'quantum' or "
		    "'gil_interval' longer",
		    sc->systems[busy].name, slices * t * reps, sc->replications,
		    SIM_LIMIT_SLICES);
	if (ts_interval > 0) {
		b->ts_rows = ceil(t / ts_interval) * reps * nsys;
		if (!(b->ts_rows <= SIM_LIMIT_TS_ROWS))
			return refuse(at, none, why, len,
				      "--timeseries: about %.3g rows (%.3g "
				      "intervals of warmup + duration x %d "
				      "replications x %zu systems); the limit "
				      "is %.0g: use a longer interval",
				      b->ts_rows, ceil(t / ts_interval),
				      sc->replications, sc->nsystems,
				      SIM_LIMIT_TS_ROWS);
	}
	/* memory: latency histograms (whole and per class) of every
	 * simulation and the rows are kept until the end; a simulation
	 * holds its threads, users and the requests in flight */
	double hists = reps * nsys * (1 + (double)wl->nclasses);
	b->kept_bytes = hists * HIST_BYTES + b->ts_rows * ROW_BYTES;
	/* every session holds its request; its client, its state */
	double nsess = wl->sessions.count;
	b->inflight = fmin(b->requests, b->threads + queue + nsess) +
		      (double)wl->closed.users;
	b->sim_bytes = SIM_BASE + 2 * (1 + (double)wl->nclasses) * HIST_BYTES +
		       b->threads * THREAD_BYTES + b->inflight * REQUEST_BYTES +
		       (double)wl->closed.users * USER_BYTES +
		       nsess * SESSION_BYTES + (nsess > 0 ? HIST_BYTES : 0);
	double phys = sim_physical_memory();
	b->limit =
	    phys > 0 ? fmin(SIM_LIMIT_MEMORY, 0.75 * phys) : SIM_LIMIT_MEMORY;
	if (!(b->kept_bytes + b->sim_bytes <= b->limit)) {
		fmt_bytes(x, sizeof(x), b->kept_bytes + b->sim_bytes);
		fmt_bytes(y, sizeof(y), b->limit);
		/* beyond the fixed bound, say so whatever the machine */
		if (b->kept_bytes + b->sim_bytes > SIM_LIMIT_MEMORY)
			fmt_bytes(y, sizeof(y), SIM_LIMIT_MEMORY);
		snprintf(lim, sizeof(lim), "%s %s",
			 b->kept_bytes + b->sim_bytes > SIM_LIMIT_MEMORY
			     ? "the limit is"
			     : "this machine allows",
			 y);
		if (b->kept_bytes > b->sim_bytes)
			return refuse(
			    at, top, why, len,
			    "too much memory: about %s for results (%d "
			    "replications x %zu systems x %zu latency "
			    "histograms of %.0f KiB, and %.3g time-series "
			    "rows); %s: lower 'replications' or the number "
			    "of systems or classes",
			    x, sc->replications, sc->nsystems, wl->nclasses + 1,
			    HIST_BYTES / 1024, b->ts_rows, lim);
		return refuse(at, sc->systems[big].mark, why, len,
			      "too much memory: one simulation would need "
			      "about %s (%.3g threads, %.3g requests in "
			      "flight, %u users); %s",
			      x, b->threads, b->inflight, wl->closed.users,
			      lim);
	}
	return 0;
}

int sim_budget_jobs(const struct sim_budget *b, int jobs)
{
	double room = b->limit - b->kept_bytes;
	if (b->sim_bytes > 0 && room > 0 && jobs > 1 &&
	    room / b->sim_bytes < jobs)
		jobs = (int)(room / b->sim_bytes);
	return jobs < 1 ? 1 : jobs;
}
