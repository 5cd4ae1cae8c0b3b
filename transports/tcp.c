/*
 * tcp.c - TCP over loopback (127.0.0.1), an ephemeral port, TCP_NODELAY.
 *
 * The parent binds and listens on 127.0.0.1:0 before the fork; the server
 * accepts, the client connects.  Both ends set TCP_NODELAY so a message is
 * not held back by Nagle's algorithm waiting for the previous ACK.  A byte
 * stream: no size limit of its own; socket buffers autotune within
 * net.ipv4.tcp_wmem / tcp_rmem.  Only loopback is ever bound.
 */
#include "transports/fdio.h"

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

static int tcp_probe(struct chan *ch)
{
	char wmem[64] = "?";
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_wmem", "re");

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

static int nodelay(struct chan *ch, int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		return chan_fail(ch, errno, "setsockopt TCP_NODELAY");
	return 0;
}

static int tcp_create(struct chan *ch)
{
	struct tcp_chan *tc = ch->priv;
	socklen_t len = sizeof(tc->addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return chan_fail(ch, errno, "socket AF_INET");
	if (fdchan_add_fd(ch, fd))
		return -ch->err;
	tc->addr.sin_family = AF_INET;
	tc->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	tc->addr.sin_port = 0;
	if (bind(fd, (struct sockaddr *)&tc->addr, sizeof(tc->addr)) < 0)
		return chan_fail(ch, errno, "bind 127.0.0.1:0");
	if (getsockname(fd, (struct sockaddr *)&tc->addr, &len) < 0)
		return chan_fail(ch, errno, "getsockname");
	if (listen(fd, 1) < 0)
		return chan_fail(ch, errno, "listen 127.0.0.1:%u", ntohs(tc->addr.sin_port));
	return 0;
}

static int tcp_attach(struct chan *ch, enum chan_role role)
{
	struct tcp_chan *tc = ch->priv;
	int fd;

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
		if (connect(fd, (struct sockaddr *)&tc->addr, sizeof(tc->addr)) < 0) {
			int e = errno;

			close(fd);
			return chan_fail(ch, e, "connect 127.0.0.1:%u", ntohs(tc->addr.sin_port));
		}
	}
	if (fdchan_add_fd(ch, fd) || nodelay(ch, fd))
		return -ch->err;
	return fdchan_use(ch, fd, fd);
}

const struct transport_ops tcp_ops = {
	.name = "tcp",
	.summary = "TCP over 127.0.0.1, TCP_NODELAY",
	.kind = CHAN_STREAM,
	.flags = TRANSPORT_CAN_SPIN,
	.priv_size = sizeof(struct tcp_chan),
	.probe = tcp_probe,
	.create = tcp_create,
	.attach = tcp_attach,
	.send = fdchan_stream_send,
	.recv = fdchan_stream_recv,
	.detach = fdchan_detach,
	.destroy = fdchan_destroy,
};
