/* Byte copies for the audio path. */
#ifndef CALLREC_COPY_H
#define CALLREC_COPY_H

#include <stddef.h>

/* Plugin internals: not exported from the .so loaded into every audio application. */
#pragma GCC visibility push(hidden)

/* Copies `n` bytes from `src` to both `dst1` and `dst2` in one pass: each block of samples is
 * loaded once and stored twice. A recorded stream needs the audio in the slave's buffer and in
 * the ring; two memcpy calls would read it twice and, with glibc's `rep movsb`, cost as many
 * instructions as bytes per copy. None of the three buffers may overlap. */
void copy_twice(void *restrict dst1, void *restrict dst2, const void *restrict src, size_t n);

#pragma GCC visibility pop

#endif
