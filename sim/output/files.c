/*
 * files.c - atomic output: a result is written to DIR/NAME.tmp.PID, flushed
 * and fsynced, then renamed to DIR/NAME, so a reader never sees a
 * half-written file under the final name; and mkdir -p for the folder.
 */
#include "output/files.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "kernel/error.h"

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

int sim_afile_open(struct sim_afile *a, const char *dir, const char *name,
		   FILE *err)
{
	int rc = SIM_ENOMEM;

	memset(a, 0, sizeof(*a));
	a->final = join_path(dir, name);
	if (!a->final)
		goto cleanup;
	size_t len = strlen(a->final) + 32;
	a->tmp = malloc(len);
	if (!a->tmp)
		goto cleanup;
	snprintf(a->tmp, len, "%s.tmp.%ld", a->final, (long)getpid());
	a->f = fopen(a->tmp, "w");
	if (!a->f) {
		fprintf(err, "concsim: error: cannot write '%s': %s\n",
			a->final, strerror(errno));
		rc = SIM_EIO;
		goto cleanup;
	}
	return 0;

cleanup:
	if (rc == SIM_ENOMEM)
		fprintf(err, "concsim: error: cannot write '%s': %s\n",
			a->final ? a->final : name, strerror(ENOMEM));
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
	FILE *d = fopen(dir ? (dir[0] ? dir : "/") : ".", "r");
	if (d) {
		fsync(fileno(d));
		fclose(d);
	}
	free(dir);
}

int sim_afile_close(struct sim_afile *a, FILE *err)
{
	int saved = errno, e = 0;

	assert(a->f && a->tmp && a->final);
	if (fflush(a->f))
		e = errno;
	else if (ferror(a->f))
		e = saved ? saved : EIO; /* an earlier write failed */
	if (!e && fsync(fileno(a->f)) && errno != EINVAL)
		e = errno;
	if (fclose(a->f) && !e)
		e = errno;
	a->f = NULL;
	if (e) {
		fprintf(err, "concsim: error: cannot write '%s': %s\n",
			a->final, strerror(e));
		sim_afile_abort(a);
		return SIM_EIO;
	}
	return 0;
}

int sim_afile_publish(struct sim_afile *a, FILE *err)
{
	if (!a->tmp)
		return 0;
	assert(!a->f && a->final);
	if (rename(a->tmp, a->final)) {
		fprintf(err, "concsim: error: cannot write '%s': %s\n",
			a->final, strerror(errno));
		sim_afile_abort(a);
		return SIM_EIO;
	}
	sync_parent(a->final);
	free(a->tmp);
	free(a->final);
	memset(a, 0, sizeof(*a));
	return 0;
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
	if (a->tmp)
		unlink(a->tmp);
	free(a->tmp);
	free(a->final);
	memset(a, 0, sizeof(*a));
}

int sim_mkdir_p(const char *dir, FILE *err)
{
	struct stat st;
	int rc = SIM_EIO, e = 0;
	char *p = dir[0] ? strdup(dir) : NULL;

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
		if (mkdir(p, 0777) && errno != EEXIST) {
			e = errno;
			goto cleanup;
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
	if (rc)
		fprintf(err,
			"concsim: error: cannot create directory '%s': %s\n",
			dir, strerror(e));
	free(p);
	return rc;
}
