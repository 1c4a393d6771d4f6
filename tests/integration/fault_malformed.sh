#!/bin/bash
# A malformed frame closes that one connection; the other streams do not notice.
# 20 healthy uploads stream in real time (upgen, 250 ms chunks) while authenticated clients
# send garbage, an oversized length, an unknown type, a truncated chunk, a chunk that breaks the
# hash chain, a seq resent with other audio, a chunk for another device's call, and an operator
# request on a device connection. The healthy streams must get every ACK with no reconnect and
# no ACK later than 250 ms; each misbehaving client gets its close or its refusal status.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/archive.bash"
. "$TOP/tests/lib/load.bash"

require "pki setup" setup_pki
require "desk2" add_device desk2
require "archive starts" start_archive

CALLS=20 CHUNKS=40
start_upgen healthy --calls $CALLS --chunks $CHUNKS --chunk-ms 250 --timeout 40
wait_acked healthy $CALLS 10 || not_ok "the healthy streams started"

# evil MODE [ARGS]: one misbehaving connection; prints its outcome.
evil() {
	# shellcheck disable=SC2046
	"$BUILD/tests/upgen" $(get_upgen_args "${EVIL_DEV:-desk1}") --evil "$@" 2>>"$T/evil.err" |
		sed 's/.*result=//'
}
VICTIM=$(head -1 "$T/healthy.ids" | cut -d' ' -f1)
declare -A got
for round in 1 2 3; do
	for mode in garbage oversize badtype truncated badchain conflict opreq; do
		got[$mode]+="$(evil $mode) "
	done
	got[forbidden]+="$(EVIL_DEV=desk2 evil forbidden --call "$VICTIM") "
	sleep 0.5
done
for mode in "${!got[@]}"; do note "$mode: ${got[$mode]}"; done
all_are() { [ "$(tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -u)" = "$2" ]; }
check "garbage bytes: connection closed" all_are "${got[garbage]}" closed
check "oversized length: connection closed" all_are "${got[oversize]}" closed
check "unknown frame type: connection closed" all_are "${got[badtype]}" closed
check "an operator request from a device: connection closed" all_are "${got[opreq]}" closed
check "a chunk whose body disagrees with its header: ACK status 4 (invalid)" \
	all_are "${got[truncated]}" ack=4
check "a chunk that breaks the hash chain: ACK status 2 (chain)" all_are "${got[badchain]}" ack=2
check "a stored seq resent with other audio: ACK status 1 (conflict)" \
	all_are "${got[conflict]}" ack=1
check "desk2 sending a chunk into desk1's call: ACK status 3 (forbidden)" \
	all_are "${got[forbidden]}" ack=3
alarm_lines() { grep -c 'ALARM device desk1: call [0-9a-f]\{32\} seq 1 resent with different' \
	"$T/archived.log"; }
check "each conflict raised one ALARM line naming device, call and seq" test "$(alarm_lines)" = 3

wait_upgen healthy 40
check "the healthy streams completed (upgen status 0)" test "$UPGEN_RC" = 0
check "every healthy frame acknowledged" test "$(get_upgen_field healthy acked)" = $((CALLS * (CHUNKS + 2)))
check "no healthy stream was disconnected" test "$(get_upgen_field healthy reconnects)" = 0
check "no healthy ACK took 250 ms or more" test "$(get_upgen_field healthy lat_max_ms)" -lt 250
check "no healthy stream waited 250 ms or more for its next ACK" \
	test "$(get_upgen_field healthy gap_max_ms)" -lt 250
check "the archive lists every healthy call complete" wait_calls_complete healthy 20
check "no (call, seq) stored twice" verify_no_duplicates healthy $CHUNKS
check "desk1's call kept its own audio (forbidden chunk not stored)" verify_audio healthy 1
check "every healthy call is exact, sample by sample" verify_audio healthy
check "archive still running" kill -0 "$ARCHIVED_PID"
