#!/bin/bash
# Archive killed with -9 while 100 calls stream (SPEC 8). upgen streams 100 calls (one TLS
# connection each, spool semantics: every frame kept until its ACK, resent after reconnecting),
# and one real call (duplex through the plugin and the real agent) runs at the same time.
# The archive is killed twice mid-stream and restarted; afterwards every call must be complete,
# every sample as sent, and no (call, seq) stored twice. upgen forgets a frame only on its ACK,
# so a chunk acknowledged but not durable would leave a hole that keeps its call from closing.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../faults/common.sh"

pki_setup || { not_ok "pki setup"; exit 1; }
start_archive || { not_ok "archive starts"; exit 1; }
ADDR=127.0.0.1:$PORT
CALLS=${CALLS:-100} CHUNKS=${CHUNKS:-30} ROUNDS=${ROUNDS:-2} # tests/soak: more of each
LIMIT=$((CHUNKS / 4 + 40))

start_agent || { not_ok "agent starts"; exit 1; }
call_setup 8 || { not_ok "signals and ALSA set-up"; exit 1; }
gen_start load --calls "$CALLS" --chunks "$CHUNKS" --chunk-ms 250 --timeout $LIMIT
duplex_start
for round in $(seq 1 "$ROUNDS"); do
	wait_acked load $((CALLS * (CHUNKS + 2) * round / (ROUNDS + 2))) 30 ||
		not_ok "streaming before kill $round"
	before=$(acked load)
	kill -9 "$ARCHIVED_PID"
	wait "$ARCHIVED_PID" 2>/dev/null
	note "kill $round: archive killed with -9 after $before ACKs"
	sleep 1 # the streams keep producing into their spools while the archive is down
	start_archive || { not_ok "archive restarts after kill $round"; exit 1; }
	ok "archive restarted after kill $round"
done
wait_pid_timeout "$GEN_PID" $LIMIT
GEN_RC=$?
note "load: $(cat "$T/load.out")"
check "every stream delivered everything (upgen status 0)" test "$GEN_RC" = 0
check "every frame acknowledged exactly once from upgen's view" \
	test "$(gen_field load acked)" = $((CALLS * (CHUNKS + 2)))
check "the streams reconnected after the kills" test "$(gen_field load reconnects)" -ge "$CALLS"
check "the archive lists all $CALLS calls complete" wait_complete load 30
check "no (call, seq) stored twice, none missing" no_duplicates load "$CHUNKS"
check "every call is exact, sample by sample" verify_audio load

# The real call: everything that passed the plugin is archived, once.
wait "$DUPLEX_PID"
check "the real call ran to its end" test $? = 0
check "the real call is complete in the archive" wait_call_complete 30
check "export the real call" archive_cli export --call "$ID" --out "$T/export"
sox -D -t raw -r 48000 -c 2 -b 16 -e signed-integer "$T/play_out.raw" "$T/played.wav"
SECS=$(soxi -D "$T/export/$ID.wav" 2>/dev/null || echo 0)
PLAYED=$(played_seconds)
note "real call: ${SECS}s archived, ${PLAYED}s passed the plugin"
check "the real call's length is what passed the plugin, within one chunk" \
	awk "BEGIN{d = $SECS - $PLAYED; exit !(d >= -1 && d <= 1)}"
check "the real call's channel 2 is what passed the plugin" \
	xcorr "ch2 vs played" "$T/export/$ID.wav" 2 "$T/played.wav" 0 --min 0.99
check "the real call's channel 1 is what was captured (A)" \
	xcorr "ch1 vs A" "$T/export/$ID.wav" 1 "$T/a.wav" 0 --min 0.99
check "the real call's chunks stored once" call_chunks_once "$ID"
check "archive still running" kill -0 "$ARCHIVED_PID"
