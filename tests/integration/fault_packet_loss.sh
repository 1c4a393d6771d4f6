#!/bin/bash
# 20% packet loss: the archive runs in a network namespace whose veth drops 20% of
# the packets in each direction at random (iptables statistic; this kernel has no netem).
# 10 calls stream for LOSS_SECONDS (20 here) through it; TCP retransmits, streams that stall
# reconnect and resend. Afterwards every call is complete, exact sample by sample, and no
# (call, seq) is stored twice; the archive must have seen the loss (retransmissions).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/archive.bash"
. "$TOP/tests/lib/load.bash"
. "$TOP/tests/lib/faults.bash"
SECONDS_LOSSY=${LOSS_SECONDS:-20}

start_archive_in_netns
for chain in INPUT OUTPUT; do
	ip netns exec "$NS" iptables -A $chain -i "$NS_IF" -m statistic --mode random \
		--probability 0.2 -j DROP 2>/dev/null ||
		ip netns exec "$NS" iptables -A $chain -o "$NS_IF" -m statistic --mode random \
			--probability 0.2 -j DROP || { not_ok "iptables loss rule ($chain)"; exit 1; }
done
CALLS=10 CHUNK_MS=250
CHUNKS=$((SECONDS_LOSSY * 1000 / CHUNK_MS))
start_upgen load --calls $CALLS --chunks $CHUNKS --chunk-ms $CHUNK_MS --timeout $((SECONDS_LOSSY + 35))
wait_upgen load $((SECONDS_LOSSY + 40))
dropped=$(ip netns exec "$NS" iptables -L -v -n -x | awk '/statistic/ {s += $1} END {print s + 0}')
note "packets dropped by the loss rules: $dropped"
check "the loss rules dropped packets (at least 100)" test "$dropped" -ge 100
# The operator's checks below are not what is under test: give them a clean link.
ip netns exec "$NS" iptables -F
check "every stream delivered everything through the loss (upgen status 0)" test "$UPGEN_RC" = 0
check "the archive lists every call complete" wait_calls_complete load 30
check "no (call, seq) stored twice, none missing" verify_no_duplicates load $CHUNKS
check "every call is exact, sample by sample" verify_audio load
check "archive still running" kill -0 "$ARCHIVED_PID"
