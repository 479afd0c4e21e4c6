/*
 * io.c - the io phase, shared by every model: a wait that needs no core,
 * preceded by a wait for a downstream connection when the workload has a
 * shared downstream (workload.downstream.connections) and the phase uses
 * it. The connection is held for the whole wait, so a slow database turns
 * into queueing for connections, whatever the model.
 */
#include "runtime/io.h"
#include "runtime/model.h"
#include "runtime/service.h"

/* IO_CALL: a call or parallel phase in progress (runtime/service.c) */
enum { IO_NONE, IO_WAITING, IO_RUNNING, IO_CALL };

static void io_finished(struct sim *s, void *obj, uint64_t arg);

static void run_io(struct sim_dspool *p, struct sim *s, struct sim_request *r)
{
	r->io_state = IO_RUNNING;
	sim_req_cold(r)->io_ev = sim_after(s, r->demand[r->phase], io_finished,
					   p, (uint64_t)(uintptr_t)r);
}

static bool uses_pool(const struct sim_ctx *c, const struct sim_request *r)
{
	return c->ds && c->wl->classes[r->cls].phases[r->phase].downstream;
}

static void release_conn(struct sim_dspool *p)
{
	struct sim *s = p->s;
	struct sim_request *next = sim_queue_pop(&p->wait, s->now);
	if (next) { /* the connection passes on to the next in line */
		run_io(p, s, next);
		return;
	}
	p->busy--;
	sim_tw_set(&p->busy_tw, s->now, p->busy);
}

static void io_finished(struct sim *s, void *obj, uint64_t arg)
{
	struct sim_request *r = (struct sim_request *)(uintptr_t)arg;
	struct sim_dspool *p = obj;
	struct sim_req_cold *k = sim_req_cold(r);
	k->io_ev = 0;
	r->io_state = IO_NONE;
	if (p)
		release_conn(p);
	k->io_fn(s, k->io_obj, arg);
}

void sim_io_start(const struct sim_ctx *c, struct sim_request *r, sim_fn fn,
		  void *obj)
{
	struct sim_req_cold *k = sim_req_cold(r);
	k->io_fn = fn;
	k->io_obj = obj;
	if (r->conn & SIM_CONN_SESSION && c->port.opened)
		c->port.opened(c->port.ctx, r);
	if (sim_req_phase_kind(c, r, r->phase) >= SIM_PHASE_CALL) {
		sim_call_start(c, r, fn, obj);
		return;
	}
	if (!uses_pool(c, r)) {
		r->io_state = IO_RUNNING;
		k->io_ev = sim_after(c->s, r->demand[r->phase], io_finished,
				     NULL, (uint64_t)(uintptr_t)r);
		return;
	}
	struct sim_dspool *p = c->ds;
	if (p->busy < p->cap) {
		p->busy++;
		sim_tw_set(&p->busy_tw, c->s->now, p->busy);
		run_io(p, c->s, r);
	} else {
		r->io_state = IO_WAITING;
		sim_queue_push(&p->wait, r, c->s->now);
	}
}

void sim_io_abort(const struct sim_ctx *c, struct sim_request *r)
{
	/* first: r's current phase may be past its last one */
	if (r->io_state == IO_NONE)
		return;
	if (r->io_state == IO_CALL) {
		sim_call_abort(r);
		r->io_state = IO_NONE;
		return;
	}
	struct sim_dspool *p = uses_pool(c, r) ? c->ds : NULL;
	if (r->io_state == IO_RUNNING) {
		struct sim_req_cold *k = sim_req_cold(r);
		sim_cancel(c->s, k->io_ev);
		k->io_ev = 0;
		if (p)
			release_conn(p);
	} else if (r->io_state == IO_WAITING) {
		/* unlink from the wait queue */
		struct sim_request **pp = &p->wait.head, *prev = NULL;
		while (*pp && *pp != r) {
			prev = *pp;
			pp = &(*pp)->next;
		}
		if (*pp) {
			*pp = r->next;
			if (p->wait.tail == r)
				p->wait.tail = prev;
			p->wait.len--;
			sim_tw_set(&p->wait.tw, c->s->now, (double)p->wait.len);
		}
	}
	r->io_state = IO_NONE;
}

void sim_dspool_reset_stats(struct sim_dspool *p, double now)
{
	sim_tw_reset(&p->busy_tw, now);
	sim_tw_reset(&p->wait.tw, now);
}

void sim_dspool_report(struct sim_dspool *p, struct sim_metrics *m)
{
	double now = p->s->now;
	sim_metrics_put(m, "utilization", "downstream",
			sim_tw_mean(&p->busy_tw, now) / p->cap);
	sim_metrics_put(m, "queues.mean", "downstream",
			sim_tw_mean(&p->wait.tw, now));
	sim_metrics_put(m, "queues.max", "downstream", p->wait.tw.max);
}
