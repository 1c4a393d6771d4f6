/* Call keys: wrapped by the master key in the index, unwrapped on use, the last one cached. */
#include "store/internal.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <string.h>

#include "log.h"

int ad_store_call_key(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES],
		      uint8_t key[AD_KEY_BYTES])
{
	uint8_t wrapped[AD_WRAPPED_BYTES];
	int rc;

	if (s->key_valid && memcmp(s->key_id, id, CR_CALL_ID_BYTES) == 0) {
		memcpy(key, s->key, AD_KEY_BYTES);
		return 0;
	}
	rc = s->index->ops->key_get(s->index, id, wrapped);
	if (rc == 0)
		rc = ad_vault_unwrap(s->cfg.vault, id, wrapped, sizeof(wrapped), key);
	if (rc == -EBADMSG)
		cr_err("storage: a call key does not unwrap: wrong master key?");
	if (rc == 0) {
		memcpy(s->key_id, id, CR_CALL_ID_BYTES);
		memcpy(s->key, key, AD_KEY_BYTES);
		s->key_valid = 1;
	}
	return rc;
}

void ad_store_forget_key(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES])
{
	if (s->key_valid && memcmp(s->key_id, id, CR_CALL_ID_BYTES) == 0) {
		gnutls_memset(s->key, 0, sizeof(s->key));
		s->key_valid = 0;
	}
}
