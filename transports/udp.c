/*
 * udp.c - UDP datagrams over loopback (127.0.0.1), two connected sockets.
 *
 * One message is one datagram.  An IPv4 UDP datagram carries at most
 * 65535 - 20 (IP header) - 8 (UDP header) = 65507 bytes, so a larger
 * message is refused before the fork (the cell is skipped with that
 * reason); nothing is ever truncated: recv uses MSG_TRUNC and a record of
 * another size is an error.  Socket buffers are raised toward the message
 * size within net.core.wmem_max / rmem_max.  Loopback does not drop a
 * lone datagram in flight, which is all a ping-pong has.
 *
 * Options sndbuf and rcvbuf: SO_SNDBUF / SO_RCVBUF on both sockets in
 * place of the sizes above (transports/sockopt.h), recorded as getsockopt
 * reads them back.  A queue with room for less than one datagram still
 * takes one when it is empty, which is all a ping-pong sends.
 */
#include "transports/chan_util.h"
#include "transports/fansock.h"
#include "transports/fdio.h"
#include "transports/sockopt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#define UDP_MAX_PAYLOAD 65507

static int udp_probe(struct chan *ch)
{
	long long wmem = 0, rmem = 0;

	chan_read_sysctl("/proc/sys/net/core/wmem_max", &wmem);
	chan_read_sysctl("/proc/sys/net/core/rmem_max", &rmem);
	ch->limits.max_msg_bytes = UDP_MAX_PAYLOAD;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "one IPv4 datagram carries at most %d bytes; net.core.wmem_max %lld, rmem_max %lld", UDP_MAX_PAYLOAD,
		 wmem, rmem);
	return sockopt_probe(ch, AF_INET, SOCK_DGRAM, sockopt_buf_descs, SOCKOPT_BUF_N);
}

/* A socket bound to 127.0.0.1:0 with the buffers sized, its address in *sa: the fd or -errno (recorded). */
static int udp_socket(struct chan *ch, struct sockaddr_in *sa, int buf)
{
	socklen_t len = sizeof(*sa);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return chan_fail(ch, errno, "socket AF_INET SOCK_DGRAM");
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	*sa = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (sockopt_apply(ch, fd, sockopt_buf_descs, SOCKOPT_BUF_N) || bind(fd, (struct sockaddr *)sa, len) < 0 ||
	    getsockname(fd, (struct sockaddr *)sa, &len) < 0) {
		int e = ch->err ? ch->err : errno;

		close(fd);
		return chan_fail(ch, e, "bind 127.0.0.1:0");
	}
	return fd;
}

/*
 * Fan-in: the server's socket (unconnected) is fd[0], each client's is
 * connected to it.  Every client has one request in flight, so the
 * server's receive queue must hold nclients datagrams at once: a cell
 * whose clients would overflow the buffer the kernel grants (UDP drops
 * what does not fit) fails here, naming net.core.rmem_max.
 */
static int udp_fan_create(struct chan *ch)
{
	struct sockaddr_in srv, sa;
	int want = (int)((ch->msg_bytes + 1024) * ch->nclients + 4096), got = 0;
	socklen_t glen = sizeof(got);
	int sfd = udp_socket(ch, &srv, want), r;

	if (sfd < 0 || fdchan_add_fd(ch, sfd) || (r = fansock_new(ch)))
		return sfd < 0 ? sfd : -ch->err;
	getsockopt(sfd, SOL_SOCKET, SO_RCVBUF, &got, &glen);
	if (got < want)
		return chan_fail(ch, ENOBUFS,
				 "the server's receive buffer holds %d bytes, %u clients' datagrams need %d "
				 "(net.core.rmem_max)",
				 got, ch->nclients, want);
	for (unsigned int i = 0; i < ch->nclients; i++) {
		int fd = udp_socket(ch, &sa, 2 * (int)ch->msg_bytes + 4096);

		if (fd < 0 || fansock_dgram_add(ch, i, fd, (struct sockaddr *)&sa, sizeof(sa)))
			return fd < 0 ? fd : -ch->err;
		if (connect(fd, (struct sockaddr *)&srv, sizeof(srv)) < 0)
			return chan_fail(ch, errno, "connect 127.0.0.1:%u", ntohs(srv.sin_port));
	}
	return 0;
}

static int udp_create(struct chan *ch)
{
	struct sockaddr_in sa[2];
	socklen_t len = sizeof(sa[0]);
	int fd[2], buf = 2 * UDP_MAX_PAYLOAD + 4096;

	if (ch->nclients)
		return udp_fan_create(ch);
	for (int i = 0; i < 2; i++) {
		fd[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd[i] < 0)
			return chan_fail(ch, errno, "socket AF_INET SOCK_DGRAM");
		if (fdchan_add_fd(ch, fd[i]))
			return -ch->err;
		setsockopt(fd[i], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
		setsockopt(fd[i], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
		if (sockopt_apply(ch, fd[i], sockopt_buf_descs, SOCKOPT_BUF_N))
			return -ch->err;
		sa[i] = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		if (bind(fd[i], (struct sockaddr *)&sa[i], sizeof(sa[i])) < 0)
			return chan_fail(ch, errno, "bind 127.0.0.1:0");
		if (getsockname(fd[i], (struct sockaddr *)&sa[i], &len) < 0)
			return chan_fail(ch, errno, "getsockname");
	}
	for (int i = 0; i < 2; i++)
		if (connect(fd[i], (struct sockaddr *)&sa[1 - i], sizeof(sa[0])) < 0)
			return chan_fail(ch, errno, "connect 127.0.0.1:%u", ntohs(sa[1 - i].sin_port));
	return 0;
}

static int udp_attach(struct chan *ch, enum chan_role role)
{
	struct fd_chan *fc = ch->priv;
	int fd = fc->fd[role == CHAN_CLIENT ? 0 : 1];

	if (ch->nclients)
		return fansock_dgram_attach(ch, role, fc->fd[0]);
	return fdchan_use(ch, fd, fd);
}

const struct transport_ops udp_ops = {
	.name = "udp",
	.summary = "UDP datagrams over 127.0.0.1 (at most 65507 bytes each)",
	.kind = CHAN_MESSAGE,
	.flags =
		TRANSPORT_CAN_SPIN | TRANSPORT_CAN_EVENT | TRANSPORT_LOSSY | TRANSPORT_FAN_IN | TRANSPORT_SECOND_SENDER,
	.priv_size = sizeof(struct fd_chan),
	.options = sockopt_buf_options,
	.probe = udp_probe,
	.create = udp_create,
	.attach = udp_attach,
	.send = fdchan_record_send,
	.recv = fdchan_record_recv,
	.recv_any = fansock_dgram_recv_any,
	.send_to = fansock_dgram_send_to,
	.detach = fansock_detach,
	.destroy = fansock_destroy,
};
