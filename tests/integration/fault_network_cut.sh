#!/bin/bash
# Network cut: the archive runs in its own network namespace behind a veth pair; 10
# calls stream to it (upgen, spool semantics), the link goes down for CUT seconds (30 here,
# 600 in tests/soak/network_cut_soak.sh) and comes back. Nothing may be acknowledged while
# cut, the streams keep producing into their spools, and afterwards every call is complete,
# exact sample by sample, with no (call, seq) stored twice.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/archive.bash"
. "$TOP/tests/lib/load.bash"
. "$TOP/tests/lib/faults.bash"
CUT=${CUT:-30}

start_archive_in_netns
CALLS=${CALLS:-10} CHUNK_MS=500 # upgen holds the spool in memory: 64 KB/s per call
CHUNKS=$(((CUT + 12) * 1000 / CHUNK_MS)) # the calls outlast the cut by a few seconds
start_upgen load --calls $CALLS --chunks $CHUNKS --chunk-ms $CHUNK_MS --timeout $((CUT + 60))
wait_acked load $((CALLS * 4)) 15 || not_ok "streaming before the cut"
ip link set "$HOST_IF" down
note "link down after $(count_acked load) ACKs"
sleep 1
during=$(count_acked load)
sleep $((CUT - 1))
after=$(count_acked load)
check "no ACK while the network is cut ($during -> $after)" test "$during" = "$after"
ip link set "$HOST_IF" up
note "link up after ${CUT}s"
wait_upgen load 60
check "every stream delivered everything after the cut (upgen status 0)" test "$UPGEN_RC" = 0
check "the streams reconnected" test "$(get_upgen_field load reconnects)" -ge "$CALLS"
check "the archive lists every call complete" wait_calls_complete load 30
check "no (call, seq) stored twice, none missing" verify_no_duplicates load $CHUNKS
check "every call is exact, sample by sample" verify_audio load
check "archive still running" kill -0 "$ARCHIVED_PID"
