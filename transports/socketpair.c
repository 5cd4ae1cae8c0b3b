/*
 * socketpair.c - an AF_UNIX socketpair(2): one bidirectional connection.
 *
 * socketpair: SOCK_STREAM, a byte stream (no size limit of its own).
 * socketpair_seqpacket: SOCK_SEQPACKET, connection-oriented records.  A
 * record must fit the sender's buffer and what the kernel allocates for
 * one record (unixsock.h); probe() measures both on the live host, and a
 * larger message is refused before the fork, never truncated (recv uses
 * MSG_TRUNC to catch a short record).
 *
 * Options sndbuf and rcvbuf (both): SO_SNDBUF / SO_RCVBUF on both ends
 * (transports/sockopt.h), recorded as getsockopt reads them back.  On
 * socketpair_seqpacket a record is at most the granted sndbuf - 32.
 */
#include "transports/fdio.h"
#include "transports/sockopt.h"
#include "transports/unixsock.h"

#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>

static int socketpair_probe_stream(struct chan *ch)
{
	ch->limits.max_msg_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note), "a byte stream: no message limit");
	return sockopt_probe(ch, AF_UNIX, SOCK_STREAM, sockopt_buf_descs, SOCKOPT_BUF_N);
}

static int socketpair_probe_seqpacket(struct chan *ch)
{
	int r = unixsock_max_record(ch, SOCK_SEQPACKET);

	return r ? r : unixsock_probe_options(ch, SOCK_SEQPACKET);
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
	if (fdchan_add_fd(ch, sv[1]))
		return -ch->err;
	for (int i = 0; i < 2; i++)
		if (sockopt_apply(ch, sv[i], sockopt_buf_descs, SOCKOPT_BUF_N))
			return -ch->err;
	return 0;
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
	.flags = TRANSPORT_CAN_SPIN | TRANSPORT_CAN_EVENT,
	.priv_size = sizeof(struct fd_chan),
	.options = sockopt_buf_options,
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
	.flags = TRANSPORT_CAN_SPIN | TRANSPORT_CAN_EVENT | TRANSPORT_SECOND_SENDER,
	.priv_size = sizeof(struct fd_chan),
	.options = sockopt_buf_options,
	.probe = socketpair_probe_seqpacket,
	.create = socketpair_create_seqpacket,
	.attach = socketpair_attach,
	.send = fdchan_record_send,
	.recv = fdchan_record_recv,
	.detach = fdchan_detach,
	.destroy = fdchan_destroy,
};
