/*
 * test_procset.c - the process set (sim/runtime/procset.c) on its own:
 * connections are dealt round-robin to the processes alive, none when all
 * are down; a lone process can live in the model's storage; an OOM kill
 * fails every request the process held (counted once, oldest first), and
 * the process serves again after restart_time.
 */
#include <criterion/criterion.h>

#include "runtime/config.h"
#include "runtime/host.h"
#include "runtime/memory.h"
#include "runtime/model.h"
#include "runtime/procset.h"
#include "workload/workload.h"

/* A model's process: the member first, as procset.h requires. */
struct tproc {
	struct sim_member pm;
	int killed, restarted;
};

static struct sim_request *ended[8];
static enum sim_outcome outcomes[8];
static int nended;

static void on_done(void *ctx, struct sim_request *r, enum sim_outcome o)
{
	ended[nended] = r;
	outcomes[nended++] = o;
}

static void on_kill(struct sim_proc *p)
{
	((struct tproc *)p->owner)->killed++;
}

static void on_restart(struct sim_member *p)
{
	((struct tproc *)p)->restarted++;
}

struct fixture {
	struct sim s;
	struct sim_host h;
	struct sim_ctx ctx;
	struct sim_procset ps;
};

static void setup_in(struct fixture *f, int n, void *one)
{
	/* a limit, so that processes track the requests they hold; far
	 * above what the tests use, so that the kernel never kills */
	struct sim_host_cfg hc = {.cores = 1, .memory = 1e9};
	cr_assert_eq(sim_init(&f->s), 0);
	cr_assert_eq(sim_host_init(&f->h, &f->s, &hc), 0);
	f->ctx = (struct sim_ctx){.s = &f->s, .port = {.done = on_done}};
	struct sim_procset_cfg cfg = {.n = n,
				      .size = sizeof(struct tproc),
				      .base = 1000,
				      .per_req = 10,
				      .restart_time = 2,
				      .on_kill = on_kill,
				      .on_restart = on_restart,
				      .one = one};
	cr_assert_eq(sim_procset_init(&f->ps, &f->ctx, &f->h, &cfg), 0);
	nended = 0;
}

static void setup(struct fixture *f, int n)
{
	setup_in(f, n, NULL);
}

static void teardown(struct fixture *f)
{
	sim_procset_release(&f->ps);
	sim_host_release(&f->h);
	sim_release(&f->s);
}

Test(procset, deals_round_robin_to_the_processes_alive)
{
	struct fixture f;
	setup(&f, 3);
	struct tproc *p0 = sim_procset_at(&f.ps, 0),
		     *p1 = sim_procset_at(&f.ps, 1),
		     *p2 = sim_procset_at(&f.ps, 2);
	cr_expect_eq(sim_procset_pick(&f.ps), p0);
	cr_expect_eq(sim_procset_pick(&f.ps), p1);
	cr_expect_eq(sim_procset_pick(&f.ps), p2);
	cr_expect_eq(sim_procset_pick(&f.ps), p0);
	sim_proc_down(&p1->pm.mem);
	cr_expect_eq(sim_procset_pick(&f.ps), p2, "p1 is down: skipped");
	cr_expect_eq(sim_procset_pick(&f.ps), p0);
	sim_proc_down(&p0->pm.mem);
	sim_proc_down(&p2->pm.mem);
	cr_expect_null(sim_procset_pick(&f.ps), "all down: none");
	teardown(&f);
}

Test(procset, a_kill_fails_what_the_process_held_and_it_restarts)
{
	struct fixture f;
	setup(&f, 1);
	struct tproc *p = sim_procset_at(&f.ps, 0);
	struct sim_reqpool pool; /* the requests' records, as a run's */
	cr_assert_eq(sim_reqpool_init(&pool, 1), 0);
	struct sim_request *r[3];
	for (int i = 0; i < 3; i++) {
		cr_assert_not_null(r[i] = sim_req_new(&pool));
		sim_procset_arrive(&f.ps);
		sim_procset_hold(&p->pm, r[i]);
	}
	cr_expect_eq(f.ps.inflight.n, 3);
	sim_procset_finish(&f.ps, &p->pm, r[1], SIM_OUT_OK);
	cr_expect_eq(f.ps.inflight.n, 2);
	/* what a model's on_kill does, once the kernel marked it down */
	sim_proc_down(&p->pm.mem);
	sim_procset_killed(&f.ps, &p->pm);
	sim_procset_fail_held(&f.ps, &p->pm, NULL);
	cr_assert_eq(nended, 3);
	cr_expect(ended[0] == r[1] && outcomes[0] == SIM_OUT_OK);
	cr_expect(ended[1] == r[0] && outcomes[1] == SIM_OUT_KILLED);
	cr_expect(ended[2] == r[2] && outcomes[2] == SIM_OUT_KILLED);
	cr_expect_eq(f.ps.inflight.n, 0);
	cr_expect_eq(f.ps.oom_kills, 1);
	cr_expect_null(sim_procset_pick(&f.ps), "down until the restart");
	cr_assert_eq(sim_run_until(&f.s, 1.9), 0);
	cr_expect_eq(p->restarted, 0);
	cr_assert_eq(sim_run_until(&f.s, 2.1), 0);
	cr_expect_eq(p->restarted, 1);
	cr_expect_eq(f.ps.oom_restarts, 1);
	cr_expect(p->pm.mem.up);
	cr_expect_eq(p->pm.mem.bytes, 1000);
	cr_expect_eq(sim_procset_pick(&f.ps), p);
	sim_reqpool_release(&pool);
	teardown(&f);
}

/* A model with one process gives the set its storage (inside its own
 * state: one allocation per model, its lines together); the set uses it
 * and does not free it (ASan and valgrind would catch a free of it). With
 * more processes the set allocates them. */
Test(procset, a_lone_process_lives_in_the_models_storage)
{
	struct fixture f;
	struct tproc one = {0};
	setup_in(&f, 1, &one);
	cr_expect_eq(sim_procset_at(&f.ps, 0), (void *)&one);
	cr_expect_eq(sim_procset_pick(&f.ps), &one);
	cr_expect_eq(sim_procset_pick(&f.ps), &one, "round-robin over one");
	cr_expect(one.pm.mem.up);
	cr_expect_eq(one.pm.mem.bytes, 1000);
	teardown(&f);
	struct tproc two = {0};
	setup_in(&f, 2, &two);
	cr_expect_neq(sim_procset_at(&f.ps, 0), (void *)&two,
		      "storage for one only");
	cr_expect_eq(two.pm.mem.bytes, 0);
	teardown(&f);
}
