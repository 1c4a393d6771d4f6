/* Segments of the directory backend: chunk audio appended to DATA/segments/NNNNNNNN.seg.
 *
 * What is appended between two syncs (one event-loop turn) is copied into an aligned batch
 * buffer and written with one pwrite at the sync (or earlier when the batch is full), then
 * one fdatasync. With O_DIRECT the kernel takes the data straight from the buffer instead of
 * copying it into the page cache, which was the largest CPU cost of the event loop at
 * thousands of streams. Batches are padded to AD_SEGMENT_ALIGN so every write and offset stays
 * aligned.
 *
 * A segment only ever grows; bytes past the last sync (a crash between write and commit, a
 * failed commit) are never referenced by the index. */
#include "objects/dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"

#define AD_SEGMENT_ALIGN 4096u
#define AD_BATCH_MAX (16u * 1024u * 1024u) /* write out earlier beyond this */

_Static_assert((AD_SEGMENT_ALIGN & (AD_SEGMENT_ALIGN - 1)) == 0,
	       "segment offsets are aligned by masking");

static uint64_t align_up(uint64_t v)
{
	return (v + AD_SEGMENT_ALIGN - 1) & ~(uint64_t)(AD_SEGMENT_ALIGN - 1);
}

static void segment_path(const struct dir_objects *d, uint32_t no, char *out, size_t len)
{
	snprintf(out, len, "%s/segments/%08u.seg", d->data, no);
}

static int open_segment(struct dir_objects *d, uint32_t no)
{
	char path[4096], dir[4096];
	struct stat st;
	int fd, created, direct = 1;

	segment_path(d, no, path, sizeof(path));
	created = access(path, F_OK) != 0;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_DIRECT, 0600);
	if (fd < 0 && errno == EINVAL) { /* e.g. tmpfs: buffered writes instead */
		direct = 0;
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		dir_err(d, "storage: cannot open segment %s: %s", path, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	if (created) {
		/* The new name must survive a crash before anything in it is acknowledged. */
		snprintf(dir, sizeof(dir), "%s/segments", d->data);
		int r = cr_fsync_dir(dir);
		if (r < 0) {
			dir_err(d, "storage: cannot sync %s: %s", dir, strerror(-r));
			close(fd);
			return r;
		}
	}
	if (d->seg_fd >= 0)
		close(d->seg_fd);
	d->seg_fd = fd;
	d->seg_direct = direct;
	d->seg_no = no;
	d->seg_off = align_up((uint64_t)st.st_size); /* a torn tail is never referenced */
	d->seg_dirty = 0;
	return 0;
}

/* The writer continues the highest-numbered segment. */
static int open_latest(struct dir_objects *d)
{
	char dir[4096];
	uint32_t best = 0;
	struct dirent *e;
	DIR *dd;
	int rc;

	snprintf(dir, sizeof(dir), "%s/segments", d->data);
	rc = cr_mkdir_p(dir, 0700);
	if (rc < 0) {
		cr_err("storage: cannot create %s: %s", dir, strerror(-rc));
		return rc;
	}
	dd = opendir(dir);
	if (!dd) {
		cr_err("storage: cannot read %s: %m", dir);
		return -errno;
	}
	while ((e = readdir(dd))) {
		unsigned no;
		char tail;

		if (sscanf(e->d_name, "%8u.se%c", &no, &tail) == 2 && tail == 'g' &&
		    strlen(e->d_name) == 12 && no > best)
			best = no;
	}
	closedir(dd);
	return open_segment(d, best ? best : 1);
}

int ad_dir_segments_open(struct dir_objects *d, int writer)
{
	d->seg_fd = d->rd_fd = -1;
	d->seg_max = AD_SEGMENT_MAX_BYTES;
	return writer ? open_latest(d) : 0;
}

void ad_dir_segments_close(struct dir_objects *d)
{
	if (d->seg_fd >= 0)
		close(d->seg_fd);
	if (d->rd_fd >= 0)
		close(d->rd_fd);
	d->seg_fd = d->rd_fd = -1;
	free(d->batch);
	d->batch = NULL;
}

/* Write the batch at seg_off (padded to the alignment). 0 or -errno; the batch is emptied
 * either way, and a failure marks the sync failed. */
static int flush_batch(struct dir_objects *d)
{
	size_t len = (size_t)align_up(d->batch_len), done = 0;
	int rc = 0;

	if (!d->batch_len)
		return 0;
	memset(d->batch + d->batch_len, 0, len - d->batch_len);
	while (done < len) {
		ssize_t n = pwrite(d->seg_fd, d->batch + done, len - done, (off_t)(d->seg_off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			dir_err(d, "storage: cannot write segment %08u: %s; not acknowledging",
				d->seg_no, strerror(-rc));
			break;
		}
		done += (size_t)n;
	}
	d->batch_len = 0;
	if (rc < 0) {
		d->seg_error = rc;
		return rc;
	}
	d->seg_off += len;
	d->seg_dirty = 1;
	return 0;
}

int ad_dir_seg_sync(struct ad_objects *ob)
{
	struct dir_objects *d = (struct dir_objects *)ob;
	int rc = flush_batch(d);

	if (rc == 0 && d->seg_error)
		rc = d->seg_error;
	d->seg_error = 0;
	if (rc == 0 && d->seg_dirty && fdatasync(d->seg_fd) < 0) {
		rc = -errno;
		dir_err(d, "storage: fdatasync of segment %08u failed: %s", d->seg_no,
			strerror(-rc));
	}
	if (rc < 0) {
		/* After a failed write or sync the file's state is unknown: never append there
		 * again. Except a segment that holds nothing yet (an outage that keeps failing):
		 * it is emptied and reused rather than leaving one empty file per failed turn. */
		if (d->seg_off == 0 && ftruncate(d->seg_fd, 0) == 0)
			return rc;
		if (open_segment(d, d->seg_no + 1) < 0)
			dir_err(d, "storage: cannot start a new segment");
		return rc;
	}
	d->seg_dirty = 0;
	return 0;
}

static int batch_reserve(struct dir_objects *d, size_t len)
{
	size_t want = d->batch_cap ? d->batch_cap : 1024 * 1024;
	void *p;

	/* Room for the padding too. */
	if (d->batch_len + len + AD_SEGMENT_ALIGN <= d->batch_cap)
		return 0;
	while (want < d->batch_len + len + AD_SEGMENT_ALIGN)
		want *= 2;
	if (posix_memalign(&p, AD_SEGMENT_ALIGN, want) != 0)
		return -ENOMEM;
	if (d->batch_len)
		memcpy(p, d->batch, d->batch_len);
	free(d->batch);
	d->batch = p;
	d->batch_cap = want;
	return 0;
}

int ad_dir_seg_append(struct ad_objects *ob, const void *data, size_t len, uint32_t *seg,
		      uint64_t *off)
{
	struct dir_objects *d = (struct dir_objects *)ob;
	int r;

	if (d->seg_fd < 0)
		return -EIO;
	if (d->seg_off + d->batch_len > 0 && d->seg_off + align_up(d->batch_len + len) > d->seg_max) {
		/* Roll: what was appended to the old segment must be durable before it is left
		 * behind, since a sync only syncs the current one. */
		r = ad_dir_seg_sync(ob);
		if (r == 0)
			r = open_segment(d, d->seg_no + 1);
		if (r < 0)
			return r;
	}
	if (d->batch_len && d->batch_len + len > AD_BATCH_MAX) {
		r = flush_batch(d);
		if (r < 0)
			return r;
	}
	r = batch_reserve(d, len);
	if (r < 0)
		return r;
	memcpy(d->batch + d->batch_len, data, len);
	*seg = d->seg_no;
	*off = d->seg_off + d->batch_len;
	d->batch_len += len;
	return 0;
}

int ad_dir_seg_read(struct ad_objects *ob, uint32_t seg, uint64_t off, void *buf, size_t len)
{
	struct dir_objects *d = (struct dir_objects *)ob;
	size_t done = 0;

	/* A separate buffered descriptor: O_DIRECT would need aligned reads. */
	if (d->rd_fd < 0 || d->rd_no != seg) {
		char path[4096];

		if (d->rd_fd >= 0)
			close(d->rd_fd);
		segment_path(d, seg, path, sizeof(path));
		d->rd_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (d->rd_fd < 0) {
			cr_err("storage: cannot open %s: %m", path);
			return -errno;
		}
		d->rd_no = seg;
	}
	while (done < len) {
		ssize_t n = pread(d->rd_fd, (uint8_t *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			cr_err("storage: segment %08u short at offset %llu", seg,
			       (unsigned long long)off);
			return n < 0 ? -errno : -EIO;
		}
		done += (size_t)n;
	}
	return 0;
}

int ad_dir_seg_discard(struct ad_objects *ob, uint32_t seg, uint64_t off, uint64_t len)
{
	struct dir_objects *d = (struct dir_objects *)ob;
	char path[4096];
	int fd, rc = 0;

	/* The segment is shared with other calls: punch the bytes out (this frees the space). */
	segment_path(d, seg, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) < 0 ||
	    fdatasync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}
