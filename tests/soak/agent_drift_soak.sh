#!/bin/bash
# Soak version of tests/integration/agent_drift.sh: a 10-minute call (AGENT_DRIFT_SECS, default
# 600) through a playback device whose clock runs 0.1% fast; the two directions must stay
# within 20 ms in every 3 s window. Uncorrected they would be 600 ms apart at the end.
# Needs ~250 MB under $TMPDIR for the raw files.
export AGENT_DRIFT_SECS=${AGENT_DRIFT_SECS:-600}
exec bash "$(dirname "$0")/../integration/agent_drift.sh"
