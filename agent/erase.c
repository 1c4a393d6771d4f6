/* Private calls leave the spool and the archive: see erase.h. */
#include "erase.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain.h"
#include "fsutil.h"
#include "log.h"

static struct cr_spool_call *spool_call(struct cr_spool *s, const uint8_t id[CR_CALL_ID_BYTES])
{
	for (struct cr_spool_call *c = s->calls; c; c = c->next)
		if (!memcmp(c->id, id, CR_CALL_ID_BYTES))
			return c;
	return NULL;
}

/* Delete every spooled frame of the call, acknowledged or not, sent or not; except a
 * CALL_OPEN on its way to the archive: its ACK (call, seq 0) would be taken for the ACK of
 * the CALL_ERASE that replaces it, so the erasure waits for it (-EINPROGRESS). It holds no
 * audio. */
static int drop_frames(struct cr_spool *s, struct cr_uplink *u, struct cr_spool_call *c)
{
	char dir[PATH_MAX], name[32];
	int err = 0;

	snprintf(dir, sizeof(dir), "%s/%s", s->dir, c->hex);
	while (c->n) {
		struct cr_spool_entry *e = &c->e[c->n - 1];
		int rc;

		if (e->seq == 0 && e->type == CR_F_CALL_OPEN && e->send == CR_SEND_INFLIGHT &&
		    !e->acked)
			return -EINPROGRESS;

		snprintf(name, sizeof(name), "%" PRIu64 ".frame", e->seq);
		rc = cr_unlink_durable(dir, name);
		if (rc && rc != -ENOENT) {
			cr_err("erase: cannot delete %s/%s: %s", dir, name, strerror(-rc));
			err = rc;
			break;
		}
		/* Its ACK will find nothing: take it out of the send window now. */
		if (u && e->send == CR_SEND_INFLIGHT)
			u->inflight -= u->inflight >= e->bytes ? e->bytes : u->inflight;
		s->bytes -= s->bytes >= e->bytes ? e->bytes : s->bytes;
		c->n--;
	}
	c->has_close = 0;
	return err;
}

static int spool_erase(struct cr_erase *x, struct cr_spool *s, struct cr_uplink *u)
{
	struct cr_spool_call *c = spool_call(s, x->id);
	uint8_t *frame = NULL;
	size_t len;
	int err;

	if (c && (err = drop_frames(s, u, c)))
		return err;
	if (cr_spool_find(s, x->id, 0, NULL))
		return -EINPROGRESS; /* e.g. a previous attempt's CALL_ERASE: not twice */
	err = cr_idseq_frame(CR_F_CALL_ERASE, x->id, 0, "{\"reason\":\"private\"}", &frame, &len);
	if (err)
		return err;
	err = cr_spool_put(s, x->id, 0, CR_F_CALL_ERASE, frame, len);
	free(frame);
	if (err)
		return err;
	/* Nothing follows an erasure: its ACK removes it (not kept as an end marker). */
	c = spool_call(s, x->id);
	if (c)
		c->has_close = 1;
	x->spooled = 1;
	if (u)
		cr_uplink_kick(u);
	cr_notice("call %s: spool erased; CALL_ERASE queued for the archive", x->hex);
	return 0;
}

int cr_erase_begin(struct cr_erase **list, struct cr_spool *s, struct cr_uplink *u,
		   const uint8_t id[CR_CALL_ID_BYTES])
{
	struct cr_erase *x = calloc(1, sizeof(*x)), **tail = list;
	int err;

	if (!x)
		return -ENOMEM;
	memcpy(x->id, id, CR_CALL_ID_BYTES);
	cr_id_to_hex(id, x->hex);
	while (*tail)
		tail = &(*tail)->next;
	*tail = x;
	err = spool_erase(x, s, u);
	if (err == -EINPROGRESS)
		cr_info("call %s: audio erased from the spool; CALL_ERASE follows the archive's "
			"ACK of its CALL_OPEN", x->hex);
	else if (err)
		cr_err("call %s: erasure not spooled yet (%s); retrying", x->hex, strerror(-err));
	return 0;
}

static void finish(struct cr_spool *s, struct cr_erase *x)
{
	struct cr_spool_call *c = spool_call(s, x->id);
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/%s", s->dir, x->hex);
	if (rmdir(dir) && errno != ENOENT)
		cr_warn("erase: cannot remove %s: %s", dir, strerror(errno));
	cr_fsync_dir(s->dir);
	if (c && c->n == 0) {
		for (struct cr_spool_call **p = &s->calls; *p; p = &(*p)->next)
			if (*p == c) {
				*p = c->next;
				break;
			}
		free(c->e);
		free(c->ev); /* evictions of an erased call: nothing to report any more */
		free(c);
	}
	cr_notice("call %s: erased by the archive (tombstone kept)", x->hex);
}

void cr_erase_tick(struct cr_erase **list, struct cr_spool *s, struct cr_uplink *u)
{
	for (struct cr_erase **p = list; *p;) {
		struct cr_erase *x = *p;

		if (!x->spooled) {
			spool_erase(x, s, u);
		} else if (!cr_spool_find(s, x->id, 0, NULL)) {
			/* cr_spool_ack deleted the CALL_ERASE frame: the archive has it. */
			finish(s, x);
			*p = x->next;
			free(x);
			continue;
		}
		p = &x->next;
	}
}

void cr_erase_free(struct cr_erase **list)
{
	while (*list) {
		struct cr_erase *x = *list;
		*list = x->next;
		free(x);
	}
}

unsigned cr_erase_pending(const struct cr_erase *list)
{
	unsigned n = 0;
	for (; list; list = list->next)
		n++;
	return n;
}
