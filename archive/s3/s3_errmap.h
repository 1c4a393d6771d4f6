/* From an S3 failure to the negative errno the client returns (the table is in s3.h). Pure. */
#ifndef CALLREC_S3_ERRMAP_H
#define CALLREC_S3_ERRMAP_H

/* status: the HTTP status (>= 300); code: the S3 error code, "" or NULL if none came (HEAD
 * answers have no body). The code decides where it is known, the status otherwise. */
int s3_errno_for(long status, const char *code);

#endif
