/* One operator request and its answer: OP_REPLY objects, OP_DATA streams, and the OP_END
 * object (status, error, and whatever else the archive put there). */
#ifndef CALLREC_ARCHIVE_OP_REQUEST_H
#define CALLREC_ARCHIVE_OP_REQUEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"

/* Called for each OP_DATA piece; non-zero stops (returned as the result). */
typedef int (*cra_data_fn)(void *arg, uint8_t stream, const uint8_t *data, size_t len);

struct cra_answer {
	json_t *replies; /* array of OP_REPLY objects */
	json_t *end;     /* the OP_END object */
	int status;      /* OP_END status */
	char error[256];
};

/* Send `req` (not consumed) and read until OP_END. 0 when the exchange completed (look at
 * a->status), or a negative errno (reported). Release with cra_answer_free(). */
int cra_request(struct cra_conn *c, json_t *req, cra_data_fn data, void *arg,
		struct cra_answer *a);
void cra_answer_free(struct cra_answer *a);

/* OP_DATA bytes gathered in memory (the audit log, a bundle's checkpoint). */
struct cra_buf {
	char *p;  /* NUL-terminated; NULL while empty */
	size_t n;
};
int cra_buf_add(struct cra_buf *b, const uint8_t *data, size_t len);
/* A cra_data_fn: OP_DATA stream 0 into the struct cra_buf at arg (the audit log). */
int cra_buf_stream0(void *arg, uint8_t stream, const uint8_t *data, size_t len);

#endif
