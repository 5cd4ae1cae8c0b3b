/*
 * futex_ring.c - the shared-memory byte ring (ring.h) with a bare futex
 * as its doorbell: no semaphore library, no file descriptor.
 *
 * What it carries: a byte stream of any size, both directions, through
 * the ring of eventfd, shm_ring and sysv_shm (same layout, sizes, pieces,
 * wake protocol and dead-peer detection); only the doorbell differs.
 *
 * What it saves: a sleeping side is woken by FUTEX_WAKE on a 32-bit word
 * in the region and sleeps in FUTEX_WAIT on it, without a timeout, which
 * is the least any blocking shared-memory transport can do (the harness's
 * futex floor is the same pair of calls on a bare word).  shm_ring's POSIX
 * semaphores add sem_post/sem_clockwait's bookkeeping and a timed wait;
 * eventfd adds poll + read and a file.  A side posts only when its peer
 * announced that it sleeps, so a streaming run makes few system calls.
 *
 * What it costs: per side, a helper thread (256 KiB of stack) that sleeps
 * in a timed private futex and wakes every RING_SLICE_MS (100 ms): when
 * its side has slept through a whole slice it rings that side's own word,
 * so the ring re-checks its peer (dead: -EPIPE) and ch->timeout_ms
 * (-ETIMEDOUT) as it does with every doorbell, within one to two slices,
 * while the waits themselves carry no timer (ring.h gives the measured
 * difference).  The helper never runs on the message path.
 *
 * Objects: the region is shm_ring's, a POSIX shm object "/<tag>-ring"
 * (shm_open O_CREAT|O_EXCL, 0600, noted in the ledger before it is made)
 * sized and mapped in create(), without the semaphores.  Forked sides
 * inherit the mapping; an exec'd client (--peers exec, TRANSPORT_BY_NAME)
 * maps it by its name (a regular object of ours of exactly the size made),
 * and the client's attach unlinks the name once it holds the mapping, so
 * a name lives from create() to that attach and a crash leaves at most
 * what the ledger lists; destroy() unlinks it if no client came.  The
 * futex words are shared futexes, never FUTEX_PRIVATE_FLAG: the kernel
 * keys them by the object and offset, so they work between unrelated
 * processes mapping the object at different addresses.
 *
 * Limits: memory and the futex system call (CONFIG_FUTEX); no kernel
 * limit of its own; messages of any size stream through the ring (four
 * times the message, 4 KiB to 4 MiB per direction).
 */
#include "transports/shm_ring.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int futex_ring_probe(struct chan *ch)
{
	uint32_t word = 0;

	/* a wake nobody waits for: 0, or ENOSYS on a kernel without futexes */
	if (syscall(SYS_futex, &word, FUTEX_WAKE, 1, NULL, NULL, 0) < 0) {
		if (errno == ENOSYS)
			return chan_unavailable(ch, errno, "futex: kernel built without futexes (CONFIG_FUTEX)");
		return chan_fail(ch, errno, "futex FUTEX_WAKE");
	}
	if (access("/dev/shm", W_OK | X_OK) < 0)
		return chan_unavailable(ch, errno,
					"access /dev/shm: the region is POSIX shared memory (a tmpfs there)");
	ch->limits.max_msg_bytes = 0;
	ch->limits.unit_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "POSIX shm ring 4x msg, %zu KiB-%zu MiB/dir; doorbell: untimed FUTEX_WAIT, a helper "
		 "thread per side checks every %d ms",
		 RING_CAP_MIN >> 10, RING_CAP_MAX >> 20, RING_SLICE_MS);
	return 0;
}

static int futex_ring_create(struct chan *ch)
{
	struct ring_chan *rc = ch->priv;
	size_t cap = ring_capacity(ch->msg_bytes, 0), bytes = ring_region_bytes(cap);
	void *mem = NULL;
	int r;

	rc->wake = &ring_futex_wake;
	rc->spin_ns = 0;
	r = shm_ring_map_region(ch, bytes, &mem);
	if (r)
		return r;
	r = ring_region_init(ch, mem, bytes, cap, false);
	if (r)
		munmap(mem, bytes);
	return r;
}

static void futex_ring_adopt(struct chan *ch)
{
	shm_ring_adopt_wake(ch, &ring_futex_wake);
}

static int futex_ring_attach(struct chan *ch, enum chan_role role)
{
	struct shm_ring_priv *sp = ch->priv;
	int r;

	if (!sp->rc.rg && shm_ring_map_by_name(ch))
		return -ch->err;
	if (role == CHAN_CLIENT && sp->name[0]) {
		shm_unlink(sp->name); /* the client holds the mapping: the name has done its job */
		sp->name[0] = 0;
	}
	r = ring_attach(ch, role);
	return r ? r : ring_futex_watch_start(ch);
}

static void futex_ring_detach(struct chan *ch)
{
	ring_futex_watch_stop(ch);
	ring_detach(ch);
}

static void futex_ring_destroy(struct chan *ch)
{
	struct shm_ring_priv *sp = ch->priv;

	ring_futex_watch_stop(ch);
	if (sp->name[0]) {
		shm_unlink(sp->name);
		sp->name[0] = 0;
	}
	if (!sp->rc.rg)
		return;
	ring_detach(ch);
	munmap(sp->rc.rg, sp->rc.map_bytes);
	sp->rc.rg = NULL;
}

const struct transport_ops futex_ring_ops = {
	.name = "futex_ring",
	.summary = "shared-memory ring per direction, woken by a bare futex word (no semaphore library)",
	.kind = CHAN_STREAM,
	.flags = TRANSPORT_BY_NAME,
	.priv_size = sizeof(struct shm_ring_priv),
	.probe = futex_ring_probe,
	.create = futex_ring_create,
	.adopt = futex_ring_adopt,
	.attach = futex_ring_attach,
	.send = ring_send,
	.recv = ring_recv,
	.detach = futex_ring_detach,
	.destroy = futex_ring_destroy,
};
