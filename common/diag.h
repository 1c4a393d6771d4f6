/* Diagnostics for configuration and policy files: every problem as FILE:LINE:COL: message. */
#ifndef CALLREC_DIAG_H
#define CALLREC_DIAG_H

#include <stdio.h>

#define CR_DIAG_MAX 64
#define CR_DIAG_MSG 240

struct cr_diag {
	int line, col; /* 1-based; 0 when the problem is the file as a whole */
	char msg[CR_DIAG_MSG];
};

struct cr_diags {
	const char *file; /* name printed in front of every message */
	unsigned n;       /* recorded (at most CR_DIAG_MAX) */
	unsigned total;   /* reported, including those beyond CR_DIAG_MAX */
	struct cr_diag items[CR_DIAG_MAX];
};

void cr_diags_init(struct cr_diags *d, const char *file);
void cr_diag_add(struct cr_diags *d, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Print "FILE:LINE:COL: message" lines. */
void cr_diags_print(const struct cr_diags *d, FILE *out);

#endif
