/*
 * grow.h - the one step of a growable array: room for one more element,
 * doubling the capacity when it is full.
 */
#ifndef SIM_GROW_H
#define SIM_GROW_H

#include <stddef.h>

/* The array v of *cap elements of `size` bytes, n of them in use, with
 * room for element n: v itself while n < *cap, else v moved to twice the
 * capacity (`first` elements when it had none) and *cap updated. NULL when
 * memory runs out (v and *cap are then unchanged, and v still owned by
 * the caller):
 *
 *	struct cell *c = sim_grow(r->c, &r->cap, r->n, sizeof(*c), 32);
 *	if (!c)
 *		return SIM_ENOMEM;
 *	r->c = c;
 */
void *sim_grow(void *v, size_t *cap, size_t n, size_t size, size_t first);

#endif
