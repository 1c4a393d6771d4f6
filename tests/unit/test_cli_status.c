/* `callrec status`: the agent socket client against a scripted agent, the socket path rules
 * and the readable output. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "../../tools/agent_client.h"
#include "../../tools/status_print.h"
#include "ctl.h"

static char top[64], sock_path[128];

struct agent {
	int lfd;
	pthread_t thread;
	const char *const *packets; /* what to answer, one packet each, NULL-terminated */
	int silent;                 /* never answer (timeout test) */
	struct cr_ctl_hello got;
	ssize_t got_len;
};

static void *agent_main(void *arg)
{
	struct agent *a = arg;
	int fd = accept(a->lfd, NULL, NULL);
	size_t i;

	if (fd < 0)
		return NULL;
	a->got_len = recv(fd, &a->got, sizeof(a->got) + 16, MSG_TRUNC);
	if (a->silent) {
		char b;

		recv(fd, &b, 1, 0); /* until the client gives up and closes */
	} else {
		for (i = 0; a->packets[i]; i++)
			send(fd, a->packets[i], strlen(a->packets[i]), MSG_NOSIGNAL);
	}
	close(fd);
	return NULL;
}

static void agent_start(struct agent *a)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	unlink(sock_path);
	strcpy(sa.sun_path, sock_path);
	a->lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_true(a->lfd >= 0);
	assert_int_equal(bind(a->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(a->lfd, 1), 0);
	assert_int_equal(pthread_create(&a->thread, NULL, agent_main, a), 0);
}

static void agent_stop(struct agent *a)
{
	pthread_join(a->thread, NULL);
	close(a->lfd);
	unlink(sock_path);
}

static void test_status_reply_in_packets(void **state)
{
	static const char *const packets[] = {
		"{\"state\":\"recording\",\"archive\":\"connected\",",
		"\"spool\":{\"chunks\":3,\"bytes\":196608},\"calls\":[]}", NULL
	};
	struct agent a = { .packets = packets };
	char *reply;
	size_t len;

	(void)state;
	agent_start(&a);
	assert_int_equal(cru_agent_command(sock_path, "status", &reply, &len), 0);
	agent_stop(&a);
	/* the hello is exactly one struct, a command, with the text */
	assert_int_equal(a.got_len, sizeof(struct cr_ctl_hello));
	assert_int_equal(a.got.magic, CR_CTL_MAGIC);
	assert_int_equal(a.got.version, CR_CTL_VERSION);
	assert_int_equal(a.got.kind, CR_CTL_COMMAND);
	assert_string_equal(a.got.arg, "status");
	assert_string_equal(reply, "{\"state\":\"recording\",\"archive\":\"connected\","
				   "\"spool\":{\"chunks\":3,\"bytes\":196608},\"calls\":[]}");
	assert_int_equal(len, strlen(reply));
	free(reply);
}

static void test_no_agent(void **state)
{
	char *reply;
	size_t len;

	(void)state;
	unlink(sock_path);
	assert_int_equal(cru_agent_command(sock_path, "status", &reply, &len), -ENOENT);
	assert_null(reply);
}

static void test_silent_agent_times_out(void **state)
{
	struct agent a = { .silent = 1 };
	char *reply;
	size_t len;

	(void)state;
	agent_start(&a);
	assert_int_equal(cru_agent_command(sock_path, "status", &reply, &len), -ETIMEDOUT);
	agent_stop(&a);
}

static void test_socket_path_rules(void **state)
{
	char path[256], expect[256];
	int fd;

	(void)state;
	assert_int_equal(cru_socket_path("/x/y.sock", path, sizeof(path)), 0);
	assert_string_equal(path, "/x/y.sock");
	setenv("XDG_RUNTIME_DIR", top, 1);
	/* no user agent socket yet: the system one */
	assert_int_equal(cru_socket_path(NULL, path, sizeof(path)), 0);
	assert_string_equal(path, CRU_SYSTEM_SOCKET);
	snprintf(expect, sizeof(expect), "%s/callrec", top);
	assert_int_equal(mkdir(expect, 0700), 0);
	strcat(expect, "/agent.sock");
	fd = open(expect, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(cru_socket_path(NULL, path, sizeof(path)), 0);
	assert_string_equal(path, expect);
	unlink(expect);
	unsetenv("XDG_RUNTIME_DIR");
	assert_int_equal(cru_socket_path(NULL, path, sizeof(path)), 0);
	assert_string_equal(path, CRU_SYSTEM_SOCKET);
}

static void test_readable_output(void **state)
{
	json_t *st = json_loads(
		"{\"state\":\"recording\",\"archive\":{\"connected\":true,\"address\":"
		"\"127.0.0.1:7443\"},\"spool\":{\"chunks\":3,\"bytes\":3145728},\"calls\":["
		"{\"id\":\"abc\",\"application\":\"bare\\u0007sip\",\"user\":\"alice\"}],"
		"\"version\":\"0.1\"}", 0, NULL);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(st);
	cru_status_print(st, f);
	fclose(f);
	assert_string_equal(text, "Agent:    recording\n"
				  "Archive:  connected=yes, address=127.0.0.1:7443\n"
				  "Spool:    3 chunks waiting (3.0 MiB)\n"
				  "Calls:    1 active\n"
				  "  - id=abc, application=bare?sip, user=alice\n"
				  "version: 0.1\n");
	free(text);
	json_decref(st);
}

static int setup(void **state)
{
	(void)state;
	snprintf(top, sizeof(top), "/tmp/test_cli_status.XXXXXX");
	if (!mkdtemp(top))
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/agent.sock", top);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_reply_in_packets),
		cmocka_unit_test(test_no_agent),
		cmocka_unit_test(test_silent_agent_times_out),
		cmocka_unit_test(test_socket_path_rules),
		cmocka_unit_test(test_readable_output),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
