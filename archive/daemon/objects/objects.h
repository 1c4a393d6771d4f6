/* The object store: every byte of recording the archive keeps, behind one interface, so that
 * an S3-compatible store (with Object Lock) can replace the directory one. Nothing else in the
 * daemon opens a file of recordings; what it holds is ciphertext only (vault/crypt.h).
 *
 * Two kinds of objects:
 *  - call objects: a call's encrypted WAV and manifest, by (call id, name). Written whole and
 *    made visible and durable at once (commit); read as a stream; all of a call's objects
 *    removed together at erasure.
 *  - segments: the chunk audio of many calls, appended in batches by the group commit. An
 *    append returns where the bytes will be (segment number, offset), which the index records
 *    only after seg_sync has made them durable; bytes past the last sync are never referenced.
 *    The directory backend appends to DATA/segments/NNNNNNNN.seg; a store that cannot append
 *    (S3) writes each synced batch as one object and numbers segments so that every archive
 *    sharing the store gets its own (a segment number is the index's INTEGER).
 *
 * A handle belongs to one thread; ops->open_peer gives another thread its own. All calls
 * return 0 or -errno unless said otherwise. Errors are logged by the backend, at debug level
 * while `quiet` is set (the caller has reported an outage and wants one line, not one per
 * turn). */
#ifndef CALLREC_ARCHIVED_OBJECTS_OBJECTS_H
#define CALLREC_ARCHIVED_OBJECTS_OBJECTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "frame.h"

struct ad_object; /* one call object open for writing or reading */
struct ad_objects;

struct ad_objects_ops {
	/* --- call objects --- */
	/* A new object; invisible until commit. */
	int (*create)(struct ad_objects *ob, const uint8_t id[CR_CALL_ID_BYTES], const char *name,
		      struct ad_object **out);
	int (*write)(struct ad_object *o, const void *data, size_t len);
	/* Durable and visible (replacing an older one of the name); releases o. */
	int (*commit)(struct ad_object *o);
	/* Releases o; nothing becomes visible. */
	void (*abort)(struct ad_object *o);
	/* An existing object: 0, -ENOENT, or -errno. */
	int (*open)(struct ad_objects *ob, const uint8_t id[CR_CALL_ID_BYTES], const char *name,
		    struct ad_object **out);
	/* Up to len bytes, 0 at the end, or -errno. */
	ssize_t (*read)(struct ad_object *o, void *buf, size_t len);
	void (*close)(struct ad_object *o);
	/* Every object of the call, durably gone (0 when there were none). */
	int (*remove_call)(struct ad_objects *ob, const uint8_t id[CR_CALL_ID_BYTES]);

	/* --- segments --- */
	/* Queue len bytes; *seg and *off say where they will be once synced. */
	int (*seg_append)(struct ad_objects *ob, const void *data, size_t len, uint32_t *seg,
			  uint64_t *off);
	/* Everything appended is durable. After a failure nothing appended since the last
	 * successful sync may be referenced (the next appends go elsewhere). */
	int (*seg_sync)(struct ad_objects *ob);
	/* len bytes at (seg, off) into buf; -EIO when the segment is shorter. */
	int (*seg_read)(struct ad_objects *ob, uint32_t seg, uint64_t off, void *buf, size_t len);
	/* The bytes at (seg, off, len) are no longer needed (an erased call's chunks): free
	 * them where the store can. Best effort: they are ciphertext under a destroyed key. */
	int (*seg_discard)(struct ad_objects *ob, uint32_t seg, uint64_t off, uint64_t len);

	/* Another handle on the same store, for another thread. */
	int (*open_peer)(struct ad_objects *ob, struct ad_objects **out);
	void (*free)(struct ad_objects *ob);
};

struct ad_objects {
	const struct ad_objects_ops *ops;
	int quiet; /* log failures at debug level (an outage is already reported) */
};

/* The object store `spec` names for the data directory: NULL or "dir" (the directory backend,
 * objects under DATA/calls, segments under DATA/segments). -EINVAL for an unknown spec. */
int ad_objects_open(const char *spec, const char *data_dir, struct ad_objects **out);

#endif
