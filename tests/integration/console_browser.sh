#!/bin/bash
# `callrec-archive console` in a real browser. A call is recorded as a desk would record it
# (duplex through the plugin, the agent applying a policy that announces the recording, the
# user tagging the remote number and pausing once); then consoles run as operators legal1
# (role legal), trainer1 (trainer) and dpo1 (dpo), and Debian's headless Chromium, driven over
# the DevTools protocol (tests/browser/), searches, listens, checks, holds, exports and is
# refused. Outside the browser: no session, a wrong token, a non-loopback address and the
# security headers; the downloaded export verifies offline; strace shows the console wrote no
# file but its --url-file. Screenshots go to $T/shots, or to CONSOLE_SCREENSHOTS=DIR (how
# docs/console/ was made).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/call.bash"

# Away from UTC, so that time zones are really exercised (the browser shows this one).
export TZ=Europe/Amsterdam
SHOTS=${CONSOLE_SCREENSHOTS:-$T/shots}
mkdir -p "$SHOTS" "$T/downloads"

require "signals" make_call_signals 15
require "pki setup" setup_pki
for op in legal1:legal trainer1:trainer dpo1:dpo; do
	require "operator $op" add_operator "${op%:*}" "${op#*:}"
done
require "archive starts" start_archive
POL=$T/policy.yaml
write_policy "$POL" DISCLOSURE='mode: announce, announcement: en-contract.wav, also_local: false'
require "agent starts" start_call_agent "$POL"

# --- the call: the announcement (about 10.6 s), then a pause of 1.5 s -----------------------------
run_call "$T/cap.wav" & DUP=$!
require "the call starts" wait_for has_active_call
check "the user tags the remote number" run_callrec tag remote=+31201234567 >/dev/null
run_callrec tag ticket=4711 >/dev/null
sleep 11.5
check "the user pauses and resumes" bash -c "'$BUILD/callrec' --socket '$SOCK' pause >/dev/null &&
	sleep 1.5 && '$BUILD/callrec' --socket '$SOCK' resume >/dev/null"
wait $DUP
check "the call ran" test $? -eq 0
OPERATOR=legal1 require_complete_call "the call is archived" duplex 30

# --- consoles -------------------------------------------------------------------------------------
# start_console NAME [WRAPPER...]: a console as that operator; sets URL (its sign-in address)
# and CPID.
start_console() {
	local who=$1
	shift
	rm -f "$T/$who.url"
	"$@" "$BUILD/callrec-archive" --config "$PKI/operators/$who/archive.yaml" console \
		--url-file "$T/$who.url" >"$T/$who.console.out" 2>>"$T/$who.console.log" &
	CPID=$!
	_pids+=("$CPID")
	wait_file "$T/$who.url" 10 && URL=$(cat "$T/$who.url") || return 1
	# Under a wrapper (strace), the console is its child: stop it too at the end.
	[ $# -eq 0 ] || { CPID=$(pgrep -P "$CPID") && _pids+=("$CPID"); }
}
# legal1's console runs under strace, which records every file it opens or creates.
require "console starts" start_console legal1 strace -f -qq -o "$T/console.strace" \
	-e trace=open,openat,creat,rename,renameat,renameat2,link,linkat,mknodat
LEGAL_URL=$URL LEGAL_PID=$CPID
require "trainer's console starts" start_console trainer1
TRAINER_URL=$URL
require "DPO's console starts" start_console dpo1
DPO_URL=$URL
BASE=${LEGAL_URL%%/login*}
note "console $BASE"
check "the console names the operator" grep -q "operator legal1 at the archive" "$T/legal1.console.out"
check "and prints the sign-in address" grep -qF "$LEGAL_URL" "$T/legal1.console.out"

headers=$(curl -s -D - -o /dev/null "$BASE/")
check "a page without the session is refused (401)" test "$(sed -n '1s/^HTTP\/1.1 \([0-9]*\).*/\1/p' <<<"$headers")" = 401
for h in "Content-Security-Policy: default-src 'self'; script-src 'self'" "X-Frame-Options: DENY" \
	"X-Content-Type-Options: nosniff" "Cache-Control: no-store"; do
	check "header $h" grep -qiF "$h" <<<"$headers"
done
check "a wrong token is refused (403)" test "$(curl -s -o /dev/null -w '%{http_code}' \
	"$BASE/login?token=$(printf '0%.0s' $(seq 64))")" = 403
run_archive_as legal1 console --listen 0.0.0.0:0 >/dev/null 2>"$T/remote.err"
check "a non-loopback address is refused (exit 2)" test $? -eq 2
check "and the refusal says how to reach it instead" grep -q "ssh -L" "$T/remote.err"

# --- the browser ----------------------------------------------------------------------------------
export CLI=$BUILD/callrec-archive LEGAL_CONFIG=$PKI/operators/legal1/archive.yaml
export LEGAL_URL TRAINER_URL DPO_URL CALL=$ID SHOTS DOWNLOADS=$T/downloads BROWSER_LOG=$T/chromium.log
export BROWSER_DONE=$T/browser.done
relay_checks timeout 240 "$PY" "$TOP/tests/browser/console_check.py" 2>"$T/browser.err"
check "the browser session ran to its end" test -e "$BROWSER_DONE" || sed 's/^/# /' "$T/browser.err" | tail -20

# --- the export the browser downloaded -------------------------------------------------------------
mkdir -p "$T/unpacked"
check "the downloaded export is a tar archive" tar -xf "$T/downloads/subject.tar" -C "$T/unpacked"
DIR=$(find "$T/unpacked" -mindepth 1 -maxdepth 1 -type d | head -1)
for f in README summary.json checkpoint.json signing.pub "$ID.wav" "$ID.manifest.json" "$ID.proof.json"; do
	check "the export holds $f" test -s "$DIR/$f"
done
check "callrec-archive verify accepts the downloaded export" run_archive_as legal1 verify "$DIR"
check "the audio is the call's (its manifest's SHA-256)" grep -q "$(sha256sum "$DIR/$ID.wav" | cut -c1-64)" \
	"$DIR/$ID.manifest.json"

for s in search call subject; do
	check "screenshot of the $s page" test -s "$SHOTS/console-$s.png"
done
check "the console is still running" kill -0 "$LEGAL_PID"
# Files the console opened for writing: only its --url-file (written atomically: a temporary
# file renamed over it). Recordings, exports and the tar it streamed stayed in memory.
written=$(grep -E 'O_WRONLY|O_RDWR|O_CREAT|creat\(|rename|link|mknod' "$T/console.strace" |
	grep -vE 'ENOENT|legal1\.url' | grep -v '/dev/null')
check "the console wrote no file but its --url-file (strace)" test -z "$written"
[ -z "$written" ] || sed 's/^/# /' <<<"$written" | head
check "strace saw the console at work" grep -q 'openat' "$T/console.strace"
