/*
 * slo.h - service-level objectives: the one grammar `run --slo`,
 * `capacity --slo` (and `plot --slo`) read, and their value in one
 * replication.
 *
 *   OBJECTIVES := TERM { ',' TERM }
 *   TERM       := FIGURE OP VALUE
 *   FIGURE     := mean | pN[.N] (p50, p95, p99, p99.9; p999 = p99.9)
 *                 | errors | goodput
 *   OP         := < | <=            (errors, latency)
 *               | > | >= | < | <=   (goodput)
 *   VALUE      := a duration with its unit (latency: 100ms),
 *                 or a share: 1% or 0.01 (errors, goodput)
 *
 * Latency figures count a request without a good response (refused, timed
 * out, killed or unavailable on every attempt, or answered too late) as
 * slower than any target: p99 < T needs 99 % of the requests offered
 * answered well within T, and a mean needs every one answered, so a
 * design cannot meet a latency objective by shedding load. `errors` is
 * the share of attempts (first sends and retries) that failed, of any
 * kind; `goodput` the share of requests offered answered well in time.
 */
#ifndef SIM_SLO_H
#define SIM_SLO_H

#include <stdbool.h>
#include <stddef.h>

#include "kernel/stats.h"

#define SLO_MAX_TERMS 8

enum slo_figure { SLO_MEAN, SLO_QUANTILE, SLO_ERRORS, SLO_GOODPUT };
enum slo_op { SLO_LT, SLO_LE, SLO_GT, SLO_GE };

struct slo_term {
	enum slo_figure fig;
	double q; /* SLO_QUANTILE */
	enum slo_op op;
	double target; /* seconds, or a share 0..1 */
	char text[48]; /* the term as written, e.g. "p99<100ms" */
};

struct slo {
	struct slo_term t[SLO_MAX_TERMS];
	size_t n;
};

/* Parses s into *o. Returns 0, or -1 with a one-line message (without
 * the "concsim: error: " prefix) in msg. */
int slo_parse(struct slo *o, const char *s, char *msg, size_t size);

/* The term's figure in one replication (+inf for a latency without
 * enough good responses, see above). */
double slo_value(const struct slo_term *t, const struct sim_rep_result *r);

/* Whether v meets the term. */
bool slo_meets(const struct slo_term *t, double v);

/* v as the term's figure reads: "123 ms", "1.20%", "inf". */
void slo_format(const struct slo_term *t, double v, char *buf, size_t size);

#endif
