/*
 * svg.c - line charts as inline SVG (see svg.h): axes with "nice" ticks
 * (1, 2, 5 times a power of ten; decades on a log axis), lines broken at
 * missing points, 95 % bands as translucent polygons, a legend on the
 * right whose entries are cut to a width (the full name stays in a
 * tooltip), and an optional objective line.
 *
 * Everything is computed in one pass over the points to find the ranges
 * and one to draw them, so the work and the output are linear in the
 * number of points.
 */
#include <math.h>
#include <string.h>

#include "kernel/error.h"
#include "output/svg.h"

const char *const sim_svg_colors[SIM_SVG_NCOLORS] = {
    "#0072B2", "#D55E00", "#009E73", "#CC79A7",
    "#E69F00", "#56B4E9", "#000000", "#999933",
};

static const char *const dashes[] = {"", "6 4", "2 3", "8 3 2 3"};

#define MARGIN_L      76
#define MARGIN_T      34 /* room for the title */
#define MARGIN_T_BARE 12 /* without one */
#define MARGIN_B      48
#define MARGIN_R      16
#define LEGEND_W      200
#define LEGEND_ROW    18
#define LEGEND_MAX    27 /* bytes of a name shown in the legend */
#define MAX_TICKS     40

void sim_svg_chart_init(struct sim_svg_chart *c)
{
	memset(c, 0, sizeof(*c));
	c->width = 760;
	c->height = 380;
	c->xmin = c->xmax = c->ymin = c->ymax = NAN;
	c->yspan[0] = c->yspan[1] = NAN;
}

void sim_svg_escape(FILE *f, const char *s, size_t max)
{
	size_t len = strlen(s), cut = len;
	if (max && len > max) {
		cut = max;
		while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
			cut--;
	}
	for (size_t i = 0; i < cut; i++) {
		unsigned char ch = (unsigned char)s[i];
		switch (ch) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			if (ch >= 0x20 || ch == '\n' || ch == '\t')
				fputc(ch, f);
			else if (ch == '\r')
				break;
		}
	}
	if (cut < len)
		fputs("\xe2\x80\xa6", f); /* U+2026 */
}

/* ------------------------------------------------------------- axes -- */

struct axis {
	bool log;
	double lo, hi; /* data units */
	double p0, p1; /* pixels of lo and hi */
};

static bool usable(const struct axis *a, double v)
{
	return isfinite(v) && (!a->log || v > 0);
}

static double tr(const struct axis *a, double v)
{
	return a->log ? log10(v) : v;
}

/* The pixel of v, clamped to the axis. */
static double px(const struct axis *a, double v)
{
	if (a->log && !(v > 0))
		v = a->lo;
	double t = (tr(a, v) - tr(a, a->lo)) / (tr(a, a->hi) - tr(a, a->lo));
	if (!(t >= 0))
		t = 0;
	if (t > 1)
		t = 1;
	return a->p0 + t * (a->p1 - a->p0);
}

static double nice_step(double range)
{
	double raw = range / 6, mag = pow(10, floor(log10(raw)));
	double norm = raw / mag;
	return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

/* Rounds the data range [lo, hi] out to ticks (unless fixed). */
static void axis_range(struct axis *a, double lo, double hi, bool fixlo,
		       bool fixhi)
{
	if (!(lo <= hi)) { /* no data */
		lo = a->log ? 1 : 0;
		hi = a->log ? 10 : 1;
	}
	if (a->log) {
		if (!fixlo)
			lo = pow(10, floor(log10(lo) + 1e-9));
		if (!fixhi)
			hi = pow(10, ceil(log10(hi) - 1e-9));
		if (hi <= lo)
			hi = lo * 10;
	} else {
		if (hi == lo) {
			double d = lo ? fabs(lo) / 10 : 1;
			lo -= fixlo ? 0 : d;
			hi += d;
		}
		double step = nice_step(hi - lo);
		if (!fixlo)
			lo = floor(lo / step + 1e-9) * step;
		if (!fixhi)
			hi = ceil(hi / step - 1e-9) * step;
	}
	a->lo = lo;
	a->hi = hi;
}

/* Automatic ticks of an axis into v[] (at most MAX_TICKS); returns how
 * many. */
static size_t auto_ticks(const struct axis *a, double *v)
{
	size_t n = 0;
	if (a->log) {
		int d0 = (int)floor(log10(a->lo) + 1e-9);
		int d1 = (int)ceil(log10(a->hi) - 1e-9);
		int every = (d1 - d0) > 12 ? 3 : (d1 - d0) > 6 ? 2 : 1;
		for (int d = d0; d <= d1 && n < MAX_TICKS; d += every) {
			static const double mult[] = {1, 2, 5};
			for (int m = 0; m < 3 && n < MAX_TICKS; m++) {
				if (m && d1 - d0 > 2)
					break;
				double t = mult[m] * pow(10, d);
				if (t >= a->lo * (1 - 1e-9) &&
				    t <= a->hi * (1 + 1e-9))
					v[n++] = t;
			}
		}
		return n;
	}
	double step = nice_step(a->hi - a->lo);
	for (double k = ceil(a->lo / step - 1e-9);
	     k * step <= a->hi + step * 1e-9 && n < MAX_TICKS; k++) {
		double t = k * step;
		v[n++] = fabs(t) < step * 1e-9 ? 0 : t;
	}
	return n;
}

static void tick_label(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%.6g", v);
}

/* ----------------------------------------------------------- drawing -- */

static void style_attrs(FILE *f, const struct sim_svg_series *s)
{
	const char *col = s->style < 0
			      ? "#555555"
			      : sim_svg_colors[s->style % SIM_SVG_NCOLORS];
	const char *dash =
	    s->style < 0 ? "" : dashes[(s->style / SIM_SVG_NCOLORS) % 4];
	if (s->dashed)
		dash = "7 4";
	fprintf(f, " stroke=\"%s\"", col);
	if (*dash)
		fprintf(f, " stroke-dasharray=\"%s\"", dash);
}

static const char *color_of(const struct sim_svg_series *s)
{
	return s->style < 0 ? "#555555"
			    : sim_svg_colors[s->style % SIM_SVG_NCOLORS];
}

static bool point_ok(const struct axis *x, const struct axis *y,
		     const struct sim_svg_series *s, size_t i)
{
	return usable(x, s->x[i]) && usable(y, s->y[i]);
}

/* The band of s: one polygon per run of points with a whole interval. */
static void draw_band(FILE *f, const struct axis *x, const struct axis *y,
		      const struct sim_svg_series *s)
{
	size_t i = 0;
	while (i < s->n) {
		while (i < s->n && !(usable(x, s->x[i]) && isfinite(s->lo[i]) &&
				     isfinite(s->hi[i])))
			i++;
		size_t j = i;
		while (j < s->n && usable(x, s->x[j]) && isfinite(s->lo[j]) &&
		       isfinite(s->hi[j]))
			j++;
		if (j - i >= 2) {
			fprintf(f,
				"<path fill=\"%s\" fill-opacity=\"0.16\" "
				"stroke=\"none\" d=\"",
				color_of(s));
			for (size_t k = i; k < j; k++)
				fprintf(f, "%c%.1f %.1f", k == i ? 'M' : 'L',
					px(x, s->x[k]), px(y, s->hi[k]));
			for (size_t k = j; k-- > i;)
				fprintf(f, "L%.1f %.1f", px(x, s->x[k]),
					px(y, s->lo[k]));
			fputs("Z\"/>\n", f);
		}
		i = j;
	}
}

static void draw_line(FILE *f, const struct axis *x, const struct axis *y,
		      const struct sim_svg_series *s)
{
	bool pen = false, any = false;
	for (size_t i = 0; i < s->n; i++) {
		if (!point_ok(x, y, s, i)) {
			pen = false;
			continue;
		}
		if (!any) {
			fputs("<path fill=\"none\" stroke-width=\"2\" "
			      "stroke-linejoin=\"round\"",
			      f);
			style_attrs(f, s);
			fputs(" d=\"", f);
			any = true;
		}
		fprintf(f, "%c%.1f %.1f", pen ? 'L' : 'M', px(x, s->x[i]),
			px(y, s->y[i]));
		pen = true;
	}
	if (any)
		fputs("\"/>\n", f);
	if (!s->markers)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (point_ok(x, y, s, i))
			fprintf(f,
				"<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
				"fill=\"%s\"/>\n",
				px(x, s->x[i]), px(y, s->y[i]), color_of(s));
}

/* A light area between the line and the bottom of the plot. */
static void draw_area(FILE *f, const struct axis *x, const struct axis *y,
		      const struct sim_svg_series *s)
{
	size_t i = 0;
	while (i < s->n) {
		while (i < s->n && !point_ok(x, y, s, i))
			i++;
		size_t j = i;
		while (j < s->n && point_ok(x, y, s, j))
			j++;
		if (j - i >= 2) {
			fprintf(f,
				"<path fill=\"%s\" fill-opacity=\"0.22\" "
				"stroke=\"none\" d=\"M%.1f %.1f",
				color_of(s), px(x, s->x[i]), y->p0);
			for (size_t k = i; k < j; k++)
				fprintf(f, "L%.1f %.1f", px(x, s->x[k]),
					px(y, s->y[k]));
			fprintf(f, "L%.1f %.1fZ\"/>\n", px(x, s->x[j - 1]),
				y->p0);
		}
		i = j;
	}
}

static void draw_legend(FILE *f, const struct sim_svg_chart *c, double left)
{
	double top = c->title ? MARGIN_T : MARGIN_T_BARE;
	for (size_t k = 0; k < c->ns; k++) {
		const struct sim_svg_series *s = &c->s[k];
		if (!s->name)
			continue;
		double yy = top + LEGEND_ROW / 2.0;
		fputs("<g><title>", f);
		sim_svg_escape(f, s->name, 0);
		fputs("</title>", f);
		if (s->area)
			fprintf(f,
				"<rect x=\"%.1f\" y=\"%.1f\" width=\"22\" "
				"height=\"10\" fill=\"%s\" "
				"fill-opacity=\"0.3\"/>",
				left, yy - 5, color_of(s));
		else {
			fprintf(f,
				"<path stroke-width=\"2\" d=\"M%.1f %.1fh22\"",
				left, yy);
			style_attrs(f, s);
			fputs("/>", f);
		}
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", left + 28, yy + 4);
		sim_svg_escape(f, s->name, LEGEND_MAX);
		fputs("</text></g>\n", f);
		top += LEGEND_ROW;
	}
}

int sim_svg_chart_write(FILE *f, const struct sim_svg_chart *c)
{
	struct axis x = {.log = c->xlog}, y = {.log = c->ylog};
	double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
	size_t nleg = 0;

	for (size_t k = 0; k < c->ns; k++) {
		const struct sim_svg_series *s = &c->s[k];
		nleg += s->name != NULL;
		for (size_t i = 0; i < s->n; i++) {
			if (!usable(&x, s->x[i]))
				continue;
			double v[3] = {s->y[i], s->lo ? s->lo[i] : NAN,
				       s->hi ? s->hi[i] : NAN};
			bool any = false;
			for (int m = 0; m < 3; m++)
				if (usable(&y, v[m])) {
					ylo = fmin(ylo, v[m]);
					yhi = fmax(yhi, v[m]);
					any = true;
				}
			if (any) {
				xlo = fmin(xlo, s->x[i]);
				xhi = fmax(xhi, s->x[i]);
			}
		}
	}
	bool empty = !(xlo <= xhi);
	for (int k = 0; k < 2 && !empty; k++)
		if (usable(&y, c->yspan[k])) {
			ylo = fmin(ylo, c->yspan[k]);
			yhi = fmax(yhi, c->yspan[k]);
		}
	for (size_t k = 0; k < c->nhlines; k++)
		if (usable(&y, c->hlines[k].v)) {
			double v = c->hlines[k].v;
			ylo = fmin(ylo, v);
			yhi = fmax(yhi, v * (c->ylog ? 1.5 : 1.05));
		}
	if (!c->ylog && c->yzero && ylo > 0)
		ylo = 0;
	if (isfinite(c->xmin))
		xlo = c->xmin;
	if (isfinite(c->xmax))
		xhi = c->xmax;
	if (isfinite(c->ymin))
		ylo = c->ymin;
	if (isfinite(c->ymax))
		yhi = c->ymax;
	axis_range(&x, xlo, xhi, isfinite(c->xmin), isfinite(c->xmax));
	axis_range(&y, ylo, yhi, isfinite(c->ymin), isfinite(c->ymax));

	int legw = nleg ? LEGEND_W : 0;
	int height = c->height;
	int mt = c->title ? MARGIN_T : MARGIN_T_BARE;
	if (mt + (int)nleg * LEGEND_ROW + 8 > height)
		height = mt + (int)nleg * LEGEND_ROW + 8;
	x.p0 = MARGIN_L;
	x.p1 = c->width - MARGIN_R - legw;
	y.p0 = c->height - MARGIN_B;
	y.p1 = mt;

	fprintf(f,
		"<svg width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
		"font-family=\"sans-serif\" font-size=\"12\">\n",
		c->width, height, c->width, height);
	if (c->title) {
		fputs("<title>", f);
		sim_svg_escape(f, c->title, 0);
		fputs("</title>\n", f);
	}
	fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
		c->width, height);
	if (c->title) {
		fprintf(f,
			"<text x=\"%.1f\" y=\"20\" font-size=\"14\" "
			"font-weight=\"bold\">",
			x.p0);
		sim_svg_escape(f, c->title, 0);
		fputs("</text>\n", f);
	}

	/* grid and ticks */
	double tv[MAX_TICKS];
	size_t nt = auto_ticks(&y, tv);
	char buf[64];
	fputs("<g stroke=\"#dddddd\" stroke-width=\"1\">\n", f);
	for (size_t i = 0; i < nt; i++)
		fprintf(f, "<path d=\"M%.1f %.1fH%.1f\"/>\n", x.p0,
			px(&y, tv[i]), x.p1);
	const struct sim_svg_tick *xt = c->xticks;
	size_t nxt = c->nxticks;
	double xv[MAX_TICKS];
	size_t nxv = xt ? 0 : auto_ticks(&x, xv);
	for (size_t i = 0; i < (xt ? nxt : nxv); i++)
		fprintf(f, "<path d=\"M%.1f %.1fV%.1f\"/>\n",
			px(&x, xt ? xt[i].v : xv[i]), y.p0, y.p1);
	fputs("</g>\n<g fill=\"#333333\">\n", f);
	for (size_t i = 0; i < nt; i++) {
		tick_label(buf, sizeof(buf), tv[i]);
		fprintf(f,
			"<text x=\"%.1f\" y=\"%.1f\" "
			"text-anchor=\"end\">%s</text>\n",
			x.p0 - 6, px(&y, tv[i]) + 4, buf);
	}
	for (size_t i = 0; i < (xt ? nxt : nxv); i++) {
		fprintf(f,
			"<text x=\"%.1f\" y=\"%.1f\" "
			"text-anchor=\"middle\">",
			px(&x, xt ? xt[i].v : xv[i]), y.p0 + 17);
		if (xt) {
			sim_svg_escape(f, xt[i].label, 0);
		} else {
			tick_label(buf, sizeof(buf), xv[i]);
			fputs(buf, f);
		}
		fputs("</text>\n", f);
	}
	fputs("</g>\n", f);
	fprintf(f,
		"<path d=\"M%.1f %.1fV%.1fH%.1f\" fill=\"none\" "
		"stroke=\"#444444\"/>\n",
		x.p0, y.p1, y.p0, x.p1);
	if (c->xlabel) {
		fprintf(f,
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
			(x.p0 + x.p1) / 2, y.p0 + 38);
		sim_svg_escape(f, c->xlabel, 0);
		fputs("</text>\n", f);
	}
	if (c->ylabel) {
		double cy = (y.p0 + y.p1) / 2;
		fprintf(f,
			"<text transform=\"translate(16 %.1f) rotate(-90)\" "
			"text-anchor=\"middle\">",
			cy);
		sim_svg_escape(f, c->ylabel, 0);
		fputs("</text>\n", f);
	}

	/* data: areas, then bands, then lines on top */
	for (size_t k = 0; k < c->ns; k++)
		if (c->s[k].area)
			draw_area(f, &x, &y, &c->s[k]);
	for (size_t k = 0; k < c->ns; k++)
		if (c->s[k].lo && c->s[k].hi && !c->s[k].area)
			draw_band(f, &x, &y, &c->s[k]);
	for (size_t k = 0; k < c->ns; k++)
		if (!c->s[k].area)
			draw_line(f, &x, &y, &c->s[k]);
	for (size_t k = 0; k < c->nhlines; k++) {
		if (!usable(&y, c->hlines[k].v))
			continue;
		double hy = px(&y, c->hlines[k].v);
		fprintf(f,
			"<path d=\"M%.1f %.1fH%.1f\" stroke=\"#C00000\" "
			"stroke-width=\"1.5\" stroke-dasharray=\"10 4\"/>\n",
			x.p0, hy, x.p1);
		fprintf(f,
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
			"fill=\"#C00000\">",
			x.p1 - 4, hy - 5);
		sim_svg_escape(f, c->hlines[k].label, 0);
		fputs("</text>\n", f);
	}
	if (empty)
		fprintf(f,
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
			"fill=\"#888888\">no data to draw</text>\n",
			(x.p0 + x.p1) / 2, (y.p0 + y.p1) / 2);
	if (nleg)
		draw_legend(f, c, x.p1 + 16);
	fputs("</svg>\n", f);
	return ferror(f) ? SIM_EIO : 0;
}
