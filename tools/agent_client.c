#include "agent_client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "ctl.h"

int cru_socket_path(const char *explicit_path, char *out, size_t outlen)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	int n;

	if (explicit_path)
		n = snprintf(out, outlen, "%s", explicit_path);
	else if (xdg && xdg[0] == '/' &&
		 (n = snprintf(out, outlen, "%s/callrec/agent.sock", xdg)) >= 0 &&
		 (size_t)n < outlen && stat(out, &st) == 0)
		return 0;
	else
		n = snprintf(out, outlen, "%s", CRU_SYSTEM_SOCKET);
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

static int connect_agent(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* Append packets to *buf until the agent closes. Each packet is one recv on SEQPACKET. */
static int read_reply(int fd, char **buf, size_t *len)
{
	long long deadline = cr_now_ms() + CRU_TIMEOUT_MS;
	size_t cap = 0;
	char *grown;

	*buf = NULL;
	*len = 0;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - cr_now_ms();
		ssize_t n;
		int pr;

		if (left <= 0)
			return -ETIMEDOUT;
		pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return -errno;
		if (pr == 0)
			return -ETIMEDOUT;
		if (cap - *len < 65536 + 1) {
			if (cap >= CRU_REPLY_MAX)
				return -EMSGSIZE;
			cap = cap ? cap * 2 : 65536 * 2;
			grown = realloc(*buf, cap);
			if (!grown)
				return -ENOMEM;
			*buf = grown;
		}
		n = recv(fd, *buf + *len, cap - *len - 1, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == ECONNRESET ? 0 : -errno; /* a reset after the reply ends it */
		if (n == 0)
			return 0;
		if ((size_t)n > cap - *len - 1)
			return -EMSGSIZE; /* the packet did not fit: never show a cut reply */
		*len += (size_t)n;
		(*buf)[*len] = '\0';
	}
}

int cru_agent_command(const char *path, const char *arg, char **reply, size_t *len)
{
	struct cr_ctl_hello hello;
	char *buf = NULL;
	int fd, rc;

	*reply = NULL;
	*len = 0;
	if (strlen(arg) >= sizeof(hello.arg))
		return -E2BIG;
	memset(&hello, 0, sizeof(hello));
	hello.magic = CR_CTL_MAGIC;
	hello.version = CR_CTL_VERSION;
	hello.kind = CR_CTL_COMMAND;
	strcpy(hello.arg, arg);
	fd = connect_agent(path);
	if (fd < 0)
		return fd;
	if (send(fd, &hello, sizeof(hello), MSG_NOSIGNAL) != (ssize_t)sizeof(hello)) {
		rc = -errno;
		goto out;
	}
	rc = read_reply(fd, &buf, len);
	if (rc == 0 && !buf) {
		buf = strdup(""); /* the agent said nothing at all */
		if (!buf)
			rc = -ENOMEM;
	}
	if (rc == 0) {
		*reply = buf;
		buf = NULL;
	}
out:
	free(buf);
	close(fd);
	return rc;
}
