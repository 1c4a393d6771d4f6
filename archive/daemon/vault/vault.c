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
#include "hex.h"
#include "log.h"

struct ad_vault {
	uint8_t master[AD_KEY_BYTES];
	gnutls_privkey_t sign;
	gnutls_pubkey_t pub;
};

static int load_master(const char *path, uint8_t key[AD_KEY_BYTES])
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
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
	rc = len == 2 * AD_KEY_BYTES ? cr_hex_decode(text, len, key) : -EINVAL;
	gnutls_memset(text, 0, len);
	free(text);
	if (rc < 0)
		cr_err("master key %s: expected %d hex digits", path, 2 * AD_KEY_BYTES);
	return rc;
}

static int load_signing(const char *path, gnutls_privkey_t pk)
{
	gnutls_datum_t d = { NULL, 0 };
	char *text = NULL;
	size_t len = 0;
	int rc = cr_read_file(path, 65536, &text, &len);

	if (rc < 0) {
		cr_err("signing key %s: %s", path, strerror(-rc));
		return rc;
	}
	d.data = (unsigned char *)text;
	d.size = (unsigned)len;
	if (gnutls_privkey_import_x509_raw(pk, &d, GNUTLS_X509_FMT_PEM, NULL, 0) < 0 ||
	    gnutls_privkey_get_pk_algorithm(pk, NULL) != GNUTLS_PK_EDDSA_ED25519) {
		cr_err("signing key %s: not an Ed25519 private key in PEM", path);
		rc = -EINVAL;
	}
	gnutls_memset(text, 0, len);
	free(text);
	return rc;
}

/* A vault whose keys come from the files, or random ones when the paths are NULL. */
static int vault_new(const char *master_path, const char *signing_path, struct ad_vault **out)
{
	struct ad_vault *v = calloc(1, sizeof(*v));
	int rc = v ? 0 : -ENOMEM;

	if (rc == 0 && gnutls_privkey_init(&v->sign) < 0)
		rc = -ENOMEM;
	if (rc == 0 && master_path)
		rc = load_master(master_path, v->master);
	else if (rc == 0 && gnutls_rnd(GNUTLS_RND_KEY, v->master, AD_KEY_BYTES) < 0)
		rc = -EIO;
	if (rc == 0 && signing_path)
		rc = load_signing(signing_path, v->sign);
	else if (rc == 0 && gnutls_privkey_generate(v->sign, GNUTLS_PK_EDDSA_ED25519, 256, 0) < 0)
		rc = -EIO;
	if (rc == 0 && (gnutls_pubkey_init(&v->pub) < 0 ||
			gnutls_pubkey_import_privkey(v->pub, v->sign, 0, 0) < 0))
		rc = -EINVAL;
	if (rc < 0) {
		ad_vault_free(v);
		return rc;
	}
	*out = v;
	return 0;
}

int ad_vault_load(const char *master_path, const char *signing_path, struct ad_vault **out)
{
	if (!master_path || !signing_path) {
		cr_err("the archive needs master_key and signing_key");
		return -EINVAL;
	}
	return vault_new(master_path, signing_path, out);
}

int ad_vault_ephemeral(struct ad_vault **out)
{
	return vault_new(NULL, NULL, out);
}

void ad_vault_free(struct ad_vault *v)
{
	if (!v)
		return;
	if (v->pub)
		gnutls_pubkey_deinit(v->pub);
	if (v->sign)
		gnutls_privkey_deinit(v->sign);
	gnutls_memset(v->master, 0, sizeof(v->master));
	free(v);
}

/* The wrapping cipher is set up per use: a GnuTLS AEAD handle keeps per-message state, and
 * the event loop (new keys) and the worker (unwrapping) use the vault at the same time. */
static int wrap_cipher(const struct ad_vault *v, gnutls_aead_cipher_hd_t *h)
{
	gnutls_datum_t k = { (unsigned char *)v->master, AD_KEY_BYTES };

	return gnutls_aead_cipher_init(h, GNUTLS_CIPHER_AES_256_GCM, &k) < 0 ? -EINVAL : 0;
}

int ad_vault_new_call_key(const struct ad_vault *v, const uint8_t id[CR_CALL_ID_BYTES],
			  uint8_t key[AD_KEY_BYTES], uint8_t wrapped[AD_WRAPPED_BYTES])
{
	struct ad_wrapped_key *w = (struct ad_wrapped_key *)wrapped; /* bytes only: no alignment */
	size_t out = sizeof(w->sealed) + sizeof(w->tag);
	gnutls_aead_cipher_hd_t h;
	int rc;

	if (gnutls_rnd(GNUTLS_RND_KEY, key, AD_KEY_BYTES) < 0 ||
	    gnutls_rnd(GNUTLS_RND_NONCE, w->nonce, sizeof(w->nonce)) < 0)
		return -EIO;
	rc = wrap_cipher(v, &h);
	if (rc < 0)
		return rc;
	if (gnutls_aead_cipher_encrypt(h, w->nonce, sizeof(w->nonce), id, CR_CALL_ID_BYTES,
				       AD_TAG_BYTES, key, AD_KEY_BYTES, w->sealed, &out) < 0)
		rc = -EIO;
	gnutls_aead_cipher_deinit(h);
	return rc;
}

int ad_vault_unwrap(const struct ad_vault *v, const uint8_t id[CR_CALL_ID_BYTES],
		    const uint8_t *wrapped, size_t len, uint8_t key[AD_KEY_BYTES])
{
	const struct ad_wrapped_key *w = (const struct ad_wrapped_key *)wrapped;
	size_t out = AD_KEY_BYTES;
	gnutls_aead_cipher_hd_t h;
	int rc;

	if (len != sizeof(*w))
		return -EBADMSG;
	rc = wrap_cipher(v, &h);
	if (rc < 0)
		return rc;
	if (gnutls_aead_cipher_decrypt(h, w->nonce, sizeof(w->nonce), id, CR_CALL_ID_BYTES,
				       AD_TAG_BYTES, w->sealed, sizeof(w->sealed) + sizeof(w->tag),
				       key, &out) < 0 ||
	    out != AD_KEY_BYTES)
		rc = -EBADMSG;
	gnutls_aead_cipher_deinit(h);
	return rc;
}

int ad_vault_sign(const struct ad_vault *v, const void *data, size_t len,
		  uint8_t sig[AD_SIG_BYTES])
{
	gnutls_datum_t d = { (unsigned char *)data, (unsigned)len }, s = { NULL, 0 };
	int rc = 0;

	if (gnutls_privkey_sign_data2(v->sign, GNUTLS_SIGN_EDDSA_ED25519, 0, &d, &s) < 0)
		return -EIO;
	if (s.size != AD_SIG_BYTES)
		rc = -EIO;
	else
		memcpy(sig, s.data, AD_SIG_BYTES);
	gnutls_free(s.data);
	return rc;
}

int ad_vault_public_pem(const struct ad_vault *v, char **pem)
{
	gnutls_datum_t d = { NULL, 0 };

	if (gnutls_pubkey_export2(v->pub, GNUTLS_X509_FMT_PEM, &d) < 0)
		return -EIO;
	*pem = malloc(d.size + 1);
	if (*pem) {
		memcpy(*pem, d.data, d.size);
		(*pem)[d.size] = '\0';
	}
	gnutls_free(d.data);
	return *pem ? 0 : -ENOMEM;
}
