/* RFC 9162 Merkle hashing. See merkle.h. Recursive on the tree's shape; depth <= 64. */
#include "record/merkle.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <string.h>

void ad_merkle_leaf(const void *data, size_t len, uint8_t out[AD_HASH])
{
	gnutls_hash_hd_t h;
	uint8_t zero = 0;

	gnutls_hash_init(&h, GNUTLS_DIG_SHA256);
	gnutls_hash(h, &zero, 1);
	gnutls_hash(h, data, len);
	gnutls_hash_deinit(h, out);
}

void ad_merkle_node(const uint8_t l[AD_HASH], const uint8_t r[AD_HASH], uint8_t out[AD_HASH])
{
	uint8_t buf[1 + 2 * AD_HASH];

	buf[0] = 1;
	memcpy(buf + 1, l, AD_HASH);
	memcpy(buf + 1 + AD_HASH, r, AD_HASH);
	gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, sizeof(buf), out);
}

/* Largest power of two smaller than n (n >= 2). */
static size_t split(size_t n)
{
	size_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

void ad_merkle_root(const uint8_t (*leaves)[AD_HASH], size_t n, uint8_t out[AD_HASH])
{
	uint8_t l[AD_HASH], r[AD_HASH];
	size_t k;

	if (n == 0) {
		gnutls_hash_fast(GNUTLS_DIG_SHA256, "", 0, out);
		return;
	}
	if (n == 1) {
		memcpy(out, leaves[0], AD_HASH);
		return;
	}
	k = split(n);
	ad_merkle_root(leaves, k, l);
	ad_merkle_root(leaves + k, n - k, r);
	ad_merkle_node(l, r, out);
}

/* PATH(m, D[n]) of 2.1.3.1, deepest sibling first. */
static void path(const uint8_t (*leaves)[AD_HASH], size_t n, size_t m, uint8_t p[64][AD_HASH],
		 int left[64], size_t *len)
{
	size_t k;

	if (n <= 1)
		return;
	k = split(n);
	if (m < k) {
		path(leaves, k, m, p, left, len);
		ad_merkle_root(leaves + k, n - k, p[*len]);
		left[(*len)++] = 0;
	} else {
		path(leaves + k, n - k, m - k, p, left, len);
		ad_merkle_root(leaves, k, p[*len]);
		left[(*len)++] = 1;
	}
}

void ad_merkle_path(const uint8_t (*leaves)[AD_HASH], size_t n, size_t m,
		    uint8_t p[64][AD_HASH], int left[64], size_t *len)
{
	*len = 0;
	if (m < n)
		path(leaves, n, m, p, left, len);
}

int ad_merkle_root_from_path(size_t m, size_t n, const uint8_t leaf[AD_HASH],
			     const uint8_t p[][AD_HASH], size_t len, uint8_t out[AD_HASH])
{
	uint64_t fn = m, sn = n - 1;
	uint8_t r[AD_HASH];
	size_t i;

	if (m >= n)
		return -EINVAL;
	memcpy(r, leaf, AD_HASH);
	for (i = 0; i < len; i++) {
		if (sn == 0)
			return -EINVAL;
		if ((fn & 1) || fn == sn) {
			ad_merkle_node(p[i], r, r);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			ad_merkle_node(r, p[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return -EINVAL;
	memcpy(out, r, AD_HASH);
	return 0;
}
