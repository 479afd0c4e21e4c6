/*
 * overrides.h - grafts `--set PATH=VALUE` onto a parsed scenario.
 */
#ifndef SIM_OVERRIDES_H
#define SIM_OVERRIDES_H

#include <stddef.h>

#include "scenario/diag.h"

/* Returns a copy of root with `value` at dotted `path` (nodes along the
 * path are copied, root is left alone); NULL with a message in msg (size
 * bytes) when the path does not fit, or when memory ran out (l->rc). */
struct sim_ynode *sim__set_root_path(struct sim_load *l,
				     const struct sim_ynode *root,
				     const char *path, struct sim_ynode *value,
				     char *msg, size_t size);

/* Parses an override's VALUE as one YAML flow value, marked `mfile`.
 * Returns the node (owned by l->doc) or NULL after an error. */
/* Keeps only the systems named in `names` (comma-separated) in root's
 * `systems` list. Returns the new root, or NULL with a message in msg
 * (a name that is not a system). */
struct sim_ynode *sim__select_systems(struct sim_load *l,
				      const struct sim_ynode *root,
				      const char *names, char *msg,
				      size_t size);

struct sim_ynode *sim__parse_override(struct sim_load *l, const char *mfile,
				      const char *value);

#endif
