/*
 * yamldoc.h - a small YAML document tree for the scenario loader (internal).
 *
 * libyaml's event stream is turned into nodes (scalar, map, sequence) that
 * each remember where they started, so that the loader can say
 * FILE:LINE:COLUMN for any value. An alias shares the anchored node rather
 * than copying it; the parser bounds the size of the tree once aliases are
 * expanded and its depth, so a hostile file costs little time and memory.
 */
#ifndef SIM_YAMLDOC_H
#define SIM_YAMLDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario/scenario.h"

#define SIM_YAML_MAX_BYTES (16u << 20) /* largest scenario file */
#define SIM_YAML_MAX_NODES 1000000u    /* nodes once aliases are expanded */
#define SIM_YAML_MAX_DEPTH 64	       /* nesting of maps and lists */

enum sim_ykind { SIM_Y_SCALAR, SIM_Y_MAP, SIM_Y_SEQ };

struct sim_ynode {
	enum sim_ykind kind;
	bool plain; /* scalar: plain style (only these are numbers, bools) */
	struct sim_mark mark;
	char *text; /* scalar: NUL-terminated */
	size_t len;
	/* map: n pairs keys[i] -> vals[i] (keys are scalars); seq: vals */
	struct sim_ynode **keys, **vals;
	size_t n, cap;
	/* parser bookkeeping */
	uint64_t weight; /* nodes below and including this one, expanded */
	int height;	 /* levels below this one */
	bool open;	 /* still being built (an alias to it is a cycle) */
	struct sim_ynode *all; /* every node of the document, for freeing */
};

struct sim_ydoc {
	struct sim_ynode *root; /* NULL: no document (empty file) */
	struct sim_ynode *all;
};

/* A parse problem: where, and a lowercase message. */
struct sim_yerror {
	struct sim_mark mark;
	char msg[256];
};

/* Parses `len` bytes of `text` into *doc (one document at most). Marks
 * point at `file`, which must outlive the document; `col_shift` is added to
 * the column of everything on line 1 (for text the caller wrapped). Returns
 * 0, SIM_ESCENARIO with *e filled, or SIM_ENOMEM. On failure *doc is
 * empty. */
int sim_yaml_parse(struct sim_ydoc *doc, const char *file, const char *text,
		   size_t len, int col_shift, struct sim_yerror *e);

/* Frees every node of the document. */
void sim_yaml_free(struct sim_ydoc *doc);

/* Moves every node of `from` into `to` (which then frees them). */
void sim_yaml_adopt(struct sim_ydoc *to, struct sim_ydoc *from);

/* A new node owned by doc: an empty map or sequence, or a scalar copy of
 * `text` (plain style). Returns NULL when memory runs out. */
struct sim_ynode *sim_ynode_new(struct sim_ydoc *doc, enum sim_ykind kind,
				const char *text, struct sim_mark mark);

/* A shallow copy of n owned by doc (children shared). NULL on ENOMEM. */
struct sim_ynode *sim_ynode_clone(struct sim_ydoc *doc,
				  const struct sim_ynode *n);

/* Appends an item (seq: key NULL) or a pair (map). Returns 0 or
 * SIM_ENOMEM. */
int sim_ynode_append(struct sim_ynode *n, struct sim_ynode *key,
		     struct sim_ynode *val);

/* The value of `key` in map n (and its index in *idx), or NULL. */
struct sim_ynode *sim_ymap_get(const struct sim_ynode *n, const char *key,
			       size_t *idx);

/* Whether n is a null scalar (empty, ~, null) or absent. */
bool sim_ynode_is_null(const struct sim_ynode *n);

#endif
