/*
 * table.h - results for people at a terminal: columns as wide as their
 * widest cell, durations with a unit, +- confidence half-widths.
 */
#ifndef SIM_TABLE_H
#define SIM_TABLE_H

#include <stdbool.h>
#include <stdio.h>

#include "kernel/stats.h"
#include "scenario/scenario.h"

/* Writes the summaries of a run as a table, then the per-class block, the
 * paired differences against the first system and the other figures.
 * Returns 0, SIM_EIO (write error) or SIM_ENOMEM. Non-finite figures print
 * as "-". */
int sim_write_table(FILE *f, const struct sim_scenario *sc,
		    const struct sim_summary *sys, size_t n);

/* A grid of formatted cells, printed with every column as wide as its
 * widest cell; right[c] aligns column c to the right (numbers). */
#define SIM_TBL_CELL 96
struct sim_tbl {
	size_t ncols, nrows;
	char (*cell)[SIM_TBL_CELL];
	bool *right;
};
/* Allocates nrows x ncols empty cells, all left-aligned. Returns 0 or
 * SIM_ENOMEM (*t then empty). Release with sim_tbl_release. */
int sim_tbl_init(struct sim_tbl *t, size_t nrows, size_t ncols);
void sim_tbl_release(struct sim_tbl *t);
/* The cell at (row, col): SIM_TBL_CELL bytes to write into. */
char *sim_tbl_at(struct sim_tbl *t, size_t row, size_t col);
/* Prints the grid; row 0 is the header, underlined with dashes. The last
 * column, when left-aligned, is not padded. */
void sim_tbl_print(FILE *f, const struct sim_tbl *t);

#endif
