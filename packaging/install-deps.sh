#!/bin/sh
# Install the Debian packages listed in $1 that are not installed yet. Does nothing (and needs
# no network or root) when all are present.
set -eu
list=${1:-packaging/debian-packages.txt}
missing=
for p in $(grep -v '^[[:space:]]*#' "$list"); do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: these packages are missing and installing them needs root:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
