# The core of every integration script (and of the demo and deb_check): source it first.
#
# It gives the script a private directory $T (removed on exit; KEEP=1 keeps it), an ALSA
# configuration that loads the plugin and the rawfile test-double slave from $BUILD without
# installing them, TAP output with a plan and an exit status, and the fleet every end-to-end
# test needs: a PKI, the archive, an agent, the operator command.
#
# Reporting (TAP): each check prints "ok - NAME" or "not ok - NAME". When the script ends, the
# plan "1..N" and a line "N passed, N failed" follow, and the exit status is non-zero if any
# check failed, if the script stopped with an error, or if it ran no check at all. So
# `bash tests/integration/X.sh` says by its status whether X passed, and tests/run.sh adds the
# ok lines of all scripts up.
#
# Naming, here and in the topic files under tests/lib/: functions are lower_snake_case and start
# with a verb (start_archive, wait_file, make_speech, run_archive_cli, get_status_field);
# predicates meant for `check` start with is_, has_ or verify_; helpers private to a file start
# with _; the results a helper leaves behind are UPPER_SNAKE_CASE variables (ID, WAV, AGENT_PID).
# ok, not_ok, check, require and note are the TAP vocabulary.
#
# Topic files, sourced after this one by the scripts that need them:
#   tests/lib/call.bash       a call through the plugin: speech, paced PCMs, duplex, the agent's policy
#   tests/lib/archive.bash    the archive's index, synthetic uploads, operators with roles
#   tests/lib/load.bash       many devices' uploads at once (upgen) and what to check after them
#   tests/lib/faults.bash     a network namespace to cut or degrade, a small disk to fill
#   tests/lib/ringsink.bash   ringsink as the agent of plugin tests; valgrind and ThreadSanitizer
#   tests/lib/pipewire.bash   headless PipeWire and WirePlumber with null devices
#   tests/lib/baresip.bash    baresip instances driven over their control port
#   tests/lib/softphone.bash  two baresips calling over PipeWire through the plugin, and what
#                             the ALSA probe saw
# Fixtures (configuration files the tests fill in) live in tests/fixtures/.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
# The ThreadSanitizer build (make tsan; make test-build builds its plugin).
BUILD_TSAN=${BUILD_TSAN:-$BUILD-tsan}
FIXTURES=$TOP/tests/fixtures
# The system's Python: the scripts use its json module, which a python3 found first in PATH (a
# virtual environment, say) need not have.
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/callrec-test.XXXXXX")
_pids=()
_exit_hooks=()
# Each check appends its result here: counted at exit, whatever subshell it ran in.
_results=$T/.results

# --- reporting ---------------------------------------------------------------------------------
ok() { echo "ok - $*"; echo ok >>"$_results"; }
not_ok() { echo "not ok - $*"; echo "not ok" >>"$_results"; }
note() { echo "# $*"; }
# check NAME COMMAND...: runs the command, reports ok/not ok by its exit status, returns it.
check() {
	local name=$1; shift
	if "$@"; then ok "$name"; return 0; fi
	not_ok "$name"
	return 1
}
# require NAME COMMAND...: a set-up step the rest of the script depends on. Silent when it
# succeeds; otherwise reports not ok NAME and ends the script.
require() {
	local name=$1; shift
	"$@" && return 0
	not_ok "$name"
	exit 1
}
# relay_checks COMMAND...: runs a program that prints its own "ok - " / "not ok - " lines (a
# Python check, say) and reports them as this script's checks; other lines pass through.
relay_checks() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) not_ok "${line#not ok - }" ;;
		*) printf '%s\n' "$line" ;;
		esac
	done < <("$@")
}

# --- exit: stop what was started, run the hooks, print the plan, set the status -----------------
# at_exit COMMAND...: run COMMAND at exit, after the processes in _pids are stopped (unmounting
# a file system they used, say) and before $T is removed. Hooks run last-registered first.
at_exit() { _exit_hooks+=("$*"); }
_on_exit() {
	local rc=$? p i passed=0 failed=0
	for p in "${_pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${_pids[@]}"; do wait "$p" 2>/dev/null; done
	for ((i = ${#_exit_hooks[@]} - 1; i >= 0; i--)); do eval "${_exit_hooks[i]}"; done
	if [ -e "$_results" ]; then
		passed=$(grep -c '^ok' "$_results")
		failed=$(grep -c '^not ok' "$_results")
	fi
	if [ -n "${KEEP:-}" ]; then echo "# kept $T"; else rm -rf "$T"; fi
	[ "${TAP_PLAN:-yes}" = no ] && exit "$rc"
	echo "1..$((passed + failed))"
	echo "$passed passed, $failed failed"
	[ "$failed" -gt 0 ] && exit 1
	[ "$rc" -ne 0 ] && exit "$rc"
	[ $((passed + failed)) -eq 0 ] && { echo "# no check ran"; exit 1; }
	exit 0
}
trap _on_exit EXIT

# --- fixtures --------------------------------------------------------------------------------
# fill_fixture NAME OUT [KEY=VALUE...]: tests/fixtures/NAME with every @KEY@ replaced by VALUE,
# written to OUT. @T@ and @BUILD@ are known without saying; a placeholder left unfilled is an
# error, so a fixture and its callers cannot drift apart unnoticed.
fill_fixture() {
	local text kv key left
	local -A value
	text=$(<"$FIXTURES/$1") || return 1
	# A KEY given twice: the later VALUE wins (write_policy's overrides).
	for kv in "T=$T" "BUILD=$BUILD" "${@:3}"; do value[${kv%%=*}]=${kv#*=}; done
	for key in "${!value[@]}"; do text=${text//"@$key@"/"${value[$key]}"}; done
	left=$(grep -o '@[A-Z_]*@' <<<"$text" | sort -u | tr '\n' ' ')
	[ -z "$left" ] || { echo "# fixture $1: nothing given for $left" >&2; return 1; }
	printf '%s\n' "$text" >"$2"
}

# write_policy OUT [KEY=VALUE...]: a fleet policy from tests/fixtures/policy.yaml.in; KEY=VALUE
# overrides a default below.
write_policy() {
	local out=$1; shift
	fill_fixture policy.yaml.in "$out" PURPOSE=contract \
		DESCRIPTION="Proof of agreements made by phone" LEGAL_BASIS=contract RETENTION=5y \
		ACCESS=legal DISCLOSURE='mode: notice, notice: "Terms of service, article 12"' \
		MATCH='application: [duplex]' EMPLOYEE_NOTICE="Staff handbook 4.2" RATE=16000 \
		ON_FAILURE=continue "$@"
}

# --- ALSA ------------------------------------------------------------------------------------
# alsa.conf first so that the stock devices (null, ...) stay; then ours.
export ALSA_CONFIG_PATH=/usr/share/alsa/alsa.conf:$T/asound.conf
fill_fixture asound.conf.in "$T/asound.conf"
# add_alsa_conf TEXT: append PCM definitions to the test's ALSA configuration.
add_alsa_conf() { printf '%s\n' "$*" >>"$T/asound.conf"; }

# --- waiting and processes ------------------------------------------------------------------
# is_port_free PORT: nothing accepts a TCP connection on 127.0.0.1:PORT.
is_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# find_free_port: a free TCP port on loopback (tests run one after the other; the start is
# derived from the pid so that a port just closed is not reused at once).
find_free_port() {
	local p
	for p in $(seq $((20000 + ($$ * 7) % 12000)) 32767); do
		is_port_free "$p" && { echo "$p"; return 0; }
	done
	return 1
}
# wait_file FILE [SECONDS]: until FILE exists (10 s).
wait_file() {
	local i
	for i in $(seq 1 $((${2:-10} * 20))); do [ -e "$1" ] && return 0; sleep 0.05; done
	return 1
}
# wait_for [-t SECONDS] COMMAND...: until COMMAND succeeds, up to SECONDS (10).
wait_for() {
	local secs=10 i
	[ "$1" = -t ] && { secs=$2; shift 2; }
	for i in $(seq 1 $((secs * 10))); do "$@" && return 0; sleep 0.1; done
	return 1
}
# wait_log FILE REGEX [SECONDS] [COUNT]: until FILE has COUNT (1) lines matching the extended
# regular expression, up to SECONDS (10).
wait_log() {
	local i
	for i in $(seq 1 $((${3:-10} * 10))); do
		[ "$(grep -cE -- "$2" "$1" 2>/dev/null)" -ge "${4:-1}" ] && return 0
		sleep 0.1
	done
	return 1
}
# stop_pid PID: SIGTERM and wait.
stop_pid() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; return 0; }
# wait_pid PID SECONDS: wait for a background process, killing it after SECONDS. Its exit
# status; 124 when it had to be killed.
wait_pid() {
	local i
	for i in $(seq 1 $(($2 * 10))); do
		kill -0 "$1" 2>/dev/null || { wait "$1"; return $?; }
		sleep 0.1
	done
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 124
}

# --- the fleet: PKI, archive, agent, operators ------------------------------------------------
# setup_pki [HOST]: a fleet PKI in $PKI ($T/pki) with the archive listening on HOST (127.0.0.1)
# at a free port, one device "desk1" and one operator "op1" with role admin. Sets PKI, PORT,
# ADDR (HOST:PORT) and ARCHIVE_DATA (the archive's data directory).
setup_pki() {
	PKI=$T/pki
	PORT=$(find_free_port) || return 1
	ADDR=${1:-127.0.0.1}:$PORT
	ARCHIVE_DATA=$PKI/archive-data
	"$BUILD/callrec-archive" pki init "$PKI" --listen "$ADDR" >/dev/null || return 1
	"$BUILD/callrec-archive" pki device desk1 --dir "$PKI" >/dev/null || return 1
	add_operator op1 admin
}
# add_operator NAME ROLE: one more operator certificate and configuration in $PKI.
add_operator() { "$BUILD/callrec-archive" pki operator "$1" --role "$2" --dir "$PKI" >/dev/null; }
# add_device NAME: one more device certificate and agent configuration in $PKI.
add_device() { "$BUILD/callrec-archive" pki device "$1" --dir "$PKI" >/dev/null; }

# start_archive [VAR=VALUE...]: callrec-archived from $PKI/archived.yaml with that extra
# environment (and $ARCHIVED_ARGS), inside network namespace $ARCHIVE_NETNS when set; waits
# until it listens. Sets ARCHIVED_PID.
start_archive() {
	rm -f "$T/archived.ready"
	${ARCHIVE_NETNS:+ip netns exec "$ARCHIVE_NETNS"} env "$@" \
		"${ARCHIVED_BIN:-$BUILD/callrec-archived}" \
		--config "$PKI/archived.yaml" --ready-file "$T/archived.ready" ${ARCHIVED_ARGS:-} \
		2>>"$T/archived.log" &
	ARCHIVED_PID=$!
	_pids+=("$ARCHIVED_PID")
	wait_file "$T/archived.ready" 10
}
# start_archive_testhooks OPTION...: start_archive with the daemon's test build and its
# fault-injection options (--test-crash-at POINT, --test-clock-offset SECONDS); the installed
# daemon has no such code.
start_archive_testhooks() {
	ARCHIVED_BIN=$BUILD/tests/callrec-archived-testhooks ARCHIVED_ARGS="$*" start_archive
}

# start_agent: the user-mode agent of device desk1, its runtime and state directories under $T.
# Sets AGENT_PID and SOCK (the socket the plugin connects to).
start_agent() {
	export XDG_RUNTIME_DIR=$T/run XDG_STATE_HOME=$T/state
	mkdir -p -m 700 "$XDG_RUNTIME_DIR" "$XDG_STATE_HOME"
	rm -f "$T/agent.ready"
	"$BUILD/callrec-agent" --user --config "$PKI/devices/desk1/agent.yaml" \
		--ready-file "$T/agent.ready" 2>>"$T/agent.log" &
	AGENT_PID=$!
	_pids+=("$AGENT_PID")
	wait_file "$T/agent.ready" 10 && SOCK=$(cat "$T/agent.ready")
}
# set_agent_policy FILE: desk1's agent applies the policy FILE, with the announcements of the
# build (at its next start or SIGHUP).
set_agent_policy() {
	local y=$PKI/devices/desk1/agent.yaml
	sed -i '/^policy:/d; /^announcements:/d' "$y"
	printf 'policy: %s\nannouncements: %s\n' "$1" "$BUILD/announcements" >>"$y"
}
# is_spool_empty: the agent's spool holds no file.
is_spool_empty() { [ -z "$(find "$XDG_STATE_HOME/callrec/spool" -type f 2>/dev/null)" ]; }

# run_archive_as OPERATOR ARGS...: callrec-archive as that operator of $PKI.
run_archive_as() {
	local who=$1; shift
	"$BUILD/callrec-archive" --config "$PKI/operators/$who/archive.yaml" "$@"
}
# run_archive_cli ARGS...: callrec-archive as $OPERATOR (op1, the admin, unless the script
# chose another: a purpose's calls are shown only to the roles it gives access to).
run_archive_cli() { run_archive_as "${OPERATOR:-op1}" "$@"; }

# find_complete_call APP [SECONDS] [NOT_ID...]: the id of the first call of APP, other than the
# NOT_IDs, that the archive lists as complete to $OPERATOR, waiting up to SECONDS (30); nothing
# and status 1 when none appears.
find_complete_call() {
	local app=$1 secs=${2:-30} i id
	for i in $(seq 1 $((secs * 2))); do
		id=$(run_archive_cli list --json 2>>"$T/cli.log" | "$PY" -c '
import json, sys
for line in sys.stdin:
    if line.strip():
        c = json.loads(line)
        if (c.get("state") == "complete" and c.get("application") == sys.argv[1]
                and c["id"] not in sys.argv[2:]):
            print(c["id"]); break' "$app" "${@:3}")
		[ -n "$id" ] && { echo "$id"; return 0; }
		sleep 0.5
	done
	return 1
}
# list_calls [FIELD...]: one line per call the archive lists to $OPERATOR, its FIELDs (id state
# application) separated by spaces, "-" for one that is empty.
list_calls() {
	local fields=("$@")
	[ $# -gt 0 ] || fields=(id state application)
	run_archive_cli list --json 2>>"$T/cli.log" | "$PY" -c '
import json, sys
for line in sys.stdin:
    if line.strip():
        c = json.loads(line)
        print(" ".join(str(c.get(k) or "-") for k in sys.argv[1:]))' "${fields[@]}"
}
# has_complete_calls N: the archive lists at least N complete calls to $OPERATOR.
has_complete_calls() { [ "$(list_calls state | grep -cx complete)" -ge "$1" ]; }
# wait_complete_call APP [SECONDS] [NOT_ID...]: find_complete_call, the id in ID.
wait_complete_call() { ID=$(find_complete_call "$@"); }
# require_complete_call NAME APP [SECONDS]: the check NAME that a call of APP completes in the
# archive within SECONDS (30); ID is set to it. Without it the rest of the script has nothing
# to look at: on failure the logs' tails are shown and the script ends.
require_complete_call() {
	if wait_complete_call "$2" "${3:-30}"; then ok "$1 ($ID)"; return 0; fi
	not_ok "$1"
	tail -20 "$T/agent.log" "$T/archived.log" >&2
	exit 1
}
# export_call [ID] [DIR]: export call ID (default $ID) into DIR ($T/export-ID: one directory
# per call, as an export never goes into a directory holding another); sets WAV and MANIFEST to
# its files and succeeds when both are there.
export_call() {
	local id=${1:-$ID}
	local dir=${2:-$T/export-$id}
	run_archive_cli export --call "$id" --out "$dir" >>"$T/cli.log" 2>&1 || return 1
	WAV=$dir/$id.wav
	MANIFEST=$dir/$id.manifest.json
	[ -s "$WAV" ] && [ -s "$MANIFEST" ]
}
# get_manifest_gaps [MANIFEST]: the gaps a manifest ($MANIFEST) lists, as a JSON list.
get_manifest_gaps() {
	"$PY" -c '
import json, sys
def find(o):
    if isinstance(o, dict):
        if isinstance(o.get("gaps"), list):
            return o["gaps"]
        for v in o.values():
            r = find(v)
            if r is not None:
                return r
    return None
print(json.dumps(find(json.load(open(sys.argv[1]))) or []))' "${1:-$MANIFEST}"
}
# has_no_gaps [MANIFEST]: the manifest ($MANIFEST) lists no gap: nothing of the call was lost.
has_no_gaps() { local g; g=$(get_manifest_gaps "$@"); note "gaps: $g"; [ "$g" = "[]" ]; }

# --- comparing audio ----------------------------------------------------------------------------
# correlate NAME ARGS...: runs wavxcorr ARGS, notes its result under NAME and passes its status
# on (1: below --min; 2: an error such as a missing file). Leaves the output line in CORR_OUT,
# its normalised cross-correlation in CORR_NCC and its lag in CORR_LAG_MS.
CORR_OUT= CORR_NCC= CORR_LAG_MS=
correlate() {
	local rc
	CORR_OUT=$("$BUILD/tests/wavxcorr" "${@:2}")
	rc=$?
	CORR_NCC=$(sed -n 's/.*ncc=\([-0-9.]*\).*/\1/p' <<<"$CORR_OUT")
	CORR_LAG_MS=$(sed -n 's/.*lag_ms=\([-0-9.]*\).*/\1/p' <<<"$CORR_OUT")
	note "$1: ${CORR_OUT:-failed (status $rc)}"
	return $rc
}
# is_below_min COMMAND...: COMMAND (correlate, tonedetect) exits 1 exactly: its measure was below
# --min, not an error (status 2), which must not pass for "does not match".
is_below_min() { "$@"; [ $? -eq 1 ]; }
# has_prefix EXPECTED ACTUAL: ACTUAL starts with the bytes of EXPECTED.
has_prefix() {
	[ -e "$2" ] && [ "$(stat -c %s "$2")" -ge "$(stat -c %s "$1")" ] &&
		cmp -s -n "$(stat -c %s "$1")" "$1" "$2"
}
# has_prefix_then_zeros EXPECTED ACTUAL: ACTUAL is EXPECTED followed by zero bytes only (what a
# playback device receives: the audio, then the player's silence padding).
has_prefix_then_zeros() {
	local n
	has_prefix "$1" "$2" || return 1
	n=$(stat -c %s "$1")
	tail -c +$((n + 1)) "$2" | tr -d '\0' | cmp -s - /dev/null
}
