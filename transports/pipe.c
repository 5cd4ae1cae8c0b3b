/*
 * pipe.c - two anonymous pipes, one per direction.
 *
 * A byte stream: the harness's fixed message size delimits messages.
 * Limits: the pipe buffer (F_GETPIPE_SZ, 64 KiB by default, up to
 * /proc/sys/fs/pipe-max-size) bounds how much a writer can queue before it
 * blocks; larger messages still pass because the reader drains the pipe
 * while the writer fills it.  Writes of at most PIPE_BUF (4096) bytes are
 * atomic; larger ones may be split, which fdio's loops absorb.
 *
 * Option bufsize (pipe and fifo): F_SETPIPE_SZ on both pipes.  The kernel
 * rounds the size up to a power-of-two number of pages, and refuses one
 * above fs.pipe-max-size to a process without CAP_SYS_RESOURCE (EPERM),
 * as it does once the user's pipes hold fs.pipe-user-pages-soft pages;
 * the result records the size F_GETPIPE_SZ reports.  Without the option
 * the pipes keep the host's default, which is what is recorded.
 */
#include "transports/chan_util.h"
#include "transports/fdio.h"
#include "transports/pipebuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

enum { C2S_R = FDCHAN_C2S_R, C2S_W = FDCHAN_C2S_W, S2C_R = FDCHAN_S2C_R, S2C_W = FDCHAN_S2C_W };

const struct transport_option pipebuf_options[] = {
	[PIPEBUF_OPT_BUFSIZE] =
		{.name = "bufsize",
		 .type = TOPT_SIZE,
		 .def_text = "host",
		 .min = 4096,
		 .max = 256 << 20,
		 .help = "each pipe's buffer (F_SETPIPE_SZ), rounded up to a power-of-two number of pages"},
	{0},
};

int pipebuf_probe(struct chan *ch, int *granted)
{
	long long max = 0, want = chan_opt(ch, PIPEBUF_OPT_BUFSIZE);
	int fds[2], sz, e;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return chan_fail(ch, errno, "pipe2");
	sz = chan_opt_given(ch, PIPEBUF_OPT_BUFSIZE) ? fcntl(fds[1], F_SETPIPE_SZ, (int)want)
						     : fcntl(fds[1], F_GETPIPE_SZ);
	e = errno;
	close(fds[0]);
	close(fds[1]);
	if (sz < 0) {
		chan_read_sysctl("/proc/sys/fs/pipe-max-size", &max);
		if (e == EPERM)
			return chan_unavailable(
				ch, e,
				"bufsize=%lld: above fs.pipe-max-size (%lld, /proc/sys/fs/pipe-max-size) "
				"without CAP_SYS_RESOURCE, or this user's pipes are at "
				"fs.pipe-user-pages-soft; raise the sysctl",
				want, max);
		return chan_fail(ch, e, "F_SETPIPE_SZ %lld", want);
	}
	chan_opt_record(ch, PIPEBUF_OPT_BUFSIZE, sz);
	*granted = sz;
	return 0;
}

int pipebuf_apply(struct chan *ch, int fd)
{
	long long want = chan_opt(ch, PIPEBUF_OPT_BUFSIZE);

	if (!chan_opt_given(ch, PIPEBUF_OPT_BUFSIZE))
		return 0;
	if (fcntl(fd, F_SETPIPE_SZ, (int)want) < 0)
		return chan_fail(ch, errno, "F_SETPIPE_SZ %lld fd=%d", want, fd);
	return 0;
}

int pipebuf_probe_limits(struct chan *ch, const char *what)
{
	long long max = 0;
	int sz, r = pipebuf_probe(ch, &sz);

	if (r)
		return r;
	chan_read_sysctl("/proc/sys/fs/pipe-max-size", &max);
	ch->limits.max_msg_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note), "%s of %d bytes (F_GETPIPE_SZ), fs.pipe-max-size %lld", what,
		 sz, max);
	return 0;
}

static int pipe_probe(struct chan *ch)
{
	return pipebuf_probe_limits(ch, "pipe buffer");
}

static int pipe_create(struct chan *ch)
{
	struct fd_chan *fc = ch->priv;

	if (fdchan_add_pipes(ch))
		return -ch->err;
	return pipebuf_apply(ch, fc->fd[C2S_W]) || pipebuf_apply(ch, fc->fd[S2C_W]) ? -ch->err : 0;
}

static int pipe_attach(struct chan *ch, enum chan_role role)
{
	struct fd_chan *fc = ch->priv;

	if (role == CHAN_CLIENT)
		return fdchan_use(ch, fc->fd[S2C_R], fc->fd[C2S_W]);
	return fdchan_use(ch, fc->fd[C2S_R], fc->fd[S2C_W]);
}

const struct transport_ops pipe_ops = {
	.name = "pipe",
	.summary = "two anonymous pipes, one per direction",
	.kind = CHAN_STREAM,
	.flags = TRANSPORT_CAN_SPIN | TRANSPORT_CAN_EVENT,
	.priv_size = sizeof(struct fd_chan),
	.options = pipebuf_options,
	.probe = pipe_probe,
	.create = pipe_create,
	.attach = pipe_attach,
	.send = fdchan_stream_send,
	.recv = fdchan_stream_recv,
	.detach = fdchan_detach,
	.destroy = fdchan_destroy,
};
