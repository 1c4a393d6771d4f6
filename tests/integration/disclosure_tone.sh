#!/bin/bash
# Disclosure by tone end to end, with the real plugin: the tone is mixed into what
# the application captures (what the other party hears) at the configured frequency and
# level, at the configured interval of stream time (here every 4 s to keep the test short;
# the default 15 s schedule is checked frame-exactly in test_agent_disclosure), for the
# whole call; the close metadata lists each burst as it actually played.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/call.bash"

SECS=11
# A silent microphone, so that what the application captures is exactly the mixed tone.
sox -D -n -r 48000 -c 2 -b 16 "$T/a.wav" trim 0 "$SECS" || exit 1
sox -D "$T/a.wav" -t raw "$T/a_capture.raw" pad 0 1 || exit 1
make_speech "$T/b.wav" "$SECS" "This is Bob, the customer. I would like to know when my order arrives." || exit 1

require "pki setup" setup_pki
require "operator legal1" add_operator legal1 legal
require "archive starts" start_archive
write_policy "$T/policy.yaml" PURPOSE=training DESCRIPTION="Coaching and quality" \
	LEGAL_BASIS=legitimate_interests RETENTION=90d EMPLOYEE_NOTICE="Works council agreement 2026-03" \
	DISCLOSURE='mode: tone, tone: { frequency: 1400, length: 0.5s, every: 4s, level: -18dB }'
require "agent starts" start_call_agent "$T/policy.yaml"
check "the call runs" run_call "$T/cap.wav"
ID=$(get_last_call_id)
check "the call ended" wait_for grep -q "call $ID close metadata" "$T/agent.log"
relay_checks "$PY" - "$T/cap.wav" "$(get_close_metadata "$ID")" <<'EOF2'
import array, json, math, sys, wave
def ok(name, cond): print(("ok - " if cond else "not ok - ") + name)
w = wave.open(sys.argv[1]); rate = w.getframerate()
x = array.array("h", w.readframes(w.getnframes()))[::2]
# bursts: first non-zero sample after at least a second of zeros
on, zeros = [], rate
for i, v in enumerate(x):
    if v == 0:
        zeros += 1
        continue
    if zeros >= rate:
        on.append(i)
    zeros = 0
print("# bursts at", [round(i / rate, 4) for i in on])
ok("the other party hears three bursts in 11 s", len(on) == 3)
ok("every 4 s of stream time (+-0.1 s)", len(on) >= 2 and all(abs((b - a) / rate - 4.0) <= 0.1 for a, b in zip(on, on[1:])))
ok("exactly 4 s apart in frames (the schedule is in stream time)", len(on) >= 2 and all(b - a == 4 * rate for a, b in zip(on, on[1:])))
if on:
    seg = x[on[0]:on[0] + rate // 2]
    peak = max(abs(v) for v in seg)
    ok("at -18 dBFS (peak %d)" % peak, 3900 <= peak <= 4200)
    length = max(i for i, v in enumerate(x[on[0]:on[0] + rate]) if v) + 1
    ok("0.5 s long (%d frames)" % length, abs(length - rate // 2) <= rate // 100)
    def power(f):
        c = sum(v * math.cos(2 * math.pi * f * i / rate) for i, v in enumerate(seg[:4800]))
        s = sum(v * math.sin(2 * math.pi * f * i / rate) for i, v in enumerate(seg[:4800]))
        return c * c + s * s
    ok("at 1400 Hz", power(1400) > 100 * max(power(1000), power(1800)))
m = json.loads(sys.argv[2])
ev = m["disclosure"]["events"]
print("# events:", ev)
ok("the metadata lists each burst as a tone event", len(ev) == len(on) and all(e["kind"] == "tone" for e in ev))
ok("4000 ms apart", all(abs(b["start_ms"] - a["start_ms"] - 4000) <= 100 for a, b in zip(ev, ev[1:])))
# (a burst's first sample is the zero its fade-in starts from)
ok("at the stream positions where they played", [e["stream_pos"] + 1 for e in ev] == on)
EOF2
check "agent still running" kill -0 "$AGENT_PID"
