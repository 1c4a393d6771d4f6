/* The fleet PKI verbs of callrec-archive (docs/design.md "PKI directory", docs/fleet.md). Each
 * returns 0 or a negative errno after printing what went wrong on stderr. */
#ifndef CALLREC_ARCHIVE_PKI_H
#define CALLREC_ARCHIVE_PKI_H

struct cra_pki_init_opts {
	const char *dir;
	const char *listen; /* HOST:PORT, default CRA_DEFAULT_LISTEN */
	const char *name;   /* the archive's certificate name, default "localhost" */
};

int cra_pki_init(const struct cra_pki_init_opts *o);
int cra_pki_device(const char *dir, const char *name);
int cra_pki_operator(const char *dir, const char *name, const char *role);
int cra_pki_revoke(const char *dir, const char *name);
/* Prints the SHA-256 fingerprint of dir/signing.pub (pubkey.h): what recipients of an export
 * compare with the one `verify` prints. */
int cra_pki_fingerprint(const char *dir);

#endif
