# Replays every fuzz target's corpus (tests/fuzz/corpus/NAME) under ASan/UBSan: the parsers
# must survive each stored input. Long fuzzing runs are `make fuzz FUZZ_SECONDS=600`.
source "$(dirname "$0")/../lib.sh"
n=0
for f in "$BUILD"/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f"); name=${name#fuzz_}
	files=("$TOP/tests/fuzz/corpus/$name"/*)
	n=$((n + 1))
	if "$f" "${files[@]}" >"$T/$name.log" 2>&1; then
		ok "fuzz corpus $name replays cleanly (${#files[@]} inputs)"
	else
		not_ok "fuzz corpus $name: $(grep -m1 -E 'ERROR|runtime error' "$T/$name.log")"
	fi
done
check "at least two fuzz targets exist" test "$n" -ge 2
# SPEC 8 names the parsers that must be fuzzed.
for name in policy frame manifest config; do
	check "fuzz target $name exists" test -x "$BUILD/fuzz/fuzz_$name"
done
