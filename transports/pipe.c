/*
 * pipe.c - two anonymous pipes, one per direction.
 *
 * A byte stream: the harness's fixed message size delimits messages.
 * Limits: the pipe buffer (F_GETPIPE_SZ, 64 KiB by default, up to
 * /proc/sys/fs/pipe-max-size) bounds how much a writer can queue before it
 * blocks; larger messages still pass because the reader drains the pipe
 * while the writer fills it.  Writes of at most PIPE_BUF (4096) bytes are
 * atomic; larger ones may be split, which fdio's loops absorb.
 */
#include "transports/chan_util.h"
#include "transports/fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

enum { C2S_R = FDCHAN_C2S_R, C2S_W = FDCHAN_C2S_W, S2C_R = FDCHAN_S2C_R, S2C_W = FDCHAN_S2C_W };

static int pipe_probe(struct chan *ch)
{
	long long max = 0;
	int fds[2];
	int sz;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return chan_fail(ch, errno, "pipe2");
	sz = fcntl(fds[0], F_GETPIPE_SZ);
	close(fds[0]);
	close(fds[1]);
	chan_read_sysctl("/proc/sys/fs/pipe-max-size", &max);
	ch->limits.max_msg_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note), "pipe buffer %d bytes (F_GETPIPE_SZ), fs.pipe-max-size %lld",
		 sz, max);
	return 0;
}

static int pipe_create(struct chan *ch)
{
	return fdchan_add_pipes(ch);
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
	.flags = TRANSPORT_CAN_SPIN,
	.priv_size = sizeof(struct fd_chan),
	.probe = pipe_probe,
	.create = pipe_create,
	.attach = pipe_attach,
	.send = fdchan_stream_send,
	.recv = fdchan_stream_recv,
	.detach = fdchan_detach,
	.destroy = fdchan_destroy,
};
