#!/bin/bash
# `make bench`: runs every benchmark in bench/ and prints one table of the performance
# figures (docs/performance.md), each against its baseline measured in the same run.
# Benchmarks print lines
#   "<group> <name> <variant> <value>"
# which this script turns into ratios and verdicts. Nothing here is asserted by make check.
set -u
cd "$(dirname "$0")/.."
out=${BUILD:-build}/bench
mkdir -p "$out"
raw=$out/results.txt
: >"$raw"
for b in bench/*_cost.sh bench/*_load.sh; do
	[ -e "$b" ] || continue
	echo "running $b ..." >&2
	bash "$b" >>"$raw" 2>"$out/$(basename "$b" .sh).log" || echo "# $b failed (see $out)" >&2
done

val() { awk -v g="$1" -v n="$2" -v v="$3" '$1==g && $2==n && $3==v {print $4}' "$raw"; }
row() { # figure baseline_desc value baseline target_ratio_max unit
	local fig=$1 base=$2 v=$3 b=$4 max=$5
	if [ -z "$v" ] || [ -z "$b" ] || [ "$b" = 0 ]; then
		printf '| %-44s | %-22s | %12s | %12s | %7s | %-8s | %s |\n' "$fig" "$base" "${v:-n/a}" "${b:-n/a}" "-" "<= $max" "NOT MEASURED"
		return
	fi
	local ratio verdict
	ratio=$(awk -v a="$v" -v b="$b" 'BEGIN{printf "%.3f", a/b}')
	verdict=$(awk -v r="$ratio" -v m="$max" 'BEGIN{print (r <= m) ? "met" : "MISSED"}')
	printf '| %-44s | %-22s | %12s | %12s | %7s | %-8s | %s |\n' "$fig" "$base" "$v" "$b" "${ratio}x" "<= ${max}x" "$verdict"
}

printf '| %-44s | %-22s | %12s | %12s | %7s | %-8s | %s |\n' figure baseline value baseline ratio target verdict
printf '|%s|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..46})" "$(printf -- '-%.0s' {1..24})" "$(printf -- '-%.0s' {1..14})" "$(printf -- '-%.0s' {1..14})" "$(printf -- '-%.0s' {1..9})" "$(printf -- '-%.0s' {1..10})" "---------"
for a in rw mmap; do
	row "plugin, recorded stream, instr/s ($a)" "copy plugin ($a)" "$(val plugin recorded $a)" "$(val plugin copy $a)" 1.0
	row "plugin, unrecorded application, instr/s ($a)" "slave alone ($a)" "$(val plugin unrecorded $a)" "$(val plugin slave $a)" 1.02
done
row "agent CPU per recorded call (% of one core)" "real time (100%)" "$(val agent cpu_per_call percent)" "$(val agent realtime_baseline percent)" 0.005
row "agent CPU per call, playback clock +0.1%" "real time (100%)" "$(val agent cpu_per_call drift)" "$(val agent realtime_baseline percent)" 0.005

# --- archive (bench/archive_load.sh, bench/tls_load.sh) ---------------------------------------
# row_abs FIGURE BASELINE_DESC VALUE BASELINE OP LIMIT: the target is an absolute bound (OP ge:
# at least LIMIT; lt: under LIMIT; info: no target), the baseline only gives the ratio.
row_abs() {
	local fig=$1 base=$2 v=$3 b=$4 op=$5 lim=$6 ratio=- verdict target
	case $op in ge) target=">= $lim" ;; lt) target="< $lim" ;; *) target="-" ;; esac
	if [ -n "$v" ] && [ -n "$b" ] && [ "$b" != 0 ]; then
		ratio=$(awk -v a="$v" -v b="$b" 'BEGIN{printf "%.3fx", a/b}')
	fi
	if [ -z "$v" ]; then
		verdict="NOT MEASURED"
	elif [ "$op" = info ]; then
		verdict="(for reference)"
	else
		verdict=$(awk -v a="$v" -v l="$lim" -v op="$op" \
			'BEGIN{ok = op == "ge" ? a >= l : a < l; print ok ? "met" : "MISSED"}')
	fi
	printf '| %-44s | %-22s | %12s | %12s | %7s | %-8s | %s |\n' "$fig" "$base" "${v:-n/a}" "${b:--}" "$ratio" "$target" "$verdict"
}
# row_min FIGURE BASELINE_DESC VALUE BASELINE MIN_RATIO [NOTE]: at least MIN_RATIO times the baseline.
row_min() {
	local fig=$1 base=$2 v=$3 b=$4 min=$5 note=${6:-} ratio verdict
	if [ -z "$v" ] || [ -z "$b" ] || [ "$b" = 0 ]; then
		printf '| %-44s | %-22s | %12s | %12s | %7s | %-8s | %s |\n' "$fig" "$base" "${v:-n/a}" "${b:-n/a}" "-" ">= ${min}x" "NOT MEASURED"
		return
	fi
	ratio=$(awk -v a="$v" -v b="$b" 'BEGIN{printf "%.3f", a/b}')
	verdict=$(awk -v r="$ratio" -v m="$min" 'BEGIN{print (r >= m) ? "met" : "MISSED"}')
	printf '| %-44s | %-22s | %12s | %12s | %7s | %-8s | %s%s |\n' "$fig" "$base" "$v" "$b" "${ratio}x" ">= ${min}x" "$verdict" "$note"
}
streams=$(val archive streams callrec)
row_abs "archive, zero-loss real-time streams" "commercial, $(nproc) cores" "$streams" "$(val archive streams commercial)" ge 4000
row_abs "archive, zero-loss real-time streams" "disk write rate" "$streams" "$(val archive streams disk_bound)" info 0
row_abs "archive, ack p99 at that load, ms" "-" "$(val archive ack_p99_ms callrec)" "" lt 250
row_abs "archive, memory per connected stream, KiB" "-" "$(val archive mem_per_stream_kib callrec)" "" lt 64
row_abs "archive, CPU per stream, % of one core" "-" "$(val archive cpu_per_stream_percent callrec)" "" info 0
row_min "archive, full TLS handshakes/s" "gnutls-serv, full" "$(val archive handshakes_full callrec)" "$(val archive handshakes_full gnutls_serv)" 1.0
share=$(val archive resumed_share callrec)
row_min "archive, resumed TLS handshakes/s" "gnutls-serv, resumed" "$(val archive handshakes_resumed callrec)" "$(val archive handshakes_resumed gnutls_serv)" 1.0 \
	"$([ "$share" = 0.00 ] && echo ' (no tickets: all were full)')"
first_failed=$(val archive streams first_failed)
[ -n "$first_failed" ] && echo "archive ramp: first step that failed: $first_failed streams (see $out/archive_load.log)"
true
