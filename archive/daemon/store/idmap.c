/* (call id, seq) -> index map with linear probing. See idmap.h. */
#include "store/idmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

size_t ad_id_hash(const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	/* Call ids are random, but clients choose them: mix every byte anyway. */
	for (i = 0; i < CR_CALL_ID_BYTES; i++)
		h = (h ^ id[i]) * 1099511628211ull;
	h ^= seq * 0x9e3779b97f4a7c15ull;
	h ^= h >> 29;
	return (size_t)h;
}

static struct ad_idmap_slot *find(const struct ad_idmap *m, const uint8_t id[CR_CALL_ID_BYTES],
				  uint64_t seq)
{
	size_t mask = m->cap - 1, i = ad_id_hash(id, seq) & mask;

	while (m->slots[i].used) {
		if (m->slots[i].seq == seq && memcmp(m->slots[i].id, id, CR_CALL_ID_BYTES) == 0)
			return &m->slots[i];
		i = (i + 1) & mask;
	}
	return &m->slots[i];
}

static int grow(struct ad_idmap *m)
{
	struct ad_idmap old = *m;
	size_t i;

	m->cap = old.cap ? old.cap * 2 : 64;
	m->n = 0;
	m->slots = calloc(m->cap, sizeof(*m->slots));
	if (!m->slots) {
		*m = old;
		return -ENOMEM;
	}
	for (i = 0; i < old.cap; i++)
		if (old.slots[i].used)
			*find(m, old.slots[i].id, old.slots[i].seq) = old.slots[i], m->n++;
	free(old.slots);
	return 0;
}

int ad_idmap_put(struct ad_idmap *m, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq, size_t idx)
{
	struct ad_idmap_slot *s;

	if ((m->n + 1) * 2 > m->cap && grow(m) < 0)
		return -ENOMEM;
	s = find(m, id, seq);
	if (!s->used) {
		memcpy(s->id, id, CR_CALL_ID_BYTES);
		s->seq = seq;
		s->used = 1;
		m->n++;
	}
	s->idx = idx;
	return 0;
}

int ad_idmap_get(const struct ad_idmap *m, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq,
		 size_t *idx)
{
	const struct ad_idmap_slot *s;

	if (!m->cap)
		return 0;
	s = find(m, id, seq);
	if (!s->used)
		return 0;
	*idx = s->idx;
	return 1;
}

void ad_idmap_clear(struct ad_idmap *m)
{
	if (m->n)
		memset(m->slots, 0, m->cap * sizeof(*m->slots));
	m->n = 0;
}

void ad_idmap_free(struct ad_idmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}
