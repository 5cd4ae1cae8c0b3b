/*
 * sem_posix.c - two named POSIX semaphores, one per direction.
 *
 * What it carries: nothing but the wake-up (TRANSPORT_NO_PAYLOAD: size 0
 * only).  A message is sem_post() on its direction's semaphore; the
 * receiver takes it with sem_clockwait(CLOCK_MONOTONIC) bounded by
 * ch->timeout_ms.  Each wake-up is checked against the sender's post
 * count in a shared page (wake.h): a semaphore that hands out more
 * wake-ups than were posted is -EPROTO, a post that never wakes anyone is
 * a lost wake-up.
 *
 * Between which processes: any two.  The semaphores have names,
 * /<tag>-c2s and /<tag>-s2c (glibc keeps them as /dev/shm/sem.<tag>-c2s),
 * and so has the sequence page (wake.h), so an exec'd peer (--peers exec)
 * opens all three by name.  create() makes both semaphores (O_CREAT |
 * O_EXCL, mode 0600, value 0) after noting each name in the ledger, so
 * `ipcbench clean` removes them after a crash; forked sides inherit the
 * mappings; destroy() unlinks them.
 *
 * Limits: SEM_VALUE_MAX (far above the flow-control window of wake.h);
 * /dev/shm must be a writable tmpfs.  glibc's sem_post makes a system call
 * only when a waiter sleeps (the futex inside the semaphore counts them),
 * sem_clockwait only when the value is 0.
 */
#include "transports/chan_util.h"
#include "transports/ledger.h"
#include "transports/wake.h"

#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <time.h>

struct sem_posix_priv {
	struct wake_chan w; /* first: wake.c casts priv to it */
	sem_t *sem[2];	    /* [enum wake_dir] */
	char name[2][128];
};

static int sem_posix_probe(struct chan *ch)
{
	ch->limits.max_msg_bytes = 0;
	ch->limits.unit_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "no payload (size 0 only): sem_post / sem_clockwait on two named semaphores in /dev/shm");
	return 0;
}

static int sem_posix_create(struct chan *ch)
{
	struct sem_posix_priv *s = ch->priv;
	static const char *const dir[2] = {"c2s", "s2c"};
	int r = wake_map(ch);

	for (int i = 0; !r && i < 2; i++) {
		snprintf(s->name[i], sizeof(s->name[i]), "/%s-%s", ch->tag, dir[i]);
		r = chan_ledger_add(ch, LEDGER_POSIX_SEM, s->name[i]);
		if (r)
			break;
		s->sem[i] = sem_open(s->name[i], O_CREAT | O_EXCL, 0600, 0);
		if (s->sem[i] == SEM_FAILED) {
			r = chan_fail(ch, errno, "sem_open %s O_CREAT|O_EXCL", s->name[i]);
			s->sem[i] = NULL;
			s->name[i][0] = 0; /* not ours to unlink */
		}
	}
	return r;
}

/* An exec'd peer's copy of the creator's state: the semaphores' and the page's addresses are not ours. */
static void sem_posix_adopt(struct chan *ch)
{
	struct sem_posix_priv *s = ch->priv;

	s->sem[0] = s->sem[1] = NULL;
	wake_adopt(ch);
}

static int sem_posix_attach(struct chan *ch, enum chan_role role)
{
	struct sem_posix_priv *s = ch->priv;

	for (int i = 0; i < 2; i++) {
		if (s->sem[i])
			continue;
		s->sem[i] = sem_open(s->name[i], 0);
		if (s->sem[i] == SEM_FAILED) {
			s->sem[i] = NULL;
			return chan_fail(ch, errno, "sem_open %s (by name)", s->name[i]);
		}
	}
	return wake_attach(ch, role);
}

static int sem_posix_send(struct chan *ch, const void *buf, size_t len)
{
	struct sem_posix_priv *s = ch->priv;
	uint32_t seq;
	int r = wake_note_post(ch, len, &seq);

	(void)buf;
	if (r)
		return r;
	if (sem_post(s->sem[s->w.out]) < 0)
		return chan_fail(ch, errno, "sem_post %s", s->name[s->w.out]);
	return 0;
}

static int sem_posix_recv(struct chan *ch, void *buf, size_t len)
{
	struct sem_posix_priv *s = ch->priv;
	struct timespec abs;
	int r = wake_check_len(ch, len);

	(void)buf;
	if (r)
		return r;
	if (sem_trywait(s->sem[s->w.in]) == 0)
		return wake_took(ch, "sem_trywait");
	wake_deadline(ch, &abs);
	while (sem_clockwait(s->sem[s->w.in], CLOCK_MONOTONIC, &abs) < 0) {
		if (errno == ETIMEDOUT)
			return wake_timed_out(ch, "sem_clockwait");
		if (errno != EINTR && errno != EAGAIN)
			return chan_fail(ch, errno, "sem_clockwait %s", s->name[s->w.in]);
	}
	return wake_took(ch, "sem_clockwait");
}

static void sem_posix_destroy(struct chan *ch)
{
	struct sem_posix_priv *s = ch->priv;

	for (int i = 0; i < 2; i++) {
		if (s->sem[i])
			sem_close(s->sem[i]);
		s->sem[i] = NULL;
		if (s->name[i][0])
			sem_unlink(s->name[i]);
		s->name[i][0] = 0;
	}
	wake_unmap(ch);
}

const struct transport_ops sem_posix_ops = {
	.name = "sem_posix",
	.summary = "two named POSIX semaphores (sem_post / sem_clockwait), no payload: --sizes 0",
	.kind = CHAN_MESSAGE,
	.flags = TRANSPORT_NO_PAYLOAD | TRANSPORT_BY_NAME,
	.priv_size = sizeof(struct sem_posix_priv),
	.probe = sem_posix_probe,
	.create = sem_posix_create,
	.adopt = sem_posix_adopt,
	.attach = sem_posix_attach,
	.send = sem_posix_send,
	.recv = sem_posix_recv,
	.destroy = sem_posix_destroy,
};
