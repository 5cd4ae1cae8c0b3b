/*
 * fifo.c - two named pipes (FIFOs), one per direction, in the run directory.
 *
 * Same semantics and limits as pipe.c; the difference is the name, opened
 * by path after the fork.  Ordering trap: open(O_WRONLY) of a FIFO blocks
 * until a reader opens it, so both sides open client-to-server first and
 * server-to-client second (client: c2s W then s2c R; server: c2s R then
 * s2c W); neither can wait on an open the other has not reached.
 * The FIFOs are mode 0600 in a 0700 directory, and removed by destroy.
 * Option bufsize as pipe.c's: each side sets it on the FIFO it writes,
 * right after opening it and before its first message.
 */
#include "transports/chan_util.h"
#include "transports/fdio.h"
#include "transports/pipebuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

enum { C2S, S2C };

static int fifo_probe(struct chan *ch)
{
	return pipebuf_probe_limits(ch, "a byte stream: no message limit; a pipe buffer per FIFO");
}

static int fifo_create(struct chan *ch)
{
	struct fd_chan *fc = ch->priv;
	static const char *const what[] = {"c2s.fifo", "s2c.fifo"};
	char path[108];

	for (int i = 0; i < 2; i++) {
		if (chan_path(ch, what[i], path, sizeof(path)))
			return chan_fail(ch, ENAMETOOLONG, "fifo path in %s", ch->run_dir);
		if (mkfifo(path, 0600) < 0)
			return chan_fail(ch, errno, "mkfifo %s", path);
		if (fdchan_add_path(ch, path))
			return -ch->err;
	}
	(void)fc;
	return 0;
}

static int open_fd(struct chan *ch, const char *path, int flags)
{
	int fd;

	do
		fd = open(path, flags | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return chan_fail(ch, errno, "open %s", path);
	if (fdchan_add_fd(ch, fd))
		return -ch->err;
	return fd;
}

static int fifo_attach(struct chan *ch, enum chan_role role)
{
	struct fd_chan *fc = ch->priv;
	int c2s, s2c;

	c2s = open_fd(ch, fc->path[C2S], role == CHAN_CLIENT ? O_WRONLY : O_RDONLY);
	if (c2s < 0)
		return c2s;
	s2c = open_fd(ch, fc->path[S2C], role == CHAN_CLIENT ? O_RDONLY : O_WRONLY);
	if (s2c < 0)
		return s2c;
	if (pipebuf_apply(ch, role == CHAN_CLIENT ? c2s : s2c))
		return -ch->err;
	return role == CHAN_CLIENT ? fdchan_use(ch, s2c, c2s) : fdchan_use(ch, c2s, s2c);
}

const struct transport_ops fifo_ops = {
	.name = "fifo",
	.summary = "two named pipes (mkfifo) in a private run directory",
	.kind = CHAN_STREAM,
	.flags = TRANSPORT_CAN_SPIN | TRANSPORT_CAN_EVENT | TRANSPORT_BY_NAME,
	.priv_size = sizeof(struct fd_chan),
	.options = pipebuf_options,
	.probe = fifo_probe,
	.create = fifo_create,
	.adopt = fdchan_adopt,
	.attach = fifo_attach,
	.send = fdchan_stream_send,
	.recv = fdchan_stream_recv,
	.detach = fdchan_detach,
	.destroy = fdchan_destroy,
};
