/*
 * sysv_shm.c - the shm_ring byte ring (ring.h) in a System V shared memory
 * segment, woken through System V semaphores: the classic trio's second
 * and third members (sysv_mq is the first).
 *
 * Semantics: a byte stream, any size (larger than the ring: streamed
 * through it in pieces).  A side that finds the ring empty
 * (or full) sleeps in semtimedop() on one of four semaphores of one set
 * ([direction][data or space]); its peer does semop(+1) only when it
 * sleeps, so a round trip makes two semop calls, not four.
 *
 * Objects: shmget(0600) under a key noted in the ledger first (ledger.h),
 * attached in create() (the children inherit the attachment through fork)
 * and marked IPC_RMID at once: it disappears when the last process
 * detaches, even after a crash.  The semaphore set (semget 0600,
 * its key in the ledger) cannot be marked that way: destroy()
 * removes it with IPC_RMID.  By name (--peers exec): both ids are
 * system-wide; an exec'd client attaches the segment by its id, which
 * Linux allows after IPC_RMID for as long as a process (the server peer,
 * which created it) still has it attached, once IPC_STAT shows it ours and
 * of the size the creator made.
 *
 * Limits (probe): kernel.shmmax bounds the segment, so the ring shrinks to
 * fit it (messages still pass, in smaller pieces); kernel.shmmni and the
 * SEMMNI/SEMMSL fields of kernel.sem must allow one more segment and a
 * set of four semaphores.  Ordering trap: semop(IPC_RMID) wakes sleepers
 * with EIDRM, so destroy() runs only after both children are reaped.
 */
#include "transports/ledger.h"
#include "transports/ring.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

struct sysv_shm_priv {
	struct ring_chan rc; /* first: ring.c casts priv to it */
	int shmid;
	int semid;
	bool have_shm; /* shmid exists and is not yet marked IPC_RMID */
	bool have_sem; /* semid exists */
};

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

static unsigned short sem_index(enum ring_dir dir, enum ring_sem sem)
{
	return (unsigned short)(dir * 2 + sem);
}

static int sysv_shm_post(struct chan *ch, enum ring_dir dir, enum ring_sem sem)
{
	struct sysv_shm_priv *sp = ch->priv;
	struct sembuf op = {.sem_num = sem_index(dir, sem), .sem_op = 1};

	while (semop(sp->semid, &op, 1) < 0) {
		if (errno != EINTR)
			return chan_fail(ch, errno, "semop +1 id=%d sem=%u", sp->semid, op.sem_num);
	}
	return 0;
}

static int sysv_shm_wait(struct chan *ch, enum ring_dir dir, enum ring_sem sem, int ms)
{
	struct sysv_shm_priv *sp = ch->priv;
	struct sembuf op = {.sem_num = sem_index(dir, sem), .sem_op = -1};
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	if (semtimedop(sp->semid, &op, 1, &ts) == 0)
		return 0;
	if (errno == EAGAIN)
		return -ETIMEDOUT;
	if (errno == EINTR)
		return 0; /* the caller re-checks everything */
	return chan_fail(ch, errno, "semtimedop -1 id=%d sem=%u", sp->semid, op.sem_num);
}

static const struct ring_wake_ops sysv_shm_wake = {
	.post = sysv_shm_post,
	.wait = sysv_shm_wait,
};

static int read_sem_limits(long long v[4])
{
	FILE *f = fopen("/proc/sys/kernel/sem", "re");
	int n;

	if (!f)
		return -errno;
	n = fscanf(f, "%lld %lld %lld %lld", &v[0], &v[1], &v[2], &v[3]);
	fclose(f);
	return n == 4 ? 0 : -EINVAL;
}

static int sysv_shm_probe(struct chan *ch)
{
	long long shmmax = 0, shmmni = 0, sem[4];
	size_t small = ring_region_bytes(RING_CAP_MIN);

	if (chan_read_sysctl("/proc/sys/kernel/shmmax", &shmmax) < 0)
		return chan_unavailable(ch, ENOSYS,
					"/proc/sys/kernel/shmmax: no System V IPC in this kernel "
					"(CONFIG_SYSVIPC) or /proc not mounted");
	chan_read_sysctl("/proc/sys/kernel/shmmni", &shmmni);
	if (shmmni < 1)
		return chan_unavailable(ch, ENOSPC, "kernel.shmmni is %lld (sysctl -w kernel.shmmni=4096)", shmmni);
	if (shmmax < (long long)small)
		return chan_unavailable(ch, EINVAL,
					"kernel.shmmax is %lld bytes, a ring needs %zu (sysctl -w kernel.shmmax=%zu)",
					shmmax, small, ring_region_bytes(RING_CAP_MAX));
	if (read_sem_limits(sem) < 0)
		return chan_unavailable(ch, ENOSYS, "/proc/sys/kernel/sem unreadable");
	if (sem[0] < 4 || sem[3] < 1)
		return chan_unavailable(ch, ENOSPC,
					"kernel.sem SEMMSL %lld / SEMMNI %lld cannot hold a set of 4 "
					"(sysctl -w kernel.sem=\"32000 1024000000 500 32000\")",
					sem[0], sem[3]);
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "kernel.shmmax %lld, shmmni %lld, sem \"%lld %lld %lld %lld\"; ring 4x msg, 4K-4M/dir", shmmax, shmmni,
		 sem[0], sem[1], sem[2], sem[3]);
	ch->limits.max_msg_bytes = 0;
	return 0;
}

static int make_segment(struct chan *ch, size_t bytes, void **mem)
{
	struct sysv_shm_priv *sp = ch->priv;

	/* a key of the run's, noted in the ledger before the segment exists */
	sp->shmid = chan_sysv_create(ch, LEDGER_SYSV_SHM, bytes, 0, 0600);
	if (sp->shmid < 0)
		return chan_fail(ch, errno, "shmget %zu bytes", bytes);
	sp->have_shm = true;
	*mem = shmat(sp->shmid, NULL, 0);
	if (*mem == (void *)-1)
		return chan_fail(ch, errno, "shmat id=%d", sp->shmid);
	sp->rc.rg = *mem; /* for destroy: set again by ring_region_init */
	/* attached here and inherited by the children: the id may go now */
	if (shmctl(sp->shmid, IPC_RMID, NULL) < 0)
		return chan_fail(ch, errno, "shmctl IPC_RMID id=%d", sp->shmid);
	sp->have_shm = false;
	return 0;
}

static int make_semaphores(struct chan *ch)
{
	struct sysv_shm_priv *sp = ch->priv;
	unsigned short zero[4] = {0, 0, 0, 0};
	union semun arg = {.array = zero};

	sp->semid = chan_sysv_create(ch, LEDGER_SYSV_SEM, 0, 4, 0600);
	if (sp->semid < 0)
		return chan_fail(ch, errno, "semget 4 semaphores");
	sp->have_sem = true;
	if (semctl(sp->semid, 0, SETALL, arg) < 0)
		return chan_fail(ch, errno, "semctl SETALL id=%d", sp->semid);
	return 0;
}

static size_t shmmax_bytes(void)
{
	long long v = 0;

	if (chan_read_sysctl("/proc/sys/kernel/shmmax", &v) < 0 || v <= 0)
		return 0;
	return (unsigned long long)v > SIZE_MAX ? 0 : (size_t)v;
}

static int sysv_shm_create(struct chan *ch)
{
	struct sysv_shm_priv *sp = ch->priv;
	size_t cap = ring_capacity(ch->msg_bytes, shmmax_bytes()), bytes = ring_region_bytes(cap);
	void *mem = NULL;
	int r;

	sp->rc.wake = &sysv_shm_wake;
	sp->rc.spin_ns = 0;
	sp->rc.map_bytes = bytes;
	r = make_segment(ch, bytes, &mem);
	if (!r)
		r = make_semaphores(ch);
	if (!r)
		r = ring_region_init(ch, mem, bytes, cap, false);
	return r; /* on failure the harness calls destroy() */
}

static void sysv_shm_destroy(struct chan *ch)
{
	struct sysv_shm_priv *sp = ch->priv;

	ring_detach(ch);
	if (sp->have_sem) {
		semctl(sp->semid, 0, IPC_RMID);
		sp->have_sem = false;
	}
	if (sp->rc.rg) {
		shmdt(sp->rc.rg);
		sp->rc.rg = NULL;
	}
	if (sp->have_shm) {
		shmctl(sp->shmid, IPC_RMID, NULL);
		sp->have_shm = false;
	}
}

/* An exec'd client's copy of the creator's state: the attachment and the doorbell's address are not ours. */
static void sysv_shm_adopt(struct chan *ch)
{
	struct sysv_shm_priv *sp = ch->priv;
	struct ring_chan *rc = &sp->rc;

	rc->rg = NULL;
	rc->attached = false;
	rc->wake = &sysv_shm_wake;
	memset(&rc->tx, 0, sizeof(rc->tx));
	memset(&rc->rx, 0, sizeof(rc->rx));
	memset(&rc->fw, 0, sizeof(rc->fw));
}

static int sysv_shm_attach(struct chan *ch, enum chan_role role)
{
	struct sysv_shm_priv *sp = ch->priv;
	struct shmid_ds ds;
	void *mem;

	if (!sp->rc.rg) { /* an exec'd client: the segment by its id */
		if (shmctl(sp->shmid, IPC_STAT, &ds) < 0)
			return chan_fail(ch, errno, "shmctl IPC_STAT id=%d", sp->shmid);
		if (ds.shm_perm.uid != geteuid() || ds.shm_segsz != sp->rc.map_bytes)
			return chan_fail(ch, EPROTO, "segment id=%d is not the one made (%zu bytes, ours)", sp->shmid,
					 sp->rc.map_bytes);
		mem = shmat(sp->shmid, NULL, 0);
		if (mem == (void *)-1)
			return chan_fail(ch, errno, "shmat id=%d", sp->shmid);
		sp->rc.rg = mem;
	}
	return ring_attach(ch, role);
}

const struct transport_ops sysv_shm_ops = {
	.name = "sysv_shm",
	.summary = "the shm_ring ring in a System V segment, woken by System V semaphores",
	.kind = CHAN_STREAM,
	.flags = TRANSPORT_BY_NAME,
	.priv_size = sizeof(struct sysv_shm_priv),
	.probe = sysv_shm_probe,
	.create = sysv_shm_create,
	.adopt = sysv_shm_adopt,
	.attach = sysv_shm_attach,
	.send = ring_send,
	.recv = ring_recv,
	.detach = ring_detach,
	.destroy = sysv_shm_destroy,
};
