/*
 * event_loop.c - a single-threaded event loop: Node.js with libuv.
 *
 * Each process has one loop thread that runs callbacks to completion in
 * FIFO order, so a long CPU phase holds up every other request of that
 * process (head-of-line blocking). Network I/O needs no thread (epoll on
 * the loop thread, libuv docs/src/design.rst): the request just waits and
 * its completion callback joins the loop's queue. `pool` phases go to the
 * libuv threadpool (UV_THREADPOOL_SIZE, default 4, max 1024; one FIFO
 * queue per process, libuv src/threadpool.c).
 *
 * The loop alternates between polling and running what it polled: events
 * that happen while it runs a batch (new connections, I/O completions) are
 * seen at the next poll. New connections wait in the kernel's listen
 * backlog (511, Node net.md `server.listen` backlog default) until that
 * poll accepts them all; when the backlog is full the connection is
 * refused. With `processes` > 1 the cluster primary accepts and hands
 * connections round-robin to the workers (Node cluster docs: the default
 * on every platform but Windows), so the backlog only fills if the
 * primary falls behind, which it does not here.
 *
 * Memory. A process's footprint is its base (`process_memory`, plus
 * `thread_memory` per threadpool thread) and `request_memory` per request
 * it holds, from the connection to the response (sim/runtime/memory.c). When
 * the host has a `memory` limit and the processes on it go over, the kernel
 * OOM-kills the largest (SIGKILL): every request the process held fails
 * (`killed`) at once, whatever it was doing: queued for the loop, on it,
 * waiting for I/O, in the threadpool. The process comes back
 * `restart_time` later (respawned by whoever supervises it: the cluster
 * primary's `exit` handler calling cluster.fork(), pm2, systemd, the
 * container runtime). Meanwhile a lone process refuses connections: nothing
 * listens on the port. In a cluster the primary hands connections only to
 * the workers alive (round robin over the others); once the last one is
 * gone it closes the listening socket and the connections queued for the
 * workers (lib/internal/cluster/round_robin_handle.js, remove()), so new
 * connections are refused until a worker is back.
 *
 * Connections. A request's first callback costs `request_overhead`, and on
 * a new connection `connection_overhead` (accept, socket set-up) and with
 * TLS `tls_overhead`; a kept-alive connection (the client layer keeps it
 * `keepalive_timeout`, Node's server.keepAliveTimeout) skips both. A
 * session (WebSocket) is accepted the same way and then costs its process
 * `connection_memory` and no thread while it waits for messages; a
 * message is a callback on that process's loop.
 *
 * Not modelled: V8's own heap limit (--max-old-space-size: "JavaScript heap
 * out of memory" aborts the process before the host limit when the heap is
 * the problem); garbage that survives the requests; the primary's memory.
 *
 * With `overheads: zero` and a single `cpu` phase this is exactly an M/G/1
 * FIFO queue.
 */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>

#include "runtime/host.h"
#include "runtime/io.h"
#include "runtime/loop.h"
#include "runtime/memory.h"
#include "runtime/model.h"
#include "runtime/procset.h"

#define MiB (1024.0 * 1024.0)
#define KiB 1024.0

struct el_cfg {
	int processes;
	int threadpool;
	int backlog;
	double request_overhead;
	double callback_overhead;
	double wakeup_overhead;
	struct sim_mem_cfg mem;
	double restart_time;
	struct sim_conn_cfg conn;
	struct sim_refill_cfg refill;
	double after;
};

static const struct sim_param el_params[] = {
    SIM_PARAM("processes", SIM_PT_INT, struct el_cfg, processes, .def = 1,
	      .min = 1, .max = 4096, .flags = SIM_P_PROCESSES,
	      .help = "cluster worker processes, each with its own loop"),
    SIM_PARAM("threadpool", SIM_PT_INT, struct el_cfg, threadpool, .def = 4,
	      .min = 1, .max = 1024, .flags = SIM_P_THREADS,
	      .help =
		  "libuv threadpool threads per process (UV_THREADPOOL_SIZE)"),
    SIM_PARAM("backlog", SIM_PT_INT, struct el_cfg, backlog, .def = 511,
	      .min = 1, .max = 1 << 20, .flags = SIM_P_QUEUE,
	      .help = "listen backlog; connections beyond it are refused"),
    /* request_overhead 53 us: an empty request to Node 20 (http,
     * scripts/validate/node_app.js) on a new connection with 8 in flight,
     * pinned to one core of the 2-vCPU EPYC VM of scripts/validate-real.sh,
     * costs 87-95 us of CPU, less the 38 us the model charges for it
     * without request_overhead (the connection): 49 and 57 us in the two
     * runs of scripts/calibrate-refill.sh that set the refill (below,
     * 2026-12-05), the median. The VM of 2026-12-03 and 04 (the same kind,
     * another host) cost 100-161 us (62-123 us over the connection). An
     * earlier machine (2026-11-28, a 2.1 GHz Xeon VM, scripts/calibrate.sh)
     * measured a bare server at 52-78 us a request on a new connection,
     * connection included (19-26 us kept alive). */
    SIM_PARAM("request_overhead", SIM_PT_DURATION, struct el_cfg,
	      request_overhead, .def = 53e-6, .min = 0, .max = 3600,
	      .flags = SIM_P_OVERHEAD,
	      .help = "CPU per request or message on an open connection: "
		      "HTTP parsing, framework"),
    /* connection_overhead 38 us: a bare server's request on a new
     * connection against one kept alive on the 2026-11-28 machine (60
     * against 22 us, see request_overhead; scripts/calibrate-conn.sh on
     * 2026-12-01, a 2.6 GHz EPYC VM, found 104 us (16-259) new minus
     * kept-alive: a noisy machine). tls_overhead 745 us: a full TLS 1.3
     * handshake with an ECDSA P-256 certificate, measured by
     * scripts/calibrate-conn.sh on 2026-12-01 (987 us with RSA 2048).
     * keepalive_timeout: Node's server.keepAliveTimeout, 5000 ms
     * (doc/api/http.md, Node 8 to 22; 65 s from Node PR #62782).
     * connection_memory: an idle `ws` WebSocket (Node 20, ws 8.11) adds 5689 B
     * of RSS, 10 000 of them opened, measured by scripts/calibrate-conn.sh on
     * 2026-12-01. */
    SIM_CONN_PARAMS(struct el_cfg, conn, 38e-6, 745e-6, 5.0, 5689),
    /* cache_refill 53 us and cache_refill_long 449 us: Node 20 (http,
     * scripts/validate/node_app.js) pinned to one core of the 2-vCPU EPYC
     * VM, the pooled fit of two runs of scripts/calibrate-refill.sh
     * (sim/runtime/model.h gives the points and the time constants). The
     * runs alone: 34 and 76 us, 509 and 427 us; the VM of 2026-12-03 and
     * 04: 203 and 984 us, over 4.2 and 30 ms. A refill after an idle gap g
     * or after c of the application's own cpu phases (cache_refill_work)
     * costs cache_refill x (1 - exp(-x / t)) + cache_refill_long x (1 -
     * exp(-x / cache_refill_long_time)), x = g or c and t =
     * cache_refill_time or cache_refill_work_time.
     * Machines differ: the refill is what the server's working set lost while
     * it waited or the application computed (here a shared VM whose physical
     * cores run other tenants; on bare metal the deep C-states and the
     * application's own memory); the README says how to measure yours
     * (scripts/calibrate-refill.sh). */
    SIM_REFILL_PARAMS(struct el_cfg, refill, 53e-6, 449e-6),
    /* after_response 0.27: Node 20 (scripts/validate/node_app.js) pinned to
     * one core of the 2-vCPU EPYC VM, at 20/s of 1 ms requests, idle
     * between them (scripts/calibrate-after.sh, 2026-12-02 17:26 UTC):
     * perf trace of its syscalls, three windows of ~85 requests, medians:
     * from the epoll wake-up to the end of res.end()'s writev 1.88-1.92
     * ms (1 ms of it the burn), from there to the next epoll_pwait
     * 0.32-0.35 ms (the JS to shutdown(SHUT_WR), close(), back to
     * epoll_pwait): 0.26-0.28 of the server's own work per request comes
     * after the response, 0.27 the median. (Traced by hand earlier that
     * day: 0.66 ms after, 0.36.) */
    SIM_AFTER_PARAM(struct el_cfg, after, 0.27,
		    "Node 20 measured 0.27 (scripts/calibrate-after.sh)"),
    /* An awaited round trip on an open TCP connection (write, poll, read,
     * promise resolution) costs 12-15 us of CPU (scripts/calibrate.sh,
     * as above); a bare loop turn costs under 1 us. concsim charges an
     * I/O phase's CPU here, at its completion: 13 us. */
    SIM_PARAM("callback_overhead", SIM_PT_DURATION, struct el_cfg,
	      callback_overhead, .def = 13e-6, .min = 0, .max = 3600,
	      .flags = SIM_P_OVERHEAD,
	      .help = "CPU per later callback (I/O or pool completion)"),
    /* An idle loop woken by an event (the thread's wake-up, epoll_wait's
     * return, libuv's timers and prepare/check phases): a request costs
     * 90 us of CPU with one in flight, so that every request wakes the
     * loop, against 64 us with 8 in flight (scripts/calibrate.sh, as
     * above): 25 us per wake-up. */
    SIM_PARAM("wakeup_overhead", SIM_PT_DURATION, struct el_cfg,
	      wakeup_overhead, .def = 25e-6, .min = 0, .max = 3600,
	      .flags = SIM_P_OVERHEAD,
	      .help = "CPU when an event wakes the idle loop"),
    /* process_memory: a Node process with an HTTP server loaded is ~50-60
     * MiB RSS. request_memory: request + response objects, socket and
     * buffers, a guess. */
    SIM_MEMORY_PARAMS(struct el_cfg, mem, "process", 55 * MiB,
		      "threadpool thread", "in flight", 16 * KiB),
    /* From the kill to a new process serving: fork/exec, V8 start-up and
     * loading the application's modules. A guess of 0.5 s (a bare Node
     * process starts in ~50 ms; a framework and its dependencies take
     * longer), not a measurement; a container restart adds more. */
    SIM_RESTART_PARAM(struct el_cfg, restart_time, "process", 0.5),
};

struct el;

struct el_proc {
	/* first (procset.h); its last fields (mem.host, up, limited) are the
	 * first that a request reads of its process */
	struct sim_member pm;
	/* what a request touches, together after them (EL_PROC_HOT) */
	struct el *m;
	uint8_t upto;  /* the phase the running callback's request goes on to */
	bool slow;     /* callbacks pay a work refill or an after_response */
	bool cpu_only; /* every phase of the workload's classes is cpu */
	struct sim_thread thread; /* the loop's */
	struct sim_loop loop;
	/* the threadpool: `pool` phases only, made at the first (pool_open:
	 * 10,000 replicas of a workload without one kept 4 MiB of threads) */
	struct sim_thread *pool;  /* threadpool threads; owner: request */
	struct sim_thread **idle; /* idle pool threads (stack), after pool */
	int nidle;
	struct sim_queue poolq;
	double held; /* after_response: the loop's work after the answer */
};

/* Where the fields of a process that a request touches begin, and their
 * bytes from there: through the loop's hot part (loop.h, SIM_LOOP_HOT). */
#define EL_PROC_HOT_AT (offsetof(struct el_proc, pm.mem.host))
#define EL_PROC_HOT                                                            \
	(offsetof(struct el_proc, loop) + SIM_LOOP_HOT - EL_PROC_HOT_AT)

/* One allocation (sim_instance_new's, or a slab of replicas) holds the
 * model with a lone process and its own host. A fleet of replicas visits
 * thousands of these, each line a cache miss unless fetched ahead, so the
 * fields a request reads or writes are laid out by what it touches, in
 * three runs of whole cache lines, ten lines in all (the static
 * assertions below), and the parent fetches those (el_fetch), not the
 * state's other sixteen lines (statistics read by reports, the threadpool,
 * processor sharing, memory, set-up):
 *   line 0     the model's own: workload, config, host, counts, the cost
 *              of a first callback;
 *   lines 1-3  the host's hot part (host.h, SIM_HOST_HOT), from its
 *              first byte, which the kernel fetches as the burst's
 *              object (sim_set_fetcher);
 *   2 lines    the lag's moments (stats.h, SIM_HIST_HOT) and the process
 *              set's per-request part (procset.h);
 *   4 lines    the process's hot fields (EL_PROC_HOT): its memory test,
 *              the loop thread's burst and the loop.
 * The cold fields of each struct sit before or after its hot ones; the
 * padding arrays put each run's first hot byte on a line boundary. */
struct el {
	const struct sim_workload *wl; /* ctx.wl, here: every callback */
	const struct el_cfg *cfg;
	struct sim_host *host;
	/* connections beyond which a new one is refused: with one process,
	 * its listen backlog; a cluster's primary accepts at once (INT_MAX).
	 * The processes are ps.n. */
	int backlog;
	int unaccepted; /* connections no process has polled yet: with one
			   process, its listen backlog */
	struct sim_first_cost first; /* request_overhead and the connection's */
	struct sim_host own_host;
	double t_reset;
	struct sim_ctx ctx;
	struct {
		_Alignas(64) unsigned char lag_at[64 - SIM_HIST_HOT % 64];
		struct sim_hist lag;
		struct sim_procset ps; /* the processes (struct el_proc) */
	};
	struct {
		_Alignas(64) unsigned char one_at[64 - EL_PROC_HOT_AT % 64];
		struct el_proc one; /* the process when there is one */
	};
};

/* run 1: line 0 and the host's hot part, lines 1 to 3 */
_Static_assert(offsetof(struct el, own_host) == 64 &&
		   offsetof(struct el, own_host) + SIM_HOST_HOT <= 4 * 64,
	       "the model's line, then the host's hot part in three lines");
/* run 2: the lag's moments and the process set's per-request part */
#define EL_RUN2	    (offsetof(struct el, lag) + SIM_HIST_HOT)
#define EL_RUN2_LEN (offsetof(struct el, ps.inflight.t0) - EL_RUN2)
_Static_assert(EL_RUN2 % 64 == 0 && EL_RUN2_LEN <= 2 * 64,
	       "the lag's moments and the process set's hot part: 2 lines");
/* run 3: the process */
#define EL_RUN3 (offsetof(struct el, one) + EL_PROC_HOT_AT)
_Static_assert(EL_RUN3 % 64 == 0 && EL_PROC_HOT <= 4 * 64,
	       "the process's hot fields: 4 lines from a line boundary");
_Static_assert(
    offsetof(struct el, one.pm.mem.limited) < EL_RUN3 + 64 &&
	offsetof(struct el, one.loop.busy_tw.max) < EL_RUN3 + EL_PROC_HOT &&
	offsetof(struct el, ps.port.ctx) < EL_RUN2 + EL_RUN2_LEN &&
	offsetof(struct el, ps.inflight.open) < EL_RUN2 + EL_RUN2_LEN &&
	offsetof(struct el, first) + sizeof(struct sim_first_cost) <= 64,
    "a request's fields inside the runs");

_Static_assert(SIM_LINES(offsetof(struct el, own_host) + SIM_HOST_HOT) +
		       SIM_LINES(EL_RUN2_LEN) + SIM_LINES(EL_PROC_HOT) ==
		   10,
	       "ten lines");

/* What a request touches of the state (sim_model_ops.fetch, and two
 * events before a burst ends, sim_host_set_prefetch): the three runs, ten
 * lines, fetched together; addresses only, nothing read. */
static void el_fetch(const void *state)
{
	const unsigned char *b = state;
	sim_prefetch_lines(
	    b, SIM_LINES(offsetof(struct el, own_host) + SIM_HOST_HOT));
	sim_prefetch_lines(b + EL_RUN2, SIM_LINES(EL_RUN2_LEN));
	sim_prefetch_lines(b + EL_RUN3, SIM_LINES(EL_PROC_HOT));
}

/* A request's phase i as the workload defines it (sim_req_phase_kind,
 * from the model's line rather than the context's). */
static inline enum sim_phase_kind
phase_kind(const struct el *m, const struct sim_request *r, size_t i)
{
	return m->wl->classes[r->cls].phases[i].kind;
}

static void loop_next(struct el_proc *p);
static void run_slow(struct el_proc *p, struct sim_request *r, size_t i,
		     double cpu);

/* r's process lets it go: it ends with outcome o (inline: every request
 * ends here). */
static inline void finish(struct el *m, struct sim_request *r,
			  enum sim_outcome o)
{
	sim_procset_finish(&m->ps, r->mptr, r, o);
}

/* An event for r happened (connection, I/O or pool completion): the loop
 * sees it at its next poll. */
static void post(struct el_proc *p, struct sim_request *r)
{
	if (sim_loop_post(&p->loop, r))
		loop_next(p);
}

static void io_done(struct sim *s, void *obj, uint64_t arg)
{
	struct sim_request *r = (struct sim_request *)(uintptr_t)arg;
	r->phase++;
	post(obj, r);
}

static void pool_start(struct el_proc *p, struct sim_thread *t,
		       struct sim_request *r);

/* A pool thread finished r's blocking work. */
static void pool_finish(struct el_proc *p, struct sim_thread *t,
			struct sim_request *r)
{
	r->phase++;
	post(p, r);
	struct sim_request *n = sim_queue_pop(&p->poolq, p->m->ctx.s->now);
	if (n) {
		pool_start(p, t, n);
	} else {
		t->owner = NULL;
		p->idle[p->nidle++] = t;
	}
}

static void pool_io_done(struct sim *s, void *obj, uint64_t arg)
{
	struct sim_request *r = (struct sim_request *)(uintptr_t)arg;
	r->mtag = 0;
	pool_finish(r->mptr, obj, r);
}

static void pool_start(struct el_proc *p, struct sim_thread *t,
		       struct sim_request *r)
{
	struct el *m = p->m;
	t->owner = r;
	if (sim_req_phase_on_cpu(&m->ctx, r, r->phase))
		sim_host_run(m->host, t, r->demand[r->phase]);
	else /* the handle, in case the process is killed meanwhile */
		r->mtag = sim_after(m->ctx.s, r->demand[r->phase], pool_io_done,
				    t, (uint64_t)(uintptr_t)r);
}

static int pool_open(struct el_proc *p);

/* r's `pool` phase: to an idle pool thread, or the pool's queue. Out of
 * line, so that advance stays small enough for loop_done to inline. */
static __attribute__((noinline)) void pool_submit(struct el_proc *p,
						  struct sim_request *r)
{
	if ((p->pool || pool_open(p) == 0) && p->nidle > 0)
		pool_start(p, p->idle[--p->nidle], r);
	else /* all busy (or no memory: the simulation stops) */
		sim_queue_push(&p->poolq, r, p->m->ctx.s->now);
}

/* Moves r on after a callback consumed its leading cpu phases: start its
 * I/O, hand it to the pool, or answer it. */
static void advance(struct el_proc *p, struct sim_request *r)
{
	struct el *m = p->m;
	if (r->abandoned && m->wl->client.cancel) {
		finish(m, r, SIM_OUT_TIMEOUT);
		return;
	}
	if (r->phase >= r->nphases) {
		finish(m, r, SIM_OUT_OK);
		return;
	}
	switch (phase_kind(m, r, r->phase)) {
	case SIM_PHASE_IO:
	case SIM_PHASE_CALL: /* the loop is free until the answers come */
	case SIM_PHASE_PARALLEL:
		sim_io_start(&m->ctx, r, io_done, p);
		break;
	case SIM_PHASE_POOL:
		pool_submit(p, r);
		break;
	case SIM_PHASE_CPU: /* unreachable: callbacks consume cpu phases */
		post(p, r);
		break;
	}
}

static void loop_done(struct sim_thread *t);

/* The loop thread's work after a response (after_response) is over. */
static void after_done(struct sim_thread *t)
{
	t->on_done = loop_done;
	loop_next(t->owner);
}

/* The callback that wrote r's response is over: r is answered, and the
 * loop goes on with the server's work after it (closing, freeing) before
 * its next callback; the loop stays busy meanwhile. */
static void answered(struct sim_thread *t)
{
	struct el_proc *p = t->owner;
	struct sim_request *r = sim_loop_done(&p->loop);
	r->phase = p->upto;
	advance(p, r);
	double held = p->held + sim_thread_take_held(t);
	p->held = 0;
	if (held > 0) {
		t->on_done = after_done;
		sim_host_run(p->m->host, t, held);
	} else {
		t->on_done = loop_done;
		loop_next(p);
	}
}

/* A callback of cpu (its overhead and the cpu phases before phase i) on a
 * server whose callbacks pay more: the refill of the code after the
 * application's work (cache_refill_work), and when it writes the
 * response, after_response's share of the server's own work held back
 * until the request is answered. Out of line: the plain path (M/M/1 with
 * overheads zero) only tests p->slow. */
static __attribute__((noinline)) void
run_slow(struct el_proc *p, struct sim_request *r, size_t i, double cpu)
{
	struct el *m = p->m;
	double app = sim_req_demand(r, r->phase, i);
	cpu += sim_host_work_refill(m->host, app);
	p->upto = (uint8_t)i;
	if (p->loop.woke)
		cpu += m->cfg->wakeup_overhead;
	double share = m->cfg->after;
	if (share > 0 && i >= r->nphases) {
		double own = cpu - app;
		p->held = own > 0 ? share * own : 0;
		cpu -= p->held;
		sim_thread_after(&p->thread, share);
		p->thread.on_done = answered;
	}
	sim_host_run(m->host, &p->thread, cpu);
}

/* The loop is free: run the next callback on its thread. Inline into
 * loop_done, the end of every callback; out of line (loop_next) for the
 * loop's waking up. */
static inline __attribute__((always_inline)) void
loop_next_inline(struct el_proc *p)
{
	struct el *m = p->m;
	struct sim_request *r = sim_loop_next(&p->loop);
	if (!r)
		return;
	double cpu = sim_loop_first(r) ? sim_first_cost(&m->first, r)
				       : m->cfg->callback_overhead;
	size_t i = r->phase;
	if (r->abandoned && m->wl->client.cancel)
		cpu = 0; /* the socket is closed: nothing to do */
	else { /* consecutive cpu phases are synchronous code: one callback */
		if (p->cpu_only) /* the same, reading no phase's kind */
			for (; i < r->nphases; i++)
				cpu += r->demand[i];
		else
			for (; i < r->nphases &&
			       phase_kind(m, r, i) == SIM_PHASE_CPU;
			     i++)
				cpu += r->demand[i];
		if (p->slow) { /* a refill, a share after the answer */
			run_slow(p, r, i, cpu);
			return;
		}
	}
	p->upto = (uint8_t)i;
	if (p->loop.woke)
		cpu += m->cfg->wakeup_overhead;
	sim_host_run(m->host, &p->thread, cpu);
}

static void loop_next(struct el_proc *p)
{
	loop_next_inline(p);
}

static void loop_done(struct sim_thread *t)
{
	struct el_proc *p = t->owner;
	struct sim_request *r = sim_loop_done(&p->loop);
	r->phase = p->upto; /* past the phases the callback ran */
	advance(p, r);
	loop_next_inline(p);
}

static void pool_thread_done(struct sim_thread *t)
{
	struct sim_request *r = t->owner;
	pool_finish(r->mptr, t, r);
}

/* ------------------------------------------------------- OOM kills -- */

static double proc_base(const struct el_cfg *cfg)
{
	return cfg->mem.process + cfg->threadpool * cfg->mem.thread;
}

/* Idle pool threads, the lowest index on top of the stack (none before
 * pool_open). */
static void pool_all_idle(struct el_proc *p, int n)
{
	p->nidle = 0;
	for (int k = 0; p->pool && k < n; k++)
		p->idle[p->nidle++] = &p->pool[n - 1 - k];
}

/* p's threadpool, at its first `pool` phase: its threads and their
 * stack in one allocation, all idle. 0, or SIM_ENOMEM (the simulation
 * stops). */
static int pool_open(struct el_proc *p)
{
	struct el *m = p->m;
	size_t n = (size_t)m->cfg->threadpool;
	p->pool = calloc(1, n * (sizeof *p->pool + sizeof *p->idle));
	if (!p->pool) {
		m->ctx.s->stop = SIM_ENOMEM;
		return SIM_ENOMEM;
	}
	p->idle = (struct sim_thread **)(p->pool + n);
	for (size_t k = 0; k < n; k++)
		sim_thread_init(&p->pool[k], m->host, pool_thread_done, NULL);
	pool_all_idle(p, (int)n);
	return 0;
}

/* A request of a killed process fails: its pool timer goes too. */
static void forget_killed(void *proc, struct sim_request *r)
{
	struct el_proc *p = proc;
	sim_cancel(p->m->ctx.s, (sim_ev)r->mtag);
	r->mtag = 0;
}

/* The kernel OOM-killed process p (sim/runtime/memory.c, p is already down):
 * its loop and threads stop, its timers are cancelled, every request it held
 * fails, and a new process starts after restart_time. */
static void killed(struct sim_proc *mp)
{
	struct el_proc *p = mp->owner;
	struct el *m = p->m;
	struct sim *s = m->ctx.s;
	sim_host_abort(m->host, &p->thread);
	p->thread.on_done = loop_done; /* not after its answer any more */
	sim_thread_take_held(&p->thread);
	p->held = 0;
	sim_loop_stop(&p->loop, NULL);
	for (int k = 0; p->pool && k < m->cfg->threadpool; k++) {
		struct sim_thread *t = &p->pool[k];
		if (t->owner)
			sim_host_abort(m->host, t);
		t->owner = NULL;
	}
	pool_all_idle(p, m->cfg->threadpool);
	sim_queue_clear(&p->poolq, s->now);
	sim_procset_killed(&m->ps, &p->pm); /* back after restart_time */
	/* every request it held: queued, on the loop, in I/O, in the pool */
	sim_procset_fail_held(&m->ps, &p->pm, forget_killed);
}

/* A burst of a replica among thousands is about to end
 * (sim_host_set_prefetch: the state came one event ago): the request
 * whose callback ends (its first line: phase, outcome, process), the one
 * whose callback runs next and the parent's entry (port.ctx: the
 * balancer's, whose first line holds what the answer touches,
 * replicas.c) have likely left the caches since the burst began. */
static void fetch(const void *arg)
{
	const struct el *m = arg;
	const struct sim_request *cur = m->one.loop.cur;
	if (cur)
		sim_prefetch_lines(cur, 1);
	const struct sim_request *next = m->one.loop.ready.head;
	if (next)
		sim_prefetch_lines(next, SIM_REQ_LINES);
	sim_prefetch(m->ps.port.ctx, 64);
}

/* Whether every phase of every class of wl (sessions' included) is a cpu
 * phase: then a callback runs all of a request's phases (loop_next). */
static bool cpu_only(const struct sim_workload *wl)
{
	for (size_t c = 0; c < wl->nclasses + wl->nextra; c++)
		for (size_t i = 0; i < wl->classes[c].nphases; i++)
			if (wl->classes[c].phases[i].kind != SIM_PHASE_CPU)
				return false;
	return true;
}

static int el_init(void *state, const struct sim_ctx *ctx)
{
	struct el *m = state;
	const struct el_cfg *cfg = ctx->sys->config;
	m->ctx = *ctx;
	m->wl = ctx->wl;
	m->cfg = cfg;
	sim_first_cost_init(&m->first, cfg->request_overhead, &cfg->conn);
	m->host = sim_ctx_host(ctx, &m->own_host);
	if (!m->host)
		return SIM_ENOMEM;
	sim_host_set_refill(m->host, cfg->refill.cpu, cfg->refill.time,
			    cfg->refill.lcpu, cfg->refill.ltime,
			    cfg->refill.work, cfg->refill.wtime);
	if (ctx->crowded && m->host == &m->own_host && cfg->processes == 1)
		sim_host_set_prefetch(m->host, el_fetch, fetch, m);
	int err = 0;
	if (ctx->folded)
		sim_hist_init_moments(&m->lag);
	else
		err = sim_hist_init(&m->lag);
	if (err < 0)
		return err;
	m->backlog = cfg->processes == 1 ? cfg->backlog : INT_MAX;
	err = sim_procset_init(&m->ps, &m->ctx, m->host,
			       &(struct sim_procset_cfg){
				   .n = cfg->processes,
				   .size = sizeof(struct el_proc),
				   .base = proc_base(cfg),
				   .per_req = cfg->mem.request,
				   .per_sess = cfg->conn.memory,
				   .restart_time = cfg->restart_time,
				   .on_kill = killed,
				   .one = &m->one,
			       });
	if (err < 0)
		return err;
	for (int i = 0; i < m->ps.n; i++) {
		struct el_proc *p = sim_procset_at(&m->ps, i);
		p->m = m;
		/* a shared host's refill is set by every model on it */
		p->slow =
		    ctx->host || m->host->work_refill > 0 || cfg->after > 0;
		p->cpu_only = cpu_only(m->wl);
		sim_loop_init(&p->loop, m->ctx.s, &m->lag, &m->unaccepted);
		sim_thread_init(&p->thread, m->host, loop_done, p);
	}
	return 0;
}

static void el_release(void *state)
{
	struct el *m = state;
	for (int i = 0; i < m->ps.n; i++) {
		struct el_proc *p = sim_procset_at(&m->ps, i);
		free(p->pool); /* and the stack after it */
	}
	sim_procset_release(&m->ps);
	sim_hist_release(&m->lag);
	if (m->host)
		sim_ctx_host_release(&m->ctx, &m->own_host);
}

/* Process p takes connection r (connect). */
static inline __attribute__((always_inline)) void
admit(struct el *m, struct el_proc *p, struct sim_request *r, bool session)
{
	sim_procset_hold(&p->pm, r);
	if (session)
		sim_procset_arrive_session(&m->ps);
	else
		sim_procset_arrive(&m->ps);
	if (sim_loop_connect(&p->loop, r))
		loop_next(p);
}

/* admit for a process under a memory limit, whose hold calls out: out of
 * line, so that connect keeps nothing across a call. */
static __attribute__((noinline)) void admit_limited(struct el *m,
						    struct el_proc *p,
						    struct sim_request *r,
						    bool session)
{
	admit(m, p, r, session);
}

/* A new connection r (a request, or with `session` a session): it waits
 * in the listen backlog for a process's next poll. */
static inline __attribute__((always_inline)) void
connect(struct el *m, struct sim_request *r, bool session)
{
	struct el_proc *p = sim_procset_pick(&m->ps);
	/* nobody listens (every process is down after an OOM kill); one
	 * process: the kernel backlog of its listen socket is full; cluster:
	 * the primary accepts at once and passes the handle on */
	if (!p || m->unaccepted >= m->backlog) {
		sim_port_done(&m->ctx.port, r, SIM_OUT_REFUSED);
		return;
	}
	m->unaccepted++;
	r->mtag = 0;
	if (p->pm.mem.limited)
		admit_limited(m, p, r, session);
	else
		admit(m, p, r, session);
}

static void el_submit(void *state, struct sim_request *r)
{
	connect(state, r, false);
}

/* A session connects like a request and is held in its io phase, which
 * costs its process `connection_memory` and no thread. */
static void el_session(void *state, struct sim_request *r)
{
	connect(state, r, true);
}

/* A message on an open session: an event on the connection its process
 * holds, seen at the loop's next poll (no accept, no backlog). */
static void el_message(void *state, struct sim_request *r)
{
	struct el *m = state;
	struct sim_request *session = r->mptr;
	struct el_proc *p = session->mptr;
	r->mtag = 0;
	sim_procset_hold(&p->pm, r);
	sim_procset_arrive(&m->ps);
	post(p, r);
}

static void el_reset_stats(void *state, double now)
{
	struct el *m = state;
	sim_host_reset_stats(m->host, now);
	for (int i = 0; i < m->ps.n; i++) {
		struct el_proc *p = sim_procset_at(&m->ps, i);
		sim_loop_reset_stats(&p->loop, now);
		sim_tw_reset(&p->poolq.tw, now);
	}
	sim_procset_reset_stats(&m->ps, now);
	sim_hist_reset(&m->lag);
	m->t_reset = now;
}

static void el_report(void *state, struct sim_metrics *mt)
{
	struct el *m = state;
	const struct el_cfg *cfg = m->cfg;
	double now = m->ctx.s->now;
	struct sim_loop_figs loops = {0};
	double qpool = 0, mpool = 0;
	for (int i = 0; i < m->ps.n; i++) {
		struct el_proc *p = sim_procset_at(&m->ps, i);
		sim_loop_tally(&p->loop, &loops);
		qpool += sim_tw_mean(&p->poolq.tw, now);
		if (p->poolq.tw.max > mpool)
			mpool = p->poolq.tw.max;
	}
	sim_host_report(m->host, NULL, mt);
	sim_metrics_put(mt, "utilization", "loop", loops.busy / m->ps.n);
	sim_metrics_put(mt, "queues.mean", "loop", loops.qmean);
	sim_metrics_put(mt, "queues.mean", "pool", qpool);
	sim_inflight_report(&m->ps.inflight, now, false, mt);
	sim_metrics_put(mt, "queues.max", "loop", loops.qmax);
	sim_metrics_put(mt, "queues.max", "pool", mpool);
	sim_inflight_report(&m->ps.inflight, now, true, mt);
	sim_loop_report_lag(&m->lag, mt);
	sim_procset_report_memory(
	    &m->ps,
	    sim_procset_peak(&m->ps, m->ps.n * proc_base(cfg), cfg->mem.request,
			     cfg->conn.memory),
	    mt);
}

static void el_conn(const struct sim_system *sys, struct sim_conn_cfg *out)
{
	*out = ((const struct el_cfg *)sys->config)->conn;
}

static size_t el_inflight(void *state)
{
	return ((struct el *)state)->ps.inflight.n;
}

const struct sim_model_ops sim_model_event_loop = {
    .name = "event-loop",
    .summary = "Node.js: one loop thread per process, libuv threadpool",
    .params = el_params,
    .nparams = sizeof el_params / sizeof el_params[0],
    .config_size = sizeof(struct el_cfg),
    .state_size = sizeof(struct el),
    .init = el_init,
    .submit = el_submit,
    .reset_stats = el_reset_stats,
    .report = el_report,
    .inflight = el_inflight,
    .release = el_release,
    .conn = el_conn,
    .session = el_session,
    .message = el_message,
    .fetch = el_fetch,
};
