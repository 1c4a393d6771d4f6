/* glibc ties pthread_atfork handlers to the registering shared object and drops them when it
 * is unloaded, so registering from a dlopen()ed plugin is safe. */
#include "fork_guard.h"

#include <pthread.h>

_Atomic unsigned int callrec_fork_generation;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_err;

static void in_child(void)
{
	atomic_fetch_add_explicit(&callrec_fork_generation, 1, memory_order_relaxed);
}

static void register_handler(void)
{
	init_err = -pthread_atfork(NULL, NULL, in_child);
}

int fork_guard_init(void)
{
	pthread_once(&once, register_handler);
	return init_err;
}
