#!/bin/bash
# Replays every fuzz target's corpus (tests/fuzz/corpus/NAME) under ASan/UBSan: the parsers
# must survive each stored input. The targets are built with clang by `make fuzz-build` (make
# check does); long fuzzing runs are `make fuzz FUZZ_SECONDS=600`.
. "$(dirname "$0")/../lib.sh"
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
[ "$n" -gt 0 ] || note "no fuzz target in $BUILD/fuzz: make fuzz-build"
check "at least two fuzz targets exist" test "$n" -ge 2
# The parsers of untrusted input, each of which must have a fuzz target.
for name in policy frame manifest config s3xml; do
	check "fuzz target $name exists" test -x "$BUILD/fuzz/fuzz_$name"
done
