#!/bin/bash
# `make bench`: runs every benchmark in bench/ and prints one table of the SPEC 7 figures,
# each against its baseline measured in the same run. Benchmarks print lines
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
