/*
 * fuzz_folder.c - libFuzzer target for the results-folder reader that
 * `merge`, `plot` and `sweep --resume` share: a sweep's scenario.yaml (its
 * grid, name and systems: sim_grid_read_yaml) and results.csv (the table:
 * sim_table_read_csv, the provenance check sim_table_check_hash and the
 * assignment of rows to points, sim_table_assign).
 *
 * The input is both files, split at the first NUL byte (no NUL: all
 * scenario.yaml, an empty results.csv). Each goes into an anonymous
 * in-memory file (memfd) read through its /proc/self/fd path. Whatever the
 * reader accepts must be consistent: a grid of at most
 * SIM_GRID_MAX_POINTS points, rows with the grid's swept cells (an empty
 * cell is NULL), every
 * assigned row pointing at a real point.
 *
 * Built by -DCONCSIM_FUZZ=ON (clang); tests/fuzz/replay.c runs the same
 * function over the corpus in every build (ctest fuzz_replay_results).
 */
#define _GNU_SOURCE /* memfd_create */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kernel/error.h"
#include "output/sweepio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An in-memory file holding len bytes; its path into `path`. */
static int memfile(const char *name, const uint8_t *b, size_t len, char *path,
		   size_t plen)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (len && write(fd, b, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	snprintf(path, plen, "/proc/self/fd/%d", fd);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t ylen = nul ? (size_t)(nul - data) : size;
	size_t clen = nul ? size - ylen - 1 : 0;
	char ypath[64], cpath[64], *name = NULL;
	struct sim_grid g;
	struct sim_table t;
	size_t nsys = 0, clash;
	FILE *err = fopen("/dev/null", "w");
	int yfd = memfile("scenario.yaml", data, ylen, ypath, sizeof ypath);
	int cfd = memfile("results.csv", nul ? nul + 1 : data, clen, cpath,
			  sizeof cpath);

	if (!err || yfd < 0 || cfd < 0)
		abort();
	sim_table_init(&t, 0);
	if (sim_grid_read_yaml(ypath, &g, &name, &nsys, err) == 0) {
		if (g.npoints > SIM_GRID_MAX_POINTS)
			abort();
		char hash[17];
		sim_hash_hex((const char *)data, ylen, hash);
		sim_table_init(&t, g.np);
		if (sim_table_read_csv(&t, &g, cpath, err) == 0) {
			/* every row has its swept cells (NULL: empty) */
			for (size_t i = 0; i < t.nrow; i++)
				if (g.np && !t.row[i].param)
					abort();
			sim_table_check_hash(&t, hash, cpath, err);
			size_t *nrows = calloc(g.npoints + 1, sizeof(*nrows));
			bool *taken = calloc(g.npoints + 1, sizeof(*taken));
			if (nrows && taken) {
				for (size_t k = 0; k < g.npoints; k++)
					nrows[k] = nsys ? nsys : 1;
				if (sim_table_assign(&t, &g, nrows, taken,
						     &clash) == 0)
					for (size_t i = 0; i < t.nrow; i++)
						if (t.row[i].point !=
							SIZE_MAX &&
						    t.row[i].point >= g.npoints)
							abort();
			}
			free(nrows);
			free(taken);
		}
		sim_grid_release(&g);
	}
	sim_table_release(&t);
	free(name);
	close(yfd);
	close(cfd);
	fclose(err);
	return 0;
}
