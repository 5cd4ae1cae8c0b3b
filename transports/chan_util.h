/*
 * chan_util.h - small helpers the transports share (internal to
 * transports/; the engine uses transport.h only).
 */
#ifndef IPCBENCH_CHAN_UTIL_H
#define IPCBENCH_CHAN_UTIL_H

#include <sched.h>
#include <stddef.h>

#include "transports/transport.h"

/* Reads one integer from a /proc file (a sysctl): 0 or -errno. */
int chan_read_sysctl(const char *path, long long *val);

/* Builds "<run_dir>/<tag>-<what>" into out; -ENAMETOOLONG if it does not fit. */
int chan_path(const struct chan *ch, const char *what, char *out, size_t outlen);

/*
 * One turn of a busy-polling wait.  Across CPUs: a pause instruction.  When
 * the peer is pinned to this same CPU it cannot progress while we spin
 * (pure spinning would cost a scheduler tick per message), so yield.
 */
static inline void chan_relax(const struct chan *ch)
{
	if (ch->peer_same_cpu) {
		sched_yield();
		return;
	}
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

#endif
