/*
 * rng.h - named random streams and the distributions requests are drawn
 * from (rng.c).
 *
 * A stream is derived from (master seed, replication, name), so a seed
 * reproduces a run exactly and two models can be fed the very same
 * requests. Each simulation owns its streams: nothing here is shared
 * between threads.
 */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "kernel/error.h"

/* ----------------------------------------------------- random streams -- */

/* A named stream: an independent generator whose seed is derived from
 * (master seed, replication, name), so a stream means the same numbers
 * whichever model consumes the others. The generator is xoshiro256+
 * registered as a gsl_rng_type, so every GSL distribution works on it. */
struct sim_stream {
	uint64_t xs[4]; /* the generator's state, read inline by the fast
			   paths (one load less per draw than through GSL) */
	gsl_rng g;	/* GSL's view of it, for gsl_ran_* (sim__dist_sample
			   points g.state at xs before each use) */
	uint64_t key;	/* derived from (seed, replication, name) */
};

/* Returns 0: a stream allocates nothing (callers still check for a
 * SIM_E* code, so that one may come back if that changes). */
int sim_stream_init(struct sim_stream *st, uint64_t seed, uint32_t replication,
		    const char *name);
void sim_stream_release(struct sim_stream *st);
/* Restarts the stream at a position given by `id`: the numbers that follow
 * depend only on (seed, replication, name, id). Used per request and per
 * user, so that request k gets the same class and demands in every system
 * whatever order the model makes them in (common random numbers). */
void sim_stream_seek(struct sim_stream *st, uint64_t id);

/* The generator type, for gsl_rng_alloc(). */
extern const gsl_rng_type *sim_rng_xoshiro256p;

/* One step of xoshiro256+ (Blackman & Vigna) on a 4-word state. */
static inline uint64_t sim_xoshiro256p(uint64_t *s)
{
	const uint64_t result = s[0] + s[3];
	const uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = (s[3] << 45) | (s[3] >> 19);
	return result;
}

/* Uniform in [0, 1) from the stream, inline on the generator's state (the
 * same numbers as through GSL), because requests draw one or two per
 * phase. */
static inline double sim_uniform(struct sim_stream *st)
{
	return (double)(sim_xoshiro256p(st->xs) >> 11) * 0x1.0p-53;
}

/* Exponential samples by the ziggurat method (Marsaglia & Tsang, "The
 * Ziggurat Method for Generating Random Variables", JSS 5(8), 2000): the
 * density exp(-x) is covered by 256 strips of equal area, strip 0 being the
 * base with the tail beyond r. A draw picks a strip with 8 bits and a
 * point across it with the top 53 bits; 97.8 % of the time the point lies
 * in the part of the strip that is wholly under the curve and is returned
 * as it is, with no logarithm. sim_exp1_slow handles the rest exactly (the
 * tail by memorylessness, the wedges by rejection). The tables are built
 * by rng.c the first time a stream is made.
 *
 * xoshiro256+'s lowest bits are its weakest (Blackman & Vigna), so the
 * strip comes from bits 3-10 and the point from bits 11-63. */
struct sim_zig {
	uint64_t k[256]; /* accept at once if the 53 bits are below k[i] */
	double w[256];	 /* the strip's width / 2^53 */
	double x[257];	 /* strip edges: x[1] = r, ..., x[256] = 0 */
	double f[257];	 /* exp(-x[i]) */
};
extern struct sim_zig sim_zig;
double sim_exp1_slow(struct sim_stream *st, unsigned strip, uint64_t bits);

static inline double sim_exp1(struct sim_stream *st)
{
	uint64_t u = sim_xoshiro256p(st->xs);
	unsigned i = (unsigned)(u >> 3) & 255;
	uint64_t m = u >> 11;
	if (m < sim_zig.k[i])
		return (double)m * sim_zig.w[i];
	return sim_exp1_slow(st, i, m);
}

/* Exponential with the given mean. */
static inline double sim_exponential(struct sim_stream *st, double mean)
{
	return sim_exp1(st) * mean;
}

/* ------------------------------------------------------ distributions -- */

enum sim_dist_kind {
	SIM_DIST_CONSTANT,
	SIM_DIST_EXPONENTIAL,
	SIM_DIST_UNIFORM,
	SIM_DIST_NORMAL, /* truncated at 0 by resampling */
	SIM_DIST_LOGNORMAL,
	SIM_DIST_GAMMA,
	SIM_DIST_WEIBULL,
	SIM_DIST_PARETO,
	SIM_DIST_ERLANG,
	SIM_DIST_HYPEREXP,
	SIM_DIST_EMPIRICAL,
	SIM_DIST_NKINDS
};

/* A distribution ready to sample. `a`, `b`, `c` hold the GSL parameters
 * derived once from the user's mean/cv (see sim_dist_set). */
struct sim_dist {
	enum sim_dist_kind kind;
	double mean, cv; /* as the user gave them (or derived) */
	double a, b, c;	 /* kind-specific sampling parameters */
	double *samples; /* empirical: owned, sorted */
	size_t nsamples;
};

/* Names as used in scenarios ("exponential", ...), indexed by kind. */
extern const char *const sim_dist_names[SIM_DIST_NKINDS];

/* Sets d to `kind` with the given mean and coefficient of variation,
 * deriving the sampling parameters. cv is ignored where the kind fixes it
 * (constant: 0, exponential: 1). Returns 0, or SIM_EINVAL with a static
 * reason in *why (e.g. "cv must be at least 1 for hyperexponential"). */
int sim_dist_set(struct sim_dist *d, enum sim_dist_kind kind, double mean,
		 double cv, const char **why);
/* Empirical distribution over `n` samples (copied). Returns 0, SIM_EINVAL
 * (no samples, negative or non-finite values) or SIM_ENOMEM. */
int sim_dist_set_empirical(struct sim_dist *d, const double *x, size_t n,
			   const char **why);
/* Frees what sim_dist_set_empirical allocated; safe on any dist. */
void sim_dist_release(struct sim_dist *d);
/* Deep copy (empirical samples duplicated). Returns 0 or SIM_ENOMEM. */
int sim_dist_copy(struct sim_dist *dst, const struct sim_dist *src);
/* Internal: sim_dist_sample's kinds other than exponential and constant. */
double sim__dist_sample(const struct sim_dist *d, struct sim_stream *st);

/* One non-negative sample. Inline for the two kinds most phases have. */
static inline double sim_dist_sample(const struct sim_dist *d,
				     struct sim_stream *st)
{
	if (d->kind == SIM_DIST_EXPONENTIAL)
		return sim_exponential(st, d->a);
	if (d->kind == SIM_DIST_CONSTANT)
		return d->a;
	return sim__dist_sample(d, st);
}

#endif
