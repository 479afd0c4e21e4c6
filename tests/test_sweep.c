/*
 * test_sweep.c - the curves: `concsim sweep`, `merge`, `capacity` and
 * `plot` as users and batch scripts see them. A sweep has one row per
 * point and system; -j, shards and an interrupted-then-resumed sweep all
 * give the same bytes; a bad swept value is located and nothing is
 * written; capacity finds the analytic limit of an M/M/1 queue within its
 * confidence interval; plot leaves figures (or, without gnuplot, the data
 * and scripts to draw them).
 */
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "testlib.h"

/* Runs a shell command line ($B is the binary) in the scratch folder;
 * captures stdout and stderr into *out; returns the exit status. */
static int sh(char **out, const char *fmt, ...)
{
	char line[4096], cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof cmd, "cd '%s' && B='%s' && %s 2>&1", tl_tmpdir(),
		 tl_bin(), line);
	return tl_capture(cmd, out);
}

/* Whether two files in the scratch folder hold the same bytes. */
static bool same(const char *a, const char *b)
{
	return sh(NULL, "cmp -s '%s' '%s'", a, b) == 0;
}

static bool exists(const char *name)
{
	char path[512];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", tl_tmpdir(), name);
	return stat(path, &st) == 0;
}

/* Lines of a file in the scratch folder (0 if missing). */
static int lines(const char *name)
{
	char path[512], buf[1 << 14];
	snprintf(path, sizeof path, "%s/%s", tl_tmpdir(), name);
	FILE *f = fopen(path, "r");
	int n = 0;
	if (!f)
		return 0;
	while (fgets(buf, sizeof buf, f))
		n += strchr(buf, '\n') != NULL;
	fclose(f);
	return n;
}

/* Two systems, rates swept in the file: 6 points, 12 rows. The sweep line
 * is line 13. */
static const char *two =
    "name: two\n"
    "seed: 9\n"
    "duration: 2s\n"
    "warmup: 200ms\n"
    "replications: 2\n"
    "workload:\n"
    "  arrivals: { process: poisson, rate: 100/s }\n"
    "  classes:\n"
    "    - { name: a, phases: [ {cpu: {dist: exponential, mean: 1ms}}, "
    "{io: 4ms} ] }\n"
    "systems:\n"
    "  - { name: loop, model: event-loop, cores: 1 }\n"
    "  - { name: pool, model: worker-pool, cores: 2, workers: 3 }\n"
    "sweep:\n"
    "  workload.arrivals.rate: [100/s, 250/s, 400/s, 550/s, 700/s, "
    "850/s]\n";

static const char *const files[] = {"results.csv", "results.json",
				    "scenario.yaml"};

static void expect_same_sweep(const char *a, const char *b)
{
	for (size_t i = 0; i < 3; i++) {
		char x[256], y[256];
		snprintf(x, sizeof x, "%s/%s", a, files[i]);
		snprintf(y, sizeof y, "%s/%s", b, files[i]);
		cr_expect(same(x, y), "%s and %s differ", x, y);
	}
}

Test(sweep, six_rates_two_systems_give_twelve_rows_whatever_jobs,
     .init = tl_mktmp, .fini = tl_rmtmp)
{
	char *out;
	tl_write("s.yaml", two);
	cr_assert_eq(sh(&out, "$B sweep s.yaml -q -j1 -o j1 --format csv"), 0,
		     "%s", out);
	free(out);
	cr_assert_eq(sh(&out, "$B sweep s.yaml -q -j2 -o j2 --format csv "
			      "> j2.csv"),
		     0, "%s", out);
	free(out);
	cr_expect_eq(lines("j1/results.csv"), 13, "a header and 12 rows");
	expect_same_sweep("j1", "j2");
	cr_expect(same("j2.csv", "j1/results.csv"), "stdout is results.csv");
	/* the swept path leads, then system and model; the rate in /s */
	cr_expect_eq(sh(&out, "head -2 j1/results.csv"), 0);
	cr_expect(strncmp(out, "workload.arrivals.rate,system,model,", 36) == 0,
		  "%s", out);
	cr_expect(strstr(out, "\n100,loop,event-loop,") != NULL, "%s", out);
	free(out);
	/* results.json holds the same rows */
	cr_expect_eq(sh(&out, "grep -c '\"system\": ' j1/results.json"), 0);
	cr_expect_eq(atoi(out), 12);
	free(out);
}

Test(sweep, shards_merge_into_the_whole_sweep, .init = tl_mktmp,
     .fini = tl_rmtmp)
{
	char *out;
	tl_write("s.yaml", two);
	cr_assert_eq(sh(NULL, "$B sweep s.yaml -q -o whole --format csv"), 0);
	cr_assert_eq(
	    sh(NULL, "$B sweep s.yaml -q --shard 0/2 -o a --format csv"), 0);
	cr_assert_eq(
	    sh(NULL, "$B sweep s.yaml -q --shard 1/2 -o b --format csv"), 0);
	cr_expect_eq(lines("a/results.csv"), 7, "points 0, 2, 4");
	cr_assert_eq(sh(&out, "$B merge b a -o merged -q"), 0, "%s", out);
	free(out);
	expect_same_sweep("whole", "merged");

	/* overlapping shards, a missing shard, another sweep: refused */
	cr_expect_eq(sh(&out, "$B merge a a -o bad"), 2);
	cr_expect(strstr(out, "overlapping shards"), "%s", out);
	free(out);
	cr_expect_eq(sh(&out, "$B merge a -o bad"), 2);
	cr_expect(strstr(out, "in none of the folders"), "%s", out);
	free(out);
	cr_assert_eq(sh(NULL, "$B sweep s.yaml -q --seed 10 --shard 1/2 -o c "
			      "--format csv"),
		     0);
	cr_expect_eq(sh(&out, "$B merge a c -o bad"), 2);
	cr_expect(strstr(out, "not shards of one sweep"), "%s", out);
	free(out);
	cr_expect(!exists("bad"), "a refused merge writes nothing");
}

/* Waits until a file in the scratch folder has at least `want` lines, up
 * to 30 s. */
static bool wait_rows(const char *file, int want)
{
	for (int i = 0; i < 3000; i++) {
		if (lines(file) >= want)
			return true;
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	return false;
}

Test(sweep, interrupted_sweep_keeps_whole_rows_and_resumes_exactly,
     .init = tl_mktmp, .fini = tl_rmtmp)
{
	/* 20 points, long enough at -j1 to be interrupted after the first */
	const char *slow =
	    "name: slow\n"
	    "seed: 4\n"
	    "duration: 20s\n"
	    "warmup: 1s\n"
	    "replications: 2\n"
	    "workload:\n"
	    "  arrivals: { process: poisson, rate: 100/s }\n"
	    "  classes:\n"
	    "    - { name: a, phases: [ {cpu: {dist: exponential, mean: "
	    "1ms}}, {io: 4ms} ] }\n"
	    "systems:\n"
	    "  - { name: loop, model: event-loop, cores: 1 }\n"
	    "  - { name: pool, model: worker-pool, cores: 2, workers: 3 }\n";
	char *out, dir[512];
	tl_write("slow.yaml", slow);
	const char *param = "--param workload.arrivals.rate=100/s:2000/s:100/s";
	cr_assert_eq(sh(&out,
			"$B sweep slow.yaml -q -j2 -o whole %s "
			"--format csv",
			param),
		     0, "%s", out);
	free(out);

	snprintf(dir, sizeof dir, "%s/part", tl_tmpdir());
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout) ||
		    !freopen("/dev/null", "w", stderr) || chdir(tl_tmpdir()))
			_exit(126);
		execl(tl_bin(), tl_bin(), "sweep", "slow.yaml", "-q", "-j1",
		      "-o", dir, "--format", "csv", "--param",
		      "workload.arrivals.rate=100/s:2000/s:100/s", (char *)0);
		_exit(127);
	}
	cr_assert(wait_rows("part/results.csv", 3),
		  "no row appeared in part/results.csv");
	kill(pid, SIGINT);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 130,
		  "an interrupted sweep exits 130 (status %d)", st);
	/* whole rows only: every line has the header's number of cells, and
	 * whole points (2 systems each) */
	int n = lines("part/results.csv");
	cr_expect(n >= 3 && n < 41 && (n - 1) % 2 == 0,
		  "%d lines: some points, not all, each with both systems", n);
	cr_expect_eq(sh(&out, "awk -F, 'NR==1{h=NF} NF!=h{bad++} END{print "
			      "bad+0}' part/results.csv"),
		     0);
	cr_expect_eq(atoi(out), 0, "half-written rows: %s", out);
	free(out);

	cr_assert_eq(sh(&out,
			"$B sweep slow.yaml -q -j2 -o part --resume %s "
			"--format csv",
			param),
		     0, "%s", out);
	free(out);
	expect_same_sweep("whole", "part");
}

Test(sweep, invalid_swept_value_is_located_and_nothing_is_written,
     .init = tl_mktmp, .fini = tl_rmtmp)
{
	char *out;
	/* a bare number among rates: line 14, the value at column 35 */
	const char *bad = "name: bad\n"
			  "duration: 2s\n"
			  "warmup: 200ms\n"
			  "replications: 2\n"
			  "workload:\n"
			  "  arrivals: { process: poisson, rate: 100/s }\n"
			  "  classes:\n"
			  "    - { name: a, phases: [ {cpu: 1ms} ] }\n"
			  "systems:\n"
			  "  - { name: loop, model: event-loop, cores: 1 }\n"
			  "\n"
			  "\n"
			  "sweep:\n"
			  "  workload.arrivals.rate: [100/s, 300, 500/s]\n";
	tl_write("bad.yaml", bad);
	cr_expect_eq(sh(&out, "$B sweep bad.yaml -q -o out"), 2);
	cr_expect(strstr(out, "bad.yaml:14:35: error: 'rate': expected a rate"),
		  "%s", out);
	free(out);
	cr_expect(!exists("out"), "nothing written for an invalid sweep");

	/* from --param, the column in the option's text */
	tl_write("s.yaml", two);
	cr_expect_eq(sh(&out, "$B sweep s.yaml -q -o out --param "
			      "workload.arrivals.rate=100/s,2x"),
		     2);
	cr_expect(strstr(out, "--param workload.arrivals.rate:1:30: error: "
			      "'rate'"),
		  "%s", out);
	free(out);
	cr_expect(!exists("out"), "nothing written for an invalid sweep");
}

/* Reads "key": NUMBER from JSON text. */
static double json_num(const char *text, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\": ", key);
	const char *p = strstr(text, pat);
	cr_assert(p, "no %s in %s", key, text);
	return strtod(p + strlen(pat), NULL);
}

Test(sweep, capacity_of_mm1_is_the_analytic_limit, .init = tl_mktmp,
     .fini = tl_rmtmp)
{
	/* M/M/1, mu = 1000/s: the mean response time 1/(mu - lambda) is
	 * below 10 ms up to lambda* = 900/s */
	const char *mm1 =
	    "name: mm1\n"
	    "seed: 7\n"
	    "duration: 50s\n"
	    "warmup: 2s\n"
	    "replications: 10\n"
	    "workload:\n"
	    "  arrivals: { process: poisson, rate: 500/s }\n"
	    "  classes:\n"
	    "    - { name: a, phases: [ {cpu: {dist: exponential, mean: "
	    "1ms}} ] }\n"
	    "systems:\n"
	    "  - { name: mm1, model: event-loop, cores: 1, overheads: zero "
	    "}\n";
	char *out;
	tl_write("mm1.yaml", mm1);
	cr_assert_eq(sh(&out, "$B capacity mm1.yaml --slo 'mean<10ms' "
			      "--format json -q 2>/dev/null"),
		     0, "%s", out);
	cr_expect(strstr(out, "\"slo\": \"mean<10ms\""), "%s", out);
	cr_expect(strstr(out, "\"parameter\": \"workload.arrivals.rate\""),
		  "%s", out);
	double cap = json_num(out, "capacity_rps"), ci = json_num(out, "ci95");
	/* the interval covers the analytic value, and is narrow enough
	 * for that to mean something (10 searches of 50 s) */
	cr_expect(ci > 0 && ci < 0.03 * 900, "ci95 %g", ci);
	cr_expect(cap - ci <= 900 && 900 <= cap + ci,
		  "capacity %g +- %g misses 900/s", cap, ci);
	free(out);
	/* an objective that does not parse is bad usage */
	cr_expect_eq(sh(&out, "$B capacity mm1.yaml --slo 'q98<1s'"), 2);
	free(out);
}

static bool png(const char *name)
{
	char path[512];
	unsigned char magic[8] = {0};
	snprintf(path, sizeof path, "%s/%s", tl_tmpdir(), name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	size_t n = fread(magic, 1, 8, f);
	fclose(f);
	return n == 8 && !memcmp(magic, "\x89PNG\r\n\x1a\n", 8);
}

Test(sweep, plot_without_gnuplot_leaves_data_and_scripts, .init = tl_mktmp,
     .fini = tl_rmtmp)
{
	char *out;
	tl_write("s.yaml", two);
	cr_assert_eq(sh(NULL, "$B sweep s.yaml -q -o sw --format csv"), 0);
	cr_expect_eq(sh(&out, "env PATH=/nonexistent GNUPLOT= $B plot sw "
			      "-o figs"),
		     1);
	cr_expect(strstr(out, "gnuplot not found"), "%s", out);
	free(out);
	static const char *const want[] = {
	    "figs/sweep.dat", "figs/throughput.gp", "figs/latency.gp",
	    "figs/goodput.gp", "figs/errors.gp"};
	for (size_t i = 0; i < 5; i++)
		cr_expect(exists(want[i]), "%s missing", want[i]);
	/* one data block per system, each with the six points */
	cr_expect_eq(sh(&out, "grep -c '^ [0-9]' figs/sweep.dat"), 0);
	cr_expect_eq(atoi(out), 12);
	free(out);
}

Test(sweep, plot_draws_png_figures_of_a_sweep_and_a_run, .init = tl_mktmp,
     .fini = tl_rmtmp)
{
	char *out;
	if (sh(NULL, "command -v gnuplot") != 0)
		cr_skip("gnuplot is not installed");
	tl_write("s.yaml", two);
	cr_assert_eq(sh(NULL, "$B sweep s.yaml -q -o sw --format csv"), 0);
	cr_assert_eq(sh(&out, "$B plot sw"), 0, "%s", out);
	free(out);
	static const char *const want[] = {"sw/throughput.png",
					   "sw/latency.png", "sw/goodput.png",
					   "sw/errors.png"};
	for (size_t i = 0; i < 4; i++)
		cr_expect(png(want[i]), "%s is not a PNG", want[i]);

	cr_assert_eq(sh(&out, "$B run s.yaml -q -o run --timeseries 500ms "
			      "--format csv"),
		     0, "%s", out);
	free(out);
	cr_assert_eq(sh(&out, "$B plot run --format svg"), 0, "%s", out);
	free(out);
	cr_expect(exists("run/latency-cdf.svg"));
	cr_expect(exists("run/timeseries.svg"));
	cr_assert_eq(sh(&out, "$B plot run"), 0, "%s", out);
	free(out);
	cr_expect(png("run/latency-cdf.png"));
	cr_expect(png("run/timeseries.png"));
}
