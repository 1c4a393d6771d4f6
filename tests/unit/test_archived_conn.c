/* callrec-archived per-connection protocol, fed with bytes (no sockets, no TLS): HELLO and
 * roles, device frames to ACKs after the commit, refusals, malformed and oversized frames,
 * and operator list/export. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>

#include "net/conn.h"
#include "ops/request.h"
#include "record/assemble.h"
#include "log.h"
#include "test_archived_helpers.h"

struct fixture {
	char *dir;
	struct ad_store *s; /* a.store */
	struct ad_roles roles;
	struct ad_archive a;
	struct ad_conn c;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	cr_log_init("test", 0);
	f->dir = t_tmpdir();
	assert_int_equal(t_archive_open(&f->a, f->dir), 0);
	f->s = f->a.store;
	f->roles.n = 1;
	f->roles.names = calloc(2, sizeof(char *));
	f->roles.roles = calloc(2, sizeof(char *));
	f->roles.names[0] = strdup("op1");
	f->roles.roles[0] = strdup("admin");
	f->a.roles = &f->roles;
	ad_conn_init(&f->c);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ad_conn_release(&f->c);
	ad_archive_close(&f->a);
	ad_roles_free(&f->roles);
	t_rmrf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void feed(struct fixture *f, uint8_t type, const void *body, size_t len)
{
	assert_int_equal(ad_buf_append_frame(&f->c.rx, type, body, len, NULL, 0), 0);
}

static void hello(struct fixture *f, uint16_t role)
{
	uint8_t b[64];
	const char *j = "{\"software\":\"test-agent 1\"}";

	cr_put_u16(b, role);
	memcpy(b + 2, j, strlen(j));
	feed(f, CR_F_HELLO, b, 2 + strlen(j));
}

static void on_ack(void *arg, void *tag, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq,
		   int status)
{
	(void)arg;
	ad_conn_ack(tag, id, seq, status);
}

/* Take the next frame from tx; returns its type, body into *body (valid until next call). */
static int next_out(struct fixture *f, const uint8_t **body, uint32_t *len)
{
	static uint8_t copy[CR_FRAME_HDR + CR_FRAME_MAX_BODY];
	struct cr_frame fr;
	long n;

	if (!ad_buf_used(&f->c.tx))
		return -1;
	n = cr_frame_parse(ad_buf_head(&f->c.tx), ad_buf_used(&f->c.tx), &fr);
	assert_true(n > 0);
	memcpy(copy, fr.body, fr.length);
	*body = copy;
	*len = fr.length;
	ad_buf_consume(&f->c.tx, (size_t)n);
	return fr.type;
}

static json_t *next_json(struct fixture *f, int type)
{
	const uint8_t *b;
	uint32_t len;

	assert_int_equal(next_out(f, &b, &len), type);
	return json_loadb((const char *)b, len, 0, NULL);
}

static void expect_ack(struct fixture *f, uint64_t seq, uint32_t status)
{
	const uint8_t *b;
	uint32_t len;
	uint8_t id[CR_CALL_ID_BYTES];
	uint64_t got;

	assert_int_equal(next_out(f, &b, &len), CR_F_ACK);
	assert_int_equal(len, CR_IDSEQ_WIRE + 4);
	assert_int_equal(cr_idseq_decode(b, len, id, &got), 0);
	assert_int_equal(got, seq);
	assert_int_equal(cr_get_u32(b + CR_IDSEQ_WIRE), status);
}

static void test_device_session(void **state)
{
	struct fixture *f = *state;
	uint8_t id[CR_CALL_ID_BYTES], oh[CR_HASH_BYTES], h1[CR_HASH_BYTES];
	struct t_body b;
	json_t *j;

	assert_int_equal(ad_conn_set_identity(&f->c, "desk1", "device"), 0);
	hello(f, CR_ROLE_DEVICE);
	t_id(id, 3);
	t_open_body(id, T_META, &b, oh);
	feed(f, CR_F_CALL_OPEN, b.b, b.len);
	t_chunk_body(id, 1, 0, 1600, 7, oh, &b, h1);
	feed(f, CR_F_CHUNK, b.b, b.len);
	feed(f, CR_F_HEARTBEAT, "{\"state\":\"ok\"}", 14);
	assert_int_equal(ad_conn_process(&f->c, &f->a), 0);
	assert_int_equal(f->c.state, AD_CONN_DEVICE);
	j = next_json(f, CR_F_HELLO_OK);
	assert_string_equal(json_string_value(json_object_get(j, "identity")), "desk1");
	assert_string_equal(json_string_value(json_object_get(j, "role")), "device");
	json_decref(j);
	/* Nothing is acknowledged before the commit. */
	assert_int_equal(ad_buf_used(&f->c.tx), 0);
	assert_int_equal(ad_store_commit(f->s, on_ack, NULL), 0);
	expect_ack(f, 0, CR_ACK_OK);
	expect_ack(f, 1, CR_ACK_OK);
	assert_int_equal(ad_buf_used(&f->c.tx), 0);
	/* A frame split across reads is handled once complete. */
	t_close_body(id, 2, "{\"end\":\"z\",\"frames\":1600}", &b);
	assert_int_equal(ad_buf_append(&f->c.rx, "CR", 2), 0);
	assert_int_equal(ad_conn_process(&f->c, &f->a), 0);
	ad_buf_free(&f->c.rx);
	feed(f, CR_F_CALL_CLOSE, b.b, b.len);
	assert_int_equal(ad_conn_process(&f->c, &f->a), 0);
	assert_int_equal(ad_store_commit(f->s, on_ack, NULL), 0);
	expect_ack(f, 2, CR_ACK_OK);
}

static void test_role_mismatch_refused(void **state)
{
	struct fixture *f = *state;
	const uint8_t *b;
	uint32_t len;

	assert_int_equal(ad_conn_set_identity(&f->c, "desk1", "device"), 0);
	hello(f, CR_ROLE_OPERATOR);
	feed(f, CR_F_OP_REQUEST, "{\"op\":\"list\"}", 13);
	assert_int_equal(ad_conn_process(&f->c, &f->a), 0);
	assert_true(f->c.closing);
	assert_int_equal(next_out(f, &b, &len), CR_F_ERROR);
	assert_int_equal(cr_get_u32(b), EACCES);
	assert_int_equal(next_out(f, &b, &len), -1); /* the request was never answered */
}

static void test_unlisted_operator_refused(void **state)
{
	struct fixture *f = *state;
	const uint8_t *b;
	uint32_t len;

	assert_int_equal(ad_conn_set_identity(&f->c, "op2", "operator"), 0);
	hello(f, CR_ROLE_OPERATOR);
	assert_int_equal(ad_conn_process(&f->c, &f->a), 0);
	assert_true(f->c.closing);
	assert_int_equal(next_out(f, &b, &len), CR_F_ERROR);
}

static void test_bad_identity(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ad_conn_set_identity(&f->c, "desk1", "archive"), -EACCES);
	assert_int_equal(ad_conn_set_identity(&f->c, "../x", "device"), -EACCES);
	/* Without an identity nothing is parsed at all. */
	hello(f, CR_ROLE_DEVICE);
	assert_int_equal(ad_conn_process(&f->c, &f->a), 0);
	assert_int_equal(ad_buf_used(&f->c.tx), 0);
}

static void test_protocol_errors(void **state)
{
	struct fixture *f = *state;
	uint8_t hdr[CR_FRAME_HDR];

	assert_int_equal(ad_conn_set_identity(&f->c, "desk1", "device"), 0);
	/* First frame not HELLO. */
	feed(f, CR_F_HEARTBEAT, "{}", 2);
	assert_int_equal(ad_conn_process(&f->c, &f->a), -EPROTO);
	ad_buf_free(&f->c.rx);
	/* Garbage. */
	assert_int_equal(ad_buf_append(&f->c.rx, "GET / HTTP/1.1\r\n", 16), 0);
	assert_int_equal(ad_conn_process(&f->c, &f->a), -EPROTO);
	ad_buf_free(&f->c.rx);
	/* Oversized: refused from the header alone. */
	hello(f, CR_ROLE_DEVICE);
	cr_frame_put_hdr(hdr, CR_F_CHUNK, CR_FRAME_MAX_BODY + 1);
	assert_int_equal(ad_buf_append(&f->c.rx, hdr, sizeof(hdr)), 0);
	assert_int_equal(ad_conn_process(&f->c, &f->a), -EMSGSIZE);
	ad_buf_free(&f->c.rx);
	/* An operator frame from a device. */
	feed(f, CR_F_OP_REQUEST, "{\"op\":\"list\"}", 13);
	assert_int_equal(ad_conn_process(&f->c, &f->a), -EPROTO);
}

/* A complete call through a device connection, then an operator lists and exports it. */
static void test_operator_list_and_export(void **state)
{
	struct fixture *f = *state;
	uint8_t id[CR_CALL_ID_BYTES], oh[CR_HASH_BYTES], prev[CR_HASH_BYTES], h[CR_HASH_BYTES];
	struct ad_conn dev;
	struct t_body b;
	char hex[33], req[128];
	size_t wav = 0, manifest = 0;
	const uint8_t *body;
	uint32_t len;
	uint64_t seq;
	json_t *j;
	int type;

	ad_conn_init(&dev);
	assert_int_equal(ad_conn_set_identity(&dev, "desk1", "device"), 0);
	cr_put_u16(b.b, CR_ROLE_DEVICE);
	ad_buf_append_frame(&dev.rx, CR_F_HELLO, b.b, 2, NULL, 0);
	t_id(id, 4);
	t_open_body(id, T_META, &b, oh);
	ad_buf_append_frame(&dev.rx, CR_F_CALL_OPEN, b.b, b.len, NULL, 0);
	memcpy(prev, oh, sizeof(prev));
	for (seq = 1; seq <= 5; seq++) { /* 5 x 1 s: a WAV larger than one OP_DATA frame */
		t_chunk_body(id, seq, (seq - 1) * 16000, 16000, (int16_t)seq, prev, &b, h);
		ad_buf_append_frame(&dev.rx, CR_F_CHUNK, b.b, b.len, NULL, 0);
		memcpy(prev, h, sizeof(prev));
	}
	t_close_body(id, 6, "{\"end\":\"e\",\"frames\":80000}", &b);
	ad_buf_append_frame(&dev.rx, CR_F_CALL_CLOSE, b.b, b.len, NULL, 0);
	assert_int_equal(ad_conn_process(&dev, &f->a), 0);
	assert_int_equal(ad_store_commit(f->s, on_ack, NULL), 0);
	assert_int_equal(ad_assemble_closed(&f->a.mlog, f->s, NULL), 1);
	ad_conn_release(&dev);

	assert_int_equal(ad_conn_set_identity(&f->c, "op1", "operator"), 0);
	hello(f, CR_ROLE_OPERATOR);
	feed(f, CR_F_OP_REQUEST, "{\"op\":\"list\"}", 13);
	assert_int_equal(ad_conn_process(&f->c, &f->a), 0);
	j = next_json(f, CR_F_HELLO_OK);
	assert_string_equal(json_string_value(json_object_get(j, "role")), "operator");
	json_decref(j);
	j = next_json(f, CR_F_OP_REPLY);
	cr_id_to_hex(id, hex);
	assert_string_equal(json_string_value(json_object_get(j, "id")), hex);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "complete");
	assert_string_equal(json_string_value(json_object_get(j, "user")), "alice");
	assert_true(json_is_null(json_object_get(j, "purpose")));
	assert_true(json_is_object(json_object_get(j, "tags")));
	assert_true(json_is_array(json_object_get(j, "gaps")));
	assert_true(json_real_value(json_object_get(j, "seconds")) == 5.0);
	json_decref(j);
	j = next_json(f, CR_F_OP_END);
	assert_int_equal(json_integer_value(json_object_get(j, "status")), 0);
	json_decref(j);

	snprintf(req, sizeof(req), "{\"op\":\"export\",\"call\":\"%s\"}", hex);
	feed(f, CR_F_OP_REQUEST, req, strlen(req));
	assert_int_equal(ad_conn_process(&f->c, &f->a), 0);
	for (;;) {
		if (!ad_buf_used(&f->c.tx))
			assert_int_equal(ad_conn_pump(&f->c), 0);
		type = next_out(f, &body, &len);
		if (type != CR_F_OP_DATA)
			break;
		assert_true(len >= 2 && len <= AD_OP_DATA_MAX);
		if (body[0] == 0) {
			assert_int_equal(manifest, 0); /* the WAV comes first */
			if (wav == 0)
				assert_memory_equal(body + 1, "RIFF", 4);
			wav += len - 1;
		} else {
			assert_int_equal(body[0], 1);
			manifest += len - 1;
		}
	}
	assert_int_equal(type, CR_F_OP_END);
	assert_int_equal(wav, 44 + 80000 * 4);
	assert_true(manifest > 100);
	assert_null(f->c.exp);

	feed(f, CR_F_OP_REQUEST, "{\"op\":\"export\",\"call\":\"00000000000000000000000000000000\"}",
	     57);
	feed(f, CR_F_OP_REQUEST, "{\"op\":\"export\",\"call\":\"../../etc/passwd\"}", 41);
	assert_int_equal(ad_conn_process(&f->c, &f->a), 0);
	j = next_json(f, CR_F_OP_END);
	assert_int_equal(json_integer_value(json_object_get(j, "status")), 2);
	assert_string_equal(json_string_value(json_object_get(j, "error")), "no such call");
	json_decref(j);
	j = next_json(f, CR_F_OP_END);
	assert_int_equal(json_integer_value(json_object_get(j, "status")), 2);
	json_decref(j);
}

static void test_storage_failure_closes(void **state)
{
	struct fixture *f = *state;
	const uint8_t *b;
	uint32_t len;

	assert_int_equal(ad_conn_set_identity(&f->c, "desk1", "device"), 0);
	ad_conn_ack(&f->c, NULL, 0, -ENOSPC);
	assert_true(f->c.closing);
	assert_int_equal(next_out(f, &b, &len), CR_F_ERROR);
	assert_int_equal(cr_get_u32(b), ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_device_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_role_mismatch_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlisted_operator_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protocol_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_operator_list_and_export, setup, teardown),
		cmocka_unit_test_setup_teardown(test_storage_failure_closes, setup, teardown),
	};
	return cmocka_run_group_tests_name("archived_conn", tests, NULL, NULL);
}
