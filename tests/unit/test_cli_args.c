/* callrec-archive argument and config helpers: YAML scalars, connection options. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../archive/cli/conn_params.h"
#include "../../archive/cli/pki_config.h"
#include "fsutil.h"
#include "yamltree.h"

/* Emit `value` as `k: VALUE`, read it back with the project's YAML reader. */
static void roundtrip(const char *value, int expect_quoted)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct cr_ynode *root = NULL;
	const struct cr_ynode *n;
	struct cr_diags d;

	fputs("k: ", f);
	cra_yaml_scalar(f, value);
	fputc('\n', f);
	fclose(f);
	assert_int_equal(text[3] == '"', expect_quoted);
	cr_diags_init(&d, "test");
	assert_int_equal(cr_yaml_parse(text, len, &root, &d), 0);
	n = cr_ymap_get(root, "k");
	assert_non_null(n);
	assert_int_equal(n->type, CR_Y_SCALAR);
	assert_string_equal(n->value, value);
	cr_yaml_free(root);
	free(text);
}

static void test_yaml_scalars(void **state)
{
	(void)state;
	roundtrip("/var/lib/callrec/ca.pem", 0);
	roundtrip("127.0.0.1:7443", 0);
	roundtrip("desk-1.example_org", 0);
	roundtrip("/tmp/with space/ca.pem", 1);
	roundtrip("/tmp/quote\"and\\backslash", 1);
	roundtrip("#not a comment", 1);
	roundtrip("a: b", 1);
	roundtrip("yes", 1);
	roundtrip("null", 1);
	roundtrip("1.5", 1);
	roundtrip("-dash", 1);
	roundtrip("[x]", 1);
}

static char *write_tmp(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_cli_args.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(cr_write_all(fd, text, strlen(text)), 0);
	close(fd);
	return path;
}

static void test_conn_missing_is_usage_error(void **state)
{
	struct cra_conn_opts o = { NULL };
	struct cra_conn_params p;

	(void)state;
	assert_int_equal(cra_conn_resolve(&o, &p), -EINVAL);
	o.server = "127.0.0.1:7443";
	o.ca = "/ca.pem";
	o.cert = "/op.pem";
	assert_int_equal(cra_conn_resolve(&o, &p), -EINVAL); /* no key */
	o.key = "/op.key";
	o.server = "no-port";
	assert_int_equal(cra_conn_resolve(&o, &p), -EINVAL);
}

static void test_conn_command_line(void **state)
{
	struct cra_conn_opts o = { NULL };
	struct cra_conn_params p;

	(void)state;
	assert_int_equal(cra_conn_opt(&o, CRA_OPT_SERVER, "archive.example.org:7443"), 1);
	assert_int_equal(cra_conn_opt(&o, CRA_OPT_CA, "/ca.pem"), 1);
	assert_int_equal(cra_conn_opt(&o, CRA_OPT_CERT, "/op.pem"), 1);
	assert_int_equal(cra_conn_opt(&o, CRA_OPT_KEY, "/op.key"), 1);
	assert_int_equal(cra_conn_opt(&o, 'x', "whatever"), 0);
	assert_int_equal(cra_conn_opt(&o, CRA_OPT_TIMEOUT, "0"), -EINVAL);
	assert_int_equal(cra_conn_opt(&o, CRA_OPT_TIMEOUT, "5s"), -EINVAL);
	assert_int_equal(cra_conn_opt(&o, CRA_OPT_TIMEOUT, "5"), 1);
	assert_int_equal(cra_conn_resolve(&o, &p), 0);
	assert_string_equal(p.server_name, "archive.example.org"); /* defaults to the host */
	assert_int_equal(p.timeout_s, 5);
	cra_conn_params_free(&p);
}

static void test_conn_config_and_override(void **state)
{
	struct cra_conn_opts o = { NULL };
	struct cra_conn_params p;
	char *path = write_tmp("server: 10.0.0.5:7443\nserver_name: archive1\nca: /pki/ca.pem\n"
			       "cert: /pki/op.pem\nkey: /pki/op.key\n");

	(void)state;
	o.config = path;
	assert_int_equal(cra_conn_resolve(&o, &p), 0);
	assert_string_equal(p.server, "10.0.0.5:7443");
	assert_string_equal(p.server_name, "archive1");
	assert_string_equal(p.key, "/pki/op.key");
	assert_int_equal(p.timeout_s, CRA_DEFAULT_TIMEOUT_S);
	cra_conn_params_free(&p);
	o.server = "127.0.0.1:9999"; /* the command line wins */
	assert_int_equal(cra_conn_resolve(&o, &p), 0);
	assert_string_equal(p.server, "127.0.0.1:9999");
	assert_string_equal(p.server_name, "archive1");
	cra_conn_params_free(&p);
	unlink(path);
}

static void test_conn_config_errors(void **state)
{
	struct cra_conn_opts o = { NULL };
	struct cra_conn_params p;
	char *path = write_tmp("server: 10.0.0.5:7443\nca: /pki/ca.pem\ncert: /c\nkey: /k\n"
			       "colour: blue\n");

	(void)state;
	o.config = path;
	/* unknown key: a bad file (exit 1), not a usage error (exit 2) */
	assert_int_equal(cra_conn_resolve(&o, &p), -EIO);
	unlink(path);
	o.config = "/nonexistent/archive.yaml";
	assert_true(cra_conn_resolve(&o, &p) < 0);
	assert_int_not_equal(cra_conn_resolve(&o, &p), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_scalars),
		cmocka_unit_test(test_conn_missing_is_usage_error),
		cmocka_unit_test(test_conn_command_line),
		cmocka_unit_test(test_conn_config_and_override),
		cmocka_unit_test(test_conn_config_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
