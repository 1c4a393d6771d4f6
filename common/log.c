#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const char *log_program = "callrec";
static int log_verbose;
static int log_journal; /* stderr is the journal: it adds time stamps and wants <N> prefixes */

void cr_log_init(const char *program, int verbose)
{
	log_program = program;
	log_verbose = verbose;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
}

void cr_log(int level, const char *fmt, ...)
{
	static const char *names[] = { "", "", "", "error", "warning", "notice", "info", "debug" };
	char line[1024];
	va_list ap;

	if (level >= CR_LOG_DEBUG && !log_verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_journal) {
		fprintf(stderr, "<%d>%s\n", level, line);
	} else {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		fprintf(stderr, "%02d:%02d:%02d.%03ld %s %s: %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
			ts.tv_nsec / 1000000, log_program,
			level >= 3 && level <= 7 ? names[level] : "log", line);
	}
}
