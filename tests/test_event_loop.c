/*
 * test_event_loop.c - the event-loop model's mechanisms that queueing
 * theory does not cover (test_validate_event_loop.c does M/G/1): the
 * listen backlog, which refuses connections once it is full.
 *
 * Each check is on a figure only the mechanism produces, so that the test
 * fails when the mechanism is switched off.
 */
#include <math.h>

#include <criterion/criterion.h>

#include "runtime/model.h"
#include "testlib.h"

Test(event_loop, full_backlog_refuses_connections, .timeout = 60)
{
	/* 300/s of 100 ms callbacks on one loop (10/s): while a batch runs,
	 * new connections wait in a backlog of 16 and the rest are refused.
	 * The loop serves at most 10/s and holds at most 16 polled plus 16
	 * waiting connections, so over the 19 s measured at least
	 * 300 * 19 - 10 * 19 - 32 of the ~5700 offered are refused; 0.9 of
	 * 290/s * 20 s leaves room for the Poisson noise (sd ~ 75). */
	static const char y[] =
	    "name: backlog\n"
	    "seed: 2\n"
	    "duration: 20s\n"
	    "warmup: 1s\n"
	    "replications: 2\n"
	    "workload:\n"
	    "  arrivals: { process: poisson, rate: 300/s }\n"
	    "  classes:\n"
	    "    - name: slow\n"
	    "      phases:\n"
	    "        - cpu: 100ms\n"
	    "systems:\n"
	    "  - { name: node, model: event-loop, backlog: 16, "
	    "overheads: zero }\n";
	struct sim_summary s;
	tl_run(y, &s, 1);
	cr_expect(s.errors[SIM_OUT_REFUSED] > 0.9 * 290 * 20, "%g refused",
		  s.errors[SIM_OUT_REFUSED]);
	cr_expect(fabs(s.throughput_rps.mean - 10) < 0.5, "%g/s",
		  s.throughput_rps.mean);
	cr_expect(tl_reported(&s, "queues.max", "loop") <= 32, "%g waiting",
		  tl_reported(&s, "queues.max", "loop"));
	sim_summary_release(&s);
}
