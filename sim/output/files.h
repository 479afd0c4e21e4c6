/*
 * files.h - atomic output: every result file is written under a temporary
 * name and renamed into place, so a half-written file never has the final
 * name; and the output folder is created with its parents.
 */
#ifndef SIM_FILES_H
#define SIM_FILES_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

/* Atomic output: open makes DIR/NAME.tmp.XXXXXX with mkstemp (a new file,
 * never an existing one or a symlink's target), write, then commit renames
 * it to DIR/NAME if that temporary name still holds the file made (dev,
 * ino). Abort removes the temporary file (only if still ours). */
struct sim_afile {
	FILE *f;
	char *tmp, *final;
	dev_t dev;
	ino_t ino;
};
/* Reads the umask once (main calls it before any thread starts). */
void sim_files_init(void);
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
/* SIM_EIO (message printed) if a's final name is a folder, which the
 * rename would fail on: checked for every file of a group before the
 * first is published. 0 otherwise. */
int sim_afile_blocked(const struct sim_afile *a, FILE *err);
int sim_afile_publish(struct sim_afile *a, FILE *err);
/* Publishes a group of closed files all or none (run -o, a sweep's final
 * results, merge): entries a[0..n-1] that are cleared are skipped. First
 * every final name is checked (sim_afile_blocked), and a file already at
 * a final name is kept under a temporary hard link; then the files are
 * renamed into place in order. If a rename fails midway, the files
 * already published are taken back (the earlier file restored by a
 * rename, or the new one removed) so the folder is as it was. Returns 0
 * or SIM_EIO/SIM_ENOMEM (message printed to err); every a[i] is cleared
 * (the unpublished ones aborted) either way. */
int sim_afile_publish_all(struct sim_afile *a, size_t n, FILE *err);

/* Creates DIR (and parents) if missing. Returns 0, SIM_ENOMEM or SIM_EIO
 * (message printed to `err`, e.g. when a path component is a file). */
int sim_mkdir_p(const char *dir, FILE *err);
/* The same, and *made is the length of the shallowest prefix of DIR this
 * call created (0 if none), for sim_rmdir_made; on failure, what it made
 * is removed again. */
int sim_mkdir_made(const char *dir, size_t *made, FILE *err);
/* Removes the folder `path` and its parents down to the prefix of length
 * `made`, each only if empty; writes into path. Async-signal-safe. */
void sim_rmdir_made(char *path, size_t made);

/* Takes an exclusive lock on the folder itself (flock on its descriptor),
 * so that a second run, sweep or merge into it fails at once. Returns the
 * descriptor to give sim_dir_unlock, or SIM_EIO with the message printed
 * ("'DIR' is being written by another concsim ..."). */
int sim_dir_lock(const char *dir, FILE *err);
void sim_dir_unlock(int fd);

/* True when both paths exist and are the same file (device and inode). */
bool sim_same_file(const char *a, const char *b);
/* SIM_EINVAL, message printed, if DIR/NAMES[i] (NAMES[i] when DIR is
 * NULL: an output file, not a folder) is the file `input` (an output
 * would replace an input); 0 otherwise. */
int sim_check_clobber(const char *dir, const char *const *names, size_t n,
		      const char *input, FILE *err);

#endif
