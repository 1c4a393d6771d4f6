/* Ring memory for unit tests: page-aligned and zeroed, as the agent's mmap gives it (the ring
 * header's fields are 64-byte aligned; calloc's 16 bytes make UBSan object). A size rounded up
 * to the alignment, as aligned_alloc wants; free() it. */
#ifndef CALLREC_TEST_RING_MEM_H
#define CALLREC_TEST_RING_MEM_H

#include <stdlib.h>
#include <string.h>

#include "ring.h"

static inline void *test_ring_mem(size_t bytes)
{
	size_t n = (bytes + CR_RING_HDR_BYTES - 1) / CR_RING_HDR_BYTES * CR_RING_HDR_BYTES;
	void *p = aligned_alloc(CR_RING_HDR_BYTES, n);

	if (p)
		memset(p, 0, n);
	return p;
}

#endif
