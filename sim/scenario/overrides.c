/*
 * overrides.c - grafts `--set PATH=VALUE` onto the parsed tree: VALUE is
 * read as one YAML flow value and put at the dotted PATH (a list item by
 * name or index), copying the nodes on the way so aliases are left alone.
 */
#include "scenario/overrides.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "models/registry.h"
#include "scenario/read_systems.h"

/* The noun for items of a list, by the key that holds it. */
static const char *item_noun(const char *key)
{
	return !strcmp(key, "systems")	  ? "system"
	       : !strcmp(key, "classes")  ? "class"
	       : !strcmp(key, "phases")	  ? "phase"
	       : !strcmp(key, "schedule") ? "schedule entry"
					  : "item";
}

/* Whether list item `item` has the key at dotted `rest`: a single key of
 * a system is one its model (or every host) takes; a deeper path needs
 * its first key in the item. */
static bool item_has(const struct sim_ynode *item, const char *rest)
{
	if (!item || item->kind != SIM_Y_MAP)
		return false;
	const char *dot = strchr(rest, '.');
	size_t len = dot ? (size_t)(dot - rest) : strlen(rest);
	for (size_t k = 0; k < item->n; k++)
		if (strlen(item->keys[k]->text) == len &&
		    !strncmp(item->keys[k]->text, rest, len))
			return true;
	if (dot)
		return false;
	for (size_t k = 0; k < sim__nhost_params; k++)
		if (!strcmp(sim__host_params[k].key, rest))
			return true;
	const struct sim_ynode *m = sim_ymap_get(item, "model", NULL);
	const struct sim_model_ops *ops = m && m->kind == SIM_Y_SCALAR
					      ? sim_model_find(m->text)
					      : sim_models[0];
	for (size_t k = 0; ops && k < ops->nparams; k++)
		if (!strcmp(ops->params[k].key, rest))
			return true;
	return false;
}

/* Returns a copy of n (NULL: missing) with `value` at dotted `path`;
 * nodes along the path are copied, so n itself and any alias of it are
 * left alone. NULL with a message in msg when the path does not fit. */
static struct sim_ynode *set_path(struct sim_load *l, const struct sim_ynode *n,
				  const char *path, const char *key,
				  struct sim_ynode *value, char *msg,
				  size_t size)
{
	const char *dot = strchr(path, '.');
	size_t len = dot ? (size_t)(dot - path) : strlen(path);
	char *comp = strndup(path, len);
	struct sim_ynode *c = NULL, *child = NULL, *sub;
	size_t i = 0;

	if (!comp)
		return sim__nomem(l);
	if (!len) {
		snprintf(msg, size, "empty key in the path");
		goto cleanup;
	}
	if (sim_ynode_is_null(n))
		c = sim_ynode_new(&l->doc, SIM_Y_MAP, NULL, value->mark);
	else if (n->kind == SIM_Y_SCALAR) {
		snprintf(msg, size,
			 "'%s' is a single value, not a map or a list", key);
		goto cleanup;
	} else
		c = sim_ynode_clone(&l->doc, n);
	if (!c) {
		sim__nomem(l);
		goto cleanup;
	}
	if (c->kind == SIM_Y_MAP) {
		child = sim_ymap_get(c, comp, &i);
		if (!child) {
			struct sim_ynode *k = sim_ynode_new(
			    &l->doc, SIM_Y_SCALAR, comp, value->mark);
			if (!k || sim_ynode_append(c, k, NULL)) {
				c = sim__nomem(l);
				goto cleanup;
			}
			i = c->n - 1;
		}
	} else if (!strcmp(comp, "*") && dot) {
		/* every item that has the key: `systems.*.cores=16` */
		size_t hits = 0;
		for (i = 0; i < c->n; i++) {
			if (!item_has(c->vals[i], dot + 1))
				continue;
			sub = set_path(l, c->vals[i], dot + 1, comp, value, msg,
				       size);
			if (!sub) {
				c = NULL;
				goto cleanup;
			}
			c->vals[i] = sub;
			hits++;
		}
		if (!hits) {
			snprintf(msg, size, "no %s has the key '%s'",
				 item_noun(key), dot + 1);
			c = NULL;
		}
		goto cleanup;
	} else {
		char *end = comp;
		for (i = 0; i < c->n; i++) {
			const struct sim_ynode *nm =
			    sim_ymap_get(c->vals[i], "name", NULL);
			if (nm && nm->kind == SIM_Y_SCALAR &&
			    !strcmp(nm->text, comp))
				break;
		}
		if (i == c->n) {
			errno = 0;
			unsigned long idx = strtoul(comp, &end, 10);
			if (isdigit((unsigned char)comp[0]) && !*end &&
			    !errno && idx < c->n)
				i = idx;
		}
		if (i == c->n && isdigit((unsigned char)comp[0]) && !*end)
			snprintf(msg, size, "no %s at index %s (there are %zu)",
				 item_noun(key), comp, c->n);
		else if (i == c->n)
			snprintf(msg, size, "no %s named '%s'", item_noun(key),
				 comp);
		if (i == c->n) {
			c = NULL;
			goto cleanup;
		}
		child = c->vals[i];
	}
	sub = dot ? set_path(l, child, dot + 1, comp, value, msg, size) : value;
	if (!sub)
		c = NULL;
	else
		c->vals[i] = sub;
cleanup:
	free(comp);
	return c;
}

/* set_path from the root, for paths no deeper than a document may be. */
struct sim_ynode *sim__set_root_path(struct sim_load *l,
				     const struct sim_ynode *root,
				     const char *path, struct sim_ynode *value,
				     char *msg, size_t size)
{
	int depth = 1;
	for (const char *p = path; *p; p++)
		depth += *p == '.';
	if (depth > SIM_YAML_MAX_DEPTH) {
		snprintf(msg, size, "path deeper than %d levels",
			 SIM_YAML_MAX_DEPTH);
		return NULL;
	}
	return set_path(l, root, path, "scenario", value, msg, size);
}

struct sim_ynode *sim__select_systems(struct sim_load *l,
				      const struct sim_ynode *root,
				      const char *names, char *msg, size_t size)
{
	const struct sim_ynode *seq = sim_ymap_get(root, "systems", NULL);
	size_t i;
	if (!seq || seq->kind != SIM_Y_SEQ) {
		snprintf(msg, size, "the scenario has no list of systems");
		return NULL;
	}
	struct sim_ynode *c = sim_ynode_clone(&l->doc, root);
	struct sim_ynode *keep = sim_ynode_clone(&l->doc, seq);
	if (!c || !keep)
		return sim__nomem(l);
	bool *want = calloc(seq->n + 1, sizeof(*want));
	if (!want)
		return sim__nomem(l);
	for (const char *p = names; *p;) {
		size_t len = strcspn(p, ",");
		for (i = 0; i < seq->n; i++) {
			const struct sim_ynode *nm =
			    sim_ymap_get(seq->vals[i], "name", NULL);
			if (nm && nm->kind == SIM_Y_SCALAR &&
			    strlen(nm->text) == len &&
			    !strncmp(nm->text, p, len))
				break;
		}
		if (i == seq->n) {
			size_t at = (size_t)snprintf(
			    msg, size,
			    "no system named '%.*s'; the scenario has",
			    (int)len, p);
			for (size_t k = 0; k < seq->n && at < size; k++) {
				const struct sim_ynode *nm =
				    sim_ymap_get(seq->vals[k], "name", NULL);
				at += (size_t)snprintf(
				    msg + at, size - at, "%s %s", k ? "," : "",
				    nm && nm->kind == SIM_Y_SCALAR ? nm->text
								   : "?");
			}
			free(want);
			return NULL;
		}
		want[i] = true;
		p += len + (p[len] == ',');
	}
	keep->n = 0;
	for (i = 0; i < seq->n; i++)
		if (want[i])
			keep->vals[keep->n++] = seq->vals[i];
	free(want);
	if (!keep->n) {
		snprintf(msg, size, "no system named (an empty list)");
		return NULL;
	}
	sim_ymap_get(c, "systems", &i);
	c->vals[i] = keep;
	return c;
}

/* Parses an override's VALUE as one YAML flow value. Returns the node (in
 * l->doc) or NULL after an error. */
/* Whether YAML reads s, in a flow sequence, as one plain scalar whose
 * text is s itself: a word of letters, digits and . _ / + - (a number, a
 * duration, a rate, a name), starting with a letter or a digit, or a sign
 * and a digit or a point. */
static bool plain_word(const char *s)
{
	const char *p = s;
	if (*p == '-' || *p == '+')
		p++;
	if (!((*p >= '0' && *p <= '9') || (p > s && *p == '.') ||
	      (p == s &&
	       ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))))
		return false;
	for (; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z') || *p == '.' || *p == '_' ||
		      *p == '/' || *p == '+' || *p == '-'))
			return false;
	return true;
}

struct sim_ynode *sim__parse_override(struct sim_load *l, const char *mfile,
				      const char *value)
{
	struct sim_ydoc vd;
	struct sim_yerror e;
	size_t len = strlen(value);
	struct sim_ynode *r = NULL;
	int rc;

	/* the node the parser would make, without the parser: a sweep's
	 * points each load their values (a third of a point's loading) */
	if (plain_word(value)) {
		r = sim_ynode_new(&l->doc, SIM_Y_SCALAR, value,
				  (struct sim_mark){mfile, 1, 1});
		return r ? r : sim__nomem(l);
	}
	char *wrapped = malloc(len + 3);
	if (!wrapped)
		return sim__nomem(l);
	/* `--set 'duration=1s # note'`: YAML would read a comment that
	 * swallows the wrap's closing bracket */
	char quote = 0;
	for (size_t i = 0; i < len; i++) {
		if (quote ? value[i] == quote
			  : value[i] == '\'' || value[i] == '"')
			quote = quote ? 0 : value[i];
		else if (!quote && value[i] == '#' &&
			 (i == 0 || value[i - 1] == ' ' ||
			  value[i - 1] == '\t')) {
			free(wrapped);
			sim__error(l, (struct sim_mark){mfile, 1, (int)i + 1},
				   "'#' starts a YAML comment, which a --set "
				   "value cannot hold; remove it, or quote "
				   "the value (\"a # b\")");
			return NULL;
		}
	}
	wrapped[0] = '[';
	memcpy(wrapped + 1, value, len);
	memcpy(wrapped + 1 + len, "]", 2);
	rc = sim_yaml_parse(&vd, mfile, wrapped, len + 2, -1, &e);
	free(wrapped);
	if (rc == SIM_ENOMEM)
		return sim__nomem(l);
	if (rc) {
		/* the end of the text is the end of VALUE, not of the wrap */
		if (e.mark.line > 1 || e.mark.col > (int)len + 1) {
			e.mark.line = 1;
			e.mark.col = (int)len + 1;
		}
		sim__error(l, e.mark, "%s", e.msg);
		return NULL;
	}
	struct sim_mark m = {mfile, 1, 1};
	if (vd.root && vd.root->kind == SIM_Y_SEQ && vd.root->n == 1)
		r = vd.root->vals[0];
	else if (vd.root && vd.root->n == 0)
		r = sim_ynode_new(&vd, SIM_Y_SCALAR, "", m);
	else
		sim__error(l, m,
			   "expected one value, got %zu (quote a value "
			   "that contains a comma)",
			   vd.root ? vd.root->n : 0);
	sim_yaml_adopt(&l->doc, &vd);
	return r;
}
