/*
 * faults.c - the fault-injection build's counters and allocation wrappers
 * (see faults.h); empty unless CONCSIM_FAULTS is defined.
 */
#include "kernel/faults.h"

#ifdef CONCSIM_FAULTS
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t align, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_aligned_alloc(size_t align, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

static atomic_long alloc_count, io_count;

static long target(const char *name)
{
	const char *v = getenv(name);
	return v ? atol(v) : 0;
}

/* True, once, for the N-th call counted in c (N from the variable). */
static bool fire(atomic_long *c, const char *name)
{
	long n = target(name);
	if (n <= 0 || atomic_fetch_add(c, 1) + 1 != n)
		return false;
	const char *mark = getenv("CONCSIM_FAULT_MARK");
	if (mark) {
		int fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
	}
	errno = name[13] == 'A' ? ENOMEM : EIO;
	return true;
}

bool sim_fault_io(void)
{
	return fire(&io_count, "CONCSIM_FAIL_IO");
}

static bool fail_alloc(void)
{
	return fire(&alloc_count, "CONCSIM_FAIL_ALLOC");
}

void *__wrap_malloc(size_t n)
{
	return fail_alloc() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fail_alloc() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fail_alloc() ? NULL : __real_realloc(p, n);
}

void *__wrap_aligned_alloc(size_t align, size_t n)
{
	return fail_alloc() ? NULL : __real_aligned_alloc(align, n);
}

char *__wrap_strdup(const char *s)
{
	return __wrap_strndup(s, strlen(s));
}

char *__wrap_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *d = __wrap_malloc(len + 1);
	if (d) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}
#else
typedef int sim_faults_empty; /* ISO C: no empty translation unit */
#endif
