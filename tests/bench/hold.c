/*
 * hold.c - the classic hold-model benchmark of concsim's future event list:
 * PENDING events in the list, then OPS times (pop the earliest, push one
 * Exp(1) later), as shared/bench/mm1_ref.c's `hold` does for the plain C
 * loop. Prints one key=value line with ns_per_hold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kernel/kernel.h"
#include "kernel/rng.h"

static struct sim_stream st;
static double checksum;

static void hold(struct sim *s, void *obj, uint64_t arg)
{
	checksum += s->now;
	sim_after(s, sim_exponential(&st, 1.0), hold, NULL, 0);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s PENDING OPS\n", argv[0]);
		return 2;
	}
	long pending = atol(argv[1]), ops = atol(argv[2]);
	struct sim s;
	if (pending < 1 || ops < 1 || sim_init(&s) < 0 ||
	    sim_stream_init(&st, 1, 0, "hold") < 0)
		return 2;
	for (long i = 0; i < pending; i++)
		sim_at(&s, sim_exponential(&st, 1.0), hold, NULL, 0);
	/* warm-up: one pass over the population */
	while (s.events < (uint64_t)pending)
		sim_run_until(&s, s.now + 1.0);
	uint64_t e0 = s.events;
	double t0 = now_s();
	while (s.events - e0 < (uint64_t)ops)
		sim_run_until(&s, s.now + 1.0);
	double wall = now_s() - t0;
	double done = (double)(s.events - e0);
	printf("model=hold kernel=concsim pending=%ld ops=%.0f sim_wall_s=%.4f "
	       "ns_per_hold=%.2f checksum=%g\n",
	       pending, done, wall, 1e9 * wall / done, checksum);
	sim_stream_release(&st);
	sim_release(&s);
	return 0;
}
