/* Encryption at rest and erasure, in-process: after calls are stored, assembled and one is
 * erased, no file of the data directory (segments, objects, index, WAL) contains the audio
 * in the clear nor any call key's bytes; objects and chunk ciphertexts refuse tampering; the
 * erased call's key is gone and its objects with it. Also the object format's edge cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vault/crypt.h"
#include "store/erase.h"
#include "record/assemble.h"
#include "store/internal.h"
#include "log.h"
#include "test_archived_helpers.h"

static void no_ack(void *arg, void *tag, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq,
		   int status)
{
	(void)arg, (void)tag, (void)id, (void)seq;
	assert_int_equal(status, CR_ACK_OK);
}

/* Does any file under dir contain the needle? (memmem over each whole file) */
static int tree_contains(const char *dir, const void *needle, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;

	assert_non_null(d);
	while (!found && (e = readdir(d))) {
		char path[4200];
		struct stat st;
		char *buf;
		int fd;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			found = tree_contains(path, needle, n);
			continue;
		}
		if (!S_ISREG(st.st_mode) || st.st_size == 0)
			continue;
		buf = malloc((size_t)st.st_size);
		fd = open(path, O_RDONLY);
		assert_true(fd >= 0 && buf);
		assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
		close(fd);
		found = memmem(buf, (size_t)st.st_size, needle, n) != NULL;
		free(buf);
	}
	closedir(d);
	return found;
}

/* A call of `chunks` one-second chunks with sample value `v`, closed and assembled. */
static void store_call(struct ad_archive *ar, const uint8_t id[CR_CALL_ID_BYTES], int chunks,
		       int16_t v)
{
	struct ad_store *s = ar->store;
	uint8_t prev[CR_HASH_BYTES], hash[CR_HASH_BYTES];
	static struct t_body b;
	char close[128];
	int i;

	t_open_body(id, T_META, &b, prev);
	assert_int_equal(ad_store_call_open(s, &b, "desk1", NULL, b.b, b.len), 0);
	assert_int_equal(ad_store_commit(s, no_ack, NULL), 0);
	for (i = 0; i < chunks; i++) {
		t_chunk_body(id, (uint64_t)i + 1, (uint64_t)i * 16000, 16000, v, prev, &b, hash);
		assert_int_equal(ad_store_put_chunk(s, &b, "desk1", b.b, b.len), 0);
		memcpy(prev, hash, CR_HASH_BYTES);
	}
	snprintf(close, sizeof(close), "{\"end\":\"2026-11-23T10:00:09Z\",\"frames\":%d}",
		 chunks * 16000);
	t_close_body(id, (uint64_t)chunks + 1, close, &b);
	assert_int_equal(ad_store_call_close(s, &b, "desk1", b.b, b.len), 0);
	assert_int_equal(ad_store_commit(s, no_ack, NULL), 0);
	assert_int_equal(ad_assemble_closed(&ar->mlog, s, NULL), 1);
}

static void test_nothing_in_the_clear(void **state)
{
	/* Sample 0x4b43 = bytes "CK" / ..., a run unlikely anywhere by chance: 64 bytes of the
	 * left/right interleave as the WAV and the segments would hold them in the clear. */
	const int16_t v = 0x4b43;
	uint8_t pattern[64], id1[CR_CALL_ID_BYTES], id2[CR_CALL_ID_BYTES];
	uint8_t k1[AD_KEY_BYTES], k2[AD_KEY_BYTES];
	struct ad_archive ar;
	struct ad_store *s;
	char *dir = t_tmpdir();
	char path[4200], hex[33];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pattern); i += 4) {
		int16_t r = (int16_t)-v;
		pattern[i] = (uint8_t)v;
		pattern[i + 1] = (uint8_t)((uint16_t)v >> 8);
		pattern[i + 2] = (uint8_t)r;
		pattern[i + 3] = (uint8_t)((uint16_t)r >> 8);
	}
	cr_log_init("test", 0);
	assert_int_equal(t_archive_open(&ar, dir), 0);
	s = ar.store;
	t_id(id1, 1);
	t_id(id2, 2);
	store_call(&ar, id1, 3, v);
	store_call(&ar, id2, 2, v);
	assert_int_equal(ad_store_call_key(s, id1, k1), 0);
	assert_int_equal(ad_store_call_key(s, id2, k2), 0);
	assert_memory_not_equal(k1, k2, AD_KEY_BYTES);
	/* The test's own check works: the plaintext is findable once decrypted. */
	{
		uint8_t *wav = NULL;
		size_t len = 0;

		cr_id_to_hex(id1, hex);
		snprintf(path, sizeof(path), "%s/calls/%s/audio.wav", dir, hex);
		assert_int_equal(access(path, F_OK), 0);
		assert_int_equal(ad_obj_read_all(k1, AD_OBJ_AUDIO, ad_store_objects(s), id1, "audio.wav",
						 1u << 24, &wav, &len), 0);
		assert_int_equal(len, 44 + 3 * 16000 * 4);
		assert_non_null(memmem(wav, len, pattern, sizeof(pattern)));
		free(wav);
	}
	assert_false(tree_contains(dir, pattern, sizeof(pattern)));
	assert_false(tree_contains(dir, k1, AD_KEY_BYTES));
	assert_false(tree_contains(dir, k2, AD_KEY_BYTES));
	assert_false(tree_contains(dir, "RIFF", 4)); /* not even a WAV header */

	/* Erase call 1: its key cannot be had any more, its objects are gone. */
	assert_int_equal(ad_erase_call(s, id1, "test", "op"), 0);
	assert_int_equal(ad_store_call_key(s, id1, k1), -ENOENT);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(ad_erase_call(s, id1, "test", "op"), -ENOENT);
	assert_int_equal(ad_store_call_key(s, id2, k2), 0);
	assert_false(tree_contains(dir, pattern, sizeof(pattern)));
	assert_false(tree_contains(dir, k2, AD_KEY_BYTES));
	ad_archive_close(&ar);
	t_rmrf(dir);
	free(dir);
}

static void test_tampering_detected(void **state)
{
	uint8_t key[AD_KEY_BYTES], other[AD_KEY_BYTES], id[CR_CALL_ID_BYTES], out[300];
	uint8_t msg[200], sealed[200 + AD_TAG_BYTES];
	struct ad_obj_writer w;
	struct ad_obj_reader r;
	struct ad_objects *b;
	char *dir = t_tmpdir(), path[4200], hex[33];
	uint8_t *buf = NULL, *big;
	size_t len = 0, n = 3 * AD_OBJ_RECORD, i;
	int fd;

	(void)state;
	memset(key, 7, sizeof(key));
	memset(other, 8, sizeof(other));
	t_id(id, 3);
	memset(msg, 'a', sizeof(msg));
	assert_int_equal(ad_chunk_seal(key, id, 5, msg, sizeof(msg), sealed), 0);
	assert_int_equal(ad_chunk_open(key, id, 5, sealed, sizeof(sealed), out), 0);
	assert_memory_equal(out, msg, sizeof(msg));
	assert_int_equal(ad_chunk_open(key, id, 6, sealed, sizeof(sealed), out), -EBADMSG);
	assert_int_equal(ad_chunk_open(other, id, 5, sealed, sizeof(sealed), out), -EBADMSG);
	sealed[17] ^= 1;
	assert_int_equal(ad_chunk_open(key, id, 5, sealed, sizeof(sealed), out), -EBADMSG);

	/* An object of exactly three records (the last one empty) round-trips ... */
	assert_int_equal(ad_objects_open("dir", dir, &b), 0);
	big = malloc(n);
	for (i = 0; i < n; i++)
		big[i] = (uint8_t)(i * 7);
	assert_int_equal(ad_obj_create(&w, key, AD_OBJ_AUDIO, b, id, "x"), 0);
	assert_int_equal(ad_obj_write(&w, big, n), 0);
	assert_int_equal(ad_obj_commit(&w), 0);
	cr_id_to_hex(id, hex);
	snprintf(path, sizeof(path), "%s/calls/%s/x", dir, hex);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(ad_obj_read_all(key, AD_OBJ_AUDIO, b, id, "x", n, &buf, &len), 0);
	assert_int_equal(len, n);
	assert_memory_equal(buf, big, n);
	free(buf);
	/* ... and does not fit a smaller limit, */
	assert_int_equal(ad_obj_read_all(key, AD_OBJ_AUDIO, b, id, "x", n - 1, &buf, &len), -EFBIG);
	/* is refused as another kind, with another key, truncated, or with a flipped bit. */
	assert_int_equal(ad_obj_open(&r, key, AD_OBJ_MANIFEST, b, id, "x"), -EBADMSG);
	assert_int_equal(ad_obj_read_all(other, AD_OBJ_AUDIO, b, id, "x", n, &buf, &len), -EBADMSG);
	assert_int_equal(truncate(path, AD_OBJ_HDR + AD_OBJ_RECORD + AD_TAG_BYTES), 0);
	assert_int_equal(ad_obj_read_all(key, AD_OBJ_AUDIO, b, id, "x", n, &buf, &len), -EBADMSG);
	assert_int_equal(ad_obj_create(&w, key, AD_OBJ_AUDIO, b, id, "x"), 0);
	assert_int_equal(ad_obj_write(&w, big, 1000), 0);
	assert_int_equal(ad_obj_commit(&w), 0);
	assert_int_equal(ad_obj_read_all(key, AD_OBJ_AUDIO, b, id, "x", n, &buf, &len), 0);
	free(buf);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "Z", 1, AD_OBJ_HDR + 500), 1);
	close(fd);
	assert_int_equal(ad_obj_read_all(key, AD_OBJ_AUDIO, b, id, "x", n, &buf, &len), -EBADMSG);
	/* Removing the call's objects removes its directory. */
	assert_int_equal(b->ops->remove_call(b, id), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(ad_obj_open(&r, key, AD_OBJ_AUDIO, b, id, "x"), -ENOENT);
	b->ops->free(b);
	free(big);
	t_rmrf(dir);
	free(dir);
}

static void test_key_wrap(void **state)
{
	uint8_t id[CR_CALL_ID_BYTES], other[CR_CALL_ID_BYTES], key[AD_KEY_BYTES];
	uint8_t wrapped[AD_WRAPPED_BYTES], back[AD_KEY_BYTES];
	struct ad_vault *v;

	(void)state;
	assert_int_equal(ad_vault_ephemeral(&v), 0);
	t_id(id, 4);
	t_id(other, 5);
	assert_int_equal(ad_vault_new_call_key(v, id, key, wrapped), 0);
	assert_null(memmem(wrapped, sizeof(wrapped), key, 8));
	assert_int_equal(ad_vault_unwrap(v, id, wrapped, sizeof(wrapped), back), 0);
	assert_memory_equal(back, key, AD_KEY_BYTES);
	/* Bound to its call: another call's id does not unwrap it. */
	assert_int_equal(ad_vault_unwrap(v, other, wrapped, sizeof(wrapped), back), -EBADMSG);
	wrapped[20] ^= 1;
	assert_int_equal(ad_vault_unwrap(v, id, wrapped, sizeof(wrapped), back), -EBADMSG);
	ad_vault_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_in_the_clear),
		cmocka_unit_test(test_tampering_detected),
		cmocka_unit_test(test_key_wrap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
