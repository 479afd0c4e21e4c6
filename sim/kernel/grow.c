/*
 * grow.c - the growable-array step (grow.h).
 */
#include "kernel/grow.h"

#include <stdint.h>
#include <stdlib.h>

void *sim_grow(void *v, size_t *cap, size_t n, size_t size, size_t first)
{
	if (n < *cap)
		return v;
	size_t c = *cap ? 2 * *cap : first;
	if (c < *cap || c > SIZE_MAX / size)
		return NULL;
	void *w = realloc(v, c * size);
	if (w)
		*cap = c;
	return w;
}
