/*
 * futex.c - a raw shared futex word per direction: the bare doorbell.
 *
 * What it carries: nothing but the wake-up (TRANSPORT_NO_PAYLOAD: size 0
 * only).  Each message is one post: the sender bumps its direction's
 * 32-bit word (the post count of wake.h, so the word is its own sequence)
 * and calls FUTEX_WAKE on it, always, whether or not anybody sleeps; the
 * receiver sleeps in FUTEX_WAIT while the word still equals the count it
 * has taken, so a post can never be lost between its check and its sleep
 * (the kernel compares the word under the futex's lock), and a spurious
 * return only makes it look again.
 *
 * Between which processes: any two that map the page (wake.h: POSIX shm
 * by name; forked sides inherit it, exec'd ones map it by name).  The
 * words are shared futexes (the page is shmem), never FUTEX_PRIVATE_FLAG.
 *
 * This is the pair of calls the run's futex floor measures, with two
 * differences: the wait carries ch->timeout_ms as its timeout (a timer
 * armed per wait: a dead peer is -ETIMEDOUT, not a hang), and the
 * receiver checks the sequence (wake.h) after every wake-up.
 *
 * Limits: CONFIG_FUTEX; no kernel limit of its own; the page's name is
 * in the ledger (wake.h).
 */
#include "transports/wake.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long futex_call(_Atomic uint32_t *word, int op, uint32_t val, const struct timespec *rel)
{
	return syscall(SYS_futex, word, op, val, rel, NULL, 0);
}

static int futex_probe(struct chan *ch)
{
	uint32_t word = 0;

	if (syscall(SYS_futex, &word, FUTEX_WAKE, 1, NULL, NULL, 0) < 0) {
		if (errno == ENOSYS)
			return chan_unavailable(ch, errno, "futex: kernel built without futexes (CONFIG_FUTEX)");
		return chan_fail(ch, errno, "futex FUTEX_WAKE");
	}
	ch->limits.max_msg_bytes = 0;
	ch->limits.unit_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "no payload (size 0 only): FUTEX_WAKE / timed FUTEX_WAIT on a shared 32-bit word per direction");
	return 0;
}

static int futex_create(struct chan *ch)
{
	return wake_map(ch);
}

static int futex_send(struct chan *ch, const void *buf, size_t len)
{
	struct wake_chan *w = ch->priv;
	uint32_t seq;
	int r = wake_note_post(ch, len, &seq);

	(void)buf;
	if (r)
		return r;
	if (futex_call(&w->pg->post[w->out].posted, FUTEX_WAKE, 1, NULL) < 0)
		return chan_fail(ch, errno, "futex FUTEX_WAKE");
	return 0;
}

static int futex_recv(struct chan *ch, void *buf, size_t len)
{
	struct wake_chan *w = ch->priv;
	struct timespec abs, rel;
	bool timed = false;
	int r = wake_check_len(ch, len);

	(void)buf;
	if (r)
		return r;
	while (!wake_pending(w)) {
		long ms;

		if (!timed) { /* the first wait takes the whole timeout; a deadline only for retries */
			rel = (struct timespec){ch->timeout_ms / 1000, (long)(ch->timeout_ms % 1000) * 1000000};
			timed = true;
			wake_deadline(ch, &abs);
		} else if ((ms = wake_ms_left(&abs)) > 0) {
			rel = (struct timespec){ms / 1000, (ms % 1000) * 1000000};
		} else {
			return wake_timed_out(ch, "futex FUTEX_WAIT");
		}
		if (futex_call(&w->pg->post[w->in].posted, FUTEX_WAIT, w->got, ch->timeout_ms > 0 ? &rel : NULL) == 0)
			continue;
		if (errno == ETIMEDOUT)
			return wake_timed_out(ch, "futex FUTEX_WAIT");
		if (errno != EAGAIN && errno != EINTR)
			return chan_fail(ch, errno, "futex FUTEX_WAIT");
	}
	return wake_took(ch, "futex");
}

static void futex_destroy(struct chan *ch)
{
	wake_unmap(ch);
}

const struct transport_ops futex_ops = {
	.name = "futex",
	.summary = "a bare shared futex word per direction (FUTEX_WAKE / FUTEX_WAIT), no payload: --sizes 0",
	.kind = CHAN_MESSAGE,
	.flags = TRANSPORT_NO_PAYLOAD | TRANSPORT_BY_NAME,
	.priv_size = sizeof(struct wake_chan),
	.probe = futex_probe,
	.create = futex_create,
	.adopt = wake_adopt,
	.attach = wake_attach,
	.send = futex_send,
	.recv = futex_recv,
	.destroy = futex_destroy,
};
