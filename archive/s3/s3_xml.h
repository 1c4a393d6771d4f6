/* A minimal XML reader for S3 response documents, which come from the network and are
 * treated as hostile: a pull of elements and their text out of one buffer, with no I/O, no
 * allocation, no DTD and no entity other than the five predefined ones and character
 * references. Deeper than S3_XML_DEPTH, a text longer than S3_XML_TEXT_MAX or anything that
 * is not well-formed is refused with -EBADMSG.
 *
 * The callback sees each element as a path of local names (namespace prefixes dropped),
 * e.g. "ListVersionsResult/Version/Key": S3_XML_OPEN when it starts (text ""), S3_XML_CLOSE
 * when it ends, with its decoded text if it has no child elements ("" if it has: S3 puts
 * values in leaf elements only). Attributes are checked for well-formedness and otherwise
 * ignored. */
#ifndef CALLREC_S3_XML_H
#define CALLREC_S3_XML_H

#include <stddef.h>

#define S3_XML_DEPTH 16
#define S3_XML_PATH_MAX 512
#define S3_XML_TEXT_MAX 8192

enum s3_xml_event { S3_XML_OPEN, S3_XML_CLOSE };

/* 0 to go on; anything else stops the parse, which returns it. text is NUL-terminated and
 * holds no NUL (control characters and &#0; are refused). */
typedef int s3_xml_fn(void *arg, enum s3_xml_event ev, const char *path, const char *text,
		      size_t text_len);

/* Parses doc (len bytes). 0, -EBADMSG, or a callback's non-zero value. */
int s3_xml_parse(const char *doc, size_t len, s3_xml_fn *fn, void *arg);

#endif
