/* The agent's spool: frames written as files before sending, found again by a scan after a
 * restart, deleted on acknowledgement (except the end marker of a call still open), calls
 * cut short by a restart closed with gap cause "agent", invalid files in a chunk's place
 * quarantined (others left alone), temporary files of interrupted writes removed.
 * The size cap: chunks refused when full, or the oldest evicted (spool.evict_oldest) and
 * reported in their call's CALL_CLOSE. Chunks altered on disk: caught (hash recomputed) at the
 * scan and before sending, renamed .corrupt, never sent, reported in the close. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/stat.h>
#include <jansson.h>
#include <cmocka.h>

#include "frame.h"
#include "fsutil.h"
#include "log.h"
#include "../../agent/chain.h"
#include "../../agent/spool.h"

static char root[64];

static int exists(const char *hex, const char *name)
{
	char p[256];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s/%s", root, hex, name);
	return stat(p, &st) == 0;
}

static void put_call(struct cr_spool *s, const uint8_t id[CR_CALL_ID_BYTES], int chunks)
{
	struct cr_chain c;
	uint8_t *frame;
	size_t len;
	int16_t pcm[1600 * 2] = { 0 };

	assert_int_equal(cr_chain_open(&c, id, "{\"version\":1}", &frame, &len), 0);
	assert_int_equal(cr_spool_put(s, id, 0, CR_F_CALL_OPEN, frame, len), 0);
	free(frame);
	for (int i = 0; i < chunks; i++) {
		uint64_t seq = c.next_seq;
		assert_int_equal(cr_chain_chunk(&c, (uint64_t)i * 1600, 1600, 16000, 2, pcm, &frame,
						&len), 0);
		assert_int_equal(cr_spool_put(s, id, seq, CR_F_CHUNK, frame, len), 0);
		free(frame);
	}
}

static int setup(void **state)
{
	(void)state;
	cr_log_init("test_agent_spool", 0);
	strcpy(root, "/tmp/test_agent_spool.XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_write_ack_scan_recover(void **state)
{
	(void)state;
	struct cr_spool s;
	uint8_t id[CR_CALL_ID_BYTES];
	char hex[2 * CR_CALL_ID_BYTES + 1];
	uint64_t frames, bytes;

	memset(id, 0x5a, sizeof(id));
	cr_id_to_hex(id, hex);
	assert_int_equal(cr_spool_open(&s, root, 0), 0);
	put_call(&s, id, 2);
	assert_true(exists(hex, "0.frame") && exists(hex, "1.frame") && exists(hex, "2.frame"));
	cr_spool_backlog(&s, &frames, &bytes);
	assert_int_equal(frames, 3);
	assert_true(bytes > 2 * 1600 * 4);

	/* ACK of an earlier frame deletes it... */
	assert_true(cr_spool_ack(&s, id, 0) > 0);
	assert_false(exists(hex, "0.frame"));
	/* ...but the last frame of a call without CALL_CLOSE stays as its end marker. */
	assert_true(cr_spool_ack(&s, id, 2) > 0);
	assert_true(exists(hex, "2.frame"));
	cr_spool_backlog(&s, &frames, &bytes);
	assert_int_equal(frames, 1);
	assert_int_equal(cr_spool_ack(&s, id, 7), -ENOENT);
	cr_spool_close(&s);

	/* Restart: the scan finds 1 and 2; the call is closed with cause "agent" at seq 3. */
	assert_int_equal(cr_spool_open(&s, root, 0), 0);
	assert_int_equal(cr_spool_scan(&s), 0);
	assert_non_null(s.calls);
	assert_int_equal(s.calls->n, 2);
	assert_int_equal(s.calls->e[0].seq, 1);
	assert_int_equal(s.calls->e[1].seq, 2);
	assert_int_equal(cr_spool_close_orphans(&s), 1);
	assert_true(exists(hex, "3.frame"));

	uint8_t *buf;
	size_t len;
	struct cr_frame f;
	assert_int_equal(cr_spool_read(&s, s.calls, &s.calls->e[2], &buf, &len), 0);
	assert_int_equal(cr_frame_parse(buf, len, &f), (long)len);
	assert_int_equal(f.type, CR_F_CALL_CLOSE);
	json_t *o = json_loadb((const char *)f.body + CR_IDSEQ_WIRE, f.length - CR_IDSEQ_WIRE, 0, NULL);
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(o, "frames")), 3200);
	json_t *g = json_array_get(json_object_get(o, "gaps"), 0);
	assert_string_equal(json_string_value(json_object_get(g, "cause")), "agent");
	json_decref(o);
	free(buf);
	/* Closing again finds nothing to do. */
	assert_int_equal(cr_spool_close_orphans(&s), 0);

	/* Everything acknowledged: the call's directory disappears. */
	assert_true(cr_spool_ack(&s, id, 1) > 0);
	assert_true(cr_spool_ack(&s, id, 2) > 0);
	assert_true(cr_spool_ack(&s, id, 3) > 0);
	assert_null(s.calls);
	char dir[256];
	struct stat st;
	snprintf(dir, sizeof(dir), "%s/%s", root, hex);
	assert_int_not_equal(stat(dir, &st), 0);
	cr_spool_close(&s);
}

/* A private call's CALL_ERASE (seq 0, replacing every other frame) survives a restart: the
 * scan accepts it, the call counts as ended (no "agent" close is added), and its ACK removes
 * the call's directory. */
static void test_erase_survives_restart(void **state)
{
	(void)state;
	uint8_t id[CR_CALL_ID_BYTES], *frame;
	char hex[2 * CR_CALL_ID_BYTES + 1];
	struct cr_spool s;
	size_t len;

	memset(id, 0x5e, sizeof(id));
	cr_id_to_hex(id, hex);
	assert_int_equal(cr_spool_open(&s, root, 0), 0);
	assert_int_equal(cr_idseq_frame(CR_F_CALL_ERASE, id, 0, "{\"reason\":\"private\"}", &frame,
					&len), 0);
	assert_int_equal(cr_spool_put(&s, id, 0, CR_F_CALL_ERASE, frame, len), 0);
	free(frame);
	cr_spool_close(&s);

	assert_int_equal(cr_spool_open(&s, root, 0), 0);
	assert_int_equal(cr_spool_scan(&s), 0);
	assert_non_null(s.calls);
	assert_int_equal(s.calls->n, 1);
	assert_int_equal(s.calls->e[0].type, CR_F_CALL_ERASE);
	assert_int_equal(cr_spool_close_orphans(&s), 0);
	assert_true(cr_spool_ack(&s, id, 0) > 0);
	assert_false(exists(hex, ""));
	cr_spool_close(&s);
}

static void test_invalid_files_left_alone(void **state)
{
	(void)state;
	struct cr_spool s;
	uint8_t id[CR_CALL_ID_BYTES], other[CR_CALL_ID_BYTES];
	char hex[2 * CR_CALL_ID_BYTES + 1], dir[256];

	memset(id, 0x11, sizeof(id));
	memset(other, 0x22, sizeof(other));
	cr_id_to_hex(id, hex);
	assert_int_equal(cr_spool_open(&s, root, 0), 0);
	put_call(&s, id, 1);
	cr_spool_close(&s);
	/* Garbage, and a valid frame of another call stored under this call's name. */
	snprintf(dir, sizeof(dir), "%s/%s", root, hex);
	assert_int_equal(cr_write_atomic(dir, "5.frame", "garbage", 7, 0600), 0);
	struct cr_chain c;
	uint8_t *frame;
	size_t len;
	assert_int_equal(cr_chain_open(&c, other, "{}", &frame, &len), 0);
	assert_int_equal(cr_write_atomic(dir, "0.frame", frame, len, 0600), 0);
	free(frame);
	assert_int_equal(cr_write_atomic(root, "notacall", "x", 1, 0600), 0);
	/* A temporary file of a write the crash cut short: removed by the scan. */
	assert_int_equal(cr_write_atomic(dir, ".2.frame.tmp", "half", 4, 0600), 0);

	assert_int_equal(cr_spool_open(&s, root, 0), 0);
	assert_int_equal(cr_spool_scan(&s), 0);
	assert_non_null(s.calls);
	assert_null(s.calls->next);
	assert_int_equal(s.calls->n, 1); /* only 1.frame is valid */
	assert_int_equal(s.calls->e[0].seq, 1);
	/* not deleted (nothing is, before its ACK) but quarantined: never sent, and listed as
	 * lost so that the call can close */
	assert_false(exists(hex, "5.frame"));
	assert_true(exists(hex, "5.frame.corrupt"));
	assert_int_equal(s.corrupt_chunks, 1);
	assert_int_equal(s.calls->nev, 1);
	assert_int_equal(s.calls->ev[0].seq, 5);
	assert_int_equal(s.calls->ev[0].frames, 0); /* span unknown: no gap, only the seq */
	assert_true(exists(hex, "0.frame")); /* another call's open in the open's place */
	assert_false(exists(hex, ".2.frame.tmp"));
	cr_spool_close(&s);
}


/* Chunk of 1600 frames: header + 104 + 6400 bytes. */
#define CHUNK_BYTES (CR_FRAME_HDR + CR_CHUNK_HDR_WIRE + 1600 * 4)

static json_t *close_json(struct cr_spool *s, struct cr_spool_call *c)
{
	uint8_t *buf;
	size_t len;
	struct cr_frame f;
	json_t *o;

	assert_int_equal(c->e[c->n - 1].type, CR_F_CALL_CLOSE);
	assert_int_equal(cr_spool_read(s, c, &c->e[c->n - 1], &buf, &len), 0);
	assert_int_equal(cr_frame_parse(buf, len, &f), (long)len);
	o = json_loadb((const char *)f.body + CR_IDSEQ_WIRE, f.length - CR_IDSEQ_WIRE, 0, NULL);
	assert_non_null(o);
	free(buf);
	return o;
}

static void put_close(struct cr_spool *s, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq)
{
	uint8_t *frame;
	size_t len;
	const char *json = "{\"end\":\"x\",\"frames\":4800,\"gaps\":[{\"start_ms\":0,"
			   "\"length_ms\":5,\"channel\":1,\"cause\":\"dropped\"}]}";

	assert_int_equal(cr_idseq_frame(CR_F_CALL_CLOSE, id, seq, json, &frame, &len), 0);
	assert_int_equal(cr_spool_put(s, id, seq, CR_F_CALL_CLOSE, frame, len), 0);
	free(frame);
}

/* Without evict_oldest a full spool refuses new chunks (and counts them) and keeps what it
 * has; room again (an acknowledgement) admits again. */
static void test_cap_refuses_when_full(void **state)
{
	(void)state;
	struct cr_spool s;
	uint8_t id[CR_CALL_ID_BYTES];

	memset(id, 0x33, sizeof(id));
	assert_int_equal(cr_spool_open(&s, root, 0), 0);
	put_call(&s, id, 3);
	uint64_t used = s.bytes;
	s.max_bytes = used + CHUNK_BYTES; /* room for exactly one more chunk */
	assert_int_equal(cr_spool_admit_chunk(&s, 1600), 1);
	assert_false(s.full);
	s.max_bytes = used + CHUNK_BYTES - 1;
	assert_int_equal(cr_spool_admit_chunk(&s, 1600), 0);
	assert_int_equal(cr_spool_admit_chunk(&s, 1600), 0);
	assert_true(s.full);
	assert_int_equal(s.refused_chunks, 2);
	assert_int_equal(s.refused_audio_frames, 3200);
	assert_int_equal(s.evicted_chunks, 0);
	assert_int_equal(s.calls->n, 4); /* nothing deleted */
	/* CALL_CLOSE is always spooled, over the cap or not. */
	put_close(&s, id, 4);
	assert_int_equal(s.calls->n, 5);
	/* The archive acknowledged a chunk: room again. */
	assert_true(cr_spool_ack(&s, id, 1) > 0);
	assert_int_equal(cr_spool_admit_chunk(&s, 1600), 1);
	assert_false(s.full);
	cr_spool_close(&s);
}

/* With evict_oldest the oldest chunk not in flight goes (oldest call first, lowest seq
 * first), and each evicted chunk is reported in its call's CALL_CLOSE: gaps "evicted" on
 * both channels, and its seq in "evicted_seqs"; also when the close was spooled before. */
static void test_cap_evicts_oldest_and_reports(void **state)
{
	(void)state;
	struct cr_spool s;
	uint8_t a[CR_CALL_ID_BYTES], b[CR_CALL_ID_BYTES];
	char ahex[2 * CR_CALL_ID_BYTES + 1];

	memset(a, 0x44, sizeof(a));
	memset(b, 0x55, sizeof(b));
	cr_id_to_hex(a, ahex);
	assert_int_equal(cr_spool_open(&s, root, 0), 0);
	s.evict_oldest = 1;
	put_call(&s, a, 3); /* older call: chunks 1..3 at frames 0, 1600, 3200 */
	put_call(&s, b, 1);
	s.max_bytes = s.bytes; /* full */
	/* chunk 1 of the older call is in flight: it may be stored already, so it stays */
	struct cr_spool_call *ca;
	assert_non_null(cr_spool_find(&s, a, 1, &ca));
	cr_spool_find(&s, a, 1, NULL)->send = CR_SEND_INFLIGHT;

	assert_int_equal(cr_spool_admit_chunk(&s, 1600), 1);
	assert_int_equal(s.evicted_chunks, 1);
	assert_int_equal(s.evicted_audio_frames, 1600);
	assert_true(exists(ahex, "1.frame"));
	assert_false(exists(ahex, "2.frame"));
	assert_true(exists(ahex, "3.frame"));
	assert_int_equal(ca->nev, 1);
	assert_int_equal(ca->ev[0].seq, 2);
	assert_int_equal(ca->ev[0].start_frame, 1600);

	/* The call ends: its close carries the eviction next to its own gap. */
	put_close(&s, a, 4);
	json_t *o = close_json(&s, ca);
	json_t *gaps = json_object_get(o, "gaps");
	assert_int_equal(json_array_size(gaps), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(gaps, 0), "cause")),
			    "dropped");
	for (size_t i = 1; i < 3; i++) {
		json_t *g = json_array_get(gaps, i);
		assert_string_equal(json_string_value(json_object_get(g, "cause")), "evicted");
		assert_int_equal(json_integer_value(json_object_get(g, "start_ms")), 100);
		assert_int_equal(json_integer_value(json_object_get(g, "length_ms")), 100);
		assert_int_equal(json_integer_value(json_object_get(g, "channel")), (json_int_t)i);
	}
	assert_int_equal(json_array_size(json_object_get(o, "evicted_seqs")), 1);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(o, "evicted_seqs"), 0)), 2);
	json_decref(o);

	/* Full again: chunk 3 of the closed call goes; the spooled close is rewritten. */
	s.max_bytes = s.bytes;
	assert_int_equal(cr_spool_admit_chunk(&s, 1600), 1);
	assert_false(exists(ahex, "3.frame"));
	o = close_json(&s, ca);
	assert_int_equal(json_array_size(json_object_get(o, "gaps")), 5);
	json_t *seqs = json_object_get(o, "evicted_seqs");
	assert_int_equal(json_array_size(seqs), 2);
	assert_int_equal(json_integer_value(json_array_get(seqs, 1)), 3);
	json_decref(o);
	/* The rewritten close is longer than before, so freeing one chunk was not enough: the
	 * newer call's chunk went too. */
	assert_int_equal(s.evicted_chunks, 3);
	struct cr_spool_call *cb;
	assert_null(cr_spool_find(&s, b, 1, &cb));
	assert_int_equal(cb->nev, 1);

	/* Nothing evictable left but the chunk in flight: the spool refuses. */
	s.max_bytes = s.bytes;
	assert_int_equal(cr_spool_admit_chunk(&s, 1600), 0);
	assert_int_equal(s.refused_chunks, 1);
	cr_spool_close(&s);
}

/* Overwrite one byte of the audio of spooled chunk SEQ (past the chunk header). */
static void flip_audio_byte(const char *hex, uint64_t seq)
{
	char p[256];
	FILE *f;
	int ch;

	snprintf(p, sizeof(p), "%s/%s/%llu.frame", root, hex, (unsigned long long)seq);
	f = fopen(p, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, CR_FRAME_HDR + CR_CHUNK_HDR_WIRE + 100, SEEK_SET), 0);
	ch = fgetc(f);
	assert_int_not_equal(ch, EOF);
	assert_int_equal(fseek(f, -1, SEEK_CUR), 0);
	assert_int_not_equal(fputc(ch ^ 0x5a, f), EOF);
	assert_int_equal(fclose(f), 0);
}

/* The close of c lists exactly `seq` as lost with cause "corrupt" on both channels. */
static void assert_close_lists_corrupt(struct cr_spool *s, struct cr_spool_call *c, uint64_t seq,
				       json_int_t start_ms)
{
	json_t *o = close_json(s, c);
	json_t *gaps = json_object_get(o, "gaps"), *seqs = json_object_get(o, "evicted_seqs");
	int found = 0;

	assert_int_equal(json_array_size(seqs), 1);
	assert_int_equal(json_integer_value(json_array_get(seqs, 0)), (json_int_t)seq);
	for (size_t i = 0; i < json_array_size(gaps); i++) {
		json_t *g = json_array_get(gaps, i);
		if (strcmp(json_string_value(json_object_get(g, "cause")), "corrupt"))
			continue;
		assert_int_equal(json_integer_value(json_object_get(g, "start_ms")), start_ms);
		assert_int_equal(json_integer_value(json_object_get(g, "length_ms")), 100);
		found |= 1 << json_integer_value(json_object_get(g, "channel"));
	}
	assert_int_equal(found, (1 << 1) | (1 << 2));
	json_decref(o);
}

/* A chunk whose audio changed on disk after it was spooled is caught by the check before
 * sending: not sent, renamed .corrupt, out of the spool's bytes, and the close (already
 * spooled) lists it. Intact neighbours pass, also the one after it. */
static void test_corrupt_chunk_not_sent(void **state)
{
	(void)state;
	struct cr_spool s;
	struct cr_spool_call *c;
	uint8_t id[CR_CALL_ID_BYTES], *buf;
	char hex[2 * CR_CALL_ID_BYTES + 1];
	size_t len;

	memset(id, 0x66, sizeof(id));
	cr_id_to_hex(id, hex);
	assert_int_equal(cr_spool_open(&s, root, 0), 0);
	put_call(&s, id, 3);
	put_close(&s, id, 4);
	assert_non_null(cr_spool_find(&s, id, 1, &c));
	/* 1 is sent and acknowledged: only its hash is left to check 2's prev_hash against */
	assert_int_equal(cr_spool_read(&s, c, &c->e[1], &buf, &len), 0);
	assert_int_equal(cr_spool_check_chunk(&s, c, 1, buf, len), 0);
	free(buf);
	assert_true(cr_spool_ack(&s, id, 1) > 0);
	flip_audio_byte(hex, 2);
	uint64_t before = s.bytes;

	assert_int_equal(c->e[1].seq, 2);
	assert_int_equal(cr_spool_read(&s, c, &c->e[1], &buf, &len), 0);
	assert_int_equal(cr_spool_check_chunk(&s, c, 1, buf, len), 1);
	free(buf);
	assert_null(cr_spool_find(&s, id, 2, NULL));
	assert_false(exists(hex, "2.frame"));
	assert_true(exists(hex, "2.frame.corrupt"));
	assert_int_equal(s.corrupt_chunks, 1);
	assert_int_equal(c->e[1].seq, 3); /* the next entry moved into its place */
	/* its bytes are gone from the spool; the close grew by the report */
	assert_true(s.bytes < before - CHUNK_BYTES + 400);
	assert_close_lists_corrupt(&s, c, 2, 100);
	/* chunk 3 carries 2's hash as prev_hash: unknown now, so it is not blamed */
	assert_int_equal(cr_spool_read(&s, c, &c->e[1], &buf, &len), 0);
	assert_int_equal(cr_spool_check_chunk(&s, c, 1, buf, len), 0);
	free(buf);
	cr_spool_close(&s);

	/* A restart ignores the .corrupt file and keeps the rewritten close. */
	assert_int_equal(cr_spool_open(&s, root, 0), 0);
	assert_int_equal(cr_spool_scan(&s), 0);
	assert_int_equal(s.calls->n, 3); /* end marker 1, chunk 3, close 4 */
	assert_null(cr_spool_find(&s, id, 2, NULL));
	assert_close_lists_corrupt(&s, s.calls, 2, 100);
	assert_int_equal(cr_spool_close_orphans(&s), 0);
	cr_spool_close(&s);
}

/* A chunk altered while the agent was stopped is caught by the scan, before anything is
 * sent; with no close spooled yet, the orphan close lists it. A chunk whose prev_hash breaks
 * the chain (its own hash recomputed to match) is caught too. */
static void test_corrupt_chunk_found_by_scan(void **state)
{
	(void)state;
	struct cr_spool s;
	uint8_t id[CR_CALL_ID_BYTES];
	char hex[2 * CR_CALL_ID_BYTES + 1], dir[256];

	memset(id, 0x77, sizeof(id));
	cr_id_to_hex(id, hex);
	assert_int_equal(cr_spool_open(&s, root, 0), 0);
	put_call(&s, id, 4);
	cr_spool_close(&s);
	flip_audio_byte(hex, 2);

	/* Chunk 4 replaced by a self-consistent chunk from another chain: wrong prev_hash. */
	struct cr_chain other;
	uint8_t *frame;
	size_t len;
	int16_t pcm[1600 * 2] = { 0 };
	assert_int_equal(cr_chain_open(&other, id, "{\"version\":2}", &frame, &len), 0);
	free(frame);
	other.next_seq = 4;
	assert_int_equal(cr_chain_chunk(&other, 4800, 1600, 16000, 2, pcm, &frame, &len), 0);
	snprintf(dir, sizeof(dir), "%s/%s", root, hex);
	assert_int_equal(cr_write_atomic(dir, "4.frame", frame, len, 0600), 0);
	free(frame);

	assert_int_equal(cr_spool_open(&s, root, 0), 0);
	assert_int_equal(cr_spool_scan(&s), 0);
	assert_int_equal(s.corrupt_chunks, 2);
	assert_null(cr_spool_find(&s, id, 2, NULL));
	assert_null(cr_spool_find(&s, id, 4, NULL));
	assert_non_null(cr_spool_find(&s, id, 3, NULL)); /* after a lost one: not blamed */
	assert_true(exists(hex, "2.frame.corrupt") && exists(hex, "4.frame.corrupt"));
	assert_int_equal(s.bytes, 0 + s.calls->e[0].bytes + s.calls->e[1].bytes + s.calls->e[2].bytes);
	/* The last chunk was lost: the orphan close comes after it, at seq 5. */
	assert_int_equal(cr_spool_close_orphans(&s), 1);
	struct cr_spool_call *c = s.calls;
	assert_int_equal(c->e[c->n - 1].seq, 5);
	json_t *o = close_json(&s, c);
	json_t *seqs = json_object_get(o, "evicted_seqs");
	assert_int_equal(json_array_size(seqs), 2);
	assert_int_equal(json_integer_value(json_array_get(seqs, 0)), 2);
	assert_int_equal(json_integer_value(json_array_get(seqs, 1)), 4);
	size_t corrupt = 0;
	for (size_t i = 0; i < json_array_size(json_object_get(o, "gaps")); i++)
		corrupt += !strcmp(json_string_value(json_object_get(
			json_array_get(json_object_get(o, "gaps"), i), "cause")), "corrupt");
	assert_int_equal(corrupt, 4);
	json_decref(o);
	cr_spool_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_erase_survives_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_ack_scan_recover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_files_left_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_refuses_when_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_evicts_oldest_and_reports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_chunk_not_sent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_chunk_found_by_scan, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
