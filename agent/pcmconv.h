/* Conversion of one ring record's interleaved frames to mono float (channel average).
 *
 * The agent only needs a speech-quality mono signal per direction, so every supported sample
 * format is decoded to float in [-1, 1) and the channels are averaged. The record comes from
 * another process: callers pass sizes they have validated against their own mapping, and this
 * code only checks that format, channel count and frame size agree. */
#ifndef CALLREC_AGENT_PCMCONV_H
#define CALLREC_AGENT_PCMCONV_H

#include <stddef.h>
#include <stdint.h>

/* Bytes per frame of `channels` channels in `format` (an snd_pcm_format_t value), or 0 when
 * the format is not one the agent decodes. */
uint32_t cr_pcm_frame_bytes(int format, unsigned channels);

/* Decode `frames` frames at `in` (frame_bytes each) into out[0..frames). Returns 0, or
 * -ENOTSUP for a format the agent does not decode, or -EPROTO when frame_bytes does not match
 * format and channels. */
int cr_pcm_to_mono(int format, unsigned channels, uint32_t frame_bytes, const void *in,
		   size_t frames, float *out);

#endif
