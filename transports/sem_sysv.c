/*
 * sem_sysv.c - a System V semaphore set of two, one semaphore per
 * direction.
 *
 * What it carries: nothing but the wake-up (TRANSPORT_NO_PAYLOAD: size 0
 * only).  A message is semop(+1) on its direction's semaphore; the
 * receiver takes it with semtimedop(-1) bounded by ch->timeout_ms.  Each
 * wake-up is checked against the sender's post count in a shared page
 * (wake.h): a semaphore that hands out more than was posted is -EPROTO,
 * a post that never wakes anyone is a lost wake-up.  No SEM_UNDO: a
 * killed sender's posts stay posted, as they were made.
 *
 * Between which processes: the set has a key (random, chosen by the run,
 * never IPC_PRIVATE) and an id, and the sequence page a POSIX shm name
 * (wake.h), so unrelated processes use it: an exec'd peer (--peers exec)
 * uses the id and maps the page by name.  create() makes the set through chan_sysv_create(), which
 * notes the key, then its id and creation time, in the ledger: `ipcbench
 * clean` removes a crashed run's set and never another program's.
 * destroy() removes it (IPC_RMID).
 *
 * Limits: kernel.sem (SEMMSL, SEMMNS, SEMOPM, SEMMNI: a set of two needs
 * one id of SEMMNI); a value may not exceed SEMVMX (32767), far above the
 * flow-control window of wake.h.  Every semop is a system call.
 */
#include "transports/chan_util.h"
#include "transports/ledger.h"
#include "transports/wake.h"

#include <errno.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <time.h>

struct sem_sysv_priv {
	struct wake_chan w; /* first: wake.c casts priv to it */
	int id;		    /* the set, or -1 */
	bool made;
};

static int sem_sysv_probe(struct chan *ch)
{
	FILE *f = fopen("/proc/sys/kernel/sem", "re");
	long msl = 0, mns = 0, opm = 0, mni = 0;

	if (f) {
		if (fscanf(f, "%ld %ld %ld %ld", &msl, &mns, &opm, &mni) != 4)
			msl = 0;
		fclose(f);
	}
	if (f && msl > 0 && (msl < 2 || mni < 1))
		return chan_unavailable(ch, ENOSPC,
					"kernel.sem is \"%ld %ld %ld %ld\": a set of 2 needs SEMMSL >= 2 "
					"and SEMMNI >= 1 (sysctl kernel.sem)",
					msl, mns, opm, mni);
	ch->limits.max_msg_bytes = 0;
	ch->limits.unit_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "no payload (size 0 only): semop / semtimedop on a SysV set of 2; kernel.sem %ld %ld %ld %ld", msl,
		 mns, opm, mni);
	return 0;
}

static int sem_sysv_create(struct chan *ch)
{
	struct sem_sysv_priv *s = ch->priv;
	int r = wake_map(ch);

	if (r)
		return r;
	s->id = chan_sysv_create(ch, LEDGER_SYSV_SEM, 0, 2, 0600);
	if (s->id < 0)
		return ch->err ? -ch->err : chan_fail(ch, errno, "semget of a set of 2");
	s->made = true; /* semget gives values of 0 on Linux */
	return 0;
}

static int sem_sysv_send(struct chan *ch, const void *buf, size_t len)
{
	struct sem_sysv_priv *s = ch->priv;
	struct sembuf op = {.sem_num = (unsigned short)s->w.out, .sem_op = 1};
	uint32_t seq;
	int r = wake_note_post(ch, len, &seq);

	(void)buf;
	if (r)
		return r;
	while (semop(s->id, &op, 1) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EIDRM || errno == EINVAL)
			return chan_fail(ch, EPIPE, "semop id=%d +1: the set is gone", s->id);
		return chan_fail(ch, errno, "semop id=%d +1", s->id);
	}
	return 0;
}

static int sem_sysv_recv(struct chan *ch, void *buf, size_t len)
{
	struct sem_sysv_priv *s = ch->priv;
	struct sembuf op = {.sem_num = (unsigned short)s->w.in, .sem_op = -1};
	struct timespec abs, rel;
	int r = wake_check_len(ch, len);

	(void)buf;
	if (r)
		return r;
	rel = (struct timespec){ch->timeout_ms / 1000, (long)(ch->timeout_ms % 1000) * 1000000};
	wake_deadline(ch, &abs);
	while (semtimedop(s->id, &op, 1, ch->timeout_ms > 0 ? &rel : NULL) < 0) {
		long ms;

		if (errno == EAGAIN)
			return wake_timed_out(ch, "semtimedop");
		if (errno == EIDRM || errno == EINVAL)
			return chan_fail(ch, EPIPE, "semtimedop id=%d -1: the set is gone", s->id);
		if (errno != EINTR)
			return chan_fail(ch, errno, "semtimedop id=%d -1", s->id);
		ms = wake_ms_left(&abs);
		if (!ms)
			return wake_timed_out(ch, "semtimedop");
		rel = (struct timespec){ms / 1000, (ms % 1000) * 1000000};
	}
	return wake_took(ch, "semtimedop");
}

static void sem_sysv_destroy(struct chan *ch)
{
	struct sem_sysv_priv *s = ch->priv;

	if (s->made)
		semctl(s->id, 0, IPC_RMID);
	s->made = false;
	wake_unmap(ch);
}

const struct transport_ops sem_sysv_ops = {
	.name = "sem_sysv",
	.summary = "a System V semaphore set of two (semop / semtimedop), no payload: --sizes 0",
	.kind = CHAN_MESSAGE,
	.flags = TRANSPORT_NO_PAYLOAD | TRANSPORT_BY_NAME,
	.priv_size = sizeof(struct sem_sysv_priv),
	.probe = sem_sysv_probe,
	.create = sem_sysv_create,
	.adopt = wake_adopt,
	.attach = wake_attach,
	.send = sem_sysv_send,
	.recv = sem_sysv_recv,
	.destroy = sem_sysv_destroy,
};
