/* A tar archive (POSIX ustar) produced a piece at a time from files already in memory, for
 * downloads: nothing is written to disk, and a subject's export can fetch its calls one after
 * the other while the browser receives the earlier ones. */
#ifndef CALLREC_CONSOLE_TAR_H
#define CALLREC_CONSOLE_TAR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CONSOLE_TAR_BLOCK 512
#define CONSOLE_TAR_MAX_ITEMS 16

struct console_tar;

/* Called when every item given so far has been read: add the next ones with
 * console_tar_add() (the earlier items are forgotten before the call, so their memory may be
 * released). 0 (adding none ends the archive) or -errno. */
typedef int (*console_tar_more_fn)(void *arg, struct console_tar *t);

struct console_tar_item {
	char name[100];
	const uint8_t *data;
	size_t len;
};

struct console_tar {
	struct console_tar_item item[CONSOLE_TAR_MAX_ITEMS];
	size_t n, cur;   /* items, and the one being read */
	int phase;       /* of the current item: 0 header, 1 data, 2 padding */
	size_t off;      /* bytes of the phase already read */
	uint8_t hdr[CONSOLE_TAR_BLOCK];
	long long mtime; /* of every member */
	int ended;       /* 1 once the two closing blocks are being read */
	console_tar_more_fn more;
	void *arg;
};

/* An empty archive whose items come from more(arg) (NULL: only those added now). */
void console_tar_init(struct console_tar *t, long long mtime, console_tar_more_fn more, void *arg);
/* Add a regular file (name at most 99 bytes; data must stay valid until read). 0, -ENOSPC
 * (too many items at once), -ENAMETOOLONG or -EFBIG (8 GiB and over). */
int console_tar_add(struct console_tar *t, const char *name, const void *data, size_t len);
/* Up to max next bytes of the archive into buf: how many (0 at its end), or -errno from
 * more(). */
ssize_t console_tar_read(struct console_tar *t, uint8_t *buf, size_t max);
/* Total size of an archive holding exactly the items added so far (no more()). */
uint64_t console_tar_size(const struct console_tar *t);

/* One member's ustar header block. 0, -ENAMETOOLONG or -EFBIG. */
int console_tar_header(uint8_t hdr[CONSOLE_TAR_BLOCK], const char *name, uint64_t size,
		       long long mtime);

#endif
