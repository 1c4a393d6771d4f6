/* Control protocol between the plugin (or the `callrec` command) and the agent, over the
 * agent's SOCK_SEQPACKET unix socket. Every message is one packet of a fixed struct, so a
 * short or oversized packet is simply invalid. The agent learns pid, uid and gid from
 * SO_PEERCRED and the executable from /proc/PID/exe, never from what the client claims.
 *
 * Stream:  plugin -> HELLO(kind=STREAM)    agent -> REPLY (+ memfd via SCM_RIGHTS if RECORD)
 *          the socket stays open for the life of the PCM; its closing ends the stream.
 * Command: client -> HELLO(kind=COMMAND)+argument text in `arg`; agent -> one or more
 *          CR_CTL_TEXT packets (UTF-8, JSON for status), then closes.
 */
#ifndef CALLREC_CTL_H
#define CALLREC_CTL_H

#include <stdint.h>

#include "pinned.h"

#define CR_CTL_MAGIC 0x54435243u /* "CRCT" little endian */
#define CR_CTL_VERSION 1u
#define CR_CTL_OPEN_TIMEOUT_MS 200 /* how long the plugin waits for the agent at open */

enum cr_dir { CR_DIR_PLAYBACK = 0, CR_DIR_CAPTURE = 1 };
enum cr_ctl_kind { CR_CTL_STREAM = 1, CR_CTL_COMMAND = 2 };
enum cr_decision { CR_DECIDE_PASS = 0, CR_DECIDE_RECORD = 1 };

struct cr_ctl_hello {
	uint32_t magic;
	uint16_t version;
	uint8_t kind;      /* enum cr_ctl_kind */
	uint8_t direction; /* enum cr_dir (streams) */
	char line[64];     /* the `line` configured for this PCM, NUL-terminated, may be empty */
	char pcm[64];      /* the PCM name the application opened, informational */
	char arg[256];     /* command text for CR_CTL_COMMAND, e.g. "status" */
};

CR_PIN_SIZE(struct cr_ctl_hello, 392);
CR_PIN_AT(struct cr_ctl_hello, magic, 0);
CR_PIN_AT(struct cr_ctl_hello, version, 4);
CR_PIN_AT(struct cr_ctl_hello, kind, 6);
CR_PIN_AT(struct cr_ctl_hello, direction, 7);
CR_PIN_AT(struct cr_ctl_hello, line, 8);
CR_PIN_AT(struct cr_ctl_hello, pcm, 72);
CR_PIN_AT(struct cr_ctl_hello, arg, 136);

struct cr_ctl_reply {
	uint32_t magic;
	uint16_t version;
	uint8_t decision; /* enum cr_decision */
	uint8_t reserved;
	uint32_t ring_bytes; /* size of the memfd passed with the reply (RECORD only) */
};
CR_PIN_SIZE(struct cr_ctl_reply, 12);
CR_PIN_AT(struct cr_ctl_reply, magic, 0);
CR_PIN_AT(struct cr_ctl_reply, version, 4);
CR_PIN_AT(struct cr_ctl_reply, decision, 6);
CR_PIN_AT(struct cr_ctl_reply, reserved, 7);
CR_PIN_AT(struct cr_ctl_reply, ring_bytes, 8);

#endif
