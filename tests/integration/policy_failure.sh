#!/bin/bash
# The policy's on_failure, each mode, while a call must be recorded but cannot be:
#  block    - the spool becomes read-only mid-call (a tmpfs remounted read-only, in a private
#             mount namespace, so that even root cannot write): the outgoing audio is muted
#             (the application captures silence) until the spool works again, and
#             `callrec status` says "impossible" and why;
#  tone     - the policy file disappears (SIGHUP cannot read it): a distinct 480 Hz failure
#             tone is mixed into what the user hears, only while it lasts;
#  continue - the same: the call goes on untouched, the failure is shown and listed.
# Every failure is in the call's close metadata with its reason and length.
if [ -z "${CR_IN_MOUNT_NS:-}" ]; then
	exec unshare -m env CR_IN_MOUNT_NS=1 bash "$0" "$@"
fi
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/call.bash"
. "$TOP/tests/lib/faults.bash"

make_speech "$T/a.wav" 8 "Hello, this is Alice from sales. I agree to the offer, we will deliver on Monday at ten in the morning, and the price is final." || exit 1
sox -D "$T/a.wav" -t raw "$T/a_capture.raw" pad 0 1 || exit 1
sox -D -n -r 48000 -c 2 -b 16 "$T/b.wav" trim 0 8 || exit 1 # the remote party is silent

require "pki setup" setup_pki
require "operator legal1" add_operator legal1 legal
require "archive starts" start_archive
POL=$T/policy.yaml
policy() { write_policy "$POL" ON_FAILURE="$1"; } # policy ON_FAILURE
policy block
export XDG_RUNTIME_DIR=$T/run XDG_STATE_HOME=$T/state
mkdir -p -m 700 "$XDG_STATE_HOME"
require "mount a spool tmpfs" mount_tmpfs "$XDG_STATE_HOME" 64m
require "agent starts" start_call_agent "$POL"
state_is() { [ "$(get_status_field 's["calls"][0]["recording"] if s["calls"] else None')" = "$1" ]; }
reload_to() { # reload_to SHA: SIGHUP and wait until the agent uses it
	kill -HUP "$AGENT_PID"
	wait_for test "$(get_status_field 's["policy"]["sha256"]')" = "$1"
}

# --- block: the spool cannot be written -------------------------------------------------------------
run_call "$T/cap1.wav" & DUP=$!
check "call 1 shows in status" wait_for has_active_call
sleep 2 # two seconds recorded normally
mount -o remount,ro "$XDG_STATE_HOME"
check "block: status says recording is impossible" wait_for state_is impossible
get_status_field 's["calls"][0]' | sed 's/^/# status: /'
check "block: and why (the spool)" test -n "$(get_status_field 's["calls"][0]["reason"]' | grep -i spool)"
check "block: the outgoing audio is muted" test "$(get_status_field 's["calls"][0]["outgoing_muted"]')" = True
sleep 2 # the user sees it; IT frees the disk
mount -o remount,rw "$XDG_STATE_HOME"
check "block: recording resumes when the spool works again" wait_for state_is active
check "block: unmuted" test "$(get_status_field 's["calls"][0]["outgoing_muted"]')" = False
wait $DUP
check "call 1 ran to its end" test $? -eq 0
ID1=$(get_last_call_id)
check "call 1 ended" wait_for grep -q "call $ID1 close metadata" "$T/agent.log"
relay_checks "$PY" - "$(get_close_metadata "$ID1")" "$T/cap1.wav" "$T/a.wav" <<'EOF2'
import json, sys, wave, array
m = json.loads(sys.argv[1])
def ok(name, cond): print(("ok - " if cond else "not ok - ") + name)
f = m.get("failures", [])
print("# failures:", f)
ok("block: the failure is listed with its reason", len(f) == 1 and "spool" in f[0]["reason"])
if f:
    ok("block: it lasted about 2 s (%d ms)" % f[0]["length_ms"], 1500 <= f[0]["length_ms"] <= 3500)
    def rd(p):
        w = wave.open(p); return array.array("h", w.readframes(w.getnframes()))[::2]
    cap, a = rd(sys.argv[2]), rd(sys.argv[3])
    lo, hi = (f[0]["start_ms"] + 150) * 48, (f[0]["start_ms"] + f[0]["length_ms"] - 150) * 48
    ok("block: the application captured silence while muted", max(abs(x) for x in cap[lo:hi]) == 0)
    ok("block: while the microphone had speech", max(abs(x) for x in a[lo:hi]) > 1000)
    before = (f[0]["start_ms"] - 300) * 48
    ok("block: before the failure the microphone passed unchanged", cap[:before] == a[:before])
EOF2

# --- tone: the policy became unreadable ---------------------------------------------------------------
policy tone
check "switch to on_failure: tone" reload_to "$(sha256sum "$POL" | cut -d' ' -f1)"
run_call "$T/cap2.wav" & DUP=$!
check "call 2 shows in status" wait_for has_active_call
sleep 1
mv "$POL" "$POL.away"
kill -HUP "$AGENT_PID"
check "tone: status says recording is impossible" wait_for state_is impossible
check "tone: because the policy is unreadable" test -n "$(get_status_field 's["calls"][0]["reason"]' | grep unreadable)"
sleep 3 # three seconds of failure tone
mv "$POL.away" "$POL"
kill -HUP "$AGENT_PID"
check "tone: recording again after a good reload" wait_for state_is active
wait $DUP
check "call 2 ran to its end" test $? -eq 0
cp "$T/play_out.raw" "$T/play2.raw"
ID2=$(get_last_call_id)
check "call 2 ended" wait_for grep -q "call $ID2 close metadata" "$T/agent.log"
relay_checks "$PY" - "$(get_close_metadata "$ID2")" "$T/play2.raw" <<'EOF2'
import json, sys, array, math
m = json.loads(sys.argv[1])
def ok(name, cond): print(("ok - " if cond else "not ok - ") + name)
f = m.get("failures", [])
print("# failures:", f)
ok("tone: the failure is listed", len(f) == 1 and "unreadable" in f[0]["reason"])
x = array.array("h", open(sys.argv[2], "rb").read())[::2]  # left channel, 48 kHz
loud = [i for i in range(0, len(x), 480) if max(abs(v) for v in x[i:i + 480]) > 500]
print("# playback audible from %.2f s to %.2f s" % (loud[0] / 48000, loud[-1] / 48000) if loud else "# playback silent")
ok("tone: the user hears something (the remote party is silent)", bool(loud))
if loud and f:
    seg = x[loud[0]:loud[0] + 4800]
    def power(freq):
        c = sum(v * math.cos(2 * math.pi * freq * i / 48000) for i, v in enumerate(seg))
        s = sum(v * math.sin(2 * math.pi * freq * i / 48000) for i, v in enumerate(seg))
        return c * c + s * s
    p480, p1400 = power(480), power(1400)
    ok("tone: it is the 480 Hz failure tone", p480 > 100 * max(p1400, power(700), 1))
    ok("tone: it starts when the failure does (within 0.5 s)", abs(loud[0] / 48 - f[0]["start_ms"]) < 500)
    ok("tone: and stops within 1 s of its end", loud[-1] / 48 < f[0]["start_ms"] + f[0]["length_ms"] + 1000)
    bursts = [loud[0]] + [loud[i] for i in range(1, len(loud)) if loud[i] - loud[i - 1] > 4800]
    print("# bursts at", [round(b / 48000, 2) for b in bursts])
    ok("tone: in bursts every second", len(bursts) >= 2 and all(abs(b2 - b1 - 48000) < 960 for b1, b2 in zip(bursts, bursts[1:])))
EOF2

# --- continue -------------------------------------------------------------------------------------
policy continue
check "switch to on_failure: continue" reload_to "$(sha256sum "$POL" | cut -d' ' -f1)"
run_call "$T/cap3.wav" --seconds 5 & DUP=$!
check "call 3 shows in status" wait_for has_active_call
sleep 1
mv "$POL" "$POL.away"
kill -HUP "$AGENT_PID"
check "continue: status shows the failure" wait_for state_is impossible
check "continue: with on_failure continue" test "$(get_status_field 's["calls"][0]["on_failure"]')" = continue
check "continue: nothing is muted" test "$(get_status_field 's["calls"][0]["outgoing_muted"]')" = False
sleep 1
mv "$POL.away" "$POL"
kill -HUP "$AGENT_PID"
wait $DUP
check "call 3 ran to its end" test $? -eq 0
cp "$T/play_out.raw" "$T/play3.raw"
sox -D "$T/cap3.wav" -t raw "$T/cap3.raw"
check "continue: the application captured the microphone unchanged" \
	cmp -s -n "$(stat -c %s "$T/cap3.raw")" "$T/cap3.raw" "$T/a_capture.raw"
check "continue: no tone in the playback" test -z "$(tr -d '\0' <"$T/play3.raw" | head -c 1)"
ID3=$(get_last_call_id)
check "call 3 ended" wait_for grep -q "call $ID3 close metadata" "$T/agent.log"
check "continue: the failure is listed" test -n "$(get_close_metadata "$ID3" | grep -o '"failures":\[{[^]]*unreadable')"
has_three_archived() {
	[ "$(run_archive_as legal1 list --json 2>>"$T/cli.log" | grep -c '"state":"complete"')" -ge 3 ]
}
three_archived() {
	wait_for -t 30 has_three_archived && return 0
	run_archive_as legal1 list --json 2>>"$T/cli.log" | sed 's/^/# listed: /'
	return 1
}
check "all three calls are archived" three_archived
check "agent still running" kill -0 "$AGENT_PID"
