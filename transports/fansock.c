/*
 * fansock.c - one server, many clients, for the socket transports (see
 * fansock.h for the protocol of each kind).
 */
#include "transports/fansock.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/un.h>
#include <unistd.h>

static struct fansock *fan_of(const struct chan *ch)
{
	return ((struct fd_chan *)ch->priv)->fan;
}

int fansock_new(struct chan *ch)
{
	struct fd_chan *fc = ch->priv;
	struct fansock *f = calloc(1, sizeof(*f));

	if (!f)
		return chan_fail(ch, ENOMEM, "fan-in state for %u clients", ch->nclients);
	fc->fan = f;
	f->n = ch->nclients;
	f->epfd = -1;
	f->sfd = -1;
	f->fd = malloc(f->n * sizeof(*f->fd));
	f->addr = calloc(f->n, sizeof(*f->addr));
	f->alen = calloc(f->n, sizeof(*f->alen));
	if (!f->fd || !f->addr || !f->alen)
		return chan_fail(ch, ENOMEM, "fan-in state for %u clients", ch->nclients);
	for (unsigned int i = 0; i < f->n; i++)
		f->fd[i] = -1;
	return 0;
}

/* Closes every fd of the fan; with unlink_paths, removes the AF_UNIX client sockets' files. */
static void fan_free(struct chan *ch, bool unlink_paths)
{
	struct fd_chan *fc = ch->priv;
	struct fansock *f = fc->fan;

	if (!f)
		return;
	for (unsigned int i = 0; f->fd && i < f->n; i++) {
		fdio_close(&f->fd[i]);
		if (unlink_paths && f->addr && f->addr[i].ss_family == AF_UNIX)
			unlink(((struct sockaddr_un *)&f->addr[i])->sun_path);
	}
	fdio_close(&f->epfd);
	free(f->fd);
	free(f->addr);
	free(f->alen);
	free(f);
	fc->fan = NULL;
}

void fansock_detach(struct chan *ch)
{
	fan_free(ch, false);
	fdchan_detach(ch);
}

void fansock_destroy(struct chan *ch)
{
	fan_free(ch, true);
	fdchan_destroy(ch);
}

/* ---- streams ---- */

int fansock_backlog(const struct chan *ch)
{
	return ch->nclients > 1 ? (int)ch->nclients : 1;
}

int fansock_hello(struct chan *ch, int fd)
{
	uint32_t idx = ch->client;

	return fdio_write_all(ch, fd, &idx, sizeof(idx));
}

/* All of len bytes from a blocking fd: 0, -EPIPE at an end of file, or -errno. */
static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n == 0) {
			return -EPIPE;
		} else if (errno != EINTR) {
			return -errno;
		}
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && errno != EINTR) {
			return -errno;
		} else if (n == 0) {
			return -EIO;
		}
	}
	return 0;
}

/* One accepted connection: its hello names the client; a second hello for one index is -EPROTO. */
static int accept_one(struct chan *ch, int lfd, int (*apply)(struct chan *ch, int fd))
{
	struct fansock *f = fan_of(ch);
	struct epoll_event ev = {.events = EPOLLIN};
	struct pollfd p = {.fd = lfd, .events = POLLIN};
	uint32_t idx;
	int fd, r;

	if (poll(&p, 1, ch->timeout_ms > 0 ? ch->timeout_ms : -1) == 0)
		return chan_fail(ch, ETIMEDOUT, "accept: a client did not connect within %d ms", ch->timeout_ms);
	do
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return chan_fail(ch, errno, "accept");
	if (apply && apply(ch, fd)) {
		close(fd);
		return -ch->err;
	}
	r = read_full(fd, &idx, sizeof(idx));
	if (r || idx >= f->n || f->fd[idx] >= 0) {
		close(fd);
		return r ? chan_fail(ch, -r, "read a client's index") : chan_fail(ch, EPROTO, "client index %u", idx);
	}
	f->fd[idx] = fd;
	ev.data.u32 = idx;
	if (epoll_ctl(f->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return chan_fail(ch, errno, "epoll_ctl ADD client %u", idx);
	return 0;
}

int fansock_accept_all(struct chan *ch, int lfd, int (*apply)(struct chan *ch, int fd))
{
	struct fd_chan *fc = ch->priv;
	struct fansock *f;
	int r = fansock_new(ch);

	if (r)
		return r;
	f = fc->fan;
	f->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (f->epfd < 0)
		return chan_fail(ch, errno, "epoll_create1");
	for (unsigned int i = 0; i < f->n; i++) {
		r = accept_one(ch, lfd, apply);
		if (r)
			return r;
	}
	for (int i = 0; i < fc->nfd; i++) /* the listener: nothing else connects */
		fdio_close(&fc->fd[i]);
	return 0;
}

/* The next ready client: from the last epoll_wait's list, else a new wait. */
static int next_ready(struct chan *ch, unsigned int *client)
{
	struct fansock *f = fan_of(ch);
	struct epoll_event ev[FANSOCK_EVENTS];
	int n;

	if (f->next < f->nready) {
		*client = f->ready[f->next++];
		return 0;
	}
	do
		n = epoll_wait(f->epfd, ev, FANSOCK_EVENTS, ch->timeout_ms > 0 ? ch->timeout_ms : -1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return chan_fail(ch, errno, "epoll_wait");
	if (n == 0)
		return chan_fail(ch, ETIMEDOUT, "epoll_wait: every client silent for %d ms", ch->timeout_ms);
	for (int i = 0; i < n; i++)
		f->ready[i] = ev[i].data.u32;
	f->nready = n;
	f->next = 1;
	*client = f->ready[0];
	return 0;
}

int fansock_stream_recv_any(struct chan *ch, void *buf, size_t len, unsigned int *client)
{
	struct fansock *f = fan_of(ch);
	unsigned int c;
	int r;

	do {
		r = next_ready(ch, &c);
		if (r)
			return r;
	} while (f->fd[c] < 0); /* gone since that wait */
	*client = c;
	r = read_full(f->fd[c], buf, len);
	if (r == -EPIPE) {
		epoll_ctl(f->epfd, EPOLL_CTL_DEL, f->fd[c], NULL);
		fdio_close(&f->fd[c]);
		return -EPIPE;
	}
	return r ? chan_fail(ch, -r, "read client %u", c) : 0;
}

int fansock_stream_send_to(struct chan *ch, unsigned int client, const void *buf, size_t len)
{
	struct fansock *f = fan_of(ch);
	int r;

	if (client >= f->n || f->fd[client] < 0)
		return chan_fail(ch, EPIPE, "send to client %u: no connection", client);
	r = write_full(f->fd[client], buf, len);
	return r ? chan_fail(ch, -r, "write client %u", client) : 0;
}

/* ---- datagrams ---- */

static unsigned int addr_hash(const struct sockaddr_storage *sa, socklen_t len)
{
	const unsigned char *p = (const unsigned char *)sa;
	uint32_t h = 2166136261u;

	for (socklen_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h & (FANSOCK_HASH - 1);
}

int fansock_dgram_add(struct chan *ch, unsigned int i, int fd, const struct sockaddr *sa, socklen_t len)
{
	struct fansock *f = fan_of(ch);

	if (len > sizeof(f->addr[i])) {
		close(fd);
		return chan_fail(ch, EINVAL, "client %u: address of %u bytes", i, (unsigned)len);
	}
	f->fd[i] = fd;
	memset(&f->addr[i], 0, sizeof(f->addr[i]));
	memcpy(&f->addr[i], sa, len);
	f->alen[i] = len;
	return 0;
}

int fansock_dgram_bound(struct chan *ch, unsigned int i)
{
	struct fansock *f = fan_of(ch);

	f->alen[i] = sizeof(f->addr[i]);
	memset(&f->addr[i], 0, sizeof(f->addr[i]));
	if (getsockname(f->fd[i], (struct sockaddr *)&f->addr[i], &f->alen[i]) < 0)
		return chan_fail(ch, errno, "getsockname client %u", i);
	return 0;
}

static void hash_build(struct fansock *f)
{
	memset(f->hash, 0, sizeof(f->hash));
	for (unsigned int i = 0; i < f->n; i++) {
		unsigned int h = addr_hash(&f->addr[i], f->alen[i]);

		while (f->hash[h])
			h = (h + 1) & (FANSOCK_HASH - 1);
		f->hash[h] = (uint16_t)(i + 1);
	}
}

static int hash_find(const struct fansock *f, const struct sockaddr_storage *sa, socklen_t len)
{
	for (unsigned int h = addr_hash(sa, len);; h = (h + 1) & (FANSOCK_HASH - 1)) {
		unsigned int k = f->hash[h];

		if (!k)
			return -1;
		if (f->alen[k - 1] == len && !memcmp(&f->addr[k - 1], sa, len))
			return (int)k - 1;
	}
}

int fansock_dgram_attach(struct chan *ch, enum chan_role role, int sfd)
{
	struct fansock *f = fan_of(ch);
	int own;

	if (role == CHAN_SERVER) {
		for (unsigned int i = 0; i < f->n; i++)
			fdio_close(&f->fd[i]);
		f->sfd = sfd;
		hash_build(f);
		return 0;
	}
	own = f->fd[ch->client];
	f->fd[ch->client] = -1; /* fd_chan owns it from here */
	for (unsigned int i = 0; i < f->n; i++)
		fdio_close(&f->fd[i]);
	return fdchan_use_conn(ch, own);
}

int fansock_dgram_recv_any(struct chan *ch, void *buf, size_t len, unsigned int *client)
{
	struct fansock *f = fan_of(ch);
	struct sockaddr_storage from;
	socklen_t flen;
	ssize_t n;
	int c, r;

	for (;;) {
		flen = sizeof(from);
		memset(&from, 0, sizeof(from));
		n = recvfrom(f->sfd, buf, len, MSG_TRUNC | MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return chan_fail(ch, errno, "recvfrom fd=%d", f->sfd);
		r = fdio_wait(ch, f->sfd, POLLIN);
		if (r)
			return r;
	}
	c = hash_find(f, &from, flen);
	if (c < 0)
		return chan_fail(ch, EPROTO, "a datagram from an address that is no client's");
	*client = (unsigned int)c;
	if ((size_t)n != len)
		return chan_fail(ch, EPROTO, "client %d: a datagram of %zd bytes, expected %zu", c, n, len);
	return 0;
}

int fansock_dgram_send_to(struct chan *ch, unsigned int client, const void *buf, size_t len)
{
	struct fansock *f = fan_of(ch);

	for (;;) {
		ssize_t n = sendto(f->sfd, buf, len, 0, (const struct sockaddr *)&f->addr[client], f->alen[client]);

		if (n == (ssize_t)len)
			return 0;
		if (n >= 0)
			return chan_fail(ch, EPROTO, "sendto client %u: %zd of %zu bytes", client, n, len);
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			int r = fdio_wait(ch, f->sfd, POLLOUT);

			if (r)
				return r;
			continue;
		}
		return chan_fail(ch, errno, "sendto client %u", client);
	}
}
