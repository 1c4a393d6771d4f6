#!/bin/bash
# Erasure is crash-consistent (issue 6): the archive is killed (its test build's
# --test-crash-at makes it _exit right after a step) after marking the call erasing,
# after deleting its key, after deleting its files, and also by SIGKILL in the middle of a
# batch of erasures; after a restart the index, the keys and the files agree: the call is a
# tombstone with no key, no files and no chunk rows, and the other calls are intact and
# verifiable.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/archive.bash"

require "pki setup" setup_pki
require "operators" add_operator dpo1 dpo
require "archive starts" start_archive
KEEP_ID=$(upload_call --meta '{"tags":{"keep":"yes"}}') || { not_ok "upload"; exit 1; }
wait_call_state "$KEEP_ID" complete || not_ok "kept call assembled"
stop_pid "$ARCHIVED_PID"

# consistent ID: the erasure either finished or never started, and everything agrees.
consistent() {
	local id=$1 st
	st=$(get_call_state "$id")
	case $st in
	erased)
		[ "$(count_call_keys "$id")" = 0 ] && [ ! -e "$ARCHIVE_DATA/calls/$id" ] &&
			[ "$(query_index "SELECT COUNT(*) FROM chunks WHERE call_id = x'$id'")" = 0 ] &&
			[ "$(query_index "SELECT meta FROM calls WHERE id = x'$id'")" = "{}" ] ;;
	complete)
		[ "$(count_call_keys "$id")" = 1 ] && [ -s "$ARCHIVE_DATA/calls/$id/audio.wav" ] ;;
	*) return 1 ;;
	esac
}

for point in erase-after-mark erase-after-key erase-after-objects; do
	start_archive_testhooks --test-crash-at $point || { not_ok "archive starts ($point)"; continue; }
	id=$(upload_call --meta '{}')
	wait_call_state "$id" complete || not_ok "call assembled ($point)"
	run_archive_as dpo1 erase --call "$id" --reason "crash test" >/dev/null 2>&1
	wait "$ARCHIVED_PID"
	check "the archive died at $point" test $? -eq 99
	check "the index shows the erasure in progress ($point)" test "$(get_call_state "$id")" = erasing
	case $point in
	erase-after-mark) check "key still there before its deletion" test "$(count_call_keys "$id")" = 1 ;;
	*) check "key already destroyed ($point)" test "$(count_call_keys "$id")" = 0 ;;
	esac
	start_archive || { not_ok "archive restarts after $point"; continue; }
	check "after restart the erasure is finished and consistent ($point)" consistent "$id"
	check "the recovery is logged ($point)" grep -q "finished the interrupted erasure of call $id" "$T/archived.log"
	check "the other call is intact ($point)" consistent "$KEEP_ID"
	stop_pid "$ARCHIVED_PID"
done

# SIGKILL at an arbitrary moment during a batch of erasures.
require "archive starts" start_archive
ids=()
for i in 1 2 3 4 5 6; do ids+=("$(upload_call --meta '{"tags":{"batch":"k"}}')"); done
for id in "${ids[@]}"; do wait_call_state "$id" complete || not_ok "batch call assembled"; done
run_archive_as dpo1 erase --subject batch=k --reason "kill test" >/dev/null 2>&1 &
ERASER=$!
# Kill once the batch's first erasure has begun (three tombstones exist from above).
for i in $(seq 1 500); do
	[ "$(query_index "SELECT COUNT(*) FROM calls WHERE state IN ('erasing','erased')")" -gt 3 ] && break
	sleep 0.005
done
kill -KILL "$ARCHIVED_PID"
wait "$ARCHIVED_PID" 2>/dev/null
wait "$ERASER" 2>/dev/null
note "after SIGKILL: $(query_index "SELECT state, COUNT(*) FROM calls GROUP BY state" | tr '\n' ' ')"
require "archive restarts after SIGKILL" start_archive
all=1
for id in "${ids[@]}"; do consistent "$id" || { all=0; note "inconsistent $id: $(get_call_state "$id") keys=$(count_call_keys "$id")"; }; done
check "after SIGKILL every call is either intact or fully erased" test $all = 1
check "no call is left half-erased" test "$(query_index "SELECT COUNT(*) FROM calls WHERE state = 'erasing'")" = 0
check "keys exist exactly for the calls not erased" test \
	"$(query_index "SELECT COUNT(*) FROM calls c LEFT JOIN keys k ON k.call_id = c.id WHERE (c.state = 'erased') = (k.call_id IS NOT NULL)")" = 0
check "no directory without a live call" bash -c "for d in '$ARCHIVE_DATA'/calls/*; do id=\$(basename \$d); [ \"\$(sqlite3 -readonly '$ARCHIVE_DATA/index.sqlite' \"SELECT state FROM calls WHERE id = x'\$id'\")\" = complete ] || exit 1; done"
check "the kept call still exports and verifies" bash -c "
	'$BUILD/callrec-archive' --config '$PKI/operators/dpo1/archive.yaml' export --call $KEEP_ID --out '$T/keep' >/dev/null &&
	'$BUILD/callrec-archive' verify '$T/keep' >/dev/null"
stop_pid "$ARCHIVED_PID"
