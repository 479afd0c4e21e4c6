/*
 * unknowns.c - the `fit` placeholders of a scenario (fit.h): finds them
 * in the YAML tree with their bounds and kinds, checks each against the
 * loader by probing values, and substitutes the estimates into the text
 * that becomes FITTED.yaml.
 */
#include "fit/unknowns.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/error.h"
#include "kernel/grow.h"
#include "scenario/yamldoc.h"

/* --------------------------------------------------------- unknowns -- */

/* Byte offset of a 1-based line and (character) column. */
static size_t offset_at(const char *text, size_t len, int line, int col)
{
	size_t i = 0;
	for (int l = 1; l < line && i < len; i++)
		if (text[i] == '\n')
			l++;
	for (int c = 1; c < col && i < len; i++)
		if (i + 1 >= len || ((unsigned char)text[i + 1] & 0xc0) != 0x80)
			c++;
	return i;
}

/* The offset just past the bracket that closes the one at `i`. */
static size_t closing(const char *text, size_t len, size_t i)
{
	int depth = 0;
	char q = 0;
	for (; i < len; i++) {
		char c = text[i];
		if (q) {
			if (c == q && !(q == '"' && text[i - 1] == '\\'))
				q = 0;
		} else if (c == '"' || c == '\'')
			q = c;
		else if (c == '{' || c == '[')
			depth++;
		else if ((c == '}' || c == ']') && --depth == 0)
			return i + 1;
	}
	return len;
}

struct finder {
	const char *file, *text;
	size_t len;
	FILE *err;
	struct fit_unknowns *out;
	int nerr;
	int rc;
};

static void ferr(struct finder *f, struct sim_mark m, const char *msg,
		 const char *key)
{
	fprintf(f->err, "%s:%d:%d: error: '%s': %s\n", f->file, m.line, m.col,
		key, msg);
	f->nerr++;
}

static struct fit_unknown *add_unknown(struct finder *f, const char *path)
{
	struct fit_unknowns *u = f->out;
	struct fit_unknown *v = sim_grow(u->v, &u->cap, u->n, sizeof(*v), 8);
	if (!v)
		return NULL;
	u->v = v;
	struct fit_unknown *x = &u->v[u->n];
	memset(x, 0, sizeof(*x));
	if (!(x->path = strdup(path)))
		return NULL;
	u->n++;
	return x;
}

/* The kind and SI value of a bound's text; the unit after the number. */
static bool read_bound(const char *s, enum fit_kind *k, double *x, char *unit,
		       size_t ulen)
{
	const char *why;
	char *end;
	if (!sim_parse_duration(s, x, &why))
		*k = FIT_DURATION;
	else if (!sim_parse_rate(s, x, &why))
		*k = FIT_RATE;
	else if (!sim_parse_size(s, x, &why))
		*k = FIT_SIZE;
	else {
		*x = strtod(s, &end);
		if (end == s || *end || !isfinite(*x))
			return false;
		*k = FIT_NUMBER;
	}
	strtod(s, &end);
	snprintf(unit, ulen, "%s", end);
	return true;
}

const char *fit__last_key(const char *path)
{
	const char *d = strrchr(path, '.');
	return d ? d + 1 : path;
}

/* Walks the tree; `path` holds the dotted path of n (len bytes used). */
static void walk(struct finder *f, const struct sim_ynode *n, char *path,
		 size_t len, const char *key)
{
	if (!n || f->rc || f->nerr > 20)
		return;
	bool bare =
	    n->kind == SIM_Y_SCALAR && n->plain && !strcmp(n->text, "fit");
	bool map = n->kind == SIM_Y_MAP && n->n == 1 &&
		   !strcmp(n->keys[0]->text, "fit");
	if (bare || map) {
		if (!len) {
			ferr(f, n->mark, "the whole scenario cannot be fitted",
			     "fit");
			return;
		}
		if (!strcmp(path, "seed") || !strcmp(path, "duration") ||
		    !strcmp(path, "warmup") || !strcmp(path, "replications")) {
			/* how the simulation runs, not what it models */
			ferr(f, n->mark,
			     "'fit' estimates a parameter of the workload or "
			     "of a system; this key sets how the simulation "
			     "runs",
			     key);
			return;
		}
		if (!strcmp(path, "workload.arrivals.rate")) {
			ferr(f, n->mark,
			     "the arrival rate is each point's offered_rps; "
			     "it cannot be fitted",
			     key);
			return;
		}
		for (size_t i = 0; i < f->out->n; i++)
			if (f->out->v[i].mark.line == n->mark.line &&
			    f->out->v[i].mark.col == n->mark.col) {
				ferr(f, n->mark,
				     "this 'fit' is used twice through an "
				     "alias; "
				     "write one 'fit' per value",
				     key);
				return;
			}
		size_t off =
		    offset_at(f->text, f->len, n->mark.line, n->mark.col);
		/* past an anchor or a tag (`&a fit`, `!!str fit`) */
		while (off < f->len &&
		       (f->text[off] == '&' || f->text[off] == '!')) {
			while (off < f->len && f->text[off] != ' ' &&
			       f->text[off] != '\n')
				off++;
			while (off < f->len && f->text[off] == ' ')
				off++;
		}
		struct fit_unknown *u = add_unknown(f, path);
		if (!u) {
			f->rc = SIM_ENOMEM;
			return;
		}
		u->mark = n->mark;
		u->off = off;
		u->end = u->off + 3;
		u->hi = INFINITY;
		bool found =
		    off + 3 <= f->len && (!strncmp(f->text + off, "fit", 3) ||
					  (!bare && f->text[off] == '{'));
		if (!found) {
			ferr(f, n->mark,
			     "cannot find this 'fit' in the text; write it "
			     "plainly (fit, or { fit: [LOW, HIGH] })",
			     key);
			return;
		}
		if (bare)
			return;
		const struct sim_ynode *b = n->vals[0];
		enum fit_kind k1, k2;
		char unit2[8];
		if (b->kind != SIM_Y_SEQ || b->n != 2 ||
		    b->vals[0]->kind != SIM_Y_SCALAR ||
		    b->vals[1]->kind != SIM_Y_SCALAR ||
		    !read_bound(b->vals[0]->text, &k1, &u->lo, u->unit,
				sizeof(u->unit)) ||
		    !read_bound(b->vals[1]->text, &k2, &u->hi, unit2,
				sizeof(unit2)) ||
		    k1 != k2) {
			ferr(f, b->mark,
			     "expected two bounds of the same kind, e.g. { "
			     "fit: [1ms, 10ms] }",
			     "fit");
			return;
		}
		if (!(u->lo < u->hi)) {
			ferr(f, b->mark, "LOW must be below HIGH", "fit");
			return;
		}
		u->bounded = true;
		u->kind = k1;
		if (strcmp(u->unit, unit2)) /* [500us, 10ms]: by its size */
			u->unit[0] = '\0';
		/* the text to replace: the flow map, or `fit: [...]` */
		if (f->text[u->off] == '{')
			u->end = closing(f->text, f->len, u->off);
		else {
			size_t s = offset_at(f->text, f->len, b->mark.line,
					     b->mark.col);
			if (s >= f->len || f->text[s] != '[') {
				ferr(f, b->mark,
				     "write the bounds in flow style, e.g. { "
				     "fit: [1ms, 10ms] }",
				     "fit");
				return;
			}
			u->end = closing(f->text, f->len, s);
		}
		return;
	}
	for (size_t i = 0; i < n->n && n->kind != SIM_Y_SCALAR; i++) {
		char comp[32];
		const char *c = comp;
		if (n->kind == SIM_Y_MAP)
			c = n->keys[i]->text;
		else
			snprintf(comp, sizeof(comp), "%zu", i);
		size_t cl = strlen(c);
		if (len + cl + 2 > 1024 || strchr(c, '.'))
			continue; /* not reachable by a --set path */
		if (len)
			path[len] = '.';
		memcpy(path + len + (len != 0), c, cl + 1);
		walk(f, n->vals[i], path, len + (len != 0) + cl,
		     n->kind == SIM_Y_MAP ? c : key);
		path[len] = '\0';
	}
}

/* Loads the scenario with each unknown at vals[i]; bad[i] tells whether
 * the loader found a problem at that value. Returns 0 (the load
 * succeeded), SIM_ESCENARIO (*msg holds the messages) or SIM_ENOMEM. */
int fit__probe_load(const char *file, const char *text, size_t len,
		    const struct sim_override *ov, size_t nov,
		    const struct fit_unknowns *u, const char *const *vals,
		    bool *bad, char **msg, struct sim_scenario *keep)
{
	struct sim_override *all = calloc(nov + u->n + 1, sizeof(*all));
	struct sim_scenario sc;
	size_t mlen = 0;
	int rc;
	*msg = NULL;
	if (!all)
		return SIM_ENOMEM;
	if (nov)
		memcpy(all, ov, nov * sizeof(*ov));
	for (size_t i = 0; i < u->n; i++)
		all[nov + i] = (struct sim_override){u->v[i].path, vals[i]};
	FILE *err = open_memstream(msg, &mlen);
	if (!err) {
		free(all);
		return SIM_ENOMEM;
	}
	rc = sim_scenario_load_string(file, text, len, all, nov + u->n, err,
				      keep ? keep : &sc);
	fclose(err);
	if (!rc && !keep)
		sim_scenario_release(&sc);
	for (size_t i = 0; bad && i < u->n; i++) {
		char pre[1100];
		snprintf(pre, sizeof(pre), "--set %s:", u->v[i].path);
		bad[i] = false;
		for (const char *l = *msg; l && *l;) {
			if (!strncmp(l, pre, strlen(pre)))
				bad[i] = true;
			const char *e = strchr(l, '\n');
			l = e ? e + 1 : l + strlen(l);
		}
	}
	free(all);
	return rc == SIM_ENOMEM ? rc : rc ? SIM_ESCENARIO : 0;
}

/* Rewrites loader messages at an unknown's `--set PATH:L:C:` to the
 * placeholder's FILE:LINE:COLUMN, and prints them. */
void fit__print_mapped(FILE *err, const char *msg, const struct fit_unknowns *u,
		       const char *file)
{
	for (const char *l = msg; l && *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		bool done = false;
		for (size_t i = 0; i < u->n && !done; i++) {
			char pre[1100];
			int k = snprintf(pre, sizeof(pre),
					 "--set %s:", u->v[i].path);
			if (strncmp(l, pre, (size_t)k))
				continue;
			const char *rest = strstr(l + k, ": ");
			if (!rest || rest > l + n)
				continue;
			sim_fprintf_safe(err, "%s:%d:%d:%.*s\n", file,
					 u->v[i].mark.line, u->v[i].mark.col,
					 (int)(n - (size_t)(rest - l) - 1),
					 rest + 1);
			done = true;
		}
		if (!done)
			sim_fprintf_safe(err, "%.*s\n", (int)n, l);
		l = e ? e + 1 : l + n;
	}
}

/* A probe value of kind k, the j-th of two. */
static const char *probe_of(int k, int j)
{
	static const char *const v[][2] = {
	    {"fit-probe", "fit-probe"}, /* a string key takes a word */
	    {"1ms", "1s"},		/* FIT_DURATION */
	    {"100/s", "1/s"},		/* FIT_RATE */
	    {"1KiB", "1MiB"},		/* FIT_SIZE */
	    {"1.5", "0.5"},		/* FIT_NUMBER */
	    {"1", "2"},			/* FIT_INT */
	};
	return v[k][j];
}

struct unit {
	const char *name;
	double mul; /* SI units per one of these */
};

/* The unit named `unit` in tab[n], or else the largest of the first
 * nauto (the ones a value is written in when no unit was given) that
 * keeps x at 1 or more. */
static const struct unit *pick_unit(const struct unit *tab, size_t nauto,
				    size_t n, const char *unit, double x)
{
	for (size_t i = 0; unit && *unit && i < n; i++)
		if (!strcmp(unit, tab[i].name))
			return &tab[i];
	size_t i = 0;
	while (i + 1 < nauto && fabs(x) >= tab[i + 1].mul * 0.9995)
		i++;
	return &tab[i];
}

void fit_format(char *buf, size_t len, enum fit_kind k, const char *unit,
		double x, double hw)
{
	static const struct unit dur[] = {{"ns", 1e-9},
					  {"us", 1e-6},
					  {"ms", 1e-3},
					  {"s", 1},
					  {"m", 60}},
				 size[] = {{"B", 1},
					   {"KiB", 1024},
					   {"MiB", 1048576},
					   {"GiB", 1073741824.0},
					   {"KB", 1e3},
					   {"MB", 1e6},
					   {"GB", 1e9}},
				 rate[] = {{"/s", 1}, {"/m", 1.0 / 60}},
				 none[] = {{"", 1}};
	const struct unit *u = k == FIT_DURATION ? pick_unit(dur, 4, 5, unit, x)
			       : k == FIT_SIZE ? pick_unit(size, 4, 7, unit, x)
			       : k == FIT_RATE ? pick_unit(rate, 1, 2, unit, x)
					       : none;
	if (k == FIT_INT) {
		snprintf(buf, len, "%.0f", rint(x));
		return;
	}
	double v = x / u->mul;
	int digits = 6;
	if (hw > 0 && isfinite(hw) && v != 0) {
		digits = (int)floor(log10(fabs(x) / hw)) + 2;
		digits = digits < 3 ? 3 : digits > 10 ? 10 : digits;
	}
	snprintf(buf, len, "%.*g%s", digits, v, u->name);
	if (strchr(buf, 'e') && fabs(v) >= 1 && fabs(v) < 1e15)
		snprintf(buf, len, "%.0f%s", v, u->name);
}

/* The candidate value of an unknown as --set takes it (SI, full
 * precision). */
void fit__candidate(char *buf, size_t len, const struct fit_unknown *u,
		    double x)
{
	static const char *const si[] = {"s", "/s", "B", "", ""};
	if (u->kind == FIT_INT)
		snprintf(buf, len, "%.0f", rint(x));
	else
		snprintf(buf, len, "%.17g%s", x, si[u->kind]);
}

int fit_find_unknowns(const char *file, const char *text, size_t len,
		      const struct sim_override *ov, size_t nov, FILE *err,
		      struct fit_unknowns *out)
{
	struct finder f = {file, text, len, err, out, 0, 0};
	struct sim_ydoc doc = {0};
	struct sim_yerror ye;
	char path[1024] = "", *msg = NULL;
	const char **vals = NULL;
	bool *bad = NULL, *typed = NULL;
	char(*buf)[64] = NULL;
	int rc;

	*out = (struct fit_unknowns){0};
	rc = sim_yaml_parse(&doc, file, text, len, 0, &ye);
	if (rc == SIM_ESCENARIO) {
		sim_fprintf_safe(err, "%s:%d:%d: error: %s\n", file,
				 ye.mark.line, ye.mark.col, ye.msg);
		return rc;
	}
	if (rc)
		return rc;
	walk(&f, doc.root, path, 0, "");
	sim_yaml_free(&doc);
	if (f.rc || f.nerr) {
		rc = f.rc ? f.rc : SIM_ESCENARIO;
		goto cleanup;
	}
	if (!out->n)
		return 0;
	vals = calloc(out->n, sizeof(*vals));
	bad = calloc(out->n, sizeof(*bad));
	typed = calloc(out->n, sizeof(*typed));
	buf = calloc(out->n, sizeof(*buf));
	if (!vals || !bad || !typed || !buf) {
		rc = SIM_ENOMEM;
		goto cleanup;
	}
	/* every one, bounded too (its bounds give its kind, not whether the
	 * key takes a number: `name: { fit: [1, 2] }` would load as the text
	 * "2"): the first kind whose probe loads; a bare one takes that kind */
	for (int k = 0; k <= FIT_INT + 1; k++) {
		for (int j = 0; j < 2; j++) {
			for (size_t i = 0; i < out->n; i++)
				if (!typed[i])
					vals[i] = probe_of(k, j);
			free(msg);
			rc = fit__probe_load(file, text, len, ov, nov, out,
					     vals, bad, &msg, NULL);
			if (rc == SIM_ENOMEM)
				goto cleanup;
			for (size_t i = 0; i < out->n; i++) {
				if (typed[i] || bad[i])
					continue;
				if (k == 0) {
					ferr(&f, out->v[i].mark,
					     "'fit' needs a key that takes a "
					     "number (a duration, rate, size "
					     "or plain number); this one takes "
					     "text",
					     fit__last_key(out->v[i].path));
					typed[i] = true;
					continue;
				}
				if (!out->v[i].bounded)
					out->v[i].kind = (enum fit_kind)(k - 1);
				typed[i] = true;
			}
		}
		if (k == FIT_INT + 1)
			break;
	}
	for (size_t i = 0; i < out->n; i++)
		if (!typed[i])
			ferr(&f, out->v[i].mark,
			     "'fit' needs a key that takes a number (a "
			     "duration, rate, size or plain number)",
			     fit__last_key(out->v[i].path));
	if (f.nerr) {
		rc = SIM_ESCENARIO;
		goto cleanup;
	}
	/* a bounded plain number: whole when a value between two whole ones
	 * does not load */
	for (size_t i = 0; i < out->n; i++) {
		struct fit_unknown *u = &out->v[i];
		if (u->kind == FIT_NUMBER && u->bounded) {
			snprintf(buf[i], sizeof(buf[i]), "%.17g",
				 floor((u->lo + u->hi) / 2) + 0.5);
			vals[i] = buf[i];
		} else {
			fit__candidate(buf[i], sizeof(buf[i]), u,
				       u->bounded ? u->lo
				       : u->kind == FIT_INT
					   ? 1
					   : 1.5 /* any positive value */);
			vals[i] = u->bounded || u->kind == FIT_INT
				      ? buf[i]
				      : probe_of(u->kind + 1, 0);
		}
	}
	free(msg);
	rc = fit__probe_load(file, text, len, ov, nov, out, vals, bad, &msg,
			     NULL);
	if (rc == SIM_ENOMEM)
		goto cleanup;
	for (size_t i = 0; i < out->n; i++)
		if (out->v[i].kind == FIT_NUMBER && out->v[i].bounded &&
		    bad[i]) {
			out->v[i].kind = FIT_INT;
			fit__candidate(buf[i], sizeof(buf[i]), &out->v[i],
				       out->v[i].lo);
			vals[i] = buf[i];
		}
	/* the bounds themselves must load, HIGH as well as LOW */
	for (int j = 0; j < 2; j++) {
		for (size_t i = 0; i < out->n; i++)
			if (out->v[i].bounded) {
				fit__candidate(buf[i], sizeof(buf[i]),
					       &out->v[i],
					       j ? out->v[i].hi : out->v[i].lo);
				vals[i] = buf[i];
			}
		free(msg);
		rc = fit__probe_load(file, text, len, ov, nov, out, vals, bad,
				     &msg, NULL);
		if (rc == SIM_ESCENARIO) {
			fit__print_mapped(err, msg, out, file);
			goto cleanup;
		}
		if (rc)
			goto cleanup;
	}
	rc = 0;
cleanup:
	free(buf);
	free(msg);
	free(vals);
	free(bad);
	free(typed);
	if (rc)
		fit_unknowns_release(out);
	return rc;
}

void fit_unknowns_release(struct fit_unknowns *u)
{
	for (size_t i = 0; i < u->n; i++)
		free(u->v[i].path);
	free(u->v);
	*u = (struct fit_unknowns){0};
}

/* -------------------------------------------------------- substitute -- */

static int by_offset(const void *a, const void *b)
{
	const struct fit_unknown *x = *(const struct fit_unknown *const *)a,
				 *y = *(const struct fit_unknown *const *)b;
	return x->off < y->off ? -1 : x->off > y->off;
}

int fit_substitute(const char *text, size_t len, const struct fit_unknowns *u,
		   const char *header, char **out, size_t *outlen)
{
	const struct fit_unknown **o = calloc(u->n + 1, sizeof(*o));
	char *buf = NULL;
	size_t sz = 0;
	if (!o)
		return SIM_ENOMEM;
	for (size_t i = 0; i < u->n; i++)
		o[i] = &u->v[i];
	qsort(o, u->n, sizeof(*o), by_offset);
	FILE *f = open_memstream(&buf, &sz);
	if (!f) {
		free(o);
		return SIM_ENOMEM;
	}
	fputs(header, f);
	size_t at = 0;
	for (size_t i = 0; i < u->n; i++) {
		fwrite(text + at, 1, o[i]->off - at, f);
		fputs(o[i]->text, f);
		at = o[i]->end;
	}
	fwrite(text + at, 1, len - at, f);
	int bad = ferror(f);
	fclose(f);
	free(o);
	if (bad) {
		free(buf);
		return SIM_ENOMEM;
	}
	*out = buf;
	*outlen = sz;
	return 0;
}
