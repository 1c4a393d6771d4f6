#!/bin/bash
# `make demo`: a whole call on this machine, without a sound card or root.
#  1. a fleet PKI, the archive and a user-mode agent on loopback, in a fresh state directory
#     (${CALLREC_DEMO_DIR:-build/demo}, wiped at every run);
#  2. Alice (local, microphone) and Bob (remote, loudspeaker) say one sentence each (espeak-ng);
#  3. `duplex`, standing in for a softphone, captures Alice and plays Bob through the callrec
#     ALSA plugin over paced file-backed test devices;
#  4. the agent uploads the call; once the archive lists it as complete, the demo lists the
#     archive (table and JSON), exports the call and summarises the WAV.
# The daemons are stopped on exit, whatever happens.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
export BUILD
DEMO=${CALLREC_DEMO_DIR:-$BUILD/demo}
case $DEMO in /*) ;; *) DEMO=$PWD/$DEMO ;; esac
rm -rf "$DEMO" && mkdir -p "$DEMO" || exit 1
# lib.sh makes its working directory ($T) under TMPDIR; KEEP=1 leaves it for inspection. The
# demo is no test: no plan, and its own exit status.
export TMPDIR=$DEMO KEEP=1
TAP_PLAN=no
. "$TOP/tests/lib.sh"

step() { printf '\n== %s\n' "$*"; }
fail() {
	echo "demo: $*" >&2
	for f in agent archived; do [ -s "$T/$f.log" ] && { echo "--- $f.log" >&2; tail -15 "$T/$f.log" >&2; }; done
	exit 1
}
for bin in callrec-archive callrec-archived callrec-agent libasound_module_pcm_callrec.so \
	tests/duplex tests/libasound_module_pcm_rawfile.so; do
	[ -e "$BUILD/$bin" ] || fail "$BUILD/$bin is missing: run 'make test-build' first"
done

step "Fleet PKI, archive and agent (state in $T)"
setup_pki || fail "pki setup failed"
start_archive || fail "the archive did not start"
start_agent || fail "the agent did not start"
echo "archive listening on $ADDR, agent socket $SOCK"

step "Two voices"
ALICE="Hello, this is Alice from sales, I agree to the offer."
BOB="This is Bob, the customer. Confirmed, we have a deal."
speak() { # speak OUT.wav TEXT: 48 kHz stereo S16, half a second of silence around it
	espeak-ng -w "$T/voice.tmp.wav" "$2" &&
		sox -D "$T/voice.tmp.wav" -r 48000 -c 2 -b 16 "$1" pad 0.5 0.5 && rm -f "$T/voice.tmp.wav"
}
speak "$T/alice.wav" "$ALICE" || fail "espeak-ng/sox failed"
speak "$T/bob.wav" "$BOB" || fail "espeak-ng/sox failed"
# The call lasts as long as the longer voice; the microphone file gets a second of silence
# more, because the capture side reads ahead of the application.
LEN=$(soxi -D "$T/alice.wav" "$T/bob.wav" | sort -n | tail -1)
sox -D "$T/alice.wav" -t raw "$T/microphone.raw" pad 0 "$(awk "BEGIN{print $LEN + 1}")" ||
	fail "sox failed"
echo "local  (Alice, microphone):   \"$ALICE\""
echo "remote (Bob, loudspeaker):    \"$BOB\""

add_alsa_conf "
pcm.demo_mic_device { type rawfile file \"$T/microphone.raw\" pace yes }
pcm.demo_speaker_device { type rawfile file \"$T/loudspeaker.raw\" pace yes }
pcm.demo_mic { type callrec slave.pcm \"demo_mic_device\" agent \"$SOCK\" }
pcm.demo_speaker { type callrec slave.pcm \"demo_speaker_device\" agent \"$SOCK\" }"

step "The call: duplex captures Alice and plays Bob through the callrec plugin ($(printf %.1f "$LEN") s)"
"$BUILD/tests/duplex" --capture demo_mic --playback demo_speaker --play "$T/bob.wav" \
	--record "$T/softphone-heard-microphone.wav" --seconds "$LEN" || fail "duplex failed"

step "Waiting for the archive to complete the call"
ID=$(find_complete_call duplex 30) || fail "the call did not become complete within 30 s"
echo "call $ID is complete"
stop_pid "$AGENT_PID"
echo "agent stopped"

step "callrec-archive list"
run_archive_cli list || fail "list failed"
step "callrec-archive list --json"
run_archive_cli list --json || fail "list --json failed"

step "callrec-archive export --call $ID --out $DEMO/export"
run_archive_cli export --call "$ID" --out "$DEMO/export" || fail "export failed"
ls -l "$DEMO/export"
stop_pid "$ARCHIVED_PID"
echo "archive stopped"

WAV=$DEMO/export/$ID.wav
[ -s "$WAV" ] || fail "no WAV in the export"
step "Result"
echo "WAV: $WAV"
printf 'summary: %.1f s, %s channels (1 = Alice, local; 2 = Bob, remote), %s Hz, %s-bit\n' \
	"$(soxi -D "$WAV")" "$(soxi -c "$WAV")" "$(soxi -r "$WAV")" "$(soxi -b "$WAV")"
echo "manifest: $DEMO/export/$ID.manifest.json"
echo "listen: play $WAV   (or: aplay $WAV)"
