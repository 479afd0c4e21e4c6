/*
 * procset.c - a set of server processes behind one port: their memory
 * registration, what an OOM kill does to the set (counted, restart
 * scheduled, held requests failed), and the in-flight count. See
 * procset.h.
 */
#include <assert.h>
#include <stdlib.h>

#include "runtime/io.h"
#include "runtime/procset.h"

int sim_procset_init(struct sim_procset *ps, const struct sim_ctx *ctx,
		     struct sim_host *h, const struct sim_procset_cfg *cfg)
{
	assert(cfg->n > 0 && cfg->size >= sizeof(struct sim_member));
	*ps = (struct sim_procset){.ctx = ctx,
				   .s = ctx->s,
				   .port = ctx->port,
				   .host = h,
				   .size = cfg->size,
				   .base = cfg->base,
				   .restart_time = cfg->restart_time,
				   .on_restart = cfg->on_restart};
	ps->own = !(cfg->n == 1 && cfg->one);
	ps->procs = ps->own ? calloc((size_t)cfg->n, cfg->size) : cfg->one;
	if (!ps->procs)
		return SIM_ENOMEM;
	ps->n = cfg->n;
	ps->next = ps->procs;
	ps->end = ps->procs + (size_t)ps->n * ps->size;
	for (int i = 0; i < ps->n; i++) {
		struct sim_member *p = sim_procset_at(ps, i);
		sim_proc_init(&p->mem, h, cfg->base, cfg->per_req, cfg->on_kill,
			      p);
		sim_proc_set_per_session(&p->mem, cfg->per_sess);
	}
	return 0;
}

void sim_procset_release(struct sim_procset *ps)
{
	for (int i = 0; i < ps->n; i++)
		sim_proc_release(
		    &((struct sim_member *)sim_procset_at(ps, i))->mem);
	if (ps->own)
		free(ps->procs);
	ps->procs = ps->end = ps->next = NULL;
	ps->n = 0;
}

static void restarted(struct sim *s, void *obj, uint64_t arg)
{
	struct sim_member *p = obj;
	struct sim_procset *ps = (struct sim_procset *)(uintptr_t)arg;
	p->restart_ev = 0;
	sim_proc_up(&p->mem, ps->base);
	ps->oom_restarts++;
	if (ps->on_restart)
		ps->on_restart(p);
}

void sim_procset_killed(struct sim_procset *ps, struct sim_member *p)
{
	ps->oom_kills++;
	p->restart_ev = sim_after(ps->s, ps->restart_time, restarted, p,
				  (uint64_t)(uintptr_t)ps);
}

void sim_procset_fail_held(struct sim_procset *ps, struct sim_member *p,
			   void (*forget)(void *proc, struct sim_request *r))
{
	const struct sim_ctx *c = ps->ctx;
	struct sim_request *r;
	while ((r = sim_proc_pop(&p->mem))) {
		sim_io_abort(c, r);
		if (forget)
			forget(p->mem.owner, r);
		sim_inflight_sub(r->conn & SIM_CONN_SESSION ? &ps->sessions
							    : &ps->inflight,
				 c->s->now);
		sim_port_done(&ps->port, r, SIM_OUT_KILLED);
	}
}

void sim_procset_reset_stats(struct sim_procset *ps, double now)
{
	sim_inflight_reset(&ps->inflight, now);
	sim_inflight_reset(&ps->sessions, now);
	ps->oom_kills = ps->oom_restarts = 0;
}

double sim_procset_peak(const struct sim_procset *ps, double base,
			double per_req, double per_sess)
{
	return base + (double)ps->inflight.max * per_req +
	       (double)ps->sessions.max * per_sess;
}

void sim_procset_report_memory(const struct sim_procset *ps, double peak,
			       struct sim_metrics *m)
{
	sim_memory_report(ps->host, peak, ps->oom_kills, ps->oom_restarts, m);
}
