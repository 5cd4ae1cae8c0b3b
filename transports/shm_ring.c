/*
 * shm_ring.c - a single-producer single-consumer byte ring per direction in
 * POSIX shared memory (ring.h has the layout and the protocols).
 *
 * shm_ring: a side that finds the ring empty (or full) sleeps at once on
 * a POSIX semaphore living in the region (sem_init with pshared=1); its
 * peer posts only when it sleeps, so a round trip costs what a futex
 * wait/wake pair costs and nothing on top.
 *
 * shm_spin: the same ring, busy-polling: no system call on the fast path,
 * and it burns a CPU on each side while it waits.  Polling is bounded:
 * RING_SPIN_NS (50 us) with a pause instruction, then sched_yield() for
 * RING_YIELD_NS (1 ms), then the same semaphore sleep as shm_ring, so an
 * idle peer does not cost a CPU forever.  When both sides are pinned to one
 * CPU (ch->peer_same_cpu) the spin is skipped (the peer cannot run while we
 * spin, so every round trip would cost a scheduler tick): the CPU is handed
 * over with sched_yield(), which is what a same-CPU figure of shm_spin
 * measures.  probe() says so in the result's limits note.
 *
 * shm_spin's option spin_us: the microseconds a waiter busy-polls before
 * it starts yielding (rc->spin_ns, default RING_SPIN_NS = 50 us).  It
 * counts time, not polls: the pause-loop looks at the clock every 64
 * polls (ring.c spin_phase), after RING_SPIN_FAST untimed polls of a slot.
 * The yield phase (RING_YIELD_NS) and the sleep after it are unchanged.
 * At least 1: a zero budget would make shm_spin the shm_ring layout
 * (no slot lines, no yield phase), which is shm_ring, not a variant.
 * Nothing in the kernel applies it: probe records the value asked.
 *
 * Both are byte streams (the harness's fixed size delimits messages) and
 * carry any size: a message larger than the ring streams through it in
 * pieces.  The ring is four times the message, rounded up to a power of
 * two, between 4 KiB and 4 MiB per direction.  shm_spin carries messages
 * of up to 224 bytes in 64-byte slot lines instead, 8 messages in flight
 * (ring.h says why).
 *
 * Objects: one name "/<tag>-ring" (shm_open O_CREAT|O_EXCL, 0600), noted
 * in the ledger before it is made, sized and mapped in create().  Forked
 * sides inherit the mapping; an exec'd client (--peers exec: the server
 * peer ran create()) maps the region by its name, a regular object of
 * ours of exactly the size create() made, and the robust mutexes and the
 * semaphores in it work across unrelated processes (process-shared, in a
 * MAP_SHARED mapping of one object).  Either way the client's attach()
 * unlinks the name once it holds the mapping, so a name lives from
 * create() to the client's attach() only and a crash leaves at most what
 * the ledger lists; destroy() unlinks it if no client came.  The memory
 * goes when the last process unmaps it.  Limits: the free space of the
 * tmpfs on /dev/shm.
 *
 * Fan-in (--clients N, TRANSPORT_FAN_IN): one segment of the same name
 * holds a region per client and the server waits on all of them through
 * one futex doorbell the clients ring (shm_fan.c).
 */
#include "transports/ledger.h"
#include "transports/shm_ring.h"
#include "common/mono.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

int shm_ring_sem_post(struct chan *ch, enum ring_dir dir, enum ring_sem sem)
{
	struct ring_chan *rc = ch->priv;

	if (sem_post(&rc->rg->sem[dir][sem]) < 0)
		return chan_fail(ch, errno, "sem_post");
	return 0;
}

int shm_ring_sem_wait(struct chan *ch, enum ring_dir dir, enum ring_sem sem, int ms)
{
	struct ring_chan *rc = ch->priv;
	struct timespec ts = mono_deadline((uint64_t)ms);

	if (sem_clockwait(&rc->rg->sem[dir][sem], CLOCK_MONOTONIC, &ts) == 0)
		return 0;
	if (errno == ETIMEDOUT)
		return -ETIMEDOUT;
	if (errno == EINTR)
		return 0; /* the caller re-checks everything */
	return chan_fail(ch, errno, "sem_clockwait");
}

static const struct ring_wake_ops shm_ring_wake = {
	.post = shm_ring_sem_post,
	.wait = shm_ring_sem_wait,
};

static int probe_dev_shm(struct chan *ch, const char *policy)
{
	size_t need = ring_region_bytes(RING_CAP_MAX);
	unsigned long long free_bytes;
	struct statfs sf;

	if (statfs("/dev/shm", &sf) < 0)
		return chan_unavailable(ch, errno,
					"statfs /dev/shm: POSIX shared memory needs a tmpfs there "
					"(mount -t tmpfs tmpfs /dev/shm)");
	if (access("/dev/shm", W_OK | X_OK) < 0)
		return chan_unavailable(ch, errno, "access /dev/shm: not writable");
	free_bytes = (unsigned long long)sf.f_bavail * (unsigned long long)sf.f_bsize;
	if (free_bytes < need)
		return chan_unavailable(ch, ENOSPC, "/dev/shm has %llu bytes free, a channel needs up to %zu",
					free_bytes, need);
	snprintf(ch->limits.note, sizeof(ch->limits.note), "/dev/shm %s, %llu MiB free; ring 4x msg, 4K-4M/dir; %s",
		 sf.f_type == TMPFS_MAGIC ? "tmpfs" : "(not tmpfs)", free_bytes >> 20, policy);
	ch->limits.max_msg_bytes = 0;
	return 0;
}

static int shm_ring_probe(struct chan *ch)
{
	return probe_dev_shm(ch, "sleeps on a semaphore in the region");
}

enum { SHM_SPIN_OPT_SPIN_US };

static const struct transport_option shm_spin_options[] = {
	[SHM_SPIN_OPT_SPIN_US] = {.name = "spin_us",
				  .type = TOPT_USEC,
				  .def = RING_SPIN_NS / 1000,
				  .min = 1,
				  .max = 1000000,
				  .help = "microseconds a waiter busy-polls before it yields (then sleeps)"},
	{0},
};

static int shm_spin_probe(struct chan *ch)
{
	char policy[96];
	long long us = chan_opt(ch, SHM_SPIN_OPT_SPIN_US);

	chan_opt_record(ch, SHM_SPIN_OPT_SPIN_US, us);
	snprintf(policy, sizeof(policy), "spins %lldus, yields %dms, then sleeps; same CPU: yields at once", us,
		 RING_YIELD_NS / 1000000);
	return probe_dev_shm(ch, policy);
}

/* Opens, notes, sizes and maps the name (which stays for the client's attach). */
int shm_ring_map_region(struct chan *ch, size_t bytes, void **mem)
{
	struct shm_ring_priv *sp = ch->priv;
	int fd, r = 0;

	if ((size_t)snprintf(sp->name, sizeof(sp->name), "/%s-ring", ch->tag) >= sizeof(sp->name)) {
		sp->name[0] = 0;
		return chan_fail(ch, ENAMETOOLONG, "shm name for tag %s", ch->tag);
	}
	r = chan_ledger_add(ch, LEDGER_POSIX_SHM, sp->name); /* before the name exists */
	fd = r ? -1 : shm_open(sp->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = r ? r : chan_fail(ch, errno, "shm_open %s", sp->name);
		sp->name[0] = 0;
		return r;
	}
	if (ftruncate(fd, (off_t)bytes) < 0)
		r = chan_fail(ch, errno, "ftruncate %s to %zu bytes", sp->name, bytes);
	if (!r) {
		*mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (*mem == MAP_FAILED)
			r = chan_fail(ch, errno, "mmap %s (%zu bytes)", sp->name, bytes);
	}
	close(fd);
	return r;
}

/* An exec'd client's copy of the creator's state: the mapping and the doorbell's address are not ours. */
void shm_ring_adopt_wake(struct chan *ch, const struct ring_wake_ops *wake)
{
	struct shm_ring_priv *sp = ch->priv;
	struct ring_chan *rc = &sp->rc;

	rc->rg = NULL;
	rc->attached = false;
	rc->wake = wake;
	memset(&rc->tx, 0, sizeof(rc->tx));
	memset(&rc->rx, 0, sizeof(rc->rx));
	memset(&rc->fw, 0, sizeof(rc->fw));
	sp->fan = NULL; /* fan-in cells are forked only: nothing of one is adopted */
	sp->fan_bytes = 0;
	sp->srv = NULL;
}

static void shm_ring_adopt(struct chan *ch)
{
	shm_ring_adopt_wake(ch, &shm_ring_wake);
}

/* The region by its name: a regular object of ours of exactly the size the creator made. */
int shm_ring_map_by_name(struct chan *ch)
{
	struct shm_ring_priv *sp = ch->priv;
	struct stat st;
	void *mem = MAP_FAILED;
	int fd = sp->name[0] ? shm_open(sp->name, O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0) : -1;

	if (fd < 0)
		return chan_fail(ch, sp->name[0] ? errno : EINVAL, "shm_open %s (by name)", sp->name);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
	    (size_t)st.st_size == sp->rc.map_bytes)
		mem = mmap(NULL, sp->rc.map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	else
		errno = EPROTO;
	close(fd);
	if (mem == MAP_FAILED)
		return chan_fail(ch, errno, "map %s (%zu bytes) by name", sp->name, sp->rc.map_bytes);
	sp->rc.rg = mem;
	return 0;
}

static int shm_ring_attach(struct chan *ch, enum chan_role role)
{
	struct shm_ring_priv *sp = ch->priv;

	if (sp->fan)
		return shm_fan_attach(ch, role);
	if (!sp->rc.rg && shm_ring_map_by_name(ch))
		return -ch->err;
	if (role == CHAN_CLIENT && sp->name[0]) {
		shm_unlink(sp->name); /* the client holds the mapping: the name has done its job */
		sp->name[0] = 0;
	}
	return ring_attach(ch, role);
}

static int create_common(struct chan *ch, uint64_t spin_ns)
{
	struct ring_chan *rc = ch->priv;
	size_t cap = ring_capacity(ch->msg_bytes, 0), bytes = ring_region_bytes(cap);
	void *mem = NULL;
	int r;

	if (ch->nclients)
		return shm_fan_create(ch, spin_ns);
	rc->wake = &shm_ring_wake;
	rc->spin_ns = spin_ns;
	r = shm_ring_map_region(ch, bytes, &mem);
	if (r)
		return r;
	r = ring_region_init(ch, mem, bytes, cap, true);
	if (r)
		munmap(mem, bytes);
	return r;
}

static int shm_ring_create(struct chan *ch)
{
	return create_common(ch, 0);
}

static int shm_spin_create(struct chan *ch)
{
	return create_common(ch, (uint64_t)chan_opt(ch, SHM_SPIN_OPT_SPIN_US) * 1000);
}

static void shm_ring_destroy(struct chan *ch)
{
	struct shm_ring_priv *sp = ch->priv;
	struct ring_chan *rc = &sp->rc;

	if (sp->fan) {
		shm_fan_destroy(ch);
		return;
	}
	if (sp->name[0]) {
		shm_unlink(sp->name);
		sp->name[0] = 0;
	}
	if (!rc->rg)
		return;
	ring_detach(ch);
	for (int d = 0; d < 2; d++)
		for (int s = 0; s < 2; s++)
			sem_destroy(&rc->rg->sem[d][s]);
	munmap(rc->rg, rc->map_bytes);
	rc->rg = NULL;
}

/* One client's channel, or a fan-in member (the server lets go of every ring). */
static void shm_ring_detach(struct chan *ch)
{
	struct shm_ring_priv *sp = ch->priv;

	if (sp->fan)
		shm_fan_detach(ch);
	else
		ring_detach(ch);
}

const struct transport_ops shm_ring_ops = {
	.name = "shm_ring",
	.summary = "SPSC byte ring per direction in POSIX shm, woken by POSIX semaphores in the region",
	.kind = CHAN_STREAM,
	.flags = TRANSPORT_BY_NAME | TRANSPORT_FAN_IN,
	.priv_size = sizeof(struct shm_ring_priv),
	.probe = shm_ring_probe,
	.create = shm_ring_create,
	.adopt = shm_ring_adopt,
	.attach = shm_ring_attach,
	.send = ring_send,
	.recv = ring_recv,
	.recv_any = shm_fan_recv_any,
	.send_to = shm_fan_send_to,
	.detach = shm_ring_detach,
	.destroy = shm_ring_destroy,
};

const struct transport_ops shm_spin_ops = {
	.name = "shm_spin",
	.summary = "the shm_ring ring, busy-polled (burns a CPU per side), then yield, then sleep",
	.kind = CHAN_STREAM,
	.flags = TRANSPORT_SPIN | TRANSPORT_BY_NAME | TRANSPORT_FAN_IN,
	.priv_size = sizeof(struct shm_ring_priv),
	.options = shm_spin_options,
	.probe = shm_spin_probe,
	.create = shm_spin_create,
	.adopt = shm_ring_adopt,
	.attach = shm_ring_attach,
	.send = ring_send,
	.recv = ring_recv,
	.recv_any = shm_fan_recv_any,
	.send_to = shm_fan_send_to,
	.detach = shm_ring_detach,
	.destroy = shm_ring_destroy,
};
