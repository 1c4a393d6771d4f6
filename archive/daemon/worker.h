/* The worker thread: everything slow that must not hold up the event loop (and with it every
 * connection's acknowledgements): writing the recordings of closed calls (record/assemble.h),
 * the retention sweep every sweep_interval (rights/retention.h), and the signed checkpoint
 * at shutdown. It works on its own store handle (a peer of the event loop's). */
#ifndef CALLREC_ARCHIVED_WORKER_H
#define CALLREC_ARCHIVED_WORKER_H

#include "archive.h"

struct ad_worker;

/* Start the thread; it first assembles whatever a crash left closed. 0 or -errno. */
int ad_worker_start(struct ad_archive *ar, struct ad_worker **out);
/* New closes were committed: look again. Cheap; safe to call every turn. */
void ad_worker_kick(struct ad_worker *w);
/* Finish the call in progress, make the shutdown checkpoint and stop (the rest is assembled
 * at the next start). */
void ad_worker_stop(struct ad_worker *w);

#endif
