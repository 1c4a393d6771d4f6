#!/bin/bash
# Runs every test and ends with "N passed, N failed".
#  - $BUILD/tests/test_*       cmocka unit tests (TAP output: "ok N - name" / "not ok N - name")
#  - tests/integration/*.sh    scripts that print "ok - name" / "not ok - name" per check, a plan
#                              line "1..N" at the end, and exit non-zero when a check failed
# A program that exits non-zero without reporting a failure counts as one failure.
#   tests/run.sh [--unit | --integration]   only that kind (default: both)
#   TESTS="pattern ..."                     only the tests whose file name contains a pattern
#   BUILD=DIR                               programs from DIR (default build; make asan: build-asan)
set -u
cd "$(dirname "$0")/.."
kinds="unit integration"
case ${1:-} in
--unit) kinds=unit ;;
--integration) kinds=integration ;;
"") ;;
*) echo "usage: tests/run.sh [--unit | --integration]" >&2; exit 2 ;;
esac
pass=0 fail=0
failed_names=()
B=${BUILD:-build}
logdir=$B/test-logs
mkdir -p "$logdir"

# wanted NAME: the test is selected by $TESTS (or TESTS is unset).
wanted() {
	local p
	[ -z "${TESTS:-}" ] && return 0
	for p in $TESTS; do [[ $1 == *"$p"* ]] && return 0; done
	return 1
}

run_one() {
	local name=$1; shift
	local log="$logdir/$name.log"
	local start=$SECONDS
	"$@" >"$log" 2>&1
	local rc=$?
	local p f
	p=$(grep -cE '^ok [0-9]* ?-? ?' "$log")
	f=$(grep -cE '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited with status $rc" >>"$log"
	fi
	pass=$((pass + p)); fail=$((fail + f))
	if [ "$f" -gt 0 ]; then
		failed_names+=("$name")
		printf 'FAIL %-40s %3d ok, %d failed (%ds) log: %s\n' "$name" "$p" "$f" $((SECONDS - start)) "$log"
		grep -E '^not ok |^#' "$log" | head -20 | sed 's/^/    /'
	else
		printf 'pass %-40s %3d ok (%ds)\n' "$name" "$p" $((SECONDS - start))
	fi
}

export CMOCKA_MESSAGE_OUTPUT=TAP
if [[ " $kinds " == *" unit "* ]]; then
	for t in "$B"/tests/test_*; do
		[ -x "$t" ] || continue
		n=$(basename "$t")
		wanted "$n" || continue
		run_one "$n" "$t"
	done
fi
if [[ " $kinds " == *" integration "* ]]; then
	for t in tests/integration/*.sh; do
		[ -e "$t" ] || continue
		n=$(basename "$t" .sh)
		wanted "$n" || continue
		run_one "$n" bash "$t"
	done
fi
[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
