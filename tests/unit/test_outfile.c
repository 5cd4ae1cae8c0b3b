/*
 * test_outfile.c - the one output writer: atomic replacement of regular
 * files only, direct writes through devices and FIFOs, refused symlinks,
 * nothing left behind on failure.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/outfile.h"
#include "tests/runner.h"

static char dir[64];

static void mkscratch(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ipcb-outfile-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
}

static void rmscratch(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	if (d)
		closedir(d);
	rmdir(dir);
}

static int entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

static void slurp(const char *p, char *buf, size_t len)
{
	FILE *f = fopen(p, "r");
	size_t n = f ? fread(buf, 1, len - 1, f) : 0;

	buf[n] = '\0';
	if (f)
		fclose(f);
}

TEST(outfile_creates_and_replaces_keeping_mode)
{
	char p[128], err[256], buf[64];
	struct stat st;

	mkscratch();
	snprintf(p, sizeof(p), "%s/r.json", dir);
	CHECK_EQ_I64(outfile_write(p, "one", 3, err, sizeof(err)), 0);
	slurp(p, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "one");
	CHECK_EQ_I64(chmod(p, 0604), 0);
	CHECK_EQ_I64(outfile_write(p, "two", 3, err, sizeof(err)), 0);
	slurp(p, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "two");
	CHECK_EQ_I64(stat(p, &st), 0);
	CHECK_EQ_I64(st.st_mode & 07777, 0604);
	CHECK_EQ_I64(entries(), 1);
	rmscratch();
}

TEST(outfile_refuses_symlink_naming_target)
{
	char p[128], t[128], err[512], buf[64];

	mkscratch();
	snprintf(t, sizeof(t), "%s/real", dir);
	snprintf(p, sizeof(p), "%s/link", dir);
	CHECK_EQ_I64(outfile_write(t, "keep", 4, err, sizeof(err)), 0);
	CHECK_EQ_I64(symlink(t, p), 0);
	CHECK_EQ_I64(outfile_write(p, "evil", 4, err, sizeof(err)), -ELOOP);
	CHECK(strstr(err, "real") != NULL);
	slurp(t, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "keep");
	CHECK_EQ_I64(entries(), 2);
	rmscratch();
}

TEST(outfile_writes_through_fifo_and_devnull)
{
	char p[128], err[256], buf[64] = "";
	struct stat st;
	pid_t pid;
	int fd, status;

	mkscratch();
	snprintf(p, sizeof(p), "%s/fifo", dir);
	CHECK_EQ_I64(mkfifo(p, 0600), 0);
	pid = fork();
	if (!pid) {
		_exit(outfile_write(p, "via fifo", 8, err, sizeof(err)) ? 1 : 0);
	}
	fd = open(p, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ_I64((int)read(fd, buf, sizeof(buf) - 1), 8);
	close(fd);
	CHECK_EQ_I64(waitpid(pid, &status, 0), pid);
	CHECK_EQ_I64(WEXITSTATUS(status), 0);
	CHECK_EQ_STR(buf, "via fifo");
	CHECK_EQ_I64(lstat(p, &st), 0);
	CHECK(S_ISFIFO(st.st_mode));
	CHECK_EQ_I64(outfile_write("/dev/null", "x", 1, err, sizeof(err)), 0);
	CHECK_EQ_I64(stat("/dev/null", &st), 0);
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ_I64(entries(), 1);
	rmscratch();
}

TEST(outfile_abort_leaves_target_and_no_temp)
{
	struct outfile of;
	char p[128], err[256], buf[64];

	mkscratch();
	snprintf(p, sizeof(p), "%s/r.json", dir);
	CHECK_EQ_I64(outfile_write(p, "old", 3, err, sizeof(err)), 0);
	CHECK_EQ_I64(outfile_open(&of, p, err, sizeof(err)), 0);
	fputs("half", of.f);
	CHECK_EQ_I64(entries(), 2);
	outfile_abort(&of);
	slurp(p, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "old");
	CHECK_EQ_I64(entries(), 1);
	rmscratch();
}

TEST(outfile_refuses_directories_and_missing_parents)
{
	char p[128], err[256];

	mkscratch();
	CHECK_EQ_I64(outfile_check(dir, err, sizeof(err)), -EISDIR);
	snprintf(p, sizeof(p), "%s/no/such", dir);
	CHECK_EQ_I64(outfile_check(p, err, sizeof(err)), -ENOENT);
	CHECK_EQ_I64(outfile_check("", err, sizeof(err)), -EINVAL);
	CHECK_EQ_I64(outfile_check("-", err, sizeof(err)), 0);
	rmscratch();
}

TEST(outfile_tmp_names_are_recognised)
{
	struct outfile of;
	char p[128], err[256];
	const char *base;
	int pid = 0;

	mkscratch();
	snprintf(p, sizeof(p), "%s/r.json", dir);
	CHECK_EQ_I64(outfile_open(&of, p, err, sizeof(err)), 0);
	base = strrchr(of.tmp, '/') + 1;
	CHECK(outfile_is_tmp(base, &pid));
	CHECK_EQ_I64(pid, (int)getpid());
	CHECK(!outfile_is_tmp("r.json", NULL));
	CHECK(!outfile_is_tmp(".r.json.ipcbench-tmp-12-xyz", NULL));
	outfile_abort(&of);
	rmscratch();
}

static const struct test_case cases[] = {
	T(outfile_creates_and_replaces_keeping_mode),	    T(outfile_refuses_symlink_naming_target),
	T(outfile_writes_through_fifo_and_devnull),	    T(outfile_abort_leaves_target_and_no_temp),
	T(outfile_refuses_directories_and_missing_parents), T(outfile_tmp_names_are_recognised),
};

int main(int argc, char **argv)
{
	return test_main(argc, argv, cases, ARRAY_SIZE(cases));
}
