/*
 * testlib.h - what the tests share. The model and validation tests: loading
 * a scenario string that must be valid (or must be rejected), running its
 * systems, reading their figures, comparing a simulated figure with theory
 * inside the simulation's own confidence interval, the queueing formulas
 * they compare with (Erlang C, M/M/c) and a time series' goodput. The tests
 * of the `concsim` binary: where the binary and the sources are, a scratch
 * folder per test, writing files, running shell commands and capturing
 * their output and exit status.
 * Header-only (static functions): every test binary is one source file.
 */
#ifndef CONCSIM_TESTLIB_H
#define CONCSIM_TESTLIB_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <criterion/criterion.h>
#include <gsl/gsl_cdf.h>

#include "scenario/scenario.h"
#include "workload/run.h"

/* Loads `yaml`, which must be valid, into *sc. */
static inline void tl_load(const char *yaml, struct sim_scenario *sc)
{
	char *msg = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&msg, &len);
	int rc = sim_scenario_load_string("test.yaml", yaml, strlen(yaml), NULL,
					  0, err, sc);
	fclose(err);
	cr_assert_eq(rc, 0, "scenario rejected: %s", msg);
	free(msg);
}

/* Loads `yaml`, which must be rejected; returns the messages (free them). */
static inline char *tl_rejected(const char *yaml)
{
	struct sim_scenario sc;
	char *msg = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&msg, &len);
	int rc = sim_scenario_load_string("test.yaml", yaml, strlen(yaml), NULL,
					  0, err, &sc);
	fclose(err);
	if (rc == 0)
		sim_scenario_release(&sc);
	cr_assert_eq(rc, SIM_ESCENARIO, "accepted: %s", yaml);
	return msg;
}

/* Runs every system of a loaded scenario on 2 threads into s[]. */
static inline void tl_run_loaded(const struct sim_scenario *sc,
				 struct sim_summary *s)
{
	const char *why = NULL;
	int rc = sim_run_scenario(sc, 2, 0, NULL, s, NULL, NULL, &why);
	cr_assert_eq(rc, 0, "run failed: %s", why ? why : sim_strerror(rc));
}

/* Loads `yaml` (exactly n systems) and runs them into s[0..n-1]. System
 * and model names in s[] are not kept (they pointed into the scenario). */
static inline void tl_run(const char *yaml, struct sim_summary *s, size_t n)
{
	struct sim_scenario sc;
	tl_load(yaml, &sc);
	cr_assert_eq(sc.nsystems, n, "%zu systems, expected %zu", sc.nsystems,
		     n);
	tl_run_loaded(&sc, s);
	for (size_t i = 0; i < n; i++)
		s[i].name = NULL;
	sim_scenario_release(&sc);
}

/* Widens a 95 % Student-t half-width over `reps` replications to 99.9 %. */
static inline double tl_ci999(double ci95, int reps)
{
	return ci95 * gsl_cdf_tdist_Pinv(0.9995, reps - 1) /
	       gsl_cdf_tdist_Pinv(0.975, reps - 1);
}

/* The exact value lies in the 99.9 % interval of the replication means,
 * and that interval is informative (narrower than 5 % of the value). */
static inline void tl_expect_within(const char *what, struct sim_est e,
				    int reps, double theory)
{
	double hw = tl_ci999(e.ci95, reps);
	cr_log_info("%s: simulated %.6g +- %.3g (99.9%%), theory %.6g", what,
		    e.mean, hw, theory);
	cr_expect(fabs(e.mean - theory) <= hw,
		  "%s: simulated %.6g +- %.3g (99.9%%), theory %.6g", what,
		  e.mean, hw, theory);
	cr_expect(hw < 0.05 * theory, "%s: interval too wide (%.3g)", what, hw);
}

/* A model's figure, or NAN when it did not report it. */
static inline double tl_metric(const struct sim_summary *s, const char *group,
			       const char *key)
{
	return sim_metrics_get(&s->metrics, group, key, NAN);
}

/* A model's figure that it must have reported (the test stops if not). */
static inline double tl_reported(const struct sim_summary *s, const char *group,
				 const char *key)
{
	double v = tl_metric(s, group, key);
	cr_assert(!isnan(v), "metric %s.%s missing", group, key);
	return v;
}

/* Erlang C: the probability of waiting in M/M/c at offered load a. */
static inline double tl_erlang_c(int c, double a)
{
	double term = 1, sum = 1;
	for (int k = 1; k < c; k++) {
		term *= a / k;
		sum += term;
	}
	double last = term * a / c / (1 - a / c);
	return last / (sum + last);
}

/* The mean response time of M/M/c: C(c, a) / (c mu - lambda) + 1 / mu,
 * with a = lambda / mu < c. */
static inline double tl_mmc_response(int c, double lambda, double mu)
{
	return tl_erlang_c(c, lambda / mu) / (c * mu - lambda) + 1 / mu;
}

/* Goodput over offered load in the time series' rows after `from` (all
 * replications together); their errors go to *errors if not NULL. */
static inline double tl_goodput_after(const struct sim_ts *ts, double from,
				      uint64_t *errors)
{
	double good = 0, offered = 0;
	uint64_t err = 0;
	for (size_t i = 0; i < ts->n; i++)
		if (ts->rows[i].time_s > from) {
			good += ts->rows[i].goodput_rps;
			offered += ts->rows[i].offered_rps;
			err += ts->rows[i].errors;
		}
	if (errors)
		*errors = err;
	return offered > 0 ? good / offered : 0;
}

/* The `concsim` binary under test (ctest sets CONCSIM_BIN). */
static inline const char *tl_bin(void)
{
	const char *b = getenv("CONCSIM_BIN");
	cr_assert(b, "CONCSIM_BIN is not set (run through ctest)");
	return b;
}

/* The source tree, for its scenarios/ (ctest sets CONCSIM_SRC). */
static inline const char *tl_src(void)
{
	const char *s = getenv("CONCSIM_SRC");
	cr_assert(s, "CONCSIM_SRC is not set (run through ctest)");
	return s;
}

/* The current test's scratch folder, made by tl_mktmp (a test's .init)
 * and removed by tl_rmtmp (its .fini). */
static inline char *tl_tmpdir(void)
{
	static char dir[64];
	return dir;
}

/* Runs a shell command line; returns its exit status, -1 if it was
 * killed. Its output goes where the test's goes. */
static inline int tl_system(const char *cmd)
{
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Removes `dir` and all it holds; returns the exit status of rm. */
static inline int tl_rm(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return tl_system(cmd);
}

static inline void tl_mktmp(void)
{
	strcpy(tl_tmpdir(), "/tmp/concsim-test-XXXXXX");
	cr_assert(mkdtemp(tl_tmpdir()));
}

static inline void tl_rmtmp(void)
{
	tl_rm(tl_tmpdir());
}

/* Writes `text` to the file at `path`, replacing it. */
static inline void tl_put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert(f, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

/* Writes `text` to the file `name` in the scratch folder. */
static inline void tl_write(const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", tl_tmpdir(), name);
	tl_put(path, text);
}

/* Runs a shell command line and captures its standard output into *out
 * (the caller frees it; NULL: thrown away); returns its exit status, -1
 * if it was killed. */
static inline int tl_capture(const char *cmd, char **out)
{
	FILE *p = popen(cmd, "r");
	cr_assert(p, "cannot run %s", cmd);
	size_t cap = 1 << 16, n = 0, k;
	char *buf = malloc(cap);
	cr_assert(buf);
	while ((k = fread(buf + n, 1, cap - n - 1, p)) > 0) {
		n += k;
		if (cap - n < 1024)
			buf = realloc(buf, cap *= 2);
	}
	buf[n] = 0;
	int st = pclose(p);
	if (out)
		*out = buf;
	else
		free(buf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#endif
