/*
 * memory.c - the host's memory and its OOM killer, shared by every model.
 *
 * A host may have a `memory` limit (a container's cgroup limit, or the RAM
 * of a machine without swap). Each process on the host registers a
 * struct sim_proc whose footprint the model keeps up to date as requests
 * enter and leave it; the host keeps the total. When the total goes over
 * the limit the kernel kills a process, as Linux does: the one with the
 * largest footprint (oom_badness is essentially RSS + swap + page tables;
 * we have no swap and ignore oom_score_adj), whichever model instance owns
 * it. The kill happens in its own event at the same instant, so a model is
 * never torn down from inside its own code (e.g. while it admits the very
 * request that went over); the footprint may thus exceed the limit for no
 * simulated time, which the models' memory peaks clamp away.
 *
 * Footprints are whole bytes in 64-bit integers, so the running total
 * never drifts however many requests come and go.
 *
 * Two steps every model takes with its processes are here too: failing
 * what a killed process held, and reporting the memory figures. Failing a
 * request is the model's (through a callback): this file knows nothing of
 * I/O or ports, so memory.c calls only into host and kernel code.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>

#include "runtime/memory.h"

static void oom_kill(struct sim *s, void *obj, uint64_t arg);

static int64_t whole_bytes(double b)
{
	return b > 0 ? (int64_t)llround(b) : 0;
}

/* Sets p's footprint from its state and the host total with it; an OOM
 * kill is scheduled if the host went over its limit. */
static void recharge(struct sim_proc *p)
{
	struct sim_hostmem *hm = &p->host->mem;
	int64_t b = p->up ? p->base +
				(int64_t)(p->nheld - p->nsess) * p->per_req +
				(int64_t)p->nsess * p->per_sess
			  : 0;
	hm->total += b - p->bytes;
	p->bytes = b;
	if (hm->limit > 0 && hm->total > hm->limit && !hm->oom_ev)
		hm->oom_ev = sim_after(p->host->s, 0, oom_kill, p->host, 0);
}

void sim_proc_init(struct sim_proc *p, struct sim_host *h, double base,
		   double per_req, void (*on_kill)(struct sim_proc *),
		   void *owner)
{
	*p = (struct sim_proc){.host = h,
			       .on_kill = on_kill,
			       .owner = owner,
			       .base = whole_bytes(base),
			       .per_req = whole_bytes(per_req),
			       .up = true,
			       .limited = h->mem.limit > 0};
	struct sim_hostmem *hm = &h->mem;
	if (hm->last)
		hm->last->next = p;
	else
		hm->procs = p;
	hm->last = p;
	recharge(p);
}

void sim_proc_release(struct sim_proc *p)
{
	struct sim_hostmem *hm = &p->host->mem;
	free(p->cpools);
	p->cpools = NULL;
	struct sim_proc *prev = NULL;
	for (struct sim_proc *q = hm->procs; q; prev = q, q = q->next) {
		if (q != p)
			continue;
		if (prev)
			prev->next = p->next;
		else
			hm->procs = p->next;
		if (hm->last == p)
			hm->last = prev;
		hm->total -= p->bytes;
		p->bytes = 0;
		p->next = NULL;
		return;
	}
}

void sim__proc_hold(struct sim_proc *p, struct sim_request *r)
{
	struct sim_req_cold *k = sim_req_cold(r);
	k->hnext = NULL;
	k->hprev = p->held_tail;
	if (p->held_tail)
		sim_req_cold(p->held_tail)->hnext = r;
	else
		p->held = r;
	p->held_tail = r;
	p->nheld++;
	if (r->conn & SIM_CONN_SESSION)
		p->nsess++;
	recharge(p);
}

/* Unlinks r from p's list without touching the footprint. */
static void unlink_held(struct sim_proc *p, struct sim_request *r)
{
	struct sim_req_cold *k = sim_req_cold(r);
	if (k->hprev)
		sim_req_cold(k->hprev)->hnext = k->hnext;
	else
		p->held = k->hnext;
	if (k->hnext)
		sim_req_cold(k->hnext)->hprev = k->hprev;
	else
		p->held_tail = k->hprev;
	k->hnext = k->hprev = NULL;
	assert(p->nheld > 0);
	p->nheld--;
	if (r->conn & SIM_CONN_SESSION)
		p->nsess--;
}

void sim__proc_drop(struct sim_proc *p, struct sim_request *r)
{
	unlink_held(p, r);
	recharge(p);
}

void sim_proc_set_per_session(struct sim_proc *p, double bytes)
{
	p->per_sess = whole_bytes(bytes);
	recharge(p);
}

void sim_proc_grow(struct sim_proc *p, double bytes)
{
	p->base += whole_bytes(bytes);
	recharge(p);
}

struct sim_request *sim_proc_pop(struct sim_proc *p)
{
	struct sim_request *r = p->held;
	if (r)
		sim__proc_drop(p, r);
	return r;
}

void sim_proc_down(struct sim_proc *p)
{
	p->up = false;
	recharge(p);
}

void sim_proc_up(struct sim_proc *p, double base)
{
	p->up = true;
	p->base = whole_bytes(base);
	recharge(p);
}

struct sim_proc *sim_host_oom_victim(const struct sim_host *h)
{
	struct sim_proc *best = NULL;
	for (struct sim_proc *p = h->mem.procs; p; p = p->next)
		if (p->up && (!best || p->bytes >= best->bytes))
			best = p;
	return best;
}

/* The host is over its limit: kill the largest process until it is not
 * (or nothing is left to kill: the idle processes alone do not fit). */
static void oom_kill(struct sim *s, void *obj, uint64_t arg)
{
	struct sim_host *h = obj;
	struct sim_hostmem *hm = &h->mem;
	hm->oom_ev = 0;
	while (hm->limit > 0 && hm->total > hm->limit) {
		struct sim_proc *v = sim_host_oom_victim(h);
		if (!v)
			break;
		hm->kills++;
		sim_proc_down(v); /* SIGKILL: its memory is gone at once */
		v->on_kill(v);
		assert(!v->nheld);
	}
}

void sim_proc_fail_held(struct sim_proc *p,
			void (*fail)(struct sim_proc *p, struct sim_request *r))
{
	struct sim_request *r;
	while ((r = sim_proc_pop(p)))
		fail(p, r);
}

void sim_memory_report(const struct sim_host *h, double peak, uint64_t kills,
		       uint64_t restarts, struct sim_metrics *m)
{
	int64_t limit = h->mem.limit;
	if (limit > 0) {
		if (peak > (double)limit)
			peak = (double)limit;
		sim_metrics_put(m, "memory", "oom_kills", (double)kills);
		sim_metrics_put(m, "memory", "restarts", (double)restarts);
	}
	sim_metrics_put(m, "", "memory_peak_bytes", peak);
}
