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
 *
 * By name (--peers exec, serve): create() leaves the server's socket
 * unconnected and notes both ports; a forked server connects it to the
 * client socket create() made; a client that comes by name makes its own
 * socket, connects it to the server's port and says hello, and its server
 * connects to whoever said it (byname.h).  UDP joins two
 * hosts as well as two processes (TRANSPORT_NETWORK): under serve the
 * server binds the address its client reached (ch->net_addr), and a
 * client whose server is not on loopback binds the wildcard address.
 */
#include "transports/byname.h"
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
#define UDP_BUF (2 * UDP_MAX_PAYLOAD + 4096)

struct udp_chan {
	struct fd_chan fc;	  /* first: the fdchan and fansock hooks use it */
	struct sockaddr_in sa[2]; /* the client's and the server's address */
};

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

/* A socket bound to addr:0 (network order) with the buffers sized, its address in *sa: the fd or -errno. */
static int udp_socket_at(struct chan *ch, struct sockaddr_in *sa, int buf, uint32_t addr)
{
	socklen_t len = sizeof(*sa);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return chan_fail(ch, errno, "socket AF_INET SOCK_DGRAM");
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	*sa = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = addr};
	if (sockopt_apply(ch, fd, sockopt_buf_descs, SOCKOPT_BUF_N) || bind(fd, (struct sockaddr *)sa, len) < 0 ||
	    getsockname(fd, (struct sockaddr *)sa, &len) < 0) {
		int e = ch->err ? ch->err : errno;
		char ip[INET_ADDRSTRLEN];

		close(fd);
		inet_ntop(AF_INET, &addr, ip, sizeof(ip));
		return chan_fail(ch, e, "bind %s:0", ip);
	}
	return fd;
}

/* On loopback. */
static int udp_socket(struct chan *ch, struct sockaddr_in *sa, int buf)
{
	return udp_socket_at(ch, sa, buf, htonl(INADDR_LOOPBACK));
}

/* The address the server binds: the one its client reached under serve, else loopback. */
static uint32_t udp_server_addr(const struct chan *ch)
{
	return ch->net_addr ? ch->net_addr : htonl(INADDR_LOOPBACK);
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
	int sfd = udp_socket_at(ch, &srv, want, udp_server_addr(ch)), r;

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

static int udp_connect_fail(struct chan *ch, const struct sockaddr_in *to)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &to->sin_addr, ip, sizeof(ip));
	return chan_fail(ch, errno, "connect %s:%u", ip, ntohs(to->sin_port));
}

/* The client's socket (fd[0]) connected to the server's (fd[1]), which stays unconnected until attach. */
static int udp_create(struct chan *ch)
{
	struct udp_chan *uc = ch->priv;
	int fd[2];

	if (ch->nclients)
		return udp_fan_create(ch);
	for (int i = 0; i < 2; i++) {
		fd[i] = udp_socket_at(ch, &uc->sa[i], UDP_BUF, i ? udp_server_addr(ch) : htonl(INADDR_LOOPBACK));
		if (fd[i] < 0 || fdchan_add_fd(ch, fd[i]))
			return fd[i] < 0 ? fd[i] : -ch->err;
	}
	if (connect(fd[0], (struct sockaddr *)&uc->sa[1], sizeof(uc->sa[1])) < 0)
		return udp_connect_fail(ch, &uc->sa[1]);
	return 0;
}

/*
 * The client: the socket create() made (forked), or one of its own
 * connected to the server's port and the hello (exec'd, remote).
 */
static int udp_client(struct chan *ch, struct udp_chan *uc, int fd)
{
	struct sockaddr_in mine;
	bool local = uc->sa[1].sin_addr.s_addr == htonl(INADDR_LOOPBACK);

	if (!ch->client_by_name)
		return fdchan_use(ch, fd, fd);
	fd = udp_socket_at(ch, &mine, UDP_BUF, local ? htonl(INADDR_LOOPBACK) : htonl(INADDR_ANY));
	if (fd < 0 || fdchan_add_fd(ch, fd))
		return fd < 0 ? fd : -ch->err;
	if (connect(fd, (struct sockaddr *)&uc->sa[1], sizeof(uc->sa[1])) < 0)
		return udp_connect_fail(ch, &uc->sa[1]);
	if (byname_hello_send(ch, fd))
		return -ch->err;
	return fdchan_use(ch, fd, fd);
}

static int udp_attach(struct chan *ch, enum chan_role role)
{
	struct udp_chan *uc = ch->priv;
	struct fd_chan *fc = &uc->fc;
	int fd = fc->fd[role == CHAN_CLIENT ? 0 : 1];

	if (ch->nclients)
		return fansock_dgram_attach(ch, role, fc->fd[0]);
	if (role == CHAN_CLIENT)
		return udp_client(ch, uc, fd);
	if (ch->client_by_name ? byname_hello_take(ch, fd)
			       : connect(fd, (struct sockaddr *)&uc->sa[0], sizeof(uc->sa[0])) < 0 &&
					 udp_connect_fail(ch, &uc->sa[0]))
		return -ch->err;
	return fdchan_use(ch, fd, fd);
}

const struct transport_ops udp_ops = {
	.name = "udp",
	.summary = "UDP datagrams over 127.0.0.1 (at most 65507 bytes each)",
	.kind = CHAN_MESSAGE,
	.flags = TRANSPORT_CAN_SPIN | TRANSPORT_CAN_EVENT | TRANSPORT_LOSSY | TRANSPORT_FAN_IN |
		 TRANSPORT_SECOND_SENDER | TRANSPORT_BY_NAME | TRANSPORT_NETWORK,
	.priv_size = sizeof(struct udp_chan),
	.options = sockopt_buf_options,
	.probe = udp_probe,
	.create = udp_create,
	.adopt = fdchan_adopt,
	.attach = udp_attach,
	.send = fdchan_record_send,
	.recv = fdchan_record_recv,
	.recv_any = fansock_dgram_recv_any,
	.send_to = fansock_dgram_send_to,
	.detach = fansock_detach,
	.destroy = fansock_destroy,
};
