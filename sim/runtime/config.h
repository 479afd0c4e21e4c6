/*
 * config.h - the plain data a scenario configures the runtime with
 * (workload, systems, parameter tables, sweep): the runtime and the models
 * read it, the loader (scenario/) fills it in and writes it back. It is
 * the runtime's own vocabulary, with no function of the loader, so that
 * the runtime depends on nothing above it.
 */
#ifndef SIM_CONFIG_H
#define SIM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/kernel.h"
#include "kernel/rng.h"

struct sim_model_ops;

/* Where a value came from; file is "--set" for command-line overrides. */
struct sim_mark {
	const char *file;
	int line, col; /* 1-based */
};

/* ----------------------------------------------------- parameter tables -- */

enum sim_ptype {
	SIM_PT_INT,	 /* int; a whole number */
	SIM_PT_DOUBLE,	 /* double; a plain number */
	SIM_PT_DURATION, /* double seconds; needs a unit: ns us ms s m */
	SIM_PT_RATE,	 /* double per second; needs a unit: /s /m */
	SIM_PT_SIZE,	 /* double bytes; needs a unit: B KiB MiB GiB */
	SIM_PT_BOOL,	 /* bool */
	SIM_PT_ENUM,	 /* int index into `choices` */
	SIM_PT_STRING,	 /* char * (owned by the scenario) */
	SIM_PT_DIST,	 /* struct sim_dist: a map {dist, mean, cv, ...} */
	SIM_PT_SYSTEM,	 /* struct sim_system *: a nested system map (model:,
			    cores:, ...), e.g. the replica of `replicas` */
	SIM_PT_DOUBLES,	 /* struct sim_doubles: a list of plain numbers */
};

/* A list of numbers (e.g. balancer weights). */
struct sim_doubles {
	double *v;
	size_t n;
};

#define SIM_P_OVERHEAD 0x1u /* set to 0 by `overheads: zero` */
#define SIM_P_REQUIRED 0x2u /* must be given */
#define SIM_P_POSITIVE 0x4u /* a number must be greater than min */
/* What a key says about the size of a system, for the cost estimate of a
 * run (workload/budget.c): a model marks its keys, budget.c knows no key. */
#define SIM_P_PROCESSES 0x10u  /* int: multiplies the processes */
#define SIM_P_THREADS	0x20u  /* int: multiplies the threads per process */
#define SIM_P_COPIES	0x40u  /* int: copies of the nested system (largest) */
#define SIM_P_QUEUE	0x80u  /* int: bounds a queue (largest) */
#define SIM_P_GIL	0x100u /* bool: the processes take turns on a GIL */
#define SIM_P_GIL_SLICE 0x200u /* duration: a GIL holder yields this often */
/* The resolved scenario (writer.c) writes the key only when it differs
 * from its default: a key added later leaves the scenario.yaml of older
 * runs and sweeps byte for byte the same (so `sweep --resume` and `merge`
 * still recognise them). */
#define SIM_P_UNLESS_DEFAULT 0x400u

/* One key of a model's (or the host's) configuration. The loader writes the
 * value at `offset` of the config struct, checks min <= value <= max for
 * numbers, and applies `def` (numbers, bools, enum index) when absent. */
struct sim_param {
	const char *key;
	enum sim_ptype type;
	size_t offset;
	double def;
	double min, max;
	unsigned flags;
	const char *const *choices; /* SIM_PT_ENUM: NULL-terminated */
	const char *help;	    /* one line, shown by `concsim help` */
};

/* The shortest restart after an OOM kill: a process whose memory limit is
 * below what it needs at start is killed again as it restarts, so with no
 * delay the simulation would loop at one instant. No runtime restarts
 * faster: a bare `node -e 0` takes ~40 ms to start, CPython ~15 ms. */
#define SIM_MIN_RESTART 1e-3 /* seconds */

/* One row of a table, the four things every key has first, then named
 * fields: SIM_PARAM("cores", SIM_PT_INT, struct sim_host_cfg, cores,
 * .def = 1, .min = 1, .max = 4096, .help = "CPU cores of the host"). */
#define SIM_PARAM(key_, type_, cfg, field, ...)                                \
	{                                                                      \
		.key = (key_), .type = (type_),                                \
		.offset = offsetof(cfg, field), __VA_ARGS__                    \
	}

/* ------------------------------------------------------------ workload -- */

enum sim_arrival_kind {
	SIM_ARR_POISSON,
	SIM_ARR_CONSTANT,
	SIM_ARR_MMPP,	 /* on-off bursts: rate while on, rate_off while off */
	SIM_ARR_DIURNAL, /* rate * (1 + amplitude * sin(2 pi t / period)) */
	SIM_ARR_TRACE,	 /* replay of a `concsim trace` CSV */
};

/* A step of a schedule: from `at` on, the rate is `rate`. A step given
 * as `scale: F` (scaled) has rate = F x the base rate, resolved when the
 * scenario is loaded, so that --set, sweeps and capacity move it along. */
struct sim_rate_step {
	double at, rate;
	double scale; /* with scaled */
	bool scaled;
	struct sim_mark mark;
};

struct sim_arrivals {
	enum sim_arrival_kind kind;
	double rate; /* per second */
	struct sim_rate_step *schedule;
	size_t nschedule;
	double rate_off, mean_on, mean_off; /* mmpp */
	double period, amplitude;	    /* diurnal */
	char *file;			    /* trace */
	double speed;			    /* trace */
	struct sim_mark mark;
};

struct sim_closed {
	uint32_t users; /* 0: open workload */
	struct sim_dist think;
	bool coordinated_omission; /* report the gap to an open workload */
};

enum sim_jitter { SIM_JITTER_NONE, SIM_JITTER_FULL, SIM_JITTER_EQUAL };

struct sim_client {
	double timeout; /* seconds; 0 = none */
	int retries;	/* extra attempts after the first */
	double backoff, multiplier;
	enum sim_jitter jitter;
	double retry_budget; /* max retries / requests ratio; 0 = unlimited */
	bool cancel;	     /* server drops work the client abandoned */
	double deadline;     /* goodput deadline; 0 = timeout (or none) */
	/* the network's round trip between the clients and the system (the
	 * client layer's; 0 for a call between services): a request on a new
	 * connection reaches the server 1.5 rtt after it is sent, one on a
	 * kept-alive connection 0.5 rtt after, the answer the client 0.5 rtt
	 * after the server sends it */
	double rtt;
	/* the clients' machine stops at Poisson times (stall_rate a second
	 * of the time between stalls) for a time drawn from stall_time: a
	 * request sent or an answer received meanwhile waits for the end
	 * (run.c; the client layer's, with rtt); 0 = never */
	double stall_rate;
	struct sim_dist stall_time;
};

/* call and parallel wait for other services: to the model that runs them
 * they are io phases (a wait that needs no core); the runtime's call layer
 * (runtime/service.c) does the rest. */
enum sim_phase_kind {
	SIM_PHASE_CPU,
	SIM_PHASE_IO,
	SIM_PHASE_POOL,
	SIM_PHASE_CALL,
	SIM_PHASE_PARALLEL
};

struct sim_call;

struct sim_phase {
	enum sim_phase_kind kind;
	struct sim_dist dist;
	bool on_cpu;	 /* pool: the blocking work burns CPU (default true) */
	bool downstream; /* io: holds a connection of workload.downstream
			    (default true when there is one) */
	struct sim_call *calls; /* call: 1, parallel: ncalls (owned) */
	size_t ncalls;
};

/* Whether a phase waits like io (io, call, parallel). */
static inline bool sim_phase_waits(enum sim_phase_kind k)
{
	return k == SIM_PHASE_IO || k >= SIM_PHASE_CALL;
}

/* A call to a service: a request with `phases` sent to `service` and
 * waited for. Its demands are drawn with the caller's request: the
 * caller's demand array holds, after its own phases, one block per call
 * (a uniform draw for the cache, the hit cost, then the callee's block,
 * laid out the same way, recursively). */
struct sim_call {
	char *service;
	size_t svc;  /* index into sc->services */
	size_t site; /* class index in the service's workload */
	struct sim_phase *phases;
	size_t nphases;
	bool sync; /* handler: sync */
	int pool;  /* connections per calling process (a client pool); 0: a
		      connection per call */
	struct sim_client client; /* timeout, retries (client layer's) */
	double hit;		  /* cache hit probability (skips the call) */
	struct sim_dist hit_cost; /* a hit's wait (a cache round trip) */
	size_t off; /* demand slot of the cache draw, in the caller's block */
	size_t len; /* the callee's block (demands after off + 2) */
	struct sim_mark mark;
};

struct sim_class {
	char *name;
	double weight;
	bool sync; /* handler: sync (runs in a threadpool on async models) */
	struct sim_phase *phases;
	size_t nphases;
	size_t ndemands; /* demand slots: nphases, plus the calls' blocks */
	struct sim_mark mark;
};

/* The shared downstream resource (a database pool of N connections). */
struct sim_downstream {
	int connections; /* 0: none */
};

/* workload.connections: how clients use HTTP connections (keep-alive). */
struct sim_connections {
	double reuse;	/* requests per connection, >= 1 (mean if geometric) */
	bool geometric; /* reuse is the mean of a geometric count */
	bool tls;	/* every new connection does a TLS handshake */
	struct sim_mark mark;
};

/* workload.sessions: long-lived connections (WebSocket, SSE) that stay
 * open and carry messages. Their two request classes live past the
 * workload's own, at classes[nclasses] (a message, with a last cpu phase
 * for its broadcast) and classes[nclasses + 1] (the session itself: one io
 * phase as long as the session lives). */
struct sim_sessions {
	uint32_t count;		  /* 0: no sessions */
	double ramp;		  /* seconds over which they open */
	struct sim_dist lifetime; /* kind SIM_DIST_NKINDS: the whole run */
	double rate;		  /* messages per second per session */
	uint32_t fanout;	  /* broadcast recipients; 0 = no broadcast */
	bool fanout_all;	  /* fanout: all (every open session) */
	struct sim_class msg;	  /* messages.phases */
	struct sim_class bcast;	  /* per-recipient phases (cpu only) */
	struct sim_mark mark, ramp_mark, fanout_mark;
};

struct sim_workload {
	struct sim_arrivals arrivals;
	struct sim_closed closed;
	struct sim_client client;
	struct sim_class *classes;
	size_t nclasses;
	struct sim_downstream downstream;
	struct sim_connections connections;
	struct sim_sessions sessions;
	size_t nextra; /* classes past nclasses (sessions: 2) */
};

/* ------------------------------------------------------------- systems -- */

/* sim_host_cfg.scheduler: the run queue in order (the thread preempted
 * at its back), or Linux's EEVDF (runtime/eevdf.h) */
enum { SIM_SCHED_ROUND_ROBIN, SIM_SCHED_EEVDF };

/* What every system has, whatever its model. */
struct sim_host_cfg {
	int cores;
	double quantum; /* seconds; 0 = ideal processor sharing */
	/* seconds between the scheduler's ticks, at which a slice used up is
	 * taken away (host.c, hold_end); 0 = at once */
	double tick;
	/* which waiting thread a core runs next: SIM_SCHED_* */
	int scheduler;
	double context_switch; /* seconds per switch between threads */
	/* a thread that becomes runnable takes a core at once from a thread
	 * that has held it longer than a quantum (host.c, bound_slices) */
	bool wakeup_preemption;
	double memory;	  /* bytes; 0 = no limit */
	double cpu_scale; /* multiplies the workload's cpu phase demands
			     (a runtime slower or faster than the one
			     they were measured on); 1 = as given */
	/* stalls (host.c): each core stops at Poisson times, stall_rate a
	 * second of the time it runs, for a time drawn from stall_time (the
	 * hypervisor running another vCPU on it unseen); 0 = never */
	double stall_rate;
	struct sim_dist stall_time;
};

struct sim_system {
	char *name;
	const struct sim_model_ops *model;
	struct sim_host_cfg host;
	void *config; /* model->config_size bytes, filled from model->params */
	struct sim_mark mark;
	/* systems.NAME.services: one per scenario service, NULL where the
	 * service's own definition holds (owned; NULL when none) */
	struct sim_system **svc;
	/* a service's `pool`: each calling process's connections to it, for
	 * calls that give none (0: a connection per call) */
	int client_pool;
};

/* A service (`services:`): a system definition that requests call, and
 * the workload it sees: one class per call site (a `call` anywhere in the
 * scenario that names it), whose phases are the call's. */
struct sim_service {
	struct sim_system sys;
	struct sim_workload wl; /* classes point into the calls (not owned) */
	int depth;		/* deepest call chain that reaches it */
	struct sim_mark mark;
};

/* One swept parameter: a dotted path and the values (as YAML scalars). */
struct sim_sweep_param {
	char *path;
	char **values;
	size_t nvalues;
	struct sim_mark mark;
};

struct sim_scenario {
	char *file;
	char *name, *description;
	uint64_t seed;
	double duration, warmup; /* seconds */
	bool warmup_auto; /* `warmup: auto`: MSER-5 per replication (run.c) */
	int replications;
	struct sim_workload workload;
	struct sim_system *systems;
	size_t nsystems;
	struct sim_service *services;
	size_t nservices;
	struct sim_sweep_param *sweep;
	size_t nsweep;
	size_t max_phases; /* most demand slots of any class */
	bool per_replica;  /* not a key: `--per-replica` asks `replicas`
			      systems for every replica's figures */
	char **inputs;	   /* the files the scenario reads (a trace, samples),
			      resolved: no output may replace one */
	size_t ninputs, inputs_cap;
};

/* A command-line override `--set PATH=VALUE`. */
/* A `--set PATH=VALUE`. The path SIM_SELECT_SYSTEMS instead keeps only
 * the systems named in VALUE (comma-separated, `--systems a,b`), in the
 * scenario's order. */
struct sim_override {
	const char *path;
	const char *value;
};
#define SIM_SELECT_SYSTEMS "@systems"

#endif
