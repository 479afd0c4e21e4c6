/*
 * model.h - what a concurrency model sees: requests, FIFO queues, the host
 * CPU scheduler, the port through which it reports finished requests, and
 * the ops struct it exports.
 *
 * A model never draws random numbers for the workload (the demands come
 * with the request), never writes files and never counts latencies: it
 * moves requests through its mechanisms and calls port->done() once per
 * request it was given.
 */
#ifndef SIM_MODEL_H
#define SIM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/kernel.h"
#include "kernel/rng.h"
#include "kernel/stats.h"
#include "scenario/scenario.h"

/* ------------------------------------------------------------ requests -- */

/* How a request ended, as the client sees it. */
#define SIM_OUTCOME_MAP(X)                                                     \
	X(OK, "ok")                                                            \
	X(REFUSED, "refused")	      /* backlog full: connection refused */   \
	X(TIMEOUT, "timeout")	      /* client gave up */                     \
	X(KILLED, "killed")	      /* worker killed / process OOM */        \
	X(UNAVAILABLE, "unavailable") /* 503 from a concurrency limit */

enum sim_outcome {
#define X(name, str) SIM_OUT_##name,
	SIM_OUTCOME_MAP(X)
#undef X
	    SIM_OUT_N
};
extern const char *const sim_outcome_names[SIM_OUT_N];

/* One attempt of a client request. Records come from a pool sized for the
 * scenario's longest phase list; `demand` holds the drawn phase demands. */
struct sim_request {
	struct sim_request *next; /* link for sim_queue; owned by the holder */
	uint64_t id;		  /* logical request id (same for retries) */
	double t_first;		  /* first attempt sent (latency origin) */
	double t_sent;		  /* this attempt sent */
	double t_mark;		  /* free for models: e.g. when enqueued */
	sim_ev timeout_ev;
	uint32_t client;	/* closed-loop user / hash key */
	uint16_t cls;		/* index into workload.classes */
	uint8_t nphases, phase; /* phase = next phase to run */
	uint8_t attempt;	/* 0 for the first attempt */
	uint8_t abandoned;	/* client gave up; finish quietly */
	uint8_t flags;		/* free for models */
	uint8_t pad_;
	void *mptr;    /* free for models */
	uint64_t mtag; /* free for models */
	sim_fn io_fn;  /* sim_io_start: who to tell */
	void *io_obj;
	sim_ev io_ev;
	int io_state;
	/* the process holding the request (sim_proc_hold): its list */
	struct sim_request *hnext, *hprev;
	double demand[]; /* seconds, one per phase */
};

/* An intrusive FIFO of requests with its time-weighted length. */
struct sim_queue {
	struct sim_request *head, *tail;
	size_t len;
	struct sim_tw tw;
};

static inline void sim_queue_push(struct sim_queue *q, struct sim_request *r,
				  double now)
{
	r->next = NULL;
	if (q->tail)
		q->tail->next = r;
	else
		q->head = r;
	q->tail = r;
	q->len++;
	sim_tw_set(&q->tw, now, (double)q->len);
}

static inline struct sim_request *sim_queue_pop(struct sim_queue *q, double now)
{
	struct sim_request *r = q->head;
	if (!r)
		return NULL;
	q->head = r->next;
	if (!q->head)
		q->tail = NULL;
	q->len--;
	r->next = NULL;
	sim_tw_set(&q->tw, now, (double)q->len);
	return r;
}

/* Empties q without looking at its requests (their holder deals with
 * them), e.g. when the process that owns q is killed. */
static inline void sim_queue_clear(struct sim_queue *q, double now)
{
	q->head = q->tail = NULL;
	q->len = 0;
	sim_tw_set(&q->tw, now, 0);
}

/* --------------------------------------------------------------- host -- */

struct sim_host;
struct sim_proc;

/* A host's memory: its limit and the footprints of the processes on it.
 * Every process registers here whichever model instance runs it, so the
 * OOM killer sees all of them (co-located replicas share one host). */
struct sim_hostmem {
	int64_t limit;		       /* bytes; 0 = no limit */
	int64_t total;		       /* footprints of the processes up */
	struct sim_proc *procs, *last; /* registry, in creation order */
	sim_ev oom_ev;		       /* an OOM kill is due (now) */
	uint64_t kills;		       /* OOM kills, whole run */
};

/* An OS thread (loop thread, worker process, pool thread) as the host CPU
 * scheduler sees it. The model embeds it and sets on_done; the host calls
 * on_done(t) when the burst given to sim_host_run() has had its CPU. */
struct sim_thread {
	void (*on_done)(struct sim_thread *t);
	void *owner; /* free for the model */
	struct sim_host *host;
	struct sim_thread *next; /* run queue link */
	double remaining;	 /* CPU still needed by the current burst */
	double vfinish;		 /* processor sharing: virtual finish time */
	int core;		 /* running on this core, or -1 */
	int lastcore;		 /* core it last ran on, or -1 */
	int hpos;		 /* processor sharing: heap position, or -1 */
};

struct sim_core {
	struct sim_thread *cur, *last;
	sim_ev ev;
	double slice; /* CPU of the current slice (excluding switch cost) */
	double t_cpu; /* when the slice's CPU starts (after the switch) */
};

/* A host: `cores` cores shared by its threads, round-robin with a quantum
 * and a context-switch cost charged whenever a core changes thread, or
 * ideal processor sharing when the quantum is 0. */
struct sim_host {
	struct sim *s;
	int ncores;
	double quantum, cs;
	struct sim_core *cores;
	int *idle; /* stack of idle core indices */
	int nidle;
	struct sim_thread *rq_head, *rq_tail; /* runnable, waiting for a core */
	size_t rq_len;
	/* processor sharing */
	struct sim_thread **ps;
	size_t nps, capps;
	double vtime, vlast;
	sim_ev ps_ev;
	/* statistics */
	struct sim_tw busy;    /* cores busy (running or switching) */
	struct sim_tw waiting; /* threads waiting for a core */
	uint64_t switches;     /* context switches since the reset */
	double t_reset;
	struct sim_hostmem mem; /* processes' memory, `memory` limit */
};

/* Returns 0 or SIM_ENOMEM. */
int sim_host_init(struct sim_host *h, struct sim *s,
		  const struct sim_host_cfg *cfg);
void sim_host_release(struct sim_host *h);
/* Initialises a thread of this host (not runnable). */
void sim_thread_init(struct sim_thread *t, struct sim_host *h,
		     void (*on_done)(struct sim_thread *), void *owner);
/* Makes t runnable for `cpu` seconds of CPU; t must not have a burst in
 * progress. on_done(t) is called from an event when the burst has had its
 * CPU (never from inside this call, even for cpu == 0). */
void sim_host_run(struct sim_host *h, struct sim_thread *t, double cpu);
/* Stops t's burst wherever it is (running or queued), e.g. a killed worker
 * or a thread made to drop the GIL; on_done is not called. Returns the CPU
 * the burst still needed (0 if t had no burst). */
double sim_host_abort(struct sim_host *h, struct sim_thread *t);
/* Resets the host's statistics at the end of warm-up. */
void sim_host_reset_stats(struct sim_host *h, double now);
/* Appends the host's figures (utilization.cpu, context switches). */
void sim_host_report(struct sim_host *h, const char *prefix,
		     struct sim_metrics *m);

/* -------------------------------------------------------------- memory -- */

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
	struct sim_host *host;
	void (*on_kill)(struct sim_proc *p);
	void *owner;	 /* free for the model */
	int64_t base;	 /* bytes while up, besides the requests */
	int64_t per_req; /* bytes per request held */
	int64_t bytes;	 /* current footprint (0 while down) */
	bool up;
	size_t nheld;
	struct sim_request *held, *held_tail; /* requests held, oldest first */
	struct sim_proc *next;		      /* the host's registry */
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
	if (p->host->mem.limit > 0)
		sim__proc_hold(p, r);
}
static inline void sim_proc_drop(struct sim_proc *p, struct sim_request *r)
{
	if (p->host->mem.limit > 0)
		sim__proc_drop(p, r);
}
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

struct sim_ctx;
/* Fails every request the killed process p still holds, oldest first:
 * each is taken off p's list, its io phase is abandoned (sim_io_abort),
 * forget(p, r) does the model's own bookkeeping (counters, its timers),
 * and r ends through c->port with SIM_OUT_KILLED. */
void sim_proc_fail_held(struct sim_proc *p, const struct sim_ctx *c,
			void (*forget)(struct sim_proc *p,
				       struct sim_request *r));
/* Appends a model's memory figures: memory.oom_kills and memory.restarts
 * (its processes OOM-killed, and restarted after a kill, since the reset)
 * if host h has a limit; memory_peak_bytes, the model's estimate `peak`
 * clamped to the limit (the kernel never lets the footprint past it). */
void sim_memory_report(const struct sim_host *h, double peak, uint64_t kills,
		       uint64_t restarts, struct sim_metrics *m);

/* ---------------------------------------------------------------- port -- */

/* What a model needs from whoever drives it (the client layer, or a parent
 * model such as `replicas`). */
struct sim_port {
	/* The request's attempt is finished (answered, refused, killed...).
	 * Ownership of r returns to the caller. */
	void (*done)(void *ctx, struct sim_request *r, enum sim_outcome o);
	void *ctx;
};

/* Everything a model instance may use. */
struct sim_ctx {
	struct sim *s;
	const struct sim_scenario *sc;
	const struct sim_workload *wl;
	const struct sim_system *sys; /* name, host config, model config */
	struct sim_port port;
	struct sim_stream *rng; /* the model's own stream (e.g. balancer) */
	struct sim_host *host;	/* a host shared with siblings (co-located
				   replicas), or NULL: use your own */
	struct sim_dspool *ds;	/* the shared downstream (database pool),
				   or NULL */
};

/* ------------------------------------------------------------- I/O -- */

/* The downstream resource requests share whatever model serves them: a
 * database pool of `cap` connections. An io phase that uses it first waits
 * (FIFO) for a free connection, holds it for its demand, then frees it. */
struct sim_dspool {
	struct sim *s;
	int cap, busy;
	struct sim_queue wait;
	struct sim_tw busy_tw;
};

/* Starts r's current phase (an io phase): after its demand (and a wait for
 * a downstream connection if it uses one), calls fn(s, obj, r). */
void sim_io_start(const struct sim_ctx *c, struct sim_request *r, sim_fn fn,
		  void *obj);
/* Abandons r's io phase in progress (its worker was killed): the timer is
 * cancelled, a connection it held is freed, a wait is left; fn is not
 * called. Harmless if r has no io in progress. */
void sim_io_abort(const struct sim_ctx *c, struct sim_request *r);
void sim_dspool_reset_stats(struct sim_dspool *p, double now);
void sim_dspool_report(struct sim_dspool *p, struct sim_metrics *m);

/* The request's phase i as the workload defines it. */
static inline enum sim_phase_kind
sim_req_phase_kind(const struct sim_ctx *c, const struct sim_request *r,
		   size_t i)
{
	return c->wl->classes[r->cls].phases[i].kind;
}
static inline bool sim_req_phase_on_cpu(const struct sim_ctx *c,
					const struct sim_request *r, size_t i)
{
	return c->wl->classes[r->cls].phases[i].on_cpu;
}
/* The request's handler is a `def` (handler: sync). */
static inline bool sim_req_sync(const struct sim_ctx *c,
				const struct sim_request *r)
{
	return c->wl->classes[r->cls].sync;
}

/* The host a model instance should use: the shared one, or `own` set up
 * from the system's host config. Returns it, or NULL (no memory). */
struct sim_host *sim_ctx_host(const struct sim_ctx *ctx, struct sim_host *own);
/* Releases `own` if sim_ctx_host() set it up. */
void sim_ctx_host_release(const struct sim_ctx *ctx, struct sim_host *own);

/* --------------------------------------------------------------- models -- */

/* A concurrency model. Each models/<name>.c exports exactly one of these
 * and keeps everything else static. The core allocates `state_size` bytes
 * (zeroed) and `config_size` bytes of config filled from `params`. */
struct sim_model_ops {
	const char *name;    /* as in `model:` */
	const char *summary; /* one line for `concsim help models` */
	const struct sim_param *params;
	size_t nparams;
	size_t config_size;
	size_t state_size;
	/* Checks a loaded config beyond per-key ranges. Returns NULL or a
	 * static message naming the key ("threads needs workers > 0"). */
	const char *(*validate)(const struct sim_system *sys);
	/* Builds the model in `state`. Returns 0 or a SIM_E* code. */
	int (*init)(void *state, const struct sim_ctx *ctx);
	/* A request arrives at the server (connection opened). */
	void (*submit)(void *state, struct sim_request *r);
	/* The client abandoned r (timeout with cancellation on). The model
	 * may drop it and must then call port.done(r, SIM_OUT_TIMEOUT);
	 * optional. */
	void (*cancel)(void *state, struct sim_request *r);
	/* End of warm-up: restart statistics at `now`. */
	void (*reset_stats)(void *state, double now);
	/* Appends utilization, queue and other figures since the reset. */
	void (*report)(void *state, struct sim_metrics *m);
	/* Requests currently inside the model (for balancers). */
	size_t (*inflight)(void *state);
	/* Frees what init allocated (not the state itself). */
	void (*release)(void *state);
};

/* The registry: every model, first one the default. NULL-terminated. */
extern const struct sim_model_ops *const sim_models[];
/* Returns whether every name in the NULL-terminated `models` is distinct.
 * sim_model_find() asserts it of sim_models[]. */
bool sim_models_unique(const struct sim_model_ops *const *models);
/* Finds a model by name, or NULL. */
const struct sim_model_ops *sim_model_find(const char *name);

/* A model instance: state + ops, for models composed of others. */
struct sim_instance {
	const struct sim_model_ops *ops;
	void *state;
};
/* Allocates and initialises an instance. Returns 0 or SIM_E*. */
int sim_instance_new(struct sim_instance *in, const struct sim_ctx *ctx);
void sim_instance_free(struct sim_instance *in);

#endif
