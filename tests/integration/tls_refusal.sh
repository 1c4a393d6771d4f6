#!/bin/bash
# The archive accepts calls only from devices of its own fleet over TLS 1.3. tlsprobe sends
# HELLO + CALL_OPEN and succeeds only when the archive ACKs: a TLS 1.3 client can believe its
# handshake succeeded before the server rejects its certificate, so the ACK is what counts.
# Refused: no client certificate, a device certificate from a foreign CA (same device name),
# TLS 1.2, an operator certificate posing as a device, a revoked device, an expired and a
# not-yet-valid device certificate. Accepted: desk1, and a current certtool-made certificate.
. "$(dirname "$0")/../lib.sh"

require "pki setup" setup_pki
require "archive starts" start_archive
CA=$PKI/ca.pem

# A second fleet: its own CA, and a device with the same name as ours.
FOREIGN=$T/foreign
"$BUILD/callrec-archive" pki init "$FOREIGN" --listen 127.0.0.1:1 >/dev/null &&
	"$BUILD/callrec-archive" pki device desk1 --dir "$FOREIGN" >/dev/null ||
	{ not_ok "foreign pki setup"; exit 1; }
differ() { ! cmp -s "$1" "$2"; }
check "the foreign CA differs from ours" differ "$CA" "$FOREIGN/ca.pem"

# probe NAME ARGS...: runs tlsprobe against the archive; leaves its output line in $OUT.
probe() {
	local name=$1
	shift
	OUT=$("$BUILD/tests/tlsprobe" "$ADDR" --ca "$CA" --timeout-ms 3000 "$@" 2>>"$T/probe.log")
	PROBE_RC=$?
	echo "# $name: $OUT (status $PROBE_RC)"
	echo "--- $name: $OUT" >>"$T/probe.log"
}
refused() { [ "$PROBE_RC" -eq 1 ] && [[ $OUT == *"ack=no"* ]]; }
accepted() { [ "$PROBE_RC" -eq 0 ] && [[ $OUT == "handshake=ok ack=yes" ]]; }

DEV=$PKI/devices/desk1
probe "no client certificate"
check "no client certificate: refused" refused

probe "foreign device certificate" --cert "$FOREIGN/devices/desk1/device.pem" \
	--key "$FOREIGN/devices/desk1/device.key"
check "foreign CA's device desk1: refused" refused

probe "TLS 1.2" --tls12 --cert "$DEV/device.pem" --key "$DEV/device.key"
check "TLS 1.2 with a valid device certificate: refused" refused
check "TLS 1.2: the handshake itself fails" test "$OUT" = "handshake=failed ack=no"

probe "operator as device" --cert "$PKI/operators/op1/operator.pem" \
	--key "$PKI/operators/op1/operator.key"
check "operator certificate sending device frames: refused" refused

# A revoked device: accepted before `pki revoke`, refused once the archive has re-read the CRL
# (SIGHUP), so the refusal is the revocation's doing.
D2=$PKI/devices/desk2
add_device desk2 || not_ok "creating desk2"
probe "desk2 before revocation" --cert "$D2/device.pem" --key "$D2/device.key"
check "device desk2 before revocation: accepted" accepted
"$BUILD/callrec-archive" pki revoke desk2 --dir "$PKI" >/dev/null || not_ok "revoking desk2"
kill -HUP "$ARCHIVED_PID"
wait_log "$T/archived.log" reloaded 5
probe "revoked device" --cert "$D2/device.pem" --key "$D2/device.key"
check "revoked device desk2: refused" refused

# Expired and not-yet-valid device certificates, signed by our own fleet CA with certtool; a
# third one from the same template with current dates is the control that the refusal is the
# dates' doing, not certtool's.
cert_with_dates() { # cert_with_dates NAME ACTIVATION EXPIRATION
	fill_fixture device-cert.tmpl.in "$T/$1.tmpl" NAME="$1" SERIAL="$RANDOM$RANDOM" \
		ACTIVATION="$2" EXPIRATION="$3" || return 1
	certtool --generate-privkey --key-type ecdsa --curve secp256r1 --outfile "$T/$1.key" \
		2>/dev/null &&
		certtool --generate-certificate --load-privkey "$T/$1.key" --load-ca-certificate "$CA" \
			--load-ca-privkey "$PKI/ca.key" --template "$T/$1.tmpl" --outfile "$T/$1.pem" \
			>/dev/null 2>&1
}
YEAR=$(date -u +%Y)
cert_with_dates expired "$((YEAR - 3))-01-01 00:00:00" "$((YEAR - 1))-01-01 00:00:00" &&
	cert_with_dates notyet "$((YEAR + 1))-01-01 00:00:00" "$((YEAR + 3))-01-01 00:00:00" &&
	cert_with_dates current "$((YEAR - 1))-01-01 00:00:00" "$((YEAR + 2))-01-01 00:00:00" ||
	not_ok "certtool: certificates with chosen dates"
probe "expired device certificate" --cert "$T/expired.pem" --key "$T/expired.key"
check "expired device certificate (our CA): refused" refused
probe "not yet valid device certificate" --cert "$T/notyet.pem" --key "$T/notyet.key"
check "device certificate not yet valid (our CA): refused" refused
probe "certtool device certificate with current dates" --cert "$T/current.pem" \
	--key "$T/current.key"
check "the same kind of certificate with current dates: accepted" accepted
check "the archive logged why the expired one was refused" \
	grep -q 'certificate refused: .*expired' "$T/archived.log"

# The positive control: without it, every refusal above could be a broken probe.
probe "fleet device desk1" --cert "$DEV/device.pem" --key "$DEV/device.key"
check "fleet device desk1: accepted and acknowledged" accepted

check "archive still running after the misbehaving clients" kill -0 "$ARCHIVED_PID"
