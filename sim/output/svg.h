/*
 * svg.h - line charts as inline SVG, for `concsim report` (cli/cmd_report.c).
 *
 * A chart is a few series of (x, y) points drawn as lines, optionally with
 * a shaded band (a 95 % interval) and markers, on linear or logarithmic
 * axes with tick labels, a title, axis labels, an optional horizontal
 * objective line and a legend on the right. Written in C rather than
 * through gnuplot so that a report needs no other program, its bytes do
 * not depend on a gnuplot version, and every name reaches the page only
 * through sim_svg_escape. Charts are sized in CSS pixels and use the
 * reader's sans-serif font: no external resource of any kind.
 */
#ifndef SIM_SVG_H
#define SIM_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Colours of the series styles (Okabe-Ito, readable with colour
 * blindness); style i uses colour i % SIM_SVG_NCOLORS and, past the
 * colours, a dash pattern. */
#define SIM_SVG_NCOLORS 8
extern const char *const sim_svg_colors[SIM_SVG_NCOLORS];

/* One series. x, y (and lo, hi when non-NULL: the band) hold n points; a
 * non-finite y (or a point outside a log axis) breaks the line. A series
 * with n == 0 and a name is a legend entry only (style -1: dark grey). */
struct sim_svg_series {
	const char *name; /* legend text, or NULL for none */
	const double *x, *y, *lo, *hi;
	size_t n;
	int style;    /* colour index (and dash past the colours); -1 grey */
	bool dashed;  /* a dashed line (e.g. p50 beside a solid p99) */
	bool markers; /* a dot at each point */
	bool area;    /* fill between the line and the x axis, light */
};

/* A tick placed by the caller: value on the axis and its label. */
struct sim_svg_tick {
	double v;
	const char *label;
};

struct sim_svg_chart {
	const char *title, *xlabel, *ylabel; /* NULL: none */
	int width, height;		     /* whole chart, CSS pixels */
	bool xlog, ylog;
	double xmin, xmax, ymin, ymax; /* NaN: from the data */
	bool yzero;		       /* linear y starts at 0 */
	double yspan[2]; /* values the y range must include (NaN: none), so
			    that panels of one figure share their axis */
	const struct sim_svg_tick *xticks; /* NULL: automatic */
	size_t nxticks;
	const struct sim_svg_tick *hlines; /* objective lines (y, label) */
	size_t nhlines;
	const struct sim_svg_series *s;
	size_t ns;
};

/* Fills *c with defaults: 760 x 380, linear axes, ranges from the data,
 * no objective line, no series. */
void sim_svg_chart_init(struct sim_svg_chart *c);

/* Writes the chart as one <svg> element, for inline use in HTML (no
 * xmlns: the HTML parser puts it in the SVG namespace; a standalone .svg
 * file would need one). Returns 0, or SIM_EIO when the stream's error
 * flag is set. A chart with no finite point says so in its plot area. */
int sim_svg_chart_write(FILE *f, const struct sim_svg_chart *c);

/* Writes s as HTML/XML text: & < > " ' become entities, control
 * characters other than tab and newline are dropped. At most max bytes of
 * s are written (cut at a UTF-8 character boundary, then an ellipsis);
 * max 0 means all of it. */
void sim_svg_escape(FILE *f, const char *s, size_t max);

#endif
