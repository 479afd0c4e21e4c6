/*
 * test_sizing.c - the sizing question and the honesty of headline
 * numbers: `capacity --minimize` against Erlang C, the --precision
 * stopping rule's coverage on M/M/1, `run --slo` gates, `--systems`,
 * `systems.*` overrides, `scale:` schedule steps, and their errors.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "kernel/stats.h"
#include "testlib.h"
#include "workload/run.h"

/* Runs `cd TMP && concsim ARGS 2>&1`; returns the exit status. */
static int sh(char **out, const char *args)
{
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s 2>&1", tl_tmpdir(),
		 tl_bin(), args);
	return tl_capture(cmd, out);
}

/* ---------------------------------------------- minimize vs Erlang C -- */

/* M/M/c: lambda = 30/s, mu = 10/s (offered load a = 3). The objective
 * mean < T sits halfway between the analytic mean response of c* - 1
 * and c* servers, so every replication's search must answer c*: the
 * gap (0.151 s against 0.112 s for c* = 5) is many times the standard
 * error of one replication's mean over 300 s (about 9000 requests). */
Test(sizing, minimize_workers_finds_the_least_mmc_meeting_a_mean,
     .init = tl_mktmp, .fini = tl_rmtmp)
{
	const double lambda = 30, mu = 10;
	double target = 0.13;
	int cstar = 0;
	for (int c = 4; c < 20 && !cstar; c++)
		if (tl_mmc_response(c, lambda, mu) < target)
			cstar = c;
	cr_assert_eq(cstar, 5, "theory: c* = %d", cstar);
	target = (tl_mmc_response(cstar - 1, lambda, mu) +
		  tl_mmc_response(cstar, lambda, mu)) /
		 2;
	char yaml[1024], args[256], *out;
	snprintf(yaml, sizeof yaml,
		 "name: mmc\nseed: 3\nduration: 300s\nwarmup: 20s\n"
		 "replications: 4\nworkload:\n"
		 "  arrivals: { process: poisson, rate: 30/s }\n"
		 "  classes:\n    - { name: a, phases: [ {cpu: {dist: "
		 "exponential, mean: 100ms}} ] }\n"
		 "systems:\n"
		 "  - { name: pool, model: worker-pool, cores: 32, workers: "
		 "12, overheads: zero }\n"
		 "  - { name: loop, model: event-loop, cores: 1, overheads: "
		 "zero }\n");
	tl_write("mmc.yaml", yaml);
	snprintf(args, sizeof args,
		 "capacity mmc.yaml --slo 'mean<%.0fms' --minimize workers "
		 "--format json -q",
		 target * 1e3);
	int rc = sh(&out, args);
	cr_assert_eq(rc, 0, "%s", out);
	/* the pool: every replication answers c*; the loop has no key */
	const char *pool = strstr(out, "\"name\": \"pool\"");
	cr_assert(pool, "%s", out);
	cr_expect(strstr(pool, "\"value\": 5, \"mean\": 5, \"ci95\": 0, "
			       "\"found\": 4"),
		  "%s", out);
	cr_expect(strstr(out, "\"name\": \"loop\", \"model\": \"event-loop\", "
			      "\"minimum\": {\"applicable\": false"),
		  "%s", out);
	/* each replication says what it tried: 4 fails, 5 holds */
	cr_expect(strstr(pool, "{\"value\": 4, \"meets\": false}"), "%s", out);
	cr_expect(strstr(pool, "{\"value\": 5, \"meets\": true}"), "%s", out);
	free(out);
}

/* -------------------------------------------- precision: coverage -- */

/* The sequential procedure stops when the half-width is within g' of
 * the estimate; over many independent seeds the final 95 % interval of
 * the mean response of an M/M/1 queue (rho = 0.5, W = 2 ms) must cover
 * the analytic value about 95 % of the time. With 100 seeds the count
 * of covers is binomial: below 87 (0.95 - 3.1 standard errors, one-sided
 * 99.9 %) the procedure would be unsound. */
Test(sizing, precision_rule_covers_the_mm1_mean)
{
	const int seeds = 100;
	const double W = 1.0 / (1000 - 500);
	int covered = 0, total_reps = 0;
	for (int k = 0; k < seeds; k++) {
		char yaml[1024];
		struct sim_scenario sc;
		struct sim_summary s[1];
		const char *why = NULL;
		snprintf(
		    yaml, sizeof yaml,
		    "name: mm1\nseed: %d\nduration: 4s\nwarmup: 200ms\n"
		    "replications: 5\nworkload:\n"
		    "  arrivals: { process: poisson, rate: 500/s }\n"
		    "  classes:\n    - { name: a, phases: [ {cpu: {dist: "
		    "exponential, mean: 1ms}} ] }\n"
		    "systems:\n  - { name: q, model: event-loop, cores: 1, "
		    "overheads: zero }\n",
		    1000 + k);
		tl_load(yaml, &sc);
		cr_assert_eq(
		    sim_run_to_precision(&sc, 2, 0.05, 50, s, NULL, NULL, &why),
		    0);
		total_reps += sc.replications;
		covered += fabs(s[0].lat_mean.mean - W) <= s[0].lat_mean.ci95;
		sim_summary_release(&s[0]);
		sim_scenario_release(&sc);
	}
	cr_log_info("precision 5%%: %d of %d intervals cover W, %.1f "
		    "replications on average",
		    covered, seeds, (double)total_reps / seeds);
	fprintf(stderr,
		"precision_rule_covers_the_mm1_mean: %d/%d covered, mean "
		"%.1f replications\n",
		covered, seeds, (double)total_reps / seeds);
	cr_expect_geq(covered, 87, "coverage %d/%d", covered, seeds);
}

/* ------------------------------------------------------------- CLI -- */

static const char *two =
    "name: two\nseed: 5\nduration: 3s\nwarmup: 200ms\nreplications: 3\n"
    "workload:\n"
    "  arrivals:\n    process: poisson\n    rate: 200/s\n"
    "    schedule:\n      - { at: 1s, scale: 2 }\n"
    "      - { at: 2s, scale: 1 }\n"
    "  classes:\n    - { name: a, phases: [ {cpu: {dist: exponential, "
    "mean: 1ms}} ] }\n"
    "systems:\n"
    "  - { name: fast, model: event-loop, cores: 1 }\n"
    "  - { name: slow, model: worker-pool, cores: 1, workers: 1, "
    "threads: 1 }\n";

Test(sizing, slo_gate_exits_1_naming_system_and_figure, .init = tl_mktmp,
     .fini = tl_rmtmp)
{
	char *out;
	tl_write("two.yaml", two);
	/* a generous objective: met, exit 0 */
	cr_expect_eq(sh(&out, "run two.yaml -q --format json --slo "
			      "'p99<10s,errors<=50%,goodput>=50%'"),
		     0, "%s", out);
	free(out);
	/* an impossible one: exit 1, one line per system and figure */
	cr_expect_eq(sh(&out, "run two.yaml -q --format csv --slo "
			      "'p99.9<10us'"),
		     1);
	cr_expect(strstr(out, "concsim: slo: 'fast' misses p99.9<10us: "), "%s",
		  out);
	cr_expect(strstr(out, "concsim: slo: 'slow' misses p99.9<10us: "), "%s",
		  out);
	free(out);
	/* bad objectives are usage errors, one line each */
	static const char *const bad[] = {"q99<1s",   "p99>1s",	 "p99<1",
					  "errors<2", "p100<1s", ""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char args[128];
		snprintf(args, sizeof args, "run two.yaml --slo '%s'", bad[i]);
		cr_expect_eq(sh(&out, args), 2, "%s: %s", bad[i], out);
		cr_expect(!strncmp(out, "concsim: error: --slo: ", 23) &&
			      strchr(out, '\n') == out + strlen(out) - 1,
			  "%s: %s", bad[i], out);
		free(out);
	}
}

Test(sizing, systems_option_and_wildcard_set, .init = tl_mktmp,
     .fini = tl_rmtmp)
{
	char *out;
	tl_write("two.yaml", two);
	cr_expect_eq(sh(&out, "run two.yaml -q --format csv --systems slow"),
		     0);
	cr_expect(!strstr(out, "fast") && strstr(out, "slow"), "%s", out);
	free(out);
	cr_expect_eq(sh(&out, "run two.yaml --systems nope"), 2);
	cr_expect_str_eq(out, "concsim: error: --systems: no system named "
			      "'nope'; the scenario has fast, slow\n");
	free(out);
	/* systems.*.KEY: every system that has the key, and only those */
	cr_expect_eq(sh(&out, "check two.yaml --set 'systems.*.cores=3' "
			      "--set 'systems.*.workers=4'"),
		     0, "%s", out);
	cr_expect(strstr(out, "fast: model event-loop, 3 cores"), "%s", out);
	cr_expect(strstr(out, "slow: model worker-pool, 3 cores"), "%s", out);
	cr_expect(strstr(out, "workers              4"), "%s", out);
	free(out);
	cr_expect_eq(sh(&out, "check two.yaml --set 'systems.*.nope=1'"), 2);
	cr_expect_str_eq(out, "--set systems.*.nope: error: no system has the "
			      "key 'nope'\n");
	free(out);
}

Test(sizing, minimize_errors, .init = tl_mktmp, .fini = tl_rmtmp)
{
	char *out;
	tl_write("two.yaml", two);
	cr_expect_eq(sh(&out, "capacity two.yaml --slo 'p99<1s' --minimize "
			      "nope"),
		     2);
	cr_expect(strstr(out, "concsim: error: --minimize: no system has the "
			      "key 'nope'"),
		  "%s", out);
	free(out);
	cr_expect_eq(sh(&out, "capacity two.yaml --slo 'p99<1s' --minimize "
			      "quantum"),
		     2);
	cr_expect(strstr(out, "is not a whole number key"), "%s", out);
	free(out);
	cr_expect_eq(sh(&out, "capacity two.yaml --slo 'p99<1s' --minimize "
			      "workers --lo 1 --hi 3"),
		     2);
	cr_expect(strstr(out, "takes no --param, --lo or --hi"), "%s", out);
	free(out);
	cr_expect_eq(sh(&out, "capacity two.yaml --slo 'p99<1s' --minimize "
			      "systems.nope.workers"),
		     2);
	cr_expect(strstr(out, "no system named 'nope'"), "%s", out);
	free(out);
}

Test(sizing, precision_options, .init = tl_mktmp, .fini = tl_rmtmp)
{
	char *out;
	tl_write("two.yaml", two);
	cr_expect_eq(sh(&out, "run two.yaml --precision 5"), 2);
	cr_expect(strstr(out, "--precision expects a percentage"), "%s", out);
	free(out);
	cr_expect_eq(sh(&out, "run two.yaml --max-replications 9"), 2);
	cr_expect(strstr(out, "--max-replications goes with --precision"), "%s",
		  out);
	free(out);
	/* the JSON says how many ran: at least the scenario's 3, at most
	 * the cap */
	cr_expect_eq(sh(&out, "run two.yaml -q --format json --precision 1% "
			      "--max-replications 4"),
		     0);
	cr_expect(strstr(out, "\"replications\": 4,"), "%s", out);
	cr_expect(strstr(out, "--precision 1% not reached in 4 "
			      "replications"),
		  "%s", out);
	free(out);
	/* capacity: more searches, each on its own replication */
	cr_expect_eq(sh(&out, "capacity two.yaml -q --format json --slo "
			      "'p99<50ms' --systems fast --precision 0.1% "
			      "--max-replications 4"),
		     0, "%s", out);
	cr_expect(strstr(out, "\"replications\": 4,"), "%s", out);
	cr_expect(strstr(out, "{\"replication\": 3,"), "%s", out);
	free(out);
	cr_expect_eq(sh(&out, "capacity two.yaml --slo 'p99<50ms' "
			      "--max-replications 4"),
		     2);
	free(out);
}

Test(sizing, scaled_schedule_steps_follow_the_base_rate, .init = tl_mktmp,
     .fini = tl_rmtmp)
{
	struct sim_scenario sc;
	tl_load("name: s\nduration: 3s\nworkload:\n  arrivals:\n"
		"    process: poisson\n    rate: 200/s\n    schedule:\n"
		"      - { at: 1s, scale: 2.5 }\n"
		"  classes: [ {name: a, phases: [ {cpu: 1ms} ]} ]\n"
		"systems: [ {name: n, model: event-loop} ]\n",
		&sc);
	cr_expect_float_eq(sc.workload.arrivals.schedule[0].rate, 500, 1e-9);
	sim_scenario_release(&sc);
	char *out;
	tl_write("abs.yaml",
		 "name: s\nduration: 3s\nworkload:\n  arrivals:\n"
		 "    process: poisson\n    rate: 200/s\n    schedule:\n"
		 "      - { at: 1s, rate: 400/s }\n"
		 "  classes: [ {name: a, phases: [ {cpu: 1ms} ]} ]\n"
		 "systems: [ {name: n, model: event-loop} ]\n");
	cr_expect_eq(sh(&out, "check abs.yaml --set "
			      "workload.arrivals.rate=300/s"),
		     0);
	cr_expect(strstr(out, "abs.yaml:8:25: warning: 'rate': this schedule "
			      "step stays at an absolute rate while the base "
			      "rate (workload.arrivals.rate) is overridden; "
			      "write 'scale: F' to make it follow\n"),
		  "%s", out);
	free(out);
	/* no warning when the schedule is overridden too */
	cr_expect_eq(sh(&out, "check abs.yaml --set "
			      "workload.arrivals.rate=300/s --set "
			      "'workload.arrivals.schedule=[{at: 1s, rate: "
			      "9/s}]'"),
		     0);
	cr_expect(!strstr(out, "warning"), "%s", out);
	free(out);
	tl_write("both.yaml",
		 "name: s\nduration: 3s\nworkload:\n  arrivals:\n"
		 "    process: poisson\n    rate: 200/s\n    schedule:\n"
		 "      - { at: 1s, rate: 400/s, scale: 2 }\n"
		 "  classes: [ {name: a, phases: [ {cpu: 1ms} ]} ]\n"
		 "systems: [ {name: n, model: event-loop} ]\n");
	cr_expect_eq(sh(&out, "check both.yaml"), 2);
	cr_expect(strstr(out, "both.yaml:8:39: error: both 'rate' and "
			      "'scale' in a schedule entry"),
		  "%s", out);
	free(out);
}

/* A replication without a good response has no latency: the paired
 * difference uses only the replications where both systems have one. */
Test(sizing, paired_difference_skips_replications_without_latency,
     .init = tl_mktmp, .fini = tl_rmtmp)
{
	char *out, cmd[1024];
	snprintf(cmd, sizeof cmd,
		 "run '%s/scenarios/io-bound-sync.yaml' -q --format json",
		 tl_src());
	cr_assert_eq(sh(&out, cmd), 0);
	/* gthread against sync: the means differ by about 1.85 s */
	const char *p = strstr(out, "\"latency_s_mean_diff\": ");
	cr_assert(p, "%s", out);
	double d = strtod(p + strlen("\"latency_s_mean_diff\": "), NULL);
	cr_expect(d < -1.5, "difference %g s", d);
	free(out);
}

/* ------------------------------------------------------ warmup: auto -- */

/* MSER on a sequence with a known transient: 200 batch means rising
 * linearly to the steady level 1, then 800 around it (uniform noise of
 * half-width 0.3). The truncation must fall at the end of the rise, not
 * at 0 and not deep into the steady part. */
Test(sizing, mser_truncates_a_known_transient)
{
	double b[1000];
	uint64_t x = 12345;
	for (size_t i = 0; i < 1000; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		double u = (double)(x >> 11) / 9007199254740992.0;
		b[i] = (i < 200 ? (double)i / 200 : 1.0) + 0.6 * (u - 0.5);
	}
	size_t d = sim_mser(b, 1000);
	cr_expect(d >= 150 && d <= 260, "truncation %zu", d);
	/* a stationary sequence needs (almost) none */
	for (size_t i = 0; i < 200; i++)
		b[i] = b[200 + i];
	d = sim_mser(b, 1000);
	cr_expect(d < 100, "truncation %zu of a stationary sequence", d);
}

/* An M/M/1 queue at rho = 0.9 started empty: the early responses are
 * faster than the steady state. With `warmup: auto` the truncation is
 * above 0 and the mean response covers W = 1/(mu - lambda) = 10 ms
 * within its 99.9 % interval. */
Test(sizing, mser_warmup_on_mm1_started_empty)
{
	struct sim_scenario sc;
	struct sim_summary s[1];
	tl_load("name: mm1\nseed: 11\nduration: 100s\nwarmup: auto\n"
		"replications: 10\nworkload:\n"
		"  arrivals: { process: poisson, rate: 900/s }\n"
		"  classes:\n    - { name: a, phases: [ {cpu: {dist: "
		"exponential, mean: 1ms}} ] }\n"
		"systems:\n  - { name: q, model: event-loop, cores: 1, "
		"overheads: zero }\n",
		&sc);
	cr_assert(sc.warmup_auto);
	tl_run_loaded(&sc, s);
	cr_expect(s[0].warmup_s > 0, "truncation %g s", s[0].warmup_s);
	cr_expect(s[0].warmup_s < sc.duration / 2, "truncation %g s",
		  s[0].warmup_s);
	/* rho = 0.9 is noisy: the check is the 99.9 % interval, which
	 * must also be narrow enough (10 %) to mean something */
	double hw = tl_ci999(s[0].lat_mean.ci95, s[0].replications);
	cr_expect(fabs(s[0].lat_mean.mean - 0.010) <= hw && hw < 0.001,
		  "mean %g +- %g (99.9 %%), theory 0.010", s[0].lat_mean.mean,
		  hw);
	sim_summary_release(&s[0]);
	sim_scenario_release(&sc);
}
