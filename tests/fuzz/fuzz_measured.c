/*
 * fuzz_measured.c - libFuzzer target for the readers of measured points
 * (`concsim fit`): CSV, k6's summary JSON and wrk/wrk2 text.
 *
 * The input is put in an anonymous in-memory file (memfd) and read through
 * its /proc/self/fd path by fit_read_measured, which tells the format by
 * the content. Every point it accepts must hold what the fit relies on: an
 * offered rate that is finite and > 0, figures that are NaN (not
 * measured) or finite and >= 0, a utilization of at most 1, and a source
 * to name it by. A rejected input must leave no point half made that the
 * release would trip on.
 *
 * Built by -DCONCSIM_FUZZ=ON (clang); tests/fuzz/replay.c runs the same
 * function over the corpus in every build (ctest fuzz_replay_measured).
 */
#define _GNU_SOURCE /* memfd_create */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fit/measured.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct fit_points pts = {0};
	char path[64];

	if (!null && !(null = fopen("/dev/null", "w")))
		abort();
	int fd = memfd_create("fuzz-measured", 0);
	if (fd < 0)
		abort();
	for (size_t done = 0; done < size;) {
		ssize_t n = write(fd, data + done, size - done);
		if (n <= 0)
			abort();
		done += (size_t)n;
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	if (fit_read_measured(path, &pts, null) == 0)
		for (size_t i = 0; i < pts.n; i++) {
			const struct fit_point *p = &pts.v[i];
			if (!isfinite(p->offered) || !(p->offered > 0) ||
			    !p->source)
				abort();
			for (int c = 0; c < FIT_NCOLS; c++)
				if (!isnan(p->v[c]) &&
				    (!isfinite(p->v[c]) || p->v[c] < 0))
					abort();
			if (p->v[FIT_UTIL] > 1)
				abort();
		}
	fit_points_release(&pts);
	close(fd);
	return 0;
}
