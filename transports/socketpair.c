/*
 * socketpair.c - an AF_UNIX socketpair(2): one bidirectional connection.
 *
 * socketpair: SOCK_STREAM, a byte stream (no size limit of its own).
 * socketpair_seqpacket: SOCK_SEQPACKET, connection-oriented records.  A
 * record must fit the sender's buffer: Linux refuses a record longer than
 * sk_sndbuf - 32 bytes with EMSGSIZE, and sk_sndbuf is twice SO_SNDBUF,
 * which an unprivileged setsockopt caps at net.core.wmem_max.  probe()
 * measures that ceiling on the live host; a larger message is refused
 * before the fork, never truncated (recv uses MSG_TRUNC to catch a short
 * record).
 */
#include "transports/transport.h"

#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

/* Shared with unix.c's datagram flavour: the largest record sk_sndbuf allows. */
int unixsock_max_record(struct chan *ch, int type);
int unixsock_size_buffers(struct chan *ch, int fd);

int unixsock_max_record(struct chan *ch, int type)
{
	long long wmem = 0;
	int sv[2], snd = 0;
	socklen_t sl = sizeof(snd);

	chan_read_sysctl("/proc/sys/net/core/wmem_max", &wmem);
	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
		return chan_fail(ch, errno, "socketpair");
	if (wmem > 0 && wmem < 1 << 30) {
		int want = (int)wmem;

		setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
	}
	getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &snd, &sl);
	close(sv[0]);
	close(sv[1]);
	ch->limits.max_msg_bytes = snd > 32 ? (size_t)snd - 32 : 1;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "a record is at most sk_sndbuf-32 = %zu bytes (net.core.wmem_max %lld)", ch->limits.max_msg_bytes,
		 wmem);
	return 0;
}

/* Sizes both buffers for one message each way (capped by the host). */
int unixsock_size_buffers(struct chan *ch, int fd)
{
	int want = ch->msg_bytes + 64 > (1u << 30) ? 1 << 30 : (int)ch->msg_bytes + 64;

	if (want < 65536)
		return 0;
	/* the kernel doubles and caps these; a too-small result shows up as EMSGSIZE */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
	return 0;
}

static int socketpair_probe_stream(struct chan *ch)
{
	ch->limits.max_msg_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note), "a byte stream: no message limit");
	return 0;
}

static int socketpair_probe_seqpacket(struct chan *ch)
{
	return unixsock_max_record(ch, SOCK_SEQPACKET);
}

static int socketpair_make(struct chan *ch, int type)
{
	int sv[2];

	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
		return chan_fail(ch, errno, "socketpair");
	if (type != SOCK_STREAM) {
		unixsock_size_buffers(ch, sv[0]);
		unixsock_size_buffers(ch, sv[1]);
	}
	fdchan_add_fd(ch, sv[0]);
	return fdchan_add_fd(ch, sv[1]);
}

static int socketpair_create_stream(struct chan *ch)
{
	return socketpair_make(ch, SOCK_STREAM);
}

static int socketpair_create_seqpacket(struct chan *ch)
{
	return socketpair_make(ch, SOCK_SEQPACKET);
}

static int socketpair_attach(struct chan *ch, enum chan_role role)
{
	struct fd_chan *fc = ch->priv;
	int fd = fc->fd[role == CHAN_CLIENT ? 0 : 1];

	return fdchan_use(ch, fd, fd);
}

const struct transport_ops socketpair_ops = {
	.name = "socketpair",
	.summary = "AF_UNIX SOCK_STREAM socketpair",
	.kind = CHAN_STREAM,
	.flags = TRANSPORT_CAN_SPIN,
	.priv_size = sizeof(struct fd_chan),
	.probe = socketpair_probe_stream,
	.create = socketpair_create_stream,
	.attach = socketpair_attach,
	.send = fdchan_stream_send,
	.recv = fdchan_stream_recv,
	.detach = fdchan_detach,
	.destroy = fdchan_destroy,
};

const struct transport_ops socketpair_seqpacket_ops = {
	.name = "socketpair_seqpacket",
	.summary = "AF_UNIX SOCK_SEQPACKET socketpair (records)",
	.kind = CHAN_MESSAGE,
	.flags = TRANSPORT_CAN_SPIN,
	.priv_size = sizeof(struct fd_chan),
	.probe = socketpair_probe_seqpacket,
	.create = socketpair_create_seqpacket,
	.attach = socketpair_attach,
	.send = fdchan_record_send,
	.recv = fdchan_record_recv,
	.detach = fdchan_detach,
	.destroy = fdchan_destroy,
};
