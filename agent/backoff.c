/* Reconnect backoff: see backoff.h. */
#include "backoff.h"

#include <sys/random.h>
#include <time.h>

void cr_backoff_init(struct cr_backoff *b, unsigned min_ms, unsigned max_ms)
{
	b->min_ms = min_ms ? min_ms : 1;
	b->max_ms = max_ms < b->min_ms ? b->min_ms : max_ms;
	b->step_ms = b->min_ms;
}

void cr_backoff_reset(struct cr_backoff *b)
{
	b->step_ms = b->min_ms;
}

unsigned cr_backoff_next(struct cr_backoff *b, uint32_t random)
{
	/* Uniform in [0, step]: the modulo bias over 2^32 is below 1e-5 for steps of 30 s. */
	unsigned delay = (unsigned)(random % ((uint64_t)b->step_ms + 1));

	b->step_ms = b->step_ms > b->max_ms / 2 ? b->max_ms : b->step_ms * 2;
	return delay;
}

uint32_t cr_backoff_random(void)
{
	uint32_t r;
	struct timespec ts;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) == (ssize_t)sizeof(r))
		return r;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec * 2654435761u;
}
