/*
 * sweepio.c - the grid of a sweep, its table of text cells, and the files
 * a sweep writes and reads back (results.csv, results.json, the `sweep:`
 * section of scenario.yaml).
 *
 * Cells stay text from the moment a figure is formatted: a row read back
 * from results.csv is indistinguishable from one just computed, which is
 * what makes resumed, merged and MPI-gathered sweeps byte-identical to a
 * single run. Columns are ordered by a rule that needs no history (grid,
 * then the fixed `run` columns, then the rest by name), so the order is
 * the same however the rows were gathered.
 */
#include "output/sweepio.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/faults.h"
#include "kernel/grow.h"
#include "kernel/kernel.h"
#include "kernel/rng.h"
#include "output/files.h"
#include "output/json.h"
#include "output/keyindex.h"
#include "scenario/readfile.h"
#include "scenario/yamldoc.h"

/* ---------------------------------------------------------------- grid -- */

static void gparam_release(struct sim_gparam *p)
{
	for (size_t j = 0; j < p->nvalues; j++)
		free(p->values[j]);
	free(p->values);
	free(p->marks);
	free(p->path);
	memset(p, 0, sizeof(*p));
}

void sim_grid_release(struct sim_grid *g)
{
	for (size_t i = 0; i < g->np; i++)
		gparam_release(&g->p[i]);
	free(g->p);
	memset(g, 0, sizeof(*g));
}

/* The number of points with parameter `skip` left out (SIZE_MAX: none),
 * or 0 past `max`. */
static size_t grid_points(const struct sim_grid *g, size_t skip, size_t max)
{
	size_t n = 1;
	for (size_t i = 0; i < g->np; i++) {
		if (i == skip)
			continue;
		if (g->p[i].nvalues && n > max / g->p[i].nvalues)
			return 0;
		n *= g->p[i].nvalues;
	}
	return n;
}

int sim_grid_set(struct sim_grid *g, const char *path,
		 const char *const *values, const struct sim_mark *marks,
		 size_t nvalues, size_t max_points)
{
	struct sim_gparam np = {0};
	size_t at = 0;
	int rc = SIM_ENOMEM;

	while (at < g->np && strcmp(g->p[at].path, path))
		at++;
	size_t rest = grid_points(g, at, max_points);
	if (!nvalues || !rest || rest > max_points / nvalues)
		return SIM_ELIMIT;
	np.path = strdup(path);
	np.values = calloc(nvalues, sizeof(*np.values));
	np.marks = calloc(nvalues, sizeof(*np.marks));
	if (!np.path || !np.values || !np.marks)
		goto cleanup;
	for (size_t j = 0; j < nvalues; j++, np.nvalues++) {
		if (!(np.values[j] = strdup(values[j])))
			goto cleanup;
		if (marks)
			np.marks[j] = marks[j];
	}
	if (at == g->np) {
		struct sim_gparam *p = realloc(g->p, (g->np + 1) * sizeof(*p));
		if (!p)
			goto cleanup;
		g->p = p;
		g->np++;
	} else {
		gparam_release(&g->p[at]);
	}
	g->p[at] = np;
	g->npoints = rest * nvalues;
	return 0;

cleanup:
	gparam_release(&np);
	return rc;
}

size_t sim_grid_value(const struct sim_grid *g, size_t k, size_t i)
{
	size_t stride = 1;
	for (size_t j = g->np; j-- > i + 1;)
		stride *= g->p[j].nvalues;
	return (k / stride) % g->p[i].nvalues;
}

char *sim_grid_cell(const char *value)
{
	const char *why;
	char *end, num[32];
	double v;

	errno = 0;
	v = strtod(value, &end);
	bool plain = end != value && !*end && !errno && isfinite(v);
	if (!plain &&
	    ((sim_parse_rate(value, &v, &why) == 0 && isfinite(v)) ||
	     (sim_parse_duration(value, &v, &why) == 0 && isfinite(v)) ||
	     (sim_parse_size(value, &v, &why) == 0 && isfinite(v)))) {
		sim_fmt_double(num, sizeof(num), v);
		return strdup(num);
	}
	return strdup(value);
}

char **sim_grid_point(const struct sim_grid *g, size_t k)
{
	char **c = calloc(g->np ? g->np : 1, sizeof(*c));
	for (size_t i = 0; c && i < g->np; i++)
		if (!(c[i] = sim_grid_cell(
			  g->p[i].values[sim_grid_value(g, k, i)]))) {
			sim_grid_point_free(c, i);
			c = NULL;
		}
	return c;
}

void sim_grid_point_free(char **cells, size_t np)
{
	for (size_t i = 0; cells && i < np; i++)
		free(cells[i]);
	free(cells);
}

int sim_grid_read_yaml(const char *path, struct sim_grid *g, char **name,
		       size_t *nsystems, FILE *err)
{
	struct sim_ydoc doc = {0};
	struct sim_yerror e;
	const char **vals = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc = SIM_EIO;

	memset(g, 0, sizeof(*g));
	*name = NULL;
	*nsystems = 0;
	rc = sim_read_file(path, SIM_YAML_MAX_BYTES, &text, &len);
	if (rc == SIM_EIO)
		sim_fprintf_safe(err, "concsim: error: cannot read '%s': %s\n",
				 path, sim_file_strerror(errno));
	else if (rc == SIM_ELIMIT)
		sim_fprintf_safe(
		    err,
		    "concsim: error: cannot read '%s': larger than %u MiB\n",
		    path, SIM_YAML_MAX_BYTES >> 20);
	if (rc)
		goto cleanup;
	rc = sim_yaml_parse(&doc, path, text, len, 0, &e);
	if (rc == SIM_ESCENARIO)
		sim_fprintf_safe(err, "%s:%d:%d: error: %s\n", e.mark.file,
				 e.mark.line, e.mark.col, e.msg);
	if (rc)
		goto cleanup;
	rc = SIM_ESCENARIO;
	const struct sim_ynode *root = doc.root;
	const struct sim_ynode *sw = sim_ymap_get(root, "sweep", NULL);
	const struct sim_ynode *sys = sim_ymap_get(root, "systems", NULL);
	const struct sim_ynode *nm = sim_ymap_get(root, "name", NULL);
	if (!root || root->kind != SIM_Y_MAP || !sw || sw->kind != SIM_Y_MAP ||
	    !sys || sys->kind != SIM_Y_SEQ || !nm || nm->kind != SIM_Y_SCALAR) {
		sim_fprintf_safe(
		    err,
		    "concsim: error: '%s' is not the scenario.yaml of a "
		    "sweep (no name, systems or sweep section)\n",
		    path);
		goto cleanup;
	}
	for (size_t i = 0; i < sw->n; i++) {
		const struct sim_ynode *v = sw->vals[i];
		bool ok = v && v->kind == SIM_Y_SEQ && v->n;
		for (size_t j = 0; ok && j < v->n; j++)
			ok = v->vals[j]->kind == SIM_Y_SCALAR;
		if (!ok) {
			sim_fprintf_safe(
			    err,
			    "%s:%d:%d: error: sweep '%s': expected the "
			    "list of values a sweep writes\n",
			    path, sw->keys[i]->mark.line, sw->keys[i]->mark.col,
			    sw->keys[i]->text);
			goto cleanup;
		}
		free(vals);
		if (!(vals = calloc(v->n, sizeof(*vals)))) {
			rc = SIM_ENOMEM;
			goto cleanup;
		}
		for (size_t j = 0; j < v->n; j++)
			vals[j] = v->vals[j]->text;
		rc = sim_grid_set(g, sw->keys[i]->text, vals, NULL, v->n,
				  SIM_GRID_MAX_POINTS);
		if (rc == SIM_ELIMIT) {
			sim_fprintf_safe(
			    err,
			    "%s:%d:%d: error: sweep '%s': the grid "
			    "would have more than %d points\n",
			    path, sw->keys[i]->mark.line, sw->keys[i]->mark.col,
			    sw->keys[i]->text, SIM_GRID_MAX_POINTS);
			rc = SIM_ESCENARIO;
		}
		if (rc)
			goto cleanup;
		rc = SIM_ESCENARIO;
	}
	if (!(*name = strdup(nm->text))) {
		rc = SIM_ENOMEM;
		goto cleanup;
	}
	*nsystems = sys->n;
	rc = 0;

cleanup:
	if (rc == SIM_ENOMEM)
		fputs("concsim: error: out of memory\n", err);
	if (rc)
		sim_grid_release(g);
	sim_yaml_free(&doc);
	free(vals);
	free(text);
	return rc;
}

/* --------------------------------------------------------------- table -- */

void sim_table_init(struct sim_table *t, size_t np)
{
	memset(t, 0, sizeof(*t));
	t->np = np;
}

/* Frees a cell's text unless it lies in the row's block. */
static void cell_free(struct sim_trow *r, char *c)
{
	uintptr_t p = (uintptr_t)c, b = (uintptr_t)r->text;
	if (!(r->text && p >= b && p < b + r->ntext))
		free(c);
}

static void trow_release(struct sim_trow *r, size_t np)
{
	for (size_t i = 0; r->param && i < np; i++)
		free(r->param[i]);
	for (size_t i = 0; i < r->n; i++)
		cell_free(r, r->cell[i]);
	free(r->param);
	free(r->cell);
	free(r->text);
	memset(r, 0, sizeof(*r));
}

void sim_table_release(struct sim_table *t)
{
	for (size_t i = 0; i < t->nrow; i++)
		trow_release(&t->row[i], t->np);
	for (size_t i = 0; i < t->ncol; i++)
		free(t->col[i]);
	free(t->row);
	free(t->col);
	sim_table_init(t, 0);
}

size_t sim_table_col(struct sim_table *t, const char *name)
{
	/* rows put their cells in the same order: the column after the
	 * last one found is nearly always the one asked for */
	if (t->hint < t->ncol && !strcmp(t->col[t->hint], name))
		return t->hint++;
	for (size_t i = 0; i < t->ncol; i++)
		if (!strcmp(t->col[i], name)) {
			t->hint = i + 1;
			return i;
		}
	char **c = sim_grow(t->col, &t->capcol, t->ncol, sizeof(*c), 64);
	if (!c)
		return SIZE_MAX;
	t->col = c;
	if (!(t->col[t->ncol] = strdup(name)))
		return SIZE_MAX;
	t->hint = t->ncol + 1;
	return t->ncol++;
}

static struct sim_trow *table_push(struct sim_table *t)
{
	struct sim_trow *row =
	    sim_grow(t->row, &t->caprow, t->nrow, sizeof(*row), 64);
	if (!row)
		return NULL;
	t->row = row;
	struct sim_trow *r = &t->row[t->nrow];
	memset(r, 0, sizeof(*r));
	r->param = calloc(t->np ? t->np : 1, sizeof(*r->param));
	if (!r->param)
		return NULL;
	t->nrow++;
	return r;
}

struct sim_trow *sim_table_add(struct sim_table *t, size_t point, size_t sub,
			       const char *const *param)
{
	struct sim_trow *r = table_push(t);
	if (!r)
		return NULL;
	r->point = point;
	r->sub = sub;
	for (size_t i = 0; i < t->np; i++)
		if (param[i] && param[i][0] &&
		    !(r->param[i] = strdup(param[i]))) {
			trow_release(r, t->np);
			t->nrow--;
			return NULL;
		}
	return r;
}

/* Makes room in r for cell `id` (doubling: a row's cells come one
 * column at a time, and an absent cell reads as empty). */
static int trow_room(struct sim_trow *r, size_t id)
{
	if (id >= r->n) {
		size_t n = id + 1 > 2 * r->n ? id + 1 : 2 * r->n;
		char **c = realloc(r->cell, n * sizeof(*c));
		if (!c)
			return SIM_ENOMEM;
		memset(c + r->n, 0, (n - r->n) * sizeof(*c));
		r->cell = c;
		r->n = n;
	}
	return 0;
}

/* Sets cell `id` of r; an empty text leaves the cell empty (NULL). */
static int trow_set(struct sim_trow *r, size_t id, const char *text)
{
	if (trow_room(r, id))
		return SIM_ENOMEM;
	cell_free(r, r->cell[id]);
	r->cell[id] = NULL;
	if (text && text[0] && !(r->cell[id] = strdup(text)))
		return SIM_ENOMEM;
	return 0;
}

int sim_table_put(struct sim_table *t, struct sim_trow *r, const char *name,
		  const char *text)
{
	size_t id = sim_table_col(t, name);
	return id == SIZE_MAX ? SIM_ENOMEM : trow_set(r, id, text);
}

/* Where add_point puts a cell's text: its column, its place in the
 * row's block. */
struct cellpos {
	size_t id, at;
};

int sim_table_add_point(struct sim_table *t, size_t point,
			const char *const *param, const struct sim_scenario *sc,
			const struct sim_summary *sum, size_t nsystems)
{
	struct sim_cells cells = {0};
	struct cellpos *pos = NULL;
	char *text = NULL;
	size_t cappos = 0;
	int rc = 0;

	for (size_t s = 0; s < nsystems && !rc; s++) {
		size_t row = t->nrow, npos = 0, len = 0, cap = 0, top = 0;
		rc = sim_summary_flatten(sc, &sum[s], &cells);
		if (rc)
			break;
		if (!sim_table_add(t, point, s, param)) {
			rc = SIM_ENOMEM;
			break;
		}
		/* the row's texts in one block, not an allocation a cell */
		if (cappos < cells.n) {
			struct cellpos *p = realloc(pos, cells.n * sizeof(*p));
			if (!p) {
				rc = SIM_ENOMEM;
				break;
			}
			pos = p;
			cappos = cells.n;
		}
		for (size_t k = 0; k < cells.n && !rc; k++) {
			const struct sim_cell *c = &cells.v[k];
			char num[32] = "";
			if (c->kind == SIM_CELL_FIXED &&
			    !strcmp(c->name, "scenario"))
				continue;
			if (!c->str && isfinite(c->num))
				sim_fmt_double(num, sizeof(num), c->num);
			const char *v = c->str ? c->str : num;
			size_t id = sim_table_col(t, c->name), n = strlen(v);
			if (id == SIZE_MAX) {
				rc = SIM_ENOMEM;
				break;
			}
			/* an empty text leaves the cell empty (trow_set) */
			top = id + 1 > top ? id + 1 : top;
			if (!n) {
				pos[npos++] = (struct cellpos){id, SIZE_MAX};
				continue;
			}
			while (len + n + 1 > cap) {
				char *b = sim_grow(text, &cap, cap, 1, 1024);
				if (!b) {
					rc = SIM_ENOMEM;
					break;
				}
				text = b;
			}
			if (rc)
				break;
			memcpy(text + len, v, n + 1);
			pos[npos++] = (struct cellpos){id, len};
			len += n + 1;
		}
		sim_cells_release(&cells);
		/* the table may have grown: find the row again */
		struct sim_trow *r = &t->row[row];
		if (!rc && top)
			rc = trow_room(r, top - 1);
		if (rc)
			break;
		if (len < cap) { /* kept for the sweep's length: no slack */
			char *b = realloc(text, len ? len : 1);
			text = b ? b : text;
		}
		r->text = text;
		r->ntext = len;
		text = NULL;
		for (size_t k = 0; k < npos; k++) {
			cell_free(r, r->cell[pos[k].id]);
			r->cell[pos[k].id] =
			    pos[k].at == SIZE_MAX ? NULL : r->text + pos[k].at;
		}
	}
	sim_cells_release(&cells);
	free(text);
	free(pos);
	return rc;
}

int sim_table_move(struct sim_table *dst, struct sim_table *src)
{
	size_t i = 0;
	int rc = 0;

	for (; i < src->nrow; i++) {
		struct sim_trow *s = &src->row[i];
		struct sim_trow *d = table_push(dst);
		if (!d) {
			rc = SIM_ENOMEM;
			break;
		}
		free(d->param);
		d->point = s->point;
		d->sub = s->sub;
		d->param = s->param;
		s->param = NULL;
		for (size_t c = 0; c < s->n && !rc; c++) {
			if (!s->cell[c])
				continue;
			size_t id = sim_table_col(dst, src->col[c]);
			rc = id == SIZE_MAX ? SIM_ENOMEM
					    : trow_set(d, id, s->cell[c]);
		}
		trow_release(s, src->np);
		if (rc)
			break;
	}
	/* keep what was not moved at the front of src */
	size_t moved = i < src->nrow ? i + 1 : i;
	memmove(src->row, src->row + moved,
		(src->nrow - moved) * sizeof(*src->row));
	src->nrow -= moved;
	return rc;
}

static int row_cmp(const void *a, const void *b)
{
	const struct sim_trow *x = a, *y = b;
	if (x->point != y->point)
		return x->point < y->point ? -1 : 1;
	return x->sub < y->sub ? -1 : x->sub > y->sub;
}

void sim_table_sort(struct sim_table *t)
{
	if (t->nrow > 1)
		qsort(t->row, t->nrow, sizeof(*t->row), row_cmp);
}

const char *sim_trow_get(const struct sim_table *t, const struct sim_trow *r,
			 const char *name)
{
	for (size_t i = 0; i < t->ncol && i < r->n; i++)
		if (!strcmp(t->col[i], name))
			return r->cell[i] ? r->cell[i] : "";
	return "";
}

/* ------------------------------------------------------- column order -- */

/* The rank of a column: system, model, then the fixed `run` columns in
 * their order; every other column after them (ranked by name). */
static size_t col_rank(const char *name)
{
	if (!strcmp(name, "system"))
		return 0;
	if (!strcmp(name, "model"))
		return 1;
	for (size_t k = 0; k < SIM_CSV_NFIXED; k++)
		if (!strcmp(sim_csv_fixed[k], name))
			return 2 + k;
	return SIZE_MAX;
}

struct colkey {
	size_t rank, id;
	const char *name;
};

static int col_cmp(const void *a, const void *b)
{
	const struct colkey *x = a, *y = b;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The column ids in output order (malloc'd), the scenario name left out;
 * NULL when memory ran out. */
static size_t *col_order(const struct sim_table *t, size_t *n)
{
	struct colkey *key = malloc((t->ncol ? t->ncol : 1) * sizeof(*key));
	size_t *ord = malloc((t->ncol ? t->ncol : 1) * sizeof(*ord));
	if (!key || !ord) {
		free(key);
		free(ord);
		return NULL;
	}
	*n = 0;
	for (size_t i = 0; i < t->ncol; i++)
		if (strcmp(t->col[i], "scenario"))
			key[(*n)++] =
			    (struct colkey){col_rank(t->col[i]), i, t->col[i]};
	qsort(key, *n, sizeof(*key), col_cmp);
	for (size_t k = 0; k < *n; k++)
		ord[k] = key[k].id;
	free(key);
	return ord;
}

/* ------------------------------------------------------------ writers -- */

/* Rows' text gathered in memory and handed to stdio in large pieces: a
 * cell costs a copy, not a stdio call or three (a sweep writes every row
 * four times: the checkpoint, results.csv, standard output and
 * results.json). */
struct obuf {
	FILE *f;
	size_t n;
	char b[16384];
};

static void ob_flush(struct obuf *o)
{
	if (o->n)
		fwrite(o->b, 1, o->n, o->f);
	o->n = 0;
}

static void ob_put(struct obuf *o, const char *s, size_t len)
{
	if (len > sizeof(o->b) - o->n) {
		ob_flush(o);
		if (len > sizeof(o->b)) {
			fwrite(s, 1, len, o->f);
			return;
		}
	}
	memcpy(o->b + o->n, s, len);
	o->n += len;
}

/* A cell as sim_csv_cell writes it (that one for the cells it quotes). */
static void ob_csv_cell(struct obuf *o, bool *first, const char *s)
{
	size_t len = strcspn(s, ",\"\r\n");
	if (!*first)
		ob_put(o, ",", 1);
	*first = false;
	if (s[len]) {
		ob_flush(o);
		bool no_comma = true;
		sim_csv_cell(o->f, &no_comma, s);
		return;
	}
	ob_put(o, s, len);
}

/* Writes rows [from, to) of t with the columns in order ord[0..n). */
static void csv_rows(const struct sim_table *t, const size_t *ord, size_t n,
		     size_t from, size_t to, FILE *f)
{
	struct obuf ob, *o = &ob;
	o->f = f;
	o->n = 0;
	for (size_t r = from; r < to; r++) {
		const struct sim_trow *row = &t->row[r];
		bool first = true;
		for (size_t i = 0; i < t->np; i++)
			ob_csv_cell(o, &first,
				    row->param[i] ? row->param[i] : "");
		for (size_t k = 0; k < n; k++) {
			size_t id = ord[k];
			ob_csv_cell(o, &first,
				    id < row->n && row->cell[id] ? row->cell[id]
								 : "");
		}
		ob_put(o, "\n", 1);
	}
	ob_flush(o);
}

int sim_table_write_csv(const struct sim_table *t, const struct sim_grid *g,
			FILE *f)
{
	size_t n;
	size_t *ord = col_order(t, &n);
	bool first = true;

	if (!ord)
		return SIM_ENOMEM;
	for (size_t i = 0; i < g->np; i++)
		sim_csv_cell(f, &first, g->p[i].path);
	for (size_t k = 0; k < n; k++)
		sim_csv_cell(f, &first, t->col[ord[k]]);
	fputc('\n', f);
	csv_rows(t, ord, n, 0, t->nrow, f);
	free(ord);
	return ferror(f) ? SIM_EIO : 0;
}

int sim_table_write_csv_long(const struct sim_table *t,
			     const struct sim_grid *g, FILE *f)
{
	size_t n, nl = g->np + 2;
	size_t *ord = col_order(t, &n);
	const char **lead = calloc(nl, sizeof(*lead));
	int rc = SIM_ENOMEM;

	if (!ord || !lead)
		goto cleanup;
	for (size_t i = 0; i < g->np; i++)
		lead[i] = g->p[i].path;
	lead[g->np] = "system";
	lead[g->np + 1] = "model";
	sim_csv_long_header(f, lead, nl);
	for (size_t r = 0; r < t->nrow; r++) {
		const struct sim_trow *row = &t->row[r];
		for (size_t i = 0; i < g->np; i++)
			lead[i] = row->param[i] ? row->param[i] : "";
		lead[g->np] = sim_trow_get(t, row, "system");
		lead[g->np + 1] = sim_trow_get(t, row, "model");
		for (size_t k = 0; k < n; k++) {
			const char *name = t->col[ord[k]];
			if (col_rank(name) < 2 ||
			    !strcmp(name, SIM_HASH_COLUMN))
				continue; /* system, model: leading */
			sim_csv_long_row(f, lead, nl, name,
					 sim_trow_get(t, row, name));
		}
	}
	rc = ferror(f) ? SIM_EIO : 0;
cleanup:
	free(ord);
	free(lead);
	return rc;
}

/* Whether s is a JSON number (RFC 8259 grammar). */
static bool json_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (*s >= '0' && *s <= '9')
			s++;
	else
		return false;
	if (*s == '.') {
		s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

/* A cell's JSON value into o: empty as null (as "" in a text column), a
 * number or a plain string (printable ASCII, no quote or backslash)
 * copied, other strings escaped by sim_json_string. */
static void ob_json_value(struct obuf *o, const char *v, bool text)
{
	size_t len = 0;
	if (!v || !v[0]) {
		ob_put(o, text ? "\"\"" : "null", text ? 2 : 4);
		return;
	}
	if (!text && json_number(v)) {
		ob_put(o, v, strlen(v));
		return;
	}
	for (; v[len]; len++)
		if (v[len] < 0x20 || v[len] > 0x7e || v[len] == '"' ||
		    v[len] == '\\') {
			ob_flush(o);
			sim_json_string(o->f, v);
			return;
		}
	ob_put(o, "\"", 1);
	ob_put(o, v, len);
	ob_put(o, "\"", 1);
}

/* Each column's key as JSON ("name": , escaped once, not once a row),
 * then each swept parameter's (t->np), their lengths in klen, and whether
 * a column's cells are text; NULL without memory. */
static char **json_keys(const struct sim_table *t, const struct sim_grid *g,
			const size_t *ord, size_t n, bool *text, size_t *klen)
{
	char **key = calloc(n + t->np + 1, sizeof(*key));
	for (size_t k = 0; key && k < n + t->np; k++) {
		FILE *m = open_memstream(&key[k], &klen[k]);
		if (m) {
			sim_json_string(m, k < n ? t->col[ord[k]]
						 : g->p[k - n].path);
			fputs(": ", m);
		}
		if (!m || fclose(m)) {
			for (size_t j = 0; j <= k; j++)
				free(key[j]);
			free(key);
			return NULL;
		}
		if (k < n)
			text[k] = col_rank(t->col[ord[k]]) < 2;
	}
	return key;
}

int sim_table_write_json(const struct sim_table *t, const struct sim_grid *g,
			 const char *scenario, FILE *f)
{
	size_t n;
	size_t *ord = col_order(t, &n);
	bool *text = ord ? calloc(n ? n : 1, sizeof(*text)) : NULL;
	size_t *klen = ord ? calloc(n + t->np + 1, sizeof(*klen)) : NULL;
	char **key = text && klen ? json_keys(t, g, ord, n, text, klen) : NULL;

	if (!key) {
		free(ord);
		free(text);
		free(klen);
		return SIM_ENOMEM;
	}
	fputs("{\n  \"scenario\": ", f);
	sim_json_string(f, scenario);
	fputs(",\n  \"parameters\": [", f);
	for (size_t i = 0; i < g->np; i++) {
		fputs(i ? ",\n    {\"path\": " : "\n    {\"path\": ", f);
		sim_json_string(f, g->p[i].path);
		fputs(", \"values\": [", f);
		for (size_t j = 0; j < g->p[i].nvalues; j++) {
			fputs(j ? ", " : "", f);
			sim_json_string(f, g->p[i].values[j]);
		}
		fputs("]}", f);
	}
	fputs(g->np ? "\n  ],\n  \"rows\": [" : "],\n  \"rows\": [", f);
	struct obuf ob = {.f = f};
	for (size_t r = 0; r < t->nrow; r++) {
		const struct sim_trow *row = &t->row[r];
		if (r)
			ob_put(&ob, ",\n    {", 7);
		else
			ob_put(&ob, "\n    {", 6);
		for (size_t i = 0; i < t->np; i++) {
			ob_put(&ob, ", ", i ? 2 : 0);
			ob_put(&ob, key[n + i], klen[n + i]);
			ob_json_value(&ob, row->param[i], false);
		}
		for (size_t k = 0; k < n; k++) {
			size_t id = ord[k];
			ob_put(&ob, ", ", k || t->np ? 2 : 0);
			ob_put(&ob, key[k], klen[k]);
			ob_json_value(&ob, id < row->n ? row->cell[id] : NULL,
				      text[k]);
		}
		ob_put(&ob, "}", 1);
	}
	ob_flush(&ob);
	fputs(t->nrow ? "\n  ]\n}\n" : "]\n}\n", f);
	for (size_t k = 0; k < n + t->np; k++)
		free(key[k]);
	free(key);
	free(klen);
	free(text);
	free(ord);
	return ferror(f) ? SIM_EIO : 0;
}

/* ---------------------------------------------------------- CSV reader -- */

/* The body of sim_csv_record; *n counts the cells stored so far. */
static long csv_cells(FILE *f, char ***cells, size_t *cap, size_t *np)
{
	size_t n = 0, len = 0, size = 64;
	char *buf = malloc(size);
	bool quoted = false, any = false;
	int c;

	if (!buf)
		return -1;
	for (;;) {
		c = fgetc(f);
		if (c == EOF && !any) {
			free(buf);
			return 0;
		}
		any = true;
		bool end_cell = false, end_rec = false;
		if (quoted) {
			if (c == EOF) {
				free(buf);
				return -2;
			}
			if (c == '"') {
				int d = fgetc(f);
				if (d != '"') {
					quoted = false;
					if (d != EOF)
						ungetc(d, f);
					continue;
				}
			}
		} else if (c == '"' && len == 0) {
			quoted = true;
			continue;
		} else if (c == ',') {
			end_cell = true;
		} else if (c == '\n' || c == EOF) {
			end_rec = true;
		} else if (c == '\r') {
			continue;
		}
		if (end_cell || end_rec) {
			char **v = sim_grow(*cells, cap, n, sizeof(*v), 64);
			if (!v) {
				free(buf);
				return -1;
			}
			*cells = v;
			buf[len] = '\0';
			if (!((*cells)[n] = strdup(buf))) {
				free(buf);
				return -1;
			}
			*np = ++n;
			len = 0;
			if (end_rec) {
				free(buf);
				return (long)n;
			}
			continue;
		}
		if (len + 2 > size) {
			char *b = realloc(buf, size *= 2);
			if (!b) {
				free(buf);
				return -1;
			}
			buf = b;
		}
		buf[len++] = (char)c;
	}
}

long sim_csv_record(FILE *f, char ***cells, size_t *cap)
{
	size_t n = 0;
	long rc = csv_cells(f, cells, cap, &n);
	if (rc < 0)
		for (size_t i = 0; i < n; i++)
			free((*cells)[i]);
	return rc;
}

int sim_table_read_csv(struct sim_table *t, const struct sim_grid *g,
		       const char *path, FILE *err)
{
	char **head = NULL, **cells = NULL;
	size_t caphead = 0, capcells = 0, *ids = NULL;
	long nhead = 0, n = 0;
	size_t line = 1;
	int rc = SIM_EIO;
	FILE *f = sim_fopen_regular(path);

	if (!f) {
		sim_fprintf_safe(err, "concsim: error: cannot read '%s': %s\n",
				 path, sim_file_strerror(errno));
		return SIM_EIO;
	}
	rc = SIM_ESCENARIO;
	nhead = sim_csv_record(f, &head, &caphead);
	if (nhead < 0) {
		if (nhead == -2)
			sim_fprintf_safe(
			    err, "%s:1:1: error: unterminated quote\n", path);
		rc = nhead == -1 ? SIM_ENOMEM : SIM_ESCENARIO;
		nhead = 0;
		goto cleanup;
	}
	bool ok = (size_t)nhead > g->np;
	for (size_t i = 0; ok && i < g->np; i++)
		ok = !strcmp(head[i], g->p[i].path);
	if (!ok || strcmp(head[g->np], "system")) {
		sim_fprintf_safe(
		    err,
		    "%s:1:1: error: expected the results.csv of this "
		    "sweep (columns: the swept parameters, then "
		    "'system')\n",
		    path);
		goto cleanup;
	}
	rc = SIM_ENOMEM;
	if (!(ids = calloc((size_t)nhead, sizeof(*ids))))
		goto cleanup;
	for (size_t i = g->np; i < (size_t)nhead; i++)
		if ((ids[i] = sim_table_col(t, head[i])) == SIZE_MAX)
			goto cleanup;
	while ((n = sim_csv_record(f, &cells, &capcells)) > 0) {
		line++;
		if (n != nhead) {
			sim_fprintf_safe(
			    err,
			    "%s:%zu:1: error: %ld cells where the header "
			    "has %ld\n",
			    path, line, n, nhead);
			rc = SIM_ESCENARIO;
			goto cleanup;
		}
		struct sim_trow *r =
		    sim_table_add(t, SIZE_MAX, 0, (const char *const *)cells);
		if (!r)
			goto cleanup;
		for (size_t i = g->np; i < (size_t)n; i++)
			if (trow_set(r, ids[i], cells[i]))
				goto cleanup;
		for (long i = 0; i < n; i++)
			free(cells[i]);
	}
	if (n < 0) {
		if (n == -2)
			sim_fprintf_safe(
			    err, "%s:%zu:1: error: unterminated quote\n", path,
			    line + 1);
		rc = n == -1 ? SIM_ENOMEM : SIM_ESCENARIO;
		n = 0;
		goto cleanup;
	}
	rc = ferror(f) ? SIM_EIO : 0;
	if (rc)
		sim_fprintf_safe(err, "concsim: error: cannot read '%s': %s\n",
				 path, strerror(errno));

cleanup:
	if (rc == SIM_ENOMEM)
		fputs("concsim: error: out of memory\n", err);
	for (long i = 0; i < n; i++)
		free(cells[i]);
	for (long i = 0; i < nhead; i++)
		free(head[i]);
	free(cells);
	free(head);
	free(ids);
	fclose(f);
	return rc;
}

/* ---------------------------------------------------------- assigning -- */

/* The swept cells joined by a unit separator: a key to compare points. */
static char *join_cells(char *const *cells, size_t np)
{
	size_t len = 1;
	for (size_t i = 0; i < np; i++)
		len += (cells[i] ? strlen(cells[i]) : 0) + 1;
	char *k = malloc(len), *p = k;
	if (!k)
		return NULL;
	for (size_t i = 0; i < np; i++) {
		const char *c = cells[i] ? cells[i] : "";
		size_t l = strlen(c);
		memcpy(p, c, l);
		p += l;
		*p++ = '\x1f';
	}
	*p = '\0';
	return k;
}

struct pkey {
	char *key;
	size_t point;
};

static int pkey_cmp(const void *a, const void *b)
{
	const struct pkey *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (c)
		return c;
	return x->point < y->point ? -1 : x->point > y->point;
}

int sim_table_assign(struct sim_table *t, const struct sim_grid *g,
		     const size_t *nrows, bool *taken, size_t *clash)
{
	struct pkey *pk = calloc(g->npoints ? g->npoints : 1, sizeof(*pk));
	char *key = NULL, *next = NULL;
	size_t made = 0;
	int rc = SIM_ENOMEM;

	*clash = SIZE_MAX;
	if (!pk)
		return SIM_ENOMEM;
	for (; made < g->npoints; made++) {
		char **c = sim_grid_point(g, made);
		pk[made].point = made;
		pk[made].key = c ? join_cells(c, g->np) : NULL;
		sim_grid_point_free(c, g->np);
		if (!pk[made].key)
			goto cleanup;
	}
	qsort(pk, g->npoints, sizeof(*pk), pkey_cmp);
	for (size_t i = 0; i < t->nrow;) {
		if (t->row[i].point != SIZE_MAX) {
			i++;
			continue;
		}
		free(key);
		if (!(key = join_cells(t->row[i].param, g->np)))
			goto cleanup;
		/* the first point with these cells, then the first free one */
		size_t lo = 0, hi = g->npoints;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (strcmp(pk[mid].key, key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		bool any = lo < g->npoints && !strcmp(pk[lo].key, key);
		while (lo < g->npoints && !strcmp(pk[lo].key, key) &&
		       taken[pk[lo].point])
			lo++;
		bool found = lo < g->npoints && !strcmp(pk[lo].key, key);
		if (any && !found && *clash == SIZE_MAX)
			*clash = pk[lo - 1].point;
		/* the block: nrows of the point, all with these cells */
		size_t want = found ? nrows[pk[lo].point] : 1, len = 0;
		for (; len < want && i + len < t->nrow &&
		       t->row[i + len].point == SIZE_MAX;
		     len++) {
			free(next);
			if (!(next = join_cells(t->row[i + len].param, g->np)))
				goto cleanup;
			if (strcmp(next, key))
				break;
		}
		if (found && len == want) {
			taken[pk[lo].point] = true;
			for (size_t r = 0; r < len; r++) {
				t->row[i + r].point = pk[lo].point;
				t->row[i + r].sub = r;
			}
		}
		i += len ? len : 1;
	}
	rc = 0;

cleanup:
	for (size_t k = 0; k < made; k++)
		free(pk[k].key);
	free(pk);
	free(key);
	free(next);
	return rc;
}

size_t sim_table_drop(struct sim_table *t)
{
	size_t kept = 0, n = t->nrow;
	for (size_t i = 0; i < n; i++) {
		if (t->row[i].point == SIZE_MAX)
			trow_release(&t->row[i], t->np);
		else
			t->row[kept++] = t->row[i];
	}
	t->nrow = kept;
	return n - kept;
}

/* -------------------------------------------------------------- files -- */

void sim_hash_hex(const char *buf, size_t len, char out[17])
{
	snprintf(out, 17, "%016llx",
		 (unsigned long long)sim_key_hash(buf, len));
}

int sim_table_put_hash(struct sim_table *t, size_t from, const char *hash)
{
	for (size_t i = from; i < t->nrow; i++)
		if (sim_table_put(t, &t->row[i], SIM_HASH_COLUMN, hash))
			return SIM_ENOMEM;
	return 0;
}

int sim_table_check_hash(const struct sim_table *t, const char *hash,
			 const char *path, FILE *err)
{
	for (size_t i = 0; i < t->nrow; i++) {
		const char *h = sim_trow_get(t, &t->row[i], SIM_HASH_COLUMN);
		if (strcmp(h, hash)) {
			fputs("concsim: error: '", err);
			sim_fputs_safe(path, err);
			sim_fprintf_safe(
			    err,
			    "' row %zu belongs to another scenario or grid "
			    "(%s '%.16s', this sweep's scenario.yaml has "
			    "'%s')\n",
			    i + 2, SIM_HASH_COLUMN, h, hash);
			return SIM_ESCENARIO;
		}
	}
	return 0;
}

int sim_save_bytes(const char *dir, const char *name, const char *buf,
		   size_t len, FILE *err)
{
	struct sim_afile a;
	int rc = sim_afile_open(&a, dir, name, err);
	if (rc)
		return rc;
	fwrite(buf, 1, len, a.f);
	return sim_afile_commit(&a, err);
}

/* Writes DIR/NAME atomically with write(t, g, f). */
static int save_with(const struct sim_table *t, const struct sim_grid *g,
		     const char *dir, const char *name,
		     int (*write)(const struct sim_table *,
				  const struct sim_grid *, FILE *),
		     FILE *err)
{
	struct sim_afile a;
	int rc;

	if ((rc = sim_afile_open(&a, dir, name, err)))
		return rc;
	if ((rc = write(t, g, a.f)) == SIM_ENOMEM) {
		sim_afile_abort(&a);
		fputs("concsim: error: out of memory\n", err);
		return rc;
	}
	return sim_afile_commit(&a, err);
}

int sim_table_save_csv(const struct sim_table *t, const struct sim_grid *g,
		       const char *dir, FILE *err)
{
	return save_with(t, g, dir, "results.csv", sim_table_write_csv, err);
}

int sim_table_append_csv(const struct sim_table *t, size_t from,
			 const char *dir, FILE *err)
{
	char path[4096], *buf = NULL;
	size_t len = 0, n;
	int rc = SIM_ENOMEM, fd = -1;
	size_t *ord = col_order(t, &n);
	FILE *m = ord ? open_memstream(&buf, &len) : NULL;

	if (!m) {
		fputs("concsim: error: out of memory\n", err);
		goto cleanup;
	}
	csv_rows(t, ord, n, from, t->nrow, m);
	if (fclose(m)) {
		fputs("concsim: error: out of memory\n", err);
		goto cleanup;
	}
	snprintf(path, sizeof(path), "%s/results.csv", dir);
	rc = SIM_EIO;
	/* never through a symlink planted since the file was made */
	fd = sim_fault_io()
		 ? (errno = EIO, -1)
		 : open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	/* one write of whole rows: nothing half-written is ever visible */
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	rc = 0;
	goto cleanup;
fail:
	sim_fprintf_safe(err, "concsim: error: cannot append to '%s': %s\n",
			 path, strerror(errno));
cleanup:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(ord);
	return rc;
}

const char *const sim_sweep_outputs[SIM_SWEEP_NOUT] = {
    "scenario.yaml", "results.csv", "results.json", "results_long.csv"};

int sim_table_save(struct sim_table *t, const struct sim_grid *g,
		   const char *scenario, const char *yaml, size_t len, bool lng,
		   const char *dir, FILE *err)
{
	struct sim_afile a[SIM_SWEEP_NOUT];
	int rc = 0;

	memset(a, 0, sizeof(a));
	sim_table_sort(t);
	for (size_t i = 0; i < SIM_SWEEP_NOUT && !rc; i++) {
		if ((i == SIM_SWEEP_YAML && !yaml) ||
		    (i == SIM_SWEEP_LONG && !lng))
			continue;
		if ((rc =
			 sim_afile_open(&a[i], dir, sim_sweep_outputs[i], err)))
			break;
		if (i == SIM_SWEEP_YAML)
			fwrite(yaml, 1, len, a[i].f);
		else if (i == SIM_SWEEP_CSV)
			rc = sim_table_write_csv(t, g, a[i].f);
		else if (i == SIM_SWEEP_LONG)
			rc = sim_table_write_csv_long(t, g, a[i].f);
		else
			rc = sim_table_write_json(t, g, scenario, a[i].f);
		if (rc == SIM_ENOMEM)
			fputs("concsim: error: out of memory\n", err);
		else /* a failed write (full disk) is reported here */
			rc = sim_afile_close(&a[i], err);
	}
	if (!rc)
		rc = sim_afile_publish_all(a, SIM_SWEEP_NOUT, err);
	for (size_t i = 0; i < SIM_SWEEP_NOUT; i++)
		sim_afile_abort(&a[i]);
	return rc;
}

int sim_table_forget(const char *dir, FILE *err)
{
	for (size_t i = 0; i < SIM_SWEEP_NOUT; i++) {
		char path[4096];
		if (i == SIM_SWEEP_YAML)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir,
			 sim_sweep_outputs[i]);
		if (unlink(path) && errno != ENOENT) {
			fputs("concsim: error: cannot remove '", err);
			sim_fputs_safe(path, err);
			sim_fprintf_safe(err, "': %s\n", strerror(errno));
			return SIM_EIO;
		}
	}
	return 0;
}

/* results read back (resume, merge, plot): what the reader allowed before */
#define SIM_READ_MAX_BYTES (2 * (size_t)SIM_YAML_MAX_BYTES)

int sim_read_bytes(const char *path, char **buf, size_t *len)
{
	int rc = sim_read_file(path, SIM_READ_MAX_BYTES, buf, len);
	return rc == SIM_EIO && errno == ENOENT ? SIM_EINVAL : rc;
}

const char *sim_read_strerror(int e)
{
	if (e == SIM_EIO)
		return sim_file_strerror(errno);
	if (e == SIM_ELIMIT)
		return "larger than 32 MiB";
	return sim_strerror(e);
}
