/*
 * fuzz_scenario.c - libFuzzer target for the scenario loader.
 *
 * The input is a scenario file, optionally followed by a NUL byte and
 * `--set` overrides (PATH=VALUE, one per NUL-separated piece), so that the
 * fuzzer explores the override grafting as well as the YAML reader. A
 * scenario that loads is written back as YAML (what `run -o` stores as
 * scenario.yaml) and loaded again: the written scenario must load too,
 * and write the same text. Messages go to /dev/null; only crashes, leaks,
 * undefined behaviour, hangs and a broken round trip count.
 *
 * Built by -DCONCSIM_FUZZ=ON (clang); tests/fuzz/replay.c runs the same
 * function over the corpus in every build (ctest fuzz_replay_scenario).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

#define MAX_OVERRIDES 8

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
		sim_scenario_release(&sc);
	}
	free(buf);
	return 0;
}
