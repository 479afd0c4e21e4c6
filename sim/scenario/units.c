/*
 * units.c - numbers with units, both ways: reads durations, rates and sizes
 * ("5ms", "800/s", "512MiB") into SI values, and writes SI values back the
 * way a person would, exact for the resolved scenario, short for messages.
 */
#include "scenario/units.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
    {"h", 3600, 1, true},  {"d", 86400, 1, true}, {NULL, 0, 0, false}};
static const struct unit rate_units[] = {{"/s", 1, 1, false},
					 {"/m", 1, 60, false},
					 {"/h", 1, 3600, true},
					 {NULL, 0, 0, false}};
static const struct unit size_units[] = {
    {"B", 1, 1, false},		{"KiB", 1024, 1, false},
    {"MiB", 1048576, 1, false}, {"GiB", 1073741824, 1, false},
    {"KB", 1e3, 1, false},	{"MB", 1e6, 1, false},
    {"GB", 1e9, 1, false},	{NULL, 0, 0, false}};

static const struct ukind k_duration = {
    dur_units, "expected a duration with a unit (ns, us, ms, s, m, h, d)",
    "expected a finite duration", "duration out of range",
    "expected a duration that is not negative"};
static const struct ukind k_rate = {
    rate_units, "expected a rate with a unit (/s, /m, /h)",
    "expected a finite rate", "rate out of range",
    "expected a rate that is not negative"};
static const struct ukind k_size = {
    size_units, "expected a size with a unit (B, KiB, MiB, GiB)",
    "expected a finite size", "size out of range",
    "expected a size that is not negative"};

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
int sim__parse_number(const char *s, double *v, const char **rest)
{
	const char *p = s + (*s == '+' || *s == '-');
	p += *p == '.';
	if (!strncasecmp(p, "nan", 3) || !strncasecmp(p, "inf", 3))
		return SIM__NUM_NONFINITE;
	size_t k = scan_number(s);
	if (!k)
		return SIM__NUM_BAD;
	/* no allocation: a failed one must not read as a bad number */
	char tmp[512];
	if (k >= sizeof tmp)
		return SIM__NUM_RANGE; /* 511 characters: no real number */
	memcpy(tmp, s, k);
	tmp[k] = '\0';
	errno = 0;
	*v = strtod(tmp, NULL);
	int overflow = errno == ERANGE && fabs(*v) >= 1;
	*rest = s + k;
	return overflow ? SIM__NUM_RANGE : SIM__NUM_OK;
}

static int parse_unit(const char *s, const struct ukind *k, double *out,
		      const char **why)
{
	double v = 0;
	const char *rest = s;
	switch (sim__parse_number(s, &v, &rest)) {
	case SIM__NUM_NONFINITE:
		*why = k->finite;
		return SIM_EINVAL;
	case SIM__NUM_RANGE:
		*why = k->range;
		return SIM_EINVAL;
	case SIM__NUM_BAD:
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

/* v with the unit that gives the shortest text reading back exactly. */
static void fmt_unit(char *buf, size_t size, double v, const struct ukind *k)
{
	char best[64] = "", num[40], cand[64];
	for (const struct unit *u = k->units; u->name; u++) {
		if (u->alias)
			continue;
		sim_fmt_double(num, sizeof(num),
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
		sim_fmt_double(num, sizeof(num), v);
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
				sim_fmt_double(num, sizeof(num), n);
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
void sim__fmt_typed(char *buf, size_t size, enum sim_ptype t, double v,
		    bool human)
{
	const struct ukind *k = ukind_of(t);
	if (k && isfinite(v) && v >= 0 && human)
		fmt_human(buf, size, v, k);
	else if (k && isfinite(v) && v >= 0)
		fmt_unit(buf, size, v, k);
	else
		sim_fmt_double(buf, size, v);
}

void sim_fmt_double(char *buf, size_t len, double v)
{
	if (!isfinite(v)) {
		snprintf(buf, len, "null");
		return;
	}
	/* whole numbers below 10^15 (counts, zeros: half the cells of a
	 * result row) are what "%.15g" writes, their digits: without
	 * snprintf and strtod, which cost a sweep about 2 us a cell */
	if (v >= 0 && v < 1e15 && !signbit(v) && v == (double)(int64_t)v &&
	    len >= 17) {
		char tmp[17];
		size_t n = 0;
		for (uint64_t x = (uint64_t)v; n == 0 || x; x /= 10)
			tmp[n++] = (char)('0' + x % 10);
		for (size_t i = 0; i < n; i++)
			buf[i] = tmp[n - 1 - i];
		buf[n] = '\0';
		return;
	}
	for (int prec = 15; prec < 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
	snprintf(buf, len, "%.17g", v);
}

bool sim__has_unit(enum sim_ptype t)
{
	return ukind_of(t) != NULL;
}

const char *sim__unit_expect(enum sim_ptype t)
{
	return ukind_of(t)->expect;
}

int sim__parse_typed(const char *s, enum sim_ptype t, double *out,
		     const char **why)
{
	return parse_unit(s, ukind_of(t), out, why);
}

void sim_unit_pattern(enum sim_ptype t, char *buf, size_t size)
{
	const struct ukind *k = ukind_of(t);
	size_t n = (size_t)snprintf(
	    buf, size,
	    "^\\+?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)? *(");
	for (const struct unit *u = k->units; u->name && n < size; u++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s",
				      u == k->units ? "" : "|", u->name);
	if (n < size)
		snprintf(buf + n, size - n, ")$");
}

void sim_unit_names(enum sim_ptype t, char *buf, size_t size)
{
	const struct ukind *k = ukind_of(t);
	size_t n = 0;
	buf[0] = '\0';
	for (const struct unit *u = k->units; u->name && n < size; u++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s",
				      u == k->units ? "" : " ", u->name);
}
