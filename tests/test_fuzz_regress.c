/*
 * test_fuzz_regress.c - what fuzzing and the bad-input hunt found, kept.
 *
 * Each input that once crashed, hung, ran out of memory, took far too
 * long or broke the write-back is a file in tests/fuzz/corpus/ (named
 * regress-*) that ctest replays through the fuzz targets; here each is
 * loaded the way users load it and the outcome is checked: the message it
 * must produce, within bounded time and memory.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "scenario/scenario.h"
#include "scenario/trace.h"
#include "workload/budget.h"

static const char *src(void)
{
	const char *s = getenv("CONCSIM_SRC");
	return s ? s : CONCSIM_SOURCE_DIR;
}

/* Loads corpus file `name`; returns the loader's result, messages in
 * *errs (caller frees) and the CPU seconds it took in *secs. */
static int load(const char *name, char **errs, double *secs,
		struct sim_scenario *sc)
{
	char path[1024];
	size_t n = 0;
	snprintf(path, sizeof path, "%s/tests/fuzz/corpus/scenario/%s", src(),
		 name);
	FILE *err = open_memstream(errs, &n);
	cr_assert(err);
	clock_t t0 = clock();
	int rc = sim_scenario_load(path, NULL, 0, err, sc);
	*secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	fclose(err);
	return rc;
}

/* The CPU seconds of a load of `text` (which must fail). */
static double load_secs(const char *text)
{
	struct sim_scenario sc;
	FILE *devnull = fopen("/dev/null", "w");
	cr_assert(devnull);
	clock_t t0 = clock();
	int rc = sim_scenario_load_string("t.yaml", text, strlen(text), NULL, 0,
					  devnull, &sc);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	fclose(devnull);
	cr_assert_eq(rc, SIM_ESCENARIO);
	return secs;
}

/* Found by fuzz_scenario: two {from, to, step} sweeps of 1e5 points each
 * made the loader build 2e5 value strings (0.7 s under ASan for 139
 * bytes; 32 of them would take seconds and hundreds of MB) for a grid no
 * sweep runs. The grid is now bounded as it is read: the second sweep is
 * refused by its count, before its strings, so the file costs no more
 * than its first sweep alone (0.7 x that under ASan in a trial; with the
 * bug, about twice: both sweeps' strings). The CPU time is
 * compared with that of the first sweep alone in the same run, not with
 * a fixed figure: on this shared machine the same load took 0.19 to
 * 0.23 s under ASan on different hours. */
Test(fuzz_regress, sweep_ranges_whose_product_is_too_large_are_refused)
{
	struct sim_scenario sc;
	char *errs;
	double secs;
	int rc = load("regress-sweep-range-product", &errs, &secs, &sc);
	cr_expect_eq(rc, SIM_ESCENARIO);
	cr_expect(strstr(errs, ":3:12: error: sweep 'ls.rate': 99994 points, "
			       "1e+10 with the parameters before it; at most "
			       "100000 in all\n"),
		  "%s", errs);
	free(errs);
	static const char first[] =
	    "sweep:\n"
	    "  wmrkload.arriva*s.rate: { from: 2/s, to: 99995/s, step: 1/s }\n";
	static const char both[] =
	    "sweep:\n"
	    "  wmrkload.arriva*s.rate: { from: 2/s, to: 99995/s, step: 1/s }\n"
	    "  ls.rate: { from: 2/s, to: 99995/s, step: 1/s }\n";
	/* the least of seven loads of each, taken in turn, so that both see
	 * the same spells of a machine shared with the other tests (three
	 * of each, one after the other, gave 1.5 x under ASan beside them) */
	double one = INFINITY, two = INFINITY;
	for (int i = 0; i < 7; i++) {
		one = fmin(one, load_secs(first));
		two = fmin(two, load_secs(both));
	}
	cr_expect_lt(two, 1.5 * one,
		     "both sweeps %.3f s, the first alone %.3f s", two, one);
}

/* Found while building the catalogue: a closed loop whose requests need
 * no time and whose users never think ran forever at t = 0. */
Test(fuzz_regress, closed_loop_without_time_is_refused_before_running)
{
	static const char text[] =
	    "workload:\n"
	    "  closed: { users: 3 }\n"
	    "  classes: [ { name: a, phases: [ {io: 0s}, {cpu: 0s} ] } ]\n"
	    "systems: [ { name: s, model: worker-pool } ]\n";
	struct sim_scenario sc;
	struct sim_budget b;
	struct sim_mark at;
	char why[512];
	cr_assert_eq(sim_scenario_load_string("t.yaml", text, strlen(text),
					      NULL, 0, stderr, &sc),
		     0);
	cr_expect_eq(sim_scenario_budget(&sc, 0, &b, &at, why, sizeof why),
		     SIM_ELIMIT);
	cr_expect(strstr(why, "infinitely many requests"), "%s", why);
	sim_scenario_release(&sc);
}

/* Found while building the catalogue: `file: /dev/zero` (trace or
 * empirical samples) read a line without end until memory ran out, and
 * /dev/stdin waited forever. */
Test(fuzz_regress, device_files_are_refused_and_lines_are_bounded)
{
	static const char text[] =
	    "workload:\n"
	    "  arrivals: { rate: 1/s }\n"
	    "  classes: [ { name: a, phases: [ {cpu: {dist: empirical, "
	    "file: /dev/zero}} ] } ]\n"
	    "systems: [ { name: s, model: event-loop } ]\n";
	struct sim_scenario sc;
	char *errs = NULL;
	size_t n = 0;
	FILE *err = open_memstream(&errs, &n);
	cr_assert_eq(sim_scenario_load_string("t.yaml", text, strlen(text),
					      NULL, 0, err, &sc),
		     SIM_ESCENARIO);
	fclose(err);
	cr_expect(strstr(errs, "cannot read '/dev/zero': not a regular file"),
		  "%s", errs);
	free(errs);

	/* the line reader stops at its bound, whatever the file holds */
	FILE *z = fopen("/dev/zero", "r");
	char *line = NULL;
	size_t cap = 0, len;
	cr_assert(z);
	cr_expect_eq(sim_read_line(z, &line, &cap, 1000, &len), SIM_EINVAL,
		     "a NUL byte is binary data");
	fclose(z);
	free(line);
	line = NULL;
	cap = 0;
	static char rows[] = "xxxxxxxxxxxxxxxxxxxx\nshort\r\n";
	FILE *m = fmemopen(rows, strlen(rows), "r");
	cr_assert(m);
	cr_expect_eq(sim_read_line(m, &line, &cap, 10, &len), SIM_ELIMIT);
	cr_expect_leq(cap, 12, "never more than max + 2 bytes");
	free(line);
	fclose(m);
}

/* Found by fuzz_scenario (twice): a phase given as a bare duration
 * (`cpu: 2e44us`) skipped the bound that `mean` has in a distribution
 * map, so the loaded scenario was written back as a map that did not load
 * again. Both inputs are refused now, with the bound; the largest
 * constant allowed goes round. */
Test(fuzz_regress, a_constant_phase_has_the_bound_of_a_mean)
{
	static const char *const files[] = {"regress-constant-beyond-bound-1",
					    "regress-constant-beyond-bound-2"};
	static const char *const where[] = {":27:16: ", ":63:16: "};
	for (size_t i = 0; i < 2; i++) {
		struct sim_scenario sc;
		char *errs;
		double secs;
		cr_expect_eq(load(files[i], &errs, &secs, &sc), SIM_ESCENARIO);
		cr_expect(strstr(errs, where[i]) &&
			      strstr(errs, "error: 'cpu': must be between 0s "
					   "and 1e+09s, got '"),
			  "%s", errs);
		free(errs);
	}

	static const char text[] =
	    "workload:\n"
	    "  arrivals: { rate: 1/s }\n"
	    "  classes: [ { name: a, phases: [ {cpu: 1000000000s} ] } ]\n"
	    "systems: [ { name: s, model: event-loop } ]\n";
	struct sim_scenario sc, again;
	char *yaml = NULL;
	size_t len = 0;
	cr_assert_eq(sim_scenario_load_string("t.yaml", text, strlen(text),
					      NULL, 0, stderr, &sc),
		     0);
	FILE *f = open_memstream(&yaml, &len);
	cr_assert_eq(sim_scenario_write_yaml(&sc, f), 0);
	fclose(f);
	cr_expect_eq(sim_scenario_load_string("t.yaml", yaml, len, NULL, 0,
					      stderr, &again),
		     0, "written back:\n%s", yaml);
	sim_scenario_release(&again);
	sim_scenario_release(&sc);
	free(yaml);
}
