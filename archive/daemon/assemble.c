/* Assembly of a closed call: chunks placed at their start frame, holes as silence (listed in
 * the manifest), the WAV and the manifest written atomically (temp, fsync, rename, fsync dir),
 * then the call marked complete. Rerunning after a crash rewrites the same files. */
#include "assemble.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "manifest.h"

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

static int write_silence(SNDFILE *sf, uint64_t frames)
{
	static const uint8_t zeros[4096 * FRAME_BYTES];

	while (frames) {
		uint64_t n = frames < 4096 ? frames : 4096;
		if (sf_write_raw(sf, zeros, (sf_count_t)(n * FRAME_BYTES)) !=
		    (sf_count_t)(n * FRAME_BYTES))
			return -EIO;
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
	struct chunk_vec *cv; /* sorted by start frame */
	uint64_t total;
	struct ad_hole *holes;
	size_t nholes;
};

/* Chunks in timeline order into the open SNDFILE; holes become silence and are recorded. */
static int write_audio(struct wav_job *j, SNDFILE *sf)
{
	uint8_t *buf = NULL;
	uint64_t pos = 0;
	size_t i;
	int rc = 0;

	j->holes = calloc(j->cv->n + 1, sizeof(*j->holes));
	buf = malloc((size_t)CR_CHUNK_MAX_FRAMES * FRAME_BYTES);
	if (!j->holes || !buf) {
		free(buf);
		return -ENOMEM;
	}
	for (i = 0; rc == 0 && i < j->cv->n; i++) {
		const struct ad_chunk_info *c = &j->cv->v[i];
		uint64_t skip = 0;

		if (c->length != (uint64_t)c->frames * FRAME_BYTES ||
		    c->length > (size_t)CR_CHUNK_MAX_FRAMES * FRAME_BYTES) {
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
			rc = ad_store_read_chunk(j->s, c, buf);
		if (rc == 0) {
			sf_count_t bytes = (sf_count_t)((c->frames - skip) * FRAME_BYTES);
			if (sf_write_raw(sf, buf + skip * FRAME_BYTES, bytes) != bytes)
				rc = -EIO;
			pos += c->frames - skip;
		}
	}
	if (rc == 0 && j->total > pos) {
		j->holes[j->nholes].start_frame = pos;
		j->holes[j->nholes++].frames = j->total - pos;
		rc = write_silence(sf, j->total - pos);
	}
	j->total = pos > j->total ? pos : j->total;
	free(buf);
	return rc;
}

static int hash_fd(int fd, char hex[2 * CR_HASH_BYTES + 1])
{
	uint8_t buf[65536], digest[CR_HASH_BYTES];
	gnutls_hash_hd_t h;
	off_t off = 0;
	ssize_t n;

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return -ENOMEM;
	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		gnutls_hash(h, buf, (size_t)n);
		off += n;
	}
	gnutls_hash_deinit(h, digest);
	if (n < 0)
		return -errno;
	ad_hex(digest, CR_HASH_BYTES, hex);
	return 0;
}

/* audio.wav via a temporary file; the hash of the final bytes into hex. */
static int write_wav(struct wav_job *j, const char *dir, char hex[2 * CR_HASH_BYTES + 1])
{
	char tmp[4200], final[4200];
	SF_INFO info = { .samplerate = AD_RATE, .channels = AD_CHANNELS,
			 .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16 };
	SNDFILE *sf;
	int fd, rc;

	snprintf(tmp, sizeof(tmp), "%s/.audio.wav.tmp", dir);
	snprintf(final, sizeof(final), "%s/audio.wav", dir);
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	sf = sf_open_fd(fd, SFM_WRITE, &info, 0);
	if (!sf) {
		cr_err("assemble: libsndfile: %s", sf_strerror(NULL));
		close(fd);
		unlink(tmp);
		return -EIO;
	}
	rc = write_audio(j, sf);
	if (sf_close(sf) != 0 && rc == 0)
		rc = -EIO;
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (rc == 0)
		rc = hash_fd(fd, hex);
	close(fd);
	if (rc == 0 && rename(tmp, final) < 0)
		rc = -errno;
	if (rc == 0)
		rc = cr_fsync_dir(dir);
	if (rc < 0)
		unlink(tmp);
	return rc;
}

static int write_manifest(struct wav_job *j, const struct ad_call_info *call, const char *dir,
			  const char *audio_hex)
{
	struct ad_manifest_in in = { .call = call, .chunks = j->cv->v, .nchunks = j->cv->n,
				     .holes = j->holes, .nholes = j->nholes,
				     .total_frames = j->total, .audio_sha256_hex = audio_hex };
	json_t *m = ad_manifest_build(&in);
	char *text;
	int rc;

	if (!m)
		return -ENOMEM;
	text = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(m);
	if (!text)
		return -ENOMEM;
	rc = cr_write_atomic(dir, "manifest.json", text, strlen(text), 0600);
	free(text);
	return rc;
}

static int by_seq(const void *a, const void *b)
{
	const struct ad_chunk_info *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int ad_assemble_call(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES])
{
	char dir[4096], audio_hex[2 * CR_HASH_BYTES + 1];
	struct chunk_vec cv = { 0 };
	struct ad_call_info call;
	struct wav_job j = { .s = s, .cv = &cv };
	int rc;

	memset(&call, 0, sizeof(call));
	rc = ad_store_call_get(s, id, &call);
	if (rc == 0)
		rc = ad_store_chunks(s, id, collect, &cv);
	if (rc == 0)
		rc = ad_store_call_dir(s, id, dir, sizeof(dir));
	if (rc == 0)
		rc = cr_mkdir_p(dir, 0700);
	if (rc < 0)
		goto out;
	j.total = closed_frames(call.close_json);
	qsort(cv.v, cv.n, sizeof(*cv.v), by_start);
	rc = write_wav(&j, dir, audio_hex);
	if (rc < 0)
		goto out;
	qsort(cv.v, cv.n, sizeof(*cv.v), by_seq); /* the manifest lists the chain in order */
	rc = write_manifest(&j, &call, dir, audio_hex);
	if (rc == 0)
		rc = ad_store_mark_complete(s, id, audio_hex);
	if (rc == 0)
		cr_notice("call %s complete: device %s, %.1f s, %zu chunks, %zu holes", call.hex,
			  call.device, (double)j.total / AD_RATE, cv.n, j.nholes);
out:
	if (rc < 0)
		cr_err("assemble: call %s: %s", call.hex[0] ? call.hex : "?", strerror(-rc));
	free(cv.v);
	free(j.holes);
	return rc;
}

int ad_store_assemble_closed(struct ad_store *s)
{
	uint8_t (*ids)[CR_CALL_ID_BYTES] = NULL;
	size_t n = 0, i;
	int rc, done = 0;

	rc = ad_store_closing(s, &ids, &n);
	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++)
		if (ad_assemble_call(s, ids[i]) == 0)
			done++;
	free(ids);
	return done;
}
