/* The client connection every program uses to reach the archive, against a scripted TLS 1.3
 * server thread (GnuTLS, certificates made by certtool): frames both ways, a frame larger than
 * the first receive buffer, writes that outrun a server that is not reading (the record GnuTLS
 * holds after EAGAIN), the server check (name, OU), a silent server (timeout), a refused port,
 * and session resumption with a TLS 1.3 ticket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "frame.h"
#include "log.h"
#include "tls_client.h"

static char pki[] = "/tmp/test_common_tls_client.XXXXXX";
static gnutls_datum_t ticket_key;

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

/* A certificate NAME signed by the test CA with subject CN=cn, OU=ou. */
static void make_cert(const char *name, const char *cn, const char *ou, const char *extra)
{
	sh("cd %s && printf 'cn = \"%s\"\\nunit = \"%s\"\\nexpiration_days = 30\\nsigning_key\\n%s' "
	   ">%s.tmpl && certtool --generate-privkey --key-type=ecdsa --outfile %s.key 2>/dev/null "
	   "&& certtool --generate-certificate --load-privkey %s.key --load-ca-certificate ca.pem "
	   "--load-ca-privkey ca.key --template %s.tmpl --outfile %s.pem >/dev/null 2>&1",
	   pki, cn, ou, extra, name, name, name, name, name);
}

static void path(char *out, size_t n, const char *name, const char *ext)
{
	snprintf(out, n, "%s/%s.%s", pki, name, ext);
}

/* --- the scripted server -------------------------------------------------------------------- */

enum script {
	ECHO,   /* answer every frame with the same frame, until the client closes */
	BIG,    /* send one frame of the largest body, then echo */
	STALL,  /* read nothing for a while (the client's writes back up), then echo */
	SILENT, /* accept the TCP connection, never speak TLS */
};

struct server {
	enum script script;
	const char *name; /* its certificate: "archive" or "notarchive" */
	int lfd, port, connections;
	pthread_t thread;
	int resumed; /* connections that resumed a session */
};

static int srv_send(gnutls_session_t s, uint8_t type, const uint8_t *body, size_t len)
{
	uint8_t hdr[CR_FRAME_HDR];

	cr_frame_put_hdr(hdr, type, (uint32_t)len);
	gnutls_record_cork(s);
	gnutls_record_send(s, hdr, sizeof(hdr));
	if (len)
		gnutls_record_send(s, body, len);
	return gnutls_record_uncork(s, GNUTLS_RECORD_WAIT) < 0 ? -1 : 0;
}

static void serve_one(struct server *sv, int fd, gnutls_certificate_credentials_t cred)
{
	static uint8_t buf[2 * (CR_FRAME_HDR + CR_FRAME_MAX_BODY)];
	size_t have = 0;
	gnutls_session_t s;
	int rc;

	if (sv->script == SILENT) {
		poll(NULL, 0, 3000);
		return;
	}
	gnutls_init(&s, GNUTLS_SERVER);
	gnutls_priority_set_direct(s, CR_TLS_PRIORITY, NULL);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
	gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
	gnutls_session_ticket_enable_server(s, &ticket_key);
	gnutls_transport_set_int(s, fd);
	do
		rc = gnutls_handshake(s);
	while (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED);
	if (rc < 0)
		goto out;
	sv->resumed += gnutls_session_is_resumed(s) != 0;
	if (sv->script == BIG) {
		uint8_t *body = malloc(CR_FRAME_MAX_BODY);

		for (size_t i = 0; i < CR_FRAME_MAX_BODY; i++)
			body[i] = (uint8_t)(i * 7 + 3);
		rc = srv_send(s, CR_F_OP_DATA, body, CR_FRAME_MAX_BODY);
		free(body);
		if (rc < 0)
			goto out;
	}
	if (sv->script == STALL)
		poll(NULL, 0, 300);
	for (;;) {
		struct cr_frame f;
		long used = cr_frame_parse(buf, have, &f);
		ssize_t n;

		if (used < 0)
			break;
		if (used > 0) {
			if (srv_send(s, f.type, f.body, f.length) < 0)
				break;
			memmove(buf, buf + used, have - (size_t)used);
			have -= (size_t)used;
			continue;
		}
		n = gnutls_record_recv(s, buf + have, sizeof(buf) - have);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	gnutls_bye(s, GNUTLS_SHUT_WR);
out:
	gnutls_deinit(s);
}

static void *server_main(void *arg)
{
	struct server *sv = arg;
	gnutls_certificate_credentials_t cred;
	char ca[512], cert[512], key[512];

	path(ca, sizeof(ca), "ca", "pem");
	path(cert, sizeof(cert), sv->name, "pem");
	path(key, sizeof(key), sv->name, "key");
	if (cr_tls_creds_load(&cred, ca, cert, key, NULL) < 0)
		return NULL;
	for (int i = 0; i < sv->connections; i++) {
		int fd = accept(sv->lfd, NULL, NULL);

		if (fd < 0)
			break;
		serve_one(sv, fd, cred);
		close(fd);
	}
	gnutls_certificate_free_credentials(cred);
	return NULL;
}

static void server_start(struct server *sv, enum script script, const char *name, int connections)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);

	sv->script = script;
	sv->name = name;
	sv->connections = connections;
	sv->resumed = 0;
	sv->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(sv->lfd >= 0);
	if (script == STALL) {
		int small = 16384; /* so that the client's writes back up soon */

		setsockopt(sv->lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	}
	assert_int_equal(bind(sv->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(sv->lfd, 4), 0);
	assert_int_equal(getsockname(sv->lfd, (struct sockaddr *)&sa, &len), 0);
	sv->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&sv->thread, NULL, server_main, sv), 0);
}

static void server_join(struct server *sv)
{
	pthread_join(sv->thread, NULL);
	close(sv->lfd);
}

/* --- the client ------------------------------------------------------------------------------ */

static void client_init(struct cr_tls_client *tc, const char *server_name)
{
	char ca[512], cert[512], key[512];

	path(ca, sizeof(ca), "ca", "pem");
	path(cert, sizeof(cert), "desk1", "pem");
	path(key, sizeof(key), "desk1", "key");
	assert_int_equal(cr_tls_client_init(tc, ca, cert, key, server_name, NULL), 0);
}

static int open_to(struct cr_conn *c, const struct cr_tls_client *tc, const struct server *sv,
		   const gnutls_datum_t *resume, int timeout_ms)
{
	char port[8];

	snprintf(port, sizeof(port), "%d", sv->port);
	return cr_conn_open(c, tc, "127.0.0.1", port, resume, timeout_ms);
}

static void test_frames_both_ways(void **state)
{
	struct cr_tls_client tc;
	struct server sv;
	struct cr_conn c;
	struct cr_frame f;
	uint8_t body[300];

	(void)state;
	client_init(&tc, "localhost");
	server_start(&sv, ECHO, "archive", 1);
	assert_int_equal(open_to(&c, &tc, &sv, NULL, 5000), 0);
	assert_int_equal(c.state, CR_CONN_OPEN);
	assert_string_equal(c.peer_cn, "localhost");
	assert_string_equal(c.peer_ou, CR_OU_ARCHIVE);
	for (int i = 0; i < 50; i++) {
		memset(body, i, sizeof(body));
		assert_int_equal(cr_conn_send_frame(&c, CR_F_HEARTBEAT, body, (size_t)i * 6, 5000), 0);
	}
	for (int i = 0; i < 50; i++) {
		assert_int_equal(cr_conn_recv_frame(&c, &f, 5000), 0);
		assert_int_equal(f.type, CR_F_HEARTBEAT);
		assert_int_equal(f.length, i * 6);
		for (uint32_t k = 0; k < f.length; k++)
			assert_int_equal(f.body[k], i);
	}
	cr_conn_close(&c, 1);
	server_join(&sv);
	cr_tls_client_free(&tc);
}

static void test_largest_frame(void **state)
{
	struct cr_tls_client tc;
	struct server sv;
	struct cr_conn c;
	struct cr_frame f;
	size_t bad = 0;

	(void)state;
	client_init(&tc, "localhost");
	server_start(&sv, BIG, "archive", 1);
	assert_int_equal(open_to(&c, &tc, &sv, NULL, 5000), 0);
	assert_int_equal(cr_conn_recv_frame(&c, &f, 5000), 0);
	assert_int_equal(f.type, CR_F_OP_DATA);
	assert_int_equal(f.length, CR_FRAME_MAX_BODY);
	for (size_t i = 0; i < CR_FRAME_MAX_BODY; i++)
		bad += f.body[i] != (uint8_t)(i * 7 + 3);
	assert_int_equal(bad, 0);
	cr_conn_close(&c, 1);
	server_join(&sv);
	cr_tls_client_free(&tc);
}

/* Non-blocking writes of framed bytes while the server does not read: some return -EAGAIN;
 * carrying on after each (same bytes, still in place) delivers every frame intact. */
static void test_writes_outrun_the_reader(void **state)
{
	enum { FRAMES = 64, BODY = 60000 };
	static uint8_t frame[CR_FRAME_HDR + BODY];
	struct cr_tls_client tc;
	struct server sv;
	struct cr_conn c;
	struct cr_frame f;
	int again = 0, got = 0;
	int64_t deadline;

	(void)state;
	client_init(&tc, "localhost");
	server_start(&sv, STALL, "archive", 1);
	assert_int_equal(open_to(&c, &tc, &sv, NULL, 5000), 0);
	setsockopt(c.fd, SOL_SOCKET, SO_SNDBUF, &(int){ 16384 }, sizeof(int));
	deadline = cr_now_ms() + 20000;
	for (int i = 0; i < FRAMES; i++) {
		size_t off = 0;

		cr_frame_put_hdr(frame, CR_F_HEARTBEAT, BODY);
		memset(frame + CR_FRAME_HDR, i, BODY);
		while (off < sizeof(frame)) {
			ssize_t n = cr_conn_write(&c, frame + off, sizeof(frame) - off);

			if (n == -EAGAIN) {
				again++;
				assert_int_equal(cr_conn_events(&c) & POLLOUT, POLLOUT);
				/* Drain the echoes meanwhile, or both sides' buffers fill up. */
				while (cr_conn_recv(&c, &f) == 1) {
					assert_int_equal(f.length, BODY);
					assert_int_equal(f.body[0], got);
					assert_int_equal(f.body[BODY - 1], got);
					got++;
				}
				assert_int_equal(cr_conn_wait(&c, POLLIN | POLLOUT, deadline), 0);
				continue;
			}
			assert_true(n > 0);
			off += (size_t)n;
		}
	}
	while (got < FRAMES) {
		assert_int_equal(cr_conn_recv_frame(&c, &f, 5000), 0);
		assert_int_equal(f.length, BODY);
		assert_int_equal(f.body[0], got);
		assert_int_equal(f.body[BODY - 1], got);
		got++;
	}
	print_message("# %d writes waited for the socket\n", again);
	assert_true(again > 0);
	cr_conn_close(&c, 1);
	server_join(&sv);
	cr_tls_client_free(&tc);
}

static void test_server_check(void **state)
{
	struct cr_tls_client tc;
	struct server sv;
	struct cr_conn c;

	(void)state;
	/* Another name than the certificate's. */
	client_init(&tc, "archive.example.org");
	server_start(&sv, ECHO, "archive", 1);
	assert_int_equal(open_to(&c, &tc, &sv, NULL, 5000), -EACCES);
	assert_non_null(strstr(c.why, "archive.example.org"));
	cr_conn_close(&c, 0);
	server_join(&sv);
	cr_tls_client_free(&tc);

	/* The fleet CA, the right name, but not an archive's certificate. */
	client_init(&tc, "localhost");
	server_start(&sv, ECHO, "notarchive", 1);
	assert_int_equal(open_to(&c, &tc, &sv, NULL, 5000), -EPERM);
	assert_string_equal(c.peer_ou, "device");
	cr_conn_close(&c, 0);
	server_join(&sv);

	/* The same server accepted when the OU is not asked for. */
	tc.peer_ou = NULL;
	server_start(&sv, ECHO, "notarchive", 1);
	assert_int_equal(open_to(&c, &tc, &sv, NULL, 5000), 0);
	cr_conn_close(&c, 1);
	server_join(&sv);
	cr_tls_client_free(&tc);
}

static void test_silent_server_times_out(void **state)
{
	struct cr_tls_client tc;
	struct server sv;
	struct cr_conn c;
	int64_t t0;

	(void)state;
	client_init(&tc, "localhost");
	server_start(&sv, SILENT, "archive", 1);
	t0 = cr_now_ms();
	assert_int_equal(open_to(&c, &tc, &sv, NULL, 500), -ETIMEDOUT);
	assert_in_range(cr_now_ms() - t0, 450, 2500);
	assert_int_equal(c.state, CR_CONN_HANDSHAKE);
	cr_conn_close(&c, 0);
	server_join(&sv);
	cr_tls_client_free(&tc);
}

static void test_refused_port(void **state)
{
	struct cr_tls_client tc;
	struct server sv;
	struct cr_conn c;

	(void)state;
	client_init(&tc, "localhost");
	/* A port that was just listening and is not any more. */
	server_start(&sv, SILENT, "archive", 0);
	server_join(&sv);
	assert_int_equal(open_to(&c, &tc, &sv, NULL, 2000), -ECONNREFUSED);
	assert_int_equal(c.state, CR_CONN_CONNECTING);
	cr_conn_close(&c, 0);
	assert_int_equal(cr_conn_start(&c, &tc, "no-such-host.invalid", "1", NULL), -EHOSTUNREACH);
	assert_int_equal(c.state, CR_CONN_CLOSED);
	assert_int_equal(c.fd, -1);
	cr_tls_client_free(&tc);
}

static void test_resumption(void **state)
{
	gnutls_datum_t saved = { NULL, 0 };
	struct cr_tls_client tc;
	struct server sv;
	struct cr_conn c;
	struct cr_frame f;

	(void)state;
	client_init(&tc, "localhost");
	server_start(&sv, ECHO, "archive", 2);
	/* First connection: a full handshake; the ticket is in by the server's first frame. */
	assert_int_equal(open_to(&c, &tc, &sv, &saved, 5000), 0);
	assert_false(cr_conn_resumed(&c));
	assert_int_equal(cr_conn_send_frame(&c, CR_F_HEARTBEAT, (const uint8_t *)"{}", 2, 5000), 0);
	assert_int_equal(cr_conn_recv_frame(&c, &f, 5000), 0);
	assert_int_equal(cr_conn_save_session(&c, &saved), 1);
	assert_non_null(saved.data);
	cr_conn_close(&c, 1);
	/* Second: offered, resumed. */
	assert_int_equal(open_to(&c, &tc, &sv, &saved, 5000), 0);
	assert_true(cr_conn_resumed(&c));
	assert_int_equal(cr_conn_send_frame(&c, CR_F_HEARTBEAT, (const uint8_t *)"{}", 2, 5000), 0);
	assert_int_equal(cr_conn_recv_frame(&c, &f, 5000), 0);
	cr_conn_close(&c, 1);
	server_join(&sv);
	assert_int_equal(sv.resumed, 1);
	gnutls_free(saved.data);
	cr_tls_client_free(&tc);
}

static int setup(void **state)
{
	(void)state;
	cr_log_init("test_common_tls_client", 0);
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(pki))
		return -1;
	sh("cd %s && certtool --generate-privkey --key-type=ecdsa --outfile ca.key 2>/dev/null && "
	   "printf 'cn = \"test CA\"\\nca\\ncert_signing_key\\ncrl_signing_key\\n"
	   "expiration_days = 30\\n' >ca.tmpl && certtool --generate-self-signed --load-privkey "
	   "ca.key --template ca.tmpl --outfile ca.pem >/dev/null 2>&1", pki);
	make_cert("archive", "localhost", "archive",
		  "dns_name = localhost\\nip_address = 127.0.0.1\\ntls_www_server\\n");
	make_cert("notarchive", "localhost", "device",
		  "dns_name = localhost\\nip_address = 127.0.0.1\\ntls_www_server\\n");
	make_cert("desk1", "desk1", "device", "tls_www_client\\n");
	return gnutls_session_ticket_key_generate(&ticket_key) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	gnutls_free(ticket_key.data);
	sh("rm -rf '%s'", pki);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames_both_ways),
		cmocka_unit_test(test_largest_frame),
		cmocka_unit_test(test_writes_outrun_the_reader),
		cmocka_unit_test(test_server_check),
		cmocka_unit_test(test_silent_server_times_out),
		cmocka_unit_test(test_refused_port),
		cmocka_unit_test(test_resumption),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
