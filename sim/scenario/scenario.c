/*
 * scenario.c - the scenario loader: YAML text -> struct sim_scenario.
 *
 * The file is parsed into a small tree (yamldoc.c), the `--set` overrides are
 * grafted onto it, and the tree is read section by section. Every map is
 * read through a table of `struct sim_param` (the same tables models
 * declare), so defaults, types, units, ranges, required keys and unknown
 * keys are handled in one place; the code around the tables only deals
 * with what depends on other keys (which arrival process, which
 * distribution). Problems are printed as they are found, one line each, up
 * to MAX_ERRORS, and the load fails at the end if there were any.
 */
#include "scenario/scenario.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/model.h"
#include "scenario/trace.h"
#include "scenario/yamldoc.h"

#define MAX_ERRORS	 20
#define MAX_SYSTEMS	 1000
#define MAX_CLASSES	 1000
#define MAX_PHASES	 250
#define MAX_USERS	 1e7
#define MAX_REQUESTS	 2e9	/* per replication */
#define MAX_SWEEP_POINTS 100000 /* per parameter */
#define MAX_SWEEP_PARAMS 32
#define MAX_SAMPLES	 10000000
#define MAX_SIM_TIME	 1e9 /* seconds (about 31 years) */
#define MAX_RETRIES	 100

/* Local flag for our own tables: the number must be greater than min. */
#define P_POS 0x100u

#define ATTR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define NELEM(a)	  (sizeof(a) / sizeof((a)[0]))
#define OFF(type, field)  offsetof(type, field)

/* Enums are written through int pointers by the table reader. */
_Static_assert(sizeof(enum sim_arrival_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(enum sim_jitter) == sizeof(int), "enum size");

/* ---------------------------------------------------------- numbers -- */

struct unit {
	const char *name;
	double mul, div; /* value = number * mul / div, one of them 1 */
	bool alias;	 /* accepted, never written */
};

struct ukind {
	const struct unit *units;
	const char *expect, *finite, *range, *negative;
};

static const struct unit dur_units[] = {
    {"ns", 1, 1e9, false}, {"us", 1, 1e6, false}, {"\xc2\xb5s", 1, 1e6, true},
    {"ms", 1, 1e3, false}, {"s", 1, 1, false},	  {"m", 60, 1, true},
    {NULL, 0, 0, false}};
static const struct unit rate_units[] = {
    {"/s", 1, 1, false}, {"/m", 1, 60, false}, {NULL, 0, 0, false}};
static const struct unit size_units[] = {
    {"B", 1, 1, false},		{"KiB", 1024, 1, false},
    {"MiB", 1048576, 1, false}, {"GiB", 1073741824, 1, false},
    {"KB", 1e3, 1, false},	{"MB", 1e6, 1, false},
    {"GB", 1e9, 1, false},	{NULL, 0, 0, false}};

static const struct ukind k_duration = {
    dur_units, "expected a duration with a unit (ns, us, ms, s, m)",
    "expected a finite duration", "duration out of range",
    "expected a duration that is not negative"};
static const struct ukind k_rate = {
    rate_units, "expected a rate with a unit (/s, /m)",
    "expected a finite rate", "rate out of range",
    "expected a rate that is not negative"};
static const struct ukind k_size = {
    size_units, "expected a size with a unit (B, KiB, MiB, GiB)",
    "expected a finite size", "size out of range",
    "expected a size that is not negative"};

enum { NUM_OK, NUM_BAD, NUM_RANGE, NUM_NONFINITE };

/* Length of the decimal number at s ([+-]d[.d][e[+-]d]), 0 if none. */
static size_t scan_number(const char *s)
{
	size_t i = 0, digits = 0;
	if (s[i] == '+' || s[i] == '-')
		i++;
	for (; isdigit((unsigned char)s[i]); i++)
		digits++;
	if (s[i] == '.')
		for (i++; isdigit((unsigned char)s[i]); i++)
			digits++;
	if (!digits)
		return 0;
	if (s[i] == 'e' || s[i] == 'E') {
		size_t j = i + 1 + (s[i + 1] == '+' || s[i + 1] == '-');
		if (isdigit((unsigned char)s[j])) {
			while (isdigit((unsigned char)s[j]))
				j++;
			i = j;
		}
	}
	return i;
}

/* Reads a decimal number at the start of s; *rest points after it. */
static int parse_num(const char *s, double *v, const char **rest)
{
	const char *p = s + (*s == '+' || *s == '-');
	p += *p == '.';
	if (!strncasecmp(p, "nan", 3) || !strncasecmp(p, "inf", 3))
		return NUM_NONFINITE;
	size_t k = scan_number(s);
	if (!k)
		return NUM_BAD;
	char *tmp = strndup(s, k);
	if (!tmp)
		return NUM_RANGE;
	errno = 0;
	*v = strtod(tmp, NULL);
	int overflow = errno == ERANGE && fabs(*v) >= 1;
	free(tmp);
	*rest = s + k;
	return overflow ? NUM_RANGE : NUM_OK;
}

static int parse_unit(const char *s, const struct ukind *k, double *out,
		      const char **why)
{
	double v = 0;
	const char *rest = s;
	switch (parse_num(s, &v, &rest)) {
	case NUM_NONFINITE:
		*why = k->finite;
		return SIM_EINVAL;
	case NUM_RANGE:
		*why = k->range;
		return SIM_EINVAL;
	case NUM_BAD:
		*why = k->expect;
		return SIM_EINVAL;
	}
	while (*rest == ' ')
		rest++;
	for (const struct unit *u = k->units; u->name; u++) {
		if (strcmp(rest, u->name))
			continue;
		double x = u->div != 1 ? v / u->div : v * u->mul;
		if (!isfinite(x)) {
			*why = k->range;
			return SIM_EINVAL;
		}
		if (x < 0) {
			*why = k->negative;
			return SIM_EINVAL;
		}
		*out = x + 0.0; /* no -0 */
		return 0;
	}
	*why = k->expect;
	return SIM_EINVAL;
}

int sim_parse_duration(const char *s, double *out, const char **why)
{
	return parse_unit(s, &k_duration, out, why);
}

int sim_parse_rate(const char *s, double *out, const char **why)
{
	return parse_unit(s, &k_rate, out, why);
}

int sim_parse_size(const char *s, double *out, const char **why)
{
	return parse_unit(s, &k_size, out, why);
}

/* The shortest of %.15g..%.17g that reads back as v exactly. */
static void fmt_double(char *buf, size_t size, double v)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

/* v with the unit that gives the shortest text reading back exactly. */
static void fmt_unit(char *buf, size_t size, double v, const struct ukind *k)
{
	char best[64] = "", num[40], cand[64];
	for (const struct unit *u = k->units; u->name; u++) {
		if (u->alias)
			continue;
		fmt_double(num, sizeof(num),
			   u->div != 1 ? v * u->div : v / u->mul);
		snprintf(cand, sizeof(cand), "%s%s", num, u->name);
		double back;
		const char *why;
		if (parse_unit(cand, k, &back, &why) || back != v)
			continue;
		if (!best[0] || strlen(cand) < strlen(best))
			snprintf(best, sizeof(best), "%s", cand);
	}
	if (!best[0]) { /* cannot happen for finite v >= 0; stay readable */
		fmt_double(num, sizeof(num), v);
		snprintf(best, sizeof(best), "%s%s", num, k->units[0].name);
	}
	snprintf(buf, size, "%s", best);
}

/* v for a message, as a person would write it: in the largest unit that
 * leaves a number of at least 1 and needs no more significant digits than
 * a smaller one ("4ms", "1.5GB", "1048576GiB"), the number in plain digits
 * unless those run past 7 characters ("1e+09s", not "1000000000s" or
 * "1e+18ns"). Reads back as v exactly; 0 and values below the smallest
 * unit are written as fmt_unit writes them. */
static void fmt_human(char *buf, size_t size, double v, const struct ukind *k)
{
	char best[64] = "", cand[64], num[40];
	int bestp = 0;
	double bestn = 0;
	for (const struct unit *u = k->units; v > 0 && u->name; u++) {
		double n = u->div != 1 ? v * u->div : v / u->mul, back;
		const char *why;
		if (u->alias || !(n >= 1))
			continue;
		for (int p = 1; p <= 17; p++) {
			snprintf(cand, sizeof(cand), "%.*g%s", p, n, u->name);
			if (parse_unit(cand, k, &back, &why) || back != v)
				continue;
			if (!best[0] || p < bestp ||
			    (p == bestp && n < bestn)) {
				fmt_double(num, sizeof(num), n);
				snprintf(best, sizeof(best), "%s%s", num,
					 u->name);
				if (strlen(num) > 7 ||
				    parse_unit(best, k, &back, &why) ||
				    back != v)
					snprintf(best, sizeof(best), "%s",
						 cand);
				bestp = p;
				bestn = n;
			}
			break;
		}
	}
	if (best[0])
		snprintf(buf, size, "%s", best);
	else
		fmt_unit(buf, size, v, k);
}

static const struct ukind *ukind_of(enum sim_ptype t)
{
	return t == SIM_PT_DURATION ? &k_duration
	       : t == SIM_PT_RATE   ? &k_rate
	       : t == SIM_PT_SIZE   ? &k_size
				    : NULL;
}

/* A number as the user would write it for a key of type t: exact and
 * short for the resolved scenario, or (human) for a message. */
static void fmt_typed(char *buf, size_t size, enum sim_ptype t, double v,
		      bool human)
{
	const struct ukind *k = ukind_of(t);
	if (k && isfinite(v) && v >= 0 && human)
		fmt_human(buf, size, v, k);
	else if (k && isfinite(v) && v >= 0)
		fmt_unit(buf, size, v, k);
	else
		fmt_double(buf, size, v);
}

/* ----------------------------------------------------------- errors -- */

/* The state of one load. */
struct ld {
	FILE *err;
	int nerr;
	int rc; /* SIM_ENOMEM once memory ran out */
	struct sim_ydoc doc;
	const char *file; /* the scenario's name, for defaults */
	char *dir;	  /* its directory, for relative file names */
};

static void ATTR_PRINTF(3, 4)
    error_at(struct ld *l, struct sim_mark m, const char *fmt, ...)
{
	va_list ap;
	if (++l->nerr > MAX_ERRORS + 1)
		return;
	fprintf(l->err, "%s:%d:%d: error: ", m.file, m.line, m.col);
	if (l->nerr > MAX_ERRORS) {
		fprintf(l->err, "too many errors; stopping\n");
		return;
	}
	va_start(ap, fmt);
	vfprintf(l->err, fmt, ap);
	va_end(ap);
	fputc('\n', l->err);
}

static bool give_up(const struct ld *l)
{
	return l->nerr > MAX_ERRORS || l->rc;
}

static void *nomem(struct ld *l)
{
	l->rc = SIM_ENOMEM;
	return NULL;
}

/* What a node holds, for "got ...": 'text', a map, a list, nothing. */
struct gotbuf {
	char s[64];
};

static struct gotbuf got(const struct sim_ynode *n)
{
	struct gotbuf b;
	size_t j = 0;
	if (sim_ynode_is_null(n) || n->kind != SIM_Y_SCALAR) {
		strcpy(b.s, !n || n->kind == SIM_Y_SCALAR ? "nothing"
			    : n->kind == SIM_Y_MAP	  ? "a map"
							  : "a list");
		return b;
	}
	b.s[j++] = '\'';
	for (size_t i = 0; i < n->len && i < 40; i++)
		b.s[j++] = (unsigned char)n->text[i] < 0x20 ? '?' : n->text[i];
	if (n->len > 40)
		j = (size_t)(stpcpy(b.s + j, "...") - b.s);
	b.s[j++] = '\'';
	b.s[j] = '\0';
	return b;
}

/* A user-given word for a message: short, on one line. */
static struct gotbuf word(const char *s)
{
	struct gotbuf b;
	size_t j = 0;
	for (; s[j] && j < 56; j++)
		b.s[j] = (unsigned char)s[j] < 0x20 ? '?' : s[j];
	strcpy(b.s + j, s[j] ? "..." : "");
	return b;
}

/* Optimal string alignment distance, for "did you mean". */
static size_t edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	if (n > 40 || m > 40)
		return SIZE_MAX;
	size_t d[41][41];
	for (size_t i = 0; i <= n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			size_t c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < c)
				c = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < c)
				c = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < c)
				c = d[i - 2][j - 2] + 1;
			d[i][j] = c;
		}
	return d[n][m];
}

/* Keeps in *best the candidate closest to word (distance at most 2). */
static void consider(const char *word, const char *cand, const char **best,
		     size_t *bestd)
{
	size_t d = edit_distance(word, cand);
	if (d <= 2 && d < strlen(word) && d < *bestd) {
		*best = cand;
		*bestd = d;
	}
}

/* "; did you mean 'x'?" or "" (into buf). */
static const char *suggest(char *buf, size_t size, const char *best)
{
	if (best)
		snprintf(buf, size, "; did you mean '%s'?", best);
	else
		buf[0] = '\0';
	return buf;
}

/* --------------------------------------------------- scalar readers -- */

static bool is_scalar(const struct sim_ynode *n)
{
	return n && n->kind == SIM_Y_SCALAR && !sim_ynode_is_null(n);
}

static const char *expect_of(enum sim_ptype t)
{
	switch (t) {
	case SIM_PT_INT:
		return "expected a whole number";
	case SIM_PT_DOUBLE:
		return "expected a number";
	case SIM_PT_BOOL:
		return "expected true or false";
	case SIM_PT_STRING:
		return "expected a string";
	case SIM_PT_DIST:
		return "expected a distribution (a duration such as 5ms, or a "
		       "map such as {dist: exponential, mean: 5ms})";
	case SIM_PT_SYSTEM:
		return "expected a system (a map with 'model')";
	case SIM_PT_DOUBLES:
		return "expected a list of numbers";
	case SIM_PT_ENUM:
		return "expected one of the listed words";
	default:
		return ukind_of(t)->expect;
	}
}

/* Reads a number (plain number or number with a unit per t). */
static bool read_number(struct ld *l, const char *key, enum sim_ptype t,
			const struct sim_ynode *v, double *x)
{
	const struct ukind *k = ukind_of(t);
	const char *why = expect_of(t), *rest = NULL;
	if (!is_scalar(v) || (!k && !v->plain)) {
		error_at(l, v->mark, "'%s': %s, got %s%s", key, why,
			 is_scalar(v) ? "the string " : "", got(v).s);
		return false;
	}
	if (k) {
		if (!parse_unit(v->text, k, x, &why))
			return true;
	} else {
		switch (parse_num(v->text, x, &rest)) {
		case NUM_OK:
			if (*rest)
				break;
			if (t == SIM_PT_INT && *x != floor(*x))
				break;
			return true;
		case NUM_NONFINITE:
			why = "expected a finite number";
			break;
		case NUM_RANGE:
			why = "number out of range";
			break;
		}
	}
	error_at(l, v->mark, "'%s': %s, got %s", key, why, got(v).s);
	return false;
}

/* min <= x <= max (inclusive; both 0 means unbounded), > min with P_POS. */
static bool check_range(struct ld *l, const char *key, enum sim_ptype t,
			double min, double max, unsigned flags,
			const struct sim_ynode *v, double x)
{
	char a[64], b[64];
	if (t == SIM_PT_INT) {
		min = min < INT_MIN ? INT_MIN : min;
		max = max > INT_MAX || (min == 0 && max == 0) ? INT_MAX : max;
	}
	if ((flags & P_POS) && x <= min) {
		fmt_typed(a, sizeof(a), t, min, true);
		error_at(l, v->mark, "'%s': must be greater than %s, got %s",
			 key, a, got(v).s);
		return false;
	}
	if ((min == 0 && max == 0) || (x >= min && x <= max))
		return true;
	fmt_typed(a, sizeof(a), t, min, true);
	fmt_typed(b, sizeof(b), t, max, true);
	if (max >= 1e300)
		error_at(l, v->mark, "'%s': must be at least %s, got %s", key,
			 a, got(v).s);
	else if (min <= -1e300)
		error_at(l, v->mark, "'%s': must be at most %s, got %s", key, b,
			 got(v).s);
	else
		error_at(l, v->mark, "'%s': must be between %s and %s, got %s",
			 key, a, b, got(v).s);
	return false;
}

static const char *const arrival_aliases[][2] = {{"on-off", "mmpp"}};

/* Index of v's text in a NULL-terminated word list, or -1 (with error). */
static int read_choice(struct ld *l, const char *key,
		       const char *const *choices, const struct sim_ynode *v)
{
	const char *best = NULL, *text = is_scalar(v) ? v->text : "";
	size_t bestd = SIZE_MAX, len = 0;
	char list[256] = "", hint[96];
	for (size_t i = 0; is_scalar(v) && i < NELEM(arrival_aliases); i++)
		if (!strcmp(text, arrival_aliases[i][0]))
			text = arrival_aliases[i][1];
	for (int i = 0; choices[i]; i++) {
		if (is_scalar(v) && !strcmp(text, choices[i]))
			return i;
		if (len < sizeof(list))
			len +=
			    (size_t)snprintf(list + len, sizeof(list) - len,
					     "%s%s", i ? ", " : "", choices[i]);
		consider(text, choices[i], &best, &bestd);
	}
	error_at(l, v->mark, "'%s': expected one of %s, got %s%s", key, list,
		 got(v).s, suggest(hint, sizeof(hint), best));
	return -1;
}

static bool read_bool(struct ld *l, const char *key, const struct sim_ynode *v,
		      bool *out)
{
	static const char *const t[] = {"true", "True", "TRUE"};
	static const char *const f[] = {"false", "False", "FALSE"};
	for (size_t i = 0; is_scalar(v) && v->plain && i < 3; i++) {
		if (!strcmp(v->text, t[i]) || !strcmp(v->text, f[i])) {
			*out = !strcmp(v->text, t[i]);
			return true;
		}
	}
	error_at(l, v->mark, "'%s': expected true or false, got %s", key,
		 got(v).s);
	return false;
}

static char *read_string(struct ld *l, const char *key,
			 const struct sim_ynode *v)
{
	if (!v || v->kind != SIM_Y_SCALAR ||
	    (v->plain && sim_ynode_is_null(v))) {
		error_at(l, v->mark, "'%s': expected a string, got %s", key,
			 got(v).s);
		return NULL;
	}
	char *s = strdup(v->text);
	return s ? s : nomem(l);
}

static bool expect_kind(struct ld *l, const char *key,
			const struct sim_ynode *v, enum sim_ykind kind)
{
	if (v && v->kind == kind)
		return true;
	error_at(l, v->mark, "'%s': expected a %s, got %s", key,
		 kind == SIM_Y_MAP ? "map" : "list", got(v).s);
	return false;
}

/* ------------------------------------------------------ table reader -- */

/* One table applied to one struct. */
struct section {
	const struct sim_param *p;
	size_t np;
	void *base;
	bool *given; /* np flags, or NULL */
};

/* What a nested system needs from the one around it. */
struct vctx {
	const char *sysname;
	bool zero; /* overheads: zero */
};

static int read_system(struct ld *l, const char *key, const struct sim_ynode *v,
		       struct sim_system *sys, const char *defname, bool zero);
static void read_dist(struct ld *l, const char *key, const struct sim_ynode *v,
		      struct sim_dist *d, const struct sim_param *flagp,
		      bool *flag);

static void set_default(const struct sim_param *p, void *base)
{
	char *dst = (char *)base + p->offset;
	switch (p->type) {
	case SIM_PT_INT:
	case SIM_PT_ENUM:
		*(int *)dst = (int)p->def;
		break;
	case SIM_PT_DOUBLE:
	case SIM_PT_DURATION:
	case SIM_PT_RATE:
	case SIM_PT_SIZE:
		*(double *)dst = p->def;
		break;
	case SIM_PT_BOOL:
		*(bool *)dst = p->def != 0;
		break;
	case SIM_PT_STRING:
		*(char **)dst = NULL;
		break;
	case SIM_PT_DIST:
		memset(dst, 0, sizeof(struct sim_dist));
		break;
	case SIM_PT_SYSTEM:
		*(struct sim_system **)dst = NULL;
		break;
	case SIM_PT_DOUBLES:
		memset(dst, 0, sizeof(struct sim_doubles));
		break;
	}
}

/* Reads v as the value of p into base. */
static void read_value(struct ld *l, const struct sim_param *p,
		       const struct sim_ynode *v, void *base,
		       const struct vctx *vc)
{
	char *dst = (char *)base + p->offset;
	double x;
	int i;
	switch (p->type) {
	case SIM_PT_INT:
	case SIM_PT_DOUBLE:
	case SIM_PT_DURATION:
	case SIM_PT_RATE:
	case SIM_PT_SIZE:
		if (!read_number(l, p->key, p->type, v, &x) ||
		    !check_range(l, p->key, p->type, p->min, p->max, p->flags,
				 v, x))
			return;
		if (p->type == SIM_PT_INT)
			*(int *)dst = (int)x;
		else
			*(double *)dst = x;
		return;
	case SIM_PT_BOOL:
		read_bool(l, p->key, v, (bool *)dst);
		return;
	case SIM_PT_ENUM:
		if ((i = read_choice(l, p->key, p->choices, v)) >= 0)
			*(int *)dst = i;
		return;
	case SIM_PT_STRING:
		*(char **)dst = read_string(l, p->key, v);
		return;
	case SIM_PT_DIST:
		read_dist(l, p->key, v, (struct sim_dist *)dst, NULL, NULL);
		return;
	case SIM_PT_SYSTEM: {
		char name[256];
		struct sim_system *sys = calloc(1, sizeof(*sys));
		if (!sys) {
			nomem(l);
			return;
		}
		*(struct sim_system **)dst = sys;
		snprintf(name, sizeof(name), "%s.%s",
			 vc && vc->sysname ? vc->sysname : "system", p->key);
		read_system(l, p->key, v, sys, name, vc && vc->zero);
		return;
	}
	case SIM_PT_DOUBLES: {
		struct sim_doubles *d = (struct sim_doubles *)dst;
		if (!expect_kind(l, p->key, v, SIM_Y_SEQ))
			return;
		if (v->n && !(d->v = calloc(v->n, sizeof(double)))) {
			nomem(l);
			return;
		}
		for (size_t j = 0; j < v->n && !give_up(l); j++)
			if (read_number(l, p->key, SIM_PT_DOUBLE, v->vals[j],
					&x) &&
			    check_range(l, p->key, SIM_PT_DOUBLE, p->min,
					p->max, p->flags, v->vals[j], x))
				d->v[d->n++] = x;
		return;
	}
	}
}

/* Reads the keys of `map` (may be NULL: defaults only) through the tables
 * of `sec`; keys in `extra` are left to the caller; anything else is an
 * unknown key, reported with the closest valid one. `where` completes
 * messages ("in system 'node'"). */
static void read_table(struct ld *l, const struct sim_ynode *map,
		       struct section *sec, size_t nsec,
		       const char *const *extra, const char *where,
		       const struct vctx *vc)
{
	for (size_t s = 0; s < nsec; s++)
		for (size_t i = 0; i < sec[s].np; i++)
			set_default(&sec[s].p[i], sec[s].base);
	for (size_t k = 0; map && k < map->n && !give_up(l); k++) {
		const struct sim_ynode *key = map->keys[k];
		const char *best = NULL;
		size_t bestd = SIZE_MAX;
		bool found = false;
		for (size_t s = 0; s < nsec && !found; s++)
			for (size_t i = 0; i < sec[s].np && !found; i++) {
				const struct sim_param *p = &sec[s].p[i];
				if (strcmp(key->text, p->key)) {
					consider(key->text, p->key, &best,
						 &bestd);
					continue;
				}
				found = true;
				if (sec[s].given)
					sec[s].given[i] = true;
				read_value(l, p, map->vals[k], sec[s].base, vc);
			}
		for (size_t i = 0; extra && extra[i] && !found; i++) {
			found = !strcmp(key->text, extra[i]);
			consider(key->text, extra[i], &best, &bestd);
		}
		if (!found) {
			char hint[96];
			error_at(l, key->mark, "unknown key '%s' %s%s",
				 word(key->text).s, where,
				 suggest(hint, sizeof(hint), best));
		}
	}
	for (size_t s = 0; s < nsec && map; s++)
		for (size_t i = 0; i < sec[s].np; i++)
			if ((sec[s].p[i].flags & SIM_P_REQUIRED) &&
			    !sim_ymap_get(map, sec[s].p[i].key, NULL))
				error_at(l, map->mark, "missing key '%s' %s",
					 sec[s].p[i].key, where);
}

/* Frees what a table put into base (strings, lists, nested systems). */
static void free_system(struct sim_system *sys);

static void release_table(const struct sim_param *p, size_t np, void *base)
{
	for (size_t i = 0; base && i < np; i++) {
		char *dst = (char *)base + p[i].offset;
		switch (p[i].type) {
		case SIM_PT_STRING:
			free(*(char **)dst);
			break;
		case SIM_PT_DIST:
			sim_dist_release((struct sim_dist *)dst);
			break;
		case SIM_PT_SYSTEM:
			free_system(*(struct sim_system **)dst);
			break;
		case SIM_PT_DOUBLES:
			free(((struct sim_doubles *)dst)->v);
			break;
		default:
			break;
		}
	}
}

/* ----------------------------------------------------- distributions -- */

struct dspec {
	double mean, cv;
	int k;
	char *file;
	bool cpu, downstream;
};

static const struct sim_param dist_params[] = {
    {"mean", SIM_PT_DURATION, OFF(struct dspec, mean), 0, 0, MAX_SIM_TIME, 0,
     NULL, "mean"},
    {"cv", SIM_PT_DOUBLE, OFF(struct dspec, cv), 0, 0, 1e6, 0, NULL,
     "coefficient of variation"},
    {"k", SIM_PT_INT, OFF(struct dspec, k), 1, 1, 1000000, 0, NULL,
     "erlang: number of phases"},
    {"file", SIM_PT_STRING, OFF(struct dspec, file), 0, 0, 0, 0, NULL,
     "empirical: CSV of samples in seconds"},
};
/* A phase's own flag beside its distribution. */
static const struct sim_param dist_cpu_param[] = {
    {"cpu", SIM_PT_BOOL, OFF(struct dspec, cpu), 1, 0, 1, 0, NULL,
     "pool: the blocking work burns CPU"},
};
static const struct sim_param dist_downstream_param[] = {
    {"downstream", SIM_PT_BOOL, OFF(struct dspec, downstream), 1, 0, 1, 0, NULL,
     "io: holds a connection of workload.downstream, if any"},
};
enum { D_MEAN, D_CV, D_K, D_FILE };

/* A file name relative to the scenario's directory, made absolute (so
 * that a written scenario still finds it), and checked to be readable.
 * Returns the new path, or NULL after an error. */
static char *resolve(struct ld *l, const char *key, const char *name,
		     const struct sim_ynode *at)
{
	char cwd[4096] = "", *path;
	const char *dir = name[0] == '/' ? "" : l->dir ? l->dir : "";
	struct stat st;
	if (name[0] != '/' && (!l->dir || l->dir[0] != '/') &&
	    !getcwd(cwd, sizeof(cwd)))
		cwd[0] = '\0';
	size_t n = strlen(cwd) + strlen(dir) + strlen(name) + 3;
	if (!(path = malloc(n)))
		return nomem(l);
	snprintf(path, n, "%s%s%s%s%s", cwd, cwd[0] ? "/" : "", dir,
		 dir[0] ? "/" : "", name);
	errno = EISDIR;
	if (access(path, R_OK) || stat(path, &st) || S_ISDIR(st.st_mode)) {
		error_at(l, at->mark, "'%s': cannot read '%s': %s", key, path,
			 strerror(errno));
		free(path);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) { /* a device or a pipe: no end, or hangs */
		error_at(l, at->mark,
			 "'%s': cannot read '%s': not a regular file", key,
			 path);
		free(path);
		return NULL;
	}
	return path;
}

/* Reads samples in seconds from a CSV file (first column; a first line
 * that is not a number is a header). */
static double *read_samples(struct ld *l, const char *path,
			    const struct sim_ynode *at, size_t *n)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, ncap = 0, lineno = 0;
	double *x = NULL;
	size_t got_len;
	int rc;
	*n = 0;
	if (!f) {
		error_at(l, at->mark, "'file': cannot read '%s': %s", path,
			 strerror(errno));
		return NULL;
	}
	while ((rc = sim_read_line(f, &line, &cap, SIM_TRACE_MAX_LINE,
				   &got_len)) > 0) {
		const char *rest;
		double v;
		lineno++;
		line[strcspn(line, ",\r\n")] = '\0';
		char *s = line + strspn(line, " \t");
		if (!*s)
			continue;
		int r = parse_num(s, &v, &rest);
		if (r == NUM_OK)
			rest += strspn(rest, " \t");
		if (r != NUM_OK || *rest || v < 0) {
			if (lineno == 1 && r == NUM_BAD)
				continue; /* header */
			error_at(l, at->mark,
				 "'file': line %zu of '%s': expected a "
				 "number of seconds, got '%.40s'",
				 lineno, path, s);
			goto cleanup;
		}
		if (*n == MAX_SAMPLES) {
			error_at(l, at->mark,
				 "'file': more than %d samples in '%s'",
				 MAX_SAMPLES, path);
			goto cleanup;
		}
		if (*n == ncap) {
			ncap = ncap ? 2 * ncap : 1024;
			double *nx = realloc(x, ncap * sizeof(*x));
			if (!nx) {
				nomem(l);
				goto cleanup;
			}
			x = nx;
		}
		x[(*n)++] = v;
	}
	if (rc < 0) {
		const char *why =
		    rc == SIM_EIO ? strerror(errno)
		    : rc == SIM_ELIMIT
			? "longer than " SIM_STR(SIM_TRACE_MAX_LINE) " bytes"
			: "binary data (a NUL byte)";
		if (rc == SIM_ENOMEM)
			nomem(l);
		else
			error_at(l, at->mark,
				 "'file': line %zu of '%s': %s; expected one "
				 "number of seconds per line",
				 lineno + 1, path, why);
		goto cleanup;
	}
	free(line);
	fclose(f);
	return x;
cleanup:
	free(line);
	fclose(f);
	free(x);
	*n = 0;
	return NULL;
}

/* Kinds whose shape needs a cv. */
static bool needs_cv(enum sim_dist_kind k)
{
	return k != SIM_DIST_CONSTANT && k != SIM_DIST_EXPONENTIAL &&
	       k != SIM_DIST_ERLANG && k != SIM_DIST_EMPIRICAL;
}

/* Reads a distribution: a duration (constant) or a map. With flagp set
 * (a phase's flag: `cpu` for pool phases, `downstream` for io phases), the
 * map may also hold that boolean, stored in *flag (default flagp->def). */
static void read_dist(struct ld *l, const char *key, const struct sim_ynode *v,
		      struct sim_dist *d, const struct sim_param *flagp,
		      bool *flag)
{
	static const char *const extra[] = {"dist", "values", NULL};
	struct dspec ds = {0};
	bool given[NELEM(dist_params)] = {false}, flag_given = false;
	struct section sec[2] = {{dist_params, NELEM(dist_params), &ds, given},
				 {flagp, 1, &ds, &flag_given}};
	bool *on_cpu = flag;
	const char *why = NULL;
	char where[128];
	double *x = NULL;
	size_t n = 0;
	int kind = SIM_DIST_EXPONENTIAL, nerr = l->nerr;

	memset(d, 0, sizeof(*d));
	if (on_cpu)
		*on_cpu = flagp->def != 0;
	if (is_scalar(v)) {
		double mean;
		if (parse_unit(v->text, &k_duration, &mean, &why))
			error_at(l, v->mark,
				 "'%s': %s or a distribution map, "
				 "got %s",
				 key, why, got(v).s);
		/* the bound of `mean` in a map (found by fuzzing: a larger
		 * constant was written back as a map that did not load) */
		else if (check_range(l, key, SIM_PT_DURATION,
				     dist_params[D_MEAN].min,
				     dist_params[D_MEAN].max, 0, v, mean) &&
			 sim_dist_set(d, SIM_DIST_CONSTANT, mean, 0, &why))
			error_at(l, v->mark, "'%s': %s", key, why);
		return;
	}
	if (!v || v->kind != SIM_Y_MAP) {
		error_at(l, v->mark, "'%s': %s, got %s", key,
			 expect_of(SIM_PT_DIST), got(v).s);
		return;
	}
	snprintf(where, sizeof(where), "in distribution '%s'", key);
	read_table(l, v, sec, on_cpu ? 2 : 1, extra, where, NULL);
	if (on_cpu)
		*on_cpu = *(const bool *)((const char *)&ds + flagp->offset);
	const struct sim_ynode *kn = sim_ymap_get(v, "dist", NULL);
	if (kn) {
		const char *names[SIM_DIST_NKINDS + 1];
		for (int i = 0; i < SIM_DIST_NKINDS; i++)
			names[i] = sim_dist_names[i];
		names[SIM_DIST_NKINDS] = NULL;
		kind = read_choice(l, "dist", names, kn);
	}
	if (kind < 0 || l->nerr > nerr)
		goto cleanup;

	/* which keys go with which kind */
	const struct sim_ynode *vals = sim_ymap_get(v, "values", NULL);
	const char *bad = NULL, *need = NULL;
	bool erlang = kind == SIM_DIST_ERLANG;
	if (kind == SIM_DIST_EMPIRICAL) {
		if (given[D_MEAN] || given[D_CV] || given[D_K])
			bad = given[D_MEAN] ? "mean" : given[D_CV] ? "cv" : "k";
		else if (given[D_FILE] && vals)
			bad = "values";
		else if (!given[D_FILE] && !vals)
			need = "file' or 'values";
	} else {
		if (given[D_FILE] || vals)
			bad = given[D_FILE] ? "file" : "values";
		else if (given[D_K] && !erlang)
			bad = "k";
		else if (given[D_CV] && erlang)
			bad = "cv";
		else if (!given[D_MEAN])
			need = "mean";
		else if (needs_cv(kind) && !given[D_CV])
			need = "cv";
		else if (erlang && !given[D_K])
			need = "k";
	}
	if (bad) {
		size_t i;
		sim_ymap_get(v, bad, &i);
		error_at(l, v->keys[i]->mark,
			 "'%s' does not apply to a%s %s distribution%s", bad,
			 strchr("aeiou", sim_dist_names[kind][0]) ? "n" : "",
			 sim_dist_names[kind],
			 erlang ? " (give 'k'; cv is 1/sqrt(k))" : "");
		goto cleanup;
	}
	if (need) {
		error_at(l, v->mark, "missing key '%s' %s (%s needs it)", need,
			 where, sim_dist_names[kind]);
		goto cleanup;
	}
	if ((kind == SIM_DIST_CONSTANT && given[D_CV] && ds.cv != 0) ||
	    (kind == SIM_DIST_EXPONENTIAL && given[D_CV] && ds.cv != 1)) {
		size_t i;
		sim_ymap_get(v, "cv", &i);
		error_at(l, v->vals[i]->mark,
			 "'cv': a%s %s distribution has cv %d, got %s",
			 kind == SIM_DIST_EXPONENTIAL ? "n" : "",
			 sim_dist_names[kind], kind == SIM_DIST_EXPONENTIAL,
			 got(v->vals[i]).s);
		goto cleanup;
	}
	if (kind != SIM_DIST_EMPIRICAL) {
		double cv = kind == SIM_DIST_EXPONENTIAL ? 1
			    : kind == SIM_DIST_ERLANG	 ? 1 / sqrt(ds.k)
							 : ds.cv;
		if (sim_dist_set(d, (enum sim_dist_kind)kind, ds.mean, cv,
				 &why))
			error_at(l, v->mark, "'%s': %s", key, why);
		goto cleanup;
	}
	if (vals) {
		if (!expect_kind(l, "values", vals, SIM_Y_SEQ))
			goto cleanup;
		if (vals->n && !(x = calloc(vals->n, sizeof(*x)))) {
			nomem(l);
			goto cleanup;
		}
		for (size_t i = 0; i < vals->n && !give_up(l); i++)
			if (read_number(l, "values", SIM_PT_DURATION,
					vals->vals[i], &x[n]))
				n++;
		if (l->nerr > nerr)
			goto cleanup;
	} else {
		size_t i;
		sim_ymap_get(v, "file", &i);
		char *path = resolve(l, "file", ds.file, v->vals[i]);
		if (path)
			x = read_samples(l, path, v->vals[i], &n);
		free(path);
		if (l->nerr > nerr || l->rc)
			goto cleanup;
	}
	if (sim_dist_set_empirical(d, x, n, &why))
		error_at(l, v->mark, "'%s': %s", key,
			 why ? why : "cannot build the distribution");
cleanup:
	free(x);
	free(ds.file);
}

/* ------------------------------------------------------------ systems -- */

static const struct sim_param host_params[] = {
    {"cores", SIM_PT_INT, OFF(struct sim_host_cfg, cores), 1, 1, 4096, 0, NULL,
     "CPU cores of the host"},
    {"quantum", SIM_PT_DURATION, OFF(struct sim_host_cfg, quantum), 0.004, 0,
     3600, 0, NULL, "scheduler time slice; 0 = processor sharing"},
    {"context_switch", SIM_PT_DURATION,
     OFF(struct sim_host_cfg, context_switch), 2e-6, 0, 1, SIM_P_OVERHEAD, NULL,
     "cost of switching a core to another thread"},
    {"memory", SIM_PT_SIZE, OFF(struct sim_host_cfg, memory), 0, 0,
     1099511627776.0 * 1024, 0, NULL, "memory limit; 0 = none"},
};

static void free_system_fields(struct sim_system *sys)
{
	if (sys->model)
		release_table(sys->model->params, sys->model->nparams,
			      sys->config);
	free(sys->config);
	free(sys->name);
	memset(sys, 0, sizeof(*sys));
}

static void free_system(struct sim_system *sys)
{
	if (!sys)
		return;
	free_system_fields(sys);
	free(sys);
}

static void set_zero(const struct sim_param *p, void *base)
{
	char *dst = (char *)base + p->offset;
	if (p->type == SIM_PT_INT || p->type == SIM_PT_ENUM)
		*(int *)dst = 0;
	else if (p->type == SIM_PT_BOOL)
		*(bool *)dst = false;
	else if (p->type != SIM_PT_STRING && p->type != SIM_PT_DIST &&
		 p->type != SIM_PT_SYSTEM && p->type != SIM_PT_DOUBLES)
		*(double *)dst = 0;
}

/* The model named by v, or NULL after an error listing close names. */
static const struct sim_model_ops *find_model(struct ld *l,
					      const struct sim_ynode *v)
{
	const struct sim_model_ops *m;
	const char *best = NULL;
	size_t bestd = SIZE_MAX, len = 0;
	char known[512] = "";
	if (!is_scalar(v)) {
		error_at(l, v->mark, "'model': expected a model name, got %s",
			 got(v).s);
		return NULL;
	}
	if ((m = sim_model_find(v->text)))
		return m;
	for (size_t i = 0; sim_models[i]; i++) {
		consider(v->text, sim_models[i]->name, &best, &bestd);
		if (len < sizeof(known))
			len += (size_t)snprintf(
			    known + len, sizeof(known) - len, "%s%s",
			    i ? ", " : "", sim_models[i]->name);
	}
	if (best)
		error_at(l, v->mark, "unknown model '%s'; did you mean '%s'?",
			 word(v->text).s, best);
	else
		error_at(l, v->mark, "unknown model '%s'; known models: %s",
			 word(v->text).s, known);
	return NULL;
}

/* Reads a system map: name (or defname), model, host keys, the model's
 * own keys, then the model's validate hook. Returns 0 or -1 on error
 * (reported); the fields filled so far are owned by sys. */
static int read_system(struct ld *l, const char *key, const struct sim_ynode *v,
		       struct sim_system *sys, const char *defname, bool zero)
{
	static const char *const extra[] = {"name", "model", "overheads", NULL};
	static const char *const overheads[] = {"default", "zero", NULL};
	const struct sim_ynode *n;
	bool host_given[NELEM(host_params)] = {false}, *given = NULL;
	char where[320];
	int nerr = l->nerr;

	sys->mark = v ? v->mark : (struct sim_mark){l->file, 1, 1};
	if (!expect_kind(l, key, v, SIM_Y_MAP))
		return -1;
	if ((n = sim_ymap_get(v, "name", NULL))) {
		if ((sys->name = read_string(l, "name", n)) && !sys->name[0])
			error_at(l, n->mark, "'name': must not be empty");
	} else if (defname && !(sys->name = strdup(defname)))
		nomem(l);
	if (sys->name)
		snprintf(where, sizeof(where), "in system '%s'",
			 word(sys->name).s);
	else
		snprintf(where, sizeof(where), "in a system");
	if (!defname && !n)
		error_at(l, v->mark, "missing key 'name' %s", where);
	if (!(n = sim_ymap_get(v, "model", NULL))) {
		error_at(l, v->mark, "missing key 'model' %s", where);
		return -1;
	}
	if (!(sys->model = find_model(l, n)))
		return -1;
	if ((n = sim_ymap_get(v, "overheads", NULL))) {
		int z = read_choice(l, "overheads", overheads, n);
		zero = z < 0 ? zero : z == 1;
	}
	const struct sim_model_ops *m = sys->model;
	sys->config = calloc(1, m->config_size ? m->config_size : 1);
	given = calloc(m->nparams + 1, sizeof(*given));
	if (!sys->config || !given) {
		free(given);
		return nomem(l), -1;
	}
	struct section sec[2] = {
	    {host_params, NELEM(host_params), &sys->host, host_given},
	    {m->params, m->nparams, sys->config, given}};
	struct vctx vc = {sys->name, zero};
	read_table(l, v, sec, 2, extra, where, &vc);
	for (size_t s = 0; zero && s < 2; s++)
		for (size_t i = 0; i < sec[s].np; i++)
			if ((sec[s].p[i].flags & SIM_P_OVERHEAD) &&
			    !sec[s].given[i])
				set_zero(&sec[s].p[i], sec[s].base);
	free(given);
	if (l->nerr == nerr && m->validate) {
		const char *why = m->validate(sys);
		if (why)
			error_at(l, sys->mark, "system '%s': %s",
				 sys->name ? sys->name : m->name, why);
	}
	return l->nerr == nerr && !l->rc ? 0 : -1;
}

/* Checks that names[i] (top-level system or class names) are unique and
 * usable in a `--set` path. */
static void check_names(struct ld *l, const char *what,
			const struct sim_ynode *seq, char *const *names,
			size_t stride)
{
	for (size_t i = 0; i < seq->n && !give_up(l); i++) {
		const char *a =
		    *(char *const *)((const char *)names + i * stride);
		const struct sim_ynode *an =
		    sim_ymap_get(seq->vals[i], "name", NULL);
		if (!a || !an)
			continue;
		if (strchr(a, '.'))
			error_at(l, an->mark,
				 "'name': %s names cannot contain '.' (they "
				 "are used in --set paths), got %s",
				 what, got(an).s);
		for (size_t j = 0; j < i; j++) {
			const char *b =
			    *(char *const *)((const char *)names + j * stride);
			const struct sim_ynode *bn =
			    sim_ymap_get(seq->vals[j], "name", NULL);
			if (b && !strcmp(a, b)) {
				error_at(l, an->mark,
					 "duplicate %s name '%s' (first at "
					 "line %d)",
					 what, word(a).s, bn->mark.line);
				break;
			}
		}
	}
}

static void read_systems(struct ld *l, const struct sim_ynode *v,
			 struct sim_scenario *sc)
{
	if (!expect_kind(l, "systems", v, SIM_Y_SEQ))
		return;
	if (v->n == 0) {
		error_at(l, v->mark, "'systems': expected at least one system");
		return;
	}
	if (v->n > MAX_SYSTEMS) {
		error_at(l, v->mark,
			 "'systems': %zu systems; at most %d can be compared "
			 "in one scenario",
			 v->n, MAX_SYSTEMS);
		return;
	}
	if (!(sc->systems = calloc(v->n, sizeof(*sc->systems)))) {
		nomem(l);
		return;
	}
	sc->nsystems = v->n;
	for (size_t i = 0; i < v->n && !give_up(l); i++)
		read_system(l, "systems", v->vals[i], &sc->systems[i], NULL,
			    false);
	check_names(l, "system", v, &sc->systems[0].name,
		    sizeof(struct sim_system));
}

/* ----------------------------------------------------------- workload -- */

static const char *const arrival_names[] = {"poisson", "constant", "mmpp",
					    "diurnal", "trace",	   NULL};

static const struct sim_param arrival_params[] = {
    {"process", SIM_PT_ENUM, OFF(struct sim_arrivals, kind), SIM_ARR_POISSON, 0,
     0, 0, arrival_names, "arrival process"},
    {"rate", SIM_PT_RATE, OFF(struct sim_arrivals, rate), 0, 0, INFINITY, P_POS,
     NULL, "mean arrival rate"},
    {"rate_off", SIM_PT_RATE, OFF(struct sim_arrivals, rate_off), 0, 0,
     INFINITY, 0, NULL, "mmpp: rate while off"},
    {"mean_on", SIM_PT_DURATION, OFF(struct sim_arrivals, mean_on), 0, 0,
     MAX_SIM_TIME, P_POS, NULL, "mmpp: mean length of a burst"},
    {"mean_off", SIM_PT_DURATION, OFF(struct sim_arrivals, mean_off), 0, 0,
     MAX_SIM_TIME, P_POS, NULL, "mmpp: mean time between bursts"},
    {"period", SIM_PT_DURATION, OFF(struct sim_arrivals, period), 0, 0,
     MAX_SIM_TIME, P_POS, NULL, "diurnal: period of the cycle"},
    {"amplitude", SIM_PT_DOUBLE, OFF(struct sim_arrivals, amplitude), 0.5, 0, 1,
     0, NULL, "diurnal: relative swing of the rate"},
    {"file", SIM_PT_STRING, OFF(struct sim_arrivals, file), 0, 0, 0, 0, NULL,
     "trace: CSV written by `concsim trace`"},
    {"speed", SIM_PT_DOUBLE, OFF(struct sim_arrivals, speed), 1, 0, 1e6, P_POS,
     NULL, "trace: replay speed factor"},
};

#define A(k)  (1u << SIM_ARR_##k)
#define A_ALL (A(POISSON) | A(CONSTANT) | A(MMPP) | A(DIURNAL) | A(TRACE))
/* Which processes each key of arrival_params (then schedule) goes with. */
static const struct {
	unsigned allow, need;
} arrival_rules[] = {
    {A_ALL, 0},		{A_ALL & ~A(TRACE), A_ALL & ~A(TRACE)},
    {A(MMPP), 0},	{A(MMPP), A(MMPP)},
    {A(MMPP), A(MMPP)}, {A(DIURNAL), A(DIURNAL)},
    {A(DIURNAL), 0},	{A(TRACE), A(TRACE)},
    {A(TRACE), 0},
};
_Static_assert(NELEM(arrival_rules) == NELEM(arrival_params), "rules");

static const struct sim_param step_params[] = {
    {"at", SIM_PT_DURATION, OFF(struct sim_rate_step, at), 0, 0, MAX_SIM_TIME,
     SIM_P_REQUIRED, NULL, "time of the change"},
    {"rate", SIM_PT_RATE, OFF(struct sim_rate_step, rate), 0, 0, INFINITY,
     SIM_P_REQUIRED, NULL, "rate from then on"},
};

static void read_schedule(struct ld *l, const struct sim_ynode *v,
			  struct sim_arrivals *a)
{
	if (!expect_kind(l, "schedule", v, SIM_Y_SEQ) || !v->n)
		return;
	if (!(a->schedule = calloc(v->n, sizeof(*a->schedule)))) {
		nomem(l);
		return;
	}
	a->nschedule = v->n;
	for (size_t i = 0; i < v->n && !give_up(l); i++) {
		const struct sim_ynode *e = v->vals[i];
		struct section sec = {step_params, NELEM(step_params),
				      &a->schedule[i], NULL};
		int nerr = l->nerr;
		if (!expect_kind(l, "schedule", e, SIM_Y_MAP))
			continue;
		read_table(l, e, &sec, 1, NULL, "in a schedule entry", NULL);
		if (l->nerr == nerr && i > 0 &&
		    a->schedule[i].at <= a->schedule[i - 1].at) {
			const struct sim_ynode *at =
			    sim_ymap_get(e, "at", NULL);
			error_at(
			    l, at->mark,
			    "'at': schedule times must increase, got %s "
			    "after %s",
			    got(at).s,
			    got(sim_ymap_get(v->vals[i - 1], "at", NULL)).s);
		}
	}
}

static void read_arrivals(struct ld *l, const struct sim_ynode *v,
			  struct sim_arrivals *a)
{
	static const char *const extra[] = {"schedule", NULL};
	bool given[NELEM(arrival_params)] = {false};
	struct section sec = {arrival_params, NELEM(arrival_params), a, given};
	int nerr = l->nerr;
	a->mark = v ? v->mark : a->mark;
	if (!expect_kind(l, "arrivals", v, SIM_Y_MAP))
		return;
	read_table(l, v, &sec, 1, extra, "in 'workload.arrivals'", NULL);
	const char *proc = arrival_names[a->kind];
	for (size_t i = 0; l->nerr == nerr && i < NELEM(arrival_params); i++) {
		size_t k;
		if (given[i] && !(arrival_rules[i].allow & (1u << a->kind))) {
			sim_ymap_get(v, arrival_params[i].key, &k);
			error_at(l, v->keys[k]->mark,
				 "'%s' does not apply to process '%s'",
				 arrival_params[i].key, proc);
		} else if (!given[i] &&
			   (arrival_rules[i].need & (1u << a->kind)))
			error_at(l, v->mark,
				 "missing key '%s' in 'workload.arrivals' "
				 "(process '%s' needs it)",
				 arrival_params[i].key, proc);
	}
	size_t si;
	const struct sim_ynode *s = sim_ymap_get(v, "schedule", &si);
	if (s && a->kind == SIM_ARR_TRACE)
		error_at(l, v->keys[si]->mark,
			 "'schedule' does not apply to process 'trace'");
	else if (s)
		read_schedule(l, s, a);
	if (a->file && l->nerr == nerr) {
		char *path =
		    resolve(l, "file", a->file, sim_ymap_get(v, "file", NULL));
		free(a->file);
		a->file = path;
	}
}

struct closed_spec {
	int users;
	struct sim_dist think;
	bool co;
};

static const struct sim_param closed_params[] = {
    {"users", SIM_PT_INT, OFF(struct closed_spec, users), 0, 1, MAX_USERS,
     SIM_P_REQUIRED, NULL, "closed loop: number of users"},
    {"think", SIM_PT_DIST, OFF(struct closed_spec, think), 0, 0, 0, 0, NULL,
     "closed loop: think time between requests (default none)"},
    {"coordinated_omission", SIM_PT_BOOL, OFF(struct closed_spec, co), 0, 0, 1,
     0, NULL,
     "also run an open workload at the achieved throughput and report the "
     "gap"},
};

static const char *const jitter_names[] = {"none", "full", "equal", NULL};

static const struct sim_param client_params[] = {
    {"timeout", SIM_PT_DURATION, OFF(struct sim_client, timeout), 0, 0,
     MAX_SIM_TIME, 0, NULL, "client timeout; 0 = none"},
    {"cancel", SIM_PT_BOOL, OFF(struct sim_client, cancel), 0, 0, 1, 0, NULL,
     "server drops abandoned work"},
    {"deadline", SIM_PT_DURATION, OFF(struct sim_client, deadline), 0, 0,
     MAX_SIM_TIME, 0, NULL, "goodput deadline; 0 = the timeout"},
};

static const struct sim_param retry_params[] = {
    {"max", SIM_PT_INT, OFF(struct sim_client, retries), 0, 0, MAX_RETRIES,
     SIM_P_REQUIRED, NULL, "extra attempts after the first"},
    {"backoff", SIM_PT_DURATION, OFF(struct sim_client, backoff), 0.1, 0,
     MAX_SIM_TIME, 0, NULL, "first backoff"},
    {"multiplier", SIM_PT_DOUBLE, OFF(struct sim_client, multiplier), 2, 1, 1e6,
     0, NULL, "backoff growth per attempt"},
    {"jitter", SIM_PT_ENUM, OFF(struct sim_client, jitter), SIM_JITTER_FULL, 0,
     0, 0, jitter_names, "backoff jitter"},
    {"budget", SIM_PT_DOUBLE, OFF(struct sim_client, retry_budget), 0, 0, 1, 0,
     NULL, "max retries per request; 0 = unlimited"},
};

static void read_client(struct ld *l, const struct sim_ynode *v,
			struct sim_client *c)
{
	static const char *const extra[] = {"retries", NULL};
	struct section sec = {client_params, NELEM(client_params), c, NULL};
	struct section rsec = {retry_params, NELEM(retry_params), c, NULL};
	const struct sim_ynode *r = sim_ymap_get(v, "retries", NULL);
	if (v && !expect_kind(l, "client", v, SIM_Y_MAP))
		return;
	read_table(l, v, &sec, 1, extra, "in 'workload.client'", NULL);
	if (r && r->kind == SIM_Y_MAP) {
		read_table(l, r, &rsec, 1, NULL, "in 'workload.client.retries'",
			   NULL);
		return;
	}
	read_table(l, NULL, &rsec, 1, NULL, "", NULL); /* defaults */
	if (is_scalar(r))
		read_value(l, &retry_params[0], r, c, NULL);
	else if (r)
		error_at(l, r->mark,
			 "'retries': expected a whole number or a map "
			 "{max, backoff, ...}, got %s",
			 got(r).s);
}

struct class_spec {
	char *name;
	double weight;
	int handler;
};

static const char *const handler_names[] = {"async", "sync", NULL};

static const struct sim_param class_params[] = {
    {"name", SIM_PT_STRING, OFF(struct class_spec, name), 0, 0, 0,
     SIM_P_REQUIRED, NULL, "class name"},
    {"weight", SIM_PT_DOUBLE, OFF(struct class_spec, weight), 1, 0, 1e12, P_POS,
     NULL, "relative share of requests"},
    {"handler", SIM_PT_ENUM, OFF(struct class_spec, handler), 0, 0, 0, 0,
     handler_names, "sync handlers run in a threadpool on async models"},
};

static const char *const phase_names[] = {"cpu", "io", "pool", NULL};

static void read_phases(struct ld *l, const struct sim_ynode *v,
			struct sim_class *c)
{
	if (!v) {
		error_at(l, c->mark, "missing key 'phases' in class '%s'",
			 c->name ? c->name : "?");
		return;
	}
	if (!expect_kind(l, "phases", v, SIM_Y_SEQ))
		return;
	if (v->n == 0 || v->n > MAX_PHASES) {
		error_at(l, v->mark,
			 "'phases': expected 1 to %d phases, got %zu",
			 MAX_PHASES, v->n);
		return;
	}
	if (!(c->phases = calloc(v->n, sizeof(*c->phases)))) {
		nomem(l);
		return;
	}
	c->nphases = v->n;
	for (size_t i = 0; i < v->n && !give_up(l); i++) {
		const struct sim_ynode *p = v->vals[i];
		struct sim_phase *ph = &c->phases[i];
		int k = 0;
		if (p->kind != SIM_Y_MAP || p->n != 1) {
			error_at(l, p->mark,
				 "a phase is a map with one key (cpu, io or "
				 "pool), got %s",
				 p->kind != SIM_Y_MAP ? got(p).s
				 : p->n		      ? "several keys"
						      : "an empty map");
			continue;
		}
		while (phase_names[k] &&
		       strcmp(phase_names[k], p->keys[0]->text))
			k++;
		if (!phase_names[k]) {
			const char *best = NULL;
			size_t bestd = SIZE_MAX;
			char hint[96];
			for (k = 0; phase_names[k]; k++)
				consider(p->keys[0]->text, phase_names[k],
					 &best, &bestd);
			error_at(l, p->keys[0]->mark,
				 "unknown phase kind '%s'; expected cpu, io "
				 "or pool%s",
				 word(p->keys[0]->text).s,
				 suggest(hint, sizeof(hint), best));
			continue;
		}
		ph->kind = (enum sim_phase_kind)k;
		ph->on_cpu = ph->kind != SIM_PHASE_IO;
		if (ph->kind == SIM_PHASE_POOL)
			read_dist(l, phase_names[k], p->vals[0], &ph->dist,
				  dist_cpu_param, &ph->on_cpu);
		else if (ph->kind == SIM_PHASE_IO)
			read_dist(l, phase_names[k], p->vals[0], &ph->dist,
				  dist_downstream_param, &ph->downstream);
		else
			read_dist(l, phase_names[k], p->vals[0], &ph->dist,
				  NULL, NULL);
	}
}

static void read_classes(struct ld *l, const struct sim_ynode *v,
			 struct sim_workload *w)
{
	static const char *const extra[] = {"phases", NULL};
	if (!expect_kind(l, "classes", v, SIM_Y_SEQ))
		return;
	if (v->n == 0 || v->n > MAX_CLASSES) {
		error_at(l, v->mark,
			 "'classes': expected 1 to %d request classes, got "
			 "%zu",
			 MAX_CLASSES, v->n);
		return;
	}
	if (!(w->classes = calloc(v->n, sizeof(*w->classes)))) {
		nomem(l);
		return;
	}
	w->nclasses = v->n;
	for (size_t i = 0; i < v->n && !give_up(l); i++) {
		const struct sim_ynode *e = v->vals[i];
		struct sim_class *c = &w->classes[i];
		struct class_spec cs = {0};
		struct section sec = {class_params, NELEM(class_params), &cs,
				      NULL};
		char where[320];
		c->mark = e->mark;
		if (!expect_kind(l, "classes", e, SIM_Y_MAP))
			continue;
		const struct sim_ynode *n = sim_ymap_get(e, "name", NULL);
		snprintf(where, sizeof(where), "in class %s",
			 is_scalar(n) ? got(n).s : "(unnamed)");
		read_table(l, e, &sec, 1, extra, where, NULL);
		c->name = cs.name;
		c->weight = cs.weight;
		c->sync = cs.handler == 1;
		if (c->name && !c->name[0])
			error_at(l, n->mark, "'name': must not be empty");
		read_phases(l, sim_ymap_get(e, "phases", NULL), c);
	}
	check_names(l, "class", v, &w->classes[0].name,
		    sizeof(struct sim_class));
}

static const struct sim_param downstream_params[] = {
    {"connections", SIM_PT_INT, OFF(struct sim_downstream, connections), 0, 1,
     1000000, SIM_P_REQUIRED, NULL, "connections of the shared pool"},
};

static void read_workload(struct ld *l, const struct sim_ynode *v,
			  struct sim_workload *w)
{
	static const char *const extra[] = {"arrivals", "classes",    "client",
					    "closed",	"downstream", NULL};
	const struct sim_ynode *a, *c, *n;
	if (!expect_kind(l, "workload", v, SIM_Y_MAP))
		return;
	read_table(l, v, NULL, 0, extra, "in 'workload'", NULL);
	a = sim_ymap_get(v, "arrivals", NULL);
	c = sim_ymap_get(v, "closed", NULL);
	if (a && c) {
		size_t i;
		sim_ymap_get(v, "closed", &i);
		error_at(l, v->keys[i]->mark,
			 "'workload': give either 'arrivals' or 'closed', "
			 "not both");
	} else if (!a && !c)
		error_at(l, v->mark,
			 "missing key 'arrivals' (open workload) or 'closed' "
			 "(closed loop) in 'workload'");
	else if (a)
		read_arrivals(l, a, &w->arrivals);
	else if (expect_kind(l, "closed", c, SIM_Y_MAP)) {
		struct closed_spec cs = {0};
		struct section sec = {closed_params, NELEM(closed_params), &cs,
				      NULL};
		read_table(l, c, &sec, 1, NULL, "in 'workload.closed'", NULL);
		w->closed.users = (uint32_t)cs.users;
		w->closed.think = cs.think;
		w->closed.coordinated_omission = cs.co;
		w->arrivals.mark = c->mark;
	}
	read_client(l, sim_ymap_get(v, "client", NULL), &w->client);
	if (!(n = sim_ymap_get(v, "classes", NULL)))
		error_at(l, v->mark, "missing key 'classes' in 'workload'");
	else
		read_classes(l, n, w);
	if ((n = sim_ymap_get(v, "downstream", NULL)) &&
	    expect_kind(l, "downstream", n, SIM_Y_MAP)) {
		struct section sec = {downstream_params, 1, &w->downstream,
				      NULL};
		read_table(l, n, &sec, 1, NULL, "in 'workload.downstream'",
			   NULL);
	}
	/* a replayed trace must fit the classes: check every row now, so
	 * that `run` never stops half-way on a bad one */
	if (a && w->arrivals.kind == SIM_ARR_TRACE && w->arrivals.file &&
	    w->nclasses && l->nerr == 0) {
		int rc = sim_trace_check(w->arrivals.file, w, l->err);
		if (rc == SIM_ENOMEM)
			l->rc = SIM_ENOMEM;
		else if (rc < 0)
			l->nerr++;
	}
}

/* ----------------------------------------------------------- overrides -- */

/* The noun for items of a list, by the key that holds it. */
static const char *item_noun(const char *key)
{
	return !strcmp(key, "systems")	  ? "system"
	       : !strcmp(key, "classes")  ? "class"
	       : !strcmp(key, "phases")	  ? "phase"
	       : !strcmp(key, "schedule") ? "schedule entry"
					  : "item";
}

/* Returns a copy of n (NULL: missing) with `value` at dotted `path`;
 * nodes along the path are copied, so n itself and any alias of it are
 * left alone. NULL with a message in msg when the path does not fit. */
static struct sim_ynode *set_path(struct ld *l, const struct sim_ynode *n,
				  const char *path, const char *key,
				  struct sim_ynode *value, char *msg,
				  size_t size)
{
	const char *dot = strchr(path, '.');
	size_t len = dot ? (size_t)(dot - path) : strlen(path);
	char *comp = strndup(path, len);
	struct sim_ynode *c = NULL, *child = NULL, *sub;
	size_t i = 0;

	if (!comp)
		return nomem(l);
	if (!len) {
		snprintf(msg, size, "empty key in the path");
		goto cleanup;
	}
	if (sim_ynode_is_null(n))
		c = sim_ynode_new(&l->doc, SIM_Y_MAP, NULL, value->mark);
	else if (n->kind == SIM_Y_SCALAR) {
		snprintf(msg, size,
			 "'%s' is a single value, not a map or a list", key);
		goto cleanup;
	} else
		c = sim_ynode_clone(&l->doc, n);
	if (!c) {
		nomem(l);
		goto cleanup;
	}
	if (c->kind == SIM_Y_MAP) {
		child = sim_ymap_get(c, comp, &i);
		if (!child) {
			struct sim_ynode *k = sim_ynode_new(
			    &l->doc, SIM_Y_SCALAR, comp, value->mark);
			if (!k || sim_ynode_append(c, k, NULL)) {
				c = nomem(l);
				goto cleanup;
			}
			i = c->n - 1;
		}
	} else {
		char *end = comp;
		for (i = 0; i < c->n; i++) {
			const struct sim_ynode *nm =
			    sim_ymap_get(c->vals[i], "name", NULL);
			if (nm && nm->kind == SIM_Y_SCALAR &&
			    !strcmp(nm->text, comp))
				break;
		}
		if (i == c->n) {
			errno = 0;
			unsigned long idx = strtoul(comp, &end, 10);
			if (isdigit((unsigned char)comp[0]) && !*end &&
			    !errno && idx < c->n)
				i = idx;
		}
		if (i == c->n && isdigit((unsigned char)comp[0]) && !*end)
			snprintf(msg, size, "no %s at index %s (there are %zu)",
				 item_noun(key), comp, c->n);
		else if (i == c->n)
			snprintf(msg, size, "no %s named '%s'", item_noun(key),
				 comp);
		if (i == c->n) {
			c = NULL;
			goto cleanup;
		}
		child = c->vals[i];
	}
	sub = dot ? set_path(l, child, dot + 1, comp, value, msg, size) : value;
	if (!sub)
		c = NULL;
	else
		c->vals[i] = sub;
cleanup:
	free(comp);
	return c;
}

/* set_path from the root, for paths no deeper than a document may be. */
static struct sim_ynode *
set_root_path(struct ld *l, const struct sim_ynode *root, const char *path,
	      struct sim_ynode *value, char *msg, size_t size)
{
	int depth = 1;
	for (const char *p = path; *p; p++)
		depth += *p == '.';
	if (depth > SIM_YAML_MAX_DEPTH) {
		snprintf(msg, size, "path deeper than %d levels",
			 SIM_YAML_MAX_DEPTH);
		return NULL;
	}
	return set_path(l, root, path, "scenario", value, msg, size);
}

/* Parses an override's VALUE as one YAML flow value. Returns the node (in
 * l->doc) or NULL after an error. */
static struct sim_ynode *parse_value_text(struct ld *l, const char *mfile,
					  const char *value)
{
	struct sim_ydoc vd;
	struct sim_yerror e;
	size_t len = strlen(value);
	char *wrapped = malloc(len + 3);
	struct sim_ynode *r = NULL;
	int rc;

	if (!wrapped)
		return nomem(l);
	wrapped[0] = '[';
	memcpy(wrapped + 1, value, len);
	memcpy(wrapped + 1 + len, "]", 2);
	rc = sim_yaml_parse(&vd, mfile, wrapped, len + 2, -1, &e);
	free(wrapped);
	if (rc == SIM_ENOMEM)
		return nomem(l);
	if (rc) {
		/* the end of the text is the end of VALUE, not of the wrap */
		if (e.mark.line > 1 || e.mark.col > (int)len + 1) {
			e.mark.line = 1;
			e.mark.col = (int)len + 1;
		}
		error_at(l, e.mark, "%s", e.msg);
		return NULL;
	}
	struct sim_mark m = {mfile, 1, 1};
	if (vd.root && vd.root->kind == SIM_Y_SEQ && vd.root->n == 1)
		r = vd.root->vals[0];
	else if (vd.root && vd.root->n == 0)
		r = sim_ynode_new(&vd, SIM_Y_SCALAR, "", m);
	else
		error_at(l, m,
			 "expected one value, got %zu (quote a value "
			 "that contains a comma)",
			 vd.root ? vd.root->n : 0);
	sim_yaml_adopt(&l->doc, &vd);
	return r;
}

/* ---------------------------------------------------------------- sweep -- */

static int add_value(struct ld *l, struct sim_sweep_param *p, const char *s)
{
	if (!(p->values[p->nvalues] = strdup(s)))
		return nomem(l), -1;
	p->nvalues++;
	return 0;
}

/* {from, to, step}: from + i step up to `to`, keeping the unit of `from`. */
/* `before` is the number of points of the parameters before this one:
 * the grid is their product, so a range that would make it larger than
 * any sweep runs is refused before its values are made. */
static void read_range(struct ld *l, const struct sim_ynode *v,
		       struct sim_sweep_param *p, double before)
{
	static const char *const keys[] = {"from", "to", "step"};
	const struct sim_ynode *n[3];
	const char *unit = NULL;
	double x[3];
	for (int i = 0; i < 3; i++) {
		const char *rest = "";
		n[i] = sim_ymap_get(v, keys[i], NULL);
		if (!n[i]) {
			error_at(l, v->mark, "missing key '%s' in sweep '%s'",
				 keys[i], p->path);
			return;
		}
		if (!is_scalar(n[i]) ||
		    parse_num(n[i]->text, &x[i], &rest) != NUM_OK) {
			error_at(l, n[i]->mark,
				 "'%s': expected a number (with a unit if "
				 "the key takes one), got %s",
				 keys[i], got(n[i]).s);
			return;
		}
		if (!unit)
			unit = rest;
		else if (strcmp(rest, unit)) {
			error_at(l, n[i]->mark,
				 "'%s': expected the unit of 'from' ('%s'), "
				 "got %s",
				 keys[i], unit, got(n[i]).s);
			return;
		}
	}
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->keys[i]->text, "from") &&
		    strcmp(v->keys[i]->text, "to") &&
		    strcmp(v->keys[i]->text, "step"))
			error_at(l, v->keys[i]->mark,
				 "unknown key '%s' in sweep '%s' (expected "
				 "from, to, step)",
				 v->keys[i]->text, p->path);
	if (x[2] <= 0 || x[1] < x[0]) {
		error_at(l, v->mark,
			 "sweep '%s': expected step > 0 and to >= from",
			 p->path);
		return;
	}
	double count = floor((x[1] - x[0]) / x[2] * (1 + 1e-12) + 1e-9) + 1;
	if (!(count <= MAX_SWEEP_POINTS)) {
		error_at(l, v->mark,
			 "sweep '%s': %.0f points; at most %d per parameter",
			 p->path, count, MAX_SWEEP_POINTS);
		return;
	}
	if (!(count * before <= MAX_SWEEP_POINTS)) {
		error_at(l, v->mark,
			 "sweep '%s': %.0f points, %.3g with the parameters "
			 "before it; at most %d in all",
			 p->path, count, count * before, MAX_SWEEP_POINTS);
		return;
	}
	if (!(p->values = calloc((size_t)count, sizeof(char *)))) {
		nomem(l);
		return;
	}
	for (size_t i = 0; i < (size_t)count; i++) {
		char buf[96];
		snprintf(buf, sizeof(buf), "%.15g%s", x[0] + (double)i * x[2],
			 unit);
		if (add_value(l, p, buf))
			return;
	}
}

static void read_sweep(struct ld *l, const struct sim_ynode *v,
		       struct sim_scenario *sc)
{
	if (!expect_kind(l, "sweep", v, SIM_Y_MAP) || !v->n)
		return;
	if (v->n > MAX_SWEEP_PARAMS) {
		error_at(l, v->mark,
			 "'sweep': %zu parameters; at most %d can be swept "
			 "together",
			 v->n, MAX_SWEEP_PARAMS);
		return;
	}
	if (!(sc->sweep = calloc(v->n, sizeof(*sc->sweep)))) {
		nomem(l);
		return;
	}
	double points = 1;
	for (size_t i = 0; i < v->n && !give_up(l); i++) {
		struct sim_sweep_param *p = &sc->sweep[sc->nsweep++];
		const struct sim_ynode *e = v->vals[i];
		p->mark = v->keys[i]->mark;
		if (!(p->path = strdup(v->keys[i]->text))) {
			nomem(l);
			return;
		}
		if (e && e->kind == SIM_Y_MAP) {
			read_range(l, e, p, points);
			points *= p->nvalues ? (double)p->nvalues : 1;
			continue;
		}
		if (!e || e->kind != SIM_Y_SEQ || !e->n ||
		    e->n > MAX_SWEEP_POINTS) {
			error_at(l, e->mark,
				 "sweep '%s': expected a list of 1 to %d "
				 "values or {from, to, step}, got %s",
				 p->path, MAX_SWEEP_POINTS,
				 e->kind != SIM_Y_SEQ ? got(e).s
				 : e->n		      ? "too many"
						      : "an empty list");
			continue;
		}
		if (!(p->values = calloc(e->n, sizeof(char *)))) {
			nomem(l);
			return;
		}
		for (size_t j = 0; j < e->n; j++) {
			if (!is_scalar(e->vals[j])) {
				error_at(l, e->vals[j]->mark,
					 "sweep '%s': expected a single "
					 "value, got %s",
					 p->path, got(e->vals[j]).s);
				break;
			}
			if (add_value(l, p, e->vals[j]->text))
				return;
		}
		points *= p->nvalues ? (double)p->nvalues : 1;
	}
}

/* ---------------------------------------------------------- top level -- */

static const struct sim_param top_params[] = {
    {"name", SIM_PT_STRING, OFF(struct sim_scenario, name), 0, 0, 0, 0, NULL,
     "scenario name"},
    {"description", SIM_PT_STRING, OFF(struct sim_scenario, description), 0, 0,
     0, 0, NULL, "one line"},
    {"duration", SIM_PT_DURATION, OFF(struct sim_scenario, duration), 60, 0,
     MAX_SIM_TIME, P_POS, NULL, "measured simulated time"},
    {"warmup", SIM_PT_DURATION, OFF(struct sim_scenario, warmup), 5, 0,
     MAX_SIM_TIME, 0, NULL, "simulated time before measuring"},
    {"replications", SIM_PT_INT, OFF(struct sim_scenario, replications), 5, 1,
     10000, 0, NULL, "independent replications"},
};

static void read_seed(struct ld *l, const struct sim_ynode *v, uint64_t *seed)
{
	char *end;
	*seed = 1;
	if (!v)
		return;
	errno = 0;
	unsigned long long x =
	    is_scalar(v) && v->plain && isdigit((unsigned char)v->text[0])
		? strtoull(v->text, &end, 10)
		: 0;
	if (!is_scalar(v) || !v->plain || !isdigit((unsigned char)v->text[0]) ||
	    *end || errno)
		error_at(l, v->mark,
			 "'seed': expected a whole number from 0 to %llu, "
			 "got %s",
			 (unsigned long long)UINT64_MAX, got(v).s);
	else
		*seed = x;
}

/* Refuses workloads too large to simulate before anything runs. */
static void check_limits(struct ld *l, const struct sim_scenario *sc)
{
	const struct sim_arrivals *a = &sc->workload.arrivals;
	double peak = a->rate;
	if (sc->workload.closed.users || a->kind == SIM_ARR_TRACE)
		return;
	for (size_t i = 0; i < a->nschedule; i++)
		peak = fmax(peak, a->schedule[i].rate);
	double n = peak * (sc->warmup + sc->duration);
	if (n > MAX_REQUESTS) {
		char r[64], t[64];
		fmt_human(r, sizeof(r), peak, &k_rate);
		fmt_human(t, sizeof(t), sc->warmup + sc->duration, &k_duration);
		error_at(l, a->mark,
			 "too many requests per replication: %s x %s "
			 "(warmup + duration) = %.3g; the limit is %.0g",
			 r, t, n, MAX_REQUESTS);
	}
}

static void interpret(struct ld *l, const struct sim_ynode *root,
		      struct sim_scenario *sc, bool sweep);

/* Loads the scenario once more with each sweep parameter at its first and
 * last value, so that a bad sweep is caught before anything runs. */
static void check_sweep(struct ld *l, const struct sim_ynode *root,
			const struct sim_scenario *sc)
{
	const struct sim_ynode *sw = sim_ymap_get(root, "sweep", NULL);
	for (size_t i = 0; i < sc->nsweep && !give_up(l); i++) {
		const struct sim_sweep_param *p = &sc->sweep[i];
		const struct sim_ynode *e = sw->vals[i];
		for (size_t j = 0; j < 2 && p->nvalues && !give_up(l); j++) {
			size_t at = j ? p->nvalues - 1 : 0;
			struct sim_ynode *val;
			char msg[256];
			if (j && p->nvalues == 1)
				break;
			if (e->kind == SIM_Y_SEQ)
				val = e->vals[at];
			else
				val = sim_ynode_new(
				    &l->doc, SIM_Y_SCALAR, p->values[at],
				    sim_ymap_get(e, j ? "to" : "from", NULL)
					->mark);
			if (!val) {
				nomem(l);
				return;
			}
			struct sim_ynode *r = set_root_path(
			    l, root, p->path, val, msg, sizeof(msg));
			if (!r) {
				if (!l->rc)
					error_at(l, p->mark, "sweep '%s': %s",
						 p->path, msg);
				break;
			}
			struct sim_scenario tmp = {0};
			interpret(l, r, &tmp, false);
			sim_scenario_release(&tmp);
		}
	}
}

static void interpret(struct ld *l, const struct sim_ynode *root,
		      struct sim_scenario *sc, bool sweep)
{
	static const char *const extra[] = {"seed", "workload", "systems",
					    "sweep", NULL};
	struct section sec = {top_params, NELEM(top_params), sc, NULL};
	struct sim_mark top = {l->file, 1, 1};
	const struct sim_ynode *n;
	int nerr = l->nerr;

	if (sim_ynode_is_null(root)) {
		error_at(l, top,
			 "empty scenario; expected a map with 'workload' and "
			 "'systems'");
		return;
	}
	if (root->kind != SIM_Y_MAP) {
		error_at(l, root->mark,
			 "expected a map with 'workload' and 'systems' at the "
			 "top level, got %s",
			 got(root).s);
		return;
	}
	read_table(l, root, &sec, 1, extra, "at the top level", NULL);
	read_seed(l, sim_ymap_get(root, "seed", NULL), &sc->seed);
	if (!sc->name) {
		const char *base = strrchr(l->file, '/');
		base = base ? base + 1 : l->file;
		const char *dot = strrchr(base, '.');
		size_t len =
		    dot && dot > base ? (size_t)(dot - base) : strlen(base);
		if (!(sc->name = strndup(base, len)))
			nomem(l);
	}
	if ((n = sim_ymap_get(root, "workload", NULL)))
		read_workload(l, n, &sc->workload);
	else
		error_at(l, root->mark,
			 "missing key 'workload' at the top "
			 "level");
	if ((n = sim_ymap_get(root, "systems", NULL)))
		read_systems(l, n, sc);
	else
		error_at(l, root->mark,
			 "missing key 'systems' at the top "
			 "level");
	if (sweep && (n = sim_ymap_get(root, "sweep", NULL)))
		read_sweep(l, n, sc);
	for (size_t i = 0; i < sc->workload.nclasses; i++)
		if (sc->workload.classes[i].nphases > sc->max_phases)
			sc->max_phases = sc->workload.classes[i].nphases;
	if (l->nerr == nerr)
		check_limits(l, sc);
	if (sweep && l->nerr == nerr && !l->rc)
		check_sweep(l, root, sc);
}

/* ------------------------------------------------------------- loading -- */

/* sc->file holds the file name, then the "--set PATH" mark names of the
 * overrides, in one allocation: marks kept in the scenario point into it
 * and it is freed with the scenario. */
static char *mark_names(const char *file, const struct sim_override *ov,
			size_t nov, const char ***names)
{
	size_t size = strlen(file) + 1, off;
	for (size_t i = 0; i < nov; i++)
		size += strlen("--set ") + strlen(ov[i].path) + 1;
	char *block = malloc(size);
	*names = calloc(nov + 1, sizeof(**names));
	if (!block || !*names) {
		free(block);
		free(*names);
		*names = NULL;
		return NULL;
	}
	off = (size_t)(stpcpy(block, file) - block) + 1;
	for (size_t i = 0; i < nov; i++) {
		(*names)[i] = block + off;
		off += (size_t)sprintf(block + off, "--set %s", ov[i].path) + 1;
	}
	return block;
}

int sim_scenario_load_string(const char *name, const char *text, size_t len,
			     const struct sim_override *ov, size_t nov,
			     FILE *err, struct sim_scenario *out)
{
	struct ld l = {.err = err};
	struct sim_yerror e;
	const char **names = NULL;
	char *slash;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!(out->file = mark_names(name, ov, nov, &names)))
		return SIM_ENOMEM;
	l.file = out->file;
	if (!(l.dir = strdup(name))) {
		rc = SIM_ENOMEM;
		goto cleanup;
	}
	if ((slash = strrchr(l.dir, '/')))
		slash[slash == l.dir] = '\0';
	else {
		free(l.dir);
		l.dir = NULL;
	}
	rc = sim_yaml_parse(&l.doc, out->file, text, len, 0, &e);
	if (rc == SIM_ESCENARIO)
		error_at(&l, e.mark, "%s", e.msg);
	if (rc)
		goto cleanup;
	for (size_t i = 0; i < nov && !give_up(&l); i++) {
		char msg[256];
		struct sim_ynode *v = parse_value_text(
		    &l, names[i], ov[i].value ? ov[i].value : "");
		if (!v)
			continue;
		struct sim_ynode *r = set_root_path(&l, l.doc.root, ov[i].path,
						    v, msg, sizeof(msg));
		if (r)
			l.doc.root = r;
		else if (!l.rc && l.nerr++ < MAX_ERRORS)
			fprintf(err, "--set %s: error: %s\n", ov[i].path, msg);
	}
	if (!give_up(&l))
		interpret(&l, l.doc.root, out, true);
	rc = l.rc ? l.rc : l.nerr ? SIM_ESCENARIO : 0;
cleanup:
	sim_yaml_free(&l.doc);
	free(l.dir);
	free(names);
	if (rc)
		sim_scenario_release(out);
	return rc;
}

int sim_scenario_load(const char *file, const struct sim_override *ov,
		      size_t nov, FILE *err, struct sim_scenario *out)
{
	FILE *f = fopen(file, "rb");
	char *text = NULL;
	size_t len = 0;
	int rc = SIM_EIO;

	memset(out, 0, sizeof(*out));
	if (!f) {
		fprintf(err, "concsim: error: cannot read '%s': %s\n", file,
			strerror(errno));
		return SIM_EIO;
	}
	/* one byte more than the limit tells a file that is too large */
	if (!(text = malloc(SIM_YAML_MAX_BYTES + 1))) {
		rc = SIM_ENOMEM;
		goto cleanup;
	}
	len = fread(text, 1, SIM_YAML_MAX_BYTES + 1, f);
	if (ferror(f)) {
		fprintf(err, "concsim: error: cannot read '%s': %s\n", file,
			strerror(errno));
		goto cleanup;
	}
	if (len > SIM_YAML_MAX_BYTES) {
		fprintf(err,
			"%s:1:1: error: file too large (more than %u MiB); "
			"a scenario is a small text file\n",
			file, SIM_YAML_MAX_BYTES >> 20);
		rc = SIM_ESCENARIO;
		goto cleanup;
	}
	rc = sim_scenario_load_string(file, text, len, ov, nov, err, out);
cleanup:
	free(text);
	fclose(f);
	return rc;
}

void sim_scenario_release(struct sim_scenario *sc)
{
	struct sim_workload *w = &sc->workload;
	free(sc->file);
	free(sc->name);
	free(sc->description);
	free(w->arrivals.schedule);
	free(w->arrivals.file);
	sim_dist_release(&w->closed.think);
	for (size_t i = 0; i < w->nclasses; i++) {
		for (size_t j = 0; j < w->classes[i].nphases; j++)
			sim_dist_release(&w->classes[i].phases[j].dist);
		free(w->classes[i].phases);
		free(w->classes[i].name);
	}
	free(w->classes);
	for (size_t i = 0; i < sc->nsystems; i++)
		free_system_fields(&sc->systems[i]);
	free(sc->systems);
	for (size_t i = 0; i < sc->nsweep; i++) {
		for (size_t j = 0; j < sc->sweep[i].nvalues; j++)
			free(sc->sweep[i].values[j]);
		free(sc->sweep[i].values);
		free(sc->sweep[i].path);
	}
	free(sc->sweep);
	memset(sc, 0, sizeof(*sc));
}

/* ------------------------------------------------------------- writing -- */

static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* A sweep value: plain when it reads back as the same plain scalar. */
static void put_scalar(FILE *f, const char *s)
{
	bool plain = s[0] && !strchr("-?:,[]{}#&*!|>'\"%@` ", s[0]) &&
		     s[strlen(s) - 1] != ' ' && !strstr(s, ": ") &&
		     !strstr(s, " #") && !strpbrk(s, ",[]{}\n\t");
	if (plain || (s[0] == '-' && isdigit((unsigned char)s[1])))
		fputs(s, f);
	else
		put_string(f, s);
}

static void put_typed(FILE *f, enum sim_ptype t, double v)
{
	char buf[64];
	fmt_typed(buf, sizeof(buf), t, v, false);
	fputs(buf, f);
}

/* A distribution as a flow map; cpu (pool phases) adds `cpu:`. */
/* Writes a distribution map; `flag` (named `flagkey`) is a phase's own
 * boolean, or NULL. */
static void put_dist(FILE *f, const struct sim_dist *d, const char *flagkey,
		     const bool *flag)
{
	fprintf(f, "{dist: %s", sim_dist_names[d->kind]);
	if (d->kind == SIM_DIST_EMPIRICAL) {
		fputs(", values: [", f);
		for (size_t i = 0; i < d->nsamples; i++) {
			fputs(i ? ", " : "", f);
			put_typed(f, SIM_PT_DURATION, d->samples[i]);
		}
		fputs("]", f);
	} else {
		fputs(", mean: ", f);
		put_typed(f, SIM_PT_DURATION, d->mean);
	}
	if (d->kind == SIM_DIST_ERLANG)
		fprintf(f, ", k: %ld", lround(1 / (d->cv * d->cv)));
	else if (needs_cv(d->kind)) {
		fputs(", cv: ", f);
		put_typed(f, SIM_PT_DOUBLE, d->cv);
	}
	if (flag)
		fprintf(f, ", %s: %s", flagkey, *flag ? "true" : "false");
	fputs("}", f);
}

static void put_system(FILE *f, const struct sim_system *sys, int ind,
		       int first);

/* One key of a table, or nothing for values that were never set. */
static void put_param(FILE *f, const struct sim_param *p, const void *base,
		      int ind)
{
	const char *src = (const char *)base + p->offset;
	const struct sim_dist *d = (const struct sim_dist *)src;
	const struct sim_doubles *dv = (const struct sim_doubles *)src;
	int i;
	if ((p->type == SIM_PT_STRING || p->type == SIM_PT_SYSTEM) &&
	    !*(void *const *)src)
		return;
	if (p->type == SIM_PT_DIST && d->kind == SIM_DIST_CONSTANT &&
	    !d->mean && !d->cv && !d->nsamples)
		return;
	fprintf(f, "%*s%s:", ind, "", p->key);
	switch (p->type) {
	case SIM_PT_INT:
		fprintf(f, " %d\n", *(const int *)src);
		return;
	case SIM_PT_ENUM:
		i = *(const int *)src;
		fprintf(f, " %s\n", i >= 0 ? p->choices[i] : "?");
		return;
	case SIM_PT_BOOL:
		fprintf(f, " %s\n", *(const bool *)src ? "true" : "false");
		return;
	case SIM_PT_STRING:
		fputc(' ', f);
		put_string(f, *(char *const *)src);
		fputc('\n', f);
		return;
	case SIM_PT_DIST:
		fputc(' ', f);
		put_dist(f, d, NULL, NULL);
		fputc('\n', f);
		return;
	case SIM_PT_SYSTEM:
		fputc('\n', f);
		put_system(f, *(struct sim_system *const *)src, ind + 2,
			   ind + 2);
		return;
	case SIM_PT_DOUBLES:
		fputs(" [", f);
		for (size_t j = 0; j < dv->n; j++) {
			fputs(j ? ", " : "", f);
			put_typed(f, SIM_PT_DOUBLE, dv->v[j]);
		}
		fputs("]\n", f);
		return;
	default:
		fputc(' ', f);
		put_typed(f, p->type, *(const double *)src);
		fputc('\n', f);
		return;
	}
}

static void put_table(FILE *f, const struct sim_param *p, size_t np,
		      const void *base, int ind)
{
	for (size_t i = 0; i < np; i++)
		put_param(f, &p[i], base, ind);
}

/* A system map at indent `ind`, its first line at indent `first`. */
static void put_system(FILE *f, const struct sim_system *sys, int ind,
		       int first)
{
	fprintf(f, "%*sname: ", first, "");
	put_string(f, sys->name);
	fprintf(f, "\n%*smodel: %s\n", ind, "", sys->model->name);
	put_table(f, host_params, NELEM(host_params), &sys->host, ind);
	put_table(f, sys->model->params, sys->model->nparams, sys->config, ind);
}

int sim_scenario_write_yaml(const struct sim_scenario *sc, FILE *f)
{
	const struct sim_workload *w = &sc->workload;
	const struct sim_arrivals *a = &w->arrivals;

	put_table(f, top_params, 2, sc, 0);
	fprintf(f, "seed: %llu\n", (unsigned long long)sc->seed);
	put_table(f, top_params + 2, NELEM(top_params) - 2, sc, 0);
	fputs("workload:\n", f);
	if (w->closed.users) {
		fprintf(f, "  closed:\n    users: %u\n    think: ",
			(unsigned)w->closed.users);
		put_dist(f, &w->closed.think, NULL, NULL);
		fprintf(f, "\n    coordinated_omission: %s\n",
			w->closed.coordinated_omission ? "true" : "false");
	} else {
		fputs("  arrivals:\n", f);
		for (size_t i = 0; i < NELEM(arrival_params); i++)
			if (arrival_rules[i].allow & (1u << a->kind))
				put_param(f, &arrival_params[i], a, 4);
		if (a->kind != SIM_ARR_TRACE)
			fputs("    schedule:", f);
		if (a->kind != SIM_ARR_TRACE && !a->nschedule)
			fputs(" []", f);
		for (size_t i = 0; a->kind != SIM_ARR_TRACE && i < a->nschedule;
		     i++) {
			fputs("\n      - {at: ", f);
			put_typed(f, SIM_PT_DURATION, a->schedule[i].at);
			fputs(", rate: ", f);
			put_typed(f, SIM_PT_RATE, a->schedule[i].rate);
			fputs("}", f);
		}
		if (a->kind != SIM_ARR_TRACE)
			fputc('\n', f);
	}
	fputs("  client:\n", f);
	put_table(f, client_params, NELEM(client_params), &w->client, 4);
	fputs("    retries:\n", f);
	put_table(f, retry_params, NELEM(retry_params), &w->client, 6);
	fputs("  classes:\n", f);
	for (size_t i = 0; i < w->nclasses; i++) {
		const struct sim_class *c = &w->classes[i];
		fputs("    - name: ", f);
		put_string(f, c->name);
		fputs("\n      weight: ", f);
		put_typed(f, SIM_PT_DOUBLE, c->weight);
		fprintf(f, "\n      handler: %s\n      phases:\n",
			c->sync ? "sync" : "async");
		for (size_t j = 0; j < c->nphases; j++) {
			const struct sim_phase *p = &c->phases[j];
			fprintf(f, "        - %s: ", phase_names[p->kind]);
			if (p->kind == SIM_PHASE_POOL)
				put_dist(f, &p->dist, "cpu", &p->on_cpu);
			else if (p->kind == SIM_PHASE_IO)
				put_dist(f, &p->dist, "downstream",
					 &p->downstream);
			else
				put_dist(f, &p->dist, NULL, NULL);
			fputc('\n', f);
		}
	}
	if (w->downstream.connections)
		fprintf(f, "  downstream:\n    connections: %d\n",
			w->downstream.connections);
	fputs("systems:\n", f);
	for (size_t i = 0; i < sc->nsystems; i++) {
		fputs("  - ", f);
		put_system(f, &sc->systems[i], 4, 0);
	}
	if (sc->nsweep)
		fputs("sweep:\n", f);
	for (size_t i = 0; i < sc->nsweep; i++) {
		fputs("  ", f);
		put_string(f, sc->sweep[i].path);
		fputs(": [", f);
		for (size_t j = 0; j < sc->sweep[i].nvalues; j++) {
			fputs(j ? ", " : "", f);
			put_scalar(f, sc->sweep[i].values[j]);
		}
		fputs("]\n", f);
	}
	return ferror(f) ? SIM_EIO : 0;
}
