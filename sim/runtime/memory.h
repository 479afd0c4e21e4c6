/*
 * memory.h - processes as the host's memory accounting and its OOM killer
 * see them (memory.c).
 */
#ifndef SIM_MEMORY_H
#define SIM_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/stats.h"
#include "runtime/config.h"
#include "runtime/host.h"
#include "runtime/request.h"

/* A process's memory as a model's three memory keys give it
 * (SIM_MEMORY_PARAMS): its footprint is `process`, plus `thread` per
 * thread it has started, plus `request` per request it holds. */
struct sim_mem_cfg {
	double process; /* resident bytes of an idle process */
	double thread;	/* resident bytes per thread started */
	double request; /* bytes per request held */
};

/* The rows of the three memory keys of a model whose config struct `cfg`
 * has a struct sim_mem_cfg `field`: the model's defaults for a process
 * and a request (each model cites them where it uses this), and the words
 * of its help: what a process is (`proc_`: "worker"), what a thread is
 * (`thread_`: "worker thread") and how a request holds memory (`held_`:
 * "in flight"). A minimal OS thread is ~20 KiB resident (8 MiB virtual
 * stack) in every runtime. */
#define SIM_MEMORY_PARAMS(cfg, field, proc_, process_, thread_, held_,         \
			  request_)                                            \
	SIM_PARAM("process_memory", SIM_PT_SIZE, cfg, field.process,           \
		  .def = (process_), .min = 0, .max = 1e15,                    \
		  .help = "resident memory of an idle " proc_),                \
	    SIM_PARAM("thread_memory", SIM_PT_SIZE, cfg, field.thread,         \
		      .def = 20 * 1024.0, .min = 0, .max = 1e12,               \
		      .help = "resident memory per " thread_),                 \
	    SIM_PARAM("request_memory", SIM_PT_SIZE, cfg, field.request,       \
		      .def = (request_), .min = 0, .max = 1e12,                \
		      .help = "memory per request " held_)

/* A process as the host's memory accounting and its OOM killer see it.
 * A model embeds one per process (a Node process, a gunicorn or uvicorn
 * worker) and tells it which requests the process holds: the footprint is
 * `base` (the process and its threads) + `per_req` per request held, and
 * 0 while the process is down. Updates happen only when a request enters
 * or leaves the process, in O(1), and cost no event unless the host has a
 * limit and goes over it.
 *
 * Over the limit, the kernel's OOM killer runs (in an event at the same
 * instant, so never inside the model code that allocated): it kills the
 * process with the largest footprint on the host (Linux oom_badness is
 * essentially the RSS; on a tie the last one examined wins, mm/oom_kill.c
 * oom_evaluate_task), marks it down, and calls its on_kill(). The model
 * must then stop what the process was doing (threads, timers), fail every
 * request it still holds through port.done(SIM_OUT_KILLED)
 * (sim_proc_fail_held), and later bring it back with sim_proc_up().
 * The killer repeats while the host is still over its limit. */
struct sim_proc {
	void (*on_kill)(struct sim_proc *p);
	void *owner;	 /* free for the model */
	int64_t base;	 /* bytes while up, besides the requests */
	int64_t per_req; /* bytes per request held */
	int64_t
	    per_sess;  /* bytes per session held (SIM_CONN_SESSION), instead */
	int64_t bytes; /* current footprint (0 while down) */
	size_t nheld;
	size_t nsess;			      /* of which sessions */
	struct sim_request *held, *held_tail; /* requests held, oldest first */
	struct sim_proc *next;		      /* the host's registry */
	/* its client pools, one per service (runtime/service.c; owned) */
	struct sim_cpool *cpools;
	/* last, together: the host, and what every request reads (its hold
	 * and drop test `limited`, a lone process's pick tests `up`), so that
	 * a model's hot lines can begin with them (event_loop.c) */
	struct sim_host *host;
	bool up;
	/* the host has a memory limit (fixed when the host is made): the
	 * hold and drop of a request test it here, not on the host's line */
	bool limited;
};

/* Registers p on host h, up, with `base` bytes and `per_req` bytes per
 * request it will hold (both rounded to whole bytes). */
void sim_proc_init(struct sim_proc *p, struct sim_host *h, double base,
		   double per_req, void (*on_kill)(struct sim_proc *),
		   void *owner);
/* Takes p off its host's registry (before the host is released). */
void sim_proc_release(struct sim_proc *p);
void sim__proc_hold(struct sim_proc *p, struct sim_request *r);
void sim__proc_drop(struct sim_proc *p, struct sim_request *r);
/* p now holds r / no longer holds r (r must be held by p). Without a
 * memory limit nobody is ever killed, so there is nothing to track: both
 * are free (inline, per request). */
static inline void sim_proc_hold(struct sim_proc *p, struct sim_request *r)
{
	r->holder = p; /* whose client pools its calls use */
	if (p->limited)
		sim__proc_hold(p, r);
}
static inline void sim_proc_drop(struct sim_proc *p, struct sim_request *r)
{
	if (p->limited)
		sim__proc_drop(p, r);
}
/* A held session (a request with SIM_CONN_SESSION: an open WebSocket or
 * SSE connection) costs `bytes` instead of per_req (default 0). */
void sim_proc_set_per_session(struct sim_proc *p, double bytes);
/* Adds `bytes` to p's base (a thread started lazily). */
void sim_proc_grow(struct sim_proc *p, double bytes);
/* Takes the oldest request off p's list, or NULL when none is left: for
 * a killed process to fail what it held. */
struct sim_request *sim_proc_pop(struct sim_proc *p);
/* The process is gone (killed, recycled): footprint 0 until sim_proc_up.
 * Requests still on its list stay there for the model to take. */
void sim_proc_down(struct sim_proc *p);
/* The process is back (restarted) with `base` bytes besides requests. */
void sim_proc_up(struct sim_proc *p, double base);
/* The process the OOM killer would kill on h now: the largest footprint
 * among those up, the last registered on a tie; NULL if none is up. */
struct sim_proc *sim_host_oom_victim(const struct sim_host *h);

/* Fails every request the killed process p still holds, oldest first:
 * each is taken off p's list and handed to fail(p, r), which must end it
 * (abandon its io phase, the model's own bookkeeping, port.done with
 * SIM_OUT_KILLED: sim_procset_fail does all three). */
void sim_proc_fail_held(struct sim_proc *p,
			void (*fail)(struct sim_proc *p,
				     struct sim_request *r));
/* Appends a model's memory figures: memory.oom_kills and memory.restarts
 * (its processes OOM-killed, and restarted after a kill, since the reset)
 * if host h has a limit; memory_peak_bytes, the model's estimate `peak`
 * clamped to the limit (the kernel never lets the footprint past it). */
void sim_memory_report(const struct sim_host *h, double peak, uint64_t kills,
		       uint64_t restarts, struct sim_metrics *m);

#endif
