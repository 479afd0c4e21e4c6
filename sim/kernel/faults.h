/*
 * faults.h - fault injection, the SQLite/Lua way. In a build configured
 * with -DCONCSIM_FAULTS=ON, CONCSIM_FAIL_ALLOC=N makes the N-th call to
 * malloc, calloc, realloc, aligned_alloc, strdup or strndup made by
 * concsim's own code fail (the link wraps them: -Wl,--wrap=malloc,...),
 * and CONCSIM_FAIL_IO=N makes the N-th output step of files.c fail
 * (creating a temporary file, flushing it, renaming it, making a folder).
 * When the fault fires and CONCSIM_FAULT_MARK names a file, that file is
 * created, so a test walking N knows when N has passed the last call. In
 * other builds sim_fault_io is a constant false and nothing is wrapped.
 */
#ifndef SIM_FAULTS_H
#define SIM_FAULTS_H

#include <stdbool.h>

#ifdef CONCSIM_FAULTS
/* True when this output step is the one to fail. */
bool sim_fault_io(void);
#else
static inline bool sim_fault_io(void)
{
	return false;
}
#endif

#endif
