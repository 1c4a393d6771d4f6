/* Peaks per slice. See envelope.h. */
#include "envelope.h"

#include <math.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHANNELS 8
#define BLOCK_FRAMES 4096

struct memfile {
	const uint8_t *p;
	sf_count_t len, pos;
};

static sf_count_t mf_len(void *u)
{
	return ((struct memfile *)u)->len;
}

static sf_count_t mf_seek(sf_count_t off, int whence, void *u)
{
	struct memfile *m = u;
	sf_count_t to = whence == SEEK_SET ? off : whence == SEEK_CUR ? m->pos + off : m->len + off;

	if (to < 0 || to > m->len)
		return -1;
	m->pos = to;
	return to;
}

static sf_count_t mf_read(void *dst, sf_count_t n, void *u)
{
	struct memfile *m = u;

	if (n > m->len - m->pos)
		n = m->len - m->pos;
	memcpy(dst, m->p + m->pos, (size_t)n);
	m->pos += n;
	return n;
}

static sf_count_t mf_write(const void *src, sf_count_t n, void *u)
{
	(void)src, (void)n, (void)u;
	return 0;
}

static sf_count_t mf_tell(void *u)
{
	return ((struct memfile *)u)->pos;
}

json_t *console_envelope(const uint8_t *wav, size_t len, unsigned n)
{
	SF_VIRTUAL_IO io = { mf_len, mf_seek, mf_read, mf_write, mf_tell };
	struct memfile m = { wav, (sf_count_t)len, 0 };
	SF_INFO info = { 0 };
	SNDFILE *sf;
	float *block = NULL, *peak = NULL;
	json_t *out = NULL, *chans;
	sf_count_t got, frame = 0;
	int c;

	if (n < 1 || n > CONSOLE_ENVELOPE_MAX)
		return NULL;
	sf = sf_open_virtual(&io, SFM_READ, &info, &m);
	if (!sf)
		return NULL;
	if (info.channels < 1 || info.channels > MAX_CHANNELS)
		goto out;
	block = malloc(sizeof(float) * BLOCK_FRAMES * (size_t)info.channels);
	peak = calloc((size_t)n * (size_t)info.channels, sizeof(float));
	if (!block || !peak)
		goto out;
	while ((got = sf_readf_float(sf, block, BLOCK_FRAMES)) > 0) {
		for (sf_count_t i = 0; i < got; i++, frame++) {
			size_t slice = info.frames > 0 ?
				(size_t)((frame * (sf_count_t)n) / info.frames) : 0;

			if (slice >= n)
				slice = n - 1;
			for (c = 0; c < info.channels; c++) {
				float v = fabsf(block[i * info.channels + c]);
				float *p = &peak[(size_t)c * n + slice];

				if (v > *p)
					*p = v;
			}
		}
	}
	chans = json_array();
	for (c = 0; chans && c < info.channels; c++) {
		json_t *a = json_array();

		for (unsigned s = 0; a && s < n; s++) {
			float v = peak[(size_t)c * n + s];

			json_array_append_new(a, json_integer(lrintf((v > 1 ? 1 : v) * 1000)));
		}
		json_array_append_new(chans, a);
	}
	out = json_pack("{si sI si so}", "rate", info.samplerate, "frames",
			(json_int_t)info.frames, "channels", info.channels, "peaks", chans);
out:
	if (block) /* decoded audio: not left in freed memory */
		explicit_bzero(block, sizeof(float) * BLOCK_FRAMES * (size_t)info.channels);
	free(block);
	free(peak);
	sf_close(sf);
	return out;
}
