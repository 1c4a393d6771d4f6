/* Recordings in memory. See secbuf.h. */
#include "secbuf.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#define FIRST_CAP (256u * 1024u)

static int grow(struct console_buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : FIRST_CAP;
	void *p;

	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	if (b->p)
		p = mremap(b->p, b->cap, cap, MREMAP_MAYMOVE);
	else
		p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	/* mremap keeps the advice of the pages it moves; new pages need it too. */
	madvise(p, cap, MADV_DONTDUMP);
	b->p = p;
	b->cap = cap;
	return 0;
}

int console_buf_add(struct console_buf *b, const void *data, size_t n)
{
	int rc;

	if (n > SIZE_MAX - b->len)
		return -ENOMEM;
	if (b->len + n > b->cap && (rc = grow(b, b->len + n)) < 0)
		return rc;
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return 0;
}

void console_buf_wipe(struct console_buf *b)
{
	if (b->p) {
		explicit_bzero(b->p, b->len);
		munmap(b->p, b->cap);
	}
	b->p = NULL;
	b->len = b->cap = 0;
}
