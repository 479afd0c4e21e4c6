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
