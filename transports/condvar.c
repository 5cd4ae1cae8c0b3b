/*
 * condvar.c - a process-shared pthread mutex and condition variable per
 * direction, in shared memory.
 *
 * What it carries: nothing but the wake-up (TRANSPORT_NO_PAYLOAD: size 0
 * only).  A message is: lock the direction's mutex, publish the post
 * count (wake.h), pthread_cond_signal, unlock.  The receiver locks, waits
 * in pthread_cond_clockwait(CLOCK_MONOTONIC) while nothing new is posted
 * (the predicate is the post count, so spurious wake-ups only make it
 * look again), takes one and unlocks.  The wait is bounded by
 * ch->timeout_ms.  The mutexes are robust: a peer that dies holding one
 * is EOWNERDEAD for the survivor, which reports the peer gone (-EPIPE)
 * instead of waiting on a lock nobody will release.
 *
 * Between which processes: any two.  The objects (PTHREAD_PROCESS_SHARED)
 * live in the page of wake.h, POSIX shm by name, which an exec'd peer
 * maps by name; destroy() unmaps it and removes the name.
 *
 * Limits: none of the kernel's; each wake-up costs the mutex's futex as
 * well as the condition variable's, which is what this transport shows
 * next to the bare futex.
 */
#include "transports/wake.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct condvar_priv {
	struct wake_chan w; /* first: wake.c casts priv to it */
	int ninit;	    /* pairs initialised by create() */
};

_Static_assert(2 * sizeof(struct wake_condvar) <= WAKE_OWN_BYTES, "two pairs fit in the page");

static struct wake_condvar *pair(struct chan *ch, enum wake_dir d)
{
	return (struct wake_condvar *)((struct wake_chan *)ch->priv)->pg->own + d;
}

static int condvar_probe(struct chan *ch)
{
	ch->limits.max_msg_bytes = 0;
	ch->limits.unit_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "no payload (size 0 only): process-shared robust mutex + condition variable per direction");
	return 0;
}

static int init_pair(struct wake_condvar *p)
{
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	int r;

	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	r = pthread_mutex_init(&p->m, &ma);
	pthread_mutexattr_destroy(&ma);
	if (r)
		return r;
	pthread_condattr_init(&ca);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	r = pthread_cond_init(&p->c, &ca);
	pthread_condattr_destroy(&ca);
	if (r)
		pthread_mutex_destroy(&p->m);
	return r;
}

static int condvar_create(struct chan *ch)
{
	struct condvar_priv *cv = ch->priv;
	int r = wake_map(ch);

	for (int d = 0; !r && d < 2; d++) {
		r = init_pair(pair(ch, (enum wake_dir)d));
		if (r)
			return chan_fail(ch, r, "pthread_mutex_init/pthread_cond_init (process-shared)");
		cv->ninit++;
	}
	return r;
}

/* Locks p; a lock its holder died with is the peer gone. */
static int lock(struct chan *ch, struct wake_condvar *p)
{
	int r = pthread_mutex_lock(&p->m);

	if (!r)
		return 0;
	if (r == EOWNERDEAD) {
		pthread_mutex_consistent(&p->m);
		pthread_mutex_unlock(&p->m);
		return chan_fail(ch, EPIPE, "pthread_mutex_lock: the peer died holding the mutex (EOWNERDEAD)");
	}
	return chan_fail(ch, r, "pthread_mutex_lock");
}

static int condvar_send(struct chan *ch, const void *buf, size_t len)
{
	struct wake_chan *w = ch->priv;
	struct wake_condvar *p = pair(ch, w->out);
	uint32_t seq;
	int r = wake_check_len(ch, len);

	(void)buf;
	if (!r) /* room first, unlocked: the receiver takes under this mutex */
		r = wake_room(ch);
	if (!r)
		r = lock(ch, p);
	if (r)
		return r;
	r = wake_note_post(ch, len, &seq);
	if (!r && (r = pthread_cond_signal(&p->c)))
		r = chan_fail(ch, r, "pthread_cond_signal");
	pthread_mutex_unlock(&p->m);
	return r;
}

static int condvar_recv(struct chan *ch, void *buf, size_t len)
{
	struct wake_chan *w = ch->priv;
	struct wake_condvar *p = pair(ch, w->in);
	struct timespec abs;
	int r = wake_check_len(ch, len);

	(void)buf;
	if (!r)
		r = lock(ch, p);
	if (r)
		return r;
	if (!wake_pending(w))
		wake_deadline(ch, &abs);
	while (!r && !wake_pending(w)) {
		r = pthread_cond_clockwait(&p->c, &p->m, CLOCK_MONOTONIC, &abs);
		if (r == ETIMEDOUT) {
			r = wake_pending(w) ? 0 : wake_timed_out(ch, "pthread_cond_clockwait");
		} else if (r == EOWNERDEAD) {
			pthread_mutex_consistent(&p->m);
			r = chan_fail(ch, EPIPE, "pthread_cond_clockwait: the peer died holding the mutex");
		} else if (r) {
			r = chan_fail(ch, r, "pthread_cond_clockwait");
		}
	}
	if (!r)
		r = wake_took(ch, "pthread_cond_clockwait");
	pthread_mutex_unlock(&p->m);
	return r;
}

/*
 * The objects are not pthread_*_destroy()ed: glibc's pthread_cond_destroy
 * waits for every waiter to leave, and a child killed inside
 * pthread_cond_clockwait never does.  Process-shared mutexes and
 * condition variables hold nothing but this memory, which goes here.
 */
static void condvar_destroy(struct chan *ch)
{
	struct condvar_priv *cv = ch->priv;

	cv->ninit = 0;
	wake_unmap(ch);
}

const struct transport_ops condvar_ops = {
	.name = "condvar",
	.summary = "a process-shared pthread mutex + condition variable per direction, no payload: --sizes 0",
	.kind = CHAN_MESSAGE,
	.flags = TRANSPORT_NO_PAYLOAD | TRANSPORT_BY_NAME,
	.priv_size = sizeof(struct condvar_priv),
	.probe = condvar_probe,
	.create = condvar_create,
	.adopt = wake_adopt,
	.attach = wake_attach,
	.send = condvar_send,
	.recv = condvar_recv,
	.destroy = condvar_destroy,
};
