/*
 * ring.c - the shared-memory byte ring of shm_ring, shm_spin and sysv_shm:
 * layout, send/recv, the wake protocol and the spin-then-block policy
 * (ring.h explains all three).
 */
#include "ring.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t page_round(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (n + pg - 1) / pg * pg;
}

size_t ring_capacity(size_t msg_bytes, size_t max_bytes)
{
	size_t cap = RING_CAP_MIN;

	while (cap < RING_CAP_MAX && cap < 4 * msg_bytes)
		cap <<= 1;
	while (max_bytes && cap > RING_CAP_MIN && ring_region_bytes(cap) > max_bytes)
		cap >>= 1;
	return cap;
}

size_t ring_region_bytes(size_t cap)
{
	return page_round(sizeof(struct ring_region)) + 2 * cap;
}

int ring_region_init(struct chan *ch, void *mem, size_t map_bytes, size_t cap, bool posix_sems)
{
	struct ring_chan *rc = ch->priv;
	struct ring_region *rg = mem;
	pthread_mutexattr_t ma;
	int r;

	rg->cap = cap;
	rg->data_off[RING_C2S] = page_round(sizeof(*rg));
	rg->data_off[RING_S2C] = rg->data_off[RING_C2S] + cap;
	r = pthread_mutexattr_init(&ma);
	if (!r)
		r = pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	if (!r)
		r = pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	for (int i = 0; i < 2 && !r; i++) {
		r = pthread_mutex_init(&rg->peer[i].alive, &ma);
		atomic_init(&rg->peer[i].state, RING_PEER_NONE);
	}
	pthread_mutexattr_destroy(&ma);
	if (r)
		return chan_fail(ch, r, "pthread_mutex_init (robust, process-shared)");
	for (int d = 0; posix_sems && d < 2; d++)
		for (int s = 0; s < 2; s++)
			if (sem_init(&rg->sem[d][s], 1, 0) < 0)
				return chan_fail(ch, errno, "sem_init pshared");
	rc->rg = rg;
	rc->map_bytes = map_bytes;
	return 0;
}

/* ---- attach, detach, liveness ---- */

static void end_init(struct ring_end *e, struct ring_region *rg, enum ring_dir dir, bool sending)
{
	e->dir = dir;
	e->c = &rg->dir[dir];
	e->data = (uint8_t *)rg + rg->data_off[dir];
	e->cap = rg->cap;
	e->piece = RING_PIECE_MAX < rg->cap / 4 ? RING_PIECE_MAX : rg->cap / 4;
	e->pos = atomic_load(sending ? &e->c->head : &e->c->tail);
	e->seen = atomic_load(sending ? &e->c->tail : &e->c->head);
}

int ring_attach(struct chan *ch, enum chan_role role)
{
	struct ring_chan *rc = ch->priv;
	struct ring_region *rg = rc->rg;
	struct ring_peer *me;
	int r;

	if (!rg)
		return chan_fail(ch, EINVAL, "ring attach: no shared region");
	rc->role = role;
	end_init(&rc->tx, rg, role == CHAN_CLIENT ? RING_C2S : RING_S2C, true);
	end_init(&rc->rx, rg, role == CHAN_CLIENT ? RING_S2C : RING_C2S, false);
	me = &rg->peer[role];
	r = pthread_mutex_lock(&me->alive);
	if (r == EOWNERDEAD)
		r = pthread_mutex_consistent(&me->alive);
	if (r)
		return chan_fail(ch, r, "pthread_mutex_lock (robust, process-shared)");
	rc->attached = true;
	atomic_store_explicit(&me->state, RING_PEER_ATTACHED, memory_order_release);
	return 0;
}

void ring_detach(struct chan *ch)
{
	struct ring_chan *rc = ch->priv;
	struct ring_peer *me;

	if (!rc->rg || !rc->attached)
		return;
	me = &rc->rg->peer[rc->role];
	atomic_store_explicit(&me->state, RING_PEER_GONE, memory_order_seq_cst);
	/* a peer asleep on either direction wakes and finds us gone */
	rc->wake->post(ch, rc->tx.dir, RING_SEM_DATA);
	rc->wake->post(ch, rc->rx.dir, RING_SEM_SPACE);
	pthread_mutex_unlock(&me->alive);
	rc->attached = false;
}

static struct ring_peer *peer_of(struct ring_chan *rc)
{
	return &rc->rg->peer[rc->role == CHAN_CLIENT ? CHAN_SERVER : CHAN_CLIENT];
}

/* True when the peer detached or died; a peer not attached yet is alive. */
static bool peer_gone(struct ring_chan *rc)
{
	struct ring_peer *pp = peer_of(rc);
	int st = atomic_load_explicit(&pp->state, memory_order_acquire);
	int r;

	if (st != RING_PEER_ATTACHED)
		return st == RING_PEER_GONE;
	r = pthread_mutex_trylock(&pp->alive);
	if (r == EBUSY)
		return false;
	/* EOWNERDEAD: it died holding the mutex (the kernel's robust list says so) */
	if (r == EOWNERDEAD)
		pthread_mutex_consistent(&pp->alive);
	if (r == 0 || r == EOWNERDEAD)
		pthread_mutex_unlock(&pp->alive);
	atomic_store_explicit(&pp->state, RING_PEER_GONE, memory_order_release);
	return true;
}

/* ---- waiting ---- */

/* The peer's index a waiter watches, and the word it announces itself in. */
static _Atomic uint64_t *watched(struct ring_end *e, bool data)
{
	return data ? &e->c->head : &e->c->tail;
}

static _Atomic uint64_t *wanted_word(struct ring_end *e, bool data)
{
	return data ? &e->c->data_wanted : &e->c->space_wanted;
}

/*
 * shm_spin's first phases: poll with a pause for spin_ns (skipped when
 * the peer shares our CPU: ch->peer_same_cpu), then sched_yield() for
 * RING_YIELD_NS.  True when the index reached `any` (e->seen updated).
 */
static bool spin_phase(struct chan *ch, struct ring_end *e, bool data, uint64_t any)
{
	struct ring_chan *rc = ch->priv;
	_Atomic uint64_t *idx = watched(e, data);
	uint64_t start = 0, v;

	if (!ch->peer_same_cpu) {
		for (unsigned int i = 1;; i++) {
			v = atomic_load_explicit(idx, memory_order_acquire);
			if (v >= any)
				goto ready;
			chan_relax(ch);
			if (i % 64)
				continue;
			if (!start)
				start = now_ns();
			else if (now_ns() - start > rc->spin_ns)
				break;
		}
	}
	start = now_ns();
	do {
		sched_yield();
		v = atomic_load_explicit(idx, memory_order_acquire);
		if (v >= any)
			goto ready;
	} while (now_ns() - start < RING_YIELD_NS);
	return false;
ready:
	e->seen = v;
	return true;
}

static int slice_ms(uint64_t deadline)
{
	uint64_t now;

	if (!deadline)
		return RING_SLICE_MS;
	now = now_ns();
	if (now >= deadline)
		return 0;
	if (deadline - now >= (uint64_t)RING_SLICE_MS * 1000000u)
		return RING_SLICE_MS;
	return (int)((deadline - now + 999999) / 1000000);
}

static int wait_failed(struct chan *ch, struct ring_end *e, bool data, int err)
{
	const char *what = data ? "data" : "space";
	const char *dir = e->dir == RING_C2S ? "client to server" : "server to client";

	if (err == EPIPE)
		return chan_fail(ch, EPIPE, "waiting for %s in the %s ring: the peer has gone", what, dir);
	return chan_fail(ch, err, "waiting for %s in the %s ring for %d ms", what, dir, ch->timeout_ms);
}

/*
 * Sleeps until the watched index reaches `want` (see the wake protocol in
 * ring.h).  The peer is checked only after a wake-up or a slice that found
 * nothing (a locked instruction: not on the way into every sleep).
 * Returns early, with 0, once the index passed `any` after the peer went
 * away, so what it left can still be read.
 */
static int sleep_phase(struct chan *ch, struct ring_end *e, bool data, uint64_t any, uint64_t want)
{
	struct ring_chan *rc = ch->priv;
	_Atomic uint64_t *idx = watched(e, data), *wanted = wanted_word(e, data);
	uint64_t deadline = ch->timeout_ms > 0 ? now_ns() + (uint64_t)ch->timeout_ms * 1000000u : 0;
	bool woken = false;
	uint64_t v;
	int r = 0, ms;

	for (;;) {
		atomic_store_explicit(wanted, want, memory_order_seq_cst);
		v = atomic_load_explicit(idx, memory_order_seq_cst);
		if (v >= want)
			break;
		if (woken && peer_gone(rc)) {
			v = atomic_load_explicit(idx, memory_order_acquire);
			r = v >= any ? 0 : wait_failed(ch, e, data, EPIPE);
			break;
		}
		ms = slice_ms(deadline);
		if (!ms) {
			r = wait_failed(ch, e, data, ETIMEDOUT);
			break;
		}
		r = rc->wake->wait(ch, e->dir, data ? RING_SEM_DATA : RING_SEM_SPACE, ms);
		if (r && r != -ETIMEDOUT)
			break;
		r = 0;
		woken = true;
	}
	atomic_store_explicit(wanted, 0, memory_order_relaxed);
	e->seen = v;
	return r;
}

static int ring_wait(struct chan *ch, struct ring_end *e, bool data, uint64_t any, uint64_t want)
{
	struct ring_chan *rc = ch->priv;

	if (rc->spin_ns && spin_phase(ch, e, data, any))
		return 0;
	return sleep_phase(ch, e, data, any, want);
}

/* ---- the data path ---- */

/* Publishes our index, then wakes the peer if it sleeps for what we published. */
static int publish(struct chan *ch, struct ring_end *e, bool data)
{
	struct ring_chan *rc = ch->priv;
	_Atomic uint64_t *wanted = data ? &e->c->data_wanted : &e->c->space_wanted;
	uint64_t w;

	/* the exchange is the full barrier the Dekker pair needs (ring.h) */
	atomic_exchange_explicit(data ? &e->c->head : &e->c->tail, e->pos, memory_order_seq_cst);
	w = atomic_load_explicit(wanted, memory_order_seq_cst);
	if (!w || e->pos < w || !atomic_compare_exchange_strong(wanted, &w, 0))
		return 0;
	return rc->wake->post(ch, e->dir, data ? RING_SEM_DATA : RING_SEM_SPACE);
}

static void copy_in(struct ring_end *e, const uint8_t *src, size_t n)
{
	size_t off = (size_t)(e->pos & (e->cap - 1)), first = (size_t)e->cap - off;

	if (n <= first) {
		memcpy(e->data + off, src, n);
		return;
	}
	memcpy(e->data + off, src, first);
	memcpy(e->data, src + first, n - first);
}

static void copy_out(struct ring_end *e, uint8_t *dst, size_t n)
{
	size_t off = (size_t)(e->pos & (e->cap - 1)), first = (size_t)e->cap - off;

	if (n <= first) {
		memcpy(dst, e->data + off, n);
		return;
	}
	memcpy(dst, e->data + off, first);
	memcpy(dst + first, e->data, n - first);
}

int ring_send(struct chan *ch, const void *buf, size_t len)
{
	struct ring_end *e = &((struct ring_chan *)ch->priv)->tx;
	const uint8_t *p = buf;

	while (len) {
		size_t piece = len < e->piece ? len : (size_t)e->piece;
		uint64_t room = e->cap - (e->pos - e->seen);
		int r;

		if (room < piece) {
			e->seen = atomic_load_explicit(&e->c->tail, memory_order_acquire);
			room = e->cap - (e->pos - e->seen);
		}
		if (!room) {
			/* wake at one free byte when spinning, at `piece` when asleep */
			r = ring_wait(ch, e, false, e->pos - e->cap + 1, e->pos + piece - e->cap);
			if (r)
				return r;
			continue;
		}
		if (room < piece)
			piece = (size_t)room;
		copy_in(e, p, piece);
		e->pos += piece;
		r = publish(ch, e, true);
		if (r)
			return r;
		p += piece;
		len -= piece;
	}
	return 0;
}

int ring_recv(struct chan *ch, void *buf, size_t len)
{
	struct ring_end *e = &((struct ring_chan *)ch->priv)->rx;
	uint8_t *p = buf;

	while (len) {
		size_t piece = len < e->piece ? len : (size_t)e->piece;
		uint64_t avail = e->seen - e->pos;
		int r;

		if (avail < piece) {
			e->seen = atomic_load_explicit(&e->c->head, memory_order_acquire);
			avail = e->seen - e->pos;
		}
		if (!avail) {
			r = ring_wait(ch, e, true, e->pos + 1, e->pos + piece);
			if (r)
				return r;
			continue;
		}
		if (avail < piece)
			piece = (size_t)avail;
		copy_out(e, p, piece);
		e->pos += piece;
		r = publish(ch, e, false);
		if (r)
			return r;
		p += piece;
		len -= piece;
	}
	return 0;
}
