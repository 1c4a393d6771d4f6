/* `export --call ID --out DIR`: one call's audio and manifest, written atomically. */
#ifndef CALLREC_ARCHIVE_OP_EXPORT_H
#define CALLREC_ARCHIVE_OP_EXPORT_H

#include "conn.h"

/* DIR/ID.wav and DIR/ID.manifest.json; nothing is left behind on failure. */
int cra_op_export(struct cra_conn *c, const char *call, const char *outdir);

#endif
