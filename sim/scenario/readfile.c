/*
 * readfile.c - the one way concsim reads a whole file: in growing chunks
 * (a pipe has no size), up to a bound, and a file beyond the bound is an
 * error (SIM_ELIMIT), never silently truncated.
 */
#include "scenario/readfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "kernel/error.h"

int sim_read_file(const char *path, size_t max, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	int rc, saved;

	*buf = NULL;
	*len = 0;
	if (!f)
		return SIM_EIO;
	rc = sim_read_stream(f, max, buf, len);
	saved = errno;
	fclose(f);
	errno = saved;
	return rc;
}

int sim_read_stream(FILE *f, size_t max, char **buf, size_t *len)
{
	struct stat st;
	size_t cap = 4096, n = 0, k;
	char *b = NULL;
	int rc = SIM_EIO, saved;

	*buf = NULL;
	*len = 0;
	if (!fstat(fileno(f), &st) && S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto cleanup;
	}
	/* one byte more than the bound tells a file that is too large */
	for (;;) {
		if (n == cap || !b) {
			size_t want = b ? 2 * cap : cap;
			char *nb;
			if (want > max + 1)
				want = max + 1;
			if (b && want <= cap) {
				rc = SIM_ELIMIT;
				goto cleanup;
			}
			if (!(nb = realloc(b, want + 1))) {
				rc = SIM_ENOMEM;
				goto cleanup;
			}
			b = nb;
			cap = want;
		}
		if (!(k = fread(b + n, 1, cap - n, f)))
			break;
		n += k;
	}
	if (ferror(f))
		goto cleanup;
	if (n > max) {
		rc = SIM_ELIMIT;
		goto cleanup;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	b = NULL;
	rc = 0;
cleanup:
	saved = errno;
	free(b);
	errno = saved;
	return rc;
}
