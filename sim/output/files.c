/*
 * files.c - the one way concsim writes a file. A result is written to a
 * fresh temporary file DIR/NAME.tmp.XXXXXX made by mkstemp (O_CREAT|O_EXCL:
 * never an existing file, never through a symlink someone planted),
 * flushed and fsynced, then renamed to DIR/NAME, only if the temporary name
 * still names the file we created; so a reader never sees a half-written
 * file under the final name, and a symlink at DIR/NAME is replaced, not
 * followed. Also: mkdir -p that remembers what it made, a lock on an output
 * folder, and the check that an output would not replace an input.
 */
#include "output/files.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "kernel/error.h"
#include "kernel/faults.h"

static char *join_path(const char *dir, const char *name)
{
	size_t len = (dir ? strlen(dir) : 0) + strlen(name) + 2;
	char *p = malloc(len);
	if (!p)
		return NULL;
	if (dir && dir[0])
		snprintf(p, len, "%s/%s", dir, name);
	else
		snprintf(p, len, "%s", name);
	return p;
}

/* The process's umask, read once (umask() can only be read by setting it):
 * mkstemp makes 0600 files, results get the usual 0666 & ~umask. */
static mode_t file_mode;
static void read_umask(void)
{
	mode_t m = umask(022);
	umask(m);
	file_mode = 0666 & ~m;
}

void sim_files_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, read_umask);
}

static void print_err(FILE *err, const char *path, int e)
{
	fputs("concsim: error: cannot write '", err);
	sim_fputs_safe(path, err);
	sim_fprintf_safe(err, "': %s\n", strerror(e));
}

int sim_afile_open(struct sim_afile *a, const char *dir, const char *name,
		   FILE *err)
{
	int rc = SIM_ENOMEM, fd = -1;
	struct stat st;

	sim_files_init();
	memset(a, 0, sizeof(*a));
	a->final = join_path(dir, name);
	if (!a->final)
		goto cleanup;
	size_t len = strlen(a->final) + 16;
	a->tmp = malloc(len);
	if (!a->tmp)
		goto cleanup;
	snprintf(a->tmp, len, "%s.tmp.XXXXXX", a->final);
	if ((fd = sim_fault_io() ? (errno = EIO, -1) : mkstemp(a->tmp)) < 0) {
		print_err(err, a->final, errno);
		rc = SIM_EIO;
		free(a->tmp); /* not ours: nothing to remove */
		a->tmp = NULL;
		goto cleanup;
	}
	if (fstat(fd, &st) || fchmod(fd, file_mode) ||
	    !(a->f = fdopen(fd, "w"))) {
		print_err(err, a->final, errno);
		close(fd);
		unlink(a->tmp);
		rc = SIM_EIO;
		goto cleanup;
	}
	a->dev = st.st_dev;
	a->ino = st.st_ino;
	return 0;

cleanup:
	if (rc == SIM_ENOMEM)
		print_err(err, a->final ? a->final : name, ENOMEM);
	free(a->tmp);
	free(a->final);
	memset(a, 0, sizeof(*a));
	return rc;
}

/* Makes a rename durable; failures here are not worth an error. */
static void sync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, (size_t)(slash - path)) : NULL;
	int fd = open(dir ? (dir[0] ? dir : "/") : ".",
		      O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int sim_afile_close(struct sim_afile *a, FILE *err)
{
	int saved = errno, e = 0;

	assert(a->f && a->tmp && a->final);
	if (sim_fault_io())
		e = EIO;
	else if (fflush(a->f))
		e = errno;
	else if (ferror(a->f))
		e = saved ? saved : EIO; /* an earlier write failed */
	if (!e && fsync(fileno(a->f)) && errno != EINVAL)
		e = errno;
	if (fclose(a->f) && !e)
		e = errno;
	a->f = NULL;
	if (e) {
		print_err(err, a->final, e);
		sim_afile_abort(a);
		return SIM_EIO;
	}
	return 0;
}

/* True while a->tmp still names the regular file we created. */
static bool still_ours(const struct sim_afile *a)
{
	struct stat st;
	return !lstat(a->tmp, &st) && S_ISREG(st.st_mode) &&
	       st.st_dev == a->dev && st.st_ino == a->ino;
}

int sim_afile_publish(struct sim_afile *a, FILE *err)
{
	if (!a->tmp)
		return 0;
	assert(!a->f && a->final);
	if (!still_ours(a)) {
		fputs("concsim: error: cannot write '", err);
		sim_fputs_safe(a->final, err);
		fputs("': its temporary file was replaced by someone else\n",
		      err);
		free(a->tmp); /* not ours any more: leave it */
		a->tmp = NULL;
		sim_afile_abort(a);
		return SIM_EIO;
	}
	if (sim_fault_io() ? (errno = EIO, 1) : rename(a->tmp, a->final)) {
		print_err(err, a->final, errno);
		sim_afile_abort(a);
		return SIM_EIO;
	}
	sync_parent(a->final);
	free(a->tmp);
	free(a->final);
	memset(a, 0, sizeof(*a));
	return 0;
}

int sim_afile_blocked(const struct sim_afile *a, FILE *err)
{
	struct stat st;
	if (!a->final || lstat(a->final, &st) || !S_ISDIR(st.st_mode))
		return 0;
	print_err(err, a->final, EISDIR);
	return SIM_EIO;
}

/* Links the file at `final` (if any) to a fresh name beside it, *old
 * (malloc'd; NULL when there is no file at final). 0 or SIM_EIO/ENOMEM. */
static int keep_old(const char *final, char **old, FILE *err)
{
	struct stat st;
	*old = NULL;
	if (lstat(final, &st))
		return errno == ENOENT
			   ? 0
			   : (print_err(err, final, errno), SIM_EIO);
	size_t len = strlen(final) + 16;
	char *b = malloc(len);
	if (!b) {
		print_err(err, final, ENOMEM);
		return SIM_ENOMEM;
	}
	/* a unique name from mkstemp, freed for link(), which never
	 * replaces a file: someone taking the name in between fails it */
	snprintf(b, len, "%s.tmp.XXXXXX", final);
	int fd = sim_fault_io() ? (errno = EIO, -1) : mkstemp(b);
	if (fd < 0 || (close(fd), unlink(b)) || link(final, b)) {
		print_err(err, final, errno);
		free(b);
		return SIM_EIO;
	}
	*old = b;
	return 0;
}

int sim_afile_publish_all(struct sim_afile *a, size_t n, FILE *err)
{
	int rc = SIM_ENOMEM;
	size_t done = 0;
	char **old = calloc(n + 1, sizeof(*old));
	char **final = calloc(n + 1, sizeof(*final));

	if (!old || !final) {
		fputs("concsim: error: out of memory\n", err);
		goto cleanup;
	}
	/* a final name that is a folder fails its rename: find it before
	 * the first file is published */
	rc = SIM_EIO;
	for (size_t i = 0; i < n; i++)
		if (a[i].tmp && sim_afile_blocked(&a[i], err))
			goto cleanup;
	for (size_t i = 0; i < n; i++)
		if (a[i].tmp && ((rc = keep_old(a[i].final, &old[i], err)) ||
				 !(final[i] = strdup(a[i].final)))) {
			if (!rc) {
				rc = SIM_ENOMEM;
				print_err(err, a[i].final, ENOMEM);
			}
			goto cleanup;
		}
	for (done = 0; done < n; done++)
		if ((rc = sim_afile_publish(&a[done], err)))
			goto cleanup;
	rc = 0;
cleanup:
	/* a rename failed midway: take back the files just put in place,
	 * the earlier file renamed back over the new one (a reader sees one
	 * or the other, never none), a new file removed */
	for (size_t j = rc ? done : 0; j-- > 0;) {
		if (old[j])
			rename(old[j], final[j]); /* if it fails: left beside */
		else if (final[j])
			unlink(final[j]);
		free(old[j]);
		old[j] = NULL;
	}
	/* the other links to earlier files: replaced, or not to be */
	for (size_t i = 0; old && i < n; i++) {
		if (old[i])
			unlink(old[i]);
		free(old[i]);
		free(final ? final[i] : NULL);
	}
	free(old);
	free(final);
	for (size_t i = 0; i < n; i++)
		sim_afile_abort(&a[i]);
	return rc;
}

int sim_afile_commit(struct sim_afile *a, FILE *err)
{
	int rc = sim_afile_close(a, err);
	return rc ? rc : sim_afile_publish(a, err);
}

void sim_afile_abort(struct sim_afile *a)
{
	if (a->f)
		fclose(a->f);
	if (a->tmp && still_ours(a))
		unlink(a->tmp);
	free(a->tmp);
	free(a->final);
	memset(a, 0, sizeof(*a));
}

int sim_mkdir_made(const char *dir, size_t *made, FILE *err)
{
	struct stat st;
	int rc = SIM_EIO, e = 0;
	char *p = dir[0] ? strdup(dir) : NULL;

	if (made)
		*made = 0;
	if (!dir[0]) {
		e = ENOENT;
		goto cleanup;
	}
	if (!p) {
		e = ENOMEM;
		rc = SIM_ENOMEM;
		goto cleanup;
	}
	/* Each parent in turn, then the directory itself. */
	for (char *s = p + 1;; s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;
		*s = '\0';
		if (sim_fault_io() ? (errno = EIO, 1) : mkdir(p, 0777)) {
			if (errno != EEXIST) {
				e = errno;
				goto cleanup;
			}
		} else if (made && !*made) {
			*made = (size_t)(s - p);
		}
		*s = c;
		if (!c)
			break;
	}
	if (stat(p, &st)) {
		e = errno;
		goto cleanup;
	}
	if (!S_ISDIR(st.st_mode)) {
		e = ENOTDIR;
		goto cleanup;
	}
	rc = 0;

cleanup:
	if (rc) {
		fputs("concsim: error: cannot create directory '", err);
		sim_fputs_safe(dir, err);
		sim_fprintf_safe(err, "': %s\n", strerror(e));
		if (made && *made && p) {
			strcpy(p, dir);
			sim_rmdir_made(p, *made);
			*made = 0;
		}
	}
	free(p);
	return rc;
}

int sim_mkdir_p(const char *dir, FILE *err)
{
	return sim_mkdir_made(dir, NULL, err);
}

void sim_rmdir_made(char *path, size_t made)
{
	size_t n = strlen(path);
	while (made && n >= made) {
		while (n > 1 && path[n - 1] == '/')
			path[--n] = '\0';
		if (rmdir(path) && errno != ENOENT)
			return; /* not empty, or not ours: stop */
		while (n > 0 && path[n - 1] != '/')
			n--;
		if (n < made)
			return;
		path[n] = '\0';
	}
}

int sim_dir_lock(const char *dir, FILE *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		fputs("concsim: error: cannot open folder '", err);
		sim_fputs_safe(dir, err);
		sim_fprintf_safe(err, "': %s\n", strerror(errno));
		return SIM_EIO;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int e = errno;
		fputs("concsim: error: '", err);
		sim_fputs_safe(dir, err);
		if (e == EWOULDBLOCK)
			fputs("' is being written by another concsim "
			      "(run, sweep or merge); wait for it to finish "
			      "or choose another folder\n",
			      err);
		else
			sim_fprintf_safe(err, "': cannot lock it: %s\n",
					 strerror(e));
		close(fd);
		return SIM_EIO;
	}
	return fd;
}

void sim_dir_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

bool sim_same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return a && b && !stat(a, &sa) && !stat(b, &sb) &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int sim_check_clobber(const char *dir, const char *const *names, size_t n,
		      const char *input, FILE *err)
{
	for (size_t i = 0; i < n; i++) {
		char p[4096]; /* no allocation: nothing to fail */
		int len = snprintf(p, sizeof p, "%s%s%s", dir ? dir : "",
				   dir && dir[0] ? "/" : "", names[i]);
		if (len < 0 || (size_t)len >= sizeof p ||
		    !sim_same_file(p, input))
			continue; /* a longer path names no file */
		fputs("concsim: error: writing '", err);
		sim_fputs_safe(p, err);
		fputs("' would replace the input '", err);
		sim_fputs_safe(input, err);
		fputs(dir ? "'; choose another output folder with -o\n"
			  : "'; choose another file with -o\n",
		      err);
		return SIM_EINVAL;
	}
	return 0;
}
