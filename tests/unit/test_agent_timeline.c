/* Call assembly without sockets: records placed on the call timeline (offset from the first
 * timestamp, dropped frames as silence plus a gap, audio before the call cut), the rules for
 * emitting chunks (both directions complete, or 2 s of wall clock late with a "lag" gap, or
 * the final flush), and the hash chain across CALL_OPEN and the chunks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <alsa/asoundlib.h>
#include <gnutls/crypto.h>
#include <cmocka.h>

#include "frame.h"
#include "../../agent/chain.h"
#include "../../agent/feed.h"
#include "../../agent/timeline.h"

#define RATE 16000
#define START 1000000000000ULL /* call start, CLOCK_MONOTONIC ns */
#define MS(x) ((uint64_t)(x) * 1000000ULL)

/* A mono S16 record of `frames` frames all equal to `value`, at rate `rate`. */
static struct cr_rec rec(uint64_t pos, uint64_t t_ns, uint32_t frames, unsigned rate)
{
	struct cr_rec h = { .kind = CR_REC_AUDIO, .channels = 1, .rate = rate,
			    .format = SND_PCM_FORMAT_S16_LE, .frames = frames, .frame_bytes = 2,
			    .pos = pos, .t_ns = t_ns };
	h.bytes = CR_REC_HDR_BYTES + frames * 2;
	return h;
}

static int16_t *samples(uint32_t frames, int16_t value)
{
	int16_t *s = malloc(frames * sizeof(int16_t));
	for (uint32_t i = 0; i < frames; i++)
		s[i] = value;
	return s;
}

static int feed(struct cr_feed *f, struct cr_timeline *tl, unsigned ch, uint64_t pos,
		uint64_t t_ns, uint32_t frames, int16_t value)
{
	struct cr_rec h = rec(pos, t_ns, frames, RATE);
	int16_t *s = samples(frames, value);
	int err = cr_feed_record(f, tl, ch, START, &h, s);
	free(s);
	return err;
}

/* Flush everything into one big S16 stereo buffer starting at frame 0. */
static int16_t *flush_all(struct cr_timeline *tl, uint64_t *frames)
{
	size_t cap = 16 * RATE;
	int16_t *all = calloc(cap * 2, sizeof(int16_t));
	int16_t *pcm = malloc(tl->chunk_frames * 2 * sizeof(int16_t));
	struct cr_tl_chunk ch = { .pcm = pcm };
	int64_t prog[2] = { 0, 0 };

	while (cr_tl_next_chunk(tl, prog, 0, 1, &ch) == 1) {
		assert_true(ch.start + ch.frames <= cap);
		memcpy(all + ch.start * 2, pcm, ch.frames * 2 * sizeof(int16_t));
		*frames = ch.start + ch.frames;
	}
	free(pcm);
	return all;
}

static void test_offset_and_dropped_gap(void **state)
{
	(void)state;
	struct cr_timeline tl;
	struct cr_feed f;
	uint64_t n = 0;

	assert_int_equal(cr_tl_init(&tl, RATE, 1000), 0);
	cr_feed_init(&f);
	/* First record 500 ms after the call start: offset 8000 frames. */
	assert_int_equal(feed(&f, &tl, 1, 100, START + MS(500), 1600, 1000), 0);
	assert_int_equal(feed(&f, &tl, 1, 1700, START + MS(600), 1600, 1000), 0);
	/* 1600 frames the producer dropped (pos jumps from 3300 to 4900). */
	assert_int_equal(feed(&f, &tl, 1, 4900, START + MS(800), 1600, 2000), 0);
	cr_feed_flush(&f, &tl, 1);

	assert_int_equal(tl.ngaps, 1);
	assert_int_equal(tl.gaps[0].start, 8000 + 3200);
	assert_int_equal(tl.gaps[0].length, 1600);
	assert_int_equal(tl.gaps[0].channel, 1);
	assert_int_equal(tl.gaps[0].cause, CR_GAP_DROPPED);

	int16_t *all = flush_all(&tl, &n);
	assert_int_equal(n, 8000 + 3200 + 1600 + 1600);
	assert_int_equal(all[2 * 7999 + 1], 0);
	assert_int_equal(all[2 * 8000 + 1], 1000);
	assert_int_equal(all[2 * 11199 + 1], 1000);
	assert_int_equal(all[2 * 11200 + 1], 0); /* silence where frames were dropped */
	assert_int_equal(all[2 * 12799 + 1], 0);
	assert_int_equal(all[2 * 12800 + 1], 2000);
	assert_int_equal(all[2 * 14399 + 1], 2000);
	for (uint64_t i = 0; i < n; i++)
		assert_int_equal(all[2 * i], 0); /* nothing leaks into the other channel */
	free(all);
	cr_feed_free(&f);
	cr_tl_free(&tl);
}

static void test_audio_before_call_is_cut(void **state)
{
	(void)state;
	struct cr_timeline tl;
	struct cr_feed f;
	uint64_t n = 0;

	assert_int_equal(cr_tl_init(&tl, RATE, 1000), 0);
	cr_feed_init(&f);
	/* Playback that began 100 ms (1600 frames) before the call: only the rest is kept. */
	assert_int_equal(feed(&f, &tl, 1, 0, START - MS(100), 3200, 500), 0);
	int16_t *all = flush_all(&tl, &n);
	assert_int_equal(n, 1600);
	assert_int_equal(all[1], 500);
	assert_int_equal(all[2 * 1599 + 1], 500);
	assert_int_equal(tl.ngaps, 0);
	free(all);
	cr_feed_free(&f);
	cr_tl_free(&tl);
}

static void test_capture_stamped_at_end(void **state)
{
	(void)state;
	struct cr_timeline tl;
	struct cr_feed f;
	uint64_t n = 0;

	assert_int_equal(cr_tl_init(&tl, RATE, 1000), 0);
	cr_feed_init(&f);
	f.stamp_at_end = 1;
	/* 100 ms captured, handed over 300 ms into the call: it began at 200 ms. */
	assert_int_equal(feed(&f, &tl, 0, 0, START + MS(300), 1600, 700), 0);
	assert_int_equal(cr_feed_flush(&f, &tl, 0), 0); /* the call ends */
	int16_t *all = flush_all(&tl, &n);
	assert_int_equal(n, 300 * 16);
	assert_int_equal(all[2 * (200 * 16 - 1)], 0);
	assert_int_equal(all[2 * (200 * 16)], 700);
	free(all);
	cr_feed_free(&f);
	cr_tl_free(&tl);
}

/* The first capture record handed over late (the device's first read returned 8 ms after
 * the steady state would have) does not shift the channel: it is placed by the earliest of
 * its first records. Records of 20 ms, each stamped when it reached the plugin. */
static void test_capture_late_first_record(void **state)
{
	(void)state;
	struct cr_timeline tl;
	struct cr_feed f;
	uint64_t n = 0, t;

	assert_int_equal(cr_tl_init(&tl, RATE, 1000), 0);
	cr_feed_init(&f);
	f.stamp_at_end = 1;
	/* Steady state: frames [20k ms, 20(k+1) ms) of the stream delivered at 100 + 20(k+1) ms,
	 * i.e. the stream began at 100 ms. The first is delivered 8 ms late; a few more are late
	 * by scheduling (3 ms), never early. */
	for (uint64_t k = 0; k < 50; k++) {
		t = START + MS(100 + 20 * (k + 1)) + (k == 0 ? MS(8) : k % 3 == 1 ? MS(3) : 0);
		assert_int_equal(feed(&f, &tl, 0, k * 320, t, 320, (int16_t)(k == 0 ? 700 : 100)),
				 0);
		if (k == 2)
			assert_true(f.settling); /* still held back */
	}
	assert_false(f.settling);
	/* Progress is where the steady state says, not 8 ms later. */
	assert_int_equal(cr_feed_progress(&f), (100 + 50 * 20) * 16);
	assert_int_equal(cr_feed_flush(&f, &tl, 0), 0);
	int16_t *all = flush_all(&tl, &n);
	assert_int_equal(all[2 * (100 * 16 - 1)], 0);
	assert_int_equal(all[2 * (100 * 16)], 700);
	assert_int_equal(all[2 * (120 * 16 - 1)], 700);
	assert_int_equal(all[2 * (120 * 16)], 100);
	assert_int_equal(tl.ngaps, 0);
	free(all);
	cr_feed_free(&f);
	cr_tl_free(&tl);
}

static void test_pause_reanchors(void **state)
{
	(void)state;
	struct cr_timeline tl;
	struct cr_feed f;
	uint64_t n = 0;

	assert_int_equal(cr_tl_init(&tl, RATE, 1000), 0);
	cr_feed_init(&f);
	assert_int_equal(feed(&f, &tl, 0, 0, START, 1600, 100), 0);
	/* Contiguous positions, but 2 s later: the stream stood still, time goes on. */
	assert_int_equal(feed(&f, &tl, 0, 1600, START + MS(2100), 1600, 200), 0);
	int16_t *all = flush_all(&tl, &n);
	assert_int_equal(n, 2100 * 16 + 1600);
	assert_int_equal(all[2 * 1599], 100);
	assert_int_equal(all[2 * 1600], 0);
	assert_int_equal(all[2 * (2100 * 16)], 200);
	assert_int_equal(tl.ngaps, 0); /* nothing was lost: the stream was silent */
	free(all);
	cr_feed_free(&f);
	cr_tl_free(&tl);
}

static void test_resampled_length(void **state)
{
	(void)state;
	struct cr_timeline tl;
	struct cr_feed f;
	float *s = calloc(480 * 2, sizeof(float));
	uint64_t n = 0;

	assert_int_equal(cr_tl_init(&tl, RATE, 1000), 0);
	cr_feed_init(&f);
	for (int i = 0; i < 480 * 2; i++)
		s[i] = 0.25f;
	/* 1 s of 48 kHz stereo float in 10 ms periods, starting 250 ms into the call. */
	for (uint64_t p = 0; p < 48000; p += 480) {
		struct cr_rec h = { .kind = CR_REC_AUDIO, .channels = 2, .rate = 48000,
				    .format = SND_PCM_FORMAT_FLOAT_LE, .frames = 480,
				    .frame_bytes = 8, .pos = p,
				    .t_ns = START + MS(250) + p * 1000000000ULL / 48000 };
		assert_int_equal(cr_feed_record(&f, &tl, 0, START, &h, s), 0);
	}
	assert_int_equal(cr_feed_flush(&f, &tl, 0), 0);
	assert_in_range(tl.high, 4000 + 16000 - 2, 4000 + 16000 + 2);
	int16_t *all = flush_all(&tl, &n);
	/* In the middle the level is the input's: 0.25 -> 8192. */
	assert_in_range(all[2 * 12000], 8192 - 40, 8192 + 40);
	free(all);
	free(s);
	cr_feed_free(&f);
	cr_tl_free(&tl);
}

static void test_bad_records_refused(void **state)
{
	(void)state;
	struct cr_timeline tl;
	struct cr_feed f;
	int16_t s[4] = { 0 };
	struct cr_rec h = rec(0, START, 2, RATE);

	assert_int_equal(cr_tl_init(&tl, RATE, 1000), 0);
	cr_feed_init(&f);
	h.frame_bytes = 3;
	assert_int_equal(cr_feed_record(&f, &tl, 0, START, &h, s), -EPROTO);
	h = rec(0, START, 2, RATE);
	h.format = SND_PCM_FORMAT_IMA_ADPCM;
	assert_int_equal(cr_feed_record(&f, &tl, 0, START, &h, s), -ENOTSUP);
	h = rec(0, START, 2, 0);
	assert_int_equal(cr_feed_record(&f, &tl, 0, START, &h, s), -EPROTO);
	cr_feed_free(&f);
	cr_tl_free(&tl);
}

static void test_chunk_rules(void **state)
{
	(void)state;
	struct cr_timeline tl;
	int16_t pcm[1600 * 2];
	struct cr_tl_chunk ch = { .pcm = pcm };
	float one[1600];
	int64_t prog[2];

	for (int i = 0; i < 1600; i++)
		one[i] = 0.5f;
	assert_int_equal(cr_tl_init(&tl, RATE, 100), 0); /* chunks of 1600 frames */
	assert_int_equal(tl.chunk_frames, 1600);
	assert_int_equal(cr_tl_put(&tl, 0, 0, one, 1600), 0);
	assert_int_equal(cr_tl_put(&tl, 1, 0, one, 1000), 0);

	/* Capture complete, playback only up to 1000: wait... */
	prog[0] = 1600;
	prog[1] = 1000;
	assert_int_equal(cr_tl_next_chunk(&tl, prog, 1600, 0, &ch), 0);
	assert_int_equal(cr_tl_next_chunk(&tl, prog, 1600 + 32000 - 1, 0, &ch), 0);
	/* ... until the wall clock is 2 s past the chunk's end: then emit, with a lag gap. */
	assert_int_equal(cr_tl_next_chunk(&tl, prog, 1600 + 32000, 0, &ch), 1);
	assert_int_equal(ch.start, 0);
	assert_int_equal(ch.frames, 1600);
	assert_int_equal(pcm[2 * 999 + 1], 16384);
	assert_int_equal(pcm[2 * 1000 + 1], 0);
	assert_int_equal(tl.ngaps, 1);
	assert_int_equal(tl.gaps[0].cause, CR_GAP_LAG);
	assert_int_equal(tl.gaps[0].channel, 1);
	assert_int_equal(tl.gaps[0].start, 1000);
	assert_int_equal(tl.gaps[0].length, 600);
	/* Late audio for the emitted chunk is cut; the next chunk is untouched by it. */
	assert_int_equal(cr_tl_put(&tl, 1, 1000, one, 1000), 0);
	assert_int_equal(tl.high, 2000);

	/* Both directions past the end of the second chunk: emitted at once. */
	assert_int_equal(cr_tl_put(&tl, 0, 1600, one, 1600), 0);
	prog[0] = 3200;
	prog[1] = 3300;
	assert_int_equal(cr_tl_next_chunk(&tl, prog, 0, 0, &ch), 1);
	assert_int_equal(ch.start, 1600);
	assert_int_equal(pcm[0], 16384);
	assert_int_equal(pcm[1], 16384); /* from the late write: 1600..1999 */
	assert_int_equal(pcm[2 * 400 + 1], 0);
	assert_int_equal(cr_tl_next_chunk(&tl, prog, 0, 0, &ch), 0);

	/* The call ends: a partial last chunk. */
	assert_int_equal(cr_tl_put(&tl, 0, 3200, one, 100), 0);
	assert_int_equal(cr_tl_next_chunk(&tl, prog, 0, 1, &ch), 1);
	assert_int_equal(ch.start, 3200);
	assert_int_equal(ch.frames, 100);
	assert_int_equal(cr_tl_next_chunk(&tl, prog, 0, 1, &ch), 0);
	cr_tl_free(&tl);
}

static void test_hash_chain(void **state)
{
	(void)state;
	uint8_t id[CR_CALL_ID_BYTES], open_hash[CR_HASH_BYTES], prev[CR_HASH_BYTES];
	struct cr_chain c;
	uint8_t *frame;
	size_t len;
	int16_t pcm[160 * 2];
	struct cr_frame f;

	memset(id, 0xab, sizeof(id));
	assert_int_equal(cr_chain_open(&c, id, "{\"version\":1}", &frame, &len), 0);
	assert_int_equal(cr_frame_parse(frame, len, &f), (long)len);
	assert_int_equal(f.type, CR_F_CALL_OPEN);
	assert_int_equal(cr_get_u64(f.body + CR_CALL_ID_BYTES), 0);
	assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_SHA256, f.body, f.length, open_hash), 0);
	memcpy(prev, open_hash, sizeof(prev));
	free(frame);

	for (uint64_t seq = 1; seq <= 3; seq++) {
		struct cr_chunk_hdr h;
		const uint8_t *audio;
		size_t ab;
		uint8_t again[CR_HASH_BYTES];

		for (int i = 0; i < 320; i++)
			pcm[i] = (int16_t)(i * (int)seq);
		assert_int_equal(cr_chain_chunk(&c, (seq - 1) * 160, 160, RATE, 2, pcm, &frame, &len), 0);
		assert_int_equal(cr_frame_parse(frame, len, &f), (long)len);
		assert_int_equal(f.type, CR_F_CHUNK);
		assert_int_equal(cr_chunk_hdr_decode(f.body, f.length, &h, &audio, &ab), 0);
		assert_int_equal(h.seq, seq);
		assert_int_equal(h.start_frame, (seq - 1) * 160);
		assert_int_equal(ab, 160 * 2 * 2);
		assert_int_equal(audio[2], 1 * seq); /* sample 1, little endian */
		assert_memory_equal(h.prev_hash, prev, CR_HASH_BYTES);
		assert_int_equal(cr_chunk_hash(&h, audio, ab, again), 0);
		assert_memory_equal(h.hash, again, CR_HASH_BYTES);
		memcpy(prev, h.hash, sizeof(prev));
		free(frame);
	}
	assert_int_equal(cr_chain_close(&c, "{\"end\":\"x\"}", &frame, &len), 0);
	assert_int_equal(cr_frame_parse(frame, len, &f), (long)len);
	assert_int_equal(f.type, CR_F_CALL_CLOSE);
	assert_int_equal(cr_get_u64(f.body + CR_CALL_ID_BYTES), 4);
	free(frame);
}

/* The spool's admission (its size cap): refused chunks are consumed without being handed out
 * (the hash chain only sees chunks that are sent) and become "spool_full" gaps on both
 * channels, one entry per channel however long the spool stays full. */
static int admit_calls, refuse_from, refuse_to;
static int admit_some(void *ctx, uint32_t frames)
{
	(void)ctx;
	assert_int_equal(frames, 1600);
	admit_calls++;
	return !(admit_calls >= refuse_from && admit_calls <= refuse_to);
}

static void test_spool_full_gap(void **state)
{
	(void)state;
	struct cr_timeline tl;
	int16_t pcm[1600 * 2];
	struct cr_tl_chunk ch = { .pcm = pcm };
	float one[1600 * 5];
	int64_t prog[2] = { 1600 * 5, 1600 * 5 };

	for (int i = 0; i < 1600 * 5; i++)
		one[i] = 0.5f;
	assert_int_equal(cr_tl_init(&tl, RATE, 100), 0);
	assert_int_equal(cr_tl_put(&tl, 0, 0, one, 1600 * 5), 0);
	assert_int_equal(cr_tl_put(&tl, 1, 0, one, 1600 * 5), 0);
	admit_calls = 0;
	refuse_from = 2;
	refuse_to = 3;
	cr_tl_set_admission(admit_some, NULL);
	assert_int_equal(cr_tl_next_chunk(&tl, prog, 0, 0, &ch), 1);
	assert_int_equal(ch.start, 0);
	/* chunks 2 and 3 refused: the next one handed out is the fourth */
	assert_int_equal(cr_tl_next_chunk(&tl, prog, 0, 0, &ch), 1);
	assert_int_equal(ch.start, 3 * 1600);
	assert_int_equal(pcm[0], 16384);
	cr_tl_set_admission(NULL, NULL);
	assert_int_equal(tl.ngaps, 2);
	for (unsigned c = 0; c < 2; c++) {
		assert_int_equal(tl.gaps[c].cause, CR_GAP_SPOOL_FULL);
		assert_int_equal(tl.gaps[c].channel, c);
		assert_int_equal(tl.gaps[c].start, 1600);
		assert_int_equal(tl.gaps[c].length, 3200);
	}
	assert_string_equal(cr_gap_cause_name(CR_GAP_SPOOL_FULL), "spool_full");
	assert_string_equal(cr_gap_cause_name(CR_GAP_EVICTED), "evicted");
	assert_string_equal(cr_gap_cause_name(CR_GAP_PAUSE), "pause");
	cr_tl_free(&tl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offset_and_dropped_gap),
		cmocka_unit_test(test_audio_before_call_is_cut),
		cmocka_unit_test(test_capture_stamped_at_end),
		cmocka_unit_test(test_capture_late_first_record),
		cmocka_unit_test(test_pause_reanchors),
		cmocka_unit_test(test_resampled_length),
		cmocka_unit_test(test_bad_records_refused),
		cmocka_unit_test(test_chunk_rules),
		cmocka_unit_test(test_hash_chain),
		cmocka_unit_test(test_spool_full_gap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
