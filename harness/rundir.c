/*
 * rundir.c - the run's private directory: $TMPDIR/ipcbench-<pid>-XXXXXX,
 * mode 0700, made with mkdtemp (unpredictable, created exclusively).
 * Everything a transport names in it is removed by its destroy; the
 * directory goes at the end of the run, with anything left in it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/harness.h"

int rundir_create(char *out, size_t outlen)
{
	const char *tmp = getenv("TMPDIR");
	int n;

	if (!tmp || !tmp[0])
		tmp = "/tmp";
	n = snprintf(out, outlen, "%s/ipcbench-%d-XXXXXX", tmp, (int)getpid());
	if (n < 0 || (size_t)n >= outlen)
		return -ENAMETOOLONG;
	if (!mkdtemp(out))
		return -errno;
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
}
