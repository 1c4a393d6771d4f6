/* What the command-line programs (callrec, callrec-archive) say about a command line they
 * cannot use: the problem, then where the help is; exit status 2, as most Unix tools. */
#ifndef CALLREC_USAGE_H
#define CALLREC_USAGE_H

#define CR_EXIT_USAGE 2

/* "PROGRAM: MESSAGE" and "Try 'HELP --help'." on stderr; returns CR_EXIT_USAGE. `help` is the
 * command whose help applies, e.g. "callrec-archive pki". */
int cr_usage_error(const char *program, const char *help, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
