/*
 * rundir.c - the run's private directory: $TMPDIR/ipcbench-<pid>-XXXXXX,
 * mode 0700, made with mkdtemp (unpredictable, created exclusively).
 * Everything a transport names in it is removed by its destroy; the
 * directory goes at the end of the run, with anything left in it.
 *
 * Its marker (cleanup.h, RUNDIR_MARKER) says "ipcbench made this" and is
 * the run's proof of life: the run holds an flock on it until
 * rundir_remove, and the kernel drops the lock when the run (with every
 * child that inherited the descriptor) is gone, however it died.  The
 * marker is made and locked under another name and renamed into place, so
 * no `clean` can see it unlocked while the run lives.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "harness/cleanup.h"
#include "harness/harness.h"

#define MAX_HELD 8

/* The run directories this process holds, and the locked marker of each. */
static struct {
	char dir[4096];
	int fd;
} held[MAX_HELD];

static int write_marker(const char *dir)
{
	char tmp[4200], path[4200], text[128];
	int fd, n, r = 0;

	snprintf(tmp, sizeof(tmp), "%s/.%s-new", dir, RUNDIR_MARKER);
	snprintf(path, sizeof(path), "%s/%s", dir, RUNDIR_MARKER);
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	n = snprintf(text, sizeof(text), RUNDIR_MAGIC "\npid %d\nstarted %lld\n", (int)getpid(), (long long)time(NULL));
	errno = 0;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 || write(fd, text, (size_t)n) != n || rename(tmp, path) < 0)
		r = errno ? -errno : -EIO;
	if (r) {
		close(fd);
		unlink(tmp);
		return r;
	}
	return fd;
}

int rundir_create(char *out, size_t outlen)
{
	const char *tmp = getenv("TMPDIR");
	int n, fd, slot = -1;

	for (int i = 0; i < MAX_HELD && slot < 0; i++)
		if (!held[i].dir[0])
			slot = i;
	if (slot < 0)
		return -EMFILE;
	if (!tmp || !tmp[0])
		tmp = "/tmp";
	n = snprintf(out, outlen, "%s/ipcbench-%d-XXXXXX", tmp, (int)getpid());
	if (n < 0 || (size_t)n >= outlen || (size_t)n >= sizeof(held[slot].dir))
		return -ENAMETOOLONG;
	if (!mkdtemp(out))
		return -errno;
	fd = write_marker(out);
	if (fd < 0) {
		rmdir(out);
		return fd;
	}
	snprintf(held[slot].dir, sizeof(held[slot].dir), "%s", out);
	held[slot].fd = fd;
	return 0;
}

void rundir_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];

	if (d) {
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
	/* the lock goes last: until the directory is gone it is a live run's */
	for (int i = 0; i < MAX_HELD; i++) {
		if (held[i].dir[0] && !strcmp(held[i].dir, dir)) {
			close(held[i].fd);
			held[i].dir[0] = 0;
		}
	}
}
