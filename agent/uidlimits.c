/* See uidlimits.h. A small array searched linearly: a desktop has few local users. */
#include "uidlimits.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

void cr_uidlimits_init(struct cr_uidlimits *l, unsigned max_streams, unsigned max_pending)
{
	memset(l, 0, sizeof(*l));
	l->max_streams = max_streams;
	l->max_pending = max_pending;
}

void cr_uidlimits_free(struct cr_uidlimits *l)
{
	free(l->u);
	memset(l, 0, sizeof(*l));
}

struct cr_uid_use *cr_uid_find(struct cr_uidlimits *l, uid_t uid)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->u[i].uid == uid)
			return &l->u[i];
	return NULL;
}

/* The entry of uid, made when missing; NULL when the table is full (or no memory). */
static struct cr_uid_use *entry(struct cr_uidlimits *l, uid_t uid)
{
	struct cr_uid_use *e = cr_uid_find(l, uid);

	if (e)
		return e;
	/* Room first from users that hold nothing and were never refused. */
	for (size_t i = 0; i < l->n; i++) {
		e = &l->u[i];
		if (!e->pending && !e->streams && !e->refused_pending && !e->refused_streams) {
			memset(e, 0, sizeof(*e));
			e->uid = uid;
			return e;
		}
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct cr_uid_use *grown;

		if (cap > CR_UID_TABLE_MAX || !(grown = realloc(l->u, cap * sizeof(*grown))))
			return NULL;
		l->u = grown;
		l->cap = cap;
	}
	e = &l->u[l->n++];
	memset(e, 0, sizeof(*e));
	e->uid = uid;
	return e;
}

/* One more of uid's connections (stream 0) or streams (stream 1), within the limit. */
static int admit(struct cr_uidlimits *l, uid_t uid, int stream)
{
	struct cr_uid_use *e = entry(l, uid);
	unsigned *held, max;

	if (!e) {
		l->refused_table++;
		return -EUSERS;
	}
	held = stream ? &e->streams : &e->pending;
	max = stream ? l->max_streams : l->max_pending;
	if (*held >= max) {
		(*(stream ? &e->refused_streams : &e->refused_pending))++;
		return -EUSERS;
	}
	(*held)++;
	return 0;
}

static void release(struct cr_uidlimits *l, uid_t uid, int stream)
{
	struct cr_uid_use *e = cr_uid_find(l, uid);
	unsigned *held = e ? (stream ? &e->streams : &e->pending) : NULL;

	if (held && *held)
		(*held)--;
}

int cr_uid_admit_pending(struct cr_uidlimits *l, uid_t uid)
{
	return admit(l, uid, 0);
}

void cr_uid_pending_done(struct cr_uidlimits *l, uid_t uid)
{
	release(l, uid, 0);
}

int cr_uid_admit_stream(struct cr_uidlimits *l, uid_t uid)
{
	return admit(l, uid, 1);
}

void cr_uid_stream_done(struct cr_uidlimits *l, uid_t uid)
{
	release(l, uid, 1);
}

json_t *cr_uidlimits_status(const struct cr_uidlimits *l, uid_t viewer)
{
	json_t *o = json_object(), *refused = json_array();
	uint64_t others = l->refused_nofile + l->refused_table;

	for (size_t i = 0; i < l->n; i++) {
		const struct cr_uid_use *e = &l->u[i];
		struct passwd *pw;

		if (!e->refused_pending && !e->refused_streams)
			continue;
		if (viewer != 0 && e->uid != viewer) {
			others += e->refused_pending + e->refused_streams;
			continue;
		}
		pw = getpwuid(e->uid);
		json_array_append_new(refused, json_pack("{s:I, s:s?, s:I, s:I}", "uid",
			(json_int_t)e->uid, "user", pw ? pw->pw_name : NULL, "connections",
			(json_int_t)e->refused_pending, "streams", (json_int_t)e->refused_streams));
	}
	json_object_set_new(o, "streams_per_user", json_integer(l->max_streams));
	json_object_set_new(o, "pending_per_user", json_integer(l->max_pending));
	json_object_set_new(o, "refused", refused);
	json_object_set_new(o, viewer == 0 ? "refused_unattributed" : "refused_others",
			    json_integer((json_int_t)others));
	return o;
}
