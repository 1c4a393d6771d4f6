/* Sign-in token, sessions, CSRF tokens. See session.h. */
#include "session.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <string.h>

static int secret(char out[CONSOLE_SECRET_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t b[CONSOLE_SECRET_LEN / 2];

	if (gnutls_rnd(GNUTLS_RND_KEY, b, sizeof(b)) < 0)
		return -EIO;
	for (size_t i = 0; i < sizeof(b); i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[CONSOLE_SECRET_LEN] = '\0';
	gnutls_memset(b, 0, sizeof(b));
	return 0;
}

int console_secret_equal(const char *a, const char *b)
{
	unsigned char diff = 0;

	if (!a || !b || strlen(a) != CONSOLE_SECRET_LEN || strlen(b) != CONSOLE_SECRET_LEN)
		return 0;
	for (size_t i = 0; i < CONSOLE_SECRET_LEN; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

void console_sessions_init(struct console_sessions *ss)
{
	memset(ss, 0, sizeof(*ss));
	pthread_mutex_init(&ss->lock, NULL);
}

void console_sessions_free(struct console_sessions *ss)
{
	gnutls_memset(ss->s, 0, sizeof(ss->s));
	gnutls_memset(ss->token, 0, sizeof(ss->token));
	pthread_mutex_destroy(&ss->lock);
}

int console_token_new(struct console_sessions *ss, char token[CONSOLE_SECRET_LEN + 1])
{
	int rc = secret(token);

	if (rc < 0)
		return rc;
	pthread_mutex_lock(&ss->lock);
	memcpy(ss->token, token, CONSOLE_SECRET_LEN + 1);
	pthread_mutex_unlock(&ss->lock);
	return 0;
}

/* The live session with this id, or NULL (lock held). */
static struct console_session *find(struct console_sessions *ss, const char *sid, int64_t now)
{
	for (int i = 0; i < CONSOLE_MAX_SESSIONS; i++) {
		struct console_session *s = &ss->s[i];

		if (!s->id[0])
			continue;
		if (now - s->last_ms > CONSOLE_SESSION_IDLE_MS) {
			memset(s, 0, sizeof(*s));
			continue;
		}
		if (console_secret_equal(s->id, sid))
			return s;
	}
	return NULL;
}

/* A free slot, else the one used least recently (lock held). */
static struct console_session *new_slot(struct console_sessions *ss)
{
	struct console_session *oldest = &ss->s[0];

	for (int i = 0; i < CONSOLE_MAX_SESSIONS; i++) {
		if (!ss->s[i].id[0])
			return &ss->s[i];
		if (ss->s[i].last_ms < oldest->last_ms)
			oldest = &ss->s[i];
	}
	return oldest;
}

int console_token_redeem(struct console_sessions *ss, const char *token, int64_t now_ms,
			 char sid[CONSOLE_SECRET_LEN + 1])
{
	struct console_session *slot = NULL;
	int rc = 0;

	pthread_mutex_lock(&ss->lock);
	if (!ss->token[0] || !console_secret_equal(ss->token, token)) {
		rc = -EACCES;
		goto out;
	}
	/* Used once, whatever happens next. */
	memset(ss->token, 0, sizeof(ss->token));
	(void)find(ss, "", now_ms); /* drops idle sessions */
	slot = new_slot(ss);
	rc = secret(slot->id);
	if (rc == 0)
		rc = secret(slot->csrf);
	if (rc < 0) {
		memset(slot, 0, sizeof(*slot));
		goto out;
	}
	slot->last_ms = now_ms;
	memcpy(sid, slot->id, CONSOLE_SECRET_LEN + 1);
out:
	pthread_mutex_unlock(&ss->lock);
	return rc;
}

int console_session_get(struct console_sessions *ss, const char *sid, int64_t now_ms,
			char csrf[CONSOLE_SECRET_LEN + 1])
{
	struct console_session *s;
	int rc = -ENOENT;

	if (!sid)
		return -ENOENT;
	pthread_mutex_lock(&ss->lock);
	s = find(ss, sid, now_ms);
	if (s) {
		s->last_ms = now_ms;
		memcpy(csrf, s->csrf, CONSOLE_SECRET_LEN + 1);
		rc = 0;
	}
	pthread_mutex_unlock(&ss->lock);
	return rc;
}

void console_session_end(struct console_sessions *ss, const char *sid)
{
	pthread_mutex_lock(&ss->lock);
	for (int i = 0; i < CONSOLE_MAX_SESSIONS; i++)
		if (ss->s[i].id[0] && console_secret_equal(ss->s[i].id, sid))
			memset(&ss->s[i], 0, sizeof(ss->s[i]));
	pthread_mutex_unlock(&ss->lock);
}
