/*
 * readfile.h - reads a whole small file (a scenario, a result) into memory,
 * refusing one larger than a bound rather than cutting it short.
 */
#ifndef SIM_READFILE_H
#define SIM_READFILE_H

#include <stddef.h>
#include <stdio.h>

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
