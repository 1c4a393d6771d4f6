#!/bin/bash
# The archive holds 100 concurrent device streams (20 devices) with every chunk acknowledged
# (bench/archload.c, with a latency bound loose enough never to make this a timing test).
. "$(dirname "$0")/../lib.sh"
require "pki setup" setup_pki
for i in $(seq 1 20); do require "device load$i" add_device "load$i"; done
check "archive starts" start_archive
out=$("$BUILD/bench/archload" --address "$(cat "$T/archived.ready")" --ca "$PKI/ca.pem" \
	--devices "$PKI/devices" --steps 100 --window 4 --settle 1 --grace 3 --retries 0 \
	--p99-ms 10000 --archive-pid "$ARCHIVED_PID" 2>"$T/archload.err")
echo "$out" | grep '^# step'
check "100 concurrent streams, every chunk acknowledged" grep -qx "archive streams callrec 100" <<<"$out"
check "no chunk lost or refused" grep -q "refused 0 lost 0 (dropped 0) dead 0" <<<"$out"
check "archive still running" kill -0 "$ARCHIVED_PID"
check "no ALARM in the archive log" bash -c "! grep -q ALARM '$T/archived.log'"
