/*
 * stallprobe.c - how often, and for how long, the core this runs on stops
 * running it: spins for MS milliseconds of wall time reading the monotonic
 * clock and its own thread's CPU clock, and counts every gap of more than
 * THRESH_US between two readings of the monotonic clock as a stall.
 *
 *   stallprobe MS [THRESH_US] [GAPS_FILE]
 *
 * Prints one line: `spun_ms stalls stall_ms cpu_stalls cpu_stall_ms
 * max_us`: the stalls, and how much of them the thread's CPU clock counted
 * as its own (the hypervisor ran something else on the vCPU without the
 * guest knowing: the time is charged to whatever ran, as CPU, not as
 * steal), the rest the guest's own scheduler running another task. With
 * GAPS_FILE, every stall's length in microseconds and whether the CPU
 * clock counted it (1) or not (0), one per line: `us,cpu`.
 *
 * Run at nice -20 pinned to a core (taskset), as validate-real.sh runs its
 * servers: a stall it sees is one a server's request would have seen.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec * 1e-3; /* microseconds */
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 4) {
		fprintf(stderr,
			"usage: stallprobe MS [THRESH_US] [GAPS_FILE]\n");
		return 2;
	}
	char *end;
	double ms = strtod(argv[1], &end);
	if (*end || !(ms > 0 && ms <= 600000)) {
		fprintf(stderr,
			"stallprobe: MS: want 0 < MS <= 600000, not '%s'\n",
			argv[1]);
		return 2;
	}
	double thresh = 200;
	if (argc > 2) {
		thresh = strtod(argv[2], &end);
		if (*end || !(thresh > 0)) {
			fprintf(stderr,
				"stallprobe: THRESH_US: want > 0, not '%s'\n",
				argv[2]);
			return 2;
		}
	}
	FILE *gaps = NULL;
	if (argc > 3 && !(gaps = fopen(argv[3], "w"))) {
		perror(argv[3]);
		return 2;
	}
	long n = 0, ncpu = 0;
	double total = 0, tcpu = 0, max = 0;
	double w0 = now(CLOCK_MONOTONIC), w = w0,
	       c = now(CLOCK_THREAD_CPUTIME_ID);
	while (w - w0 < ms * 1e3) {
		double w1 = now(CLOCK_MONOTONIC),
		       c1 = now(CLOCK_THREAD_CPUTIME_ID);
		double gap = w1 - w;
		if (gap > thresh) {
			/* the CPU clock counted the gap as ours: more than half
			 * of it */
			int cpu = c1 - c > gap / 2;
			n++;
			total += gap;
			if (cpu) {
				ncpu++;
				tcpu += gap;
			}
			if (gap > max)
				max = gap;
			if (gaps)
				fprintf(gaps, "%.0f,%d\n", gap, cpu);
		}
		w = w1;
		c = c1;
	}
	if (gaps && fclose(gaps)) {
		perror(argv[3]);
		return 1;
	}
	printf("%.1f %ld %.3f %ld %.3f %.0f\n", (w - w0) / 1e3, n, total / 1e3,
	       ncpu, tcpu / 1e3, max);
	return 0;
}
