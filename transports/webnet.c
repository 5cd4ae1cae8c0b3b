/*
 * webnet.c - the listening and connecting sockets of the web transports
 * (webnet.h).  TCP_NODELAY on both ends of a TCP connection: a request
 * or a frame is never held back by Nagle's algorithm.
 */
#include "transports/webnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transports/chan_util.h"

const char *const webnet_names[] = {"tcp", "unix", NULL};

const char *webnet_raw_of(const struct chan_opts *o)
{
	bool unix_net = (o->given & (1u << WEBNET_OPT)) && o->val[WEBNET_OPT] == WEBNET_UNIX;

	return unix_net ? "unix" : "tcp";
}

const char *webnet_where(const struct webnet *wn, char *out, size_t outlen)
{
	char ip[INET_ADDRSTRLEN];

	if (wn->unix_net)
		snprintf(out, outlen, "%s", wn->un.sun_path);
	else
		snprintf(out, outlen, "%s:%u", inet_ntop(AF_INET, &wn->in.sin_addr, ip, sizeof(ip)) ? ip : "?",
			 ntohs(wn->in.sin_port));
	return out;
}

static int listen_unix(struct chan *ch, struct webnet *wn, int fd)
{
	mode_t old;
	int r;

	wn->un.sun_family = AF_UNIX;
	if (chan_path(ch, "web.sock", wn->un.sun_path, sizeof(wn->un.sun_path)))
		return chan_fail(ch, ENAMETOOLONG, "socket path in %s (at most %zu bytes)", ch->run_dir,
				 sizeof(wn->un.sun_path) - 1);
	old = umask(0077);
	r = bind(fd, (struct sockaddr *)&wn->un, sizeof(wn->un));
	umask(old);
	if (r < 0)
		return chan_fail(ch, errno, "bind %s", wn->un.sun_path);
	return fdchan_add_path(ch, wn->un.sun_path);
}

static int listen_tcp(struct chan *ch, struct webnet *wn, int fd)
{
	socklen_t len = sizeof(wn->in);
	char where[FDCHAN_PATH_MAX];

	wn->in.sin_family = AF_INET;
	/* under serve, the address the remote client reached; else loopback only */
	wn->in.sin_addr.s_addr = ch->net_addr ? ch->net_addr : htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&wn->in, sizeof(wn->in)) < 0)
		return chan_fail(ch, errno, "bind %s", webnet_where(wn, where, sizeof(where)));
	if (getsockname(fd, (struct sockaddr *)&wn->in, &len) < 0)
		return chan_fail(ch, errno, "getsockname");
	return 0;
}

int webnet_listen(struct chan *ch, struct webnet *wn)
{
	char where[FDCHAN_PATH_MAX];
	int fd;

	wn->unix_net = chan_opt(ch, WEBNET_OPT) == WEBNET_UNIX;
	if (wn->unix_net && ch->net_addr)
		return chan_fail(ch, EINVAL, "%s:net=unix joins processes of one host: use :net=tcp", ch->ops->name);
	fd = socket(wn->unix_net ? AF_UNIX : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return chan_fail(ch, errno, "socket %s", wn->unix_net ? "AF_UNIX" : "AF_INET");
	if (fdchan_add_fd(ch, fd))
		return -ch->err;
	if (wn->unix_net ? listen_unix(ch, wn, fd) : listen_tcp(ch, wn, fd))
		return -ch->err;
	/* a fan-in channel's clients may all connect at once */
	if (listen(fd, ch->nclients > 4 ? (int)ch->nclients : 4) < 0)
		return chan_fail(ch, errno, "listen %s", webnet_where(wn, where, sizeof(where)));
	return 0;
}

static int nodelay(struct chan *ch, const struct webnet *wn, int fd)
{
	int one = 1;

	if (!wn->unix_net && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		return chan_fail(ch, errno, "setsockopt TCP_NODELAY");
	return 0;
}

int webnet_accept(struct chan *ch, struct webnet *wn)
{
	char where[FDCHAN_PATH_MAX];
	int r, fd;

	r = fdio_wait(ch, wn->fc.fd[0], POLLIN);
	if (r)
		return r;
	fd = fdchan_accept(ch);
	if (fd < 0)
		return chan_fail(ch, errno, "accept %s", webnet_where(wn, where, sizeof(where)));
	if (fdchan_add_fd(ch, fd) || nodelay(ch, wn, fd))
		return -ch->err;
	fdchan_use(ch, fd, fd); /* closes the listener; blocking I/O */
	return fd;
}

int webnet_connect(struct chan *ch, struct webnet *wn)
{
	char where[FDCHAN_PATH_MAX];
	int fd;

	if (wn->unix_net)
		fd = fdio_connect_stream(AF_UNIX, &wn->un, sizeof(wn->un));
	else
		fd = fdio_connect_stream(AF_INET, &wn->in, sizeof(wn->in));
	if (fd < 0)
		return chan_fail(ch, errno, "connect %s", webnet_where(wn, where, sizeof(where)));
	if (fdchan_add_fd(ch, fd) || nodelay(ch, wn, fd))
		return -ch->err;
	fdchan_use(ch, fd, fd);
	return fd;
}

bool webnet_peer_gone(int fd)
{
	struct pollfd p = {.fd = fd, .events = 0};

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR | POLLNVAL));
}
