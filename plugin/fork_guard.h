/* After fork() the child shares the parent's ring mapping. Two processes must never write one
 * ring (it is single-producer), so a pthread_atfork child handler bumps a process generation;
 * a tap records the generation it was opened in and stays silent when it differs. */
#ifndef CALLREC_FORK_GUARD_H
#define CALLREC_FORK_GUARD_H

#include <stdatomic.h>

/* Plugin internals: not exported from the .so loaded into every audio application. */
#pragma GCC visibility push(hidden)

extern _Atomic unsigned int callrec_fork_generation;

/* Registers the atfork handler once per process. Returns 0 or a negative errno. */
int fork_guard_init(void);

static inline unsigned int fork_guard_generation(void)
{
	return atomic_load_explicit(&callrec_fork_generation, memory_order_relaxed);
}

#pragma GCC visibility pop

#endif
