/*
 * chan.c - small helpers every transport uses: first-error recording with
 * context, and reading an integer limit from /proc.
 */
#include "transports/transport.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

int chan_fail(struct chan *ch, int err, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (err < 0)
		err = -err;
	if (err == 0)
		err = EIO;
	if (ch->err)
		return -err;
	ch->err = err;
	va_start(ap, fmt);
	vsnprintf(ch->errmsg, sizeof(ch->errmsg), fmt, ap);
	va_end(ap);
	n = strlen(ch->errmsg);
	snprintf(ch->errmsg + n, sizeof(ch->errmsg) - n, ": %s", strerror(err));
	return -err;
}

int chan_read_sysctl(const char *path, long long *val)
{
	FILE *f = fopen(path, "re");
	int r;

	if (!f)
		return -errno;
	r = fscanf(f, "%lld", val) == 1 ? 0 : -EINVAL;
	fclose(f);
	return r;
}

int chan_ledger_path(const struct chan *ch, char *out, size_t outlen)
{
	int n;

	if (!ch->run_dir || !ch->tag)
		return -EINVAL;
	n = snprintf(out, outlen, "%s/%s.ledger", ch->run_dir, ch->tag);
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

int chan_ledger_add(struct chan *ch, const char *kind, const char *name)
{
	char path[4096], line[512];
	int fd, n, r = 0;

	if (chan_ledger_path(ch, path, sizeof(path)))
		return 0; /* no run directory (a probe): nothing to note */
	n = snprintf(line, sizeof(line), "%s %s\n", kind, name);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return chan_fail(ch, errno, "open ledger %s", path);
	if (write(fd, line, (size_t)n) != n)
		r = chan_fail(ch, errno ? errno : EIO, "write ledger %s", path);
	close(fd);
	return r;
}
