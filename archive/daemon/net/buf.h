/* Byte buffers for connections: allocated on demand and released when empty, so that an idle
 * connection costs no buffer memory (thousands of connections must fit in little memory). */
#ifndef CALLREC_ARCHIVED_NET_BUF_H
#define CALLREC_ARCHIVED_NET_BUF_H

#include <stddef.h>
#include <stdint.h>

struct ad_buf {
	uint8_t *data;
	size_t off; /* first unconsumed byte */
	size_t len; /* end of valid bytes */
	size_t cap;
};

static inline size_t ad_buf_used(const struct ad_buf *b) { return b->len - b->off; }
static inline const uint8_t *ad_buf_head(const struct ad_buf *b) { return b->data + b->off; }
static inline uint8_t *ad_buf_tail(struct ad_buf *b) { return b->data + b->len; }
static inline size_t ad_buf_room(const struct ad_buf *b) { return b->cap - b->len; }

/* Make room for at least `extra` more bytes (moving unconsumed bytes to the front first).
 * 0 or -ENOMEM. */
int ad_buf_reserve(struct ad_buf *b, size_t extra);
/* Append bytes; 0 or -ENOMEM. */
int ad_buf_append(struct ad_buf *b, const void *p, size_t n);
/* Append a frame: header then the body parts. 0 or -ENOMEM. */
int ad_buf_append_frame(struct ad_buf *b, uint8_t type, const void *p1, size_t n1,
			const void *p2, size_t n2);
/* Mark n bytes written into the tail (after ad_buf_reserve). */
static inline void ad_buf_commit(struct ad_buf *b, size_t n) { b->len += n; }
/* Drop n consumed bytes; the memory is released once the buffer is empty. */
void ad_buf_consume(struct ad_buf *b, size_t n);
void ad_buf_free(struct ad_buf *b);

#endif
