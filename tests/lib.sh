# Shared helpers for integration tests and the demo. Source it; it sets up a private
# temporary directory ($T) removed on exit, with an ALSA configuration that loads the plugin
# and the test-double slave from build/ without installing them (TESTING.md).
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
T=$(mktemp -d "${TMPDIR:-/tmp}/callrec-test.XXXXXX")
_pids=()
_checks=0

cleanup() {
	local p
	for p in "${_pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${_pids[@]}"; do wait "$p" 2>/dev/null; done
	[ -n "${KEEP:-}" ] && { echo "# kept $T"; return; }
	rm -rf "$T"
}
trap cleanup EXIT

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; }
# check NAME COMMAND...: runs the command, reports ok/not ok by its exit status.
check() {
	local name=$1; shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}
note() { echo "# $*"; }

# xcorr NAME ARGS...: runs wavxcorr ARGS, notes its result (kept in XCORR_OUT) under NAME, and
# passes its status on (1: below --min, 2: an error such as a missing file).
XCORR_OUT=
xcorr() {
	local rc
	XCORR_OUT=$("$BUILD/tests/wavxcorr" "${@:2}")
	rc=$?
	note "$1: $XCORR_OUT"
	return $rc
}

# ALSA config: alsa.conf first so that stock devices (null, ...) stay; then ours.
export ALSA_CONFIG_PATH=/usr/share/alsa/alsa.conf:$T/asound.conf
cat >"$T/asound.conf" <<EOC
pcm_type.callrec { lib "$BUILD/libasound_module_pcm_callrec.so" }
pcm_type.rawfile { lib "$BUILD/tests/libasound_module_pcm_rawfile.so" }
EOC
# alsa_conf TEXT: append PCM definitions to the test's ALSA configuration.
alsa_conf() { printf '%s\n' "$*" >>"$T/asound.conf"; }

# A free TCP port on loopback for this test (sequential tests; pid-derived to avoid reuse).
free_port() {
	local p
	for p in $(seq $((20000 + ($$ * 7) % 12000)) 32767); do
		if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "$p"; return; fi
	done
}

# wait_file FILE [SECONDS]: wait until FILE exists.
wait_file() {
	local i
	for i in $(seq 1 $((${2:-10} * 20))); do [ -e "$1" ] && return 0; sleep 0.05; done
	return 1
}

# pki_setup: fleet PKI in $T/pki with an archive on a free port, one device "desk1" and one
# operator "op1". Sets PKI, PORT.
pki_setup() {
	PKI=$T/pki
	PORT=$(free_port)
	"$BUILD/callrec-archive" pki init "$PKI" --listen "127.0.0.1:$PORT" >/dev/null || return 1
	"$BUILD/callrec-archive" pki device desk1 --dir "$PKI" >/dev/null || return 1
	"$BUILD/callrec-archive" pki operator op1 --role admin --dir "$PKI" >/dev/null || return 1
}

# start_archive: run callrec-archived from $PKI/archived.yaml; waits until it listens.
start_archive() {
	rm -f "$T/archived.ready"
	"$BUILD/callrec-archived" --config "$PKI/archived.yaml" --ready-file "$T/archived.ready" ${ARCHIVED_ARGS:-} \
		2>>"$T/archived.log" &
	ARCHIVED_PID=$!
	_pids+=("$ARCHIVED_PID")
	wait_file "$T/archived.ready" 10
}

# start_agent: user-mode agent for device desk1, runtime and state under $T.
start_agent() {
	export XDG_RUNTIME_DIR=$T/run XDG_STATE_HOME=$T/state
	mkdir -p -m 700 "$XDG_RUNTIME_DIR" "$XDG_STATE_HOME"
	rm -f "$T/agent.ready"
	"$BUILD/callrec-agent" --user --config "$PKI/devices/desk1/agent.yaml" \
		--ready-file "$T/agent.ready" 2>>"$T/agent.log" &
	AGENT_PID=$!
	_pids+=("$AGENT_PID")
	wait_file "$T/agent.ready" 10
}

# stop_pid PID: SIGTERM and wait.
stop_pid() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; return 0; }

archive_cli() { "$BUILD/callrec-archive" --config "$PKI/operators/op1/archive.yaml" "$@"; }

# complete_call_id APP [SECONDS] [NOT_ID]: the id of the first call of APP other than NOT_ID
# the archive lists as complete, waiting up to SECONDS (30); empty when none appears. The list
# is what $LIST_CALLS prints (default: operator op1's `list --json`).
complete_call_id() {
	local app=$1 i id
	for i in $(seq 1 $((${2:-30} * 2))); do
		id=$(${LIST_CALLS:-archive_cli list --json} 2>>"$T/cli.log" | /usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    line = line.strip()
    if line:
        c = json.loads(line)
        if (c.get("state") == "complete" and c.get("application") == sys.argv[1]
                and c["id"] != sys.argv[2]):
            print(c["id"]); break' "$app" "${3:-}")
		[ -n "$id" ] && { echo "$id"; return 0; }
		sleep 0.5
	done
	return 1
}
