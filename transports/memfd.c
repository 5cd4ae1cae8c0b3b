/*
 * memfd.c - every message is a new sealed memfd, passed with SCM_RIGHTS
 * over an AF_UNIX seqpacket socketpair and mapped by the receiver.
 *
 * What it carries: records (CHAN_MESSAGE).  send(): memfd_create
 * (MFD_ALLOW_SEALING, and MFD_NOEXEC_SEAL where the kernel has it),
 * write() the message, F_ADD_SEALS SHRINK|GROW|WRITE|SEAL, sendmsg() an
 * 8-byte length with the fd, close it.  recv(): recvmsg(), check there is
 * exactly one fd, that its size is the length and that all four seals are
 * on (a sender could otherwise change or truncate the pages under the
 * reader: that is what the seals buy), mmap it read-only, copy into the
 * harness's buffer, munmap, close, and return one credit byte.
 *
 * What it saves: nothing on the copies (write into the memfd, copy out of
 * the mapping: two, as a pipe); what it shows is the price of passing a
 * buffer as an fd, which is the measurement: creating a shmem file,
 * allocating and zeroing its pages, sealing, fd passing through the
 * socket's in-flight accounting, mapping (MAP_POPULATE faults the range
 * in one call instead of a fault per page), unmapping (a TLB shootdown
 * when the mapping was shared across CPUs) and freeing the pages.
 *
 * Costs and limits, read by probe(): each fd in flight is counted against
 * the sender's RLIMIT_NOFILE (the kernel's too_many_unix_fds) and each
 * memfd holds len bytes of shmem until the reader closes it, so the
 * sender keeps at most a window of messages in flight (a credit socketpair
 * carries one byte back per message consumed): W = in-flight budget /
 * msg_bytes, between 2 and MEMFD_WINDOW_MAX, and no more than the fd limit
 * leaves.  A message is bounded by RLIMIT_FSIZE (write() past it is
 * EFBIG) when that is finite; shmem itself by memory (and the memory
 * cgroup).  No named objects: the memfd name is a label only, seen in
 * /proc/<pid>/fd, so `ipcbench clean` has nothing to do for it.
 */
#include "transports/zerocopy.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MEMFD_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL)
#define MEMFD_WINDOW_MAX 64
#define MEMFD_BUDGET_BYTES (64u << 20) /* shmem in flight per direction, at most */
#define MEMFD_FDS_PER_SIDE 8	       /* two sockets, one memfd, and room for the harness's own */
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif

struct memfd_priv {
	int data[2];   /* seqpacket socketpair: [0] the client's end, [1] the server's */
	int credit[2]; /* stream socketpair: one byte per message consumed, back to its sender */
	bool made;
	unsigned int mfd_flags; /* memfd_create flags this kernel takes */
	unsigned int window;	/* messages a sender may have in flight */
	/* this side, after attach */
	bool attached;
	int dfd, cfd;
	unsigned int inflight;
};

/* memfd_create with the flags this kernel accepts (MFD_NOEXEC_SEAL since 6.3). */
static int memfd_make(unsigned int *flags)
{
	int fd = memfd_create("ipcbench", *flags);

	if (fd < 0 && errno == EINVAL && (*flags & MFD_NOEXEC_SEAL)) {
		*flags &= ~MFD_NOEXEC_SEAL;
		fd = memfd_create("ipcbench", *flags);
	}
	return fd < 0 ? -errno : fd;
}

/* The window for messages of len bytes, and the soft fd limit behind it. */
static unsigned int memfd_window(size_t len, rlim_t nofile)
{
	size_t w = len ? MEMFD_BUDGET_BYTES / len : MEMFD_WINDOW_MAX;

	if (w < 2)
		w = 2;
	if (w > MEMFD_WINDOW_MAX)
		w = MEMFD_WINDOW_MAX;
	if (nofile != RLIM_INFINITY && w + MEMFD_FDS_PER_SIDE > nofile)
		w = nofile > MEMFD_FDS_PER_SIDE ? (unsigned int)(nofile - MEMFD_FDS_PER_SIDE) : 0;
	return (unsigned int)w;
}

static int memfd_probe(struct chan *ch)
{
	unsigned int flags = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL;
	struct rlimit nofile, fsize;
	int fd = memfd_make(&flags);

	if (fd == -ENOSYS || fd == -EINVAL)
		return chan_unavailable(ch, -fd,
					"memfd_create with MFD_ALLOW_SEALING: needs Linux 3.17 (CONFIG_MEMFD_CREATE)");
	if (fd < 0)
		return chan_fail(ch, -fd, "memfd_create");
	if (fcntl(fd, F_ADD_SEALS, MEMFD_SEALS) < 0) {
		int e = errno;

		close(fd);
		return chan_unavailable(ch, e, "fcntl F_ADD_SEALS: this kernel cannot seal a memfd");
	}
	close(fd);
	if (getrlimit(RLIMIT_NOFILE, &nofile) || getrlimit(RLIMIT_FSIZE, &fsize))
		return chan_fail(ch, errno, "getrlimit");
	if (memfd_window(1, nofile.rlim_cur) < 2)
		return chan_unavailable(ch, EMFILE,
					"RLIMIT_NOFILE soft limit %llu leaves no two fds in flight: raise ulimit -n",
					(unsigned long long)nofile.rlim_cur);
	ch->limits.max_msg_bytes = fsize.rlim_cur == RLIM_INFINITY ? 0 : (size_t)fsize.rlim_cur;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "one sealed memfd per message, at most %u in flight (RLIMIT_NOFILE %llu counts them); RLIMIT_FSIZE %s",
		 memfd_window(1, nofile.rlim_cur), (unsigned long long)nofile.rlim_cur,
		 fsize.rlim_cur == RLIM_INFINITY ? "unlimited" : "bounds a message");
	return 0;
}

static int memfd_create_hook(struct chan *ch)
{
	struct memfd_priv *mp = ch->priv;
	struct rlimit nofile;

	mp->mfd_flags = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL;
	if (getrlimit(RLIMIT_NOFILE, &nofile))
		return chan_fail(ch, errno, "getrlimit RLIMIT_NOFILE");
	mp->window = memfd_window(ch->msg_bytes, nofile.rlim_cur);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, mp->data) < 0)
		return chan_fail(ch, errno, "socketpair seqpacket");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, mp->credit) < 0) {
		int e = errno;

		close(mp->data[0]);
		close(mp->data[1]);
		return chan_fail(ch, e, "socketpair stream");
	}
	mp->made = true;
	return 0;
}

static int memfd_attach(struct chan *ch, enum chan_role role)
{
	struct memfd_priv *mp = ch->priv;
	int mine = role == CHAN_CLIENT ? 0 : 1;
	int r = 0;

	mp->dfd = mp->data[mine];
	mp->cfd = mp->credit[mine];
	mp->data[mine] = mp->credit[mine] = -1; /* now this side's: closed by detach */
	fdio_close(&mp->data[1 - mine]);
	fdio_close(&mp->credit[1 - mine]);
	mp->attached = true;
	mp->inflight = 0;
	if (ch->wait == CHAN_WAIT_SPIN) {
		r = fdio_set_nonblock(mp->dfd, true);
		if (!r)
			r = fdio_set_nonblock(mp->cfd, true);
	}
	return r ? chan_fail(ch, -r, "fcntl O_NONBLOCK") : 0;
}

/* Waits until the peer has consumed enough messages to send one more. */
static int memfd_take_credit(struct chan *ch)
{
	struct memfd_priv *mp = ch->priv;
	unsigned int spins = 0;
	char c[MEMFD_WINDOW_MAX];

	while (mp->inflight >= mp->window) {
		ssize_t n = recv(mp->cfd, c, sizeof(c), 0);

		if (n > 0) {
			mp->inflight -= n > (ssize_t)mp->inflight ? mp->inflight : (unsigned int)n;
		} else if (n == 0) {
			return chan_fail(ch, EPIPE, "recv credit fd=%d: peer gone", mp->cfd);
		} else if (errno == EAGAIN) {
			int r = zc_wait_again(ch, mp->cfd, POLLIN, &spins);

			if (r)
				return r;
		} else if (errno != EINTR) {
			return chan_fail(ch, errno, "recv credit fd=%d", mp->cfd);
		}
	}
	return 0;
}

/* A memfd holding the message, sealed. */
static int memfd_fill(struct chan *ch, const void *buf, size_t len)
{
	struct memfd_priv *mp = ch->priv;
	size_t off = 0;
	int fd = memfd_make(&mp->mfd_flags);

	if (fd < 0)
		return chan_fail(ch, -fd, "memfd_create");
	while (off < len) {
		ssize_t n = write(fd, (const uint8_t *)buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			close(fd);
			return chan_fail(ch, e, "write memfd %zu bytes at %zu", len - off, off);
		}
		off += (size_t)n;
	}
	if (fcntl(fd, F_ADD_SEALS, MEMFD_SEALS) < 0) {
		int e = errno;

		close(fd);
		return chan_fail(ch, e, "fcntl F_ADD_SEALS");
	}
	return fd;
}

static int memfd_send(struct chan *ch, const void *buf, size_t len)
{
	struct memfd_priv *mp = ch->priv;
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} cm;
	uint64_t hdr = len;
	struct iovec v = {&hdr, sizeof(hdr)};
	struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1, .msg_control = cm.space, .msg_controllen = sizeof(cm.space)};
	unsigned int spins = 0;
	int fd, r = memfd_take_credit(ch);

	if (r)
		return r;
	fd = memfd_fill(ch, buf, len);
	if (fd < 0)
		return fd;
	memset(&cm, 0, sizeof(cm));
	cm.h.cmsg_level = SOL_SOCKET;
	cm.h.cmsg_type = SCM_RIGHTS;
	cm.h.cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(&cm.h), &fd, sizeof(int));
	for (;;) {
		ssize_t n = sendmsg(mp->dfd, &m, MSG_NOSIGNAL);

		if (n == (ssize_t)sizeof(hdr))
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			r = zc_wait_again(ch, mp->dfd, POLLOUT, &spins);
			if (!r)
				continue;
		} else {
			r = chan_fail(ch, n < 0 ? errno : EPROTO, "sendmsg fd=%d with a memfd of %zu bytes", mp->dfd,
				      len);
		}
		close(fd);
		return r;
	}
	close(fd); /* the message in flight holds its own reference */
	mp->inflight++;
	return 0;
}

/* Takes the fds a record carried: the first into *fd, the others closed; returns how many. */
static size_t memfd_take_fds(struct msghdr *m, int *fd)
{
	size_t total = 0;

	*fd = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++, total++) {
			int f;

			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*fd < 0)
				*fd = f;
			else
				close(f);
		}
	}
	return total;
}

/*
 * Receives one record and the one memfd it must carry (*fd, or -1);
 * *got says a record was consumed (refused or not).
 */
static int memfd_recv_fd(struct chan *ch, uint64_t *hdr, int *fd, bool *got)
{
	struct memfd_priv *mp = ch->priv;
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(2 * sizeof(int))];
	} cm;
	struct iovec v = {hdr, sizeof(*hdr)};
	struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
	unsigned int spins = 0;
	size_t nfd;
	ssize_t n;

	*fd = -1;
	*got = false;
	for (;;) {
		int r;

		m.msg_control = cm.space;
		m.msg_controllen = sizeof(cm.space);
		n = recvmsg(mp->dfd, &m, MSG_CMSG_CLOEXEC);
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return chan_fail(ch, errno, "recvmsg fd=%d", mp->dfd);
		r = zc_wait_again(ch, mp->dfd, POLLIN, &spins);
		if (r)
			return r;
	}
	nfd = memfd_take_fds(&m, fd);
	if (n == 0 && !nfd)
		return chan_fail(ch, EPIPE, "recvmsg fd=%d: peer gone", mp->dfd);
	*got = true;
	if (n != (ssize_t)sizeof(*hdr) || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || nfd != 1)
		return chan_fail(ch, EPROTO, "recvmsg fd=%d: %zd header bytes and %zu fds (flags 0x%x), not one memfd",
				 mp->dfd, n, nfd, (unsigned int)m.msg_flags);
	return 0;
}

/* The received fd is a memfd of exactly len bytes with all four seals. */
static int memfd_check(struct chan *ch, int fd, uint64_t hdr, size_t len)
{
	struct stat st;
	int seals;

	if (hdr != len)
		return chan_fail(ch, EPROTO, "record of %" PRIu64 " bytes, expected %zu", hdr, len);
	if (fstat(fd, &st) < 0)
		return chan_fail(ch, errno, "fstat memfd");
	if ((uint64_t)st.st_size != hdr)
		return chan_fail(ch, EPROTO, "memfd of %lld bytes announced as %" PRIu64, (long long)st.st_size, hdr);
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0)
		return chan_fail(ch, errno, "fcntl F_GET_SEALS");
	if ((seals & MEMFD_SEALS) != MEMFD_SEALS)
		return chan_fail(ch, EPROTO, "memfd seals 0x%x lack 0x%x (shrink, grow, write, seal)", seals,
				 MEMFD_SEALS & ~seals);
	return 0;
}

/* One byte back to the sender: it may send one more.  A sender that is gone needs none. */
static int memfd_give_credit(struct chan *ch)
{
	struct memfd_priv *mp = ch->priv;
	unsigned int spins = 0;

	for (;;) {
		ssize_t n = send(mp->cfd, "c", 1, MSG_NOSIGNAL);

		if (n == 1 || (n < 0 && (errno == EPIPE || errno == ECONNRESET)))
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			int r = zc_wait_again(ch, mp->cfd, POLLOUT, &spins);

			if (r)
				return r;
			continue;
		}
		return chan_fail(ch, n < 0 ? errno : EIO, "send credit fd=%d", mp->cfd);
	}
}

static int memfd_recv(struct chan *ch, void *buf, size_t len)
{
	uint64_t hdr = 0;
	bool got;
	void *p;
	int fd, r = memfd_recv_fd(ch, &hdr, &fd, &got);

	if (!r)
		r = memfd_check(ch, fd, hdr, len);
	if (!r) {
		p = mmap(NULL, len, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
		if (p == MAP_FAILED) {
			r = chan_fail(ch, errno, "mmap memfd of %zu bytes", len);
		} else {
			memcpy(buf, p, len);
			munmap(p, len);
		}
	}
	if (fd >= 0)
		close(fd);
	/* a record was consumed, refused or not: the sender's window moves on */
	if (got) {
		int c = memfd_give_credit(ch);

		if (!r)
			r = c;
	}
	return r;
}

static void memfd_detach(struct chan *ch)
{
	struct memfd_priv *mp = ch->priv;

	if (!mp->attached)
		return;
	fdio_close(&mp->dfd);
	fdio_close(&mp->cfd);
	mp->attached = false;
}

static void memfd_destroy(struct chan *ch)
{
	struct memfd_priv *mp = ch->priv;

	memfd_detach(ch); /* a process that was both parent and a side (a direct test) */
	if (!mp->made)
		return;
	for (int i = 0; i < 2; i++) {
		fdio_close(&mp->data[i]);
		fdio_close(&mp->credit[i]);
	}
	mp->made = false;
}

const struct transport_ops memfd_ops = {
	.name = "memfd",
	.summary = "a sealed memfd per message, passed with SCM_RIGHTS and mapped by the receiver",
	.kind = CHAN_MESSAGE,
	.flags = TRANSPORT_CAN_SPIN,
	.priv_size = sizeof(struct memfd_priv),
	.probe = memfd_probe,
	.create = memfd_create_hook,
	.attach = memfd_attach,
	.send = memfd_send,
	.recv = memfd_recv,
	.detach = memfd_detach,
	.destroy = memfd_destroy,
};
