/*
 * error.h - the error codes every layer returns: 0 is success, failures
 * are negative SIM_E* codes. One list makes both the codes and their
 * strings (sim_strerror, error.c).
 */
#ifndef SIM_ERROR_H
#define SIM_ERROR_H

#include <stdarg.h>
#include <stdio.h>

/* Error codes: 0 is success, failures are negative. One list makes both the
 * codes and their strings (see sim_strerror). */
#define SIM_ERRNO_MAP(X)                                                       \
	X(NOMEM, "out of memory")                                              \
	X(INVAL, "invalid argument")                                           \
	X(IO, "input/output error")                                            \
	X(SCENARIO, "invalid scenario")                                        \
	X(LIMIT, "limit exceeded")                                             \
	X(INTR, "interrupted")

enum {
	SIM_OK = 0,
#define X(name, msg) SIM_E##name##_,
	SIM_ERRNO_MAP(X)
#undef X
};
#define X(name, msg) SIM_E##name = -SIM_E##name##_,
enum { SIM_ERRNO_MAP(X) };
#undef X

/* Returns a static string describing a SIM_E* code. */
const char *sim_strerror(int err);

/* Where text meets a terminal: writes s to f with every control character
 * (below 0x20, and DEL) shown as '?', so an escape sequence in a name
 * cannot drive the terminal. Returns what fputs returns. */
int sim_fputs_safe(const char *s, FILE *f);
/* fprintf for every message that may hold a name, a path or a line from
 * the user: the text is formatted (at most 4095 bytes), then written as
 * sim_fputs_safe writes it, but for a final newline, which stays. Returns
 * what fputs returns. */
int sim_fprintf_safe(FILE *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int sim_vfprintf_safe(FILE *f, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* The same into a buffer: copies at most size-1 bytes of s. */
void sim_safe_copy(char *dst, size_t size, const char *s);
/* True if c is a control character that sim_fputs_safe replaces. */
static inline int sim_is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

#endif
