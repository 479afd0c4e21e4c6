/*
 * keys.h - the shape of a scenario file, for the documents made from it:
 * every section (a map, or a list of maps), the parameter tables the
 * loader reads it through, and the sections below it. `concsim help
 * scenario`, the man page, shell completion and `concsim schema` walk
 * this tree, so that they say what the loader accepts.
 */
#ifndef SIM_KEYS_H
#define SIM_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "runtime/config.h"

/* What a section holds beyond its tables, read by its own code. */
enum sim_special {
	SIM_SEC_PLAIN,
	SIM_SEC_RETRIES, /* the map may also be a whole number (max) */
	SIM_SEC_PHASES,	 /* a list of one-key maps: cpu, io or pool */
	SIM_SEC_SYSTEMS, /* a list of systems: host keys, model's keys */
	SIM_SEC_SWEEP,	 /* dotted paths to lists or {from, to, step} */
};

struct sim_section {
	const char *key;  /* in the map above; NULL at the top, and for
			     more keys of the map above (`seed`) */
	const char *path; /* for documents: "workload.classes[].phases" */
	const char *help;
	bool list;     /* a list of such maps */
	bool required; /* in the map above */
	enum sim_special special;
	const struct sim_param *p; /* its keys (may be NULL) */
	const size_t *np;
	const struct sim_section *const *sub; /* NULL-terminated, or NULL */
};

/* The `max` of a 64-bit whole number (the seed): 2^64, excluded. */
#define SIM_SEED_END 0x1p64

/* The top of a scenario file. */
extern const struct sim_section sim_scenario_shape;

/* The keys of a distribution map (besides `dist` and `values`). */
extern const struct sim_param *const sim_dist_keys;
extern const size_t *const sim_ndist_keys;
/* The keys every system has (host); `name`, `model` and `overheads` are
 * read beside them. */
extern const struct sim_param *const sim_host_keys;
extern const size_t *const sim_nhost_keys;
/* The flag an io phase's (downstream) or a pool phase's (cpu)
 * distribution map may hold. */
extern const struct sim_param *const sim_io_flag;
extern const struct sim_param *const sim_pool_flag;
/* The keys of a `call:` phase (besides phases, timeout and retries), of
 * workload.client (a call's timeout is its `timeout`), and the one key a
 * service definition has beside a system's (`pool`). */
extern const struct sim_param *const sim_call_keys;
extern const size_t *const sim_ncall_keys;
extern const struct sim_param *const sim_client_keys;
extern const size_t *const sim_nclient_keys;
extern const struct sim_param *const sim_service_pool_key;

/* p's type in words, with its units: "duration (ns us ms s m h d)". */
void sim_param_type_text(const struct sim_param *p, char *buf, size_t size);

/* p's default as a scenario would write it ("4ms", "poisson", "false"),
 * or "" when it has none worth saying (strings, distributions, required
 * keys). */
void sim_param_default_text(const struct sim_param *p, char *buf, size_t size);

/* p's range in words ("1 to 4096", "> 0", ">= 1"), or "". */
void sim_param_range_text(const struct sim_param *p, char *buf, size_t size);

/* What `overheads: zero` does to p, in words to append to its help ("
 * (an overhead: 0 with `overheads: zero`)", false for a switch), or "". */
const char *sim_param_overhead_text(const struct sim_param *p);

#endif
