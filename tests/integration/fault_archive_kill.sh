#!/bin/bash
# Archive killed with -9 while 100 calls stream. upgen streams 100 calls (one TLS
# connection each, spool semantics: every frame kept until its ACK, resent after reconnecting),
# and one real call (duplex through the plugin and the real agent) runs at the same time.
# The archive is killed twice mid-stream and restarted; afterwards every call must be complete,
# every sample as sent, and no (call, seq) stored twice. upgen forgets a frame only on its ACK,
# so a chunk acknowledged but not durable would leave a hole that keeps its call from closing.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/archive.bash"
. "$TOP/tests/lib/load.bash"
. "$TOP/tests/lib/call.bash"

require "pki setup" setup_pki
require "archive starts" start_archive
CALLS=${CALLS:-100} CHUNKS=${CHUNKS:-30} ROUNDS=${ROUNDS:-2} # tests/soak: more of each
LIMIT=$((CHUNKS / 4 + 40))

require "agent starts" start_agent
require "signals and ALSA set-up" setup_call 8
start_upgen load --calls "$CALLS" --chunks "$CHUNKS" --chunk-ms 250 --timeout $LIMIT
start_duplex
for round in $(seq 1 "$ROUNDS"); do
	wait_acked load $((CALLS * (CHUNKS + 2) * round / (ROUNDS + 2))) 30 ||
		not_ok "streaming before kill $round"
	before=$(count_acked load)
	kill -9 "$ARCHIVED_PID"
	wait "$ARCHIVED_PID" 2>/dev/null
	note "kill $round: archive killed with -9 after $before ACKs"
	sleep 1 # the streams keep producing into their spools while the archive is down
	require "archive restarts after kill $round" start_archive
	ok "archive restarted after kill $round"
done
wait_upgen load $LIMIT
check "every stream delivered everything (upgen status 0)" test "$UPGEN_RC" = 0
check "every frame acknowledged exactly once from upgen's view" \
	test "$(get_upgen_field load acked)" = $((CALLS * (CHUNKS + 2)))
check "the streams reconnected after the kills" test "$(get_upgen_field load reconnects)" -ge "$CALLS"
check "the archive lists all $CALLS calls complete" wait_calls_complete load 30
check "no (call, seq) stored twice, none missing" verify_no_duplicates load "$CHUNKS"
check "every call is exact, sample by sample" verify_audio load

# The real call: everything that passed the plugin is archived, once.
wait "$DUPLEX_PID"
check "the real call ran to its end" test $? = 0
check "the real call is complete in the archive" wait_complete_call duplex 30
check "export the real call" export_call
sox -D -t raw -r 48000 -c 2 -b 16 -e signed-integer "$T/play_out.raw" "$T/played.wav"
SECS=$(soxi -D "$WAV" 2>/dev/null || echo 0)
PLAYED=$(get_played_seconds)
note "real call: ${SECS}s archived, ${PLAYED}s passed the plugin"
check "the real call's length is what passed the plugin, within one chunk" \
	awk "BEGIN{d = $SECS - $PLAYED; exit !(d >= -1 && d <= 1)}"
check "the real call's channel 2 is what passed the plugin" \
	correlate "ch2 vs played" "$WAV" 2 "$T/played.wav" 0 --min 0.99
check "the real call's channel 1 is what was captured (A)" \
	correlate "ch1 vs A" "$WAV" 1 "$T/a.wav" 0 --min 0.99
check "the real call's chunks stored once" verify_chunks_once "$ID"
check "archive still running" kill -0 "$ARCHIVED_PID"
