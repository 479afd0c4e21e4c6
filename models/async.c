/*
 * async.c - ASGI async: uvicorn running a FastAPI/Starlette application.
 *
 * Each of the `workers` processes (uvicorn --workers, default 1) runs one
 * asyncio event loop on its main Python thread. The loop works like the
 * Node.js loop of event_loop.c, at Python's cost: callbacks run to
 * completion in FIFO order, a CPU phase of an `async def` handler blocks
 * every other request of that process, an `io` await frees the loop, and
 * events that happen while a batch runs (new connections, I/O and thread
 * completions) are seen at the next poll. New connections wait in the
 * listen backlog (uvicorn --backlog, default 2048) until a poll accepts
 * them; when it is full they are refused.
 *
 * `io` phases go through the shared io mechanism (sim/runtime/io.c): with a
 * workload downstream (a database pool) they first wait for a connection.
 *
 * `def` handlers (`handler: sync`) run in the anyio worker thread pool:
 * FastAPI calls them through Starlette's run_in_threadpool, i.e.
 * anyio.to_thread.run_sync under the default CapacityLimiter(40) (anyio
 * docs, "Working with threads"). A request waits for a token in one FIFO
 * per process (the limiter's waiters are served in order), then a thread
 * runs the handler's phases: `cpu` is Python and needs the GIL, `io` is a
 * blocking call that holds the thread but releases the GIL, `pool` is
 * blocking work that burns CPU with the GIL released (or only waits, with
 * `cpu: false`). The result goes back to the loop as a callback, and only
 * when the loop runs it do the thread and the token become free again
 * (anyio's WorkerThread reports its result with call_soon_threadsafe and
 * rejoins the idle workers from there; the token is released when the
 * awaiting task resumes). `pool` phases of async handlers go to the same
 * pool (run_in_threadpool, asyncio.to_thread). Threads start lazily and are
 * kept (anyio retires a thread idle for 10 s; we keep them all), so the
 * memory estimate counts the most threads ever in use.
 *
 * The GIL (sim/runtime/gil.c) is per process: the loop thread and the pool
 * threads take turns running Python. The loop keeps the GIL while it has
 * callbacks to run and lets it go when it polls with nothing to do; a thread
 * that waits for it forces a hand-off after the switch interval (5 ms), so an
 * I/O-bound sync handler beside a CPU-bound async one waits up to an
 * interval after each I/O (the convoy effect, bpo-7946). `gil: false` is
 * the free-threaded build (PEP 703/779).
 *
 * `limit_concurrency` (uvicorn, default none): a request parsed while the
 * process already has that many requests in flight is answered 503 by the
 * loop (uvicorn httptools_impl.py, on_headers_complete). uvicorn also
 * counts open connections, including the new one, so the real server
 * answers 503 one request earlier than this model.
 *
 * Simplification: the processes share one listen socket, and whichever
 * loop polls first takes a connection; here connections are dealt to the
 * processes round-robin, and the backlog counts the connections not yet
 * accepted by any process.
 *
 * A request whose client gave up (with `client.cancel`) is dropped at its
 * next phase boundary: on the loop, in the token line, or in its thread.
 *
 * Memory. A worker's footprint is `process_memory`, `thread_memory` per
 * pool thread it has started and `request_memory` per request dealt to it
 * (sim/runtime/memory.c). When the host has a `memory` limit and its processes
 * go over, the kernel OOM-kills the largest (SIGKILL): every request the worker
 * had accepted fails (`killed`), wherever it was (queued, on the loop, awaiting
 * I/O, waiting for a token or the GIL, in a thread). The worker serves again
 * `restart_time` later. With `workers` > 1 uvicorn's supervisor holds the
 * listening socket and, polling its children every 0.5 s, starts a new process
 * for a dead one (supervisors/multiprocess.py, keep_subprocess_alive, uvicorn
 * >= 0.30): connections not yet accepted by the dead worker stay in the shared
 * backlog and go to the others, and while none is alive they wait there. With
 * one worker uvicorn runs the server in its main process, without a supervisor:
 * the socket dies with it, its backlog is reset (`killed`), and until whatever
 * restarts it (systemd, the container runtime) has done so, connections are
 * refused.
 *
 * Connections. As in event_loop.c: `connection_overhead` and
 * `tls_overhead` on a new connection, none on a kept-alive one (uvicorn's
 * timeout_keep_alive); a session (a WebSocket through `websockets`) is an
 * awaited receive costing `connection_memory`, counted by
 * limit_concurrency as uvicorn counts connections; a message is a
 * callback on the loop of the worker holding it.
 *
 * Not modelled: asyncio.to_thread really uses the loop's default
 * executor (min(32, cores + 4) threads), not anyio's limiter; waking a
 * task that waited for a token takes one more loop callback (here it
 * starts at once); anyio retiring idle threads; uvloop's lower
 * per-callback cost; memory a worker keeps after its requests.
 *
 * With `overheads: zero`, one worker and a single `cpu` phase this is an
 * M/G/1 FIFO queue; with a sync handler doing only `io`, an M/G/c queue
 * with c = threadpool.
 */
#include <assert.h>
#include <stddef.h>
#include <stdlib.h>

#include "runtime/gil.h"
#include "runtime/host.h"
#include "runtime/io.h"
#include "runtime/loop.h"
#include "runtime/memory.h"
#include "runtime/model.h"
#include "runtime/procset.h"
#include "runtime/pygc.h"

#define MiB (1024.0 * 1024.0)
#define KiB 1024.0

struct as_cfg {
	int workers;
	int threadpool;
	struct sim_gil_cfg gil;
	int limit_concurrency;
	int backlog;
	double request_overhead;
	double callback_overhead;
	double thread_overhead;
	double wakeup_overhead;
	struct sim_mem_cfg mem;
	double restart_time;
	struct sim_conn_cfg conn;
	struct sim_refill_cfg refill;
	struct sim_pygc_cfg gc;
	double after;
	bool batched_writes;
};

static const struct sim_param as_params[] = {
    /* uvicorn settings docs: --workers defaults to $WEB_CONCURRENCY or 1 */
    SIM_PARAM("workers", SIM_PT_INT, struct as_cfg, workers, .def = 1, .min = 1,
	      .max = 4096, .flags = SIM_P_PROCESSES,
	      .help = "worker processes, each with its own event loop and GIL"),
    /* anyio.to_thread default limiter: CapacityLimiter(40) (anyio docs,
     * "Working with threads"); Starlette's run_in_threadpool uses it */
    SIM_PARAM("threadpool", SIM_PT_INT, struct as_cfg, threadpool, .def = 40,
	      .min = 1, .max = 1 << 16, .flags = SIM_P_THREADS,
	      .help = "anyio thread pool tokens per process"),
    SIM_GIL_PARAMS(
	struct as_cfg, gil,
	"one thread per process runs Python at a time (false: free-threaded)",
	"switch interval before a waiting thread forces a GIL hand-off",
	"CPU charged to a thread taking the GIL from another"),
    /* uvicorn --limit-concurrency, default None */
    SIM_PARAM("limit_concurrency", SIM_PT_INT, struct as_cfg, limit_concurrency,
	      .min = 0, .max = 1 << 30,
	      .help = "requests in flight per process beyond which new ones "
		      "get 503 (0: none)"),
    /* uvicorn --backlog, default 2048 */
    SIM_PARAM("backlog", SIM_PT_INT, struct as_cfg, backlog, .def = 2048,
	      .min = 1, .max = 1 << 20, .flags = SIM_P_QUEUE,
	      .help = "listen backlog; connections beyond it are refused"),
    /* httptools parsing, ASGI scope, Starlette routing, FastAPI dependency
     * resolution and pydantic serialisation. request_overhead 68 us: an
     * empty request to uvicorn + FastAPI with uvloop and httptools
     * (scripts/validate/py_apps.py) on a new connection with 8 in
     * flight, pinned to one core of the 2-vCPU EPYC VM of
     * scripts/validate-real.sh, costs 122-127 us of CPU, less the 56.4
     * us the model charges for it without request_overhead (the
     * connection's 46 us, its other per-request keys and its share of
     * the collector's work at gc_object_cost 0.38 us; 60 us at 0.5): 65
     * and 71 us in the two runs of scripts/calibrate-refill.sh that set
     * the refill (below, 2026-12-05), their median (140-207 us, 202-267 of CPU,
     * on the VM of 2026-12-03 and 04, another host). On the 2026-11-28 machine
     * (a 2.1 GHz Xeon VM, scripts/calibrate.sh, uvicorn 0.17, FastAPI 0.92,
     * pydantic 1.10, CPython 3.11) a request on a new connection cost 154 us
     * with uvloop and httptools (uvicorn[standard]), 393 us with asyncio and
     * h11 (plain uvicorn), 109 us kept alive: the connection's 46 us is
     * that difference, rounded. */
    SIM_PARAM("request_overhead", SIM_PT_DURATION, struct as_cfg,
	      request_overhead, .def = 68e-6, .min = 0, .max = 3600,
	      .flags = SIM_P_OVERHEAD,
	      .help = "CPU per request or message on an open connection: "
		      "parsing, framework"),
    /* an awaited round trip on an open TCP connection (write, selector
     * poll, read, coroutine step): 13.6 us with uvloop, 18.6 us with
     * asyncio (scripts/calibrate.sh, as above); a bare loop turn is
     * about 2 us */
    SIM_PARAM("callback_overhead", SIM_PT_DURATION, struct as_cfg,
	      callback_overhead, .def = 15e-6, .min = 0, .max = 3600,
	      .flags = SIM_P_OVERHEAD,
	      .help = "CPU per later loop callback (I/O or thread completion, "
		      "503 answer)"),
    /* Handing a job to the thread pool and its result back: anyio's
     * to_thread.run_sync (limiter, work queue, the thread's wake-up) and
     * call_soon_threadsafe. A FastAPI `def` endpoint costs 76-100 us more
     * CPU per request than the same `async def` one (scripts/calibrate.sh,
     * as above); concsim already charges the result's callback and two GIL
     * hand-offs (about 25 us): 60 us more, run as Python by the thread
     * before its job (in reality split between the loop and the thread,
     * both under the same GIL). */
    SIM_PARAM("thread_overhead", SIM_PT_DURATION, struct as_cfg,
	      thread_overhead, .def = 60e-6, .min = 0, .max = 3600,
	      .flags = SIM_P_OVERHEAD,
	      .help = "Python CPU per job handed to the thread pool (anyio)"),
    /* An idle loop woken by an event (the thread's wake-up, the selector's
     * return, the loop's bookkeeping): with one request in flight, so
     * that every request wakes the loop, a request costs 45-77 us more
     * CPU than with 8 (scripts/calibrate.sh, as above; FastAPI on uvloop
     * 70 us, on asyncio 59 us): 60 us per wake-up. */
    SIM_PARAM("wakeup_overhead", SIM_PT_DURATION, struct as_cfg,
	      wakeup_overhead, .def = 60e-6, .min = 0, .max = 3600,
	      .flags = SIM_P_OVERHEAD,
	      .help = "Python CPU when an event wakes the idle loop"),
    /* process_memory: a Python worker with a framework loaded is ~30 MiB
     * RSS (gunicorn issue 1250, s2i-python-container PR 180).
     * request_memory: an asyncio task with its coroutine is ~1-2 KiB, plus
     * uvicorn's protocol and request cycle objects, the scope dict and
     * buffers: a guess of ~4 KiB more. */
    SIM_MEMORY_PARAMS(struct as_cfg, mem, "worker", 30 * MiB,
		      "pool thread started", "in flight", 6 * KiB),
    /* From the kill to a new worker serving: the supervisor notices within
     * its 0.5 s poll (uvicorn supervisors/multiprocess.py), then the new
     * process imports the application (FastAPI, pydantic, the app's own
     * modules). A guess of 1 s in all, not a measurement. */
    SIM_RESTART_PARAM(struct as_cfg, restart_time, "worker", 1),
    /* connection_overhead 46 us: see request_overhead. tls_overhead 726 us:
     * a full TLS 1.3 handshake (ECDSA P-256), measured by
     * scripts/calibrate-conn.sh on 2026-12-01 (996 us with RSA 2048).
     * keepalive_timeout: uvicorn's timeout_keep_alive, 5 s (uvicorn/config.py).
     * A session is a WebSocket served by the `websockets` library (10.4): 25
     * 898 B of RSS each, 10 000 idle ones opened, measured by
     * scripts/calibrate-conn.sh on 2026-12-01 (the websockets docs,
     * topics/memory.rst, say 70 KiB with compression). */
    SIM_CONN_PARAMS(struct as_cfg, conn, 46e-6, 726e-6, 5.0, 25898),
    /* cache_refill 172 us and cache_refill_long 379 us: uvicorn +
     * FastAPI (scripts/validate/py_apps.py) pinned to one core of the
     * 2-vCPU EPYC VM, the pooled fit of two runs of
     * scripts/calibrate-refill.sh (sim/runtime/model.h gives the points
     * and the time constants). The runs alone: 128 and 218 us, 416 and
     * 387 us; the VM of 2026-12-03 and 04: 386 and 421 us, over 4.2 and
     * 30 ms. A refill after an idle gap g or after c of the application's
     * own cpu phases (cache_refill_work) costs cache_refill x (1 - exp(-x
     * / t)) + cache_refill_long x (1 - exp(-x / cache_refill_long_time)),
     * x = g or c and t = cache_refill_time or cache_refill_work_time.
     * Machines differ: the refill is what the server's working set lost while
     * it waited or the application computed (here a shared VM whose physical
     * cores run other tenants; on bare metal the deep C-states and the
     * application's own memory); the README says how to measure yours
     * (scripts/calibrate-refill.sh). */
    SIM_REFILL_PARAMS(struct as_cfg, refill, 172e-6, 379e-6),
    /* uvloop (uvicorn[standard]'s loop) buffers a small write: a
     * transport's write() below the high-water mark (64 KiB) queues the
     * stream (uvloop/handles/stream.pyx, _initiate_write: _queue_write),
     * and the loop writes the queued streams once the callbacks of the
     * turn have all run (uvloop/loop.pyx: _on_idle runs the `ntodo`
     * ready handles, then _exec_queued_writes; the check phase does the
     * same after the poll's I/O callbacks). A response written by one
     * request's callback leaves after every later callback found by the
     * same poll: measured (uvicorn + FastAPI on uvloop, one core, 62/s of
     * 90 % 1 ms and 10 % 20 ms requests, 30 s, 2026-12-06 01:15 UTC), a 1
     * ms request sent less than 0.5 ms before a 20 ms one was answered
     * at the same instant as it, 20 ms late, and of two 1 ms requests
     * sent less than 0.5 ms apart 28 of 46 were answered together. The
     * asyncio loop's transports write at once (false); so does the
     * textbook server of `overheads: zero`. */
    SIM_PARAM("batched_writes", SIM_PT_BOOL, struct as_cfg, batched_writes,
	      .def = 1, .min = 0, .max = 1, .flags = SIM_P_OVERHEAD,
	      .help = "a response leaves when the loop has run every "
		      "callback its poll found (uvloop's queued writes); "
		      "false: at once (asyncio's loop)"),
    /* after_response 0.10: uvicorn + FastAPI with uvloop (scripts/validate/
     * py_apps.py) pinned to one core of the 2-vCPU EPYC VM, at 20/s of 1
     * ms requests, idle between them (scripts/calibrate-after.sh,
     * 2026-12-02 17:26 UTC): perf trace of its syscalls, three windows of
     * ~86 requests, medians: from the wake-up to the end of the
     * response's write 2.03-2.28 ms (1 ms of it the burn), from there to
     * the next epoll_wait 0.11-0.14 ms: 0.10 of the server's own work per
     * request comes after the response in each window. (Traced by hand
     * earlier that day: 0.36 ms after, 0.18.) */
    SIM_AFTER_PARAM(struct as_cfg, after, 0.10,
		    "uvicorn + FastAPI measured 0.10 "
		    "(scripts/calibrate-after.sh)"),
    /* CPython's cyclic GC: runtime/pygc.h, with the measurements */
    SIM_PYGC_PARAMS(struct as_cfg, gc),
};

struct as;
struct as_proc;

/* An anyio worker thread. */
struct as_worker {
	struct sim_pythread pt; /* its Python thread under the process GIL */
	struct as_proc *p;
	struct sim_request *r; /* its job, until the loop took the result */
	int end;	       /* the job stops before this phase */
	sim_ev ev;	       /* a blocking wait that burns no CPU */
	bool handoff;	       /* running thread_overhead, before the job */
};

/* One uvicorn worker process. */
struct as_proc {
	struct sim_member pm; /* first: footprint, requests held, restart */
	struct as *m;
	struct sim_gil gil;
	struct sim_loop loop;
	struct sim_pythread thread; /* the event loop's (main) thread */
	int active;		    /* accepted, not answered: the 503 limit */
	struct as_worker *workers;  /* `threadpool` of them */
	struct as_worker **idle;    /* idle workers (stack) */
	int nidle;
	int ntok;     /* tokens (= threads) in use */
	int peak;     /* most threads ever in use: started, never retired */
	int nthreads; /* threads started by this process (since a restart) */
	struct sim_tw tok_tw;
	struct sim_queue tokq; /* waiting for a token */
	struct sim_pygc gc;    /* its cyclic garbage collector */
	double held;  /* after_response: the loop's work after the answer */
	bool answers; /* the running callback writes a response */
	struct sim_queue written; /* responses waiting for the turn's end */
	double turn_held; /* after_response work of those (batched_writes) */
};

struct as {
	struct sim_ctx ctx;
	const struct as_cfg *cfg;
	struct sim_host *host, own_host;
	struct sim_procset ps; /* the workers (struct as_proc) */
	int nprocs;
	int unaccepted;		  /* connections in the shared listen backlog */
	struct sim_queue orphans; /* in the backlog while no worker is alive */
	struct sim_hist lag;
	double t_reset;
	struct sim_first_cost first; /* request_overhead and the connection's */
	bool gc;		     /* the cyclic GC costs CPU */
};

/* r->mtag: the anyio worker running r's job (index + 1; 0: none) in the
 * low bits, the GC epoch of r's objects (sim_pygc_alloc) above them */
#define WORKER_BITS 24
#define WORKER_MASK ((UINT64_C(1) << WORKER_BITS) - 1)

/* 0x1 and 0x80 are the loop's: SIM_LOOP_ACCEPTED, SIM_LOOP_CONN */
#define FLAG_ACTIVE  0x2 /* counted in its process's `active` */
#define FLAG_REJECT  0x4 /* over limit_concurrency: the callback sends 503 */
#define FLAG_RESPOND 0x8 /* sync handler returned: the callback answers */

static void loop_next(struct as_proc *p);
static void worker_step(struct as_worker *w);
static void worker_wait_done(struct sim *s, void *obj, uint64_t arg);

static bool cancelled(const struct as *m, const struct sim_request *r)
{
	return r->abandoned && m->ctx.wl->client.cancel;
}

static bool is_cpu(const struct as *m, const struct sim_request *r, size_t i)
{
	return sim_req_phase_kind(&m->ctx, r, i) == SIM_PHASE_CPU;
}

/* r, off its process's list, leaves its worker. */
static void forget(void *proc, struct sim_request *r)
{
	struct as_proc *p = proc;
	if (r->flags & FLAG_ACTIVE) {
		p->active--;
		if (p->m->gc)
			sim_pygc_free(&p->gc, r->mtag >> WORKER_BITS);
	}
	r->mtag = 0;
}

static void finish(struct as *m, struct sim_request *r, enum sim_outcome o)
{
	struct as_proc *p = r->mptr;
	forget(p, r);
	sim_procset_finish(&m->ps, &p->pm, r, o);
}

/* How a request whose callback wrote its response ends: a 503 if
 * FLAG_REJECT, else answered. */
static enum sim_outcome answer(const struct sim_request *r)
{
	return r->flags & FLAG_REJECT ? SIM_OUT_UNAVAILABLE : SIM_OUT_OK;
}

/* The responses written in the loop's turn leave (batched_writes). */
static void flush_written(struct as_proc *p)
{
	struct sim_request *r;
	while ((r = sim_queue_unlink(&p->written)))
		sim_procset_finish(&p->m->ps, &p->pm, r, answer(r));
}

/* r's callback wrote its response (a 503 if FLAG_REJECT): with
 * batched_writes it leaves when the turn's last callback is over
 * (callback_over), else now. Its task is over either way: it leaves the
 * concurrency limit and its objects are freed now; only the bytes wait. */
static void respond(struct as_proc *p, struct sim_request *r)
{
	if (!p->m->cfg->batched_writes) {
		finish(p->m, r, answer(r));
		return;
	}
	forget(p, r);
	r->flags &= ~FLAG_ACTIVE;
	sim_queue_link(&p->written, r);
}

/* An event for r happened (connection, I/O or thread completion): the loop
 * sees it at its next poll. */
static void post(struct as_proc *p, struct sim_request *r)
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

/* ------------------------------------------------------ the thread pool -- */

static void set_tokens(struct as_proc *p, int ntok)
{
	p->ntok = ntok;
	if (ntok > p->nthreads) { /* anyio starts a thread */
		sim_proc_grow(&p->pm.mem,
			      (ntok - p->nthreads) * p->m->cfg->mem.thread);
		p->nthreads = ntok;
	}
	if (ntok > p->peak)
		p->peak = ntok;
	sim_tw_set(&p->tok_tw, p->m->ctx.s->now, ntok);
}

/* Gives r's job to worker w (which holds a token). A sync handler's job is
 * all its phases; an async handler's is its one `pool` phase. */
static void worker_take(struct as_proc *p, struct as_worker *w,
			struct sim_request *r)
{
	struct as *m = p->m;
	w->r = r;
	w->end = sim_req_sync(&m->ctx, r) ? r->nphases : r->phase + 1;
	r->mtag = (r->mtag & ~WORKER_MASK) | ((uint64_t)(w - p->workers) + 1);
	if (m->cfg->thread_overhead > 0) {
		w->handoff = true;
		sim_py_run(&w->pt, m->cfg->thread_overhead);
		return;
	}
	worker_step(w);
}

/* r wants a thread: take a token if one is free, else wait in line. */
static void pool_submit(struct as_proc *p, struct sim_request *r)
{
	if (p->ntok < p->m->cfg->threadpool) {
		set_tokens(p, p->ntok + 1);
		worker_take(p, p->idle[--p->nidle], r);
	} else {
		sim_queue_push(&p->tokq, r, p->m->ctx.s->now);
	}
}

/* w's thread and token are free: the next request in line takes them
 * (requests whose client left meanwhile are dropped on the way). */
static void worker_release(struct as_proc *p, struct as_worker *w)
{
	struct as *m = p->m;
	struct sim_request *n;
	w->r->mtag &= ~WORKER_MASK;
	w->r = NULL;
	while ((n = sim_queue_pop(&p->tokq, m->ctx.s->now))) {
		if (!cancelled(m, n)) {
			worker_take(p, w, n);
			return;
		}
		finish(m, n, SIM_OUT_TIMEOUT);
	}
	p->idle[p->nidle++] = w;
	set_tokens(p, p->ntok - 1);
}

/* w's job is at a phase boundary: run the next phase, or hand the result
 * back to the loop (w stays taken until the loop runs that callback). */
static void worker_step(struct as_worker *w)
{
	struct as_proc *p = w->p;
	struct as *m = p->m;
	struct sim_request *r = w->r;
	if (cancelled(m, r)) {
		worker_release(p, w);
		finish(m, r, SIM_OUT_TIMEOUT);
		return;
	}
	if (r->phase >= w->end) {
		if (sim_req_sync(&m->ctx, r))
			r->flags |= FLAG_RESPOND;
		post(p, r);
		return;
	}
	double d = r->demand[r->phase];
	switch (sim_req_phase_kind(&m->ctx, r, r->phase)) {
	case SIM_PHASE_CPU:
		/* consecutive cpu phases are one stretch of Python */
		for (int i = r->phase + 1; i < w->end && is_cpu(m, r, i); i++)
			d += r->demand[i];
		sim_py_run(&w->pt, d + sim_host_work_refill(m->host, d));
		break;
	case SIM_PHASE_IO:
	case SIM_PHASE_CALL: /* a blocking call (requests, psycopg) */
	case SIM_PHASE_PARALLEL:
		/* blocking I/O (and a wait for a downstream connection): holds
		 * the thread, not the GIL */
		sim_io_start(&m->ctx, r, worker_wait_done, w);
		break;
	case SIM_PHASE_POOL:
		if (sim_req_phase_on_cpu(&m->ctx, r, r->phase))
			sim_py_run_nogil(&w->pt, d);
		else
			w->ev = sim_after(m->ctx.s, d, worker_wait_done, w, 0);
		break;
	}
}

/* A blocking wait of w's job is over. */
static void worker_wait_done(struct sim *s, void *obj, uint64_t arg)
{
	struct as_worker *w = obj;
	w->ev = 0;
	w->r->phase++;
	worker_step(w);
}

/* A burst of w's job had its CPU: Python (cpu phases) or GIL-free work
 * (an on-cpu pool phase). */
static void worker_burst_done(struct sim_pythread *pt)
{
	struct as_worker *w = pt->owner;
	struct sim_request *r = w->r;
	struct as *m = w->p->m;
	if (w->handoff) { /* the job itself starts now */
		w->handoff = false;
		worker_step(w);
		return;
	}
	if (is_cpu(m, r, r->phase))
		while (r->phase < w->end && is_cpu(m, r, r->phase))
			r->phase++;
	else
		r->phase++;
	worker_step(w);
}

/* -------------------------------------------------------------- the loop -- */

/* Moves an async handler on after a callback consumed its leading cpu
 * phases: await its I/O or offload its pool phase (callback_over answers
 * a request with none left). */
static void advance(struct as_proc *p, struct sim_request *r)
{
	struct as *m = p->m;
	assert(r->phase < r->nphases);
	switch (sim_req_phase_kind(&m->ctx, r, r->phase)) {
	case SIM_PHASE_IO:
	case SIM_PHASE_CALL: /* awaited: the loop is free meanwhile */
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

/* The CPU of r's callback; decides, for a new request, whether it is
 * admitted or answered 503. */
static double callback_cpu(struct as_proc *p, struct sim_request *r,
			   double *app)
{
	struct as *m = p->m;
	const struct as_cfg *cfg = m->cfg;
	double cpu = cfg->callback_overhead;
	*app = 0;
	p->answers = false;
	if (cancelled(m, r))
		return 0; /* the socket is closed: nothing to do */
	if (sim_loop_first(r)) {
		if (cfg->limit_concurrency > 0 &&
		    !(r->conn & SIM_CONN_MESSAGE) &&
		    p->active >= cfg->limit_concurrency) {
			/* parse the headers, write a canned 503 */
			r->flags |= FLAG_REJECT;
			p->answers = true;
			return cpu;
		}
		r->flags |= FLAG_ACTIVE;
		p->active++;
		cpu = sim_first_cost(&m->first, r);
		if (m->gc) { /* the request's objects, maybe a collection */
			uint64_t epoch;
			*app = sim_pygc_alloc(&p->gc, &epoch);
			cpu += *app;
			r->mtag = epoch << WORKER_BITS;
		}
		if (sim_req_sync(&m->ctx, r))
			return cpu; /* the handler itself runs in a thread */
	} else if (r->flags & FLAG_RESPOND) {
		p->answers = true;
		return cpu;
	}
	/* consecutive cpu phases are synchronous code: one callback */
	size_t i = r->phase;
	for (; i < r->nphases && is_cpu(m, r, i); i++)
		cpu += r->demand[i];
	double work = sim_req_demand(r, r->phase, i);
	*app += work;
	p->answers = i >= r->nphases;
	/* the code after them runs cold */
	return cpu + sim_host_work_refill(m->host, work);
}

/* The loop is free: run the next callback on its thread. Called from the
 * thread's on_done, so the loop keeps the GIL while it has callbacks and
 * lets it go when it finds none. */
static void loop_done(struct sim_pythread *pt);
static void answered(struct sim_pythread *pt);

static void loop_next(struct as_proc *p)
{
	struct sim_request *r = sim_loop_next(&p->loop);
	if (!r)
		return;
	double app;
	double cpu = callback_cpu(p, r, &app) +
		     (p->loop.woke ? p->m->cfg->wakeup_overhead : 0);
	double share = p->m->cfg->after;
	if (share > 0 && p->answers) {
		/* after_response: a share of the server's own work in this
		 * callback waits until the response has left */
		double own = cpu - app;
		p->held = own > 0 ? share * own : 0;
		cpu -= p->held;
		sim_thread_after(&p->thread.t, share);
		p->thread.on_done = answered;
	}
	sim_py_run(&p->thread, cpu);
}

/* The loop thread's work after a response (after_response) is over. */
static void after_done(struct sim_pythread *pt)
{
	pt->on_done = loop_done;
	loop_next(pt->owner);
}

/* Moves the request of the callback that just ended on. */
static void callback_over(struct as_proc *p)
{
	struct as *m = p->m;
	struct sim_request *r = sim_loop_done(&p->loop);
	/* a thread's result: the worker rejoins the idle ones and the task
	 * leaves the limiter */
	if (r->mtag & WORKER_MASK)
		worker_release(p, &p->workers[(r->mtag & WORKER_MASK) - 1]);
	if (r->flags & FLAG_REJECT) {
		respond(p, r);
	} else if (cancelled(m, r)) {
		finish(m, r, SIM_OUT_TIMEOUT);
	} else if (r->flags & FLAG_RESPOND) {
		respond(p, r);
	} else if (sim_req_sync(&m->ctx, r)) {
		pool_submit(p, r); /* run_in_threadpool(endpoint) */
	} else {
		while (r->phase < r->nphases && is_cpu(m, r, r->phase))
			r->phase++;
		if (r->phase >= r->nphases)
			respond(p, r);
		else
			advance(p, r);
	}
	/* the turn is over: what it wrote leaves */
	if (!p->loop.nready && p->written.head)
		flush_written(p);
}

/* The loop goes on after a callback (callback_over): with `held` of the
 * server's work after the responses written (after_response) first, the
 * loop busy meanwhile. With batched_writes that work follows the write
 * system calls, made at the turn's end: until then it adds up in
 * p->turn_held. */
static void go_on(struct as_proc *p, double held)
{
	struct sim_pythread *pt = &p->thread;
	if (p->m->cfg->batched_writes) {
		p->turn_held += held;
		held = 0;
		if (!p->loop.nready) { /* the turn is over, its writes made */
			held = p->turn_held;
			p->turn_held = 0;
		}
	}
	if (held > 0) {
		pt->on_done = after_done;
		sim_py_run(pt, held);
	} else {
		pt->on_done = loop_done;
		loop_next(p);
	}
}

static void loop_done(struct sim_pythread *pt)
{
	struct as_proc *p = pt->owner;
	callback_over(p);
	go_on(p, 0);
}

/* The callback that wrote a response is over: the request is answered
 * (with batched_writes, at the turn's end), and the loop goes on with the
 * server's work after it (closing, freeing). */
static void answered(struct sim_pythread *pt)
{
	struct as_proc *p = pt->owner;
	callback_over(p);
	double held = p->held + sim_thread_take_held(&pt->t);
	p->held = 0;
	go_on(p, held);
}

/* ------------------------------------------------------------ OOM kills -- */

/* Unaccepted connection r goes to worker p. */
static void admit(struct as_proc *p, struct sim_request *r)
{
	sim_procset_hold(&p->pm, r);
	if (sim_loop_connect(&p->loop, r))
		loop_next(p);
}

/* Unaccepted connection r goes to the next worker alive, or waits in the
 * backlog until one is back. */
static void deal(struct as *m, struct sim_request *r)
{
	struct as_proc *p = sim_procset_pick(&m->ps);
	if (p)
		admit(p, r);
	else
		sim_queue_push(&m->orphans, r, m->ctx.s->now);
}

/* Worker p serves again: connections waiting for a worker are dealt. */
static void restarted(struct sim_member *pm)
{
	struct as *m = ((struct as_proc *)pm)->m;
	struct sim_request *r;
	while ((r = sim_queue_pop(&m->orphans, m->ctx.s->now)))
		deal(m, r);
}

/* The kernel OOM-killed worker p (sim/runtime/memory.c, p is already down): its
 * loop and threads stop, its timers are cancelled, every request it had
 * accepted fails, and it serves again after restart_time. */
static void oom_killed(struct sim_proc *mp)
{
	struct as_proc *p = mp->owner;
	struct as *m = p->m;
	struct sim *s = m->ctx.s;
	double now = s->now;
	int n = m->cfg->threadpool;
	/* threads waiting for the GIL first, its holder last, so that the
	 * GIL is never handed to a thread about to be stopped */
	struct sim_pythread *holder = p->gil.holder;
	if (&p->thread != holder)
		sim_py_abort(&p->thread);
	for (int k = 0; k < n; k++)
		if (&p->workers[k].pt != holder)
			sim_py_abort(&p->workers[k].pt);
	if (holder)
		sim_py_abort(holder);
	p->thread.on_done = loop_done; /* not after its answer any more */
	sim_thread_take_held(&p->thread.t);
	p->held = 0;
	for (int k = 0; k < n; k++) {
		struct as_worker *w = &p->workers[k];
		sim_cancel(s, w->ev);
		w->ev = 0;
		w->r = NULL;
		w->handoff = false;
		p->idle[k] = &p->workers[n - 1 - k];
	}
	p->nidle = n;
	set_tokens(p, 0);
	p->nthreads = 0;
	/* connections it had not accepted yet: with a supervisor they are
	 * still in the shared backlog, without one they die with it */
	struct sim_queue redeal = {0};
	sim_loop_stop(&p->loop, m->nprocs > 1 ? &redeal : NULL);
	for (struct sim_request *r = redeal.head; r; r = r->next)
		sim_proc_drop(mp, r);
	sim_queue_clear(&p->tokq, now);
	sim_queue_clear(&p->written, now); /* never sent: failed below */
	p->turn_held = 0;
	sim_procset_killed(&m->ps, &p->pm); /* back after restart_time */
	sim_procset_fail_held(&m->ps, &p->pm, forget);
	assert(p->active == 0);
	sim_pygc_restart(&p->gc); /* a new process */
	struct sim_request *r;
	while ((r = sim_queue_pop(&redeal, now)))
		deal(m, r);
}

/* ------------------------------------------------------------ model ops -- */

static int as_init(void *state, const struct sim_ctx *ctx)
{
	struct as *m = state;
	const struct as_cfg *cfg = ctx->sys->config;
	m->ctx = *ctx;
	m->cfg = cfg;
	sim_first_cost_init(&m->first, cfg->request_overhead, &cfg->conn);
	m->gc = sim_pygc_on(&cfg->gc);
	m->host = sim_ctx_host(ctx, &m->own_host);
	if (!m->host)
		return SIM_ENOMEM;
	sim_host_set_refill(m->host, cfg->refill.cpu, cfg->refill.time,
			    cfg->refill.lcpu, cfg->refill.ltime,
			    cfg->refill.work, cfg->refill.wtime);
	int err = 0;
	if (ctx->folded)
		sim_hist_init_moments(&m->lag);
	else
		err = sim_hist_init(&m->lag);
	if (err < 0)
		return err;
	m->nprocs = cfg->workers;
	err = sim_procset_init(&m->ps, &m->ctx, m->host,
			       &(struct sim_procset_cfg){
				   .n = m->nprocs,
				   .size = sizeof(struct as_proc),
				   .base = cfg->mem.process,
				   .per_req = cfg->mem.request,
				   .per_sess = cfg->conn.memory,
				   .restart_time = cfg->restart_time,
				   .on_kill = oom_killed,
				   .on_restart = restarted,
			       });
	if (err < 0)
		return err;
	int n = cfg->threadpool;
	for (int i = 0; i < m->nprocs; i++) {
		struct as_proc *p = sim_procset_at(&m->ps, i);
		p->m = m;
		sim_gil_init(&p->gil, m->host, cfg->gil.on, cfg->gil.interval,
			     cfg->gil.handoff);
		sim_loop_init(&p->loop, m->ctx.s, &m->lag, &m->unaccepted);
		sim_pygc_init(&p->gc, &cfg->gc);
		sim_pythread_init(&p->thread, &p->gil, loop_done, p);
		p->workers = calloc((size_t)n, sizeof *p->workers);
		p->idle = calloc((size_t)n, sizeof *p->idle);
		if (!p->workers || !p->idle)
			return SIM_ENOMEM;
		for (int k = 0; k < n; k++) {
			struct as_worker *w = &p->workers[k];
			w->p = p;
			sim_pythread_init(&w->pt, &p->gil, worker_burst_done,
					  w);
			p->idle[p->nidle++] = &p->workers[n - 1 - k];
		}
	}
	return 0;
}

static void as_release(void *state)
{
	struct as *m = state;
	for (int i = 0; i < m->ps.n; i++) {
		struct as_proc *p = sim_procset_at(&m->ps, i);
		free(p->workers);
		free(p->idle);
	}
	sim_procset_release(&m->ps);
	sim_hist_release(&m->lag);
	if (m->host)
		sim_ctx_host_release(&m->ctx, &m->own_host);
}

/* A new connection r (a request, or with `session` a session). */
static inline __attribute__((always_inline)) void
connect(struct as *m, struct sim_request *r, bool session)
{
	struct as_proc *p = sim_procset_pick(&m->ps);
	/* a full backlog, or a lone worker killed: its socket is gone */
	if (m->unaccepted >= m->cfg->backlog || (!p && m->nprocs == 1)) {
		sim_port_done(&m->ctx.port, r, SIM_OUT_REFUSED);
		return;
	}
	m->unaccepted++;
	if (session)
		sim_procset_arrive_session(&m->ps);
	else
		sim_procset_arrive(&m->ps);
	if (p)
		admit(p, r);
	else /* every worker is down: the supervisor's socket queues it */
		sim_queue_push(&m->orphans, r, m->ctx.s->now);
}

static void as_submit(void *state, struct sim_request *r)
{
	connect(state, r, false);
}

/* A WebSocket connects like a request (counted by limit_concurrency, as
 * uvicorn counts its connections) and is held in its io phase: an awaited
 * receive that costs `connection_memory` and no thread. */
static void as_session(void *state, struct sim_request *r)
{
	connect(state, r, true);
}

/* A message on an open session: an event on the connection the session's
 * worker holds, seen at its next poll. */
static void as_message(void *state, struct sim_request *r)
{
	struct as *m = state;
	struct sim_request *session = r->mptr;
	struct as_proc *p = session->mptr;
	r->mtag = 0;
	sim_procset_arrive(&m->ps);
	sim_procset_hold(&p->pm, r);
	if (sim_loop_post(&p->loop, r))
		loop_next(p);
}

static void as_reset_stats(void *state, double now)
{
	struct as *m = state;
	sim_host_reset_stats(m->host, now);
	for (int i = 0; i < m->nprocs; i++) {
		struct as_proc *p = sim_procset_at(&m->ps, i);
		sim_loop_reset_stats(&p->loop, now);
		sim_tw_reset(&p->tokq.tw, now);
		sim_tw_reset(&p->tok_tw, now);
		sim_gil_reset_stats(&p->gil, now);
		sim_pygc_reset_stats(&p->gc);
	}
	sim_procset_reset_stats(&m->ps, now);
	sim_hist_reset(&m->lag);
	m->t_reset = now;
}

static double max_of(double a, double b)
{
	return a > b ? a : b;
}

static void as_report(void *state, struct sim_metrics *mt)
{
	struct as *m = state;
	const struct as_cfg *cfg = m->cfg;
	double now = m->ctx.s->now, el = now - m->t_reset;
	struct sim_loop_figs loops = {0};
	double tok = 0, qtok = 0, qgil = 0, mtok = 0, mgil = 0, threads = 0;
	double handoffs = 0, forced = 0;
	struct sim_pygc_figs gc = {0};
	for (int i = 0; i < m->nprocs; i++) {
		struct as_proc *p = sim_procset_at(&m->ps, i);
		sim_loop_tally(&p->loop, &loops);
		sim_pygc_tally(&p->gc, &gc);
		tok += sim_tw_mean(&p->tok_tw, now);
		qtok += sim_tw_mean(&p->tokq.tw, now);
		qgil += sim_tw_mean(&p->gil.waiting, now);
		mtok = max_of(mtok, p->tokq.tw.max);
		mgil = max_of(mgil, p->gil.waiting.max);
		threads += p->peak;
		handoffs += (double)p->gil.handoffs;
		forced += (double)p->gil.forced;
	}
	sim_host_report(m->host, NULL, mt);
	/* the loop is busy from the start of a callback to its end, waits
	 * for the GIL included */
	sim_metrics_put(mt, "utilization", "loop", loops.busy / m->nprocs);
	sim_metrics_put(mt, "utilization", "threadpool",
			tok / ((double)m->nprocs * cfg->threadpool));
	/* means are summed over the processes; maxima are the largest one */
	sim_metrics_put(mt, "queues.mean", "loop", loops.qmean);
	sim_metrics_put(mt, "queues.mean", "threadpool", qtok);
	sim_metrics_put(mt, "queues.mean", "gil", qgil);
	sim_inflight_report(&m->ps.inflight, now, false, mt);
	sim_metrics_put(mt, "queues.max", "loop", loops.qmax);
	sim_metrics_put(mt, "queues.max", "threadpool", mtok);
	sim_metrics_put(mt, "queues.max", "gil", mgil);
	sim_inflight_report(&m->ps.inflight, now, true, mt);
	sim_loop_report_lag(&m->lag, mt);
	sim_metrics_put(mt, "gil", "handoffs_per_s",
			el > 0 ? handoffs / el : 0);
	sim_metrics_put(mt, "gil", "forced_per_s", el > 0 ? forced / el : 0);
	if (m->gc)
		sim_pygc_report(&gc, el, sim_tw_mean(&m->host->busy, now) * el,
				mt);
	sim_procset_report_memory(
	    &m->ps,
	    sim_procset_peak(&m->ps,
			     m->nprocs * cfg->mem.process +
				 threads * cfg->mem.thread,
			     cfg->mem.request, cfg->conn.memory),
	    mt);
}

static void as_conn(const struct sim_system *sys, struct sim_conn_cfg *out)
{
	*out = ((const struct as_cfg *)sys->config)->conn;
}

static const char *as_validate(const struct sim_system *sys)
{
	return sim_pygc_validate(&((const struct as_cfg *)sys->config)->gc);
}

static size_t as_inflight(void *state)
{
	return ((struct as *)state)->ps.inflight.n;
}

const struct sim_model_ops sim_model_async = {
    .name = "async",
    .summary = "ASGI (uvicorn + FastAPI): an asyncio loop per worker, "
	       "anyio thread pool, the GIL",
    .params = as_params,
    .validate = as_validate,
    .nparams = sizeof as_params / sizeof as_params[0],
    .config_size = sizeof(struct as_cfg),
    .state_size = sizeof(struct as),
    .init = as_init,
    .submit = as_submit,
    .reset_stats = as_reset_stats,
    .report = as_report,
    .inflight = as_inflight,
    .release = as_release,
    .conn = as_conn,
    .session = as_session,
    .message = as_message,
};
