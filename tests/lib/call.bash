# A call through the plugin, for the end-to-end, policy, disclosure, user-command and fault
# tests (source after tests/lib.sh). The softphone is duplex (tests/programs/duplex.c): it
# captures what the local user says and plays what the remote party says through two
# `type callrec` PCMs over paced rawfile slaves, so the call takes real time as on a desk.
#
#   make_speech OUT.wav SECONDS TEXT     spoken TEXT, 48 kHz stereo S16, padded or cut to SECONDS
#   make_call_signals SECONDS [TEXT_A [TEXT_B]]
#                                        $T/a.wav (the local user, A) and $T/b.wav (the remote
#                                        party, B), their raw copies a.raw and b.raw, and the
#                                        capture device's file a_capture.raw
#   add_call_pcms [OPTIONS]              PCMs call_cap and call_play for the agent at $SOCK; the
#                                        playback slave writes $T/play_out.raw (OPTIONS: more
#                                        rawfile options of it, e.g. "rate_scale 1.001")
#   setup_call SECONDS                   both of the above, with the longer texts
#   start_fleet_call SECONDS [PLAYED]    PKI, archive and agent (lib.sh), setup_call, and the
#                                        call under way: start_duplex, then wait_played PLAYED
#                                        (3); the script ends if any of the set-up fails
#   run_call OUT.wav [DUPLEX OPTIONS]    one call of duplex, captured audio into OUT.wav
#   start_duplex                         the call in the background (DUPLEX_PID), into
#                                        $T/captured.wav
#   get_played_seconds, wait_played SECONDS   how much audio passed the plugin to the playback
#                                        slave so far; until that much has
#   spool_call_offline SECONDS           PKI and agent but no archive, and a call, all of which
#                                        stays in the agent's spool; the agent is stopped after
#                                        the call. Sets SPOOL, CALL (the call's directory in it),
#                                        CALL_RC (duplex's status)
#   start_call_agent POLICY              desk1's agent with POLICY (set_agent_policy), started,
#                                        and add_call_pcms for it; its log shown if it fails
#   run_callrec ARGS...                  the user's command, talking to the agent at $SOCK
#   get_status_field EXPR                a Python expression over `callrec status --json` as `s`
#   has_active_call                      `callrec status` shows a call
#   get_last_call_id                     the id of the call the agent started last (its log)
#   get_close_metadata ID                the call's close metadata (JSON) as the agent logged it
ALICE_SAYS="Hello, this is Alice from sales, I agree to the offer. Let us meet on Monday at ten."
BOB_SAYS="This is Bob, the customer. Confirmed, we have a deal, see you on Monday."
# Longer ones for calls that are cut short or checked to their end: speech all through 10 s.
ALICE_SAYS_LONG="Hello, this is Alice from sales. I agree to the offer you made yesterday, and I \
confirm the delivery date of the fifteenth. Thank you very much."
BOB_SAYS_LONG="This is Bob, the customer. Confirmed, we have a deal, and I will send the signed \
order this afternoon. Goodbye and have a nice day."

make_speech() {
	espeak-ng -w "$T/speech.tmp.wav" "$3" &&
		sox -V1 -D "$T/speech.tmp.wav" -r 48000 -c 2 -b 16 "$1" pad 0.2 "$2" trim 0 "$2"
}

# The capture slave reads ahead of the application: a_capture.raw has two seconds of silence
# beyond the call, so that it never reaches the end of its file.
make_call_signals() {
	make_speech "$T/a.wav" "$1" "${2:-$ALICE_SAYS}" &&
		make_speech "$T/b.wav" "$1" "${3:-$BOB_SAYS}" &&
		sox -D "$T/a.wav" -t raw "$T/a.raw" && sox -D "$T/b.wav" -t raw "$T/b.raw" &&
		sox -D "$T/a.wav" -t raw "$T/a_capture.raw" pad 0 2
}

add_call_pcms() {
	add_alsa_conf "
pcm.call_cap_slave { type rawfile file \"$T/a_capture.raw\" pace yes }
pcm.call_play_slave { type rawfile file \"$T/play_out.raw\" pace yes ${1:-} }
pcm.call_cap { type callrec slave.pcm \"call_cap_slave\" agent \"$SOCK\" }
pcm.call_play { type callrec slave.pcm \"call_play_slave\" agent \"$SOCK\" }"
}

setup_call() { make_call_signals "$1" "$ALICE_SAYS_LONG" "$BOB_SAYS_LONG" && add_call_pcms; }

start_fleet_call() {
	require "pki setup" setup_pki
	require "archive starts" start_archive
	require "agent starts" start_agent
	require "signals and ALSA set-up" setup_call "$1"
	start_duplex
	wait_played "${2:-3}" || not_ok "the call is under way"
}

_duplex=("$BUILD/tests/duplex" --capture call_cap --playback call_play --play "$T/b.wav"
	--rate 48000 --channels 2 --format S16_LE)
run_call() {
	local out=$1; shift
	"${_duplex[@]}" --record "$out" "$@"
}

# duplex itself in the background, not a subshell running it: DUPLEX_PID is what a fault test
# kills.
start_duplex() {
	"${_duplex[@]}" --record "$T/captured.wav" 2>>"$T/duplex.err" &
	DUPLEX_PID=$!
	_pids+=("$DUPLEX_PID")
}

get_played_seconds() {
	awk -v b="$(stat -c %s "$T/play_out.raw" 2>/dev/null || echo 0)" 'BEGIN{printf "%.2f", b / 192000}'
}
wait_played() {
	local i
	for i in $(seq 1 200); do
		awk "BEGIN{exit !($(get_played_seconds) >= $1)}" && return 0
		sleep 0.05
	done
	return 1
}

spool_call_offline() {
	setup_pki && start_agent && setup_call "$1" || return 1
	start_duplex
	wait "$DUPLEX_PID"
	CALL_RC=$?
	SPOOL=$XDG_STATE_HOME/callrec/spool
	wait_log "$T/agent.log" 'ended:' 10
	stop_pid "$AGENT_PID"
	CALL=$(basename "$(find "$SPOOL" -mindepth 1 -maxdepth 1 -type d | head -1)")
	note "spooled call $CALL: $(ls "$SPOOL/$CALL" | tr '\n' ' ')"
}

start_call_agent() {
	set_agent_policy "$1"
	start_agent || { cat "$T/agent.log" >&2; return 1; }
	add_call_pcms
}

run_callrec() { "$BUILD/callrec" --socket "$SOCK" "$@"; }
get_status_field() {
	run_callrec status --json | "$PY" -c 'import json, sys; s = json.load(sys.stdin); print('"$1"')'
}
has_active_call() { [ "$(get_status_field 'len(s["calls"])')" -ge 1 ]; }
get_last_call_id() { sed -n 's/.*call \([0-9a-f]*\) started.*/\1/p' "$T/agent.log" | tail -1; }
get_close_metadata() { sed -n "s/.*call $1 close metadata: //p" "$T/agent.log"; }
