#!/bin/bash
# Agent CPU per recorded call (resample, hash, spool, TLS) against real time; target
# under 0.5% of one core. Runs CALLS simulated calls (bench/agent_load.c: capture + playback
# streams through the agent's real control socket, 48 kHz stereo S16 in 10 ms records at
# real-time pace) for SECS seconds against a real archive over mutual TLS, and reads the
# agent's user + system CPU time from /proc/PID/stat over the load and the calls' ends.
# Prints (bench/run.sh format "<group> <name> <variant> <value>", plus the short forms):
#   agent cpu_per_call percent V      agent realtime_baseline percent 100
#   agent cpu_per_call_percent V      agent realtime_baseline 100
# Then the same with the playback device's clock 0.1% fast (PPM, default 1000), which makes
# the agent trim that direction with libsamplerate (variant "drift"):
#   agent cpu_per_call drift V
# Environment: CALLS (default 8), SECS (default 30), RATE (default 48000), PPM, BUILD.
# Needs a built tree (make test-build); compiles bench/agent_load.c into $BUILD/bench/.
set -u
TAP_PLAN=no # a benchmark, not a test: no plan, its own exit status
. "$(dirname "$0")/../tests/lib.sh"
CALLS=${CALLS:-8}
SECS=${SECS:-30}
RATE=${RATE:-48000}
LOAD=$BUILD/bench/agent_load
mkdir -p "$BUILD/bench"
if [ ! -x "$LOAD" ] || [ "$TOP/bench/agent_load.c" -nt "$LOAD" ]; then
	${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$TOP/common" \
		"$TOP/bench/agent_load.c" "$BUILD/libcallrec-common.a" -o "$LOAD" || exit 1
fi

setup_pki || { echo "# pki setup failed" >&2; exit 1; }
start_archive || { echo "# archive did not start" >&2; exit 1; }
start_agent || { echo "# agent did not start" >&2; exit 1; }
SOCK=$(cat "$T/agent.ready")

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
SPOOL=$XDG_STATE_HOME/callrec/spool

# PERF_OUT=FILE: also record a CPU profile of the agent (perf record -g) during the run.
if [ -n "${PERF_OUT:-}" ]; then
	perf record -g -o "$PERF_OUT" -p "$AGENT_PID" >/dev/null 2>&1 &
	PERF_PID=$!
	sleep 0.5
fi
# run VARIANT PPM: one load run; prints the CPU share per call (% of one core).
run() {
	local before after t0 t1 done0 calls_done
	done0=$(grep -c "call [0-9a-f]* ended" "$T/agent.log")
	before=$(cpu_ticks "$AGENT_PID")
	t0=$(date +%s.%N)
	"$LOAD" "$SOCK" "$CALLS" "$SECS" "$RATE" 480 "$2" || { echo "# agent_load failed" >&2; return 1; }
	# The calls end 3 s (grace) after their streams close; then their last chunks go out.
	# Count that work too: wait until the spool is empty and every call ended (or 20 s).
	for _ in $(seq 1 200); do
		calls_done=$(( $(grep -c "call [0-9a-f]* ended" "$T/agent.log") - done0 ))
		[ -z "$(find "$SPOOL" -type f 2>/dev/null)" ] && [ "$calls_done" -ge "$CALLS" ] && break
		sleep 0.1
	done
	after=$(cpu_ticks "$AGENT_PID")
	t1=$(date +%s.%N)
	echo "# $1: $CALLS calls of ${SECS} s at $RATE Hz (playback clock +$2 ppm): agent used $((after - before)) ticks ($HZ/s) in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b - a}') s; $calls_done calls ended" >&2
	[ "$calls_done" -ge "$CALLS" ] || echo "# warning: only $calls_done of $CALLS calls ended" >&2
	# CPU per call as a share of one core over the audio's duration (the calls' length).
	awk -v t="$((after - before))" -v hz="$HZ" -v s="$SECS" -v n="$CALLS" \
		'BEGIN{printf "%.3f", t / hz / s / n * 100}'
}
pct=$(run nominal 0) || exit 1
echo "agent cpu_per_call percent $pct"
echo "agent realtime_baseline percent 100"
echo "agent cpu_per_call_percent $pct"
echo "agent realtime_baseline 100"
pct=$(run drift "${PPM:-1000}") || exit 1
echo "agent cpu_per_call drift $pct"
[ -n "${PERF_OUT:-}" ] && kill -INT "$PERF_PID" 2>/dev/null
stop_pid "$AGENT_PID"
stop_pid "$ARCHIVED_PID"
