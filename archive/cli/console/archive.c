/* The console's requests to the archive: a connection per page request, opened with the
 * operator's certificate exactly as a command-line verb opens it, so that a restarted archive
 * or a dropped connection costs one handshake and nothing else. */
#include <errno.h>
#include <string.h>

#include "console.h"

int console_archive_open(struct console *con, struct cra_conn *c)
{
	return cra_conn_open(&con->params, c);
}

int console_archive_call(struct console *con, json_t *req, cra_data_fn data, void *arg,
			 struct cra_answer *a)
{
	struct cra_conn c;
	int rc;

	memset(a, 0, sizeof(*a));
	rc = console_archive_open(con, &c);
	if (rc < 0)
		return rc;
	rc = cra_request(&c, req, data, arg, a);
	cra_conn_close(&c);
	return rc;
}

int console_call_id(const char *text, char id[33])
{
	uint8_t b[CR_CALL_ID_BYTES];

	if (!text || strlen(text) != 2 * CR_CALL_ID_BYTES || cr_id_from_hex(text, b) < 0)
		return 0;
	cr_id_to_hex(b, id);
	return strcmp(id, text) == 0; /* lower case only: one spelling per call in URLs */
}
