/* An export bundle, the files `callrec-archive export --out DIR` writes, streamed to the
 * browser as a tar archive (DIR/ inside it) while its calls are fetched from the archive one
 * after the other: per call ID.wav, ID.manifest.json, ID.manifest.sig, ID.proof.json and
 * ID.proof.sig, then checkpoint.json, checkpoint.sig, signing.pub (checkpoint.tsr),
 * summary.json and README; NOT-EXPORTED.txt names any call the archive refused. At most one
 * call is in memory at a time, and none on disk. */
#ifndef CALLREC_CONSOLE_BUNDLE_TAR_H
#define CALLREC_CONSOLE_BUNDLE_TAR_H

#include <jansson.h>
#include <microhttpd.h>

struct console;
struct console_bundle;

/* Connect, fetch the log head and the first call (so that a single call the archive refuses
 * is answered with the refusal, not a broken download). ids: array of call ids (a reference
 * is taken); subject: the summary's description of the selection; dir: the folder name in
 * the archive. Returns as console_export_fetch(). */
int console_bundle_start(struct console *con, json_t *ids, const char *subject,
			 const char *dir, struct console_bundle **out, char *why, size_t whylen);
/* The response that streams it (it owns b from now on, also when NULL is returned). */
struct MHD_Response *console_bundle_response(struct console_bundle *b);

#endif
