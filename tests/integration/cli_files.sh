#!/bin/bash
# Files written safely (issue 14): every file callrec-archive writes where an operator said
# (export --out, audit --out, the PKI directory) is created in a directory held open by its
# descriptor, under a random temporary name with O_EXCL|O_NOFOLLOW, and renamed into place
# without following links. A link planted at the old predictable temporary name or at a final
# name is never followed; an output directory another user could write into, or owns, or that
# is a link, is refused; an existing export or audit file is not overwritten without --force.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/archive.bash"

require "pki setup" setup_pki
require "operator dpo1" add_operator dpo1 dpo
require "operator aud1" add_operator aud1 auditor
require "archive starts" start_archive
A=$(upload_call --meta '{"tags":{"remote":"+31"}}') || { not_ok "upload"; exit 1; }
wait_call_state "$A" complete || not_ok "call assembled"

# Files an attacker would like the operator to overwrite.
mkdir -p "$T/victim"
for v in 1 2 3 4 5 6; do echo "precious $v" >"$T/victim/$v"; done
is_untouched() { # is_untouched N...: the victims still hold what they held
	local v
	for v in "$@"; do [ "$(cat "$T/victim/$v")" = "precious $v" ] || return 1; done
}

# --- links planted in the output directory ------------------------------------------------------
O=$T/out && mkdir -m 700 "$O"
ln -s "$T/victim/1" "$O/.README.tmp"          # the temporary names writers used to use
ln -s "$T/victim/2" "$O/.summary.json.tmp"
ln -s "$T/victim/3" "$O/README"               # final names
ln -s "$T/victim/4" "$O/$A.wav"
run_archive_as dpo1 export --call "$A" --out "$O" >/dev/null 2>"$T/exists.txt"
check "an export into a directory that already holds files is refused" test $? -eq 1
check "saying so, and how to go on" grep -q "already holds files.*--force" "$T/exists.txt"
check "no victim was touched" is_untouched 1 2 3 4
run_archive_as dpo1 export --call "$A" --out "$O" --force >/dev/null 2>"$T/force.txt"
check "with --force the export goes ahead" test $? -eq 0
check "no link was followed (the victims are unchanged)" is_untouched 1 2 3 4
check "the links at final names were replaced by the export's own files" \
	bash -c "test -f '$O/README' -a ! -L '$O/README' -a -f '$O/$A.wav' -a ! -L '$O/$A.wav'"
check "the links at the old temporary names are still just links" \
	bash -c "test -L '$O/.README.tmp' -a -L '$O/.summary.json.tmp'"
check "no temporary file is left" bash -c "! ls -A '$O' | grep -v '^\.README\.tmp$\|^\.summary\.json\.tmp$' | grep -q '^\.'"
check "the bundle verifies" "$BUILD/callrec-archive" verify "$O" --key "$PKI/signing.pub" >/dev/null

# --- directories that must be refused ----------------------------------------------------------
for spec in "group-writable 770" "world-writable 777" "sticky world-writable 1777"; do
	name=${spec% *} mode=${spec##* }
	D=$T/$name && mkdir "$D" && chmod "$mode" "$D"
	run_archive_as dpo1 export --call "$A" --out "$D" >/dev/null 2>"$T/refused.txt"
	check "a $name output directory is refused" test $? -eq 1
	check "with a clear message ($name)" grep -q "writable by group or others" "$T/refused.txt"
	check "and nothing written into it ($name)" test -z "$(ls -A "$D")"
done
D=$T/theirs && mkdir -m 700 "$D" && chown nobody "$D"
run_archive_as dpo1 export --call "$A" --out "$D" >/dev/null 2>"$T/theirs.txt"
check "an output directory owned by another user is refused" test $? -eq 1
check "saying whose it is" grep -q "belongs to another user" "$T/theirs.txt"
mkdir -m 700 "$T/real" && ln -s "$T/real" "$T/link"
run_archive_as dpo1 export --call "$A" --out "$T/link" >/dev/null 2>"$T/link.txt"
check "an output directory that is a symbolic link is refused" test $? -eq 1
check "saying so" grep -q "symbolic link" "$T/link.txt"
check "nothing written through it" test -z "$(ls -A "$T/real")"
run_archive_as dpo1 export --call "$A" --out "$T/fresh/new" >/dev/null
check "a missing output directory is created, private" test "$(stat -c %a "$T/fresh/new")" = 700
check "the recordings in it are private" test "$(stat -c %a "$T/fresh/new/$A.wav")" = 600

# --- re-export --------------------------------------------------------------------------------
ino=$(stat -c %i "$T/fresh/new/$A.manifest.json")
run_archive_as dpo1 export --call "$A" --out "$T/fresh/new" >/dev/null 2>/dev/null
check "a second export into the same directory is refused without --force" test $? -eq 1
check "and left the first one as it was" test "$(stat -c %i "$T/fresh/new/$A.manifest.json")" = "$ino"
run_archive_as dpo1 export --call "$A" --out "$T/fresh/new" --force >/dev/null
check "with --force it is replaced" test "$(stat -c %i "$T/fresh/new/$A.manifest.json")" != "$ino"
check "and verifies" "$BUILD/callrec-archive" verify "$T/fresh/new" --key "$PKI/signing.pub" >/dev/null
run_archive_as dpo1 list --force >/dev/null 2>&1
check "--force belongs to export, not list" test $? -eq 2

# --- audit --out ------------------------------------------------------------------------------
AD=$T/aud && mkdir -m 700 "$AD"
ln -s "$T/victim/5" "$AD/.log.txt.tmp"
ln -s "$T/victim/6" "$AD/log.txt"
run_archive_as aud1 audit --out "$AD/log.txt" 2>"$T/aud.txt"
check "audit --out onto an existing name is refused without --force" test $? -eq 1
check "saying so" grep -q "exists: give --force" "$T/aud.txt"
check "audit --out --force writes the log" run_archive_as aud1 audit --out "$AD/log.txt" --force 2>/dev/null
check "without following either link" is_untouched 5 6
check "into a file of its own, mode 0600" \
	bash -c "test -f '$AD/log.txt' -a ! -L '$AD/log.txt' && test \$(stat -c %a '$AD/log.txt') = 600"
check "which holds the audit log" grep -q '"action":"export"' "$AD/log.txt"
mkdir -m 777 "$T/audshared"
run_archive_as aud1 audit --out "$T/audshared/log.txt" 2>"$T/audshared.txt"
check "audit --out into a world-writable directory is refused" test $? -eq 1
check "and writes nothing there" test -z "$(ls -A "$T/audshared")"

# --- the PKI directory --------------------------------------------------------------------------
mkdir -m 775 "$T/pkigw"
"$BUILD/callrec-archive" pki init "$T/pkigw" >/dev/null 2>"$T/pkigw.txt"
check "pki init into a group-writable directory is refused" test $? -ne 0
check "saying why" grep -q "writable by group or others" "$T/pkigw.txt"
check "and leaves no key there" test ! -e "$T/pkigw/signing.key" -a ! -e "$T/pkigw/ca.key"
stop_pid "$ARCHIVED_PID"
