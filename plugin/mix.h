/* Mixing disclosure audio (signed 16-bit mono, common/ring.h "Disclosure records") into a
 * stream's own sample format and channels, in place, on the real-time path: plain loops over
 * the channel areas, no allocation, no system call. Only used while disclosure audio is being
 * played, so the per-sample loop costs nothing on the usual path. */
#ifndef CALLREC_MIX_H
#define CALLREC_MIX_H

#include <alsa/asoundlib.h>
#include <stdbool.h>
#include <stdint.h>

/* Plugin internals: not exported from the .so loaded into every audio application. */
#pragma GCC visibility push(hidden)

enum mix_kind {
	MIX_REPLACE, /* the stream's audio is replaced (an announcement) */
	MIX_ADD,     /* added to the stream's audio, saturating (a tone) */
};

/* Formats mix_s16_mono can write: S16_LE, S32_LE, S24_LE, S24_3LE, FLOAT_LE and U8 on a
 * little-endian host. */
bool mix_format_supported(snd_pcm_format_t format);

/* Mixes samples[0 .. frames) into every channel of frames [offset, offset + frames) of `areas`.
 * The caller has checked mix_format_supported(format). */
void mix_s16_mono(const snd_pcm_channel_area_t *areas, snd_pcm_uframes_t offset,
		  unsigned int channels, snd_pcm_format_t format, const int16_t *samples,
		  snd_pcm_uframes_t frames, enum mix_kind kind);

#pragma GCC visibility pop

#endif
