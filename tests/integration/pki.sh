#!/bin/bash
# callrec-archive pki: a fleet PKI made without certtool, checked with certtool; the configs
# it writes point at the right files; bad or duplicate names are refused.
. "$(dirname "$0")/../lib.sh"

CLI=$BUILD/callrec-archive
P=$T/fleet
PORT=$(find_free_port)

get_mode() { stat -c %a "$1"; }
# has_line FILE TEXT: the file contains that exact line.
has_line() { grep -qxF -- "$2" "$1"; }
# run_quiet COMMAND...: run it without its chatter on stdout (check's own "ok" line must stay).
run_quiet() { "$@" >/dev/null; }

check "pki init exits 0" run_quiet "$CLI" pki init "$P" --listen "127.0.0.1:$PORT"
for f in ca.pem ca.key archive.pem archive.key signing.key signing.pub crl.pem roles.yaml \
	archived.yaml; do
	check "pki init wrote $f" test -s "$P/$f"
done
check "archive-data is a 0700 directory" test "$(get_mode "$P/archive-data")" = 700
for k in ca.key archive.key signing.key; do
	check "$k is mode 0600" test "$(get_mode "$P/$k")" = 600
done
check "archived.yaml listens where asked" has_line "$P/archived.yaml" "listen: 127.0.0.1:$PORT"
check "archived.yaml data path is absolute" has_line "$P/archived.yaml" "data: $P/archive-data"
check "archived.yaml tls.cert" has_line "$P/archived.yaml" "  cert: $P/archive.pem"
check "archived.yaml tls.crl" has_line "$P/archived.yaml" "  crl: $P/crl.pem"
check "archived.yaml signing_key" has_line "$P/archived.yaml" "signing_key: $P/signing.key"
check "archived.yaml roles" has_line "$P/archived.yaml" "roles: $P/roles.yaml"
check "roles.yaml starts empty" has_line "$P/roles.yaml" "operators: {}"
check "signing key is Ed25519" sh -c "certtool -k --infile '$P/signing.key' 2>/dev/null | grep -q 'Ed25519'"
check "CA is a CA" sh -c "certtool -i --infile '$P/ca.pem' | grep -q 'Certificate Authority (CA): TRUE'"
check "archive certificate verifies against the CA" \
	sh -c "certtool --verify --load-ca-certificate '$P/ca.pem' --infile '$P/archive.pem' >/dev/null 2>&1"
check "archive certificate names localhost and 127.0.0.1" \
	sh -c "certtool -i --infile '$P/archive.pem' | grep -q 'DNSname: localhost' &&
	       certtool -i --infile '$P/archive.pem' | grep -q 'IPAddress: 127.0.0.1'"
check "CRL signed by the CA" \
	sh -c "certtool --verify-crl --infile '$P/crl.pem' --load-ca-certificate '$P/ca.pem' 2>&1 | grep -q 'Verified'"
check "CRL starts empty" sh -c "certtool --crl-info --infile '$P/crl.pem' | grep -q 'No revoked certificates'"

cp "$P/ca.pem" "$T/ca.before"
check "second pki init is refused" sh -c "! '$CLI' pki init '$P' 2>'$T/err'"
check "refusal says why" grep -q "refusing to overwrite" "$T/err"
check "CA unchanged after the refusal" cmp -s "$P/ca.pem" "$T/ca.before"

# device (from inside the directory: --dir defaults to .)
check "pki device x (cwd)" sh -c "cd '$P' && '$CLI' pki device x >/dev/null"
D=$P/devices/x
check "device.pem, device.key, agent.yaml" test -s "$D/device.pem" -a -s "$D/device.key" -a -s "$D/agent.yaml"
check "device.key is mode 0600" test "$(get_mode "$D/device.key")" = 600
check "certtool verifies the device certificate" \
	sh -c "certtool --verify --load-ca-certificate '$P/ca.pem' --infile '$D/device.pem' >/dev/null 2>&1"
check "device subject CN=x OU=device" \
	sh -c "certtool -i --infile '$D/device.pem' | grep -q 'Subject: CN=x,OU=device'"
check "device certificate is for TLS clients" \
	sh -c "certtool -i --infile '$D/device.pem' | grep -q 'TLS WWW Client'"
check "agent.yaml address" has_line "$D/agent.yaml" "  address: 127.0.0.1:$PORT"
check "agent.yaml server_name" has_line "$D/agent.yaml" "  server_name: localhost"
check "agent.yaml ca" has_line "$D/agent.yaml" "  ca: $P/ca.pem"
check "agent.yaml cert" has_line "$D/agent.yaml" "  cert: $D/device.pem"
check "agent.yaml key" has_line "$D/agent.yaml" "  key: $D/device.key"
check "agent.yaml leaves socket and spool to the defaults" sh -c "! grep -qE '^(socket|spool):' '$D/agent.yaml'"

check "duplicate device is refused" sh -c "! '$CLI' pki device x --dir '$P' 2>/dev/null"
for bad in ../evil .hidden 'a b' 'x/y' "$(printf 'a%.0s' $(seq 64))"; do
	check "bad device name '${bad:0:12}' is refused" sh -c "! '$CLI' pki device '$bad' --dir '$P' 2>/dev/null"
done
check "no directory made for refused names" test "$(ls "$P/devices")" = x
check "device outside a PKI dir is refused" sh -c "! '$CLI' pki device y --dir '$T' 2>/dev/null"

# operators
check "pki operator op1 --role admin" run_quiet "$CLI" pki operator op1 --role admin --dir "$P"
check "pki operator op2 --role legal" run_quiet "$CLI" pki operator op2 --dir "$P" --role legal
O=$P/operators/op1
check "operator.key is mode 0600" test "$(get_mode "$O/operator.key")" = 600
check "certtool verifies the operator certificate" \
	sh -c "certtool --verify --load-ca-certificate '$P/ca.pem' --infile '$O/operator.pem' >/dev/null 2>&1"
check "operator subject CN=op1 OU=operator" \
	sh -c "certtool -i --infile '$O/operator.pem' | grep -q 'Subject: CN=op1,OU=operator'"
check "operator archive.yaml server" has_line "$O/archive.yaml" "server: 127.0.0.1:$PORT"
check "operator archive.yaml key" has_line "$O/archive.yaml" "key: $O/operator.key"
check "roles.yaml keeps op1" has_line "$P/roles.yaml" "  op1: admin"
check "roles.yaml adds op2" has_line "$P/roles.yaml" "  op2: legal"
check "operator without --role is a usage error (2)" \
	sh -c "'$CLI' pki operator op3 --dir '$P' 2>/dev/null; test \$? -eq 2"

# revoke
check "pki revoke x" run_quiet "$CLI" pki revoke x --dir "$P"
check "certtool now rejects the revoked device" \
	sh -c "certtool --verify --load-ca-certificate '$P/ca.pem' --load-crl '$P/crl.pem' --infile '$D/device.pem' 2>&1 | grep -q revoked"
check "the operator is still valid with that CRL" \
	sh -c "certtool --verify --load-ca-certificate '$P/ca.pem' --load-crl '$P/crl.pem' --infile '$O/operator.pem' >/dev/null 2>&1"
check "revoking an unknown name fails" sh -c "! '$CLI' pki revoke nobody --dir '$P' 2>/dev/null"

# --name and command-line hygiene
check "pki init --name archive1" run_quiet "$CLI" pki init --name archive1 "$T/other"
check "--name is the archive CN" sh -c "certtool -i --infile '$T/other/archive.pem' | grep -q 'Subject: CN=archive1,OU=archive'"
check "default listen 127.0.0.1:7443" has_line "$T/other/archived.yaml" "listen: 127.0.0.1:7443"
check "bad --listen is refused" sh -c "! '$CLI' pki init '$T/bad' --listen nope 2>/dev/null"
check "--version" sh -c "'$CLI' --version | grep -q '^callrec-archive '"
check "--help lists pki" sh -c "'$CLI' --help | grep -q 'pki init'"
check "pki --help" sh -c "'$CLI' pki --help | grep -q 'pki revoke'"
check "unknown verb exits 2" sh -c "'$CLI' frobnicate 2>/dev/null; test \$? -eq 2"
check "list without a server exits 2" sh -c "'$CLI' list 2>/dev/null; test \$? -eq 2"
check "list with nothing listening exits 1" \
	sh -c "'$CLI' --config '$O/archive.yaml' list 2>/dev/null; test \$? -eq 1"
check "callrec status without an agent exits 1 and says so" \
	sh -c "'$BUILD/callrec' status --socket '$T/none.sock' 2>&1 >/dev/null | grep -q 'no callrec agent'"
