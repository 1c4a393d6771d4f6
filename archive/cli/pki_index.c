#include "pki_index.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "fsutil.h"
#include "hex.h"
#include "outdir.h"

#define INDEX_MAX_BYTES (16u * 1024u * 1024u)

static int parse_line(char *line, struct cra_index_entry *e)
{
	char hex[2 * CRA_SERIAL_BYTES + 2], status[16];
	long long when;

	memset(e, 0, sizeof(*e));
	/* Field widths keep sscanf within the buffers; names are validated when issued. */
	if (sscanf(line, "%33s %15s %63s %15s %lld", hex, e->kind, e->name, status, &when) != 5)
		return -EINVAL;
	if (cr_hex_decode_str(hex, e->serial, CRA_SERIAL_BYTES) < 0)
		return -EINVAL;
	if (strcmp(status, "revoked") == 0)
		e->revoked = 1;
	else if (strcmp(status, "valid") != 0)
		return -EINVAL;
	e->revoked_at = (time_t)when;
	return 0;
}

int cra_index_load(const char *dir, struct cra_index *ix)
{
	char path[PATH_MAX], *buf = NULL, *line, *save = NULL;
	int rc, lineno = 0;

	ix->e = NULL;
	ix->n = 0;
	rc = cra_path_join(path, sizeof(path), dir, CRA_INDEX_FILE);
	if (rc < 0)
		return rc;
	rc = cr_read_file(path, INDEX_MAX_BYTES, &buf, NULL);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0) {
		cra_error("%s: %s", path, strerror(-rc));
		return rc;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct cra_index_entry e;

		lineno++;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (parse_line(line, &e) < 0) {
			cra_error("%s:%d: malformed line", path, lineno);
			rc = -EINVAL;
			goto fail;
		}
		rc = cra_index_add(ix, e.serial, e.kind, e.name);
		if (rc < 0)
			goto fail;
		ix->e[ix->n - 1].revoked = e.revoked;
		ix->e[ix->n - 1].revoked_at = e.revoked_at;
	}
	free(buf);
	return 0;
fail:
	free(buf);
	cra_index_free(ix);
	return rc;
}

int cra_index_add(struct cra_index *ix, const uint8_t serial[CRA_SERIAL_BYTES], const char *kind,
		  const char *name)
{
	struct cra_index_entry *grown, *e;

	if (strlen(kind) >= sizeof(e->kind) || strlen(name) >= sizeof(e->name))
		return -EINVAL;
	grown = realloc(ix->e, (ix->n + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	ix->e = grown;
	e = &ix->e[ix->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->serial, serial, CRA_SERIAL_BYTES);
	strcpy(e->kind, kind);
	strcpy(e->name, name);
	return 0;
}

int cra_index_save(const char *dir, const struct cra_index *ix)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);
	int rc;

	if (!f)
		return -errno;
	fputs("# callrec-archive pki: SERIAL KIND NAME STATUS REVOKED_AT\n", f);
	for (i = 0; i < ix->n; i++) {
		const struct cra_index_entry *e = &ix->e[i];

		char serial[2 * CRA_SERIAL_BYTES + 1];

		cr_hex_encode(e->serial, CRA_SERIAL_BYTES, serial);
		fprintf(f, "%s %s %s %s %lld\n", serial, e->kind, e->name, e->revoked ? "revoked" : "valid",
			(long long)e->revoked_at);
	}
	if (fclose(f) != 0) {
		free(text);
		return -ENOMEM;
	}
	rc = cra_write_file(dir, CRA_INDEX_FILE, text, len, 0600, CR_OUT_REPLACE);
	free(text);
	return rc;
}

void cra_index_free(struct cra_index *ix)
{
	free(ix->e);
	ix->e = NULL;
	ix->n = 0;
}
