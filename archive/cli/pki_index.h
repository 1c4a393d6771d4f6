/* DIR/serials: every certificate the PKI issued, so that `pki revoke NAME` can find the serial
 * to put in the CRL. One line per certificate:
 *   SERIALHEX KIND NAME valid|revoked REVOKED_AT(unix seconds, 0 when valid)
 * Lines starting with '#' are comments. The file is rewritten atomically. */
#ifndef CALLREC_ARCHIVE_PKI_INDEX_H
#define CALLREC_ARCHIVE_PKI_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "pki_cert.h"
#include "tls.h"

#define CRA_INDEX_FILE "serials"

struct cra_index_entry {
	uint8_t serial[CRA_SERIAL_BYTES];
	char kind[16]; /* "ca", "archive", "device", "operator" */
	char name[CR_NAME_MAX];
	int revoked;
	time_t revoked_at;
};

struct cra_index {
	struct cra_index_entry *e;
	size_t n;
};

/* Load DIR/serials; a missing file is an empty index. -EINVAL on a malformed line (reported). */
int cra_index_load(const char *dir, struct cra_index *ix);
int cra_index_add(struct cra_index *ix, const uint8_t serial[CRA_SERIAL_BYTES], const char *kind,
		  const char *name);
int cra_index_save(const char *dir, const struct cra_index *ix);
void cra_index_free(struct cra_index *ix);

#endif
