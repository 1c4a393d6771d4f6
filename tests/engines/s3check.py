"""An independent S3 client (boto3, Debian's python3-boto3) for tests that check what really
landed in a bucket, next to the archive's own client. Reads the endpoint and keys that
tests/engines/ceph.sh exports. One call per run:

  s3check.py bucket-lock BUCKET            "Enabled" or "none"
  s3check.py head BUCKET KEY VERSION       "MODE RETAIN_UNTIL_EPOCH HOLD" ("NONE 0 OFF")
  s3check.py retention BUCKET KEY VERSION  "MODE RETAIN_UNTIL_EPOCH" ("NONE 0")
  s3check.py hold BUCKET KEY VERSION       "ON" or "OFF"
  s3check.py delete BUCKET KEY VERSION     "deleted", or "refused CODE"
  s3check.py get BUCKET KEY VERSION        the body on stdout
  s3check.py versions BUCKET PREFIX        "KEY<TAB>VERSION<TAB>version|marker" lines
  s3check.py suspend-versioning BUCKET     "suspended", or "refused CODE"
  s3check.py delete-bucket BUCKET          "deleted", or "refused CODE"
Any other failure: a traceback and exit status 1.
"""
import os
import sys

import boto3
import botocore.config
from botocore.exceptions import ClientError


def client():
    return boto3.client(
        "s3",
        endpoint_url=os.environ["CEPH_S3_ENDPOINT"],
        region_name=os.environ["CEPH_S3_REGION"],
        aws_access_key_id=os.environ["CEPH_S3_ACCESS_KEY"],
        aws_secret_access_key=os.environ["CEPH_S3_SECRET_KEY"],
        config=botocore.config.Config(s3={"addressing_style": "path"},
                                      retries={"max_attempts": 1}),
    )


def not_configured(e):
    return e.response["Error"]["Code"] in (
        "ObjectLockConfigurationNotFoundError", "NoSuchObjectLockConfiguration")


def main(argv):
    s3 = client()
    cmd, bucket, rest = argv[0], argv[1], argv[2:]
    if cmd == "bucket-lock":
        try:
            cfg = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
            print(cfg.get("ObjectLockEnabled", "none"))
        except ClientError as e:
            if not not_configured(e):
                raise
            print("none")
        return 0
    if cmd in ("suspend-versioning", "delete-bucket"):
        try:
            if cmd == "suspend-versioning":
                s3.put_bucket_versioning(Bucket=bucket,
                                         VersioningConfiguration={"Status": "Suspended"})
                print("suspended")
            else:
                s3.delete_bucket(Bucket=bucket)
                print("deleted")
        except ClientError as e:
            print("refused", e.response["Error"]["Code"])
        return 0
    if cmd == "versions":
        pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=rest[0])
        for page in pages:
            for v in page.get("Versions", []):
                print("%s\t%s\tversion" % (v["Key"], v["VersionId"]))
            for m in page.get("DeleteMarkers", []):
                print("%s\t%s\tmarker" % (m["Key"], m["VersionId"]))
        return 0
    key, version = rest[0], rest[1]
    if cmd == "head":
        r = s3.head_object(Bucket=bucket, Key=key, VersionId=version)
        until = r.get("ObjectLockRetainUntilDate")
        print(r.get("ObjectLockMode", "NONE"), int(until.timestamp()) if until else 0,
              r.get("ObjectLockLegalHoldStatus", "OFF"))
    elif cmd == "retention":
        try:
            r = s3.get_object_retention(Bucket=bucket, Key=key, VersionId=version)["Retention"]
            print(r["Mode"], int(r["RetainUntilDate"].timestamp()))
        except ClientError as e:
            if not not_configured(e):
                raise
            print("NONE 0")
    elif cmd == "hold":
        try:
            r = s3.get_object_legal_hold(Bucket=bucket, Key=key, VersionId=version)
            print(r["LegalHold"]["Status"])
        except ClientError as e:
            if not not_configured(e):
                raise
            print("OFF")
    elif cmd == "delete":
        try:
            s3.delete_object(Bucket=bucket, Key=key, VersionId=version)
            print("deleted")
        except ClientError as e:
            print("refused", e.response["Error"]["Code"])
    elif cmd == "get":
        body = s3.get_object(Bucket=bucket, Key=key, VersionId=version)["Body"].read()
        sys.stdout.buffer.write(body)
    else:
        print("unknown command " + cmd, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
