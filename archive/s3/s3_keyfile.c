/* Reading a credential from its file. See s3.h. */
#include "s3.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int s3_read_key_file(const char *path, char *out, size_t size)
{
	char buf[512], *nl;
	size_t len = 0;
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	/* The first line is all that counts; 512 bytes hold any real key. */
	while (len < sizeof(buf) && (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		len += (size_t)n;
		if (memchr(buf, '\n', len))
			break;
	}
	nl = memchr(buf, '\n', len);
	if (nl)
		len = (size_t)(nl - buf);
	while (len > 0 && (buf[len - 1] == '\r' || buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	if (len == 0 || memchr(buf, '\0', len)) {
		rc = -EINVAL;
		goto out;
	}
	if (len >= size || len == sizeof(buf)) {
		rc = -ENAMETOOLONG;
		goto out;
	}
	memcpy(out, buf, len);
	out[len] = '\0';
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return rc;
}
