#!/bin/bash
# Archive disk full: no acknowledgement for what was not stored, one clear log line
# (not one per chunk or per turn), agents keep their data, and recovery without loss when space
# returns. The archive's data directory is a 24 MiB tmpfs; 10 calls stream (upgen, spool
# semantics); a filler file fills the disk mid-call, stays for 5 s, and is removed.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/archive.bash"
. "$TOP/tests/lib/load.bash"
. "$TOP/tests/lib/faults.bash"

require "pki setup" setup_pki
DATA=$ARCHIVE_DATA
require "mount a tmpfs for the archive data" mount_tmpfs "$DATA" 24m
require "archive starts" start_archive
CALLS=10 CHUNKS=60

start_upgen load --calls $CALLS --chunks $CHUNKS --chunk-ms 250 --timeout 60
wait_acked load $((CALLS * 8)) 15 || not_ok "streaming before the disk fills"
fill_disk "$DATA"
note "disk full: $(df -k --output=avail "$DATA" | tail -1 | tr -d ' ') KiB left; $(count_acked load) ACKs so far"
check "the archive reports the outage" wait_log "$T/archived.log" 'ALARM storage: cannot store' 10
sleep 0.5 # ACKs of what was durable before the disk filled may still be on their way
during=$(count_acked load)
sleep 5
after=$(count_acked load)
note "ACKs while full: $during -> $after"
check "no ACK while the disk is full" test "$during" = "$after"
errors=$(grep -c ' error: ' "$T/archived.log")
refusals=$(grep -c 'closed: refused or failed' "$T/archived.log")
note "during the outage: $errors error lines, $refusals connections refused for storage"
check "the outage is logged once, not per chunk or turn (at most 4 error lines)" \
	test "$errors" -le 4
check "many uploads were refused meanwhile (the log line was not a one-off)" \
	test "$refusals" -ge 5
check "the failing turns did not leave a trail of segment files" \
	test "$(find "$DATA/segments" -name '*.seg' | wc -l)" -le 3
rm -f "$DATA/filler"
check "the archive reports its recovery" wait_log "$T/archived.log" 'storage: recovered after' 15
wait_upgen load 60
check "every stream delivered everything after recovery (upgen status 0)" test "$UPGEN_RC" = 0
check "the archive lists every call complete" wait_calls_complete load 30
check "no (call, seq) stored twice, none missing" verify_no_duplicates load $CHUNKS
check "every call is exact, sample by sample" verify_audio load
check "archive still running" kill -0 "$ARCHIVED_PID"
