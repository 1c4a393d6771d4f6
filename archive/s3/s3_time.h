/* Timestamps in S3 documents and headers: ISO 8601 in UTC ("2031-05-01T12:00:00.000Z"), as
 * retain-until dates and LastModified are written. Pure functions, no I/O. */
#ifndef CALLREC_S3_TIME_H
#define CALLREC_S3_TIME_H

#include <stddef.h>
#include <time.h>

#define S3_TIME_LEN 24 /* "YYYY-MM-DDTHH:MM:SS.000Z" */

/* Formats t (UTC) into out; 0 or -EINVAL (a time outside years 1970-9999). */
int s3_time_format(time_t t, char out[S3_TIME_LEN + 1]);
/* Parses YYYY-MM-DDTHH:MM:SS with optional fraction and a "Z" or "+00:00"/"-HH:MM" offset
 * (len bytes of s, no NUL needed). Fractions are dropped (S3 retention is in whole
 * seconds). 0 or -EINVAL. */
int s3_time_parse(const char *s, size_t len, time_t *out);

#endif
