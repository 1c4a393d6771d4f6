/* Who is on the other end of a control connection, from the kernel's word (SO_PEERCRED and
 * /proc), never from what the client says. */
#ifndef CALLREC_AGENT_PEER_H
#define CALLREC_AGENT_PEER_H

#include <limits.h>
#include <sys/types.h>

#define CR_PEER_MAX_GROUPS 32

struct cr_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	char user[64];         /* login name, or the uid in decimal */
	char application[256]; /* basename of exe */
	char exe[PATH_MAX];    /* /proc/PID/exe, "" when unreadable */
	/* The process's groups for the policy's `group:` match: the primary gid and the
	 * supplementary groups the kernel lists in /proc/PID/status, by name (the number in
	 * decimal when it has none). */
	unsigned ngroups;
	char groups[CR_PEER_MAX_GROUPS][64];
};

/* 0 or negative errno (credentials unavailable). */
int cr_peer_identify(int fd, struct cr_peer *p);

/* Fill p->groups from the primary gid and a "Groups:" line of /proc/PID/status (text after
 * the colon: gids separated by blanks). Exposed for tests. */
void cr_peer_set_groups(struct cr_peer *p, const char *groups_line);

#endif
