/* A worker thread that writes the recordings of closed calls, so that reading a long call's
 * chunks and writing and syncing its WAV never holds up the event loop (and with it every
 * other connection's acknowledgements). It has its own index connection. */
#ifndef CALLREC_ARCHIVED_ASSEMBLER_H
#define CALLREC_ARCHIVED_ASSEMBLER_H

struct ad_assembler;

/* Start the thread on the data directory; it first assembles whatever a crash left closed.
 * 0 or -errno. */
int ad_assembler_start(const char *dir, struct ad_assembler **out);
/* New closes were committed: look again. Cheap; safe to call every turn. */
void ad_assembler_kick(struct ad_assembler *a);
/* Finish the call in progress and stop (the rest is assembled at the next start). */
void ad_assembler_stop(struct ad_assembler *a);

#endif
