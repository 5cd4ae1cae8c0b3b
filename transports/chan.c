/*
 * chan.c - the channel's life as the engine sees it (chan_open/chan_close
 * around the hooks), and the small helpers every transport uses:
 * first-error recording with context, names in the run directory, and
 * reading an integer limit from /proc.
 */
#include "transports/chan_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

static int chan_vfail(struct chan *ch, int err, const char *fmt, va_list ap)
{
	size_t n;

	if (err < 0)
		err = -err;
	if (err == 0)
		err = EIO;
	if (ch->err)
		return -err;
	ch->err = err;
	vsnprintf(ch->errmsg, sizeof(ch->errmsg), fmt, ap);
	n = strlen(ch->errmsg);
	snprintf(ch->errmsg + n, sizeof(ch->errmsg) - n, ": %s", strerror(err));
	return -err;
}

int chan_fail(struct chan *ch, int err, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = chan_vfail(ch, err, fmt, ap);
	va_end(ap);
	return r;
}

int chan_unavailable(struct chan *ch, int err, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (!ch->err)
		ch->unavailable = true;
	va_start(ap, fmt);
	r = chan_vfail(ch, err, fmt, ap);
	va_end(ap);
	return r;
}

/* ---- the engine's side (transport.h) ---- */

int chan_probe(struct chan *ch, const struct transport_ops *ops)
{
	ch->ops = ops;
	memset(&ch->limits, 0, sizeof(ch->limits));
	ch->err = 0;
	ch->errmsg[0] = 0;
	ch->unavailable = false;
	return ops->probe ? ops->probe(ch) : 0;
}

int chan_open(struct chan *ch, const struct transport_ops *ops)
{
	int r;

	ch->ops = ops;
	ch->priv = calloc(1, ops->priv_size ? ops->priv_size : 1);
	if (!ch->priv)
		return chan_fail(ch, ENOMEM, "%zu bytes of channel state", ops->priv_size);
	r = ops->create(ch);
	if (r)
		chan_close(ch); /* destroy() undoes a partial create() */
	return r;
}

void chan_close(struct chan *ch)
{
	if (!ch->priv)
		return;
	ch->ops->destroy(ch);
	free(ch->priv);
	ch->priv = NULL;
}

int chan_path(const struct chan *ch, const char *what, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%s-%s", ch->run_dir, ch->tag, what);

	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
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
