#!/bin/bash
# The user's controls against a real call through the plugin: `callrec tag`
# (validated, stored in the call's metadata), `pause`/`resume` (silence of the right length on
# both channels and a "pause" gap in the manifest), `private` mid-call (recording stops, the
# spool holds nothing of the call's audio, the archive erases it and keeps a tombstone) and
# `private` before a call (the next call is never recorded). Another user may not touch the
# call.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/call.bash"
. "$TOP/tests/lib/archive.bash"

require "signals" make_call_signals 9
require "pki setup" setup_pki
require "operator legal1" add_operator legal1 legal
require "archive starts" start_archive
POL=$T/policy.yaml
write_policy "$POL"
require "agent starts" start_call_agent "$POL"
SPOOL=$XDG_STATE_HOME/callrec/spool
call_id() { get_status_field 's["calls"][0]["id"]'; }

# --- no call: commands that need one say so -----------------------------------------------------------
out=$(run_callrec pause 2>&1)
check "pause without a call fails (exit 1) and says why" test $? -eq 1 -a -n "$(grep -F 'no call of yours' <<<"$out")"

# --- call 1: tag, pause, resume ----------------------------------------------------------------------
run_call "$T/cap1.wav" & DUP=$!
check "the call shows in callrec status" wait_for has_active_call
ID1=$(call_id)
check "tag ticket=4711" run_callrec tag ticket=4711
check "tag remote=+31201234567" run_callrec tag remote=+31201234567
check "a bad tag key is refused (exit 1)" bash -c "! '$BUILD/callrec' --socket '$SOCK' tag 'Bad Key=1' 2>/dev/null"
check "a control character in a tag value is refused" bash -c "! '$BUILD/callrec' --socket '$SOCK' tag \"x=\$(printf 'a\tb')\" 2>/dev/null"
check "another user may not pause the call" bash -c "! setpriv --reuid=65534 --regid=65534 --clear-groups '$BUILD/callrec' --socket '$SOCK' pause 2>/dev/null"
check "status shows the tags" test "$(get_status_field 's["calls"][0]["tags"]["ticket"]')" = 4711
sleep 2 # the caller talks for a while before pausing
check "pause" run_callrec pause
check "status says paused" test "$(get_status_field 's["calls"][0]["recording"]')" = paused
sleep 2 # card details are read out
check "resume" run_callrec resume
out=$(run_callrec resume 2>&1)
check "resume when not paused fails (exit 1)" test $? -eq 1
wait $DUP
check "call 1 ran" test $? -eq 0
check "call 1 is archived" test "$(OPERATOR=legal1 find_complete_call duplex 20)" = "$ID1"
check "export call 1" run_archive_as legal1 export --call "$ID1" --out "$T/export"
relay_checks "$PY" - "$T/export/$ID1.manifest.json" "$T/export/$ID1.wav" "$T/a.wav" "$T/b.wav" <<'EOF2'
import json, sys, wave, array
m = json.load(open(sys.argv[1]))
def ok(name, cond):
    print(("ok - " if cond else "not ok - ") + name)
pauses = [g for g in m.get("gaps", []) if g.get("cause") == "pause"]
print("# pause gaps: %s; tags: %s" % (pauses, m.get("tags")))
ok("the manifest lists the pause on both channels", sorted(g["channel"] for g in pauses) == [1, 2])
ok("the manifest carries the tags", m.get("tags", {}).get("ticket") == "4711"
   and m.get("tags", {}).get("remote") == "+31201234567")
if not pauses:
    sys.exit(0)
p = pauses[0]
ok("the pause lasted about 2 s (%d ms)" % p["length_ms"], 1700 <= p["length_ms"] <= 2600)
w = wave.open(sys.argv[2])
rate, n = w.getframerate(), w.getnframes()
pcm = array.array("h", w.readframes(n))
def window(ch):  # the pause without 50 ms at each end (resampler and record granularity)
    a = (p["start_ms"] + 50) * rate // 1000
    b = (p["start_ms"] + p["length_ms"] - 50) * rate // 1000
    return pcm[2 * a + ch:2 * b + ch:2]
ok("channel 1 is silent during the pause", max(abs(x) for x in window(0)) == 0)
ok("channel 2 is silent during the pause", max(abs(x) for x in window(1)) == 0)
def src_window(f):  # the same time span of what was said / played
    s = wave.open(f)
    r = s.getframerate()
    x = array.array("h", s.readframes(s.getnframes()))[::2]
    a, b = (p["start_ms"] + 50) * r // 1000, (p["start_ms"] + p["length_ms"] - 50) * r // 1000
    return x[a:b]
ok("while both parties were talking", max(abs(v) for v in src_window(sys.argv[3])) > 1000
   and max(abs(v) for v in src_window(sys.argv[4])) > 1000)
before = pcm[0:2 * p["start_ms"] * rate // 1000:2]
ok("channel 1 has speech before the pause", max(abs(x) for x in before) > 1000)
EOF2

# --- call 2: private mid-call --------------------------------------------------------------------------
run_call "$T/cap2.wav" --seconds 6 & DUP=$!
check "call 2 shows in status" wait_for has_active_call
ID2=$(call_id)
chunks_of() { find "$SPOOL/$1" -name '*.frame' 2>/dev/null | wc -l; }
archived_chunks() { grep -c "call $ID2: chunk\|ACK $ID2" "$T/agent.log"; }
sleep 2 # two seconds of the call are recorded (and delivered) before the user decides
out=$(run_callrec private)
check "private mid-call" test $? -eq 0 -a -n "$(grep -F "$ID2" <<<"$out")"
note "$out"
# Right away: nothing of the call's audio stays in the spool; at most the CALL_ERASE itself.
frames=$(find "$SPOOL/$ID2" -type f 2>/dev/null)
only_erase() {
	local f t
	for f in $frames; do
		[ "$(basename "$f")" = 0.frame ] || return 1
		# CALL_ERASE, or the CALL_OPEN (no audio) while its ACK is awaited (erase.c); the
		# archive may acknowledge the erasure (file gone) while we look
		t=$(od -An -tx1 -j3 -N1 "$f" 2>/dev/null | tr -d ' ')
		[ -e "$f" ] || continue
		case "$t" in 15|10) ;; *) echo "# $f: type $t"; return 1 ;; esac
	done
}
check "the spool holds no audio of call 2 (no chunk, no close)" only_erase
check "status shows no call any more" test "$(get_status_field 'len(s["calls"])')" = 0
wait $DUP
check "the application kept running normally" test $? -eq 0
check "the archive acknowledged the erasure (spool directory gone)" wait_for test ! -e "$SPOOL/$ID2"
check "the agent logged the erasure" grep -q "call $ID2: erased by the archive" "$T/agent.log"
check "the call was never closed as a recording" bash -c "! grep -q 'call $ID2 ended' '$T/agent.log'"
state2=$(run_archive_as op1 list --json 2>/dev/null | "$PY" -c '
import json, sys
for l in sys.stdin:
    if l.strip():
        c = json.loads(l)
        if c["id"] == sys.argv[1]: print(c.get("state"))' "$ID2")
note "archive state of call 2: ${state2:-not listed}"
check "the archive keeps only a tombstone of call 2" test "$state2" = erased
check "call 2's audio cannot be exported any more" bash -c "! '$BUILD/callrec-archive' --config '$PKI/operators/legal1/archive.yaml' export --call $ID2 --out '$T/export2' 2>/dev/null"
check "and no file of it was written" test -z "$(find "$T/export2" -type f 2>/dev/null)"
# Looking at the archive's own files, not only its index: no object directory, no key, no
# chunk rows of call 2 remain (its chunks are punched out of the segments).
check "the archive holds no file of call 2" test ! -e "$ARCHIVE_DATA/calls/$ID2"
check "the archive holds no key of call 2" test "$(count_call_keys "$ID2")" = 0
check "the archive holds no chunk of call 2" test "$(query_index "SELECT COUNT(*) FROM chunks WHERE call_id = x'$ID2'")" = 0

# --- private before the call ----------------------------------------------------------------------------
out=$(run_callrec private)
check "private with no call marks the next one" test $? -eq 0 -a -n "$(grep -i 'next call' <<<"$out")"
check "status says the next call is private" test "$(get_status_field 's.get("next_call_private")')" = True
run_call "$T/cap3.wav" --seconds 2
check "call 3 ran" test $? -eq 0
check "the agent did not record it" grep -q 'not recorded: marked private' "$T/agent.log"
check "the mark is used up" test "$(get_status_field 's.get("next_call_private")')" = None
check "nothing of call 3 in the spool" test -z "$(find "$SPOOL" -type f)"
check "agent still running" kill -0 "$AGENT_PID"
