/* Assembly of a closed call: chunks placed at their start frame, holes as silence (listed in
 * the manifest), the WAV and the manifest written as objects (each visible only once durable),
 * then the call marked complete. Rerunning after a crash rewrites the same objects. */
#include "record/assemble.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "record/manifest.h"
#include "record/mlog.h"
#include "store/erase.h"
#include "store/meta.h"
#include "vault/crypt.h"

#define FRAME_BYTES (AD_CHANNELS * 2u)

struct chunk_vec {
	struct ad_chunk_info *v;
	size_t n, cap;
};

static int collect(void *arg, const struct ad_chunk_info *c)
{
	struct chunk_vec *cv = arg;

	if (cv->n == cv->cap) {
		size_t cap = cv->cap ? cv->cap * 2 : 64;
		struct ad_chunk_info *p = realloc(cv->v, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		cv->v = p;
		cv->cap = cap;
	}
	cv->v[cv->n++] = *c;
	return 0;
}

static int by_start(const void *a, const void *b)
{
	const struct ad_chunk_info *x = a, *y = b;

	if (x->start_frame != y->start_frame)
		return x->start_frame < y->start_frame ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Plaintext goes through the hash and the encrypting writer only. */
struct sink {
	struct ad_obj_writer w;
	gnutls_hash_hd_t h;
};

static int sink_write(struct sink *k, const void *p, size_t n)
{
	gnutls_hash(k->h, p, n);
	return ad_obj_write(&k->w, p, n);
}

static int write_silence(struct sink *k, uint64_t frames)
{
	static const uint8_t zeros[4096 * FRAME_BYTES];

	while (frames) {
		uint64_t n = frames < 4096 ? frames : 4096;
		int rc = sink_write(k, zeros, (size_t)(n * FRAME_BYTES));
		if (rc < 0)
			return rc;
		frames -= n;
	}
	return 0;
}

/* Frames the agent says the call had (CALL_CLOSE "frames"), 0 when absent. */
static uint64_t closed_frames(const char *close_json)
{
	json_t *j = close_json ? json_loads(close_json, 0, NULL) : NULL;
	json_t *f = j ? json_object_get(j, "frames") : NULL;
	uint64_t n = json_is_integer(f) && json_integer_value(f) > 0 ?
		     (uint64_t)json_integer_value(f) : 0;

	json_decref(j);
	return n > (1ull << 40) ? 0 : n;
}

struct wav_job {
	struct ad_store *s;
	unsigned rate;
	const uint8_t *id;
	uint8_t key[AD_KEY_BYTES];
	struct chunk_vec *cv; /* sorted by start frame */
	uint64_t total;
	int64_t expires;
	struct ad_hole *holes;
	size_t nholes;
};

/* Chunks in timeline order into the sink; holes become silence and are recorded. */
static int write_audio(struct wav_job *j, struct sink *sf)
{
	struct ad_objects *ob = ad_store_objects(j->s);
	uint8_t *buf = NULL, *sealed = NULL;
	uint64_t pos = 0;
	size_t i;
	int rc = 0;

	j->holes = calloc(j->cv->n + 1, sizeof(*j->holes));
	buf = malloc((size_t)CR_CHUNK_MAX_FRAMES * FRAME_BYTES);
	sealed = malloc((size_t)CR_CHUNK_MAX_FRAMES * FRAME_BYTES + AD_TAG_BYTES);
	if (!j->holes || !buf || !sealed) {
		free(buf);
		free(sealed);
		return -ENOMEM;
	}
	for (i = 0; rc == 0 && i < j->cv->n; i++) {
		const struct ad_chunk_info *c = &j->cv->v[i];
		uint64_t skip = 0;

		if (c->length != (uint64_t)c->frames * FRAME_BYTES + AD_TAG_BYTES ||
		    c->length > (size_t)CR_CHUNK_MAX_FRAMES * FRAME_BYTES + AD_TAG_BYTES) {
			rc = -EIO;
			break;
		}
		if (c->start_frame > pos) {
			j->holes[j->nholes].start_frame = pos;
			j->holes[j->nholes++].frames = c->start_frame - pos;
			rc = write_silence(sf, c->start_frame - pos);
			pos = c->start_frame;
		} else if (c->start_frame < pos) {
			/* Overlap: the earlier chunk keeps its place; never move audio in time. */
			skip = pos - c->start_frame;
			cr_warn("assemble: chunk %llu overlaps the previous one by %llu frames",
				(unsigned long long)c->seq, (unsigned long long)skip);
			if (skip >= c->frames)
				continue;
		}
		if (rc == 0)
			rc = ob->ops->seg_read(ob, c->segment, c->offset, sealed, (size_t)c->length);
		if (rc == 0)
			rc = ad_chunk_open(j->key, j->id, c->seq, sealed, c->length, buf);
		if (rc == 0) {
			rc = sink_write(sf, buf + skip * FRAME_BYTES,
					(size_t)((c->frames - skip) * FRAME_BYTES));
			pos += c->frames - skip;
		}
	}
	if (rc == 0 && j->total > pos) {
		j->holes[j->nholes].start_frame = pos;
		j->holes[j->nholes++].frames = j->total - pos;
		rc = write_silence(sf, j->total - pos);
	}
	j->total = pos > j->total ? pos : j->total;
	gnutls_memset(buf, 0, (size_t)CR_CHUNK_MAX_FRAMES * FRAME_BYTES);
	free(buf);
	free(sealed);
	return rc;
}

/* Where the timeline ends: the last chunk's end or the close's length, whichever is later
 * (known before writing, so the WAV header is right the first time). */
static uint64_t timeline_end(const struct wav_job *j)
{
	uint64_t end = j->total;
	size_t i;

	for (i = 0; i < j->cv->n; i++)
		if (j->cv->v[i].start_frame + j->cv->v[i].frames > end)
			end = j->cv->v[i].start_frame + j->cv->v[i].frames;
	return end;
}

/* The canonical 44-byte header of a PCM WAV file, as exported and hashed in the manifest:
 * byte arrays only, little endian as RIFF wants. */
struct wav_header {
	char riff[4];              /* "RIFF" */
	uint8_t riff_size[4];      /* 36 + data size */
	char wave_fmt[8];          /* "WAVEfmt " */
	uint8_t fmt_size[4];       /* 16 */
	uint8_t format[2];         /* 1: PCM */
	uint8_t channels[2];
	uint8_t rate[4];
	uint8_t byte_rate[4];
	uint8_t block_align[2];
	uint8_t bits[2];
	char data[4];              /* "data" */
	uint8_t data_size[4];
};
_Static_assert(sizeof(struct wav_header) == 44, "a WAV header is 44 bytes");
_Static_assert(offsetof(struct wav_header, channels) == 22 &&
	       offsetof(struct wav_header, data_size) == 40, "WAV header fields at RIFF's offsets");

static void le(uint8_t *p, uint32_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void wav_header(struct wav_header *h, uint64_t frames, unsigned rate)
{
	uint32_t data = (uint32_t)(frames * FRAME_BYTES);

	memcpy(h->riff, "RIFF", 4);
	le(h->riff_size, 36 + data, 4);
	memcpy(h->wave_fmt, "WAVEfmt ", 8);
	le(h->fmt_size, 16, 4);
	le(h->format, 1, 2);
	le(h->channels, AD_CHANNELS, 2);
	le(h->rate, rate, 4);
	le(h->byte_rate, rate * FRAME_BYTES, 4);
	le(h->block_align, FRAME_BYTES, 2);
	le(h->bits, 16, 2);
	memcpy(h->data, "data", 4);
	le(h->data_size, data, 4);
}

/* audio.wav, encrypted; the hash of the plaintext WAV into hex. */
static int write_wav(struct wav_job *j, char hex[2 * CR_HASH_BYTES + 1])
{
	uint8_t digest[CR_HASH_BYTES];
	struct wav_header hdr;
	struct sink k;
	uint64_t frames = timeline_end(j);
	int rc;

	if (frames * FRAME_BYTES > 0xffffffffull - 36)
		return -EFBIG;
	if (gnutls_hash_init(&k.h, GNUTLS_DIG_SHA256) < 0)
		return -ENOMEM;
	rc = ad_obj_create(&k.w, j->key, AD_OBJ_AUDIO, ad_store_objects(j->s), j->id, "audio.wav");
	if (rc < 0) {
		gnutls_hash_deinit(k.h, digest);
		return rc;
	}
	wav_header(&hdr, frames, j->rate);
	rc = sink_write(&k, &hdr, sizeof(hdr));
	if (rc == 0)
		rc = write_audio(j, &k);
	gnutls_hash_deinit(k.h, digest);
	if (rc == 0 && j->total != frames)
		rc = -EIO; /* the header promised another length */
	if (rc == 0)
		rc = ad_obj_commit(&k.w);
	else
		ad_obj_abort(&k.w);
	cr_hex_encode(digest, CR_HASH_BYTES, hex);
	return rc;
}

static int write_manifest(struct wav_job *j, const struct ad_call_info *call,
			  const char *audio_hex, char **out)
{
	struct ad_obj_writer w;
	struct ad_manifest_in in = { .call = call, .chunks = j->cv->v, .nchunks = j->cv->n,
				     .holes = j->holes, .nholes = j->nholes,
				     .total_frames = j->total, .audio_sha256_hex = audio_hex,
				     .expires = j->expires };
	json_t *m = ad_manifest_build(&in);
	char *text;
	int rc;

	if (!m)
		return -ENOMEM;
	text = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(m);
	if (!text)
		return -ENOMEM;
	rc = ad_obj_create(&w, j->key, AD_OBJ_MANIFEST, ad_store_objects(j->s), j->id,
			   "manifest.json");
	if (rc == 0)
		rc = ad_obj_write(&w, text, strlen(text));
	if (rc == 0)
		rc = ad_obj_commit(&w);
	else
		ad_obj_abort(&w);
	if (rc < 0) {
		free(text);
		return rc;
	}
	*out = text;
	return 0;
}

static int by_seq(const void *a, const void *b)
{
	const struct ad_chunk_info *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The call is claimed: nobody else assembles it meanwhile. */
static int assemble(const struct ad_mlog *m, struct ad_store *s,
		    const uint8_t id[CR_CALL_ID_BYTES])
{
	struct ad_index *ix = ad_store_index(s);
	char audio_hex[2 * CR_HASH_BYTES + 1];
	struct chunk_vec cv = { 0 };
	struct ad_call_info call;
	struct wav_job j = { .s = s, .id = id, .cv = &cv };
	char *manifest = NULL;
	int rc;

	memset(&call, 0, sizeof(call));
	rc = ix->ops->call_get(ix, id, &call);
	if (rc == 0 && strcmp(call.state, "closing") != 0)
		goto out; /* erased (or done) meanwhile */
	if (rc == 0)
		rc = ad_store_call_key(s, id, j.key);
	if (rc == 0)
		rc = ix->ops->chunks(ix, id, collect, &cv);
	if (rc < 0)
		goto out;
	j.total = closed_frames(call.close_json);
	j.rate = ad_call_rate(call.meta_json);
	if (!j.rate)
		j.rate = AD_RATE; /* refused at CALL_OPEN; only an old index could hold one */
	qsort(cv.v, cv.n, sizeof(*cv.v), by_start);
	rc = write_wav(&j, audio_hex);
	if (rc < 0)
		goto out;
	qsort(cv.v, cv.n, sizeof(*cv.v), by_seq); /* the manifest lists the chain in order */
	j.expires = ad_retention_deadline(call.meta_json);
	rc = write_manifest(&j, &call, audio_hex, &manifest);
	if (rc == 0)
		rc = ad_mlog_complete(m, s, id, audio_hex, manifest, strlen(manifest));
	if (rc == 0)
		cr_notice("call %s complete: device %s, %.1f s, %zu chunks, %zu holes", call.hex,
			  call.device, (double)j.total / j.rate, cv.n, j.nholes);
out:
	if (rc < 0)
		cr_err("assemble: call %s: %s", call.hex[0] ? call.hex : "?", strerror(-rc));
	free(cv.v);
	free(j.holes);
	free(manifest);
	gnutls_memset(j.key, 0, sizeof(j.key));
	return rc;
}

int ad_assemble_call(const struct ad_mlog *m, struct ad_store *s,
		     const uint8_t id[CR_CALL_ID_BYTES])
{
	struct ad_index *ix = ad_store_index(s);
	int rc = ix->ops->claim(ix, AD_CLAIM_ASSEMBLE, id);

	if (rc < 0)
		return rc;
	rc = assemble(m, s, id);
	ix->ops->release(ix, AD_CLAIM_ASSEMBLE, id);
	/* An erasure that came meanwhile left its last steps to whoever held the claim. */
	if (ad_erase_after_assembly(s, id) < 0 && rc == 0)
		rc = -EIO;
	return rc;
}

int ad_assemble_closed(const struct ad_mlog *m, struct ad_store *s, const int *stop)
{
	struct ad_index *ix = ad_store_index(s);
	struct ad_ids ids = { 0 };
	size_t i;
	int rc, done = 0;

	rc = ix->ops->calls_in_state(ix, "closing", ad_ids_add, &ids);
	for (i = 0; rc == 0 && i < ids.n && !(stop && __atomic_load_n(stop, __ATOMIC_RELAXED));
	     i++)
		if (ad_assemble_call(m, s, ids.v[i]) == 0)
			done++;
	ad_ids_free(&ids);
	return rc < 0 ? rc : done;
}
