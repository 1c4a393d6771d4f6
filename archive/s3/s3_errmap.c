/* S3 error codes and HTTP statuses to errno. See s3_errmap.h. */
#include "s3_errmap.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

static const struct {
	const char *code;
	int err;
} by_code[] = {
	{ "NoSuchKey", -ENOENT },
	{ "NoSuchBucket", -ENOENT },
	{ "NoSuchVersion", -ENOENT },
	{ "NoSuchUpload", -ENOENT },
	{ "NotFound", -ENOENT },
	{ "ObjectLockConfigurationNotFoundError", -ENOENT },
	{ "NoSuchObjectLockConfiguration", -ENOENT },
	{ "AccessDenied", -EACCES },
	{ "AllAccessDisabled", -EACCES },
	{ "SignatureDoesNotMatch", -EACCES },
	{ "InvalidAccessKeyId", -EACCES },
	{ "RequestTimeTooSkewed", -EACCES },
	{ "ExpiredToken", -EACCES },
	{ "BucketAlreadyExists", -EEXIST },
	{ "BucketAlreadyOwnedByYou", -EEXIST },
	{ "BucketNotEmpty", -ENOTEMPTY },
	{ "InvalidRange", -ERANGE },
	{ "SlowDown", -EAGAIN },
	{ "ServiceUnavailable", -EAGAIN },
	{ "RequestTimeout", -ETIMEDOUT },
	{ "QuotaExceeded", -EDQUOT },
	{ "InsufficientCapacity", -ENOSPC },
	{ "EntityTooLarge", -EFBIG },
	{ "BadDigest", -EBADMSG },
	{ "InvalidDigest", -EBADMSG },
	{ "XAmzContentSHA256Mismatch", -EBADMSG },
	{ "IncompleteBody", -EBADMSG },
	{ "InvalidArgument", -EINVAL },
	{ "InvalidRequest", -EINVAL },
	{ "InvalidBucketName", -EINVAL },
	{ "InvalidBucketState", -EINVAL },
	{ "MalformedXML", -EINVAL },
	{ "InvalidRetentionPeriod", -EINVAL },
	{ "MethodNotAllowed", -EOPNOTSUPP },
	{ "NotImplemented", -EOPNOTSUPP },
	{ "InternalError", -EIO },
};

int s3_errno_for(long status, const char *code)
{
	if (code && *code) {
		for (size_t i = 0; i < sizeof(by_code) / sizeof(by_code[0]); i++)
			if (strcmp(code, by_code[i].code) == 0)
				return by_code[i].err;
	}
	switch (status) {
	case 400:
	case 411:
		return -EINVAL;
	case 401:
	case 403:
		return -EACCES;
	case 404:
		return -ENOENT;
	case 405:
	case 501:
		return -EOPNOTSUPP;
	case 409:
		return -EBUSY; /* a conflicting operation in progress */
	case 412:
		return -ESTALE; /* a precondition on the object's state no longer holds */
	case 416:
		return -ERANGE;
	case 429:
	case 503:
		return -EAGAIN;
	case 507:
		return -ENOSPC;
	default:
		/* 3xx (a redirect to another region or endpoint: a configuration error), other
		 * 4xx, 5xx. */
		return -EIO;
	}
}
