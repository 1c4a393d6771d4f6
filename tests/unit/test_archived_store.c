/* callrec-archived storage: staging, group commit, idempotency, conflicts, the hash chain,
 * closes waiting for chunks, assembly (WAV with a hole as silence, manifest) and listing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <sndfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vault/crypt.h"
#include "store/erase.h"
#include "record/assemble.h"
#include "objects/dir.h"
#include "store/internal.h"
#include "log.h"
#include "test_archived_helpers.h"

#define MAX_ACKS 64

struct acks {
	size_t n;
	struct {
		void *tag;
		uint64_t seq;
		int status;
	} a[MAX_ACKS];
};

static void collect_ack(void *arg, void *tag, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq,
			int status)
{
	struct acks *k = arg;

	(void)id;
	assert_true(k->n < MAX_ACKS);
	k->a[k->n].tag = tag;
	k->a[k->n].seq = seq;
	k->a[k->n].status = status;
	k->n++;
}

/* Status of the ack for seq (the last one reported), or -1000 when none. */
static int ack_of(const struct acks *k, uint64_t seq)
{
	int st = -1000;
	size_t i;

	for (i = 0; i < k->n; i++)
		if (k->a[i].seq == seq)
			st = k->a[i].status;
	return st;
}

struct fixture {
	char *dir;
	struct ad_archive a;
	struct ad_store *s; /* a.store */
	uint8_t id[CR_CALL_ID_BYTES];
	uint8_t open_hash[CR_HASH_BYTES];
	struct t_body body;
	struct acks acks;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	cr_log_init("test", 0);
	f->dir = t_tmpdir();
	assert_non_null(f->dir);
	assert_int_equal(t_archive_open(&f->a, f->dir), 0);
	f->s = f->a.store;
	t_id(f->id, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ad_archive_close(&f->a);
	t_rmrf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void commit(struct fixture *f)
{
	memset(&f->acks, 0, sizeof(f->acks));
	assert_int_equal(ad_store_commit(f->s, collect_ack, &f->acks), 0);
}

static void open_call(struct fixture *f, const char *device)
{
	t_open_body(f->id, T_META, &f->body, f->open_hash);
	assert_int_equal(ad_store_call_open(f->s, f, device, "agent-test", f->body.b, f->body.len), 0);
}

/* Stage chunk seq with `frames` frames at `start`, chained from prev; hash into out. */
static void put(struct fixture *f, const char *device, uint64_t seq, uint64_t start,
		uint32_t frames, int16_t value, const uint8_t *prev, uint8_t *out)
{
	struct t_body b;

	t_chunk_body(f->id, seq, start, frames, value, prev, &b, out);
	assert_int_equal(ad_store_put_chunk(f->s, f, device, b.b, b.len), 0);
}

static void test_put_and_ack_after_commit(void **state)
{
	struct fixture *f = *state;
	uint8_t h1[CR_HASH_BYTES], h2[CR_HASH_BYTES];

	open_call(f, "desk1");
	put(f, "desk1", 1, 0, 1600, 100, f->open_hash, h1);
	put(f, "desk1", 2, 1600, 1600, 200, h1, h2);
	assert_int_equal(f->acks.n, 0); /* nothing acknowledged before the commit */
	commit(f);
	assert_int_equal(f->acks.n, 3);
	assert_int_equal(ack_of(&f->acks, 0), CR_ACK_OK);
	assert_int_equal(ack_of(&f->acks, 1), CR_ACK_OK);
	assert_int_equal(ack_of(&f->acks, 2), CR_ACK_OK);
}

static void test_idempotent_and_conflict(void **state)
{
	struct fixture *f = *state;
	uint8_t h1[CR_HASH_BYTES], h1b[CR_HASH_BYTES];

	open_call(f, "desk1");
	put(f, "desk1", 1, 0, 1600, 100, f->open_hash, h1);
	commit(f);
	/* The same chunk again (a lost ACK): OK, stored once. */
	put(f, "desk1", 1, 0, 1600, 100, f->open_hash, h1b);
	assert_memory_equal(h1, h1b, CR_HASH_BYTES);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 1), CR_ACK_OK);
	/* Same (call, seq), other content: conflict, never overwritten. */
	put(f, "desk1", 1, 0, 1600, 101, f->open_hash, NULL);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 1), CR_ACK_CONFLICT);
	/* The same CALL_OPEN again is fine; a different one conflicts. */
	open_call(f, "desk1");
	commit(f);
	assert_int_equal(ack_of(&f->acks, 0), CR_ACK_OK);
	t_open_body(f->id, "{\"user\":\"mallory\"}", &f->body, f->open_hash);
	assert_int_equal(ad_store_call_open(f->s, f, "desk1", NULL, f->body.b, f->body.len), 0);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 0), CR_ACK_CONFLICT);
}

static void test_duplicate_within_one_turn(void **state)
{
	struct fixture *f = *state;
	uint8_t h1[CR_HASH_BYTES];

	open_call(f, "desk1");
	put(f, "desk1", 1, 0, 160, 5, f->open_hash, h1);
	put(f, "desk1", 1, 0, 160, 5, f->open_hash, NULL);
	put(f, "desk1", 1, 0, 160, 6, f->open_hash, NULL);
	commit(f);
	assert_int_equal(f->acks.n, 4);
	assert_int_equal(f->acks.a[1].status, CR_ACK_OK);
	assert_int_equal(f->acks.a[2].status, CR_ACK_OK);
	assert_int_equal(f->acks.a[3].status, CR_ACK_CONFLICT);
}

static void test_chain_verification(void **state)
{
	struct fixture *f = *state;
	uint8_t h1[CR_HASH_BYTES], bogus[CR_HASH_BYTES], h3[CR_HASH_BYTES];
	struct t_body b;

	open_call(f, "desk1");
	memset(bogus, 0x42, sizeof(bogus));
	/* seq 1 must chain from the CALL_OPEN body. */
	put(f, "desk1", 1, 0, 160, 1, bogus, NULL);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 1), CR_ACK_CHAIN);
	put(f, "desk1", 1, 0, 160, 1, f->open_hash, h1);
	/* seq 2 with a wrong prev_hash. */
	put(f, "desk1", 2, 160, 160, 2, bogus, NULL);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 1), CR_ACK_OK);
	assert_int_equal(ack_of(&f->acks, 2), CR_ACK_CHAIN);
	/* A hash that does not match the content. */
	t_chunk_body(f->id, 2, 160, 160, 2, h1, &b, NULL);
	b.b[CR_CHUNK_HDR_WIRE] ^= 1;
	assert_int_equal(ad_store_put_chunk(f->s, f, "desk1", b.b, b.len), 0);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 2), CR_ACK_CHAIN);
	/* seq 3 before seq 2 is accepted; a seq 2 that does not lead to it is not. */
	put(f, "desk1", 3, 320, 160, 3, bogus, h3);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 3), CR_ACK_OK);
	put(f, "desk1", 2, 160, 160, 2, h1, NULL);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 2), CR_ACK_CHAIN);
}

static void test_forbidden_other_device(void **state)
{
	struct fixture *f = *state;
	uint8_t h1[CR_HASH_BYTES];
	struct t_body b;

	open_call(f, "desk1");
	commit(f);
	put(f, "desk2", 1, 0, 160, 1, f->open_hash, h1);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 1), CR_ACK_FORBIDDEN);
	open_call(f, "desk2");
	commit(f);
	assert_int_equal(ack_of(&f->acks, 0), CR_ACK_FORBIDDEN);
	t_close_body(f->id, 1, "{\"end\":\"x\"}", &b);
	assert_int_equal(ad_store_call_close(f->s, f, "desk2", b.b, b.len), 0);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 1), CR_ACK_FORBIDDEN);
}

static void test_invalid_frames(void **state)
{
	struct fixture *f = *state;
	struct t_body b;
	uint8_t other[CR_CALL_ID_BYTES];

	/* CALL_OPEN whose JSON is not an object. */
	t_open_body(f->id, "[1,2]", &b, f->open_hash);
	assert_int_equal(ad_store_call_open(f->s, f, "desk1", NULL, b.b, b.len), 0);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 0), CR_ACK_INVALID);
	/* A chunk for an unknown call. */
	t_id(other, 9);
	t_chunk_body(other, 1, 0, 16, 1, f->open_hash, &b, NULL);
	assert_int_equal(ad_store_put_chunk(f->s, f, "desk1", b.b, b.len), 0);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 1), CR_ACK_INVALID);
	/* Too short to carry an id: a protocol error. */
	assert_int_equal(ad_store_put_chunk(f->s, f, "desk1", b.b, 10), -EPROTO);
}

/* Recordings are encrypted at rest: decrypt an object of the call with its key. */
static uint8_t *decrypt_object(struct ad_store *s, const uint8_t *id, enum ad_obj_kind kind,
			       const char *path, size_t *len)
{
	uint8_t key[AD_KEY_BYTES], *out = NULL;
	const char *name = strrchr(path, '/') + 1;

	/* The file exists where the directory backend puts it; read it through the store. */
	if (access(path, F_OK) < 0 || ad_store_call_key(s, id, key) < 0 ||
	    ad_obj_read_all(key, kind, ad_store_objects(s), id, name, 64u << 20, &out, len) < 0)
		return NULL;
	return out;
}

static int read_wav(struct fixture *f, const char *path, short **out, SF_INFO *info)
{
	char tmp[] = "/tmp/test_archived_wav.XXXXXX";
	size_t len = 0;
	uint8_t *wav = decrypt_object(f->s, f->id, AD_OBJ_AUDIO, path, &len);
	SNDFILE *sf;
	int fd = mkstemp(tmp);

	if (!wav || fd < 0 || write(fd, wav, len) != (ssize_t)len) {
		free(wav);
		return -1;
	}
	free(wav);
	close(fd);
	sf = sf_open(tmp, SFM_READ, info);
	unlink(tmp);
	if (!sf)
		return -1;
	*out = calloc((size_t)info->frames * 2 + 1, sizeof(short));
	sf_readf_short(sf, *out, info->frames);
	sf_close(sf);
	return 0;
}

static json_t *load_manifest(struct fixture *f)
{
	char path[4200], hex[33];
	size_t len = 0;
	uint8_t *text;
	json_t *j;

	cr_id_to_hex(f->id, hex);
	snprintf(path, sizeof(path), "%s/calls/%s/manifest.json", f->dir, hex);
	text = decrypt_object(f->s, f->id, AD_OBJ_MANIFEST, path, &len);
	j = text ? json_loadb((const char *)text, len, 0, NULL) : NULL;
	free(text);
	return j;
}

static void test_close_waits_and_assembles_with_hole(void **state)
{
	struct fixture *f = *state;
	uint8_t h1[CR_HASH_BYTES], h2[CR_HASH_BYTES], h3[CR_HASH_BYTES];
	char path[4200], hex[33];
	struct t_body b;
	SF_INFO info = { 0 };
	short *pcm = NULL;
	json_t *m;

	open_call(f, "desk1");
	put(f, "desk1", 1, 0, 1600, 1000, f->open_hash, h1);
	t_chunk_body(f->id, 2, 3200, 1600, 2000, h1, &b, h2); /* a hole at 1600..3200 */
	commit(f);
	/* Close at seq 4 while seq 2 and 3 are missing: no ACK yet. */
	t_close_body(f->id, 4, "{\"end\":\"2026-11-23T10:00:01Z\",\"frames\":6400,"
		     "\"gaps\":[{\"start_ms\":0,\"length_ms\":10,\"channel\":1,\"cause\":\"dropped\"}]}", &b);
	assert_int_equal(ad_store_call_close(f->s, f, "desk1", b.b, b.len), 0);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 4), -1000);
	put(f, "desk1", 2, 3200, 1600, 2000, h1, h2);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 2), CR_ACK_OK);
	assert_int_equal(ack_of(&f->acks, 4), -1000);
	put(f, "desk1", 3, 4800, 800, 3000, h2, h3);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 3), CR_ACK_OK);
	assert_int_equal(ack_of(&f->acks, 4), CR_ACK_OK);
	assert_int_equal(ad_assemble_closed(&f->a.mlog, f->s, NULL), 1);

	cr_id_to_hex(f->id, hex);
	snprintf(path, sizeof(path), "%s/calls/%s/audio.wav", f->dir, hex);
	assert_int_equal(read_wav(f, path, &pcm, &info), 0);
	assert_int_equal(info.channels, 2);
	assert_int_equal(info.samplerate, 16000);
	assert_int_equal(info.frames, 6400); /* the close's length: the tail is silence too */
	assert_int_equal(pcm[0], 1000);
	assert_int_equal(pcm[1], -1000);
	assert_int_equal(pcm[2 * 1599], 1000);
	assert_int_equal(pcm[2 * 1600], 0); /* the hole */
	assert_int_equal(pcm[2 * 3199 + 1], 0);
	assert_int_equal(pcm[2 * 3200], 2000);
	assert_int_equal(pcm[2 * 4800 + 1], -3000);
	assert_int_equal(pcm[2 * 5600], 0);
	free(pcm);

	m = load_manifest(f);
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "id")), hex);
	assert_string_equal(json_string_value(json_object_get(m, "device")), "desk1");
	assert_string_equal(json_string_value(json_object_get(m, "user")), "alice");
	assert_string_equal(json_string_value(json_object_get(m, "end")), "2026-11-23T10:00:01Z");
	assert_int_equal(json_array_size(json_object_get(m, "chunks")), 3);
	/* The agent's gap, the hole, and the silent tail. */
	assert_int_equal(json_array_size(json_object_get(m, "gaps")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
		json_object_get(m, "gaps"), 1), "start_ms")), 100);
	assert_int_equal(strlen(json_string_value(json_object_get(m, "audio_sha256"))), 64);
	json_decref(m);

	/* A resent close is acknowledged again; another close seq conflicts. */
	t_close_body(f->id, 4, "{\"end\":\"2026-11-23T10:00:01Z\"}", &b);
	assert_int_equal(ad_store_call_close(f->s, f, "desk1", b.b, b.len), 0);
	t_close_body(f->id, 5, "{\"end\":\"2026-11-23T10:00:01Z\"}", &b);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 4), CR_ACK_OK);
	assert_int_equal(ad_store_call_close(f->s, f, "desk1", b.b, b.len), 0);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 5), CR_ACK_CONFLICT);
	/* Chunks past the close are refused. */
	put(f, "desk1", 4, 5600, 16, 1, h3, NULL);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 4), CR_ACK_INVALID);
}

/* Chunks the agent evicted from its full spool never arrive: the close that lists them in
 * evicted_seqs completes without them, and the manifest shows the agent's "evicted" gap
 * instead of adding a "missing" one for the same hole. */
static void test_close_with_evicted_chunks(void **state)
{
	struct fixture *f = *state;
	uint8_t h1[CR_HASH_BYTES], h2[CR_HASH_BYTES], h3[CR_HASH_BYTES];
	struct t_body b;
	json_t *m, *g;
	size_t i, evicted = 0, missing = 0;

	open_call(f, "desk1");
	put(f, "desk1", 1, 0, 1600, 1000, f->open_hash, h1);
	t_chunk_body(f->id, 2, 1600, 1600, 2000, h1, &b, h2); /* evicted: never sent */
	put(f, "desk1", 3, 3200, 1600, 3000, h2, h3);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 3), CR_ACK_OK);
	/* Without the list the close waits for seq 2 ... */
	t_close_body(f->id, 4, "{\"end\":\"2026-11-23T10:00:01Z\",\"frames\":4800}", &b);
	assert_int_equal(ad_store_call_close(f->s, f, "desk1", b.b, b.len), 0);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 4), -1000);
	assert_int_equal(t_store_reopen(&f->a), 0);
	f->s = f->a.store;
	/* ... with it (the agent rewrites its close after evicting), it completes. */
	t_id(f->id, 2);
	open_call(f, "desk1");
	put(f, "desk1", 1, 0, 1600, 1000, f->open_hash, h1);
	t_chunk_body(f->id, 2, 1600, 1600, 2000, h1, &b, h2);
	put(f, "desk1", 3, 3200, 1600, 3000, h2, h3);
	t_close_body(f->id, 4, "{\"end\":\"2026-11-23T10:00:01Z\",\"frames\":4800,"
		     "\"evicted_seqs\":[2],\"gaps\":[{\"start_ms\":100,\"length_ms\":100,"
		     "\"channel\":0,\"cause\":\"evicted\"}]}", &b);
	assert_int_equal(ad_store_call_close(f->s, f, "desk1", b.b, b.len), 0);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 4), CR_ACK_OK);
	assert_int_equal(ad_assemble_closed(&f->a.mlog, f->s, NULL), 1);
	m = load_manifest(f);
	assert_non_null(m);
	json_array_foreach(json_object_get(m, "gaps"), i, g) {
		const char *cause = json_string_value(json_object_get(g, "cause"));
		evicted += cause && !strcmp(cause, "evicted");
		missing += cause && !strcmp(cause, "missing");
	}
	assert_int_equal(evicted, 1);
	assert_int_equal(missing, 0);
	json_decref(m);
}

static void test_forget_drops_waiting_close(void **state)
{
	struct fixture *f = *state;
	struct t_body b;

	open_call(f, "desk1");
	commit(f);
	t_close_body(f->id, 3, "{}", &b);
	assert_int_equal(ad_store_call_close(f->s, f, "desk1", b.b, b.len), 0);
	commit(f);
	assert_int_equal(f->acks.n, 0);
	ad_store_forget(f->s, f);
	assert_int_equal(ad_store_staged(f->s), 0);
}

struct list_seen {
	int n;
	char state[3][16];
	char device[3][64];
};

static int list_cb(void *arg, const struct ad_call_info *c)
{
	struct list_seen *ls = arg;

	if (ls->n < 3) {
		snprintf(ls->state[ls->n], 16, "%s", c->state);
		snprintf(ls->device[ls->n], 64, "%s", c->device);
	}
	ls->n++;
	return 0;
}

static void test_list_and_reopen(void **state)
{
	struct fixture *f = *state;
	struct list_seen ls = { 0 };
	uint8_t h1[CR_HASH_BYTES];
	struct t_body b;

	open_call(f, "desk1");
	put(f, "desk1", 1, 0, 160, 1, f->open_hash, h1);
	t_close_body(f->id, 2, "{\"frames\":160}", &b);
	assert_int_equal(ad_store_call_close(f->s, f, "desk1", b.b, b.len), 0);
	t_id(f->id, 2);
	open_call(f, "desk7");
	commit(f);
	assert_int_equal(ad_store_index(f->s)->ops->call_list(ad_store_index(f->s), list_cb, &ls), 0);
	assert_int_equal(ls.n, 2);
	assert_string_equal(ls.state[0], "closing"); /* closed, not assembled yet */
	assert_string_equal(ls.device[1], "desk7");
	/* Reopening the directory: the closed call is assembled at start-up, nothing is lost. */
	assert_int_equal(t_store_reopen(&f->a), 0);
	f->s = f->a.store;
	assert_int_equal(ad_assemble_closed(&f->a.mlog, f->s, NULL), 1);
	memset(&ls, 0, sizeof(ls));
	assert_int_equal(ad_store_index(f->s)->ops->call_list(ad_store_index(f->s), list_cb, &ls), 0);
	assert_int_equal(ls.n, 2);
	assert_string_equal(ls.state[0], "complete");
	assert_string_equal(ls.state[1], "recording");
}

/* The policy's recording.rate reaches the archive in CALL_OPEN: chunks at another
 * rate are refused, the WAV and the manifest have the call's rate, and a rate outside
 * 8/16/32/48 kHz is refused at the open. */
static void test_call_rate_from_open(void **state)
{
	struct fixture *f = *state;
	uint8_t h1[CR_HASH_BYTES];
	char path[4200], hex[33];
	struct t_body b;
	SF_INFO info = { 0 };
	short *pcm = NULL;
	json_t *m;

	t_open_body(f->id, "{\"user\":\"alice\",\"rate\":8000}", &f->body, f->open_hash);
	assert_int_equal(ad_store_call_open(f->s, f, "desk1", NULL, f->body.b, f->body.len), 0);
	t_chunk_body(f->id, 1, 0, 800, 5, f->open_hash, &b, NULL); /* 16 kHz */
	assert_int_equal(ad_store_put_chunk(f->s, f, "desk1", b.b, b.len), 0);
	t_chunk_body_at(8000, f->id, 1, 0, 800, 5, f->open_hash, &b, h1);
	assert_int_equal(ad_store_put_chunk(f->s, f, "desk1", b.b, b.len), 0);
	commit(f);
	assert_int_equal(f->acks.a[1].status, CR_ACK_INVALID);
	assert_int_equal(f->acks.a[2].status, CR_ACK_OK);
	t_close_body(f->id, 2, "{\"frames\":1600}", &b);
	assert_int_equal(ad_store_call_close(f->s, f, "desk1", b.b, b.len), 0);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 2), CR_ACK_OK);
	assert_int_equal(ad_assemble_closed(&f->a.mlog, f->s, NULL), 1);
	cr_id_to_hex(f->id, hex);
	snprintf(path, sizeof(path), "%s/calls/%s/audio.wav", f->dir, hex);
	assert_int_equal(read_wav(f, path, &pcm, &info), 0);
	assert_int_equal(info.samplerate, 8000);
	assert_int_equal(info.frames, 1600);
	assert_int_equal(pcm[2 * 799], 5);
	assert_int_equal(pcm[2 * 800], 0);
	free(pcm);
	m = load_manifest(f);
	assert_non_null(m);
	assert_int_equal(json_integer_value(json_object_get(m, "rate")), 8000);
	assert_true(json_real_value(json_object_get(m, "seconds")) == 0.2);
	json_decref(m);
	t_id(f->id, 3);
	t_open_body(f->id, "{\"rate\":44100}", &f->body, f->open_hash);
	assert_int_equal(ad_store_call_open(f->s, f, "desk1", NULL, f->body.b, f->body.len), 0);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 0), CR_ACK_INVALID);
}

/* Metadata nested deeper than any agent writes is refused at CALL_OPEN (store_stage.c). */
static void test_deep_metadata_refused(void **state)
{
	struct fixture *f = *state;
	char meta[256] = "{\"user\":\"alice\",\"x\":";
	int i;

	for (i = 0; i < 20; i++)
		strcat(meta, "[");
	for (i = 0; i < 20; i++)
		strcat(meta, "]");
	strcat(meta, "}");
	t_open_body(f->id, meta, &f->body, f->open_hash);
	assert_int_equal(ad_store_call_open(f->s, f, "desk1", NULL, f->body.b, f->body.len), 0);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 0), CR_ACK_INVALID);
	t_open_body(f->id, "{\"user\":\"alice\",\"x\":[[[1]]]}", &f->body, f->open_hash);
	assert_int_equal(ad_store_call_open(f->s, f, "desk1", NULL, f->body.b, f->body.len), 0);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 0), CR_ACK_OK);
}

/* Chunk rows of the fixture's call in the index. */
static int64_t rows(struct fixture *f)
{
	struct ad_index *ix = ad_store_index(f->s);
	uint64_t n = 0;

	assert_int_equal(ix->ops->chunk_count(ix, f->id, 0, UINT64_MAX, &n), 0);
	return (int64_t)n;
}

/* The in-memory view of recording calls (live.h) answers as the index would: across holes,
 * a restart, a close and an erasure. */
static void test_live_calls_answer_like_the_index(void **state)
{
	struct fixture *f = *state;
	uint8_t h[8][CR_HASH_BYTES], bogus[CR_HASH_BYTES];
	struct t_body b;

	memset(bogus, 0x42, sizeof(bogus));
	open_call(f, "desk1");
	put(f, "desk1", 1, 0, 160, 1, f->open_hash, h[1]);
	commit(f);
	assert_non_null(ad_live_get(&f->s->live, f->id));
	put(f, "desk1", 2, 160, 160, 2, h[1], h[2]);
	commit(f);
	assert_int_equal(ad_live_get(&f->s->live, f->id)->last_seq, 2);
	put(f, "desk1", 2, 160, 160, 9, h[1], NULL); /* stored seq, other content */
	put(f, "desk1", 3, 320, 160, 3, bogus, NULL); /* does not follow seq 2 */
	put(f, "desk1", 3, 320, 160, 3, h[2], h[3]);
	commit(f);
	assert_int_equal(f->acks.a[0].status, CR_ACK_CONFLICT);
	assert_int_equal(f->acks.a[1].status, CR_ACK_CHAIN);
	assert_int_equal(f->acks.a[2].status, CR_ACK_OK);
	/* A hole: seq 5 before 4. */
	t_chunk_body(f->id, 4, 480, 160, 4, h[3], &b, h[4]);
	put(f, "desk1", 5, 640, 160, 5, h[4], h[5]);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 5), CR_ACK_OK);
	assert_null(ad_live_get(&f->s->live, f->id));
	put(f, "desk1", 4, 480, 160, 4, bogus, NULL);
	put(f, "desk1", 4, 480, 160, 44, h[3], NULL); /* follows 3, does not lead to 5 */
	commit(f);
	assert_int_equal(f->acks.a[0].status, CR_ACK_CHAIN);
	assert_int_equal(f->acks.a[1].status, CR_ACK_CHAIN);
	assert_int_equal(ad_store_put_chunk(f->s, f, "desk1", b.b, b.len), 0);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 4), CR_ACK_OK);
	/* The hole is filled: the next chunk brings the call back into memory. */
	put(f, "desk1", 6, 800, 160, 6, bogus, NULL);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 6), CR_ACK_CHAIN);
	assert_non_null(ad_live_get(&f->s->live, f->id));
	assert_int_equal(ad_live_get(&f->s->live, f->id)->last_seq, 5);
	/* A restart: the same answers from the index. */
	assert_int_equal(t_store_reopen(&f->a), 0);
	f->s = f->a.store;
	assert_null(ad_live_get(&f->s->live, f->id));
	put(f, "desk1", 6, 800, 160, 6, bogus, NULL);
	put(f, "desk1", 6, 800, 160, 6, h[5], h[6]);
	put(f, "desk2", 7, 960, 160, 7, h[6], NULL);
	commit(f);
	assert_int_equal(f->acks.a[0].status, CR_ACK_CHAIN);
	assert_int_equal(f->acks.a[1].status, CR_ACK_OK);
	assert_int_equal(f->acks.a[2].status, CR_ACK_FORBIDDEN);
	assert_int_equal(rows(f), 6);
	/* Closed at seq 7: the call leaves memory and a chunk past the close is refused. */
	t_close_body(f->id, 7, "{\"frames\":960}", &b);
	assert_int_equal(ad_store_call_close(f->s, f, "desk1", b.b, b.len), 0);
	commit(f);
	assert_null(ad_live_get(&f->s->live, f->id));
	put(f, "desk1", 7, 960, 160, 7, h[6], NULL);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 7), CR_ACK_INVALID);
	/* Erased while recording: later chunks are acknowledged and never stored. */
	t_id(f->id, 9);
	open_call(f, "desk1");
	put(f, "desk1", 1, 0, 160, 1, f->open_hash, h[1]);
	commit(f);
	assert_int_equal(ad_erase_call(f->s, f->id, "test", NULL), 0);
	assert_null(ad_live_get(&f->s->live, f->id));
	put(f, "desk1", 2, 160, 160, 2, h[1], NULL);
	commit(f);
	assert_int_equal(ack_of(&f->acks, 2), CR_ACK_OK);
	assert_int_equal(rows(f), 0);
}

static void test_segment_roll(void **state)
{
	struct fixture *f = *state;
	uint8_t prev[CR_HASH_BYTES], h[CR_HASH_BYTES];
	char path[4200];
	struct stat st;
	uint64_t seq;

	ad_objects_dir_segment_max(ad_store_objects(f->s), 10000); /* each chunk below is 6400 bytes */
	open_call(f, "desk1");
	memcpy(prev, f->open_hash, CR_HASH_BYTES);
	for (seq = 1; seq <= 3; seq++) {
		put(f, "desk1", seq, (seq - 1) * 1600, 1600, (int16_t)seq, prev, h);
		memcpy(prev, h, CR_HASH_BYTES);
	}
	commit(f);
	assert_int_equal(ack_of(&f->acks, 3), CR_ACK_OK);
	snprintf(path, sizeof(path), "%s/segments/00000003.seg", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 8192); /* 6400 bytes padded to the 4 KiB alignment */
}

/* The store refuses a second daemon on the same directory. */
static void test_lock(void **state)
{
	struct fixture *f = *state;
	struct ad_store_cfg sc = { .data_dir = f->dir, .vault = f->a.vault, .clock = &f->a.clock };
	struct ad_store *other = NULL;

	assert_int_equal(ad_store_open(&sc, &other), -EBUSY);
	assert_null(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_and_ack_after_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotent_and_conflict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_within_one_turn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_verification, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forbidden_other_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_waits_and_assembles_with_hole, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_forget_drops_waiting_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_with_evicted_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_segment_roll, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_rate_from_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deep_metadata_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_calls_answer_like_the_index, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
	};
	return cmocka_run_group_tests_name("archived_store", tests, NULL, NULL);
}
