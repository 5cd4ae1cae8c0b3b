/*
 * backoff.h - the polled wait of the transports that have no wake-up at
 * all (lockfile, file): they re-check, and between checks back off.
 * Internal to transports/.
 *
 * Block: BACKOFF_YIELDS immediate re-checks, each after a sched_yield()
 * (which lets a peer on the same CPU run), then nanosleep from 1 us
 * doubling to 1 ms; backoff_reset() after each success starts again.  The
 * caller sets its timer slack to 1 ns (PR_SET_TIMERSLACK) in attach, or a
 * "1 us" sleep lasts the default 50 us.  Spin (ch->wait ==
 * CHAN_WAIT_SPIN): chan_relax() between checks, no sleep.  No progress
 * for ch->timeout_ms is -ETIMEDOUT.
 */
#ifndef IPCBENCH_BACKOFF_H
#define IPCBENCH_BACKOFF_H

#include <errno.h>
#include <time.h>

#include "common/mono.h"
#include "transports/chan_util.h"

#define BACKOFF_YIELDS 4
#define BACKOFF_SLEEP_MIN_NS 1000L
#define BACKOFF_SLEEP_MAX_NS 1000000L
#define BACKOFF_SPIN_CHECK 256 /* spins between two looks at the clock */

struct backoff {
	unsigned int tries;
	long sleep_ns;
	uint64_t start_ns;
};

static inline void backoff_reset(struct backoff *b)
{
	b->tries = 0;
	b->sleep_ns = BACKOFF_SLEEP_MIN_NS;
	b->start_ns = 0;
}

/* No progress: wait a little longer than last time, or -ETIMEDOUT (what names the wait). */
static inline int backoff_wait(struct chan *ch, struct backoff *b, const char *what)
{
	struct timespec ts = {0, b->sleep_ns};
	uint64_t now;

	if (ch->wait == CHAN_WAIT_SPIN) {
		chan_relax(ch);
		if (++b->tries % BACKOFF_SPIN_CHECK)
			return 0;
	} else if (b->tries++ < BACKOFF_YIELDS) {
		sched_yield();
		return 0;
	}
	now = mono_ns();
	if (!b->start_ns)
		b->start_ns = now;
	else if (ch->timeout_ms > 0 && now - b->start_ns > (uint64_t)ch->timeout_ms * 1000000u)
		return chan_fail(ch, ETIMEDOUT, "%s: peer silent for %d ms", what, ch->timeout_ms);
	if (ch->wait == CHAN_WAIT_SPIN)
		return 0;
	nanosleep(&ts, NULL);
	if (b->sleep_ns < BACKOFF_SLEEP_MAX_NS)
		b->sleep_ns = b->sleep_ns * 2 > BACKOFF_SLEEP_MAX_NS ? BACKOFF_SLEEP_MAX_NS : b->sleep_ns * 2;
	return 0;
}

#endif
