/* Reconnect delays: exponential backoff with full jitter. The step starts at min_ms and
 * doubles after every failed attempt up to max_ms; each delay is uniform in [0, step]. Full
 * jitter (rather than "half plus jitter") spreads a fleet of agents that lost the archive at
 * the same moment over the whole interval, so an archive restart is not met by a thundering
 * herd of handshakes. Pure code: the caller passes the random numbers. */
#ifndef CALLREC_AGENT_BACKOFF_H
#define CALLREC_AGENT_BACKOFF_H

#include <stdint.h>

struct cr_backoff {
	unsigned min_ms, max_ms;
	unsigned step_ms; /* upper bound of the next delay */
};

void cr_backoff_init(struct cr_backoff *b, unsigned min_ms, unsigned max_ms);
/* A connection succeeded: the next failure starts from min_ms again. */
void cr_backoff_reset(struct cr_backoff *b);
/* The delay before the next attempt, from a uniformly random 32-bit value; advances the
 * step. */
unsigned cr_backoff_next(struct cr_backoff *b, uint32_t random);
/* A random 32-bit value from getrandom (the clock if that fails). */
uint32_t cr_backoff_random(void);

#endif
