/* Logging for the daemons and tools (never for the plugin): one line per event on stderr,
 * which systemd puts in the journal. Levels as syslog's, with <N> prefixes when stderr is the
 * journal (JOURNAL_STREAM set). */
#ifndef CALLREC_LOG_H
#define CALLREC_LOG_H

enum cr_log_level { CR_LOG_ERR = 3, CR_LOG_WARNING = 4, CR_LOG_NOTICE = 5, CR_LOG_INFO = 6,
		    CR_LOG_DEBUG = 7 };

void cr_log_init(const char *program, int verbose);
void cr_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define cr_err(...) cr_log(CR_LOG_ERR, __VA_ARGS__)
#define cr_warn(...) cr_log(CR_LOG_WARNING, __VA_ARGS__)
#define cr_notice(...) cr_log(CR_LOG_NOTICE, __VA_ARGS__)
#define cr_info(...) cr_log(CR_LOG_INFO, __VA_ARGS__)
#define cr_debug(...) cr_log(CR_LOG_DEBUG, __VA_ARGS__)

#endif
