/*
 * benchlib.h - what the load tools of scripts/ share (calibrate/loadgen.c,
 * calibrate/connbench.c, validate/openloop.c): the monotonic clock, the
 * server's processes (-s PID,PID...) and their CPU time, and the order and
 * summary of repeated figures. Each tool is one gcc call on its own .c,
 * which includes this file.
 */
#ifndef BENCHLIB_H
#define BENCHLIB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#define BENCH_MAXPIDS 64

/* The server's processes, from -s. */
static pid_t bench_pids[BENCH_MAXPIDS];
static int bench_npids;

/* Monotonic time in seconds. */
static inline double bench_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Adds the comma-separated PIDs of `list` (the -s option's value). */
static inline void bench_add_pids(char *list)
{
	for (char *t = strtok(list, ","); t && bench_npids < BENCH_MAXPIDS;
	     t = strtok(NULL, ","))
		bench_pids[bench_npids++] = (pid_t)atoi(t);
}

/* The server's CPU time: the sum of the process CPU clocks of its PIDs, in
 * seconds. A PID whose clock cannot be read ends the tool `prog` (exit 2)
 * when `strict`, else it is left out (a process that went away). */
static inline double bench_server_cpu(const char *prog, int strict)
{
	double sum = 0;
	for (int i = 0; i < bench_npids; i++) {
		clockid_t clk;
		struct timespec ts;
		if (clock_getcpuclockid(bench_pids[i], &clk) != 0 ||
		    clock_gettime(clk, &ts) != 0) {
			if (!strict)
				continue;
			fprintf(stderr,
				"%s: cannot read the CPU clock of pid %d\n",
				prog, (int)bench_pids[i]);
			exit(2);
		}
		sum += ts.tv_sec + ts.tv_nsec * 1e-9;
	}
	return sum;
}

/* qsort's order of doubles, ascending. */
static inline int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Sorts v[0..n) and returns its median. */
static inline double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, bench_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The median of v[0..n) (sorting it), its least and greatest values. */
static inline double bench_summary(double *v, int n, double *lo, double *hi)
{
	double m = bench_median(v, n);
	*lo = v[0];
	*hi = v[n - 1];
	return m;
}

#endif
