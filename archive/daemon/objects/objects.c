/* Choosing the object store, and the directory backend's table. See objects.h and dir.h. */
#include "objects/dir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "log.h"

static int dir_open_peer(struct ad_objects *ob, struct ad_objects **out)
{
	return ad_objects_dir_open(((struct dir_objects *)ob)->data, 0, out);
}

static void dir_free(struct ad_objects *ob)
{
	struct dir_objects *d = (struct dir_objects *)ob;

	if (!d)
		return;
	ad_dir_segments_close(d);
	free(d->data);
	free(d->calls);
	free(d);
}

static const struct ad_objects_ops dir_ops = {
	.create = ad_dir_create,
	.write = ad_dir_write,
	.commit = ad_dir_commit,
	.abort = ad_dir_abort,
	.open = ad_dir_open,
	.read = ad_dir_read,
	.close = ad_dir_abort,
	.remove_call = ad_dir_remove_call,
	.seg_append = ad_dir_seg_append,
	.seg_sync = ad_dir_seg_sync,
	.seg_read = ad_dir_seg_read,
	.seg_discard = ad_dir_seg_discard,
	.open_peer = dir_open_peer,
	.free = dir_free,
};

int ad_objects_dir_open(const char *data_dir, int writer, struct ad_objects **out)
{
	struct dir_objects *d = calloc(1, sizeof(*d));
	int rc;

	if (!d)
		return -ENOMEM;
	d->base.ops = &dir_ops;
	d->seg_fd = d->rd_fd = -1;
	d->data = strdup(data_dir);
	if (!d->data || asprintf(&d->calls, "%s/calls", data_dir) < 0) {
		d->calls = NULL;
		dir_free(&d->base);
		return -ENOMEM;
	}
	rc = writer ? cr_mkdir_p(d->calls, 0700) : 0;
	if (rc < 0)
		cr_err("storage: cannot create %s: %s", d->calls, strerror(-rc));
	else
		rc = ad_dir_segments_open(d, writer);
	if (rc < 0) {
		dir_free(&d->base);
		return rc;
	}
	*out = &d->base;
	return 0;
}

void ad_objects_dir_segment_max(struct ad_objects *ob, uint64_t bytes)
{
	((struct dir_objects *)ob)->seg_max = bytes;
}

int ad_objects_open(const char *spec, const char *data_dir, struct ad_objects **out)
{
	if (!spec || strcmp(spec, "dir") == 0)
		return ad_objects_dir_open(data_dir, 1, out);
	cr_err("objects: unknown object store '%s'", spec);
	return -EINVAL;
}
