/*
 * signal.c - payload in shared memory, notification by a real-time signal.
 *
 * The payload moves through the shared byte ring of eventfd.c ("shmpipe":
 * MAP_SHARED | MAP_ANONYMOUS memory mapped by create() and inherited by both
 * children; a ring of 4x the message, 4 KiB to 256 KiB, per direction;
 * larger messages stream through it in chunks of a quarter ring; the
 * sleeping-flag handshake described there).  Only the doorbell differs:
 * ringing a side is sigqueue(its pid, SIGRTMIN) and waiting is
 * sigtimedwait() on that signal, which stays blocked for the child's whole
 * life, so it is never delivered to a handler, only dequeued.  Real-time
 * signals queue (one entry per sigqueue) instead of merging, and each
 * entry is dequeued by one wait; a ring that lands after the waiter found
 * data anyway is consumed by its next wait as a spurious wake-up.
 *
 * The pid handshake: the harness forks the server, then the client, so
 * neither knows the other's pid.  attach() first blocks the signal, then
 * publishes getpid() in the shared header.  The order matters: the default
 * action of a real-time signal is to terminate, and the peer may ring as
 * soon as it can read our pid.  attach() does not wait for the peer: a
 * side rings only when the peer's sleeping flag is set, and a peer sets
 * that flag only after its attach() published its pid (release/acquire),
 * so a ring always finds the pid.  Bytes sent before the peer attached
 * simply wait in the ring.  Ordering trap left: if the peer dies and the
 * parent reaps it before killing us, the pid could in principle be reused
 * before our next ring; pid_max makes that window negligible.
 *
 * Waiting: sigtimedwait with ch->timeout_ms (sigwaitinfo when no
 * timeout); EINTR is retried.  Busy-polling is not offered: polling
 * sigtimedwait with a zero timeout would measure little of interest.
 *
 * Limits: RLIMIT_SIGPENDING (ulimit -i) bounds queued signals per user;
 * each side queues at most a few.  Messages of any size stream through
 * the ring.
 */
#include "transports/transport.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* From eventfd.c: the shared-memory byte ring. */
int shmpipe_map(struct chan *ch, void **map, size_t *map_bytes);
void shmpipe_unmap(void **map, size_t map_bytes);
void shmpipe_publish_pid(void *map, enum chan_role role);
pid_t shmpipe_peer_pid(const void *map, enum chan_role role);
int shmpipe_send(struct chan *ch, void *map, const void *buf, size_t len, int (*ring)(struct chan *ch),
		 int (*wait)(struct chan *ch));
int shmpipe_recv(struct chan *ch, void *map, void *buf, size_t len, int (*ring)(struct chan *ch),
		 int (*wait)(struct chan *ch));

struct signal_chan {
	void *map;
	size_t map_bytes;
	int signo;    /* SIGRTMIN, fixed by create() */
	sigset_t set; /* {signo}, blocked in this process after attach */
	pid_t peer;   /* the peer's pid, once read from the shared header */
};

static int signal_probe(struct chan *ch)
{
	struct rlimit rl = {0, 0};

	if (SIGRTMIN > SIGRTMAX)
		return chan_fail(ch, ENOSYS, "no real-time signals free (SIGRTMIN %d > SIGRTMAX %d)", SIGRTMIN,
				 SIGRTMAX);
	getrlimit(RLIMIT_SIGPENDING, &rl);
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 4)
		return chan_fail(ch, EAGAIN, "RLIMIT_SIGPENDING is %llu: raise it (ulimit -i)",
				 (unsigned long long)rl.rlim_cur);
	ch->limits.max_msg_bytes = 0;
	ch->limits.unit_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "shared ring as eventfd's; doorbell: signal %d (SIGRTMIN) by sigqueue, RLIMIT_SIGPENDING %lld",
		 SIGRTMIN, rl.rlim_cur == RLIM_INFINITY ? -1LL : (long long)rl.rlim_cur);
	return 0;
}

static int signal_create(struct chan *ch)
{
	struct signal_chan *s = ch->priv;

	s->signo = SIGRTMIN;
	return shmpipe_map(ch, &s->map, &s->map_bytes);
}

static int signal_attach(struct chan *ch, enum chan_role role)
{
	struct signal_chan *s = ch->priv;

	sigemptyset(&s->set);
	sigaddset(&s->set, s->signo);
	/* blocked before the pid is visible: nothing can be sent to us earlier */
	if (sigprocmask(SIG_BLOCK, &s->set, NULL) < 0)
		return chan_fail(ch, errno, "sigprocmask SIG_BLOCK sig=%d", s->signo);
	shmpipe_publish_pid(s->map, role);
	return 0;
}

static int signal_ring(struct chan *ch)
{
	struct signal_chan *s = ch->priv;

	if (!s->peer)
		s->peer = shmpipe_peer_pid(s->map, ch->role);
	if (!s->peer)
		return chan_fail(ch, ESRCH, "sigqueue sig=%d: the peer has published no pid", s->signo);
	if (sigqueue(s->peer, s->signo, (union sigval){.sival_int = 0}) == 0)
		return 0;
	if (errno == ESRCH)
		return chan_fail(ch, EPIPE, "sigqueue pid=%d sig=%d: peer gone", (int)s->peer, s->signo);
	if (errno == EAGAIN)
		return chan_fail(ch, errno, "sigqueue pid=%d sig=%d: RLIMIT_SIGPENDING reached (ulimit -i)",
				 (int)s->peer, s->signo);
	return chan_fail(ch, errno, "sigqueue pid=%d sig=%d", (int)s->peer, s->signo);
}

static int signal_wait(struct chan *ch)
{
	struct signal_chan *s = ch->priv;
	struct timespec ts = {ch->timeout_ms / 1000, (long)(ch->timeout_ms % 1000) * 1000000};

	for (;;) {
		int r = ch->timeout_ms > 0 ? sigtimedwait(&s->set, NULL, &ts) : sigwaitinfo(&s->set, NULL);

		if (r == s->signo)
			return 0;
		if (r >= 0 || errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return chan_fail(ch, ETIMEDOUT, "sigtimedwait sig=%d: peer silent for %d ms", s->signo,
					 ch->timeout_ms);
		return chan_fail(ch, errno, "sigtimedwait sig=%d", s->signo);
	}
}

static int signal_send(struct chan *ch, const void *buf, size_t len)
{
	return shmpipe_send(ch, ((struct signal_chan *)ch->priv)->map, buf, len, signal_ring, signal_wait);
}

static int signal_recv(struct chan *ch, void *buf, size_t len)
{
	return shmpipe_recv(ch, ((struct signal_chan *)ch->priv)->map, buf, len, signal_ring, signal_wait);
}

static void signal_destroy(struct chan *ch)
{
	struct signal_chan *s = ch->priv;

	shmpipe_unmap(&s->map, s->map_bytes);
}

const struct transport_ops signal_ops = {
	.name = "signal",
	.summary = "shared-memory ring per direction, woken by a real-time signal (sigqueue/sigtimedwait)",
	.kind = CHAN_STREAM,
	.flags = 0,
	.priv_size = sizeof(struct signal_chan),
	.probe = signal_probe,
	.create = signal_create,
	.attach = signal_attach,
	.send = signal_send,
	.recv = signal_recv,
	.destroy = signal_destroy,
};
