#!/bin/bash
# `callrec policy check`: each broken policy in tests/policy/bad fails with exit status 1 and
# prints the FILE:LINE:COL: message its first line announces; the shipped examples pass.
. "$(dirname "$0")/../lib.sh"
for f in "$TOP"/tests/policy/bad/*.yaml; do
	want=$(sed -n '1s/^# expect: //p' "$f")
	out=$("$BUILD/callrec" policy check --announcements "$BUILD/announcements" "$f" 2>&1)
	rc=$?
	name=$(basename "$f" .yaml)
	if [ $rc -eq 1 ] && grep -qF "$f:${want%%: *}: " <<<"$out" && grep -qF "${want#*: }" <<<"$out"; then
		ok "policy check $name: $want"
	else
		not_ok "policy check $name: wanted exit 1 and '$want', got exit $rc: $out"
	fi
done
for f in "$TOP"/conf/policy-*.yaml; do
	check "example $(basename "$f") is valid" "$BUILD/callrec" policy check --quiet --announcements "$BUILD/announcements" "$f"
done
out=$("$BUILD/callrec" policy check /nonexistent/policy.yaml 2>&1)
check "an unreadable policy is reported with its name" test $? -eq 1 -a -n "$(grep -F '/nonexistent/policy.yaml: cannot read' <<<"$out")"
