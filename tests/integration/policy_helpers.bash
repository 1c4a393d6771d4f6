# Helpers for the policy, disclosure and user-command integration scripts (sourced after
# tests/lib.sh): speech signals, a duplex "softphone" over paced rawfile slaves through the
# plugin, the agent with a policy, and looking calls up in the archive.
PY=/usr/bin/python3 # Debian's, with the json module (TESTING.md)

# make_speech OUT.wav SECONDS TEXT: 48 kHz stereo S16 speech padded/cut to SECONDS.
make_speech() {
	espeak-ng -w "$T/speech.tmp.wav" "$3" &&
		sox -V1 -D "$T/speech.tmp.wav" -r 48000 -c 2 -b 16 "$1" pad 0.2 "$2" trim 0 "$2"
}

# signals SECONDS: $T/a.wav (the local user), $T/b.wav (the remote party), and the raw capture
# source with a second of silence beyond (the slave reads ahead, TESTING.md).
signals() {
	make_speech "$T/a.wav" "$1" "Hello, this is Alice from sales, I agree to the offer. Let us meet on Monday at ten." &&
	make_speech "$T/b.wav" "$1" "This is Bob, the customer. Confirmed, we have a deal, see you on Monday." &&
	sox -D "$T/a.wav" -t raw "$T/a_capture.raw" pad 0 1
}

# agent_policy FILE: the agent of desk1 applies FILE (announcements from the build).
agent_policy() {
	local y=$PKI/devices/desk1/agent.yaml
	sed -i '/^policy:/d; /^announcements:/d' "$y"
	printf 'policy: %s\nannouncements: %s\n' "$1" "$BUILD/announcements" >>"$y"
}

# call_pcms: PCMs pol_cap / pol_play through the plugin over paced rawfile slaves.
call_pcms() {
	alsa_conf "
pcm.pol_cap_slave { type rawfile file \"$T/a_capture.raw\" pace yes }
pcm.pol_play_slave { type rawfile file \"$T/play_out.raw\" pace yes }
pcm.pol_cap { type callrec slave.pcm \"pol_cap_slave\" agent \"$SOCK\" }
pcm.pol_play { type callrec slave.pcm \"pol_play_slave\" agent \"$SOCK\" }"
}

# run_call OUT.wav [duplex args...]: one call of duplex (the "softphone").
run_call() {
	local out=$1; shift
	"$BUILD/tests/duplex" --capture pol_cap --playback pol_play --play "$T/b.wav" \
		--record "$out" --rate 48000 --channels 2 --format S16_LE "$@"
}

cr_user() { "$BUILD/callrec" --socket "$SOCK" "$@"; }

# legal_operator: an operator "legal1" with role legal, the role the test policies give
# access to (the archive shows a role only the recordings whose purpose lists it).
legal_operator() { "$BUILD/callrec-archive" pki operator legal1 --role legal --dir "$PKI" >/dev/null; }
legal_cli() { "$BUILD/callrec-archive" --config "$PKI/operators/legal1/archive.yaml" "$@"; }

# archived_calls: the archive's list as role legal, one JSON object per line.
archived_calls() { legal_cli list --json 2>>"$T/cli.log"; }

# wait_complete_call APP [SECONDS] [NOT_ID]: complete_call_id (tests/lib.sh) as role legal,
# waiting up to 20 s by default.
wait_complete_call() { LIST_CALLS=archived_calls complete_call_id "$1" "${2:-20}" "${3:-}"; }

# status_field EXPR: evaluate a Python expression over `callrec status --json` as `s`.
status_field() {
	cr_user status --json | "$PY" -c 'import json, sys; s = json.load(sys.stdin); print('"$1"')'
}

# wait_for COMMAND... : up to 10 s until COMMAND succeeds.
wait_for() {
	local i
	for i in $(seq 1 100); do "$@" && return 0; sleep 0.1; done
	return 1
}
