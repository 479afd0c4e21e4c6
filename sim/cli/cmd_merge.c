/*
 * cmd_merge.c - `concsim merge DIR... -o OUT`: joins the folders of sweep
 * shards (`sweep --shard I/N`) into the files one unsharded sweep writes.
 *
 * Every folder must hold the same scenario.yaml, byte for byte: it records
 * the resolved scenario and the grid, so two folders that agree on it ran
 * the same sweep. The rows are assigned to the grid's points; a point
 * found in two folders (overlapping shards) or in none (a shard missing
 * or unfinished) stops the merge with a message that names it. The rows
 * stay text, so OUT holds exactly the bytes of the unsharded sweep.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "output/files.h"
#include "output/sweepio.h"

/* "path=value, path=value" of point k, for messages. */
static void describe_point(const struct sim_grid *g, size_t k, char *buf,
			   size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < g->np && off < len; i++)
		off += (size_t)snprintf(
		    buf + off, len - off, "%s%s=%s", i ? ", " : "",
		    g->p[i].path, g->p[i].values[sim_grid_value(g, k, i)]);
}

/* The first line where a and b differ (1-based). */
static int first_difference(const char *a, size_t la, const char *b, size_t lb)
{
	int line = 1;
	for (size_t i = 0; i < la && i < lb && a[i] == b[i]; i++)
		line += a[i] == '\n';
	return line;
}

int cmd_merge(int argc, char **argv)
{
	struct cli_opts o;
	struct sim_grid g = {0};
	struct sim_table all, part;
	char *yaml = NULL, *other = NULL, *name = NULL, path[4096];
	size_t ylen = 0, olen, nsys = 0, *nrows = NULL;
	const char **dirs = NULL;
	bool *taken = NULL;
	size_t ndirs = 0, made = 0;
	int lock = -1;
	int rc = cli_parse(argc, argv, "--out|--quiet", NULL, &o);

	sim_table_init(&all, 0);
	sim_table_init(&part, 0);
	if (rc)
		goto cleanup;
	rc = EXIT_USAGE;
	if (!o.file) {
		cli_error("no folders given: concsim merge DIR... -o OUT");
		goto cleanup;
	}
	if (!o.out) {
		cli_error("no output folder: concsim merge DIR... -o OUT");
		goto cleanup;
	}
	if (!(dirs = calloc(o.nextra + 1, sizeof(*dirs)))) {
		rc = EXIT_FAILED;
		goto nomem;
	}
	dirs[ndirs++] = o.file;
	for (size_t i = 0; i < o.nextra; i++) {
		if (cli_extra_is_option(&o, i)) {
			cli_error("unexpected argument '%s'", o.extra[i]);
			goto cleanup;
		}
		dirs[ndirs++] = o.extra[i];
	}
	for (size_t d = 0; d < ndirs; d++)
		if (!strcmp(dirs[d], "-")) {
			/* standard input is no folder */
			cli_error(
			    "'-' is not a folder: merge takes the folders "
			    "of a sharded sweep");
			goto cleanup;
		}

	/* one sweep: the same scenario.yaml everywhere; OUT is none of them */
	for (size_t d = 0; d < ndirs; d++) {
		if (sim_same_file(dirs[d], o.out)) {
			cli_error("the output folder '%s' is the input '%s': "
				  "merge into another folder",
				  o.out, dirs[d]);
			goto cleanup;
		}
		snprintf(path, sizeof(path), "%s/scenario.yaml", dirs[d]);
		int e =
		    sim_read_bytes(path, d ? &other : &yaml, d ? &olen : &ylen);
		if (e) {
			cli_error("cannot read '%s': %s", path,
				  e == SIM_EINVAL ? "no such file (not the "
						    "folder of a sweep?)"
						  : sim_read_strerror(e));
			if (e == SIM_ENOMEM) /* not the folder's fault */
				rc = EXIT_FAILED;
			goto cleanup;
		}
		if (d && (olen != ylen || memcmp(other, yaml, ylen))) {
			cli_error("'%s' and '%s' are not shards of one sweep: "
				  "their scenario.yaml differ at line %d",
				  dirs[0], dirs[d],
				  first_difference(yaml, ylen, other, olen));
			goto cleanup;
		}
		free(other);
		other = NULL;
	}
	char hash[17];
	sim_hash_hex(yaml, ylen, hash);
	snprintf(path, sizeof(path), "%s/scenario.yaml", dirs[0]);
	int e = sim_grid_read_yaml(path, &g, &name, &nsys, stderr);
	if (e) {
		rc = e == SIM_ENOMEM ? EXIT_FAILED : EXIT_USAGE;
		goto cleanup;
	}
	nrows = calloc(g.npoints + 1, sizeof(*nrows));
	taken = calloc(g.npoints + 1, sizeof(*taken));
	if (!nrows || !taken) {
		rc = EXIT_FAILED;
		goto nomem;
	}
	for (size_t k = 0; k < g.npoints; k++)
		nrows[k] = nsys;
	sim_table_init(&all, g.np);

	/* every folder's rows to their points, none twice */
	for (size_t d = 0; d < ndirs; d++) {
		size_t clash;
		char where[1024];
		sim_table_init(&part, g.np);
		snprintf(path, sizeof(path), "%s/results.csv", dirs[d]);
		e = sim_table_read_csv(&part, &g, path, stderr);
		if (!e)
			e = sim_table_check_hash(&part, hash, path, stderr);
		if (e) { /* the message is printed */
			rc = e == SIM_ENOMEM ? EXIT_FAILED : EXIT_USAGE;
			goto cleanup;
		}
		if (sim_table_assign(&part, &g, nrows, taken, &clash)) {
			rc = EXIT_FAILED;
			goto nomem;
		}
		if (clash != SIZE_MAX) {
			describe_point(&g, clash, where, sizeof(where));
			cli_error("the point %s is in '%s' and in an earlier "
				  "folder: overlapping shards",
				  where, dirs[d]);
			goto cleanup;
		}
		if (sim_table_drop(&part)) {
			cli_error("'%s' has rows that belong to no point of "
				  "the sweep (or an unfinished point)",
				  path);
			goto cleanup;
		}
		if (sim_table_move(&all, &part)) {
			rc = EXIT_FAILED;
			goto nomem;
		}
		sim_table_release(&part);
	}
	size_t missing = 0, first = SIZE_MAX;
	for (size_t k = 0; k < g.npoints; k++)
		if (!taken[k] && missing++ == 0)
			first = k;
	if (missing) {
		char where[1024];
		describe_point(&g, first, where, sizeof(where));
		cli_error("%zu of %zu points are in none of the folders, the "
			  "first %s: a shard is missing or unfinished (finish "
			  "it with sweep --resume)",
			  missing, g.npoints, where);
		goto cleanup;
	}
	/* shards of `sweep --long` (every folder has results_long.csv)
	 * merge into what one such sweep writes */
	bool lng = true;
	for (size_t d = 0; d < ndirs && lng; d++) {
		snprintf(path, sizeof(path), "%s/results_long.csv", dirs[d]);
		lng = access(path, F_OK) == 0;
	}
	rc = EXIT_FAILED;
	if (sim_mkdir_made(o.out, &made, stderr) ||
	    (lock = sim_dir_lock(o.out, stderr)) < 0 ||
	    sim_table_save(&all, &g, name, yaml, ylen, lng, o.out, stderr))
		goto cleanup;
	if (!o.quiet)
		sim_fprintf_safe(stderr,
				 "concsim: merged %zu folders: %zu points, %zu "
				 "rows in %s\n",
				 ndirs, g.npoints, all.nrow, o.out);
	rc = 0;
	goto cleanup;
nomem:
	cli_error("out of memory");
cleanup:
	if (rc && made) {
		char *m = strdup(o.out);
		if (m)
			sim_rmdir_made(m, made);
		free(m);
	}
	sim_dir_unlock(lock);
	sim_table_release(&part);
	sim_table_release(&all);
	sim_grid_release(&g);
	free(yaml);
	free(other);
	free(name);
	free(nrows);
	free(taken);
	free(dirs);
	cli_opts_release(&o);
	return rc;
}
