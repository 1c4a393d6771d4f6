/* Connection byte buffers. See buf.h. */
#include "net/buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

int ad_buf_reserve(struct ad_buf *b, size_t extra)
{
	size_t used = ad_buf_used(b);
	size_t want;
	uint8_t *p;

	if (b->cap - b->len >= extra)
		return 0;
	if (b->off && b->cap - used >= extra) {
		memmove(b->data, b->data + b->off, used);
		b->off = 0;
		b->len = used;
		return 0;
	}
	want = b->cap ? b->cap : 4096;
	while (want < used + extra)
		want *= 2;
	if (b->off) {
		memmove(b->data, b->data + b->off, used);
		b->off = 0;
		b->len = used;
	}
	p = realloc(b->data, want);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = want;
	return 0;
}

int ad_buf_append(struct ad_buf *b, const void *p, size_t n)
{
	int r = ad_buf_reserve(b, n);

	if (r < 0)
		return r;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int ad_buf_append_frame(struct ad_buf *b, uint8_t type, const void *p1, size_t n1,
			const void *p2, size_t n2)
{
	uint8_t hdr[CR_FRAME_HDR];
	int r;

	if (n1 + n2 > CR_FRAME_MAX_BODY)
		return -EMSGSIZE;
	r = ad_buf_reserve(b, sizeof(hdr) + n1 + n2);
	if (r < 0)
		return r;
	cr_frame_put_hdr(hdr, type, (uint32_t)(n1 + n2));
	ad_buf_append(b, hdr, sizeof(hdr));
	ad_buf_append(b, p1, n1);
	ad_buf_append(b, p2, n2);
	return 0;
}

void ad_buf_consume(struct ad_buf *b, size_t n)
{
	b->off += n;
	if (b->off >= b->len)
		ad_buf_free(b);
}

void ad_buf_free(struct ad_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->off = b->len = b->cap = 0;
}
