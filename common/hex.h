/* Hexadecimal text for bytes: call ids, hashes, certificate serials, keys. Written in lower
 * case (what every file and wire format of callrec carries); read in either case, so a hash
 * pasted from another tool or typed in capitals means the same bytes. */
#ifndef CALLREC_HEX_H
#define CALLREC_HEX_H

#include <stddef.h>
#include <stdint.h>

/* out[0..2n) = lower-case hex of p[0..n), then a NUL: out holds 2n + 1 bytes. */
void cr_hex_encode(const void *p, size_t n, char *out);

/* Exactly the first `len` characters of `hex` into out[0..len/2): len must be even and every
 * character a hex digit (either case). 0 or -EINVAL; out is unspecified on failure. Reading
 * stops at the first non-digit, so a shorter NUL-terminated string is safe to pass. */
int cr_hex_decode(const char *hex, size_t len, void *out);

/* A whole NUL-terminated string of exactly 2n hex digits into out[0..n). 0 or -EINVAL. */
int cr_hex_decode_str(const char *hex, void *out, size_t n);

#endif
