/* Everything the agent's epoll loop watches starts with this: the fd and what to do when
 * it is ready. epoll_event.data.ptr points at it. */
#ifndef CALLREC_AGENT_EVSRC_H
#define CALLREC_AGENT_EVSRC_H

#include <stdint.h>

struct cr_evsrc {
	int fd;
	void (*on_event)(struct cr_evsrc *src, uint32_t events);
};

/* Nanoseconds of CLOCK_MONOTONIC. */
uint64_t cr_now_ns(void);

#endif
