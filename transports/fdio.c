/*
 * fdio.c - send and receive shared by the fd-based transports.
 *
 * Stream fds loop over short reads and writes and EINTR.  Record fds
 * (datagram, seqpacket) move one record per call and treat any other size
 * as -EPROTO.  With CHAN_WAIT_SPIN the fds are non-blocking and EAGAIN is
 * polled in a loop that never sleeps (it yields now and then, see
 * wait_again); with CHAN_WAIT_BLOCK the calls block; with CHAN_WAIT_EPOLL
 * and CHAN_WAIT_POLL they are non-blocking and wait for readiness first,
 * as an event loop does (fdio.h).
 * A blocking wait never outlives ch->timeout_ms when the fd was made
 * non-blocking by the transport; otherwise the harness's watchdog bounds it.
 */
#include "transports/fdio.h"
#include "transports/chan_util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * Spinning polls with a pause.  When the peer shares this CPU it cannot
 * make progress while we spin (pure spinning would cost a scheduler tick
 * per message), so every failed poll yields; across CPUs a yield every
 * FDIO_SPINS_PER_YIELD polls only keeps the spinner from starving others.
 */
#define FDIO_SPINS_PER_YIELD 1024

static bool event_loop(const struct chan *ch)
{
	return ch->wait == CHAN_WAIT_EPOLL || ch->wait == CHAN_WAIT_POLL;
}

/*
 * epoll_wait on this process's instance for fd: the read fd is
 * registered for EPOLLIN all along; a write that must wait adds EPOLLOUT
 * for its fd for this one wait, as a server arms EPOLLOUT only while a
 * write is pending.  Readiness (or an error or hang-up, which the retried
 * call then reports) is 0.
 */
static int epoll_ready(struct chan *ch, int fd, short events)
{
	struct fd_chan *fc = ch->priv;
	struct epoll_event ev = {.events = events == POLLIN ? EPOLLIN : EPOLLOUT, .data.fd = fd}, got[2];
	bool arm = !(fd == fc->io.rfd && events == POLLIN);
	int op = fd == fc->io.rfd ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, n;

	/* (a read of io.rfd is armed already: EPOLLIN, registered by epoll_open) */

	if (!fc->ep_open)
		return chan_fail(ch, EBADF, "epoll_wait: no epoll instance (attach did not use fdchan_use)");
	if (arm && epoll_ctl(fc->epfd, op, fd, &ev) < 0)
		return chan_fail(ch, errno, "epoll_ctl fd=%d events=%#x", fd, ev.events);
	do
		n = epoll_wait(fc->epfd, got, 2, ch->timeout_ms > 0 ? ch->timeout_ms : -1);
	while (n < 0 && errno == EINTR);
	if (arm) {
		ev.events = EPOLLIN;
		epoll_ctl(fc->epfd, op == EPOLL_CTL_MOD ? EPOLL_CTL_MOD : EPOLL_CTL_DEL, fd, &ev);
	}
	if (n < 0)
		return chan_fail(ch, errno, "epoll_wait fd=%d", fd);
	if (n == 0)
		return chan_fail(ch, ETIMEDOUT, "epoll_wait fd=%d: peer silent for %d ms", fd, ch->timeout_ms);
	return 0;
}

static int wait_again(struct chan *ch, int fd, short events, unsigned int *spins)
{
	if (ch->wait == CHAN_WAIT_SPIN) {
		if (++*spins % FDIO_SPINS_PER_YIELD == 0)
			sched_yield();
		else
			chan_relax(ch);
		return 0;
	}
	if (ch->wait == CHAN_WAIT_EPOLL)
		return epoll_ready(ch, fd, events);
	return fdio_wait(ch, fd, events);
}

/* An event loop reads only what it was told is ready: it waits before the first read. */
static int wait_first(struct chan *ch, int fd)
{
	unsigned int spins = 0;

	return event_loop(ch) ? wait_again(ch, fd, POLLIN, &spins) : 0;
}

int fdio_wait(struct chan *ch, int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};
	int r;

	do
		r = poll(&p, 1, ch->timeout_ms > 0 ? ch->timeout_ms : -1);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return chan_fail(ch, errno, "poll fd=%d", fd);
	if (r == 0)
		return chan_fail(ch, ETIMEDOUT, "poll fd=%d: peer silent for %d ms", fd, ch->timeout_ms);
	if ((p.revents & (POLLERR | POLLNVAL)) && !(p.revents & events))
		return chan_fail(ch, EPIPE, "poll fd=%d", fd);
	return 0;
}

/*
 * Moves len bytes through a stream fd in either direction (out: write),
 * over short transfers, EINTR and EAGAIN.  The end of file on a read is
 * the peer gone; a write that moves nothing is EIO.
 */
static int stream_all(struct chan *ch, int fd, char *p, size_t len, bool out)
{
	const char *what = out ? "write" : "read";
	unsigned int spins = 0;
	int r = out ? 0 : wait_first(ch, fd);

	if (r)
		return r;
	while (len > 0) {
		ssize_t n = out ? write(fd, p, len) : read(fd, p, len);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n == 0 && !out) {
			return chan_fail(ch, EPIPE, "read fd=%d: end of file, peer gone with %zu bytes missing", fd,
					 len);
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && errno == EAGAIN) {
			r = wait_again(ch, fd, out ? POLLOUT : POLLIN, &spins);
			if (r)
				return r;
		} else {
			return chan_fail(ch, n < 0 ? errno : EIO, "%s fd=%d", what, fd);
		}
	}
	return 0;
}

int fdio_write_all(struct chan *ch, int fd, const void *buf, size_t len)
{
	return stream_all(ch, fd, (char *)buf, len, true); /* write() only reads buf */
}

int fdio_read_all(struct chan *ch, int fd, void *buf, size_t len)
{
	return stream_all(ch, fd, buf, len, false);
}

/*
 * ENOBUFS: the kernel could not allocate the record.  Memory pressure
 * passes; a record larger than the kernel ever allocates (an AF_UNIX
 * datagram past about 4 MiB) never does, and poll() reports the socket
 * writable all along, so retrying would spin until the watchdog.  Retry
 * FDIO_ENOBUFS_TRIES times 1 ms apart, then fail.
 */
#define FDIO_ENOBUFS_TRIES 10

int fdio_send_msg(struct chan *ch, int fd, const void *buf, size_t len)
{
	unsigned int spins = 0, nobufs = 0;

	for (;;) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n == (ssize_t)len)
			return 0;
		if (n >= 0)
			return chan_fail(ch, EPROTO, "send fd=%d: %zd of %zu bytes sent", fd, n, len);
		if (errno == EINTR)
			continue;
		if (errno == ENOBUFS) {
			if (++nobufs >= FDIO_ENOBUFS_TRIES)
				return chan_fail(ch, ENOBUFS, "send fd=%d len=%zu: refused %u times in a row", fd, len,
						 nobufs);
			poll(NULL, 0, 1);
			continue;
		}
		if (errno == EAGAIN) {
			int r = wait_again(ch, fd, POLLOUT, &spins);

			if (r)
				return r;
			continue;
		}
		return chan_fail(ch, errno, "send fd=%d len=%zu", fd, len);
	}
}

int fdio_recv_msg(struct chan *ch, int fd, void *buf, size_t len)
{
	unsigned int spins = 0;
	int r = wait_first(ch, fd);

	if (r)
		return r;
	for (;;) {
		/* MSG_TRUNC: the real length of a longer record is returned */
		ssize_t n = recv(fd, buf, len, MSG_TRUNC);

		if (n == (ssize_t)len)
			return 0;
		if (n == 0)
			return chan_fail(ch, EPIPE, "recv fd=%d: peer gone", fd);
		if (n > 0)
			return chan_fail(ch, EPROTO, "recv fd=%d: record of %zd bytes, expected %zu", fd, n, len);
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			r = wait_again(ch, fd, POLLIN, &spins);
			if (r)
				return r;
			continue;
		}
		return chan_fail(ch, errno, "recv fd=%d", fd);
	}
}

int fdio_set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	return fcntl(fd, F_SETFL, fl) < 0 ? -errno : 0;
}

void fdio_close(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* ---- struct fd_chan: the fd transports' shared state and hooks ---- */

int fdchan_add_fd(struct chan *ch, int fd)
{
	struct fd_chan *fc = ch->priv;

	if (fc->nfd >= FDCHAN_MAX_FDS) {
		close(fd);
		return chan_fail(ch, EMFILE, "fdchan: more than %d fds", FDCHAN_MAX_FDS);
	}
	fc->fd[fc->nfd++] = fd;
	return 0;
}

int fdchan_add_pipes(struct chan *ch)
{
	int c2s[2], s2c[2];

	if (pipe2(c2s, O_CLOEXEC) < 0)
		return chan_fail(ch, errno, "pipe2");
	if (pipe2(s2c, O_CLOEXEC) < 0) {
		int e = errno;

		close(c2s[0]);
		close(c2s[1]);
		return chan_fail(ch, e, "pipe2");
	}
	fdchan_add_fd(ch, c2s[0]);
	fdchan_add_fd(ch, c2s[1]);
	fdchan_add_fd(ch, s2c[0]);
	return fdchan_add_fd(ch, s2c[1]);
}

int fdchan_accept(struct chan *ch)
{
	struct fd_chan *fc = ch->priv;
	int fd;

	do
		fd = accept4(fc->fd[0], NULL, NULL, SOCK_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	return fd;
}

int fdchan_use_conn(struct chan *ch, int fd)
{
	if (fdchan_add_fd(ch, fd))
		return -ch->err;
	return fdchan_use(ch, fd, fd);
}

int fdio_connect_stream(int family, const void *addr, socklen_t len)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), e;

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)addr, len) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int fdio_probe_listener(int lfd, int family, const void *addr, socklen_t len, int *cfd)
{
	int afd;

	*cfd = fdio_connect_stream(family, addr, len);
	if (*cfd < 0)
		return errno;
	afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (afd >= 0)
		close(afd);
	return 0;
}

int fdchan_attach_listener(struct chan *ch, enum chan_role role, int family, const void *addr, socklen_t len,
			   const char *what)
{
	int fd;

	if (role == CHAN_SERVER) {
		fd = fdchan_accept(ch);
		if (fd < 0)
			return chan_fail(ch, errno, "accept %s", what);
	} else {
		fd = fdio_connect_stream(family, addr, len);
		if (fd < 0)
			return chan_fail(ch, errno, "connect %s", what);
	}
	return fdchan_use_conn(ch, fd);
}

int fdchan_add_path(struct chan *ch, const char *path)
{
	struct fd_chan *fc = ch->priv;

	size_t n = strlen(path);

	if (fc->npath >= FDCHAN_MAX_PATHS || n >= sizeof(fc->path[0]))
		return chan_fail(ch, ENAMETOOLONG, "fdchan: path %s", path);
	memcpy(fc->path[fc->npath++], path, n + 1);
	return 0;
}

/* This process's epoll instance, with the read fd registered for EPOLLIN (level-triggered). */
static int epoll_open(struct chan *ch)
{
	struct fd_chan *fc = ch->priv;
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fc->io.rfd};

	fc->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (fc->epfd < 0)
		return chan_fail(ch, errno, "epoll_create1");
	fc->ep_open = true;
	if (epoll_ctl(fc->epfd, EPOLL_CTL_ADD, fc->io.rfd, &ev) < 0)
		return chan_fail(ch, errno, "epoll_ctl ADD fd=%d EPOLLIN", fc->io.rfd);
	return 0;
}

int fdchan_use(struct chan *ch, int rfd, int wfd)
{
	struct fd_chan *fc = ch->priv;

	for (int i = 0; i < fc->nfd; i++)
		if (fc->fd[i] != rfd && fc->fd[i] != wfd)
			fdio_close(&fc->fd[i]);
	fc->io.rfd = rfd;
	fc->io.wfd = wfd;
	fc->ep_open = false;
	if (ch->wait != CHAN_WAIT_BLOCK) {
		int r = fdio_set_nonblock(rfd, true);

		if (!r && wfd != rfd)
			r = fdio_set_nonblock(wfd, true);
		if (r)
			return chan_fail(ch, -r, "fcntl O_NONBLOCK");
	}
	return ch->wait == CHAN_WAIT_EPOLL ? epoll_open(ch) : 0;
}

int fdchan_stream_send(struct chan *ch, const void *buf, size_t len)
{
	return fdio_write_all(ch, ((struct fd_chan *)ch->priv)->io.wfd, buf, len);
}

int fdchan_stream_recv(struct chan *ch, void *buf, size_t len)
{
	return fdio_read_all(ch, ((struct fd_chan *)ch->priv)->io.rfd, buf, len);
}

int fdchan_record_send(struct chan *ch, const void *buf, size_t len)
{
	return fdio_send_msg(ch, ((struct fd_chan *)ch->priv)->io.wfd, buf, len);
}

int fdchan_record_recv(struct chan *ch, void *buf, size_t len)
{
	return fdio_recv_msg(ch, ((struct fd_chan *)ch->priv)->io.rfd, buf, len);
}

void fdchan_detach(struct chan *ch)
{
	struct fd_chan *fc = ch->priv;

	for (int i = 0; i < fc->nfd; i++)
		fdio_close(&fc->fd[i]);
	if (fc->ep_open) /* only the process that opened it: the parent's copy is never its */
		fdio_close(&fc->epfd);
	fc->ep_open = false;
}

void fdchan_adopt(struct chan *ch)
{
	struct fd_chan *fc = ch->priv;

	for (int i = 0; i < FDCHAN_MAX_FDS; i++)
		fc->fd[i] = -1;
	fc->nfd = 0;
	fc->io.rfd = fc->io.wfd = -1;
	fc->epfd = -1;
	fc->ep_open = false;
	fc->fan = NULL; /* the creator's memory */
}

void fdchan_destroy(struct chan *ch)
{
	struct fd_chan *fc = ch->priv;

	fdchan_detach(ch);
	fc->nfd = 0;
	for (int i = 0; i < fc->npath; i++)
		unlink(fc->path[i]);
	fc->npath = 0;
}
