/* Listing object versions under a prefix, page after page (GET /BUCKET?versions=). */
#include "s3_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3_parse.h"

/* A listing page of 1000 entries is about 400 KB of XML; far more means something is wrong. */
#define PAGE_BODY_MAX (16u << 20)

int s3_list_versions(struct s3_client *c, const char *prefix, unsigned page_size,
		     s3_version_fn *fn, void *arg)
{
	struct s3_versions_page *page;
	char *key_marker = NULL, *version_marker = NULL, max_keys[16];
	int rc;

	if (page_size == 0 || page_size > 1000)
		page_size = 1000;
	snprintf(max_keys, sizeof(max_keys), "%u", page_size);
	page = calloc(1, sizeof(*page));
	if (!page)
		return -ENOMEM;
	for (;;) {
		struct s3_req req = { .method = "GET", .body_max = PAGE_BODY_MAX };
		struct s3_resp resp;

		s3_req_param(&req, "versions", "");
		s3_req_param(&req, "max-keys", max_keys);
		if (prefix && *prefix)
			s3_req_param(&req, "prefix", prefix);
		if (key_marker) {
			s3_req_param(&req, "key-marker", key_marker);
			if (version_marker && *version_marker)
				s3_req_param(&req, "version-id-marker", version_marker);
		}
		rc = s3_request(c, &req, &resp);
		if (rc == 0) {
			rc = s3_parse_versions(resp.body ? resp.body : "", resp.body_len, page, fn, arg);
			if (rc == -EBADMSG)
				s3_fail(c, &req, rc, resp.status, "unreadable version listing");
			else if (rc == 0 && page->truncated && page->entries == 0)
				rc = s3_fail(c, &req, -EIO, resp.status,
					     "empty listing page that claims more follow");
		}
		s3_resp_free(&resp);
		if (rc != 0 || !page->truncated)
			break;
		/* The next page starts after the last entry of this one. */
		free(key_marker);
		free(version_marker);
		key_marker = strdup(page->next_key_marker);
		version_marker = strdup(page->next_version_id_marker);
		if (!key_marker || !version_marker) {
			rc = -ENOMEM;
			break;
		}
	}
	free(key_marker);
	free(version_marker);
	free(page);
	return rc > 0 ? 0 : rc; /* > 0: the callback stopped the listing */
}
