/* The HTTP Range header (RFC 9110, 14.1.2), as the browser's audio element sends it to seek:
 * one byte range of a resource whose size is known. I/O-free, fuzzed. */
#ifndef CALLREC_CONSOLE_RANGE_H
#define CALLREC_CONSOLE_RANGE_H

#include <stdint.h>

/* header: the Range header's value (NULL when absent); size: the resource's length.
 * 1: send bytes [*first, *last] (206); 0: send the whole resource (200: no header, another
 * unit, several ranges or a malformed value, all of which the RFC lets a server ignore);
 * -ERANGE: no byte of the range exists (416). */
int console_range_parse(const char *header, uint64_t size, uint64_t *first, uint64_t *last);

#endif
