#!/bin/bash
# Soak: tests/integration/fault_packet_loss.sh, 20% loss each way for 5 minutes.
#   BUILD=$PWD/build bash tests/soak/packet_loss_soak.sh
LOSS_SECONDS=${LOSS_SECONDS:-300} exec bash "$(dirname "$0")/../integration/fault_packet_loss.sh"
