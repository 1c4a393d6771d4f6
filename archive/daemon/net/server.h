/* The event loop: one epoll set for the listening socket, signals and every connection;
 * non-blocking TLS; and the group commit at the end of every turn. */
#ifndef CALLREC_ARCHIVED_NET_SERVER_H
#define CALLREC_ARCHIVED_NET_SERVER_H

#include "config.h"
#include "rights/roles.h"

struct ad_server;

/* Create the server: the archive's handles (archive.h), TLS credentials, the listening socket
 * (address as configured), the worker thread. `roles` stays the caller's (SIGHUP reloads it
 * in place). 0 or -errno (logged). */
int ad_server_new(const struct ad_config *cfg, const char *config_path, struct ad_roles *roles,
		  struct ad_server **out);
/* "HOST:PORT" actually bound (for --ready-file). */
const char *ad_server_address(const struct ad_server *srv);
/* Run until SIGTERM/SIGINT (SIGHUP reloads roles and CRL). 0 or -errno. */
int ad_server_run(struct ad_server *srv);
void ad_server_free(struct ad_server *srv);

#endif
