/* Everything the agent's epoll loop watches starts with this: the fd and what to do when
 * it is ready. epoll_event.data.ptr points at it. */
#ifndef CALLREC_AGENT_EVSRC_H
#define CALLREC_AGENT_EVSRC_H

#include <stdint.h>

#include "clock.h" /* cr_now_ns(): the loop's timers and deadlines */

struct cr_evsrc {
	int fd;
	void (*on_event)(struct cr_evsrc *src, uint32_t events);
};

#endif
