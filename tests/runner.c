/*
 * runner.c - forks each test under a timeout and counts the outcomes.
 * Exit status of a test child: 0 passed, 1 failed, 77 skipped.
 */
#include "tests/runner.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SKIP_STATUS 77

#ifndef IPCB_SRCDIR
#define IPCB_SRCDIR "."
#endif

static char context[512];
const void *test_arg;

void test_context(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(context, sizeof(context), fmt, ap);
	va_end(ap);
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "    %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (context[0])
		fprintf(stderr, " [%s]", context);
	fputc('\n', stderr);
	fflush(NULL);
	_exit(1);
}

void test_skip(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "    skipped: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(NULL);
	_exit(SKIP_STATUS);
}

char *test_read_file(size_t *len, const char *fmt, ...)
{
	char rel[512], path[1024];
	va_list ap;
	FILE *f;
	char *buf;
	long n;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", IPCB_SRCDIR, rel);
	f = fopen(path, "rb");
	CHECK_MSG(f, "cannot open %s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	CHECK(buf);
	CHECK_EQ_I64(fread(buf, 1, (size_t)n, f), n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

/* Waits for pid for at most timeout_s; kills it after that. */
static int wait_timeout(pid_t pid, int timeout_s, int *status)
{
	struct timespec nap = {0, 2000000};
	long waited_ms = 0;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (waited_ms >= (long)timeout_s * 1000) {
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			return -ETIMEDOUT;
		}
		nanosleep(&nap, NULL);
		waited_ms += 2;
	}
}

static bool selected(int argc, char **argv, const char *name)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++)
		if (strstr(name, argv[i]))
			return true;
	return false;
}

int test_main(int argc, char **argv, const struct test_case *cases, size_t n)
{
	unsigned passed = 0, failed = 0, skipped = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < n; i++) {
		int status = 0, timeout = cases[i].timeout_s ? cases[i].timeout_s : 30;
		pid_t pid;
		int r;

		if (!selected(argc, argv, cases[i].name))
			continue;
		fflush(NULL);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 2;
		}
		if (pid == 0) {
			setpgid(0, 0);
			test_arg = cases[i].arg;
			cases[i].fn();
			fflush(NULL);
			_exit(0);
		}
		r = wait_timeout(pid, timeout, &status);
		/* a test may leave grandchildren; they share its process group */
		kill(-pid, SIGKILL);
		if (r == -ETIMEDOUT) {
			printf("not ok  %s (timed out after %d s)\n", cases[i].name, timeout);
			failed++;
		} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			printf("ok      %s\n", cases[i].name);
			passed++;
		} else if (WIFEXITED(status) && WEXITSTATUS(status) == SKIP_STATUS) {
			printf("skip    %s\n", cases[i].name);
			skipped++;
		} else {
			if (WIFSIGNALED(status))
				printf("not ok  %s (killed by signal %d)\n", cases[i].name, WTERMSIG(status));
			else
				printf("not ok  %s\n", cases[i].name);
			failed++;
		}
	}
	printf("%u passed, %u failed, %u skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
