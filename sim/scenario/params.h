/*
 * params.h - the one engine for tables of `struct sim_param`: defaults,
 * reading, releasing, writing and describing.
 */
#ifndef SIM_PARAMS_H
#define SIM_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "runtime/config.h"
#include "scenario/diag.h"
#include "scenario/yamldoc.h"

#define SIM_MAX_SIM_TIME 1e9 /* seconds (about 31 years) */

#define OFF(type, field) offsetof(type, field)

/* Writes the value of p in base for `concsim check` ("4", "0.004s",
 * "exponential(mean 0.005s, cv 1)"). */
void sim_param_describe(FILE *f, const struct sim_param *p, const void *base);

/* The loader's own (sim__): */

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

/* A scalar that is not null. */
bool sim__is_scalar(const struct sim_ynode *n);

/* "expected ..." for a value of type t. */
const char *sim__expect_of(enum sim_ptype t);

/* Each reads v for `key`; on a bad value reports it and returns false
 * (NULL, -1). */
bool sim__read_number(struct sim_load *l, const char *key, enum sim_ptype t,
		      const struct sim_ynode *v, double *x);
bool sim__check_range(struct sim_load *l, const char *key, enum sim_ptype t,
		      double min, double max, unsigned flags,
		      const struct sim_ynode *v, double x);
int sim__read_choice(struct sim_load *l, const char *key,
		     const char *const *choices, const struct sim_ynode *v);
bool sim__read_bool(struct sim_load *l, const char *key,
		    const struct sim_ynode *v, bool *out);
char *sim__read_string(struct sim_load *l, const char *key,
		       const struct sim_ynode *v); /* caller frees */
bool sim__expect_kind(struct sim_load *l, const char *key,
		      const struct sim_ynode *v, enum sim_ykind kind);

/* A type whose value is a map read through tables of its own: SIM_PT_DIST
 * (read_dist.c) and SIM_PT_SYSTEM (read_systems.c). Their files fill one
 * of these each and the loader hands them to the engine before it reads
 * anything (sim__param_nested), so that the engine calls up into no
 * reader and the recursion of a table holding a system whose model has a
 * table runs through these pointers. */
struct sim__nested {
	/* Reads v, the value of p, into dst (the field in the config). */
	void (*read)(struct sim_load *l, const struct sim_param *p,
		     const struct sim_ynode *v, void *dst,
		     const struct vctx *vc);
	/* Writes the value at src after "key:" (its line break included),
	 * the key at indent ind. */
	void (*put)(FILE *f, const void *src, int ind);
	/* Frees what read put at dst, or NULL: the engine's own release. */
	void (*release)(void *dst);
};

/* Hands the engine the reader and writer of the nested type t. */
void sim__param_nested(enum sim_ptype t, const struct sim__nested *n);

/* Each writes one YAML value to f. */
void sim__put_string(FILE *f, const char *s); /* double-quoted */
void sim__put_typed(FILE *f, enum sim_ptype t, double v);

/* Reads v as the value of p into base. */
void sim__read_value(struct sim_load *l, const struct sim_param *p,
		     const struct sim_ynode *v, void *base,
		     const struct vctx *vc);

/* Applies the defaults of the tables of `sec`, then reads the keys of
 * `map` (may be NULL: defaults only) through them; keys in `extra` are
 * left to the caller; anything else is an unknown key, reported with the
 * closest valid one. `where` completes messages ("in system 'node'"). */
void sim__read_table(struct sim_load *l, const struct sim_ynode *map,
		     struct section *sec, size_t nsec, const char *const *extra,
		     const char *where, const struct vctx *vc);

/* Frees what a table put into base (strings, lists, nested systems). */
void sim__release_table(const struct sim_param *p, size_t np, void *base);

/* Sets the number of p in base to 0 (`overheads: zero`). */
void sim__set_zero(const struct sim_param *p, void *base);

/* Writes one key of a table as YAML at indent ind, or nothing for a
 * value that was never set; sim__put_table writes every key. */
void sim__put_param(FILE *f, const struct sim_param *p, const void *base,
		    int ind);
void sim__put_table(FILE *f, const struct sim_param *p, size_t np,
		    const void *base, int ind);

#endif
