/* Operator request "checkpoint": a signed checkpoint of the manifest log as it is now. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ops/request.h"
#include "record/mlog.h"

/* OP_DATA 4 checkpoint.json, 5 checkpoint.sig, 6 signing.pub, 7 checkpoint.tsr (if any);
 * OP_END with the tree size. */
int ad_op_checkpoint(struct ad_conn *c, struct ad_archive *ar)
{
	uint8_t sig[AD_SIG_BYTES];
	char *json = NULL, *pem = NULL;
	uint64_t size = 0;
	int rc;

	rc = ad_mlog_checkpoint(&ar->mlog, ar->store, &json, sig, &size);
	if (rc == 0)
		rc = ad_vault_public_pem(ar->vault, &pem);
	if (rc < 0) {
		free(json);
		return ad_op_end(c, -rc, "cannot make a checkpoint");
	}
	rc = ad_op_data(c, 4, json, strlen(json));
	if (rc == 0)
		rc = ad_op_data(c, 5, sig, sizeof(sig));
	if (rc == 0)
		rc = ad_op_data(c, 6, pem, strlen(pem));
	if (rc == 0) {
		/* The RFC 3161 timestamp, when the worker made one for this size. */
		uint8_t *tsr = NULL;
		size_t tlen = 0;

		if (ad_mlog_tsr(ar->store, size, &tsr, &tlen) == 0)
			rc = ad_op_data(c, 7, tsr, tlen);
		free(tsr);
	}
	free(json);
	free(pem);
	if (rc < 0)
		return rc;
	return ad_op_end_with(c, json_pack("{si sI}", "status", 0, "tree_size", (json_int_t)size));
}

