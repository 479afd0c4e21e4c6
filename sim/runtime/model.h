/*
 * model.h - what a concurrency model plugs into (models.c): the port
 * through which it reports finished requests, the context it is given, the
 * ops struct it exports, the registry of models and model instances.
 *
 * A model never draws random numbers for the workload (the demands come
 * with the request), never writes files and never counts latencies: it
 * moves requests through the runtime's mechanisms (host.h, memory.h, io.h,
 * loop.h, gil.h, procset.h) and calls port->done() once per request it
 * was given.
 */
#ifndef SIM_MODEL_H
#define SIM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/kernel.h"
#include "kernel/rng.h"
#include "kernel/stats.h"
#include "runtime/config.h"
#include "runtime/request.h"

struct sim_host;
struct sim_dspool;
struct sim_svcset;

/* What a model needs from whoever drives it (the client layer, or a parent
 * model such as `replicas`). */
struct sim_port {
	/* The request's attempt is finished (answered, refused, killed...).
	 * Ownership of r returns to the caller. */
	void (*done)(void *ctx, struct sim_request *r, enum sim_outcome o);
	void *ctx;
	/* Optional: session r is open (its handshake is over and it waits
	 * for messages: its io phase starts, sim_io_start). */
	void (*opened)(void *ctx, struct sim_request *r);
};

/* Tells the driver r's attempt is finished with outcome o. */
static inline void sim_port_done(const struct sim_port *p,
				 struct sim_request *r, enum sim_outcome o)
{
	p->done(p->ctx, r, o);
}

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
	struct sim_svcset *svc; /* the services requests may call, or NULL */
	bool folded;  /* a replica of `replicas`, which keeps only sums and
			 maxima of its figures: its distributions (loop lag)
			 need no histogram buckets */
	bool crowded; /* one of so many instances that their states outgrow
			 a core's caches (SIM_CROWDED_BYTES): fetching ahead
			 pays (sim_prefetch), where with few it costs only
			 its instructions */
};

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

/* What a server does with connections, the same four keys in every model
 * that serves HTTP (SIM_CONN_PARAMS). */
struct sim_conn_cfg {
	double overhead;     /* CPU to accept and set up a connection */
	double tls_overhead; /* CPU of the server's side of a TLS handshake */
	double keepalive;    /* an idle kept-alive connection is closed after
				this; 0: closed after every response */
	double memory;	     /* bytes per open session (WebSocket, SSE) */
};

/* The rows of the four connection keys of a model whose config struct
 * `cfg` has a struct sim_conn_cfg `field`, with the model's defaults
 * (each model cites their sources where it uses this). */
#define SIM_CONN_PARAMS(cfg, field, overhead_, tls_, keepalive_, memory_)      \
	SIM_PARAM("connection_overhead", SIM_PT_DURATION, cfg, field.overhead, \
		  .def = (overhead_), .min = 0, .max = 3600,                   \
		  .flags = SIM_P_OVERHEAD,                                     \
		  .help = "CPU to accept and set up a new connection"),        \
	    SIM_PARAM("tls_overhead", SIM_PT_DURATION, cfg,                    \
		      field.tls_overhead, .def = (tls_), .min = 0,             \
		      .max = 3600, .flags = SIM_P_OVERHEAD,                    \
		      .help = "CPU of a TLS handshake (workload.connections."  \
			      "tls)"),                                         \
	    SIM_PARAM("keepalive_timeout", SIM_PT_DURATION, cfg,               \
		      field.keepalive, .def = (keepalive_), .min = 0,          \
		      .max = 1e6,                                              \
		      .help = "idle kept-alive connections are closed after "  \
			      "this; 0 = after every response"),               \
	    SIM_PARAM("connection_memory", SIM_PT_SIZE, cfg, field.memory,     \
		      .def = (memory_), .min = 0, .max = 1e12,                 \
		      .help = "memory per open session (WebSocket, SSE)")

/* Cache refill (sim_host_set_refill): the CPU a core idle for g pays
 * again when it next runs the model's code, cpu * (1 - exp(-g / time)). */
struct sim_refill_cfg {
	double cpu;   /* after a long idle */
	double time;  /* the idle time constant; 0: every idle, however short */
	double lcpu;  /* the long part: after a longer idle still */
	double ltime; /* its time constant */
	bool work;    /* the application's cpu phases evict it too */
	double wtime; /* the short part's time constant under them; 0: time */
	double swtch; /* switch refill (sim_host_set_switch_refill) */
};

/* The rows of the six cache-refill keys of a model whose config struct
 * `cfg` has a struct sim_refill_cfg `field`, with the model's defaults
 * for the two parts (each model cites them where it uses this). The
 * time constants are common to Node, uvicorn and gunicorn: the fit of
 * scripts/calibrate-refill.sh to two runs of it on the 2-vCPU EPYC VM of
 * scripts/validate-real.sh, pooled (2026-12-05 at 21:18 and 21:30 UTC;
 * `POOL="..." bash scripts/calibrate-refill.sh`,
 * scripts/calibrate/refill_fit.py: each of the 51 points the median of
 * the two runs', rms error 33 us): cache_refill_time 0 (the short part is
 * lost over any idle gap: the gap curve's gaps of 0.03 to 4 ms differ by
 * at most 80 to 140 us, all of it the long part's), cache_refill_work_time
 * 19.95 ms and cache_refill_long_time 20 ms. A point is what a request
 * costs beyond an empty one with 8 in flight: empty requests at 20, 50,
 * 100, 300 and 1000/s (idle gaps, the share that finds the server idle:
 * Node 329, 277, 210, 112 and 61 us more; uvicorn 517, 376, 362, 166 and
 * 90; gunicorn sync 560, 466, 296, 137 and 60), with 8 in flight requests
 * that burn 0.5, 1, 2, 5 and 20 ms first (the application's work: Node
 * 16, 32, 52, 103 and 355 us more than the burn; uvicorn 22, 28, 52, 140
 * and 197; gunicorn 8, 30, 48, 144 and 478), and empty requests one at a
 * time a think time of 0.1 to 4 ms after each response (the gaps: Node
 * 6, 6, 10, 16, 22, 37 and 80 us more than with none). The two runs alone
 * fit the same constants (0, 19.95 and 20 ms; 0, 20.5 and 25 ms). The VM
 * of 2026-12-03 and 04, the same kind on another host, lost more, and
 * sooner: its five runs pooled fitted 4.2 and 30 ms with parts of 200 to
 * 600 and 420 to 980 us, and with a known gap before every request Node
 * paid 52 to 486 us more after gaps of 0.11 to 4.25 ms (docs/validation.md,
 * 2026-12-05). The refill is the host's more than the runtime's. */
#define SIM_REFILL_PARAMS(cfg, field, cpu_, long_)                             \
	SIM_PARAM("cache_refill", SIM_PT_DURATION, cfg, field.cpu,             \
		  .def = (cpu_), .min = 0, .max = 3600,                        \
		  .flags = SIM_P_OVERHEAD,                                     \
		  .help = "CPU a core pays again after idling (caches, TLB, "  \
			  "branch predictors refilled): cache_refill x "       \
			  "(1 - exp(-idle / cache_refill_time))"),             \
	    SIM_PARAM("cache_refill_time", SIM_PT_DURATION, cfg, field.time,   \
		      .def = 0, .min = 0, .max = 3600,                         \
		      .help = "time over which the server's working set "      \
			      "leaves an idle core's caches (time "            \
			      "constant); 0 = at once"),                       \
	    SIM_PARAM("cache_refill_long", SIM_PT_DURATION, cfg, field.lcpu,   \
		      .def = (long_), .min = 0, .max = 3600,                   \
		      .flags = SIM_P_OVERHEAD,                                 \
		      .help = "CPU a core pays again after idling longer "     \
			      "still, on top of cache_refill (the caches it "  \
			      "shares, refilled from memory): "                \
			      "cache_refill_long x (1 - exp(-idle / "          \
			      "cache_refill_long_time))"),                     \
	    SIM_PARAM("cache_refill_long_time", SIM_PT_DURATION, cfg,          \
		      field.ltime, .def = 20e-3, .min = 0, .max = 3600,        \
		      .help = "time over which the long part leaves the "      \
			      "caches (time constant)"),                       \
	    SIM_PARAM("cache_refill_work", SIM_PT_BOOL, cfg, field.work,       \
		      .def = 1, .min = 0, .max = 1,                            \
		      .help = "the application's cpu phases evict the "        \
			      "server's working set too: its code after c "    \
			      "of them pays cache_refill x (1 - exp(-c / "     \
			      "cache_refill_work_time)), and the long part"),  \
	    SIM_PARAM("cache_refill_work_time", SIM_PT_DURATION, cfg,          \
		      field.wtime, .def = 19.95e-3, .min = 0, .max = 3600,     \
		      .flags = SIM_P_POSITIVE,                                 \
		      .help = "time over which the application's work "        \
			      "evicts cache_refill's part (time constant; an " \
			      "idle core, given to others, may lose it "       \
			      "sooner: scripts/calibrate-refill.sh measures "  \
			      "both)")

/* The row of the switch-refill key (sim_host_set_switch_refill) of a model
 * that runs several processes on a host and tells the host which process
 * each thread belongs to (sim_thread_set_proc); `field` as above. */
#define SIM_SWITCH_REFILL_PARAM(cfg, field, cpu_)                              \
	SIM_PARAM(                                                             \
	    "switch_refill", SIM_PT_DURATION, cfg, field.swtch, .def = (cpu_), \
	    .min = 0, .max = 3600, .flags = SIM_P_OVERHEAD,                    \
	    .help = "CPU a burst pays to refill its process's working "        \
		    "set when the core last ran another process "              \
		    "(combined with cache_refill, never above the larger)")

/* The row of the `after_response` key of a model whose config struct `cfg`
 * has a double `field`: the share of the server's own CPU in the burst
 * that writes a response (everything but the application's cpu phases:
 * request, connection, callback and wake-up overheads, cache refills)
 * that runs after the response has left: the request is answered after
 * its cpu phases and the rest, the thread goes on with that share before
 * it takes its next work. An overhead: `overheads: zero` sets it to 0
 * (then no extra burst). The models cite their defaults, from syscall
 * traces of real servers (scripts/calibrate-after.sh, 2026-12-02), and
 * say so in their help (`measured_`, a string literal). */
#define SIM_AFTER_PARAM(cfg, field, share_, measured_)                         \
	SIM_PARAM(                                                             \
	    "after_response", SIM_PT_DOUBLE, cfg, field, .def = (share_),      \
	    .min = 0, .max = 1, .flags = SIM_P_OVERHEAD,                       \
	    .help = "share (0..1) of the server's own CPU in the "             \
		    "burst that writes a response run after it has "           \
		    "left (closing, freeing): not in the latency, "            \
		    "but the thread is busy before its next work; " measured_)

/* The CPU of a request's first callback before its own phases, by
 * r->conn & 3 (SIM_CONN_REUSED, SIM_CONN_TLS): `per_request` and, on a
 * new connection, the accept and set-up and the TLS handshake. */
struct sim_first_cost {
	double v[4];
};
static inline void sim_first_cost_init(struct sim_first_cost *f,
				       double per_request,
				       const struct sim_conn_cfg *c)
{
	f->v[0] = per_request + c->overhead;
	f->v[SIM_CONN_REUSED] = per_request;
	f->v[SIM_CONN_TLS] = per_request + c->overhead + c->tls_overhead;
	f->v[SIM_CONN_REUSED | SIM_CONN_TLS] = per_request;
}
/* Inline: the first callback of every request (one indexed load). */
static inline double sim_first_cost(const struct sim_first_cost *f,
				    const struct sim_request *r)
{
	return f->v[r->conn & (SIM_CONN_REUSED | SIM_CONN_TLS)];
}

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
	/* Optional: the most connections clients may keep open to a system
	 * of this model (a database's max_connections), 0 for no limit. */
	int (*connection_limit)(const struct sim_system *sys);
	/* Optional: how a system of this model treats connections (the
	 * client layer keeps a connection alive only as long as the server
	 * does); NULL: it never keeps a connection alive. */
	void (*conn)(const struct sim_system *sys, struct sim_conn_cfg *out);
	/* Optional (NULL: the model cannot hold sessions): a session r
	 * (WebSocket, SSE) connects. The model accepts it as a connection,
	 * runs its handshake, and holds it through its io phase (port.opened
	 * when that starts), then calls port.done. */
	void (*session)(void *state, struct sim_request *r);
	/* With `session`: message r arrives on the open session in r->mptr;
	 * the model runs it where that session is held, then port.done. */
	void (*message)(void *state, struct sim_request *r);
	/* Optional: fetches into the cache (sim_prefetch only, reading
	 * nothing) the lines of `state` that a request touches, for a
	 * parent whose instances outgrow the caches (sim_model_prefetch);
	 * NULL: the state's first SIM_PREFETCH_STATE bytes. */
	void (*fetch)(const void *state);
};

/* A model instance: state + ops, for models composed of others. */
struct sim_instance {
	const struct sim_model_ops *ops;
	void *state;
};
/* Allocates and initialises an instance. Returns 0 or SIM_E*. */
int sim_instance_new(struct sim_instance *in, const struct sim_ctx *ctx);
void sim_instance_free(struct sim_instance *in);
/* The bytes an instance of the model needs: its state rounded up to whole
 * cache lines. */
size_t sim_instance_size(const struct sim_model_ops *ops);
/* Initialises an instance in caller-owned `state`: sim_instance_size()
 * bytes, zeroed, 64-byte aligned (a parent's slab of instances, so that
 * thousands of them sit together). Returns 0 or SIM_E* (state untouched
 * by the release). sim_instance_release() releases it, not the state. */
int sim_instance_init(struct sim_instance *in, const struct sim_ctx *ctx,
		      void *state);
void sim_instance_release(struct sim_instance *in);

/* Calling a model instance: one inline wrapper per op (as redis's
 * connection.h), so that callers never test for an optional op. */

/* A request arrives at the server; the model calls port.done once. */
static inline void sim_model_submit(const struct sim_instance *in,
				    struct sim_request *r)
{
	in->ops->submit(in->state, r);
}
/* Fetches the instance's state into the cache ahead of a request, all its
 * lines at once rather than one miss after another as the model's code
 * finds them: for a parent whose instances do not all fit in the caches
 * (a fleet of replicas). The lines the model's `fetch` names, or without
 * one the state's first SIM_PREFETCH_STATE bytes (a model whose state is
 * larger keeps what a request touches first). */
#define SIM_PREFETCH_STATE 2048
/* Instances whose states together take more than this are crowded
 * (sim_ctx): a core's L2 cache, 1 MiB on recent AMD EPYC and Intel
 * server cores, beyond which every visit to a state misses it. */
#define SIM_CROWDED_BYTES ((size_t)1 << 20)
static inline void sim_model_prefetch(const struct sim_instance *in)
{
	if (in->ops->fetch) {
		in->ops->fetch(in->state);
		return;
	}
	size_t n = in->ops->state_size;
	sim_prefetch(in->state,
		     n < SIM_PREFETCH_STATE ? n : SIM_PREFETCH_STATE);
}
/* Whether the model drops requests whose client gave up. */
static inline bool sim_model_can_cancel(const struct sim_instance *in)
{
	return in->ops->cancel != NULL;
}
/* The client abandoned r: the model may drop it (if it can cancel). */
static inline void sim_model_cancel(const struct sim_instance *in,
				    struct sim_request *r)
{
	if (in->ops->cancel)
		in->ops->cancel(in->state, r);
}
/* End of warm-up: the model restarts its statistics at `now`. */
static inline void sim_model_reset_stats(const struct sim_instance *in,
					 double now)
{
	in->ops->reset_stats(in->state, now);
}
/* Appends the model's figures since the reset. */
static inline void sim_model_report(const struct sim_instance *in,
				    struct sim_metrics *m)
{
	in->ops->report(in->state, m);
}
/* A session connects (the model has ops->session). */
static inline void sim_model_session(const struct sim_instance *in,
				     struct sim_request *r)
{
	in->ops->session(in->state, r);
}
/* A message on an open session (the model has ops->message). */
static inline void sim_model_message(const struct sim_instance *in,
				     struct sim_request *r)
{
	in->ops->message(in->state, r);
}
/* Requests currently inside the model. */
static inline size_t sim_model_inflight(const struct sim_instance *in)
{
	return in->ops->inflight(in->state);
}

#endif
