/*
 * diag.c - how the loader reports a problem: one line per problem at the
 * value's position, stopping after SIM_MAX_ERRORS, and the closest valid
 * word offered as "did you mean" (optimal string alignment distance).
 */
#include "scenario/diag.h"

#include "kernel/error.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void sim__error(struct sim_load *l, struct sim_mark m, const char *fmt, ...)
{
	va_list ap;
	char buf[1024];
	/* once memory ran out, what follows is its consequence: the one
	 * message is "out of memory" */
	if (l->rc || ++l->nerr > SIM_MAX_ERRORS + 1)
		return;
	/* file names and --set paths come from users too: one line, no
	 * escape sequence */
	sim_fputs_safe(m.file ? m.file : "", l->err);
	fprintf(l->err, ":%d:%d: error: ", m.line, m.col);
	if (l->nerr > SIM_MAX_ERRORS) {
		fprintf(l->err, "too many errors; stopping\n");
		return;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	sim_fputs_safe(buf, l->err);
	fputc('\n', l->err);
}

void sim__warning(struct sim_load *l, struct sim_mark m, const char *fmt, ...)
{
	va_list ap;
	sim_fprintf_safe(l->err, "%s:%d:%d: warning: ", m.file, m.line, m.col);
	va_start(ap, fmt);
	sim_vfprintf_safe(l->err, fmt, ap);
	va_end(ap);
	fputc('\n', l->err);
}

bool sim__give_up(const struct sim_load *l)
{
	return l->nerr > SIM_MAX_ERRORS || l->rc;
}

void *sim__nomem(struct sim_load *l)
{
	l->rc = SIM_ENOMEM;
	return NULL;
}

/* What a node holds, for "got ...": 'text', a map, a list, nothing. */
struct gotbuf sim__got(const struct sim_ynode *n)
{
	struct gotbuf b;
	size_t j = 0;
	if (sim_ynode_is_null(n) || n->kind != SIM_Y_SCALAR) {
		strcpy(b.s, !n || n->kind == SIM_Y_SCALAR ? "nothing"
			    : n->kind == SIM_Y_MAP	  ? "a map"
							  : "a list");
		return b;
	}
	b.s[j++] = '\'';
	for (size_t i = 0; i < n->len && i < 40; i++)
		b.s[j++] =
		    sim_is_ctl((unsigned char)n->text[i]) ? '?' : n->text[i];
	if (n->len > 40)
		j = (size_t)(stpcpy(b.s + j, "...") - b.s);
	b.s[j++] = '\'';
	b.s[j] = '\0';
	return b;
}

/* A user-given sim__word for a message: short, on one line. */
struct gotbuf sim__word(const char *s)
{
	struct gotbuf b;
	size_t j = 0;
	for (; s[j] && j < 56; j++)
		b.s[j] = sim_is_ctl((unsigned char)s[j]) ? '?' : s[j];
	strcpy(b.s + j, s[j] ? "..." : "");
	return b;
}

/* Optimal string alignment distance, for "did you mean". */
static size_t edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	if (n > 40 || m > 40)
		return SIZE_MAX;
	size_t d[41][41];
	for (size_t i = 0; i <= n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			size_t c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < c)
				c = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < c)
				c = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < c)
				c = d[i - 2][j - 2] + 1;
			d[i][j] = c;
		}
	return d[n][m];
}

/* Keeps in *best the candidate closest to w (distance at most 2). */
void sim__consider(const char *w, const char *cand, const char **best,
		   size_t *bestd)
{
	size_t d = edit_distance(w, cand);
	if (d <= 2 && d < strlen(w) && d < *bestd) {
		*best = cand;
		*bestd = d;
	}
}

/* "; did you mean 'x'?" or "" (into buf). */
const char *sim__suggest(char *buf, size_t size, const char *best)
{
	if (best)
		snprintf(buf, size, "; did you mean '%s'?", best);
	else
		buf[0] = '\0';
	return buf;
}
