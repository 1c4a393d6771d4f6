#!/bin/bash
# Network cut (SPEC 8): the archive runs in its own network namespace behind a veth pair; 10
# calls stream to it (upgen, spool semantics), the link goes down for CUT seconds (30 here,
# 600 in tests/soak/network_cut_soak.sh) and comes back. Nothing may be acknowledged while
# cut, the streams keep producing into their spools, and afterwards every call is complete,
# exact sample by sample, with no (call, seq) stored twice.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../faults/common.sh"
CUT=${CUT:-30}

netns_setup || { not_ok "network namespace with a veth pair"; exit 1; }
pki_setup_ns || { not_ok "pki setup"; exit 1; }
start_archive_ns || { not_ok "archive starts in the namespace"; exit 1; }
CALLS=${CALLS:-10} CHUNK_MS=500 # upgen holds the spool in memory: 64 KB/s per call
CHUNKS=$(((CUT + 12) * 1000 / CHUNK_MS)) # the calls outlast the cut by a few seconds
gen_start load --calls $CALLS --chunks $CHUNKS --chunk-ms $CHUNK_MS --timeout $((CUT + 60))
wait_acked load $((CALLS * 4)) 15 || not_ok "streaming before the cut"
ip link set "$HOST_IF" down
note "link down after $(acked load) ACKs"
sleep 1
during=$(acked load)
sleep $((CUT - 1))
after=$(acked load)
check "no ACK while the network is cut ($during -> $after)" test "$during" = "$after"
ip link set "$HOST_IF" up
note "link up after ${CUT}s"
wait_pid_timeout "$GEN_PID" 60
GEN_RC=$?
note "load: $(cat "$T/load.out")"
check "every stream delivered everything after the cut (upgen status 0)" test "$GEN_RC" = 0
check "the streams reconnected" test "$(gen_field load reconnects)" -ge "$CALLS"
check "the archive lists every call complete" wait_complete load 30
check "no (call, seq) stored twice, none missing" no_duplicates load $CHUNKS
check "every call is exact, sample by sample" verify_audio load
check "archive still running" kill -0 "$ARCHIVED_PID"
