/*
 * keyindex.h - an open-addressing hash index from keys to numbers, for
 * the readers of a results folder that must find each row's key (a
 * system's name, a time) in constant time, so that reading stays linear
 * in the rows however many systems or times a file holds (`plot`'s time
 * series). The caller keeps the keys; the index keeps each one's 64-bit
 * hash and number, and asks the caller whether a candidate is the key.
 */
#ifndef SIM_KEYINDEX_H
#define SIM_KEYINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_keyslot {
	uint64_t hash;
	size_t value; /* SIZE_MAX: empty */
};

struct sim_keyindex {
	struct sim_keyslot *slot;
	size_t cap, n; /* cap: a power of two, at least 2n */
	/* slots looked at by every find and add so far: a test bounds it by
	 * a small multiple of the calls, as a linear scan would not be */
	size_t probes;
};

/* FNV-1a, 64 bits, of len bytes (also the scenario_hash of sweeps). */
uint64_t sim_key_hash(const void *key, size_t len);

/* The value stored under hash h for which same(ctx, value) is true, or
 * SIZE_MAX if none. An empty (zeroed) index finds nothing. */
size_t sim_keyindex_find(struct sim_keyindex *x, uint64_t h,
			 bool (*same)(const void *ctx, size_t value),
			 const void *ctx);
/* Stores value (not SIZE_MAX) under hash h; the caller has found no key
 * equal to it. Returns 0 or SIM_ENOMEM (the index is unchanged). */
int sim_keyindex_add(struct sim_keyindex *x, uint64_t h, size_t value);
/* Frees the slots; *x is zeroed. */
void sim_keyindex_release(struct sim_keyindex *x);

#endif
