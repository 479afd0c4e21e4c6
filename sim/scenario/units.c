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

/* The reference: the fewest of 15, 16, 17 significant digits that read
 * back as v ("%.Ng", so no trailing zero). Not inlined: GCC would check
 * its snprintf against each caller's buffer. */
__attribute__((noinline)) static void fmt_double_ref(char *buf, size_t len,
						     double v)
{
	for (int prec = 15; prec < 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
	snprintf(buf, len, "%.17g", v);
}

/* Writes the P digits of q (10^(P-1) <= q < 10^P) times 10^(X - P + 1)
 * as "%.Pg" does: trailing zeros dropped, fixed notation for
 * -4 <= X < P, else d.ddde+XX. */
static void put_g(char *buf, bool neg, uint64_t q, int P, int X)
{
	char d[17];
	int k = P;
	for (int i = P - 1; i >= 0; i--, q /= 10)
		d[i] = (char)('0' + q % 10);
	while (k > 1 && d[k - 1] == '0')
		k--;
	char *o = buf;
	if (neg)
		*o++ = '-';
	if (X >= -4 && X < P) {
		if (X < 0) {
			*o++ = '0';
			*o++ = '.';
			for (int i = 0; i < -X - 1; i++)
				*o++ = '0';
			memcpy(o, d, (size_t)k);
			o += k;
		} else {
			for (int i = 0; i <= X; i++)
				*o++ = i < k ? d[i] : '0';
			if (k > X + 1) {
				*o++ = '.';
				memcpy(o, d + X + 1, (size_t)(k - X - 1));
				o += k - X - 1;
			}
		}
	} else {
		*o++ = d[0];
		if (k > 1) {
			*o++ = '.';
			memcpy(o, d + 1, (size_t)(k - 1));
			o += k - 1;
		}
		*o++ = 'e';
		*o++ = X < 0 ? '-' : '+';
		int x = X < 0 ? -X : X;
		if (x >= 100)
			*o++ = (char)('0' + x / 100);
		*o++ = (char)('0' + x / 10 % 10);
		*o++ = (char)('0' + x % 10);
	}
	*o = '\0';
}

/* 10^0 .. 10^22: exact as doubles; to 10^19 as integers */
static const double p10[] = {1e0,  1e1,	 1e2,  1e3,  1e4,  1e5,	 1e6,  1e7,
			     1e8,  1e9,	 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
			     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
#define P10(k) ((uint64_t)p10[k])

/* a exactly, in units of its 17th significant digit: big / 2^s (s > 0;
 * big = m x 10^k for a = m x 2^-s, m of 53 bits; ten = 10^k). */
struct exact17 {
	unsigned __int128 big, ten;
	int s, x; /* the 17th digit is that of 10^(x - 16) */
};

/* What snprintf "%.16e" gives a (positive, normal; a = f x 2^e2, f in
 * [0.5, 1)): its 17 digits *m17 and exponent *e10, correctly rounded
 * (ties to even), in 128-bit integers: a = m x 2^(e2-53) exactly, and
 * m x 10^(16-e10) fits for 1e-6 <= a < 1e17. False outside that. *ex
 * gets a's exact value when e2 < 53 (ex->s = 0 otherwise). */
static bool digits17(double a, int e2, uint64_t *m17, int *e10,
		     struct exact17 *ex)
{
	if (!(a >= 1e-6 && a < 1e17))
		return false;
	uint64_t m = (uint64_t)ldexp(a, 53 - e2);
	int e = e2 - 53, x = (int)floor((e2 - 1) * 0.30102999566398120);
	for (int tries = 0; tries < 3; tries++) {
		int k = 16 - x;
		if (k < 0 || k > 22)
			return false;
		unsigned __int128 ten =
		    k > 19 ? (unsigned __int128)P10(19) * P10(k - 19) : P10(k);
		unsigned __int128 big = m * ten, n, rem = 0, half = 0;
		if (e >= 0) {
			n = big << e;
		} else {
			n = big >> -e;
			rem = big & (((unsigned __int128)1 << -e) - 1);
			half = (unsigned __int128)1 << (-e - 1);
		}
		if (n >= P10(17)) {
			x++;
			continue;
		}
		if (n < P10(16)) {
			x--;
			continue;
		}
		*ex = (struct exact17){big, ten, e < 0 ? -e : 0, x};
		n += rem > half || (rem == half && half && (n & 1));
		if (n == P10(17)) {
			n = P10(16);
			x++;
		}
		*m17 = (uint64_t)n;
		*e10 = x;
		return true;
	}
	return false;
}

/* Whether candidate c (in units of the 17th digit) reads back as the
 * double ex holds: strtod rounds to the nearest, so c must lie within half
 * an ulp of it. Doubled and times 2^s: |c 2^(s+1) - 2 big| against 10^k
 * (no overflow: 2 big < 2^127.1 and c is within 10^-14 of big / 2^s).
 * Never exactly half an ulp: a midpoint between doubles, odd x 2^-(s+1)
 * with the odd number above 2^53, has 18 or more significant digits. */
static bool reads_back(const struct exact17 *ex, uint64_t c)
{
	unsigned __int128 cc = (unsigned __int128)c << (ex->s + 1),
			  vv = ex->big << 1;
	return (cc > vv ? cc - vv : vv - cc) < ex->ten;
}

/* The digits of a rounded to n (15, 16) significant digits as "%.ng"
 * rounds them, from its exact value: q, or false on an exact tie (the
 * reference decides those). */
static bool round_exact(const struct exact17 *ex, int n, uint64_t *q)
{
	uint64_t p = P10(17 - n);
	unsigned __int128 one = (unsigned __int128)p << ex->s; /* p, scaled */
	/* floor(big / 2^s / p) in 64 bits: big / 2^s < 10^17 */
	*q = (uint64_t)(ex->big >> ex->s) / p;
	unsigned __int128 r = ex->big - ((unsigned __int128)(*q * p) << ex->s);
	if (2 * r == one)
		return false;
	*q += 2 * r > one;
	return true;
}

/* fmt_double_ref's text from one conversion: v's 17 correctly rounded
 * digits M17 x 10^(e10 - 16), and the 15 and 16 digit candidates rounded
 * from v's exact value (128-bit integers) and kept when they read back
 * as v, decided exactly. Beyond 1e-6 .. 2^53, one snprintf for the 17
 * digits and the candidates decided from |candidate - M17| (exact) and
 * |M17 - v| <= half a unit of the 17th digit, false when that margin
 * cannot decide. False also for 0, a power of two (its interval is
 * lopsided) or beyond 1e+-250: the reference decides. */
static bool fmt_double_fast(char *buf, double v)
{
	double a = fabs(v);
	int e2, e10;
	if (!(a > 1e-250 && a < 1e250) || frexp(a, &e2) == 0.5)
		return false;
	uint64_t m17;
	struct exact17 ex = {0};
	double hu; /* half an ulp of v, in units of the 17th digit */
	if (!digits17(a, e2, &m17, &e10, &ex)) {
		char s[32];
		snprintf(s, sizeof s, "%.16e", a);
		m17 = (uint64_t)(s[0] - '0');
		for (int i = 2; i < 18; i++)
			m17 = 10 * m17 + (uint64_t)(s[i] - '0');
		e10 = atoi(s + 19);
	}
	if (ex.s) {
		for (int n = 15; n < 17; n++) {
			uint64_t q;
			if (!round_exact(&ex, n, &q))
				return false;
			if (!reads_back(&ex, q * P10(17 - n)))
				continue;
			int x = ex.x;
			if (q == P10(n)) { /* 9.99..95 -> 10.0 */
				q /= 10;
				x++;
			}
			put_g(buf, signbit(v), q, n, x);
			return true;
		}
		put_g(buf, signbit(v), m17, 17, e10);
		return true;
	}
	hu = ldexp(1.0, e2 - 54) * (16 - e10 >= 0 && 16 - e10 <= 22
					? (double)p10[16 - e10]
					: pow(10.0, 16 - e10));
	for (int n = 15; n < 17; n++) {
		uint64_t p = P10(17 - n), q = m17 / p, r = m17 % p;
		if (2 * r == p)
			return false;
		q += 2 * r > p;
		uint64_t cand = q * p;
		double dist = (double)(cand > m17 ? cand - m17 : m17 - cand);
		if (dist + 0.5 < hu * (1 - 1e-9)) {
			int x = e10;
			if (q == P10(n)) { /* 9.99..95 -> 10.0 */
				q /= 10;
				x++;
			}
			put_g(buf, signbit(v), q, n, x);
			return true;
		}
		if (!(dist - 0.5 > hu * (1 + 1e-9)))
			return false;
	}
	put_g(buf, signbit(v), m17, 17, e10);
	return true;
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
	/* a percentile is a histogram bucket's value, one of a few hundred,
	 * and a sweep writes the same ones point after point: the text of
	 * recent values is kept per thread (a pure function, so the same
	 * text) */
	static __thread struct {
		uint64_t bits;
		char text[32];
	} seen[64];
	uint64_t bits;
	memcpy(&bits, &v, sizeof bits);
	size_t slot = (size_t)((bits * 0x9E3779B97F4A7C15u) >> 58);
	if (len >= 32 && seen[slot].text[0] && seen[slot].bits == bits) {
		memcpy(buf, seen[slot].text, sizeof seen[slot].text);
		return;
	}
	/* the others (latencies, rates) with one conversion instead of up
	 * to three and two read-backs; the same text (tests/test_output.c
	 * compares the two over a million values) */
	if (!(len >= 32 && fmt_double_fast(buf, v)))
		fmt_double_ref(buf, len, v);
	if (len >= 32) {
		seen[slot].bits = bits;
		memcpy(seen[slot].text, buf, sizeof seen[slot].text);
	}
}

/* For tests: the reference the fast path must match. */
void sim__fmt_double_ref(char *buf, size_t len, double v)
{
	fmt_double_ref(buf, len, v);
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
