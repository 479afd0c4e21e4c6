/*
 * rng.c - named random streams and the distributions requests are drawn
 * from.
 *
 * The generator is xoshiro256+ (Blackman & Vigna), registered as a GSL
 * generator type so that every gsl_ran_* function can draw from it; the
 * exponential (a ziggurat, see sim.h) and uniform fast paths read its state
 * directly because they run once or twice per simulated request. A stream's
 * seed is a hash of (master seed, replication, stream name): adding a stream or
 * a model never shifts the numbers another stream produces.
 */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>

#include "kernel/kernel.h"
#include "kernel/rng.h"

struct xo_state {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t xo_next(struct xo_state *x)
{
	return sim_xoshiro256p(x->s);
}

static void xo_set(void *vstate, unsigned long seed)
{
	struct xo_state *x = vstate;
	uint64_t z = seed;
	for (int i = 0; i < 4; i++)
		x->s[i] = splitmix64(&z);
}

/* GSL wants values in [min, max]; the top 32 bits are the best of
 * xoshiro256+'s output. */
static unsigned long xo_get(void *vstate)
{
	return (unsigned long)(xo_next(vstate) >> 32);
}

static double xo_get_double(void *vstate)
{
	return (double)(xo_next(vstate) >> 11) * 0x1.0p-53;
}

static const gsl_rng_type xo_type = {
    "xoshiro256+", 0xffffffffUL, 0, sizeof(struct xo_state), xo_set,
    xo_get,	   xo_get_double};
const gsl_rng_type *sim_rng_xoshiro256p = &xo_type;

/* ----------------------------------------------- exponential ziggurat -- */

struct sim_zig sim_zig;

/* Builds the strips down from a base edge r: every strip has the area v of
 * the base (the rectangle r * exp(-r) plus the tail exp(-r)), so strip i
 * (edges x[i] > x[i+1]) has x[i] * (f(x[i+1]) - f(x[i])) = v. Returns how
 * far the top overshoots the density's peak f(0) = 1: positive when r is
 * too small (the strips are too fat), negative when r is too large. */
static double zig_build(double r, double *x, double *f)
{
	double v = (r + 1.0) * exp(-r);
	x[1] = r;
	f[1] = exp(-r);
	for (int i = 1; i < 255; i++) {
		double y = f[i] + v / x[i];
		if (y >= 1.0)
			return y - 1.0 + (double)(255 - i);
		f[i + 1] = y;
		x[i + 1] = -log(y);
	}
	return f[255] + v / x[255] - 1.0;
}

/* The published r for 256 strips is 7.69711747013104972 (Marsaglia &
 * Tsang); it is found here by bisection so that the top strip closes at
 * x = 0 exactly, and tests/test_kernel.c checks both. */
static void zig_init(void)
{
	struct sim_zig *z = &sim_zig;
	double lo = 1.0, hi = 20.0;
	for (int i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
		double mid = 0.5 * (lo + hi);
		if (zig_build(mid, z->x, z->f) > 0)
			lo = mid;
		else
			hi = mid;
	}
	double r = hi;
	zig_build(r, z->x, z->f);
	z->x[256] = 0.0;
	z->f[256] = 1.0;
	/* the base strip's width counts the tail as if it were a rectangle
	 * of height f(r): v / f(r) */
	z->x[0] = (r + 1.0) * exp(-r) / z->f[1];
	z->f[0] = 0.0;
	for (int i = 0; i < 256; i++) {
		z->w[i] = z->x[i] * 0x1.0p-53;
		z->k[i] = (uint64_t)(z->x[i + 1] / z->x[i] * 0x1.0p53);
	}
}

double sim_exp1_slow(struct sim_stream *st, unsigned strip, uint64_t bits)
{
	const struct sim_zig *z = &sim_zig;
	for (;;) {
		double x = (double)bits * z->w[strip];
		if (strip == 0) /* the tail: r plus a fresh exponential */
			return z->x[1] + sim_exp1(st);
		/* the wedge between the strip's inner rectangle and the
		 * curve: a uniform height in the strip, kept under exp(-x) */
		double y = z->f[strip] +
			   sim_uniform(st) * (z->f[strip + 1] - z->f[strip]);
		if (y < exp(-x))
			return x;
		uint64_t u = sim_xoshiro256p(st->xs);
		strip = (unsigned)(u >> 3) & 255;
		bits = u >> 11;
		if (bits < z->k[strip])
			return (double)bits * z->w[strip];
	}
}

static pthread_once_t zig_once = PTHREAD_ONCE_INIT;

int sim_stream_init(struct sim_stream *st, uint64_t seed, uint32_t replication,
		    const char *name)
{
	pthread_once(&zig_once, zig_init);
	/* FNV-1a of the name, then mixed with seed and replication. */
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * UINT64_C(0x100000001b3);
	uint64_t x = seed;
	uint64_t k = splitmix64(&x);
	x ^= h;
	k ^= splitmix64(&x);
	x += replication;
	k ^= rotl(splitmix64(&x), 17);
	st->key = k;
	/* gsl_rng is a public struct of a type and a state pointer; ours
	 * points into the stream itself, so a stream allocates nothing */
	st->g = (gsl_rng){.type = sim_rng_xoshiro256p, .state = st->xs};
	xo_set(st->xs, (unsigned long)k);
	return 0;
}

void sim_stream_seek(struct sim_stream *st, uint64_t id)
{
	uint64_t x = id * UINT64_C(0xd1342543de82ef95);
	xo_set(st->xs, (unsigned long)(st->key ^ splitmix64(&x)));
}

void sim_stream_release(struct sim_stream *st)
{
	st->g.state = NULL;
}

/* ------------------------------------------------------ distributions -- */

const char *const sim_dist_names[SIM_DIST_NKINDS] = {
    [SIM_DIST_CONSTANT] = "constant",
    [SIM_DIST_EXPONENTIAL] = "exponential",
    [SIM_DIST_UNIFORM] = "uniform",
    [SIM_DIST_NORMAL] = "normal",
    [SIM_DIST_LOGNORMAL] = "lognormal",
    [SIM_DIST_GAMMA] = "gamma",
    [SIM_DIST_WEIBULL] = "weibull",
    [SIM_DIST_PARETO] = "pareto",
    [SIM_DIST_ERLANG] = "erlang",
    [SIM_DIST_HYPEREXP] = "hyperexponential",
    [SIM_DIST_EMPIRICAL] = "empirical",
};

/* Squared cv of a Weibull with shape k: G(1+2/k)/G(1+1/k)^2 - 1. */
static double weibull_cv2(double k)
{
	double l1 = gsl_sf_lngamma(1.0 + 1.0 / k);
	double l2 = gsl_sf_lngamma(1.0 + 2.0 / k);
	return exp(l2 - 2.0 * l1) - 1.0;
}

int sim_dist_set(struct sim_dist *d, enum sim_dist_kind kind, double mean,
		 double cv, const char **why)
{
	*why = NULL;
	if (!isfinite(mean) || mean < 0) {
		*why = "mean must be a finite value >= 0";
		return SIM_EINVAL;
	}
	if (!isfinite(cv) || cv < 0) {
		*why = "cv must be a finite value >= 0";
		return SIM_EINVAL;
	}
	*d = (struct sim_dist){.kind = kind, .mean = mean, .cv = cv};
	if (mean == 0.0 && kind != SIM_DIST_EMPIRICAL) {
		d->kind = SIM_DIST_CONSTANT; /* every shape of mean 0 is 0 */
		d->cv = 0;
		return 0;
	}
	switch (kind) {
	case SIM_DIST_CONSTANT:
		d->cv = 0;
		d->a = mean;
		return 0;
	case SIM_DIST_EXPONENTIAL:
		d->cv = 1;
		d->a = mean;
		return 0;
	case SIM_DIST_UNIFORM: {
		double h = mean * cv * sqrt(3.0);
		if (h > mean) {
			*why = "cv of a uniform distribution must be at most "
			       "0.577 (1/sqrt(3)) to stay non-negative";
			return SIM_EINVAL;
		}
		d->a = mean - h;
		d->b = mean + h;
		return 0;
	}
	case SIM_DIST_NORMAL:
		d->a = mean;
		d->b = mean * cv;
		return 0;
	case SIM_DIST_LOGNORMAL: {
		double s2 = log1p(cv * cv);
		d->a = log(mean) - s2 / 2.0;
		d->b = sqrt(s2);
		return 0;
	}
	case SIM_DIST_GAMMA:
	case SIM_DIST_ERLANG:
		if (cv <= 0) {
			*why = "cv must be > 0";
			return SIM_EINVAL;
		}
		d->a = 1.0 / (cv * cv); /* shape */
		if (kind == SIM_DIST_ERLANG) {
			double k = nearbyint(d->a);
			if (k < 1 || fabs(k - d->a) > 1e-6 * k) {
				*why = "erlang needs a whole number of phases "
				       "k >= 1 (cv = 1/sqrt(k))";
				return SIM_EINVAL;
			}
			d->a = k;
		}
		d->b = mean / d->a; /* scale */
		return 0;
	case SIM_DIST_WEIBULL: {
		if (cv <= 0.01 || cv > 100) {
			*why = "cv of a weibull distribution must be in "
			       "(0.01, 100]";
			return SIM_EINVAL;
		}
		/* cv decreases with the shape k: bisect log k */
		double lo = log(0.02), hi = log(200.0), target = cv * cv;
		for (int i = 0; i < 200; i++) {
			double mid = 0.5 * (lo + hi);
			if (weibull_cv2(exp(mid)) > target)
				lo = mid;
			else
				hi = mid;
		}
		double k = exp(0.5 * (lo + hi));
		d->b = k;
		d->a = mean / exp(gsl_sf_lngamma(1.0 + 1.0 / k)); /* scale */
		return 0;
	}
	case SIM_DIST_PARETO: {
		if (cv <= 0) {
			*why = "cv must be > 0";
			return SIM_EINVAL;
		}
		/* cv^2 = 1 / (alpha (alpha - 2)) for alpha > 2 */
		double alpha = 1.0 + sqrt(1.0 + 1.0 / (cv * cv));
		d->a = alpha;
		d->b = mean * (alpha - 1.0) / alpha; /* minimum x_m */
		return 0;
	}
	case SIM_DIST_HYPEREXP: {
		if (cv < 1) {
			*why = "cv of a hyperexponential must be at least 1";
			return SIM_EINVAL;
		}
		/* two phases with balanced means: p1/mu1 = p2/mu2 */
		double c2 = cv * cv;
		double p = 0.5 * (1.0 + sqrt((c2 - 1.0) / (c2 + 1.0)));
		d->a = p;
		d->b = mean / (2.0 * p);
		d->c = mean / (2.0 * (1.0 - p));
		return 0;
	}
	case SIM_DIST_EMPIRICAL:
	case SIM_DIST_NKINDS:
		break;
	}
	*why = "this distribution is not given by mean and cv";
	return SIM_EINVAL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int sim_dist_set_empirical(struct sim_dist *d, const double *x, size_t n,
			   const char **why)
{
	*why = NULL;
	*d = (struct sim_dist){.kind = SIM_DIST_EMPIRICAL};
	if (n == 0) {
		*why = "an empirical distribution needs at least one sample";
		return SIM_EINVAL;
	}
	double sum = 0, sum2 = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(x[i]) || x[i] < 0) {
			*why = "samples must be finite values >= 0";
			return SIM_EINVAL;
		}
		sum += x[i];
		sum2 += x[i] * x[i];
	}
	d->samples = malloc(n * sizeof *d->samples);
	if (!d->samples)
		return SIM_ENOMEM;
	memcpy(d->samples, x, n * sizeof *x);
	qsort(d->samples, n, sizeof *d->samples, cmp_double);
	d->nsamples = n;
	d->mean = sum / (double)n;
	double var = sum2 / (double)n - d->mean * d->mean;
	d->cv = d->mean > 0 && var > 0 ? sqrt(var) / d->mean : 0;
	return 0;
}

void sim_dist_release(struct sim_dist *d)
{
	if (d->kind == SIM_DIST_EMPIRICAL)
		free(d->samples);
	d->samples = NULL;
	d->nsamples = 0;
}

int sim_dist_copy(struct sim_dist *dst, const struct sim_dist *src)
{
	*dst = *src;
	if (src->kind == SIM_DIST_EMPIRICAL && src->nsamples) {
		dst->samples = malloc(src->nsamples * sizeof *dst->samples);
		if (!dst->samples)
			return SIM_ENOMEM;
		memcpy(dst->samples, src->samples,
		       src->nsamples * sizeof *dst->samples);
	}
	return 0;
}

double sim__dist_sample(const struct sim_dist *d, struct sim_stream *st)
{
	gsl_rng *r = &st->g;
	r->state = st->xs; /* in case the stream was moved since */
	switch (d->kind) {
	case SIM_DIST_CONSTANT:
		return d->a;
	case SIM_DIST_EXPONENTIAL:
		return sim_exponential(st, d->a);
	case SIM_DIST_UNIFORM:
		return d->a + (d->b - d->a) * sim_uniform(st);
	case SIM_DIST_NORMAL:
		/* truncated at 0: resample; at most 64 tries, then 0 */
		for (int i = 0; i < 64; i++) {
			double x = d->a + gsl_ran_gaussian_ziggurat(r, d->b);
			if (x >= 0)
				return x;
		}
		return 0.0;
	case SIM_DIST_LOGNORMAL:
		return gsl_ran_lognormal(r, d->a, d->b);
	case SIM_DIST_GAMMA:
	case SIM_DIST_ERLANG:
		return gsl_ran_gamma(r, d->a, d->b);
	case SIM_DIST_WEIBULL:
		return gsl_ran_weibull(r, d->a, d->b);
	case SIM_DIST_PARETO:
		return gsl_ran_pareto(r, d->a, d->b);
	case SIM_DIST_HYPEREXP:
		return sim_exponential(st,
				       sim_uniform(st) < d->a ? d->b : d->c);
	case SIM_DIST_EMPIRICAL: {
		size_t i = (size_t)(sim_uniform(st) * (double)d->nsamples);
		return d->samples[i < d->nsamples ? i : d->nsamples - 1];
	}
	case SIM_DIST_NKINDS:
		break;
	}
	return 0.0;
}
