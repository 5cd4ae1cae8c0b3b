/*
 * uring.c - io_uring (liburing) in two roles: the doorbell of the shared
 * ring (uring), and the submission path for send/recv on a socketpair
 * (uring_sock).
 *
 * uring: the shared-memory byte ring of ring.h (the ring of eventfd and
 * futex_ring: same layout, sizes, wake protocol, dead-peer detection);
 * only the doorbell differs.  Each side has its own io_uring, made in
 * attach() after the fork (a ring belongs to the task that made it), and
 * each side takes a duplicate of the peer's ring fd with pidfd_getfd(2):
 * the kernel refuses io_uring fds in SCM_RIGHTS (EINVAL, seen on 6.18),
 * so the sides swap their pid and ring fd number over an AF_UNIX
 * seqpacket socketpair made in create(), which both close afterwards.
 * pidfd_getfd needs ptrace access to the peer: under Yama scope 1 each
 * side names the other with PR_SET_PTRACER; scope 2 needs CAP_SYS_PTRACE
 * and scope 3 rules it out (probe() says so).
 * Ringing the peer is one IORING_OP_MSG_RING SQE aimed at the peer's ring
 * fd: the kernel posts a CQE into the peer's completion queue, and our
 * own completion of it is suppressed (IOSQE_CQE_SKIP_SUCCESS); one
 * io_uring_enter per post.  Waiting is io_uring_wait_cqe_timeout on our
 * own CQ for the ring's slice (IORING_FEAT_EXT_ARG: the timeout travels
 * with the enter call, no timeout SQE; it still arms an hrtimer per
 * sleep, as the semaphore and eventfd doorbells do).
 *
 * uring_sock: an AF_UNIX stream socketpair moved with IORING_OP_SEND and
 * IORING_OP_RECV, one SQE per call and io_uring_submit_and_wait(1): the
 * same bytes as socketpair, through the submission path, so the
 * difference between the two is what io_uring adds (or saves) per
 * message.  It blocks in io_uring_enter as socketpair blocks in read(),
 * without a timeout (a dead peer is bounded by the harness's watchdog,
 * as for every fd transport).  It is a second ops table because
 * transport options do not exist yet; once they do it becomes an option
 * of uring (io=ring|sock), as issue 17 has it.
 *
 * What it costs: a ring per side (a few pages of SQ/CQ memory, accounted
 * to the memory cgroup; on kernels before 5.12 to RLIMIT_MEMLOCK) and one
 * fd per ring, plus the peer's ring fd.  Kernel threads: none by default.
 * No SQPOLL (no iou-sqp thread; it would burn a CPU per side).  MSG_RING
 * completes inline in the sender's io_uring_enter; SEND/RECV on a socket
 * that is not ready arm an internal poll (IORING_FEAT_FAST_POLL) and
 * complete by task work in the waiting task, so no io-wq worker
 * (iou-wrk) is started either: checked by listing the children's threads
 * during a run of both tables (only the main thread).  Closing a ring
 * is finished asynchronously by a kernel worker (the iou_exit workqueue),
 * after the measurement, not during it.
 *
 * Limits: the kernel must have io_uring (CONFIG_IO_URING) and allow it
 * (sysctl kernel.io_uring_disabled, seccomp), MSG_RING (5.18) and
 * CQE_SKIP (5.17) for uring, SEND/RECV (5.6) for uring_sock; probe()
 * asks the kernel (io_uring_get_probe_ring) and says which is missing.
 * Built without liburing (no liburing-dev at build time) both tables are
 * registered and probe() reports them unavailable, naming the package.
 * Messages of any size: byte streams.  Objects: fds only, no names, so
 * nothing goes into the ledger and nothing outlives the processes.
 */
#include "transports/chan_util.h"
#include "transports/ring.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef HAVE_LIBURING
#include <liburing.h>

#define URING_ENTRIES 8
#define URING_BELL 0xbe11u /* user_data of a peer's MSG_RING in our CQ */
#define URING_OWN 0x0ee5u  /* user_data of our own MSG_RING (failures only) */

struct uring_priv {
	struct ring_chan rc; /* first: ring.c casts priv to it */
	int sv[2];	     /* the fd swap: [role]'s end */
	bool have_sv[2];
	struct io_uring ring;
	bool have_ring;
	int peer_fd; /* the peer's ring fd, received at attach */
	bool have_peer;
};

struct uring_sock_priv {
	int sv[2];
	bool have_sv[2];
	struct io_uring ring;
	bool have_ring;
	int fd; /* this side's end of the socketpair, after attach */
};

/* What stops io_uring here, as an unavailable reason; 0 when a ring could be made. */
static int uring_probe_ring(struct chan *ch, struct io_uring *r, unsigned int *features)
{
	struct io_uring_params p;
	long long disabled = 0;
	int e;

	memset(&p, 0, sizeof(p));
	e = io_uring_queue_init_params(2, r, &p);
	if (!e) {
		*features = p.features;
		return 0;
	}
	chan_read_sysctl("/proc/sys/kernel/io_uring_disabled", &disabled);
	if (e == -ENOSYS)
		return chan_unavailable(ch, ENOSYS, "io_uring_setup: kernel built without io_uring (CONFIG_IO_URING)");
	if (e == -EPERM || e == -EACCES)
		return chan_unavailable(ch, -e,
					"io_uring_setup refused: sysctl kernel.io_uring_disabled=%lld (0 allows it), "
					"or a seccomp filter",
					disabled);
	return chan_fail(ch, -e, "io_uring_queue_init_params entries=2");
}

/* Probes the kernel for op (and, when want_feat, those features). */
static int uring_probe_common(struct chan *ch, int op, const char *opname, unsigned int want_feat, const char *featname,
			      const char *what)
{
	struct io_uring r;
	struct io_uring_probe *pr;
	unsigned int feat = 0;
	bool has_op;
	int e = uring_probe_ring(ch, &r, &feat);

	if (e)
		return e;
	pr = io_uring_get_probe_ring(&r);
	io_uring_queue_exit(&r);
	if (!pr)
		return chan_unavailable(ch, EOPNOTSUPP, "io_uring: IORING_REGISTER_PROBE not supported (kernel < 5.6)");
	has_op = io_uring_opcode_supported(pr, op);
	io_uring_free_probe(pr);
	if (!has_op)
		return chan_unavailable(ch, EOPNOTSUPP, "io_uring: the kernel lacks %s", opname);
	if ((feat & want_feat) != want_feat)
		return chan_unavailable(ch, EOPNOTSUPP, "io_uring: the kernel lacks %s", featname);
	ch->limits.max_msg_bytes = 0;
	ch->limits.unit_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "%s; io_uring of %d entries per side, no SQPOLL, features 0x%x", what, URING_ENTRIES, feat);
	return 0;
}

static int uring_probe(struct chan *ch)
{
	long long scope = 0;

	if (!chan_read_sysctl("/proc/sys/kernel/yama/ptrace_scope", &scope) &&
	    (scope >= 3 || (scope == 2 && geteuid())))
		return chan_unavailable(ch, EPERM,
					"kernel.yama.ptrace_scope=%lld: taking the peer's ring fd (pidfd_getfd) needs "
					"ptrace access (scope 0 or 1%s)",
					scope, scope == 2 ? ", or CAP_SYS_PTRACE" : "");
	return uring_probe_common(ch, IORING_OP_MSG_RING, "IORING_OP_MSG_RING (5.18)",
				  IORING_FEAT_CQE_SKIP | IORING_FEAT_EXT_ARG, "IORING_FEAT_CQE_SKIP/EXT_ARG (5.17)",
				  "anonymous shared ring 4x msg, 4K-4M/dir; doorbell: MSG_RING into the peer's ring");
}

static int uring_sock_probe(struct chan *ch)
{
	return uring_probe_common(ch, IORING_OP_RECV, "IORING_OP_SEND/RECV (5.6)", 0, "",
				  "AF_UNIX stream socketpair through IORING_OP_SEND/RECV, one SQE per call");
}

/* ---- uring: the doorbell ---- */

static int uring_post(struct chan *ch, enum ring_dir dir, enum ring_sem sem)
{
	struct uring_priv *u = ch->priv;
	struct io_uring_sqe *sqe;
	int r;

	(void)dir;
	(void)sem;
	if (!u->have_peer)
		return 0; /* attach never got that far: the peer's slice finds us gone */
	sqe = io_uring_get_sqe(&u->ring);
	if (!sqe) {
		io_uring_submit(&u->ring);
		sqe = io_uring_get_sqe(&u->ring);
		if (!sqe)
			return chan_fail(ch, EBUSY, "io_uring: no free SQE for MSG_RING");
	}
	io_uring_prep_msg_ring(sqe, u->peer_fd, 0, URING_BELL, 0);
	sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
	io_uring_sqe_set_data64(sqe, URING_OWN);
	do
		r = io_uring_submit(&u->ring);
	while (r == -EINTR);
	if (r < 0)
		return chan_fail(ch, -r, "io_uring_submit IORING_OP_MSG_RING fd=%d", u->peer_fd);
	return 0;
}

/* Takes every CQE there is: 1 if one was the peer's bell, 0 if none, -errno. */
static int uring_drain(struct chan *ch, struct uring_priv *u)
{
	struct io_uring_cqe *cqe;
	int rung = 0;

	while (io_uring_peek_cqe(&u->ring, &cqe) == 0) {
		uint64_t data = io_uring_cqe_get_data64(cqe);
		int res = cqe->res;

		io_uring_cqe_seen(&u->ring, cqe);
		if (data == URING_BELL)
			rung = 1;
		else if (res < 0)
			return chan_fail(ch, -res, "IORING_OP_MSG_RING to the peer's ring fd=%d", u->peer_fd);
	}
	return rung;
}

static int uring_wait(struct chan *ch, enum ring_dir dir, enum ring_sem sem, int ms)
{
	struct uring_priv *u = ch->priv;
	struct __kernel_timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long long)(ms % 1000) * 1000000};
	struct io_uring_cqe *cqe;
	int r = uring_drain(ch, u);

	(void)dir;
	(void)sem;
	if (r)
		return r < 0 ? r : 0;
	r = io_uring_wait_cqe_timeout(&u->ring, &cqe, &ts);
	if (r == -ETIME || r == -ETIMEDOUT)
		return -ETIMEDOUT;
	if (r < 0 && r != -EINTR)
		return chan_fail(ch, -r, "io_uring_wait_cqe_timeout");
	r = uring_drain(ch, u);
	return r < 0 ? r : 0; /* any CQE, or none: the ring re-checks */
}

static const struct ring_wake_ops uring_wake = {
	.post = uring_post,
	.wait = uring_wait,
};

/* Each side's end of a socketpair made in create(): [0] the client's, [1] the server's. */
static int uring_socketpair(struct chan *ch, int type, int *sv, bool *have)
{
	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
		return chan_fail(ch, errno, "socketpair");
	have[0] = have[1] = true;
	return 0;
}

static void uring_close_pair(int *sv, bool *have)
{
	for (int i = 0; i < 2; i++) {
		if (have[i])
			close(sv[i]);
		have[i] = false;
	}
}

static int uring_create(struct chan *ch)
{
	struct uring_priv *u = ch->priv;
	int r = uring_socketpair(ch, SOCK_SEQPACKET, u->sv, u->have_sv);

	return r ? r : ring_map_anon(ch, &uring_wake);
}

/* Sends n bytes to the peer over the seqpacket pair and receives its n. */
static int uring_swap(struct chan *ch, int fd, const void *out, void *in, size_t n)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t got;
	int r;

	if (send(fd, out, n, MSG_NOSIGNAL) != (ssize_t)n)
		return chan_fail(ch, errno, "send to the peer (ring fd swap) fd=%d", fd);
	do
		r = poll(&p, 1, ch->timeout_ms > 0 ? ch->timeout_ms : -1);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return chan_fail(ch, r ? errno : ETIMEDOUT, "waiting %d ms for the peer (ring fd swap)",
				 ch->timeout_ms);
	got = recv(fd, in, n, 0);
	if (got != (ssize_t)n)
		return chan_fail(ch, got < 0 ? errno : EPROTO, "recv from the peer (ring fd swap) fd=%d: %zd bytes", fd,
				 got);
	return 0;
}

/*
 * Takes a duplicate of the peer's ring fd: the kernel refuses io_uring
 * fds in SCM_RIGHTS (EINVAL), so the sides swap pid and fd number, allow
 * each other to ptrace where Yama asks for it (PR_SET_PTRACER, scope 1),
 * say so, and then each takes the other's fd with pidfd_getfd(2).
 */
static int uring_take_peer_fd(struct chan *ch, struct uring_priv *u, int me)
{
	int mine[2] = {(int)getpid(), u->ring.ring_fd}, theirs[2], pidfd;
	char ready = 'r', peer_ready;
	long long scope = 0;
	int r = uring_swap(ch, u->sv[me], mine, theirs, sizeof(mine));

	if (r)
		return r;
	if (!chan_read_sysctl("/proc/sys/kernel/yama/ptrace_scope", &scope) && scope == 1 &&
	    prctl(PR_SET_PTRACER, (unsigned long)theirs[0], 0, 0, 0) < 0)
		return chan_fail(ch, errno, "prctl PR_SET_PTRACER %d", theirs[0]);
	r = uring_swap(ch, u->sv[me], &ready, &peer_ready, 1);
	if (r)
		return r;
	pidfd = (int)syscall(SYS_pidfd_open, (pid_t)theirs[0], 0);
	if (pidfd < 0)
		return chan_fail(ch, errno, "pidfd_open %d", theirs[0]);
	u->peer_fd = (int)syscall(SYS_pidfd_getfd, pidfd, theirs[1], 0);
	r = u->peer_fd < 0 ? errno : 0;
	close(pidfd);
	if (r)
		return chan_fail(ch, r,
				 "pidfd_getfd pid=%d fd=%d (ptrace access to the peer: kernel.yama.ptrace_scope)",
				 theirs[0], theirs[1]);
	u->have_peer = true;
	return 0;
}

static int uring_attach(struct chan *ch, enum chan_role role)
{
	struct uring_priv *u = ch->priv;
	int me = role == CHAN_CLIENT ? 0 : 1, r;

	/* the other side's end is not ours to keep */
	close(u->sv[1 - me]);
	u->have_sv[1 - me] = false;
	r = io_uring_queue_init(URING_ENTRIES, &u->ring, 0);
	if (r)
		return chan_fail(ch, -r, "io_uring_queue_init entries=%d", URING_ENTRIES);
	u->have_ring = true;
	r = uring_take_peer_fd(ch, u, me);
	uring_close_pair(u->sv, u->have_sv);
	return r ? r : ring_attach(ch, role);
}

/* Closes what attach() opened; ring_detach() first (it may still ring the peer). */
static void uring_detach(struct chan *ch)
{
	struct uring_priv *u = ch->priv;

	ring_detach(ch);
	if (u->have_peer)
		close(u->peer_fd);
	u->have_peer = false;
	if (u->have_ring)
		io_uring_queue_exit(&u->ring);
	u->have_ring = false;
}

static void uring_destroy(struct chan *ch)
{
	struct uring_priv *u = ch->priv;

	uring_detach(ch);
	ring_unmap_anon(ch);
	uring_close_pair(u->sv, u->have_sv);
}

/* ---- uring_sock: send/recv through the submission path ---- */

static int uring_sock_create(struct chan *ch)
{
	struct uring_sock_priv *s = ch->priv;

	return uring_socketpair(ch, SOCK_STREAM, s->sv, s->have_sv);
}

static int uring_sock_attach(struct chan *ch, enum chan_role role)
{
	struct uring_sock_priv *s = ch->priv;
	int me = role == CHAN_CLIENT ? 0 : 1, r;

	close(s->sv[1 - me]);
	s->have_sv[1 - me] = false;
	s->fd = s->sv[me];
	r = io_uring_queue_init(URING_ENTRIES, &s->ring, 0);
	if (r)
		return chan_fail(ch, -r, "io_uring_queue_init entries=%d", URING_ENTRIES);
	s->have_ring = true;
	return 0;
}

/* One SEND or RECV of up to len bytes: the bytes moved, or -errno (recorded). */
static int uring_sock_one(struct chan *ch, bool sending, void *buf, size_t len)
{
	struct uring_sock_priv *s = ch->priv;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);
	struct io_uring_cqe *cqe;
	const char *what = sending ? "IORING_OP_SEND" : "IORING_OP_RECV";
	int r;

	if (!sqe)
		return chan_fail(ch, EBUSY, "io_uring: no free SQE");
	if (sending)
		io_uring_prep_send(sqe, s->fd, buf, len, MSG_NOSIGNAL);
	else
		io_uring_prep_recv(sqe, s->fd, buf, len, 0);
	r = io_uring_submit_and_wait(&s->ring, 1);
	if (r < 0 && r != -EINTR)
		return chan_fail(ch, -r, "io_uring_submit_and_wait %s fd=%d", what, s->fd);
	do
		r = io_uring_wait_cqe(&s->ring, &cqe);
	while (r == -EINTR);
	if (r < 0)
		return chan_fail(ch, -r, "io_uring_wait_cqe %s fd=%d", what, s->fd);
	r = cqe->res;
	io_uring_cqe_seen(&s->ring, cqe);
	if (r == -EINTR || r == -EAGAIN)
		return 0;
	if (r < 0)
		return chan_fail(ch, -r, "%s fd=%d len=%zu", what, s->fd, len);
	if (r == 0 && !sending)
		return chan_fail(ch, EPIPE, "%s fd=%d: the peer closed the socket", what, s->fd);
	return r;
}

static int uring_sock_send(struct chan *ch, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		int n = uring_sock_one(ch, true, (void *)p, len);

		if (n < 0)
			return n;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int uring_sock_recv(struct chan *ch, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		int n = uring_sock_one(ch, false, p, len);

		if (n < 0)
			return n;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void uring_sock_detach(struct chan *ch)
{
	struct uring_sock_priv *s = ch->priv;

	if (s->have_ring)
		io_uring_queue_exit(&s->ring);
	s->have_ring = false;
	uring_close_pair(s->sv, s->have_sv);
}

static void uring_sock_destroy(struct chan *ch)
{
	uring_sock_detach(ch);
}

#define URING_RING_SEND ring_send
#define URING_RING_RECV ring_recv

#else /* !HAVE_LIBURING: registered, and unavailable with the reason */

struct uring_priv {
	int unused;
};
#define uring_sock_priv uring_priv

static int uring_missing(struct chan *ch)
{
	return chan_unavailable(
		ch, ENOSYS, "built without liburing: install liburing-dev (sh scripts/install-deps.sh) and rebuild");
}

static int uring_attach_missing(struct chan *ch, enum chan_role role)
{
	(void)role;
	return uring_missing(ch);
}

static int uring_io_missing(struct chan *ch, const void *buf, size_t len)
{
	(void)buf;
	(void)len;
	return uring_missing(ch);
}

static int uring_recv_missing(struct chan *ch, void *buf, size_t len)
{
	(void)buf;
	(void)len;
	return uring_missing(ch);
}

static void uring_nothing(struct chan *ch)
{
	(void)ch;
}

#define uring_probe uring_missing
#define uring_sock_probe uring_missing
#define uring_create uring_missing
#define uring_sock_create uring_missing
#define uring_attach uring_attach_missing
#define uring_sock_attach uring_attach_missing
#define URING_RING_SEND uring_io_missing
#define uring_sock_send uring_io_missing
#define URING_RING_RECV uring_recv_missing
#define uring_sock_recv uring_recv_missing
#define uring_detach uring_nothing
#define uring_sock_detach uring_nothing
#define uring_destroy uring_nothing
#define uring_sock_destroy uring_nothing
#endif

const struct transport_ops uring_ops = {
	.name = "uring",
	.summary = "shared-memory ring per direction, woken by IORING_OP_MSG_RING between two io_urings",
	.kind = CHAN_STREAM,
	.flags = 0,
	.priv_size = sizeof(struct uring_priv),
	.probe = uring_probe,
	.create = uring_create,
	.attach = uring_attach,
	.send = URING_RING_SEND,
	.recv = URING_RING_RECV,
	.detach = uring_detach,
	.destroy = uring_destroy,
};

const struct transport_ops uring_sock_ops = {
	.name = "uring_sock",
	.summary = "AF_UNIX stream socketpair moved by io_uring IORING_OP_SEND/RECV (one SQE per call)",
	.kind = CHAN_STREAM,
	.flags = 0,
	.priv_size = sizeof(struct uring_sock_priv),
	.probe = uring_sock_probe,
	.create = uring_sock_create,
	.attach = uring_sock_attach,
	.send = uring_sock_send,
	.recv = uring_sock_recv,
	.detach = uring_sock_detach,
	.destroy = uring_sock_destroy,
};
