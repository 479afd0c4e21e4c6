/*
 * keyindex.c - the hash index of keyindex.h: linear probing over a table
 * kept at most half full, hashes mixed (Fibonacci hashing) so that keys
 * differing only in their last bytes spread over the table.
 */
#include "output/keyindex.h"

#include <stdlib.h>

#include "kernel/error.h"

uint64_t sim_key_hash(const void *key, size_t len)
{
	const unsigned char *b = key;
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* The first slot to look at for hash h in a table of cap slots. */
static size_t home(uint64_t h, size_t cap)
{
	return (size_t)((h * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
}

size_t sim_keyindex_find(struct sim_keyindex *x, uint64_t h,
			 bool (*same)(const void *ctx, size_t value),
			 const void *ctx)
{
	if (!x->cap)
		return SIZE_MAX;
	for (size_t i = home(h, x->cap);; i = (i + 1) & (x->cap - 1)) {
		const struct sim_keyslot *s = &x->slot[i];
		x->probes++;
		if (s->value == SIZE_MAX)
			return SIZE_MAX;
		if (s->hash == h && same(ctx, s->value))
			return s->value;
	}
}

/* Puts (h, value) in the first free slot from its home. */
static void place(struct sim_keyindex *x, uint64_t h, size_t value)
{
	size_t i = home(h, x->cap);
	for (x->probes++; x->slot[i].value != SIZE_MAX; x->probes++)
		i = (i + 1) & (x->cap - 1);
	x->slot[i] = (struct sim_keyslot){h, value};
}

int sim_keyindex_add(struct sim_keyindex *x, uint64_t h, size_t value)
{
	if (2 * (x->n + 1) > x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 16;
		struct sim_keyslot *s = cap < SIZE_MAX / sizeof(*s)
					    ? malloc(cap * sizeof(*s))
					    : NULL;
		if (!s)
			return SIM_ENOMEM;
		for (size_t i = 0; i < cap; i++)
			s[i].value = SIZE_MAX;
		struct sim_keyindex old = *x;
		x->slot = s;
		x->cap = cap;
		for (size_t i = 0; i < old.cap; i++)
			if (old.slot[i].value != SIZE_MAX)
				place(x, old.slot[i].hash, old.slot[i].value);
		free(old.slot);
	}
	place(x, h, value);
	x->n++;
	return 0;
}

void sim_keyindex_release(struct sim_keyindex *x)
{
	free(x->slot);
	*x = (struct sim_keyindex){0};
}
