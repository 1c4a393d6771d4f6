/* The worker thread. See worker.h. */
#include "worker.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "record/assemble.h"

struct ad_worker {
	const struct ad_archive *ar;
	struct ad_store *reader;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int pending; /* kicked since the last look */
	struct timespec next_sweep; /* CLOCK_MONOTONIC: next retention sweep */
	int stop;
};

static struct timespec after_ms(uint64_t ms)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += (time_t)(ms / 1000);
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

static int timespec_after(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec >= b->tv_nsec);
}

static void *worker(void *arg)
{
	struct ad_worker *w = arg;

	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		if (!w->pending) {
			struct timespec now;

			clock_gettime(CLOCK_MONOTONIC, &now);
			if (timespec_after(&now, &w->next_sweep)) {
				/* Retention runs here, off the event loop: erasures sync the disk. */
				pthread_mutex_unlock(&w->lock);
				ad_retention_sweep(&w->ar->retention, w->reader);
				pthread_mutex_lock(&w->lock);
				w->next_sweep = after_ms(w->ar->retention.sweep_interval_ms);
				continue;
			}
			pthread_cond_timedwait(&w->cond, &w->lock, &w->next_sweep);
			continue;
		}
		w->pending = 0;
		pthread_mutex_unlock(&w->lock);
		ad_assemble_closed(&w->ar->mlog, w->reader, &w->stop);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int ad_worker_start(struct ad_archive *ar, struct ad_worker **out)
{
	struct ad_worker *w = calloc(1, sizeof(*w));
	sigset_t all, old;
	int rc;

	if (!w)
		return -ENOMEM;
	w->ar = ar;
	rc = ad_store_open_peer(ar->store, &w->reader);
	if (rc < 0) {
		free(w);
		return rc;
	}
	pthread_mutex_init(&w->lock, NULL);
	{
		pthread_condattr_t ca;

		/* Timed waits on the monotonic clock: a wall-clock step never stalls sweeps. */
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&w->cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	w->next_sweep = after_ms(0);
	w->pending = 1; /* calls a crash left closed but not written */
	/* Signals belong to the event loop's signalfd, never to this thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = -pthread_create(&w->thread, NULL, worker, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc < 0) {
		ad_store_close(w->reader);
		free(w);
		return rc;
	}
	*out = w;
	return 0;
}

void ad_worker_kick(struct ad_worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->pending = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void ad_worker_stop(struct ad_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	__atomic_store_n(&w->stop, 1, __ATOMIC_RELAXED);
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	{
		/* A signed checkpoint at shutdown covers every manifest logged so far. */
		uint8_t sig[AD_SIG_BYTES];
		uint64_t size;
		char *json = NULL;

		if (ad_mlog_checkpoint(&w->ar->mlog, w->reader, &json, sig, &size) == 0) {
			cr_info("log: checkpoint at %llu manifests", (unsigned long long)size);
			ad_mlog_timestamp(&w->ar->mlog, w->reader, size);
		}
		free(json);
	}
	ad_store_close(w->reader);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w);
}
