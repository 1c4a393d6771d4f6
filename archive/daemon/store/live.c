/* Open-addressing table of recording calls with linear probing and tombstones. See live.h. */
#include "store/live.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>

#include "store/idmap.h"

enum { SLOT_FREE, SLOT_USED, SLOT_DEAD };

struct ad_live_slot {
	struct ad_live_call c;
	int state;
};

/* The slot holding `id`, or NULL. */
static struct ad_live_slot *find(const struct ad_live *t, const uint8_t id[CR_CALL_ID_BYTES])
{
	size_t mask, i;

	if (!t->cap)
		return NULL;
	mask = t->cap - 1;
	for (i = ad_id_hash(id, 0) & mask; t->slots[i].state != SLOT_FREE; i = (i + 1) & mask)
		if (t->slots[i].state == SLOT_USED &&
		    memcmp(t->slots[i].c.id, id, CR_CALL_ID_BYTES) == 0)
			return &t->slots[i];
	return NULL;
}

/* The first free or dead slot on `id`'s probe path (the table has room). */
static struct ad_live_slot *vacancy(const struct ad_live *t, const uint8_t id[CR_CALL_ID_BYTES])
{
	size_t mask = t->cap - 1, i;

	for (i = ad_id_hash(id, 0) & mask; t->slots[i].state == SLOT_USED; i = (i + 1) & mask)
		;
	return &t->slots[i];
}

/* Rebuild with room for one more entry, dropping tombstones. */
static int rehash(struct ad_live *t)
{
	struct ad_live old = *t;
	size_t cap = old.cap ? old.cap : 64, i;

	while ((old.used + 1) * 2 > cap)
		cap *= 2;
	t->slots = calloc(cap, sizeof(*t->slots));
	if (!t->slots) {
		*t = old;
		return -ENOMEM;
	}
	t->cap = cap;
	t->used = 0;
	t->dead = 0;
	for (i = 0; i < old.cap; i++)
		if (old.slots[i].state == SLOT_USED) {
			*vacancy(t, old.slots[i].c.id) = old.slots[i];
			t->used++;
		}
	if (old.slots)
		gnutls_memset(old.slots, 0, old.cap * sizeof(*old.slots));
	free(old.slots);
	return 0;
}

struct ad_live_call *ad_live_get(const struct ad_live *t, const uint8_t id[CR_CALL_ID_BYTES])
{
	struct ad_live_slot *s = find(t, id);

	return s ? &s->c : NULL;
}

int ad_live_put(struct ad_live *t, const struct ad_live_call *c)
{
	struct ad_live_slot *s = find(t, c->id);

	if (s) {
		s->c = *c;
		return 0;
	}
	/* Keep free slots at half the table or more, so that probes end quickly. */
	if ((t->used + t->dead + 1) * 2 > t->cap && rehash(t) < 0)
		return -ENOMEM;
	s = vacancy(t, c->id);
	if (s->state == SLOT_DEAD)
		t->dead--;
	s->c = *c;
	s->state = SLOT_USED;
	t->used++;
	return 0;
}

void ad_live_drop(struct ad_live *t, const uint8_t id[CR_CALL_ID_BYTES])
{
	struct ad_live_slot *s = find(t, id);

	if (!s)
		return;
	gnutls_memset(&s->c, 0, sizeof(s->c));
	s->state = SLOT_DEAD;
	t->used--;
	t->dead++;
}

void ad_live_free(struct ad_live *t)
{
	if (t->slots)
		gnutls_memset(t->slots, 0, t->cap * sizeof(*t->slots));
	free(t->slots);
	memset(t, 0, sizeof(*t));
}
