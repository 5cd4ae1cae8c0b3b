/*
 * sigqueue.c - real-time signals that carry the sequence number.
 *
 * What it carries: nothing but the wake-up (TRANSPORT_NO_PAYLOAD: size 0
 * only), and with it the sequence: message k is sigqueue(peer, SIGRTMIN,
 * si_value = k), dequeued by the peer with sigtimedwait() bounded by
 * ch->timeout_ms (sigwaitinfo with a timeout).  The receiver's k-th
 * signal must carry k and come from the peer by sigqueue (SI_QUEUE): a
 * higher number is a lost signal, a lower one a duplicated one, another
 * sender a stray one; all -EPROTO.  Real-time signals queue, one entry
 * per sigqueue, delivered in order, never merged.
 *
 * Between which processes: any two of the same user whose pids are
 * known; here the pids are published in the shared page of wake.h
 * (POSIX shm by name, so an exec'd peer finds it too).  attach() blocks the
 * signal before its pid is published, so it is never delivered to a
 * handler (the default action would kill), only dequeued.  A sender
 * whose peer has not attached yet waits for its pid (at most timeout_ms).
 *
 * Limits: RLIMIT_SIGPENDING (ulimit -i) bounds the signals queued per
 * user; the flow-control window of wake.h keeps a side at most 256 ahead,
 * and a sigqueue refused with EAGAIN is retried until timeout_ms.  The
 * signal transport (signal.c) uses the same signal as a ring's doorbell;
 * this one has no ring.  The page's name is in the ledger (wake.h).
 */
#include "transports/wake.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

struct sigqueue_priv {
	struct wake_chan w; /* first: wake.c casts priv to it */
	int signo;
	sigset_t set; /* {signo}, blocked after attach */
	pid_t peer;
};

static int sigqueue_probe(struct chan *ch)
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
		 "no payload (size 0 only): sigqueue(SIGRTMIN %d, si_value = sequence) / sigtimedwait; "
		 "RLIMIT_SIGPENDING %lld",
		 SIGRTMIN, rl.rlim_cur == RLIM_INFINITY ? -1LL : (long long)rl.rlim_cur);
	return 0;
}

static int sigqueue_create(struct chan *ch)
{
	struct sigqueue_priv *s = ch->priv;

	s->signo = SIGRTMIN;
	return wake_map(ch);
}

static int sigqueue_attach(struct chan *ch, enum chan_role role)
{
	struct sigqueue_priv *s = ch->priv;

	sigemptyset(&s->set);
	sigaddset(&s->set, s->signo);
	/* blocked before the pid is visible: nothing can be sent to us earlier */
	if (sigprocmask(SIG_BLOCK, &s->set, NULL) < 0)
		return chan_fail(ch, errno, "sigprocmask SIG_BLOCK sig=%d", s->signo);
	s->peer = 0;
	return wake_attach(ch, role);
}

/* Waits (yielding) until the peer published its pid, or sigqueue stops refusing with EAGAIN. */
static int retry_or_fail(struct chan *ch, struct timespec *abs, bool *started, const char *why)
{
	if (!*started) {
		wake_deadline(ch, abs);
		*started = true;
	} else if (!wake_ms_left(abs)) {
		return chan_fail(ch, ETIMEDOUT, "sigqueue: %s for %d ms", why, ch->timeout_ms);
	}
	sched_yield();
	return 0;
}

static int sigqueue_send(struct chan *ch, const void *buf, size_t len)
{
	struct sigqueue_priv *s = ch->priv;
	struct timespec abs;
	bool started = false;
	uint32_t seq;
	int r = wake_check_len(ch, len);

	(void)buf;
	while (!r && !s->peer && !(s->peer = wake_peer_pid(ch)))
		r = retry_or_fail(ch, &abs, &started, "the peer published no pid");
	if (!r)
		r = wake_note_post(ch, len, &seq);
	while (!r) {
		if (sigqueue(s->peer, s->signo, (union sigval){.sival_int = (int)seq}) == 0)
			return 0;
		if (errno == ESRCH)
			return chan_fail(ch, EPIPE, "sigqueue pid=%d sig=%d: peer gone", (int)s->peer, s->signo);
		if (errno != EAGAIN)
			return chan_fail(ch, errno, "sigqueue pid=%d sig=%d", (int)s->peer, s->signo);
		r = retry_or_fail(ch, &abs, &started, "RLIMIT_SIGPENDING reached (ulimit -i)");
	}
	return r;
}

/* The k-th signal must carry k and come from the peer's sigqueue. */
static int check_info(struct chan *ch, const siginfo_t *si)
{
	struct sigqueue_priv *s = ch->priv;
	uint32_t want = s->w.got + 1, got = (uint32_t)si->si_value.sival_int;

	if (!s->peer)
		s->peer = wake_peer_pid(ch);
	if (si->si_code != SI_QUEUE || si->si_pid != s->peer)
		return chan_fail(ch, EPROTO, "sigtimedwait: a stray signal %d (code %d, from pid %d, not the peer %d)",
				 si->si_signo, si->si_code, (int)si->si_pid, (int)s->peer);
	if (got != want)
		return chan_fail(ch, EPROTO, "sigtimedwait: signal %u arrived as number %u: %s", want, got,
				 (int32_t)(got - want) > 0 ? "a lost wake-up" : "a duplicated wake-up");
	return wake_took(ch, "sigtimedwait");
}

static int sigqueue_recv(struct chan *ch, void *buf, size_t len)
{
	struct sigqueue_priv *s = ch->priv;
	struct timespec abs, rel = {ch->timeout_ms / 1000, (long)(ch->timeout_ms % 1000) * 1000000};
	siginfo_t si;
	int r = wake_check_len(ch, len);

	(void)buf;
	if (r)
		return r;
	wake_deadline(ch, &abs);
	while (sigtimedwait(&s->set, &si, ch->timeout_ms > 0 ? &rel : NULL) < 0) {
		long ms;

		if (errno == EAGAIN)
			return wake_timed_out(ch, "sigtimedwait");
		if (errno != EINTR)
			return chan_fail(ch, errno, "sigtimedwait sig=%d", s->signo);
		ms = wake_ms_left(&abs);
		if (!ms)
			return wake_timed_out(ch, "sigtimedwait");
		rel = (struct timespec){ms / 1000, (ms % 1000) * 1000000};
	}
	return check_info(ch, &si);
}

static void sigqueue_destroy(struct chan *ch)
{
	wake_unmap(ch);
}

const struct transport_ops sigqueue_ops = {
	.name = "sigqueue",
	.summary = "real-time signals carrying the sequence in si_value (sigqueue / sigtimedwait), no payload: "
		   "--sizes 0",
	.kind = CHAN_MESSAGE,
	.flags = TRANSPORT_NO_PAYLOAD | TRANSPORT_BY_NAME,
	.priv_size = sizeof(struct sigqueue_priv),
	.probe = sigqueue_probe,
	.create = sigqueue_create,
	.adopt = wake_adopt,
	.attach = sigqueue_attach,
	.send = sigqueue_send,
	.recv = sigqueue_recv,
	.destroy = sigqueue_destroy,
};
