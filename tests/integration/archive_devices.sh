#!/bin/bash
# `callrec-archive devices`: the desktops' heartbeats (state, backlog, drop counters) stored
# per device, listed with the last heartbeat time, and the unhealthy flagged: backlog growing
# over the last 3 heartbeats, frames dropped, no heartbeat for longer than --stale (120 s by
# default). Heartbeats come from upgen (exact values) and from a real agent; the stored view
# survives an archive restart.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/archive.bash"
. "$TOP/tests/lib/load.bash"

require "pki setup" setup_pki
for d in desk2 desk3; do require "$d" add_device $d; done
require "archive starts" start_archive

beat() { # beat DEVICE BACKLOG DROPPED
	# shellcheck disable=SC2046
	"$BUILD/tests/upgen" $(get_upgen_args "$1") --evil heartbeat --call \
		"{\"state\":\"running\",\"backlog_bytes\":$2,\"backlog_frames\":$(($2 / 4)),\"dropped_frames\":$3,\"acked_frames\":1000}" \
		>/dev/null 2>>"$T/beat.err"
}
beat desk1 100 0; beat desk1 200 0; beat desk1 300 0 # growing
beat desk2 500 0; beat desk2 100 0; beat desk2 0 0   # draining
beat desk3 0 480                                     # lost audio

run_archive_cli devices --json >"$T/devices.json" 2>>"$T/cli.log"
check "devices --json succeeds" test $? = 0
sed 's/^/# /' "$T/devices.json"
field() { # field DEVICE PYTHON-EXPRESSION-ON-d
	"$PY" - "$T/devices.json" "$1" "$2" <<'PYEOF'
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d["device"] == sys.argv[2]:
        print(eval(sys.argv[3]))
PYEOF
}
check "three devices listed" test "$(wc -l <"$T/devices.json")" = 3
check "desk1: backlog growing, unhealthy" test "$(field desk1 'd["backlog_growing"], d["healthy"]')" = "(True, False)"
check "desk1: the last backlog (300 bytes) and the heartbeat's fields" \
	test "$(field desk1 'd["backlog"], d["heartbeat"]["acked_frames"], d["state"]')" = "(300, 1000, 'running')"
check "desk2: draining backlog, healthy" test "$(field desk2 'd["backlog_growing"], d["healthy"], d["problems"]')" = "(False, True, [])"
check "desk3: 480 frames dropped, unhealthy" test "$(field desk3 'd["dropped"], d["healthy"], d["problems"]')" = "(480, False, ['480 frames dropped'])"
check "the last heartbeat time is recent (age under 30 s)" test "$(field desk2 'd["age_s"] < 30 and d["last_heartbeat"].endswith("Z")')" = True

run_archive_cli devices >"$T/devices.txt" 2>>"$T/cli.log"
sed 's/^/# /' "$T/devices.txt"
check "table: desk1 flagged" grep -q '^desk1 .*UNHEALTHY: backlog growing' "$T/devices.txt"
check "table: desk3 flagged" grep -q '^desk3 .*UNHEALTHY: 480 frames dropped' "$T/devices.txt"
check "table: desk2 ok" grep -q '^desk2 .* ok$' "$T/devices.txt"
run_archive_cli devices --unhealthy >"$T/unhealthy.txt" 2>>"$T/cli.log"
check "--unhealthy exits 3 when a device is unhealthy" test $? = 3
check "--unhealthy lists desk1 and desk3 only" test "$(awk 'NR > 1 {print $1}' "$T/unhealthy.txt" | tr '\n' ' ')" = "desk1 desk3 "

sleep 2.2
run_archive_cli devices --json --stale 1 >"$T/stale.json" 2>>"$T/cli.log"
check "no heartbeat for longer than --stale: all three unhealthy" \
	test "$(grep -c '"healthy":false' "$T/stale.json")" = 3
check "the stale reason is named" grep -q '"no heartbeat for [0-9]*s"' "$T/stale.json"

stop_pid "$ARCHIVED_PID"
require "archive restarts" start_archive
run_archive_cli devices --json >"$T/after.json" 2>>"$T/cli.log"
cp "$T/after.json" "$T/devices.json"
check "after a restart: the stored heartbeats are still listed" test "$(wc -l <"$T/after.json")" = 3
check "after a restart: desk3's drops are still flagged" test "$(field desk3 'd["dropped"]')" = 480

# A real agent sends its first heartbeat as soon as it is connected.
require "agent starts" start_agent
agent_beat() {
	run_archive_cli devices --json >"$T/devices.json" 2>>"$T/cli.log"
	[ "$(field desk1 '"callrec-agent" in str(d["heartbeat"].get("software"))')" = True ]
}
for _ in $(seq 1 50); do agent_beat && break; sleep 0.2; done
check "the real agent's heartbeat is listed for desk1" agent_beat
check "the agent reports an empty backlog and no drops: healthy" \
	test "$(field desk1 'd["healthy"], d["backlog"], d["dropped"]')" = "(True, 0, 0)"
