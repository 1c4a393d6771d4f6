#!/bin/bash
# The tone detector the disclosure tests rely on (tests/programs/tonedetect.c), checked on audio
# made here with known answers: 1400 Hz bursts of 0.5 s at -18 dBFS mixed into speech at a
# like level, at 8 kHz through G.711 mu-law as a softphone carries them, must be found at their
# true times (+-30 ms: the detector reports a fixed ~20 ms outside the true edges) with their
# length; speech alone, other frequencies and silence must give
# no burst; a burst cut by the file's start is flagged as such.
. "$(dirname "$0")/../lib.sh"
TD=$BUILD/tests/tonedetect

espeak-ng -v en+f3 -w "$T/s.wav" "Good morning, this is Alice from the sales desk. Thank you for \
calling. Let me check the stock for you, one moment please. Yes, we have enough in stock." &&
	sox -D "$T/s.wav" -r 8000 -c 1 -b 16 "$T/speech.wav" repeat 3 trim 0 35 || exit 1
# Bursts start at 0.7 s, 15.7 s and 30.7 s: 0.7 s of silence, 0.5 s of tone, 13.8 s of silence,
# three times.
sox -n -r 8000 -c 1 -b 16 "$T/tones.wav" synth 0.5 sine 1400 vol 0.126 pad 0.7 13.8 repeat 2 &&
	sox -m "$T/speech.wav" "$T/tones.wav" -e u-law "$T/mix-ulaw.wav" trim 0 35 &&
	sox "$T/mix-ulaw.wav" -e signed -b 16 "$T/mix.wav" || exit 1

found=$("$TD" "$T/mix.wav" 1400 --min-length 0.4)
note "$(tr '\n' ' ' <<<"$found")"
check "three bursts in speech + tone" test "$(grep -c . <<<"$found")" = 3
check "each found within 30 ms of its true start, lasting 0.5 s +- 0.06 s" awk '
	BEGIN { t[1] = 0.7; t[2] = 15.7; t[3] = 30.7 }
	{ split($1, s, "="); split($3, l, "=")
	  d = s[2] - t[NR]; if (d < -0.03 || d > 0.03 || l[2] < 0.44 || l[2] > 0.56) bad = 1 }
	END { exit bad || NR != 3 }' <<<"$found"
check "the intervals between starts are 15 s +- 10 ms" awk '
	{ split($1, s, "="); v[NR] = s[2] }
	END { for (i = 2; i <= NR; i++) { d = v[i] - v[i - 1]; if (d < 14.99 || d > 15.01) bad = 1 }
	      exit bad || NR != 3 }' <<<"$found"
check "no burst in the speech alone" test -z "$("$TD" "$T/speech.wav" 1400 --min-length 0.4)"
check "no burst at 1000 Hz in speech + 1400 Hz tone" test -z "$("$TD" "$T/mix.wav" 1000 --min-length 0.4)"
sox -n -r 8000 -c 1 -b 16 "$T/silence.wav" trim 0 5
check "no burst in silence" test -z "$("$TD" "$T/silence.wav" 1400)"
# A file that starts inside a burst: flagged edge=start, its end where it was (1.2 s - 1.0 s,
# reported ~15 ms late like every end).
sox "$T/mix.wav" "$T/cut.wav" trim 1.0
cut=$("$TD" "$T/cut.wav" 1400 --min-length 0.1 | head -1)
note "cut: $cut"
check "a burst cut by the file's start is flagged" grep -q "edge=start" <<<"$cut"
check "its end is still within 30 ms" awk '{ split($2, e, "="); d = e[2] - 0.2; exit !(d > -0.03 && d < 0.03) }' <<<"$cut"
check "a missing file is an error (status 2)" eval '"$TD" "$T/none.wav" 1400 2>/dev/null; [ $? -eq 2 ]'
