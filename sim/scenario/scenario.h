/*
 * scenario.h - the loader that builds a scenario (runtime/config.h) from a
 * YAML file (the scenario format of README.md).
 *
 * The loader keeps a position (file:line:column) for every value so that
 * each problem becomes one line `FILE:LINE:COLUMN: error: MESSAGE`. Model
 * specific keys are not known here: each model declares a table of
 * `struct sim_param` and the loader fills the model's config from it.
 */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <stdio.h>

#include "runtime/config.h"
#include "scenario/units.h"

/* Loads and validates `file`, applying the overrides in order (each replaces
 * or adds the value at its dotted path; `systems.NAME.key` selects a system
 * by name, a number selects by index). On success returns 0 and *out owns
 * everything. On a scenario problem prints one line per problem to `err`
 * (`FILE:LINE:COLUMN: error: ...`) and returns SIM_ESCENARIO; SIM_EIO if the
 * file cannot be read (`concsim: error: cannot read 'FILE': REASON`);
 * SIM_ENOMEM. */
int sim_scenario_load(const char *file, const struct sim_override *ov,
		      size_t nov, FILE *err, struct sim_scenario *out);

/* Reads a scenario's text, from `in` when it is not NULL (standard input)
 * or else from `file`, into *text (malloc'd, NUL-terminated; the caller
 * frees it). Returns 0; SIM_EIO (`concsim: error: cannot read ...` on
 * err), SIM_ESCENARIO for a file too large (`FILE:1:1: error: ...`), or
 * SIM_ENOMEM. `file` names it in messages. */
int sim_scenario_read(const char *file, FILE *in, FILE *err, char **text,
		      size_t *len);

/* The same from a string (tests, fuzzing); `name` is used in messages. */
int sim_scenario_load_string(const char *name, const char *text, size_t len,
			     const struct sim_override *ov, size_t nov,
			     FILE *err, struct sim_scenario *out);

/* A scenario file parsed once and loaded many times with different
 * overrides (a sweep's points): every load shares the parsed tree and
 * leaves it alone (an override copies only the nodes on its path), so a
 * point costs its overrides and the reading of the tree, not a parse. */
struct sim_ydoc;
struct sim_scenario_src {
	char *file; /* the name: marks of the tree point into it */
	struct sim_ydoc *doc;
};

/* Parses `text` into *src (`name` in messages). Returns 0; SIM_ESCENARIO
 * for a YAML error (`FILE:LINE:COLUMN: error: ...` on err); SIM_ENOMEM.
 * On failure *src is empty. */
int sim_scenario_parse(const char *name, const char *text, size_t len,
		       FILE *err, struct sim_scenario_src *src);

/* sim_scenario_load_string from the parsed tree, except that the
 * `sweep:` section is neither read nor checked (out->nsweep is 0: the
 * points of a sweep are loaded this way, each with its values as
 * overrides, and the section was checked when the scenario was first
 * loaded). The marks of *out point into src, which must outlive it. */
int sim_scenario_load_src(const struct sim_scenario_src *src,
			  const struct sim_override *ov, size_t nov, FILE *err,
			  struct sim_scenario *out);

/* Frees the parsed tree (after every scenario loaded from it). */
void sim_scenario_src_release(struct sim_scenario_src *src);

/* Frees everything a loaded scenario owns. */
void sim_scenario_release(struct sim_scenario *sc);

/* Frees the scenario's sweep list and leaves it empty (sweep NULL,
 * nsweep 0), e.g. to put another grid in its place. */
void sim_scenario_sweep_release(struct sim_scenario *sc);

/* Writes the resolved scenario as YAML (every default made explicit). */
int sim_scenario_write_yaml(const struct sim_scenario *sc, FILE *f);

/* The top-level keys (name, description, duration, ...), for the
 * writer. */
extern const struct sim_param sim__top_params[];
extern const size_t sim__ntop_params;

#endif
