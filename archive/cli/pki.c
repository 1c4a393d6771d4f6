/* pki init / device / operator / revoke: files in the PKI directory, see docs/design.md. */
#include "pki.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_util.h"
#include "fsutil.h"
#include "hex.h"
#include "hostport.h"
#include "outdir.h"
#include "pki_cert.h"
#include "pki_config.h"
#include "pki_index.h"
#include "pubkey.h"
#include "tls.h"
#include <gnutls/crypto.h>

#define CA_NAME "callrec fleet CA"

/* Write a PEM datum to dir/name and free it. Keys get 0600, everything else 0644. */
static int write_pem(const char *dir, const char *name, gnutls_datum_t *d, mode_t mode)
{
	int rc = cra_write_file(dir, name, d->data, d->size, mode, CR_OUT_REPLACE);

	if (mode == 0600)
		gnutls_memset(d->data, 0, d->size);
	gnutls_free(d->data);
	d->data = NULL;
	return rc;
}

static int write_cert(const char *dir, const char *name, gnutls_x509_crt_t crt)
{
	gnutls_datum_t d;
	int rc = cra_pem_cert(crt, &d);

	return rc < 0 ? rc : write_pem(dir, name, &d, 0644);
}

static int write_key(const char *dir, const char *name, gnutls_x509_privkey_t key)
{
	gnutls_datum_t d;
	int rc = cra_pem_key(key, &d);

	return rc < 0 ? rc : write_pem(dir, name, &d, 0600);
}

static int is_ip(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* The archive's name goes into its certificate's CN, which peers check with cr_name_valid(),
 * and into SANs: a host name or an IPv4 address. */
static int server_name_valid(const char *s)
{
	return cr_name_valid(s) && s[0] != '-';
}

/* Make `dir` (if missing) and return its absolute path. */
static int absolute_dir(const char *dir, char abs[PATH_MAX], int create)
{
	int rc;

	if (create) {
		rc = cr_mkdir_p(dir, 0755);
		if (rc < 0) {
			cra_error("%s: %s", dir, strerror(-rc));
			return rc;
		}
	}
	if (!realpath(dir, abs)) {
		rc = -errno;
		cra_error("%s: %s", dir, strerror(errno));
		return rc;
	}
	/* Room for "/operators/NAME/operator.key" and the like below it. */
	if (strlen(abs) > PATH_MAX - 200) {
		cra_error("%s: path too long", abs);
		return -ENAMETOOLONG;
	}
	return 0;
}

/* The archive's SANs: its name (DNS or IP), plus localhost and 127.0.0.1 so that tools on the
 * archive host itself always work, plus the listen address when it is a specific IP. */
static void archive_sans(struct cra_cert_req *req, const char *name, const char *listen_host)
{
	int nd = 0, ni = 0;

	if (is_ip(name))
		req->ips[ni++] = name;
	else
		req->dns[nd++] = name;
	if (strcmp(name, "localhost") != 0)
		req->dns[nd++] = "localhost";
	if (strcmp(name, "127.0.0.1") != 0)
		req->ips[ni++] = "127.0.0.1";
	if (is_ip(listen_host) && strcmp(listen_host, name) != 0 &&
	    strcmp(listen_host, "127.0.0.1") != 0 && strcmp(listen_host, "0.0.0.0") != 0 &&
	    strcmp(listen_host, "::") != 0)
		req->ips[ni++] = listen_host;
}

/* The fingerprint of the public key in PEM bytes into hex. 0 or -errno (reported). */
static int fingerprint_of(const char *path, const void *pem, size_t len,
			  char hex[CRA_FINGERPRINT_HEX])
{
	gnutls_pubkey_t key;
	int rc = cra_pubkey_import(pem, len, &key);

	if (rc == 0)
		rc = cra_pubkey_fingerprint(key, hex);
	if (key)
		gnutls_pubkey_deinit(key);
	if (rc < 0)
		cra_error("%s: not an Ed25519 public key", path);
	return rc;
}

/* The manifest signing key, and its fingerprint into hex. */
static int write_signing_key(const char *dir, char hex[CRA_FINGERPRINT_HEX])
{
	gnutls_x509_privkey_t key;
	gnutls_datum_t d = { NULL, 0 };
	int rc;

	rc = cra_key_new_ed25519(&key);
	if (rc < 0)
		return rc;
	rc = write_key(dir, "signing.key", key);
	if (rc == 0)
		rc = cra_pem_pubkey(key, &d);
	if (rc == 0)
		rc = fingerprint_of("signing.pub", d.data, d.size, hex);
	if (rc == 0)
		rc = write_pem(dir, "signing.pub", &d, 0644);
	else if (d.data)
		gnutls_free(d.data);
	gnutls_x509_privkey_deinit(key);
	return rc;
}

/* The archive master key (32 random bytes, hex): wraps every call's key (encryption at
 * rest). Losing it makes the archive unreadable; it never leaves this directory. */
static int write_master_key(const char *dir)
{
	uint8_t key[32];
	char hex[2 * sizeof(key) + 2];
	int rc;

	if (gnutls_rnd(GNUTLS_RND_KEY, key, sizeof(key)) < 0)
		return -EIO;
	cr_hex_encode(key, sizeof(key), hex);
	hex[2 * sizeof(key)] = '\n';
	hex[2 * sizeof(key) + 1] = '\0';
	rc = cra_write_file(dir, "archive-master.key", hex, 2 * sizeof(key) + 1, 0600,
			    CR_OUT_REPLACE);
	gnutls_memset(key, 0, sizeof(key));
	gnutls_memset(hex, 0, sizeof(hex));
	return rc;
}

static int write_crl(const char *dir, const struct cra_issuer *is,
		     const uint8_t (*serials)[CRA_SERIAL_BYTES], const time_t *when, size_t n,
		     unsigned long number)
{
	gnutls_datum_t d;
	int rc = cra_crl_new(is, serials, when, n, number, &d);

	return rc < 0 ? rc : write_pem(dir, "crl.pem", &d, 0644);
}

int cra_pki_init(const struct cra_pki_init_opts *o)
{
	const char *listen = o->listen ? o->listen : CRA_DEFAULT_LISTEN;
	const char *name = o->name ? o->name : "localhost";
	char abs[PATH_MAX], path[PATH_MAX], host[256], fpr[CRA_FINGERPRINT_HEX];
	struct cra_issuer ca = { NULL, NULL };
	gnutls_x509_privkey_t akey = NULL;
	gnutls_x509_crt_t acrt = NULL;
	uint8_t ca_serial[CRA_SERIAL_BYTES], a_serial[CRA_SERIAL_BYTES];
	struct cra_index ix = { NULL, 0 };
	struct cra_cert_req req;
	unsigned port;
	int rc;

	if (cr_split_hostport(listen, host, sizeof(host), &port) < 0) {
		cra_error("--listen %s: expected HOST:PORT (e.g. %s)", listen, CRA_DEFAULT_LISTEN);
		return -EINVAL;
	}
	if (!server_name_valid(name)) {
		cra_error("--name %s: not a valid host name or address", name);
		return -EINVAL;
	}
	rc = absolute_dir(o->dir, abs, 1);
	if (rc < 0)
		return rc;
	if ((cra_path_join(path, sizeof(path), abs, "ca.pem") == 0 && cra_exists(path)) ||
	    (cra_path_join(path, sizeof(path), abs, "ca.key") == 0 && cra_exists(path))) {
		cra_error("%s already exists: %s holds a CA; refusing to overwrite it", path, abs);
		return -EEXIST;
	}

	rc = cra_key_new_ecdsa(&ca.key);
	if (rc < 0)
		goto out;
	req = (struct cra_cert_req){ .kind = CRA_CERT_CA, .cn = CA_NAME, .days = CRA_CA_DAYS };
	rc = cra_cert_new(&req, ca.key, NULL, &ca.crt, ca_serial);
	if (rc < 0)
		goto out;

	rc = cra_key_new_ecdsa(&akey);
	if (rc < 0)
		goto out;
	req = (struct cra_cert_req){ .kind = CRA_CERT_SERVER, .cn = name, .ou = CR_OU_ARCHIVE,
				     .days = CRA_LEAF_DAYS };
	archive_sans(&req, name, host);
	rc = cra_cert_new(&req, akey, &ca, &acrt, a_serial);
	if (rc < 0)
		goto out;

	/* Everything else first, the CA last: a failed init leaves no ca.pem, so it can be
	 * re-run, and an existing ca.pem always means a complete PKI. */
	rc = write_key(abs, "archive.key", akey);
	if (rc == 0)
		rc = write_cert(abs, "archive.pem", acrt);
	if (rc == 0)
		rc = write_signing_key(abs, fpr);
	if (rc == 0)
		rc = write_master_key(abs);
	if (rc == 0)
		rc = write_crl(abs, &ca, NULL, NULL, 0, 1);
	if (rc == 0)
		rc = cra_roles_init(abs);
	if (rc < 0)
		goto out;
	rc = cra_path_join(path, sizeof(path), abs, "archive-data");
	if (rc == 0 && mkdir(path, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		cra_error("%s: %s", path, strerror(errno));
	}
	if (rc == 0)
		rc = cra_write_archived_yaml(abs, listen);
	if (rc == 0)
		rc = cra_index_add(&ix, ca_serial, "ca", "ca");
	if (rc == 0)
		rc = cra_index_add(&ix, a_serial, "archive", name);
	if (rc == 0)
		rc = cra_index_save(abs, &ix);
	if (rc == 0)
		rc = write_key(abs, "ca.key", ca.key);
	if (rc == 0)
		rc = write_cert(abs, "ca.pem", ca.crt);
	if (rc < 0)
		goto out;
	printf("Fleet PKI created in %s\n"
	       "  archive daemon:  callrec-archived --config %s/archived.yaml   (listens on %s)\n"
	       "  next:            callrec-archive pki device NAME --dir %s\n"
	       "                   callrec-archive pki operator NAME --role ROLE --dir %s\n"
	       "Keep %s/ca.key offline if you can: it signs every certificate of the fleet.\n"
	       "Manifest signing key %s/signing.pub, SHA-256 fingerprint:\n"
	       "  %s\n"
	       "Publish it (or signing.pub) where recipients of exports can find it apart from the\n"
	       "exports; `callrec-archive pki fingerprint --dir %s` prints it again.\n",
	       abs, abs, listen, abs, abs, abs, abs, fpr, abs);
out:
	cra_index_free(&ix);
	if (acrt)
		gnutls_x509_crt_deinit(acrt);
	if (akey)
		gnutls_x509_privkey_deinit(akey);
	cra_issuer_free(&ca);
	return rc;
}

/* What device and operator certificates share. */
struct leaf {
	const char *kind;   /* "device" | "operator": index kind, OU and file names */
	const char *subdir; /* "devices" | "operators" */
};

/* The address clients use: the listen address, unless the archive listens on every
 * interface, in which case its certificate name is the way to reach it. */
static int client_address(const char *listen, const char *server_name, char *out, size_t outlen)
{
	char host[256];
	unsigned port;
	int n;

	if (cr_split_hostport(listen, host, sizeof(host), &port) < 0)
		return -EINVAL;
	if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0 || strcmp(host, "*") == 0)
		n = snprintf(out, outlen, strchr(server_name, ':') ? "[%s]:%u" : "%s:%u",
			     server_name, port);
	else
		n = snprintf(out, outlen, "%s", listen);
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

static int issue_leaf(const char *dir, const char *name, const char *role, const struct leaf *lf)
{
	/* Sized so that the compiler can see nothing is cut; absolute_dir() keeps abs short
	 * enough that every path really fits in PATH_MAX. */
	char abs[PATH_MAX], sub[PATH_MAX + 16], out[PATH_MAX + 96], path[PATH_MAX + 160];
	char certp[PATH_MAX + 160], keyp[PATH_MAX + 160], capath[PATH_MAX + 16], fname[32];
	char cn[256], ou[64], address[300], listen[300];
	struct cra_issuer ca = { NULL, NULL };
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	uint8_t serial[CRA_SERIAL_BYTES];
	struct cra_index ix = { NULL, 0 };
	struct cra_cert_req req;
	struct cra_client_cfg cfg;
	int rc, created = 0;

	if (!cr_name_valid(name)) {
		cra_error("invalid %s name '%s': use 1-63 of A-Z a-z 0-9 . _ - (not starting with '.')",
			  lf->kind, name);
		return -EINVAL;
	}
	if (role && !cr_name_valid(role)) {
		cra_error("invalid role '%s': use 1-63 of A-Z a-z 0-9 . _ -", role);
		return -EINVAL;
	}
	rc = absolute_dir(dir, abs, 0);
	if (rc < 0)
		return rc;
	snprintf(capath, sizeof(capath), "%s/ca.pem", abs);
	snprintf(keyp, sizeof(keyp), "%s/ca.key", abs);
	if (!cra_exists(capath)) {
		cra_error("%s is not a PKI directory (no ca.pem); run `callrec-archive pki init %s` "
			  "first, or give --dir", abs, dir);
		return -ENOENT;
	}
	rc = cra_issuer_load(capath, keyp, &ca);
	if (rc < 0)
		return rc;
	rc = cra_read_listen(abs, listen, sizeof(listen));
	if (rc < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/archive.pem", abs);
	rc = cra_cert_subject(path, cn, sizeof(cn), ou, sizeof(ou));
	if (rc < 0)
		goto out;
	rc = client_address(listen, cn, address, sizeof(address));
	if (rc < 0) {
		cra_error("%s/archived.yaml: bad listen address '%s'", abs, listen);
		goto out;
	}
	rc = cra_index_load(abs, &ix);
	if (rc < 0)
		goto out;

	/* mkdir (not -p) of the final directory claims the name: a second run refuses. */
	snprintf(sub, sizeof(sub), "%s/%s", abs, lf->subdir);
	if (mkdir(sub, 0755) < 0 && errno != EEXIST) {
		rc = -errno;
		cra_error("%s: %s", sub, strerror(errno));
		goto out;
	}
	snprintf(out, sizeof(out), "%s/%s", sub, name);
	if (mkdir(out, 0700) < 0) {
		rc = -errno;
		if (errno == EEXIST)
			cra_error("%s '%s' already exists (%s); refusing to overwrite it", lf->kind,
				  name, out);
		else
			cra_error("%s: %s", out, strerror(errno));
		goto out;
	}
	created = 1;

	rc = cra_key_new_ecdsa(&key);
	if (rc < 0)
		goto out;
	req = (struct cra_cert_req){ .kind = CRA_CERT_CLIENT, .cn = name, .ou = lf->kind,
				     .days = CRA_LEAF_DAYS };
	rc = cra_cert_new(&req, key, &ca, &crt, serial);
	if (rc < 0)
		goto out;
	snprintf(fname, sizeof(fname), "%s.key", lf->kind);
	snprintf(keyp, sizeof(keyp), "%s/%s", out, fname);
	rc = write_key(out, fname, key);
	if (rc < 0)
		goto out;
	snprintf(fname, sizeof(fname), "%s.pem", lf->kind);
	snprintf(certp, sizeof(certp), "%s/%s", out, fname);
	rc = write_cert(out, fname, crt);
	if (rc < 0)
		goto out;
	cfg = (struct cra_client_cfg){ .address = address, .server_name = cn, .ca = capath,
				       .cert = certp, .key = keyp };
	if (role) {
		rc = cra_write_operator_yaml(out, &cfg);
		if (rc == 0)
			rc = cra_roles_set(abs, name, role);
	} else {
		rc = cra_write_agent_yaml(out, &cfg);
	}
	if (rc == 0)
		rc = cra_index_add(&ix, serial, lf->kind, name);
	if (rc == 0)
		rc = cra_index_save(abs, &ix);
	if (rc < 0)
		goto out;
	if (role)
		printf("Operator '%s' (role %s) in %s\n"
		       "  use: callrec-archive --config %s/archive.yaml list\n"
		       "  (reload callrec-archived with SIGHUP so that it reads the new role)\n",
		       name, role, out, out);
	else
		printf("Device '%s' in %s\n"
		       "  copy that directory to the desktop and run: callrec-agent --config "
		       "%s/agent.yaml\n", name, out, out);
out:
	if (rc < 0 && created) {
		/* Leave no half-issued identity behind, so the same NAME can be tried again. */
		const char *files[] = { "device.key", "device.pem", "agent.yaml", "operator.key",
					"operator.pem", "archive.yaml" };
		size_t i;

		for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", out, files[i]);
			unlink(path);
		}
		rmdir(out);
	}
	cra_index_free(&ix);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
	cra_issuer_free(&ca);
	return rc;
}

int cra_pki_device(const char *dir, const char *name)
{
	static const struct leaf device = { "device", "devices" };

	return issue_leaf(dir, name, NULL, &device);
}

int cra_pki_operator(const char *dir, const char *name, const char *role)
{
	static const struct leaf op = { "operator", "operators" };

	if (!role) {
		cra_error("pki operator needs --role ROLE");
		return -EINVAL;
	}
	return issue_leaf(dir, name, role, &op);
}

int cra_pki_revoke(const char *dir, const char *name)
{
	char abs[PATH_MAX], capath[PATH_MAX + 16], keypath[PATH_MAX + 16], crlpath[PATH_MAX + 16];
	struct cra_issuer ca = { NULL, NULL };
	struct cra_index ix = { NULL, 0 };
	uint8_t (*serials)[CRA_SERIAL_BYTES] = NULL;
	time_t *when = NULL, now = time(NULL);
	unsigned long number = 0;
	size_t i, n = 0, newly = 0;
	int rc;

	rc = absolute_dir(dir, abs, 0);
	if (rc < 0)
		return rc;
	snprintf(capath, sizeof(capath), "%s/ca.pem", abs);
	snprintf(keypath, sizeof(keypath), "%s/ca.key", abs);
	snprintf(crlpath, sizeof(crlpath), "%s/crl.pem", abs);
	if (!cra_exists(capath)) {
		cra_error("%s is not a PKI directory (no ca.pem)", abs);
		return -ENOENT;
	}
	rc = cra_index_load(abs, &ix);
	if (rc < 0)
		return rc;
	for (i = 0; i < ix.n; i++) {
		struct cra_index_entry *e = &ix.e[i];

		if (strcmp(e->name, name) != 0 ||
		    (strcmp(e->kind, "device") != 0 && strcmp(e->kind, "operator") != 0))
			continue;
		if (!e->revoked) {
			e->revoked = 1;
			e->revoked_at = now;
			newly++;
		}
	}
	if (newly == 0) {
		cra_error("no valid device or operator certificate named '%s' in %s", name, abs);
		rc = -ENOENT;
		goto out;
	}
	serials = calloc(ix.n, sizeof(*serials));
	when = calloc(ix.n, sizeof(*when));
	if (!serials || !when) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < ix.n; i++) {
		if (!ix.e[i].revoked)
			continue;
		memcpy(serials[n], ix.e[i].serial, CRA_SERIAL_BYTES);
		when[n++] = ix.e[i].revoked_at;
	}
	rc = cra_issuer_load(capath, keypath, &ca);
	if (rc == 0 && cra_exists(crlpath))
		rc = cra_crl_number(crlpath, &number);
	if (rc == 0)
		rc = write_crl(abs, &ca, (const uint8_t(*)[CRA_SERIAL_BYTES])serials, when, n,
			       number + 1);
	if (rc == 0)
		rc = cra_index_save(abs, &ix);
	if (rc < 0)
		goto out;
	/* Said only now that the CRL really carries them. */
	for (i = 0; i < ix.n; i++) {
		if (!ix.e[i].revoked || ix.e[i].revoked_at != now || strcmp(ix.e[i].name, name))
			continue;
		char serial[2 * CRA_SERIAL_BYTES + 1];

		cr_hex_encode(ix.e[i].serial, CRA_SERIAL_BYTES, serial);
		printf("Revoked %s '%s' (serial %s)\n", ix.e[i].kind, ix.e[i].name, serial);
	}
	printf("%s updated (%zu revoked); reload callrec-archived (SIGHUP) to apply it\n", crlpath,
	       n);
out:
	free(serials);
	free(when);
	cra_issuer_free(&ca);
	cra_index_free(&ix);
	return rc;
}

int cra_pki_fingerprint(const char *dir)
{
	char path[PATH_MAX], hex[CRA_FINGERPRINT_HEX], *pem = NULL;
	size_t len = 0;
	int rc = cra_path_join(path, sizeof(path), dir, "signing.pub");

	if (rc == 0)
		rc = cr_read_file(path, 1u << 20, &pem, &len);
	if (rc < 0) {
		cra_error("%s: %s%s", path, strerror(-rc),
			  rc == -ENOENT ? " (give the PKI directory with --dir)" : "");
		return rc;
	}
	rc = fingerprint_of(path, pem, len, hex);
	free(pem);
	if (rc == 0)
		printf("%s\n", hex);
	return rc;
}
