/* Spool directory: see spool.h. */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chain.h"
#include "fsutil.h"
#include "log.h"
#include "meta.h"

#define FRAME_MAX_FILE (CR_FRAME_HDR + CR_FRAME_MAX_BODY)

int cr_spool_open(struct cr_spool *s, const char *dir, unsigned long long max_bytes)
{
	memset(s, 0, sizeof(*s));
	if (strlen(dir) >= sizeof(s->dir))
		return -ENAMETOOLONG;
	strcpy(s->dir, dir);
	s->max_bytes = max_bytes;
	return cr_mkdir_p(dir, 0700);
}

static void free_call(struct cr_spool_call *c)
{
	free(c->ev);
	free(c->e);
	free(c);
}

void cr_spool_close(struct cr_spool *s)
{
	while (s->calls) {
		struct cr_spool_call *c = s->calls;
		s->calls = c->next;
		free_call(c);
	}
}

static void call_dir(const struct cr_spool *s, const struct cr_spool_call *c, char *out,
		     size_t n)
{
	snprintf(out, n, "%s/%s", s->dir, c->hex);
}

static void entry_name(uint64_t seq, char out[32])
{
	snprintf(out, 32, "%" PRIu64 ".frame", seq);
}

static struct cr_spool_call *find_call(struct cr_spool *s, const uint8_t id[CR_CALL_ID_BYTES])
{
	for (struct cr_spool_call *c = s->calls; c; c = c->next)
		if (!memcmp(c->id, id, CR_CALL_ID_BYTES))
			return c;
	return NULL;
}

static struct cr_spool_call *add_call(struct cr_spool *s, const uint8_t id[CR_CALL_ID_BYTES])
{
	struct cr_spool_call *c = calloc(1, sizeof(*c)), **tail = &s->calls;

	if (!c)
		return NULL;
	memcpy(c->id, id, CR_CALL_ID_BYTES);
	cr_id_to_hex(id, c->hex);
	c->order = s->next_order++;
	/* Append: older calls are sent first. */
	while (*tail)
		tail = &(*tail)->next;
	*tail = c;
	return c;
}

static void remove_call(struct cr_spool *s, struct cr_spool_call *c)
{
	for (struct cr_spool_call **p = &s->calls; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	free_call(c);
}

/* Insert keeping seq order (files found by a scan arrive in any order). */
static int add_entry(struct cr_spool_call *c, uint64_t seq, uint32_t bytes, uint8_t type)
{
	size_t i;

	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 16;
		struct cr_spool_entry *ne = realloc(c->e, nc * sizeof(*ne));
		if (!ne)
			return -ENOMEM;
		c->e = ne;
		c->cap = nc;
	}
	for (i = c->n; i > 0 && c->e[i - 1].seq > seq; i--)
		;
	if (i > 0 && c->e[i - 1].seq == seq)
		return -EEXIST;
	memmove(&c->e[i + 1], &c->e[i], (c->n - i) * sizeof(*c->e));
	c->e[i] = (struct cr_spool_entry){ .seq = seq, .bytes = bytes, .type = type };
	c->n++;
	/* A CALL_ERASE (the user marked the call private) ends the call just as a close does. */
	if (type == CR_F_CALL_CLOSE || type == CR_F_CALL_ERASE)
		c->has_close = 1;
	return 0;
}

/* Forget entry i whose file is gone (deleted or renamed). An intact chunk leaves its hash
 * behind: the next seq's prev_hash is still checked against it. */
static void drop_entry(struct cr_spool *s, struct cr_spool_call *c, size_t i, int intact)
{
	const struct cr_spool_entry *e = &c->e[i];

	if (intact && e->has_hash && !e->bad && (!c->has_known || e->seq > c->known_seq)) {
		c->has_known = 1;
		c->known_seq = e->seq;
		memcpy(c->known_hash, e->hash, CR_HASH_BYTES);
	}
	s->bytes -= s->bytes >= e->bytes ? e->bytes : s->bytes;
	memmove(&c->e[i], &c->e[i + 1], (c->n - i - 1) * sizeof(*c->e));
	c->n--;
}

static int delete_entry(struct cr_spool *s, struct cr_spool_call *c, size_t i)
{
	char dir[PATH_MAX], name[32];
	int err;

	call_dir(s, c, dir, sizeof(dir));
	entry_name(c->e[i].seq, name);
	err = cr_unlink_durable(dir, name);
	if (err && err != -ENOENT) {
		cr_err("spool: cannot delete %s/%s: %s", dir, name, strerror(-err));
		return err;
	}
	drop_entry(s, c, i, 1);
	return 0;
}

static void remove_call_dir(struct cr_spool *s, struct cr_spool_call *c)
{
	char dir[PATH_MAX];

	while (c->n)
		if (delete_entry(s, c, c->n - 1))
			return; /* keep the directory; the next scan sees what is left */
	call_dir(s, c, dir, sizeof(dir));
	if (rmdir(dir) == 0 || errno == ENOENT)
		;
	else if (errno == ENOTEMPTY) /* only SEQ.frame.corrupt files can be left */
		cr_notice("spool: %s kept: it holds corrupt chunks (.corrupt) for inspection", dir);
	else
		cr_warn("spool: cannot remove %s: %s", dir, strerror(errno));
	cr_fsync_dir(s->dir);
	remove_call(s, c);
}

/* --- size cap and eviction ---------------------------------------------------------- */

/* Add seq to "evicted_seqs" keeping it ascending and without repeats: the archive counts only
 * an ascending list, and evictions and corrupt chunks are found in no particular seq order. */
static void add_lost_seq(json_t *seqs, uint64_t seq)
{
	size_t i;

	for (i = 0; i < json_array_size(seqs); i++) {
		json_int_t q = json_integer_value(json_array_get(seqs, i));
		if ((uint64_t)q == seq)
			return;
		if ((uint64_t)q > seq)
			break;
	}
	json_array_insert_new(seqs, i, json_integer((json_int_t)seq));
}

/* frame (a CALL_CLOSE) with the call's lost chunks (evicted or corrupt) added to its JSON:
 * gaps {cause "evicted" or "corrupt"} on both channels and "evicted_seqs". A new malloc'd
 * frame in *out. */
static int close_with_evictions(const struct cr_spool_call *c, const uint8_t *frame, size_t len,
				uint8_t **out, size_t *out_len)
{
	struct cr_frame f;
	json_t *o, *gaps, *seqs;
	char *json;
	uint64_t seq;
	int err;

	if (cr_frame_parse(frame, len, &f) != (long)len || f.length < CR_IDSEQ_WIRE)
		return -EPROTO;
	seq = cr_get_u64(f.body + CR_CALL_ID_BYTES);
	o = json_loadb((const char *)f.body + CR_IDSEQ_WIRE, f.length - CR_IDSEQ_WIRE, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return -EPROTO;
	}
	gaps = json_object_get(o, "gaps");
	if (!json_is_array(gaps)) {
		gaps = json_array();
		json_object_set_new(o, "gaps", gaps);
	}
	seqs = json_object_get(o, "evicted_seqs");
	if (!json_is_array(seqs)) {
		seqs = json_array();
		json_object_set_new(o, "evicted_seqs", seqs);
	}
	for (size_t i = 0; i < c->nev; i++) {
		const struct cr_spool_evicted *e = &c->ev[i];
		unsigned rate = e->rate ? e->rate : 16000;
		/* A chunk whose header could not be read has no known span: only its seq. */
		for (int ch = 1; ch <= 2 && e->frames; ch++)
			json_array_append_new(gaps, json_pack("{s:I, s:I, s:i, s:s}",
				"start_ms", (json_int_t)(e->start_frame * 1000 / rate),
				"length_ms", (json_int_t)(((uint64_t)e->frames * 1000 + rate / 2) / rate),
				"channel", ch,
				"cause", e->cause == CR_SPOOL_CORRUPT ? "corrupt" : "evicted"));
		add_lost_seq(seqs, e->seq);
	}
	json = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!json)
		return -ENOMEM;
	err = cr_idseq_frame(CR_F_CALL_CLOSE, c->id, seq, json, out, out_len);
	free(json);
	return err;
}

/* A call whose CALL_CLOSE is already spooled (and not in flight) has it rewritten. */
static void rewrite_close(struct cr_spool *s, struct cr_spool_call *c)
{
	struct cr_spool_entry *e = &c->e[c->n - 1];
	char dir[PATH_MAX], name[32];
	uint8_t *buf, *with;
	size_t len, wlen;

	if (!c->has_close || e->type != CR_F_CALL_CLOSE || e->send == CR_SEND_INFLIGHT)
		return;
	if (cr_spool_read(s, c, e, &buf, &len))
		return;
	/* The spooled close already lists the earlier evictions: add only the newest. */
	struct cr_spool_call one = *c;
	one.ev = &c->ev[c->nev - 1];
	one.nev = 1;
	if (close_with_evictions(&one, buf, len, &with, &wlen) == 0) {
		call_dir(s, c, dir, sizeof(dir));
		entry_name(e->seq, name);
		if (cr_write_atomic(dir, name, with, wlen, 0600) == 0) {
			s->bytes += wlen;
			s->bytes -= s->bytes >= e->bytes ? e->bytes : s->bytes;
			e->bytes = (uint32_t)wlen;
		}
		free(with);
	}
	free(buf);
}

/* Room for one more lost chunk in c->ev. 0 or -ENOMEM. */
static int grow_ev(struct cr_spool_call *c)
{
	if (c->nev == c->evcap) {
		size_t nc = c->evcap ? c->evcap * 2 : 8;
		struct cr_spool_evicted *n = realloc(c->ev, nc * sizeof(*n));
		if (!n)
			return -ENOMEM;
		c->ev = n;
		c->evcap = nc;
	}
	return 0;
}

/* Evict the oldest chunk that is neither acknowledged nor in flight. 0, or -ENOENT when
 * there is none. */
static int evict_one(struct cr_spool *s)
{
	struct cr_spool_call *best = NULL;
	size_t bi = 0;

	for (struct cr_spool_call *c = s->calls; c; c = c->next) {
		if (best && c->order > best->order)
			continue;
		for (size_t i = 0; i < c->n; i++) {
			const struct cr_spool_entry *e = &c->e[i];
			if (e->type == CR_F_CHUNK && !e->acked && e->send != CR_SEND_INFLIGHT) {
				best = c;
				bi = i;
				break;
			}
		}
	}
	if (!best)
		return -ENOENT;

	struct cr_spool_entry *e = &best->e[bi];
	struct cr_spool_evicted ev = { .seq = e->seq };
	uint8_t *buf;
	size_t len;
	struct cr_frame f;
	struct cr_chunk_hdr h;
	const uint8_t *audio;
	size_t ab;

	if (cr_spool_read(s, best, e, &buf, &len) == 0) {
		if (cr_frame_parse(buf, len, &f) > 0 &&
		    !cr_chunk_hdr_decode(f.body, f.length, &h, &audio, &ab)) {
			ev.start_frame = h.start_frame;
			ev.frames = h.frames;
			ev.rate = h.rate;
		}
		free(buf);
	}
	if (grow_ev(best))
		return -ENOMEM;
	if (delete_entry(s, best, bi))
		return -EIO;
	best->ev[best->nev++] = ev;
	s->evicted_chunks++;
	s->evicted_audio_frames += ev.frames;
	cr_log(s->evicted_chunks == 1 || s->evicted_chunks % 100 == 0 ? CR_LOG_WARNING : CR_LOG_DEBUG,
	       "spool: full; evicted %s/%llu (%u frames; %llu chunks evicted so far)", best->hex,
	       (unsigned long long)ev.seq, ev.frames, (unsigned long long)s->evicted_chunks);
	rewrite_close(s, best);
	return 0;
}

/* --- integrity of spooled chunks ---------------------------------------------------- */

/* Decode a spooled CHUNK frame and recompute its hash. 0 when intact; -EBADMSG when the
 * recomputed hash differs from the one in its header; -EILSEQ when its prev_hash differs
 * from `prev` (when given); -EPROTO when it does not even parse (*h is then unset); -EIO when hashing fails. */
static int verify_chunk(const uint8_t *buf, size_t len, const uint8_t *prev,
			struct cr_chunk_hdr *h)
{
	uint8_t hash[CR_HASH_BYTES];
	const uint8_t *audio;
	struct cr_frame f;
	size_t ab;
	long n = cr_frame_parse(buf, len, &f);

	if (n <= 0 || (size_t)n != len || f.type != CR_F_CHUNK ||
	    cr_chunk_hdr_decode(f.body, f.length, h, &audio, &ab))
		return -EPROTO;
	if (cr_chunk_hash(h, audio, ab, hash))
		return -EIO;
	if (memcmp(hash, h->hash, CR_HASH_BYTES))
		return -EBADMSG;
	if (prev && memcmp(prev, h->prev_hash, CR_HASH_BYTES))
		return -EILSEQ;
	return 0;
}

static void set_hashes(struct cr_spool_entry *e, const struct cr_chunk_hdr *h)
{
	e->has_hash = 1;
	memcpy(e->hash, h->hash, CR_HASH_BYTES);
	memcpy(e->prev_hash, h->prev_hash, CR_HASH_BYTES);
}

/* The hash that chunk `seq` must carry as prev_hash, when known: that of entry seq - 1 or of
 * the last chunk deleted intact. NULL when unknown (seq 1 follows the CALL_OPEN; a chunk
 * after a lost one cannot be checked). */
static const uint8_t *expected_prev(const struct cr_spool_call *c, uint64_t seq)
{
	for (size_t i = 0; i < c->n && c->e[i].seq < seq; i++)
		if (c->e[i].seq == seq - 1 && c->e[i].type == CR_F_CHUNK)
			return c->e[i].has_hash && !c->e[i].bad ? c->e[i].hash : NULL;
	return c->has_known && c->known_seq == seq - 1 ? c->known_hash : NULL;
}

/* Rename chunk i to SEQ.frame.corrupt, forget it and report it in the call's close like an
 * evicted chunk (cause "corrupt"). h: its header when it could be decoded, for the gap. */
static int quarantine(struct cr_spool *s, struct cr_spool_call *c, size_t i,
		      const struct cr_chunk_hdr *h, const char *why)
{
	struct cr_spool_evicted ev = { .seq = c->e[i].seq, .cause = CR_SPOOL_CORRUPT };
	char dir[PATH_MAX], from[PATH_MAX + 40], to[PATH_MAX + 48];
	int err;

	if (h) {
		ev.start_frame = h->start_frame;
		ev.frames = h->frames;
		ev.rate = h->rate;
	}
	err = grow_ev(c);
	if (err)
		return err;
	call_dir(s, c, dir, sizeof(dir));
	snprintf(from, sizeof(from), "%s/%" PRIu64 ".frame", dir, ev.seq);
	snprintf(to, sizeof(to), "%s/%" PRIu64 ".frame.corrupt", dir, ev.seq);
	if (rename(from, to) && errno != ENOENT) {
		err = -errno;
		cr_err("spool: %s is corrupt (%s) and cannot be renamed: %s; not sent", from, why,
		       strerror(-err));
		return err;
	}
	/* Durable, so a restart does not find the file again under its old name. */
	cr_fsync_dir(dir);
	drop_entry(s, c, i, 0);
	c->ev[c->nev++] = ev;
	s->corrupt_chunks++;
	cr_err("spool: %s is corrupt (%s): never sent, kept as %s; call %s closes with seq %"
	       PRIu64 " as a gap \"corrupt\"", from, why, to, c->hex, ev.seq);
	rewrite_close(s, c);
	return 0;
}

int cr_spool_check_chunk(struct cr_spool *s, struct cr_spool_call *c, size_t i,
			 const uint8_t *buf, size_t len)
{
	struct cr_chunk_hdr h;
	int err;

	if (c->e[i].type != CR_F_CHUNK)
		return 0;
	err = verify_chunk(buf, len, expected_prev(c, c->e[i].seq), &h);
	/* A chunk that verifies but belongs elsewhere (another call or seq) is no better. */
	if ((err == 0 || err == -EBADMSG || err == -EILSEQ) &&
	    (h.seq != c->e[i].seq || memcmp(h.call_id, c->id, CR_CALL_ID_BYTES)))
		err = -EPROTO;
	if (err == 0)
		return 0;
	if (err == -EIO)
		return err;
	err = quarantine(s, c, i, err == -EPROTO ? NULL : &h,
			 err == -EBADMSG ? "hash does not verify" :
			 err == -EILSEQ ? "prev_hash breaks the chain" : "not a valid chunk");
	return err ? err : 1;
}

/* After a scan: quarantine the chunks whose hash failed, and those whose prev_hash does not
 * match the previous seq's hash (ascending, so a quarantined chunk's successor is not
 * blamed for it). Only these files are read again. */
static int verify_call(struct cr_spool *s, struct cr_spool_call *c)
{
	for (size_t i = 0; i < c->n;) {
		struct cr_spool_entry *e = &c->e[i];
		const uint8_t *prev;
		uint8_t *buf;
		size_t len;
		int r;

		if (e->type != CR_F_CHUNK || (!e->has_hash && !e->bad)) {
			i++;
			continue;
		}
		prev = expected_prev(c, e->seq);
		if (!e->bad && (!prev || !memcmp(prev, e->prev_hash, CR_HASH_BYTES))) {
			i++;
			continue;
		}
		r = cr_spool_read(s, c, e, &buf, &len);
		if (r) {
			i++; /* checked again before it is sent */
			continue;
		}
		r = cr_spool_check_chunk(s, c, i, buf, len);
		free(buf);
		if (r == 0)
			e->bad = 0; /* it verifies now */
		if (r <= 0)
			i++; /* not quarantined: the check before sending refuses it again */
	}
	return 0;
}

int cr_spool_admit(struct cr_spool *s, size_t bytes)
{
	if (s->max_bytes && s->bytes + bytes > s->max_bytes && s->evict_oldest)
		while (s->bytes + bytes > s->max_bytes)
			if (evict_one(s))
				break;
	if (!s->max_bytes || s->bytes + bytes <= s->max_bytes) {
		if (s->full)
			cr_notice("spool: room again (%llu of %llu bytes); audio is spooled again",
				  (unsigned long long)s->bytes, s->max_bytes);
		s->full = 0;
		return 1;
	}
	if (!s->full)
		cr_warn("spool: full (%llu of max_bytes %llu): new audio is not spooled and is "
			"reported as a gap \"spool_full\"", (unsigned long long)s->bytes,
			s->max_bytes);
	s->full = 1;
	s->refused_chunks++;
	return 0;
}

int cr_spool_admit_chunk(void *spool, uint32_t frames)
{
	struct cr_spool *s = spool;
	int ok = cr_spool_admit(s, CR_FRAME_HDR + CR_CHUNK_HDR_WIRE + (size_t)frames * 4);

	if (!ok)
		s->refused_audio_frames += frames;
	return ok;
}

int cr_spool_put(struct cr_spool *s, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq,
		 uint8_t type, const uint8_t *frame, size_t len)
{
	struct cr_spool_call *c = find_call(s, id);
	char dir[PATH_MAX], name[32];
	int err;

	if (len > FRAME_MAX_FILE)
		return -EMSGSIZE;
	if (!c) {
		c = add_call(s, id);
		if (!c)
			return -ENOMEM;
	}
	call_dir(s, c, dir, sizeof(dir));
	if (c->n == 0) {
		if (mkdir(dir, 0700) && errno != EEXIST)
			return -errno;
		err = cr_fsync_dir(s->dir);
		if (err)
			return err;
	}
	entry_name(seq, name);
	if (type == CR_F_CALL_CLOSE && c->nev) {
		/* Chunks of this call were evicted while it ran: its close says so. */
		uint8_t *with;
		size_t wlen;
		err = close_with_evictions(c, frame, len, &with, &wlen);
		if (err)
			return err;
		err = cr_write_atomic(dir, name, with, wlen, 0600);
		free(with);
		len = wlen;
	} else {
		err = cr_write_atomic(dir, name, frame, len, 0600);
	}
	if (err)
		return err;
	err = add_entry(c, seq, (uint32_t)len, type);
	if (err)
		return err;
	s->bytes += len;
	if (type == CR_F_CHUNK) {
		/* Built by us a moment ago: its hashes are right, for checking its neighbours. */
		struct cr_chunk_hdr h;
		struct cr_frame f;
		const uint8_t *audio;
		size_t ab;
		if (cr_frame_parse(frame, len, &f) > 0 &&
		    !cr_chunk_hdr_decode(f.body, f.length, &h, &audio, &ab))
			set_hashes(cr_spool_find(s, id, seq, NULL), &h);
	}
	/* The kept end marker (an acknowledged earlier frame) is no longer needed. */
	for (size_t i = 0; i < c->n;) {
		if (c->e[i].acked && c->e[i].seq < seq && !delete_entry(s, c, i))
			continue;
		i++;
	}
	return 0;
}

struct cr_spool_entry *cr_spool_find(struct cr_spool *s, const uint8_t id[CR_CALL_ID_BYTES],
				     uint64_t seq, struct cr_spool_call **call)
{
	struct cr_spool_call *c = find_call(s, id);

	if (call)
		*call = c;
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n; i++)
		if (c->e[i].seq == seq)
			return &c->e[i];
	return NULL;
}

long cr_spool_ack(struct cr_spool *s, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq)
{
	struct cr_spool_call *c;
	struct cr_spool_entry *e = cr_spool_find(s, id, seq, &c);
	long bytes;

	if (!e)
		return -ENOENT;
	bytes = e->bytes;
	if (e->type == CR_F_CALL_CLOSE || e->type == CR_F_CALL_ERASE) {
		remove_call_dir(s, c);
		return bytes;
	}
	e->acked = 1;
	if (!c->has_close && e == &c->e[c->n - 1])
		return bytes; /* the call's end marker: kept until a later frame exists */
	delete_entry(s, c, (size_t)(e - c->e));
	return bytes;
}

int cr_spool_read(const struct cr_spool *s, const struct cr_spool_call *c,
		  const struct cr_spool_entry *e, uint8_t **buf, size_t *len)
{
	char path[PATH_MAX + 40];
	char *data;
	int err;

	snprintf(path, sizeof(path), "%s/%s/%" PRIu64 ".frame", s->dir, c->hex, e->seq);
	err = cr_read_file(path, FRAME_MAX_FILE, &data, len);
	if (err)
		return err;
	*buf = (uint8_t *)data;
	return 0;
}

void cr_spool_backlog(const struct cr_spool *s, uint64_t *frames, uint64_t *bytes)
{
	*frames = 0;
	*bytes = 0;
	for (const struct cr_spool_call *c = s->calls; c; c = c->next)
		for (size_t i = 0; i < c->n; i++)
			if (!c->e[i].acked) {
				(*frames)++;
				*bytes += c->e[i].bytes;
			}
}

void cr_spool_reset_sending(struct cr_spool *s)
{
	for (struct cr_spool_call *c = s->calls; c; c = c->next)
		for (size_t i = 0; i < c->n; i++)
			c->e[i].send = CR_SEND_PENDING;
}

/* --- scanning a previous run's spool -------------------------------------------------- */

static int parse_seq_name(const char *name, uint64_t *seq)
{
	const char *p = name;
	uint64_t v = 0;

	if (!*p)
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == name || strcmp(p, ".frame"))
		return -1;
	*seq = v;
	return 0;
}

/* A spooled file must be exactly one frame whose type and (id, seq) match its place. */
static int check_file(const uint8_t *buf, size_t len, const uint8_t id[CR_CALL_ID_BYTES],
		      uint64_t seq, uint8_t *type)
{
	struct cr_frame f;
	uint8_t fid[CR_CALL_ID_BYTES];
	uint64_t fseq;
	long n = cr_frame_parse(buf, len, &f);

	if (n <= 0 || (size_t)n != len)
		return -EPROTO;
	if (f.type == CR_F_CHUNK) {
		struct cr_chunk_hdr h;
		const uint8_t *audio;
		size_t ab;
		if (cr_chunk_hdr_decode(f.body, f.length, &h, &audio, &ab))
			return -EPROTO;
		memcpy(fid, h.call_id, sizeof(fid));
		fseq = h.seq;
	} else if (f.type == CR_F_CALL_OPEN || f.type == CR_F_CALL_CLOSE ||
		   f.type == CR_F_CALL_ERASE) {
		if (f.length < CR_IDSEQ_WIRE)
			return -EPROTO;
		memcpy(fid, f.body, sizeof(fid));
		fseq = cr_get_u64(f.body + CR_CALL_ID_BYTES);
	} else {
		return -EPROTO;
	}
	/* seq 0 is the CALL_OPEN, or the CALL_ERASE that replaced every frame of the call. */
	if (memcmp(fid, id, sizeof(fid)) || fseq != seq ||
	    (f.type == CR_F_CALL_OPEN || f.type == CR_F_CALL_ERASE) != (seq == 0))
		return -EPROTO;
	*type = f.type;
	return 0;
}

static int scan_call(struct cr_spool *s, const char *hex)
{
	uint8_t id[CR_CALL_ID_BYTES];
	char dir[PATH_MAX];
	struct cr_spool_call *c;
	struct dirent *de;
	DIR *d;
	int err = 0;

	if (strlen(hex) != 2 * CR_CALL_ID_BYTES || cr_id_from_hex(hex, id))
		return 0; /* not ours */
	snprintf(dir, sizeof(dir), "%s/%.32s", s->dir, hex);
	d = opendir(dir);
	if (!d)
		return errno == ENOTDIR ? 0 : -errno;
	c = find_call(s, id);
	if (!c && !(c = add_call(s, id))) {
		closedir(d);
		return -ENOMEM;
	}
	while ((de = readdir(d))) {
		char path[PATH_MAX + 256];
		uint64_t seq;
		uint8_t type, *buf;
		size_t len;

		if (parse_seq_name(de->d_name, &seq)) {
			/* A write cut short by a crash (cr_write_atomic's ".SEQ.frame.tmp"): never
			 * renamed, so never sent; the frame itself is rebuilt or closed over. */
			size_t nl = strlen(de->d_name);
			if (de->d_name[0] == '.' && nl > 10 && !strcmp(de->d_name + nl - 10, ".frame.tmp") &&
			    !parse_seq_name(strndupa(de->d_name + 1, nl - 5), &seq))
				cr_unlink_durable(dir, de->d_name);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		err = cr_read_file(path, FRAME_MAX_FILE, (char **)&buf, &len);
		if (err) {
			cr_err("spool: cannot read %s: %s", path, strerror(-err));
			err = 0;
			continue;
		}
		if (check_file(buf, len, id, seq, &type)) {
			free(buf);
			if (seq == 0) {
				/* Without its CALL_OPEN the call cannot be shown at all. */
				cr_err("spool: %s is not a valid frame for its place; left alone", path);
				continue;
			}
			/* In a chunk's place (or a close's, which then never comes): never sent;
			 * verify_call quarantines it and the close lists its seq as lost. */
			cr_err("spool: %s is not a valid frame for its place; quarantined", path);
			err = add_entry(c, seq, (uint32_t)len, CR_F_CHUNK);
			if (err)
				break;
			s->bytes += len;
			cr_spool_find(s, id, seq, NULL)->bad = 1;
			continue;
		}
		struct cr_chunk_hdr h;
		int v = type == CR_F_CHUNK ? verify_chunk(buf, len, NULL, &h) : -EPROTO;
		free(buf);
		err = add_entry(c, seq, (uint32_t)len, type);
		if (err)
			break;
		s->bytes += len;
		if (v == 0 || v == -EBADMSG) {
			/* Quarantined by verify_call once the whole directory is known (its close
			 * may come later in this listing). */
			struct cr_spool_entry *e = cr_spool_find(s, id, seq, NULL);
			set_hashes(e, &h);
			e->bad = v == -EBADMSG;
		}
	}
	closedir(d);
	if (!err)
		err = verify_call(s, c);
	if (!err && c->n == 0) {
		/* Everything was acknowledged before the directory could be removed. */
		if (rmdir(dir) == 0)
			cr_fsync_dir(s->dir);
		remove_call(s, c);
	}
	return err;
}

int cr_spool_scan(struct cr_spool *s)
{
	DIR *d = opendir(s->dir);
	struct dirent *de;
	int err = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)) && !err)
		err = scan_call(s, de->d_name);
	closedir(d);
	return err;
}

/* Frames covered by the chunk in entry e (0 when it is not a chunk or unreadable). */
static uint64_t end_frame(const struct cr_spool *s, const struct cr_spool_call *c,
			  const struct cr_spool_entry *e, time_t *mtime, unsigned *rate)
{
	char path[PATH_MAX + 40];
	struct stat st;
	uint8_t *buf;
	size_t len;
	struct cr_frame f;
	struct cr_chunk_hdr h;
	const uint8_t *audio;
	size_t ab;
	uint64_t end = 0;

	snprintf(path, sizeof(path), "%s/%s/%" PRIu64 ".frame", s->dir, c->hex, e->seq);
	*mtime = stat(path, &st) == 0 ? st.st_mtime : 0;
	if (e->type != CR_F_CHUNK || cr_spool_read(s, c, e, &buf, &len))
		return 0;
	if (cr_frame_parse(buf, len, &f) > 0 &&
	    !cr_chunk_hdr_decode(f.body, f.length, &h, &audio, &ab) && h.rate) {
		end = h.start_frame + h.frames;
		*rate = h.rate;
	}
	free(buf);
	return end;
}

int cr_spool_close_orphans(struct cr_spool *s)
{
	int closed = 0;

	for (struct cr_spool_call *c = s->calls; c; c = c->next) {
		struct cr_spool_entry *last;
		struct timespec now;
		struct cr_gap gap[2];
		unsigned rate = 16000;
		time_t mtime;
		uint8_t *frame;
		size_t len;
		char *json;
		int err;

		if (c->has_close || c->n == 0)
			continue;
		last = &c->e[c->n - 1];
		uint64_t close_seq = last->seq + 1;
		/* A lost (corrupt) chunk may have been the last one: the close comes after it. */
		for (size_t k = 0; k < c->nev; k++)
			if (c->ev[k].seq >= close_seq)
				close_seq = c->ev[k].seq + 1;
		clock_gettime(CLOCK_REALTIME, &now);
		/* The audio ends with the last chunk; from then until now nothing was recorded, on
		 * either channel. */
		gap[0].start = end_frame(s, c, last, &mtime, &rate);
		gap[0].length = mtime && now.tv_sec > mtime ? (uint64_t)(now.tv_sec - mtime) * rate : 0;
		gap[0].channel = 0;
		gap[0].cause = CR_GAP_AGENT;
		gap[1] = gap[0];
		gap[1].channel = 1;
		json = cr_meta_close_json(&now, gap[0].start, rate, gap, 2);
		if (!json)
			return -ENOMEM;
		err = cr_idseq_frame(CR_F_CALL_CLOSE, c->id, close_seq, json, &frame, &len);
		free(json);
		if (err)
			return err;
		err = cr_spool_put(s, c->id, close_seq, CR_F_CALL_CLOSE, frame, len);
		free(frame);
		if (err)
			return err;
		cr_notice("call %s: closed after an agent restart (cause \"agent\")", c->hex);
		closed++;
	}
	return closed;
}
