/*
 * test_linear_reading.c - reading a results folder stays linear in its
 * rows, however many systems or times they hold (issue 18: `plot` of a
 * time series looked each row's system and time up in a list, rows x
 * systems comparisons).
 *
 * Two checks, neither a wall-clock limit: the index that the readers use
 * (output/keyindex.h) counts the slots it looks at, which must stay a
 * small multiple of the lookups; and `plot` of a timeseries.csv with one
 * row per system for 30,000 systems must cost about the CPU time of as
 * many rows spread over 100 systems (measured as the child's user + system
 * time, so a busy machine slows both alike). A lookup by scanning makes
 * the first about 150 times as many comparisons as the second.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <criterion/criterion.h>

#include "output/keyindex.h"
#include "testlib.h"

struct keys {
	char (*name)[16];
};

static bool same_name(const void *ctx, size_t v)
{
	const struct keys *k = ((const void *const *)ctx)[0];
	const char *name = ((const void *const *)ctx)[1];
	return !strcmp(k->name[v], name);
}

Test(keyindex, finds_every_key_in_a_bounded_number_of_probes)
{
	enum { N = 100000 };
	struct keys k = {calloc(N, sizeof(*k.name))};
	struct sim_keyindex x = {0};
	cr_assert(k.name);
	for (size_t i = 0; i < N; i++) {
		snprintf(k.name[i], sizeof k.name[i], "system-%zu", i);
		const void *ctx[2] = {&k, k.name[i]};
		uint64_t h = sim_key_hash(k.name[i], strlen(k.name[i]));
		cr_assert_eq(sim_keyindex_find(&x, h, same_name, ctx),
			     SIZE_MAX);
		cr_assert_eq(sim_keyindex_add(&x, h, i), 0);
	}
	for (size_t i = 0; i < N; i++) {
		const void *ctx[2] = {&k, k.name[i]};
		uint64_t h = sim_key_hash(k.name[i], strlen(k.name[i]));
		cr_expect_eq(sim_keyindex_find(&x, h, same_name, ctx), i);
	}
	const void *ctx[2] = {&k, "absent"};
	cr_expect_eq(
	    sim_keyindex_find(&x, sim_key_hash("absent", 6), same_name, ctx),
	    SIZE_MAX);
	/* 3N calls (find, add, find), each a few slots at load <= 1/2; the
	 * rehashes add about 2N; a scan would be N^2/2 */
	cr_expect_leq(x.probes, (size_t)(12 * N), "%zu probes for %d keys",
		      x.probes, N);
	sim_keyindex_release(&x);
	free(k.name);
}

/* Writes DIR/timeseries.csv (beside a run's results) with n rows over
 * nsys systems, and returns the CPU seconds `plot` takes on it. */
static double plot_cpu(const char *dir, size_t n, size_t nsys)
{
	char path[1024], cmd[1024];
	snprintf(path, sizeof path, "%s/timeseries.csv", dir);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs("time_s,system,offered_rps,throughput_rps,goodput_rps,errors,"
	      "latency_s_p50,latency_s_p99\n",
	      f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%g,s%zu,1,1,1,0,0.001,0.002\n",
			0.1 * (double)(i / nsys + 1), i % nsys);
	cr_assert_eq(fclose(f), 0);
	struct rusage a, b;
	getrusage(RUSAGE_CHILDREN, &a);
	snprintf(cmd, sizeof cmd,
		 "cd '%s' && rm -rf out && GNUPLOT=/nonexistent '%s' plot res "
		 "-q -o out >/dev/null 2>&1; test -s out/timeseries.dat",
		 tl_tmpdir(), tl_bin());
	cr_assert_eq(tl_system(cmd), 0, "plot of %zu rows failed", n);
	getrusage(RUSAGE_CHILDREN, &b);
	return (double)(b.ru_utime.tv_sec - a.ru_utime.tv_sec) +
	       (double)(b.ru_stime.tv_sec - a.ru_stime.tv_sec) +
	       1e-6 * (double)(b.ru_utime.tv_usec - a.ru_utime.tv_usec +
			       b.ru_stime.tv_usec - a.ru_stime.tv_usec);
}

Test(plot_linear, a_time_series_of_many_systems_costs_what_its_rows_cost,
     .init = tl_mktmp, .fini = tl_rmtmp, .timeout = 240)
{
	char cmd[1024], dir[512];
	tl_write("s.yaml", "duration: 100ms\nwarmup: 0s\nreplications: 1\n"
			   "workload:\n  arrivals: { process: poisson, rate: "
			   "50/s }\n  classes: [ { name: one, phases: [ {cpu: "
			   "1ms} ] } ]\nsystems: [ { name: s, model: "
			   "event-loop } ]\n");
	snprintf(cmd, sizeof cmd,
		 "cd '%s' && '%s' run s.yaml -q -o res >/dev/null", tl_tmpdir(),
		 tl_bin());
	cr_assert_eq(tl_system(cmd), 0);
	snprintf(dir, sizeof dir, "%s/res", tl_tmpdir());
	enum { ROWS = 30000 };
	/* the smaller of two tries each: a busy machine only adds */
	double few = 1e9, many = 1e9;
	for (int i = 0; i < 2; i++) {
		double t = plot_cpu(dir, ROWS, 100);
		few = t < few ? t : few;
		t = plot_cpu(dir, ROWS, ROWS);
		many = t < many ? t : many;
	}
	cr_log_info("%d rows: %.3f s CPU over %d systems, %.3f s over 100",
		    ROWS, many, ROWS, few);
	/* about 2 when linear (a hash table per system); a scan: 50 or more */
	cr_expect_lt(many, 8 * few + 0.05,
		     "%d rows: %.3f s CPU over %d systems, %.3f s over 100",
		     ROWS, many, ROWS, few);
}
