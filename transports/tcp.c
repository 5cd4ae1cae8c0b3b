/*
 * tcp.c - TCP over loopback (127.0.0.1), an ephemeral port, TCP_NODELAY.
 *
 * The parent binds and listens on 127.0.0.1:0 before the fork; the server
 * accepts, the client connects.  Both ends set TCP_NODELAY so a message is
 * not held back by Nagle's algorithm waiting for the previous ACK.  A byte
 * stream: no size limit of its own; socket buffers autotune within
 * net.ipv4.tcp_wmem / tcp_rmem.  Only loopback is ever bound, except under
 * `ipcbench serve`, where the harness names the address its client
 * reached (chan.net_addr) and the server binds that one.
 *
 * Options: nodelay (default 1, as before options existed: TCP_NODELAY on
 * both ends; 0 leaves Nagle's algorithm on, so a small message may wait
 * for the ACK of the previous one), sndbuf and rcvbuf (SO_SNDBUF and
 * SO_RCVBUF on both ends, which turns the kernel's autotuning off for
 * that buffer; the kernel doubles the value for its bookkeeping and caps
 * it at net.core.wmem_max / rmem_max without CAP_NET_ADMIN, and the
 * result records what getsockopt returns, the doubled value), busy_poll
 * (SO_BUSY_POLL microseconds: a blocking receive polls the device queue
 * that long before sleeping; raising it needs CAP_NET_ADMIN, EPERM
 * otherwise, and loopback has no device queue to poll, so expect little).
 * probe() applies each to a scratch socket and records what it reads back
 * (transports/sockopt.c, shared with the other socket transports).
 */
#include "transports/fansock.h"
#include "transports/fdio.h"
#include "transports/sockopt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

struct tcp_chan {
	struct fd_chan fc; /* first: the fdchan hooks use it */
	struct sockaddr_in addr;
};

enum { TCP_OPT_NODELAY, TCP_OPT_SNDBUF, TCP_OPT_RCVBUF, TCP_OPT_BUSY_POLL };

static const struct transport_option tcp_options[] = {
	[TCP_OPT_NODELAY] = {.name = "nodelay",
			     .type = TOPT_BOOL,
			     .def = 1,
			     .help = "TCP_NODELAY on both ends: 0 leaves Nagle's algorithm on"},
	[TCP_OPT_SNDBUF] = SOCKOPT_SNDBUF_OPTION,
	[TCP_OPT_RCVBUF] = SOCKOPT_RCVBUF_OPTION,
	[TCP_OPT_BUSY_POLL] = {.name = "busy_poll",
			       .type = TOPT_USEC,
			       .def = 0,
			       .min = 0,
			       .max = 1000000,
			       .help = "SO_BUSY_POLL: microseconds a blocking receive polls before sleeping"},
	{0},
};

/* nodelay always (its default is on), the others where given */
static const struct sockopt_desc tcp_sockopts[] = {
	{TCP_OPT_NODELAY, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY", true},
	{TCP_OPT_SNDBUF, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF", false},
	{TCP_OPT_RCVBUF, SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF", false},
	{TCP_OPT_BUSY_POLL, SOL_SOCKET, SO_BUSY_POLL, "SO_BUSY_POLL", false},
};

static int tcp_apply(struct chan *ch, int fd)
{
	return sockopt_apply(ch, fd, tcp_sockopts, sizeof(tcp_sockopts) / sizeof(tcp_sockopts[0]));
}

static int tcp_probe(struct chan *ch)
{
	char wmem[64] = "?";
	FILE *f;
	int r = sockopt_probe(ch, AF_INET, SOCK_STREAM, tcp_sockopts, sizeof(tcp_sockopts) / sizeof(tcp_sockopts[0]));

	if (r)
		return r;
	f = fopen("/proc/sys/net/ipv4/tcp_wmem", "re");
	if (f) {
		if (!fgets(wmem, sizeof(wmem), f))
			wmem[0] = 0;
		fclose(f);
		for (char *p = wmem; *p; p++)
			if (*p == '\n' || *p == '\t')
				*p = *p == '\n' ? 0 : ' ';
	}
	ch->limits.max_msg_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note), "a byte stream: no message limit; net.ipv4.tcp_wmem %s",
		 wmem);
	return 0;
}

static int tcp_create(struct chan *ch)
{
	struct tcp_chan *tc = ch->priv;
	socklen_t len = sizeof(tc->addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return chan_fail(ch, errno, "socket AF_INET");
	if (fdchan_add_fd(ch, fd) || tcp_apply(ch, fd)) /* accepted sockets inherit the buffer sizes */
		return -ch->err;
	tc->addr.sin_family = AF_INET;
	tc->addr.sin_addr.s_addr = ch->net_addr ? ch->net_addr : htonl(INADDR_LOOPBACK); /* serve: its address */
	tc->addr.sin_port = 0;
	if (bind(fd, (struct sockaddr *)&tc->addr, sizeof(tc->addr)) < 0)
		return chan_fail(ch, errno, "bind 127.0.0.1:0");
	if (getsockname(fd, (struct sockaddr *)&tc->addr, &len) < 0)
		return chan_fail(ch, errno, "getsockname");
	if (listen(fd, fansock_backlog(ch)) < 0)
		return chan_fail(ch, errno, "listen 127.0.0.1:%u", ntohs(tc->addr.sin_port));
	return 0;
}

static int tcp_attach(struct chan *ch, enum chan_role role)
{
	struct tcp_chan *tc = ch->priv;
	int fd;

	if (role == CHAN_SERVER && ch->nclients)
		return fansock_accept_all(ch, tc->fc.fd[0], tcp_apply);
	if (role == CHAN_SERVER) {
		do
			fd = accept4(tc->fc.fd[0], NULL, NULL, SOCK_CLOEXEC);
		while (fd < 0 && errno == EINTR);
		if (fd < 0)
			return chan_fail(ch, errno, "accept 127.0.0.1:%u", ntohs(tc->addr.sin_port));
	} else {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return chan_fail(ch, errno, "socket AF_INET");
		if (tcp_apply(ch, fd)) { /* before connect: the window scale follows the receive buffer */
			close(fd);
			return -ch->err;
		}
		if (connect(fd, (struct sockaddr *)&tc->addr, sizeof(tc->addr)) < 0) {
			int e = errno;

			close(fd);
			return chan_fail(ch, e, "connect 127.0.0.1:%u", ntohs(tc->addr.sin_port));
		}
		if (ch->nclients && fansock_hello(ch, fd)) {
			close(fd);
			return -ch->err;
		}
	}
	if (fdchan_add_fd(ch, fd) || tcp_apply(ch, fd))
		return -ch->err;
	return fdchan_use(ch, fd, fd);
}

const struct transport_ops tcp_ops = {
	.name = "tcp",
	.summary = "TCP over 127.0.0.1, TCP_NODELAY (nodelay=0: Nagle on)",
	.kind = CHAN_STREAM,
	.flags = TRANSPORT_CAN_SPIN | TRANSPORT_CAN_EVENT | TRANSPORT_BY_NAME | TRANSPORT_NETWORK | TRANSPORT_FAN_IN,
	.priv_size = sizeof(struct tcp_chan),
	.options = tcp_options,
	.probe = tcp_probe,
	.create = tcp_create,
	.adopt = fdchan_adopt,
	.attach = tcp_attach,
	.send = fdchan_stream_send,
	.recv = fdchan_stream_recv,
	.recv_any = fansock_stream_recv_any,
	.send_to = fansock_stream_send_to,
	.detach = fansock_detach,
	.destroy = fansock_destroy,
};
