/* Merkle tree hashing of RFC 9162 (Certificate Transparency 2.0), section 2.1:
 * leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right), MTH of n leaves split
 * at the largest power of two below n; inclusion proofs (audit paths) as in 2.1.3. */
#ifndef CALLREC_ARCHIVED_RECORD_MERKLE_H
#define CALLREC_ARCHIVED_RECORD_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define AD_HASH 32

void ad_merkle_leaf(const void *data, size_t len, uint8_t out[AD_HASH]);
void ad_merkle_node(const uint8_t l[AD_HASH], const uint8_t r[AD_HASH], uint8_t out[AD_HASH]);
/* Root of leaves[0..n) (hashes of leaves). n = 0 gives SHA-256 of nothing. */
void ad_merkle_root(const uint8_t (*leaves)[AD_HASH], size_t n, uint8_t out[AD_HASH]);
/* Audit path for leaf m of n (0 <= m < n): *len hashes into path (room for 64), and for each
 * whether the sibling is on the left (1) or right (0) when recomputing the root bottom-up. */
void ad_merkle_path(const uint8_t (*leaves)[AD_HASH], size_t n, size_t m,
		    uint8_t path[64][AD_HASH], int left[64], size_t *len);
/* RFC 9162 2.1.3.2: the root that leaf hash `leaf` at index m of a tree of size n with this
 * path leads to. 0, or -EINVAL when the path has the wrong length for (m, n). */
int ad_merkle_root_from_path(size_t m, size_t n, const uint8_t leaf[AD_HASH],
			     const uint8_t path[][AD_HASH], size_t len, uint8_t out[AD_HASH]);

#endif
