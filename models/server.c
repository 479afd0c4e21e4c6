/*
 * server.c - a database server (PostgreSQL-like), the model `server`: a
 * backend process per connection, at most `max_connections` of them
 * (PostgreSQL's own limit, default 100), on the host's `cores`.
 *
 * Each request is a query (the phases a `call` gives it): it takes a
 * backend, whose `cpu` phases (and `pool` phases: work the backend does
 * itself) compete for the cores under the host scheduler, and whose `io`
 * phases (disk reads, lock waits) hold the backend but no core. With
 * every backend busy, a new connection waits in a queue of `queue` (a
 * pooler in front of the server, as PgBouncer does), and beyond that it
 * is refused, as PostgreSQL refuses with "sorry, too many clients
 * already" when max_connections is reached (queue 0, the default).
 *
 * Clients that keep their connections open (a `pool:` on the call, as
 * SQLAlchemy and node-postgres do) count against max_connections for as
 * long as they keep them (runtime/service.c, which asks
 * connection_limit()).
 *
 * With `overheads: zero`, c = max_connections backends on at least c
 * cores and one exponential `cpu` phase, this is an M/M/c/c+queue queue.
 */
#include <stdlib.h>

#include "runtime/host.h"
#include "runtime/io.h"
#include "runtime/model.h"

#define KiB 1024.0
#define MiB (1024.0 * KiB)

struct sv_cfg {
	int max_connections;
	int queue;
	double query_overhead;
	double backend_memory;
};

static const struct sim_param sv_params[] = {
    /* PostgreSQL docs, "Connections and Authentication": max_connections
     * "is typically 100 connections, but might be less if your kernel
     * settings will not support it (as determined during initdb)"
     * (postgresql.org/docs/current/runtime-config-connection.html) */
    SIM_PARAM("max_connections", SIM_PT_INT, struct sv_cfg, max_connections,
	      .def = 100, .min = 1, .max = 262143, .flags = SIM_P_PROCESSES,
	      .help = "backends at most (PostgreSQL max_connections)"),
    SIM_PARAM("queue", SIM_PT_INT, struct sv_cfg, queue, .def = 0, .min = 0,
	      .max = 1 << 20, .flags = SIM_P_QUEUE,
	      .help = "connections waiting for a backend (a pooler); beyond, "
		      "refused"),
    /* Parsing, planning and the protocol round of a small query: an
     * estimate of tens of microseconds, not a measurement. */
    SIM_PARAM("query_overhead", SIM_PT_DURATION, struct sv_cfg, query_overhead,
	      .def = 30e-6, .min = 0, .max = 3600, .flags = SIM_P_OVERHEAD,
	      .help = "CPU per query: parse, plan"),
    /* A PostgreSQL backend's private memory is a few MiB before work_mem
     * (an estimate; shared_buffers is not counted). */
    SIM_PARAM("backend_memory", SIM_PT_SIZE, struct sv_cfg, backend_memory,
	      .def = 5 * MiB, .min = 0, .max = 1e12,
	      .help = "memory per backend in use"),
};

struct sv;

struct sv_backend {
	struct sim_thread th;
	struct sv *m;
	struct sim_request *r;
};

struct sv {
	struct sim_ctx ctx;
	const struct sv_cfg *cfg;
	struct sim_host own_host, *host;
	struct sv_backend *be;
	struct sv_backend **idle;
	int nidle, peak;
	struct sim_queue wait;
	struct sim_inflight inflight;
	struct sim_tw busy;
	uint64_t refused;
};

static void sv_next(struct sv_backend *b);

static void sv_io_done(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	(void)arg;
	struct sv_backend *b = obj;
	b->r->phase++;
	sv_next(b);
}

static void sv_cpu_done(struct sim_thread *t)
{
	struct sv_backend *b = t->owner;
	b->r->phase++;
	sv_next(b);
}

/* Runs b's query from its current phase, or ends it. */
static void sv_next(struct sv_backend *b)
{
	struct sv *m = b->m;
	struct sim_request *r = b->r;
	double now = m->ctx.s->now;
	if (r->phase >= r->nphases) {
		b->r = NULL;
		sim_inflight_sub(&m->inflight, now);
		struct sim_request *n = sim_queue_pop(&m->wait, now);
		if (n) { /* the backend goes to the next in line */
			b->r = n;
			n->phase = (uint8_t)-1; /* the overhead first */
			sim_host_run(m->host, &b->th, m->cfg->query_overhead);
		} else {
			m->idle[m->nidle++] = b;
			sim_tw_set(&m->busy, now,
				   m->cfg->max_connections - m->nidle);
		}
		sim_port_done(&m->ctx.port, r, SIM_OUT_OK);
		return;
	}
	if (sim_phase_waits(sim_req_phase_kind(&m->ctx, r, r->phase)))
		sim_io_start(&m->ctx, r, sv_io_done, b);
	else
		sim_host_run(m->host, &b->th, r->demand[r->phase]);
}

static void sv_submit(void *state, struct sim_request *r)
{
	struct sv *m = state;
	double now = m->ctx.s->now;
	if (!m->nidle) {
		if (m->wait.len >= (size_t)m->cfg->queue) {
			m->refused++;
			sim_port_done(&m->ctx.port, r, SIM_OUT_REFUSED);
			return;
		}
		sim_inflight_add(&m->inflight, now);
		sim_queue_push(&m->wait, r, now);
		return;
	}
	sim_inflight_add(&m->inflight, now);
	struct sv_backend *b = m->idle[--m->nidle];
	int used = m->cfg->max_connections - m->nidle;
	if (used > m->peak)
		m->peak = used;
	sim_tw_set(&m->busy, now, used);
	b->r = r;
	r->phase = (uint8_t)-1; /* the overhead first, then phase 0 */
	sim_host_run(m->host, &b->th, m->cfg->query_overhead);
}

static int sv_init(void *state, const struct sim_ctx *ctx)
{
	struct sv *m = state;
	m->ctx = *ctx;
	m->cfg = ctx->sys->config;
	m->host = sim_ctx_host(ctx, &m->own_host);
	if (!m->host)
		return SIM_ENOMEM;
	int n = m->cfg->max_connections;
	m->be = calloc((size_t)n, sizeof *m->be);
	m->idle = calloc((size_t)n, sizeof *m->idle);
	if (!m->be || !m->idle)
		return SIM_ENOMEM;
	for (int i = n; i-- > 0;) {
		m->be[i].m = m;
		sim_thread_init(&m->be[i].th, m->host, sv_cpu_done, &m->be[i]);
		m->idle[m->nidle++] = &m->be[i];
	}
	return 0;
}

static void sv_release(void *state)
{
	struct sv *m = state;
	if (m->host)
		sim_ctx_host_release(&m->ctx, &m->own_host);
	free(m->be);
	free(m->idle);
}

static void sv_reset_stats(void *state, double now)
{
	struct sv *m = state;
	sim_host_reset_stats(m->host, now);
	sim_tw_reset(&m->busy, now);
	sim_tw_reset(&m->wait.tw, now);
	sim_inflight_reset(&m->inflight, now);
	m->refused = 0;
	m->peak = m->cfg->max_connections - m->nidle;
}

static void sv_report(void *state, struct sim_metrics *mt)
{
	struct sv *m = state;
	double now = m->ctx.s->now;
	if (!m->ctx.host)
		sim_host_report(m->host, NULL, mt);
	sim_metrics_put(mt, "utilization", "connections",
			sim_tw_mean(&m->busy, now) / m->cfg->max_connections);
	sim_metrics_put(mt, "queues.mean", "connections",
			sim_tw_mean(&m->wait.tw, now));
	sim_metrics_put(mt, "queues.max", "connections", m->wait.tw.max);
	sim_inflight_report(&m->inflight, now, false, mt);
	sim_inflight_report(&m->inflight, now, true, mt);
	sim_metrics_put(mt, "connections", "peak", m->peak);
	sim_metrics_put(mt, "connections", "refused", (double)m->refused);
	sim_metrics_put(mt, "", "memory_peak_bytes",
			m->peak * m->cfg->backend_memory);
}

static size_t sv_inflight(void *state)
{
	struct sv *m = state;
	return m->inflight.n;
}

static int sv_connection_limit(const struct sim_system *sys)
{
	const struct sv_cfg *cfg = sys->config;
	return cfg->max_connections;
}

const struct sim_model_ops sim_model_server = {
    .name = "server",
    .summary = "a database server (PostgreSQL): a backend per connection, "
	       "max_connections, cores",
    .params = sv_params,
    .nparams = sizeof sv_params / sizeof sv_params[0],
    .config_size = sizeof(struct sv_cfg),
    .state_size = sizeof(struct sv),
    .init = sv_init,
    .submit = sv_submit,
    .reset_stats = sv_reset_stats,
    .report = sv_report,
    .inflight = sv_inflight,
    .release = sv_release,
    .connection_limit = sv_connection_limit,
};
