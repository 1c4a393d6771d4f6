/* Peer identification: see peer.h. */
#include "peer.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int cr_peer_identify(int fd, struct cr_peer *p)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char path[64], buf[1024];
	struct passwd pw, *res = NULL;
	ssize_t n;
	const char *base;

	memset(p, 0, sizeof(*p));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	p->pid = cred.pid;
	p->uid = cred.uid;
	p->gid = cred.gid;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)cred.pid);
	n = readlink(path, p->exe, sizeof(p->exe) - 1);
	if (n < 0)
		n = 0; /* another user's process when not root, or already gone */
	p->exe[n] = 0;
	/* A replaced binary reads "/usr/bin/x (deleted)": keep the name of what ran. */
	if (n > 10 && !strcmp(p->exe + n - 10, " (deleted)"))
		p->exe[n - 10] = 0;
	base = strrchr(p->exe, '/');
	snprintf(p->application, sizeof(p->application), "%.255s", base ? base + 1 : p->exe);

	if (getpwuid_r(cred.uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		snprintf(p->user, sizeof(p->user), "%s", res->pw_name);
	else
		snprintf(p->user, sizeof(p->user), "%u", (unsigned)cred.uid);
	return 0;
}
