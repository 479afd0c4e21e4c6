/*
 * yamldoc.c - builds the scenario loader's document tree from libyaml events.
 *
 * The parser keeps a stack of the maps and sequences being built and a
 * table of anchors. An alias appends the anchored node itself, so nothing
 * is copied; instead every node carries its expanded size and height, and
 * a document that would exceed SIM_YAML_MAX_NODES or SIM_YAML_MAX_DEPTH
 * once expanded is refused. Duplicate keys are found when a map closes.
 */
#include "scenario/yamldoc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

/* ------------------------------------------------------------- nodes -- */

struct sim_ynode *sim_ynode_new(struct sim_ydoc *doc, enum sim_ykind kind,
				const char *text, struct sim_mark mark)
{
	struct sim_ynode *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = kind;
	n->mark = mark;
	n->plain = true;
	n->weight = 1;
	n->height = kind == SIM_Y_SCALAR ? 0 : 1;
	if (kind == SIM_Y_SCALAR) {
		n->len = strlen(text ? text : "");
		n->text = strdup(text ? text : "");
		if (!n->text) {
			free(n);
			return NULL;
		}
	}
	n->all = doc->all;
	doc->all = n;
	return n;
}

struct sim_ynode *sim_ynode_clone(struct sim_ydoc *doc,
				  const struct sim_ynode *n)
{
	struct sim_ynode *c = sim_ynode_new(doc, n->kind, n->text, n->mark);
	if (!c)
		return NULL;
	c->plain = n->plain;
	c->weight = n->weight;
	c->height = n->height;
	for (size_t i = 0; i < n->n; i++)
		if (sim_ynode_append(c, n->keys ? n->keys[i] : NULL,
				     n->vals[i]))
			return NULL; /* c stays owned by doc */
	return c;
}

int sim_ynode_append(struct sim_ynode *n, struct sim_ynode *key,
		     struct sim_ynode *val)
{
	if (n->n == n->cap) {
		size_t cap = n->cap ? 2 * n->cap : 4;
		struct sim_ynode **v = realloc(n->vals, cap * sizeof(*v));
		if (!v)
			return SIM_ENOMEM;
		n->vals = v;
		if (n->kind == SIM_Y_MAP) {
			struct sim_ynode **k =
			    realloc(n->keys, cap * sizeof(*k));
			if (!k)
				return SIM_ENOMEM;
			n->keys = k;
		}
		n->cap = cap;
	}
	if (n->kind == SIM_Y_MAP)
		n->keys[n->n] = key;
	n->vals[n->n++] = val;
	return 0;
}

struct sim_ynode *sim_ymap_get(const struct sim_ynode *n, const char *key,
			       size_t *idx)
{
	if (!n || n->kind != SIM_Y_MAP)
		return NULL;
	for (size_t i = 0; i < n->n; i++)
		if (!strcmp(n->keys[i]->text, key)) {
			if (idx)
				*idx = i;
			return n->vals[i];
		}
	return NULL;
}

bool sim_ynode_is_null(const struct sim_ynode *n)
{
	if (!n)
		return true;
	if (n->kind != SIM_Y_SCALAR || !n->plain)
		return false;
	return !strcmp(n->text, "") || !strcmp(n->text, "~") ||
	       !strcmp(n->text, "null") || !strcmp(n->text, "Null") ||
	       !strcmp(n->text, "NULL");
}

void sim_yaml_free(struct sim_ydoc *doc)
{
	struct sim_ynode *n = doc->all;
	while (n) {
		struct sim_ynode *next = n->all;
		free(n->text);
		free(n->keys);
		free(n->vals);
		free(n);
		n = next;
	}
	doc->all = doc->root = NULL;
}

void sim_yaml_adopt(struct sim_ydoc *to, struct sim_ydoc *from)
{
	struct sim_ynode **tail = &from->all;
	while (*tail)
		tail = &(*tail)->all;
	*tail = to->all;
	to->all = from->all;
	from->all = from->root = NULL;
}

/* ----------------------------------------------------------- anchors -- */

/* Open addressing over strdup'ed names; a redefined anchor replaces the
 * old one, as YAML says. */
struct anchors {
	char **name;
	struct sim_ynode **node;
	size_t n, cap;
};

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static struct sim_ynode **anchor_slot(struct anchors *a, const char *name,
				      size_t *i)
{
	size_t mask = a->cap - 1;
	for (*i = hash_str(name) & mask; a->name[*i]; *i = (*i + 1) & mask)
		if (!strcmp(a->name[*i], name))
			break;
	return &a->node[*i];
}

static int anchor_put(struct anchors *a, const char *name,
		      struct sim_ynode *node)
{
	size_t i;
	if (2 * (a->n + 1) > a->cap) {
		struct anchors b = {.cap = a->cap ? 2 * a->cap : 64};
		b.name = calloc(b.cap, sizeof(*b.name));
		b.node = calloc(b.cap, sizeof(*b.node));
		if (!b.name || !b.node) {
			free(b.name);
			free(b.node);
			return SIM_ENOMEM;
		}
		for (size_t j = 0; j < a->cap; j++)
			if (a->name[j]) {
				*anchor_slot(&b, a->name[j], &i) = a->node[j];
				b.name[i] = a->name[j];
			}
		b.n = a->n;
		free(a->name);
		free(a->node);
		*a = b;
	}
	struct sim_ynode **slot = anchor_slot(a, name, &i);
	if (!a->name[i]) {
		if (!(a->name[i] = strdup(name)))
			return SIM_ENOMEM;
		a->n++;
	}
	*slot = node;
	return 0;
}

static struct sim_ynode *anchor_get(struct anchors *a, const char *name)
{
	size_t i;
	if (!a->cap)
		return NULL;
	struct sim_ynode *n = *anchor_slot(a, name, &i);
	return a->name[i] ? n : NULL;
}

static void anchors_free(struct anchors *a)
{
	for (size_t i = 0; i < a->cap; i++)
		free(a->name[i]);
	free(a->name);
	free(a->node);
}

/* ------------------------------------------------------------ parser -- */

struct pstate {
	struct sim_ydoc *doc;
	const char *file;
	const char *text;
	size_t len;
	int col_shift;
	struct sim_ynode *stack[SIM_YAML_MAX_DEPTH + 1];
	struct sim_ynode *key[SIM_YAML_MAX_DEPTH + 1]; /* map: pending key */
	int depth;
	struct anchors anchors;
	struct sim_yerror *e;
};

static struct sim_mark mark_of(const struct pstate *ps, yaml_mark_t m)
{
	struct sim_mark r = {ps->file, (int)m.line + 1, (int)m.column + 1};
	if (r.line == 1)
		r.col += ps->col_shift;
	return r;
}

static int fail(struct pstate *ps, struct sim_mark m, const char *fmt, ...)
{
	va_list ap;
	ps->e->mark = m;
	va_start(ap, fmt);
	vsnprintf(ps->e->msg, sizeof(ps->e->msg), fmt, ap);
	va_end(ap);
	return SIM_ESCENARIO;
}

/* Finds the byte offset of a 1-based line and (character) column. */
static size_t offset_of(const struct pstate *ps, int line, int col)
{
	size_t i = 0;
	for (int l = 1; l < line && i < ps->len; i++)
		if (ps->text[i] == '\n')
			l++;
	for (int c = 1; c < col && i + 1 < ps->len; i++)
		if (((unsigned char)ps->text[i + 1] & 0xc0) != 0x80)
			c++;
	return i;
}

/* Turns libyaml's complaint into a message with a position. */
static int libyaml_error(struct pstate *ps, const yaml_parser_t *p)
{
	struct sim_mark m;
	const char *what = p->problem ? p->problem : "unknown problem";
	if (p->error == YAML_MEMORY_ERROR)
		return SIM_ENOMEM;
	if (p->error == YAML_READER_ERROR) {
		/* no mark: count lines and characters up to the byte */
		size_t off =
		    p->problem_offset < ps->len ? p->problem_offset : ps->len;
		int byte = p->problem_value;
		/* a bad continuation: point at the character it belongs to */
		for (int k = 0; strstr(what, "trailing") && k < 3 && off > 0 &&
				((unsigned char)ps->text[off] & 0xc0) != 0xc0;
		     k++)
			byte = (unsigned char)ps->text[--off];
		m = (struct sim_mark){ps->file, 1, 1};
		for (size_t i = 0; i < off; i++) {
			if (ps->text[i] == '\n') {
				m.line++;
				m.col = 1;
			} else if (((unsigned char)ps->text[i] & 0xc0) != 0x80)
				m.col++;
		}
		if (m.line == 1)
			m.col += ps->col_shift;
		if (byte >= 0)
			return fail(ps, m,
				    "not UTF-8 text: %s (byte 0x%02x); a "
				    "scenario is a YAML text file",
				    what, (unsigned)byte & 0xffu);
		return fail(ps, m, "not UTF-8 text: %s", what);
	}
	m = mark_of(ps, p->problem_mark);
	size_t off = offset_of(ps, (int)p->problem_mark.line + 1,
			       (int)p->problem_mark.column + 1);
	if (strstr(what, "tab") || (off < ps->len && ps->text[off] == '\t'))
		return fail(ps, m,
			    "tab character in indentation; indent "
			    "YAML with spaces");
	if (p->context)
		return fail(ps, m, "invalid YAML: %s %s", p->context, what);
	return fail(ps, m, "invalid YAML: %s", what);
}

struct keyref {
	const struct sim_ynode *key;
	size_t idx;
};

static int keyref_cmp(const void *a, const void *b)
{
	const struct keyref *x = a, *y = b;
	int c = strcmp(x->key->text, y->key->text);
	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Reports the duplicate key that comes first in the file, if any. */
static int check_duplicates(struct pstate *ps, const struct sim_ynode *map)
{
	if (map->n < 2)
		return 0;
	struct keyref *r = malloc(map->n * sizeof(*r));
	if (!r)
		return SIM_ENOMEM;
	for (size_t i = 0; i < map->n; i++)
		r[i] = (struct keyref){map->keys[i], i};
	qsort(r, map->n, sizeof(*r), keyref_cmp);
	size_t dup = map->n, first = 0;
	for (size_t i = 1; i < map->n; i++)
		if (!strcmp(r[i].key->text, r[i - 1].key->text) &&
		    (i < 2 || strcmp(r[i].key->text, r[i - 2].key->text)) &&
		    r[i].idx < dup) {
			dup = r[i].idx;
			first = r[i - 1].idx;
		}
	free(r);
	if (dup == map->n)
		return 0;
	const struct sim_ynode *k = map->keys[dup];
	char word[64];
	size_t j = 0;
	for (; k->text[j] && j < 56; j++)
		word[j] = (unsigned char)k->text[j] < 0x20 ? '?' : k->text[j];
	strcpy(word + j, k->text[j] ? "..." : "");
	return fail(ps, k->mark, "duplicate key '%s' (first given at line %d)",
		    word, map->keys[first]->mark.line);
}

static bool is_merge_key(const struct sim_ynode *k)
{
	return k->plain && !strcmp(k->text, "<<");
}

static int append_pairs(struct sim_ynode *map, const struct sim_ynode *src)
{
	for (size_t i = 0; i < src->n; i++)
		if (sim_ynode_append(map, src->keys[i], src->vals[i]))
			return SIM_ENOMEM;
	return 0;
}

/* YAML merge keys: `<<: *base` (or `<<: [*a, *b]`) adds the pairs of the
 * merged maps that the map does not give itself; the map's own keys win,
 * then the earlier maps of a list. The merged pairs go after the map's
 * own; the first of each key is kept (a sort, so linear-logarithmic). */
static int expand_merge(struct pstate *ps, struct sim_ynode *map)
{
	size_t own = 0, at = map->n;
	for (size_t i = 0; i < map->n; i++)
		if (is_merge_key(map->keys[i]))
			at = i;
	if (at == map->n)
		return 0;
	const struct sim_ynode *v = map->vals[at];
	bool ok = v->kind == SIM_Y_MAP || v->kind == SIM_Y_SEQ;
	for (size_t j = 0; ok && v->kind == SIM_Y_SEQ && j < v->n; j++)
		ok = v->vals[j]->kind == SIM_Y_MAP;
	if (!ok)
		return fail(ps, map->keys[at]->mark,
			    "'<<' (a merge key) expects a map or a list of "
			    "maps, e.g. <<: *base");
	/* drop the merge pair, keep the map's own pairs in their order */
	for (size_t i = 0; i < map->n; i++)
		if (i != at) {
			map->keys[own] = map->keys[i];
			map->vals[own++] = map->vals[i];
		}
	map->n = own;
	int rc = v->kind == SIM_Y_MAP ? append_pairs(map, v) : 0;
	for (size_t j = 0; !rc && v->kind == SIM_Y_SEQ && j < v->n; j++)
		rc = append_pairs(map, v->vals[j]);
	if (rc || map->n < 2)
		return rc;
	struct keyref *r = malloc(map->n * sizeof(*r));
	bool *keep = calloc(map->n, sizeof(*keep));
	if (!r || !keep) {
		free(r);
		free(keep);
		return SIM_ENOMEM;
	}
	for (size_t i = 0; i < map->n; i++)
		r[i] = (struct keyref){map->keys[i], i};
	qsort(r, map->n, sizeof(*r), keyref_cmp);
	for (size_t i = 0; i < map->n; i++)
		keep[r[i].idx] =
		    !i || strcmp(r[i].key->text, r[i - 1].key->text);
	size_t k = 0;
	for (size_t i = 0; i < map->n; i++)
		if (keep[i]) {
			map->keys[k] = map->keys[i];
			map->vals[k++] = map->vals[i];
		}
	map->n = k;
	free(r);
	free(keep);
	return 0;
}

/* Adds a finished node (or an aliased one) to the open collection. */
static int attach(struct pstate *ps, struct sim_ynode *n, struct sim_mark at)
{
	if (ps->depth + n->height > SIM_YAML_MAX_DEPTH)
		return fail(ps, at, "nesting deeper than %d levels",
			    SIM_YAML_MAX_DEPTH);
	if (ps->depth == 0) {
		ps->doc->root = n;
		return 0;
	}
	struct sim_ynode *p = ps->stack[ps->depth - 1];
	p->weight += n->weight;
	if (p->weight > SIM_YAML_MAX_NODES)
		return fail(ps, at,
			    "document too large: more than %u values once "
			    "aliases are expanded",
			    SIM_YAML_MAX_NODES);
	if (p->height < n->height + 1)
		p->height = n->height + 1;
	if (p->kind == SIM_Y_SEQ)
		return sim_ynode_append(p, NULL, n);
	if (!ps->key[ps->depth - 1]) {
		if (n->kind != SIM_Y_SCALAR)
			return fail(ps, at,
				    "map keys must be plain text, "
				    "not a map or a list");
		ps->key[ps->depth - 1] = n;
		return 0;
	}
	struct sim_ynode *k = ps->key[ps->depth - 1];
	ps->key[ps->depth - 1] = NULL;
	return sim_ynode_append(p, k, n);
}

static int on_event(struct pstate *ps, const yaml_event_t *ev, int *ndocs)
{
	struct sim_mark m = mark_of(ps, ev->start_mark);
	struct sim_ynode *n;
	const yaml_char_t *anchor = NULL;
	int rc;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++*ndocs > 1)
			return fail(ps, m,
				    "more than one document; a scenario "
				    "is a single YAML document");
		return 0;
	case YAML_ALIAS_EVENT:
		n = anchor_get(&ps->anchors,
			       (const char *)ev->data.alias.anchor);
		if (!n)
			return fail(ps, m, "unknown anchor '%s'",
				    (const char *)ev->data.alias.anchor);
		if (n->open)
			return fail(ps, m,
				    "alias '%s' refers to a value that "
				    "contains it",
				    (const char *)ev->data.alias.anchor);
		return attach(ps, n, m);
	case YAML_SCALAR_EVENT:
		n = sim_ynode_new(ps->doc, SIM_Y_SCALAR, "", m);
		if (!n)
			return SIM_ENOMEM;
		free(n->text);
		n->text = NULL;
		n->len = ev->data.scalar.length;
		/* "a\0b" would silently become "a" */
		if (memchr(ev->data.scalar.value, '\0', n->len))
			return fail(ps, m,
				    "a NUL character (\\0) in a value; text "
				    "cannot hold one");
		if (!(n->text = malloc(n->len + 1)))
			return SIM_ENOMEM;
		memcpy(n->text, ev->data.scalar.value, n->len);
		n->text[n->len] = '\0';
		n->plain =
		    ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    !(ev->data.scalar.tag &&
		      !strcmp((const char *)ev->data.scalar.tag, YAML_STR_TAG));
		anchor = ev->data.scalar.anchor;
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (ps->depth >= SIM_YAML_MAX_DEPTH)
			return fail(ps, m, "nesting deeper than %d levels",
				    SIM_YAML_MAX_DEPTH);
		n = sim_ynode_new(ps->doc,
				  ev->type == YAML_MAPPING_START_EVENT
				      ? SIM_Y_MAP
				      : SIM_Y_SEQ,
				  NULL, m);
		if (!n)
			return SIM_ENOMEM;
		n->open = true;
		anchor = ev->type == YAML_MAPPING_START_EVENT
			     ? ev->data.mapping_start.anchor
			     : ev->data.sequence_start.anchor;
		if (anchor &&
		    (rc = anchor_put(&ps->anchors, (const char *)anchor, n)))
			return rc;
		ps->key[ps->depth] = NULL;
		ps->stack[ps->depth++] = n;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		n = ps->stack[--ps->depth];
		n->open = false;
		if (n->kind == SIM_Y_MAP && ((rc = check_duplicates(ps, n)) ||
					     (rc = expand_merge(ps, n))))
			return rc;
		return attach(ps, n, n->mark);
	default:
		return 0;
	}
	if (anchor && (rc = anchor_put(&ps->anchors, (const char *)anchor, n)))
		return rc;
	return attach(ps, n, m);
}

int sim_yaml_parse(struct sim_ydoc *doc, const char *file, const char *text,
		   size_t len, int col_shift, struct sim_yerror *e)
{
	struct pstate ps = {.doc = doc,
			    .file = file,
			    .text = text,
			    .len = len,
			    .col_shift = col_shift,
			    .e = e};
	yaml_parser_t p;
	yaml_event_t ev;
	int rc = 0, ndocs = 0;
	bool done = false;

	doc->root = doc->all = NULL;
	if (len > SIM_YAML_MAX_BYTES)
		return fail(&ps, (struct sim_mark){file, 1, 1},
			    "file too large (%zu bytes); the limit is %u MiB",
			    len, SIM_YAML_MAX_BYTES >> 20);
	if (!yaml_parser_initialize(&p))
		return SIM_ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done && !rc) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = libyaml_error(&ps, &p);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = on_event(&ps, &ev, &ndocs);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	anchors_free(&ps.anchors);
	if (rc)
		sim_yaml_free(doc);
	return rc;
}
