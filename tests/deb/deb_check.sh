#!/bin/bash
# The Debian packages, installed: builds them (packaging/build-deb.sh), installs them on THIS
# machine with dpkg -i (a throwaway CI machine, as root), checks what they put where, starts the
# installed archive and agent as their systemd units would (own users, the agent with only
# CAP_SYS_PTRACE; systemd is not PID 1 here), records a call through the installed plugin with
# the installed ALSA configuration, then purges the packages and checks nothing is left.
#   tests/deb/deb_check.sh              build, then test
#   DEBS=DIR tests/deb/deb_check.sh     test the packages already in DIR
# Needs `make test-build` (duplex, wavxcorr and the rawfile test-double slave come from $BUILD).
# Takes about a minute plus the package build; not part of `make check` (`make deb-check`).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/call.bash"
PKGS="callrec-alsa-plugin callrec-agent callrec-announcements callrec-archive callrec-tools"
ALSA_LIBDIR=$(pkg-config --variable=libdir alsa)/alsa-lib

[ "$(id -u)" = 0 ] || { not_ok "deb_check runs as root (it installs packages)"; exit 1; }
for p in $PKGS; do
	if dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q installed; then
		not_ok "$p is already installed: purge it first (this test installs and purges)"
		exit 1
	fi
done
for f in "$BUILD/tests/duplex" "$BUILD/tests/wavxcorr" "$BUILD/tests/libasound_module_pcm_rawfile.so"; do
	[ -e "$f" ] || { not_ok "missing $f (run make test-build)"; exit 1; }
done

# --- build ---------------------------------------------------------------------------------------
if [ -z "${DEBS:-}" ]; then
	DEBS=$T/deb
	check "packages build (dpkg-buildpackage) with no lintian errors" \
		"$TOP/packaging/build-deb.sh" "$DEBS" || { tail -30 "$DEBS/build.log"; exit 1; }
fi
debs=()
for p in $PKGS; do debs+=("$(ls "$DEBS/${p}_"*.deb 2>/dev/null | head -1)"); done
has_all_debs() { local d; for d in "${debs[@]}"; do [ -f "$d" ] || return 1; done; }
check "the five binary packages exist" has_all_debs || exit 1

# From here on, whatever happens, the machine is left without the packages and their users.
installed=0
deb_cleanup() {
	[ -n "${AGENT_PID:-}" ] && stop_pid "$AGENT_PID"
	[ -n "${ARCHIVED_PID:-}" ] && stop_pid "$ARCHIVED_PID"
	if [ "$installed" = 1 ]; then
		rm -rf /etc/callrec /var/lib/callrec/archive/* 2>/dev/null
		dpkg --purge $PKGS >/dev/null 2>&1
	fi
	rm -rf /var/lib/callrec /var/spool/callrec /run/callrec /etc/callrec 2>/dev/null
	userdel callrec 2>/dev/null
	userdel callrec-archive 2>/dev/null
}
at_exit deb_cleanup

# --- install -------------------------------------------------------------------------------------
installed=1
# run_logged LOG COMMAND...: runs the command with its output in LOG (so check's own line stays
# visible).
run_logged() { local log=$1; shift; "$@" >"$log" 2>&1; }
check "dpkg -i installs the five packages" run_logged "$T/dpkg-install.log" dpkg -i "${debs[@]}" ||
	{ cat "$T/dpkg-install.log"; exit 1; }
dpkg -L $PKGS | sort -u >"$T/dpkg-L.txt"
note "$(wc -l <"$T/dpkg-L.txt") paths owned by the packages"

get_owner_mode() { stat -c '%U:%G %a' "$1" 2>/dev/null; }
check "user callrec exists (sysusers)" run_logged /dev/null id callrec
check "user callrec-archive exists (sysusers)" run_logged /dev/null id callrec-archive
check "the plugin is in alsa-lib's plugin directory ($ALSA_LIBDIR)" \
	test -f "$ALSA_LIBDIR/libasound_module_pcm_callrec.so"
check "/etc/alsa/conf.d/50-callrec.conf links to the snippet" \
	test "$(readlink /etc/alsa/conf.d/50-callrec.conf)" = /usr/share/alsa/alsa.conf.d/50-callrec.conf
check "/run/callrec is callrec's, world-searchable (tmpfiles)" test "$(get_owner_mode /run/callrec)" = "callrec:callrec 755"
check "/var/spool/callrec is callrec's alone (tmpfiles)" test "$(get_owner_mode /var/spool/callrec)" = "callrec:callrec 700"
check "/var/lib/callrec/archive is callrec-archive's alone (tmpfiles)" \
	test "$(get_owner_mode /var/lib/callrec/archive)" = "callrec-archive:callrec-archive 700"
check "man pages installed" test -f /usr/share/man/man8/callrec-agent.8.gz -a -f /usr/share/man/man1/callrec.1.gz
check "no configuration of the services is installed (they wait for IT's files)" \
	test -z "$(ls -A /etc/callrec 2>/dev/null)"

for u in callrec-agent callrec-archived; do
	unit=/lib/systemd/system/$u.service
	check "$u.service passes systemd-analyze verify" systemd-analyze verify "$unit"
	score=$(systemd-analyze security --offline=true "$unit" 2>/dev/null |
		sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
	note "$u.service: systemd-analyze security exposure ${score:-?}"
	check "$u.service exposure is at most 4.0 (OK)" awk "BEGIN{exit !(\"${score}\" != \"\" && ${score:-99} <= 4.0)}"
done

# --- configure as IT would (docs/fleet.md) --------------------------------------------------------
PKI=$T/pki
PORT=$(find_free_port)
check "pki init with the installed callrec-archive" \
	callrec-archive pki init "$PKI" --listen "127.0.0.1:$PORT" >/dev/null
callrec-archive pki device desk1 --dir "$PKI" >/dev/null &&
	callrec-archive pki operator counsel --role legal --dir "$PKI" >/dev/null || { not_ok "pki device/operator"; exit 1; }
# The generated configs with their files moved to /etc/callrec (whatever keys they hold): every
# PKI path in them becomes a path under /etc/callrec/archive (archive host) or /etc/callrec
# (desktop); the archive's data goes to the packaged /var/lib/callrec/archive.
install -d -m 0755 /etc/callrec
install -d -m 0750 -o root -g callrec-archive /etc/callrec/archive
for rel in $(sed -n "s|^ *[a-z_]*: $PKI/||p" "$PKI/archived.yaml"); do
	[ -f "$PKI/$rel" ] && install -D -m 0640 -g callrec-archive "$PKI/$rel" "/etc/callrec/archive/$rel"
done
sed -e "s|^data: .*|data: /var/lib/callrec/archive|" -e "s|$PKI/|/etc/callrec/archive/|" \
	"$PKI/archived.yaml" >/etc/callrec/archived.yaml
DEV=$PKI/devices/desk1
for rel in $(sed -n -e "s|^ *[a-z_]*: $DEV/||p" -e "s|^ *[a-z_]*: $PKI/||p" "$DEV/agent.yaml"); do
	src=$DEV/$rel
	[ -f "$src" ] || src=$PKI/$rel
	case "$rel" in
	*.key) install -D -m 0640 -g callrec "$src" "/etc/callrec/$rel" ;;
	*) install -D -m 0644 "$src" "/etc/callrec/$rel" ;;
	esac
done
sed -e "s|$DEV/|/etc/callrec/|" -e "s|$PKI/|/etc/callrec/|" "$DEV/agent.yaml" >/etc/callrec/agent.yaml
# The fleet policy: the softphone (here duplex) is recorded for proof of agreements.
write_policy /etc/callrec/policy.yaml
check "the installed callrec validates the policy" run_logged "$T/policy-check.txt" callrec policy check /etc/callrec/policy.yaml ||
	{ cat "$T/policy-check.txt"; exit 1; }
echo "policy: /etc/callrec/policy.yaml" >>/etc/callrec/agent.yaml
sed 's/^/# agent.yaml: /' /etc/callrec/agent.yaml
check "the device key is not readable by other users" test "$(get_owner_mode /etc/callrec/device.key)" = "root:callrec 640"

# Reinstalling (the upgrade path: same maintainer scripts) must leave IT's files alone.
print_sums() { sha256sum /etc/callrec/*.yaml /etc/callrec/archive/*; stat -c '%n %U:%G %a' /etc/callrec/*; }
print_sums >"$T/sums.before"
check "dpkg -i again (upgrade path) succeeds" run_logged "$T/dpkg-reinstall.log" dpkg -i "${debs[@]}"
print_sums >"$T/sums.after"
check "reinstalling changed none of IT's configuration files" cmp -s "$T/sums.before" "$T/sums.after"

# --- start the installed daemons as their units do ------------------------------------------------
# The ready files go to a directory the service users can write.
install -d -m 0777 "$T/ready"
chmod 0755 "$T"
setpriv --reuid=callrec-archive --regid=callrec-archive --init-groups \
	/usr/sbin/callrec-archived --config /etc/callrec/archived.yaml --ready-file "$T/ready/archived" \
	2>>"$T/archived.log" &
ARCHIVED_PID=$!
check "the installed archive starts as callrec-archive" wait_file "$T/ready/archived" 10 ||
	{ cat "$T/archived.log"; exit 1; }
# The agent unit: User=callrec, AmbientCapabilities=CAP_SYS_PTRACE and nothing else. It must
# name the program behind a root process's stream, which needs exactly that capability.
unset XDG_RUNTIME_DIR
setpriv --reuid=callrec --regid=callrec --init-groups --inh-caps=-all,+sys_ptrace \
	--ambient-caps=-all,+sys_ptrace --bounding-set=-all,+sys_ptrace \
	/usr/sbin/callrec-agent --config /etc/callrec/agent.yaml --ready-file "$T/ready/agent" \
	2>>"$T/agent.log" &
AGENT_PID=$!
check "the installed agent starts as callrec" wait_file "$T/ready/agent" 10 || { cat "$T/agent.log"; exit 1; }
check "the agent listens on /run/callrec/agent.sock" test "$(cat "$T/ready/agent")" = /run/callrec/agent.sock
check "the agent runs as callrec" test "$(stat -c %U /proc/$AGENT_PID)" = callrec
check "callrec status talks to the installed agent" run_logged "$T/status.txt" callrec status
sed 's/^/# status: /' "$T/status.txt"

# --- a call through the installed plugin and configuration ------------------------------------------
require "signals" make_call_signals 4
# The installed pcm.!default example, as a user's ~/.asoundrc (HOME=$T; /etc/asound.conf is
# not touched because other tests may run on this machine at the same time), with its slave
# pointed at the test doubles. ALSA's stock configuration path: /etc/alsa/conf.d (with the
# installed snippet and PipeWire's own pcm.!default) first, then ~/.asoundrc, which wins. The
# `callrec` type resolves to the installed plugin (no pcm_type.callrec anywhere).
unset ALSA_CONFIG_PATH
export HOME=$T
fill_fixture deb-asoundrc.in "$T/.asoundrc" || exit 1
sed 's/slave.pcm "pipewire"/slave.pcm "deb_headset"/' \
	/usr/share/doc/callrec-alsa-plugin/examples/asound-callrec.conf >>"$T/.asoundrc"
check "the example routes the default device through callrec" grep -q 'deb_headset' "$T/.asoundrc"
check "duplex call on the default device" "$BUILD/tests/duplex" --capture default --playback default \
	--play "$T/b.wav" --record "$T/captured.wav" --rate 48000 --channels 2 --format S16_LE
# The alsa.conf.d snippet from /etc/alsa/conf.d: `callrec:SLAVE=...` (pass-through check only).
check "the installed snippet defines callrec:SLAVE=..." \
	aplay -q -D "callrec:SLAVE=deb_out" "$T/b.wav"

# run_installed_cli ARGS...: the installed callrec-archive as operator counsel.
run_installed_cli() { callrec-archive --config "$PKI/operators/counsel/archive.yaml" "$@"; }
find_duplex_call() {
	run_installed_cli list --json 2>>"$T/cli.log" | "$PY" -c '
import json, sys
for line in sys.stdin:
    if line.strip():
        c = json.loads(line)
        if c.get("state") == "complete" and c.get("application") == "duplex":
            print(c["id"], c.get("purpose")); break'
}
ID='' PURPOSE=''
for _ in $(seq 1 80); do read -r ID PURPOSE < <(find_duplex_call); [ -n "$ID" ] && break; sleep 0.25; done
check "the installed archive has the call, application duplex (named via CAP_SYS_PTRACE)" test -n "$ID"
check "the call was recorded under the installed policy (purpose contract)" test "$PURPOSE" = contract
if [ -n "$ID" ]; then
	check "export the call" run_logged "$T/export.log" run_installed_cli export --call "$ID" --out "$T/export"
	check "channel 1 is what the user said" run_logged "$T/xcorr1.txt" "$BUILD/tests/wavxcorr" "$T/export/$ID.wav" 1 "$T/a.wav" 0 --min 0.99
	check "channel 2 is what the user heard" run_logged "$T/xcorr2.txt" "$BUILD/tests/wavxcorr" "$T/export/$ID.wav" 2 "$T/b.wav" 0 --min 0.99
fi
kill -HUP "$AGENT_PID"
check "callrec status answers after SIGHUP (reload)" run_logged /dev/null callrec status
check "the agent survives SIGHUP" kill -0 "$AGENT_PID"
is_system_spool_empty() { [ -z "$(find /var/spool/callrec -type f 2>/dev/null)" ]; }
wait_for is_system_spool_empty
check "the agent's spool is empty" is_system_spool_empty
stop_pid "$AGENT_PID"; AGENT_PID=
stop_pid "$ARCHIVED_PID"; ARCHIVED_PID=

# --- purge -------------------------------------------------------------------------------------------
# IT's own files in /etc/callrec are not the packages'; the admin removes them.
rm -rf /etc/callrec
check "dpkg --purge removes the five packages" run_logged "$T/dpkg-purge.log" dpkg --purge $PKGS
installed=0
sed 's/^/# purge: /' "$T/dpkg-purge.log" | grep -i 'kept\|warning'
left=$(while read -r f; do
	[ -e "$f" ] || [ -L "$f" ] || continue
	[ -d "$f" ] && continue # shared directories (/usr/share/doc, /lib -> usr/lib ...) stay
	echo "$f"
done <"$T/dpkg-L.txt")
check "every file the packages installed is gone" test -z "$left"
[ -n "$left" ] && note "left: $left"
check "no callrec directory under /usr/share/doc, /usr/share/callrec" \
	test ! -e /usr/share/callrec -a -z "$(ls -d /usr/share/doc/callrec-* 2>/dev/null)"
check "the /etc/alsa/conf.d link is gone" test ! -e /etc/alsa/conf.d/50-callrec.conf -a ! -L /etc/alsa/conf.d/50-callrec.conf
check "/run/callrec, /var/spool/callrec and /etc/callrec are gone" \
	test ! -e /run/callrec -a ! -e /var/spool/callrec -a ! -e /etc/callrec
check "no unit files left" test ! -e /lib/systemd/system/callrec-agent.service -a ! -e /lib/systemd/system/callrec-archived.service
# Recordings are evidence: purge keeps a non-empty archive and says so (packaging/debian/*.postrm).
check "purge kept the archive's recordings and said so" \
	test -n "$(ls -A /var/lib/callrec/archive 2>/dev/null)" -a -n "$(grep -i 'kept' "$T/dpkg-purge.log")"
rm -rf /var/lib/callrec
# System users stay after purge (Debian practice: no uid reuse over files they may own); this
# throwaway machine removes them here.
check "the service users remain after purge, as documented" run_logged /dev/null id callrec
userdel callrec-archive 2>/dev/null; userdel callrec 2>/dev/null
check "users removed by the test" test -z "$(getent passwd callrec callrec-archive)"
