/* callrec-archive pki: the generated CA, archive, device and operator certificates, their
 * files and the configs that point at them. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "../../archive/cli/conn_params.h"
#include "../../archive/cli/pki.h"
#include "../../archive/cli/pki_index.h"
#include "fsutil.h"
#include "yamltree.h"

static char dir[256]; /* one PKI for the whole file: key generation is not free */

static void path_of(char *out, const char *rel)
{
	snprintf(out, PATH_MAX, "%s/%s", dir, rel);
}

static gnutls_x509_crt_t load_crt(const char *rel)
{
	char path[PATH_MAX], *buf;
	size_t len;
	gnutls_datum_t d;
	gnutls_x509_crt_t crt;

	path_of(path, rel);
	assert_int_equal(cr_read_file(path, 1 << 20, &buf, &len), 0);
	d.data = (unsigned char *)buf;
	d.size = (unsigned)len;
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM), 0);
	free(buf);
	return crt;
}

static void dn(gnutls_x509_crt_t crt, const char *oid, char *out, size_t len)
{
	assert_int_equal(gnutls_x509_crt_get_dn_by_oid(crt, oid, 0, 0, out, &len), 0);
}

static mode_t mode_of(const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	path_of(path, rel);
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* Value of a scalar at `a` or `a`.`b` in a YAML file under dir. */
static char *yaml_value(const char *rel, const char *a, const char *b)
{
	char path[PATH_MAX], *buf, *out;
	size_t len;
	struct cr_ynode *root;
	const struct cr_ynode *n;
	struct cr_diags d;

	path_of(path, rel);
	cr_diags_init(&d, path);
	assert_int_equal(cr_read_file(path, 1 << 20, &buf, &len), 0);
	assert_int_equal(cr_yaml_parse(buf, len, &root, &d), 0);
	n = cr_ymap_get(root, a);
	if (n && b)
		n = cr_ymap_get(n, b);
	assert_non_null(n);
	assert_int_equal(n->type, CR_Y_SCALAR);
	out = strdup(n->value);
	cr_yaml_free(root);
	free(buf);
	return out;
}

static int setup(void **state)
{
	struct cra_pki_init_opts o = { NULL, "127.0.0.1:17443", NULL };

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_cli_pki.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	strcat(dir, "/pki"); /* init creates the directory itself */
	o.dir = dir;
	if (cra_pki_init(&o) != 0 || cra_pki_device(dir, "desk1") != 0 ||
	    cra_pki_operator(dir, "op1", "admin") != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 32];

	(void)state;
	*strrchr(dir, '/') = '\0';
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_ca_is_a_ca(void **state)
{
	gnutls_x509_crt_t ca = load_crt("ca.pem");
	unsigned usage = 0, critical = 0, is_ca = 0;
	int pathlen = -1;
	unsigned status = 1;

	(void)state;
	assert_int_equal(gnutls_x509_crt_get_basic_constraints(ca, &critical, &is_ca, &pathlen), 1);
	assert_int_equal(is_ca, 1);
	assert_true(gnutls_x509_crt_get_key_usage(ca, &usage, &critical) >= 0);
	assert_true(usage & GNUTLS_KEY_KEY_CERT_SIGN);
	assert_true(usage & GNUTLS_KEY_CRL_SIGN);
	assert_int_equal(gnutls_x509_crt_verify(ca, &ca, 1, 0, &status), 0);
	assert_int_equal(status, 0);
	/* about ten years */
	assert_true(gnutls_x509_crt_get_expiration_time(ca) - time(NULL) > 9L * 365 * 86400);
	assert_int_equal(gnutls_x509_crt_get_pk_algorithm(ca, NULL), GNUTLS_PK_ECDSA);
	gnutls_x509_crt_deinit(ca);
}

static void check_leaf(const char *rel, const char *cn, const char *ou, const char *purpose)
{
	gnutls_x509_crt_t ca = load_crt("ca.pem"), crt = load_crt(rel);
	char text[128], oid[128];
	size_t len = sizeof(oid);
	unsigned status = 1, critical;
	time_t left;

	assert_int_equal(gnutls_x509_crt_verify(crt, &ca, 1, 0, &status), 0);
	assert_int_equal(status, 0);
	dn(crt, GNUTLS_OID_X520_COMMON_NAME, text, sizeof(text));
	assert_string_equal(text, cn);
	dn(crt, GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME, text, sizeof(text));
	assert_string_equal(text, ou);
	assert_int_equal(gnutls_x509_crt_get_key_purpose_oid(crt, 0, oid, &len, &critical), 0);
	assert_string_equal(oid, purpose);
	left = gnutls_x509_crt_get_expiration_time(crt) - time(NULL);
	assert_true(left > 700L * 86400 && left < 740L * 86400); /* two years */
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_crt_deinit(ca);
}

static void test_archive_cert(void **state)
{
	gnutls_x509_crt_t crt;

	(void)state;
	check_leaf("archive.pem", "localhost", "archive", GNUTLS_KP_TLS_WWW_SERVER);
	crt = load_crt("archive.pem");
	assert_true(gnutls_x509_crt_check_hostname(crt, "localhost"));
	assert_true(gnutls_x509_crt_check_hostname(crt, "127.0.0.1"));
	assert_false(gnutls_x509_crt_check_hostname(crt, "example.org"));
	gnutls_x509_crt_deinit(crt);
	assert_int_equal(mode_of("archive.key"), 0600);
}

static void test_device_cert(void **state)
{
	(void)state;
	check_leaf("devices/desk1/device.pem", "desk1", "device", GNUTLS_KP_TLS_WWW_CLIENT);
	assert_int_equal(mode_of("devices/desk1/device.key"), 0600);
}

static void test_operator_cert(void **state)
{
	(void)state;
	check_leaf("operators/op1/operator.pem", "op1", "operator", GNUTLS_KP_TLS_WWW_CLIENT);
	assert_int_equal(mode_of("operators/op1/operator.key"), 0600);
}

static void test_private_files(void **state)
{
	(void)state;
	assert_int_equal(mode_of("ca.key"), 0600);
	assert_int_equal(mode_of("signing.key"), 0600);
	assert_int_equal(mode_of("archive-data"), 0700);
}

static void test_signing_key_is_ed25519_pkcs8(void **state)
{
	char path[PATH_MAX], *buf;
	size_t len;
	gnutls_datum_t d;
	gnutls_x509_privkey_t key;

	(void)state;
	path_of(path, "signing.key");
	assert_int_equal(cr_read_file(path, 1 << 20, &buf, &len), 0);
	assert_non_null(strstr(buf, "-----BEGIN PRIVATE KEY-----"));
	d.data = (unsigned char *)buf;
	d.size = (unsigned)len;
	assert_int_equal(gnutls_x509_privkey_init(&key), 0);
	assert_int_equal(gnutls_x509_privkey_import2(key, &d, GNUTLS_X509_FMT_PEM, NULL, 0), 0);
	assert_int_equal(gnutls_x509_privkey_get_pk_algorithm(key), GNUTLS_PK_EDDSA_ED25519);
	gnutls_x509_privkey_deinit(key);
	free(buf);
}

static void test_archived_yaml(void **state)
{
	char expect[PATH_MAX], *v;

	(void)state;
	v = yaml_value("archived.yaml", "listen", NULL);
	assert_string_equal(v, "127.0.0.1:17443");
	free(v);
	path_of(expect, "archive-data");
	v = yaml_value("archived.yaml", "data", NULL);
	assert_string_equal(v, expect);
	free(v);
	path_of(expect, "archive.key");
	v = yaml_value("archived.yaml", "tls", "key");
	assert_string_equal(v, expect);
	free(v);
	path_of(expect, "crl.pem");
	v = yaml_value("archived.yaml", "tls", "crl");
	assert_string_equal(v, expect);
	free(v);
	path_of(expect, "signing.key");
	v = yaml_value("archived.yaml", "signing_key", NULL);
	assert_string_equal(v, expect);
	free(v);
}

static void test_agent_yaml(void **state)
{
	char expect[PATH_MAX], *v;

	(void)state;
	v = yaml_value("devices/desk1/agent.yaml", "archive", "address");
	assert_string_equal(v, "127.0.0.1:17443"); /* from archived.yaml's listen */
	free(v);
	v = yaml_value("devices/desk1/agent.yaml", "archive", "server_name");
	assert_string_equal(v, "localhost");
	free(v);
	path_of(expect, "devices/desk1/device.pem");
	v = yaml_value("devices/desk1/agent.yaml", "archive", "cert");
	assert_string_equal(v, expect);
	free(v);
	path_of(expect, "ca.pem");
	v = yaml_value("devices/desk1/agent.yaml", "archive", "ca");
	assert_string_equal(v, expect);
	free(v);
}

static void test_operator_config_loads(void **state)
{
	struct cra_conn_opts o = { NULL };
	struct cra_conn_params p;
	char path[PATH_MAX], expect[PATH_MAX];

	(void)state;
	path_of(path, "operators/op1/archive.yaml");
	o.config = path;
	assert_int_equal(cra_conn_resolve(&o, &p), 0);
	assert_string_equal(p.server, "127.0.0.1:17443");
	assert_string_equal(p.server_name, "localhost");
	path_of(expect, "operators/op1/operator.key");
	assert_string_equal(p.key, expect);
	cra_conn_params_free(&p);
}

static void test_roles_keep_others(void **state)
{
	char *v;

	(void)state;
	assert_int_equal(cra_pki_operator(dir, "op2", "legal"), 0);
	v = yaml_value("roles.yaml", "operators", "op1");
	assert_string_equal(v, "admin");
	free(v);
	v = yaml_value("roles.yaml", "operators", "op2");
	assert_string_equal(v, "legal");
	free(v);
}

static void test_refusals(void **state)
{
	struct cra_pki_init_opts o = { dir, NULL, NULL };
	char path[PATH_MAX];

	(void)state;
	assert_int_equal(cra_pki_init(&o), -EEXIST);
	assert_int_equal(cra_pki_device(dir, "desk1"), -EEXIST);
	assert_int_equal(cra_pki_device(dir, "../evil"), -EINVAL);
	assert_int_equal(cra_pki_device(dir, ".hidden"), -EINVAL);
	assert_int_equal(cra_pki_device(dir, ""), -EINVAL);
	assert_int_equal(cra_pki_operator(dir, "op9", "bad role"), -EINVAL);
	path_of(path, "devices");
	assert_int_equal(cra_pki_device(path, "x"), -ENOENT); /* not a PKI directory */
	path_of(path, "operators/op9");
	assert_int_equal(access(path, F_OK), -1); /* nothing half-made */
}

static void test_revoke(void **state)
{
	struct cra_index ix;
	gnutls_x509_crt_t crt;
	gnutls_x509_crl_t crl;
	char path[PATH_MAX], *buf;
	size_t len, i;
	gnutls_datum_t d;
	int revoked_entries = 0;

	(void)state;
	assert_int_equal(cra_pki_device(dir, "desk2"), 0);
	assert_int_equal(cra_pki_revoke(dir, "desk2"), 0);
	assert_int_equal(cra_pki_revoke(dir, "desk2"), -ENOENT); /* already revoked */
	assert_int_equal(cra_pki_revoke(dir, "nobody"), -ENOENT);
	path_of(path, "crl.pem");
	assert_int_equal(cr_read_file(path, 1 << 20, &buf, &len), 0);
	d.data = (unsigned char *)buf;
	d.size = (unsigned)len;
	assert_int_equal(gnutls_x509_crl_init(&crl), 0);
	assert_int_equal(gnutls_x509_crl_import(crl, &d, GNUTLS_X509_FMT_PEM), 0);
	crt = load_crt("devices/desk2/device.pem");
	assert_int_equal(gnutls_x509_crt_check_revocation(crt, &crl, 1), 1);
	gnutls_x509_crt_deinit(crt);
	crt = load_crt("devices/desk1/device.pem");
	assert_int_equal(gnutls_x509_crt_check_revocation(crt, &crl, 1), 0);
	gnutls_x509_crt_deinit(crt);
	crt = load_crt("ca.pem");
	assert_int_equal(gnutls_x509_crl_verify(crl, &crt, 1, 0, (unsigned[]){ 1 }), 0);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_crl_deinit(crl);
	free(buf);
	assert_int_equal(cra_index_load(dir, &ix), 0);
	for (i = 0; i < ix.n; i++)
		if (ix.e[i].revoked) {
			assert_string_equal(ix.e[i].name, "desk2");
			revoked_entries++;
		}
	assert_int_equal(revoked_entries, 1);
	cra_index_free(&ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ca_is_a_ca),
		cmocka_unit_test(test_archive_cert),
		cmocka_unit_test(test_device_cert),
		cmocka_unit_test(test_operator_cert),
		cmocka_unit_test(test_private_files),
		cmocka_unit_test(test_signing_key_is_ed25519_pkcs8),
		cmocka_unit_test(test_archived_yaml),
		cmocka_unit_test(test_agent_yaml),
		cmocka_unit_test(test_operator_config_loads),
		cmocka_unit_test(test_roles_keep_others),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_revoke),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
