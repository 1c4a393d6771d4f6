/* Assembly worker thread. See worker.h. It also runs the retention sweeper every
 * sweep_interval and makes the shutdown checkpoint of the manifest log. */
#include "record/worker.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record/assemble.h"
#include "log.h"
#include "record/mlog.h"
#include "rights/retention.h"
#include "store/store.h"

struct ad_worker {
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
	struct ad_worker *a = arg;

	pthread_mutex_lock(&a->lock);
	while (!a->stop) {
		uint8_t (*ids)[CR_CALL_ID_BYTES] = NULL;
		size_t n = 0, i;

		if (!a->pending) {
			struct timespec now;

			clock_gettime(CLOCK_MONOTONIC, &now);
			if (timespec_after(&now, &a->next_sweep)) {
				/* Retention runs here, off the event loop: erasures sync the disk. */
				pthread_mutex_unlock(&a->lock);
				ad_retention_sweep(a->reader);
				pthread_mutex_lock(&a->lock);
				a->next_sweep = after_ms(ad_retention_interval_ms());
				continue;
			}
			pthread_cond_timedwait(&a->cond, &a->lock, &a->next_sweep);
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

int ad_worker_start(const char *dir, struct ad_worker **out)
{
	struct ad_worker *a = calloc(1, sizeof(*a));
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
	{
		pthread_condattr_t ca;

		/* Timed waits on the monotonic clock: a wall-clock step never stalls sweeps. */
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&a->cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	a->next_sweep = after_ms(0);
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

void ad_worker_kick(struct ad_worker *a)
{
	pthread_mutex_lock(&a->lock);
	a->pending = 1;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

void ad_worker_stop(struct ad_worker *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	__atomic_store_n(&a->stop, 1, __ATOMIC_RELAXED);
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->thread, NULL);
	{
		/* A signed checkpoint at shutdown covers every manifest logged so far. */
		uint8_t sig[AD_SIG_BYTES];
		uint64_t size;
		char *json = NULL;

		if (ad_mlog_checkpoint(a->reader, &json, sig, &size) == 0) {
			cr_info("log: checkpoint at %llu manifests", (unsigned long long)size);
			ad_mlog_timestamp(a->reader, size);
		}
		free(json);
	}
	ad_store_close(a->reader);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cond);
	free(a);
}
