/*
 * trace.c - reading and writing request traces (see trace.h).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scenario/readfile.h"
#include "scenario/trace.h"
#include "scenario/units.h"

static int fail(struct sim_trace_reader *rd, FILE *err, const char *at,
		const char *msg, const char *detail)
{
	if (err) {
		int col = at && rd->line ? (int)(at - rd->line) + 1 : 1;
		sim_fprintf_safe(err, "%s:%ld:%d: error: %s%s%s\n", rd->file,
				 rd->lineno, col, msg, detail ? detail : "",
				 detail ? "'" : "");
	}
	return SIM_EINVAL;
}

#define TOO_LONG "line longer than " SIM_STR(SIM_TRACE_MAX_LINE) " bytes"

int sim_read_line(FILE *f, char **buf, size_t *cap, size_t max, size_t *len)
{
	size_t n = 0;
	int c;
	*len = 0;
	for (;;) {
		if (n + 1 >= *cap || !*buf) {
			size_t ncap = *cap && *buf ? 2 * *cap : 256;
			if (ncap > max + 2)
				ncap = max + 2;
			char *nb = realloc(*buf, ncap);
			if (!nb)
				return SIM_ENOMEM;
			*buf = nb;
			*cap = ncap;
		}
		if ((c = getc_unlocked(f)) == EOF || c == '\n')
			break;
		if (c == 0)
			return SIM_EINVAL;
		if (n == max)
			return SIM_ELIMIT;
		(*buf)[n++] = (char)c;
	}
	if (c == EOF && ferror(f))
		return SIM_EIO;
	(*buf)[n] = '\0';
	if (c == EOF && n == 0)
		return 0;
	while (n > 0 && (*buf)[n - 1] == '\r')
		(*buf)[--n] = '\0';
	*len = n;
	return 1;
}

/* Reads one line without its end of line: 1, 0 at the end, or a SIM_E*
 * code with the message printed (the line number is the bad line's). */
static int read_line(struct sim_trace_reader *rd, FILE *err)
{
	size_t n;
	int rc =
	    sim_read_line(rd->f, &rd->line, &rd->cap, SIM_TRACE_MAX_LINE, &n);
	if (rc == 0)
		return 0;
	rd->lineno++;
	if (rc == SIM_EIO && err)
		sim_fprintf_safe(err,
				 "%s:%ld:1: error: cannot read the trace: %s\n",
				 rd->file, rd->lineno, strerror(errno));
	else if (rc == SIM_ELIMIT)
		fail(rd, err, NULL, TOO_LONG "; a trace is a CSV text file",
		     NULL);
	else if (rc == SIM_EINVAL)
		fail(rd, err, NULL,
		     "binary data (a NUL byte); a trace is a CSV text file",
		     NULL);
	return rc == SIM_ELIMIT ? SIM_EINVAL : rc;
}

int sim_trace_open(struct sim_trace_reader *rd, const char *file,
		   const struct sim_workload *wl, FILE *err)
{
	*rd = (struct sim_trace_reader){.file = file, .wl = wl};
	rd->f = sim_fopen_regular(file);
	if (!rd->f) {
		if (err)
			sim_fprintf_safe(
			    err, "%s:1:1: error: cannot read the trace: %s\n",
			    file, sim_file_strerror(errno));
		return SIM_EIO;
	}
	struct stat st;
	if (fstat(fileno(rd->f), &st) == 0 && !S_ISREG(st.st_mode)) {
		if (err)
			sim_fprintf_safe(
			    err, "%s:1:1: error: cannot read the trace: %s\n",
			    file,
			    S_ISDIR(st.st_mode) ? strerror(EISDIR)
						: "not a regular file");
		sim_trace_close(rd);
		return SIM_EIO;
	}
	int rc = read_line(rd, err);
	if (rc < 0) {
		sim_trace_close(rd);
		return rc;
	}
	if (rc == 0 || strncmp(rd->line, "time_s,class", 12) != 0) {
		rd->lineno = 1;
		fail(rd, err, NULL,
		     "expected the header 'time_s,class,demand_1_s,...' of a "
		     "trace written by `concsim trace`",
		     NULL);
		sim_trace_close(rd);
		return SIM_EINVAL;
	}
	for (const char *p = rd->line + 12; *p; p++)
		rd->ncols += *p == ',';
	size_t need = 0;
	for (size_t c = 0; c < wl->nclasses; c++)
		if (wl->classes[c].nphases > need)
			need = wl->classes[c].nphases;
	if (rd->ncols < need) {
		char d[128];
		snprintf(d, sizeof d,
			 "%zu demand columns, the scenario's "
			 "classes need '%zu",
			 rd->ncols, need);
		fail(rd, err, NULL, "the header has ", d);
		sim_trace_close(rd);
		return SIM_EINVAL;
	}
	rd->demand = calloc(rd->ncols + 1, sizeof *rd->demand);
	if (!rd->demand) {
		sim_trace_close(rd);
		return SIM_ENOMEM;
	}
	return 0;
}

/* Parses a non-negative finite number ending at ',' or the end. */
static int number(const char *p, const char **end, double *out)
{
	errno = 0;
	/* strtod's end points into p (C's strtod takes a char **; a local
	 * char * here made GCC 12 -O3 see a dangling pointer after inlining) */
	*out = strtod(p, (char **)end);
	const char *e = *end;
	return e != p && !errno && isfinite(*out) && *out >= 0 &&
	       (*e == ',' || *e == 0);
}

int sim_trace_next(struct sim_trace_reader *rd, FILE *err)
{
	int rc;
	do {
		if ((rc = read_line(rd, err)) <= 0)
			return rc;
	} while (!rd->line[0]);
	const char *p = rd->line, *e;
	if (!number(p, &e, &rd->t))
		return fail(rd, err, p,
			    "expected an arrival time in seconds "
			    "(a finite number >= 0)",
			    NULL);
	if (rd->t < rd->t_prev)
		return fail(rd, err, p, "arrival times must not decrease",
			    NULL);
	rd->t_prev = rd->t;
	if (*e != ',')
		return fail(rd, err, e, "expected ',' and a class name", NULL);
	p = e + 1;
	e = strchr(p, ',');
	size_t len = e ? (size_t)(e - p) : strlen(p);
	const struct sim_workload *wl = rd->wl;
	size_t c = 0;
	while (c < wl->nclasses && (strlen(wl->classes[c].name) != len ||
				    strncmp(wl->classes[c].name, p, len)))
		c++;
	if (c == wl->nclasses) {
		char name[72];
		snprintf(name, sizeof name, "%.*s", (int)(len < 64 ? len : 64),
			 p);
		return fail(rd, err, p, "no class named '", name);
	}
	rd->cls = (uint16_t)c;
	size_t k = wl->classes[c].nphases;
	rd->nphases = (uint8_t)k;
	for (size_t i = 0; i < k; i++) {
		if (!e) /* point at the end of the row */
			return fail(rd, err, p + strlen(p),
				    "missing demand for a phase of class '",
				    wl->classes[c].name);
		p = e + 1;
		if (!number(p, &e, &rd->demand[i]))
			return fail(rd, err, p,
				    "expected a phase demand in "
				    "seconds (a finite number "
				    ">= 0)",
				    NULL);
		if (*e == 0)
			e = NULL;
	}
	/* the rest must be empty cells */
	for (; e; e = strchr(e + 1, ','))
		if (e[1] && e[1] != ',')
			return fail(rd, err, e + 1, "more demands than class '",
				    wl->classes[c].name);
	return 1;
}

void sim_trace_close(struct sim_trace_reader *rd)
{
	if (rd->f)
		fclose(rd->f);
	free(rd->line);
	free(rd->demand);
	rd->f = NULL;
	rd->line = NULL;
	rd->demand = NULL;
}

int sim_trace_check(const char *file, const struct sim_workload *wl, FILE *err)
{
	struct sim_trace_reader rd;
	int rc = sim_trace_open(&rd, file, wl, err);
	if (rc < 0)
		return rc;
	while ((rc = sim_trace_next(&rd, err)) > 0)
		;
	sim_trace_close(&rd);
	return rc;
}

int sim_trace_write_header(FILE *f, size_t max_phases)
{
	fputs("time_s,class", f);
	for (size_t i = 1; i <= max_phases; i++)
		fprintf(f, ",demand_%zu_s", i);
	return fputc('\n', f) == EOF ? SIM_EIO : 0;
}

int sim_trace_write_row(FILE *f, double t, const char *cls,
			const double *demand, size_t n, size_t max_phases)
{
	char buf[40];
	sim_fmt_double(buf, sizeof buf, t);
	fprintf(f, "%s,%s", buf, cls);
	for (size_t i = 0; i < max_phases; i++) {
		if (i < n) {
			sim_fmt_double(buf, sizeof buf, demand[i]);
			fprintf(f, ",%s", buf);
		} else {
			fputc(',', f);
		}
	}
	return fputc('\n', f) == EOF ? SIM_EIO : 0;
}
