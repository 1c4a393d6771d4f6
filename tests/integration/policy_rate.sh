#!/bin/bash
# The policy's recording.rate (the sample rate of what is archived) is what the archive keeps:
# a call under `rate: 8000` is archived as an 8 kHz WAV whose manifest says 8000 and whose two
# channels still carry what was said and heard; after a SIGHUP to `rate: 48000` the next call
# is archived at 48 kHz. (Every other test: 16 kHz, the default.)
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/call.bash"

require "signals" make_call_signals 4
require "pki setup" setup_pki
require "operator legal1" add_operator legal1 legal
require "archive starts" start_archive

policy() { write_policy "$T/policy.yaml" RATE="$1"; } # policy RATE

manifest_rate() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["rate"])' "$1"; }

# one_call RATE N: call N under the current policy, archived at RATE.
one_call() {
	local rate=$1 n=$2 id wav secs
	check "call $n runs" run_call "$T/cap$n.wav"
	id=$(OPERATOR=legal1 find_complete_call duplex 20 "$PREV_ID")
	check "call $n is archived ($id)" test -n "$id"
	PREV_ID=$id
	check "call $n exports" run_archive_as legal1 export --call "$id" --out "$T/export$n"
	wav=$T/export$n/$id.wav
	check "call $n: the WAV is $rate Hz, 2 channels" \
		test "$(soxi -r "$wav" 2>/dev/null) $(soxi -c "$wav" 2>/dev/null)" = "$rate 2"
	check "call $n: the manifest says rate $rate" \
		test "$(manifest_rate "$T/export$n/$id.manifest.json")" = "$rate"
	secs=$(soxi -D "$wav" 2>/dev/null || echo 0)
	check "call $n: the WAV lasts the call (3.5 to 8 s: $secs s)" \
		awk "BEGIN{exit !($secs >= 3.5 && $secs <= 8)}"
	check "call $n: channel 1 is what was said (NCC > 0.99)" \
		correlate "ch1 vs a" "$wav" 1 "$T/a.wav" 0 --min 0.99
	check "call $n: channel 2 is what was heard (NCC > 0.99)" \
		correlate "ch2 vs b" "$wav" 2 "$T/b.wav" 0 --min 0.99
	check "call $n: export verifies" "$BUILD/callrec-archive" verify "$T/export$n"
}

policy 8000
check "callrec policy check accepts rate 8000" "$BUILD/callrec" policy check "$T/policy.yaml"
require "agent starts" start_call_agent "$T/policy.yaml"
PREV_ID=
one_call 8000 1

policy 48000
SHA=$(sha256sum "$T/policy.yaml" | cut -d' ' -f1)
kill -HUP "$AGENT_PID"
check "the reload takes effect" wait_for test "$(get_status_field 's["policy"]["sha256"]')" = "$SHA"
one_call 48000 2

policy 44100
check "callrec policy check refuses rate 44100 with FILE:LINE:COL" \
	bash -c "'$BUILD/callrec' policy check '$T/policy.yaml' 2>&1 | grep -qE '^$T/policy.yaml:[0-9]+:[0-9]+: .*rate'"
