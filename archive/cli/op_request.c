/* Generic operator request. See opreq.h. */
#include "op_request.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"

int cra_request(struct cra_conn *c, json_t *req, cra_data_fn data, void *arg,
		struct cra_answer *a)
{
	struct cr_frame f;
	int rc;

	memset(a, 0, sizeof(*a));
	a->replies = json_array();
	if (!a->replies)
		return -ENOMEM;
	rc = cra_conn_send_json(c, CR_F_OP_REQUEST, req);
	while (rc == 0) {
		rc = cra_conn_recv(c, &f);
		if (rc == -ECONNRESET)
			cra_error("the archive closed the connection before answering");
		if (rc < 0)
			break;
		if (f.type == CR_F_OP_END) {
			a->status = cra_op_end_status(&f, a->error, sizeof(a->error));
			a->end = json_loadb((const char *)f.body, f.length, 0, NULL);
			if (a->status < 0) {
				cra_error("malformed answer from the archive");
				rc = -EPROTO;
			}
			break;
		}
		if (f.type == CR_F_OP_REPLY) {
			json_t *o = json_loadb((const char *)f.body, f.length, 0, NULL);

			if (!json_is_object(o)) {
				json_decref(o);
				cra_error("the archive sent a reply that is not a JSON object");
				rc = -EPROTO;
				break;
			}
			json_array_append_new(a->replies, o);
			continue;
		}
		if (f.type == CR_F_OP_DATA && f.length >= 1) {
			if (data)
				rc = data(arg, f.body[0], f.body + 1, f.length - 1);
			continue;
		}
		cra_error("unexpected frame type 0x%02x", f.type);
		rc = -EPROTO;
	}
	return rc;
}

void cra_answer_free(struct cra_answer *a)
{
	json_decref(a->replies);
	json_decref(a->end);
	a->replies = a->end = NULL;
}

int cra_buf_add(struct cra_buf *b, const uint8_t *data, size_t len)
{
	char *p = realloc(b->p, b->n + len + 1);

	if (!p)
		return -ENOMEM;
	memcpy(p + b->n, data, len);
	b->n += len;
	p[b->n] = '\0';
	b->p = p;
	return 0;
}

int cra_buf_stream0(void *arg, uint8_t stream, const uint8_t *data, size_t len)
{
	return stream == 0 ? cra_buf_add(arg, data, len) : 0;
}
