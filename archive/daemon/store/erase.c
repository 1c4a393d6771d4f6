/* Crypto-shredding erasure with crash recovery. See erase.h. */
#include "store/erase.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rights/audit.h"
#include "store/internal.h"

static int discard_chunk(void *arg, const struct ad_chunk_info *c)
{
	struct ad_objects *ob = arg;

	/* Best effort: already ciphertext under a destroyed key; this frees the space. */
	(void)ob->ops->seg_discard(ob, c->segment, c->offset, c->length);
	return 0;
}

/* (3) ciphertext: the call's objects, and its chunks' bytes in the segments (which other
 * calls share). */
static int delete_objects(struct ad_store *s, const uint8_t *id)
{
	char hex[2 * CR_CALL_ID_BYTES + 1];
	int rc;

	rc = s->objects->ops->remove_call(s->objects, id);
	if (rc < 0) {
		cr_id_to_hex(id, hex);
		cr_err("erase: cannot remove the objects of %s: %s", hex, strerror(-rc));
		return rc;
	}
	return s->index->ops->chunks(s->index, id, discard_chunk, s->objects);
}

/* Steps (2) to (4) for a call marked erasing; (3) and (4) wait for an assembly under way (the
 * worker finishes them: erase.h). */
static int finish(struct ad_store *s, const uint8_t *id)
{
	struct ad_index *ix = s->index;
	int rc;

	rc = ix->ops->key_delete(ix, id);
	if (rc < 0)
		return rc;
	ad_store_forget_key(s, id);
	AD_CRASH_POINT(s->cfg.hooks, "erase-after-key");
	rc = ix->ops->claim(ix, AD_CLAIM_ASSEMBLE, id);
	if (rc == -EBUSY)
		return 0;
	if (rc < 0)
		return rc;
	rc = delete_objects(s, id);
	if (rc == 0) {
		AD_CRASH_POINT(s->cfg.hooks, "erase-after-objects");
		rc = ix->ops->erase_finish(ix, id);
	}
	ix->ops->release(ix, AD_CLAIM_ASSEMBLE, id);
	return rc;
}

int ad_erase_after_assembly(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES])
{
	struct ad_call_info call;
	int rc;

	memset(&call, 0, sizeof(call));
	rc = s->index->ops->call_get(s->index, id, &call);
	if (rc < 0 || strcmp(call.state, "erasing") != 0)
		return rc == -ENOENT ? 0 : rc;
	rc = finish(s, id);
	if (rc == 0)
		cr_notice("call %s: erasure finished after its assembly stopped", call.hex);
	return rc;
}

int ad_erase_call(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES], const char *reason,
		  const char *who)
{
	char hex[2 * CR_CALL_ID_BYTES + 1];
	int r;

	/* Whatever happens below, the call is no longer simply recording. */
	ad_live_drop(&s->live, id);
	cr_id_to_hex(id, hex);
	r = s->index->ops->erase_begin(s->index, id, reason, ad_clock_now(s->cfg.clock));
	if (r < 0)
		return r;
	AD_CRASH_POINT(s->cfg.hooks, "erase-after-mark");
	r = finish(s, id);
	if (r == 0)
		cr_notice("call %s erased (%s%s%s)", hex, reason ? reason : "", who ? ", by " : "",
			  who ? who : "");
	return r;
}

int ad_erase_recover(struct ad_store *s)
{
	struct ad_ids ids = { 0 };
	size_t i;
	int r;

	r = s->index->ops->calls_in_state(s->index, "erasing", ad_ids_add, &ids);
	for (i = 0; r == 0 && i < ids.n; i++) {
		char hex[2 * CR_CALL_ID_BYTES + 1];

		cr_id_to_hex(ids.v[i], hex);
		r = finish(s, ids.v[i]);
		if (r < 0)
			cr_err("erase: cannot finish the interrupted erasure of %s: %s", hex,
			       strerror(-r));
		else
			cr_notice("erase: finished the interrupted erasure of call %s", hex);
	}
	ad_ids_free(&ids);
	return r < 0 ? r : (int)i;
}

void ad_erase_deferred(struct ad_store *s, int failure)
{
	size_t i;

	for (i = 0; i < s->nerases; i++) {
		const struct erase_req *e = &s->erases[i];
		char hex[2 * CR_CALL_ID_BYTES + 1];
		int r;

		if (failure)
			continue; /* nothing stored, no ACK: the agent resends open and erasure */
		cr_id_to_hex(e->id, hex);
		r = ad_erase_call(s, e->id, "private", NULL);
		ad_audit(s->cfg.audit, e->device, "device", "erase", hex, r == 0 ? "ok" : "error",
			 r == 0 ? "private" : strerror(-r));
		if (r == 0 && e->tag)
			ad_stage_decided(s, e->tag, e->id, 0, CR_ACK_OK);
	}
	s->nerases = 0;
}
