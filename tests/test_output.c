/*
 * test_output.c - the result writers: JSON that parses and has the
 * contract's keys, CSV whose rows match its header, the time series,
 * shortest round-trip numbers, and atomic files that never leave a
 * temporary file behind.
 *
 * Summaries are built by hand; Python's json and csv modules (through
 * popen) judge the output, as a user's script would.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "kernel/stats.h"
#include "output/csv.h"
#include "output/files.h"
#include "output/json.h"
#include "output/output.h"
#include "output/sweepio.h"
#include "output/table.h"
#include "output/timeseries.h"
#include "scenario/scenario.h"
#include "workload/run.h"

/* --------------------------------------------------------- fixtures -- */

static char sc_name[] = "node-vs-python";
static char sys0[] = "node", sys1[] = "gunicorn";

static struct sim_scenario make_scenario(void)
{
	static struct sim_system systems[2];
	struct sim_scenario sc;
	memset(&sc, 0, sizeof(sc));
	systems[0].name = sys0;
	systems[1].name = sys1;
	sc.name = sc_name;
	sc.seed = 42;
	sc.duration = 60.0;
	sc.warmup = 5.0;
	sc.replications = 5;
	sc.systems = systems;
	sc.nsystems = 2;
	return sc;
}

static const char *const class_names[] = {"read", "export"};

/* Fills two systems; the second lacks some metrics and has no latency. */
static void make_summaries(struct sim_summary *s)
{
	memset(s, 0, 2 * sizeof(*s));
	for (int i = 0; i < 2; i++) {
		s[i].replications = 5;
		s[i].duration_s = 60.0;
		s[i].warmup_s = 5.0;
		s[i].offered_rps = (struct sim_est){800.0, 2.5};
		s[i].throughput_rps = (struct sim_est){799.2, 1.1};
		s[i].goodput_rps = (struct sim_est){797.0, 1.2};
		s[i].completed = 239760;
		s[i].errors[2] = 12;
		s[i].wasted = 3;
		s[i].lat_mean = (struct sim_est){0.0081, 0.0002};
		s[i].p50 = (struct sim_est){0.0062, 0.0001};
		s[i].p90 = (struct sim_est){0.015, 0.001};
		s[i].p99 = (struct sim_est){0.041, 0.002};
		s[i].p999 = (struct sim_est){0.09, 0.01};
		s[i].lat_max = 0.2;
		s[i].events = 1918000;
		s[i].classes = calloc(2, sizeof(*s[i].classes));
		s[i].nclasses = 2;
		for (int c = 0; c < 2; c++) {
			struct sim_class_summary *cs = &s[i].classes[c];
			cs->name = class_names[c];
			cs->completed = c ? 47960 : 191800;
			cs->lat_mean = (struct sim_est){0.006 + c, 0};
			cs->p50 = (struct sim_est){0.005 + c, 0};
			cs->p90 = (struct sim_est){0.01 + c, 0};
			cs->p99 = (struct sim_est){0.02 + c, 0};
		}
	}
	s[0].name = "node";
	s[0].model = "event-loop";
	s[1].name = "gunicorn \"sync\", 9 workers";
	s[1].model = "worker-pool";
	sim_metrics_put(&s[0].metrics, "utilization", "cpu", 0.41);
	sim_metrics_put(&s[0].metrics, "queues.mean", "loop", 3.1);
	sim_metrics_put(&s[0].metrics, "", "memory_peak_bytes", 73400320);
	sim_metrics_put(&s[0].metrics, "utilization", "loop", 0.83);
	sim_metrics_put(&s[0].metrics, "queues.max", "loop", 57);
	sim_metrics_put(&s[0].metrics, "loop_lag_s", "p99", 0.0012);
	sim_metrics_put(&s[1].metrics, "utilization", "cpu", 0.9);
	sim_metrics_put(&s[1].metrics, "queues.mean", "backlog", 12.5);
	/* the second system measured no latency at all */
	s[1].lat_mean.mean = s[1].p50.mean = s[1].p99.mean = NAN;
	s[1].lat_max = NAN;
	s[1].throughput_rps.ci95 = INFINITY;
}

static void free_summaries(struct sim_summary *s)
{
	for (int i = 0; i < 2; i++)
		sim_summary_release(&s[i]);
}

/* Runs a Python program on `text` (stdin); returns its exit status and
 * its output in out (if non-NULL). */
static int python(const char *prog, const char *text, char *out, size_t len)
{
	char path[] = "/tmp/concsim-test-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);

	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "python3 -c '%s' < %s 2>&1", prog, path);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t n = out ? fread(out, 1, len - 1, p) : 0;
	if (out)
		out[n] = '\0';
	else
		while (fgetc(p) != EOF)
			;
	int st = pclose(p);
	unlink(path);
	return st;
}

/* Writes through one of the writers into a heap string. */
static char *render(int (*fn)(FILE *, const struct sim_scenario *,
			      const struct sim_summary *, size_t),
		    const struct sim_scenario *sc, const struct sim_summary *s,
		    size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	cr_assert_eq(fn(f, sc, s, n), 0);
	fclose(f);
	return buf;
}

/* ------------------------------------------------------------- JSON -- */

Test(json, parses_and_has_the_contract_keys)
{
	struct sim_scenario sc = make_scenario();
	struct sim_summary s[2];
	make_summaries(s);
	char *text = render(sim_write_json, &sc, s, 2);

	const char *prog =
	    "import json,sys\n"
	    "d = json.load(sys.stdin)\n"
	    "for k in (\"scenario\", \"seed\", \"replications\", "
	    "\"duration_s\", \"warmup_s\", \"systems\"): assert k in d, k\n"
	    "assert d[\"scenario\"] == \"node-vs-python\"\n"
	    "assert d[\"seed\"] == 42 and d[\"replications\"] == 5\n"
	    "assert d[\"duration_s\"] == 60 and d[\"warmup_s\"] == 5\n"
	    "s = d[\"systems\"][0]\n"
	    "for k in (\"name\", \"model\", \"offered_rps\", "
	    "\"throughput_rps\", \"goodput_rps\", \"completed\", "
	    "\"errors\", \"wasted\", \"latency_s\", \"ci95\", "
	    "\"utilization\", \"queues\", \"memory_peak_bytes\", "
	    "\"events\", \"classes\"): assert k in s, k\n"
	    "assert list(s)[-2:] == [\"events\", \"classes\"], list(s)\n"
	    "assert sorted(s[\"errors\"]) == sorted([\"refused\", "
	    "\"timeout\", \"killed\", \"unavailable\"])\n"
	    "assert s[\"errors\"][\"timeout\"] == 12\n"
	    "assert sorted(s[\"latency_s\"]) == sorted([\"mean\", \"p50\", "
	    "\"p90\", \"p99\", \"p999\", \"max\"])\n"
	    "assert sorted(s[\"ci95\"]) == sorted([\"offered_rps\", "
	    "\"throughput_rps\", \"goodput_rps\", \"latency_s_mean\", "
	    "\"latency_s_p50\", \"latency_s_p99\", \"latency_mean_s\", "
	    "\"latency_p50_s\", \"latency_p99_s\"])\n"
	    "assert s[\"ci95\"][\"latency_s_p99\"] == "
	    "s[\"ci95\"][\"latency_p99_s\"]\n"
	    "assert s[\"latency_s\"][\"p99\"] == 0.041\n"
	    "assert s[\"throughput_rps\"] == 799.2\n"
	    "assert s[\"utilization\"] == {\"cpu\": 0.41, \"loop\": 0.83}\n"
	    "assert s[\"queues\"] == {\"mean\": {\"loop\": 3.1}, "
	    "\"max\": {\"loop\": 57}}, s[\"queues\"]\n"
	    "assert list(s[\"queues\"]) == [\"mean\", \"max\"]\n"
	    "assert s[\"loop_lag_s\"] == {\"p99\": 0.0012}\n"
	    "assert s[\"memory_peak_bytes\"] == 73400320\n"
	    "c = s[\"classes\"]\n"
	    "assert list(c) == [\"read\", \"export\"]\n"
	    "assert c[\"read\"][\"completed\"] == 191800\n"
	    "assert sorted(c[\"read\"][\"latency_s\"]) == sorted([\"mean\", "
	    "\"p50\", \"p90\", \"p99\"])\n"
	    "t = d[\"systems\"][1]\n"
	    "assert t[\"name\"] == \"gunicorn \\\"sync\\\", 9 workers\"\n"
	    "assert t[\"queues\"] == {\"mean\": {\"backlog\": 12.5}}\n"
	    "assert \"memory_peak_bytes\" not in t\n";
	/* the program goes inside '...' for the shell: no single quotes */
	cr_assert_null(strchr(prog, '\''));
	char out[4096];
	int st = python(prog, text, out, sizeof(out));
	cr_expect_eq(st, 0, "python says:\n%s\nfor:\n%s", out, text);
	free(text);
	free_summaries(s);
}

Test(json, non_finite_numbers_become_null)
{
	struct sim_scenario sc = make_scenario();
	struct sim_summary s[2];
	make_summaries(s);
	char *text = render(sim_write_json, &sc, s, 2);
	cr_expect_null(strstr(text, "nan"));
	cr_expect_null(strstr(text, "inf"));
	const char *prog = "import json,sys\n"
			   "t = json.load(sys.stdin)[\"systems\"][1]\n"
			   "assert t[\"latency_s\"][\"p99\"] is None\n"
			   "assert t[\"latency_s\"][\"max\"] is None\n"
			   "assert t[\"ci95\"][\"throughput_rps\"] is None\n"
			   "assert t[\"latency_s\"][\"p90\"] == 0.015\n";
	char out[4096];
	cr_expect_eq(python(prog, text, out, sizeof(out)), 0, "%s", out);
	free(text);
	free_summaries(s);
}

Test(json, strings_are_escaped_and_invalid_utf8_replaced)
{
	struct sim_scenario sc = make_scenario();
	struct sim_summary s[2];
	make_summaries(s);
	char name[] = "a\"b\\c\nd\te\x01 caf\xc3\xa9 bad\xff end";
	sc.name = name;
	char *text = render(sim_write_json, &sc, s, 0);
	const char *prog = "import json,sys\n"
			   "d = json.loads(sys.stdin.buffer.read()"
			   ".decode(\"utf-8\"))\n"
			   "assert d[\"scenario\"] == \"a\\\"b\\\\c\\nd\\te"
			   "\\x01 caf\\u00e9 bad\\ufffd end\", d\n"
			   "assert d[\"systems\"] == []\n";
	char out[4096];
	cr_expect_eq(python(prog, text, out, sizeof(out)), 0, "%s\n%s", out,
		     text);
	free(text);
	free_summaries(s);
}

Test(json, is_indented_by_two_spaces)
{
	struct sim_scenario sc = make_scenario();
	struct sim_summary s[2];
	make_summaries(s);
	char *text = render(sim_write_json, &sc, s, 1);
	cr_expect_not_null(strstr(text, "{\n  \"scenario\": "));
	cr_expect_not_null(strstr(text, "\n    {\n      \"name\": \"node\""));
	cr_expect_eq(text[strlen(text) - 1], '\n');
	free(text);
	free_summaries(s);
}

/* -------------------------------------------------------------- CSV -- */

Test(csv, header_and_rows_have_equal_counts_and_load_with_csv_module)
{
	struct sim_scenario sc = make_scenario();
	struct sim_summary s[2];
	make_summaries(s);
	char *text = render(sim_write_csv, &sc, s, 2);
	const char *prog =
	    "import csv,sys\n"
	    "rows = list(csv.reader(sys.stdin))\n"
	    "assert len(rows) == 3, rows\n"
	    "h = rows[0]\n"
	    "assert all(len(r) == len(h) for r in rows), "
	    "[len(r) for r in rows]\n"
	    "assert len(set(h)) == len(h)\n"
	    "fixed = \"scenario,system,model,replications,duration_s,"
	    "offered_rps,offered_rps_ci95,throughput_rps,"
	    "throughput_rps_ci95,goodput_rps,goodput_rps_ci95,completed,"
	    "errors_refused,errors_timeout,errors_killed,"
	    "errors_unavailable,wasted,latency_s_mean,latency_s_mean_ci95,"
	    "latency_s_p50,latency_s_p90,latency_s_p99,latency_s_p99_ci95,"
	    "latency_s_p999,latency_s_max,events\".split(\",\")\n"
	    "assert h[:len(fixed)] == fixed, h\n"
	    "rest = h[len(fixed):]\n"
	    "assert rest[:7] == [\"utilization_cpu\", \"queues_mean_loop\", "
	    "\"memory_peak_bytes\", \"utilization_loop\", "
	    "\"queues_max_loop\", \"loop_lag_s_p99\", "
	    "\"queues_mean_backlog\"], rest\n"
	    "assert rest[7:] == [\"class_read_completed\", "
	    "\"class_read_latency_s_mean\", \"class_read_latency_s_p50\", "
	    "\"class_read_latency_s_p99\", \"class_export_completed\", "
	    "\"class_export_latency_s_mean\", "
	    "\"class_export_latency_s_p50\", "
	    "\"class_export_latency_s_p99\"], rest\n"
	    "d = [dict(zip(h, r)) for r in rows[1:]]\n"
	    "assert d[0][\"latency_s_p99\"] == \"0.041\"\n"
	    "assert d[0][\"queues_max_loop\"] == \"57\"\n"
	    "assert d[1][\"system\"] == \"gunicorn \\\"sync\\\", 9 workers\"\n"
	    "assert d[1][\"latency_s_p99\"] == \"\"\n"
	    "assert d[1][\"memory_peak_bytes\"] == \"\"\n"
	    "assert d[1][\"queues_mean_backlog\"] == \"12.5\"\n"
	    "assert d[0][\"class_export_completed\"] == \"47960\"\n";
	cr_assert_null(strchr(prog, '\''));
	char out[4096];
	int st = python(prog, text, out, sizeof(out));
	cr_expect_eq(st, 0, "python says:\n%s\nfor:\n%s", out, text);
	free(text);
	free_summaries(s);
}

Test(csv, without_systems_writes_only_the_header)
{
	struct sim_scenario sc = make_scenario();
	char *text = render(sim_write_csv, &sc, NULL, 0);
	cr_expect_eq(strncmp(text, "scenario,system,model,", 22), 0);
	cr_expect_eq(strchr(text, '\n'), text + strlen(text) - 1);
	free(text);
}

Test(timeseries, has_the_contract_columns_then_the_metric_union)
{
	struct sim_scenario sc = make_scenario();
	struct sim_ts ts[2];
	memset(ts, 0, sizeof(ts));
	for (int i = 0; i < 2; i++) {
		ts[i].n = ts[i].cap = 3;
		ts[i].rows = calloc(3, sizeof(*ts[i].rows));
		for (int r = 0; r < 3; r++) {
			struct sim_ts_row *row = &ts[i].rows[r];
			row->time_s = 1.0 + r % 2;
			row->replication = 1 + r / 2; /* 1-based */
			row->offered_rps = 800;
			row->throughput_rps = 790;
			row->goodput_rps = 780;
			row->errors = 2;
			row->p50 = r == 2 ? NAN : 0.005;
			row->p99 = 0.05;
			sim_metrics_put(&row->metrics, "queues.mean", "loop",
					r);
			if (i == 1)
				sim_metrics_put(&row->metrics, "utilization",
						"cpu", 0.5);
		}
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_eq(sim_write_timeseries(f, &sc, ts, 2), 0);
	fclose(f);

	const char *prog =
	    "import csv,sys\n"
	    "rows = list(csv.reader(sys.stdin))\n"
	    "h = rows[0]\n"
	    "assert h == [\"time_s\", \"system\", \"replication\", "
	    "\"offered_rps\", \"throughput_rps\", \"goodput_rps\", "
	    "\"errors\", \"latency_s_p50\", \"latency_s_p99\", "
	    "\"queues_mean_loop\", \"utilization_cpu\"], h\n"
	    "assert len(rows) == 7\n"
	    "assert all(len(r) == len(h) for r in rows)\n"
	    "assert [r[2] for r in rows[1:]] == [\"1\", \"1\", \"2\"] * 2\n"
	    "assert [r[1] for r in rows[1:]] == [\"node\"] * 3 + "
	    "[\"gunicorn\"] * 3\n"
	    "assert rows[3][7] == \"\" and rows[1][10] == \"\"\n"
	    "assert rows[4][10] == \"0.5\"\n";
	char out[4096];
	cr_expect_eq(python(prog, buf, out, sizeof(out)), 0, "%s\n%s", out,
		     buf);
	free(buf);
	for (int i = 0; i < 2; i++) {
		for (size_t r = 0; r < ts[i].n; r++)
			sim_metrics_release(&ts[i].rows[r].metrics);
		free(ts[i].rows);
	}
}

/* ------------------------------------------------------------ table -- */

Test(table, shows_every_system_with_units_and_other_figures)
{
	struct sim_scenario sc = make_scenario();
	struct sim_summary s[2];
	make_summaries(s);
	char *text = render(sim_write_table, &sc, s, 2);
	cr_expect_not_null(strstr(text, "node-vs-python"), "%s", text);
	cr_expect_not_null(strstr(text, "5 replications"), "%s", text);
	cr_expect_not_null(strstr(text, "event-loop"), "%s", text);
	cr_expect_not_null(strstr(text, "41.0 +- 2.0 ms"), "%s", text);
	cr_expect_not_null(strstr(text, "12 (timeout)"), "%s", text);
	cr_expect_not_null(strstr(text, "70.0"), "memory in MiB\n%s", text);
	cr_expect_not_null(strstr(text, "queues.max.loop=57"), "%s", text);
	cr_expect_not_null(strstr(text, "utilization.loop=83.0%"), "%s", text);
	cr_expect_not_null(strstr(text, "export"), "class block\n%s", text);
	/* plain ASCII throughout */
	for (const char *p = text; *p; p++)
		cr_expect((unsigned char)*p < 0x80);
	/* the header and system rows line up: same length */
	char *l1 = strchr(text, '\n') + 2; /* skip the title and blank */
	char *l2 = strchr(l1, '\n') + 1;
	char *l3 = strchr(l2, '\n') + 1;
	cr_expect_eq(strchr(l1, '\n') - l1, strchr(l2, '\n') - l2, "%s", text);
	(void)l3;
	free(text);
	free_summaries(s);
}

/* ---------------------------------------------------------- numbers -- */

Test(numbers, doubles_print_in_shortest_round_trip_form)
{
	const double v[] = {
	    0.1,  800.0, 799.2,	 1e-7,	  1.0 / 3.0,	      1e300,
	    -2.5, 0.0,	 5e-324, 239760., 0.30000000000000004};
	const char *want[] = {"0.1",
			      "800",
			      "799.2",
			      "1e-07",
			      NULL,
			      "1e+300",
			      "-2.5",
			      "0",
			      NULL,
			      "239760",
			      "0.30000000000000004"};
	char buf[32];
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sim_fmt_double(buf, sizeof(buf), v[i]);
		cr_expect_eq(strtod(buf, NULL), v[i], "%s", buf);
		if (want[i])
			cr_expect_str_eq(buf, want[i]);
	}
	sim_fmt_double(buf, sizeof(buf), NAN);
	cr_expect_str_eq(buf, "null");
	sim_fmt_double(buf, sizeof(buf), -INFINITY);
	cr_expect_str_eq(buf, "null");
}

/* sim_fmt_double's one-conversion path against its definition (the
 * fewest of 15, 16, 17 digits that read back, by snprintf and strtod),
 * byte for byte: random bit patterns, measurement-like values over 19
 * decades, short decimals (ties and carries when rounded to 15 or 16
 * digits), ratios, and the edges (powers of 2 and 10 and their
 * neighbours, the cut at 1e15 and at 1e+-250, subnormals, extremes),
 * each also negated. CONCSIM_FMT_VALUES sets how many (default 100000;
 * the fast path was checked over 10 million). */
static uint64_t fmt_rng(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double fmt_value(uint64_t *s, size_t i)
{
	double u = ((double)(fmt_rng(s) >> 11) + 0.5) * 0x1p-53, v;
	uint64_t bits;
	int k = (int)(fmt_rng(s) % 40) - 20;
	switch (i % 6) {
	case 0: /* any finite double */
		do {
			bits = fmt_rng(s);
			memcpy(&v, &bits, sizeof(v));
		} while (!isfinite(v));
		return v;
	case 1: /* latencies, rates: exponential draws */
		return -log(u) * pow(10.0, k / 2);
	case 2: /* short decimals: n digits over 10^k */
		return (double)(fmt_rng(s) % (1ULL << (fmt_rng(s) % 60))) /
		       pow(10.0, (double)(fmt_rng(s) % 20));
	case 3: /* ratios of small whole numbers */
		return (double)(fmt_rng(s) % 100000) /
		       (double)(1 + fmt_rng(s) % 1000);
	case 4: /* powers of 2 and 10, a few ulps either side */
		v = fmt_rng(s) % 2 ? ldexp(1.0, (int)(fmt_rng(s) % 2100) - 1074)
				   : pow(10.0, (double)(k * 16));
		for (int steps = (int)(fmt_rng(s) % 9) - 4; steps;)
			v = nextafter(v, steps > 0 ? INFINITY : 0),
			steps += steps > 0 ? -1 : 1;
		return v;
	default: { /* the cuts: 1e15, 1e+-250, 2^52..2^53 halves, quarters */
		static const double at[] = {1e15,   1e-250,  1e250,  0x1p52,
					    5.6e14, 1e16,    1e-5,   1e-4,
					    1e17,   DBL_MAX, DBL_MIN};
		v = at[fmt_rng(s) % (sizeof(at) / sizeof(at[0]))];
		if (fmt_rng(s) % 2)
			v = floor(v * u) + (double)(fmt_rng(s) % 4) / 4;
		for (int steps = (int)(fmt_rng(s) % 5); steps > 0; steps--)
			v = nextafter(v, fmt_rng(s) % 2 ? INFINITY : 0);
		return v;
	}
	}
}

Test(numbers, doubles_fast_path_matches_the_definition)
{
	const char *env = getenv("CONCSIM_FMT_VALUES");
	size_t n = env ? strtoull(env, NULL, 10) : 100000, bad = 0;
	uint64_t s = 17;
	char got[32], want[32];
	for (size_t i = 0; i < n; i++) {
		double v = fmt_value(&s, i);
		if (!isfinite(v)) /* "null" before either */
			v = (double)i;
		if (i % 2)
			v = -v;
		sim_fmt_double(got, sizeof(got), v);
		sim__fmt_double_ref(want, sizeof(want), v);
		if (strcmp(got, want) && bad++ < 10)
			cr_log_error("%a: %s, the definition %s", v, got, want);
	}
	cr_expect_eq(bad, 0, "%zu of %zu values differ", bad, n);
}

/* A sweep point's row: its cells' texts share one block, a cell set later
 * (the hash, a resumed row's) replaces one of them without freeing it,
 * and of two figures with the same column name the later wins, empty
 * (NaN) included, as when each was put in turn. */
Test(table, point_row_cells_as_put_one_by_one)
{
	struct sim_scenario sc;
	struct sim_summary sum;
	struct sim_table t;
	const char *const param[] = {"7"};
	char name[] = "s";
	memset(&sc, 0, sizeof(sc));
	memset(&sum, 0, sizeof(sum));
	sc.name = name;
	sum.name = "sys";
	sum.model = "event-loop";
	sum.replications = 1;
	sum.lat_max = 0.25;
	sum.wasted = NAN;
	sim_metrics_put(&sum.metrics, "a.b", "c", 1.5);
	sim_metrics_put(&sum.metrics, "a", "b_c", NAN);
	sim_metrics_put(&sum.metrics, "q", "x", 2);
	sim_table_init(&t, 1);
	cr_assert_eq(sim_table_add_point(&t, 0, param, &sc, &sum, 1), 0);
	cr_assert_eq(t.nrow, 1);
	const struct sim_trow *r = &t.row[0];
	cr_expect_str_eq(r->param[0], "7");
	cr_expect_str_eq(sim_trow_get(&t, r, "system"), "sys");
	cr_expect_str_eq(sim_trow_get(&t, r, "model"), "event-loop");
	cr_expect_str_eq(sim_trow_get(&t, r, "replications"), "1");
	cr_expect_str_eq(sim_trow_get(&t, r, "latency_s_max"), "0.25");
	cr_expect_str_eq(sim_trow_get(&t, r, "wasted"), "");
	cr_expect_str_eq(sim_trow_get(&t, r, "a_b_c"), "");
	cr_expect_str_eq(sim_trow_get(&t, r, "q_x"), "2");
	cr_assert_eq(sim_table_put(&t, &t.row[0], "q_x", "3"), 0);
	cr_assert_eq(sim_table_put(&t, &t.row[0], "latency_s_max", ""), 0);
	cr_assert_eq(sim_table_put_hash(&t, 0, "00ff"), 0);
	r = &t.row[0];
	cr_expect_str_eq(sim_trow_get(&t, r, "q_x"), "3");
	cr_expect_str_eq(sim_trow_get(&t, r, "latency_s_max"), "");
	cr_expect_str_eq(sim_trow_get(&t, r, SIM_HASH_COLUMN), "00ff");
	sim_table_release(&t);
	sim_metrics_release(&sum.metrics);
}

/* ------------------------------------------------------- atomic files -- */

static char *make_tmpdir(void)
{
	char tmpl[] = "/tmp/concsim-out-XXXXXX";
	char *d = mkdtemp(tmpl);
	cr_assert_not_null(d);
	return strdup(d);
}

/* Number of entries in dir, "." and ".." excluded. */
static int count_entries(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	FILE *p = popen(cmd, "r");
	int n = -1;
	cr_assert(fscanf(p, "%d", &n) == 1);
	pclose(p);
	return n;
}

Test(afile, commit_renames_and_leaves_no_temporary_file)
{
	char *dir = make_tmpdir();
	struct sim_afile a;
	cr_assert_eq(sim_afile_open(&a, dir, "results.json", stderr), 0);
	cr_expect_not_null(strstr(a.tmp, "results.json.tmp."));
	fputs("{}\n", a.f);
	char final[512];
	snprintf(final, sizeof(final), "%s/results.json", dir);
	cr_expect_neq(access(final, F_OK), 0, "not there before commit");
	cr_assert_eq(sim_afile_commit(&a, stderr), 0);
	cr_expect_null(a.f);

	FILE *f = fopen(final, "r");
	char line[16] = "";
	cr_assert_not_null(f);
	cr_expect_not_null(fgets(line, sizeof(line), f));
	cr_expect_str_eq(line, "{}\n");
	fclose(f);
	cr_expect_eq(count_entries(dir), 1);
	unlink(final);
	rmdir(dir);
	free(dir);
}

Test(afile, abort_removes_the_temporary_file)
{
	char *dir = make_tmpdir();
	struct sim_afile a;
	cr_assert_eq(sim_afile_open(&a, dir, "x.csv", stderr), 0);
	fputs("half a row", a.f);
	sim_afile_abort(&a);
	sim_afile_abort(&a); /* harmless twice */
	cr_expect_eq(count_entries(dir), 0);
	rmdir(dir);
	free(dir);
}

Test(afile, open_under_a_regular_file_fails_with_a_message)
{
	char *msg = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&msg, &len);
	struct sim_afile a;
	cr_expect_eq(sim_afile_open(&a, "/dev/null/x", "results.csv", err),
		     SIM_EIO);
	fclose(err);
	cr_expect_str_eq(msg, "concsim: error: cannot write "
			      "'/dev/null/x/results.csv': Not a directory\n");
	cr_expect_null(a.f);
	free(msg);
}

Test(afile, disk_full_on_commit_is_reported_and_cleaned_up)
{
	char *dir = make_tmpdir();
	char *msg = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&msg, &len);
	struct sim_afile a;
	cr_assert_eq(sim_afile_open(&a, dir, "results.csv", stderr), 0);
	/* swap the stream for /dev/full: every flush fails with ENOSPC */
	FILE *full = fopen("/dev/full", "w");
	cr_assert_not_null(full);
	fclose(a.f);
	a.f = full;
	for (int i = 0; i < 100; i++)
		fputs("some,row,of,data\n", a.f);
	cr_expect_eq(sim_afile_commit(&a, err), SIM_EIO);
	fclose(err);
	char want[512];
	snprintf(want, sizeof(want),
		 "concsim: error: cannot write '%s/results.csv': "
		 "No space left on device\n",
		 dir);
	cr_expect_str_eq(msg, want);
	cr_expect_eq(count_entries(dir), 0, "temporary file removed");
	rmdir(dir);
	free(dir);
	free(msg);
}

Test(mkdir_p, creates_parents_and_accepts_existing)
{
	char *dir = make_tmpdir();
	char path[512];
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	cr_expect_eq(sim_mkdir_p(path, stderr), 0);
	struct stat st;
	cr_expect_eq(stat(path, &st), 0);
	cr_expect(S_ISDIR(st.st_mode));
	cr_expect_eq(sim_mkdir_p(path, stderr), 0, "already there");
	snprintf(path, sizeof(path), "%s/a/b/c/", dir);
	cr_expect_eq(sim_mkdir_p(path, stderr), 0, "trailing slash");
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -r '%s'", dir);
	cr_expect_eq(system(cmd), 0);
	free(dir);
}

Test(mkdir_p, fails_under_a_regular_file_with_a_message)
{
	char *msg = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&msg, &len);
	cr_expect_eq(sim_mkdir_p("/dev/null/x/y", err), SIM_EIO);
	fclose(err);
	cr_expect_str_eq(msg, "concsim: error: cannot create directory "
			      "'/dev/null/x/y': Not a directory\n");
	free(msg);
}
