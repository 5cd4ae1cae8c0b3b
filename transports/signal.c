/*
 * signal.c - the shared-memory byte ring (ring.h) with a real-time signal
 * as its doorbell.
 *
 * The ring is eventfd's: anonymous shared memory mapped by create() and
 * inherited by both children, the layout, sizes, wake protocol and dead
 * peer detection of shm_ring.  Only the doorbell differs: ringing a side
 * is sigqueue(its pid, SIGRTMIN) and waiting is sigtimedwait() on that
 * signal, which stays blocked for the child's whole life, so it is never
 * delivered to a handler, only dequeued.  Real-time signals queue (one
 * entry per sigqueue) instead of merging, and each entry is dequeued by
 * one wait; a ring that lands after the waiter found data anyway is taken
 * by its next wait as a spurious wake-up (the ring re-checks, ring.h).
 *
 * The pid handshake: the harness forks the server, then the client, so
 * neither knows the other's pid.  attach() first blocks the signal, then
 * ring_attach() publishes getpid() in the region.  The order matters: the
 * default action of a real-time signal is to terminate, and the peer may
 * ring as soon as it can read our pid.  attach() does not wait for the
 * peer: a side rings only a peer that announced a sleep, which it does
 * only after its attach published its pid, so a ring always finds the
 * pid.  Ordering trap left: if the peer dies and the parent reaps it
 * before killing us, the pid could in principle be reused before our next
 * ring; pid_max makes that window negligible (and a dead peer's ESRCH is
 * -EPIPE at once).
 *
 * Waiting: sigtimedwait for at most the ring's slice; EINTR is retried.
 * Busy-polling is not offered: polling sigtimedwait with a zero timeout
 * would measure little of interest.
 *
 * Limits: RLIMIT_SIGPENDING (ulimit -i) bounds queued signals per user;
 * each side queues at most a few.  Messages of any size stream through
 * the ring.
 */
#include "transports/ring.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

struct signal_priv {
	struct ring_chan rc; /* first: ring.c casts priv to it */
	int signo;	     /* SIGRTMIN, fixed by create() */
	sigset_t set;	     /* {signo}, blocked in this process after attach */
	pid_t peer;	     /* the peer's pid, once read from the region */
};

static int signal_probe(struct chan *ch)
{
	struct rlimit rl = {0, 0};

	if (SIGRTMIN > SIGRTMAX)
		return chan_unavailable(ch, ENOSYS, "no real-time signals free (SIGRTMIN %d > SIGRTMAX %d)", SIGRTMIN,
					SIGRTMAX);
	getrlimit(RLIMIT_SIGPENDING, &rl);
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 4)
		return chan_unavailable(ch, EAGAIN, "RLIMIT_SIGPENDING is %llu: raise it (ulimit -i)",
					(unsigned long long)rl.rlim_cur);
	ch->limits.max_msg_bytes = 0;
	ch->limits.unit_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "shared ring as eventfd's; doorbell: signal %d (SIGRTMIN) by sigqueue, RLIMIT_SIGPENDING %lld",
		 SIGRTMIN, rl.rlim_cur == RLIM_INFINITY ? -1LL : (long long)rl.rlim_cur);
	return 0;
}

static int signal_post(struct chan *ch, enum ring_dir dir, enum ring_sem sem)
{
	struct signal_priv *s = ch->priv;

	(void)dir;
	(void)sem;
	if (!s->peer)
		s->peer = ring_peer_pid(&s->rc);
	if (!s->peer) /* never sigqueue(0): that is our process group */
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

static int signal_wait(struct chan *ch, enum ring_dir dir, enum ring_sem sem, int ms)
{
	struct signal_priv *s = ch->priv;
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	int r;

	(void)dir;
	(void)sem;
	r = sigtimedwait(&s->set, NULL, &ts);
	if (r >= 0 || errno == EINTR)
		return 0; /* the caller re-checks everything */
	if (errno == EAGAIN)
		return -ETIMEDOUT;
	return chan_fail(ch, errno, "sigtimedwait sig=%d", s->signo);
}

static const struct ring_wake_ops signal_wake = {
	.post = signal_post,
	.wait = signal_wait,
};

static int signal_create(struct chan *ch)
{
	struct signal_priv *s = ch->priv;

	s->signo = SIGRTMIN;
	return ring_map_anon(ch, &signal_wake);
}

static int signal_attach(struct chan *ch, enum chan_role role)
{
	struct signal_priv *s = ch->priv;

	sigemptyset(&s->set);
	sigaddset(&s->set, s->signo);
	/* blocked before the pid is visible: nothing can be sent to us earlier */
	if (sigprocmask(SIG_BLOCK, &s->set, NULL) < 0)
		return chan_fail(ch, errno, "sigprocmask SIG_BLOCK sig=%d", s->signo);
	return ring_attach(ch, role);
}

const struct transport_ops signal_ops = {
	.name = "signal",
	.summary = "shared-memory ring per direction, woken by a real-time signal (sigqueue/sigtimedwait)",
	.kind = CHAN_STREAM,
	.flags = 0,
	.priv_size = sizeof(struct signal_priv),
	.probe = signal_probe,
	.create = signal_create,
	.attach = signal_attach,
	.send = ring_send,
	.recv = ring_recv,
	.detach = ring_detach,
	.destroy = ring_unmap_anon,
};
