#!/bin/bash
# Retention (issue 6): the sweeper erases a recording past its deadline (key gone, files
# gone, tombstone kept, audited) while a held one and one with a longer retention survive.
# Time is moved with the daemon test build's --test-clock-offset; sweep_interval is short.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/archive.bash"

require "pki setup" setup_pki
add_operator legal1 legal && add_operator dpo1 dpo || { not_ok "operators"; exit 1; }
echo "sweep_interval: 200ms" >>"$PKI/archived.yaml"
require "archive starts" start_archive
DAY=86400000
E=$(upload_call --meta "$(make_purpose_meta training legal $DAY '{}')") &&
H=$(upload_call --meta "$(make_purpose_meta training legal $DAY '{}')") &&
L=$(upload_call --meta "$(make_purpose_meta contract legal $((3650 * DAY)) '{}')") &&
N=$(upload_call --meta '{}') || { not_ok "calls uploaded"; exit 1; }
for id in $E $H $L $N; do wait_call_state $id complete || not_ok "call $id assembled"; done
check "a 1-day recording is not swept early" test "$(get_call_state $E)" = complete
check "its deadline is start + retention" test "$(query_index "SELECT expires - CAST(strftime('%s','now') AS INTEGER) BETWEEN 86000 AND 86400 FROM calls WHERE id = x'$E'")" = 1
check "hold one of the 1-day recordings" run_archive_as legal1 hold --call "$H" --reason "litigation"
check "keys exist before the sweep" test "$(count_call_keys $E)" = 1
stop_pid "$ARCHIVED_PID"

# Three days later.
require "archive restarts" start_archive_testhooks --test-clock-offset 259200
check "the sweeper erases the expired recording" wait_call_state "$E" erased 10
check "its key is gone" test "$(count_call_keys $E)" = 0
check "its files are gone" test ! -e "$ARCHIVE_DATA/calls/$E"
check "its chunk rows are gone" test "$(query_index "SELECT COUNT(*) FROM chunks WHERE call_id = x'$E'")" = 0
check "the tombstone says retention" test "$(query_index "SELECT erase_reason FROM calls WHERE id = x'$E'")" = retention
check "the held recording survives" test "$(get_call_state $H)" = complete
check "the held recording is still readable" run_archive_as dpo1 export --call "$H" --out "$T/h"
check "the long-retention recording survives" test "$(get_call_state $L)" = complete
check "a recording without retention survives" test "$(get_call_state $N)" = complete
run_archive_as dpo1 audit >"$T/audit.txt" 2>/dev/null
check "the sweeper's erasure is audited" grep -q "\"actor\":\"archive\",\"role\":\"sweeper\",\"action\":\"erase\",\"call\":\"$E\",\"outcome\":\"ok\"" "$T/audit.txt"
check "release needs two operators, then the sweeper takes it" bash -c "
	'$BUILD/callrec-archive' --config '$PKI/operators/legal1/archive.yaml' release --call $H --reason done >/dev/null &&
	'$BUILD/callrec-archive' --config '$PKI/operators/dpo1/archive.yaml' release --call $H --reason agreed >/dev/null"
check "the released, expired recording is swept" wait_call_state "$H" erased 10
stop_pid "$ARCHIVED_PID"
