/*
 * trace.c - reading and writing request traces (see trace.h).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "trace.h"

static int fail(struct sim_trace_reader *rd, FILE *err, const char *at,
		const char *msg, const char *detail)
{
	if (err) {
		int col = at && rd->line ? (int)(at - rd->line) + 1 : 1;
		fprintf(err, "%s:%ld:%d: error: %s%s%s\n", rd->file, rd->lineno,
			col, msg, detail ? detail : "", detail ? "'" : "");
	}
	return SIM_EINVAL;
}

/* Reads one line without its end of line; returns its length or -1. */
static ssize_t read_line(struct sim_trace_reader *rd)
{
	ssize_t n = getline(&rd->line, &rd->cap, rd->f);
	if (n < 0)
		return -1;
	rd->lineno++;
	while (n > 0 && (rd->line[n - 1] == '\n' || rd->line[n - 1] == '\r'))
		rd->line[--n] = 0;
	return n;
}

int sim_trace_open(struct sim_trace_reader *rd, const char *file,
		   const struct sim_workload *wl, FILE *err)
{
	*rd = (struct sim_trace_reader){.file = file, .wl = wl};
	rd->f = fopen(file, "r");
	if (!rd->f) {
		if (err)
			fprintf(err, "%s:1:1: error: cannot read the trace: %s\n",
				file, strerror(errno));
		return SIM_EIO;
	}
	if (read_line(rd) < 0 || strncmp(rd->line, "time_s,class", 12) != 0) {
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
		snprintf(d, sizeof d, "%zu demand columns, the scenario's "
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
	char *e;
	errno = 0;
	*out = strtod(p, &e);
	*end = e;
	return e != p && !errno && isfinite(*out) && *out >= 0 &&
	       (*e == ',' || *e == 0);
}

int sim_trace_next(struct sim_trace_reader *rd, FILE *err)
{
	ssize_t n;
	do {
		n = read_line(rd);
		if (n < 0)
			return 0;
	} while (n == 0);
	const char *p = rd->line, *e;
	if (!number(p, &e, &rd->t))
		return fail(rd, err, p, "expected an arrival time in seconds "
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
		if (!e)
			return fail(rd, err, p + len,
				    "missing demand for a phase of class '",
				    wl->classes[c].name);
		p = e + 1;
		if (!number(p, &e, &rd->demand[i]))
			return fail(rd, err, p, "expected a phase demand in "
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

int sim_trace_check(const char *file, const struct sim_workload *wl,
		    FILE *err)
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
