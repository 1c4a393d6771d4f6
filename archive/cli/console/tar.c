/* POSIX ustar, produced on demand. See tar.h. */
#include "tar.h"

#include <errno.h>
#include <string.h>

#define MAX_SIZE 077777777777ULL /* 11 octal digits: just under 8 GiB */

static uint64_t padding(uint64_t len)
{
	return (CONSOLE_TAR_BLOCK - len % CONSOLE_TAR_BLOCK) % CONSOLE_TAR_BLOCK;
}

/* width - 1 octal digits and a NUL, as GNU and BSD tar write them (v fits: checked). */
static void octal(char *field, size_t width, unsigned long long v)
{
	field[width - 1] = '\0';
	for (size_t i = width - 1; i-- > 0; v >>= 3)
		field[i] = (char)('0' + (v & 7));
}

int console_tar_header(uint8_t hdr[CONSOLE_TAR_BLOCK], const char *name, uint64_t size,
		       long long mtime)
{
	char *h = (char *)hdr;
	unsigned sum = 0;
	size_t i;

	if (strlen(name) >= 100)
		return -ENAMETOOLONG;
	if (size > MAX_SIZE)
		return -EFBIG;
	memset(hdr, 0, CONSOLE_TAR_BLOCK);
	memcpy(h, name, strlen(name));           /* name */
	octal(h + 100, 8, 0644);                 /* mode */
	octal(h + 108, 8, 0);                    /* uid */
	octal(h + 116, 8, 0);                    /* gid */
	octal(h + 124, 12, size);                /* size */
	octal(h + 136, 12, mtime > 0 ? (unsigned long long)mtime : 0); /* mtime */
	memset(h + 148, ' ', 8);                 /* checksum, counted as spaces */
	h[156] = '0';                            /* a regular file */
	memcpy(h + 257, "ustar", 6);             /* magic, with its NUL */
	memcpy(h + 263, "00", 2);                /* version */
	memcpy(h + 265, "callrec", 7);           /* owner and group names */
	memcpy(h + 297, "callrec", 7);
	for (i = 0; i < CONSOLE_TAR_BLOCK; i++)
		sum += hdr[i];
	octal(h + 148, 7, sum);                  /* six digits, NUL, and the space stays */
	return 0;
}

void console_tar_init(struct console_tar *t, long long mtime, console_tar_more_fn more, void *arg)
{
	memset(t, 0, sizeof(*t));
	t->mtime = mtime;
	t->more = more;
	t->arg = arg;
}

int console_tar_add(struct console_tar *t, const char *name, const void *data, size_t len)
{
	struct console_tar_item *it;

	if (t->n >= CONSOLE_TAR_MAX_ITEMS)
		return -ENOSPC;
	if (strlen(name) >= sizeof(it->name))
		return -ENAMETOOLONG;
	if (len > MAX_SIZE)
		return -EFBIG;
	it = &t->item[t->n++];
	memcpy(it->name, name, strlen(name) + 1);
	it->data = data;
	it->len = len;
	return 0;
}

uint64_t console_tar_size(const struct console_tar *t)
{
	uint64_t total = 2 * CONSOLE_TAR_BLOCK;

	for (size_t i = 0; i < t->n; i++)
		total += CONSOLE_TAR_BLOCK + t->item[i].len + padding(t->item[i].len);
	return total;
}

/* Copy from src (of srclen bytes, off already read) into buf: how many. */
static size_t take(uint8_t *buf, size_t max, const uint8_t *src, uint64_t srclen, size_t *off)
{
	uint64_t left = srclen - *off;
	size_t n = left < max ? (size_t)left : max;

	if (src)
		memcpy(buf, src + *off, n);
	else
		memset(buf, 0, n);
	*off += n;
	return n;
}

ssize_t console_tar_read(struct console_tar *t, uint8_t *buf, size_t max)
{
	size_t done = 0;
	int rc;

	while (done < max) {
		struct console_tar_item *it;

		if (t->ended) {
			if (t->off >= 2 * CONSOLE_TAR_BLOCK)
				break;
			done += take(buf + done, max - done, NULL, 2 * CONSOLE_TAR_BLOCK, &t->off);
			continue;
		}
		if (t->cur >= t->n) {
			t->n = t->cur = 0;
			rc = t->more ? t->more(t->arg, t) : 0;
			if (rc < 0)
				return rc;
			if (t->n == 0) {
				t->ended = 1;
				t->off = 0;
			}
			continue;
		}
		it = &t->item[t->cur];
		if (t->phase == 0 && t->off == 0) {
			rc = console_tar_header(t->hdr, it->name, it->len, t->mtime);
			if (rc < 0)
				return rc;
		}
		if (t->phase == 0)
			done += take(buf + done, max - done, t->hdr, CONSOLE_TAR_BLOCK, &t->off);
		else if (t->phase == 1)
			done += take(buf + done, max - done, it->data, it->len, &t->off);
		else
			done += take(buf + done, max - done, NULL, padding(it->len), &t->off);
		if (t->off == (t->phase == 0 ? CONSOLE_TAR_BLOCK :
			       t->phase == 1 ? it->len : padding(it->len))) {
			t->off = 0;
			if (++t->phase == 3) {
				t->phase = 0;
				t->cur++;
			}
		}
	}
	return (ssize_t)done;
}
