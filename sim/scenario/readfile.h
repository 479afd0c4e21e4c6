/*
 * readfile.h - reads a whole small file (a scenario, a result) into memory,
 * refusing one larger than a bound rather than cutting it short.
 */
#ifndef SIM_READFILE_H
#define SIM_READFILE_H

#include <errno.h>
#include <stddef.h>
#include <stdio.h>

/* errno when a path names something other than a regular file or a
 * folder (a FIFO, a device, a socket): sim_file_strerror says so. */
#define SIM_ENOTREG_ERRNO ENODEV

/* Opens `path` for reading only if it is a regular file: opened with
 * O_NONBLOCK (a FIFO does not hang the open), then fstat. Returns the
 * stream, or NULL with errno set (EISDIR for a folder, SIM_ENOTREG_ERRNO
 * for a FIFO, device or socket). Standard input ('-') is read with
 * sim_read_stream instead. */
FILE *sim_fopen_regular(const char *path);
/* strerror(e), or "not a regular file (...)" for SIM_ENOTREG_ERRNO. */
const char *sim_file_strerror(int e);

/* Reads the file at `path` into *buf (malloc'd, NUL-terminated; the caller
 * frees it) and its length into *len, if it holds at most `max` bytes.
 * Returns 0; SIM_EIO when it cannot be opened or read (errno says why:
 * EISDIR for a folder); SIM_ELIMIT when it is larger than `max`; or
 * SIM_ENOMEM. On failure *buf is NULL and *len 0. */
int sim_read_file(const char *path, size_t max, char **buf, size_t *len);

/* The same from an open stream (standard input), to its end; f stays
 * open. */
int sim_read_stream(FILE *f, size_t max, char **buf, size_t *len);

#endif
