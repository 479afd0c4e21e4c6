/*
 * trace.h - request traces: the CSV that `concsim trace` writes and that
 * `arrivals: { process: trace, file: ... }` replays.
 *
 * One header line `time_s,class,demand_1_s,...,demand_N_s`, then one row
 * per request in arrival order: its arrival time in seconds, its class by
 * name, and the demand of each of its phases in seconds (trailing cells
 * empty for classes with fewer phases). Numbers are written so that they
 * read back exactly, so replaying a trace reproduces a run bit for bit.
 */
#ifndef SIM_TRACE_H
#define SIM_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scenario/scenario.h"

/* The longest line a trace (or an empirical sample file) may have. */
#define SIM_TRACE_MAX_LINE 65536
#define SIM_STR_(x)	   #x
#define SIM_STR(x)	   SIM_STR_(x)

/* Reads one line of f into *buf (grown as needed, to at most max + 2
 * bytes; *buf and *cap start NULL and 0, the caller frees), without its
 * end of line ("\n", "\r\n"), with its length in *len. Returns 1, 0 at the
 * end of the file, SIM_ELIMIT for a line longer than max bytes, SIM_EINVAL
 * for a NUL byte (binary data), SIM_EIO when reading failed (errno set),
 * or SIM_ENOMEM. A line is never read whole into memory unbounded, so a
 * device or a file without line ends costs max bytes at most. */
int sim_read_line(FILE *f, char **buf, size_t *cap, size_t max, size_t *len);

/* Reads a trace row by row, in constant memory. */
struct sim_trace_reader {
	FILE *f;
	const char *file;
	const struct sim_workload *wl;
	size_t ncols; /* demand columns in the header */
	char *line;
	size_t cap;
	long lineno;
	/* the current row */
	double t;
	uint16_t cls;
	uint8_t nphases;
	double *demand; /* ncols entries */
	double t_prev;
};

/* Opens `file` and reads its header. Returns 0, or SIM_EIO / SIM_EINVAL
 * with one `FILE:LINE:COL: error: ...` line printed to err (if non-NULL),
 * or SIM_ENOMEM. */
int sim_trace_open(struct sim_trace_reader *rd, const char *file,
		   const struct sim_workload *wl, FILE *err);
/* Reads the next row into rd->t, cls, nphases, demand. Returns 1 for a
 * row, 0 at the end, or SIM_EINVAL (message printed to err if non-NULL). */
int sim_trace_next(struct sim_trace_reader *rd, FILE *err);
void sim_trace_close(struct sim_trace_reader *rd);
/* Reads the whole file to validate it against the workload's classes.
 * Returns 0 or a SIM_E* code with the message printed. */
int sim_trace_check(const char *file, const struct sim_workload *wl, FILE *err);

/* Writes the header for a workload whose longest class has max_phases. */
int sim_trace_write_header(FILE *f, size_t max_phases);
/* Writes one row. */
int sim_trace_write_row(FILE *f, double t, const char *cls,
			const double *demand, size_t n, size_t max_phases);

#endif
