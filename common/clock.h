/* The one clock every callrec program measures intervals, timeouts and pacing with:
 * CLOCK_MONOTONIC, which wall-clock changes do not move. Inline because the plugin reads it in
 * the audio callback, where glibc answers CLOCK_MONOTONIC from the vDSO without a system call;
 * libc only, so the plugin may include it. */
#ifndef CALLREC_CLOCK_H
#define CALLREC_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Nanoseconds of CLOCK_MONOTONIC. */
static inline uint64_t cr_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Milliseconds of CLOCK_MONOTONIC, signed so that deadlines can be subtracted freely. */
static inline int64_t cr_now_ms(void)
{
	return (int64_t)(cr_now_ns() / 1000000u);
}

#endif
