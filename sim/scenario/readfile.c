/*
 * readfile.c - the one way concsim reads a whole file: in growing chunks
 * (a pipe has no size), up to a bound, and a file beyond the bound is an
 * error (SIM_ELIMIT), never silently truncated; and the one way it opens
 * a file to read: only a regular file, opened without blocking, so a FIFO
 * or a device named as a scenario or a result is refused, not waited on.
 */
#include "scenario/readfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/error.h"

FILE *sim_fopen_regular(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), e;
	FILE *f;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st)) {
		e = errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		e = S_ISDIR(st.st_mode) ? EISDIR : SIM_ENOTREG_ERRNO;
		goto fail;
	}
	/* a regular file never blocks; reads are ordinary from here */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (!(f = fdopen(fd, "rb"))) {
		e = errno;
		goto fail;
	}
	return f;
fail:
	close(fd);
	errno = e;
	return NULL;
}

const char *sim_file_strerror(int e)
{
	return e == SIM_ENOTREG_ERRNO
		   ? "not a regular file (a pipe, a device or a socket)"
		   : strerror(e);
}

int sim_read_file(const char *path, size_t max, char **buf, size_t *len)
{
	FILE *f = sim_fopen_regular(path);
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
