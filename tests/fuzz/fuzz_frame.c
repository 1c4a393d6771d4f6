/* libFuzzer target: the frame parser and the chunk header decoder on arbitrary bytes, fed the
 * way a connection is: as a stream split at arbitrary points. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (off < size) {
		struct cr_frame f;
		long n = cr_frame_parse(data + off, size - off, &f);

		if (n <= 0)
			break;
		if (f.type == CR_F_CHUNK) {
			struct cr_chunk_hdr h;
			const uint8_t *audio;
			size_t audio_bytes;

			if (cr_chunk_hdr_decode(f.body, f.length, &h, &audio, &audio_bytes) == 0 &&
			    audio + audio_bytes > f.body + f.length)
				__builtin_trap();
		} else if (f.type == CR_F_CALL_OPEN || f.type == CR_F_ACK || f.type == CR_F_CALL_CLOSE) {
			uint8_t id[CR_CALL_ID_BYTES];
			uint64_t seq;

			(void)cr_idseq_decode(f.body, f.length, id, &seq);
		}
		if ((size_t)n > size - off)
			__builtin_trap();
		off += (size_t)n;
	}
	return 0;
}
