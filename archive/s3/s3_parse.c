/* S3 response documents. See s3_parse.h. */
#include "s3_parse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "s3_time.h"
#include "s3_xml.h"

/* Copies text into a buffer of size bytes; false if it does not fit. */
static bool copy_text(char *dst, size_t size, const char *text, size_t len)
{
	if (len >= size)
		return false;
	memcpy(dst, text, len);
	dst[len] = '\0';
	return true;
}

/* The same, cutting what does not fit (for messages meant for people). */
static void copy_cut(char *dst, size_t size, const char *text, size_t len)
{
	copy_text(dst, size, text, len < size ? len : size - 1);
}

static bool is(const char *path, const char *want)
{
	return strcmp(path, want) == 0;
}

/* --- errors ------------------------------------------------------------------------------ */

struct error_ctx {
	struct s3_error_doc *out;
	bool root_ok, has_code;
};

static int error_cb(void *arg, enum s3_xml_event ev, const char *path, const char *text,
		    size_t len)
{
	struct error_ctx *c = arg;

	if (ev == S3_XML_OPEN) {
		if (!strchr(path, '/'))
			c->root_ok = is(path, "Error");
		return c->root_ok ? 0 : -EBADMSG;
	}
	if (is(path, "Error/Code")) {
		copy_cut(c->out->code, sizeof(c->out->code), text, len);
		c->has_code = len > 0;
	} else if (is(path, "Error/Message")) {
		copy_cut(c->out->message, sizeof(c->out->message), text, len);
	} else if (is(path, "Error/RequestId")) {
		copy_cut(c->out->request_id, sizeof(c->out->request_id), text, len);
	}
	return 0;
}

int s3_parse_error(const char *doc, size_t len, struct s3_error_doc *out)
{
	struct error_ctx c = { .out = out };
	int rc;

	memset(out, 0, sizeof(*out));
	rc = s3_xml_parse(doc, len, error_cb, &c);
	if (rc == 0 && !c.has_code)
		rc = -EBADMSG;
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* --- legal hold, retention, bucket Object Lock -------------------------------------------- */

struct value_ctx {
	const char *root; /* required root element */
	bool root_ok;
	/* up to two values wanted, by path */
	const char *path[2];
	char value[2][64];
	bool seen[2];
};

static int value_cb(void *arg, enum s3_xml_event ev, const char *path, const char *text,
		    size_t len)
{
	struct value_ctx *c = arg;

	if (ev == S3_XML_OPEN) {
		if (!strchr(path, '/'))
			c->root_ok = is(path, c->root);
		return c->root_ok ? 0 : -EBADMSG;
	}
	for (int i = 0; i < 2; i++) {
		if (c->path[i] && is(path, c->path[i])) {
			if (c->seen[i] || !copy_text(c->value[i], sizeof(c->value[i]), text, len))
				return -EBADMSG;
			c->seen[i] = true;
		}
	}
	return 0;
}

int s3_parse_legal_hold(const char *doc, size_t len, bool *on)
{
	struct value_ctx c = { .root = "LegalHold", .path = { "LegalHold/Status" } };
	int rc = s3_xml_parse(doc, len, value_cb, &c);

	if (rc)
		return rc;
	if (c.seen[0] && strcmp(c.value[0], "ON") == 0)
		*on = true;
	else if (c.seen[0] && strcmp(c.value[0], "OFF") == 0)
		*on = false;
	else
		return -EBADMSG;
	return 0;
}

int s3_lock_mode_parse(const char *name, enum s3_lock_mode *mode)
{
	if (strcmp(name, "COMPLIANCE") == 0)
		*mode = S3_LOCK_COMPLIANCE;
	else if (strcmp(name, "GOVERNANCE") == 0)
		*mode = S3_LOCK_GOVERNANCE;
	else
		return -EINVAL;
	return 0;
}

int s3_parse_retention(const char *doc, size_t len, struct s3_lock *out)
{
	struct value_ctx c = { .root = "Retention",
			       .path = { "Retention/Mode", "Retention/RetainUntilDate" } };
	struct s3_lock lock;
	int rc = s3_xml_parse(doc, len, value_cb, &c);

	if (rc)
		return rc;
	if (!c.seen[0] || !c.seen[1] || s3_lock_mode_parse(c.value[0], &lock.mode) < 0 ||
	    s3_time_parse(c.value[1], strlen(c.value[1]), &lock.retain_until) < 0)
		return -EBADMSG;
	*out = lock;
	return 0;
}

int s3_parse_object_lock_config(const char *doc, size_t len, bool *enabled)
{
	struct value_ctx c = { .root = "ObjectLockConfiguration",
			       .path = { "ObjectLockConfiguration/ObjectLockEnabled" } };
	int rc = s3_xml_parse(doc, len, value_cb, &c);

	if (rc)
		return rc;
	*enabled = c.seen[0] && strcmp(c.value[0], "Enabled") == 0;
	return 0;
}

/* --- version listings --------------------------------------------------------------------- */

struct versions_ctx {
	struct s3_versions_page *page;
	s3_version_fn *fn;
	void *arg;
	bool root_ok, in_entry, has_key, has_version, has_time;
	struct s3_version v;
	char key[S3_KEY_MAX + 1];
	char version_id[S3_VERSION_ID_MAX];
	char etag[S3_ETAG_MAX];
};

static bool parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool parse_bool(const char *s, bool *out)
{
	if (strcmp(s, "true") == 0)
		*out = true;
	else if (strcmp(s, "false") == 0)
		*out = false;
	else
		return false;
	return true;
}

/* An entry's field: path relative to the entry ("Key", "VersionId", ...). */
static int entry_field(struct versions_ctx *c, const char *field, const char *text, size_t len)
{
	if (is(field, "Key")) {
		if (c->has_key || len == 0 || !copy_text(c->key, sizeof(c->key), text, len))
			return -EBADMSG;
		c->has_key = true;
	} else if (is(field, "VersionId")) {
		if (c->has_version || len == 0 ||
		    !copy_text(c->version_id, sizeof(c->version_id), text, len))
			return -EBADMSG;
		c->has_version = true;
	} else if (is(field, "ETag")) {
		if (!copy_text(c->etag, sizeof(c->etag), text, len))
			return -EBADMSG;
	} else if (is(field, "Size")) {
		if (!parse_u64(text, len, &c->v.size))
			return -EBADMSG;
	} else if (is(field, "IsLatest")) {
		if (!parse_bool(text, &c->v.is_latest))
			return -EBADMSG;
	} else if (is(field, "LastModified")) {
		if (s3_time_parse(text, len, &c->v.last_modified) < 0)
			return -EBADMSG;
		c->has_time = true;
	}
	return 0;
}

static int versions_cb(void *arg, enum s3_xml_event ev, const char *path, const char *text,
		       size_t len)
{
	static const char root[] = "ListVersionsResult";
	struct versions_ctx *c = arg;
	const char *rel;

	if (!strchr(path, '/')) {
		if (ev == S3_XML_OPEN)
			c->root_ok = is(path, root);
		return c->root_ok ? 0 : -EBADMSG;
	}
	rel = path + sizeof(root); /* past "ListVersionsResult/" */
	if (is(rel, "Version") || is(rel, "DeleteMarker")) {
		if (ev == S3_XML_OPEN) {
			memset(&c->v, 0, sizeof(c->v));
			c->key[0] = c->version_id[0] = c->etag[0] = '\0';
			c->has_key = c->has_version = c->has_time = false;
			c->v.delete_marker = is(rel, "DeleteMarker");
			c->in_entry = true;
			return 0;
		}
		c->in_entry = false;
		if (!c->has_key || !c->has_version)
			return -EBADMSG;
		c->v.key = c->key;
		c->v.version_id = c->version_id;
		c->v.etag = c->etag;
		c->page->entries++;
		return c->fn ? c->fn(c->arg, &c->v) : 0;
	}
	if (ev != S3_XML_CLOSE)
		return 0;
	if (c->in_entry) {
		const char *field = strchr(rel, '/');

		return field && !strchr(field + 1, '/') ? entry_field(c, field + 1, text, len) : 0;
	}
	if (is(rel, "IsTruncated")) {
		if (!parse_bool(text, &c->page->truncated))
			return -EBADMSG;
	} else if (is(rel, "NextKeyMarker")) {
		if (!copy_text(c->page->next_key_marker, sizeof(c->page->next_key_marker), text, len))
			return -EBADMSG;
	} else if (is(rel, "NextVersionIdMarker")) {
		if (!copy_text(c->page->next_version_id_marker,
			       sizeof(c->page->next_version_id_marker), text, len))
			return -EBADMSG;
	}
	return 0;
}

int s3_parse_versions(const char *doc, size_t len, struct s3_versions_page *page,
		      s3_version_fn *fn, void *arg)
{
	struct versions_ctx *c;
	int rc;

	memset(page, 0, sizeof(*page));
	/* The entry buffers (about 2 KiB) on the heap: the parser has its own 9 KiB on the stack. */
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->page = page;
	c->fn = fn;
	c->arg = arg;
	rc = s3_xml_parse(doc, len, versions_cb, c);
	/* A truncated page must say where the next one starts. */
	if (rc == 0 && page->truncated && !page->next_key_marker[0])
		rc = -EBADMSG;
	free(c);
	return rc;
}
