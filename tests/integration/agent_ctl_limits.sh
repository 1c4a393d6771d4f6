#!/bin/bash
# A control socket no local user can starve (issue 14). The agent runs in system mode (the
# socket open to every local user) with a small descriptor limit, and one user (nobody, uid
# 65534) holds as much of it as it can: 100 recorded streams (each a ring the agent makes) and
# 300 connections that never say HELLO, reopening whatever is closed. Each user may hold 16
# streams and 8 connections without a HELLO; the rest is refused before any ring is made.
# Meanwhile another user's softphone (duplex, with require_agent yes and on_failure block) makes
# a call: it is recorded and archived, its microphone is not muted, and `callrec status` shows
# the refusals for the flooding uid. A connection that never says HELLO is closed after the
# hello timeout.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/call.bash"

require "signals" make_call_signals 6
require "pki setup" setup_pki
require "operator legal1" add_operator legal1 legal
OPERATOR=legal1 # the policy's purpose gives access to role legal
require "archive starts" start_archive
write_policy "$T/policy.yaml" MATCH='application: [duplex, ctlflood]' ON_FAILURE=block
# System mode: the socket is 0666 in a 0755 directory, so the other user must be able to reach
# it ($T: traverse only).
chmod 711 "$T"
SOCK=$T/sock/agent.sock
{
	cat "$PKI/devices/desk1/agent.yaml"
	printf 'socket: %s\nspool:\n  dir: %s\npolicy: %s\nannouncements: %s\n' \
		"$SOCK" "$T/spool" "$T/policy.yaml" "$BUILD/announcements"
	printf 'control:\n  hello_timeout: 1s\n'
} >"$T/agent-system.yaml"
# Few descriptors, as a busy desk would have left: without limits per user, 400 connections
# are more than the agent has.
(ulimit -n 256 && exec "$BUILD/callrec-agent" --config "$T/agent-system.yaml" \
	--ready-file "$T/agent.ready") 2>>"$T/agent.log" &
AGENT_PID=$!
_pids+=("$AGENT_PID")
require "agent starts" wait_file "$T/agent.ready" 10
check "the socket is open to every user" test "$(stat -c %a "$SOCK")" = 666

setpriv --reuid=65534 --regid=65534 --clear-groups "$BUILD/tests/ctlflood" "$SOCK" \
	--streams 100 --idle 300 >"$T/flood.txt" 2>&1 &
FLOOD=$!
_pids+=("$FLOOD")
sleep 3 # the flood settles: everything it may hold is held, the rest keeps being refused

# Another user's softphone.
add_alsa_conf "
pcm.v_cap_slave { type rawfile file \"$T/a_capture.raw\" pace yes }
pcm.v_play_slave { type rawfile file \"$T/play_out.raw\" pace yes }
pcm.v_cap { type callrec slave.pcm \"v_cap_slave\" agent \"$SOCK\" require_agent yes on_failure block }
pcm.v_play { type callrec slave.pcm \"v_play_slave\" agent \"$SOCK\" require_agent yes on_failure block }"
"$BUILD/tests/duplex" --capture v_cap --playback v_play --play "$T/b.wav" --record "$T/cap.wav" \
	--rate 48000 --channels 2 --format S16_LE 2>>"$T/duplex.log"
check "the softphone's call runs to its end" test $? -eq 0
check "its call is recorded and archived" wait_complete_call duplex 30
relay_checks "$PY" - "$T/cap.wav" "$T/a.wav" <<'EOF2'
import sys, wave, array
def rd(p):
    w = wave.open(p); return array.array("h", w.readframes(w.getnframes()))
cap, a = rd(sys.argv[1]), rd(sys.argv[2])
n = min(len(cap), len(a)) - 48000 * 2
print(("ok - " if n > 48000 * 2 * 4 and cap[:n] == a[:n] else "not ok - ") +
      "its microphone was not muted (the application got the speech, bit-exact)")
EOF2

# What the flooding user got, and what status shows.
status_json=$(run_callrec status --json)
note "status control: $("$PY" -c 'import json,sys; print(json.dumps(json.load(sys.stdin).get("control")))' <<<"$status_json")"
get_refused() { # get_refused FIELD: nobody's refusals of that kind
	"$PY" -c 'import json, sys
c = json.load(sys.stdin).get("control", {})
print(sum(r[sys.argv[1]] for r in c.get("refused", []) if r["uid"] == 65534))' "$1" <<<"$status_json"
}
check "callrec status shows the connections refused to uid 65534" test "$(get_refused connections)" -gt 0
check "and the streams refused to it" test "$(get_refused streams)" -gt 0
check "and the limits" test "$("$PY" -c 'import json,sys; c=json.load(sys.stdin)["control"]; print(c["streams_per_user"], c["pending_per_user"])' <<<"$status_json")" = "16 8"
run_callrec status >"$T/status.txt"
check "the human status names the user" grep -q "^Refused:  nobody (uid 65534): [0-9]* connections, [0-9]* streams" "$T/status.txt"
check "the agent logged the refusals" grep -q "uid 65534 already holds" "$T/agent.log"

# A connection that never says HELLO is closed after the hello timeout (1 s here).
relay_checks "$PY" - "$SOCK" <<'EOF2'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
t = time.monotonic()
s.settimeout(5)
try:
    closed = s.recv(16) == b""
except Exception:
    closed = False
dt = time.monotonic() - t
print("# closed after %.2f s" % dt)
print(("ok - " if closed and 0.8 <= dt <= 2.5 else "not ok - ") +
      "a connection without a HELLO is closed after the hello timeout")
EOF2

stop_pid "$FLOOD"
note "$(cat "$T/flood.txt")"
held=$(sed -n 's/.*held \([0-9]*\) recorded streams and \([0-9]*\) idle.*/\1 \2/p' "$T/flood.txt")
check "the flooding user never held more than 16 streams and 8 idle connections" \
	"$PY" -c "import sys; s, i = map(int, '${held:-99 99}'.split()); sys.exit(not (s <= 16 and i <= 8))"
check "the agent is still running" kill -0 "$AGENT_PID"
stop_pid "$AGENT_PID"
check "and stops cleanly" grep -q "stopped" "$T/agent.log"
