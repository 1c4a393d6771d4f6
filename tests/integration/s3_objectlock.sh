#!/bin/bash
# The archive's S3 client (archive/s3/, driven by s3probe) against a real Ceph RGW with Object
# Lock, each result checked with an independent client (boto3): a COMPLIANCE-locked version
# reports its mode and retain-until, cannot be deleted or have its retention shortened (only
# extended); a legal hold blocks deletion even after the retention ran out; released, the
# version can be deleted. Also GOVERNANCE with and without bypass, delete markers, paged
# version listings, ranged and streamed transfers, awkward key names, bad credentials, and a
# gateway gone; and that with Ceph (not S3) credentials the lock does not hold. Ends with the
# cluster stopped and nothing of it left.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/engines/ceph.sh"

PROBE=$BUILD/tests/s3probe
BUCKET=callrec-lock-test

if ! start_ceph "$T"; then
	not_ok "a throwaway Ceph with RGW starts"
	exit 1
fi
ok "a throwaway Ceph with RGW starts (${CEPH_START_MS} ms)"

probe() {
	"$PROBE" --endpoint "$CEPH_S3_ENDPOINT" --region "$CEPH_S3_REGION" --bucket "$BUCKET" \
		--access-key-file "$CEPH_S3_ACCESS_KEY_FILE" --secret-key-file "$CEPH_S3_SECRET_KEY_FILE" "$@"
}
# boto CMD ARGS: the independent view (tests/engines/s3check.py) of the bucket.
boto() { /usr/bin/python3 "$TOP/tests/engines/s3check.py" "$1" "$BUCKET" "${@:2}"; }
# refused ERRNAME PROBE-ARGS...: the client call fails with that errno (exit status 2).
refused() {
	local want=$1 err rc
	shift
	err=$(probe "$@" 2>&1 >/dev/null)
	rc=$?
	note "$*: $err"
	[ "$rc" = 2 ] && [[ $err == "s3probe: $want: "* ]]
}
# same WHAT GOT WANT: equality, noted when it fails.
same() {
	[ "$2" = "$3" ] && return 0
	note "$1: got '$2', want '$3'"
	return 1
}
field() { sed -n "s/^$1=//p"; }
# q COMMAND...: runs it without its output (check's own line must stay alone).
q() { "$@" >/dev/null; }

check "create a bucket with Object Lock" q probe mkbucket --lock
check "the client sees Object Lock enabled" same "bucket-lock" "$(probe bucket-lock)" enabled
check "boto3 sees Object Lock enabled" same "boto3 bucket-lock" "$(boto bucket-lock)" Enabled
BUCKET=callrec-plain check "create a bucket without Object Lock" q probe mkbucket
check "the client sees Object Lock disabled there" same "bucket-lock" \
	"$(BUCKET=callrec-plain probe bucket-lock)" disabled

# --- a COMPLIANCE-locked version -------------------------------------------------------------
head -c 100000 /dev/urandom >"$T/rec.bin"
UNTIL=$(($(date +%s) + 15))
V=$(probe put calls/rec.bin "$T/rec.bin" --mode compliance --until "$UNTIL")
check "PUT with COMPLIANCE until now+15 s returns a version id" test -n "$V"
note "version $V, retain-until $UNTIL"
info=$(probe head calls/rec.bin --version "$V")
check "HEAD: mode COMPLIANCE" same mode "$(field mode <<<"$info")" COMPLIANCE
check "HEAD: retain-until as asked" same retain_until "$(field retain_until <<<"$info")" "$UNTIL"
check "HEAD: size" same size "$(field size <<<"$info")" 100000
check "boto3: COMPLIANCE, retain-until as asked, no hold" same "boto3 head" \
	"$(boto head calls/rec.bin "$V")" "COMPLIANCE $UNTIL OFF"
boto get calls/rec.bin "$V" >"$T/boto.bin"
check "boto3 reads back the same bytes" cmp -s "$T/rec.bin" "$T/boto.bin"
probe get calls/rec.bin --version "$V" --range 1000:500 >"$T/part.bin"
check "ranged GET returns exactly those bytes" cmp -s "$T/part.bin" \
	<(tail -c +1001 "$T/rec.bin" | head -c 500)

check "deleting the locked version: EACCES" refused EACCES delete calls/rec.bin --version "$V"
check "the governance bypass does not lift COMPLIANCE" refused EACCES \
	delete calls/rec.bin --version "$V" --bypass
check "boto3 cannot delete it either" same "boto3 delete" "$(boto delete calls/rec.bin "$V")" \
	"refused AccessDenied"
check "shortening the retention: EACCES" refused EACCES \
	retention calls/rec.bin --version "$V" --mode compliance --until $((UNTIL - 10))
check "a retain-until date in the past: EINVAL" refused EINVAL \
	retention calls/rec.bin --version "$V" --mode compliance --until $(($(date +%s) - 60))
check "turning COMPLIANCE into GOVERNANCE: refused" refused EACCES \
	retention calls/rec.bin --version "$V" --mode governance --until "$UNTIL"
UNTIL=$((UNTIL + 3))
check "extending the retention is allowed" q probe retention calls/rec.bin --version "$V" \
	--mode compliance --until "$UNTIL"
check "boto3 sees the extended retention" same "boto3 retention" \
	"$(boto retention calls/rec.bin "$V")" "COMPLIANCE $UNTIL"
check "the client reads the retention back" same "get-retention" \
	"$(probe get-retention calls/rec.bin --version "$V")" "COMPLIANCE $UNTIL"

check "no legal hold yet (client)" same "get-hold" "$(probe get-hold calls/rec.bin --version "$V")" OFF
check "set the legal hold" q probe hold calls/rec.bin --version "$V" on
check "boto3 sees the legal hold ON" same "boto3 hold" "$(boto hold calls/rec.bin "$V")" ON
check "the client sees it ON" same "get-hold" "$(probe get-hold calls/rec.bin --version "$V")" ON

# --- meanwhile: GOVERNANCE, delete markers, listings, streams, names, credentials ------------
G=$(probe put gov/g.bin "$T/part.bin" --mode governance --until $(($(date +%s) + 3600)))
check "GOVERNANCE version: deleting it without bypass: EACCES" refused EACCES \
	delete gov/g.bin --version "$G"
check "GOVERNANCE version: deleting it with bypass works" q probe delete gov/g.bin --version "$G" --bypass
check "GOVERNANCE version is gone" refused ENOENT head gov/g.bin --version "$G"

P=$(probe put plain/p.bin "$T/part.bin")
check "an unlocked version in the locked bucket: no retention" same retention \
	"$(probe get-retention plain/p.bin --version "$P")" "NONE 0"
check "a plain DELETE only adds a delete marker" q probe delete plain/p.bin
check "the latest is now a delete marker: ENOENT" refused ENOENT get plain/p.bin
check "the version itself is still there" q probe head plain/p.bin --version "$P"
check "the listing shows the version and the marker" test \
	"$(probe list plain/ | awk '{print $3, $4}' | sort | tr '\n' ,)" = "latest marker,old version,"
M=$(probe list plain/ | awk '$4 == "marker" {print $2}')
check "deleting the marker brings the version back" q probe delete plain/p.bin --version "$M"
check "the version is the latest again" q probe get plain/p.bin

for i in 1 2 3 4 5; do probe put "page/k$((i % 3))" "$T/part.bin" >/dev/null; done
probe list page/ --page 2 | awk '{print $1 "\t" $2}' | sort >"$T/ours"
boto versions page/ | cut -f1,2 | sort >"$T/theirs"
check "version listing in pages of 2 finds all 5 versions" test "$(wc -l <"$T/ours")" = 5
check "and the same ones boto3 finds" cmp -s "$T/ours" "$T/theirs"

head -c 2500000 /dev/urandom >"$T/big.bin"
BV=$(probe put big.bin "$T/big.bin" --stream --mode compliance --until $(($(date +%s) + 60)))
check "a streamed 2.5 MB PUT (UNSIGNED-PAYLOAD) is stored locked" same "boto3 head mode" \
	"$(boto head big.bin "$BV" | cut -d' ' -f1)" COMPLIANCE
probe get big.bin --version "$BV" >"$T/big.back"
check "and reads back identical" cmp -s "$T/big.bin" "$T/big.back"

ODD='odd/a b+c%d~é*(x)/../y'
OV=$(probe put "$ODD" "$T/part.bin")
check "an awkward key is stored under exactly that name" same "boto3 key" \
	"$(boto versions odd/ | cut -f1)" "$ODD"
probe get "$ODD" --version "$OV" >"$T/odd.back"
check "and reads back by that name" cmp -s "$T/part.bin" "$T/odd.back"

echo "WRONGSECRET" >"$T/bad_secret"
bad=$("$PROBE" --endpoint "$CEPH_S3_ENDPOINT" --region "$CEPH_S3_REGION" --bucket "$BUCKET" \
	--access-key-file "$CEPH_S3_ACCESS_KEY_FILE" --secret-key-file "$T/bad_secret" \
	get-hold calls/rec.bin --version "$V" 2>&1)
note "wrong secret: $bad"
check "a wrong secret key: EACCES, SignatureDoesNotMatch" \
	test "${bad#s3probe: EACCES: *SignatureDoesNotMatch}" != "$bad"
check "a missing key: ENOENT" refused ENOENT head calls/nothing

# --- the retention runs out; the legal hold still holds -------------------------------------
while [ "$(date +%s)" -le $((UNTIL + 1)) ]; do sleep 0.5; done
check "past retain-until, the held version still cannot be deleted" refused EACCES \
	delete calls/rec.bin --version "$V"
check "boto3 cannot delete the held version either" same "boto3 delete" \
	"$(boto delete calls/rec.bin "$V")" "refused AccessDenied"
check "release the legal hold" q probe hold calls/rec.bin --version "$V" off
check "boto3 sees the legal hold OFF" same "boto3 hold" "$(boto hold calls/rec.bin "$V")" OFF
check "now the version can be deleted" q probe delete calls/rec.bin --version "$V"
check "it is gone for the client" refused ENOENT head calls/rec.bin --version "$V"
check "it is gone for boto3" test -z "$(boto versions calls/ | grep -F "$V")"

check "versioning of a locked bucket cannot be suspended" same "boto3 suspend-versioning" \
	"$(boto suspend-versioning)" "refused InvalidBucketState"
check "a bucket holding versions cannot be deleted" same "boto3 delete-bucket" \
	"$(boto delete-bucket)" "refused BucketNotEmpty"

# --- the lock is RGW's: with Ceph credentials it does not hold --------------------------------
# What docs/scale.md tells storage administrators: RADOS knows nothing of Object Lock.
R=$(probe put rados/victim "$T/part.bin" --mode compliance --until $(($(date +%s) + 3600)))
obj=$(rados -c "$CEPH_CONF" -p default.rgw.buckets.data ls | grep -F "$R" | grep -F "rados/victim")
check "the locked version is one RADOS object in the data pool" test "$(wc -l <<<"$obj")" = 1
check "rados rm removes it (it needs a Ceph key, not S3 keys)" \
	rados -c "$CEPH_CONF" -p default.rgw.buckets.data rm "$obj"
check "the COMPLIANCE-locked version is no longer readable" refused ENOENT get rados/victim --version "$R"
check "radosgw-admin removes the bucket with its locked versions" \
	q radosgw-admin -c "$CEPH_CONF" bucket rm --bucket="$BUCKET" --purge-objects
check "the bucket is gone" refused ENOENT list

# --- the gateway goes away, and the cluster leaves nothing behind ----------------------------
mapfile -t daemons <"$T/ceph/run/daemons"
endpoint=$CEPH_S3_ENDPOINT
stop_ceph
CEPH_S3_ENDPOINT=$endpoint CEPH_S3_REGION=default CEPH_S3_ACCESS_KEY_FILE=$T/bad_secret \
	CEPH_S3_SECRET_KEY_FILE=$T/bad_secret check "with the gateway gone: EIO" refused EIO head calls/x
alive=0
for p in "${daemons[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
check "after stop_ceph no daemon of it runs (${#daemons[@]} started)" test "$alive" = 0
check "after stop_ceph its directory is gone" test ! -e "$T/ceph"
