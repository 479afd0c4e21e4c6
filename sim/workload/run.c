/*
 * run.c - one simulation of one system, and the scenario driver.
 *
 * The client layer lives here: it issues requests (open arrivals or a
 * closed loop of users), starts a timeout per attempt, retries with
 * backoff and jitter, and counts what the client sees. Counting starts at
 * the end of warm-up; every counter and histogram before that is discarded
 * and the model restarts its own statistics.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/io.h"
#include "runtime/model.h"
#include "runtime/retry.h"
#include "runtime/service.h"
#include "workload/run.h"
#include "workload/sessions.h"
#include "workload/workload.h"

/* Generous bound on kernel events per simulation, so a scenario that would
 * run for days stops with a message instead. */
#define MAX_EVENTS_PER_RUN 4e10
/* Requests alive at once in one simulation (~150 bytes each): an open
 * workload faster than the system, with nothing to shed load (no backlog
 * limit reached, no memory limit, no cancellation), grows without bound;
 * stop it with a message before the simulator itself runs out of memory. */
#define MAX_LIVE_REQUESTS 4000000
/* Requests a closed loop may send at one instant: SAME_INSTANT_PER_USER a
 * user and MAX_SAME_INSTANT more. Beyond, users whose requests end at
 * once (refused, or no demand) send again with no think time, forever,
 * without time ever advancing. A user whose think time is 0 with
 * probability p, refused at once, sends 1 / (1 - p) times at that instant
 * on average: 4 a user allow p = 0.75 for all users at once (a review's
 * case: 150,000 users refused together, half their think times 0, send
 * 300,000 times before time moves). One a user and 1,000,000 more took
 * 0.6 s to stop a run of two systems whose 685 users were refused at
 * once (over 3 s under the fuzzer's sanitizers, its timeout); now 0.15 s
 * (test_workload and test_bad_inputs check both). */
#define SAME_INSTANT_PER_USER 4
#define MAX_SAME_INSTANT      100000

struct run {
	struct sim s;
	const struct sim_scenario *sc;
	const struct sim_workload *wl;
	struct sim_ctx ctx;
	struct sim_instance inst;
	struct sim_dspool ds;
	struct sim_svcset svc;
	struct sim_reqpool pool;
	struct sim_gen gen;
	struct sim_arr arr;
	struct sim_connpool conns;
	struct sim_sessrun sess;
	struct sim_stream client_rng, model_rng, think;
	uint64_t next_id;
	uint32_t *user_k; /* closed loop: requests sent by each user */
	int measuring;
	struct sim_rep_result *res;
	/* res->classes while measuring, else NULL: on_done_plain's one test
	 * for both */
	struct sim_class_result *measured;
	uint64_t sent_first, sent_retries; /* whole run, for the budget */
	/* time series */
	double ts_dt, ts_last, t_reset;
	struct sim_ts *ts;
	int rep;
	uint64_t ts_errors;
	/* Whole run: responses finished (wasted ones included), and of them
	 * those not good (wasted, or past the deadline): the good ones are
	 * the difference (run_good), so that the common path counts one, not
	 * two. With sent_first, these give the counts of the measurement and
	 * of each time-series interval as differences from their values when
	 * it started: one increment per request, not one per window. */
	uint64_t finished, not_good;
	uint64_t attempts; /* whole run: attempts sent (first ones, retries) */
	uint64_t warm_sent, warm_finished, warm_good; /* at the warm-up's end */
	uint64_t warm_attempts;
	uint64_t ts_sent, ts_finished, ts_good; /* at the last row */
	struct sim_hist ts_lat;
	struct sim_metrics ts_prev;
	int err;
	const char *why;  /* with err: what went wrong */
	double cpu_scale; /* the system's cpu_scale (nested ones included) */
	struct mser_buf *mser; /* warmup: auto, the pilot run: batch means */
	double t_issue;	    /* closed loop: the instant of the last request */
	bool closed, trace; /* a closed loop; trace replay (open workload) */
	bool timed, scaled; /* a client timeout; cpu_scale other than 1 */
	bool net;	    /* a network: workload.client.rtt > 0 */
	double rtt;	    /* workload.client.rtt */
	struct client_stalls *cstall; /* the client's stalls, or NULL */
	/* no deadline, closed loop, warm-up pilot, time series or client
	 * timeout (so no timeout pending to cancel): a good answer is
	 * counted and recorded, nothing else (on_done_plain) */
	bool plain_done;
	/* an open workload without a trace, cpu_scale, client timeout,
	 * connection pool or network, of one class without calls
	 * (sim_gen_fill_plain): a new request is drawn and sent with none of
	 * their tests (issue) */
	bool plain_issue;
	uint64_t same_instant; /* requests sent at that instant */
};

/* The good responses of the whole run (struct run: finished). */
static uint64_t run_good(const struct run *ru)
{
	return ru->finished - ru->not_good;
}

/* `warmup: auto`: the pilot run's response times, in order of
 * completion, as means of batches of 5 (MSER-5), with the instant each
 * batch ended. */
#define MSER_BATCH 5
struct mser_buf {
	double sum;
	int cnt;
	double *b, *t;
	size_t n, cap;
	bool nomem;
};

static void mser_add(struct mser_buf *m, double lat, double now)
{
	m->sum += lat;
	if (++m->cnt < MSER_BATCH)
		return;
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 1024;
		double *b = realloc(m->b, cap * sizeof(*b));
		if (b)
			m->b = b;
		double *t = b ? realloc(m->t, cap * sizeof(*t)) : NULL;
		if (t)
			m->t = t;
		if (!b || !t) {
			m->nomem = true;
			return;
		}
		m->cap = cap;
	}
	m->b[m->n] = m->sum / MSER_BATCH;
	m->t[m->n++] = now;
	m->sum = 0;
	m->cnt = 0;
}

/* ---------------------------------------------------------- the client -- */

static void send_retry(struct sim *s, void *obj, uint64_t arg);
static void user_send(struct sim *s, void *obj, uint64_t arg);

/* What a system's cpu phase demands are multiplied by: its cpu_scale
 * times that of every system nested in it (the replica of `replicas`). */
static double cpu_scale_of(const struct sim_system *sys)
{
	double k = sys->host.cpu_scale;
	for (size_t i = 0; i < sys->model->nparams; i++) {
		const struct sim_param *p = &sys->model->params[i];
		const struct sim_system *sub;
		if (p->type != SIM_PT_SYSTEM)
			continue;
		sub = *(struct sim_system *const *)((const char *)sys->config +
						    p->offset);
		if (sub)
			k *= cpu_scale_of(sub);
	}
	return k;
}

/* Multiplies r's cpu phases by the system's cpu_scale: the same draws in
 * every system (common random numbers), scaled. Pool phases and the
 * models' own overheads are left as they are. */
static void scale_cpu(const struct run *ru, struct sim_request *r)
{
	const struct sim_class *k = &ru->wl->classes[r->cls];
	for (size_t i = 0; i < k->nphases; i++)
		if (k->phases[i].kind == SIM_PHASE_CPU)
			r->demand[i] *= ru->cpu_scale;
}

static void oom(struct run *ru)
{
	ru->err = SIM_ENOMEM;
	sim_stop(&ru->s);
}

/* A new request record, or NULL after stopping the run (out of memory, or
 * the unbounded-overload limit). */
static struct sim_request *new_request(struct run *ru,
				       const struct sim_request *clone_of)
{
	if (ru->pool.live >= MAX_LIVE_REQUESTS) {
		ru->err = SIM_ELIMIT;
		ru->why = "more than 4 million requests in flight at once: "
			  "the system is overloaded without bound (lower "
			  "the rate, or shed load: a memory limit, "
			  "limit_concurrency, client cancellation)";
		sim_stop(&ru->s);
		return NULL;
	}
	struct sim_request *r = clone_of ? sim_req_clone(&ru->pool, clone_of)
					 : sim_req_new(&ru->pool);
	if (!r)
		oom(ru);
	return r;
}

static void on_done(void *ctx, struct sim_request *r, enum sim_outcome o);
static void on_done_net(void *ctx, struct sim_request *r, enum sim_outcome o);

/* port.done with services: a request whose call failed ends with that
 * outcome, and a good one says where its time went; then on_done, or
 * on_done_net with a network (so that the simple path pays for
 * neither). */
static void on_done_svc(void *ctx, struct sim_request *r, enum sim_outcome o)
{
	struct run *ru = ctx;
	if (r->fail && o == SIM_OUT_OK)
		o = (enum sim_outcome)r->fail;
	if (o == SIM_OUT_OK && !r->abandoned && ru->measuring) {
		double lat = ru->s.now - r->t_first;
		double dl = ru->wl->client.deadline;
		/* the deadline is the client's, and the answer has half a
		 * round trip to go; the time shares are the server's, without
		 * this attempt's way there (the clients' network is in
		 * neither the server's cpu, io nor waiting) */
		if (!(dl > 0 && lat + ru->rtt / 2 > dl))
			sim_svcset_account(&ru->svc, r,
					   lat - sim_net_out(r->conn, ru->rtt));
	}
	if (ru->net)
		on_done_net(ctx, r, o);
	else
		on_done(ctx, r, o);
}

/* Requests sent to services come from the same pool (service.h). */
static struct sim_request *svc_get(void *arg)
{
	return new_request(arg, NULL);
}
static void svc_put(void *arg, struct sim_request *r)
{
	struct run *ru = arg;
	sim_req_free(&ru->pool, r);
}

/* The logical request r stands for is over (answered or given up). */
static void request_over(struct run *ru, struct sim_request *r)
{
	if (ru->closed) {
		uint32_t u = r->client;
		sim_stream_seek(&ru->think,
				((uint64_t)u << 32) | ru->user_k[u]);
		double think =
		    sim_dist_sample(&ru->wl->closed.think, &ru->think);
		sim_after(&ru->s, think, user_send, ru, u);
	}
}

/* r's attempt failed with o: retry if allowed, else the request is over.
 * Returns whether a retry was scheduled. */
static int maybe_retry(struct run *ru, struct sim_request *r)
{
	const struct sim_client *c = &ru->wl->client;
	if (!sim_retry_allowed(c, r->attempt, ru->sent_first, ru->sent_retries))
		return 0;
	struct sim_request *n = new_request(ru, r);
	if (!n)
		return 0;
	n->attempt = r->attempt + 1;
	if (ru->svc.n) /* its time accounts go on */
		sim_svcset_fresh(&ru->svc, n, false);
	ru->sent_retries++;
	sim_after(&ru->s, sim_retry_backoff(c, n->attempt, &ru->client_rng),
		  send_retry, ru, (uint64_t)(uintptr_t)n);
	return 1;
}

static void count_error(struct run *ru, enum sim_outcome o)
{
	if (ru->measuring)
		ru->res->errors[o]++;
	ru->ts_errors++;
}

static void on_timeout(struct sim *s, void *obj, uint64_t arg)
{
	struct run *ru = obj;
	struct sim_request *r = (struct sim_request *)(uintptr_t)arg;
	r->timeout_ev = 0;
	r->abandoned = 1;
	if (r->conn & SIM_CONN_POOLED) /* the client closes the connection */
		sim_connpool_put(&ru->conns, r, false, s->now);
	count_error(ru, SIM_OUT_TIMEOUT);
	int retried = maybe_retry(ru, r);
	if (!retried)
		request_over(ru, r);
	/* on the network, the model does not hold r: on the way out it is
	 * dropped when it gets there (on_deliver), on the way back the
	 * server is done with it already */
	if (ru->wl->client.cancel && !r->net)
		sim_model_cancel(&ru->inst, r);
}

/* on_done, every case: the client has the answer of r's attempt (outcome
 * o); count it, retry or let the user think, and free r. Out of line:
 * on_done and on_done_plain call it last (a tail call), so that the
 * common case keeps no registers for it. */
static __attribute__((noinline)) void
done_any(struct run *ru, struct sim_request *r, enum sim_outcome o)
{
	double now = ru->s.now;
	if (r->conn & (SIM_CONN_SESSION | SIM_CONN_MESSAGE | SIM_CONN_POOLED)) {
		if (r->conn & (SIM_CONN_SESSION | SIM_CONN_MESSAGE)) {
			sim_sessrun_done(&ru->sess, r, o, ru->measuring);
			return;
		}
		if (!r->abandoned) /* abandoned: closed at the timeout */
			sim_connpool_put(&ru->conns, r, o == SIM_OUT_OK, now);
	}
	if (r->abandoned) { /* the client left already: wasted work */
		if (o == SIM_OUT_OK) {
			ru->finished++;
			ru->not_good++;
			if (ru->measuring)
				ru->res->wasted++;
		}
		sim_req_free(&ru->pool, r);
		return;
	}
	if (r->timeout_ev)
		sim_cancel(&ru->s, r->timeout_ev);
	if (o == SIM_OUT_OK) {
		double lat = now - r->t_first;
		double dl = ru->wl->client.deadline;
		int good = !(dl > 0 && lat > dl);
		if (ru->mser)
			mser_add(ru->mser, lat, now);
		ru->finished++;
		if (good) {
			if (ru->measuring) /* res->lat: the classes' merged;
					      completed: the count, at the end
					    */
				sim_hist_record(&ru->res->classes[r->cls].lat,
						lat);
			if (ru->ts_dt > 0)
				sim_hist_record(&ru->ts_lat, lat);
		} else {
			ru->not_good++;
		}
		request_over(ru, r);
	} else {
		count_error(ru, o);
		if (!maybe_retry(ru, r))
			request_over(ru, r);
	}
	sim_req_free(&ru->pool, r);
}

/* The client's machine's stalls (workload.client.stall_rate): one stall
 * after another, each an exponential time of mean `gap` after the last
 * ended, [a, b) the current or next; drawn as the clock passes them, from
 * a stream of their own. */
struct client_stalls {
	struct sim_stream rng;
	const struct sim_dist *time;
	double gap, a, b;
};

/* When the client can next act at `now` (not before a stall's end);
 * `now` never goes back. */
static double client_free(struct client_stalls *cs, double now)
{
	while (cs->b <= now) {
		cs->a = cs->b + sim_exponential(&cs->rng, cs->gap);
		cs->b = cs->a + sim_dist_sample(cs->time, &cs->rng);
	}
	return now >= cs->a ? cs->b : now;
}

/* r's answer reaches the client, half a round trip after the server sent
 * it (on_done_net); a client stopped meanwhile reads it when it runs
 * again. */
static void on_receive(struct sim *s, void *obj, uint64_t arg)
{
	struct run *ru = obj;
	struct sim_request *r = (struct sim_request *)(uintptr_t)arg;
	if (ru->cstall) {
		double t = client_free(ru->cstall, s->now);
		if (t > s->now) {
			sim_at(s, t, on_receive, obj, arg);
			return;
		}
	}
	r->net = 0;
	done_any(obj, r, (enum sim_outcome)r->answer);
}

/* port.done with a network (workload.client.rtt), instead of on_done, so
 * that without one the client pays nothing for it: the answer, an error
 * too, takes half a round trip to the client. Sessions and their messages
 * see to theirs (sessions.c), and a client that left already waits for
 * nothing. */
static void on_done_net(void *ctx, struct sim_request *r, enum sim_outcome o)
{
	struct run *ru = ctx;
	if (r->abandoned || (r->conn & (SIM_CONN_SESSION | SIM_CONN_MESSAGE))) {
		done_any(ru, r, o);
		return;
	}
	r->net = SIM_NET_BACK;
	r->answer = (uint8_t)o;
	sim_after_fixed(&ru->s, ru->rtt / 2, on_receive, ru,
			(uint64_t)(uintptr_t)r);
}

/* port.done when ru->plain_done (which never changes during a run) and
 * without a network (with services, on_done_svc's answers come through
 * on_done to it): the server is finished with r's attempt. */
static void on_done_plain(void *ctx, struct sim_request *r, enum sim_outcome o)
{
	struct run *ru = ctx;
	/* The common case, as done_any would do it: a good answer on a
	 * connection of its own, no timeout (none pending, none fired),
	 * nothing else to count (ru->plain_done). The latency is recorded
	 * last, so that a value outside the histogram's buckets is a tail
	 * call too. */
	if (o != SIM_OUT_OK || r->abandoned || r->conn) {
		done_any(ru, r, o);
		return;
	}
	double lat = ru->s.now - r->t_first;
	struct sim_class_result *c = ru->measured;
	ru->finished++;		    /* a good one */
	sim_req_free(&ru->pool, r); /* request_over: nothing, open loop */
	if (c)
		sim_hist_record(&c[r->cls].lat, lat);
}

/* port.done otherwise (on_done_svc's too). */
static void on_done(void *ctx, struct sim_request *r, enum sim_outcome o)
{
	struct run *ru = ctx;
	if (ru->plain_done)
		on_done_plain(ctx, r, o);
	else
		done_any(ru, r, o);
}

/* r's request reaches the server, after the network (send_attempt). */
static void on_deliver(struct sim *s, void *obj, uint64_t arg)
{
	struct run *ru = obj;
	struct sim_request *r = (struct sim_request *)(uintptr_t)arg;
	(void)s;
	r->net = 0;
	/* the client gave up on the way (its timeout) and closed the
	 * connection: a server that drops abandoned work never sees it */
	if (r->abandoned && ru->wl->client.cancel) {
		sim_req_free(&ru->pool, r);
		return;
	}
	sim_model_submit(&ru->inst, r);
}

/* r's attempt goes out; `plain`: ru->plain_issue, known to the caller
 * (no connection pool, no timeout). Inline: issue() calls it once per
 * request; retries reach it through the event list (send_retry). */
__attribute__((always_inline)) static inline void
send_attempt(struct run *ru, struct sim_request *r, bool plain)
{
	struct sim *s = &ru->s;
	uint64_t arg = (uint64_t)(uintptr_t)r;
	r->t_sent = s->now;
	ru->attempts++; /* the measurement's: a difference (run_once) */
	if (plain) {
		sim_model_submit(&ru->inst, r);
		return;
	}
	if (sim_connpool_acquire(&ru->conns, r, s->now) < 0) {
		sim_req_free(&ru->pool, r);
		oom(ru);
		return;
	}
	if (ru->timed)
		r->timeout_ev = sim_after_fixed(s, ru->wl->client.timeout,
						on_timeout, ru, arg);
	if (ru->net) { /* it reaches the server after the network */
		r->net = SIM_NET_OUT;
		double out = sim_net_out(r->conn, ru->rtt);
		/* a client stopped now sends it when it runs again */
		double wait =
		    ru->cstall ? client_free(ru->cstall, s->now) - s->now : 0;
		if (wait > 0)
			sim_after(s, wait + out, on_deliver, ru, arg);
		else
			sim_after_fixed(s, out, on_deliver, ru, arg);
		return;
	}
	sim_model_submit(&ru->inst, r);
}

/* A retry's attempt, at the end of its backoff. */
static void send_retry(struct sim *s, void *obj, uint64_t arg)
{
	send_attempt(obj, (struct sim_request *)(uintptr_t)arg, false);
}

/* A new logical request with id `id` from client `client`; `plain`:
 * ru->plain_issue, known to the caller, which skips the tests of the
 * cases it rules out. Inline: once per request, from on_arrival or
 * user_send. */
__attribute__((always_inline)) static inline void
issue(struct run *ru, uint64_t id, uint32_t client, bool plain)
{
	if (!plain && ru->closed) {
		if (ru->s.now != ru->t_issue) {
			ru->t_issue = ru->s.now;
			ru->same_instant = 0;
		} else if (++ru->same_instant >
			   (uint64_t)SAME_INSTANT_PER_USER *
				   ru->wl->closed.users +
			       MAX_SAME_INSTANT) {
			ru->err = SIM_ELIMIT;
			ru->why =
			    "the closed loop does not advance time: users "
			    "whose requests end at once (refused, or "
			    "with no demand) send again at the same "
			    "instant without end; give 'think' a "
			    "duration";
			sim_stop(&ru->s);
			return;
		}
	}
	struct sim_request *r = new_request(ru, NULL);
	if (!r)
		return;
	if (plain) {
		sim_gen_fill_plain(&ru->gen, r, id);
	} else if (ru->trace) {
		sim_arr_fill(&ru->arr, r);
		r->id = id;
	} else {
		sim_gen_fill(&ru->gen, r, id);
	}
	if (!plain && ru->scaled)
		scale_cpu(ru, r);
	r->client = client;
	r->t_first = ru->s.now;
	ru->sent_first++; /* and so offered (struct run: finished) */
	send_attempt(ru, r, plain);
}

/* An arrival of the open workload: its request goes out, and the next
 * arrival is scheduled, to `self`. `plain`: ru->plain_issue, which never
 * changes during a run, so that each has a handler of its own
 * (on_arrival_plain, on_arrival) and the plain one tests nothing for it. */
static inline __attribute__((always_inline)) void
arrive(struct run *ru, sim_fn self, bool plain)
{
	uint64_t id = ru->next_id++;
	/* before the next trace row is read */
	issue(ru, id, (uint32_t)id, plain);
	double t = sim_arr_next(&ru->arr);
	/* &ru->s, which s is: one register kept across issue()'s calls, not
	 * two */
	if (t < INFINITY) /* never NaN or -inf */
		sim_at(&ru->s, t, self, ru, 0);
}

static void on_arrival_plain(struct sim *s, void *obj, uint64_t arg)
{
	arrive(obj, on_arrival_plain, true);
}

static void on_arrival(struct sim *s, void *obj, uint64_t arg)
{
	arrive(obj, on_arrival, false);
}

static void user_send(struct sim *s, void *obj, uint64_t u)
{
	struct run *ru = obj;
	uint64_t id = (u << 32) | ru->user_k[u]++;
	issue(ru, id, (uint32_t)u, false); /* closed: never plain_issue */
}

/* ------------------------------------------------- measurement windows -- */

/* From now on the run measures (both flags of that state, together). */
static void start_measuring(struct run *ru)
{
	ru->measuring = 1;
	ru->measured = ru->res->classes;
}

static void on_warm(struct sim *s, void *obj, uint64_t arg)
{
	struct run *ru = obj;
	start_measuring(ru);
	ru->warm_sent = ru->sent_first;
	ru->warm_attempts = ru->attempts;
	ru->warm_finished = ru->finished;
	ru->warm_good = run_good(ru);
	ru->t_reset = s->now;
	sim_model_reset_stats(&ru->inst, s->now);
	if (ru->ctx.ds)
		sim_dspool_reset_stats(ru->ctx.ds, s->now);
	if (ru->svc.n)
		sim_svcset_reset_stats(&ru->svc, s->now);
	sim_sessrun_reset_stats(&ru->sess, s->now);
	ru->conns.opened = 0;
}

/* port.opened: a session is open. */
static void on_opened(void *ctx, struct sim_request *r)
{
	struct run *ru = ctx;
	sim_sessrun_opened(&ru->sess, r);
}

/* The model's figures and the downstream's. */
static void report_all(struct run *ru, struct sim_metrics *m)
{
	sim_model_report(&ru->inst, m);
	if (ru->ctx.ds)
		sim_dspool_report(ru->ctx.ds, m);
	if (ru->svc.n)
		sim_svcset_report(&ru->svc, m);
	if (ru->conns.on) {
		double el = ru->s.now - ru->t_reset;
		sim_metrics_put(m, "connections", "opened_per_s",
				el > 0 ? (double)ru->conns.opened / el : 0);
	}
}

/* Interval mean of a time-averaged metric from its since-reset means. */
static double interval_mean(const struct run *ru, double m_now, double m_prev,
			    double t_prev)
{
	double now = ru->s.now, t0 = ru->t_reset;
	double from = t_prev > t0 ? t_prev : t0;
	if (now <= from)
		return m_now;
	double a_prev = t_prev > t0 ? m_prev * (t_prev - t0) : 0;
	return (m_now * (now - t0) - a_prev) / (now - from);
}

static int ts_row(struct run *ru)
{
	struct sim_ts *ts = ru->ts;
	if (ts->n == ts->cap) {
		size_t cap = ts->cap ? 2 * ts->cap : 64;
		struct sim_ts_row *rows = realloc(ts->rows, cap * sizeof *rows);
		if (!rows)
			return SIM_ENOMEM;
		ts->rows = rows;
		ts->cap = cap;
	}
	double dt = ru->s.now - ru->ts_last;
	struct sim_ts_row *row = &ts->rows[ts->n++];
	*row = (struct sim_ts_row){
	    .time_s = ru->s.now,
	    .replication = ru->rep + 1,
	    .offered_rps = (double)(ru->sent_first - ru->ts_sent) / dt,
	    .throughput_rps = (double)(ru->finished - ru->ts_finished) / dt,
	    .goodput_rps = (double)(run_good(ru) - ru->ts_good) / dt,
	    .errors = ru->ts_errors,
	    /* no good response in the interval: no latency (an empty cell) */
	    .p50 = ru->ts_lat.n ? sim_hist_quantile(&ru->ts_lat, 0.5) : NAN,
	    .p99 = ru->ts_lat.n ? sim_hist_quantile(&ru->ts_lat, 0.99) : NAN,
	};
	struct sim_metrics cur = {0};
	report_all(ru, &cur);
	/* time-averaged groups only: utilization and mean queue lengths */
	for (size_t i = 0; i < cur.n; i++) {
		const struct sim_metric *m = &cur.v[i];
		if (strcmp(m->group, "utilization") &&
		    strcmp(m->group, "queues.mean"))
			continue;
		double prev =
		    sim_metrics_get(&ru->ts_prev, m->group, m->key, 0);
		if (sim_metrics_put(
			&row->metrics, m->group, m->key,
			interval_mean(ru, m->value, prev, ru->ts_last)) < 0)
			return SIM_ENOMEM;
	}
	sim_metrics_release(&ru->ts_prev);
	ru->ts_prev = cur;
	ru->ts_last = ru->s.now;
	ru->ts_sent = ru->sent_first;
	ru->ts_finished = ru->finished;
	ru->ts_good = run_good(ru);
	ru->ts_errors = 0;
	sim_hist_reset(&ru->ts_lat);
	return 0;
}

static void on_tick(struct sim *s, void *obj, uint64_t arg)
{
	struct run *ru = obj;
	if (ts_row(ru) < 0) {
		oom(ru);
		return;
	}
	sim_after(s, ru->ts_dt, on_tick, ru, 0);
}

/* -------------------------------------------------------- one run -- */

/* Coordinated omission: a closed-loop client sends less while the server
 * is slow, so the slow moments are under-sampled. The gap is shown by
 * running the same system, replication and classes under open Poisson
 * arrivals at the throughput the closed loop achieved, and reporting both
 * sets of latencies (group "coordinated_omission"). */
static int co_gap(const struct sim_scenario *sc, size_t sys, int rep,
		  struct sim_rep_result *closed, const char **why)
{
	struct sim_scenario open = *sc;
	open.workload.closed.users = 0;
	open.workload.arrivals = (struct sim_arrivals){
	    .kind = SIM_ARR_POISSON,
	    .rate = (double)closed->completed / closed->duration};
	if (!(open.workload.arrivals.rate > 0))
		return 0;
	struct sim_rep_result r;
	int err = sim_run_one(&open, sys, rep, 0, NULL, &r, why);
	if (err == 0) {
		struct sim_metrics *m = &closed->metrics;
		double cp99 = sim_hist_quantile(&closed->lat, 0.99);
		double op99 = sim_hist_quantile(&r.lat, 0.99);
		sim_metrics_put(m, "coordinated_omission", "open_rate_rps",
				open.workload.arrivals.rate);
		sim_metrics_put(m, "coordinated_omission", "closed_p99_s",
				cp99);
		sim_metrics_put(m, "coordinated_omission", "open_p99_s", op99);
		sim_metrics_put(m, "coordinated_omission",
				"closed_latency_mean_s",
				sim_hist_mean(&closed->lat));
		sim_metrics_put(m, "coordinated_omission",
				"open_latency_mean_s", sim_hist_mean(&r.lat));
		sim_metrics_put(m, "coordinated_omission", "p99_open_to_closed",
				cp99 > 0 ? op99 / cp99 : 0);
	}
	sim_rep_release(&r);
	return err;
}

static int run_once(const struct sim_scenario *sc, size_t sys, int rep,
		    double ts_interval, struct sim_ts *ts,
		    struct sim_rep_result *out, struct mser_buf *mser,
		    const char **why)
{
	struct run *ru = calloc(1, sizeof *ru);
	const struct sim_workload *wl = &sc->workload;
	int err = SIM_ENOMEM;
	/* values a histogram could not count (no memory): none may be lost */
	uint64_t lost0 = sim_hist_lost_total();
	*why = NULL;
	if (!ru)
		return SIM_ENOMEM;
	ru->sc = sc;
	ru->wl = wl;
	ru->res = out;
	ru->ts = ts;
	ru->ts_dt = ts ? ts_interval : 0;
	ru->rep = rep;
	ru->cpu_scale = cpu_scale_of(&sc->systems[sys]);
	ru->mser = mser;
	ru->closed = wl->closed.users > 0;
	ru->trace = !ru->closed && wl->arrivals.kind == SIM_ARR_TRACE;
	ru->timed = wl->client.timeout > 0;
	ru->scaled = ru->cpu_scale != 1;
	ru->rtt = wl->client.rtt;
	ru->net = ru->rtt > 0;
	ru->plain_done = !ru->closed && !(wl->client.deadline > 0) && !mser &&
			 !(ru->ts_dt > 0) && !ru->timed;
	if (sim_rep_init(out, wl->nclasses) < 0)
		goto cleanup_ru;
	if (sim_init(&ru->s) < 0)
		goto cleanup_ru;
	if (sim_reqpool_init(&ru->pool, sc->max_phases + sim_svc_slots(sc)) <
		0 ||
	    sim_gen_init(&ru->gen, wl, sc->seed, (uint32_t)rep) < 0 ||
	    sim_stream_init(&ru->client_rng, sc->seed, (uint32_t)rep,
			    "client") < 0 ||
	    sim_stream_init(&ru->think, sc->seed, (uint32_t)rep, "think") < 0 ||
	    sim_hist_init(&ru->ts_lat) < 0)
		goto cleanup;
	/* the client's stalls, the first drawn at their first use (b 0) */
	if (ru->net && wl->client.stall_rate > 0) {
		if (!(ru->cstall = calloc(1, sizeof *ru->cstall)) ||
		    sim_stream_init(&ru->cstall->rng, sc->seed, (uint32_t)rep,
				    "client-stalls") < 0)
			goto cleanup;
		ru->cstall->time = &wl->client.stall_time;
		ru->cstall->gap = 1 / wl->client.stall_rate;
	}
	/* the model's own stream depends on the system, by name */
	char sname[256];
	snprintf(sname, sizeof sname, "model:%s", sc->systems[sys].name);
	if (sim_stream_init(&ru->model_rng, sc->seed, (uint32_t)rep, sname) < 0)
		goto cleanup;
	if (!wl->closed.users) {
		err = sim_arr_init(&ru->arr, &wl->arrivals, sc->seed,
				   (uint32_t)rep, why);
		if (err == 0 && wl->arrivals.kind == SIM_ARR_TRACE)
			err = sim_arr_init_trace(&ru->arr, wl, why);
		if (err < 0)
			goto cleanup;
		err = SIM_ENOMEM;
	}

	/* the plain path tests nothing for a network or ru->plain_done */
	void (*done)(void *, struct sim_request *, enum sim_outcome) =
	    ru->net	     ? on_done_net
	    : ru->plain_done ? on_done_plain
			     : on_done;
	ru->ctx = (struct sim_ctx){.s = &ru->s,
				   .sc = sc,
				   .wl = wl,
				   .sys = &sc->systems[sys],
				   .port = {done, ru, on_opened},
				   .rng = &ru->model_rng};
	if (wl->downstream.connections > 0) {
		ru->ds = (struct sim_dspool){.s = &ru->s,
					     .cap = wl->downstream.connections};
		ru->ctx.ds = &ru->ds;
	}
	if (sc->nservices) {
		err = sim_svcset_init(
		    &ru->svc, &ru->s, sc, &sc->systems[sys], rep,
		    (struct sim_svc_alloc){svc_get, svc_put, ru});
		if (err < 0)
			goto cleanup;
		ru->ctx.svc = &ru->svc;
		ru->ctx.port.done = on_done_svc;
		ru->gen.acct_off = sc->max_phases;
		ru->gen.acct_n = sim_svc_slots(sc);
	}
	err = sim_instance_new(&ru->inst, &ru->ctx);
	if (err < 0)
		goto cleanup;
	err = sim_connpool_init(&ru->conns, wl, &sc->systems[sys], sc->seed,
				(uint32_t)rep);
	if (err == 0)
		err = sim_sessrun_init(&ru->sess, &ru->s, sc, &ru->pool,
				       &ru->inst, ru->conns.newflags,
				       (uint32_t)rep);
	if (err < 0)
		goto cleanup;
	ru->sess.cpu_scale = ru->cpu_scale;
	ru->plain_issue = !ru->closed && !ru->trace && !ru->scaled &&
			  !ru->timed && ru->gen.plain && !ru->conns.slow &&
			  !ru->net;

	/* the first events: arrivals or users, warm-up, ticks */
	if (wl->closed.users) {
		ru->user_k = calloc(wl->closed.users, sizeof *ru->user_k);
		err = SIM_ENOMEM;
		if (!ru->user_k)
			goto cleanup;
		/* users start after one think time each, so they spread out */
		for (uint32_t u = 0; u < wl->closed.users; u++) {
			sim_stream_seek(&ru->think,
					(uint64_t)u << 32 | 0xffffffffu);
			sim_at(&ru->s,
			       sim_dist_sample(&wl->closed.think, &ru->think),
			       user_send, ru, u);
		}
	} else {
		double t = sim_arr_next(&ru->arr);
		if (isfinite(t))
			sim_at(&ru->s, t,
			       ru->plain_issue ? on_arrival_plain : on_arrival,
			       ru, 0);
	}
	if (sc->warmup > 0)
		sim_at(&ru->s, sc->warmup, on_warm, ru, 0);
	else
		start_measuring(ru);
	if (ru->ts_dt > 0)
		sim_at(&ru->s, ru->ts_dt, on_tick, ru, 0);

	double t_end = sc->warmup + sc->duration;
	/* run in slices so that a runaway simulation is caught */
	double slice = t_end / 64;
	for (double t = slice; !ru->err; t += slice) {
		if (t > t_end || t_end - t < slice / 2)
			t = t_end;
		err = sim_run_until(&ru->s, t);
		if (err < 0) {
			ru->err = err;
			break;
		}
		if ((double)ru->s.events > MAX_EVENTS_PER_RUN) {
			ru->err = SIM_ELIMIT;
			*why = "more than 4e10 events in one simulation; "
			       "shorten 'duration' or lower the load";
			break;
		}
		if (t >= t_end)
			break;
	}
	err = ru->err ? ru->err : ru->sess.err;
	if (ru->why)
		*why = ru->why;
	if (err == 0 && ru->arr.failed) {
		*why = "a row of the trace file could not be read (check it "
		       "with `concsim check`)";
		err = SIM_EIO;
	}
	if (err < 0)
		goto cleanup;
	if (ru->ts_dt > 0 && ru->s.now - ru->ts_last > 1e-9 * ru->ts_dt &&
	    ts_row(ru) < 0) {
		err = SIM_ENOMEM;
		goto cleanup;
	}
	out->duration = sc->duration;
	out->warmup = sc->warmup;
	out->events = ru->s.events;
	for (size_t c = 0; c < out->nclasses; c++)
		out->classes[c].completed = out->classes[c].lat.n;
	if (ru->measuring) {
		out->offered += ru->sent_first - ru->warm_sent;
		out->attempts += ru->attempts - ru->warm_attempts;
		out->completed += ru->finished - ru->warm_finished;
		out->good += run_good(ru) - ru->warm_good;
	}
	for (size_t c = 0; c < out->nclasses; c++)
		if (sim_hist_merge(&out->lat, &out->classes[c].lat) < 0) {
			err = SIM_ENOMEM;
			goto cleanup;
		}
	report_all(ru, &out->metrics);
	if (sim_sessrun_report(&ru->sess, &out->metrics) < 0) {
		err = SIM_ENOMEM;
		goto cleanup;
	}
	sim_metrics_put(&out->metrics, "requests", "peak_in_memory",
			(double)ru->pool.peak);
	if (out->metrics.failed) { /* a figure is missing (fault walk) */
		err = SIM_ENOMEM;
		goto cleanup;
	}
	err = 0;
	if (wl->closed.users && wl->closed.coordinated_omission)
		err = co_gap(sc, sys, rep, out, why);
	if (!err && out->metrics.failed)
		err = SIM_ENOMEM;
	if (!err && sim_hist_lost_total() != lost0)
		err = SIM_ENOMEM; /* percentiles without some values */
cleanup:
	sim_instance_free(&ru->inst);
	sim_svcset_release(&ru->svc);
	sim_sessrun_release(&ru->sess);
	sim_connpool_release(&ru->conns);
	sim_metrics_release(&ru->ts_prev);
	sim_hist_release(&ru->ts_lat);
	free(ru->user_k);
	if (!wl->closed.users)
		sim_arr_release(&ru->arr);
	sim_stream_release(&ru->model_rng);
	sim_stream_release(&ru->think);
	sim_stream_release(&ru->client_rng);
	free(ru->cstall);
	sim_gen_release(&ru->gen);
	sim_reqpool_release(&ru->pool);
	sim_release(&ru->s);
cleanup_ru:
	free(ru);
	return err;
}

/* `warmup: auto` chooses the warm-up of each replication from its own
 * data: a pilot run of `duration` from an empty system records the
 * response times in order of completion; MSER-5 (White 1997; Hoad,
 * Robinson & Davies 2010 found it the most reliable of the automated
 * truncation rules they compared) picks the batch after which the mean
 * of what remains has the least squared standard error; the replication
 * is then run again, identically, with the warm-up ending at that
 * batch's instant, and `duration` measured after it. A truncation beyond
 * half the pilot means the transient may outlast it (flagged). */
int sim_run_one(const struct sim_scenario *sc, size_t sys, int rep,
		double ts_interval, struct sim_ts *ts,
		struct sim_rep_result *out, const char **why)
{
	if (!sc->warmup_auto)
		return run_once(sc, sys, rep, ts_interval, ts, out, NULL, why);
	struct sim_scenario pilot = *sc;
	struct mser_buf m = {0};
	struct sim_rep_result r = {0};
	pilot.warmup_auto = false;
	pilot.warmup = 0;
	int err = run_once(&pilot, sys, rep, 0, NULL, &r, &m, why);
	sim_rep_release(&r);
	if (err == 0 && m.nomem)
		err = SIM_ENOMEM;
	double t = 0;
	bool lng = false;
	if (err == 0 && m.n) {
		size_t d = sim_mser(m.b, m.n);
		t = d ? m.t[d - 1] : 0;
		lng = 2 * d > m.n;
	}
	free(m.b);
	free(m.t);
	if (err < 0)
		return err;
	pilot.warmup = t;
	err = run_once(&pilot, sys, rep, ts_interval, ts, out, NULL, why);
	if (err == 0)
		out->warmup_long = lng;
	return err;
}

/* ------------------------------------------------------------ parallel -- */

struct par {
	size_t n;
	atomic_size_t next;
	int (*fn)(void *arg, size_t i);
	void *arg;
	int *rc;
};

static void *par_worker(void *p_)
{
	struct par *p = p_;
	for (;;) {
		size_t i = atomic_fetch_add(&p->next, 1);
		if (i >= p->n)
			break;
		p->rc[i] = p->fn(p->arg, i);
	}
	return NULL;
}

int sim_parallel(size_t n, int jobs, int (*fn)(void *arg, size_t i), void *arg)
{
	int *rc = calloc(n ? n : 1, sizeof *rc);
	if (!rc)
		return SIM_ENOMEM;
	struct par p = {.n = n, .fn = fn, .arg = arg, .rc = rc};
	atomic_init(&p.next, 0);
	if (jobs > (int)n)
		jobs = (int)n;
	pthread_t *th = jobs > 1 ? calloc((size_t)jobs, sizeof *th) : NULL;
	int started = 0;
	/* jobs - 1 threads: the caller is the last worker */
	if (th)
		for (; started < jobs - 1; started++)
			if (pthread_create(&th[started], NULL, par_worker, &p))
				break;
	par_worker(&p);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(th);
	int err = 0;
	for (size_t i = 0; i < n && !err; i++)
		err = rc[i];
	free(rc);
	return err;
}

/* --------------------------------------------------------- the driver -- */

/* Common random numbers make systems comparable replication by
 * replication: the difference of a figure between system k and the first
 * system, with a paired Student-t interval, goes to group "vs_first". */
static int paired(const struct sim_rep_result *base,
		  const struct sim_rep_result *k, size_t n,
		  struct sim_metrics *out)
{
	/* figure names as everywhere else (latency_s_p99), then _diff; the
	 * half-width of figure X is X_ci95 */
	static const char *const names[] = {"latency_s_mean", "latency_s_p99",
					    "goodput_rps", "throughput_rps"};
	double *d = malloc(n * sizeof *d);
	if (!d)
		return SIM_ENOMEM;
	int err = 0;
	for (size_t f = 0; f < 4 && !err; f++) {
		size_t m = 0;
		for (size_t r = 0; r < n; r++) {
			const struct sim_rep_result *x[2] = {&k[r], &base[r]};
			double v[2];
			/* a latency needs a good response on both sides: a
			 * replication without one has no latency, not 0 s */
			if (f < 2 && (!x[0]->lat.n || !x[1]->lat.n))
				continue;
			for (int i = 0; i < 2; i++)
				v[i] = f == 0 ? sim_hist_mean(&x[i]->lat)
				       : f == 1
					   ? sim_hist_quantile(&x[i]->lat, 0.99)
				       : f == 2
					   ? (double)x[i]->good / x[i]->duration
					   : (double)x[i]->completed /
						 x[i]->duration;
			d[m++] = v[0] - v[1];
		}
		/* fewer than two pairs: no interval (not a zero one) */
		struct sim_est e =
		    m ? sim_est_of(d, m) : (struct sim_est){NAN, NAN};
		if (m < 2)
			e.ci95 = NAN;
		char key[40];
		snprintf(key, sizeof key, "%s_diff", names[f]);
		err = sim_metrics_put(out, "vs_first", key, e.mean);
		snprintf(key, sizeof key, "%s_diff_ci95", names[f]);
		if (!err)
			err = sim_metrics_put(out, "vs_first", key, e.ci95);
	}
	free(d);
	return err;
}

/* Replications from .. from+count-1 of every system: system k's
 * replication r goes to res[k * stride + r]. */
struct scen_job {
	const struct sim_scenario *sc;
	double ts_interval;
	struct sim_ts *ts; /* one per job, or NULL */
	struct sim_rep_result *res;
	size_t stride, from, count;
	const char **why; /* one per job */
	void (*progress)(void *arg, size_t done, size_t total);
	void *progress_arg;
	atomic_size_t done;
	pthread_mutex_t lock;
};

static int scen_job_run(void *arg, size_t i)
{
	struct scen_job *j = arg;
	size_t k = i / j->count, r = j->from + i % j->count;
	const char *why = NULL;
	int err = sim_run_one(j->sc, k, (int)r, j->ts_interval,
			      j->ts ? &j->ts[i] : NULL,
			      &j->res[k * j->stride + r], &why);
	if (why)
		j->why[i] = why;
	size_t d = atomic_fetch_add(&j->done, 1) + 1;
	if (j->progress) {
		pthread_mutex_lock(&j->lock);
		j->progress(j->progress_arg, d, j->sc->nsystems * j->count);
		pthread_mutex_unlock(&j->lock);
	}
	return err;
}

/* Runs the simulations of j (from, count, stride, res set) on `jobs`
 * threads; the first failure's message goes to *why. */
static int run_range(struct scen_job *j, int jobs, const char **why)
{
	size_t n = j->sc->nsystems * j->count;
	int err = SIM_ENOMEM;
	*why = NULL;
	atomic_init(&j->done, 0);
	pthread_mutex_init(&j->lock, NULL);
	j->why = calloc(n ? n : 1, sizeof *j->why);
	if (j->why) {
		err = sim_parallel(n, jobs, scen_job_run, j);
		for (size_t i = 0; i < n && !*why; i++)
			*why = j->why[i];
	}
	free(j->why);
	j->why = NULL;
	pthread_mutex_destroy(&j->lock);
	return err;
}

/* Summarises every system from its first nrep replications (system k's
 * at res[k * stride]), with the paired differences against the first. */
static int summarize_systems(const struct sim_scenario *sc,
			     const struct sim_rep_result *res, size_t stride,
			     size_t nrep, struct sim_summary *out)
{
	const char **cnames = calloc(sc->workload.nclasses + 1, sizeof *cnames);
	int err = SIM_ENOMEM;
	if (!cnames)
		return err;
	for (size_t c = 0; c < sc->workload.nclasses; c++)
		cnames[c] = sc->workload.classes[c].name;
	for (size_t k = 0; k < sc->nsystems; k++) {
		err = sim_summarize(&res[k * stride], nrep, cnames, &out[k]);
		if (err < 0)
			break;
		out[k].name = sc->systems[k].name;
		out[k].model = sc->systems[k].model->name;
		out[k].warmup_auto = sc->warmup_auto;
		if (k > 0 && nrep > 1 &&
		    (err = paired(res, &res[k * stride], nrep,
				  &out[k].metrics)) < 0)
			break;
	}
	free(cnames);
	return err < 0 ? err : 0;
}

int sim_run_scenario(const struct sim_scenario *sc, int jobs,
		     double ts_interval, struct sim_ts *ts,
		     struct sim_summary *out,
		     void (*progress)(void *arg, size_t done, size_t total),
		     void *progress_arg, const char **why)
{
	return sim_run_scenario_keep(sc, jobs, ts_interval, ts, out, progress,
				     progress_arg, NULL, why);
}

int sim_run_scenario_keep(
    const struct sim_scenario *sc, int jobs, double ts_interval,
    struct sim_ts *ts, struct sim_summary *out,
    void (*progress)(void *arg, size_t done, size_t total), void *progress_arg,
    struct sim_rep_result **reps, const char **why)
{
	size_t nrep = (size_t)sc->replications, n = sc->nsystems * nrep;
	struct scen_job j = {.sc = sc,
			     .ts_interval = ts_interval,
			     .stride = nrep,
			     .count = nrep,
			     .progress = progress,
			     .progress_arg = progress_arg};
	int err = SIM_ENOMEM;
	*why = NULL;
	j.res = calloc(n, sizeof *j.res);
	if (ts)
		j.ts = calloc(n, sizeof *j.ts);
	if (!j.res || (ts && !j.ts))
		goto cleanup;
	err = run_range(&j, jobs, why);
	if (err < 0)
		goto cleanup;
	if ((err = summarize_systems(sc, j.res, nrep, nrep, out)) < 0)
		goto cleanup;
	for (size_t k = 0; ts && k < sc->nsystems; k++) {
		/* every replication's rows, in replication order */
		for (size_t r = 0; r < nrep; r++) {
			struct sim_ts *src = &j.ts[k * nrep + r];
			for (size_t i = 0; i < src->n; i++) {
				if (ts[k].n == ts[k].cap) {
					size_t cap =
					    ts[k].cap ? 2 * ts[k].cap : 64;
					void *p =
					    realloc(ts[k].rows,
						    cap * sizeof(*src->rows));
					if (!p) {
						err = SIM_ENOMEM;
						goto cleanup;
					}
					ts[k].rows = p;
					ts[k].cap = cap;
				}
				ts[k].rows[ts[k].n++] = src->rows[i];
				src->rows[i].metrics = (struct sim_metrics){0};
			}
		}
	}
	err = 0;
	if (reps) { /* handed over */
		*reps = j.res;
		j.res = NULL;
	}
cleanup:
	for (size_t i = 0; j.res && i < n; i++)
		sim_rep_release(&j.res[i]);
	for (size_t i = 0; j.ts && i < n; i++)
		sim_ts_release(&j.ts[i]);
	free(j.res);
	free(j.ts);
	return err;
}

/* ---------------------------------------------------------- precision -- */

/* Whether every system's mean and p99 latency, throughput and goodput
 * have a 95 % half-width within g of their estimate. A figure that is
 * not finite (no good response at all) cannot get more precise and is
 * left out; a zero estimate needs a zero half-width. */
static bool precise_enough(const struct sim_summary *s, size_t n, double g)
{
	if (n == 0)
		return true;
	for (size_t k = 0; k < n; k++) {
		const struct sim_est *e[] = {&s[k].lat_mean, &s[k].p99,
					     &s[k].throughput_rps,
					     &s[k].goodput_rps};
		for (size_t i = 0; i < 4; i++) {
			if (!isfinite(e[i]->mean))
				continue;
			if (!(e[i]->ci95 <= g * fabs(e[i]->mean)))
				return false;
		}
	}
	return true;
}

bool sim_precise_enough(const struct sim_summary *s, size_t n, double rel)
{
	return precise_enough(s, n, rel / (1 + rel));
}

/* Replications the figures seem to need, by the usual approximation
 * n* = n (h / (g |x|))^2 (Law & Kelton, eq. 9.3), at least n + 1. */
static int needed(const struct sim_summary *s, size_t nsys, int n, double g)
{
	double worst = 1;
	for (size_t k = 0; k < nsys; k++) {
		const struct sim_est *e[] = {&s[k].lat_mean, &s[k].p99,
					     &s[k].throughput_rps,
					     &s[k].goodput_rps};
		for (size_t i = 0; i < 4; i++)
			if (isfinite(e[i]->mean) && e[i]->mean != 0 &&
			    isfinite(e[i]->ci95))
				worst = fmax(worst, e[i]->ci95 /
							(g * fabs(e[i]->mean)));
	}
	double want = ceil((double)n * worst * worst);
	return want > 1e6 ? 1000000 : (int)fmax(want, n + 1);
}

int sim_run_to_precision(struct sim_scenario *sc, int jobs, double rel,
			 int max_reps, struct sim_summary *out,
			 struct sim_rep_result **reps, size_t *ran,
			 const char **why)
{
	/* Law & Kelton's relative-precision procedure: stop at the first n
	 * whose half-width is within g' = g / (1 + g) of the estimate; the
	 * corrected g' makes the actual relative error at most g with
	 * probability about 95 %. n starts at the scenario's replications
	 * (at least 3) and jumps by the approximation above rather than one
	 * at a time. Replication r draws only on its own streams (seed, r,
	 * name), so each step runs only replications n_before..n-1 and keeps
	 * the others: the result is the one `replications: n` gives. */
	double g = rel / (1 + rel);
	size_t nsys = sc->nsystems, stride = (size_t)max_reps;
	int n = sc->replications < 3 ? 3 : sc->replications, have = 0, err;
	if (n > max_reps)
		n = max_reps;
	struct scen_job j = {.sc = sc, .stride = stride};
	*why = NULL;
	if (!(j.res = calloc(nsys * stride, sizeof *j.res)))
		return SIM_ENOMEM;
	for (;;) {
		sc->replications = n;
		j.from = (size_t)have;
		j.count = (size_t)(n - have);
		if ((err = run_range(&j, jobs, why)) < 0)
			break;
		if (ran)
			*ran += nsys * j.count;
		have = n;
		if ((err = summarize_systems(sc, j.res, stride, (size_t)n,
					     out)) < 0 ||
		    n >= max_reps || precise_enough(out, nsys, g))
			break;
		int next = needed(out, nsys, n, g);
		for (size_t k = 0; k < nsys; k++)
			sim_summary_release(&out[k]);
		n = next > max_reps ? max_reps : next;
	}
	if (err == 0 && reps) {
		/* system-major with n per system, as sim_run_scenario_keep */
		for (size_t k = 1; k < nsys; k++)
			memmove(&j.res[k * (size_t)n], &j.res[k * stride],
				(size_t)n * sizeof *j.res);
		*reps = j.res;
		return 0;
	}
	for (size_t i = 0; i < nsys * stride; i++)
		sim_rep_release(&j.res[i]);
	free(j.res);
	return err;
}
