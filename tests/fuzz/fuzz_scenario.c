/*
 * fuzz_scenario.c - libFuzzer target for the scenario loader.
 *
 * The input is a scenario file, optionally followed by a NUL byte and
 * `--set` overrides (PATH=VALUE, one per NUL-separated piece), so that the
 * fuzzer explores the override grafting as well as the YAML reader. A
 * scenario that loads is written back as YAML (what `run -o` stores as
 * scenario.yaml) and loaded again: the written scenario must load too,
 * and write the same text. Its cost is estimated (limits.h) and, when it
 * is small, every system is simulated for a few milliseconds of simulated
 * time with a time series, and the results are written (to /dev/null), so
 * that odd but valid configurations reach the models and the writers.
 * Messages go to /dev/null; only crashes, leaks, undefined behaviour,
 * hangs and a broken round trip count.
 *
 * Built by -DCONCSIM_FUZZ=ON (clang); tests/fuzz/replay.c runs the same
 * function over the corpus in every build (ctest fuzz_replay_scenario).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/csv.h"
#include "output/json.h"
#include "output/table.h"
#include "output/timeseries.h"
#include "scenario/scenario.h"
#include "workload/budget.h"
#include "workload/run.h"

#define MAX_OVERRIDES 8
/* What a simulated input may cost at most. */
#define SIM_TIME     0.02
#define SIM_REQUESTS 2000
#define SIM_THREADS  20000
#define SIM_SYSTEMS  4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The resolved scenario as text (malloc'ed), or NULL. */
static char *write_back(const struct sim_scenario *sc, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	if (!f)
		return NULL;
	int rc = sim_scenario_write_yaml(sc, f);
	if (fclose(f) || rc) {
		free(text);
		return NULL;
	}
	return text;
}

/* Loads the written-back text and checks that it writes the same again. */
static void round_trip(const struct sim_scenario *sc, FILE *null)
{
	struct sim_scenario again;
	size_t len1 = 0, len2 = 0;
	char *t1 = write_back(sc, &len1), *t2 = NULL;
	if (!t1)
		return; /* out of memory: not a finding */
	int rc =
	    sim_scenario_load_string(sc->file, t1, len1, NULL, 0, null, &again);
	if (rc == SIM_ENOMEM) {
		free(t1);
		return;
	}
	if (rc) {
		fprintf(stderr, "written-back scenario does not load:\n%s\n",
			t1);
		sim_scenario_load_string(sc->file, t1, len1, NULL, 0, stderr,
					 &again);
		abort();
	}
	t2 = write_back(&again, &len2);
	if (t2 && (len1 != len2 || memcmp(t1, t2, len1))) {
		fprintf(stderr, "write-back is not stable:\n%s\n---\n%s\n", t1,
			t2);
		abort();
	}
	free(t2);
	free(t1);
	sim_scenario_release(&again);
}

/* A short run of every system (one replication of at most SIM_TIME),
 * if the scenario is small enough; the results go through the writers. */
static void simulate(struct sim_scenario *sc, FILE *null)
{
	struct sim_budget b;
	struct sim_mark at;
	char why[512];
	const char *reason = NULL;
	if (sim_scenario_budget(sc, 0.002, &b, &at, why, sizeof why))
		return;
	sc->replications = 1;
	if (sc->warmup + sc->duration > SIM_TIME) {
		sc->warmup =
		    sc->warmup > SIM_TIME / 4 ? SIM_TIME / 4 : sc->warmup;
		sc->duration = SIM_TIME - sc->warmup;
	}
	if (sc->nsystems > SIM_SYSTEMS ||
	    sim_scenario_budget(sc, 0.002, &b, &at, why, sizeof why) ||
	    b.requests > SIM_REQUESTS || b.threads > SIM_THREADS)
		return;
	struct sim_summary sum[SIM_SYSTEMS];
	struct sim_ts ts[SIM_SYSTEMS];
	memset(sum, 0, sizeof(sum));
	memset(ts, 0, sizeof(ts));
	if (sim_run_scenario(sc, 1, 0.002, ts, sum, NULL, NULL, &reason) == 0) {
		sim_write_json(null, sc, sum, sc->nsystems);
		sim_write_csv(null, sc, sum, sc->nsystems);
		sim_write_table(null, sc, sum, sc->nsystems);
		sim_write_timeseries(null, sc, ts, sc->nsystems);
	}
	for (size_t i = 0; i < sc->nsystems; i++) {
		sim_summary_release(&sum[i]);
		sim_ts_release(&ts[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct sim_override ov[MAX_OVERRIDES];
	struct sim_scenario sc;
	size_t nov = 0;

	if (!null && !(null = fopen("/dev/null", "w")))
		abort();
	/* a private copy: the overrides are cut out of it in place */
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	size_t ylen = strlen(buf);
	for (size_t at = ylen; at < size && nov < MAX_OVERRIDES;) {
		char *piece = buf + at + 1, *eq = strchr(piece, '=');
		at += 1 + strlen(piece);
		if (!eq || eq == piece)
			continue;
		*eq = '\0';
		ov[nov++] = (struct sim_override){piece, eq + 1};
	}
	if (sim_scenario_load_string("fuzz.yaml", buf, ylen, ov, nov, null,
				     &sc) == 0) {
		round_trip(&sc, null);
		simulate(&sc, null);
		sim_scenario_release(&sc);
	}
	free(buf);
	return 0;
}
