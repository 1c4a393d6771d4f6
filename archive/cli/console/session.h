/* Who may use the console: the one-time sign-in token it prints at start (as Jupyter does),
 * traded once for a session (a cookie), each session with its own CSRF token. Secrets are 256
 * random bits in hex, compared in constant time. Sessions live in memory only: restarting
 * the console signs everyone out. */
#ifndef CALLREC_CONSOLE_SESSION_H
#define CALLREC_CONSOLE_SESSION_H

#include <pthread.h>
#include <stdint.h>

#define CONSOLE_SECRET_LEN 64 /* hex digits */
#define CONSOLE_MAX_SESSIONS 16
/* A session nobody used for this long is over (a working day and a half). */
#define CONSOLE_SESSION_IDLE_MS (12LL * 3600 * 1000)

struct console_session {
	char id[CONSOLE_SECRET_LEN + 1];   /* "" when the slot is free */
	char csrf[CONSOLE_SECRET_LEN + 1];
	int64_t last_ms;
};

struct console_sessions {
	pthread_mutex_t lock;
	char token[CONSOLE_SECRET_LEN + 1]; /* the sign-in token; "" once traded */
	struct console_session s[CONSOLE_MAX_SESSIONS];
};

void console_sessions_init(struct console_sessions *ss);
void console_sessions_free(struct console_sessions *ss);

/* A fresh sign-in token (an unused earlier one stops working) into token. 0 or -errno. */
int console_token_new(struct console_sessions *ss, char token[CONSOLE_SECRET_LEN + 1]);
/* Trade the sign-in token for a new session (id into sid). 0, or -EACCES when the token is
 * not the current one or was used; the oldest session makes room when all slots are taken. */
int console_token_redeem(struct console_sessions *ss, const char *token, int64_t now_ms,
			 char sid[CONSOLE_SECRET_LEN + 1]);
/* The live session sid (its use is noted): its CSRF token into csrf. 0 or -ENOENT. */
int console_session_get(struct console_sessions *ss, const char *sid, int64_t now_ms,
			char csrf[CONSOLE_SECRET_LEN + 1]);
void console_session_end(struct console_sessions *ss, const char *sid);

/* Equal secrets (CONSOLE_SECRET_LEN characters), in time independent of where they differ.
 * NULL or another length is never equal. */
int console_secret_equal(const char *a, const char *b);

#endif
