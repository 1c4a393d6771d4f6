/* callrec-archive operator verbs against a scripted archive: a TLS 1.3 server thread with
 * certificates from a freshly made PKI, speaking the frames of docs/design.md. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <gnutls/gnutls.h>
#include <jansson.h>

#include "../../archive/cli/conn.h"
#include "../../archive/cli/op_export.h"
#include "../../archive/cli/op_list.h"
#include "../../archive/cli/pki.h"
#include "../../archive/cli/pki_cert.h"
#include "frame.h"
#include "fsutil.h"
#include "tls.h"

static char top[128], pki[192];
static const char call_hex[] = "00112233445566778899aabbccddeeff";

enum script { LIST, EXPORT_OK, EXPORT_FAIL, REFUSE };

struct server {
	enum script script;
	const char *cert, *key; /* what the "archive" presents */
	int lfd;
	unsigned port;
	pthread_t thread;
	char request[512]; /* the OP_REQUEST JSON it received */
	int hello_role;
};

static int srv_send(gnutls_session_t s, uint8_t type, const void *body, size_t len)
{
	uint8_t hdr[CR_FRAME_HDR];

	cr_frame_put_hdr(hdr, type, (uint32_t)len);
	if (gnutls_record_send(s, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr))
		return -1;
	if (len && gnutls_record_send(s, body, len) != (ssize_t)len)
		return -1;
	return 0;
}

static int srv_send_str(gnutls_session_t s, uint8_t type, const char *text)
{
	return srv_send(s, type, text, strlen(text));
}

/* Read one frame into buf (static per thread use); returns type or -1. */
static int srv_recv(gnutls_session_t s, uint8_t *buf, size_t cap, struct cr_frame *f)
{
	size_t len = 0;

	for (;;) {
		long used = cr_frame_parse(buf, len, f);
		ssize_t n;

		if (used > 0)
			return f->type;
		if (used < 0 || len == cap)
			return -1;
		n = gnutls_record_recv(s, buf + len, cap - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
	}
}

static void *server_main(void *arg)
{
	struct server *sv = arg;
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_session_t s = NULL;
	char ca[256], cn[CR_NAME_MAX], ou[CR_NAME_MAX];
	uint8_t *buf = malloc(1 << 16), data[300];
	struct cr_frame f;
	int fd, rc;

	fd = accept(sv->lfd, NULL, NULL);
	if (fd < 0 || !buf)
		goto out;
	snprintf(ca, sizeof(ca), "%s/ca.pem", pki);
	if (cr_tls_creds_load(&cred, ca, sv->cert, sv->key, NULL) < 0 ||
	    gnutls_init(&s, GNUTLS_SERVER) < 0)
		goto out;
	gnutls_priority_set_direct(s, CR_TLS_PRIORITY, NULL);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
	gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
	gnutls_transport_set_int(s, fd);
	do {
		rc = gnutls_handshake(s);
	} while (rc == GNUTLS_E_INTERRUPTED || rc == GNUTLS_E_AGAIN);
	if (rc < 0 || cr_tls_peer_identity(s, NULL, cn, ou) < 0)
		goto out;
	if (srv_recv(s, buf, 1 << 16, &f) != CR_F_HELLO || f.length < 2)
		goto out;
	sv->hello_role = cr_get_u16(f.body);
	if (sv->script == REFUSE) {
		uint8_t err[64];
		const char *why = "operator not in roles.yaml";

		cr_put_u32(err, 13);
		memcpy(err + 4, why, strlen(why));
		srv_send(s, CR_F_ERROR, err, 4 + strlen(why));
		goto out;
	}
	snprintf((char *)data, sizeof(data), "{\"identity\":\"%s\",\"role\":\"admin\"}", cn);
	srv_send_str(s, CR_F_HELLO_OK, (char *)data);
	if (srv_recv(s, buf, 1 << 16, &f) != CR_F_OP_REQUEST)
		goto out;
	snprintf(sv->request, sizeof(sv->request), "%.*s", (int)f.length, (const char *)f.body);
	switch (sv->script) {
	case LIST:
		srv_send_str(s, CR_F_OP_REPLY,
			     "{\"id\":\"00112233445566778899aabbccddeeff\",\"device\":\"desk1\","
			     "\"user\":\"alice\",\"application\":\"baresip\",\"start\":"
			     "\"2026-11-23T10:00:00.123Z\",\"seconds\":12.5,\"state\":\"complete\"}");
		srv_send_str(s, CR_F_OP_REPLY,
			     "{\"id\":\"ffeeddccbbaa99887766554433221100\",\"device\":\"desk2\","
			     "\"user\":\"bob\",\"application\":\"linphone\",\"start\":"
			     "\"2026-11-23T11:00:00.000Z\",\"seconds\":3,\"state\":\"recording\"}");
		srv_send_str(s, CR_F_OP_END, "{\"status\":0}");
		break;
	case EXPORT_OK:
		data[0] = 0;
		memcpy(data + 1, "RIFF", 4);
		srv_send(s, CR_F_OP_DATA, data, 5);
		memcpy(data + 1, "-WAVE-", 6);
		srv_send(s, CR_F_OP_DATA, data, 7);
		data[0] = 1;
		memcpy(data + 1, "{\"m\":1}", 7);
		srv_send(s, CR_F_OP_DATA, data, 8);
		data[0] = 7; /* a stream this client does not know: skipped */
		srv_send(s, CR_F_OP_DATA, data, 8);
		srv_send_str(s, CR_F_OP_END, "{\"status\":0}");
		break;
	case EXPORT_FAIL:
		data[0] = 0;
		memcpy(data + 1, "RIFF", 4);
		srv_send(s, CR_F_OP_DATA, data, 5);
		srv_send_str(s, CR_F_OP_END, "{\"status\":13,\"error\":\"role may not export\"}");
		break;
	case REFUSE:
		break;
	}
out:
	if (s) {
		gnutls_bye(s, GNUTLS_SHUT_WR);
		gnutls_deinit(s);
	}
	if (cred)
		gnutls_certificate_free_credentials(cred);
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static char archive_cert[256], archive_key[256], device_cert[256], device_key[256];

static void server_start(struct server *sv, enum script script)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);

	memset(sv->request, 0, sizeof(sv->request));
	sv->script = script;
	if (!sv->cert) {
		sv->cert = archive_cert;
		sv->key = archive_key;
	}
	sv->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(sv->lfd >= 0);
	assert_int_equal(bind(sv->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(sv->lfd, 1), 0);
	assert_int_equal(getsockname(sv->lfd, (struct sockaddr *)&sa, &len), 0);
	sv->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&sv->thread, NULL, server_main, sv), 0);
}

static void server_join(struct server *sv)
{
	pthread_join(sv->thread, NULL);
	close(sv->lfd);
}

static int client_open(struct server *sv, const char *server_name, struct cra_conn *c)
{
	char addr[64], ca[256], cert[256], key[256];
	struct cra_conn_params p;

	snprintf(addr, sizeof(addr), "127.0.0.1:%u", sv->port);
	snprintf(ca, sizeof(ca), "%s/ca.pem", pki);
	snprintf(cert, sizeof(cert), "%s/operators/op1/operator.pem", pki);
	snprintf(key, sizeof(key), "%s/operators/op1/operator.key", pki);
	p = (struct cra_conn_params){ addr, (char *)server_name, ca, cert, key, 10 };
	return cra_conn_open(&p, c);
}

static void test_list_json(void **state)
{
	struct server sv = { 0 };
	struct cra_conn c;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	json_t *j;

	(void)state;
	server_start(&sv, LIST);
	assert_int_equal(client_open(&sv, "localhost", &c), 0);
	assert_string_equal(c.identity, "op1");
	assert_int_equal(cra_op_list(&c, 1, out), 0);
	cra_conn_close(&c);
	server_join(&sv);
	fclose(out);
	assert_int_equal(sv.hello_role, CR_ROLE_OPERATOR);
	assert_string_equal(sv.request, "{\"op\":\"list\"}");
	/* two lines, each a complete JSON object */
	assert_non_null(strchr(text, '\n'));
	j = json_loads(text, JSON_DISABLE_EOF_CHECK, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "device")), "desk1");
	json_decref(j);
	j = json_loads(strchr(text, '\n') + 1, JSON_DISABLE_EOF_CHECK, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "user")), "bob");
	json_decref(j);
	assert_int_equal(strchr(strchr(text, '\n') + 1, '\n')[1], '\0');
	free(text);
}

static void test_list_table(void **state)
{
	struct server sv = { 0 };
	struct cra_conn c;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	(void)state;
	server_start(&sv, LIST);
	assert_int_equal(client_open(&sv, "localhost", &c), 0);
	assert_int_equal(cra_op_list(&c, 0, out), 0);
	cra_conn_close(&c);
	server_join(&sv);
	fclose(out);
	assert_true(strncmp(text, "ID ", 3) == 0);
	assert_non_null(strstr(text, "APPLICATION"));
	assert_non_null(strstr(text, "00112233445566778899aabbccddeeff  2026-11-23T10:00:00.123Z  12.5"));
	assert_non_null(strstr(text, "linphone"));
	assert_non_null(strstr(text, "recording"));
	free(text);
}

static void read_file_str(const char *path, char *out, size_t cap)
{
	char *buf;
	size_t len;

	assert_int_equal(cr_read_file(path, cap - 1, &buf, &len), 0);
	memcpy(out, buf, len + 1);
	free(buf);
}

static int count_entries(const char *dir)
{
	char cmd[512];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	p = popen(cmd, "r");
	if (p) {
		if (fscanf(p, "%d", &n) != 1)
			n = -1;
		pclose(p);
	}
	return n;
}

static void test_export(void **state)
{
	struct server sv = { 0 };
	struct cra_conn c;
	char out[256], path[512], text[64];
	struct stat st;

	(void)state;
	snprintf(out, sizeof(out), "%s/export/new", top); /* created, with its parent */
	server_start(&sv, EXPORT_OK);
	assert_int_equal(client_open(&sv, "localhost", &c), 0);
	assert_int_equal(cra_op_export(&c, "00112233445566778899AABBCCDDEEFF", out), 0);
	cra_conn_close(&c);
	server_join(&sv);
	assert_string_equal(sv.request,
			    "{\"op\":\"export\",\"call\":\"00112233445566778899aabbccddeeff\"}");
	snprintf(path, sizeof(path), "%s/%s.wav", out, call_hex);
	read_file_str(path, text, sizeof(text));
	assert_string_equal(text, "RIFF-WAVE-");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 077, 0); /* recordings are private */
	snprintf(path, sizeof(path), "%s/%s.manifest.json", out, call_hex);
	read_file_str(path, text, sizeof(text));
	assert_string_equal(text, "{\"m\":1}");
	assert_int_equal(count_entries(out), 2); /* no temporary files left */
}

static void test_export_failure_leaves_nothing(void **state)
{
	struct server sv = { 0 };
	struct cra_conn c;
	char out[256];

	(void)state;
	snprintf(out, sizeof(out), "%s/export-fail", top);
	server_start(&sv, EXPORT_FAIL);
	assert_int_equal(client_open(&sv, "localhost", &c), 0);
	assert_int_equal(cra_op_export(&c, call_hex, out), -13);
	cra_conn_close(&c);
	server_join(&sv);
	assert_int_equal(count_entries(out), 0);
}

static void test_export_bad_id(void **state)
{
	struct cra_conn c = { .conn.fd = -1 };

	(void)state;
	/* refused before anything is sent or created */
	assert_int_equal(cra_op_export(&c, "../../etc/passwd", "/nonexistent/x"), -EINVAL);
	assert_int_equal(cra_op_export(&c, "0011", "/nonexistent/x"), -EINVAL);
}

static void test_archive_refuses(void **state)
{
	struct server sv = { 0 };
	struct cra_conn c;

	(void)state;
	server_start(&sv, REFUSE);
	assert_int_equal(client_open(&sv, "localhost", &c), -ECONNABORTED);
	server_join(&sv);
}

static void test_wrong_server_name(void **state)
{
	struct server sv = { 0 };
	struct cra_conn c;

	(void)state;
	server_start(&sv, LIST);
	assert_int_equal(client_open(&sv, "archive.example.org", &c), -EACCES);
	server_join(&sv);
}

static void test_server_with_device_cert(void **state)
{
	struct server sv = { .cert = device_cert, .key = device_key };
	struct cra_conn c;

	(void)state;
	/* From the fleet CA, for TLS servers, named localhost, but OU=device: not an archive. */
	server_start(&sv, LIST);
	assert_int_equal(client_open(&sv, "localhost", &c), -EACCES);
	server_join(&sv);
}

/* A server certificate with OU=device, signed by the fleet CA. */
static int make_wrong_ou_server(void)
{
	char ca[256], cakey[256];
	struct cra_issuer is;
	struct cra_cert_req req = { .kind = CRA_CERT_SERVER, .cn = "localhost", .ou = "device",
				    .days = 1, .dns = { "localhost" } };
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	gnutls_datum_t d;
	uint8_t serial[CRA_SERIAL_BYTES];
	int rc;

	snprintf(ca, sizeof(ca), "%s/ca.pem", pki);
	snprintf(cakey, sizeof(cakey), "%s/ca.key", pki);
	if (cra_issuer_load(ca, cakey, &is) || cra_key_new_ecdsa(&key) ||
	    cra_cert_new(&req, key, &is, &crt, serial))
		return -1;
	rc = cra_pem_cert(crt, &d);
	rc = rc ? rc : cr_write_atomic(top, "fake-device-server.pem", d.data, d.size, 0644);
	gnutls_free(d.data);
	rc = rc ? rc : cra_pem_key(key, &d);
	rc = rc ? rc : cr_write_atomic(top, "fake-device-server.key", d.data, d.size, 0600);
	gnutls_free(d.data);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	cra_issuer_free(&is);
	return rc;
}

static int setup(void **state)
{
	struct cra_pki_init_opts o = { NULL, NULL, NULL };

	(void)state;
	snprintf(top, sizeof(top), "/tmp/test_cli_ops.XXXXXX");
	if (!mkdtemp(top))
		return -1;
	snprintf(pki, sizeof(pki), "%s/pki", top);
	o.dir = pki;
	if (cra_pki_init(&o) || cra_pki_device(pki, "desk1") ||
	    cra_pki_operator(pki, "op1", "admin"))
		return -1;
	snprintf(archive_cert, sizeof(archive_cert), "%s/archive.pem", pki);
	snprintf(archive_key, sizeof(archive_key), "%s/archive.key", pki);
	snprintf(device_cert, sizeof(device_cert), "%s/fake-device-server.pem", top);
	snprintf(device_key, sizeof(device_key), "%s/fake-device-server.key", top);
	return make_wrong_ou_server();
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_json),
		cmocka_unit_test(test_list_table),
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_export_failure_leaves_nothing),
		cmocka_unit_test(test_export_bad_id),
		cmocka_unit_test(test_archive_refuses),
		cmocka_unit_test(test_wrong_server_name),
		cmocka_unit_test(test_server_with_device_cert),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
