/*
 * ownfile.c - opening a file of the run directory by its path (ownfile.h).
 */
#include "transports/ownfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int ownfile_open(struct chan *ch, const char *path, off_t size)
{
	struct stat st;
	int fd = path[0] ? open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC) : -1;

	if (fd < 0)
		return chan_fail(ch, path[0] ? errno : EINVAL, "open %s (by name)", path[0] ? path : "(no path)");
	if (fstat(fd, &st) < 0) {
		int e = errno;

		close(fd);
		return chan_fail(ch, e, "fstat %s", path);
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) || (size >= 0 && st.st_size != size)) {
		close(fd);
		return chan_fail(ch, EPROTO,
				 "%s is not the file create() made (a regular file of ours, no access for others%s)",
				 path, size >= 0 ? ", of its size" : "");
	}
	return fd;
}
