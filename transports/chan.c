/*
 * chan.c - small helpers every transport uses: first-error recording with
 * context, and reading an integer limit from /proc.
 */
#include "transport.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
