# Many devices' uploads at once, for the fault, group-commit, resumption and device tests
# (source after tests/lib.sh and tests/lib/archive.bash). The load is tests/programs/upgen: calls
# uploaded with an agent's spool semantics (nothing is forgotten before its ACK; everything
# unacknowledged is resent after a reconnect), with audio that is a function of the call id, so
# that an export can be checked sample by sample.
#
#   get_upgen_args DEVICE          upgen's connection arguments for DEVICE of $PKI at $ADDR
#   start_upgen NAME ARGS...       upgen as desk1 in the background (UPGEN_PID): its summary in
#                                  $T/NAME.out, log in NAME.err, call ids in NAME.ids, progress
#                                  in NAME.prog
#   wait_upgen NAME SECONDS        waits for it (killed after SECONDS), notes its summary; its
#                                  exit status in UPGEN_RC (124: killed)
#   get_upgen_field NAME KEY       a value of upgen's summary line
#   count_acked NAME               the ACKs upgen has had so far
#   wait_acked NAME N [SECONDS]    until upgen has had N ACKs (20 s)
#   verify_calls_complete NAME     the archive lists every call of run NAME as complete
#   wait_calls_complete NAME [SECONDS]   until it does (20 s)
#   verify_no_duplicates NAME CHUNKS     per call, seqs 1..CHUNKS stored exactly once each, and no
#                                  two chunk rows share segment bytes (a chunk stored twice would)
#   verify_audio NAME [MAX]        exports the calls of run NAME (at most MAX) and compares each
#                                  WAV sample by sample with what upgen sent

get_upgen_args() {
	echo "$ADDR --ca $PKI/ca.pem --cert $PKI/devices/$1/device.pem --key $PKI/devices/$1/device.key"
}

start_upgen() {
	local name=$1
	shift
	# shellcheck disable=SC2046
	"$BUILD/tests/upgen" $(get_upgen_args desk1) --ids "$T/$name.ids" --progress "$T/$name.prog" "$@" \
		>"$T/$name.out" 2>"$T/$name.err" &
	UPGEN_PID=$!
	_pids+=("$UPGEN_PID")
}

wait_upgen() {
	wait_pid "$UPGEN_PID" "$2"
	UPGEN_RC=$?
	note "$1: $(cat "$T/$1.out")"
}

get_upgen_field() { sed -n "s/.* $2=\([0-9]*\).*/\1/p; s/^$2=\([0-9]*\).*/\1/p" "$T/$1.out" | head -1; }
count_acked() { sed -n 's/^acked=\([0-9]*\).*/\1/p' "$T/$1.prog" 2>/dev/null || echo 0; }
wait_acked() {
	local i
	for i in $(seq 1 $((${3:-20} * 10))); do
		[ "$(count_acked "$1")" -ge "$2" ] 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

verify_calls_complete() {
	run_archive_cli list --json >"$T/list.json" 2>>"$T/cli.log" || return 1
	"$PY" -c '
import json, sys
ids = [l.split()[0] for l in open(sys.argv[1]) if l.strip()]
state = {}
for l in open(sys.argv[2]):
    if l.strip():
        c = json.loads(l)
        state[c["id"]] = c["state"]
missing = [i for i in ids if state.get(i) != "complete"]
for i in missing[:5]:
    print("# not complete: %s (%s)" % (i, state.get(i, "absent")))
sys.exit(1 if missing else 0)' "$T/$1.ids" "$T/list.json"
}
wait_calls_complete() {
	local i
	for i in $(seq 1 $((${2:-20} * 4))); do
		verify_calls_complete "$1" >/dev/null && return 0
		sleep 0.25
	done
	verify_calls_complete "$1"
}

verify_no_duplicates() {
	local id n bad=0
	while read -r id _; do
		n=$(query_index "SELECT COUNT(*), COUNT(DISTINCT seq), MIN(seq), MAX(seq) FROM chunks
			WHERE call_id = x'$id'")
		if [ "$n" != "$2|$2|1|$2" ]; then
			echo "# call $id: chunks count|distinct|min|max = $n, want $2|$2|1|$2"
			bad=1
		fi
	done <"$T/$1.ids"
	n=$(query_index "SELECT COUNT(*) FROM (SELECT segment, offset FROM chunks
		GROUP BY segment, offset HAVING COUNT(*) > 1)")
	[ "$n" = 0 ] || { echo "# $n segment locations referenced twice"; bad=1; }
	return $bad
}

verify_audio() {
	local id frames n=0 bad=0
	while read -r id frames; do
		[ -n "${2:-}" ] && [ "$n" -ge "$2" ] && break
		n=$((n + 1))
		# One directory per call (an export never goes into a directory holding another),
		# exported once however often it is checked.
		if [ ! -s "$T/export-$1/$id/$id.wav" ] &&
		   ! run_archive_cli export --call "$id" --out "$T/export-$1/$id" >>"$T/cli.log" 2>&1; then
			echo "# export of $id failed"
			bad=1
			continue
		fi
		"$BUILD/tests/upgen" --verify "$T/export-$1/$id/$id.wav" --id "$id" --frames "$frames" \
			>>"$T/verify.log" || { tail -1 "$T/verify.log"; bad=1; }
	done <"$T/$1.ids"
	echo "# verified $n calls sample by sample"
	return $bad
}
