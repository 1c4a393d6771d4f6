/* Shared by the test_archived_*.c unit tests: building CALL_OPEN / CHUNK / CALL_CLOSE bodies
 * the way an agent does, and a scratch data directory. Header-only so that each test program
 * stays one file for the Makefile's wildcard. */
#ifndef CALLREC_TEST_ARCHIVED_HELPERS_H
#define CALLREC_TEST_ARCHIVED_HELPERS_H

#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "frame.h"

#define T_META "{\"version\":1,\"user\":\"alice\",\"uid\":1000,\"application\":\"baresip\"," \
	       "\"exe\":\"/usr/bin/baresip\",\"pid\":123,\"line\":\"\",\"host\":\"desk1\"," \
	       "\"start\":\"2026-11-23T10:00:00.123Z\",\"rate\":16000,\"channels\":2," \
	       "\"rule\":\"builtin:record-all\"}"

struct t_body {
	uint8_t b[CR_CHUNK_HDR_WIRE + 4 * 16000 * 2];
	size_t len;
};

static inline void t_open_body(const uint8_t id[CR_CALL_ID_BYTES], const char *meta,
			       struct t_body *o, uint8_t open_hash[CR_HASH_BYTES])
{
	cr_idseq_encode(id, 0, o->b);
	memcpy(o->b + CR_IDSEQ_WIRE, meta, strlen(meta));
	o->len = CR_IDSEQ_WIRE + strlen(meta);
	gnutls_hash_fast(GNUTLS_DIG_SHA256, o->b, o->len, open_hash);
}

/* A chunk at `rate` whose samples are `value` (left) and -value (right); hash chained from
 * prev. */
static inline void t_chunk_body_at(unsigned rate, const uint8_t id[CR_CALL_ID_BYTES],
				   uint64_t seq, uint64_t start, uint32_t frames, int16_t value,
				   const uint8_t prev[CR_HASH_BYTES], struct t_body *o,
				   uint8_t hash_out[CR_HASH_BYTES])
{
	struct cr_chunk_hdr h = { .seq = seq, .start_frame = start, .frames = frames,
				  .rate = rate, .channels = 2, .format = 1 };
	uint8_t *audio = o->b + CR_CHUNK_HDR_WIRE;
	uint32_t i;

	memcpy(h.call_id, id, CR_CALL_ID_BYTES);
	memcpy(h.prev_hash, prev, CR_HASH_BYTES);
	for (i = 0; i < frames; i++) {
		int16_t r = (int16_t)-value;
		audio[4 * i] = (uint8_t)value;
		audio[4 * i + 1] = (uint8_t)((uint16_t)value >> 8);
		audio[4 * i + 2] = (uint8_t)r;
		audio[4 * i + 3] = (uint8_t)((uint16_t)r >> 8);
	}
	cr_chunk_hash(&h, audio, (size_t)frames * 4, h.hash);
	cr_chunk_hdr_encode(&h, o->b);
	o->len = CR_CHUNK_HDR_WIRE + (size_t)frames * 4;
	if (hash_out)
		memcpy(hash_out, h.hash, CR_HASH_BYTES);
}

/* The same at 16 kHz, the rate of a call whose CALL_OPEN names none. */
static inline void t_chunk_body(const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq,
				uint64_t start, uint32_t frames, int16_t value,
				const uint8_t prev[CR_HASH_BYTES], struct t_body *o,
				uint8_t hash_out[CR_HASH_BYTES])
{
	t_chunk_body_at(16000, id, seq, start, frames, value, prev, o, hash_out);
}

static inline void t_close_body(const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq,
				const char *json, struct t_body *o)
{
	cr_idseq_encode(id, seq, o->b);
	memcpy(o->b + CR_IDSEQ_WIRE, json, strlen(json));
	o->len = CR_IDSEQ_WIRE + strlen(json);
}

static inline void t_id(uint8_t id[CR_CALL_ID_BYTES], uint8_t fill)
{
	memset(id, fill, CR_CALL_ID_BYTES);
	id[0] = 0xa5;
}

static inline char *t_tmpdir(void)
{
	char tmpl[] = "/tmp/test_archived.XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? strdup(d) : NULL;
}

/* A whole archive on dir (keys made up for the test, an audit log in dir), as the server
 * opens it. 0 or -errno. */
static inline int t_archive_open(struct ad_archive *a, const char *dir)
{
	struct ad_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.data = (char *)dir;
	return ad_archive_open(a, &cfg, NULL);
}

/* The store of a, closed and opened again with the same keys: what a restart finds. */
static inline int t_store_reopen(struct ad_archive *a)
{
	struct ad_store_cfg sc = { .vault = a->vault, .clock = &a->clock, .audit = a->audit };
	char *dir = strdup(ad_store_dir(a->store));
	int rc;

	sc.data_dir = dir;
	ad_store_close(a->store);
	a->store = NULL;
	rc = ad_store_open(&sc, &a->store);
	free(dir);
	return rc;
}

static inline void t_rmrf(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", dir);
}

#endif
