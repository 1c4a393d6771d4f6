/* Erasing a call the user marked private (SPEC 4.5): every spooled frame of it is deleted at
 * once (nothing of its audio stays on this disk), and a CALL_ERASE (docs/protocol.md) is
 * spooled in their place as seq 0, so the archive erases what it already has and keeps a
 * tombstone. The archive's ACK of seq 0 completes the erasure; the call's spool directory
 * then goes too. */
#ifndef CALLREC_AGENT_ERASE_H
#define CALLREC_AGENT_ERASE_H

#include <stdint.h>

#include "frame.h"
#include "spool.h"
#include "uplink.h"

struct cr_erase {
	struct cr_erase *next;
	uint8_t id[CR_CALL_ID_BYTES];
	char hex[2 * CR_CALL_ID_BYTES + 1];
	int spooled; /* the CALL_ERASE frame is in the spool */
};

/* Delete the call's spooled frames and spool its CALL_ERASE (retried by cr_erase_tick when
 * the disk refuses). u may be NULL (tests). 0 or -ENOMEM. */
int cr_erase_begin(struct cr_erase **list, struct cr_spool *s, struct cr_uplink *u,
		   const uint8_t id[CR_CALL_ID_BYTES]);
/* Retry what could not be spooled; finish what the archive acknowledged. */
void cr_erase_tick(struct cr_erase **list, struct cr_spool *s, struct cr_uplink *u);
void cr_erase_free(struct cr_erase **list);
/* Erasures not yet acknowledged by the archive. */
unsigned cr_erase_pending(const struct cr_erase *list);

#endif
