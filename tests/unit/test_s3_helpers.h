/* For the S3 client's unit tests: a loopback listener that records the requests the client
 * sends and answers each with a canned response (no S3 logic: the real service is tested in
 * tests/integration/s3_objectlock.sh), and an independent Signature Version 4 check that
 * rebuilds the canonical request from the bytes received, the way an S3 server does
 * (decoding, re-encoding and sorting the query), and recomputes the signature. */
#ifndef CALLREC_TEST_S3_HELPERS_H
#define CALLREC_TEST_S3_HELPERS_H

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#define CAP_MAX 16

struct canned {
	const char *head; /* status line and headers, CRLF-separated, no final empty line */
	const char *body; /* NULL: none; Content-Length is added unless head has one */
	int stall_ms;     /* wait this long before answering */
};

struct captured {
	char *raw;        /* request line and headers, NUL-terminated */
	char *body;
	size_t body_len;
};

struct capture {
	int lfd, port;
	pthread_t thread;
	const struct canned *replies;
	int n_replies, served, accepts;
	struct captured req[CAP_MAX];
};

static inline ssize_t cap_read_request(int fd, struct captured *out)
{
	size_t cap = 65536, len = 0, head_len, body_len = 0;
	char *buf = malloc(cap), *end, *cl;
	ssize_t n;

	for (;;) {
		if (len > 4 && (end = memmem(buf, len, "\r\n\r\n", 4)))
			break;
		if (len == cap)
			return -1;
		n = recv(fd, buf + len, cap - len, 0);
		if (n <= 0) {
			free(buf);
			return n;
		}
		len += (size_t)n;
	}
	head_len = (size_t)(end - buf) + 4;
	end[2] = '\0';
	cl = strcasestr(buf, "\r\ncontent-length:");
	if (cl)
		body_len = strtoul(cl + 17, NULL, 10);
	while (len < head_len + body_len) {
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
		}
		n = recv(fd, buf + len, cap - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	out->raw = strdup(buf);
	out->body = malloc(body_len + 1);
	memcpy(out->body, buf + head_len, body_len);
	out->body[body_len] = '\0';
	out->body_len = body_len;
	free(buf);
	return 1;
}

static inline void *cap_thread(void *arg)
{
	struct capture *c = arg;

	while (c->served < c->n_replies) {
		int fd = accept(c->lfd, NULL, NULL);

		if (fd < 0)
			break;
		c->accepts++;
		while (c->served < c->n_replies) {
			const struct canned *r = &c->replies[c->served];
			char head[2048];

			if (cap_read_request(fd, &c->req[c->served]) <= 0)
				break;
			if (r->stall_ms)
				usleep((useconds_t)r->stall_ms * 1000);
			if (strcasestr(r->head, "content-length") || !r->body)
				snprintf(head, sizeof(head), "%s\r\n\r\n", r->head);
			else
				snprintf(head, sizeof(head), "%s\r\nContent-Length: %zu\r\n\r\n", r->head,
					 strlen(r->body));
			c->served++;
			if (send(fd, head, strlen(head), MSG_NOSIGNAL) < 0 ||
			    (r->body && send(fd, r->body, strlen(r->body), MSG_NOSIGNAL) < 0))
				break;
		}
		close(fd);
	}
	return NULL;
}

/* Starts a listener on 127.0.0.1 answering the n replies in order. */
static inline void cap_start(struct capture *c, const struct canned *replies, int n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);

	memset(c, 0, sizeof(*c));
	c->replies = replies;
	c->n_replies = n;
	c->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->lfd < 0 || bind(c->lfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(c->lfd, 4) < 0 || getsockname(c->lfd, (struct sockaddr *)&a, &alen) < 0)
		abort();
	c->port = ntohs(a.sin_port);
	if (pthread_create(&c->thread, NULL, cap_thread, c) != 0)
		abort();
}

/* Waits for the listener to have answered everything, closes it. */
static inline void cap_stop(struct capture *c)
{
	shutdown(c->lfd, SHUT_RDWR);
	pthread_join(c->thread, NULL);
	close(c->lfd);
}

static inline void cap_free(struct capture *c)
{
	for (int i = 0; i < CAP_MAX; i++) {
		free(c->req[i].raw);
		free(c->req[i].body);
	}
}

/* The value of header name in a captured request ("" if absent), trimmed, into out. */
static inline const char *cap_header(const struct captured *r, const char *name, char *out, size_t size)
{
	size_t nlen = strlen(name);
	const char *line = strstr(r->raw, "\r\n");

	out[0] = '\0';
	while (line && line[2]) {
		const char *start = line + 2, *eol = strstr(start, "\r\n");

		if (!eol)
			break;
		if ((size_t)(eol - start) > nlen && start[nlen] == ':' &&
		    strncasecmp(start, name, nlen) == 0) {
			const char *v = start + nlen + 1;
			size_t len;

			while (*v == ' ' || *v == '\t')
				v++;
			len = (size_t)(eol - v);
			while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
				len--;
			if (len >= size)
				len = size - 1;
			memcpy(out, v, len);
			out[len] = '\0';
			return out;
		}
		line = eol;
	}
	return out;
}

/* --- Signature Version 4, as a server checks it ------------------------------------------- */

static inline void sig_hex(const unsigned char *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static inline void sig_hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
	if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, klen, msg, strlen(msg), out) < 0)
		abort();
}

static inline size_t sig_decode(const char *in, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (in[i] == '%' && i + 2 < len && isxdigit((unsigned char)in[i + 1]) &&
		    isxdigit((unsigned char)in[i + 2])) {
			char h[3] = { in[i + 1], in[i + 2], 0 };

			out[o++] = (char)strtol(h, NULL, 16);
			i += 2;
		} else {
			out[o++] = in[i];
		}
	}
	out[o] = '\0';
	return o;
}

static inline void sig_encode(const char *in, size_t len, bool keep_slash, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~' ||
		    (keep_slash && ch == '/'))
			out[o++] = (char)ch;
		else
			o += (size_t)sprintf(out + o, "%%%02X", ch);
	}
	out[o] = '\0';
}

struct sig_pair {
	char name[512], value[4096];
};

static inline int sig_pair_cmp(const void *a, const void *b)
{
	const struct sig_pair *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->value, y->value);
}

static inline void sig_append(char *out, size_t size, const char *s)
{
	size_t used = strlen(out), n = strlen(s);

	if (used + n >= size)
		n = size - used - 1;
	memcpy(out + used, s, n);
	out[used + n] = '\0';
}

/* The canonical query a server derives from the query as received. */
static inline void sig_server_query(const char *q, char *out, size_t size)
{
	static struct sig_pair p[16];
	char dec[4096];
	int n = 0;

	out[0] = '\0';
	while (q && *q && n < 16) {
		const char *amp = strchr(q, '&'), *end = amp ? amp : q + strlen(q);
		const char *eq = memchr(q, '=', (size_t)(end - q));
		size_t dl;

		dl = sig_decode(q, (size_t)((eq ? eq : end) - q), dec);
		sig_encode(dec, dl, false, p[n].name);
		if (eq) {
			dl = sig_decode(eq + 1, (size_t)(end - eq - 1), dec);
			sig_encode(dec, dl, false, p[n].value);
		} else {
			p[n].value[0] = '\0';
		}
		n++;
		q = amp ? amp + 1 : NULL;
	}
	qsort(p, (size_t)n, sizeof(p[0]), sig_pair_cmp);
	for (int i = 0; i < n; i++) {
		if (i)
			sig_append(out, size, "&");
		sig_append(out, size, p[i].name);
		sig_append(out, size, "=");
		sig_append(out, size, p[i].value);
	}
}

/* The signature a server expects for the captured request, given the secret key; fills the
 * one the request carries into got. Both are 64 hex digits. */
static inline void sig_check(const struct captured *r, const char *secret, char want[65], char got[65])
{
	static char creq[32768], cquery[16384], cpath[8192], target[8192], dec[8192];
	char auth[1024], date[64], scope[256], signed_h[512], line[1024], value[1024];
	char method[16], hash_hex[65], sts[1024];
	unsigned char k[32], k2[32], digest[32];
	char *cred, *sh, *sig, *qm, *p;
	char keybuf[256];

	sscanf(r->raw, "%15s %8191s", method, target);
	cap_header(r, "authorization", auth, sizeof(auth));
	cap_header(r, "x-amz-date", date, sizeof(date));
	cred = strstr(auth, "Credential=");
	sh = strstr(auth, "SignedHeaders=");
	sig = strstr(auth, "Signature=");
	got[0] = want[0] = '\0';
	if (!cred || !sh || !sig)
		return;
	snprintf(got, 65, "%.64s", sig + 10);
	/* scope: DATE/REGION/SERVICE/aws4_request, after the access key */
	p = strchr(cred, '/');
	snprintf(scope, sizeof(scope), "%.*s", (int)strcspn(p + 1, ", "), p + 1);
	snprintf(signed_h, sizeof(signed_h), "%.*s", (int)strcspn(sh + 14, ", "), sh + 14);

	qm = strchr(target, '?');
	if (qm)
		*qm = '\0';
	sig_encode(dec, sig_decode(target, strlen(target), dec), true, cpath);
	sig_server_query(qm ? qm + 1 : NULL, cquery, sizeof(cquery));
	snprintf(creq, sizeof(creq), "%s\n%s\n%s\n", method, cpath, cquery);
	for (char *h = signed_h; *h;) {
		size_t hl = strcspn(h, ";");

		snprintf(line, sizeof(line), "%.*s", (int)hl, h);
		cap_header(r, line, value, sizeof(value));
		sprintf(creq + strlen(creq), "%s:%s\n", line, value);
		h += hl + (h[hl] == ';');
	}
	cap_header(r, "x-amz-content-sha256", value, sizeof(value));
	sprintf(creq + strlen(creq), "\n%s\n%s", signed_h, value);

	gnutls_hash_fast(GNUTLS_DIG_SHA256, creq, strlen(creq), digest);
	sig_hex(digest, 32, hash_hex);
	snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256\n%s\n%s\n%s", date, scope, hash_hex);

	/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" secret, date), region), service), "aws4_request") */
	snprintf(keybuf, sizeof(keybuf), "AWS4%s", secret);
	char part[64];
	const char *s = scope;
	unsigned char *cur = (unsigned char *)keybuf;
	size_t curlen = strlen(keybuf);
	for (int i = 0; i < 4; i++) {
		size_t pl = strcspn(s, "/");

		snprintf(part, sizeof(part), "%.*s", (int)pl, s);
		sig_hmac(cur, curlen, part, i % 2 ? k2 : k);
		cur = i % 2 ? k2 : k;
		curlen = 32;
		s += pl + (s[pl] == '/');
	}
	sig_hmac(cur, 32, sts, digest);
	sig_hex(digest, 32, want);
}

#endif
