/*
 * retry.h - the client layer's retry policy, shared by the clients of the
 * workload (workload/run.c) and the calls between services
 * (runtime/service.c): whether a failed attempt may be retried, and how
 * long to back off first (exponential, with jitter).
 */
#ifndef SIM_RETRY_H
#define SIM_RETRY_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "kernel/rng.h"
#include "runtime/config.h"

/* Whether an attempt numbered `attempt` (0 = the first) that failed may be
 * retried, given the attempts sent so far (first ones and retries) and
 * the retry budget. */
static inline bool sim_retry_allowed(const struct sim_client *c, int attempt,
				     uint64_t sent_first, uint64_t sent_retries)
{
	if (attempt >= c->retries)
		return false;
	return !(c->retry_budget > 0 &&
		 (double)sent_retries >= c->retry_budget * (double)sent_first);
}

/* The backoff before attempt number `attempt` (>= 1): backoff *
 * multiplier^(attempt - 1), jittered with draws from rng. */
static inline double sim_retry_backoff(const struct sim_client *c, int attempt,
				       struct sim_stream *rng)
{
	double b = c->backoff * pow(c->multiplier, attempt - 1);
	switch (c->jitter) {
	case SIM_JITTER_FULL:
		return b * sim_uniform(rng);
	case SIM_JITTER_EQUAL:
		return b / 2 + b / 2 * sim_uniform(rng);
	case SIM_JITTER_NONE:
		break;
	}
	return b;
}

#endif
