/*
 * files.h - atomic output: every result file is written under a temporary
 * name and renamed into place, so a half-written file never has the final
 * name; and the output folder is created with its parents.
 */
#ifndef SIM_FILES_H
#define SIM_FILES_H

#include <stdio.h>

/* Atomic output: open DIR/NAME.tmp.PID, write, then commit renames it to
 * DIR/NAME. Abort removes the temporary file. */
struct sim_afile {
	FILE *f;
	char *tmp, *final;
};
/* Returns 0, SIM_EIO or SIM_ENOMEM (message with strerror printed to
 * `err` as `concsim: error: cannot write 'DIR/NAME': REASON`). dir may be
 * NULL or "" for the current directory. On failure *a is cleared. */
int sim_afile_open(struct sim_afile *a, const char *dir, const char *name,
		   FILE *err);
/* Flushes, fsyncs, closes and renames; returns 0 or SIM_EIO (e.g. disk
 * full, message printed to `err`; the temporary file is then removed). A
 * write that failed earlier on a->f is reported here too, so callers may
 * write, ignore the writer's result and commit. *a is cleared either way. */
int sim_afile_commit(struct sim_afile *a, FILE *err);
/* Closes and removes the temporary file; safe on a cleared afile. */
void sim_afile_abort(struct sim_afile *a);
/* The two halves of commit, for a group of files that must appear all or
 * none (`run -o`): close flushes, fsyncs and closes a->f, reporting any
 * write error (a full disk, EFBIG) and then removing the temporary file
 * and clearing *a; publish renames a closed file into place (nothing is
 * printed for a cleared afile). Both return 0 or SIM_EIO with the message
 * printed to `err`; abort still removes a closed, unpublished file. */
int sim_afile_close(struct sim_afile *a, FILE *err);
int sim_afile_publish(struct sim_afile *a, FILE *err);

/* Creates DIR (and parents) if missing. Returns 0, SIM_ENOMEM or SIM_EIO
 * (message printed to `err`, e.g. when a path component is a file). */
int sim_mkdir_p(const char *dir, FILE *err);

#endif
