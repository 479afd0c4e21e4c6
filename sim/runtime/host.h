/*
 * host.h - a host: its cores and the CPU scheduler that time-shares them
 * between OS threads (host.c), and the state of its memory (the processes
 * on it and its limit; memory.h tracks them).
 */
#ifndef SIM_HOST_H
#define SIM_HOST_H

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/kernel.h"
#include "kernel/stats.h"
#include "runtime/eevdf.h"

struct sim_dist;
struct sim_host_cfg;
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
	/* what a burst on an idle core touches, first and together */
	void (*on_done)(struct sim_thread *t);
	void *owner;	  /* free for the model */
	double remaining; /* CPU still needed by the current burst */
	int core;	  /* running on this core, or -1 */
	int lastcore;	  /* core it last ran on, or -1 */
	int hpos; /* processor sharing: heap position; -1 none; with EEVDF
		     -2 - its state's index in sim_host.evq.ev
		     (sim__eevdf_of) */
	int owed; /* its burst's switch refill still to come (host.c):
		     SIM__OWED, or SIM__OWED_START before its first core */
	/* queueing for a core, processor sharing, switch refills (after
	 * SIM_THREAD_HOT) */
	struct sim_host *host;
	struct sim_thread *next; /* run queue link */
	union {
		/* processor sharing: virtual finish time, while its burst is
		 * in progress */
		double vfinish;
		/* without a burst in progress (until its next begins): how
		 * that burst pays the idle refill, in vfinish's place to keep
		 * the state a request touches in whole cache lines
		 * (event_loop.c); read when it starts, then back to zero */
		struct {
			/* the share it does not pay (sim_thread_refill_part) */
			float spared;
			/* it starts a request: it pays its process's rest
			 * (sim_thread_pay_rest) */
			bool pays_rest;
		} start;
	};
	/* the process it belongs to (sim_thread_set_proc): threads of one
	 * process share a working set; NULL = never a switch refill */
	const void *proc;
	/* after_response (sim_thread_after): the share of the refill a burst
	 * pays that waits until after its response, and what it held back */
	double after, held;
	/* the refill of its process's code still cold, shared by the
	 * threads of the process (sim_thread_keep_rest), or NULL */
	struct sim_rest *rest;
};

/* What a burst that ran part of the server's code of a request
 * (sim_thread_refill_part) left cold of the rest, on the core it ran on:
 * one per process, reset by the model when the process boots (cold 0,
 * core -1). */
struct sim_rest {
	double cold; /* its refill: CPU */
	int core;    /* that core (-1: processor sharing) */
};

struct sim_core {
	struct sim_thread *cur, *last;
	sim_ev ev;
	double slice; /* CPU of the current slice (excluding switch cost) */
	/* when the slice's CPU starts (after the switch); an idle core went
	 * idle at t_cpu + slice */
	double t_cpu;
	/* since when its thread has held it: a thread whose burst ends and
	 * whose next starts at the same instant has not blocked, and keeps
	 * the core (and its quantum) as a thread that computes on does */
	double held;
};

/* A host: `cores` cores shared by its threads, round-robin with a quantum
 * and a context-switch cost charged whenever a core changes thread (with
 * wake-up preemption: a thread that becomes runnable takes a core at once
 * from a thread that has held it longer than a quantum), or ideal
 * processor sharing when the quantum is 0. */
struct sim_host {
	/* what every burst touches, first and together in three cache
	 * lines (SIM_HOST_HOT; a fleet of replicas visits thousands of hosts:
	 * each line is a cache miss): the cores, the run queue, the refill
	 * parameters and the busy count. The memory limit is not among them:
	 * a request's hold and drop test their process's own flag
	 * (sim_proc.limited). */
	struct sim *s;
	struct sim_core *cores;	    /* one_core when ncores == 1 */
	int *idle;		    /* stack of idle core indices */
	struct sim_thread *rq_head; /* runnable, waiting for a core */
	/* what the end of a burst touches, fetched ahead
	 * (sim_host_set_prefetch): pfahead and pfarg are read two events
	 * ahead and pf one event ahead, from the first two lines, which the
	 * kernel fetches with the event's object (host.c asserts it) */
	const void *pfarg;
	void (*pfahead)(const void *arg);
	int nidle;
	/* nonzero: a burst takes sim__host_run's slow path, a cache refill
	 * (refill > 0 || swrefill > 0) or processor sharing (quantum 0);
	 * with SIM__HOST_LONG set the refill has a long part (refill_long),
	 * with SIM__HOST_EEVDF the scheduler is EEVDF */
	int slow;
	/* a single core and its idle slot, here rather than allocated */
	int one_idle;
	/* the core whose burst just ended, while its thread's on_done runs
	 * (else -1): still counted busy and off the idle stack, so that the
	 * thread's next burst, taking it back at the same instant, skips the
	 * round trip (host.c, core_event) */
	int handoff;
	struct sim_core one_core;
	void (*pf)(const void *arg); /* at the end of the burst, or NULL */
	sim_fn core_fn; /* a core's event: core_event, or with pf set one
			   that calls it first */
	/* refill + refill_long when the app's work evicts the working set,
	 * else 0 */
	double work_refill;
	/* cache refill (sim_host_set_refill): a burst that starts on a core
	 * idle for g pays refill * (1 - exp(-g / refill_time)) more CPU;
	 * read by every burst when set */
	double refill, refill_time;
	/* switch refill (sim_host_set_switch_refill): a burst of a process
	 * other than the core's last one refills its working set */
	double swrefill;
	struct sim_tw busy; /* cores busy (running or switching) */
	/* the rest: memory, queueing for a core, statistics, processor
	 * sharing */
	struct sim_hostmem mem; /* processes' memory, `memory` limit */
	double quantum;
	double tick; /* sim_host_cfg.tick: 0 = slices end on time */
	struct sim_thread *rq_tail;
	/* with a tick: the last of the threads that woke, queued ahead of
	 * those preempted (host.c, rq_insert), or NULL */
	struct sim_thread *rq_woken;
	/* the thread whose burst just ended without keeping its core, while
	 * its on_done runs (host.c, burst_end_queued), or NULL */
	struct sim_thread *yielding;
	size_t rq_len;
	double cs; /* context switch: only when a core changes thread */
	int ncores;
	bool wakeup_preempt; /* sim_host_cfg.wakeup_preemption */
	/* the long part of the cache refill (sim_host_set_refill), read
	 * only when slow has SIM__HOST_LONG */
	double refill_long, refill_long_time;
	/* the short part's time constant under the application's work
	 * (sim_host_work_refill), read only when work_refill > 0 */
	double work_time;
	/* statistics */
	struct sim_tw waiting; /* threads waiting for a core */
	uint64_t switches;     /* context switches since the reset */
	/* processor sharing */
	struct sim_thread **ps;
	size_t nps, capps;
	double vtime, vlast;
	double ps_idle_since; /* when the host went idle (cache refill) */
	sim_ev ps_ev;
	double t_reset;
	struct sim_stalls *stalls; /* sim_host_set_stalls, or NULL */
	/* the EEVDF scheduler (sim_host_cfg.scheduler, eevdf.h): its run
	 * queue (the threads' states, indexed through sim_thread.hpos: a
	 * thread's own room is taken, its bytes counted in the models' cache
	 * lines); the thread whose burst just ended while its on_done runs,
	 * on the queue meanwhile */
	bool eevdf;
	struct sim_eevdf_rq evq;
	struct sim_thread *ev_ending;
	/* the last thread that woke while ev_ending's on_done ran (host.c,
	 * ev_insert), or NULL */
	struct sim_thread *ev_woke;
};

/* Thread t's EEVDF state's index (given one as it first wakes, host.c)
 * and the state. */
static inline int sim__eevdf_idx(const struct sim_thread *t)
{
	assert(t->hpos <= -2);
	return -2 - t->hpos;
}
static inline struct sim_eevdf *sim__eevdf_of(const struct sim_host *h,
					      const struct sim_thread *t)
{
	return &h->evq.ev[sim__eevdf_idx(t)];
}

/* The bytes of a thread from its start that a burst on an idle core
 * touches. */
#define SIM_THREAD_HOT (offsetof(struct sim_thread, host))
/* The bytes of a host from its start that every burst reads or writes:
 * three cache lines, through its busy count (but that count's t0). */
#define SIM_HOST_HOT (offsetof(struct sim_host, busy.t0))
_Static_assert(offsetof(struct sim_host, pfahead) + sizeof(void *) <= 64,
	       "pfarg and pfahead in the host's first 64 bytes");

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
/* Internal: gives core c to t for its burst (t->remaining). */
void sim__host_dispatch(struct sim_host *h, int c, struct sim_thread *t);
/* Internal: sim_host_run's every case but the inline one. */
void sim__host_run(struct sim_host *h, struct sim_thread *t, double cpu);
static inline void sim_host_run(struct sim_host *h, struct sim_thread *t,
				double cpu)
{
	/* t->core < 0 && t->hpos < 0: the sign bit of both */
	assert((t->core & t->hpos) < 0);
	/* Inline, the common case of an event loop with callbacks queued:
	 * t's burst just ended on core h->handoff (host.c, core_event) and
	 * its next one takes it back, as take_idle would (the top of the
	 * idle stack, t's last core); a refill would look at its idle
	 * gap. */
	if (h->handoff >= 0 && t->lastcore == h->handoff && !h->slow) {
		int c = h->handoff;
		h->handoff = -1;
		t->remaining = cpu;
		sim__host_dispatch(h, c, t);
		return;
	}
	sim__host_run(h, t, cpu);
}
/* A burst that starts on a core that has been idle for g (processor
 * sharing: on a host that has been idle) needs more CPU: the core's
 * caches, TLB and branch predictors lost the process's working set while
 * it slept (other processes or virtual machines ran there, or the core's
 * sleep states flushed them). Two parts, lost at two paces: cpu * (1 -
 * exp(-g / time)) (cpu when time is 0 and g > 0), what the core's own
 * caches lose within milliseconds, and lcpu * (1 - exp(-g / ltime)),
 * what longer idles lose too (the caches the core shares with others,
 * refilled from memory; 0 for none). The models set them from their
 * `cache_refill` keys; with `work`, a burst's application work evicts the
 * same, its short part at the pace wtime (time's if 0, which the models'
 * keys, positive, never give; sim_host_work_refill). */
void sim_host_set_refill(struct sim_host *h, double cpu, double time,
			 double lcpu, double ltime, bool work, double wtime);
/* A burst of thread t that gets a core whose last thread belonged to
 * another process (both with a process, sim_thread_set_proc) needs `cpu`
 * more: the other process evicted t's private working set. Combined with
 * the idle refill as described at host.c's charge(). Round robin only
 * (quantum > 0): processor sharing has no cores to remember. */
void sim_host_set_switch_refill(struct sim_host *h, double cpu);
/* Bit of sim_host.slow: the refill has a long part. */
#define SIM__HOST_LONG 2
/* Bit of sim_host.slow: the EEVDF scheduler (sim_host.eevdf), tested on
 * the paths every burst takes from this hot field rather than the flag. */
#define SIM__HOST_EEVDF 4
/* R (1 - exp(-x / time)), R when time is 0 */
static inline double sim__refill_after(double r, double time, double x)
{
	return time > 0 ? -r * expm1(-x / time) : r;
}
/* The refill of the server's own code (parsing, routing, writing the
 * answer) that runs after `app` seconds of the application's CPU in one
 * burst: while the application computes, its work and the machine's other
 * tenants evict the server's working set, the same two parts as after an
 * idle (sim_host_set_refill), the short one at its own pace: an idle core
 * loses it sooner than the work makes it (measured: sim/runtime/model.h;
 * probably because an idle core goes to others, on a VM another tenant's
 * vCPU on the physical core).
 * The models add it to a callback's CPU after its `cpu` phases; 0
 * without a cache refill. */
static inline double sim_host_work_refill(const struct sim_host *h, double app)
{
	if (!(h->work_refill > 0) || !(app > 0))
		return 0; /* the simple path: one test */
	double r = sim__refill_after(h->refill, h->work_time, app);
	if (h->slow & SIM__HOST_LONG)
		r +=
		    sim__refill_after(h->refill_long, h->refill_long_time, app);
	return r;
}
/* For a model among thousands (a fleet of replicas), whose states do not
 * all fit in the caches: two events before a burst of h ends, the kernel
 * calls ahead(arg) (sim_set_fetcher), which fetches the lines of the
 * model's state that the end touches (sim_prefetch, reading nothing);
 * one event before, and again when it ends (in case an event came
 * between), fetch(arg) reads those lines and fetches what else the end
 * will touch (the request whose burst ends, the next one), all their
 * lines at once rather than one miss after another as the model's code
 * finds them. fetch NULL: nothing; ahead NULL: only fetch. */
void sim_host_set_prefetch(struct sim_host *h, void (*ahead)(const void *arg),
			   void (*fetch)(const void *arg), const void *arg);
/* The next burst of t writes a response, after which the server goes on
 * with a share of its own work (a model's after_response): that share of
 * the cache refill the burst pays (idle and switch refills) is held back
 * in t->held rather than added to the burst, for the model to run after
 * the response. 0: none held (every burst's default). */
static inline void sim_thread_after(struct sim_thread *t, double share)
{
	t->after = share;
}
/* The next burst of t runs `part` (0 to 1) of the server's own code of a
 * request, not all of it (a gunicorn worker's response after the app's
 * last wait: response_share): of the idle refill, what the server's code
 * lost while the core idled or ran other processes' work, it pays that
 * part, the refill of the code it runs; the switch refill stays whole.
 * The rest of the code stays cold, kept in t->rest (sim_thread_keep_rest)
 * for the burst that starts the process's next request
 * (sim_thread_pay_rest; host.c, idle_refill). Read when that burst
 * starts, then back to all (every burst's default, and part 1's); t must
 * not have a burst in progress (sim_host_run). */
static inline void sim_thread_refill_part(struct sim_thread *t, double part)
{
	assert((t->core & t->hpos) < 0);
	t->start.spared = part < 1 ? (float)(1 - (part > 0 ? part : 0)) : 0;
	t->start.pays_rest = false;
}
/* The next burst of t starts a request (a worker's accept and parse,
 * gthread's main thread's accept): it runs all of the server's code, and
 * pays, besides its own idle refill, what its process's last response
 * left cold on that core (sim_thread_refill_part). Read when that burst
 * starts; a burst split by the GIL or a preemption pays it in its first
 * part only, and other bursts (the GIL's retakes, work without the GIL)
 * never. t must not have a burst in progress. */
static inline void sim_thread_pay_rest(struct sim_thread *t)
{
	assert((t->core & t->hpos) < 0);
	t->start.spared = 0;
	t->start.pays_rest = true;
}
/* The threads of one process share its code: what one leaves cold the
 * next request of any of them pays, kept in *rest (NULL, the default:
 * lost). */
static inline void sim_thread_keep_rest(struct sim_thread *t,
					struct sim_rest *rest)
{
	t->rest = rest;
}
/* What t's last burst held back (sim_thread_after), now taken: t->held
 * and t->after go back to 0. */
static inline double sim_thread_take_held(struct sim_thread *t)
{
	double h = t->held;
	t->held = 0;
	t->after = 0;
	return h;
}
/* Says which process t belongs to (any stable pointer per process). */
void sim_thread_set_proc(struct sim_thread *t, const void *proc);
/* When thread t, becoming runnable now, would get a core: now if a core
 * is idle or t holds one between two bursts (its on_done), else the
 * earliest end of a core's hold if threads wait (hold_end: a quantum's
 * end, or at once past it with wake-up preemption); now under processor
 * sharing. The GIL's hand-over reads it (gil.h). */
double sim_host_core_at(const struct sim_host *h, const struct sim_thread *t,
			double now);
/* Stops t's burst wherever it is (running or queued), e.g. a killed worker
 * or a thread made to drop the GIL; on_done is not called. Returns the CPU
 * the burst still needed (0 if t had no burst). */
double sim_host_abort(struct sim_host *h, struct sim_thread *t);
/* Stalls: each core of h stops at Poisson times, `rate` a second of the
 * time between them, for a time drawn from *time (kept: it must outlive
 * the host), from a stream of its own derived from `key` (the model's
 * stream's: replicas stall apart). A core that stops under a thread holds
 * it: the thread's slice ends that much later, and the host counts the
 * time busy, as a guest that is not told of it charges it to whatever
 * ran (CPU, not steal). An idle core that stops takes no thread until the
 * stall ends: a thread that becomes runnable meanwhile takes another
 * core, or waits. Round robin only (quantum > 0). Returns 0 or
 * SIM_ENOMEM. */
int sim_host_set_stalls(struct sim_host *h, double rate,
			const struct sim_dist *time, uint64_t key);
/* Resets the host's statistics at the end of warm-up. */
void sim_host_reset_stats(struct sim_host *h, double now);
/* Appends the host's figures (utilization.cpu, context switches). */
void sim_host_report(struct sim_host *h, const char *prefix,
		     struct sim_metrics *m);

#endif
