/* Archive keys. See vault.h. */
#include "vault/vault.h"

#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "log.h"

static struct {
	int ready;
	uint8_t master[AD_KEY_BYTES];
	gnutls_aead_cipher_hd_t wrap;
	gnutls_privkey_t sign;
	gnutls_pubkey_t pub;
} V;

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int set_master(const uint8_t key[AD_KEY_BYTES])
{
	gnutls_datum_t k = { (unsigned char *)V.master, AD_KEY_BYTES };

	memcpy(V.master, key, AD_KEY_BYTES);
	if (gnutls_aead_cipher_init(&V.wrap, GNUTLS_CIPHER_AES_256_GCM, &k) < 0)
		return -EINVAL;
	return 0;
}

static int set_signing(gnutls_privkey_t pk)
{
	V.sign = pk;
	if (gnutls_pubkey_init(&V.pub) < 0 ||
	    gnutls_pubkey_import_privkey(V.pub, pk, 0, 0) < 0)
		return -EINVAL;
	return 0;
}

static int load_master(const char *path, uint8_t key[AD_KEY_BYTES])
{
	struct stat st;
	char *text = NULL;
	size_t len = 0, i;
	int rc = cr_read_file(path, 4096, &text, &len);

	if (rc < 0) {
		cr_err("master key %s: %s", path, strerror(-rc));
		return rc;
	}
	if (stat(path, &st) == 0 && (st.st_mode & 077))
		cr_warn("master key %s is readable by others (mode %03o); it should be 0600", path,
			st.st_mode & 0777);
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		len--;
	rc = len == 2 * AD_KEY_BYTES ? 0 : -EINVAL;
	for (i = 0; rc == 0 && i < AD_KEY_BYTES; i++) {
		int h = hexval(text[2 * i]), l = hexval(text[2 * i + 1]);
		if (h < 0 || l < 0)
			rc = -EINVAL;
		else
			key[i] = (uint8_t)(h << 4 | l);
	}
	gnutls_memset(text, 0, len);
	free(text);
	if (rc < 0)
		cr_err("master key %s: expected %d hex digits", path, 2 * AD_KEY_BYTES);
	return rc;
}

static int load_signing(const char *path, gnutls_privkey_t *out)
{
	gnutls_datum_t d = { NULL, 0 };
	gnutls_privkey_t pk = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc = cr_read_file(path, 65536, &text, &len);

	if (rc < 0) {
		cr_err("signing key %s: %s", path, strerror(-rc));
		return rc;
	}
	d.data = (unsigned char *)text;
	d.size = (unsigned)len;
	if (gnutls_privkey_init(&pk) < 0 ||
	    gnutls_privkey_import_x509_raw(pk, &d, GNUTLS_X509_FMT_PEM, NULL, 0) < 0 ||
	    gnutls_privkey_get_pk_algorithm(pk, NULL) != GNUTLS_PK_EDDSA_ED25519) {
		cr_err("signing key %s: not an Ed25519 private key in PEM", path);
		rc = -EINVAL;
		gnutls_privkey_deinit(pk);
		pk = NULL;
	}
	gnutls_memset(text, 0, len);
	free(text);
	*out = pk;
	return rc;
}

int ad_vault_load(const char *master_path, const char *signing_path)
{
	uint8_t key[AD_KEY_BYTES];
	gnutls_privkey_t pk = NULL;
	int rc;

	ad_vault_free();
	rc = load_master(master_path, key);
	if (rc == 0)
		rc = load_signing(signing_path, &pk);
	if (rc == 0)
		rc = set_master(key);
	if (rc == 0)
		rc = set_signing(pk);
	gnutls_memset(key, 0, sizeof(key));
	if (rc < 0) {
		if (pk && !V.sign)
			gnutls_privkey_deinit(pk);
		ad_vault_free();
		return rc;
	}
	V.ready = 1;
	return 0;
}

int ad_vault_ensure(void)
{
	uint8_t key[AD_KEY_BYTES];
	gnutls_privkey_t pk = NULL;
	int rc;

	if (V.ready)
		return 0;
	if (gnutls_rnd(GNUTLS_RND_KEY, key, sizeof(key)) < 0)
		return -EIO;
	rc = set_master(key);
	gnutls_memset(key, 0, sizeof(key));
	if (rc == 0 && (gnutls_privkey_init(&pk) < 0 ||
			gnutls_privkey_generate(pk, GNUTLS_PK_EDDSA_ED25519, 256, 0) < 0))
		rc = -EIO;
	if (rc == 0)
		rc = set_signing(pk);
	if (rc < 0) {
		if (pk && !V.sign)
			gnutls_privkey_deinit(pk);
		ad_vault_free();
		return rc;
	}
	V.ready = 1;
	return 0;
}

void ad_vault_free(void)
{
	if (V.wrap)
		gnutls_aead_cipher_deinit(V.wrap);
	if (V.pub)
		gnutls_pubkey_deinit(V.pub);
	if (V.sign)
		gnutls_privkey_deinit(V.sign);
	gnutls_memset(V.master, 0, sizeof(V.master));
	memset(&V, 0, sizeof(V));
}

int ad_vault_new_call_key(const uint8_t id[CR_CALL_ID_BYTES], uint8_t key[AD_KEY_BYTES],
			  uint8_t wrapped[AD_WRAPPED_BYTES])
{
	size_t out = AD_KEY_BYTES + AD_TAG_BYTES;
	int rc = ad_vault_ensure();

	if (rc < 0)
		return rc;
	if (gnutls_rnd(GNUTLS_RND_KEY, key, AD_KEY_BYTES) < 0 ||
	    gnutls_rnd(GNUTLS_RND_NONCE, wrapped, AD_NONCE_BYTES) < 0)
		return -EIO;
	if (gnutls_aead_cipher_encrypt(V.wrap, wrapped, AD_NONCE_BYTES, id, CR_CALL_ID_BYTES,
				       AD_TAG_BYTES, key, AD_KEY_BYTES, wrapped + AD_NONCE_BYTES,
				       &out) < 0)
		return -EIO;
	return 0;
}

int ad_vault_unwrap(const uint8_t id[CR_CALL_ID_BYTES], const uint8_t *wrapped, size_t len,
		    uint8_t key[AD_KEY_BYTES])
{
	size_t out = AD_KEY_BYTES;
	int rc = ad_vault_ensure();

	if (rc < 0)
		return rc;
	if (len != AD_WRAPPED_BYTES)
		return -EBADMSG;
	if (gnutls_aead_cipher_decrypt(V.wrap, wrapped, AD_NONCE_BYTES, id, CR_CALL_ID_BYTES,
				       AD_TAG_BYTES, wrapped + AD_NONCE_BYTES,
				       AD_KEY_BYTES + AD_TAG_BYTES, key, &out) < 0 ||
	    out != AD_KEY_BYTES)
		return -EBADMSG;
	return 0;
}

int ad_vault_sign(const void *data, size_t len, uint8_t sig[AD_SIG_BYTES])
{
	gnutls_datum_t d = { (unsigned char *)data, (unsigned)len }, s = { NULL, 0 };
	int rc = ad_vault_ensure();

	if (rc < 0)
		return rc;
	if (gnutls_privkey_sign_data2(V.sign, GNUTLS_SIGN_EDDSA_ED25519, 0, &d, &s) < 0)
		return -EIO;
	if (s.size != AD_SIG_BYTES)
		rc = -EIO;
	else
		memcpy(sig, s.data, AD_SIG_BYTES);
	gnutls_free(s.data);
	return rc;
}

int ad_vault_public_pem(char **pem)
{
	gnutls_datum_t d = { NULL, 0 };
	int rc = ad_vault_ensure();

	if (rc < 0)
		return rc;
	if (gnutls_pubkey_export2(V.pub, GNUTLS_X509_FMT_PEM, &d) < 0)
		return -EIO;
	*pem = malloc(d.size + 1);
	if (*pem) {
		memcpy(*pem, d.data, d.size);
		(*pem)[d.size] = '\0';
	}
	gnutls_free(d.data);
	return *pem ? 0 : -ENOMEM;
}
