/*
 * unix.c - AF_UNIX sockets over filesystem paths in the run directory.
 *
 * unix: SOCK_STREAM.  The parent binds and listens before the fork (so the
 * path exists and destroy knows it); the server accepts, the client
 * connects.  A byte stream with no size limit of its own.
 * unix_dgram: SOCK_DGRAM, two sockets bound to two paths and connected to
 * each other.  Records are limited like socketpair_seqpacket (sk_sndbuf -
 * 32 bytes and what the kernel allocates, unixsock.h); the receiver's
 * queue holds net.unix.max_dgram_qlen records.  By name (--peers exec,
 * serve): create() leaves the server's socket unconnected; a forked server
 * connects it to client.sock, the socket create() made; a client that
 * comes by name binds its own socket to client.sock afresh (unlinking the
 * creator's), connects to server.sock and says hello, and its server
 * connects to whoever said it (byname.h).
 * Socket files are mode 0600 (umask while binding) in the 0700 run
 * directory and unlinked by destroy.
 *
 * Options sndbuf and rcvbuf (both): SO_SNDBUF / SO_RCVBUF on both ends
 * (transports/sockopt.h), recorded as getsockopt reads them back.  An
 * accepted AF_UNIX socket does not inherit the listener's buffers, so the
 * server sets them on the connection it accepts, the client before it
 * connects.  On unix_dgram a record is at most the granted sndbuf - 32.
 */
#include "transports/byname.h"
#include "transports/chan_util.h"
#include "transports/fansock.h"
#include "transports/fdio.h"
#include "transports/sockopt.h"
#include "transports/unixsock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

_Static_assert(sizeof(((struct sockaddr_un *)0)->sun_path) == FDCHAN_PATH_MAX, "fd_chan paths hold a sun_path");

static int bind_path(struct chan *ch, int fd, const char *what, struct sockaddr_un *sa)
{
	mode_t old;
	int r;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (chan_path(ch, what, sa->sun_path, sizeof(sa->sun_path)))
		return chan_fail(ch, ENAMETOOLONG, "socket path in %s (at most %zu bytes)", ch->run_dir,
				 sizeof(sa->sun_path) - 1);
	old = umask(0077);
	r = bind(fd, (struct sockaddr *)sa, sizeof(*sa));
	umask(old);
	if (r < 0)
		return chan_fail(ch, errno, "bind %s", sa->sun_path);
	return fdchan_add_path(ch, sa->sun_path);
}

static int new_socket(struct chan *ch, int type)
{
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return chan_fail(ch, errno, "socket AF_UNIX");
	if (fdchan_add_fd(ch, fd))
		return -ch->err;
	return fd;
}

static int unix_probe(struct chan *ch)
{
	long long wmem = 0;

	chan_read_sysctl("/proc/sys/net/core/wmem_default", &wmem);
	ch->limits.max_msg_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "a byte stream: no message limit; socket buffers net.core.wmem_default %lld", wmem);
	return sockopt_probe(ch, AF_UNIX, SOCK_STREAM, sockopt_buf_descs, SOCKOPT_BUF_N);
}

static int unix_create(struct chan *ch)
{
	struct sockaddr_un sa;
	int fd = new_socket(ch, SOCK_STREAM);

	if (fd < 0)
		return fd;
	if (bind_path(ch, fd, "stream.sock", &sa))
		return -ch->err;
	if (listen(fd, fansock_backlog(ch)) < 0)
		return chan_fail(ch, errno, "listen %s", sa.sun_path);
	return 0;
}

static int unix_apply(struct chan *ch, int fd)
{
	return sockopt_apply(ch, fd, sockopt_buf_descs, SOCKOPT_BUF_N);
}

static int unix_attach(struct chan *ch, enum chan_role role)
{
	struct fd_chan *fc = ch->priv;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (role == CHAN_SERVER && ch->nclients)
		return fansock_accept_all(ch, fc->fd[0], unix_apply);
	if (role == CHAN_SERVER) {
		fd = fdchan_accept(ch);
		if (fd < 0)
			return chan_fail(ch, errno, "accept %s", fc->path[0]);
		if (sockopt_apply(ch, fd, sockopt_buf_descs, SOCKOPT_BUF_N)) {
			close(fd);
			return -ch->err;
		}
		return fdchan_use_conn(ch, fd);
	}
	fd = new_socket(ch, SOCK_STREAM);
	if (fd < 0)
		return fd;
	if (sockopt_apply(ch, fd, sockopt_buf_descs, SOCKOPT_BUF_N))
		return -ch->err;
	memcpy(sa.sun_path, fc->path[0], sizeof(sa.sun_path)); /* both 108 bytes, NUL-terminated */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return chan_fail(ch, errno, "connect %s", sa.sun_path);
	if (ch->nclients && fansock_hello(ch, fd))
		return -ch->err;
	return fdchan_use(ch, fd, fd);
}

static int unix_dgram_probe(struct chan *ch)
{
	int r = unixsock_max_record(ch, SOCK_DGRAM);
	long long qlen = 0;
	size_t n;

	if (!r)
		r = unixsock_probe_options(ch, SOCK_DGRAM);
	if (r)
		return r;
	if (!chan_read_sysctl("/proc/sys/net/unix/max_dgram_qlen", &qlen)) {
		n = strlen(ch->limits.note);
		snprintf(ch->limits.note + n, sizeof(ch->limits.note) - n, "; net.unix.max_dgram_qlen %lld", qlen);
	}
	return 0;
}

static int unix_dgram_fan_create(struct chan *ch);

/* client.sock (fd[0]) connected to server.sock (fd[1]), which stays unconnected until attach. */
static int unix_dgram_create(struct chan *ch)
{
	struct sockaddr_un sa[2];
	static const char *const what[] = {"client.sock", "server.sock"};
	int fd[2];

	if (ch->nclients)
		return unix_dgram_fan_create(ch);
	for (int i = 0; i < 2; i++) {
		fd[i] = new_socket(ch, SOCK_DGRAM);
		if (fd[i] < 0)
			return fd[i];
		if (bind_path(ch, fd[i], what[i], &sa[i]))
			return -ch->err;
		unixsock_size_buffers(ch, fd[i]);
		if (sockopt_apply(ch, fd[i], sockopt_buf_descs, SOCKOPT_BUF_N))
			return -ch->err;
	}
	if (connect(fd[0], (struct sockaddr *)&sa[1], sizeof(sa[1])) < 0)
		return chan_fail(ch, errno, "connect %s", sa[1].sun_path);
	return 0;
}

/*
 * Fan-in: the server's socket (bound, unconnected) is fd[0]; client i's
 * socket is bound to client-<i>.sock and connected to the server's.
 */
static int unix_dgram_fan_create(struct chan *ch)
{
	struct sockaddr_un srv, sa;
	char what[32];
	int sfd = new_socket(ch, SOCK_DGRAM), r = fansock_new(ch);

	if (sfd < 0 || r)
		return sfd < 0 ? sfd : r;
	if (bind_path(ch, sfd, "server.sock", &srv) || unix_apply(ch, sfd))
		return -ch->err;
	unixsock_size_buffers(ch, sfd);
	for (unsigned int i = 0; i < ch->nclients; i++) {
		int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		mode_t old;

		if (fd < 0)
			return chan_fail(ch, errno, "socket AF_UNIX");
		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		snprintf(what, sizeof(what), "client-%u.sock", i);
		if (chan_path(ch, what, sa.sun_path, sizeof(sa.sun_path)) ||
		    fansock_dgram_add(ch, i, fd, (struct sockaddr *)&sa, sizeof(sa)))
			return ch->err ? -ch->err : chan_fail(ch, ENAMETOOLONG, "socket path in %s", ch->run_dir);
		old = umask(0077);
		r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
		umask(old);
		if (r < 0)
			return chan_fail(ch, errno, "bind %s", sa.sun_path);
		if (fansock_dgram_bound(ch, i))
			return -ch->err;
		unixsock_size_buffers(ch, fd);
		if (unix_apply(ch, fd) || connect(fd, (struct sockaddr *)&srv, sizeof(srv)) < 0)
			return ch->err ? -ch->err : chan_fail(ch, errno, "connect %s", srv.sun_path);
	}
	return 0;
}

static void sun_of(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, sizeof(sa->sun_path)); /* both 108 bytes, NUL-terminated */
}

/* An exec'd client: its own socket bound to client.sock afresh, connected to server.sock, and the hello. */
static int unix_dgram_client_by_name(struct chan *ch, struct fd_chan *fc)
{
	struct sockaddr_un me, srv;
	int fd = new_socket(ch, SOCK_DGRAM), r;
	mode_t old;

	if (fd < 0)
		return fd;
	sun_of(&me, fc->path[0]);
	sun_of(&srv, fc->path[1]);
	unlink(me.sun_path); /* the creator's socket, which its server closes */
	old = umask(0077);
	r = bind(fd, (struct sockaddr *)&me, sizeof(me));
	umask(old);
	if (r < 0)
		return chan_fail(ch, errno, "bind %s", me.sun_path);
	unixsock_size_buffers(ch, fd);
	if (unix_apply(ch, fd))
		return -ch->err;
	if (connect(fd, (struct sockaddr *)&srv, sizeof(srv)) < 0)
		return chan_fail(ch, errno, "connect %s", srv.sun_path);
	if (byname_hello_send(ch, fd))
		return -ch->err;
	return fdchan_use(ch, fd, fd);
}

static int unix_dgram_attach(struct chan *ch, enum chan_role role)
{
	struct fd_chan *fc = ch->priv;
	struct sockaddr_un sa;
	int fd = fc->fd[role == CHAN_CLIENT ? 0 : 1];

	if (ch->nclients)
		return fansock_dgram_attach(ch, role, fc->fd[0]);
	if (role == CHAN_CLIENT)
		return ch->client_by_name ? unix_dgram_client_by_name(ch, fc) : fdchan_use(ch, fd, fd);
	if (ch->client_by_name) {
		if (byname_hello_take(ch, fd))
			return -ch->err;
	} else {
		sun_of(&sa, fc->path[0]);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return chan_fail(ch, errno, "connect %s", sa.sun_path);
	}
	return fdchan_use(ch, fd, fd);
}

const struct transport_ops unix_ops = {
	.name = "unix",
	.summary = "AF_UNIX SOCK_STREAM over a path (listen/accept/connect)",
	.kind = CHAN_STREAM,
	.flags = TRANSPORT_CAN_SPIN | TRANSPORT_CAN_EVENT | TRANSPORT_BY_NAME | TRANSPORT_FAN_IN,
	.priv_size = sizeof(struct fd_chan),
	.options = sockopt_buf_options,
	.probe = unix_probe,
	.create = unix_create,
	.adopt = fdchan_adopt,
	.attach = unix_attach,
	.send = fdchan_stream_send,
	.recv = fdchan_stream_recv,
	.recv_any = fansock_stream_recv_any,
	.send_to = fansock_stream_send_to,
	.detach = fansock_detach,
	.destroy = fansock_destroy,
};

const struct transport_ops unix_dgram_ops = {
	.name = "unix_dgram",
	.summary = "AF_UNIX SOCK_DGRAM between two bound paths",
	.kind = CHAN_MESSAGE,
	.flags = TRANSPORT_CAN_SPIN | TRANSPORT_CAN_EVENT | TRANSPORT_FAN_IN | TRANSPORT_SECOND_SENDER |
		 TRANSPORT_BY_NAME,
	.priv_size = sizeof(struct fd_chan),
	.options = sockopt_buf_options,
	.probe = unix_dgram_probe,
	.create = unix_dgram_create,
	.adopt = fdchan_adopt,
	.attach = unix_dgram_attach,
	.send = fdchan_record_send,
	.recv = fdchan_record_recv,
	.recv_any = fansock_dgram_recv_any,
	.send_to = fansock_dgram_send_to,
	.detach = fansock_detach,
	.destroy = fansock_destroy,
};
