/* HOST:PORT as used by `listen`, `archive.address`, `server` and --server. */
#ifndef CALLREC_HOSTPORT_H
#define CALLREC_HOSTPORT_H

#include <stddef.h>

/* Split "HOST:PORT" or "[V6]:PORT" (host returned without brackets; port 1..65535).
 * 0 or -EINVAL. */
int cr_split_hostport(const char *s, char *host, size_t hostlen, unsigned *port);
/* The same for an address to listen on, where port 0 asks the system for a free one. */
int cr_split_listen(const char *s, char *host, size_t hostlen, unsigned *port);

#endif
