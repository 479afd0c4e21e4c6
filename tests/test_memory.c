/*
 * test_memory.c - the host `memory` limit and the OOM killer
 * (sim/runtime/memory.c) in every model.
 *
 * The killer itself: it kills the largest process on the host (the last
 * registered on a tie), only when the host is over its limit, as many as
 * needed, and never without a limit.
 *
 * The models: a slow dependency piles requests up in a process until it
 * goes over the limit; its requests fail as `killed`, it restarts, and
 * once the load is back to normal, goodput is back too. The same system
 * without a limit is never killed (and does pile up past the limit). A
 * Node cluster and a multi-worker uvicorn route around their dead worker
 * instead of refusing; co-located replicas share one host and the busiest
 * one is killed; scenarios/memory-oom.yaml shows what its comment says. A
 * harness of its own drives each model and checks that every request it was
 * given ends exactly once, kills included. With `memory: 0` the results are
 * byte-for-byte those without the key.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "output/json.h"
#include "runtime/host.h"
#include "runtime/io.h"
#include "runtime/memory.h"
#include "runtime/model.h"
#include "testlib.h"
#include "workload/workload.h"

#define MiB (1024.0 * 1024.0)

/* ------------------------------------------------------- the killer -- */

static struct sim_proc *kill_log[8];
static int nkills;

static void record_kill(struct sim_proc *p)
{
	cr_assert(!p->up, "the killer marks the process down first");
	cr_assert_eq(p->bytes, 0);
	kill_log[nkills++] = p;
	while (sim_proc_pop(p))
		;
}

struct killer {
	struct sim s;
	struct sim_host h;
	struct sim_proc p[3];
	struct sim_reqpool pool; /* the requests' records, as a run's */
	struct sim_request *r[16];
};

/* Three processes of `base` bytes each on a host limited to `limit`. */
static void killer_init(struct killer *k, double limit, const double base[3])
{
	struct sim_host_cfg cfg = {
	    .cores = 1, .quantum = 0.004, .memory = limit};
	memset(k, 0, sizeof *k);
	nkills = 0;
	cr_assert_eq(sim_init(&k->s), 0);
	cr_assert_eq(sim_host_init(&k->h, &k->s, &cfg), 0);
	for (int i = 0; i < 3; i++)
		sim_proc_init(&k->p[i], &k->h, base[i], 10, record_kill, NULL);
	cr_assert_eq(sim_reqpool_init(&k->pool, 1), 0);
	for (int i = 0; i < 16; i++)
		cr_assert_not_null(k->r[i] = sim_req_new(&k->pool));
}

static void killer_release(struct killer *k)
{
	for (int i = 0; i < 3; i++)
		sim_proc_release(&k->p[i]);
	cr_expect_eq(k->h.mem.total, 0, "the registry is balanced");
	sim_reqpool_release(&k->pool);
	sim_host_release(&k->h);
	sim_release(&k->s);
}

Test(killer, kills_the_largest_process_when_over_the_limit)
{
	struct killer k;
	killer_init(&k, 195, (double[]){50, 60, 40});
	/* 150 + 4 x 10 = 190: under the limit, nothing happens */
	for (int i = 0; i < 4; i++)
		sim_proc_hold(&k.p[2], k.r[i]);
	cr_expect_eq(k.h.mem.total, 190);
	cr_expect_eq(sim_pending(&k.s), 0, "no event below the limit");
	/* 200: over; p[2] (40 + 5 x 10 = 90) is now the largest */
	sim_proc_hold(&k.p[2], k.r[4]);
	cr_expect_eq(sim_host_oom_victim(&k.h), &k.p[2]);
	cr_expect_eq(nkills, 0, "the kill is an event, not a side effect");
	cr_assert_eq(sim_run_until(&k.s, 0), 0);
	cr_assert_eq(nkills, 1);
	cr_expect_eq(kill_log[0], &k.p[2]);
	cr_expect_eq(k.p[2].nheld, 0, "its requests were taken");
	cr_expect_eq(k.h.mem.total, 110);
	cr_expect_eq(k.h.mem.kills, 1);
	/* a dead process is never chosen; back up, it counts again */
	cr_expect_eq(sim_host_oom_victim(&k.h), &k.p[1]);
	sim_proc_up(&k.p[2], 40);
	cr_expect_eq(k.h.mem.total, 150);
	killer_release(&k);
}

Test(killer, ties_go_to_the_last_registered_and_it_kills_until_under)
{
	struct killer k;
	/* the idle processes alone (90) do not fit in 50 */
	killer_init(&k, 50, (double[]){30, 30, 30});
	cr_assert_eq(sim_run_until(&k.s, 0), 0);
	cr_assert_eq(nkills, 2);
	cr_expect_eq(kill_log[0], &k.p[2], "a tie: the last one examined");
	cr_expect_eq(kill_log[1], &k.p[1]);
	cr_expect(k.p[0].up);
	cr_expect_eq(k.h.mem.total, 30);
	killer_release(&k);
}

Test(killer, never_runs_without_a_limit)
{
	struct killer k;
	killer_init(&k, 0, (double[]){1e12, 1e12, 1e12});
	for (int i = 0; i < 16; i++)
		sim_proc_hold(&k.p[i % 3], k.r[i]);
	for (int i = 0; i < 16; i++)
		sim_proc_drop(&k.p[i % 3], k.r[i]);
	cr_expect_eq(sim_pending(&k.s), 0);
	cr_expect_eq(k.h.mem.total, 3e12);
	killer_release(&k);
}

/* ------------------------------------------------------- the models -- */

/* 200 requests/s, each waiting 1 s on a slow dependency, so ~200 are in
 * flight; from 10 s to 13 s three times as many arrive. */
#define SPIKE_WORKLOAD                                                         \
	"workload:\n"                                                          \
	"  arrivals:\n"                                                        \
	"    process: poisson\n"                                               \
	"    rate: 200/s\n"                                                    \
	"    schedule:\n"                                                      \
	"      - { at: 10s, rate: 600/s }\n"                                   \
	"      - { at: 13s, rate: 200/s }\n"                                   \
	"  classes:\n"                                                         \
	"    - name: api\n"                                                    \
	"      phases:\n"                                                      \
	"        - cpu: { dist: exponential, mean: 500us }\n"                  \
	"        - io: { dist: constant, mean: 1s }\n"                         \
	"        - cpu: { dist: exponential, mean: 200us }\n"

#define REPS 2

static const char *spike_yaml(const char *systems)
{
	static char buf[4096];
	snprintf(buf, sizeof buf,
		 "name: oom\nseed: 11\nduration: 40s\nwarmup: 0s\n"
		 "replications: %d\n" SPIKE_WORKLOAD "systems:\n%s",
		 REPS, systems);
	return buf;
}

/* What the test looks at in one system's run. */
struct outcome {
	struct sim_summary s;
	struct sim_ts ts;
};

static void run_spike(const char *systems, struct outcome *o, size_t n)
{
	struct sim_scenario sc;
	tl_load(spike_yaml(systems), &sc);
	sc.per_replica = true; /* per_replica.I figures of replicas */
	cr_assert_eq(sc.nsystems, n);
	struct sim_summary s[4];
	struct sim_ts ts[4] = {{0}};
	const char *why = NULL;
	cr_assert_eq(sim_run_scenario(&sc, 2, 1.0, ts, s, NULL, NULL, &why), 0,
		     "run failed: %s", why ? why : "?");
	for (size_t i = 0; i < n; i++) {
		o[i].s = s[i];
		o[i].s.name = NULL;
		o[i].ts = ts[i];
	}
	sim_scenario_release(&sc);
}

static void release_outcomes(struct outcome *o, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sim_summary_release(&o[i].s);
		sim_ts_release(&o[i].ts);
	}
}

/* The system was OOM-killed during the spike and recovered: kills and
 * `killed` errors, every kill followed by a restart, and after the spike
 * (from 16 s) all requests answered again. */
static void expect_killed_and_recovered(const char *what,
					const struct outcome *o, double limit)
{
	const struct sim_summary *s = &o->s;
	double kills = tl_metric(s, "memory", "oom_kills");
	cr_log_info("%s: %.1f kills, %.0f killed, %.0f refused per run", what,
		    kills, s->errors[SIM_OUT_KILLED],
		    s->errors[SIM_OUT_REFUSED]);
	cr_expect_gt(kills, 0, "%s: no OOM kill", what);
	cr_expect_gt(s->errors[SIM_OUT_KILLED], 0, "%s: nothing killed", what);
	cr_expect_eq(tl_metric(s, "memory", "restarts"), kills,
		     "%s: every killed process restarted", what);
	cr_expect_leq(tl_metric(s, "", "memory_peak_bytes"), limit,
		      "%s: footprint past the limit", what);
	/* before the spike nothing went wrong */
	uint64_t err_all, err_late;
	double before = 0, n = 0;
	for (size_t i = 0; i < o->ts.n; i++)
		if (o->ts.rows[i].time_s > 2 && o->ts.rows[i].time_s <= 10) {
			before += o->ts.rows[i].goodput_rps /
				  o->ts.rows[i].offered_rps;
			n++;
		}
	cr_expect_gt(before / n, 0.99, "%s: failing before the spike", what);
	(void)tl_goodput_after(&o->ts, 0, &err_all);
	double late = tl_goodput_after(&o->ts, 16, &err_late);
	cr_expect_gt(err_all, 0);
	cr_expect_eq(err_late, 0, "%s: %llu errors after the spike", what,
		     (unsigned long long)err_late);
	cr_expect_gt(late, 0.97, "%s: goodput %.3f of offered after 16 s", what,
		     late);
}

/* The same system without a limit: never killed, reports no memory
 * figures, and did hold more requests than the limit allows. */
static void expect_never_killed(const char *what, const struct outcome *o,
				double inflight_over)
{
	const struct sim_summary *s = &o->s;
	cr_expect_eq(s->errors[SIM_OUT_KILLED], 0, "%s: killed", what);
	cr_expect(isnan(tl_metric(s, "memory", "oom_kills")),
		  "%s: memory figures without a limit", what);
	cr_expect_gt(tl_metric(s, "queues.max", "inflight"), inflight_over,
		     "%s: the load never piled up", what);
	/* answers lag their requests by the 1 s wait: from 2 s on the
	 * window of answers matches the window of requests */
	uint64_t err;
	cr_expect_gt(tl_goodput_after(&o->ts, 2, &err), 0.99);
	cr_expect_eq(err, 0);
}

Test(models, node_process_is_oom_killed_and_recovers, .timeout = 120)
{
	/* base 55 MiB + 4 threads x 20 KiB, 16 KiB per request: at most 315
	 * requests fit in 60 MiB */
	struct outcome o[2];
	run_spike("  - { name: limited, model: event-loop, memory: 60MiB }\n"
		  "  - { name: unlimited, model: event-loop }\n",
		  o, 2);
	expect_killed_and_recovered("node", &o[0], 60 * MiB);
	/* a lone process: nothing listens while it restarts */
	cr_expect_gt(o[0].s.errors[SIM_OUT_REFUSED], 0);
	expect_never_killed("node unlimited", &o[1], 320);
	release_outcomes(o, 2);
}

Test(models, node_cluster_routes_around_a_dead_worker, .timeout = 120)
{
	/* two processes: 2 x 55.08 MiB + 16 KiB per request in 120 MiB, so
	 * ~620 requests fit across them, ~310 per process */
	struct outcome o[1];
	run_spike("  - { name: cluster, model: event-loop, cores: 2, "
		  "processes: 2, memory: 120MiB }\n",
		  o, 1);
	expect_killed_and_recovered("node cluster", &o[0], 120 * MiB);
	/* the primary hands connections to the worker still alive */
	cr_expect_eq(o[0].s.errors[SIM_OUT_REFUSED], 0);
	release_outcomes(o, 1);
}

Test(models, gunicorn_gthread_worker_is_oom_killed_and_recovers, .timeout = 120)
{
	/* two gthread workers of 150 threads (they serve 300 requests/s):
	 * 2 x (30 MiB + 150 x 20 KiB) = 65.9 MiB, then 64 KiB per connection
	 * accepted: ~290 connections fit in 84 MiB. Five sync workers hold a
	 * request each and always fit. */
	struct outcome o[3];
	run_spike(
	    "  - { name: gthread, model: worker-pool, cores: 2, "
	    "workers: 2, threads: 150, memory: 84MiB }\n"
	    "  - { name: gthread-unlimited, model: worker-pool, cores: 2, "
	    "workers: 2, threads: 150 }\n"
	    "  - { name: sync, model: worker-pool, cores: 2, "
	    "workers: 5, memory: 160MiB }\n",
	    o, 3);
	expect_killed_and_recovered("gthread", &o[0], 84 * MiB);
	/* the arbiter's socket outlives the workers: nothing refused */
	cr_expect_eq(o[0].s.errors[SIM_OUT_REFUSED], 0);
	expect_never_killed("gthread unlimited", &o[1], 290);
	/* bounded concurrency: never killed, the excess waits or is
	 * refused by the kernel instead */
	cr_expect_eq(tl_metric(&o[2].s, "memory", "oom_kills"), 0);
	cr_expect_eq(o[2].s.errors[SIM_OUT_KILLED], 0);
	cr_expect_gt(o[2].s.errors[SIM_OUT_REFUSED], 0);
	release_outcomes(o, 3);
}

Test(models, uvicorn_worker_is_oom_killed_and_recovers, .timeout = 120)
{
	/* 30 MiB per worker, 6 KiB per request: 512 requests fit in 33 MiB
	 * with one worker, ~340 across two in 62 MiB */
	struct outcome o[3];
	run_spike("  - { name: one, model: async, memory: 33MiB }\n"
		  "  - { name: two, model: async, cores: 2, workers: 2, "
		  "memory: 62MiB }\n"
		  "  - { name: unlimited, model: async }\n",
		  o, 3);
	expect_killed_and_recovered("uvicorn", &o[0], 33 * MiB);
	cr_expect_gt(o[0].s.errors[SIM_OUT_REFUSED], 0,
		     "no supervisor: refused while down");
	expect_killed_and_recovered("uvicorn 2 workers", &o[1], 62 * MiB);
	cr_expect_eq(o[1].s.errors[SIM_OUT_REFUSED], 0,
		     "the supervisor's socket stays open");
	expect_never_killed("uvicorn unlimited", &o[2], 512);
	release_outcomes(o, 3);
}

Test(models, colocated_replicas_lose_their_largest_process, .timeout = 120)
{
	/* two Node replicas on one host; the balancer sends three requests
	 * to the first for every one to the second, so the first holds three
	 * times as many and is the one killed */
	struct outcome o[1];
	run_spike("  - name: colocated\n"
		  "    model: replicas\n"
		  "    colocated: true\n"
		  "    cores: 2\n"
		  "    memory: 116MiB\n"
		  "    hop: 0s\n"
		  "    balancer: weighted-round-robin\n"
		  "    weights: [3, 1]\n"
		  "    replica: { model: event-loop }\n",
		  o, 1);
	const struct sim_summary *s = &o[0].s;
	double k0 = tl_metric(s, "per_replica.0", "oom_kills");
	double k1 = tl_metric(s, "per_replica.1", "oom_kills");
	cr_log_info("kills: replica 0 %.1f, replica 1 %.1f", k0, k1);
	cr_expect_gt(k0, 0, "the busy replica was never killed");
	cr_expect_eq(k1, 0, "the small replica was killed");
	cr_expect_eq(tl_metric(s, "memory", "oom_kills"), k0 + k1);
	cr_expect_gt(s->errors[SIM_OUT_KILLED], 0);
	uint64_t err;
	cr_expect_gt(tl_goodput_after(&o[0].ts, 16, &err), 0.97);
	release_outcomes(o, 1);
}

Test(models, memory_keys_of_replicas_are_where_the_host_is)
{
	char *msg = tl_rejected(
	    spike_yaml("  - { name: r, model: replicas, memory: 1GiB, "
		       "replica: { model: event-loop } }\n"));
	cr_expect(strstr(msg, "'memory' needs colocated: true"), "%s", msg);
	free(msg);
	msg = tl_rejected(
	    spike_yaml("  - { name: r, model: replicas, colocated: true, "
		       "replica: { model: event-loop, memory: 1GiB } }\n"));
	cr_expect(strstr(msg, "'replica.memory' has no effect"), "%s", msg);
	free(msg);
}

/* ------------------------------------------------- scenarios/memory-oom.yaml
 */

/* Mean goodput over the rows in (from, to], over every replication. */
static double goodput_between(const struct sim_ts *ts, double from, double to)
{
	double good = 0, n = 0;
	for (size_t i = 0; i < ts->n; i++)
		if (ts->rows[i].time_s > from && ts->rows[i].time_s <= to) {
			good += ts->rows[i].goodput_rps;
			n++;
		}
	return n > 0 ? good / n : 0;
}

Test(models, memory_oom_scenario_does_what_its_comment_says, .timeout = 120)
{
	char path[1024], *msg = NULL;
	size_t len = 0;
	snprintf(path, sizeof path, "%s/scenarios/memory-oom.yaml", tl_src());
	struct sim_scenario sc;
	FILE *err = open_memstream(&msg, &len);
	int rc = sim_scenario_load(path, NULL, 0, err, &sc);
	fclose(err);
	cr_assert_eq(rc, 0, "%s", msg);
	free(msg);
	cr_assert_eq(sc.nsystems, 3);
	struct sim_summary s[3];
	struct sim_ts ts[3] = {{0}};
	const char *why = NULL;
	cr_assert_eq(sim_run_scenario(&sc, 2, 1.0, ts, s, NULL, NULL, &why), 0);
	/* node: killed over and over in the surge (20 s .. 40 s), answering
	 * a fraction of it, and fine before and after */
	double surge = goodput_between(&ts[0], 22, 40);
	cr_log_info("node: %.1f kills, surge goodput %.1f/s",
		    tl_metric(&s[0], "memory", "oom_kills"), surge);
	cr_expect_geq(tl_metric(&s[0], "memory", "oom_kills"), 5);
	cr_expect_gt(s[0].errors[SIM_OUT_KILLED], 0);
	cr_expect_lt(surge, 80, "node served %.1f/s in the surge", surge);
	cr_expect_gt(goodput_between(&ts[0], 45, 90), 95);
	cr_expect_leq(tl_metric(&s[0], "", "memory_peak_bytes"), 64 * MiB);
	/* without the limit: all of it, with more memory than the limit */
	cr_expect_gt(goodput_between(&ts[1], 22, 40), 380);
	cr_expect_gt(tl_metric(&s[1], "", "memory_peak_bytes"), 64 * MiB);
	cr_expect_eq(s[1].errors[SIM_OUT_KILLED], 0);
	/* the bounded pool: never killed, refuses, serves ~150/s */
	cr_expect_eq(tl_metric(&s[2], "memory", "oom_kills"), 0);
	cr_expect_eq(s[2].errors[SIM_OUT_KILLED], 0);
	cr_expect_gt(s[2].errors[SIM_OUT_REFUSED], 0);
	cr_expect_gt(goodput_between(&ts[2], 22, 40), 130);
	for (int i = 0; i < 3; i++) {
		sim_summary_release(&s[i]);
		sim_ts_release(&ts[i]);
	}
	sim_scenario_release(&sc);
}

/* ------------------------------------------------- memory: 0 changes nothing
 */

static char *json_of(const char *yaml)
{
	struct sim_scenario sc;
	tl_load(yaml, &sc);
	struct sim_summary s[4];
	tl_run_loaded(&sc, s);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	cr_assert_eq(sim_write_json(f, &sc, s, sc.nsystems), 0);
	fclose(f);
	for (size_t i = 0; i < sc.nsystems; i++)
		sim_summary_release(&s[i]);
	sim_scenario_release(&sc);
	return text;
}

Test(models, memory_zero_is_byte_identical_to_no_key, .timeout = 120)
{
	static const char *const fmt =
	    "  - { name: node, model: event-loop%s }\n"
	    "  - { name: gunicorn, model: worker-pool, cores: 2, workers: 2, "
	    "threads: 8%s }\n"
	    "  - { name: uvicorn, model: async, workers: 2%s }\n"
	    "  - { name: rep, model: replicas, colocated: true, cores: 2%s, "
	    "replica: { model: event-loop } }\n";
	char with[1024], without[1024];
	const char *z = ", memory: 0B";
	snprintf(with, sizeof with, fmt, z, z, z, z);
	snprintf(without, sizeof without, fmt, "", "", "", "");
	char *a = json_of(spike_yaml(with));
	char *b = json_of(spike_yaml(without));
	cr_expect_eq(strlen(a), strlen(b));
	cr_expect(strcmp(a, b) == 0, "memory: 0 changed the results");
	cr_expect_null(strstr(a, "oom_kills"));
	free(a);
	free(b);
}

/* ------------------------------------- every request ends exactly once -- */

/* Drives one model instance directly: open arrivals from the scenario,
 * and a port that counts how each request ended, by id. */
struct harness {
	struct sim s;
	struct sim_scenario sc;
	struct sim_reqpool pool;
	struct sim_gen gen;
	struct sim_arr arr;
	struct sim_stream rng;
	struct sim_dspool ds;
	struct sim_instance inst;
	uint8_t *ends; /* per request id: port.done calls */
	size_t cap;
	uint64_t sent, ended, twice;
	uint64_t by[SIM_OUT_N];
	double stop_at; /* no arrivals from then on */
};

static void h_done(void *ctx, struct sim_request *r, enum sim_outcome o)
{
	struct harness *h = ctx;
	cr_assert_lt(r->id, h->sent);
	if (h->ends[r->id]++)
		h->twice++;
	h->ended++;
	h->by[o]++;
	sim_req_free(&h->pool, r);
}

static void h_arrive(struct sim *s, void *obj, uint64_t arg)
{
	struct harness *h = obj;
	struct sim_request *r = sim_req_new(&h->pool);
	cr_assert_not_null(r);
	cr_assert_lt(h->sent, h->cap);
	sim_gen_fill(&h->gen, r, h->sent);
	r->client = (uint32_t)h->sent;
	r->t_first = r->t_sent = s->now;
	h->sent++;
	sim_model_submit(&h->inst, r);
	double t = sim_arr_next(&h->arr);
	if (t < h->stop_at)
		sim_at(s, t, h_arrive, h, 0);
}

/* Runs system `sys` of `yaml` to its end and checks the accounts: every
 * request sent ended once or is still inside the model. Then, with no
 * more arrivals, every request must end: none is stranded in a dead
 * process. Returns the number of kills the model reported. */
static double run_harness(const char *yaml, size_t sys)
{
	struct harness *h = calloc(1, sizeof *h);
	cr_assert_not_null(h);
	tl_load(yaml, &h->sc);
	const struct sim_workload *wl = &h->sc.workload;
	const char *why = NULL;
	h->cap = 1 << 16;
	h->ends = calloc(h->cap, 1);
	cr_assert_not_null(h->ends);
	cr_assert_eq(sim_init(&h->s), 0);
	cr_assert_eq(sim_reqpool_init(&h->pool, h->sc.max_phases), 0);
	cr_assert_eq(sim_gen_init(&h->gen, wl, h->sc.seed, 0), 0);
	cr_assert_eq(sim_arr_init(&h->arr, &wl->arrivals, h->sc.seed, 0, &why),
		     0);
	cr_assert_eq(sim_stream_init(&h->rng, h->sc.seed, 0, "model"), 0);
	struct sim_ctx ctx = {.s = &h->s,
			      .sc = &h->sc,
			      .wl = wl,
			      .sys = &h->sc.systems[sys],
			      .port = {.done = h_done, .ctx = h},
			      .rng = &h->rng};
	if (wl->downstream.connections > 0) {
		h->ds = (struct sim_dspool){.s = &h->s,
					    .cap = wl->downstream.connections};
		ctx.ds = &h->ds;
	}
	cr_assert_eq(sim_instance_new(&h->inst, &ctx), 0);
	h->stop_at = h->sc.duration;
	sim_at(&h->s, sim_arr_next(&h->arr), h_arrive, h, 0);
	double end = h->sc.duration;
	cr_assert_eq(sim_run_until(&h->s, end), 0);
	/* mid-run accounts: what is not ended is inside the model */
	size_t inside = sim_model_inflight(&h->inst);
	cr_expect_eq(h->twice, 0, "%s: %llu requests ended twice",
		     h->sc.systems[sys].name, (unsigned long long)h->twice);
	cr_expect_eq(h->sent, h->ended + inside,
		     "%s: %llu sent, %llu ended, %zu inside",
		     h->sc.systems[sys].name, (unsigned long long)h->sent,
		     (unsigned long long)h->ended, inside);
	struct sim_metrics m = {0};
	sim_model_report(&h->inst, &m);
	double kills = sim_metrics_get(&m, "memory", "oom_kills", NAN);
	sim_metrics_release(&m);
	cr_log_info("%s: %llu sent, %llu ok, %llu killed, %llu refused, "
		    "%zu inside, %.0f kills",
		    h->sc.systems[sys].name, (unsigned long long)h->sent,
		    (unsigned long long)h->by[SIM_OUT_OK],
		    (unsigned long long)h->by[SIM_OUT_KILLED],
		    (unsigned long long)h->by[SIM_OUT_REFUSED], inside, kills);
	cr_expect_eq(h->pool.live, inside, "records out of the pool");
	cr_assert_eq(sim_run_until(&h->s, end + 3600), 0);
	cr_expect_eq(sim_model_inflight(&h->inst), 0, "%s: requests stranded",
		     h->sc.systems[sys].name);
	cr_expect_eq(h->ended, h->sent, "%s: %llu of %llu ended",
		     h->sc.systems[sys].name, (unsigned long long)h->ended,
		     (unsigned long long)h->sent);
	cr_expect_eq(h->twice, 0);
	cr_expect_eq(h->pool.live, 0);
	sim_instance_free(&h->inst);
	sim_stream_release(&h->rng);
	sim_arr_release(&h->arr);
	sim_gen_release(&h->gen);
	sim_reqpool_release(&h->pool);
	sim_release(&h->s);
	sim_scenario_release(&h->sc);
	free(h->ends);
	free(h);
	return kills;
}

/* Every kind of phase, a downstream pool of 150 connections (so some I/O
 * waits for a connection when its process dies), sync handlers on the
 * async model, and a run that stops in the middle of the crash loop. */
static const char *const exact_yaml =
    "name: exact\nseed: 5\nduration: 12s\nwarmup: 0s\nreplications: 1\n"
    "workload:\n"
    "  arrivals:\n"
    "    process: poisson\n"
    "    rate: 300/s\n"
    "    schedule: [ { at: 3s, rate: 900/s } ]\n"
    "  downstream: { connections: 150 }\n"
    "  classes:\n"
    "    - name: mixed\n"
    "      phases:\n"
    "        - cpu: { dist: exponential, mean: 300us }\n"
    "        - io: { dist: exponential, mean: 400ms }\n"
    "        - pool: { dist: exponential, mean: 2ms }\n"
    "        - pool: { dist: exponential, mean: 20ms, cpu: false }\n"
    "        - io: { dist: exponential, mean: 300ms, downstream: false }\n"
    "        - cpu: { dist: exponential, mean: 200us }\n"
    "    - name: sync\n"
    "      handler: sync\n"
    "      weight: 0.3\n"
    "      phases:\n"
    "        - cpu: { dist: exponential, mean: 1ms }\n"
    "        - io: { dist: exponential, mean: 500ms }\n"
    "systems:\n"
    "  - { name: node, model: event-loop, memory: 58MiB }\n"
    "  - { name: cluster, model: event-loop, cores: 2, processes: 3, "
    "memory: 168MiB, restart_time: 200ms }\n"
    "  - { name: gthread, model: worker-pool, cores: 2, workers: 3, "
    "threads: 40, memory: 100MiB, boot_time: 300ms }\n"
    "  - { name: sync, model: worker-pool, cores: 2, workers: 4, "
    "timeout: 700ms, memory: 121MiB }\n"
    "  - { name: sync-tight, model: worker-pool, cores: 2, workers: 4, "
    "timeout: 700ms, memory: 120.2MiB }\n"
    "  - { name: uvicorn, model: async, cores: 2, workers: 3, "
    "threadpool: 8, memory: 93MiB, restart_time: 300ms }\n"
    "  - { name: uvicorn1, model: async, memory: 32MiB }\n"
    "  - name: colocated\n"
    "    model: replicas\n"
    "    colocated: true\n"
    "    cores: 2\n"
    "    memory: 120MiB\n"
    "    balancer: least-connections\n"
    "    replicas: 3\n"
    "    replica: { model: worker-pool, workers: 1, threads: 30 }\n";

Test(exactly_once, every_request_ends_once_whatever_the_kills, .timeout = 120)
{
	struct sim_scenario sc;
	tl_load(exact_yaml, &sc);
	for (size_t i = 0; i < sc.nsystems; i++) {
		const char *name = sc.systems[i].name;
		double kills = run_harness(exact_yaml, i);
		cr_expect(!isnan(kills), "%s: no memory figures", name);
		/* four sync workers always fit in 121 MiB: the control; in
		 * 120.2 MiB only one busy worker fits, and the arbiter's
		 * timeout kills mix with the kernel's */
		if (strcmp(name, "sync"))
			cr_expect_gt(kills, 0, "%s was never killed", name);
		else
			cr_expect_eq(kills, 0, "%s was killed", name);
	}
	sim_scenario_release(&sc);
}
