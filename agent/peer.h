/* Who is on the other end of a control connection, from the kernel's word (SO_PEERCRED and
 * /proc), never from what the client says. */
#ifndef CALLREC_AGENT_PEER_H
#define CALLREC_AGENT_PEER_H

#include <limits.h>
#include <sys/types.h>

struct cr_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	char user[64];         /* login name, or the uid in decimal */
	char application[256]; /* basename of exe */
	char exe[PATH_MAX];    /* /proc/PID/exe, "" when unreadable */
};

/* 0 or negative errno (credentials unavailable). */
int cr_peer_identify(int fd, struct cr_peer *p);

#endif
