/*
 * test_ledger.c - the ledger (transports/ledger.h): every fact the writer
 * writes reads back; later facts merge into one entry per object; a line
 * that is not exactly one of the formats, a cut line, a NUL byte or too
 * many entries is counted as bad and never becomes an object.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transports/ledger.h"
#include "tests/runner.h"

static void parse_str(const char *s, struct ledger *l)
{
	ledger_parse(s, strlen(s), l);
}

TEST(kinds_have_one_name_each)
{
	enum ledger_kind k;

	for (int i = 0; i < LEDGER__COUNT; i++) {
		CHECK(ledger_kind_names[i] != NULL);
		CHECK_OK(ledger_kind_parse(ledger_kind_names[i], &k));
		CHECK_EQ_I64(k, i);
	}
	CHECK_EQ_I64(ledger_kind_parse("sysv", &k), -EINVAL);
	CHECK(ledger_kind_is_sysv(LEDGER_SYSV_SEM) && !ledger_kind_is_sysv(LEDGER_POSIX_MQ));
}

TEST(written_facts_read_back_merged)
{
	char dir[] = "/tmp/ipcb-ledger-XXXXXX", path[128];
	struct ledger_entry e[] = {
		{.kind = LEDGER_POSIX_MQ, .name = "/ipcbench-12-00ff-c2s"},
		{.kind = LEDGER_SYSV_MSG, .key = 0x1a2b3c4d},
		{.kind = LEDGER_SYSV_MSG, .key = 0x1a2b3c4d, .state = LEDGER_MADE, .id = 42, .ctime = 1764583200},
		{.kind = LEDGER_SYSV_SEM, .key = 7},
		{.kind = LEDGER_SYSV_SEM, .key = 7, .state = LEDGER_TAKEN},
		{.kind = LEDGER_SYSV_SHM, .key = 0xffffff00},
	};
	struct ledger *l = malloc(sizeof(*l));

	CHECK(l && mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.ledger", dir);
	for (size_t i = 0; i < ARRAY_SIZE(e); i++)
		CHECK_OK(ledger_append(path, &e[i]));
	CHECK_OK(ledger_read(path, l));
	CHECK_EQ_U64(l->bad, 0);
	CHECK_EQ_U64(l->n, 4);
	CHECK_EQ_STR(l->e[0].name, "/ipcbench-12-00ff-c2s");
	CHECK(l->e[1].state == LEDGER_MADE && l->e[1].key == 0x1a2b3c4d && l->e[1].id == 42);
	CHECK_EQ_I64(l->e[1].ctime, 1764583200);
	CHECK(l->e[2].kind == LEDGER_SYSV_SEM && l->e[2].state == LEDGER_TAKEN);
	CHECK(l->e[3].kind == LEDGER_SYSV_SHM && l->e[3].state == LEDGER_INTENT && l->e[3].key == 0xffffff00);
	unlink(path);
	/* never through a symlink */
	CHECK(symlink("/etc/passwd", path) == 0);
	CHECK(ledger_append(path, &e[0]) < 0);
	CHECK(ledger_read(path, l) < 0);
	unlink(path);
	rmdir(dir);
	free(l);
}

TEST(writer_refuses_what_the_reader_would)
{
	struct ledger_entry bad[] = {
		{.kind = LEDGER_POSIX_MQ, .name = "no-slash"},
		{.kind = LEDGER_POSIX_SHM, .name = "/a/b"},
		{.kind = LEDGER_POSIX_SHM, .name = "/.."},
		{.kind = LEDGER_SYSV_MSG, .key = 0},
		{.kind = LEDGER__COUNT, .key = 1},
		{.kind = LEDGER_SYSV_MSG, .key = 1, .state = LEDGER_MADE, .id = -1},
	};
	char line[300];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		test_context("entry %zu", i);
		CHECK(ledger_format(&bad[i], line, sizeof(line)) < 0);
	}
}

TEST(hostile_lines_are_bad_not_objects)
{
	static const char *const bad[] = {
		"sysv_msg 42",					 /* the old id-only format: in doubt */
		"sysv_msg key=0x00000000",			 /* IPC_PRIVATE */
		"sysv_msg key=0x1A2B3C4D",			 /* upper case */
		"sysv_msg key=0x1a2b3c4",			 /* short */
		"sysv_msg key=0x1a2b3c4d ",			 /* trailing space */
		"sysv_msg key=0x1a2b3c4d id=-1 ctime=5",	 /* negative id */
		"sysv_msg key=0x1a2b3c4d id=2147483648 ctime=5", /* id past INT_MAX */
		"sysv_msg key=0x1a2b3c4d id=01 ctime=5",	 /* leading zero */
		"sysv_msg key=0x1a2b3c4d id=1 ctime=99999999999999999999",
		"sysv_msg key=0x1a2b3c4d id=1",
		"sysv_msg key=0x1a2b3c4d gone",
		"posix_mq /../etc/passwd",
		"posix_mq relative",
		"posix_shm /",
		"posix_shm /a b",
		"unknown /ipcbench-1-a",
		"posix_mq",
		"",
	};
	struct ledger l;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char buf[400];

		snprintf(buf, sizeof(buf), "%s\n", bad[i]);
		test_context("'%s'", bad[i]);
		parse_str(buf, &l);
		CHECK_EQ_U64(l.n, 0);
		CHECK_EQ_U64(l.bad, 1);
	}
	/* a line cut by a kill (no newline), and a NUL byte inside one */
	parse_str("posix_mq /ipcbench-1-a\nposix_mq /ipcbench-1-b", &l);
	CHECK(l.n == 1 && l.bad == 1);
	ledger_parse("posix_mq /ipc\0bench-1-a\n", 24, &l);
	CHECK(l.n == 0 && l.bad == 1);
	/* two made lines that disagree: the entry is in doubt (taken) */
	parse_str("sysv_shm key=0x00000001 id=1 ctime=5\nsysv_shm key=0x00000001 id=2 ctime=5\n", &l);
	CHECK(l.n == 1 && l.e[0].state == LEDGER_TAKEN);
	/* taken stays taken */
	parse_str("sysv_shm key=0x00000001 taken\nsysv_shm key=0x00000001 id=2 ctime=5\n", &l);
	CHECK(l.n == 1 && l.e[0].state == LEDGER_TAKEN);
}

TEST(entries_are_bounded)
{
	size_t len = 0, cap = 200 * 40;
	char *buf = malloc(cap);
	struct ledger l;

	CHECK(buf);
	for (int i = 1; i <= 200; i++)
		len += (size_t)snprintf(buf + len, cap - len, "sysv_sem key=0x%08x\n", i);
	ledger_parse(buf, len, &l);
	CHECK_EQ_U64(l.n, LEDGER_MAX_ENTRIES);
	CHECK_EQ_U64(l.bad, 200 - LEDGER_MAX_ENTRIES);
	free(buf);
}

TEST(new_keys_are_never_private)
{
	for (int i = 0; i < 10000; i++) {
		uint32_t k = ledger_new_key();

		CHECK(k != 0 && k != UINT32_MAX);
	}
}

/* A pid the ledger saw twice with other start times was reused: the later process is the one to check. */
TEST(a_reused_pid_is_the_later_process)
{
	static const char text[] = "process pid=4242 start=100 dbus-daemon\nprocess pid=4242 start=900 dbus-daemon\n";
	struct ledger *l = malloc(sizeof(*l));
	char line[LEDGER_NAME_MAX + 64];

	CHECK(l != NULL);
	ledger_parse(text, sizeof(text) - 1, l);
	CHECK_EQ_U64(l->bad, 0);
	CHECK_EQ_U64(l->n, 1);
	CHECK(l->e[0].kind == LEDGER_PROCESS && l->e[0].state == LEDGER_MADE && l->e[0].id == 4242);
	CHECK_EQ_I64(l->e[0].ctime, 900);
	CHECK_EQ_STR(l->e[0].name, "dbus-daemon");
	CHECK(ledger_format(&l->e[0], line, sizeof(line)) > 0); /* what the reader returns, the writer takes */
	free(l);
}

static const struct test_case cases[] = {
	T(kinds_have_one_name_each),
	T(written_facts_read_back_merged),
	T(writer_refuses_what_the_reader_would),
	T(hostile_lines_are_bad_not_objects),
	T(entries_are_bounded),
	T(new_keys_are_never_private),
	T(a_reused_pid_is_the_later_process),
};

int main(int argc, char **argv)
{
	return test_main(argc, argv, cases, ARRAY_SIZE(cases));
}
