/* Keeps a recorded stream recorded when its agent goes away (an agent killed mid-call:
 * recording must resume within 2 s). One small control thread per process, started at the
 * first recorded open and joined at the last recorded close, watches the control sockets of the
 * recorded streams; when one hangs up it reconnects every RECONNECT_RETRY_MS with the stream's
 * original HELLO, maps the new ring, writes the stream's parameters into it and publishes it
 * with a release store. The audio thread only ever does an acquire load of `ring`
 * (reconnect_ring) and switches its tap at the next transfer. Replaced rings stay mapped until
 * the PCM closes, because the audio thread may still be writing one when the new one appears. */
#ifndef CALLREC_RECONNECT_H
#define CALLREC_RECONNECT_H

#include <alsa/asoundlib.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/un.h>

#include "agent_link.h"

/* Plugin internals: not exported from the .so loaded into every audio application. */
#pragma GCC visibility push(hidden)

#define RECONNECT_RETRY_MS 250
#define RECONNECT_MAX_RINGS 8 /* rings per stream kept mapped; beyond that, stop reconnecting */

struct rc_stream {
	/* The current ring, one of rings[] below: stored by the control thread once that entry is
	 * complete, loaded by transfer. An entry never changes after it is published. */
	_Atomic(const struct cr_ring *) ring;
	/* Everything below is guarded by the registry's mutex. */
	struct rc_stream *next;
	unsigned int generation; /* fork generation of the process that registered */
	int sock;                /* control socket, -1 while the agent is gone */
	bool gave_up;            /* PASS on reconnect, or out of ring slots: left alone */
	int64_t next_try_ms;     /* CLOCK_MONOTONIC ms of the next reconnect attempt */
	/* Every ring mapped for this stream, current last: the plugin's own views (geometry
	 * copied at map time), in this private allocation, never in shared memory. */
	struct cr_ring rings[RECONNECT_MAX_RINGS];
	unsigned int nrings;
	bool configured; /* the parameters below are known (hw_params/prepare happened) */
	snd_pcm_format_t format;
	unsigned int channels;
	unsigned int rate;
	enum cr_dir dir; /* the original HELLO, sent again on reconnect */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char line[64];
	char pcm[64];
};

/* Takes over the link of a stream the agent answered RECORD (its socket and ring; the link is
 * left empty) and starts the control thread if needed. Returns 0 or a negative errno (the link
 * is then left untouched). */
int reconnect_register(struct rc_stream **out, struct agent_link *link, const char *path,
		       enum cr_dir dir, const char *line, const char *pcm_name);

/* At prepare: remembers the stream's parameters for rings to come and writes them into the
 * current one. Locks: never call from transfer. */
void reconnect_configure(struct rc_stream *s, snd_pcm_format_t format, unsigned int channels,
			 unsigned int rate);

/* Real-time path: the ring transfer should write to now. */
static inline const struct cr_ring *reconnect_ring(struct rc_stream *s)
{
	return atomic_load_explicit(&s->ring, memory_order_acquire);
}

/* At close, after the slave stopped: unregisters the stream (joining the control thread when it
 * was the last), closes its socket and unmaps all its rings. In a forked child only the child's
 * copies are released. */
void reconnect_unregister(struct rc_stream *s);

#pragma GCC visibility pop

#endif
