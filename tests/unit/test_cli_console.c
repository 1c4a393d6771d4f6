/* The console's pieces that need no archive: HTTP ranges, the tar stream, search filters,
 * sign-in token and sessions, the loudness outline, and which files it serves. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <gnutls/gnutls.h>
#include <jansson.h>

#include "../../archive/cli/console/envelope.h"
#include "../../archive/cli/console/range.h"
#include "../../archive/cli/console/search.h"
#include "../../archive/cli/console/session.h"
#include "../../archive/cli/console/tar.h"
#include "../../archive/cli/console/webroot.h"
#include "fsutil.h"
#include "when.h"

static void test_range(void **state)
{
	(void)state;
	uint64_t a = 99, b = 99;

	assert_int_equal(console_range_parse(NULL, 1000, &a, &b), 0);
	assert_int_equal(console_range_parse("bytes=0-", 1000, &a, &b), 1);
	assert_true(a == 0 && b == 999);
	assert_int_equal(console_range_parse("bytes=100-199", 1000, &a, &b), 1);
	assert_true(a == 100 && b == 199);
	assert_int_equal(console_range_parse("bytes=900-5000", 1000, &a, &b), 1);
	assert_true(a == 900 && b == 999);
	assert_int_equal(console_range_parse("bytes=-100", 1000, &a, &b), 1);
	assert_true(a == 900 && b == 999);
	assert_int_equal(console_range_parse("bytes=-5000", 1000, &a, &b), 1);
	assert_true(a == 0 && b == 999);
	assert_int_equal(console_range_parse(" Bytes=5-6 ", 1000, &a, &b), 1);
	assert_true(a == 5 && b == 6);
	/* Beyond the end: 416. */
	assert_int_equal(console_range_parse("bytes=1000-", 1000, &a, &b), -ERANGE);
	assert_int_equal(console_range_parse("bytes=-0", 1000, &a, &b), -ERANGE);
	assert_int_equal(console_range_parse("bytes=0-", 0, &a, &b), -ERANGE);
	/* What a server may ignore: the whole resource. */
	const char *ignored[] = { "bytes=5-3", "bytes=0-1,5-9", "items=0-1", "bytes=", "bytes=-",
				  "bytes=a-b", "bytes 0-1", "bytes=5 - 6", "bytes=99999999999999999999999-" };
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		assert_int_equal(console_range_parse(ignored[i], 1000, &a, &b), 0);
}

/* more(): a third file, once. */
static int tar_more(void *arg, struct console_tar *t)
{
	int *calls = arg;

	if ((*calls)++ == 0)
		return console_tar_add(t, "dir/late.txt", "late", 4);
	return 0;
}

static unsigned header_sum(const uint8_t *h)
{
	unsigned sum = 0;

	for (int i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	return sum;
}

static void test_tar(void **state)
{
	(void)state;
	static uint8_t big[1300];
	struct console_tar t;
	uint8_t out[8192], piece[7];
	size_t len = 0;
	ssize_t n;
	int calls = 0;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	console_tar_init(&t, 1700000000, tar_more, &calls);
	assert_int_equal(console_tar_add(&t, "dir/a.bin", big, sizeof(big)), 0);
	assert_int_equal(console_tar_add(&t, "dir/empty", "", 0), 0);
	/* Read in odd pieces: the archive must not depend on the reader's buffer size. */
	while ((n = console_tar_read(&t, piece, sizeof(piece))) > 0) {
		assert_true(len + (size_t)n <= sizeof(out));
		memcpy(out + len, piece, (size_t)n);
		len += (size_t)n;
	}
	assert_int_equal(n, 0);
	assert_int_equal(calls, 2);
	/* a.bin: header, 1300 bytes padded to 1536; empty: a header; late.txt: header + 512;
	 * two closing blocks. */
	assert_int_equal(len, 512 + 1536 + 512 + 512 + 512 + 1024);
	assert_string_equal((char *)out, "dir/a.bin");
	assert_memory_equal(out + 257, "ustar", 6);
	assert_int_equal(strtoul((char *)out + 124, NULL, 8), 1300);
	assert_int_equal(strtoul((char *)out + 148, NULL, 8), header_sum(out));
	assert_int_equal(strtoul((char *)out + 136, NULL, 8), 1700000000);
	assert_memory_equal(out + 512, big, sizeof(big));
	assert_int_equal(out[512 + 1300], 0);
	assert_string_equal((char *)out + 2048, "dir/empty");
	assert_string_equal((char *)out + 2560, "dir/late.txt");
	assert_memory_equal(out + 3072, "late", 4);
	for (size_t i = len - 1024; i < len; i++)
		assert_int_equal(out[i], 0);
	/* The size of an archive without more(). */
	console_tar_init(&t, 0, NULL, NULL);
	console_tar_add(&t, "x", big, 1);
	assert_int_equal(console_tar_size(&t), 512 + 512 + 1024);
	/* Limits. */
	char name[120];
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(console_tar_add(&t, name, big, 1), -ENAMETOOLONG);
	assert_int_equal(console_tar_header(out, "x", 1ULL << 34, 0), -EFBIG);
}

struct test_params {
	const char *const *kv; /* name, value, ..., NULL */
};

static const char *param(void *arg, const char *name)
{
	const struct test_params *p = arg;

	for (size_t i = 0; p->kv[i]; i += 2)
		if (strcmp(p->kv[i], name) == 0)
			return p->kv[i + 1];
	return NULL;
}

#define T0 1796283960000LL /* 2026-12-03T07:46:00Z */

static void test_search(void **state)
{
	(void)state;
	const char *const kv[] = { "from", "2026-12-03T08:45", "to", "2026-12-03T08:47", "tz",
				   "+01:00", "party", "20123", "purpose", "contract", "state",
				   "complete", NULL };
	struct test_params p = { kv };
	struct console_search s;
	char why[256];
	json_t *call = json_pack("{ss ss ss s{ss}}", "start", "2026-12-03T07:46:00.462Z", "user",
				 "alice", "purpose", "contract", "tags", "remote", "+31201234567");

	assert_int_equal(console_search_parse(param, &p, T0, &s, why, sizeof(why)), 0);
	/* To the archive: its own filters, and the period a second wider on each side. */
	assert_string_equal(json_string_value(json_object_get(s.archive, "purpose")), "contract");
	assert_string_equal(json_string_value(json_object_get(s.archive, "state")), "complete");
	assert_string_equal(json_string_value(json_object_get(s.archive, "from")),
			    "2026-12-03T07:44:59.000Z");
	assert_string_equal(json_string_value(json_object_get(s.archive, "to")),
			    "2026-12-03T07:47:01.000Z");
	assert_null(json_object_get(s.archive, "party"));
	/* Here: the times exactly, and the party. */
	assert_true(console_search_match(&s, call));
	json_object_set_new(call, "start", json_string("2026-12-03T07:47:00.000Z"));
	assert_false(console_search_match(&s, call)); /* "to" is excluded */
	json_object_set_new(call, "start", json_string("2026-12-03T07:46:59.999Z"));
	assert_true(console_search_match(&s, call));
	json_object_set_new(json_object_get(call, "tags"), "remote", json_string("+4930123"));
	assert_false(console_search_match(&s, call));
	json_object_set_new(call, "user", json_string("Bob-20123"));
	assert_true(console_search_match(&s, call)); /* the local user is a party too */
	console_search_free(&s);
	json_decref(call);

	const char *const bad[][4] = {
		{ "from", "2026-13-01", NULL, NULL }, { "tz", "Mars/Olympus", NULL, NULL },
		{ "state", "bogus", NULL, NULL },     { "tag", "remote", NULL, NULL },
		{ "from", "7m", NULL, NULL },         { "from", "today", "to", "yesterday" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *const kv2[] = { bad[i][0], bad[i][1], bad[i][2], bad[i][3], NULL };
		struct test_params p2 = { kv2 };

		why[0] = '\0';
		assert_int_equal(console_search_parse(param, &p2, T0, &s, why, sizeof(why)), -EINVAL);
		assert_true(strlen(why) > 10);
		console_search_free(&s);
	}
}

static void test_sessions(void **state)
{
	(void)state;
	struct console_sessions ss;
	char token[CONSOLE_SECRET_LEN + 1], sid[CONSOLE_SECRET_LEN + 1], csrf[CONSOLE_SECRET_LEN + 1];
	char first[CONSOLE_SECRET_LEN + 1], other[CONSOLE_SECRET_LEN + 1];

	console_sessions_init(&ss);
	assert_int_equal(console_token_redeem(&ss, "", 0, sid), -EACCES); /* no token yet */
	assert_int_equal(console_token_new(&ss, token), 0);
	assert_int_equal(strlen(token), CONSOLE_SECRET_LEN);
	memcpy(other, token, sizeof(other));
	other[5] ^= 1;
	assert_int_equal(console_token_redeem(&ss, other, 0, sid), -EACCES);
	assert_int_equal(console_token_redeem(&ss, token, 1000, sid), 0);
	assert_int_equal(console_token_redeem(&ss, token, 1000, sid), -EACCES); /* once only */
	assert_int_equal(console_session_get(&ss, sid, 2000, csrf), 0);
	assert_false(console_secret_equal(sid, csrf));
	assert_false(console_secret_equal(sid, token));
	assert_int_equal(console_session_get(&ss, other, 2000, csrf), -ENOENT);
	assert_int_equal(console_session_get(&ss, NULL, 2000, csrf), -ENOENT);
	/* Idle too long: gone. */
	assert_int_equal(console_session_get(&ss, sid, 2000 + CONSOLE_SESSION_IDLE_MS + 1, csrf),
			 -ENOENT);
	/* More sessions than slots: the least recently used makes room. */
	memcpy(first, "", 1);
	for (int i = 0; i <= CONSOLE_MAX_SESSIONS; i++) {
		assert_int_equal(console_token_new(&ss, token), 0);
		assert_int_equal(console_token_redeem(&ss, token, 10000 + i, sid), 0);
		if (i == 0)
			memcpy(first, sid, sizeof(first));
	}
	assert_int_equal(console_session_get(&ss, first, 20000, csrf), -ENOENT);
	assert_int_equal(console_session_get(&ss, sid, 20000, csrf), 0);
	console_session_end(&ss, sid);
	assert_int_equal(console_session_get(&ss, sid, 20000, csrf), -ENOENT);
	assert_false(console_secret_equal("short", "short"));
	console_sessions_free(&ss);
}

static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, unsigned v) { put16(p, v & 0xffff); put16(p + 2, v >> 16); }

static void test_envelope(void **state)
{
	(void)state;
	enum { FRAMES = 400 };
	uint8_t wav[44 + FRAMES * 4];
	json_t *env, *peaks;

	memcpy(wav, "RIFF", 4);
	put32(wav + 4, sizeof(wav) - 8);
	memcpy(wav + 8, "WAVEfmt ", 8);
	put32(wav + 16, 16);
	put16(wav + 20, 1);
	put16(wav + 22, 2);
	put32(wav + 24, 16000);
	put32(wav + 28, 16000 * 4);
	put16(wav + 32, 4);
	put16(wav + 34, 16);
	memcpy(wav + 36, "data", 4);
	put32(wav + 40, FRAMES * 4);
	/* Channel 1: half scale in the first half, silent after; channel 2: the opposite, full. */
	for (int i = 0; i < FRAMES; i++) {
		put16(wav + 44 + 4 * i, i < FRAMES / 2 ? (unsigned)(uint16_t)-16384 : 0);
		put16(wav + 46 + 4 * i, i < FRAMES / 2 ? 0 : 32767);
	}
	env = console_envelope(wav, sizeof(wav), 4);
	assert_non_null(env);
	assert_int_equal(json_integer_value(json_object_get(env, "frames")), FRAMES);
	assert_int_equal(json_integer_value(json_object_get(env, "rate")), 16000);
	peaks = json_object_get(env, "peaks");
	assert_int_equal(json_array_size(peaks), 2);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(peaks, 0), 0)), 500);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(peaks, 0), 3)), 0);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(peaks, 1), 0)), 0);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(peaks, 1), 3)), 1000);
	json_decref(env);
	assert_null(console_envelope((const uint8_t *)"not audio at all", 16, 4));
	assert_null(console_envelope(wav, sizeof(wav), 0));
}

static void test_webroot(void **state)
{
	(void)state;
	char dir[] = "/tmp/callrec-webroot.XXXXXX";
	const char *names[] = { "index.html", "app.js", "Bad.js", "notes.txt", "a.b.css", ".hidden.js" };
	struct console_webroot w;
	const struct console_file *f;

	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_int_equal(cr_write_atomic(dir, names[i], "x", 1, 0644), 0);
	assert_int_equal(console_webroot_load(&w, dir), 0);
	assert_int_equal(w.n, 2); /* index.html and app.js only */
	f = console_webroot_get(&w, "/");
	assert_non_null(f);
	assert_string_equal(f->name, "index.html");
	assert_string_equal(f->type, "text/html; charset=utf-8");
	assert_non_null(console_webroot_get(&w, "/app.js"));
	assert_null(console_webroot_get(&w, "/notes.txt"));
	assert_null(console_webroot_get(&w, "/../index.html"));
	assert_null(console_webroot_get(&w, "index.html"));
	console_webroot_free(&w);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		cr_unlink_durable(dir, names[i]);
	unlink(dir);
	rmdir(dir);
	/* A folder without the console's pages is refused. */
	assert_true(console_webroot_load(&w, "/") < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range),    cmocka_unit_test(test_tar),
		cmocka_unit_test(test_search),   cmocka_unit_test(test_sessions),
		cmocka_unit_test(test_envelope), cmocka_unit_test(test_webroot),
	};
	int rc;

	gnutls_global_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	gnutls_global_deinit();
	return rc;
}
