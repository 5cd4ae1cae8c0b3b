/*
 * wake.h - the shared kit of the wake-up primitives (sem_posix, sem_sysv,
 * futex, condvar, sigqueue; internal to transports/, like ring.h).
 *
 * A wake-up primitive carries no payload: every message is 0 bytes and
 * one wake-up (TRANSPORT_NO_PAYLOAD), so a round trip is one wake-up each
 * way, the doorbell a shared-memory transport chooses from.  What the
 * payload checks do for the other transports, a sequence does here:
 *
 *  - the sender counts its posts and publishes the count in posted[dir]
 *    (a shared page) before it rings (the futex rings that very word;
 *    sigqueue also carries it in si_value);
 *  - the receiver's k-th wake-up must find posted[dir] >= k: a wake-up
 *    with no post behind it (the mechanism woke twice for one post, or
 *    someone else posted) is a duplicated wake-up, -EPROTO;
 *  - a receiver whose wait outlives ch->timeout_ms while posted[dir] is
 *    ahead of it lost a wake-up (-EPROTO); with nothing posted the peer
 *    is silent or dead (-ETIMEDOUT).
 *
 * Flow control: a sender at most WAKE_WINDOW posts ahead of its peer's
 * taken[dir] yields until the peer catches up (at most ch->timeout_ms),
 * so the stream pattern never overflows a semaphore (SEMVMX 32767) or
 * RLIMIT_SIGPENDING.  In pingpong the window is never near full, and the
 * sender reads taken[] only once per WAKE_WINDOW posts.
 *
 * The page is POSIX shared memory named "/<tag>-wake" (shm_open 0600,
 * O_EXCL, noted in the ledger first), made and mapped by create():
 * forked sides inherit the mapping, an exec'd peer (--peers exec) maps it
 * by its name in attach() after adopt() (wake_adopt) forgot the
 * creator's address.  Futex words, semaphores, robust mutexes and
 * condition variables on it are process-shared ones in a MAP_SHARED
 * mapping of one object, so they work between unrelated processes.  The
 * name lives until destroy().  Counters are 32 bits (a futex word)
 * compared modulo 2^32.
 */
#ifndef IPCBENCH_WAKE_H
#define IPCBENCH_WAKE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "transports/transport.h"

#define WAKE_WINDOW 256
#define WAKE_PAGE_BYTES 4096

/* Directions: client to server, server to client. */
enum wake_dir { WAKE_C2S, WAKE_S2C };

struct wake_page {
	struct {
		_Alignas(64) _Atomic uint32_t posted; /* the sender's post count (a futex word) */
	} post[2];
	struct {
		_Alignas(64) _Atomic uint32_t taken; /* the receiver's wake-up count */
	} take[2];
	_Alignas(64) _Atomic int32_t pid[2]; /* [enum chan_role], published by attach */
	/* the transport's own shared objects (condvar's mutexes and condition variables) */
	_Alignas(64) unsigned char own[];
};

/* condvar.c's objects in own[], one per enum wake_dir (here for tests/conformance/test_wake.c). */
struct wake_condvar {
	pthread_mutex_t m;
	pthread_cond_t c;
};

/* Put it first in a transport's priv. */
struct wake_chan {
	struct wake_page *pg; /* create() maps it; forked sides inherit it, exec'd ones map name */
	char name[96];	      /* the page's POSIX shm name while it exists */
	enum wake_dir out, in;
	uint32_t sent;	     /* posts made on out */
	uint32_t got;	     /* wake-ups taken on in */
	uint32_t peer_taken; /* the last taken[out] read */
};

/* Room after the page header for the transport's objects. */
#define WAKE_OWN_BYTES (WAKE_PAGE_BYTES - sizeof(struct wake_page))

int wake_map(struct chan *ch);
/* destroy(): unmaps the page (if this process has it) and removes its name. */
void wake_unmap(struct chan *ch);
/* adopt(): the creator's mapping is not this process's; attach() maps the page by name. */
void wake_adopt(struct chan *ch);
/* attach(): the page (by name where adopted), this side's directions, its pid published (after whatever
 * must precede it); 0 or -errno. */
int wake_attach(struct chan *ch, enum chan_role role);
/* The peer's pid once it attached, else 0. */
pid_t wake_peer_pid(struct chan *ch);
/* send/recv: len must be 0 (-EMSGSIZE with why). */
int wake_check_len(struct chan *ch, size_t len);
/* Waits until the peer is less than WAKE_WINDOW posts behind (-ETIMEDOUT after timeout_ms). */
int wake_room(struct chan *ch);
/* Before a post: wake_check_len(), wake_room(), then counts the post and publishes it.  *seq: its number. */
int wake_note_post(struct chan *ch, size_t len, uint32_t *seq);
/* Posts published on this side's in direction, not yet taken. */
static inline uint32_t wake_pending(const struct wake_chan *w)
{
	return atomic_load_explicit(&w->pg->post[w->in].posted, memory_order_acquire) - w->got;
}
/* After a wake-up: takes it, -EPROTO when no post stands behind it. */
int wake_took(struct chan *ch, const char *what);
/* A wait that timed out: -EPROTO (a lost wake-up) or -ETIMEDOUT (a silent peer). */
int wake_timed_out(struct chan *ch, const char *what);
/* An absolute CLOCK_MONOTONIC deadline timeout_ms from now (far away when there is none). */
void wake_deadline(const struct chan *ch, struct timespec *abs);
/* Milliseconds left until abs (0 when passed). */
long wake_ms_left(const struct timespec *abs);

#endif
