/*
 * test_layout.c - what a request touches of a replica's state, laid out
 * together (issue 17, many replicas): the runtime structs keep the fields
 * of the per-request path before (or after) the ones only reports and
 * set-up read, a model names the lines a request touches (its `fetch`),
 * and a host fetches a model's lines one event before a burst ends. The
 * event-loop model's own layout (ten lines of its 22) is checked by
 * static assertions in models/event_loop.c, a replica's balancer entry
 * (one line) by one in models/replicas.c.
 */
#include <stddef.h>

#include <criterion/criterion.h>

#include "runtime/host.h"
#include "runtime/loop.h"
#include "runtime/memory.h"
#include "runtime/model.h"
#include "runtime/procset.h"
#include "workload/workload.h"

extern const struct sim_model_ops sim_model_event_loop;

Test(layout, runtime_structs_keep_the_per_request_fields_together)
{
	/* a time-weighted value and an in-flight count: their t0 (the reset,
	 * read by reports) after the four fields every change touches */
	cr_expect_eq(offsetof(struct sim_tw, t0), 4 * sizeof(double));
	cr_expect_eq(offsetof(struct sim_inflight, t0), 4 * sizeof(double));
	/* a histogram with moments only: n, sum, max, min, lo, nb, moments
	 * in 48 bytes after the buckets' fields */
	cr_expect_eq(SIM_HIST_HOT, 3 * sizeof(uint64_t));
	cr_expect_leq(sizeof(struct sim_hist) - SIM_HIST_HOT, 48);
	/* a host: three lines; a thread: 40 bytes; a loop: 136 bytes */
	cr_expect_leq(SIM_HOST_HOT, 3 * 64, "host hot part %zu bytes",
		      (size_t)SIM_HOST_HOT);
	cr_expect_leq(offsetof(struct sim_host, pfahead) + sizeof(void *), 64);
	/* what a burst reads or writes of its host, inside the hot part */
	size_t burst[] = {
	    offsetof(struct sim_host, one_core.t_cpu),
	    offsetof(struct sim_host, one_core.held),
	    offsetof(struct sim_host, handoff),
	    offsetof(struct sim_host, slow),
	    offsetof(struct sim_host, core_fn),
	    offsetof(struct sim_host, pf),
	    offsetof(struct sim_host, work_refill),
	    offsetof(struct sim_host, refill_time),
	    offsetof(struct sim_host, swrefill),
	    offsetof(struct sim_host, busy.max),
	};
	for (size_t k = 0; k < sizeof burst / sizeof *burst; k++)
		cr_expect_lt(burst[k], SIM_HOST_HOT, "field %zu at %zu", k,
			     burst[k]);
	cr_expect_leq(SIM_THREAD_HOT, 40);
	cr_expect_lt(offsetof(struct sim_thread, remaining), SIM_THREAD_HOT);
	cr_expect_lt(offsetof(struct sim_thread, hpos), SIM_THREAD_HOT);
	cr_expect_leq(SIM_LOOP_HOT, 136);
	cr_expect_lt(offsetof(struct sim_loop, busy_tw.max), SIM_LOOP_HOT);
	cr_expect_lt(offsetof(struct sim_loop, ready.len), SIM_LOOP_HOT);
	/* a process: the three fields a request reads, last and together */
	cr_expect_eq(offsetof(struct sim_member, mem) + sizeof(struct sim_proc),
		     sizeof(struct sim_member));
	cr_expect_leq(sizeof(struct sim_proc) - offsetof(struct sim_proc, host),
		      16);
	cr_expect_lt(offsetof(struct sim_proc, limited),
		     offsetof(struct sim_proc, host) + 16);
	/* a process set: its per-request part in its first 80 bytes */
	cr_expect_leq(offsetof(struct sim_procset, inflight.t0), 80);
	cr_expect_lt(offsetof(struct sim_procset, port.ctx), 80);
	cr_expect_lt(offsetof(struct sim_procset, n), 80);
}

/* The memory test of a request's hold and drop reads the process's own
 * flag, set from its host's limit. */
Test(layout, a_process_knows_whether_its_host_has_a_limit)
{
	struct sim s;
	struct sim_host h, l;
	cr_assert_eq(sim_init(&s), 0);
	cr_assert_eq(sim_host_init(&h, &s, &(struct sim_host_cfg){.cores = 1}),
		     0);
	cr_assert_eq(
	    sim_host_init(
		&l, &s, &(struct sim_host_cfg){.cores = 1, .memory = 1 << 20}),
	    0);
	struct sim_proc p, q;
	sim_proc_init(&p, &h, 1000, 100, NULL, NULL);
	sim_proc_init(&q, &l, 1000, 100, NULL, NULL);
	cr_expect(!p.limited);
	cr_expect(q.limited);
	struct sim_reqpool pool;
	cr_assert_eq(sim_reqpool_init(&pool, 1), 0);
	struct sim_request *r = sim_req_new(&pool);
	cr_assert_not_null(r);
	sim_proc_hold(&q, r);
	cr_expect_eq(q.bytes, 1100, "the held request counts: %lld",
		     (long long)q.bytes);
	sim_proc_drop(&q, r);
	cr_expect_eq(q.bytes, 1000);
	sim_reqpool_release(&pool);
	sim_proc_release(&p);
	sim_proc_release(&q);
	sim_host_release(&h);
	sim_host_release(&l);
	sim_release(&s);
}

/* sim_model_prefetch: a model's `fetch` names its lines; without one the
 * state's first bytes are fetched. */
static int nfetch;
static const void *fetched_state;
static void count_fetch(const void *state)
{
	nfetch++;
	fetched_state = state;
}

Test(layout, a_models_fetch_replaces_the_prefetch_of_its_state)
{
	static char state[4096];
	struct sim_model_ops ops = {
	    .name = "probe", .state_size = sizeof state, .fetch = count_fetch};
	struct sim_instance in = {.ops = &ops, .state = state};
	sim_model_prefetch(&in);
	cr_expect_eq(nfetch, 1);
	cr_expect_eq(fetched_state, state);
	ops.fetch = NULL;
	sim_model_prefetch(&in); /* the first bytes, silently */
	cr_expect_eq(nfetch, 1);
	cr_expect_not_null(sim_model_event_loop.fetch,
			   "the event loop names its lines");
}

/* sim_host_set_prefetch: with the calendar running, ahead(arg) runs two
 * events before the event that ends a burst, fetch(arg) one event before
 * it and again at that end (most of the time exactly so): 1000 hosts, one
 * burst each, ending between other events as the bursts of a fleet's
 * replicas do. */
enum { NHOSTS = 1000 };
static struct sim_thread lay_t[NHOSTS];
static int dispatched; /* handlers run so far: bursts' ends and the others */
static int ahead_at[NHOSTS], late_at[NHOSTS], nlate[NHOSTS];
static int nend, ntwo, none, nagain;
static int host_of(const void *arg)
{
	return (int)((const struct sim_thread *)arg - lay_t);
}
static void ahead_fn(const void *arg)
{
	ahead_at[host_of(arg)] = dispatched;
}
static void end_fn(const void *arg)
{
	int i = host_of(arg);
	if (nlate[i]++ == 0)
		late_at[i] = dispatched;
}
static void burst_done(struct sim_thread *t)
{
	int i = host_of(t);
	/* the stages ran while the kernel took the events before: two
	 * dispatches ago, one, and at this end itself */
	ntwo += dispatched - ahead_at[i] == 2;
	none += dispatched - late_at[i] == 1;
	nagain += nlate[i] == 2;
	nend++;
	dispatched++;
}
static void idle_fn(struct sim *s, void *obj, uint64_t arg)
{
	dispatched++;
}

Test(layout, a_host_fetches_its_models_lines_two_and_one_events_ahead)
{
	static struct sim_host h[NHOSTS];
	struct sim s;
	cr_assert_eq(sim_init(&s), 0);
	for (int i = 0; i < NHOSTS; i++) {
		/* round robin (a quantum): processor sharing has no cores */
		cr_assert_eq(sim_host_init(&h[i], &s,
					   &(struct sim_host_cfg){
					       .cores = 1, .quantum = 10}),
			     0);
		ahead_at[i] = late_at[i] = -100;
		sim_host_set_prefetch(&h[i], ahead_fn, end_fn, &lay_t[i]);
		sim_thread_init(&lay_t[i], &h[i], burst_done, NULL);
		sim_host_run(&h[i], &lay_t[i], 1 + i * 1e-3);
		sim_at(&s, 1 + i * 1e-3 + 5e-4, idle_fn, NULL, 0);
	}
	cr_assert_not_null(s.cal); /* past SIM__CAL_ON pending */
	cr_assert_eq(sim_run_until(&s, 10), 0);
	cr_expect_eq(nend, NHOSTS);
	cr_expect_geq(ntwo, 3 * NHOSTS / 4, "%d of %d fetched two ahead", ntwo,
		      NHOSTS);
	cr_expect_geq(none, 3 * NHOSTS / 4, "%d of %d fetched one ahead", none,
		      NHOSTS);
	cr_expect_geq(nagain, 3 * NHOSTS / 4,
		      "%d of %d fetched one ahead and at the end", nagain,
		      NHOSTS);
	for (int i = 0; i < NHOSTS; i++)
		sim_host_release(&h[i]);
	sim_release(&s);
}

/* A request's record (request.h): its header and up to four demands in
 * two cache lines from a line boundary, its cold fields after the
 * demands; what a run's pool hands out. */
Test(layout, a_request_of_up_to_four_phases_is_two_lines)
{
	cr_expect_eq(SIM_REQ_HOT, 104);
	/* what the end of a callback touches, in the first line, which the
	 * event loop fetches ahead of it (event_loop.c, fetch) */
	cr_expect_leq(offsetof(struct sim_request, mptr) + sizeof(void *), 64);
	cr_expect_leq(offsetof(struct sim_request, mtag) + sizeof(uint64_t),
		      64);
	cr_expect_lt(offsetof(struct sim_request, phase), 64);
	cr_expect_lt(offsetof(struct sim_request, abandoned), 64);
	cr_expect_lt(offsetof(struct sim_request, conn), 64);
	cr_expect_eq(offsetof(struct sim_request, demand) + 4 * sizeof(double),
		     128);
	for (size_t n = 1; n <= 6; n++) {
		struct sim_reqpool pool;
		cr_assert_eq(sim_reqpool_init(&pool, n), 0);
		cr_expect_eq(pool.recsize % 64, 0);
		struct sim_request *r = sim_req_new(&pool);
		struct sim_request *q = sim_req_new(&pool);
		cr_assert(r && q);
		cr_expect_eq((uintptr_t)r % 64, 0,
			     "records on line boundaries");
		cr_expect_eq((uintptr_t)q % 64, 0);
		cr_expect_eq(r->ncap, n);
		char *cold = (char *)sim_req_cold(r);
		cr_expect_eq(cold - (char *)r,
			     offsetof(struct sim_request, demand) +
				 n * sizeof(double));
		cr_expect_leq(cold + sizeof(struct sim_req_cold),
			      (char *)r + pool.recsize, "inside its record");
		/* the cold fields stay what they were set to: a record's
		 * header zeroed again does not reach them */
		sim_req_cold(r)->hnext = q;
		sim_req_free(&pool, r);
		struct sim_request *r2 = sim_req_new(&pool);
		cr_expect_eq(r2, r);
		cr_expect_eq(sim_req_cold(r2)->hnext, q);
		cr_expect_eq(r2->ncap, n);
		sim_reqpool_release(&pool);
	}
}
