/* Assembly worker thread. See assembler.h. */
#include "assembler.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "assemble.h"
#include "log.h"
#include "store.h"

struct ad_assembler {
	struct ad_store *reader;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int pending; /* kicked since the last look */
	int stop;
};

static void *worker(void *arg)
{
	struct ad_assembler *a = arg;

	pthread_mutex_lock(&a->lock);
	while (!a->stop) {
		uint8_t (*ids)[CR_CALL_ID_BYTES] = NULL;
		size_t n = 0, i;

		if (!a->pending) {
			pthread_cond_wait(&a->cond, &a->lock);
			continue;
		}
		a->pending = 0;
		pthread_mutex_unlock(&a->lock);
		if (ad_store_closing(a->reader, &ids, &n) == 0)
			for (i = 0; i < n && !__atomic_load_n(&a->stop, __ATOMIC_RELAXED); i++)
				ad_assemble_call(a->reader, ids[i]);
		free(ids);
		pthread_mutex_lock(&a->lock);
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

int ad_assembler_start(const char *dir, struct ad_assembler **out)
{
	struct ad_assembler *a = calloc(1, sizeof(*a));
	sigset_t all, old;
	int rc;

	if (!a)
		return -ENOMEM;
	rc = ad_store_open_reader(dir, &a->reader);
	if (rc < 0) {
		free(a);
		return rc;
	}
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	a->pending = 1; /* calls a crash left closed but not written */
	/* Signals belong to the event loop's signalfd, never to this thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = -pthread_create(&a->thread, NULL, worker, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc < 0) {
		ad_store_close(a->reader);
		free(a);
		return rc;
	}
	*out = a;
	return 0;
}

void ad_assembler_kick(struct ad_assembler *a)
{
	pthread_mutex_lock(&a->lock);
	a->pending = 1;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

void ad_assembler_stop(struct ad_assembler *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	__atomic_store_n(&a->stop, 1, __ATOMIC_RELAXED);
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->thread, NULL);
	ad_store_close(a->reader);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cond);
	free(a);
}
