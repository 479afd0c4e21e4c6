/*
 * replicas.c - horizontally scaled copies of any model behind a load
 * balancer, with optional autoscaling.
 *
 * Each replica is a full model instance (event-loop, worker-pool, async,
 * even `replicas` again) built from the nested `replica:` system. Replicas
 * run on their own hosts (one per replica, its cores from the replica's
 * own `cores`), or with `colocated: true` on ONE host whose cores are this
 * system's `cores` (Node cluster or gunicorn workers on a single machine,
 * several containers on one node).
 *
 * The balancer sees only what a real proxy sees: the requests it has sent
 * to each replica and not yet seen answered (its own count, not the
 * replica's). Policies: round-robin (the default of nginx's upstream
 * module and of Envoy), random (Kubernetes Services in iptables mode pick a
 * backend at random per connection; here a request is a connection),
 * least-connections, power-of-two and power-of-d choices (two or d
 * distinct replicas drawn at random, the one with fewer requests in flight
 * wins: HAProxy's default since 3.3, Envoy LEAST_REQUEST; Mitzenmacher
 * 2001), hash (sticky by client, jump consistent hash so that scaling
 * moves few clients; Lamping & Veach 2014), and weighted round-robin
 * (nginx's smooth weighted round-robin) and weighted random.
 *
 * A request crosses the proxy twice: it reaches the replica `hop` after the
 * balancer chose it, and the response reaches the client `hop` after the
 * replica answered.
 *
 * Autoscaling follows the Kubernetes HorizontalPodAutoscaler loop: every
 * `autoscale_interval` (default 15 s, the HPA sync period) the mean number
 * of requests in flight per serving replica over the last interval is
 * compared with `autoscale_target`. Above it, the desired count is
 * ceil(load / target) (the HPA formula), growing at most by doubling or by
 * 4 per decision (the HPA's default scale-up limits) and up to
 * `autoscale_max`; new replicas take traffic `scale_up_delay` +
 * `cold_start` later. Below half the target, one replica per interval is
 * drained (no new requests; it leaves when empty), never going below
 * `replicas`; the newest goes first, as a ReplicaSet removes its youngest
 * pods first. Every instance up to `autoscale_max` is built at init, so
 * scaling never allocates.
 *
 * Memory. With `colocated: true` every process of every replica registers
 * on the one shared host, whose `memory` is this system's: when they go
 * over it together the kernel OOM-kills the largest of them, whichever
 * replica runs it (sim/runtime/memory.c), and that replica's model fails its
 * requests and restarts it. Without co-location each replica's host has
 * the replica's own `memory` (a container limit per replica). The
 * balancer does not notice a dead replica (no passive health checks, no
 * retry on the next upstream): requests sent to it meanwhile fail there.
 *
 * With `overheads: zero`, a random balancer over N single-core event loops
 * with one exponential CPU phase is N independent M/M/1 queues.
 */
#define _DEFAULT_SOURCE /* madvise: MADV_HUGEPAGE */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "runtime/host.h"
#include "runtime/model.h"

enum rep_balancer {
	BAL_ROUND_ROBIN,
	BAL_RANDOM,
	BAL_LEAST_CONN,
	BAL_POWER_OF_TWO,
	BAL_POWER_OF_D,
	BAL_HASH,
	BAL_WEIGHTED_RR,
	BAL_WEIGHTED_RANDOM,
};

static const char *const rep_balancers[] = {
    "round-robin",	    "random",	       "least-connections",
    "power-of-two",	    "power-of-d",      "hash",
    "weighted-round-robin", "weighted-random", NULL,
};

/* Replicas of replicas of ... at most this deep. */
#define MAX_NESTING  3
#define MAX_REPLICAS 100000

struct rep_cfg {
	int replicas;
	struct sim_system *replica;
	int balancer;
	int d;
	struct sim_doubles weights;
	double hop;
	bool colocated;
	int autoscale_max;
	double autoscale_target;
	double autoscale_interval;
	double scale_up_delay;
	double cold_start;
};

static const struct sim_param rep_params[] = {
    SIM_PARAM("replicas", SIM_PT_INT, struct rep_cfg, replicas, .def = 2,
	      .min = 1, .max = MAX_REPLICAS, .flags = SIM_P_COPIES,
	      .help = "copies of the replica (the minimum when autoscaling)"),
    SIM_PARAM(
	"replica", SIM_PT_SYSTEM, struct rep_cfg, replica,
	.flags = SIM_P_REQUIRED,
	.help =
	    "the system each replica runs: {model: event-loop, cores: 1, ...}"),
    /* round-robin: nginx upstream and Envoy's default policy */
    SIM_PARAM("balancer", SIM_PT_ENUM, struct rep_cfg, balancer,
	      .def = BAL_ROUND_ROBIN, .choices = rep_balancers,
	      .help = "load-balancing policy across replicas"),
    SIM_PARAM("d", SIM_PT_INT, struct rep_cfg, d, .def = 2, .min = 2,
	      .max = MAX_REPLICAS,
	      .help = "power-of-d: replicas sampled per request"),
    SIM_PARAM("weights", SIM_PT_DOUBLES, struct rep_cfg, weights, .min = 0,
	      .max = 1e12, .help = "weighted policies: one weight per replica"),
    /* an in-datacenter proxy hop: a guess of 100 us (same-zone round
     * trips are tens to hundreds of microseconds), not a measurement */
    SIM_PARAM("hop", SIM_PT_DURATION, struct rep_cfg, hop, .def = 100e-6,
	      .min = 0, .max = 3600, .flags = SIM_P_OVERHEAD,
	      .help = "latency added by the balancer, on the way in and again "
		      "on the way out"),
    SIM_PARAM("colocated", SIM_PT_BOOL, struct rep_cfg, colocated,
	      .help = "all replicas share one host with this system's cores "
		      "(else one host each)"),
    SIM_PARAM("autoscale_max", SIM_PT_INT, struct rep_cfg, autoscale_max,
	      .min = 0, .max = MAX_REPLICAS, .flags = SIM_P_COPIES,
	      .help = "autoscaling: most replicas; 0 = off"),
    SIM_PARAM("autoscale_target", SIM_PT_DOUBLE, struct rep_cfg,
	      autoscale_target, .min = 0, .max = 1e9,
	      .help =
		  "autoscaling: target mean requests in flight per replica"),
    /* the Kubernetes HPA sync period (--horizontal-pod-autoscaler-sync-
     * period) defaults to 15 s */
    SIM_PARAM("autoscale_interval", SIM_PT_DURATION, struct rep_cfg,
	      autoscale_interval, .def = 15, .min = 0, .max = 86400,
	      .help =
		  "autoscaling: how often the load is measured and acted on"),
    SIM_PARAM(
	"scale_up_delay", SIM_PT_DURATION, struct rep_cfg, scale_up_delay,
	.min = 0, .max = 86400,
	.help =
	    "autoscaling: from a scale-up decision to the replica starting"),
    SIM_PARAM("cold_start", SIM_PT_DURATION, struct rep_cfg, cold_start,
	      .min = 0, .max = 86400,
	      .help = "autoscaling: from starting to receiving traffic"),
};

/* ------------------------------------------------------------ validate -- */

static bool weighted(int balancer)
{
	return balancer == BAL_WEIGHTED_RR || balancer == BAL_WEIGHTED_RANDOM;
}

static const char *rep_validate(const struct sim_system *sys)
{
	/* one buffer per thread: the loader prints the message at once */
	static _Thread_local char msg[160];
	const struct rep_cfg *c = sys->config;
	if (!c->replica)
		return "'replica' is required: the system each replica runs, "
		       "e.g. {model: event-loop, cores: 1}";
	int depth = 1;
	for (const struct sim_system *r = c->replica;
	     r && r->model == sys->model;
	     r = ((const struct rep_cfg *)r->config)->replica)
		if (++depth > MAX_NESTING)
			return "'replica': replicas nested more than 3 deep";
	int n = c->autoscale_max > 0 ? c->autoscale_max : c->replicas;
	if (weighted(c->balancer)) {
		if (c->weights.n == 0) {
			snprintf(msg, sizeof msg,
				 "balancer '%s' needs 'weights', one per "
				 "replica",
				 rep_balancers[c->balancer]);
			return msg;
		}
		if (c->weights.n != (size_t)n) {
			snprintf(
			    msg, sizeof msg,
			    "'weights' needs %d entries (one per replica%s), "
			    "got %zu",
			    n,
			    c->autoscale_max > 0 ? ", up to autoscale_max" : "",
			    c->weights.n);
			return msg;
		}
		for (size_t i = 0; i < c->weights.n; i++)
			if (!(c->weights.v[i] > 0))
				return "'weights' must all be greater than 0";
	} else if (c->weights.n) {
		return "'weights' needs a weighted balancer "
		       "(weighted-round-robin or weighted-random)";
	}
	if (c->balancer == BAL_POWER_OF_D && c->d > c->replicas) {
		snprintf(msg, sizeof msg,
			 "'d' must be between 2 and replicas (%d), got %d",
			 c->replicas, c->d);
		return msg;
	}
	/* the memory limit belongs to the host the processes run on */
	if (c->colocated && c->replica->host.memory > 0)
		return "'replica.memory' has no effect with colocated: true: "
		       "the replicas share this system's host, set 'memory' "
		       "here";
	if (!c->colocated && sys->host.memory > 0)
		return "'memory' needs colocated: true (one shared host); "
		       "for a limit per replica set 'replica.memory'";
	/* so do the stalls of its cores */
	if (c->colocated && c->replica->host.stall_rate > 0)
		return "'replica.stall_rate' has no effect with colocated: "
		       "true: the replicas share this system's host, set "
		       "'stall_rate' here";
	if (!c->colocated && sys->host.stall_rate > 0)
		return "'stall_rate' needs colocated: true (one shared host); "
		       "for stalls of each replica's own host set "
		       "'replica.stall_rate'";
	if (c->autoscale_max > 0) {
		if (c->autoscale_max < c->replicas)
			return "'autoscale_max' must be at least 'replicas'";
		if (!(c->autoscale_target > 0))
			return "autoscaling needs 'autoscale_target' > 0 (mean "
			       "requests in flight per replica)";
		if (!(c->autoscale_interval > 0))
			return "'autoscale_interval' must be greater than 0";
	}
	return NULL;
}

/* --------------------------------------------------------------- state -- */

enum rep_state {
	R_IDLE,	    /* not running: no traffic */
	R_PENDING,  /* scale-up decided: delay and cold start under way */
	R_ACTIVE,   /* receiving traffic */
	R_DRAINING, /* finishing its requests, no new ones */
};

struct rep;

/* A request reads and writes the first 64 bytes of its replica's entry
 * (the balancer's count, the instance, its end): one line per visit. */
#define REP_CHILD_HOT (offsetof(struct rep_child, inflight.t0))

struct rep_child {
	/* what a request touches (choosing, counting, handing it over, its
	 * end), one cache line: a fleet visits thousands of these; the
	 * in-flight count's t0 (reports only) is the next line's */
	_Alignas(64) struct sim_instance inst;
	uint64_t sent; /* since the reset */
	struct rep *m;
	struct sim_inflight inflight; /* sent, not yet answered */
	/* the rest: autoscaling, weighted policies, setup */
	enum rep_state state;
	bool launched; /* has served at some point of the run */
	bool has_rng;
	double weight, cur; /* weighted policies; cur: smooth WRR credit */
	struct sim_stream rng;
};
_Static_assert(REP_CHILD_HOT == 64, "a replica's entry: its hot fields in "
				    "its first cache line, all of it");

/* Where each request is, for forwarding cancellations: an open-addressing
 * table keyed by request pointer, used only when the replica model can
 * cancel. It grows by doubling, so allocation stays off the hot path. */
struct rep_slot {
	struct sim_request *r;
	int child;
};

struct rep_map {
	struct rep_slot *v;
	size_t cap, n; /* cap a power of two */
};

struct rep {
	struct sim_ctx ctx;
	const struct rep_cfg *cfg;
	struct sim_host *host, own_host; /* colocated: the shared host */
	struct sim_host *shared;	 /* the host all replicas share, or
					    NULL when each has its own */
	struct rep_child *ch;
	int nch;
	/* the replicas' states, one slab (rep_init): a request's replica is
	 * one run of cache lines in one region, on huge pages where the
	 * kernel gives them (fewer TLB misses across thousands) */
	unsigned char *slab;
	void *slab_mem; /* the allocation the slab lies in (slab_alloc) */
	bool crowded;	/* the slab outgrows the caches (SIM_CROWDED_BYTES) */
	bool ahead;	/* random: next_u is the next pick's uniform */
	double next_u;
	int *act; /* indices of R_ACTIVE replicas, ascending */
	int nact;
	int *perm;    /* power-of-d: a permutation of 0..nact-1 */
	double *cumw; /* weighted random: cumulative weights over act */
	/* least-connections: a min segment tree over act[]'s positions of
	 * the replicas' requests in flight (leaves lc[lcn + k], padding
	 * SIZE_MAX), and each replica's position in act[] or -1, so that a
	 * pick and an update cost O(log replicas), not a scan */
	size_t *lc;
	int lcn; /* leaves: a power of two >= nch */
	int *pos;
	uint64_t rr;
	struct sim_inflight inflight; /* from submit to port.done (both hops) */
	struct sim_tw serving_tw;     /* replicas active or draining */
	int serving;
	uint64_t sent;
	/* autoscaler */
	struct sim_tw as_load;	  /* requests in flight at replicas */
	struct sim_tw as_serving; /* serving replicas */
	int pending;
	uint64_t scale_ups, scale_downs;
	/* cancellation */
	bool track;
	struct rep_map map;
};

/* ------------------------------------------------ the cancellation map -- */

static size_t map_hash(const struct sim_request *r, size_t cap)
{
	uint64_t x = (uint64_t)(uintptr_t)r;
	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull; /* splitmix64 multiplier */
	x ^= x >> 32;
	return (size_t)x & (cap - 1);
}

static int map_grow(struct rep_map *mp)
{
	size_t cap = mp->cap ? 2 * mp->cap : 256;
	struct rep_slot *v = calloc(cap, sizeof *v);
	if (!v)
		return SIM_ENOMEM;
	for (size_t i = 0; i < mp->cap; i++) {
		if (!mp->v[i].r)
			continue;
		size_t h = map_hash(mp->v[i].r, cap);
		while (v[h].r)
			h = (h + 1) & (cap - 1);
		v[h] = mp->v[i];
	}
	free(mp->v);
	mp->v = v;
	mp->cap = cap;
	return 0;
}

static int map_put(struct rep_map *mp, struct sim_request *r, int child)
{
	if (2 * (mp->n + 1) > mp->cap && map_grow(mp) < 0)
		return SIM_ENOMEM;
	size_t h = map_hash(r, mp->cap);
	while (mp->v[h].r)
		h = (h + 1) & (mp->cap - 1);
	mp->v[h] = (struct rep_slot){r, child};
	mp->n++;
	return 0;
}

/* The slot of r, or NULL. */
static struct rep_slot *map_find(struct rep_map *mp, struct sim_request *r)
{
	if (!mp->cap)
		return NULL;
	for (size_t h = map_hash(r, mp->cap); mp->v[h].r;
	     h = (h + 1) & (mp->cap - 1))
		if (mp->v[h].r == r)
			return &mp->v[h];
	return NULL;
}

/* Removes a slot, shifting later members of its probe run back so that
 * lookups need no tombstones. */
static void map_del(struct rep_map *mp, struct rep_slot *s)
{
	size_t mask = mp->cap - 1, i = (size_t)(s - mp->v), j = i;
	mp->v[i].r = NULL;
	mp->n--;
	for (;;) {
		j = (j + 1) & mask;
		if (!mp->v[j].r)
			return;
		size_t h = map_hash(mp->v[j].r, mp->cap);
		/* can the entry at j move to the hole at i? only if its home
		 * h is not cyclically in (i, j] */
		if ((j > i && (h <= i || h > j)) ||
		    (j < i && (h <= i && h > j))) {
			mp->v[i] = mp->v[j];
			mp->v[j].r = NULL;
			i = j;
		}
	}
}

/* ------------------------------------------------------ the balancer -- */

/* least-connections: the tree over act[] from the replicas' counts. */
static void lc_build(struct rep *m)
{
	for (int i = 0; i < m->nch; i++)
		m->pos[i] = -1;
	for (int k = 0; k < m->lcn; k++) {
		m->lc[m->lcn + k] =
		    k < m->nact ? m->ch[m->act[k]].inflight.n : SIZE_MAX;
		if (k < m->nact)
			m->pos[m->act[k]] = k;
	}
	for (int v = m->lcn - 1; v > 0; v--)
		m->lc[v] = m->lc[2 * v] < m->lc[2 * v + 1] ? m->lc[2 * v]
							   : m->lc[2 * v + 1];
}

/* Replica c's count changed: its leaf and the minima above it. */
static void lc_update(struct rep *m, const struct rep_child *c)
{
	int k = m->pos[c - m->ch];
	if (k < 0) /* not active (draining): not in the tree */
		return;
	size_t v = (size_t)m->lcn + (size_t)k;
	m->lc[v] = c->inflight.n;
	for (v /= 2; v > 0; v /= 2) {
		size_t x = m->lc[2 * v] < m->lc[2 * v + 1] ? m->lc[2 * v]
							   : m->lc[2 * v + 1];
		if (m->lc[v] == x)
			break; /* the minima above do not change */
		m->lc[v] = x;
	}
}

/* The first position >= lo whose count is `want`, in node v's span
 * [nl, nl + len), or -1. */
static int lc_first(const struct rep *m, size_t v, int nl, int len, int lo,
		    size_t want)
{
	if (nl + len <= lo || m->lc[v] > want)
		return -1;
	if (len == 1)
		return nl;
	int k = lc_first(m, 2 * v, nl, len / 2, lo, want);
	return k >= 0 ? k
		      : lc_first(m, 2 * v + 1, nl + len / 2, len / 2, lo, want);
}

/* The active set changed: rebuild act[] and what the policies derive
 * from it. */
static void rebuild(struct rep *m)
{
	m->nact = 0;
	for (int i = 0; i < m->nch; i++)
		if (m->ch[i].state == R_ACTIVE)
			m->act[m->nact++] = i;
	double acc = 0;
	for (int k = 0; k < m->nact; k++) {
		m->perm[k] = k;
		acc += m->ch[m->act[k]].weight;
		m->cumw[k] = acc;
		m->ch[m->act[k]].cur = 0;
	}
	if (m->lc)
		lc_build(m);
}

/* Splitmix64's finaliser (Steele, Lea & Flood 2014): spreads consecutive
 * client ids over 64 bits. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Jump consistent hash (Lamping & Veach 2014): a bucket in [0, n) such
 * that going from n to n + 1 buckets moves only 1/(n + 1) of the keys. */
static int jump_hash(uint64_t key, int n)
{
	int64_t b = -1, j = 0;
	while (j < n) {
		b = j;
		key = key * 2862933555777941757ull + 1;
		j = (int64_t)((double)(b + 1) * ((double)(1ll << 31) /
						 (double)((key >> 33) + 1)));
	}
	return (int)b;
}

/* A uniform position in [0, n). */
static int pick(struct rep *m, int n)
{
	int k = (int)(sim_uniform(m->ctx.rng) * n);
	return k < n ? k : n - 1;
}

/* pick() one request ahead, for a crowded fleet (whose entries are not in
 * the caches): the next request's uniform is drawn now and its replica's
 * entry fetched, so that its miss overlaps the work in between. The
 * uniforms are the same, in the same order, as pick()'s: every pick is
 * the same. Returns the replica (index into ch[]), not its position in
 * act[]: while every replica is active (n == nch, an autoscaled fleet at
 * its maximum too: rebuild() lists them in order) act[] is 0 to n - 1 and
 * is not read, since its 4 bytes a replica (40
 * KiB at 10,000) leave the caches between picks, and the fetch of the
 * entry waited for that read (perf: half of rep_submit's samples). */
static int pick_ahead(struct rep *m, int n)
{
	if (!m->ahead) {
		m->next_u = sim_uniform(m->ctx.rng);
		m->ahead = true;
	}
	double u = m->next_u;
	m->next_u = sim_uniform(m->ctx.rng);
	bool all = n == m->nch;
	int k = (int)(m->next_u * n);
	k = k < n ? k : n - 1;
	__builtin_prefetch(&m->ch[all ? k : m->act[k]]);
	k = (int)(u * n);
	k = k < n ? k : n - 1;
	return all ? k : m->act[k];
}

/* Power of d choices: d distinct active replicas drawn uniformly (a
 * partial Fisher-Yates shuffle of perm[], which may start in any order),
 * the first with the fewest requests in flight. */
static int choose_power(struct rep *m, int d)
{
	int best = -1;
	if (d > m->nact)
		d = m->nact;
	for (int j = 0; j < d; j++) {
		int k = j + pick(m, m->nact - j);
		int t = m->perm[j];
		m->perm[j] = m->perm[k];
		m->perm[k] = t;
		int c = m->act[m->perm[j]];
		if (best < 0 || m->ch[c].inflight.n < m->ch[best].inflight.n)
			best = c;
	}
	return best;
}

/* The replica (index into ch[]) for r. */
static int choose(struct rep *m, const struct sim_request *r)
{
	const struct rep_cfg *cfg = m->cfg;
	int n = m->nact, best = -1;
	switch ((enum rep_balancer)cfg->balancer) {
	case BAL_ROUND_ROBIN:
		return m->act[m->rr++ % (uint64_t)n];
	case BAL_RANDOM:
		return m->crowded ? pick_ahead(m, n) : m->act[pick(m, n)];
	case BAL_LEAST_CONN: {
		/* ties go to the first from a rotating start, so that an idle
		 * system still spreads its requests */
		int s = (int)(m->rr++ % (uint64_t)n);
		int k = lc_first(m, 1, 0, m->lcn, s, m->lc[1]);
		if (k < 0) /* the fewest are all before s: wrap around */
			k = lc_first(m, 1, 0, m->lcn, 0, m->lc[1]);
		return m->act[k];
	}
	case BAL_POWER_OF_TWO:
		return choose_power(m, 2);
	case BAL_POWER_OF_D:
		return choose_power(m, cfg->d);
	case BAL_HASH:
		return m->act[jump_hash(mix64(r->client), n)];
	case BAL_WEIGHTED_RR: {
		/* smooth weighted round-robin (nginx): every replica earns its
		 * weight, the richest is chosen and pays the total */
		double total = m->cumw[n - 1];
		for (int k = 0; k < n; k++) {
			struct rep_child *c = &m->ch[m->act[k]];
			c->cur += c->weight;
			if (best < 0 || c->cur > m->ch[best].cur)
				best = m->act[k];
		}
		m->ch[best].cur -= total;
		return best;
	}
	case BAL_WEIGHTED_RANDOM: {
		double u = sim_uniform(m->ctx.rng) * m->cumw[n - 1];
		int lo = 0, hi = n - 1; /* first k with cumw[k] > u */
		while (lo < hi) {
			int mid = (lo + hi) / 2;
			if (m->cumw[mid] > u)
				hi = mid;
			else
				lo = mid + 1;
		}
		return m->act[lo];
	}
	}
	return m->act[0];
}

/* ------------------------------------------------------- request flow -- */

/* One more (dv = +1) or one less (-1) request in flight at replica c. */
static void set_inflight(struct rep_child *c, double now, int dv)
{
	if (dv > 0)
		sim_inflight_add(&c->inflight, now);
	else
		sim_inflight_sub(&c->inflight, now);
	sim_tw_add(&c->m->as_load, now, dv);
	if (c->m->lc)
		lc_update(c->m, c);
}

static void set_serving(struct rep *m, int dv)
{
	double now = m->ctx.s->now;
	m->serving += dv;
	sim_tw_set(&m->serving_tw, now, m->serving);
	sim_tw_set(&m->as_serving, now, m->serving);
}

/* r reaches replica c. */
static void deliver(struct rep_child *c, struct sim_request *r)
{
	struct rep *m = c->m;
	if (m->track && map_put(&m->map, r, (int)(c - m->ch)) < 0) {
		m->track = false; /* no memory: stop forwarding cancels */
		free(m->map.v);
		m->map = (struct rep_map){0};
	}
	sim_model_submit(&c->inst, r);
}

static void hop_in(struct sim *s, void *obj, uint64_t arg)
{
	deliver(obj, (struct sim_request *)(uintptr_t)arg);
}

/* Two events ahead of hop_in, in a crowded fleet (sim_set_fetcher; c
 * came with the kernel's fetch of the event's object): thousands of
 * replicas outgrow the caches, so the replica's state and the request's
 * record are fetched in one go rather than miss by miss. */
static void fetch_in(const void *obj, uint64_t arg)
{
	const struct rep_child *c = obj;
	const struct sim_request *r =
	    (const struct sim_request *)(uintptr_t)arg;
	sim_model_prefetch(&c->inst);
	sim_prefetch_lines(r, SIM_REQ_LINES);
}

static void answer(struct rep *m, struct sim_request *r, enum sim_outcome o)
{
	sim_inflight_sub(&m->inflight, m->ctx.s->now);
	sim_port_done(&m->ctx.port, r, o);
}

/* obj is the request, which has likely left the caches by now: the kernel
 * fetches an event's object ahead (the balancer's state is hot anyway). */
static void hop_out(struct sim *s, void *obj, uint64_t arg)
{
	struct sim_request *r = obj;
	answer((struct rep *)(uintptr_t)arg, r, (enum sim_outcome)r->mtag);
}

/* port.done of replica c: it is finished with r. */
static void child_done(void *ctx, struct sim_request *r, enum sim_outcome o)
{
	struct rep_child *c = ctx;
	struct rep *m = c->m;
	if (m->track) {
		struct rep_slot *sl = map_find(&m->map, r);
		if (sl)
			map_del(&m->map, sl);
	}
	set_inflight(c, m->ctx.s->now, -1);
	/* the count first: it is on the entry's hot line, the state not */
	if (c->inflight.n == 0 && c->state == R_DRAINING) {
		c->state = R_IDLE;
		set_serving(m, -1);
	}
	if (m->cfg->hop > 0) {
		/* r is ours again: its model fields are free */
		r->mtag = (uint64_t)o;
		sim_after_fixed(m->ctx.s, m->cfg->hop, hop_out, r,
				(uint64_t)(uintptr_t)m);
	} else {
		answer(m, r, o);
	}
}

static void rep_submit(void *state, struct sim_request *r)
{
	struct rep *m = state;
	double now = m->ctx.s->now;
	struct rep_child *c = &m->ch[choose(m, r)];
	sim_inflight_add(&m->inflight, now);
	m->sent++;
	c->sent++;
	set_inflight(c, now, +1);
	if (m->cfg->hop > 0)
		sim_after_fixed(m->ctx.s, m->cfg->hop, hop_in, c,
				(uint64_t)(uintptr_t)r);
	else
		deliver(c, r);
}

static void rep_cancel(void *state, struct sim_request *r)
{
	struct rep *m = state;
	/* in a hop, r is in no replica: the replica sees `abandoned` when r
	 * arrives, or the client when the response does */
	struct rep_slot *sl = m->track ? map_find(&m->map, r) : NULL;
	if (!sl)
		return;
	struct rep_child *c = &m->ch[sl->child];
	sim_model_cancel(&c->inst, r);
}

/* -------------------------------------------------------- autoscaling -- */

static void activate(struct sim *s, void *obj, uint64_t arg)
{
	struct rep_child *c = obj;
	struct rep *m = c->m;
	m->pending--;
	c->state = R_ACTIVE;
	c->launched = true;
	set_serving(m, +1);
	m->scale_ups++;
	rebuild(m);
}

/* Every autoscale_interval: compare the mean requests in flight per
 * serving replica over the interval with the target. */
static void autoscale(struct sim *s, void *obj, uint64_t arg)
{
	struct rep *m = obj;
	const struct rep_cfg *cfg = m->cfg;
	double now = s->now;
	double serving = sim_tw_mean(&m->as_serving, now);
	double load = sim_tw_mean(&m->as_load, now); /* requests in flight */
	double per = serving > 0 ? load / serving : 0;
	sim_tw_reset(&m->as_load, now);
	sim_tw_reset(&m->as_serving, now);
	if (per > cfg->autoscale_target) {
		/* the HPA's desired count, ceil(load / target), growing at
		 * most by doubling or by 4, whichever allows more (the HPA's
		 * default scale-up policies) */
		int have = m->nact + m->pending;
		int want = (int)ceil(load / cfg->autoscale_target - 1e-9);
		int step = have > 4 ? have : 4;
		if (want > have + step)
			want = have + step;
		if (want > cfg->autoscale_max)
			want = cfg->autoscale_max;
		int add = want - have;
		/* the lowest idle instances (a draining one is still busy) */
		for (int i = 0; i < m->nch && add > 0; i++) {
			struct rep_child *c = &m->ch[i];
			if (c->state != R_IDLE)
				continue;
			c->state = R_PENDING;
			m->pending++;
			add--;
			sim_after(s, cfg->scale_up_delay + cfg->cold_start,
				  activate, c, 0);
		}
	} else if (per < cfg->autoscale_target / 2 && m->pending == 0 &&
		   m->nact > cfg->replicas) {
		/* one replica per period, the newest: requests in flight do
		 * not fall in proportion to the replicas added (queues
		 * collapse), so ceil(load / target) would undershoot and
		 * oscillate; the HPA damps this with a 5-minute window */
		struct rep_child *c = &m->ch[m->act[m->nact - 1]];
		m->scale_downs++;
		c->state = R_DRAINING;
		if (c->inflight.n == 0) {
			c->state = R_IDLE;
			set_serving(m, -1);
		}
		rebuild(m);
	}
	sim_after(s, cfg->autoscale_interval, autoscale, m, 0);
}

/* ------------------------------------------------------------ lifecycle -- */

/* Huge pages (2 MiB on x86-64 and arm64) for a slab of at least one: the
 * kernel's transparent huge pages, where enabled ("madvise" or "always" in
 * /sys/kernel/mm/transparent_hugepage/enabled), else ordinary pages. */
#define HUGE_PAGE ((size_t)2 << 20)

/* The slab of `bytes` (zeroed) for the replicas' states, from calloc,
 * whose fresh mapping of a large block is zero already (glibc then
 * skips the memset: 10,000 replicas' 16 MiB written once, by their
 * initialisation, rather than twice), aligned inside it. */
static int slab_alloc(struct rep *m, size_t bytes)
{
	bool huge = bytes >= HUGE_PAGE;
	size_t align = huge ? HUGE_PAGE : 64;
	if (bytes > SIZE_MAX - 2 * align) /* the rounding and the slack */
		return SIM_ENOMEM;
	bytes = (bytes + align - 1) & ~(align - 1);
	m->slab_mem = calloc(1, bytes + align);
	if (!m->slab_mem)
		return SIM_ENOMEM;
	uintptr_t a =
	    ((uintptr_t)m->slab_mem + align - 1) & ~(uintptr_t)(align - 1);
	m->slab = (unsigned char *)a;
#ifdef MADV_HUGEPAGE
	if (huge) /* advice only: without it the slab works the same */
		(void)madvise(m->slab, bytes, MADV_HUGEPAGE);
#endif
	return 0;
}

static void slab_free(struct rep *m)
{
	free(m->slab_mem);
	m->slab_mem = NULL;
	m->slab = NULL;
}

static int rep_init(void *state, const struct sim_ctx *ctx)
{
	struct rep *m = state;
	const struct rep_cfg *cfg = ctx->sys->config;
	m->ctx = *ctx;
	m->cfg = cfg;
	if (cfg->colocated) {
		m->host = sim_ctx_host(ctx, &m->own_host);
		if (!m->host)
			return SIM_ENOMEM;
		m->shared = m->host;
	} else {
		m->shared = ctx->host; /* we may live on a parent's host */
	}
	m->nch = cfg->autoscale_max > 0 ? cfg->autoscale_max : cfg->replicas;
	/* each on its own cache lines (struct rep_child) */
	m->ch = aligned_alloc(64, (size_t)m->nch * sizeof *m->ch);
	if (m->ch)
		memset(m->ch, 0, (size_t)m->nch * sizeof *m->ch);
	m->act = calloc((size_t)m->nch, sizeof *m->act);
	m->perm = calloc((size_t)m->nch, sizeof *m->perm);
	m->cumw = calloc((size_t)m->nch, sizeof *m->cumw);
	if (!m->ch || !m->act || !m->perm || !m->cumw)
		return SIM_ENOMEM;
	if (cfg->balancer == BAL_LEAST_CONN) {
		for (m->lcn = 1; m->lcn < m->nch; m->lcn *= 2)
			;
		m->lc = calloc(2 * (size_t)m->lcn, sizeof *m->lc);
		m->pos = calloc((size_t)m->nch, sizeof *m->pos);
		if (!m->lc || !m->pos)
			return SIM_ENOMEM;
	}
	const struct sim_system *rsys = cfg->replica;
	m->track = ctx->wl->client.cancel && rsys->model->cancel;
	size_t rsize = sim_instance_size(rsys->model);
	if (slab_alloc(m, (size_t)m->nch * rsize) < 0)
		return SIM_ENOMEM;
	m->crowded = (size_t)m->nch * rsize > SIM_CROWDED_BYTES;
	if (m->crowded)
		sim_set_fetcher(ctx->s, hop_in, fetch_in, NULL);
	for (int i = 0; i < m->nch; i++) {
		struct rep_child *c = &m->ch[i];
		c->m = m;
		c->weight = cfg->weights.n ? cfg->weights.v[i] : 1;
		/* each replica's own stream, derived from ours and its index,
		 * so that balancer draws do not shift the replicas' */
		int err = sim_stream_init(&c->rng, ctx->rng->key, (uint32_t)i,
					  "replica");
		if (err < 0)
			return err;
		c->has_rng = true;
		struct sim_ctx cc = {.s = ctx->s,
				     .sc = ctx->sc,
				     .wl = ctx->wl,
				     .sys = rsys,
				     .port = {.done = child_done, .ctx = c},
				     .rng = &c->rng,
				     .host = m->shared,
				     /* every replica shares the one
				      * downstream (and the services) */
				     .ds = ctx->ds,
				     .svc = ctx->svc,
				     .folded = true,
				     .crowded = m->crowded};
		err = sim_instance_init(&c->inst, &cc,
					m->slab + (size_t)i * rsize);
		if (err < 0)
			return err;
		if (i < cfg->replicas) {
			c->state = R_ACTIVE;
			c->launched = true;
			m->serving++;
		}
	}
	sim_tw_set(&m->serving_tw, 0, m->serving);
	sim_tw_set(&m->as_serving, 0, m->serving);
	rebuild(m);
	if (cfg->autoscale_max > 0)
		sim_after(ctx->s, cfg->autoscale_interval, autoscale, m, 0);
	return 0;
}

static void rep_release(void *state)
{
	struct rep *m = state;
	/* replicas first: their threads live on the shared host */
	for (int i = 0; m->ch && i < m->nch; i++) {
		sim_instance_release(&m->ch[i].inst);
		if (m->ch[i].has_rng)
			sim_stream_release(&m->ch[i].rng);
	}
	slab_free(m);
	free(m->ch);
	free(m->act);
	free(m->perm);
	free(m->cumw);
	free(m->lc);
	free(m->pos);
	free(m->map.v);
	if (m->host)
		sim_ctx_host_release(&m->ctx, &m->own_host);
}

static void rep_reset_stats(void *state, double now)
{
	struct rep *m = state;
	for (int i = 0; i < m->nch; i++) {
		struct rep_child *c = &m->ch[i];
		sim_model_reset_stats(&c->inst, now);
		sim_inflight_reset(&c->inflight, now);
		c->sent = 0;
	}
	sim_inflight_reset(&m->inflight, now);
	sim_tw_reset(&m->serving_tw, now);
	m->sent = 0;
	m->scale_ups = m->scale_downs = 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

/* How one replica's figure folds into ours: queue lengths, host counters
 * and memory add up, maxima take the maximum, utilisations (and the
 * stalls' rate and share) are summed here and divided by the mean number
 * of serving replicas in rep_report. Other
 * figures (percentiles, lags) do not combine and stay per replica. */
enum { FOLD_SKIP, FOLD_MAX, FOLD_ADD };

static int fold_how(const struct sim_metric *x)
{
	const char *g = x->group;
	if (ends_with(g, "max") || ends_with(x->key, "max"))
		return FOLD_MAX;
	if (!*g || !strcmp(g, "memory") || !strcmp(g, "queues.mean") ||
	    !strcmp(g, "host") || !strcmp(g, "utilization"))
		return FOLD_ADD;
	return FOLD_SKIP;
}

static void fold_value(double *cur, double v, int how)
{
	if (how == FOLD_MAX)
		*cur = isnan(*cur) || v > *cur ? v : *cur;
	else
		*cur = (isnan(*cur) ? 0 : *cur) + v;
}

/* Folds a replica's figures into sum by name. */
static void fold_by_name(struct sim_metrics *sum, const struct sim_metrics *cm)
{
	for (size_t k = 0; k < cm->n; k++) {
		const struct sim_metric *x = &cm->v[k];
		int how = fold_how(x);
		if (how == FOLD_SKIP)
			continue;
		double cur = sim_metrics_get(sum, x->group, x->key, NAN);
		fold_value(&cur, x->value, how);
		sim_metrics_put(sum, x->group, x->key, cur);
	}
}

/* The replicas of one fleet report the same figures in the same order
 * (one model, one configuration): the first folds by name, and its report
 * is kept as the plan, with where each figure went in sum (at) and how;
 * the others fold by position, after a check that their names are the
 * plan's (a report that differs, e.g. a figure only some replicas have,
 * folds by name). A name lookup per figure and replica was 80 % of the
 * report's cost: 17,000 instructions a replica at 10,000 replicas. */
struct fold_plan {
	struct sim_metrics tmpl;
	size_t *at;
	unsigned char *how;
};

static bool fold_by_plan(const struct fold_plan *p, struct sim_metrics *sum,
			 const struct sim_metrics *cm)
{
	if (!p->at || cm->n != p->tmpl.n)
		return false;
	for (size_t k = 0; k < cm->n; k++)
		if (strcmp(cm->v[k].key, p->tmpl.v[k].key) ||
		    strcmp(cm->v[k].group, p->tmpl.v[k].group))
			return false;
	for (size_t k = 0; k < cm->n; k++)
		if (p->how[k] != FOLD_SKIP)
			fold_value(&sum->v[p->at[k]].value, cm->v[k].value,
				   p->how[k]);
	return true;
}

/* Makes cm (folded into sum by name) the plan, taking it over; without a
 * plan, cm left to the caller, when memory runs out or a figure did not
 * reach sum. */
static void plan_make(struct fold_plan *p, const struct sim_metrics *sum,
		      struct sim_metrics *cm)
{
	size_t n = cm->n ? cm->n : 1;
	p->at = malloc(n * sizeof *p->at);
	p->how = malloc(n);
	if (!p->at || !p->how || sum->failed)
		goto fail;
	for (size_t k = 0; k < cm->n; k++) {
		p->how[k] = (unsigned char)fold_how(&cm->v[k]);
		if (p->how[k] == FOLD_SKIP)
			continue;
		p->at[k] = sim_metrics_index(sum, cm->v[k].group, cm->v[k].key);
		if (p->at[k] == SIZE_MAX)
			goto fail;
	}
	p->tmpl = *cm;
	*cm = (struct sim_metrics){0};
	return;
fail:
	free(p->at);
	free(p->how);
	p->at = NULL;
	p->how = NULL;
}

static void plan_release(struct fold_plan *p)
{
	sim_metrics_release(&p->tmpl);
	free(p->at);
	free(p->how);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Puts group.min, .median and .max of x[0..n) (sorted here). */
static void put_spread(struct sim_metrics *mt, const char *group, double *x,
		       int n)
{
	qsort(x, (size_t)n, sizeof *x, cmp_double);
	double med = n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
	sim_metrics_put(mt, group, "min", x[0]);
	sim_metrics_put(mt, group, "median", med);
	sim_metrics_put(mt, group, "max", x[n - 1]);
}

/* Jain's fairness index of x[0..n): (sum x)^2 / (n sum x^2), from 1/n
 * (one replica takes everything) to 1 (all equal); NaN when all are 0. */
static double jain(const double *x, int n)
{
	double s = 0, s2 = 0;
	for (int i = 0; i < n; i++) {
		s += x[i];
		s2 += x[i] * x[i];
	}
	return s2 > 0 ? s * s / ((double)n * s2) : NAN;
}

/* The figures of every launched replica: with --per-replica, one group
 * per_replica.I each; always their spread (per_replica.throughput_share
 * and per_replica.utilization_cpu: min, median, max) and Jain's index of
 * the throughput shares, so that the output's size does not grow with the
 * number of replicas. The summary comes first: its names are fixed. */
static void rep_report(void *state, struct sim_metrics *mt)
{
	struct rep *m = state;
	double now = m->ctx.s->now;
	double active = sim_tw_mean(&m->serving_tw, now);
	struct sim_metrics sum = {0};
	bool each = m->ctx.sc->per_replica;
	char g[40];
	double *share = malloc((size_t)m->nch * sizeof *share);
	double *util = malloc((size_t)m->nch * sizeof *util);
	int n = 0;
	struct sim_metrics list = {0};
	struct fold_plan plan = {0};
	struct sim_metrics cm = {0};
	for (int i = 0; i < m->nch; i++) {
		struct rep_child *c = &m->ch[i];
		if (!c->launched)
			continue;
		sim_metrics_clear(&cm); /* one list for all: no allocation */
		sim_model_report(&c->inst, &cm);
		bool first = !plan.at;
		if (!fold_by_plan(&plan, &sum, &cm))
			fold_by_name(&sum, &cm);
		double sh = m->sent ? (double)c->sent / (double)m->sent : 0;
		double u = sim_metrics_get(&cm, "utilization", "cpu", 0);
		if (share && util) {
			share[n] = sh;
			util[n] = u;
			n++;
		}
		if (each) {
			snprintf(g, sizeof g, "per_replica.%d", i);
			sim_metrics_put(&list, g, "throughput_share", sh);
			sim_metrics_put(&list, g, "inflight_mean",
					sim_inflight_mean(&c->inflight, now));
			sim_metrics_put(&list, g, "utilization_cpu", u);
			/* only with a memory limit: which replica the kernel
			 * hit */
			double kills =
			    sim_metrics_get(&cm, "memory", "oom_kills", NAN);
			if (!isnan(kills))
				sim_metrics_put(&list, g, "oom_kills", kills);
		}
		if (first)
			plan_make(&plan, &sum, &cm);
	}
	sim_metrics_release(&cm);
	plan_release(&plan);
	if (n > 0) {
		sim_metrics_put(mt, "per_replica", "count", n);
		sim_metrics_put(mt, "per_replica", "fairness_jain",
				jain(share, n));
		put_spread(mt, "per_replica.throughput_share", share, n);
		put_spread(mt, "per_replica.utilization_cpu", util, n);
	}
	free(share);
	free(util);
	for (size_t k = 0; k < list.n; k++)
		sim_metrics_put(mt, list.v[k].group, list.v[k].key,
				list.v[k].value);
	sim_metrics_release(&list);
	/* one host, one limit: the sum of the replicas' peaks is bounded by
	 * it too, as the kernel never lets the host past it */
	int64_t limit = m->shared ? m->shared->mem.limit : 0;
	for (size_t k = 0; k < sum.n; k++) {
		struct sim_metric *x = &sum.v[k];
		/* a share of each replica's time (the stalls' per core, as
		 * the utilization): their mean */
		if ((!strcmp(x->group, "utilization") ||
		     (!strcmp(x->group, "host") &&
		      (!strcmp(x->key, "stalls_per_s") ||
		       !strcmp(x->key, "stalled")))) &&
		    active > 0)
			x->value /= active;
		if (limit > 0 && !*x->group &&
		    !strcmp(x->key, "memory_peak_bytes") &&
		    x->value > (double)limit)
			x->value = (double)limit;
		sim_metrics_put(mt, x->group, x->key, x->value);
	}
	sim_metrics_release(&sum);
	/* one host for all: its figures, not a sum of identical copies */
	if (m->shared)
		sim_host_report(m->shared, NULL, mt);
	sim_inflight_report(&m->inflight, now, false, mt);
	sim_inflight_report(&m->inflight, now, true, mt);
	sim_metrics_put(mt, "replicas", "active_mean", active);
	sim_metrics_put(mt, "replicas", "active_max", m->serving_tw.max);
	if (m->cfg->autoscale_max > 0) {
		sim_metrics_put(mt, "replicas", "scale_ups",
				(double)m->scale_ups);
		sim_metrics_put(mt, "replicas", "scale_downs",
				(double)m->scale_downs);
	}
}

static size_t rep_inflight(void *state)
{
	return ((struct rep *)state)->inflight.n;
}

/* Connections are the replicas' (the balancer passes them through, and a
 * kept-alive one reaches whichever replica the balancer picks for each
 * request, as an HTTP proxy pooling its upstream connections does). */
static void rep_conn(const struct sim_system *sys, struct sim_conn_cfg *out)
{
	const struct sim_system *r =
	    ((const struct rep_cfg *)sys->config)->replica;
	*out = (struct sim_conn_cfg){0};
	if (r->model->conn)
		r->model->conn(r, out);
}

const struct sim_model_ops sim_model_replicas = {
    .name = "replicas",
    .summary = "copies of any model behind a load balancer, autoscaling",
    .params = rep_params,
    .nparams = sizeof rep_params / sizeof rep_params[0],
    .config_size = sizeof(struct rep_cfg),
    .state_size = sizeof(struct rep),
    .validate = rep_validate,
    .init = rep_init,
    .submit = rep_submit,
    .cancel = rep_cancel,
    .reset_stats = rep_reset_stats,
    .report = rep_report,
    .inflight = rep_inflight,
    .release = rep_release,
    .conn = rep_conn,
};
