/*
 * error.c - the strings of the error codes (error.h).
 */
#include "kernel/error.h"

#include <stdbool.h>

const char *sim_strerror(int err)
{
	switch (err) {
	case SIM_OK:
		return "success";
#define X(name, msg)                                                           \
	case SIM_E##name:                                                      \
		return msg;
		SIM_ERRNO_MAP(X)
#undef X
	}
	return "unknown error";
}

int sim_fputs_safe(const char *s, FILE *f)
{
	for (; *s; s++)
		if (putc(sim_is_ctl((unsigned char)*s) ? '?' : *s, f) == EOF)
			return EOF;
	return 0;
}

void sim_safe_copy(char *dst, size_t size, const char *s)
{
	size_t j = 0;
	for (; size && s[j] && j + 1 < size; j++)
		dst[j] = sim_is_ctl((unsigned char)s[j]) ? '?' : s[j];
	if (size)
		dst[j] = '\0';
}

int sim_vfprintf_safe(FILE *f, const char *fmt, va_list ap)
{
	char buf[4096];
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	if (n < 0)
		return EOF;
	size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
	bool nl = len && buf[len - 1] == '\n';
	if (nl)
		buf[len - 1] = '\0';
	if (sim_fputs_safe(buf, f) == EOF)
		return EOF;
	return nl ? (putc('\n', f) == EOF ? EOF : 0) : 0;
}

int sim_fprintf_safe(FILE *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = sim_vfprintf_safe(f, fmt, ap);
	va_end(ap);
	return rc;
}
