/*
 * eventfd.c - the shared-memory byte ring (ring.h) with an eventfd per
 * side as its doorbell.
 *
 * The ring lives in MAP_SHARED | MAP_ANONYMOUS memory mapped by create()
 * in the parent, so both children inherit it; nothing has a name and
 * nothing outlives the processes.  It is the ring of shm_ring and
 * sysv_shm, with the same layout, sizes (four times the message, 4 KiB to
 * 4 MiB per direction, pieces of a quarter ring), wake protocol and dead
 * peer detection; only the doorbell differs.
 *
 * Doorbell: two eventfd counters made in create() (EFD_NONBLOCK, shared
 * by parent and children), one per side: efd[CHAN_CLIENT] is the client's,
 * written by the server, and efd[CHAN_SERVER] the server's.  A side
 * sleeps on one thing at a time, so one counter per side serves both
 * directions and both conditions (data, space).  Ringing is writing 1;
 * answering is reading, which resets the counter, so two rings that meet
 * in the counter wake once (the ring's protocol re-checks, ring.h).
 * CHAN_WAIT_BLOCK waits in poll() for at most the ring's slice, then
 * reads: two system calls per wake-up, the price of a bounded wait.
 * CHAN_WAIT_SPIN polls the non-blocking read instead: it still measures
 * eventfd, not a pure shared-memory spin (that is shm_spin).
 *
 * Limits: none of the kernel's beyond memory and RLIMIT_NOFILE (two fds);
 * messages of any size stream through the ring.
 */
#include "transports/ring.h"
#include "common/mono.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct eventfd_priv {
	struct ring_chan rc; /* first: ring.c casts priv to it */
	int efd[2];	     /* [role]: that side's doorbell */
	bool have[2];	     /* efd[i] is open (0 is a valid fd) */
};

static int eventfd_probe(struct chan *ch)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0 && errno == ENOSYS)
		return chan_unavailable(ch, errno, "eventfd: kernel built without eventfd (CONFIG_EVENTFD)");
	if (fd < 0)
		return chan_fail(ch, errno, "eventfd");
	close(fd);
	ch->limits.max_msg_bytes = 0;
	ch->limits.unit_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "anonymous shared ring 4x msg, %zu KiB-%zu MiB/dir; doorbell: an eventfd per side", RING_CAP_MIN >> 10,
		 RING_CAP_MAX >> 20);
	return 0;
}

static int eventfd_post(struct chan *ch, enum ring_dir dir, enum ring_sem sem)
{
	struct eventfd_priv *e = ch->priv;
	int fd = e->efd[e->rc.role == CHAN_CLIENT ? CHAN_SERVER : CHAN_CLIENT];
	uint64_t one = 1;

	(void)dir;
	(void)sem;
	for (;;) {
		if (write(fd, &one, sizeof(one)) == sizeof(one))
			return 0;
		if (errno != EINTR)
			return chan_fail(ch, errno, "write eventfd fd=%d len=8", fd);
	}
}

/* One read of this side's doorbell: 1 rung, 0 not yet, -errno. */
static int eventfd_take(struct chan *ch, int fd)
{
	uint64_t v;

	for (;;) {
		if (read(fd, &v, sizeof(v)) == sizeof(v))
			return 1;
		if (errno == EAGAIN)
			return 0;
		if (errno != EINTR)
			return chan_fail(ch, errno, "read eventfd fd=%d len=8", fd);
	}
}

/* Polls the non-blocking read for up to ms; the clock is read every 256 polls. */
static int eventfd_spin(struct chan *ch, int fd, int ms)
{
	uint64_t deadline = 0;
	unsigned int spins = 0;
	int r;

	while ((r = eventfd_take(ch, fd)) == 0) {
		chan_relax(ch);
		if (++spins % 256)
			continue;
		if (!deadline)
			deadline = mono_ms() + (uint64_t)ms;
		else if (mono_ms() >= deadline)
			return -ETIMEDOUT;
	}
	return r < 0 ? r : 0;
}

static int eventfd_wait(struct chan *ch, enum ring_dir dir, enum ring_sem sem, int ms)
{
	struct eventfd_priv *e = ch->priv;
	struct pollfd p = {.fd = e->efd[e->rc.role], .events = POLLIN};
	int r;

	(void)dir;
	(void)sem;
	if (ch->wait == CHAN_WAIT_SPIN)
		return eventfd_spin(ch, p.fd, ms);
	r = poll(&p, 1, ms);
	if (r < 0 && errno == EINTR)
		return 0; /* the caller re-checks everything */
	if (r < 0)
		return chan_fail(ch, errno, "poll eventfd fd=%d", p.fd);
	if (r == 0)
		return -ETIMEDOUT;
	r = eventfd_take(ch, p.fd);
	return r < 0 ? r : 0;
}

static const struct ring_wake_ops eventfd_wake = {
	.post = eventfd_post,
	.wait = eventfd_wait,
};

static int eventfd_create(struct chan *ch)
{
	struct eventfd_priv *e = ch->priv;

	for (int i = 0; i < 2; i++) {
		e->efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (e->efd[i] < 0)
			return chan_fail(ch, errno, "eventfd EFD_CLOEXEC|EFD_NONBLOCK");
		e->have[i] = true;
	}
	return ring_map_anon(ch, &eventfd_wake);
}

static void eventfd_destroy(struct chan *ch)
{
	struct eventfd_priv *e = ch->priv;

	ring_unmap_anon(ch);
	for (int i = 0; i < 2; i++) {
		if (e->have[i])
			close(e->efd[i]);
		e->have[i] = false;
	}
}

const struct transport_ops eventfd_ops = {
	.name = "eventfd",
	.summary = "shared-memory ring per direction, woken through two eventfds",
	.kind = CHAN_STREAM,
	.flags = TRANSPORT_CAN_SPIN,
	.priv_size = sizeof(struct eventfd_priv),
	.probe = eventfd_probe,
	.create = eventfd_create,
	.attach = ring_attach,
	.send = ring_send,
	.recv = ring_recv,
	.detach = ring_detach,
	.destroy = eventfd_destroy,
};
