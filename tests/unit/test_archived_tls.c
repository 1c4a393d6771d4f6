/* callrec-archived over real sockets and TLS 1.3: the server runs its event loop in a thread
 * with a throwaway PKI made by certtool; clients are the common client connection, used
 * blocking. Covers a whole
 * call with large frames (partial reads), operator list and export (partial writes), many
 * concurrent connections in one group commit, and misbehaving clients that must not disturb
 * the others. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "net/server.h"
#include "log.h"
#include "tls_client.h"
#include "test_archived_helpers.h"

static char *pki;  /* certificates */
static char *data; /* archive data directory */
static struct ad_config cfg;
static struct ad_roles roles;
static struct ad_server *srv;
static pthread_t server_thread;
static int port;

static void sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0) {
		fprintf(stderr, "# failed: %s\n", cmd);
		abort();
	}
}

/* A certificate NAME signed by the CA with subject CN=cn, OU=ou. */
static void make_cert(const char *name, const char *cn, const char *ou, const char *extra)
{
	sh("cd %s && printf 'cn = \"%s\"\\nunit = \"%s\"\\nexpiration_days = 30\\nsigning_key\\n%s' "
	   ">%s.tmpl && certtool --generate-privkey --key-type=ecdsa --outfile %s.key 2>/dev/null "
	   "&& certtool --generate-certificate --load-privkey %s.key --load-ca-certificate ca.pem "
	   "--load-ca-privkey ca.key --template %s.tmpl --outfile %s.pem >/dev/null 2>&1",
	   pki, cn, ou, extra, name, name, name, name, name);
}

static char *path_in(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	return p;
}

static void *run_server(void *arg)
{
	(void)arg;
	ad_server_run(srv);
	return NULL;
}

static int group_setup(void **state)
{
	(void)state;
	cr_log_init("test_archived_tls", 0);
	pki = t_tmpdir();
	data = t_tmpdir();
	sh("cd %s && certtool --generate-privkey --key-type=ecdsa --outfile ca.key 2>/dev/null && "
	   "printf 'cn = \"test CA\"\\nca\\ncert_signing_key\\ncrl_signing_key\\n"
	   "expiration_days = 30\\n' >ca.tmpl && certtool --generate-self-signed --load-privkey "
	   "ca.key --template ca.tmpl --outfile ca.pem >/dev/null 2>&1", pki);
	make_cert("archive", "localhost", "archive",
		  "dns_name = localhost\\nip_address = 127.0.0.1\\ntls_www_server\\n");
	make_cert("desk1", "desk1", "device", "tls_www_client\\n");
	make_cert("desk2", "desk2", "device", "tls_www_client\\n");
	make_cert("op1", "op1", "operator", "tls_www_client\\n");
	memset(&cfg, 0, sizeof(cfg));
	cfg.listen = strdup("127.0.0.1:0");
	strcpy(cfg.host, "127.0.0.1");
	strcpy(cfg.port, "0");
	cfg.ca = path_in(pki, "ca.pem");
	cfg.cert = path_in(pki, "archive.pem");
	cfg.key = path_in(pki, "archive.key");
	roles.n = 1;
	roles.names = calloc(2, sizeof(char *));
	roles.roles = calloc(2, sizeof(char *));
	roles.names[0] = strdup("op1");
	roles.roles[0] = strdup("admin");
	cfg.data = strdup(data);
	if (ad_server_new(&cfg, "test", &roles, &srv) < 0)
		return -1;
	port = atoi(strrchr(ad_server_address(srv), ':') + 1);
	/* The server thread blocks SIGTERM for itself and reads it from its signalfd. */
	return pthread_create(&server_thread, NULL, run_server, NULL);
}

static int group_teardown(void **state)
{
	(void)state;
	pthread_kill(server_thread, SIGTERM);
	pthread_join(server_thread, NULL);
	ad_server_free(srv);
	free(cfg.data);
	ad_roles_free(&roles);
	free(cfg.listen);
	free(cfg.ca);
	free(cfg.cert);
	free(cfg.key);
	t_rmrf(pki);
	t_rmrf(data);
	free(pki);
	free(data);
	return 0;
}

/* --- a blocking client ------------------------------------------------------------------ */

struct client {
	struct cr_tls_client tc;
	struct cr_conn conn;
	uint8_t type;
	const uint8_t *body;
	uint32_t blen;
};

/* Connect with certificate NAME (NULL: none). 0 when the handshake completed. */
static int client_open(struct client *c, const char *name)
{
	char *cert = NULL, *key = NULL, *ca = path_in(pki, "ca.pem"), portstr[8];
	int rc;

	memset(c, 0, sizeof(*c));
	cr_conn_init(&c->conn);
	if (name && (asprintf(&cert, "%s/%s.pem", pki, name) < 0 ||
		     asprintf(&key, "%s/%s.key", pki, name) < 0))
		abort();
	assert_int_equal(cr_tls_client_init(&c->tc, ca, cert, key, "", NULL), 0);
	c->tc.verify = 0; /* the archive under test is not what is being checked here */
	snprintf(portstr, sizeof(portstr), "%d", port);
	rc = cr_conn_open(&c->conn, &c->tc, "127.0.0.1", portstr, NULL, 5000);
	free(cert);
	free(key);
	free(ca);
	return rc < 0 ? -1 : 0;
}

static void client_close(struct client *c)
{
	cr_conn_close(&c->conn, 0);
	cr_tls_client_free(&c->tc);
}

static int client_send(struct client *c, uint8_t type, const void *body, size_t len)
{
	return cr_conn_send_frame(&c->conn, type, body, len, 5000) < 0 ? -1 : 0;
}

/* Next frame into c->type/body/blen. 0, or -1 on close, error or 5 s without a frame. */
static int client_recv(struct client *c)
{
	struct cr_frame f;

	if (cr_conn_recv_frame(&c->conn, &f, 5000) < 0)
		return -1;
	c->type = f.type;
	c->body = f.body;
	c->blen = f.length;
	return 0;
}

static void client_hello(struct client *c, uint16_t role)
{
	uint8_t b[2];

	cr_put_u16(b, role);
	assert_int_equal(client_send(c, CR_F_HELLO, b, 2), 0);
}

/* Expect an ACK with this status (seq returned). */
static uint64_t expect_ack(struct client *c, uint32_t status)
{
	uint8_t id[CR_CALL_ID_BYTES];
	uint64_t seq;

	assert_int_equal(client_recv(c), 0);
	assert_int_equal(c->type, CR_F_ACK);
	assert_int_equal(cr_idseq_decode(c->body, c->blen, id, &seq), 0);
	assert_int_equal(cr_get_u32(c->body + CR_IDSEQ_WIRE), status);
	return seq;
}

/* Send a whole call: open, n chunks of `frames`, close. */
static void send_call(struct client *c, const uint8_t id[CR_CALL_ID_BYTES], int n,
		      uint32_t frames)
{
	static struct t_body b;
	uint8_t prev[CR_HASH_BYTES], h[CR_HASH_BYTES];
	char close_json[64];

	t_open_body(id, T_META, &b, prev);
	assert_int_equal(client_send(c, CR_F_CALL_OPEN, b.b, b.len), 0);
	for (int i = 1; i <= n; i++) {
		t_chunk_body(id, (uint64_t)i, (uint64_t)(i - 1) * frames, frames, (int16_t)(i * 100),
			     prev, &b, h);
		assert_int_equal(client_send(c, CR_F_CHUNK, b.b, b.len), 0);
		memcpy(prev, h, sizeof(prev));
	}
	snprintf(close_json, sizeof(close_json), "{\"end\":\"e\",\"frames\":%u}", n * frames);
	t_close_body(id, (uint64_t)n + 1, close_json, &b);
	assert_int_equal(client_send(c, CR_F_CALL_CLOSE, b.b, b.len), 0);
}

/* --- tests ------------------------------------------------------------------------------ */

static void test_call_list_export(void **state)
{
	struct client dev, op;
	uint8_t id[CR_CALL_ID_BYTES];
	uint64_t seen = 0;
	size_t wav = 0, manifest_len = 0;
	char hex[33], req[128], *manifest = calloc(1, 65536);
	json_t *j;
	int found = 0;

	(void)state;
	assert_int_equal(client_open(&dev, "desk1"), 0);
	client_hello(&dev, CR_ROLE_DEVICE);
	assert_int_equal(client_recv(&dev), 0);
	assert_int_equal(dev.type, CR_F_HELLO_OK);
	j = json_loadb((const char *)dev.body, dev.blen, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "identity")), "desk1");
	json_decref(j);
	t_id(id, 0x11);
	send_call(&dev, id, 3, 16000); /* 64 KB chunks: several TLS records each */
	for (int i = 0; i < 5; i++)
		seen |= 1ull << expect_ack(&dev, CR_ACK_OK);
	assert_int_equal(seen, 0x1f);
	client_close(&dev);

	assert_int_equal(client_open(&op, "op1"), 0);
	client_hello(&op, CR_ROLE_OPERATOR);
	assert_int_equal(client_recv(&op), 0);
	assert_int_equal(op.type, CR_F_HELLO_OK);
	cr_id_to_hex(id, hex);
	/* The recording is written by the assembler thread soon after the close's ACK. */
	for (int tries = 0; found != 2 && tries < 100; tries++) {
		if (tries)
			usleep(50000);
		found = 0;
		assert_int_equal(client_send(&op, CR_F_OP_REQUEST, "{\"op\":\"list\"}", 13), 0);
		for (;;) {
			assert_int_equal(client_recv(&op), 0);
			if (op.type == CR_F_OP_END)
				break;
			assert_int_equal(op.type, CR_F_OP_REPLY);
			j = json_loadb((const char *)op.body, op.blen, 0, NULL);
			if (strcmp(json_string_value(json_object_get(j, "id")), hex) == 0)
				found = strcmp(json_string_value(json_object_get(j, "state")),
					       "complete") == 0 ? 2 : 1;
			json_decref(j);
		}
	}
	assert_int_equal(found, 2);
	snprintf(req, sizeof(req), "{\"op\":\"export\",\"call\":\"%s\"}", hex);
	assert_int_equal(client_send(&op, CR_F_OP_REQUEST, req, strlen(req)), 0);
	for (;;) {
		assert_int_equal(client_recv(&op), 0);
		if (op.type != CR_F_OP_DATA)
			break;
		if (op.body[0] == 0) {
			wav += op.blen - 1;
		} else {
			assert_true(manifest_len + op.blen < 65536);
			memcpy(manifest + manifest_len, op.body + 1, op.blen - 1);
			manifest_len += op.blen - 1;
		}
	}
	assert_int_equal(op.type, CR_F_OP_END);
	assert_int_equal(wav, 44 + 3 * 16000 * 4);
	j = json_loads(manifest, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "id")), hex);
	assert_int_equal(json_array_size(json_object_get(j, "chunks")), 3);
	json_decref(j);
	free(manifest);
	client_close(&op);
}

#define NCLIENTS 64

static void test_many_connections(void **state)
{
	static struct client c[NCLIENTS];
	uint8_t id[CR_CALL_ID_BYTES];

	(void)state;
	for (int i = 0; i < NCLIENTS; i++) {
		assert_int_equal(client_open(&c[i], i % 2 ? "desk1" : "desk2"), 0);
		client_hello(&c[i], CR_ROLE_DEVICE);
	}
	/* Everyone sends a whole call before anyone reads: the archive interleaves them. */
	for (int i = 0; i < NCLIENTS; i++) {
		t_id(id, (uint8_t)(0x40 + i));
		send_call(&c[i], id, 2, 1600);
	}
	for (int i = 0; i < NCLIENTS; i++) {
		uint64_t seen = 0;

		assert_int_equal(client_recv(&c[i]), 0);
		assert_int_equal(c[i].type, CR_F_HELLO_OK);
		for (int k = 0; k < 4; k++)
			seen |= 1ull << expect_ack(&c[i], CR_ACK_OK);
		assert_int_equal(seen, 0xf);
		client_close(&c[i]);
	}
}

static void test_misbehaving_clients_isolated(void **state)
{
	struct client good, garbage, nocert, big, poser, thief;
	uint8_t id[CR_CALL_ID_BYTES], hdr[CR_FRAME_HDR];
	static struct t_body b;
	uint8_t oh[CR_HASH_BYTES];

	(void)state;
	assert_int_equal(client_open(&good, "desk1"), 0);
	client_hello(&good, CR_ROLE_DEVICE);
	assert_int_equal(client_recv(&good), 0);
	assert_int_equal(good.type, CR_F_HELLO_OK);

	/* No certificate: the handshake may look fine to the client, but nothing is answered. */
	if (client_open(&nocert, NULL) == 0) {
		uint8_t role[2];

		/* The send itself may fail: the archive may have closed the connection already. */
		cr_put_u16(role, CR_ROLE_DEVICE);
		client_send(&nocert, CR_F_HELLO, role, sizeof(role));
		assert_int_equal(client_recv(&nocert), -1);
	}
	client_close(&nocert);

	/* Garbage instead of a frame: that connection is closed. */
	assert_int_equal(client_open(&garbage, "desk2"), 0);
	cr_conn_write(&garbage.conn, "GET / HTTP/1.0\r\n\r\n", 18);
	assert_int_equal(client_recv(&garbage), -1);
	client_close(&garbage);

	/* An oversized frame header: closed without reading the body. */
	assert_int_equal(client_open(&big, "desk2"), 0);
	client_hello(&big, CR_ROLE_DEVICE);
	assert_int_equal(client_recv(&big), 0);
	cr_frame_put_hdr(hdr, CR_F_CHUNK, CR_FRAME_MAX_BODY + 1);
	cr_conn_write(&big.conn, hdr, sizeof(hdr));
	assert_int_equal(client_recv(&big), -1);
	client_close(&big);

	/* An operator certificate posing as a device: ERROR, never an ACK. */
	assert_int_equal(client_open(&poser, "op1"), 0);
	client_hello(&poser, CR_ROLE_DEVICE);
	t_id(id, 0x22);
	t_open_body(id, T_META, &b, oh);
	client_send(&poser, CR_F_CALL_OPEN, b.b, b.len);
	assert_int_equal(client_recv(&poser), 0);
	assert_int_equal(poser.type, CR_F_ERROR);
	assert_int_equal(client_recv(&poser), -1);
	client_close(&poser);

	/* The good device is unaffected and owns its call ... */
	assert_int_equal(client_send(&good, CR_F_CALL_OPEN, b.b, b.len), 0);
	assert_int_equal(expect_ack(&good, CR_ACK_OK), 0);
	/* ... which another device cannot touch. */
	assert_int_equal(client_open(&thief, "desk2"), 0);
	client_hello(&thief, CR_ROLE_DEVICE);
	assert_int_equal(client_recv(&thief), 0);
	t_chunk_body(id, 1, 0, 160, 1, oh, &b, NULL);
	assert_int_equal(client_send(&thief, CR_F_CHUNK, b.b, b.len), 0);
	assert_int_equal(expect_ack(&thief, CR_ACK_FORBIDDEN), 1);
	client_close(&thief);
	assert_int_equal(client_send(&good, CR_F_CHUNK, b.b, b.len), 0);
	assert_int_equal(expect_ack(&good, CR_ACK_OK), 1);
	client_close(&good);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_call_list_export),
		cmocka_unit_test(test_many_connections),
		cmocka_unit_test(test_misbehaving_clients_isolated),
	};
	return cmocka_run_group_tests_name("archived_tls", tests, group_setup, group_teardown);
}
