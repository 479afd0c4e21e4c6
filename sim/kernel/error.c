/*
 * error.c - the strings of the error codes (error.h).
 */
#include "kernel/error.h"

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
