/*
 * test_plot.c - what `concsim plot` adds for readers: the latency
 * percentile spectrum, the .hgrm export for HdrHistogram's tools, the
 * objective of --slo on the latency figures, 95 % bands and one panel
 * per value of a second swept parameter. The scripts and data are
 * checked without gnuplot; the figures are drawn when it is installed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "testlib.h"

static const char *scenario =
    "name: plots\n"
    "seed: 3\n"
    "duration: 2s\n"
    "warmup: 200ms\n"
    "replications: 3\n"
    "workload:\n"
    "  arrivals: { process: poisson, rate: 300/s }\n"
    "  classes:\n"
    "    - { name: a, phases: [ {cpu: {dist: exponential, mean: 1ms}}, "
    "{io: 5ms} ] }\n"
    "systems:\n"
    "  - { name: \"a b/<c>\", model: event-loop, cores: 2 }\n"
    "  - { name: pool, model: worker-pool, cores: 2, workers: 4 }\n";

/* Runs a shell command line in the scratch folder with $B the binary;
 * captures stdout and stderr into *out (may be NULL). */
static int sh(char **out, const char *cmdline)
{
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "cd '%s' && B='%s' && %s 2>&1", tl_tmpdir(),
		 tl_bin(), cmdline);
	return tl_capture(cmd, out);
}

static char *slurp(const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", tl_tmpdir(), name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0, k;
	char *b = malloc(cap);
	while ((k = fread(b + n, 1, cap - n - 1, f)) > 0)
		if ((n += k) + 1 == cap)
			b = realloc(b, cap *= 2);
	b[n] = 0;
	fclose(f);
	return b;
}

static bool exists(const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", tl_tmpdir(), name);
	return access(path, F_OK) == 0;
}

/* Checks a file in HdrHistogram's percentile-distribution format. */
static void check_hgrm(const char *name)
{
	char *t = slurp(name);
	cr_assert(t, "%s missing", name);
	cr_expect(!strncmp(t,
			   "       Value     Percentile TotalCount "
			   "1/(1-Percentile)\n\n",
			   55),
		  "%s: header: %.60s", name, t);
	double prevp = -1, prevv = -1;
	int rows = 0;
	bool last = false;
	char *save = NULL;
	for (char *l = strtok_r(t, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		double v, p, inv;
		long long c;
		if (l[0] == '#' || strstr(l, "Value"))
			continue;
		int k = sscanf(l, "%lf %lf %lld %lf", &v, &p, &c, &inv);
		cr_expect(k == 4 || (k == 3 && p == 1), "%s: bad row '%s'",
			  name, l);
		cr_expect(!last, "%s: a row after percentile 1", name);
		cr_expect(p >= prevp && v >= prevv, "%s: not increasing: %s",
			  name, l);
		if (k == 4)
			cr_expect(fabs(inv - 1 / (1 - p)) < 0.01 * inv + 0.01,
				  "%s: 1/(1-p) wrong in '%s'", name, l);
		last = k == 3;
		prevp = p;
		prevv = v;
		rows++;
	}
	cr_expect(last, "%s: no final row at percentile 1", name);
	cr_expect(rows > 10, "%s: %d rows", name, rows);
	free(t);
	t = slurp(name);
	double mean, sd, max;
	long long total;
	const char *m = strstr(t, "#[Mean    = ");
	cr_assert(m, "%s: no Mean footer", name);
	cr_expect_eq(sscanf(m,
			    "#[Mean    = %lf, StdDeviation   = %lf]\n"
			    "#[Max     = %lf, Total count    = %lld]",
			    &mean, &sd, &max, &total),
		     4, "%s: footer '%s'", name, m);
	/* values in ms: this scenario's mean latency is a few ms */
	cr_expect(mean > 1 && mean < 1000 && sd > 0 && max >= mean,
		  "%s: mean %g sd %g max %g", name, mean, sd, max);
	cr_expect(total > 1000, "%s: total %lld", name, total);
	free(t);
}

Test(plot, run_gets_a_spectrum_and_an_hgrm_per_system, .init = tl_mktmp,
     .fini = tl_rmtmp)
{
	char *out;
	tl_write("s.yaml", scenario);
	cr_assert_eq(sh(NULL, "$B run s.yaml -q -o run --format csv"), 0);
	/* without gnuplot: the scripts and the .hgrm are still written */
	int st = sh(&out, "env PATH=/nonexistent GNUPLOT= $B plot run "
			  "--slo 'p99<80ms,mean<20ms'");
	cr_expect_eq(st, 1, "%s", out);
	free(out);
	cr_expect(exists("run/latency-spectrum.gp"));
	check_hgrm("run/latency-pool.hgrm");
	/* a name is made safe: nothing outside the folder */
	check_hgrm("run/latency-a_b__c_.hgrm");
	cr_expect(!exists("a b"), "a system's name made a folder");
	char *gp = slurp("run/latency-spectrum.gp");
	cr_assert(gp);
	cr_expect(strstr(gp, "1 / (1 - $1)"), "x is not 1/(1-p)");
	cr_expect(strstr(gp, "'99.99%%' 10000"), "no 99.99 %% tick");
	cr_expect(strstr(gp, "slo_n = 2"), "objectives not passed");
	cr_expect(strstr(gp, "slo_l[1] = 'objective: p99 < 80 ms'"), "%s", gp);
	cr_expect(strstr(gp, "good responses only"), "not said");
	free(gp);
	/* the grammar of run and capacity: any percentile is drawn, an
	 * unknown figure is bad usage */
	cr_expect_neq(sh(NULL, "$B plot run -q --slo 'p98<1ms,errors<1%'"), 2);
	cr_expect_eq(sh(NULL, "$B plot run --slo 'q98<1ms'"), 2);
	cr_expect_eq(sh(NULL, "$B plot run --slo"), 2);
}

Test(plot, second_parameter_makes_panels_with_bands, .init = tl_mktmp,
     .fini = tl_rmtmp)
{
	char *out;
	tl_write("s.yaml", scenario);
	cr_assert_eq(sh(NULL,
			"$B sweep s.yaml -q -o sw --format csv "
			"--param workload.arrivals.rate=100/s,300/s,600/s "
			"--param systems.pool.workers=2,8"),
		     0);
	cr_expect_eq(sh(&out, "env PATH=/nonexistent GNUPLOT= $B plot sw "
			      "-o figs --slo 'p99<30ms'"),
		     1, "%s", out);
	free(out);
	char *gp = slurp("figs/latency.gp");
	cr_assert(gp);
	cr_expect(strstr(gp, "npanel = 2"), "no panels");
	cr_expect(strstr(gp, "'pool.workers=2', 'pool.workers=8'"),
		  "panels not named by the values");
	cr_expect(strstr(gp, "n = 2\n"), "a series per system, not per pair");
	cr_expect(strstr(gp, "filledcurves"), "no band");
	cr_expect(strstr(gp, "good responses only"), "not said");
	free(gp);
	cr_expect(!exists("figs/summary.gp"), "a summary of mixed panels");
	/* 2 panels x 2 systems, 3 points each, with the band columns */
	cr_expect_eq(sh(&out, "grep -c '^ [0-9]' figs/sweep.dat"), 0);
	cr_expect_eq(atoi(out), 12, "%s", out);
	free(out);
	cr_expect_eq(sh(&out, "grep '^ [0-9]' figs/sweep.dat | awk "
			      "'{print NF}' | sort -u"),
		     0);
	cr_expect_str_eq(out, "12\n");
	free(out);

	if (sh(NULL, "command -v gnuplot") != 0)
		cr_skip_test("gnuplot is not installed: figures not drawn");
	cr_expect_eq(sh(&out, "$B plot sw -o figs --slo 'p99<30ms'"), 0, "%s",
		     out);
	free(out);
	static const char *const png[] = {
	    "figs/throughput.png", "figs/latency.png", "figs/goodput.png",
	    "figs/errors.png"};
	for (size_t i = 0; i < 4; i++)
		cr_expect(exists(png[i]), "%s missing", png[i]);
	cr_assert_eq(sh(NULL, "$B run s.yaml -q -o run --timeseries 500ms "
			      "--format csv"),
		     0);
	cr_expect_eq(sh(&out, "$B plot run --slo 'p99<30ms'"), 0, "%s", out);
	free(out);
	cr_expect(exists("run/latency-spectrum.png"));
	cr_expect(exists("run/timeseries.png"));
}
