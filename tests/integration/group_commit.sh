#!/bin/bash
# Group commit: the archive acknowledges only after fsync, and many streams
# share one sync per event-loop turn, so disk operations do not grow with the number of
# streams. The archive runs under strace (fsync/fdatasync of its event-loop thread counted)
# with -v (one "commit:" debug line per turn). 10 and then 100 streams of 250 ms chunks, all
# streams' chunks due at the same moments (upgen --together, the worst case for per-stream
# syncing): the syncs per commit must stay the same (about 2: the segment's fdatasync and
# SQLite's WAL fsync), while the chunks per commit grow with the streams.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/archive.bash"
. "$TOP/tests/lib/load.bash"
require "strace is installed" test -x "$(command -v strace)"

require "pki setup" setup_pki

# phase CALLS: run the archive under strace while CALLS streams upload 5 s each; sets
# COMMITS, CHUNKS_PER_COMMIT, SYNCS_PER_COMMIT.
phase() {
	local log=$T/archived-$1.log st=$T/strace-$1.txt main
	rm -f "$T/archived.ready"
	strace -f -qq -e trace=fsync,fdatasync -o "$st" \
		"$BUILD/callrec-archived" -v --config "$PKI/archived.yaml" \
		--ready-file "$T/archived.ready" 2>"$log" &
	local spid=$!
	_pids+=("$spid")
	wait_file "$T/archived.ready" 20 || { not_ok "archive starts under strace"; return 1; }
	start_upgen p$1 --calls "$1" --chunks 20 --chunk-ms 250 --timeout 40 --together
	wait_upgen p$1 40
	[ "$UPGEN_RC" = 0 ] || not_ok "upgen with $1 streams"
	# Stop the daemon itself; strace then exits (a signal to strace would leave it running).
	kill -TERM "$(pgrep -P "$spid" -x callrec-archive)" 2>/dev/null || kill -TERM "$spid"
	wait_pid "$spid" 10 >/dev/null
	# The event loop is the process's first thread: strace names it by the daemon's pid.
	main=$(grep -v -- '--- \|+++ ' "$st" | awk '{print $1}' | sort -n | head -1)
	COMMITS=$(grep -c 'commit: .* [1-9][0-9]* chunks' "$log")
	CHUNKS_PER_COMMIT=$(awk '/commit: / {for (i = 1; i < NF; i++) if ($(i + 1) ~ /^chunks/) {s += $i; n++}}
		END {printf "%.1f", n ? s / n : 0}' "$log")
	# Every commit syncs SQLite's WAL, those with chunks the segment too.
	SYNCS_PER_COMMIT=$(awk -v m="$main" -v c="$(grep -c 'commit: ' "$log")" '$1 == m && /sync\(/ {n++}
		END {printf "%.2f", c ? n / c : 99}' "$st")
	note "$1 streams: $COMMITS commits with chunks, $CHUNKS_PER_COMMIT chunks per commit," \
		"$SYNCS_PER_COMMIT syncs per commit (event-loop thread)"
}
phase 10
C10=$CHUNKS_PER_COMMIT S10=$SYNCS_PER_COMMIT
phase 100
C100=$CHUNKS_PER_COMMIT S100=$SYNCS_PER_COMMIT
check "100 streams: several chunks share each commit (>= 3 on average)" \
	awk "BEGIN{exit !($C100 >= 3)}"
check "100 streams: more chunks per commit than 10 streams" awk "BEGIN{exit !($C100 > $C10)}"
# About 2 per commit, plus fixed costs (a new segment's directory sync, SQLite checkpoints)
# that weigh more in a run with few commits.
check "10 streams: at most 3 syncs per commit" awk "BEGIN{exit !($S10 <= 3)}"
check "100 streams: at most 3 syncs per commit" awk "BEGIN{exit !($S100 <= 3)}"
check "syncs per commit do not grow from 10 to 100 streams" \
	awk "BEGIN{exit !($S100 <= $S10 + 0.3)}"
check "every frame was acknowledged in both phases" \
	test "$(get_upgen_field p10 acked)" = 220 -a "$(get_upgen_field p100 acked)" = 2200
