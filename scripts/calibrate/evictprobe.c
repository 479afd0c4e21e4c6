/*
 * evictprobe.c - how much of a working set the core this runs on still
 * holds in its caches after it has idled for a while: the machine's side
 * of the models' cache refill (cache_refill, cache_refill_long), without a
 * server's own noise.
 *
 *   evictprobe [KIB [REPS]]
 *
 * A working set of KIB kibibytes (default 128: about what a web request's
 * code and data touch; a power of two from 4 to 65536), one 4-byte link in
 * each 64-byte line, chained in a random order (a fixed seed), so that
 * each step's load waits for the one before and no prefetcher can guess
 * the next line. For each idle gap (0, 0.2, 0.5, 1, 2, 3, 5, 7, 10, 15, 20,
 * 50 ms), REPS times (default 60): sleep the gap (clock_nanosleep: the
 * core idles), then walk the chain once and time the walk on the thread's
 * CPU clock, then walk it again (warm). Prints, per gap, the medians:
 *
 *   gap_ms cold_us warm_us ns_per_line evicted
 *
 * ns_per_line: the cold walk per line; evicted: (cold - warm) over the
 * same for the longest gap, the share of the set lost (0 to about 1; the
 * longest gap's own is 1 by definition). Run pinned (taskset) at nice -20
 * on an otherwise idle core, as validate-real.sh runs its servers: on a
 * VM, what an idle vCPU loses is what the host ran on its physical core
 * meanwhile (other tenants), which the guest cannot see.
 *
 * Measured on the validation VM (2 vCPUs, AMD EPYC, Firecracker;
 * 2026-12-06 05:37 UTC, `evictprobe 128 40`, nice -20 on core 0): 8.9 us
 * warm (4 ns a line); evicted 0.04 after 0.2 ms idle, 0.08 after 1 ms,
 * 0.29 after 2, 0.37 after 3, 0.73 after 5, 0.96 after 7 and all of it
 * from 10 ms on (225-229 us cold, 110 ns a line: from memory, not the
 * last-level cache either).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec * 1e-3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* one walk of the chain from line 0; the result keeps the loads */
static uint32_t walk(const uint32_t *chain, size_t lines)
{
	uint32_t p = 0;
	for (size_t i = 0; i < lines; i++)
		p = chain[p];
	return p;
}

int main(int argc, char **argv)
{
	long kib = argc > 1 ? strtol(argv[1], NULL, 10) : 128;
	int reps = argc > 2 ? atoi(argv[2]) : 60;
	if (argc > 3 || kib < 4 || kib > 65536 || (kib & (kib - 1)) ||
	    reps < 1 || reps > 100000) {
		fprintf(stderr, "usage: evictprobe [KIB (a power of two, 4 to "
				"65536)] [REPS (1 to 100000)]\n");
		return 2;
	}
	size_t lines = (size_t)kib * 1024 / 64;
	/* a random cyclic order of the lines (Sattolo's shuffle) */
	uint32_t *order = malloc(lines * sizeof *order);
	uint32_t *chain = aligned_alloc(64, lines * 64);
	double *cold = malloc((size_t)reps * sizeof *cold);
	double *warm = malloc((size_t)reps * sizeof *warm);
	if (!order || !chain || !cold || !warm) {
		fprintf(stderr, "evictprobe: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < lines; i++)
		order[i] = (uint32_t)i;
	uint64_t x = 88172645463325252ULL; /* xorshift64, a fixed seed */
	for (size_t i = lines - 1; i > 0; i--) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		size_t j = (size_t)(x % i);
		uint32_t t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	/* line order[k] links to order[k + 1], as an index into chain (16
	 * words a line) */
	for (size_t k = 0; k < lines; k++)
		chain[(size_t)order[k] * 16] = order[(k + 1) % lines] * 16;
	free(order);
	static const double gaps_ms[] = {0, 0.2, 0.5, 1,  2,  3,
					 5, 7,	 10,  15, 20, 50};
	enum { NG = sizeof gaps_ms / sizeof gaps_ms[0] };
	double c[NG], w[NG];
	volatile uint32_t sink = 0; /* keeps the walks */
	sink += walk(chain, lines); /* first touch: the pages */
	for (int g = 0; g < NG; g++) {
		for (int r = 0; r < reps; r++) {
			if (gaps_ms[g] > 0) {
				long ns = (long)(gaps_ms[g] * 1e6);
				struct timespec ts = {ns / 1000000000L,
						      ns % 1000000000L};
				clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
			}
			double t0 = cpu_us();
			sink += walk(chain, lines);
			double t1 = cpu_us();
			sink += walk(chain, lines);
			double t2 = cpu_us();
			cold[r] = t1 - t0;
			warm[r] = t2 - t1;
		}
		c[g] = median(cold, reps);
		w[g] = median(warm, reps);
	}
	double full = c[NG - 1] - w[NG - 1];
	printf("gap_ms cold_us warm_us ns_per_line evicted\n");
	for (int g = 0; g < NG; g++)
		printf("%g %.1f %.1f %.1f %.2f\n", gaps_ms[g], c[g], w[g],
		       1e3 * c[g] / (double)lines,
		       full > 0 ? (c[g] - w[g]) / full : 0);
	free(chain);
	free(cold);
	free(warm);
	return 0;
}
