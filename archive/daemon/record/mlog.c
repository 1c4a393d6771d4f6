/* Manifest log. See mlog.h. The log itself (leaves, checkpoints) is kept by the index. */
#include "record/mlog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "record/manifest.h"
#include "record/merkle.h"

int ad_mlog_complete(const struct ad_mlog *m, struct ad_store *s,
		     const uint8_t id[CR_CALL_ID_BYTES], const char *audio_sha256_hex,
		     const void *manifest, size_t len)
{
	struct ad_index *ix = ad_store_index(s);
	uint8_t sig[AD_SIG_BYTES], leaf[AD_HASH];
	uint64_t n = 0;
	int rc, appended;

	rc = ad_vault_sign(m->vault, manifest, len, sig);
	if (rc < 0)
		return rc;
	ad_merkle_leaf(manifest, len, leaf);
	rc = ix->ops->complete(ix, id, audio_sha256_hex, sig, leaf, &appended);
	if (rc < 0)
		return rc;
	if (appended && ix->ops->log_size(ix, &n) == 0 && n && n % m->checkpoint_every == 0) {
		char *json = NULL;

		if (ad_mlog_checkpoint(m, s, &json, sig, &n) == 0) {
			cr_info("log: checkpoint at %llu manifests", (unsigned long long)n);
			ad_mlog_timestamp(m, s, n);
		}
		free(json);
	}
	return 0;
}

int ad_mlog_signature(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES],
		      uint8_t sig[AD_SIG_BYTES])
{
	struct ad_index *ix = ad_store_index(s);
	uint64_t leaf;

	return ix->ops->log_entry(ix, id, &leaf, sig);
}

/* The first n leaves (malloc'd). */
static int load_leaves(struct ad_index *ix, uint64_t n, uint8_t (**out)[AD_HASH])
{
	uint8_t (*v)[AD_HASH] = calloc(n ? n : 1, AD_HASH);
	int rc = v ? ix->ops->log_leaves(ix, n, v) : -ENOMEM;

	if (rc < 0) {
		free(v);
		return rc;
	}
	*out = v;
	return 0;
}

/* The signed checkpoint of the log's first n leaves, made now. */
static int make_checkpoint(const struct ad_mlog *m, struct ad_index *ix, uint64_t n,
			   char **json, uint8_t sig[AD_SIG_BYTES])
{
	uint8_t (*leaves)[AD_HASH] = NULL, root[AD_HASH];
	char root_hex[2 * AD_HASH + 1], when[32];
	json_t *j;
	char *text;
	int rc;

	rc = load_leaves(ix, n, &leaves);
	if (rc < 0)
		return rc;
	ad_merkle_root((const uint8_t(*)[AD_HASH])leaves, n, root);
	free(leaves);
	cr_hex_encode(root, AD_HASH, root_hex);
	ad_format_time(ad_clock_now(m->clock), when);
	j = json_pack("{si ss sI ss ss}", "version", 1, "log", "callrec manifests", "tree_size",
		      (json_int_t)n, "root_hash", root_hex, "time", when);
	text = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	if (!text)
		return -ENOMEM;
	rc = ad_vault_sign(m->vault, text, strlen(text), sig);
	if (rc < 0) {
		free(text);
		return rc;
	}
	*json = text;
	return 0;
}

int ad_mlog_checkpoint(const struct ad_mlog *m, struct ad_store *s, char **json,
		       uint8_t sig[AD_SIG_BYTES], uint64_t *size)
{
	struct ad_index *ix = ad_store_index(s);
	uint64_t n;
	int rc;

	rc = ix->ops->log_size(ix, &n);
	if (rc < 0)
		return rc;
	*size = n;
	rc = ix->ops->checkpoint_get(ix, n, json, sig, NULL, NULL);
	if (rc != -ENOENT)
		return rc;
	rc = make_checkpoint(m, ix, n, json, sig);
	if (rc == 0)
		rc = ix->ops->checkpoint_put(ix, n, *json, sig);
	if (rc == -EEXIST) {
		/* Another thread or archive stored one of this size first: that one counts. */
		free(*json);
		rc = ix->ops->checkpoint_get(ix, n, json, sig, NULL, NULL);
	}
	if (rc < 0) {
		free(*json);
		*json = NULL;
	}
	return rc;
}

int ad_mlog_proof(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES], uint64_t size,
		  json_t **out)
{
	uint8_t (*leaves)[AD_HASH] = NULL, path[64][AD_HASH], root[AD_HASH], sig[AD_SIG_BYTES];
	struct ad_index *ix = ad_store_index(s);
	char hex[2 * AD_HASH + 1];
	uint64_t index, logged;
	int left[64], rc;
	size_t len, i;
	json_t *o, *arr;

	rc = ix->ops->log_entry(ix, id, &index, sig);
	if (rc == 0)
		rc = ix->ops->log_size(ix, &logged);
	if (rc < 0)
		return rc;
	if (index >= size || size > logged)
		return -ENOENT;
	rc = load_leaves(ix, size, &leaves);
	if (rc < 0)
		return rc;
	ad_merkle_path((const uint8_t(*)[AD_HASH])leaves, size, (size_t)index, path, left, &len);
	ad_merkle_root((const uint8_t(*)[AD_HASH])leaves, size, root);
	o = json_object();
	arr = json_array();
	cr_hex_encode(leaves[index], AD_HASH, hex);
	json_object_set_new(o, "leaf_index", json_integer((json_int_t)index));
	json_object_set_new(o, "tree_size", json_integer((json_int_t)size));
	json_object_set_new(o, "leaf_hash", json_string(hex));
	for (i = 0; i < len; i++) {
		cr_hex_encode(path[i], AD_HASH, hex);
		json_array_append_new(arr, json_pack("{ss ss}", "hash", hex, "side",
						     left[i] ? "left" : "right"));
	}
	json_object_set_new(o, "path", arr);
	cr_hex_encode(root, AD_HASH, hex);
	json_object_set_new(o, "root_hash", json_string(hex));
	free(leaves);
	*out = o;
	return 0;
}
