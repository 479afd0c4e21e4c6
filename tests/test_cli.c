/*
 * test_cli.c - the `concsim` binary as users and scripts see it: exit
 * statuses, determinism (same seed, byte-identical output; -j never
 * changes results), output files, and one-line FILE:LINE:COLUMN errors
 * for malformed scenarios with nothing written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "testlib.h"

/* Runs `concsim ARGS` with a shell; captures stdout (and stderr if
 * err_too); returns the exit status. The caller frees *out. */
static int run(const char *args, int err_too, char **out)
{
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "%s %s %s", tl_bin(), args,
		 err_too ? "2>&1" : "2>/dev/null");
	return tl_capture(cmd, out);
}

static const char *small =
    "name: small\n"
    "seed: 5\n"
    "duration: 2s\n"
    "warmup: 200ms\n"
    "replications: 3\n"
    "workload:\n"
    "  arrivals: { process: poisson, rate: 500/s }\n"
    "  classes:\n"
    "    - { name: a, weight: 3, phases: [ {cpu: 500us}, {io: 5ms} ] }\n"
    "    - { name: b, phases: [ {cpu: {dist: exponential, mean: 2ms}},"
    " {pool: 1ms} ] }\n"
    "systems:\n"
    "  - { name: one, model: event-loop, cores: 2 }\n"
    "  - { name: two, model: event-loop, cores: 2, processes: 2 }\n";

Test(cli, version_and_help_exit_zero, .init = tl_mktmp, .fini = tl_rmtmp)
{
	char *out;
	cr_expect_eq(run("--version", 0, &out), 0);
	cr_expect(strncmp(out, "concsim ", 8) == 0);
	free(out);
	cr_expect_eq(run("--help", 0, &out), 0);
	cr_expect(strstr(out, "run") && strstr(out, "check"));
	free(out);
	cr_expect_eq(run("help run", 0, &out), 0);
	cr_expect(strstr(out, "--timeseries"));
	free(out);
	cr_expect_eq(run("run --help", 0, &out), 0);
	free(out);
	cr_expect_eq(run("help models", 0, &out), 0);
	cr_expect(strstr(out, "event-loop"));
	free(out);
}

Test(cli, bad_usage_exits_two, .init = tl_mktmp, .fini = tl_rmtmp)
{
	char *out;
	cr_expect_eq(run("", 1, &out), 2);
	free(out);
	cr_expect_eq(run("frobnicate", 1, &out), 2);
	cr_expect(strstr(out, "unknown command 'frobnicate'"));
	free(out);
	tl_write("s.yaml", small);
	char args[600];
	snprintf(args, sizeof args, "run %s/s.yaml --format xml", tl_tmpdir());
	cr_expect_eq(run(args, 1, &out), 2);
	free(out);
	snprintf(args, sizeof args, "run %s/s.yaml --jobs 0", tl_tmpdir());
	cr_expect_eq(run(args, 1, &out), 2);
	free(out);
	snprintf(args, sizeof args, "run %s/s.yaml --timeseries 1s",
		 tl_tmpdir());
	cr_expect_eq(run(args, 1, &out), 2, "--timeseries without -o");
	free(out);
	cr_expect_eq(run("run /nonexistent/x.yaml", 1, &out), 2);
	free(out);
}

Test(cli, same_seed_gives_byte_identical_output_whatever_jobs, .init = tl_mktmp,
     .fini = tl_rmtmp)
{
	tl_write("s.yaml", small);
	char args[600], *a, *b, *c, *d;
	snprintf(args, sizeof args, "run %s/s.yaml --format json -j 1",
		 tl_tmpdir());
	cr_assert_eq(run(args, 0, &a), 0);
	snprintf(args, sizeof args, "run %s/s.yaml --format json -j 2",
		 tl_tmpdir());
	cr_assert_eq(run(args, 0, &b), 0);
	snprintf(args, sizeof args, "run %s/s.yaml --format json -j 4",
		 tl_tmpdir());
	cr_assert_eq(run(args, 0, &c), 0);
	cr_expect_str_eq(a, b);
	cr_expect_str_eq(a, c);
	snprintf(args, sizeof args, "run %s/s.yaml --format json --seed 6",
		 tl_tmpdir());
	cr_assert_eq(run(args, 0, &d), 0);
	cr_expect_str_neq(a, d, "another seed, other numbers");
	free(a);
	free(b);
	free(c);
	free(d);
}

Test(cli, json_output_parses_and_follows_the_contract, .init = tl_mktmp,
     .fini = tl_rmtmp)
{
	tl_write("s.yaml", small);
	char args[2048], *out;
	snprintf(
	    args, sizeof args,
	    "run %s/s.yaml --format json | python3 -c '"
	    "import json,sys; d=json.load(sys.stdin); s=d[\"systems\"];"
	    "assert d[\"scenario\"]==\"small\" and d[\"replications\"]==3;"
	    "assert [x[\"name\"] for x in s]==[\"one\",\"two\"];"
	    "k=[\"offered_rps\",\"throughput_rps\",\"goodput_rps\","
	    "\"completed\",\"errors\",\"latency_s\",\"ci95\","
	    "\"utilization\",\"queues\",\"memory_peak_bytes\",\"events\","
	    "\"classes\"];"
	    "assert all(x in s[0] for x in k), [x for x in k if x not in s[0]];"
	    "assert set(s[0][\"classes\"])=={\"a\",\"b\"};"
	    "assert abs(s[0][\"offered_rps\"]-500)<60;"
	    "assert "
	    "0<s[0][\"latency_s\"][\"p50\"]<s[0][\"latency_s\"][\"p99\"];"
	    "print(\"ok\")'",
	    tl_tmpdir());
	cr_expect_eq(run(args, 1, &out), 0, "%s", out);
	cr_expect(strstr(out, "ok"), "%s", out);
	free(out);
}

Test(cli, out_dir_gets_every_result_file, .init = tl_mktmp, .fini = tl_rmtmp)
{
	tl_write("s.yaml", small);
	char args[2048], *out;
	snprintf(args, sizeof args,
		 "run %s/s.yaml -q --format csv -o %s/res --timeseries 500ms",
		 tl_tmpdir(), tl_tmpdir());
	cr_assert_eq(run(args, 1, &out), 0, "%s", out);
	free(out);
	const char *files[] = {"results.json", "results.csv", "summary.txt",
			       "scenario.yaml", "timeseries.csv"};
	for (size_t i = 0; i < 5; i++) {
		char p[600];
		struct stat st;
		snprintf(p, sizeof p, "%s/res/%s", tl_tmpdir(), files[i]);
		cr_expect_eq(stat(p, &st), 0, "missing %s", files[i]);
		cr_expect_gt(st.st_size, 0);
	}
	/* time series: 2.2 s / 0.5 s -> 5 rows, x 3 replications x 2 */
	char cmd[1200];
	snprintf(cmd, sizeof cmd,
		 "python3 -c 'import csv; r=list(csv.DictReader("
		 "open(\"%s/res/timeseries.csv\"))); print(len(r));"
		 "assert all(k in r[0] for k in (\"time_s\",\"system\","
		 "\"offered_rps\",\"throughput_rps\",\"goodput_rps\","
		 "\"errors\",\"latency_s_p50\",\"latency_s_p99\"))'",
		 tl_tmpdir());
	cr_expect_eq(tl_capture(cmd, &out), 0, "%s", out);
	cr_expect_eq(atoi(out), 5 * 3 * 2, "rows: %s", out);
	free(out);
	/* the resolved scenario loads back */
	snprintf(args, sizeof args, "check %s/res/scenario.yaml", tl_tmpdir());
	cr_expect_eq(run(args, 1, &out), 0, "%s", out);
	free(out);
}

/* Malformed scenarios: each is valid but for one defect, so it must give
 * exactly one line, `PATH:LINE:COL: error: ...` with the expected text,
 * exit status 2, and nothing written to the output folder. */
#define WL                                                                     \
	"workload:\n  arrivals: { rate: 10/s }\n"                              \
	"  classes: [ { name: a, phases: [ {cpu: 1ms} ] } ]\n"
#define SYS "systems:\n  - { name: a, model: event-loop }\n"

static const struct {
	const char *text;
	const char *expect; /* ":LINE:COL: error: ..." substring */
} bad[] = {
    {"", ":1:1: error: empty scenario"},
    {"name: [unclosed\n" WL SYS, ":2:9: error: invalid YAML"},
    {"workload:\n\tarrivals: { rate: 10/s }\n" SYS, ":2:1: error: tab"},
    {"- just\n- a list\n", ":1:1: error: expected a map"},
    {"name: x\n" WL "systems: []\n", ":5:10: error: 'systems'"},
    {"workload: 5\n" SYS, ":1:11: error: 'workload': expected a map"},
    {"duration: 60\n" WL SYS,
     ":1:11: error: 'duration': expected a duration with a unit"},
    {"duration: -5s\n" WL SYS, ":1:11: error: 'duration'"},
    {"duration: .nan\n" WL SYS, ":1:11: error: 'duration'"},
    {"duration: 1e300s\n" WL SYS, ":1:11: error: 'duration'"},
    {"replications: 1e300\n" WL SYS, ":1:15: error: 'replications'"},
    {"seed: hello\n" WL SYS, ":1:7: error: 'seed'"},
    {"wrkload: {}\n" WL SYS, "did you mean 'workload'?"},
    {"workload:\n  arrivals: { rate: 10 }\n"
     "  classes: [ { name: a, phases: [ {cpu: 1ms} ] } ]\n" SYS,
     ":2:21: error: 'rate': expected a rate with a unit"},
    {"workload:\n  arrivals: { rate: -5/s }\n"
     "  classes: [ { name: a, phases: [ {cpu: 1ms} ] } ]\n" SYS,
     ":2:21: error: 'rate'"},
    {"workload:\n  arrivals: { rate: 10/s }\n" SYS,
     ":2:3: error: missing key 'classes'"},
    {"workload:\n  arrivals: { rate: 10/s }\n"
     "  classes: [ { name: a, phases: [ {gpu: 1ms} ] } ]\n" SYS,
     ":3:36: error: "},
    {"workload:\n  arrivals: { process: trace, file: nope.csv }\n"
     "  classes: [ { name: a, phases: [ {cpu: 1ms} ] } ]\n" SYS,
     ":2:37: error: "},
    {WL "systems:\n  - { name: a, model: nodejs }\n",
     ":5:23: error: unknown model 'nodejs'"},
    {WL "systems:\n  - { name: a, model: event-loop }\n"
	"  - { name: a, model: event-loop }\n",
     ":6:13: error: duplicate system name 'a'"},
    {WL "systems:\n  - { name: a, model: event-loop, cores: 2.5 }\n",
     ":5:42: error: 'cores': expected a whole number"},
    {WL "systems:\n  - { name: a, model: event-loop, threadpol: 8 }\n",
     "did you mean 'threadpool'?"},
    {WL "systems:\n  - { name: a, model: event-loop, threadpool: 100000 }\n",
     ":5:47: error: 'threadpool'"},
    {"a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
     "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c]\n"
     "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e]\n"
     "g: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n" WL SYS,
     ": error: "},
    {"\x7f\x45\x4c\x46\x02\x01\x01\x00\xff\xfe\x00\x01\n", ": error: "},
};

Test(cli, malformed_scenarios_give_one_located_error_and_write_nothing,
     .init = tl_mktmp, .fini = tl_rmtmp, .timeout = 60)
{
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		tl_write("bad.yaml", bad[i].text);
		char args[800], path[600], *out;
		snprintf(path, sizeof path, "%s/bad.yaml:", tl_tmpdir());
		snprintf(args, sizeof args, "run %s/bad.yaml -q -o %s/out%zu",
			 tl_tmpdir(), tl_tmpdir(), i);
		int rc = run(args, 1, &out);
		cr_expect_eq(rc, 2, "case %zu: exit %d: %s", i, rc, out);
		cr_expect(strncmp(out, path, strlen(path)) == 0,
			  "case %zu: message does not start with the file: %s",
			  i, out);
		char *nl = strchr(out, '\n');
		cr_expect(nl && !nl[1], "case %zu: not exactly one line: %s", i,
			  out);
		cr_expect(strstr(out, bad[i].expect),
			  "case %zu: want '%s' in: %s", i, bad[i].expect, out);
		char p[600];
		struct stat st;
		snprintf(p, sizeof p, "%s/out%zu", tl_tmpdir(), i);
		cr_expect_neq(stat(p, &st), 0, "case %zu wrote %s", i, p);
		free(out);
	}
}

Test(cli, unbounded_overload_stops_with_a_message, .init = tl_mktmp,
     .fini = tl_rmtmp, .timeout = 60)
{
	/* 200k requests/s into two Node processes that accept everything:
	 * the queue grows without bound; the run must stop, not exhaust
	 * memory, and write no results */
	tl_write("over.yaml",
		 "duration: 60s\nwarmup: 0s\nreplications: 1\n"
		 "workload:\n  arrivals: { rate: 200000/s }\n"
		 "  classes: [ { name: a, phases: [ {cpu: 1ms} ] } ]\n"
		 "systems: [ { name: n, model: event-loop, processes: 2 } ]\n");
	char args[800], *out;
	snprintf(args, sizeof args, "run %s/over.yaml -q -o %s/res",
		 tl_tmpdir(), tl_tmpdir());
	cr_expect_eq(run(args, 1, &out), 1, "%s", out);
	cr_expect(strstr(out, "overloaded without bound"), "%s", out);
	free(out);
	snprintf(args, sizeof args, "%s/res/results.json", tl_tmpdir());
	struct stat st;
	cr_expect_neq(stat(args, &st), 0, "results written anyway");
}

/* ------------------------------------------ command-line conventions -- */

/* Output of `concsim ARGS` (stdout only) run in the temporary folder,
 * after asserting its exit status. The caller frees it. */
static char *output_of(const char *args, int status)
{
	char cmd[4096], *out;
	snprintf(cmd, sizeof cmd, "cd %s && %s 2>/dev/null", tl_tmpdir(), args);
	int rc = tl_capture(cmd, &out);
	cr_assert_eq(rc, status, "%s: exit %d\n%s", args, rc, out);
	return out;
}

Test(cli, bundled_short_options_and_attached_values_mean_the_same,
     .init = tl_mktmp, .fini = tl_rmtmp)
{
	tl_write("s.yaml", small);
	char a[600], b[600];
	snprintf(a, sizeof a, "%s run s.yaml -q -j 2 --format json --seed 9",
		 tl_bin());
	snprintf(b, sizeof b, "%s run -qj2 --format=json --seed=9 s.yaml",
		 tl_bin());
	char *x = output_of(a, 0), *y = output_of(b, 0);
	cr_expect_str_eq(x, y);
	cr_expect(strstr(x, "\"seed\": 9"), "%s", x);
	free(x);
	free(y);
	/* -qo DIR: -o takes the next argument */
	snprintf(a, sizeof a, "%s run s.yaml -qo res --format csv", tl_bin());
	free(output_of(a, 0));
	char p[600];
	struct stat st;
	snprintf(p, sizeof p, "%s/res/results.csv", tl_tmpdir());
	cr_expect_eq(stat(p, &st), 0, "-qo res wrote nothing");
}

Test(cli, bad_options_are_named_and_exit_two, .init = tl_mktmp,
     .fini = tl_rmtmp)
{
	tl_write("s.yaml", small);
	static const struct {
		const char *args, *msg;
	} cases[] = {
	    {"run s.yaml -qz", "unknown option '-z'; see 'concsim help run'"},
	    {"run s.yaml --frob", "unknown option '--frob'"},
	    {"run s.yaml --jobs", "option '--jobs' needs a value"},
	    {"run s.yaml --quiet=yes", "option '--quiet' takes no value"},
	    {"sweep s.yaml --resume=yes", "option '--resume' takes no value"},
	    {"plot -j2 dir", "unknown option '-j'; see 'concsim help plot'"},
	    {"run -- -q", "cannot read '-q'"},
	    /* after `--`, what looks like an option is an operand, for
	     * the commands' own options too */
	    {"run -- s.yaml --seed 3", "unexpected argument '--seed'"},
	    {"run -- s.yaml --systems x", "unexpected argument '--systems'"},
	    {"sweep -- s.yaml --systems x", "unexpected argument '--systems'"},
	    {"capacity -- s.yaml --systems x",
	     "unexpected argument '--systems'"},
	    {"trace -- s.yaml --replication 2",
	     "unexpected argument '--replication'"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char cmd[600], *out;
		snprintf(cmd, sizeof cmd, "cd %s && %s %s 2>&1", tl_tmpdir(),
			 tl_bin(), cases[i].args);
		cr_expect_eq(tl_capture(cmd, &out), 2, "%s", cases[i].args);
		cr_expect(strstr(out, cases[i].msg), "%s: %s", cases[i].args,
			  out);
		free(out);
	}
}

Test(cli, double_dash_ends_the_options, .init = tl_mktmp, .fini = tl_rmtmp)
{
	tl_write("-s.yaml", small);
	char a[600];
	snprintf(a, sizeof a, "%s run --format json -q -- -s.yaml", tl_bin());
	char *x = output_of(a, 0);
	cr_expect(strstr(x, "\"scenario\": \"small\""), "%s", x);
	free(x);
	/* a file whose name is a long option's, after `--` */
	tl_write("--slo.yaml", small);
	snprintf(a, sizeof a, "%s run --format json -q -- --slo.yaml",
		 tl_bin());
	x = output_of(a, 0);
	cr_expect(strstr(x, "\"scenario\": \"small\""), "%s", x);
	free(x);
}

Test(cli, a_dash_reads_the_scenario_from_standard_input, .init = tl_mktmp,
     .fini = tl_rmtmp)
{
	tl_write("s.yaml", small);
	char a[600], b[600];
	snprintf(a, sizeof a, "%s run s.yaml -q --format json", tl_bin());
	snprintf(b, sizeof b, "%s run - -q --format json < s.yaml", tl_bin());
	char *x = output_of(a, 0), *y = output_of(b, 0);
	cr_expect_str_eq(x, y);
	free(x);
	free(y);
	/* sweep reads it once, and every point from that text */
	snprintf(a, sizeof a,
		 "%s sweep s.yaml -q --format csv --set duration=500ms "
		 "--param workload.arrivals.rate=100/s,200/s",
		 tl_bin());
	snprintf(b, sizeof b,
		 "cat s.yaml | %s sweep - -q --format csv --set "
		 "duration=500ms --param=workload.arrivals.rate=100/s,200/s",
		 tl_bin());
	x = output_of(a, 0);
	y = output_of(b, 0);
	cr_expect_str_eq(x, y);
	cr_expect(strstr(x, "200"), "%s", x);
	free(x);
	free(y);
	/* errors name it */
	char cmd[600], *out;
	snprintf(cmd, sizeof cmd, "printf 'name: [\\n' | %s check - 2>&1",
		 tl_bin());
	cr_expect_eq(tl_capture(cmd, &out), 2);
	cr_expect(!strncmp(out, "<stdin>:", 8), "%s", out);
	free(out);
}

Test(cli, version_names_the_build, .init = tl_mktmp, .fini = tl_rmtmp)
{
	char *a = output_of(tl_bin(), 2); /* no command: usage, exit 2 */
	free(a);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "%s -V", tl_bin());
	a = output_of(cmd, 0);
	snprintf(cmd, sizeof cmd, "%s --version", tl_bin());
	char *b = output_of(cmd, 0);
	cr_expect_str_eq(a, b);
	/* "concsim 0.1.0 (DESCRIPTION)\n" */
	cr_expect(!strncmp(a, "concsim ", 8) && strchr(a, '(') &&
		      strstr(a, ")\n"),
		  "%s", a);
	free(a);
	free(b);
}

Test(cli, hours_and_days_are_units, .init = tl_mktmp, .fini = tl_rmtmp)
{
	tl_write("s.yaml", small);
	char a[600];
	snprintf(a, sizeof a,
		 "%s check s.yaml --set duration=1h --set warmup=0.001d "
		 "--set workload.arrivals.rate=360/h",
		 tl_bin());
	char *x = output_of(a, 0);
	cr_expect(strstr(x, "of 3600s after 86.4s of warm-up"), "%s", x);
	cr_expect(strstr(x, "0.1 requests/s"), "%s", x);
	free(x);
}

Test(cli, help_scenario_documents_every_section_with_units_and_defaults,
     .init = tl_mktmp, .fini = tl_rmtmp)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "%s help scenario", tl_bin());
	char *out = output_of(cmd, 0);
	static const char *const want[] = {
	    "workload.arrivals\n",
	    "workload.arrivals.schedule[]\n",
	    "workload.closed\n",
	    "workload.client\n",
	    "workload.client.retries\n",
	    "workload.classes[]\n",
	    "workload.classes[].phases[]\n",
	    "workload.downstream\n",
	    "systems[]\n",
	    "sweep\n",
	    "distributions\n",
	    "durations: ns us \xc2\xb5s ms s m h d",
	    "default 3ms",
	    "  jitter ",
	    "one of none, full, equal; default full",
	    "  context_switch ",
	    "  coordinated_omission "};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++)
		cr_expect(strstr(out, want[i]), "help scenario lacks '%s'",
			  want[i]);
	free(out);
	/* an installed user has no README */
	snprintf(cmd, sizeof cmd, "%s --help", tl_bin());
	out = output_of(cmd, 0);
	cr_expect(!strstr(out, "README"), "%s", out);
	cr_expect(strstr(out, "help scenario"), "%s", out);
	free(out);
}
