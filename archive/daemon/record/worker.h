/* A worker thread that writes the recordings of closed calls, so that reading a long call's
 * chunks and writing and syncing its WAV never holds up the event loop (and with it every
 * other connection's acknowledgements). It has its own index connection. */
#ifndef CALLREC_ARCHIVED_RECORD_WORKER_H
#define CALLREC_ARCHIVED_RECORD_WORKER_H

struct ad_worker;

/* Start the thread on the data directory; it first assembles whatever a crash left closed.
 * 0 or -errno. */
int ad_worker_start(const char *dir, struct ad_worker **out);
/* New closes were committed: look again. Cheap; safe to call every turn. */
void ad_worker_kick(struct ad_worker *a);
/* Finish the call in progress and stop (the rest is assembled at the next start). */
void ad_worker_stop(struct ad_worker *a);

#endif
