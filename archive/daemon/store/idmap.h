/* A small open-addressing hash map from (call id, sequence) to an index, used to find what
 * was staged in the current event-loop turn without scanning (thousands of chunks per turn). */
#ifndef CALLREC_ARCHIVED_STORE_IDMAP_H
#define CALLREC_ARCHIVED_STORE_IDMAP_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

struct ad_idmap_slot {
	uint8_t id[CR_CALL_ID_BYTES];
	uint64_t seq;
	size_t idx;
	int used;
};

struct ad_idmap {
	size_t cap, n; /* cap is a power of two or 0 */
	struct ad_idmap_slot *slots;
};

/* Hash of a call id (mixed with seq): call ids are random, but clients choose them. Also the
 * hash of live.c's table (seq 0). */
size_t ad_id_hash(const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq);
/* Insert or replace. 0 or -ENOMEM. */
int ad_idmap_put(struct ad_idmap *m, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq, size_t idx);
/* 1 and *idx when present, else 0. */
int ad_idmap_get(const struct ad_idmap *m, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq,
		 size_t *idx);
/* Forget every entry (keeps the memory for the next turn). */
void ad_idmap_clear(struct ad_idmap *m);
void ad_idmap_free(struct ad_idmap *m);

#endif
