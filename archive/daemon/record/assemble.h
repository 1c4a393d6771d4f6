/* Turning a closed call's chunks into DATA/calls/HEX/audio.wav and manifest.json. */
#ifndef CALLREC_ARCHIVED_RECORD_ASSEMBLE_H
#define CALLREC_ARCHIVED_RECORD_ASSEMBLE_H

#include "store/store.h"

/* Assemble one closed call and mark it complete. 0 or -errno (logged). */
int ad_assemble_call(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES]);

#endif
