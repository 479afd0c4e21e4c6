/*
 * sweep_resume.c - `sweep --resume`: the folder's scenario.yaml must be
 * byte for byte the one this sweep would write (same scenario, overrides,
 * grid, seed and replications), and every row of its results.csv must
 * carry that file's hash (scenario_hash); then the rows of its results.csv that
 * belong to this shard's points, with the systems those points have, are
 * kept and their points are not run again.
 */
#include "cli/sweep_resume.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/error.h"

int sweep_resume(struct sweep *sw, const char *yaml, size_t ylen)
{
	char path[4096], *old = NULL;
	size_t olen, clash;
	size_t *nrows = NULL;
	bool *taken = NULL;
	int rc = EXIT_USAGE;

	snprintf(path, sizeof(path), "%s/scenario.yaml", sw->o.out);
	int e = sim_read_bytes(path, &old, &olen);
	snprintf(path, sizeof(path), "%s/results.csv", sw->o.out);
	if (e == SIM_EINVAL) {
		if (access(path, F_OK) == 0) {
			cli_error("cannot resume: '%s/scenario.yaml' is "
				  "missing, so '%s' cannot be checked against "
				  "this sweep",
				  sw->o.out, path);
			goto cleanup;
		}
		rc = 0; /* nothing to resume: a fresh start */
		goto cleanup;
	}
	if (e) {
		cli_error("cannot read '%s/scenario.yaml': %s", sw->o.out,
			  sim_read_strerror(e));
		rc = EXIT_FAILED;
		goto cleanup;
	}
	if (olen != ylen || memcmp(old, yaml, ylen)) {
		int line = 1;
		for (size_t i = 0; i < olen && i < ylen && old[i] == yaml[i];
		     i++)
			line += old[i] == '\n';
		cli_error("cannot resume: '%s/scenario.yaml' differs from "
			  "this sweep at line %d (another scenario, --set, "
			  "--param, --seed, --replications or --precision); "
			  "use another "
			  "folder, or run without --resume to start over",
			  sw->o.out, line);
		goto cleanup;
	}
	if (access(path, F_OK)) {
		rc = 0;
		goto cleanup;
	}
	rc = EXIT_FAILED;
	e = sim_table_read_csv(&sw->table, &sw->grid, path, stderr);
	if (!e)
		e = sim_table_check_hash(&sw->table, sw->hash, path, stderr);
	if (e) {
		rc = e == SIM_ENOMEM ? EXIT_FAILED : EXIT_USAGE;
		goto cleanup;
	}
	nrows = calloc(sw->grid.npoints, sizeof(*nrows));
	taken = calloc(sw->grid.npoints, sizeof(*taken));
	if (!nrows || !taken)
		goto cleanup;
	for (size_t k = 0; k < sw->grid.npoints; k++)
		nrows[k] = sw->pt[k].sc.nsystems;
	if (sim_table_assign(&sw->table, &sw->grid, nrows, taken, &clash))
		goto cleanup;
	/* keep only this shard's points, with the systems they should have */
	for (size_t i = 0; i < sw->table.nrow; i++) {
		struct sim_trow *r = &sw->table.row[i];
		if (r->point == SIZE_MAX)
			continue;
		const struct sim_scenario *sc = &sw->pt[r->point].sc;
		if (r->point % sw->nshards != sw->shard ||
		    strcmp(sim_trow_get(&sw->table, r, "system"),
			   sc->systems[r->sub].name))
			taken[r->point] = false;
	}
	for (size_t i = 0; i < sw->table.nrow; i++)
		if (sw->table.row[i].point != SIZE_MAX &&
		    !taken[sw->table.row[i].point])
			sw->table.row[i].point = SIZE_MAX;
	sim_table_drop(&sw->table);
	size_t kept = 0;
	for (size_t k = 0; k < sw->grid.npoints; k++) {
		sw->pt[k].done = taken[k];
		kept += taken[k];
	}
	if (!sw->o.quiet)
		sim_fprintf_safe(
		    stderr, "concsim: resuming: %zu point%s already done\n",
		    kept, kept == 1 ? "" : "s");
	rc = 0;
cleanup:
	if (rc == EXIT_FAILED && e == 0)
		cli_error("out of memory");
	free(old);
	free(nrows);
	free(taken);
	return rc;
}
