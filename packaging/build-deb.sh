#!/bin/bash
# Builds the Debian binary packages into OUT (default build/deb/): copies the source tree
# (without build directories) to a temporary directory, places packaging/debian at ./debian
# there, runs dpkg-buildpackage -b, and checks the result with lintian (errors fail the build;
# warnings are printed).
#   packaging/build-deb.sh [OUT]
#   CALLREC_DEB_FROM=HEAD packaging/build-deb.sh [OUT]   (a commit, plus working packaging/, conf/)
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(realpath -m "${1:-$TOP/build/deb}")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/callrec-deb.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$WORK/callrec" "$OUT"
if [ -n "${CALLREC_DEB_FROM:-}" ]; then
	# A committed tree (e.g. HEAD) with the working tree's packaging/ and conf/ on top: builds
	# the packaging while other parts of the working tree are mid-edit.
	git -C "$TOP" archive --format=tar "$CALLREC_DEB_FROM" | tar -C "$WORK/callrec" -xf -
	tar -C "$TOP" -cf - packaging conf docs/man | tar -C "$WORK/callrec" -xf -
else
	# The working tree: everything but build output, VCS data and editor droppings.
	tar -C "$TOP" --exclude='./build*' --exclude=./.git --exclude='*.o' --exclude='*~' -cf - . |
		tar -C "$WORK/callrec" -xf -
fi
cp -a "$TOP/packaging/debian" "$WORK/callrec/debian"
(cd "$WORK/callrec" && dpkg-buildpackage -us -uc -b) >"$OUT/build.log" 2>&1 || {
	tail -40 "$OUT/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed; log: $OUT/build.log" >&2
	exit 1
}
rm -f "$OUT"/*.deb "$OUT"/*.changes "$OUT"/*.buildinfo
mv "$WORK"/*.deb "$WORK"/*.changes "$WORK"/*.buildinfo "$OUT/"
ls -1 "$OUT"/*.deb
# lintian exits non-zero on errors; --fail-on error makes warnings informational only.
lintian --fail-on error --info "$OUT"/*.changes | tee "$OUT/lintian.log"
echo "build-deb: packages in $OUT (lintian: $(grep -c '^E:' "$OUT/lintian.log") errors, $(grep -c '^W:' "$OUT/lintian.log") warnings)"
