/* The manifest log's hashing (RFC 9162): roots of small trees computed by hand, every audit
 * path of trees of 1..33 leaves leading back to the root (and not from another leaf or with a
 * changed hash), and proofs from the log in the index. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <gnutls/crypto.h>

#include "record/merkle.h"
#include "test_archived_helpers.h"

static void test_small_roots(void **state)
{
	uint8_t l[3][AD_HASH], ab[AD_HASH], want[AD_HASH], got[AD_HASH], buf[1 + 2 * AD_HASH];

	(void)state;
	ad_merkle_leaf("a", 1, l[0]);
	ad_merkle_leaf("b", 1, l[1]);
	ad_merkle_leaf("c", 1, l[2]);
	/* leaf = SHA-256(0x00 || data) */
	buf[0] = 0;
	buf[1] = 'a';
	gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, 2, want);
	assert_memory_equal(l[0], want, AD_HASH);
	/* Empty tree: SHA-256 of nothing. One leaf: itself. */
	ad_merkle_root(l, 0, got);
	gnutls_hash_fast(GNUTLS_DIG_SHA256, "", 0, want);
	assert_memory_equal(got, want, AD_HASH);
	ad_merkle_root(l, 1, got);
	assert_memory_equal(got, l[0], AD_HASH);
	/* Three leaves: node(node(a, b), c) (split at the largest power of two below n). */
	buf[0] = 1;
	memcpy(buf + 1, l[0], AD_HASH);
	memcpy(buf + 1 + AD_HASH, l[1], AD_HASH);
	gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, sizeof(buf), ab);
	memcpy(buf + 1, ab, AD_HASH);
	memcpy(buf + 1 + AD_HASH, l[2], AD_HASH);
	gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, sizeof(buf), want);
	ad_merkle_root(l, 3, got);
	assert_memory_equal(got, want, AD_HASH);
}

static void test_every_path(void **state)
{
	uint8_t leaves[33][AD_HASH], root[AD_HASH], got[AD_HASH], path[64][AD_HASH];
	int left[64];
	size_t n, m, len;

	(void)state;
	for (m = 0; m < 33; m++) {
		char d[8];

		snprintf(d, sizeof(d), "m%zu", m);
		ad_merkle_leaf(d, strlen(d), leaves[m]);
	}
	for (n = 1; n <= 33; n++) {
		ad_merkle_root(leaves, n, root);
		for (m = 0; m < n; m++) {
			ad_merkle_path(leaves, n, m, path, left, &len);
			assert_int_equal(ad_merkle_root_from_path(m, n, leaves[m], path, len, got), 0);
			assert_memory_equal(got, root, AD_HASH);
			/* The sides recorded for the README agree with RFC 9162's walk. */
			{
				uint8_t h[AD_HASH];
				size_t i;

				memcpy(h, leaves[m], AD_HASH);
				for (i = 0; i < len; i++)
					if (left[i])
						ad_merkle_node(path[i], h, h);
					else
						ad_merkle_node(h, path[i], h);
				assert_memory_equal(h, root, AD_HASH);
			}
			if (n > 1) {
				/* Another leaf, or a changed path, does not lead to the root. */
				assert_int_equal(ad_merkle_root_from_path(m, n, leaves[(m + 1) % n],
									  path, len, got), 0);
				assert_memory_not_equal(got, root, AD_HASH);
				path[0][3] ^= 1;
				assert_int_equal(ad_merkle_root_from_path(m, n, leaves[m], path, len,
									  got), 0);
				assert_memory_not_equal(got, root, AD_HASH);
				/* A path of the wrong length is refused. */
				assert_int_equal(ad_merkle_root_from_path(m, n, leaves[m], path,
									  len - 1, got), -EINVAL);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_roots),
		cmocka_unit_test(test_every_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
