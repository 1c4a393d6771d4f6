/* Memory for decrypted recordings: its own anonymous mapping, left out of core dumps
 * (MADV_DONTDUMP) and overwritten before it is returned. Nothing here touches a file; only
 * the system's swap could hold these pages (encrypt swap on operators' machines). */
#ifndef CALLREC_CONSOLE_SECBUF_H
#define CALLREC_CONSOLE_SECBUF_H

#include <stddef.h>
#include <stdint.h>

struct console_buf {
	uint8_t *p; /* NULL while empty */
	size_t len, cap;
};

/* Append n bytes (growing the mapping). 0 or -ENOMEM. */
int console_buf_add(struct console_buf *b, const void *data, size_t n);
/* Overwrite, unmap, and leave b empty. */
void console_buf_wipe(struct console_buf *b);

#endif
