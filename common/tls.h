/* GnuTLS set-up shared by agent, archive and operator tool: TLS 1.3 only, mutual
 * certificates from the fleet CA, identities read from the peer certificate. */
#ifndef CALLREC_TLS_H
#define CALLREC_TLS_H

#include <stddef.h>
#include <gnutls/gnutls.h>

/* TLS 1.3 only; GnuTLS's secure defaults otherwise. */
#define CR_TLS_PRIORITY "SECURE256:+SECURE128:-VERS-ALL:+VERS-TLS1.3:%PROFILE_MEDIUM"

/* Certificate subject conventions (set by `callrec-archive pki`):
 *   CN = device or operator name;  OU = "device" | "operator" | "archive". */
#define CR_OU_DEVICE "device"
#define CR_OU_OPERATOR "operator"
#define CR_OU_ARCHIVE "archive"
#define CR_NAME_MAX 64

/* Load CA (+ optional CRL, may be NULL) and our own certificate and key. 0 or -errno (EINVAL
 * for unusable files); logs the GnuTLS reason. */
int cr_tls_creds_load(gnutls_certificate_credentials_t *out, const char *ca, const char *cert,
		      const char *key, const char *crl);

/* After a handshake: verify the peer's certificate chain against the loaded CA/CRL (and,
 * for clients, `hostname` when not NULL) and return its CN and OU. 0, or -EACCES when the
 * certificate is missing, untrusted, revoked or expired (reason logged). */
int cr_tls_peer_identity(gnutls_session_t s, const char *hostname, char cn[CR_NAME_MAX],
			 char ou[CR_NAME_MAX]);

/* Valid names for devices and operators: [A-Za-z0-9._-]{1,63}, not starting with '.'. */
int cr_name_valid(const char *name);

#endif
