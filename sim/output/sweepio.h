/*
 * sweepio.h - the grid of a parameter sweep and its result table.
 *
 * A sweep's results are a table of text cells: the swept values, then the
 * `run` figures of one system at one point of the grid. Keeping the cells
 * as the text that results.csv holds lets `sweep --resume`, `merge` and
 * MPI's gather put rows read back from files (or other processes) beside
 * freshly computed ones and still write files byte-identical to a single
 * uninterrupted run: nothing is ever parsed into a double and printed
 * again. The column order depends only on the set of columns present.
 */
#ifndef SIM_SWEEPIO_H
#define SIM_SWEEPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "output/csv.h"
#include "scenario/scenario.h"

/* ---------------------------------------------------------------- grid -- */

/* The most points one grid may have (sweep, and a scenario.yaml read back
 * by merge and plot). */
#define SIM_GRID_MAX_POINTS 100000

/* One swept parameter: a dotted scenario path and its values as written
 * (e.g. "100/s"); marks[j] says where value j came from. */
struct sim_gparam {
	char *path;
	char **values;
	struct sim_mark *marks;
	size_t nvalues;
};

/* The cross product of the parameters, the first varying slowest. */
struct sim_grid {
	struct sim_gparam *p;
	size_t np;
	size_t npoints; /* product of the value counts (0 when np is 0) */
};

/* Appends a parameter (path and values copied; marks may be NULL). A path
 * already in the grid has its values replaced in place. Returns 0,
 * SIM_ENOMEM, or SIM_ELIMIT when the grid would exceed `max_points`. */
int sim_grid_set(struct sim_grid *g, const char *path,
		 const char *const *values, const struct sim_mark *marks,
		 size_t nvalues, size_t max_points);
void sim_grid_release(struct sim_grid *g);

/* The index of parameter i's value at point k (0 <= k < npoints). */
size_t sim_grid_value(const struct sim_grid *g, size_t k, size_t i);

/* The cell a swept value becomes in results.csv: a plain number as it is,
 * a rate, duration or size in SI units (per second, seconds, bytes) as the
 * shortest exact decimal ("100/s" -> "100", "5ms" -> "0.005"), anything
 * else (an enum, a bool, a name) as written. Returns a malloc'd string or
 * NULL when memory ran out. */
char *sim_grid_cell(const char *value);

/* The np cells of point k (malloc'd array of malloc'd strings; free with
 * sim_grid_point_free), or NULL when memory ran out. */
char **sim_grid_point(const struct sim_grid *g, size_t k);
void sim_grid_point_free(char **cells, size_t np);

/* Reads the grid and facts a sweep's scenario.yaml records: its `sweep:`
 * section, the scenario's name (*name, malloc'd) and its number of systems.
 * Returns 0, SIM_EIO (cannot read; message on err), SIM_ESCENARIO (not a
 * sweep's scenario.yaml; message on err) or SIM_ENOMEM. */
int sim_grid_read_yaml(const char *path, struct sim_grid *g, char **name,
		       size_t *nsystems, FILE *err);

/* --------------------------------------------------------------- table -- */

/* One row: the point of the grid it belongs to (SIZE_MAX until known),
 * its place among that point's rows, the swept cells, and the other cells
 * by column id (NULL or beyond n: empty). Cells are malloc'd. */
struct sim_trow {
	size_t point, sub;
	char **param;
	char **cell; /* each its own allocation, or in `text` */
	size_t n;
	char *text; /* the texts of a computed row's cells, one block */
	size_t ntext;
};

struct sim_table {
	size_t np;  /* swept parameters: the leading columns */
	char **col; /* names of the other columns, by id */
	size_t ncol, capcol;
	size_t hint; /* sim_table_col: the id it tries first */
	struct sim_trow *row;
	size_t nrow, caprow;
};

/* An empty table with np swept columns. */
void sim_table_init(struct sim_table *t, size_t np);
void sim_table_release(struct sim_table *t);

/* The id of column `name`, added if new; SIZE_MAX when memory ran out. */
size_t sim_table_col(struct sim_table *t, const char *name);

/* Appends a row of point `point` (index `sub` among its rows) with the np
 * swept cells; the other cells are set with sim_table_put. Returns the row
 * or NULL when memory ran out. */
struct sim_trow *sim_table_add(struct sim_table *t, size_t point, size_t sub,
			       const char *const *param);

/* Sets cell `name` of row r (the table's last row or any other) to a copy
 * of text. Returns 0 or SIM_ENOMEM. */
int sim_table_put(struct sim_table *t, struct sim_trow *r, const char *name,
		  const char *text);

/* Appends the rows of one point: for each system, the swept cells and the
 * system's flattened `run` figures (sim_summary_flatten) without the
 * scenario name. Returns 0 or SIM_ENOMEM. */
int sim_table_add_point(struct sim_table *t, size_t point,
			const char *const *param, const struct sim_scenario *sc,
			const struct sim_summary *sum, size_t nsystems);

/* Moves every row of src (same np) to the end of dst. Returns 0 or
 * SIM_ENOMEM (src then keeps the rows not moved). */
int sim_table_move(struct sim_table *dst, struct sim_table *src);

/* Sorts the rows by (point, sub). */
void sim_table_sort(struct sim_table *t);

/* Writes results.csv: the grid's paths, then system, model and the fixed
 * `run` columns in sim_csv_fixed's order, then every other column in
 * byte order of its name. Rows in their order. Returns 0 or SIM_EIO. */
int sim_table_write_csv(const struct sim_table *t, const struct sim_grid *g,
			FILE *f);

/* Writes results_long.csv (run --long's form, sim_csv_long_row): the
 * grid's paths, system, model, figure, value; one row per row of t and
 * figure (the other columns in results.csv's order, scenario_hash left
 * out), an empty value where the wide cell is empty. Returns 0, SIM_EIO
 * or SIM_ENOMEM. */
int sim_table_write_csv_long(const struct sim_table *t,
			     const struct sim_grid *g, FILE *f);

/* Writes results.json: {"scenario", "parameters": [{"path", "values"}],
 * "rows": [one object per row, keys in the CSV's order]}. A cell that is
 * a JSON number is written as one, an empty cell as null, anything else
 * (and system, model) as a string. Returns 0 or SIM_EIO. */
int sim_table_write_json(const struct sim_table *t, const struct sim_grid *g,
			 const char *scenario, FILE *f);

/* Reads a results.csv written by sim_table_write_csv for grid g: its first
 * g->np columns must be the grid's paths. Rows are appended with point
 * SIZE_MAX. Returns 0, SIM_EIO (cannot read; message on err),
 * SIM_ESCENARIO (not such a file; message on err) or SIM_ENOMEM. */
int sim_table_read_csv(struct sim_table *t, const struct sim_grid *g,
		       const char *path, FILE *err);

/* Gives every row whose point is SIZE_MAX (rows read back) its point: the
 * rows come in blocks of nrows[k] consecutive rows with the swept cells of
 * point k; a block goes to the first point with its cells that taken[]
 * does not mark, and marks it. Rows that form no whole block keep
 * SIZE_MAX. *clash is set to a point whose cells a block had while every
 * such point was taken (SIZE_MAX: none). Returns 0 or SIM_ENOMEM. */
int sim_table_assign(struct sim_table *t, const struct sim_grid *g,
		     const size_t *nrows, bool *taken, size_t *clash);

/* Removes the rows whose point is SIZE_MAX; returns how many. */
size_t sim_table_drop(struct sim_table *t);

/* Reads one RFC 4180 record of f into *cells (each cell malloc'd; the
 * array grows with *cap). Returns the number of cells, 0 at the end of the
 * file, -1 when memory ran out or -2 for an unterminated quote. */
long sim_csv_record(FILE *f, char ***cells, size_t *cap);

/* The cell of column `name` in row r, or "" when empty or absent. */
const char *sim_trow_get(const struct sim_table *t, const struct sim_trow *r,
			 const char *name);

/* -------------------------------------------------------------- files -- */

/* Every row of a sweep's results.csv says which scenario.yaml it belongs
 * to: the column scenario_hash holds the FNV-1a hash (16 hex digits) of
 * that file's bytes (the resolved scenario and grid), so `sweep --resume`
 * and `merge` keep only rows of this very sweep. */
#define SIM_HASH_COLUMN "scenario_hash"
void sim_hash_hex(const char *buf, size_t len, char out[17]);
/* Sets the hash cell of rows from..nrow-1. Returns 0 or SIM_ENOMEM. */
int sim_table_put_hash(struct sim_table *t, size_t from, const char *hash);
/* SIM_ESCENARIO with a message naming the row of `path` whose hash is not
 * `hash`; 0 if every row has it. */
int sim_table_check_hash(const struct sim_table *t, const char *hash,
			 const char *path, FILE *err);

/* The files of a sweep's folder (and of merge's): scenario.yaml first,
 * then the results sim_table_save publishes together (results_long.csv
 * with --long). */
enum {
	SIM_SWEEP_YAML,
	SIM_SWEEP_CSV,
	SIM_SWEEP_JSON,
	SIM_SWEEP_LONG,
	SIM_SWEEP_NOUT
};
extern const char *const sim_sweep_outputs[SIM_SWEEP_NOUT];

/* Writes DIR/results.csv and DIR/results.json (and DIR/scenario.yaml from
 * the len bytes at yaml, unless yaml is NULL; and DIR/results_long.csv,
 * sim_table_write_csv_long, if lng), rows sorted by point first, all or
 * none (sim_afile_publish_all): a failure leaves the files that were
 * there. Returns 0, SIM_EIO or SIM_ENOMEM (message on err). */
int sim_table_save(struct sim_table *t, const struct sim_grid *g,
		   const char *scenario, const char *yaml, size_t len, bool lng,
		   const char *dir, FILE *err);
/* Removes DIR's results files (all of sim_sweep_outputs but
 * scenario.yaml) left by an earlier sweep, so that a new sweep's
 * scenario.yaml never stands beside another's results. Returns 0 or
 * SIM_EIO (message on err). */
int sim_table_forget(const char *dir, FILE *err);

/* Writes DIR/results.csv atomically with the rows in the table's order
 * (a checkpoint: the order of completion). Returns 0, SIM_EIO or
 * SIM_ENOMEM (message on err). */
int sim_table_save_csv(const struct sim_table *t, const struct sim_grid *g,
		       const char *dir, FILE *err);

/* Appends rows [from, nrow) to DIR/results.csv, whose header must hold
 * exactly the table's columns (written by sim_table_save_csv since the
 * last new column), in one write(2): a checkpoint costs the new rows, not
 * the whole table. Returns 0, SIM_EIO or SIM_ENOMEM (message on err). */
int sim_table_append_csv(const struct sim_table *t, size_t from,
			 const char *dir, FILE *err);

/* Writes len bytes to DIR/NAME atomically. Returns 0, SIM_EIO or
 * SIM_ENOMEM (message on err). */
int sim_save_bytes(const char *dir, const char *name, const char *buf,
		   size_t len, FILE *err);

/* Reads a whole file (at most 32 MiB) into *buf (malloc'd,
 * NUL-terminated). Returns 0, SIM_EINVAL when it does not exist, SIM_EIO,
 * SIM_ELIMIT (too large) or SIM_ENOMEM. */
int sim_read_bytes(const char *path, char **buf, size_t *len);
/* What a sim_read_bytes failure means, for a message: "not a regular
 * file (...)", "larger than 32 MiB", strerror(errno) or the code's string.
 * Call it right after the failure (it reads errno). */
const char *sim_read_strerror(int e);

#endif
