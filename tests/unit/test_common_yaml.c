/* YAML tree and schema-driven configuration reading: positions in diagnostics, limits,
 * unknown and missing keys, typed values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <cmocka.h>

#include "yamltree.h"

struct cfg {
	char *address, *ca, *name;
	unsigned long long chunk_ms, max_bytes, every_ms;
	int enabled;
};

static const struct cr_cfg_field archive_fields[] = {
	{ "address", CR_CFG_STRING, offsetof(struct cfg, address), 1, 0, 0, NULL },
	{ "ca", CR_CFG_PATH, offsetof(struct cfg, ca), 1, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL },
};
static const struct cr_cfg_field fields[] = {
	{ "archive", CR_CFG_MAP, 0, 1, 0, 0, archive_fields },
	{ "name", CR_CFG_STRING, offsetof(struct cfg, name), 0, 0, 0, NULL },
	{ "chunk_ms", CR_CFG_UINT, offsetof(struct cfg, chunk_ms), 0, 100, 10000, NULL },
	{ "max_bytes", CR_CFG_SIZE, offsetof(struct cfg, max_bytes), 0, 0, 0, NULL },
	{ "every", CR_CFG_DURATION_MS, offsetof(struct cfg, every_ms), 0, 0, 0, NULL },
	{ "enabled", CR_CFG_BOOL, offsetof(struct cfg, enabled), 0, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL },
};

static int read_text(const char *text, struct cfg *c, struct cr_diags *d)
{
	struct cr_ynode *root;
	int rc;

	memset(c, 0, sizeof(*c));
	cr_diags_init(d, "t.yaml");
	rc = cr_yaml_parse(text, strlen(text), &root, d);
	if (rc < 0)
		return rc;
	rc = cr_cfg_read(root, fields, c, "/etc/callrec", d);
	cr_yaml_free(root);
	return rc;
}

static void test_good_config(void **state)
{
	(void)state;
	struct cfg c;
	struct cr_diags d;

	assert_int_equal(read_text("archive:\n  address: 127.0.0.1:7443\n  ca: ca.pem\n"
				   "chunk_ms: 500\nmax_bytes: 2G\nevery: 1.5s\nenabled: yes\n",
				   &c, &d), 0);
	assert_string_equal(c.address, "127.0.0.1:7443");
	assert_string_equal(c.ca, "/etc/callrec/ca.pem"); /* relative to the file's directory */
	assert_int_equal(c.chunk_ms, 500);
	assert_int_equal(c.max_bytes, 2ull << 30);
	assert_int_equal(c.every_ms, 1500);
	assert_int_equal(c.enabled, 1);
	cr_cfg_free(fields, &c);
	assert_null(c.address);
}

static void test_errors_have_positions(void **state)
{
	(void)state;
	struct cfg c;
	struct cr_diags d;

	assert_int_equal(read_text("archive:\n  address: x\n  ca: y\nchunkms: 5\nchunk_ms: 5\n"
				   "every: 5 parsecs\n", &c, &d), -EINVAL);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.items[0].line, 4); /* unknown key */
	assert_int_equal(d.items[0].col, 1);
	assert_non_null(strstr(d.items[0].msg, "unknown key 'chunkms'"));
	assert_int_equal(d.items[1].line, 5); /* out of range */
	assert_int_equal(d.items[1].col, 11);
	assert_int_equal(d.items[2].line, 6); /* bad duration */
	cr_cfg_free(fields, &c);

	assert_int_equal(read_text("name: x\n", &c, &d), -EINVAL);
	assert_non_null(strstr(d.items[0].msg, "missing required key 'archive'"));
	cr_cfg_free(fields, &c);

	assert_int_equal(read_text("archive: [1, 2]\n", &c, &d), -EINVAL);
	assert_int_equal(d.items[0].line, 1);
	assert_int_equal(d.items[0].col, 10);
	cr_cfg_free(fields, &c);
}

static void test_syntax_and_limits(void **state)
{
	(void)state;
	struct cr_ynode *root;
	struct cr_diags d;
	char *deep;
	int i;

	cr_diags_init(&d, "t.yaml");
	assert_int_equal(cr_yaml_parse("a: [1, 2\n", 9, &root, &d), -EINVAL);
	assert_true(d.n >= 1);
	assert_true(d.items[0].line >= 1);

	cr_diags_init(&d, "t.yaml");
	assert_int_equal(cr_yaml_parse("", 0, &root, &d), -EINVAL);

	cr_diags_init(&d, "t.yaml");
	assert_int_equal(cr_yaml_parse("a: &x 1\nb: *x\n", 14, &root, &d), -EINVAL);
	assert_non_null(strstr(d.items[0].msg, "aliases"));

	cr_diags_init(&d, "t.yaml");
	assert_int_equal(cr_yaml_parse("a: 1\na: 2\n", 10, &root, &d), -EINVAL);
	assert_non_null(strstr(d.items[0].msg, "duplicate key"));

	deep = malloc(200);
	for (i = 0; i < 40; i++)
		deep[i] = '[';
	for (i = 40; i < 80; i++)
		deep[i] = ']';
	cr_diags_init(&d, "t.yaml");
	assert_int_equal(cr_yaml_parse(deep, 80, &root, &d), -EINVAL);
	assert_non_null(strstr(d.items[0].msg, "nesting"));
	free(deep);
}

static void test_load_missing_file(void **state)
{
	(void)state;
	struct cfg c = { 0 };
	struct cr_diags d;

	cr_diags_init(&d, "/nonexistent/agent.yaml");
	assert_int_equal(cr_cfg_load("/nonexistent/agent.yaml", fields, &c, &d), -ENOENT);
	assert_int_equal(d.n, 1);
}

/* The one loader: the file's text comes back with the tree when asked for, a syntax error
 * is reported at its line and column, an unreadable file as the file's problem. */
static void test_yaml_load(void **state)
{
	(void)state;
	char path[] = "/tmp/callrec-yaml-XXXXXX";
	static const char good[] = "a: 1\nb: [x, y]\n", bad[] = "a: 1\nb: [x\n";
	struct cr_ynode *root = NULL;
	struct cr_diags d;
	char *text = NULL;
	size_t len = 0;
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(good, f);
	fclose(f);
	cr_diags_init(&d, path);
	assert_int_equal(cr_yaml_load(path, &root, &text, &len, &d), 0);
	assert_int_equal(len, strlen(good));
	assert_string_equal(text, good);
	assert_string_equal(cr_ymap_get(root, "a")->value, "1");
	assert_int_equal(cr_ymap_get(root, "b")->line, 2);
	cr_yaml_free(root);
	free(text);

	f = fopen(path, "w");
	fputs(bad, f);
	fclose(f);
	cr_diags_init(&d, path);
	text = (char *)"untouched";
	assert_int_equal(cr_yaml_load(path, &root, &text, &len, &d), -EINVAL);
	assert_null(root);
	assert_null(text);
	assert_true(d.n >= 1);
	assert_true(d.items[0].line >= 2);
	assert_true(d.items[0].col >= 1);
	unlink(path);

	cr_diags_init(&d, path);
	assert_int_equal(cr_yaml_load(path, &root, NULL, NULL, &d), -ENOENT);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.items[0].line, 0);
	assert_non_null(strstr(d.items[0].msg, "cannot read"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_config),
		cmocka_unit_test(test_errors_have_positions),
		cmocka_unit_test(test_syntax_and_limits),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_yaml_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
