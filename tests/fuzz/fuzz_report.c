/*
 * fuzz_report.c - libFuzzer target for the reader of `concsim report`: a
 * run's or a sweep's results.json (parsed as YAML, then walked by
 * report_run.c and report_sweep.c), its scenario.yaml and a run's
 * timeseries.csv (read, binned and drawn), through the whole page.
 *
 * The input is the three files, split at NUL bytes: results.json, then
 * scenario.yaml, then timeseries.csv (a missing part: no such file; an
 * empty one: an empty file). They are written into a folder of this
 * process's own under /tmp (made once, removed at exit), which
 * rep_load reads as `concsim report DIR` would; the page goes to
 * /dev/null. Whatever rep_load accepts must make a page without a crash,
 * a sanitizer report or unbounded work; a rejected folder must leave
 * nothing half made for rep_release to trip on. cli_error messages go to
 * stderr (fuzz.sh runs this target with -close_fd_mask=2).
 *
 * Built by -DCONCSIM_FUZZ=ON (clang); tests/fuzz/replay.c runs the same
 * function over the corpus in every build (ctest fuzz_replay_report).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static const char *const names[] = {"results.json", "scenario.yaml",
				    "timeseries.csv"};

static void remove_dir(void)
{
	char p[128];
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	char p[128];

	if (!dir[0]) {
		snprintf(dir, sizeof dir, "/tmp/concsim-fuzz-report-XXXXXX");
		if (!mkdtemp(dir) || !(null = fopen("/dev/null", "w")))
			abort();
		atexit(remove_dir);
	}
	const uint8_t *b = data, *end = data + size;
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, names[i]);
		unlink(p);
		if (!b)
			continue; /* the input ended: no such file */
		const uint8_t *nul = memchr(b, 0, (size_t)(end - b));
		size_t len = nul ? (size_t)(nul - b) : (size_t)(end - b);
		FILE *f = fopen(p, "wb");
		if (!f || (len && fwrite(b, 1, len, f) != len) || fclose(f))
			abort();
		b = nul ? nul + 1 : NULL;
	}

	struct report r = {0};
	r.dir = dir;
	if (rep_load(&r) == 0) {
		if (r.nts > REPORT_MAX_SYSTEMS)
			abort();
		for (size_t k = 0; k < r.nts; k++)
			if (!r.ts[k].system)
				abort();
		rep_write_page(null, &r);
	}
	rep_release(&r);
	return 0;
}
