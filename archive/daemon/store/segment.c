/* Segment files: chunk audio appended to DATA/segments/NNNNNNNN.seg.
 *
 * Chunks staged in one turn are copied into an aligned batch buffer and written with one
 * pwrite when the turn commits (or earlier when the batch is full), then one fdatasync. With
 * O_DIRECT the kernel takes the data straight from the buffer instead of copying it into the
 * page cache, which was the largest CPU cost of the event loop at thousands of streams.
 * Batches are padded to AD_SEGMENT_ALIGN so every write and offset stays aligned.
 *
 * A segment only ever grows; bytes past the last committed chunk (a crash between write and
 * commit, a failed commit) are never referenced by the index. */
#include "store/internal.h"

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

static uint64_t align_up(uint64_t v)
{
	return (v + AD_SEGMENT_ALIGN - 1) & ~(uint64_t)(AD_SEGMENT_ALIGN - 1);
}

static void segment_path(const struct ad_store *s, uint32_t no, char *out, size_t len)
{
	snprintf(out, len, "%s/segments/%08u.seg", s->dir, no);
}

static int open_segment(struct ad_store *s, uint32_t no)
{
	char path[4096], dir[4096];
	struct stat st;
	int fd, created, direct = 1;

	segment_path(s, no, path, sizeof(path));
	created = access(path, F_OK) != 0;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_DIRECT, 0600);
	if (fd < 0 && errno == EINVAL) { /* e.g. tmpfs: buffered writes instead */
		direct = 0;
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		ad_store_err(s, "storage: cannot open segment %s: %s", path, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	if (created) {
		/* The new name must survive a crash before anything in it is acknowledged. */
		snprintf(dir, sizeof(dir), "%s/segments", s->dir);
		int r = cr_fsync_dir(dir);
		if (r < 0) {
			ad_store_err(s, "storage: cannot sync %s: %s", dir, strerror(-r));
			close(fd);
			return r;
		}
	}
	if (s->seg_fd >= 0)
		close(s->seg_fd);
	s->seg_fd = fd;
	s->seg_direct = direct;
	s->seg_no = no;
	s->seg_off = align_up((uint64_t)st.st_size); /* a torn tail is never referenced */
	s->seg_dirty = 0;
	return 0;
}

int ad_segment_open_latest(struct ad_store *s)
{
	char dir[4096];
	uint32_t best = 0;
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/segments", s->dir);
	d = opendir(dir);
	if (!d) {
		cr_err("storage: cannot read %s: %m", dir);
		return -errno;
	}
	while ((e = readdir(d))) {
		unsigned no;
		char tail;

		if (sscanf(e->d_name, "%8u.se%c", &no, &tail) == 2 && tail == 'g' &&
		    strlen(e->d_name) == 12 && no > best)
			best = no;
	}
	closedir(d);
	return open_segment(s, best ? best : 1);
}

/* Write the batch at seg_off (padded to the alignment). 0 or -errno; the batch is emptied
 * either way, and a failure marks the turn failed. */
static int flush_batch(struct ad_store *s)
{
	size_t len = (size_t)align_up(s->batch_len), done = 0;
	int rc = 0;

	if (!s->batch_len)
		return 0;
	memset(s->batch + s->batch_len, 0, len - s->batch_len);
	while (done < len) {
		ssize_t n = pwrite(s->seg_fd, s->batch + done, len - done, (off_t)(s->seg_off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			ad_store_err(s, "storage: cannot write segment %08u: %s; not acknowledging",
				     s->seg_no, strerror(-rc));
			break;
		}
		done += (size_t)n;
	}
	s->batch_len = 0;
	if (rc < 0) {
		s->seg_error = rc;
		return rc;
	}
	s->seg_off += len;
	s->seg_dirty = 1;
	return 0;
}

int ad_segment_sync(struct ad_store *s)
{
	int rc = flush_batch(s);

	if (rc == 0 && s->seg_error)
		rc = s->seg_error;
	s->seg_error = 0;
	if (rc == 0 && s->seg_dirty && fdatasync(s->seg_fd) < 0) {
		rc = -errno;
		ad_store_err(s, "storage: fdatasync of segment %08u failed: %s", s->seg_no,
			     strerror(-rc));
	}
	if (rc < 0) {
		/* After a failed write or sync the file's state is unknown: never append there
		 * again. Except a segment that holds nothing yet (an outage that keeps failing):
		 * it is emptied and reused rather than leaving one empty file per failed turn. */
		if (s->seg_off == 0 && ftruncate(s->seg_fd, 0) == 0)
			return rc;
		if (open_segment(s, s->seg_no + 1) < 0)
			ad_store_err(s, "storage: cannot start a new segment");
		return rc;
	}
	s->seg_dirty = 0;
	return 0;
}

static int batch_reserve(struct ad_store *s, size_t len)
{
	size_t want = s->batch_cap ? s->batch_cap : 1024 * 1024;
	void *p;

	/* Room for the padding too. */
	if (s->batch_len + len + AD_SEGMENT_ALIGN <= s->batch_cap)
		return 0;
	while (want < s->batch_len + len + AD_SEGMENT_ALIGN)
		want *= 2;
	if (posix_memalign(&p, AD_SEGMENT_ALIGN, want) != 0)
		return -ENOMEM;
	if (s->batch_len)
		memcpy(p, s->batch, s->batch_len);
	free(s->batch);
	s->batch = p;
	s->batch_cap = want;
	return 0;
}

int ad_segment_append(struct ad_store *s, const void *data, size_t len, uint32_t *seg,
		      uint64_t *off)
{
	int r;

	if (s->seg_fd < 0)
		return -EIO;
	if (s->seg_off + s->batch_len > 0 && s->seg_off + align_up(s->batch_len + len) > s->seg_max) {
		/* Roll: what this turn staged in the old segment must be durable before it is
		 * left behind, since the commit only syncs the current one. */
		r = ad_segment_sync(s);
		if (r == 0)
			r = open_segment(s, s->seg_no + 1);
		if (r < 0)
			return r;
	}
	if (s->batch_len && s->batch_len + len > AD_BATCH_MAX) {
		r = flush_batch(s);
		if (r < 0)
			return r;
	}
	r = batch_reserve(s, len);
	if (r < 0)
		return r;
	memcpy(s->batch + s->batch_len, data, len);
	*seg = s->seg_no;
	*off = s->seg_off + s->batch_len;
	s->batch_len += len;
	return 0;
}

int ad_store_read_chunk(struct ad_store *s, const struct ad_chunk_info *c, void *buf)
{
	size_t done = 0;
	int fd;

	/* A separate buffered descriptor: O_DIRECT would need aligned reads. */
	if (s->rd_fd < 0 || s->rd_no != c->segment) {
		char path[4096];

		if (s->rd_fd >= 0)
			close(s->rd_fd);
		segment_path(s, c->segment, path, sizeof(path));
		s->rd_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (s->rd_fd < 0) {
			cr_err("storage: cannot open %s: %m", path);
			return -errno;
		}
		s->rd_no = c->segment;
	}
	fd = s->rd_fd;
	while (done < c->length) {
		ssize_t n = pread(fd, (uint8_t *)buf + done, c->length - done,
				  (off_t)(c->offset + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			cr_err("storage: segment %08u short at offset %llu", c->segment,
			       (unsigned long long)c->offset);
			return n < 0 ? -errno : -EIO;
		}
		done += (size_t)n;
	}
	return 0;
}
