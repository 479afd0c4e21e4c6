/*
 * sessions.c - the client side of connections: the keep-alive pool of
 * HTTP connections, and long-lived sessions (WebSocket, SSE).
 *
 * A session is one request the client sends when it connects: the server
 * accepts it like any connection (listen backlog, accept cost, TLS), runs
 * its handshake, and then holds it in an io phase as long as the session
 * lives: no thread on an event loop (only `connection_memory`), a whole
 * thread in a sync worker pool. Once it is open (port.opened) its client
 * sends messages, a Poisson stream at `messages.rate`: each is a request
 * on the held connection, served by the process (or thread) that holds
 * the session, with the message's phases and, with a broadcast, one more
 * cpu phase: the per-recipient phases drawn for each of `fanout`
 * recipients (`all`: every session open at that moment). A session that
 * ends (its lifetime) is replaced at once by a new one; one refused or
 * killed reconnects after RECONNECT_DELAY.
 */
#include "workload/sessions.h"

#include <math.h>
#include <stdlib.h>

#include "runtime/model.h"

/* socket.io's client reconnects after reconnectionDelay, 1000 ms by
 * default (socket.io-client docs, Manager options): a typical client's
 * pause before it connects again. */
#define RECONNECT_DELAY 1.0

/* ------------------------------------------------------- keep-alive -- */

int sim_connpool_init(struct sim_connpool *p, const struct sim_workload *wl,
		      const struct sim_system *sys, uint64_t seed, uint32_t rep)
{
	const struct sim_connections *c = &wl->connections;
	struct sim_conn_cfg cc = {0};
	if (sys->model->conn)
		sys->model->conn(sys, &cc);
	*p = (struct sim_connpool){.newflags = c->tls ? SIM_CONN_TLS : 0,
				   .reuse = c->reuse,
				   .geometric = c->geometric,
				   .keepalive = cc.keepalive,
				   .per_user = wl->closed.users > 0};
	p->on = (c->geometric || c->reuse > 1) && cc.keepalive > 0;
	p->slow = p->on || c->tls;
	if (!p->on)
		return 0;
	if (p->per_user) {
		p->v = calloc(wl->closed.users, sizeof *p->v);
		if (!p->v) {
			p->on = false;
			return SIM_ENOMEM;
		}
		p->n = p->cap = wl->closed.users;
	}
	int err = sim_stream_init(&p->st, seed, rep, "connections");
	if (err < 0) {
		free(p->v);
		p->on = false;
	}
	return err;
}

void sim_connpool_release(struct sim_connpool *p)
{
	if (!p->on)
		return;
	free(p->v);
	free(p->idle);
	free(p->freel);
	sim_stream_release(&p->st);
}

/* Requests a new connection will carry. */
static uint32_t draw_reuse(struct sim_connpool *p)
{
	if (!p->geometric)
		return (uint32_t)p->reuse;
	/* the number of trials up to the first close, P(close) = 1/mean */
	double q = 1 - 1 / p->reuse, u = sim_uniform(&p->st);
	if (q <= 0 || u <= 0)
		return 1;
	double k = 1 + floor(log(u) / log(q));
	return k > 4e9 ? 4000000000u : (uint32_t)k;
}

/* A new slot of v for open arrivals, or UINT32_MAX (no memory). */
static uint32_t new_slot(struct sim_connpool *p)
{
	if (p->nfree)
		return p->freel[--p->nfree];
	if (p->n == p->cap) {
		uint32_t cap = p->cap ? 2 * p->cap : 64;
		struct sim_conn *v = realloc(p->v, cap * sizeof *v);
		uint32_t *idle =
		    v ? realloc(p->idle, cap * sizeof *idle) : NULL;
		if (v)
			p->v = v;
		if (idle)
			p->idle = idle;
		uint32_t *fl =
		    idle ? realloc(p->freel, cap * sizeof *fl) : NULL;
		if (!fl)
			return UINT32_MAX;
		p->freel = fl;
		p->cap = cap;
	}
	return p->n++;
}

int sim__connpool_acquire(struct sim_connpool *p, struct sim_request *r,
			  double now)
{
	uint32_t k;
	if (p->per_user) {
		k = r->client;
	} else {
		k = UINT32_MAX;
		while (p->nidle) {
			uint32_t i = p->idle[--p->nidle];
			if (now - p->v[i].t_idle < p->keepalive) {
				k = i;
				break;
			}
			/* the server closed it; so it did every older one */
			p->freel[p->nfree++] = i;
			while (p->nidle)
				p->freel[p->nfree++] = p->idle[--p->nidle];
		}
		if (k == UINT32_MAX) {
			k = new_slot(p);
			if (k == UINT32_MAX)
				return SIM_ENOMEM;
			p->v[k].left = 0;
		}
	}
	struct sim_conn *c = &p->v[k];
	r->client = k;
	if (c->left > 0 && now - c->t_idle < p->keepalive) {
		r->conn = SIM_CONN_POOLED | SIM_CONN_REUSED | p->newflags;
	} else {
		c->left = draw_reuse(p);
		r->conn = SIM_CONN_POOLED | p->newflags;
		p->opened++;
	}
	c->left--;
	c->t_idle = INFINITY; /* busy */
	return 0;
}

void sim_connpool_put(struct sim_connpool *p, struct sim_request *r, bool ok,
		      double now)
{
	struct sim_conn *c = &p->v[r->client];
	if (!ok)
		c->left = 0;
	c->t_idle = now;
	if (p->per_user)
		return;
	if (c->left > 0)
		p->idle[p->nidle++] = r->client;
	else
		p->freel[p->nfree++] = r->client;
}

/* ---------------------------------------------------------- sessions -- */

static void sess_open(struct sim *s, void *obj, uint64_t i);

int sim_sessrun_init(struct sim_sessrun *sr, struct sim *s,
		     const struct sim_scenario *sc, struct sim_reqpool *pool,
		     const struct sim_instance *inst, uint8_t newflags,
		     uint32_t rep)
{
	const struct sim_workload *wl = &sc->workload;
	*sr = (struct sim_sessrun){.s = s,
				   .wl = wl,
				   .cfg = &wl->sessions,
				   .pool = pool,
				   .inst = inst,
				   .newflags = newflags,
				   .cpu_scale = 1,
				   .rtt = wl->client.rtt,
				   .horizon =
				       2 * (sc->warmup + sc->duration) + 1};
	uint32_t n = wl->sessions.count;
	if (!n)
		return 0;
	sr->v = calloc(n, sizeof *sr->v);
	if (!sr->v || sim_hist_init(&sr->lat) < 0 ||
	    sim_stream_init(&sr->life, sc->seed, rep, "session-life") < 0 ||
	    sim_stream_init(&sr->msg, sc->seed, rep, "session-message") < 0 ||
	    sim_stream_init(&sr->bcast, sc->seed, rep, "session-broadcast") < 0)
		return SIM_ENOMEM;
	/* evenly over the ramp, the first at 0 */
	for (uint32_t i = 0; i < n; i++)
		sim_at(s, sr->cfg->ramp * i / n, sess_open, sr, i);
	return 0;
}

void sim_sessrun_release(struct sim_sessrun *sr)
{
	if (!sr->cfg || !sr->cfg->count)
		return;
	free(sr->v);
	sim_hist_release(&sr->lat);
	sim_stream_release(&sr->life);
	sim_stream_release(&sr->msg);
	sim_stream_release(&sr->bcast);
}

static struct sim_request *new_req(struct sim_sessrun *sr)
{
	struct sim_request *r = sim_req_new(sr->pool);
	if (!r && !sr->err) {
		sr->err = SIM_ENOMEM;
		sim_stop(sr->s);
	}
	return r;
}

/* Session i's opening request reaches the server (sess_open). */
static void sess_deliver(struct sim *s, void *obj, uint64_t i)
{
	struct sim_sessrun *sr = obj;
	(void)s;
	sim_model_session(sr->inst, sr->v[i].holder);
}

static void sess_open(struct sim *s, void *obj, uint64_t i)
{
	struct sim_sessrun *sr = obj;
	struct sim_request *r = new_req(sr);
	if (!r)
		return;
	const struct sim_dist *life = &sr->cfg->lifetime;
	r->id = sr->next_id++;
	r->cls = (uint16_t)(sr->wl->nclasses + 1);
	r->nphases = 1;
	r->demand[0] = life->kind == SIM_DIST_NKINDS
			   ? sr->horizon
			   : sim_dist_sample(life, &sr->life);
	r->conn = SIM_CONN_SESSION | sr->newflags;
	r->client = (uint32_t)i;
	r->client = (uint32_t)i;
	r->t_first = r->t_sent = s->now;
	sr->v[i].holder = r;
	/* the server has the holder until it ends the session: nothing
	 * replaces it in between */
	if (sr->rtt > 0)
		sim_after_fixed(s, sim_net_out(r->conn, sr->rtt), sess_deliver,
				sr, i);
	else
		sim_model_session(sr->inst, r);
}

static void sess_message(struct sim *s, void *obj, uint64_t i);

static void next_message(struct sim_sessrun *sr, uint32_t i)
{
	if (sr->cfg->rate > 0)
		sr->v[i].msg_ev = sim_after(
		    sr->s, sim_exponential(&sr->msg, 1 / sr->cfg->rate),
		    sess_message, sr, i);
}

/* The client learns that session i is open: it starts its messages. */
static void client_opened(struct sim_sessrun *sr, uint32_t i)
{
	struct sim_sess *x = &sr->v[i];
	x->open = true;
	sr->open++;
	sim_tw_set(&sr->open_tw, sr->s->now, sr->open);
	next_message(sr, i);
}

static void sess_opened_ev(struct sim *s, void *obj, uint64_t i)
{
	(void)s;
	client_opened(obj, (uint32_t)i);
}

void sim_sessrun_opened(struct sim_sessrun *sr, struct sim_request *r)
{
	/* the server's answer to the handshake takes half a round trip; the
	 * session ends no earlier than it opens, so the client learns of the
	 * end after this (events at one time run in the order scheduled) */
	if (sr->rtt > 0)
		sim_after_fixed(sr->s, sr->rtt / 2, sess_opened_ev, sr,
				r->client);
	else
		client_opened(sr, r->client);
}

/* Message r reaches the server (sess_message). On a session the server
 * ended meanwhile (no holder, or one opened after r was sent: ids grow)
 * it is lost with the connection. */
static void msg_deliver(struct sim *s, void *obj, uint64_t arg)
{
	struct sim_sessrun *sr = obj;
	struct sim_request *r = (struct sim_request *)(uintptr_t)arg;
	struct sim_request *h = sr->v[r->client].holder;
	(void)s;
	r->net = 0;
	if (!h || h->id > r->id) {
		sr->failed++; /* counts before the warm-up's end are reset */
		sim_req_free(sr->pool, r);
		return;
	}
	r->mptr = h;
	sim_model_message(sr->inst, r);
}

static void sess_message(struct sim *s, void *obj, uint64_t i)
{
	struct sim_sessrun *sr = obj;
	struct sim_sess *x = &sr->v[i];
	x->msg_ev = 0;
	if (!x->open)
		return;
	struct sim_request *r = new_req(sr);
	if (!r)
		return;
	const struct sim_class *k = &sr->wl->classes[sr->wl->nclasses];
	const struct sim_sessions *c = sr->cfg;
	r->id = sr->next_id++;
	r->cls = (uint16_t)sr->wl->nclasses;
	r->nphases = (uint8_t)k->nphases;
	for (size_t j = 0; j < c->msg.nphases; j++)
		r->demand[j] = sim_dist_sample(&k->phases[j].dist, &sr->msg);
	if (c->fanout) { /* one send per recipient */
		uint32_t n = c->fanout_all || c->fanout > sr->open ? sr->open
								   : c->fanout;
		double cpu = 0;
		for (size_t j = 0; j < c->bcast.nphases; j++) {
			const struct sim_dist *d = &c->bcast.phases[j].dist;
			if (d->kind == SIM_DIST_CONSTANT) /* no draw needed */
				cpu += n * d->a;
			else
				for (uint32_t m = 0; m < n; m++)
					cpu += sim_dist_sample(d, &sr->bcast);
		}
		r->demand[c->msg.nphases] = cpu;
	}
	if (sr->cpu_scale != 1) /* as the client layer's scale_cpu */
		for (size_t j = 0; j < k->nphases; j++)
			if (k->phases[j].kind == SIM_PHASE_CPU)
				r->demand[j] *= sr->cpu_scale;
	r->conn = SIM_CONN_MESSAGE | SIM_CONN_REUSED;
	r->client = (uint32_t)i;
	r->t_first = r->t_sent = s->now;
	next_message(sr, (uint32_t)i);
	if (sr->rtt > 0) { /* on the open connection: half a round trip */
		r->net = SIM_NET_OUT;
		sim_after_fixed(s, sim_net_out(r->conn, sr->rtt), msg_deliver,
				sr, (uint64_t)(uintptr_t)r);
		return;
	}
	r->mptr = x->holder;
	sim_model_message(sr->inst, r);
}

/* The client learns that session i ended with o: its messages stop, and
 * it connects again. */
static void client_closed(struct sim_sessrun *sr, uint32_t i,
			  enum sim_outcome o, bool measuring)
{
	struct sim *s = sr->s;
	struct sim_sess *x = &sr->v[i];
	if (x->open) {
		x->open = false;
		sr->open--;
		sim_tw_set(&sr->open_tw, s->now, sr->open);
		sim_cancel(s, x->msg_ev);
		x->msg_ev = 0;
	}
	if (measuring && o == SIM_OUT_REFUSED)
		sr->refused++;
	else if (measuring && o != SIM_OUT_OK)
		sr->killed++;
	sim_after(s, o == SIM_OUT_OK ? 0 : RECONNECT_DELAY, sess_open, sr, i);
}

/* The end of session i reaches its client, half a round trip after the
 * server's. Counted as if measuring: counts before the warm-up's end are
 * reset (sim_sessrun_reset_stats). */
static void sess_closed_ev(struct sim *s, void *obj, uint64_t i)
{
	struct sim_sessrun *sr = obj;
	(void)s;
	client_closed(sr, (uint32_t)i, (enum sim_outcome)sr->v[i].ended, true);
}

void sim_sessrun_done(struct sim_sessrun *sr, struct sim_request *r,
		      enum sim_outcome o, bool measuring)
{
	struct sim *s = sr->s;
	if (r->conn & SIM_CONN_MESSAGE) {
		if (measuring) {
			/* received half a round trip after the server sent
			 * it (with a network): nothing else waits for it */
			if (o == SIM_OUT_OK) {
				sr->messages++;
				sim_hist_record(&sr->lat, s->now + sr->rtt / 2 -
							      r->t_first);
			} else {
				sr->failed++;
			}
		}
		sim_req_free(sr->pool, r);
		return;
	}
	uint32_t i = r->client;
	/* the server is done with the session: messages that reach it from
	 * now on are lost (msg_deliver) */
	sr->v[i].holder = NULL;
	sim_req_free(sr->pool, r);
	if (sr->rtt > 0) {
		sr->v[i].ended = (uint8_t)o;
		sim_after_fixed(s, sr->rtt / 2, sess_closed_ev, sr, i);
		return;
	}
	client_closed(sr, i, o, measuring);
}

void sim_sessrun_reset_stats(struct sim_sessrun *sr, double now)
{
	if (!sr->cfg->count)
		return;
	sim_tw_reset(&sr->open_tw, now);
	sr->refused = sr->killed = sr->messages = sr->failed = 0;
	sim_hist_reset(&sr->lat);
	sr->t_reset = now;
}

int sim_sessrun_report(struct sim_sessrun *sr, struct sim_metrics *m)
{
	if (!sr->cfg->count)
		return 0;
	double now = sr->s->now, el = now - sr->t_reset;
	const struct sim_hist *h = &sr->lat;
	int err = 0;
	err |= sim_metrics_put(m, "sessions", "open_mean",
			       sim_tw_mean(&sr->open_tw, now));
	err |= sim_metrics_put(m, "sessions", "open_max", sr->open_tw.max);
	err |= sim_metrics_put(m, "sessions", "refused", (double)sr->refused);
	err |= sim_metrics_put(m, "sessions", "killed", (double)sr->killed);
	err |= sim_metrics_put(m, "sessions", "messages_rps",
			       el > 0 ? (double)sr->messages / el : 0);
	err |= sim_metrics_put(m, "sessions", "messages_failed",
			       (double)sr->failed);
	static const struct {
		const char *k;
		double q;
	} qs[] = {{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p999", 0.999}};
	err |= sim_metrics_put(m, "sessions.latency_s", "mean",
			       h->n ? sim_hist_mean(h) : 0);
	for (size_t k = 0; k < 4; k++)
		err |=
		    sim_metrics_put(m, "sessions.latency_s", qs[k].k,
				    h->n ? sim_hist_quantile(h, qs[k].q) : 0);
	err |=
	    sim_metrics_put(m, "sessions.latency_s", "max", h->n ? h->max : 0);
	return err ? SIM_ENOMEM : 0;
}
