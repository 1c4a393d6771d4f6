/* Disclosure audio: the tone comes exactly every `every` of stream time (frame counts, not the
 * wall clock), also when it passes through the inject ring in pieces and the plugin consumes
 * it in odd-sized periods; the events logged from the tap records are 15 s apart; the
 * announcement resampled to a stream's rate has exactly the expected length and keeps its
 * level; an announce call queues the announcement as REPLACE into capture and, with
 * also_local, as ADD into playback. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <errno.h>
#include <stdatomic.h>
#include <cmocka.h>

#include <alsa/asoundlib.h>
#include <unistd.h>

#include "log.h"
#include "ring.h"
#include "test_ring_mem.h"
#include "../../agent/calls.h"
#include "../../agent/disclosure.h"

#define RATE 48000u
#define MS(x) ((uint64_t)(x) * 1000000ULL)
#define EVERY (15u * RATE)

/* Onsets: first non-zero sample after at least a second of zeros. */
static size_t onsets(const int16_t *s, size_t n, uint64_t *out, size_t max)
{
	size_t k = 0, zeros = RATE;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == 0) {
			zeros++;
			continue;
		}
		if (zeros >= RATE && k < max)
			out[k++] = i;
		zeros = 0;
	}
	return k;
}

static void test_tone_every_15s_of_frames(void **state)
{
	size_t n = 61u * RATE, got = 0, k;
	int16_t *s = calloc(n, sizeof(*s));
	struct cr_tonegen g;
	uint64_t on[8];

	(void)state;
	assert_non_null(s);
	cr_tonegen_init(&g, RATE, 1400, 500, 15000, -18.0);
	while (got < n) { /* odd piece sizes: the schedule must not depend on them */
		size_t m = n - got < 4799 ? n - got : 4799;
		cr_tonegen_fill(&g, s + got, m);
		got += m;
	}
	k = onsets(s, n, on, 8);
	assert_int_equal(k, 5);
	for (size_t i = 0; i < k; i++)
		assert_int_equal(on[i], i * EVERY + 1); /* the ramp's first sample is 0 */
	/* -18 dBFS peak, 0.5 s long: nothing beyond the burst */
	int peak = 0;
	for (size_t i = 0; i < RATE / 2; i++)
		peak = abs(s[i]) > peak ? abs(s[i]) : peak;
	assert_in_range(peak, 4100, 4140); /* 32768 * 10^(-18/20) = 4125 */
	for (size_t i = RATE / 2; i < EVERY; i++)
		assert_int_equal(s[i], 0);
	free(s);
}

/* The plugin's side, simulated: consume the inject ring in periods of `period` frames,
 * writing tap records that say which frames carried disclosure. */
struct plugin_sim {
	const struct cr_ring *ring;
	struct cr_inj cur;
	const int16_t *cur_s;
	uint32_t cur_off;
	int16_t *heard;
	size_t nheard;
};

static uint32_t take(struct plugin_sim *p, uint32_t want, int16_t *dst)
{
	uint32_t done = 0;

	while (done < want) {
		if (!p->cur_s) {
			p->cur_s = cr_inject_peek(p->ring, &p->cur);
			p->cur_off = 0;
			if (!p->cur_s)
				break;
		}
		uint32_t m = p->cur.frames - p->cur_off;
		if (m > want - done)
			m = want - done;
		memcpy(dst + done, p->cur_s + p->cur_off, m * sizeof(int16_t));
		done += m;
		p->cur_off += m;
		if (p->cur_off == p->cur.frames) {
			cr_inject_release(p->ring, &p->cur);
			p->cur_s = NULL;
		}
	}
	return done;
}

static void test_tone_through_ring_and_events(void **state)
{
	const uint32_t data = 64u * 1024u, inj = 1024u * 1024u, period = 941;
	size_t bytes = cr_ring_layout_bytes_inject(data, inj);
	void *mem = test_ring_mem(bytes);
	struct cr_ring ring_view, *ring = &ring_view;
	struct cr_purpose pu = { .name = "training", .mode = CR_DISCLOSE_TONE,
				 .tone = { 1400, 500, 15000, -18.0 } };
	struct cr_disclosure d;
	struct plugin_sim p = { .ring = ring };
	size_t total = 46u * RATE;
	uint64_t on[8], start_ns = 1000000000ULL, t = start_ns;
	uint64_t pos = 0;
	int16_t buf[1024];

	(void)state;
	assert_non_null(mem);
	assert_int_equal(cr_ring_init_inject(ring, mem, bytes, data, inj), 0);
	p.heard = calloc(total + period, sizeof(int16_t)); /* the last period may pass the end */
	cr_disc_init(&d, &pu, NULL);
	cr_disc_pump(&d, ring, NULL); /* no rate yet: nothing starts */
	assert_int_equal(cr_inject_pending(ring), 0);
	atomic_store(&cr_ring_hdr(ring)->stream_rate, RATE);
	while (pos < total) {
		cr_disc_pump(&d, ring, NULL); /* the agent's tick, every ~20 ms */
		assert_true(cr_inject_pending(ring) <= (uint64_t)RATE * 2 * 3); /* bounded ahead */
		for (int i = 0; i < 20 && pos < total; i++) {
			uint32_t got = take(&p, period, buf);
			assert_int_equal(got, period); /* never runs dry */
			memcpy(p.heard + pos, buf, got * sizeof(int16_t));
			/* the tap record of this capture period, stamped after its last frame */
			struct cr_rec h = { .kind = CR_REC_AUDIO, .channels = 1, .rate = RATE,
					    .frames = period, .pos = pos, .inject_first = 0,
					    .inject_frames = got };
			pos += period;
			t = start_ns + pos * 1000000000ULL / RATE;
			h.t_ns = t;
			cr_disc_observe(&d, &h, start_ns);
		}
	}
	size_t k = onsets(p.heard, total, on, 8);
	assert_int_equal(k, 4);
	for (size_t i = 0; i < k; i++)
		assert_int_equal(on[i], i * EVERY + 1);
	for (size_t i = 0; i < d.nev; i++)
		print_message("# event %zu: kind %d at %lld ms, pos %llu\n", i, (int)d.ev[i].kind,
			      (long long)d.ev[i].start_ms, (unsigned long long)d.ev[i].stream_pos);
	assert_int_equal(d.nev, 4);
	for (size_t i = 0; i < d.nev; i++) {
		assert_int_equal(d.ev[i].kind, CR_DISC_EV_TONE);
		assert_int_equal(d.ev[i].stream_pos, i * EVERY);
		assert_int_equal(d.ev[i].start_ms, (int64_t)(i * 15000));
		assert_int_equal(d.ev[i].length_ms, 500);
	}
	cr_disc_free(&d);
	free(p.heard);
	free(mem);
}

static void test_announcement_resample_length(void **state)
{
	static const unsigned rates[] = { 8000, 16000, 44100, 48000, 96000 };
	size_t n = 3u * 48000u + 7u;
	float *in = malloc(n * sizeof(float));

	(void)state;
	for (size_t i = 0; i < n; i++)
		in[i] = 0.5f * (float)sin(2.0 * M_PI * 440.0 * (double)i / 48000.0);
	for (size_t r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
		int16_t *out;
		size_t outn;
		double sum = 0;

		assert_int_equal(cr_announce_resample(in, n, 48000, rates[r], &out, &outn), 0);
		assert_int_equal(outn, (size_t)(((uint64_t)n * rates[r] + 24000) / 48000));
		for (size_t i = outn / 4; i < 3 * outn / 4; i++)
			sum += (double)out[i] * out[i];
		/* a 0.5 sine keeps its RMS (0.354 of full scale) at every rate */
		double rms = sqrt(sum / (double)(outn / 2)) / 32768.0;
		assert_true(fabs(rms - 0.3536) < 0.01);
		free(out);
	}
	free(in);
}

static void test_announce_queues_replace_and_local(void **state)
{
	const uint32_t data = 64u * 1024u, inj = 1024u * 1024u;
	size_t bytes = cr_ring_layout_bytes_inject(data, inj);
	void *cap_mem = test_ring_mem(bytes), *play_mem = test_ring_mem(bytes);
	struct cr_ring cap_view, play_view, *cap = &cap_view, *play = &play_view;
	struct cr_announce a = { .rate = 16000, .n = 16000 * 2 };
	struct cr_purpose pu = { .name = "contract", .mode = CR_DISCLOSE_ANNOUNCE,
				 .also_local = 1 };
	struct cr_disclosure d;
	struct cr_inj h;
	uint64_t frames = 0;

	(void)state;
	a.s = calloc(a.n, sizeof(float));
	for (size_t i = 0; i < a.n; i++)
		a.s[i] = 0.25f;
	assert_int_equal(cr_ring_init_inject(cap, cap_mem, bytes, data, inj), 0);
	assert_int_equal(cr_ring_init_inject(play, play_mem, bytes, data, inj), 0);
	atomic_store(&cr_ring_hdr(cap)->stream_rate, 48000);
	atomic_store(&cr_ring_hdr(play)->stream_rate, 44100);
	cr_disc_init(&d, &pu, &a);
	cr_disc_pump(&d, cap, play);
	while (cr_inject_peek(cap, &h)) {
		assert_int_equal(h.kind, CR_INJ_REPLACE);
		assert_int_equal(h.rate, 48000);
		frames += h.frames;
		cr_inject_release(cap, &h);
		cr_disc_pump(&d, cap, play);
	}
	assert_int_equal(frames, 96000); /* 2 s at the capture stream's rate */
	frames = 0;
	while (cr_inject_peek(play, &h)) {
		assert_int_equal(h.kind, CR_INJ_ADD);
		assert_int_equal(h.rate, 44100);
		frames += h.frames;
		cr_inject_release(play, &h);
		cr_disc_pump(&d, cap, play);
	}
	assert_int_equal(frames, 88200);
	/* the event: from the first frame the plugin reports, as long as it played */
	struct cr_rec r = { .rate = 48000, .frames = 48000, .pos = 480, .inject_first = 0,
			    .inject_frames = 48000, .t_ns = 2000000000ULL };
	cr_disc_observe(&d, &r, 1000000000ULL);
	r.pos += 48000;
	r.t_ns += 1000000000ULL;
	cr_disc_observe(&d, &r, 1000000000ULL);
	assert_int_equal(d.nev, 1);
	assert_int_equal(d.ev[0].kind, CR_DISC_EV_ANNOUNCE);
	assert_int_equal(d.ev[0].start_ms, 0);
	assert_int_equal(d.ev[0].stream_pos, 480);
	assert_int_equal(d.ev[0].length_ms, 2000);
	cr_disc_free(&d);
	cr_announce_free(&a); /* with its per-rate cache */
	free(cap_mem);
	free(play_mem);
}

static int count_emit(void *ctx, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq, uint8_t type,
		      const uint8_t *frame, size_t len)
{
	(void)id, (void)seq, (void)type, (void)frame, (void)len;
	(*(int *)ctx)++;
	return 0;
}

static void unmap_free(struct cr_stream *st)
{
	free(st->ring.base);
}

/* An announce policy's capture stream starts disclosing when it runs, before the playback
 * direction opens (softphones open them at different moments); its audio is held meanwhile
 * and the call, once formed, starts at the capture stream's open with the announcement
 * already queued. */
static void test_announce_starts_with_capture(void **state)
{
	const uint32_t data = 1024u * 1024u, inj = 1024u * 1024u;
	const uint64_t t0 = 7000000000000ULL;
	const char *b = getenv("BUILD");
	char dir[512], path[64];
	struct cr_diags d;
	struct cr_pol *pol = NULL;
	struct cr_calls r;
	struct cr_stream *st[2];
	int emitted = 0;
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/announcements", b ? b : "build");
	snprintf(path, sizeof(path), "/tmp/test_agent_disclosure.%d.yaml", (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("version: 1\npurposes:\n  contract:\n    description: Proof\n"
	      "    legal_basis: contract\n    retention: 5y\n    access: [legal]\n"
	      "    disclosure: { mode: announce, announcement: en-contract.wav }\n"
	      "rules:\n  - match: {}\n    record: contract\n"
	      "employees:\n  notice: \"Handbook 4.2\"\n", f);
	fclose(f);
	cr_diags_init(&d, path);
	if (cr_pol_load(path, dir, &pol, &d)) {
		cr_diags_print(&d, stderr);
		fail();
	}
	unlink(path);
	cr_calls_init(&r, 1000, count_emit, &emitted);
	for (int i = 0; i < 2; i++) {
		st[i] = calloc(1, sizeof(*st[i]));
		void *mem = test_ring_mem(cr_ring_layout_bytes_inject(data, inj));

		assert_int_equal(cr_ring_init_inject(&st[i]->ring, mem,
						     cr_ring_layout_bytes_inject(data, inj), data,
						     inj), 0);
		st[i]->peer.pid = 500;
		st[i]->peer.uid = 1000;
		strcpy(st[i]->peer.application, "phone");
		st[i]->dir = i == 0 ? CR_DIR_CAPTURE : CR_DIR_PLAYBACK;
		st[i]->unmap = unmap_free;
		st[i]->pol = cr_pol_ref(pol);
		st[i]->purpose = 0;
		cr_feed_init(&st[i]->feed);
		atomic_store(&cr_ring_hdr(&st[i]->ring)->stream_rate, 48000);
	}
	cr_calls_add_stream(&r, st[0], t0);
	assert_non_null(st[0]->early);
	cr_calls_tick(&r, t0 + MS(20));
	assert_true(cr_inject_pending(&st[0]->ring) > 0); /* queued before any call */
	/* 400 ms of capture, held in the ring while no call exists */
	for (int k = 0; k < 4; k++) {
		struct cr_rec *rec = cr_ring_reserve(&st[0]->ring, 4800 * 2);
		assert_non_null(rec);
		*rec = (struct cr_rec){ .bytes = rec->bytes, .kind = CR_REC_AUDIO, .channels = 1,
					.rate = 48000, .format = SND_PCM_FORMAT_S16_LE,
					.frames = 4800, .frame_bytes = 2, .pos = (uint64_t)k * 4800,
					.t_ns = t0 + MS(100 * (k + 1)), .inject_first = 0,
					.inject_frames = 4800 };
		memset(cr_rec_payload(rec), 0, 4800 * 2);
		cr_ring_commit(&st[0]->ring, 4800 * 2);
		cr_calls_tick(&r, t0 + MS(100 * (k + 1) + 10));
	}
	assert_int_equal(cr_calls_count(&r), 0);
	/* the playback opens: the call forms, starting at the capture stream's open */
	cr_calls_add_stream(&r, st[1], t0 + MS(450));
	assert_int_equal(cr_calls_count(&r), 1);
	assert_true(r.calls->start_ns == t0);
	assert_null(st[0]->early); /* the call took over its disclosure */
	assert_true(r.calls->disc.cap_started);
	cr_calls_tick(&r, t0 + MS(470));
	/* the held records reached the call: the announcement event starts at the open */
	assert_int_equal(r.calls->disc.nev, 1);
	assert_int_equal(r.calls->disc.ev[0].kind, CR_DISC_EV_ANNOUNCE);
	assert_int_equal(r.calls->disc.ev[0].start_ms, 0);
	assert_int_equal(r.calls->disc.ev[0].length_ms, 400);
	cr_calls_shutdown(&r, t0 + MS(1000));
	assert_true(emitted >= 2); /* CALL_OPEN ... CALL_CLOSE */
	cr_pol_unref(pol);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tone_every_15s_of_frames),
		cmocka_unit_test(test_tone_through_ring_and_events),
		cmocka_unit_test(test_announcement_resample_length),
		cmocka_unit_test(test_announce_queues_replace_and_local),
		cmocka_unit_test(test_announce_starts_with_capture),
	};
	cr_log_init("test_agent_disclosure", 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
