/* The directory backend of the object store (objects.h): the embedded default. Private to
 * objects/dir_*.c, except ad_objects_dir_segment_max() for tests.
 *
 *   DATA/calls/HEX/NAME           a call's objects, written to a temporary name, fsynced,
 *                                 renamed, and the directory fsynced
 *   DATA/segments/NNNNNNNN.seg    chunk audio, appended in aligned batches (O_DIRECT where
 *                                 the file system allows), one fdatasync per sync */
#ifndef CALLREC_ARCHIVED_OBJECTS_DIR_H
#define CALLREC_ARCHIVED_OBJECTS_DIR_H

#include "objects/objects.h"

#define AD_SEGMENT_MAX_BYTES (256ull * 1024 * 1024) /* a segment rolls over beyond this */

struct dir_objects {
	struct ad_objects base; /* first */
	char *data;             /* DATA */
	char *calls;            /* DATA/calls */
	/* The segment being appended to. A batch of chunk audio is gathered in `batch` and
	 * written at seg_off in one aligned write at sync (or earlier when it grows large). */
	int seg_fd;
	int seg_direct;
	uint32_t seg_no;
	uint64_t seg_off, seg_max;
	int seg_dirty;
	int seg_error; /* a batch write failed since the last sync: the sync must fail */
	uint8_t *batch;
	size_t batch_len, batch_cap;
	/* One cached read descriptor. */
	int rd_fd;
	uint32_t rd_no;
};

/* Logged as an error unless the caller reported an outage (then at debug level). */
#define dir_err(d, ...)                                                                      \
	do {                                                                                 \
		if ((d)->base.quiet)                                                         \
			cr_debug(__VA_ARGS__);                                               \
		else                                                                         \
			cr_err(__VA_ARGS__);                                                 \
	} while (0)

/* Call objects (dir_calls.c). */
int ad_dir_create(struct ad_objects *ob, const uint8_t id[CR_CALL_ID_BYTES], const char *name,
		  struct ad_object **out);
int ad_dir_write(struct ad_object *o, const void *data, size_t len);
int ad_dir_commit(struct ad_object *o);
void ad_dir_abort(struct ad_object *o);
int ad_dir_open(struct ad_objects *ob, const uint8_t id[CR_CALL_ID_BYTES], const char *name,
		struct ad_object **out);
ssize_t ad_dir_read(struct ad_object *o, void *buf, size_t len);
int ad_dir_remove_call(struct ad_objects *ob, const uint8_t id[CR_CALL_ID_BYTES]);

/* Segments (dir_segments.c). */
int ad_dir_segments_open(struct dir_objects *d, int writer);
void ad_dir_segments_close(struct dir_objects *d);
int ad_dir_seg_append(struct ad_objects *ob, const void *data, size_t len, uint32_t *seg,
		      uint64_t *off);
int ad_dir_seg_sync(struct ad_objects *ob);
int ad_dir_seg_read(struct ad_objects *ob, uint32_t seg, uint64_t off, void *buf, size_t len);
int ad_dir_seg_discard(struct ad_objects *ob, uint32_t seg, uint64_t off, uint64_t len);

/* Open the backend on DATA; `writer` appends segments (one per data directory). */
int ad_objects_dir_open(const char *data_dir, int writer, struct ad_objects **out);
/* Segment roll size (tests use small values). */
void ad_objects_dir_segment_max(struct ad_objects *ob, uint64_t bytes);

#endif
