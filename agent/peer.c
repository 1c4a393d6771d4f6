/* Peer identification: see peer.h. */
#include "peer.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void add_group(struct cr_peer *p, gid_t gid)
{
	struct group gr, *res = NULL;
	char buf[4096];

	if (p->ngroups >= CR_PEER_MAX_GROUPS)
		return;
	if (getgrgid_r(gid, &gr, buf, sizeof(buf), &res) == 0 && res)
		snprintf(p->groups[p->ngroups], sizeof(p->groups[0]), "%s", res->gr_name);
	else
		snprintf(p->groups[p->ngroups], sizeof(p->groups[0]), "%u", (unsigned)gid);
	for (unsigned i = 0; i < p->ngroups; i++)
		if (!strcmp(p->groups[i], p->groups[p->ngroups]))
			return; /* the primary group is usually listed again */
	p->ngroups++;
}

void cr_peer_set_groups(struct cr_peer *p, const char *line)
{
	const char *s = line;

	p->ngroups = 0;
	add_group(p, p->gid);
	while (s && *s) {
		char *end;
		unsigned long g;

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s < '0' || *s > '9')
			break;
		g = strtoul(s, &end, 10);
		add_group(p, (gid_t)g);
		s = end;
	}
}

/* The "Groups:" line of /proc/PID/status: the groups the process really has. */
static void read_groups(struct cr_peer *p)
{
	char path[64], line[4096];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)p->pid);
	f = fopen(path, "re");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "Groups:", 7)) {
				fclose(f);
				cr_peer_set_groups(p, line + 7);
				return;
			}
		fclose(f);
	}
	cr_peer_set_groups(p, "");
}

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
	read_groups(p);
	return 0;
}
