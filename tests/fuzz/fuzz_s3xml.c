/* libFuzzer target: the S3 client's response parsers (s3_parse.h over s3_xml.h) and its
 * timestamp parser, on arbitrary bytes as a service or anyone on the path could send them.
 * Besides not crashing, what they report must be consistent with what they were given. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../archive/s3/s3_parse.h"
#include "../../archive/s3/s3_time.h"
#include "../../archive/s3/s3_xml.h"

static int check_event(void *arg, enum s3_xml_event ev, const char *path, const char *text,
		       size_t len)
{
	(void)arg;
	/* Paths are local names joined by '/', texts exactly as long as said. */
	if (!path[0] || path[0] == '/' || strlen(path) >= S3_XML_PATH_MAX || strlen(text) != len ||
	    len > S3_XML_TEXT_MAX || (ev == S3_XML_OPEN && len != 0))
		__builtin_trap();
	return 0;
}

static int check_version(void *arg, const struct s3_version *v)
{
	(void)arg;
	if (!v->key[0] || strlen(v->key) > S3_KEY_MAX || !v->version_id[0] ||
	    strlen(v->version_id) >= S3_VERSION_ID_MAX || strlen(v->etag) >= S3_ETAG_MAX)
		__builtin_trap();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *doc = (const char *)data;
	struct s3_versions_page page;
	struct s3_error_doc err;
	struct s3_lock lock;
	bool flag;
	time_t t;

	(void)s3_xml_parse(doc, size, check_event, NULL);
	if (s3_parse_error(doc, size, &err) == 0 && !err.code[0])
		__builtin_trap();
	(void)s3_parse_legal_hold(doc, size, &flag);
	if (s3_parse_retention(doc, size, &lock) == 0 &&
	    (lock.mode != S3_LOCK_GOVERNANCE && lock.mode != S3_LOCK_COMPLIANCE))
		__builtin_trap();
	(void)s3_parse_object_lock_config(doc, size, &flag);
	if (s3_parse_versions(doc, size, &page, check_version, NULL) == 0 && page.truncated &&
	    !page.next_key_marker[0])
		__builtin_trap();
	if (s3_time_parse(doc, size, &t) == 0) {
		char back[S3_TIME_LEN + 1];

		/* Anything accepted is a time that formats (years 1970-9999). */
		if (t < 0 || s3_time_format(t, back) != 0)
			__builtin_trap();
	}
	return 0;
}
