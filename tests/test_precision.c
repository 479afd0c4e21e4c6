/*
 * test_precision.c - `--precision` as one mechanism: the sequential
 * procedure adds only the replications it lacks (the result is the one
 * `replications: n` gives, at the cost of n), `sweep --precision` runs it
 * per point and says how many each used; `sweep --long`; `plot --systems`
 * with a name the results do not have.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "kernel/stats.h"
#include "testlib.h"
#include "workload/run.h"

/* Runs the shell commands `script` in TMP, where `concsim` is the binary
 * under test, with stderr into *out unless a command redirects it;
 * returns the exit status. */
static int sh(char **out, const char *script)
{
	char cmd[4096];
	snprintf(cmd, sizeof cmd,
		 "cd '%s' && concsim() { '%s' \"$@\"; } && { %s ; } 2>&1",
		 tl_tmpdir(), tl_bin(), script);
	return tl_capture(cmd, out);
}

/* M/M/1 (mu = 1000/s) beside a two-worker pool, cheap to run: at 100/s
 * and 300/s the figures need many replications for 20 %, at 600/s the
 * scenario's 3 are enough. */
static const char *mm1 =
    "name: p\nseed: 7\nduration: 2s\nwarmup: 200ms\nreplications: 3\n"
    "workload:\n  arrivals: { process: poisson, rate: 300/s }\n"
    "  classes:\n    - { name: a, phases: [ {cpu: {dist: exponential, "
    "mean: 1ms}} ] }\n"
    "systems:\n"
    "  - { name: loop, model: event-loop, cores: 1, overheads: zero }\n"
    "  - { name: pool, model: worker-pool, cores: 1, workers: 2, "
    "overheads: zero }\n";

/* ------------------------------------------------------ incremental -- */

static void expect_same_est(const char *what, struct sim_est a,
			    struct sim_est b)
{
	cr_expect(a.mean == b.mean && a.ci95 == b.ci95,
		  "%s: %.17g +- %.17g against %.17g +- %.17g", what, a.mean,
		  a.ci95, b.mean, b.ci95);
}

/* Stopping at n after several steps gives, bit for bit, what running n
 * replications from scratch gives, and simulates each replication once. */
Test(precision, incremental_equals_from_scratch)
{
	struct sim_scenario sc;
	struct sim_summary a[2], b[2];
	struct sim_rep_result *ra = NULL, *rb = NULL;
	const char *why = NULL;
	size_t ran = 0;

	tl_load(mm1, &sc);
	cr_assert_eq(sim_run_to_precision(&sc, 2, 0.20, 60, a, &ra, &ran, &why),
		     0);
	int n = sc.replications;
	/* several steps: from 3 to somewhere short of the cap */
	cr_assert(n > 3 && n < 60, "stopped at %d", n);
	cr_expect_eq(ran, 2 * (size_t)n, "%zu simulations for %d replications",
		     ran, n);
	cr_assert_eq(
	    sim_run_scenario_keep(&sc, 1, 0, NULL, b, NULL, NULL, &rb, &why),
	    0);
	for (size_t k = 0; k < 2; k++) {
		cr_expect_eq(a[k].replications, b[k].replications);
		expect_same_est("mean", a[k].lat_mean, b[k].lat_mean);
		expect_same_est("p99", a[k].p99, b[k].p99);
		expect_same_est("throughput", a[k].throughput_rps,
				b[k].throughput_rps);
		expect_same_est("goodput", a[k].goodput_rps, b[k].goodput_rps);
		cr_expect(a[k].events == b[k].events);
		/* the paired differences too (vs_first) */
		cr_expect_eq(a[k].metrics.n, b[k].metrics.n);
		for (size_t i = 0; i < a[k].metrics.n && i < b[k].metrics.n;
		     i++)
			cr_expect(a[k].metrics.v[i].value ==
					  b[k].metrics.v[i].value ||
				      (isnan(a[k].metrics.v[i].value) &&
				       isnan(b[k].metrics.v[i].value)),
				  "%s.%s", a[k].metrics.v[i].group,
				  a[k].metrics.v[i].key);
	}
	/* every replication handed over, system-major, as from scratch */
	for (size_t i = 0; i < 2 * (size_t)n; i++) {
		cr_expect_eq(ra[i].completed, rb[i].completed, "rep %zu", i);
		cr_expect_eq(ra[i].offered, rb[i].offered, "rep %zu", i);
	}
	for (size_t i = 0; i < 2 * (size_t)n; i++) {
		sim_rep_release(&ra[i]);
		sim_rep_release(&rb[i]);
	}
	free(ra);
	free(rb);
	for (size_t k = 0; k < 2; k++) {
		sim_summary_release(&a[k]);
		sim_summary_release(&b[k]);
	}
	sim_scenario_release(&sc);
}

/* capacity --precision adds searches the same way: the answer it stops
 * with is the one --replications n gives. */
Test(precision, capacity_incremental_equals_from_scratch, .init = tl_mktmp,
     .fini = tl_rmtmp)
{
	char *a, *b, args[256];
	tl_write("p.yaml", mm1);
	cr_assert_eq(sh(&a, "concsim capacity p.yaml -q --format json --slo "
			    "'mean<3ms' --systems loop --precision 5% "
			    "2>/dev/null"),
		     0, "%s", a);
	const char *r = strstr(a, "\"replications\": ");
	cr_assert(r, "%s", a);
	int n = atoi(r + 16);
	cr_assert(n > 3 && n < 50, "stopped at %d: %s", n, a);
	snprintf(args, sizeof args,
		 "concsim capacity p.yaml -q --format json --slo 'mean<3ms' "
		 "--systems loop --replications %d",
		 n);
	cr_assert_eq(sh(&b, args), 0, "%s", b);
	cr_expect_str_eq(a, b);
	free(a);
	free(b);
}

/* ----------------------------------------------- sweep --precision -- */

/* The cell of column `name` in CSV line `line` given its header. */
static void csv_get(const char *header, const char *line, const char *name,
		    char *buf, size_t len)
{
	char h[8192], l[8192];
	snprintf(h, sizeof h, "%s", header);
	snprintf(l, sizeof l, "%s", line);
	char *hs = NULL, *ls = NULL;
	char *hc = strtok_r(h, ",\n", &hs), *lc = strtok_r(l, ",\n", &ls);
	buf[0] = '\0';
	while (hc && lc) {
		if (!strcmp(hc, name)) {
			snprintf(buf, len, "%s", lc);
			return;
		}
		hc = strtok_r(NULL, ",\n", &hs);
		lc = strtok_r(NULL, ",\n", &ls);
	}
}

/* The line of out that starts with prefix (copied, without its '\n'). */
static void line_of(const char *out, const char *prefix, char *buf, size_t len)
{
	const char *p = out;
	buf[0] = '\0';
	while (p && *p) {
		if (!strncmp(p, prefix, strlen(prefix))) {
			size_t n = strcspn(p, "\n");
			snprintf(buf, len, "%.*s", (int)n, p);
			return;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
}

Test(precision, sweep_stops_per_point_and_reports_replications,
     .init = tl_mktmp, .fini = tl_rmtmp)
{
	char *out, *one, head[8192], row[8192], cell[64];
	tl_write("p.yaml", mm1);
	/* each point stops on its own: 3 replications are enough at 600/s,
	 * not at 100/s */
	cr_assert_eq(sh(&out,
			"concsim sweep p.yaml -q -j2 --format csv --param "
			"workload.arrivals.rate=100/s,600/s "
			"--precision 20% -o d 2>/dev/null"),
		     0, "%s", out);
	line_of(out, "workload.arrivals.rate,", head, sizeof head);
	line_of(out, "600,loop,", row, sizeof row);
	csv_get(head, row, "replications", cell, sizeof cell);
	cr_expect_str_eq(cell, "3", "%s", out);
	line_of(out, "100,loop,", row, sizeof row);
	csv_get(head, row, "replications", cell, sizeof cell);
	int n = atoi(cell);
	cr_expect(n > 3 && n < 50, "100/s used %d: %s", n, out);
	free(out);
	/* results.json and scenario.yaml say so */
	cr_expect_eq(sh(&out, "cat d/results.json"), 0);
	char want[160];
	snprintf(want, sizeof want,
		 "\"workload.arrivals.rate\": 100, \"system\": \"loop\", "
		 "\"model\": \"event-loop\", \"replications\": %d,",
		 n);
	cr_expect(strstr(out, want), "%s", out);
	free(out);
	cr_expect_eq(sh(&out, "head -1 d/scenario.yaml"), 0);
	cr_expect_str_eq(out, "# sweep --precision 20% --max-replications 50: "
			      "each row's replications says how many ran\n");
	free(out);
	/* the row is the one `--replications n` gives (scenario_hash aside:
	 * another scenario.yaml) */
	char args[512];
	snprintf(args, sizeof args,
		 "concsim sweep p.yaml -q --format csv --param "
		 "workload.arrivals.rate=100/s --replications %d | "
		 "sed 's/,[0-9a-f]\\{16\\},/,H,/' | sort",
		 n);
	cr_assert_eq(sh(&one, args), 0, "%s", one);
	cr_expect_eq(sh(&out, "grep -v '^600,' d/results.csv | "
			      "sed 's/,[0-9a-f]\\{16\\},/,H,/' | sort"),
		     0);
	cr_expect_str_eq(out, one);
	free(one);
	free(out);
	/* the table for people shows them too */
	cr_expect_eq(sh(&out, "concsim sweep p.yaml -q --format table "
			      "--param workload.arrivals.rate=600/s "
			      "--precision 20%"),
		     0);
	cr_expect(strstr(out, "p99 ms  reps\n") && strstr(out, "     3\n"),
		  "%s", out);
	free(out);
	/* -j1 and -j2 write the same rows */
	cr_expect_eq(sh(&out,
			"concsim sweep p.yaml -q -j1 --format csv --param "
			"workload.arrivals.rate=100/s,600/s "
			"--precision 20% 2>/dev/null | cmp - "
			"d/results.csv"),
		     0, "%s", out);
	free(out);
}

Test(precision, sweep_warns_per_point_short_of_precision, .init = tl_mktmp,
     .fini = tl_rmtmp)
{
	char *out;
	tl_write("p.yaml", mm1);
	cr_expect_eq(sh(&out, "concsim sweep p.yaml -q --format csv --param "
			      "workload.arrivals.rate=100/s,600/s "
			      "--precision 20% --max-replications 5 "
			      ">/dev/null"),
		     0);
	cr_expect_str_eq(out, "concsim: warning: --precision 20% not reached "
			      "at workload.arrivals.rate=100/s in 5 "
			      "replications (--max-replications); its "
			      "half-widths are as shown\n");
	free(out);
	cr_expect_eq(sh(&out, "concsim sweep p.yaml --param "
			      "workload.arrivals.rate=100/s "
			      "--max-replications 5"),
		     2);
	cr_expect_str_eq(out, "concsim: error: --max-replications goes with "
			      "--precision P%\n");
	free(out);
	/* another precision is another sweep: --resume refuses it */
	cr_expect_eq(sh(&out, "concsim sweep p.yaml -q --param "
			      "workload.arrivals.rate=100/s,600/s "
			      "--precision 20% -o d >/dev/null 2>&1 && "
			      "concsim sweep p.yaml -q --param "
			      "workload.arrivals.rate=100/s,600/s "
			      "--precision 10% -o d --resume"),
		     2);
	cr_expect(strstr(out, "cannot resume: 'd/scenario.yaml' differs from "
			      "this sweep at line 1"),
		  "%s", out);
	free(out);
}

/* Shards with --precision and --long merge into the bytes of one sweep,
 * results_long.csv included. */
Test(precision, sweep_shards_merge, .init = tl_mktmp, .fini = tl_rmtmp)
{
	char *out;
	tl_write("p.yaml", mm1);
	const char *grid = "--param workload.arrivals.rate=100/s,300/s,600/s "
			   "--precision 20% --long";
	char args[1024];
	snprintf(
	    args, sizeof args,
	    "concsim sweep p.yaml -q %s -o one > /dev/null 2>&1 && "
	    "concsim sweep p.yaml -q %s --shard 0/2 -o s0 > /dev/null 2>&1 && "
	    "concsim sweep p.yaml -q %s --shard 1/2 -o s1 > /dev/null 2>&1 && "
	    "concsim merge s0 s1 -o m > /dev/null && cmp one/results.csv "
	    "m/results.csv && cmp one/results.json m/results.json && "
	    "cmp one/results_long.csv m/results_long.csv",
	    grid, grid, grid);
	cr_expect_eq(sh(&out, args), 0, "%s", out);
	free(out);
}

/* ---------------------------------------------------- sweep --long -- */

/* One figure per row: the swept value, system, model, figure, value;
 * every cell of results.csv (but system, model and scenario_hash) once. */
Test(precision, sweep_long_shape, .init = tl_mktmp, .fini = tl_rmtmp)
{
	char *wide, *lng, *file;
	tl_write("p.yaml", mm1);
	cr_assert_eq(sh(&lng,
			"concsim sweep p.yaml -q --long --format csv --param "
			"workload.arrivals.rate=100/s,600/s -o d"),
		     0, "%s", lng);
	cr_assert_eq(sh(&wide, "cat d/results.csv"), 0);
	cr_assert_eq(sh(&file, "cat d/results_long.csv"), 0, "%s", file);
	cr_expect_str_eq(file, lng);
	const char *h = "workload.arrivals.rate,system,model,figure,value\n";
	cr_assert(!strncmp(lng, h, strlen(h)), "%s", lng);
	/* count: wide rows x (wide columns - 4) */
	size_t wrows = 0, wcols = 1, lrows = 0;
	for (const char *p = wide; *p; p++)
		wrows += *p == '\n';
	for (const char *p = wide; *p && *p != '\n'; p++)
		wcols += *p == ',';
	for (const char *p = lng; *p; p++)
		lrows += *p == '\n';
	cr_expect_eq(lrows - 1, (wrows - 1) * (wcols - 4), "%zu long rows",
		     lrows - 1);
	/* five cells a row, and each value is the wide cell */
	char head[8192], row[8192], cell[64];
	line_of(wide, "workload.arrivals.rate,", head, sizeof head);
	line_of(wide, "600,pool,", row, sizeof row);
	csv_get(head, row, "latency_s_p99", cell, sizeof cell);
	char want[128];
	snprintf(want, sizeof want, "\n600,pool,worker-pool,latency_s_p99,%s\n",
		 cell);
	cr_expect(strstr(lng, want), "%s not in %s", want, lng);
	cr_expect(!strstr(lng, "scenario_hash"));
	for (const char *p = strchr(lng, '\n') + 1; *p;
	     p = strchr(p, '\n') + 1) {
		size_t commas = 0;
		for (const char *q = p; *q != '\n'; q++)
			commas += *q == ',';
		cr_assert_eq(commas, 4, "%.*s", (int)strcspn(p, "\n"), p);
	}
	free(wide);
	free(lng);
	free(file);
}

/* ------------------------------------------------- plot --systems -- */

Test(precision, plot_unknown_system_is_a_usage_error, .init = tl_mktmp,
     .fini = tl_rmtmp)
{
	char *out;
	tl_write("p.yaml", mm1);
	cr_assert_eq(
	    sh(&out, "concsim sweep p.yaml -q --param "
		     "workload.arrivals.rate=100/s,600/s -o d "
		     "> /dev/null && concsim run p.yaml -q -o r > /dev/null"),
	    0, "%s", out);
	free(out);
	cr_expect_eq(sh(&out, "concsim plot d --systems pool,nope -o figs"), 2);
	cr_expect_str_eq(out, "concsim: error: --systems: no system named "
			      "'nope' in 'd/results.csv'; it has loop, pool\n");
	free(out);
	cr_expect_eq(sh(&out, "concsim plot r --systems lop -o figs"), 2);
	cr_expect_str_eq(out, "concsim: error: --systems: no system named "
			      "'lop' in 'r/results.csv'; it has loop, pool\n");
	free(out);
	/* nothing written */
	cr_expect_neq(sh(&out, "ls figs"), 0, "%s", out);
	free(out);
	/* sweep and capacity say it the loader's way (run: test_sizing) */
	static const char *const cmds[] = {
	    "concsim sweep p.yaml -q --param workload.arrivals.rate=1/s "
	    "--systems nope -o s",
	    "concsim capacity p.yaml -q --slo 'p99<1s' --systems nope"};
	for (size_t i = 0; i < 2; i++) {
		cr_expect_eq(sh(&out, cmds[i]), 2, "%s", cmds[i]);
		cr_expect_str_eq(out, "concsim: error: --systems: no system "
				      "named 'nope'; the scenario has loop, "
				      "pool\n");
		free(out);
	}
	cr_expect_neq(sh(&out, "ls s"), 0, "%s", out);
	free(out);
}
