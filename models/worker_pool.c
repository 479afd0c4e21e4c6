/*
 * worker_pool.c - a pre-forked pool of synchronous workers: gunicorn's
 * `sync` and `gthread` workers serving a WSGI app (Django, Flask).
 *
 * `workers` processes each run `threads` threads; a request holds its
 * thread from accept to response. CPU phases are Python: they run on the
 * host's cores holding the process's GIL (gil.h; one GIL per process, so
 * threads of one process never run Python at the same time, while
 * processes do). `io` phases hold the thread without a core: a blocked
 * sync worker serves nobody else, which is why long waits exhaust the pool
 * long before the CPU is busy. `pool` phases are blocking work done in the
 * same thread: on the CPU without the GIL when the phase burns CPU (C code
 * that releases it: zlib, hashlib), else a plain wait.
 *
 * Accepting. All workers share one listening socket (gunicorn arbiter.py).
 * A sync worker (threads == 1) accepts only when idle, so connections wait
 * in the kernel's listen backlog, one FIFO capped at `backlog`; beyond it
 * they are refused. A gthread worker accepts while it holds fewer than
 * `worker_connections` connections (gunicorn workers/gthread.py) and
 * queues them for its thread pool; we send a connection to the gthread
 * worker with the fewest connections (ties: lowest index), which is what
 * the race between the workers' pollers tends to produce. When every
 * worker is full, connections wait in the shared backlog.
 *
 * Failures and recycling. The arbiter kills a worker that has not
 * notified it for `timeout` (SIGABRT, arbiter.py murder_workers). A sync
 * worker notifies only between requests, so a request longer than the
 * timeout gets its worker killed: the request fails, and a new worker
 * takes work after `boot_time`. We kill exactly `timeout` after the
 * request started; the real arbiter polls about once a second and the last
 * notification may predate the accept, so the real kill comes up to a
 * second later or half a timeout earlier. A gthread worker notifies from
 * its main loop while its threads work, so a long request never gets it
 * killed. After `max_requests` requests (plus a per-worker uniform jitter
 * in [0, max_requests_jitter], gunicorn workers/base.py) a worker stops
 * accepting, finishes the requests it holds, and is replaced, again after
 * `boot_time`.
 *
 * Memory. A worker's footprint is `process_memory`, `thread_memory` per
 * thread and `request_memory` per connection it holds (on a thread or in
 * its gthread queue); connections in the listen backlog are the kernel's
 * (sim/runtime/memory.c). When the host has a `memory` limit and its processes
 * go over, the kernel OOM-kills the largest (SIGKILL): every request the worker
 * held fails (`killed`), and the arbiter, reaping it ("Worker was sent SIGKILL!
 * Perhaps out of memory?", arbiter.py reap_workers), spawns a replacement that
 * accepts after `boot_time` (and counts from then: the memory of a booting
 * worker is not modelled). The listening socket belongs to the arbiter, so
 * connections keep queueing in the backlog and the other workers keep accepting
 * them. Since a sync worker holds one request, a pool rarely grows past its
 * limit: its concurrency is bounded, the excess waits in the kernel and is
 * refused when the backlog is full.
 *
 * Connections. A new connection costs `connection_overhead` (and
 * `tls_overhead`) on top of `request_overhead`; gthread keeps an idle
 * connection `keepalive_timeout` for its client's next request (the client
 * layer, sim/workload/sessions.c), the sync worker closes it after every
 * response. A session (WebSocket) holds its thread for its life: its
 * messages run on that thread, one at a time, under the worker's GIL; a
 * sync worker holding one longer than `timeout` is killed, as gunicorn's
 * arbiter kills any request that long.
 *
 * The gthread main thread. A gthread worker's main thread runs the poller:
 * it wakes in poller.select(), accepts the connection (or takes a
 * kept-alive one that became readable) and submits it to the thread pool
 * (gunicorn workers/gthread.py run(), accept(), enqueue_req()), all Python,
 * so it takes the GIL first: a new connection waits for the GIL twice, once
 * for the main thread and once for the thread that serves it, and behind a
 * CPU-bound thread each wait can last the switch interval. Its accept()
 * (and the poller's epoll_ctl) lets the GIL go and takes it back at once,
 * which signals a thread asleep on it; on a busy core that thread then
 * takes the GIL before the one that serves the connection (gil.h). The
 * main thread accepts one connection at a time and pays the connection's
 * costs (`connection_overhead`, `tls_overhead`) and the thread pool's: the
 * submission (`pool_overhead`) and, each pass of its loop, a scan of every
 * request submitted and not yet collected (`pool_scan` each when a request
 * finished since the last pass, else `pool_wait` and `pool_scan_none`
 * each: the cost grows with the requests the worker holds, more than
 * twice as fast when none finishes between connections, as past the
 * knee); the serving thread pays
 * `request_overhead`. Without the GIL (`gil: false`) the accept costs only
 * its CPU, and with none (`overheads: zero`) the main thread is skipped.
 *
 * The response. gunicorn's handle_request() runs the app, then writes
 * the response, closes the connection and logs (workers/sync.py,
 * gthread.py): `response_share` of `request_overhead` comes after the
 * app's phases. When the last phase is a wait (io, calls, pool), the
 * thread wakes from it to run that share as a burst of its own, which
 * pays the cache refill of the core it finds (host.c), as the first burst
 * does, but for the code it runs: that share of the idle refill
 * (response_share's measurements, below). The rest of the server's code
 * went as cold over the wait and stays so until the burst that starts
 * the worker's next request, a worker's or, in gthread, its main
 * thread's accept, pays it (sim_thread_pay_rest; a worker that goes
 * straight on to a queued request starts on a core that did not idle,
 * yet pays it: host.c, idle_refill, has the measurement). A session's
 * messages pay all of request_overhead before their phases. gunicorn
 * sends the status line and headers with one sendall() and the body with
 * another (http/wsgi.py: Response.write() calls send_headers() first),
 * and each releases the GIL: when a thread waiting for the GIL as the
 * request's Python ends can run at once (an idle core, or a holder past
 * its quantum), it takes the GIL at the headers and the body waits until
 * this thread has it back (sim_py_yield). Behind a CPU-bound thread that
 * is the switch interval again: the convoy of bpo-7946, paid by a request
 * that has finished. On a busy core the sender, not preempted, takes the
 * GIL back before the waiter runs (gil.h).
 *
 * Not modelled: idle kept-alive connections counting against
 * worker_connections; graceful_timeout on recycling; the arbiter's polling
 * delay; the arbiter's own memory; memory a worker keeps after its requests
 * (fragmentation, leaks: what max_requests is for).
 *
 * With `overheads: zero`, c workers on at least c cores and one `cpu` (or
 * one `io`) phase this is exactly an M/G/c FIFO queue.
 */
#include <stddef.h>
#include <stdlib.h>

#include "runtime/gil.h"
#include "runtime/host.h"
#include "runtime/io.h"
#include "runtime/memory.h"
#include "runtime/model.h"
#include "runtime/procset.h"

#define MiB (1024.0 * 1024.0)
#define KiB 1024.0

struct wp_cfg {
	int workers;
	int threads;
	int backlog;
	int worker_connections;
	double timeout;
	double boot_time;
	int max_requests;
	int max_requests_jitter;
	double request_overhead;
	/* gthread's main thread */
	double pool_overhead, pool_scan, pool_wait, pool_scan_none;
	struct sim_gil_cfg gil;
	struct sim_mem_cfg mem;
	struct sim_conn_cfg conn;
	struct sim_refill_cfg refill;
	double after;
	double response_share;
};

static const struct sim_param wp_params[] = {
    /* gunicorn docs/source/settings.rst: workers default 1; design.rst
     * recommends 2 x cores + 1 */
    SIM_PARAM("workers", SIM_PT_INT, struct wp_cfg, workers, .def = 1, .min = 1,
	      .max = 4096, .flags = SIM_P_PROCESSES,
	      .help = "worker processes (gunicorn recommends 2 x cores + 1)"),
    /* gunicorn settings: threads default 1; > 1 selects gthread */
    SIM_PARAM("threads", SIM_PT_INT, struct wp_cfg, threads, .def = 1, .min = 1,
	      .max = 4096, .flags = SIM_P_THREADS,
	      .help = "threads per worker; > 1 is the gthread worker"),
    /* gunicorn config.py Backlog: 2048 (the kernel also caps it at
     * net.core.somaxconn, 4096 since Linux 5.4) */
    SIM_PARAM("backlog", SIM_PT_INT, struct wp_cfg, backlog, .def = 2048,
	      .min = 1, .max = 1 << 20, .flags = SIM_P_QUEUE,
	      .help = "listen backlog; connections beyond it are refused"),
    /* gunicorn config.py WorkerConnections: 1000 */
    SIM_PARAM("worker_connections", SIM_PT_INT, struct wp_cfg,
	      worker_connections, .def = 1000, .min = 1, .max = 1 << 20,
	      .help = "gthread: connections a worker accepts at most"),
    /* gunicorn config.py Timeout: 30 s; 0 disables it */
    SIM_PARAM("timeout", SIM_PT_DURATION, struct wp_cfg, timeout, .def = 30,
	      .min = 0, .max = 1e6,
	      .help =
		  "sync: a request longer than this kills its worker; 0 = off"),
    /* Importing Django or Flask and the app takes on the order of a
     * second: a guess, not a measurement (with preload_app it is less). */
    SIM_PARAM("boot_time", SIM_PT_DURATION, struct wp_cfg, boot_time, .def = 1,
	      .min = 0, .max = 3600,
	      .help = "time a replacement worker takes before it accepts"),
    /* gunicorn config.py MaxRequests: 0 (off) */
    SIM_PARAM("max_requests", SIM_PT_INT, struct wp_cfg, max_requests, .min = 0,
	      .max = 1 << 30,
	      .help = "requests after which a worker is recycled; 0 = off"),
    /* gunicorn config.py MaxRequestsJitter: 0 */
    SIM_PARAM(
	"max_requests_jitter", SIM_PT_INT, struct wp_cfg, max_requests_jitter,
	.min = 0, .max = 1 << 30,
	.help =
	    "random extra requests before recycling, uniform in [0, jitter]"),
    /* request_overhead 192 us: an empty request to gunicorn sync + Flask
     * with 1 worker (scripts/validate/py_apps.py) on a new connection with
     * 8 in flight, pinned to one core of the 2-vCPU EPYC VM of
     * scripts/validate-real.sh, costs 218-259 us of CPU, less the 46 us
     * the model charges for it without request_overhead (the
     * connection): 172 and 213 us in the two runs of
     * scripts/calibrate-refill.sh that set the refill (below, 2026-12-05),
     * the median (233-352 us, 279-398 of CPU, on the VM of 2026-12-03 and
     * 04, another host). On the 2026-11-28 machine (a 2.1 GHz Xeon VM,
     * scripts/calibrate.sh, gunicorn 20.1, Flask 2.2, CPython 3.11), worker
     * CPU per request on a new connection with 8 in flight: a Flask
     * hello world 270 us (sync) and 329 us (gthread, 4 threads); a bare
     * WSGI callable 143 and 220 us. The connection (accept, socket
     * set-up, close) is taken to cost what it costs uvicorn, also Python:
     * 46 us (154 us on a new connection against 109 us kept alive). */
    SIM_PARAM("request_overhead", SIM_PT_DURATION, struct wp_cfg,
	      request_overhead, .def = 192e-6, .min = 0, .max = 3600,
	      .flags = SIM_P_OVERHEAD,
	      .help = "CPU per request or message on an open connection: "
		      "parsing, WSGI, framework"),
    /* pool_overhead 59 us: the gthread worker's own per-connection Python
     * beside what sync runs (gunicorn 20.1 workers/gthread.py: accept()
     * wraps the socket in a TConn, enqueue_req() calls
     * ThreadPoolExecutor.submit(), which makes a Future and a work item and
     * wakes a pool thread, and _wrap_future() adds a done callback that
     * finish_request() runs under the worker's lock), paid by the main
     * thread. Measured with scripts/calibrate.sh (2026-11-28, as
     * request_overhead): a Flask hello world cost 329 us a request in
     * gthread (4 threads) against 270 us in sync, a bare WSGI callable 220
     * against 143; 59 us is Flask's difference. Checked on the 2-vCPU EPYC
     * VM of scripts/validate-real.sh (2026-12-02 23:30, empty requests of
     * scripts/validate/py_apps.py at 200/s and 600/s, 1 worker each,
     * alternating, 3 rounds): gthread +80/+112, +10/+13 and +106/+96 us
     * over sync (the machine's own speed varied 2x between the rounds).
     * pool_scan 0.53 us: every pass of the main loop calls
     * futures.wait(self.futures, timeout=0, return_when=FIRST_COMPLETED)
     * over every request submitted and not yet collected (workers/
     * gthread.py run()), and concurrent.futures.wait() (CPython 3.11
     * Lib/concurrent/futures/_base.py) takes each future's lock and
     * checks its state: CPU that grows with the requests the worker holds.
     * On the same VM (CPython 3.11.2, Debian 12), one pass cost 2 us +
     * 0.53 us per pending future when one of them had finished (the usual
     * case: a pass per connection accepted, about one finished since the
     * last) and 10 us + 1.15-1.2 us per future when none had (it then
     * installs a waiter on each and removes it), for 8 to 512 futures.
     * With Connection: close a pass per accepted connection.
     * pool_wait 8 us and pool_scan_none 1.17 us: a pass that finds no
     * request finished since the last one (a connection arriving before
     * any answer since the last: the more often, the more the arrivals
     * outrun the answers) costs the 10 us + 1.15-1.2 us per future above
     * instead: pool_wait, the 8 us more than the 2 us that pool_overhead
     * holds (its calibration, one request in flight, collects one each
     * pass), and pool_scan_none per future instead of pool_scan.
     * scripts/calibrate/pool_scan.py (run by scripts/calibrate.sh) on the
     * same VM, 2026-12-03, a faster spell: 0.2 us + 0.434 us per future
     * and 9.1 us + 0.930 us per future (least squares, 8 to 512
     * futures): the same ratio of 2.1-2.2 and 8.8 us between them. */
    SIM_PARAM("pool_overhead", SIM_PT_DURATION, struct wp_cfg, pool_overhead,
	      .def = 59e-6, .min = 0, .max = 3600, .flags = SIM_P_OVERHEAD,
	      .help = "gthread: main-thread CPU per connection handed to the "
		      "thread pool (submit, future, done callback)"),
    SIM_PARAM("pool_scan", SIM_PT_DURATION, struct wp_cfg, pool_scan,
	      .def = 0.53e-6, .min = 0, .max = 1, .flags = SIM_P_OVERHEAD,
	      .help = "gthread: main-thread CPU per request the worker holds, "
		      "per connection accepted (futures.wait over them all), "
		      "when a request finished since the last connection"),
    SIM_PARAM("pool_wait", SIM_PT_DURATION, struct wp_cfg, pool_wait,
	      .def = 8e-6, .min = 0, .max = 1, .flags = SIM_P_OVERHEAD,
	      .help = "gthread: main-thread CPU per connection accepted when "
		      "no request finished since the last (futures.wait "
		      "makes a waiter)"),
    SIM_PARAM("pool_scan_none", SIM_PT_DURATION, struct wp_cfg, pool_scan_none,
	      .def = 1.17e-6, .min = 0, .max = 1, .flags = SIM_P_OVERHEAD,
	      .help = "gthread: pool_scan's cost when no request finished "
		      "since the last connection (a waiter installed on "
		      "each and removed)"),
    SIM_GIL_PARAMS(struct wp_cfg, gil,
		   "threads of a worker share the GIL; false = free-threaded "
		   "(PEP 703)",
		   "GIL switch interval before a forced drop",
		   "CPU charged when the GIL changes thread"),
    /* process_memory: a gunicorn worker with a framework loaded is ~30 MiB
     * RSS (gunicorn issue 1250, sclorg s2i-python-container PR 180).
     * request_memory: WSGI environ, request and response objects, buffers,
     * a guess. */
    SIM_MEMORY_PARAMS(struct wp_cfg, mem, "worker", 30 * MiB, "worker thread",
		      "held by a worker", 64 * KiB),
    /* connection_overhead 46 us: see request_overhead. tls_overhead 2209 us:
     * measured by scripts/calibrate-conn.sh on 2026-12-01 (gthread, TLS
     * 1.3, ECDSA P-256): gunicorn 20.1 builds an SSLContext and reads the
     * certificate for every connection (workers/gthread.py).
     * keepalive_timeout: gunicorn's `keepalive`, 2 s (config.py
     * Keepalive), honoured by gthread, whose poller keeps idle
     * connections (workers/gthread.py); the sync worker closes the
     * connection after every response whatever it says (workers/sync.py
     * sends "Connection: close"). A session (a WebSocket through
     * flask-sock or simple-websocket) holds its thread for its lifetime;
     * its own memory besides the thread's: a guess of 64 KiB, as
     * request_memory. */
    SIM_CONN_PARAMS(struct wp_cfg, conn, 46e-6, 2209e-6, 2.0, 64 * KiB),
    /* cache_refill 70 us and cache_refill_long 716 us: gunicorn sync with
     * 1 worker + Flask (scripts/validate/py_apps.py) pinned to one core
     * of the 2-vCPU EPYC VM, the pooled fit of two runs of
     * scripts/calibrate-refill.sh (sim/runtime/model.h gives the points
     * and the time constants). The runs alone: 146 and 0 us, 750 and 756
     * us; the VM of 2026-12-03 and 04: 597 and 484 us, over 4.2 and 30
     * ms. A refill after an idle gap g or after c of the application's own
     * cpu phases (cache_refill_work) costs cache_refill x (1 - exp(-x /
     * t)) + cache_refill_long x (1 - exp(-x / cache_refill_long_time)), x
     * = g or c and t = cache_refill_time or cache_refill_work_time.
     * Machines differ: the refill is what the server's working set lost while
     * it waited or the application computed (here a shared VM whose physical
     * cores run other tenants; on bare metal the deep C-states and the
     * application's own memory); the README says how to measure yours
     * (scripts/calibrate-refill.sh). */
    SIM_REFILL_PARAMS(struct wp_cfg, refill, 70e-6, 716e-6),
    /* switch_refill 248 us: what a change of worker costs on top of one
     * worker's partly cold requests, gunicorn sync + Flask on one core of
     * the same VM: the median of the two runs of scripts/
     * calibrate-refill.sh that set the refill (above): 4 workers against
     * 1 with 8 requests in flight, empty requests, scaled by what the
     * model adds for 250 us there (its workers change once per hold):
     * 495 and 0 us (2026-12-05); on the VM of 2026-12-03 and 04 0, 760,
     * 527, 226 and 390 us.
     * Earlier: 240-290 us per change at 300 requests/s (2026-12-02;
     * each of 4 workers served 24-26 % of the requests: the accept herd
     * spreads them evenly), and 4 workers against 1 with 8 requests in
     * flight +175 us per request (569 against 394 us, empty requests;
     * +134 to +366 us with 1-20 ms of burn). The herd's own wake-ups
     * cost ~4 us per idle worker (perf: the in-kernel wake from select);
     * the rest is the worker's private pages (CPython's reference counts
     * make even the pages inherited at fork private) that the others
     * evicted. With the host's rules (idle and switch evictions combined,
     * never above the larger refill; a worker after another pays for the
     * other's hold as for an idle gap; the workers take turns) 4 workers
     * cost (with 250 us) 1.30x the CPU per request of 1 at 300/s
     * (measured 1.22-1.36x; on 2026-12-03, under perf sched, 0.98x) and
     * +26 us with 8 in flight and the default 3 ms slice (measured +175;
     * +46 on 2026-12-03). Sync workers only: gthread's threads of one
     * worker share its working set. */
    SIM_SWITCH_REFILL_PARAM(struct wp_cfg, refill, 248e-6),
    /* after_response 0.16: gunicorn sync + Flask, 1 worker (scripts/
     * validate/py_apps.py) pinned to one core of the 2-vCPU EPYC VM, at
     * 20/s of 1 ms requests, idle between them (scripts/
     * calibrate-after.sh, 2026-12-02 17:26 UTC): perf trace of its
     * syscalls, three windows of ~82 requests, medians: from the wake-up
     * to the end of the body's sendto 2.21-2.61 ms (1 ms of it the burn),
     * from there to the next pselect6 0.24-0.27 ms (close(), the
     * heartbeat's fchmod, accept4 -> EAGAIN, fchmod): 0.14-0.17 of the
     * worker's own work per request comes after the response, 0.16 the
     * median (traced by hand earlier that day: 0.16 too). gthread (8
     * threads; the pool thread writes, the main thread accepts and polls)
     * measured 0.10 (0.10-0.11) for its pool thread alone: one key for
     * both, sync's; set it for gthread. */
    SIM_AFTER_PARAM(struct wp_cfg, after, 0.16,
		    "gunicorn sync + Flask measured 0.16, gthread 0.10 "
		    "(scripts/calibrate-after.sh)"),
    /* response_share 0.47: gunicorn sync + Flask, 1 worker (scripts/
     * validate/py_apps.py, /w?wait_us=50: a 50 us time.sleep is the app's
     * only phase) pinned to one core of the 2-vCPU EPYC VM at 600/s, the
     * worker about 40 % busy (2026-12-03 17:00 UTC, RESUME=1 bash
     * scripts/calibrate-after.sh; 0.48 at 1500/s, about 90 % busy):
     * perf trace of accept4, clock_nanosleep and pselect6, three windows
     * of ~3,030 requests, medians: from the accept to the app's sleep
     * 0.267-0.319 ms, from the sleep's end to the next accept 0.245-0.287
     * ms: 0.47 (0.47-0.48) of the worker's own work per request comes
     * after the app's last phase (gunicorn 20.1 workers/sync.py
     * handle_request(): Flask builds the response as the view returns,
     * then gunicorn writes it, closes and logs after self.wsgi() returns;
     * an earlier trace by hand that day: 0.48). At 20/s, idle between
     * requests, that part took 0.455 ms after a 50 us sleep and 0.742 ms
     * after a 20 ms one (the part before the sleep 0.67-0.69 ms): waking
     * from a wait on an idle core it pays the refill again, of the code
     * it runs: +0.29 ms, where the whole refill of a request after 20 ms
     * idle is 0.83 ms (the defaults; response_share of it 0.39). So that
     * burst pays response_share of the idle refill (sim_thread_refill_part).
     * Measured again on 2026-12-04 at 21:26 (gunicorn sync + Flask at
     * 35/s, 0.5 ms burn then a 20 ms sleep against the burn alone, 30 s,
     * two rounds): 1 worker -72 us a request with the sleep (within
     * the noise: its rounds with the sleep 195 us apart), 4 workers
     * +254 us; the model with the 18:02 calibration, the whole refill
     * after the sleep +222 and +436 us, its share -134 and +153 us, and
     * 1971, 2105, 2314 and 2161 us a request against 2013, 2085, 2319 and
     * 2065 measured (the whole refill: 2327, 2105, 2597, 2161). Since
     * the next request pays the rest (2026-12-05, host.c idle_refill):
     * 2273 and 2429 us with the sleep, +166 and +267: 4 workers closer, 1
     * worker further, above both its rounds (2110 and 1915). */
    SIM_PARAM("response_share", SIM_PT_DOUBLE, struct wp_cfg, response_share,
	      .def = 0.47, .min = 0, .max = 1, .flags = SIM_P_OVERHEAD,
	      .help = "share (0..1) of request_overhead run after the "
		      "app's phases (the response: built, written, closed); "
		      "after a final io or pool phase it is a burst of its "
		      "own, which pays this share of the cache refill of "
		      "the core it finds, and the worker's next request the "
		      "rest (scripts/calibrate-after.sh RESUME=1; 0 = all "
		      "before)"),
};

enum wp_state {
	WP_UP,	     /* accepting */
	WP_DRAINING, /* max_requests reached: finishing what it holds */
	WP_BOOTING,  /* a replacement is starting */
};

struct wp_proc;

/* A worker thread (the only thread of a sync worker). */
struct wp_thread {
	struct sim_pythread py;
	struct wp_proc *p;
	struct sim_request *r; /* request it serves, or NULL */
	sim_ev ev;	       /* io / off-CPU pool phase in progress */
	uint8_t upto;	       /* phase index after the current burst */
	/* messages on the session the thread holds (r), one at a time: the
	 * thread, blocked reading its socket, wakes to run each */
	struct sim_pythread mpy;
	struct sim_request *msg; /* the message running, or NULL */
	struct sim_queue msgq;	 /* messages waiting for it */
	sim_ev mev;		 /* its io or off-CPU phase */
	uint8_t mupto;
	bool headers; /* the response's headers are out, its body not yet */
	bool resumed; /* the response's burst after a final wait has run */
	double held;  /* after_response: its work after the answer */
};

struct wp_proc {
	struct wp *m;
	struct sim_gil gil;
	struct wp_thread *th;	 /* `threads` threads */
	struct wp_thread **idle; /* idle threads (stack) */
	int nidle;
	struct sim_queue accepted; /* gthread: waiting for a thread */
	/* gthread: the main thread, the connections it has yet to accept and
	 * the one it is accepting */
	struct sim_pythread main;
	struct sim_queue toaccept;
	struct sim_request *accepting;
	int nconn; /* connections held: on threads + accepted */
	/* gthread: threads freed since the main thread's last pass (its
	 * futures.wait() finds that many finished) */
	int finished;
	enum wp_state state;
	int served; /* requests started since boot */
	int limit;  /* max_requests + jitter; 0 = no recycling */
	sim_ev kill_ev, boot_ev;
	struct sim_proc mem; /* footprint and connections held */
	bool oom;	     /* booting after an OOM kill */
	int after;	/* threads busy after an answer (after_response): each
			   still holds its connection's slot, closed at the end */
	double idle_at; /* when its last connection ended (pick_herd) */
	/* the refill of its code left cold by a response after a wait, for
	 * its next request (sim_thread_keep_rest) */
	struct sim_rest rest;
};

struct wp {
	struct sim_ctx ctx;
	const struct wp_cfg *cfg;
	struct sim_host *host, own_host;
	struct wp_proc *procs;
	struct wp_thread *threads;
	struct wp_thread **idle;
	int nprocs, maxconn;
	bool cancel;	 /* drop abandoned requests (client.cancel) */
	bool mainthread; /* gthread: connections go through the main thread */
	/* request_overhead split: before the app's phases (intake) and
	 * after them (response = response_share of it) */
	double intake, response;
	bool herd; /* sync workers with a cache or switch refill: pick_herd */
	struct sim_queue backlog;
	struct sim_inflight inflight;
	struct sim_tw held_tw;	   /* connections accepted by workers */
	struct sim_tw sess_tw;	   /* sessions held by threads */
	struct sim_tw busy_tw;	   /* threads serving a request */
	struct sim_tw accepted_tw; /* sum of the gthread accept queues */
	uint64_t killed, restarts;
	uint64_t oom_kills, oom_restarts;
	double t_reset;
	struct sim_first_cost first; /* request_overhead and the connection's */
};

static void settle(struct wp_proc *p);

static double now_of(const struct wp *m)
{
	return m->ctx.s->now;
}

/* The requests a new worker serves before it is recycled: max_requests +
 * randint(0, jitter) as gunicorn's Worker.__init__ draws it; 0 = never. */
static int draw_limit(struct wp *m)
{
	const struct wp_cfg *cfg = m->cfg;
	if (cfg->max_requests <= 0)
		return 0;
	double u = sim_uniform(m->ctx.rng);
	return cfg->max_requests +
	       (int)(u * ((double)cfg->max_requests_jitter + 1));
}

/* A connection the worker held, off its thread or queue and off the
 * worker's list, leaves the model (inline: every connection ends here). */
static inline void conn_forget(struct sim_proc *mp, struct sim_request *r)
{
	struct wp_proc *p = mp->owner;
	struct wp *m = p->m;
	double now = now_of(m);
	p->nconn--;
	p->idle_at = now;
	sim_tw_add(r->conn & SIM_CONN_SESSION ? &m->sess_tw : &m->held_tw, now,
		   -1);
	sim_inflight_sub(&m->inflight, now);
}

/* A connection of killed worker mp fails: its I/O is abandoned. */
static void conn_killed(struct sim_proc *mp, struct sim_request *r)
{
	struct wp_proc *p = mp->owner;
	sim_io_abort(&p->m->ctx, r);
	conn_forget(mp, r);
	sim_port_done(&p->m->ctx.port, r, SIM_OUT_KILLED);
}

/* A connection the worker held is over: the request ends with outcome o.
 * The caller has taken it off its thread or queue. */
static void conn_over(struct wp_proc *p, struct sim_request *r,
		      enum sim_outcome o)
{
	sim_proc_drop(&p->mem, r);
	conn_forget(&p->mem, r);
	sim_port_done(&p->m->ctx.port, r, o);
}

/* The worker accepted r: it holds the connection from now on. */
static void conn_take(struct wp_proc *p, struct sim_request *r)
{
	p->nconn++;
	sim_proc_hold(&p->mem, r);
	sim_tw_add(r->conn & SIM_CONN_SESSION ? &p->m->sess_tw : &p->m->held_tw,
		   now_of(p->m), 1);
}

/* Takes r off th and makes th idle. */
static struct sim_request *unbind(struct wp_thread *th)
{
	struct wp_proc *p = th->p;
	struct sim_request *r = th->r;
	th->r = NULL;
	th->ev = 0;
	p->idle[p->nidle++] = th;
	p->finished++;
	sim_tw_add(&p->m->busy_tw, now_of(p->m), -1);
	return r;
}

static void py_done(struct sim_pythread *pt);

/* Thread th's work after an answer (after_response) is over: it is idle. */
static void after_done(struct sim_pythread *pt)
{
	struct wp_thread *th = pt->owner;
	struct wp_proc *p = th->p;
	pt->on_done = py_done;
	p->after--;
	unbind(th);
	settle(p);
}

/* r is finished on th (answered, or dropped for its client). A thread
 * whose last burst held back work for after the answer (after_response)
 * runs it before it is idle. */
static void end(struct wp_thread *th, enum sim_outcome o)
{
	struct wp_proc *p = th->p;
	sim_cancel(p->m->ctx.s, p->kill_ev);
	p->kill_ev = 0;
	double held = th->held;
	if (held > 0 || th->py.t.held > 0) {
		held += sim_thread_take_held(&th->py.t);
		th->held = 0;
		struct sim_request *r = th->r;
		th->r = NULL;
		conn_over(p, r, o);
		p->after++;
		th->py.on_done = after_done;
		sim_py_run(&th->py, held);
		return;
	}
	sim_thread_take_held(&th->py.t); /* the share of no refill */
	conn_over(p, unbind(th), o);
	settle(p);
}

static void phase_timer(struct sim *s, void *obj, uint64_t arg);

/* Runs r from its next phase: the leading cpu phases (plus `cpu0` of
 * framework work) as one Python burst, else one io or pool phase, else the
 * response. Checks for an abandoned request at each phase boundary. */
/* cpu0 plus r's consecutive cpu phases from *i (one stretch of Python;
 * *i ends past them) and the refill of the server's code after them. */
static double cpu_stretch(struct wp *m, const struct sim_request *r, size_t *i,
			  double cpu0)
{
	double cpu = cpu0;
	size_t from = *i;
	for (; *i < r->nphases &&
	       sim_req_phase_kind(&m->ctx, r, *i) == SIM_PHASE_CPU;
	     ++*i)
		cpu += r->demand[*i];
	return cpu + sim_host_work_refill(m->host, sim_req_demand(r, from, *i));
}

/* Runs the burst of cpu on th that writes its request's response:
 * `share` (at most all) of own, the worker's own work in it, waits until
 * the response has left. */
static void run_last(struct wp_thread *th, double cpu, double own, double share)
{
	if (share > 0) {
		if (share > 1)
			share = 1;
		th->held = own > 0 ? share * own : 0;
		cpu -= th->held;
		sim_thread_after(&th->py.t, share);
	}
	sim_py_run(&th->py, cpu);
}

/* The part of request_overhead r runs after its phases: none for a
 * session, whose handshake pays all of it first (its thread then waits
 * for its messages, which pay their own) */
static inline double response_of(const struct wp *m,
				 const struct sim_request *r)
{
	return r->conn & SIM_CONN_SESSION ? 0 : m->response;
}

static void run_phases(struct wp_thread *th, double cpu0, bool first)
{
	struct wp *m = th->p->m;
	struct sim_request *r = th->r;
	if (!first && r->abandoned && m->cancel) {
		end(th, SIM_OUT_TIMEOUT);
		return;
	}
	size_t i = r->phase;
	double cpu = cpu_stretch(m, r, &i, cpu0);
	/* the first step is always Python (the thread takes the GIL to read
	 * the request and call the app), so a request never ends inside
	 * the accept that started it */
	if (first || i > r->phase) {
		th->upto = (uint8_t)i;
		if (i < r->nphases) {
			sim_py_run(&th->py, cpu);
			return;
		}
		/* the app's last phase is Python: the response follows in
		 * the same burst */
		cpu += response_of(m, r);
		th->resumed = true;
		run_last(th, cpu, cpu - sim_req_demand(r, r->phase, i),
			 m->cfg->after);
		return;
	}
	if (r->phase >= r->nphases && !th->resumed && response_of(m, r) > 0) {
		/* gunicorn's handle_request() writes the response after the
		 * app returns (workers/sync.py, gthread.py): after a final
		 * io or pool phase the thread wakes to run it, a burst of its
		 * own that pays the refill of the core it finds, of its own
		 * code (below) */
		th->resumed = true;
		th->upto = (uint8_t)r->phase;
		/* after_response is a share of the request's own work, of
		 * which this burst holds response_share; so is its refill:
		 * the code it runs is that share of the server's */
		sim_thread_refill_part(&th->py.t, m->cfg->response_share);
		run_last(th, m->response, m->response,
			 m->cfg->after / m->cfg->response_share);
		return;
	}
	if (r->phase >= r->nphases) {
		/* gunicorn writes the response with two sendall() calls, the
		 * status line and headers, then the body (http/wsgi.py,
		 * Response.send_headers() and write()), each releasing the GIL:
		 * a waiting thread that can run at once takes it at the first,
		 * and the body goes out when this thread has it back (gil.h) */
		th->upto = (uint8_t)r->phase;
		if (!th->headers && sim_py_yield(&th->py)) {
			th->headers = true;
			return;
		}
		th->headers = false;
		end(th, SIM_OUT_OK);
		return;
	}
	th->upto = (uint8_t)(r->phase + 1);
	enum sim_phase_kind k = sim_req_phase_kind(&m->ctx, r, r->phase);
	if (sim_phase_waits(k)) /* io or calls: the thread waits */
		sim_io_start(&m->ctx, r, phase_timer, th);
	else if (sim_req_phase_on_cpu(&m->ctx, r, r->phase))
		sim_py_run_nogil(&th->py, r->demand[r->phase]);
	else /* blocking work that needs no core: the thread just waits */
		th->ev = sim_after(m->ctx.s, r->demand[r->phase], phase_timer,
				   th, 0);
}

static void phase_timer(struct sim *s, void *obj, uint64_t arg)
{
	struct wp_thread *th = obj;
	th->ev = 0;
	th->r->phase = th->upto;
	run_phases(th, 0, false);
}

static void py_done(struct sim_pythread *pt)
{
	struct wp_thread *th = pt->owner;
	th->r->phase = th->upto;
	run_phases(th, 0, false);
}

static void kill_worker(struct sim *s, void *obj, uint64_t arg);

/* Thread th starts serving r. */
static void start(struct wp_thread *th, struct sim_request *r)
{
	struct wp_proc *p = th->p;
	struct wp *m = p->m;
	th->r = r;
	th->headers = false;
	th->resumed = false;
	r->mptr = th;
	sim_tw_add(&m->busy_tw, now_of(m), 1);
	if (p->limit > 0 && ++p->served >= p->limit && p->state == WP_UP)
		p->state = WP_DRAINING; /* "autorestarting after current" */
	if (m->cfg->threads == 1 && m->cfg->timeout > 0)
		p->kill_ev = sim_after_fixed(m->ctx.s, m->cfg->timeout,
					     kill_worker, p, 0);
	double cpu0 = m->mainthread ? m->intake : sim_first_cost(&m->first, r);
	sim_thread_pay_rest(&th->py.t);
	run_phases(th, cpu0 + (m->response - response_of(m, r)), true);
}

/* ----------------------------------------------- messages on a session -- */

static void msg_phases(struct wp_thread *th, double cpu0);

/* th starts the message th->msg: request_overhead first, and what the
 * worker's last response left cold (sim_thread_pay_rest). */
static void msg_start(struct wp_thread *th)
{
	sim_thread_pay_rest(&th->mpy.t);
	msg_phases(th, th->p->m->cfg->request_overhead);
}

/* The message on th is answered: the next one runs. */
static void msg_end(struct wp_thread *th)
{
	struct wp_proc *p = th->p;
	struct sim_request *r = th->msg;
	th->msg = NULL;
	th->mev = 0;
	conn_over(p, r, SIM_OUT_OK);
	struct sim_request *n = sim_queue_pop(&th->msgq, now_of(p->m));
	if (n && !th->msg) {
		th->msg = n;
		msg_start(th);
	}
}

static void msg_timer(struct sim *s, void *obj, uint64_t arg)
{
	struct wp_thread *th = obj;
	th->mev = 0;
	th->msg->phase = th->mupto;
	msg_phases(th, 0);
}

static void msg_py_done(struct sim_pythread *pt)
{
	struct wp_thread *th = pt->owner;
	th->msg->phase = th->mupto;
	msg_phases(th, 0);
}

/* Runs the message's next step on th, as run_phases does a request's:
 * its leading cpu phases (plus cpu0) as one Python burst, else one io or
 * pool phase, else the answer. */
static void msg_phases(struct wp_thread *th, double cpu0)
{
	struct wp *m = th->p->m;
	struct sim_request *r = th->msg;
	size_t i = r->phase;
	double cpu = cpu_stretch(m, r, &i, cpu0);
	if (cpu0 > 0 || i > r->phase) {
		th->mupto = (uint8_t)i;
		sim_py_run(&th->mpy, cpu);
		return;
	}
	if (r->phase >= r->nphases) {
		msg_end(th);
		return;
	}
	th->mupto = (uint8_t)(r->phase + 1);
	if (sim_req_phase_kind(&m->ctx, r, r->phase) == SIM_PHASE_IO)
		sim_io_start(&m->ctx, r, msg_timer, th);
	else if (sim_req_phase_on_cpu(&m->ctx, r, r->phase))
		sim_py_run_nogil(&th->mpy, r->demand[r->phase]);
	else
		th->mev =
		    sim_after(m->ctx.s, r->demand[r->phase], msg_timer, th, 0);
}

/* A message r arrives on the session its client put in r->mptr: the
 * thread holding that session runs it after those before it. */
static void wp_message(void *state, struct sim_request *r)
{
	struct wp *m = state;
	struct sim_request *session = r->mptr;
	struct wp_thread *th = session->mptr;
	struct wp_proc *p = th->p;
	sim_inflight_add(&m->inflight, now_of(m));
	conn_take(p, r);
	r->mptr = th;
	if (th->msg) {
		sim_queue_push(&th->msgq, r, now_of(m));
		return;
	}
	th->msg = r;
	msg_start(th);
}

/* Stops the messages of th's session (its worker is dead): they stay on
 * the worker's list, or with `fail` fail now. */
static void msg_stop(struct wp_thread *th, bool fail)
{
	struct wp_proc *p = th->p;
	struct wp *m = p->m;
	sim_py_abort(&th->mpy);
	sim_cancel(m->ctx.s, th->mev);
	th->mev = 0;
	struct sim_request *r = th->msg;
	th->msg = NULL;
	while (r) {
		struct sim_request *next = sim_queue_pop(&th->msgq, now_of(m));
		if (fail) {
			sim_io_abort(&m->ctx, r);
			conn_over(p, r, SIM_OUT_KILLED);
		}
		r = next;
	}
}

static double proc_base(const struct wp_cfg *cfg)
{
	return cfg->mem.process + cfg->threads * cfg->mem.thread;
}

static void booted(struct sim *s, void *obj, uint64_t arg)
{
	struct wp_proc *p = obj;
	p->boot_ev = 0;
	p->state = WP_UP;
	sim_proc_up(&p->mem, proc_base(p->m->cfg));
	if (p->oom)
		p->m->oom_restarts++;
	p->oom = false;
	p->served = 0;
	p->finished = 0; /* a new process: no future has finished in it */
	/* a new process: all of its code as cold as the idle gap says */
	p->rest = (struct sim_rest){.core = -1};
	p->limit = draw_limit(p->m);
	settle(p);
}

/* The worker is gone (killed or recycled): the arbiter boots a new one. */
static void replace(struct wp_proc *p)
{
	p->state = WP_BOOTING;
	sim_proc_down(&p->mem);
	p->m->restarts++;
	p->boot_ev = sim_after(p->m->ctx.s, p->m->cfg->boot_time, booted, p, 0);
}

/* The arbiter's timeout fired on a sync worker: SIGABRT. Its request
 * fails and nothing it had scheduled may fire any more. */
static void kill_worker(struct sim *s, void *obj, uint64_t arg)
{
	struct wp_proc *p = obj;
	struct wp_thread *th = &p->th[0];
	p->kill_ev = 0;
	sim_py_abort(&th->py);
	sim_cancel(s, th->ev);
	sim_thread_take_held(&th->py.t);
	/* a refill part its response did not start with: not the next
	 * worker's (the thread is reused) */
	sim_thread_refill_part(&th->py.t, 1);
	th->held = 0;
	sim_io_abort(&p->m->ctx, th->r);
	p->m->killed++;
	replace(p); /* before the port hears of it: the worker is dead */
	msg_stop(th, true);
	conn_over(p, unbind(th), SIM_OUT_KILLED);
}

/* Whether thread th serves a request or works after its answer. */
static bool busy(const struct wp_thread *th)
{
	return th->r || th->py.on_done == after_done;
}

/* Stops thread th of a dead worker: its burst and its timer. Its request
 * stays on the worker's list. */
static void stop_thread(struct wp_thread *th)
{
	struct wp *m = th->p->m;
	sim_py_abort(&th->py);
	sim_cancel(m->ctx.s, th->ev);
	if (th->py.on_done != py_done) { /* after an answer: no request */
		th->py.on_done = py_done;
		th->p->after--;
	}
	sim_thread_take_held(&th->py.t);
	sim_thread_refill_part(&th->py.t, 1); /* as kill_worker */
	th->held = 0;
	unbind(th);
}

/* The kernel OOM-killed worker p (sim/runtime/memory.c, p is already down): its
 * threads stop, its timers are cancelled, every connection it held fails,
 * and the arbiter boots a replacement. */
static void oom_killed(struct sim_proc *mp)
{
	struct wp_proc *p = mp->owner;
	struct wp *m = p->m;
	double now = now_of(m);
	sim_cancel(m->ctx.s, p->kill_ev);
	p->kill_ev = 0;
	/* threads waiting for the GIL first, its holder last, so that the
	 * GIL is never handed to a thread about to be stopped */
	struct sim_pythread *holder = p->gil.holder;
	if (p->accepting && &p->main != holder)
		sim_py_abort(&p->main);
	for (int k = 0; k < m->cfg->threads; k++)
		if (p->th[k].msg && &p->th[k].mpy != holder)
			msg_stop(&p->th[k], false);
	for (int k = 0; k < m->cfg->threads; k++)
		if (busy(&p->th[k]) && &p->th[k].py != holder)
			stop_thread(&p->th[k]);
	for (int k = 0; k < m->cfg->threads; k++)
		if (p->th[k].msg)
			msg_stop(&p->th[k], false);
	for (int k = 0; k < m->cfg->threads; k++)
		if (busy(&p->th[k]))
			stop_thread(&p->th[k]);
	if (p->accepting)
		sim_py_abort(&p->main); /* no-op if stopped above */
	p->accepting = NULL;
	sim_queue_clear(&p->toaccept, now);
	while (sim_queue_pop(&p->accepted, now))
		sim_tw_add(&m->accepted_tw, now, -1);
	m->oom_kills++;
	p->oom = true;
	replace(p); /* the arbiter reaps it and spawns another */
	sim_proc_fail_held(mp, conn_killed);
}

/* Worker p has accepted connection r: a thread serves it at once if one
 * is idle, else it waits in the worker's queue (gthread). Requests whose
 * client left are dropped here. */
static void hand_over(struct wp_proc *p, struct sim_request *r)
{
	struct wp *m = p->m;
	if (r->abandoned && m->cancel) {
		conn_over(p, r, SIM_OUT_TIMEOUT);
	} else if (p->nidle > 0) {
		start(p->idle[--p->nidle], r);
	} else {
		sim_queue_push(&p->accepted, r, now_of(m));
		sim_tw_add(&m->accepted_tw, now_of(m), 1);
	}
}

/* gthread: the main thread accepts its next connection, if any. */
static void main_next(struct wp_proc *p)
{
	struct wp *m = p->m;
	struct sim_request *r = sim_queue_pop(&p->toaccept, now_of(m));
	p->accepting = r;
	if (!r)
		return;
	/* the requests submitted to the pool and not collected: on threads
	 * and waiting for one */
	const struct wp_cfg *cfg = m->cfg;
	int held = cfg->threads - p->nidle + (int)p->accepted.len;
	double scan = p->finished ? cfg->pool_scan * held
				  : cfg->pool_wait + cfg->pool_scan_none * held;
	p->finished = 0;
	sim_thread_pay_rest(&p->main.t);
	sim_py_run(&p->main, sim_first_cost(&m->first, r) - m->intake +
				 cfg->pool_overhead + scan);
}

static void main_done(struct sim_pythread *pt)
{
	struct wp_proc *p = pt->owner;
	struct sim_request *r = p->accepting;
	p->accepting = NULL;
	hand_over(p, r);
	main_next(p);
}

/* Worker p accepts connection r: it holds it from now on; a gthread
 * worker's main thread accepts it first. */
static void accept_conn(struct wp_proc *p, struct sim_request *r)
{
	conn_take(p, r);
	if (!p->m->mainthread) {
		hand_over(p, r);
		return;
	}
	sim_queue_push(&p->toaccept, r, now_of(p->m));
	if (!p->accepting)
		main_next(p);
}

/* Restores the worker's invariants after a change: idle threads take
 * accepted connections, an accepting worker with room takes connections
 * from the shared backlog, and a draining worker that holds nothing is
 * replaced. Requests whose client left are dropped on the way. */
static void settle(struct wp_proc *p)
{
	struct wp *m = p->m;
	double now = now_of(m);
	for (;;) {
		struct sim_request *r;
		if (p->nidle > 0 && p->accepted.head) {
			r = sim_queue_pop(&p->accepted, now);
			sim_tw_add(&m->accepted_tw, now, -1);
			if (r->abandoned && m->cancel)
				conn_over(p, r, SIM_OUT_TIMEOUT);
			else
				start(p->idle[--p->nidle], r);
		} else if (p->state == WP_UP &&
			   p->nconn + p->after < m->maxconn &&
			   m->backlog.head) {
			accept_conn(p, sim_queue_pop(&m->backlog, now));
		} else {
			break;
		}
	}
	if (p->state == WP_DRAINING && p->nconn == 0 && p->after == 0)
		replace(p);
}

/* The idle sync worker that has waited longest, or NULL if none: the
 * sync workers all wait in select() on the listening socket, the kernel
 * wakes every one of them and whichever runs accept() first wins. On
 * Linux 6.18 (EEVDF) that is the one idle longest: under `hol` on one
 * core (gunicorn 20.1 sync, 4 workers, perf sched, 2026-12-03) the idle
 * worker whose last request ended first took 98 % of the connections
 * that found all 4 idle at 49/s (91 % at 150/s; of 2 idle, 85 and 82 %),
 * so the workers take turns and each served 25 % of the requests. Only
 * with a cache or switch refill, where it matters (a worker after another
 * pays the switch refill and for the other's hold, host.c hand_over): the
 * lowest idle worker otherwise (identical workers, the same queue).
 * Linear in the workers, as pick(). */
static struct wp_proc *pick_herd(struct wp *m)
{
	struct wp_proc *best = NULL;
	for (int i = 0; i < m->nprocs; i++) {
		struct wp_proc *p = &m->procs[i];
		if (p->state == WP_UP && !p->nconn && !p->after &&
		    (!best || p->idle_at < best->idle_at))
			best = p;
	}
	return best;
}

/* The accepting worker a new connection goes to, or NULL if all are full:
 * the one holding the fewest connections, ties to the lowest index. For
 * sync workers (room for one) that is the first idle one (the one idle
 * longest with a cache or switch refill: pick_herd). */
static struct wp_proc *pick(struct wp *m)
{
	if (m->herd)
		return pick_herd(m);
	struct wp_proc *best = NULL;
	for (int i = 0; i < m->nprocs; i++) {
		struct wp_proc *p = &m->procs[i];
		if (p->state == WP_UP && p->nconn + p->after < m->maxconn &&
		    (!best || p->nconn < best->nconn)) {
			best = p;
			if (!p->nconn)
				break;
		}
	}
	return best;
}

static void wp_submit(void *state, struct sim_request *r)
{
	struct wp *m = state;
	double now = now_of(m);
	struct wp_proc *p = pick(m);
	if (!p && m->backlog.len >= (size_t)m->cfg->backlog) {
		sim_port_done(&m->ctx.port, r, SIM_OUT_REFUSED);
		return;
	}
	sim_inflight_add(&m->inflight, now);
	if (p)
		accept_conn(p, r);
	else
		sim_queue_push(&m->backlog, r, now);
}

static const char *wp_validate(const struct sim_system *sys)
{
	const struct wp_cfg *cfg = sys->config;
	if (cfg->max_requests_jitter > 0 && cfg->max_requests == 0)
		return "'max_requests_jitter' needs 'max_requests' > 0";
	if (cfg->threads > 1 && cfg->worker_connections < cfg->threads)
		return "'worker_connections' is below 'threads': threads "
		       "beyond it would never get work";
	if ((long long)cfg->workers * cfg->threads > 1 << 20)
		return "'workers' x 'threads' exceeds 1048576 threads";
	return NULL;
}

static int wp_init(void *state, const struct sim_ctx *ctx)
{
	struct wp *m = state;
	const struct wp_cfg *cfg = ctx->sys->config;
	m->ctx = *ctx;
	m->cfg = cfg;
	m->response = cfg->response_share * cfg->request_overhead;
	m->intake = cfg->request_overhead - m->response;
	sim_first_cost_init(&m->first, m->intake, &cfg->conn);
	m->cancel = ctx->wl->client.cancel;
	m->host = sim_ctx_host(ctx, &m->own_host);
	if (!m->host)
		return SIM_ENOMEM;
	sim_host_set_refill(m->host, cfg->refill.cpu, cfg->refill.time,
			    cfg->refill.lcpu, cfg->refill.ltime,
			    cfg->refill.work, cfg->refill.wtime);
	m->nprocs = cfg->workers;
	m->maxconn = cfg->threads == 1 ? 1 : cfg->worker_connections;
	/* with one worker there is nothing to switch from */
	m->herd = m->maxconn == 1 && cfg->workers > 1 &&
		  (cfg->refill.swtch > 0 || cfg->refill.cpu > 0 ||
		   cfg->refill.lcpu > 0);
	if (m->herd)
		sim_host_set_switch_refill(m->host, cfg->refill.swtch);
	/* the main thread matters when it has CPU to spend or a GIL to wait
	 * for (with overheads zero and no GIL it would change nothing) */
	m->mainthread = cfg->threads > 1 &&
			(cfg->gil.on || cfg->request_overhead > 0 ||
			 cfg->pool_overhead > 0 || cfg->pool_scan > 0 ||
			 cfg->pool_wait > 0 || cfg->pool_scan_none > 0 ||
			 cfg->conn.overhead > 0 || cfg->conn.tls_overhead > 0);
	size_t nth = (size_t)cfg->workers * (size_t)cfg->threads;
	m->procs = calloc((size_t)m->nprocs, sizeof *m->procs);
	m->threads = calloc(nth, sizeof *m->threads);
	m->idle = calloc(nth, sizeof *m->idle);
	if (!m->procs || !m->threads || !m->idle)
		return SIM_ENOMEM;
	for (int i = 0; i < m->nprocs; i++) {
		struct wp_proc *p = &m->procs[i];
		p->m = m;
		p->th = &m->threads[(size_t)i * (size_t)cfg->threads];
		p->idle = &m->idle[(size_t)i * (size_t)cfg->threads];
		sim_gil_init(&p->gil, m->host, cfg->gil.on, cfg->gil.interval,
			     cfg->gil.handoff);
		for (int k = 0; k < cfg->threads; k++) {
			struct wp_thread *th = &p->th[k];
			th->p = p;
			sim_pythread_init(&th->py, &p->gil, py_done, th);
			sim_pythread_init(&th->mpy, &p->gil, msg_py_done, th);
			sim_thread_keep_rest(&th->py.t, &p->rest);
			sim_thread_keep_rest(&th->mpy.t, &p->rest);
			p->idle[p->nidle++] = &p->th[cfg->threads - 1 - k];
		}
		sim_pythread_init(&p->main, &p->gil, main_done, p);
		p->main.drops = true; /* its accept() lets the GIL go: gil.h */
		p->rest.core = -1;    /* none yet */
		sim_thread_keep_rest(&p->main.t, &p->rest);
		if (m->herd) { /* sync: the worker's one thread */
			sim_thread_set_proc(&p->th[0].py.t, p);
			sim_thread_set_proc(&p->th[0].mpy.t, p);
		}
		p->limit = draw_limit(m);
		sim_proc_init(&p->mem, m->host, proc_base(cfg),
			      cfg->mem.request, oom_killed, p);
		sim_proc_set_per_session(&p->mem, cfg->conn.memory);
	}
	return 0;
}

static void wp_release(void *state)
{
	struct wp *m = state;
	for (int i = 0; m->procs && i < m->nprocs; i++)
		if (m->procs[i].mem.host)
			sim_proc_release(&m->procs[i].mem);
	free(m->procs);
	free(m->threads);
	free(m->idle);
	if (m->host)
		sim_ctx_host_release(&m->ctx, &m->own_host);
}

static void wp_reset_stats(void *state, double now)
{
	struct wp *m = state;
	sim_host_reset_stats(m->host, now);
	for (int i = 0; i < m->nprocs; i++) {
		sim_gil_reset_stats(&m->procs[i].gil, now);
		sim_tw_reset(&m->procs[i].accepted.tw, now);
		sim_tw_reset(&m->procs[i].toaccept.tw, now);
	}
	sim_tw_reset(&m->backlog.tw, now);
	sim_inflight_reset(&m->inflight, now);
	sim_tw_reset(&m->held_tw, now);
	sim_tw_reset(&m->sess_tw, now);
	sim_tw_reset(&m->busy_tw, now);
	sim_tw_reset(&m->accepted_tw, now);
	m->killed = m->restarts = 0;
	m->oom_kills = m->oom_restarts = 0;
	m->t_reset = now;
}

static void wp_report(void *state, struct sim_metrics *mt)
{
	struct wp *m = state;
	const struct wp_cfg *cfg = m->cfg;
	double now = now_of(m), el = now - m->t_reset;
	double nth = (double)cfg->workers * cfg->threads;
	double qgil = 0, mgil = 0, handoffs = 0, forced = 0;
	for (int i = 0; i < m->nprocs; i++) {
		struct sim_gil *g = &m->procs[i].gil;
		qgil += sim_tw_mean(&g->waiting, now);
		if (g->waiting.max > mgil)
			mgil = g->waiting.max;
		handoffs += (double)g->handoffs;
		forced += (double)g->forced;
	}
	sim_host_report(m->host, NULL, mt);
	sim_metrics_put(mt, "utilization", "workers",
			sim_tw_mean(&m->busy_tw, now) / nth);
	sim_metrics_put(mt, "queues.mean", "backlog",
			sim_tw_mean(&m->backlog.tw, now));
	sim_metrics_put(mt, "queues.max", "backlog", m->backlog.tw.max);
	if (cfg->threads > 1) {
		sim_metrics_put(mt, "queues.mean", "accepted",
				sim_tw_mean(&m->accepted_tw, now));
		sim_metrics_put(mt, "queues.max", "accepted",
				m->accepted_tw.max);
	}
	/* the mean is the total over workers; the max is the longest GIL
	 * queue any one worker had */
	sim_metrics_put(mt, "queues.mean", "gil", qgil);
	sim_metrics_put(mt, "queues.max", "gil", mgil);
	sim_inflight_report(&m->inflight, now, false, mt);
	sim_inflight_report(&m->inflight, now, true, mt);
	sim_metrics_put(mt, "gil", "handoffs_per_s",
			el > 0 ? handoffs / el : 0);
	sim_metrics_put(mt, "gil", "forced_per_s", el > 0 ? forced / el : 0);
	/* restarts: replacements booted, after a kill or a recycle */
	sim_metrics_put(mt, "workers", "killed", (double)m->killed);
	sim_metrics_put(mt, "workers", "restarts", (double)m->restarts);
	/* connections waiting in the kernel backlog cost no Python memory */
	sim_memory_report(m->host,
			  cfg->workers * proc_base(cfg) +
			      m->held_tw.max * cfg->mem.request +
			      m->sess_tw.max * cfg->conn.memory,
			  m->oom_kills, m->oom_restarts, mt);
}

/* The sync worker closes every connection after its response. */
static void wp_conn(const struct sim_system *sys, struct sim_conn_cfg *out)
{
	const struct wp_cfg *cfg = sys->config;
	*out = cfg->conn;
	if (cfg->threads == 1)
		out->keepalive = 0;
}

static size_t wp_inflight(void *state)
{
	return ((struct wp *)state)->inflight.n;
}

const struct sim_model_ops sim_model_worker_pool = {
    .name = "worker-pool",
    .summary = "gunicorn sync/gthread workers (WSGI: Django, Flask)",
    .params = wp_params,
    .nparams = sizeof wp_params / sizeof wp_params[0],
    .config_size = sizeof(struct wp_cfg),
    .state_size = sizeof(struct wp),
    .validate = wp_validate,
    .init = wp_init,
    .submit = wp_submit,
    .reset_stats = wp_reset_stats,
    .report = wp_report,
    .inflight = wp_inflight,
    .release = wp_release,
    .conn = wp_conn,
    /* a session is accepted like a request and holds its thread */
    .session = wp_submit,
    .message = wp_message,
};
