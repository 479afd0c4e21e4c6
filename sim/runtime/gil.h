/*
 * gil.h - CPython's global interpreter lock, as a mechanism shared by the
 * Python models (worker pool with threads, ASGI async).
 *
 * A Python thread holds the GIL for as long as it keeps running Python:
 * it asks for CPU with sim_py_run(), and when the burst is over and the
 * thread does not immediately ask for more (it blocks on I/O, or waits for
 * work), the GIL is released. A thread that wants the GIL while another
 * holds it waits; if the holder has not let go after the switch interval
 * (sys.getswitchinterval(), 5 ms, CPython Python/ceval_gil.c), a drop
 * request forces it to hand over at once and queue behind the others. An
 * I/O-bound thread beside a CPU-bound one therefore waits up to an interval
 * after every I/O: the convoy effect (bpo-7946). With the GIL disabled
 * (free-threaded build, PEP 703/779) threads only share the cores.
 *
 * Who takes a released GIL. A waiter is asleep on the GIL's condition
 * or runnable: it can run, it has not yet, and the first runnable one to
 * get a core finds the GIL free and takes it (CPython Python/ceval_gil.c
 * take_gil: a thread that finds the GIL unlocked takes it, whoever was
 * signalled). So a released GIL goes to a runnable waiter first, else to
 * the one asleep longest (a holder forced out sleeps at the back). A
 * waiter is runnable while it cannot have a core: no core is idle and no
 * core's thread can be preempted yet (each has held its core for less
 * than the host's quantum or, without wake-up preemption, is before its
 * quantum's boundary: sim_host_core_at); once it could have had one, it
 * has run, found the GIL held, and sleeps from then. Three ways make a
 * waiter runnable, and the scheduler (EEVDF: the eligible thread with the
 * earliest virtual deadline) picks among them in this order:
 *  - signalled: a release woke it from the GIL's condition while the
 *    holder kept its core. CPython's drop_gil() signals the condition at
 *    every release, also around a call that returns at once (accept(),
 *    send()), after which the holder takes the GIL back before anyone
 *    else can run. The first asleep is woken, but not the one the holder
 *    forced out as it took the GIL (woken by the take itself through
 *    switch_cond, it is not asleep on the GIL again yet). It waited on the
 *    run queue through other threads' slices before it slept, and comes
 *    back with that lag: the earliest deadline;
 *  - preempted: a holder forced out while another thread takes its core
 *    keeps its place in its slice, a deadline closer than a new one;
 *  - woken: it came to want the GIL (its I/O ended, it was handed work)
 *    after a burst of its own, and comes back with a deadline a slice
 *    away. Within each, the one that became runnable first.
 * A gthread worker's main thread forces a long request out, accepts a
 * connection (its sock.accept() lets the GIL go and takes it back:
 * `drops`, Modules/socketmodule.c) and hands it to the thread that serves
 * it, woken; when the main thread lets the GIL go, a long request takes
 * it first: behind two or more, one asleep that the accept signalled;
 * behind one, the one preempted. A thread that lets the GIL go around a
 * send (sim_py_yield) keeps it unless the waiter that would take it can
 * have a core at once (on a busy core the sender, not preempted, takes it
 * back first); its release still signals a sleeper. A thread that wants
 * the GIL as its own burst ends (C code that released it) is on its core
 * and waits in turn. Measured with scripts/calibrate-gil.sh (SCHED=1 reads
 * the scheduler's record) and docs/validation.md.
 * (The switch interval after which a waiter forces the holder out counts
 * from when the first waiter came, a runnable one too, where CPython's
 * counts from when it blocks: at most a quantum sooner.)
 */
#ifndef SIM_GIL_H
#define SIM_GIL_H

#include <stdbool.h>

#include "runtime/config.h"
#include "runtime/host.h"

struct sim_pythread;

/* A Python model's GIL as its three keys give it (SIM_GIL_PARAMS). */
struct sim_gil_cfg {
	bool on;	 /* false: a free-threaded build */
	double interval; /* switch interval */
	double handoff;	 /* CPU charged to a thread taking it from another */
};

/* The rows of the three GIL keys (gil, gil_interval, gil_handoff) of a
 * model whose config struct `cfg` has a struct sim_gil_cfg `field`, with
 * the model's help for each. The defaults are CPython's: the GIL is there
 * unless the build is free-threaded (PEP 703, supported since 3.14 by PEP
 * 779); sys.getswitchinterval() is DEFAULT_INTERVAL, 5000 us
 * (Python/ceval_gil.c). The hand-off, a futex wake-up of the waiting thread
 * plus cold caches, is a guess of a few microseconds, not a measurement. */
#define SIM_GIL_PARAMS(cfg, field, on_help, interval_help, handoff_help)       \
	SIM_PARAM("gil", SIM_PT_BOOL, cfg, field.on, .def = 1, .min = 0,       \
		  .max = 1, .flags = SIM_P_GIL, .help = (on_help)),            \
	    SIM_PARAM("gil_interval", SIM_PT_DURATION, cfg, field.interval,    \
		      .def = 5e-3, .min = 1e-6, .max = 10,                     \
		      .flags = SIM_P_GIL_SLICE, .help = (interval_help)),      \
	    SIM_PARAM("gil_handoff", SIM_PT_DURATION, cfg, field.handoff,      \
		      .def = 5e-6, .min = 0, .max = 1,                         \
		      .flags = SIM_P_OVERHEAD, .help = (handoff_help))

struct sim_gil {
	struct sim_host *host;
	bool enabled;
	double interval; /* switch interval */
	double handoff;	 /* CPU charged to a thread taking the GIL from
			    another (wake-up, cache refill) */
	struct sim_pythread *holder, *last;
	struct sim_pythread *forcing; /* the holder being forced out, while
					 the next takes the GIL */
	struct sim_pythread *wq_head, *wq_tail;
	size_t nwait;
	sim_ev drop_ev;
	struct sim_tw waiting; /* threads waiting for the GIL */
	uint64_t handoffs, forced;
	double t_reset;
};

struct sim_pythread {
	struct sim_thread t; /* first: the host's view of this thread */
	struct sim_gil *gil;
	void (*on_done)(struct sim_pythread *pt);
	void *owner;
	double need; /* CPU still needed by the current burst */
	int running; /* has a burst in progress (waiting or on CPU) */
	/* while it wants the GIL: since when and until when it is runnable
	 * rather than asleep on it, and how it became so (see above); asleep
	 * (runnable_until <= now), the order in which they sleep */
	double woke, runnable_until;
	enum sim_py_runnable {
		SIM_PY_SIGNALLED, /* the order among runnable ones (above) */
		SIM_PY_PREEMPTED,
		SIM_PY_WOKEN
	} how;
	bool drops; /* each of its bursts starts with a call that lets the
			GIL go and returns at once (accept): it signals a
			sleeper (above) */
	struct sim_pythread *next;
};

/* Initialises a GIL of the host's threads. */
void sim_gil_init(struct sim_gil *g, struct sim_host *h, bool enabled,
		  double interval, double handoff);
/* Initialises a Python thread; on_done(pt) is called when a burst given to
 * sim_py_run() has had its CPU. */
void sim_pythread_init(struct sim_pythread *pt, struct sim_gil *g,
		       void (*on_done)(struct sim_pythread *), void *owner);
/* Runs `cpu` seconds of Python on pt, taking the GIL first if needed. */
void sim_py_run(struct sim_pythread *pt, double cpu);
/* Runs `cpu` seconds on pt with the GIL released: C code that dropped it
 * (Py_BEGIN_ALLOW_THREADS: hashing, compression, blocking calls that burn
 * CPU). pt only needs a core; if it holds the GIL it lets it go first, so
 * that a waiting thread takes it. on_done(pt) is called as for
 * sim_py_run(); a later sim_py_run() takes the GIL again. */
void sim_py_run_nogil(struct sim_pythread *pt, double cpu);
/* pt holds the GIL between two steps of Python and releases it around a
 * blocking call that returns at once (a socket send): if a waiter can
 * have a core at once, the one that would take a released GIL takes it
 * and pt waits to take it back (a burst of no CPU: on_done(pt) is called
 * when it has), runnable (above) or behind the waiters. Returns false,
 * and pt keeps the GIL, when pt does not hold it, nobody waits for it, or
 * the waiter cannot run before pt takes it back (the release then only
 * signals a sleeper, above). */
bool sim_py_yield(struct sim_pythread *pt);
/* Stops pt's burst (e.g. its worker was killed) and gives up the GIL. */
void sim_py_abort(struct sim_pythread *pt);
void sim_gil_reset_stats(struct sim_gil *g, double now);
/* Appends queues.mean.gil, queues.max.gil and gil.{handoffs,forced}_per_s
 * (group names prefixed by `prefix` if non-NULL). */
void sim_gil_report(struct sim_gil *g, const char *prefix,
		    struct sim_metrics *m);

#endif
