/*
 * report.h - what the files of `concsim report` share: the folder being
 * reported (struct report), the value and HTML-cell helpers
 * (report_html.c), and the run and sweep pages (report_run.c,
 * report_sweep.c) that cmd_report.c puts between its header and footer.
 */
#ifndef SIM_REPORT_H
#define SIM_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cli/cli.h"
#include "output/svg.h"
#include "scenario/yamldoc.h"

#define REPORT_MAX_CSV	   (64u << 20) /* timeseries.csv */
#define REPORT_MAX_PANELS  16	       /* values of the other parameters */
#define REPORT_MAX_SYSTEMS 256	       /* systems (and classes) on one page */
#define REPORT_MAX_PARAMS  16	       /* swept parameters */
#define REPORT_MAX_VALUES  64	/* values of one shown as given (100ms) */
#define REPORT_TS_POINTS   2000 /* per time series, after binning */

struct report {
	struct cli_opts o;
	const char *dir;
	char *json, *yaml; /* results.json, scenario.yaml (or NULL) */
	size_t json_len, yaml_len;
	char json_path[4096];
	struct sim_ydoc doc;
	const struct sim_ynode *root;
	bool sweep;
	struct rts *ts; /* the time series, one per system */
	size_t nts;
	bool ts_present;
	struct sim_svg_tick slo[8]; /* --slo objectives: target (ms), label */
	char slo_label[8][48];
	size_t nslo;
};

/* One system's time series: means over replications per time. */
struct rts {
	char *system;
	double *t, *v; /* v: 4 per time: offered, throughput, goodput, p99 */
	size_t n;
};

/* cmd_report.c: reads r->dir's results.json, scenario.yaml and
 * timeseries.csv, bounded, and decides whether it is a run or a sweep;
 * returns 0 or an exit status (message printed with cli_error). Then
 * rep_write_page writes the whole page to f (0 or a SIM_E* code).
 * rep_release frees what rep_load read (not r->o). */
int rep_load(struct report *r);
int rep_write_page(FILE *f, const struct report *r);
void rep_release(struct report *r);

/* report_html.c: values read from results.json, formatted for cells. */

/* s as a number, or NaN when it is empty or not wholly one. */
double rep_num_text(const char *s);
/* The node at a dotted path of fixed keys below n, or NULL. */
const struct sim_ynode *rep_jget(const struct sim_ynode *n, const char *path);
/* The number (NaN) or the string (NULL) at a dotted path below n. */
double rep_jnum(const struct sim_ynode *n, const char *path);
const char *rep_jstr(const struct sim_ynode *n, const char *path);
/* ci when there are replications enough for an interval, else NaN. */
double rep_ci_of(double ci, double reps);
/* A half-width "± 12" with two significant digits, never in exponent
 * form, followed by unit. */
void rep_fmt_ci(char *buf, size_t len, double ci, const char *unit);
/* A latency in seconds as "12.3 ms" into buf, and its half-width in the
 * same unit into cibuf ("" when ci is not finite); "\u2013" when v is not
 * finite. */
void rep_fmt_lat(char *buf, size_t len, double v, double ci, char *cibuf,
		 size_t cilen);
/* A rate or count: one decimal from 10 up, three digits below. */
void rep_fmt_num(char *buf, size_t len, double v, double ci, char *cibuf,
		 size_t cilen);
/* HTML: s escaped; a text cell; numeric cells with the half-width below
 * the value in grey; a caption under a figure. */
void rep_esc(FILE *f, const char *s);
void rep_td(FILE *f, const char *text);
void rep_td_val(FILE *f, const char *v, const char *ci, bool bold);
void rep_td_lat(FILE *f, double v, double ci);
void rep_td_num(FILE *f, double v, double ci);
void rep_caption(FILE *f, const char *text);

/* report_run.c: reads DIR/timeseries.csv (if any) into r->ts. Returns 0
 * or an exit status (message printed). rep_rts_release frees it. */
int rep_read_timeseries(struct report *r);
void rep_rts_release(struct report *r);
/* Writes the body of a run's page. Returns 0 or a SIM_E* code. */
int rep_write_run(FILE *f, const struct report *r);

/* report_sweep.c: writes the body of a sweep's page. Returns 0 or a
 * SIM_E* code. */
int rep_write_sweep(FILE *f, const struct report *r);

#endif
