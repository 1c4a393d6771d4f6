#!/bin/bash
# Without an agent the plugin must cost the application nothing: aplay, arecord and a duplex
# "softphone" through `type callrec` play and record bit-exactly and take no longer than the
# paced audio (plus 0.5 s), whether the agent socket does not exist, is stale (nobody listening),
# or belongs to an agent that never answers.
. "$(dirname "$0")/../lib.sh"
SECS=2
LIMIT=$(awk "BEGIN{print $SECS + 0.5}")

# Signals: a chirp (remote party) and noise (local user), 48 kHz stereo S16, exact raw copies.
sox -D -n -r 48000 -c 2 -b 16 "$T/b.wav" synth $SECS sine 300-3000 gain -6 || exit 1
sox -D -n -r 48000 -c 2 -b 16 "$T/a.wav" synth $SECS pinknoise gain -6 || exit 1
sox -D "$T/a.wav" -t raw "$T/a.raw" && sox -D "$T/b.wav" -t raw "$T/b.raw" || exit 1
# The capture slave reads ahead of the application: a second of silence beyond the audio.
sox -D "$T/a.wav" -t raw "$T/a_capture.raw" pad 0 1 || exit 1
FRAMES=$((SECS * 48000))

# An agent that accepts connections and never answers: the plugin must give up after its
# open timeout, not hang.
mkdir -p "$T/silent"
"$PY" - "$T/silent/agent.sock" "$T/silent.ready" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(sys.argv[1]); s.listen(16)
open(sys.argv[2], "w").close()
held = []
while True:
    c, _ = s.accept()
    held.append(c)   # keep it open, say nothing
EOF
_pids+=($!)
require "silent agent starts" wait_file "$T/silent.ready" 5

# A stale socket: bound by a process that has exited, so connecting is refused.
"$PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.bind(sys.argv[1])' "$T/stale.sock"

# One pair of PCMs per agent situation. Each run writes its own playback file.
pcms() { # pcms NAME AGENT_OPTION
	add_alsa_conf "
pcm.${1}_cap_slave { type rawfile file \"$T/a_capture.raw\" pace yes }
pcm.${1}_play_slave { type rawfile file \"$T/$1.play.raw\" pace yes }
pcm.${1}_cap { type callrec slave.pcm \"${1}_cap_slave\" $2 }
pcm.${1}_play { type callrec slave.pcm \"${1}_play_slave\" $2 }"
}
pcms missing "agent \"$T/no/such/dir/agent.sock\""
pcms stale "agent \"$T/stale.sock\""
pcms silent "agent \"$T/silent/agent.sock\""
# No agent option at all: the default socket of a user without a running agent.
pcms default ""
export XDG_RUNTIME_DIR=$T/run
mkdir -p -m 700 "$XDG_RUNTIME_DIR"

# timed NAME OPENS CMD...: runs CMD, checks its status and its duration against LIMIT. With the
# silent agent each PCM open may wait the plugin's open timeout (CR_CTL_OPEN_TIMEOUT_MS, 200 ms).
timed() {
	local name=$1 opens=$2 start took rc limit=$LIMIT
	shift 2
	[ "$mode" = silent ] && limit=$(awk "BEGIN{print $LIMIT + 0.2 * $opens}")
	start=$(date +%s.%N)
	"$@" 2>>"$T/clients.log"
	rc=$?
	took=$(echo "$start $(date +%s.%N)" | awk '{printf "%.2f", $2 - $1}')
	note "$name took ${took}s (limit ${limit}s)"
	check "$name exits 0" test $rc -eq 0
	check "$name does not hang (within ${limit}s)" awk "BEGIN{exit !($took <= $limit)}"
}

for mode in missing stale silent default; do
	rm -f "$T/$mode.play.raw"
	timed "$mode agent: aplay" 1 aplay -q -D "${mode}_play" "$T/b.wav"
	check "$mode agent: aplay played B bit-exactly" has_prefix_then_zeros "$T/b.raw" "$T/$mode.play.raw"

	timed "$mode agent: arecord" 1 arecord -q -D "${mode}_cap" -t raw -f S16_LE -r 48000 -c 2 \
		-s $FRAMES "$T/$mode.rec.raw"
	check "$mode agent: arecord recorded A bit-exactly" has_prefix "$T/a.raw" "$T/$mode.rec.raw"

	rm -f "$T/$mode.play.raw"
	timed "$mode agent: duplex" 2 "$BUILD/tests/duplex" --capture "${mode}_cap" \
		--playback "${mode}_play" --play "$T/b.wav" --record "$T/$mode.duplex.wav"
	check "$mode agent: duplex played B bit-exactly" has_prefix_then_zeros "$T/b.raw" "$T/$mode.play.raw"
	sox -D "$T/$mode.duplex.wav" -t raw "$T/$mode.duplex.raw" 2>/dev/null
	check "$mode agent: duplex recorded A bit-exactly" has_prefix "$T/a.raw" "$T/$mode.duplex.raw"
done
grep -v '^$' "$T/clients.log" | head -20 | sed 's/^/# client: /'
