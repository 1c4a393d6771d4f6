/* Internals shared by the files of store/ (and the store's white-box unit tests); other
 * modules use store.h. */
#ifndef CALLREC_ARCHIVED_STORE_INTERNAL_H
#define CALLREC_ARCHIVED_STORE_INTERNAL_H

#include <stdint.h>

#include "index/index.h"
#include "objects/objects.h"
#include "store/idmap.h"
#include "store/live.h"
#include "store/store.h"
#include "tls.h"
#include "vault/vault.h"

struct staged_call {
	uint8_t id[CR_CALL_ID_BYTES];
	char *device, *software, *meta;
	uint8_t open_hash[CR_HASH_BYTES];
	uint8_t key[AD_KEY_BYTES];         /* the call's own key (never written in the clear) */
	uint8_t wrapped[AD_WRAPPED_BYTES]; /* what the index keeps */
	int64_t expires;                   /* retention deadline (unix s), 0 none */
	unsigned rate;                     /* the call's archive rate (ad_call_rate) */
};

struct staged_chunk {
	struct ad_chunk_info c;
	uint8_t id[CR_CALL_ID_BYTES];
};

struct staged_beat {
	char *device, *json;
};

/* A CALL_CLOSE staged this turn or waiting for missing chunks. */
struct close_req {
	void *tag;
	uint8_t id[CR_CALL_ID_BYTES];
	uint64_t seq;
	char *json;
	int fresh;  /* new, or its call got chunks since the last check */
	int result; /* after a commit: 1 complete, 0 still waiting, <0 ack status negated - 1 */
};

enum ack_kind { ACK_DECIDED, ACK_CALL, ACK_CHUNK };

struct pending_ack {
	void *tag;
	uint8_t id[CR_CALL_ID_BYTES];
	uint64_t seq;
	int status; /* for ACK_DECIDED; the others are OK once committed */
	enum ack_kind kind;
};

struct ad_store {
	struct ad_store_cfg cfg; /* data_dir is `dir` */
	char *dir;
	int lock_fd;
	int append_failed; /* a segment append failed this turn: the commit's sync must run */
	/* Staged this turn. */
	struct staged_call *calls;
	size_t ncalls, capcalls;
	struct staged_chunk *chunks;
	size_t nchunks, capchunks;
	struct staged_beat *beats;
	size_t nbeats, capbeats;
	struct pending_ack *acks;
	size_t nacks, capacks;
	struct close_req *closes; /* staged this turn, then waiting ones */
	size_t ncloses, capcloses;
	/* CALL_ERASE of calls opened in the same turn: run after the commit stores them. */
	struct erase_req { void *tag; uint8_t id[CR_CALL_ID_BYTES]; char device[CR_NAME_MAX]; }
		*erases;
	size_t nerases, caperases;
	struct ad_idmap call_map, chunk_map;
	/* Calls still recording, as the index holds them (live.h). */
	struct ad_live live;
	/* Storage outage in progress (disk full, I/O error): -errno, 0 when healthy. While it
	 * lasts, the per-turn failures are logged at debug level: one error line when it
	 * starts, one notice when it ends (ad_store_commit). */
	int outage;
	unsigned outage_commits;
	struct ad_index *index;     /* calls, chunks, keys, ... (index/index.h) */
	struct ad_objects *objects; /* call objects and segments (objects/objects.h) */
	/* Chunk encryption: a buffer for sealed audio, and the last call key used. */
	uint8_t *seal;
	size_t seal_cap;
	uint8_t key_id[CR_CALL_ID_BYTES];
	uint8_t key[AD_KEY_BYTES];
	int key_valid;
};

/* After a successful commit: bring s->live up to what the index now holds (store_stage.c). */
void ad_stage_committed(struct ad_store *s);

/* Grow an array of `size`-byte elements to hold n+1. 0 or -ENOMEM. */
int ad_grow(void **arr, size_t *cap, size_t n, size_t size);
#define AD_GROW(arr, cap, n) ad_grow((void **)&(arr), &(cap), (n), sizeof(*(arr)))

/* A storage error: logged as an error unless an outage is already reported. */
#define ad_store_err(s, ...)                                                                 \
	do {                                                                                 \
		if ((s)->outage)                                                             \
			cr_debug(__VA_ARGS__);                                               \
		else                                                                         \
			cr_err(__VA_ARGS__);                                                 \
	} while (0)

/* Queue an ACK decided now (sent after the next commit). 0 or -ENOMEM. */
int ad_stage_decided(struct ad_store *s, void *tag, const uint8_t *id, uint64_t seq, int status);
/* Run the erasures deferred to after this commit (erase.c). */
void ad_erase_deferred(struct ad_store *s, int failure);

/* Forget the cached key of `id` (erased). */
void ad_store_forget_key(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES]);

/* Call state as seen by staging: committed row or staged this turn. */
struct call_view {
	char device[CR_NAME_MAX];
	uint8_t open_hash[CR_HASH_BYTES];
	int closed;          /* close stored (closing or complete) */
	int erased;          /* erasing or erased: chunks are acknowledged and dropped */
	uint64_t close_seq;
	unsigned rate;       /* the call's archive rate; 0 when its metadata names a bad one */
	int indexed;         /* found in the index (not staged this turn, not in s->live) */
};

#endif
