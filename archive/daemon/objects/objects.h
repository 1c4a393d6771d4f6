/* Object storage behind an interface: the per-call objects (the encrypted WAV and manifest)
 * are written, read and removed through this small vtable, so that an S3-compatible store can
 * replace the directory one. The directory backend (the embedded default) keeps object NAME
 * of call ID at DATA/calls/HEX/NAME, written durably and atomically (temporary name, fsync,
 * rename, fsync of the directory).
 *
 * Chunks and the index are the other half of the storage interface (store.h: staging and
 * group commit of chunk batches, chunk reads, index queries), implemented by segments +
 * SQLite; a PostgreSQL index would implement store.h's functions. */
#ifndef CALLREC_ARCHIVED_OBJECTS_OBJECTS_H
#define CALLREC_ARCHIVED_OBJECTS_OBJECTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "frame.h"

struct ad_blob; /* one object open for writing or reading */
struct ad_blobs;

struct ad_blobs_ops {
	/* A new object; invisible until commit. 0 or -errno. */
	int (*create)(struct ad_blobs *b, const uint8_t id[CR_CALL_ID_BYTES], const char *name,
		      struct ad_blob **out);
	int (*write)(struct ad_blob *o, const void *data, size_t len);
	/* Durable and visible (replacing an older one of the name); releases o. 0 or -errno. */
	int (*commit)(struct ad_blob *o);
	/* Releases o; nothing becomes visible. */
	void (*abort)(struct ad_blob *o);
	/* An existing object. 0, -ENOENT or -errno. */
	int (*open)(struct ad_blobs *b, const uint8_t id[CR_CALL_ID_BYTES], const char *name,
		    struct ad_blob **out);
	/* Up to len bytes, 0 at the end, or -errno. */
	ssize_t (*read)(struct ad_blob *o, void *buf, size_t len);
	void (*close)(struct ad_blob *o);
	/* Every object of the call, durably gone (0 when there were none). 0 or -errno. */
	int (*remove_call)(struct ad_blobs *b, const uint8_t id[CR_CALL_ID_BYTES]);
	void (*free)(struct ad_blobs *b);
};

struct ad_blobs {
	const struct ad_blobs_ops *ops;
};

/* The directory backend on DATA (objects under DATA/calls). 0 or -errno. */
int ad_blobs_dir_new(const char *data_dir, struct ad_blobs **out);

#endif
