/*
 * ring.c - the shared-memory byte ring of eventfd, signal, shm_ring,
 * shm_spin, sysv_shm, futex_ring and uring: layout, send/recv, the wake
 * protocol, the spin-then-block policy and the futex doorbell (ring.h
 * explains them all).
 */
#include "transports/ring.h"
#include "common/mono.h"

#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

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
	rg->nslots = 0;
	if (rc->spin_ns && ch->msg_bytes <= RING_SPIN_SLOT_MSG) {
		/* RING_SPIN_SLOTS messages in flight, however many slots each takes */
		size_t per = (ch->msg_bytes + RING_SLOT_DATA - 1) / RING_SLOT_DATA;

		rg->nslots = RING_SPIN_SLOTS;
		while (rg->nslots < RING_SPIN_SLOTS * per)
			rg->nslots <<= 1;
	}
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

int ring_map_anon(struct chan *ch, const struct ring_wake_ops *wake)
{
	struct ring_chan *rc = ch->priv;
	size_t cap = ring_capacity(ch->msg_bytes, 0), bytes = ring_region_bytes(cap);
	void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int r;

	if (mem == MAP_FAILED)
		return chan_fail(ch, errno, "mmap MAP_SHARED|MAP_ANONYMOUS len=%zu", bytes);
	rc->wake = wake;
	rc->spin_ns = 0;
	r = ring_region_init(ch, mem, bytes, cap, false);
	if (r)
		munmap(mem, bytes);
	return r;
}

void ring_unmap_anon(struct chan *ch)
{
	struct ring_chan *rc = ch->priv;

	if (!rc->rg)
		return;
	ring_detach(ch);
	munmap(rc->rg, rc->map_bytes);
	rc->rg = NULL;
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
	e->slot = (struct ring_slot *)(void *)e->data;
	e->nslots = rg->nslots;
	e->slot_len = e->slot_off = 0;
	e->freed = e->pos;
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
	atomic_store_explicit(&me->pid, getpid(), memory_order_relaxed);
	atomic_store_explicit(&me->state, RING_PEER_ATTACHED, memory_order_release);
	return 0;
}

static struct ring_peer *peer_of(struct ring_chan *rc)
{
	return &rc->rg->peer[rc->role == CHAN_CLIENT ? CHAN_SERVER : CHAN_CLIENT];
}

pid_t ring_peer_pid(const struct ring_chan *rc)
{
	return atomic_load_explicit(&rc->rg->peer[rc->role == CHAN_CLIENT ? CHAN_SERVER : CHAN_CLIENT].pid,
				    memory_order_acquire);
}

void ring_detach(struct chan *ch)
{
	struct ring_chan *rc = ch->priv;
	struct ring_peer *me;

	if (!rc->rg || !rc->attached)
		return;
	me = &rc->rg->peer[rc->role];
	atomic_store_explicit(&me->state, RING_PEER_GONE, memory_order_seq_cst);
	/* a peer asleep on either direction wakes and finds us gone; one that left already does not care */
	if (atomic_load_explicit(&peer_of(rc)->state, memory_order_acquire) != RING_PEER_GONE) {
		rc->wake->post(ch, rc->tx.dir, RING_SEM_DATA);
		rc->wake->post(ch, rc->rx.dir, RING_SEM_SPACE);
	}
	pthread_mutex_unlock(&me->alive);
	rc->attached = false;
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

bool ring_peer_left(struct ring_chan *rc, bool thorough)
{
	if (thorough)
		return peer_gone(rc);
	return atomic_load_explicit(&peer_of(rc)->state, memory_order_acquire) == RING_PEER_GONE;
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

static struct ring_slot *slot_at(struct ring_end *e, uint64_t n)
{
	return &e->slot[n & (e->nslots - 1)];
}

/*
 * A slot's word: bits 0-15 the slot's number + 1 (enough to tell this lap
 * from the last, since a ring has at most 64 slots), bits 16-23 the length,
 * bits 24-63 an acknowledgement: how many slots the writer had read from
 * the other direction.  A reply thus tells its reader how far its own
 * messages were read, and a ping-pong never touches the tail line (ring.h).
 */
#define SLOT_SEQ_MASK 0xffffu
#define SLOT_ACK_MASK ((1ull << 40) - 1)

static uint64_t slot_word(uint64_t n, size_t len, uint64_t ack)
{
	return (ack & SLOT_ACK_MASK) << 24 | (uint64_t)len << 16 | ((n + 1) & SLOT_SEQ_MASK);
}

static bool slot_is(uint64_t w, uint64_t n)
{
	return (w & SLOT_SEQ_MASK) == ((n + 1) & SLOT_SEQ_MASK);
}

/*
 * Takes an acknowledgement: the peer had read up to `ack` (modulo 2^40) of
 * what tx sent.  It can only be behind tx->pos, by at most the slots in
 * flight; anything that does not fit is older than what we know.
 */
static void slot_take_ack(struct ring_end *tx, uint64_t ack)
{
	uint64_t read = tx->pos - ((tx->pos - ack) & SLOT_ACK_MASK);

	if (read > tx->seen && tx->pos - read <= tx->nslots)
		tx->seen = read;
}

/*
 * True when what a waiter waits for has come: the peer's index reached
 * `any` (e->seen updated), or, for data in a slot ring, the slot of our
 * next message is filled (its word is the one place the writer publishes).
 */
static bool arrived(struct ring_end *e, bool data, uint64_t any, memory_order mo)
{
	if (data && e->nslots) {
		uint64_t w = atomic_load_explicit(&slot_at(e, e->pos)->word, mo);

		return slot_is(w, e->pos);
	}
	e->seen = atomic_load_explicit(watched(e, data), mo);
	return e->seen >= any;
}

bool ring_rx_ready(struct ring_chan *rc)
{
	struct ring_end *e = &rc->rx;

	if (e->nslots && e->slot_len)
		return true;
	return arrived(e, true, e->pos + 1, memory_order_acquire);
}

void ring_rx_want(struct ring_chan *rc)
{
	atomic_store_explicit(&rc->rx.c->data_wanted, rc->rx.pos + 1, memory_order_seq_cst);
}

void ring_rx_unwant(struct ring_chan *rc)
{
	/* only this consumer stores a non-zero value: a producer's CAS can only have made it 0 already */
	atomic_store_explicit(&rc->rx.c->data_wanted, 0, memory_order_relaxed);
}

/*
 * shm_spin's first phases: poll with a pause for spin_ns (skipped when
 * the peer shares our CPU: ch->peer_same_cpu), then sched_yield() for
 * RING_YIELD_NS.  True when the index reached `any` (e->seen updated).
 */
static bool spin_phase(struct chan *ch, struct ring_end *e, bool data, uint64_t any)
{
	struct ring_chan *rc = ch->priv;
	uint64_t start = 0;

	if (!ch->peer_same_cpu) {
		for (unsigned int i = 1;; i++) {
			if (arrived(e, data, any, memory_order_acquire))
				return true;
			chan_relax(ch);
			if (i % 64)
				continue;
			if (!start)
				start = mono_ns();
			else if (mono_ns() - start > rc->spin_ns)
				break;
		}
	}
	start = mono_ns();
	do {
		sched_yield();
		if (arrived(e, data, any, memory_order_acquire))
			return true;
	} while (mono_ns() - start < RING_YIELD_NS);
	return false;
}

static int slice_ms(uint64_t deadline)
{
	uint64_t now;

	if (!deadline)
		return RING_SLICE_MS;
	now = mono_ns();
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
	_Atomic uint64_t *wanted = wanted_word(e, data);
	enum ring_sem sem = data ? RING_SEM_DATA : RING_SEM_SPACE;
	uint64_t deadline = ch->timeout_ms > 0 ? mono_ns() + (uint64_t)ch->timeout_ms * 1000000u : 0;
	bool woken = false;
	int r = 0, ms;

	for (;;) {
		atomic_store_explicit(wanted, want, memory_order_seq_cst);
		if (arrived(e, data, want, memory_order_seq_cst)) {
			uint64_t w = want;

			/*
			 * Take W back.  If the publisher took it first, its post
			 * is on the way: consume it, or posts pile up (ring.h).
			 */
			if (atomic_compare_exchange_strong(wanted, &w, 0))
				return 0;
			r = rc->wake->wait(ch, e->dir, sem, RING_SLICE_MS);
			return r == -ETIMEDOUT ? 0 : r;
		}
		if (woken && peer_gone(rc)) {
			r = arrived(e, data, any, memory_order_acquire) ? 0 : wait_failed(ch, e, data, EPIPE);
			break;
		}
		ms = slice_ms(deadline);
		if (!ms) {
			r = wait_failed(ch, e, data, ETIMEDOUT);
			break;
		}
		r = rc->wake->wait(ch, e->dir, sem, ms);
		if (r && r != -ETIMEDOUT)
			break;
		r = 0;
		woken = true;
	}
	atomic_store_explicit(wanted, 0, memory_order_relaxed);
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

/* After a publishing store and a full barrier: wakes the peer if it sleeps for what we published. */
static int wake_if_wanted(struct chan *ch, struct ring_end *e, bool data)
{
	struct ring_chan *rc = ch->priv;
	_Atomic uint64_t *wanted = wanted_word(e, data);
	uint64_t w = atomic_load_explicit(wanted, memory_order_seq_cst);

	if (!w || e->pos < w || !atomic_compare_exchange_strong(wanted, &w, 0))
		return 0;
	return rc->wake->post(ch, e->dir, data ? RING_SEM_DATA : RING_SEM_SPACE);
}

/*
 * Stores v in *word, which publishes e->pos (our index, or in a slot
 * ring the slot before it), then wakes the peer if it sleeps for what we
 * published.
 */
static int publish_word(struct chan *ch, struct ring_end *e, bool data, _Atomic uint64_t *word, uint64_t v)
{
	/* the exchange is the full barrier the Dekker pair needs (ring.h) */
	atomic_exchange_explicit(word, v, memory_order_seq_cst);
	return wake_if_wanted(ch, e, data);
}

/* Publishes our index (head when sending, tail when receiving). */
static int publish(struct chan *ch, struct ring_end *e, bool data)
{
	return publish_word(ch, e, data, data ? &e->c->head : &e->c->tail, e->pos);
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

/*
 * Slot rings (ring.h): one slot per RING_SLOT_DATA bytes sent.  The writer
 * knows slots are free from the acknowledgements in the peer's slots and
 * reads tail only when those run out; the reader publishes tail every half
 * ring.
 */
static int slot_send(struct chan *ch, struct ring_end *e, const uint8_t *p, size_t len)
{
	const struct ring_end *rx = &((struct ring_chan *)ch->priv)->rx;
	uint64_t batch = e->nslots / 4 ? e->nslots / 4 : 1;
	bool unannounced = false; /* slots stored without the barrier and wake check */

	while (len) {
		size_t n = len < RING_SLOT_DATA ? len : RING_SLOT_DATA;
		struct ring_slot *s;
		int r;

		if (e->pos - e->seen >= e->nslots) {
			e->seen = atomic_load_explicit(&e->c->tail, memory_order_acquire);
			if (e->pos - e->seen >= e->nslots) {
				if (unannounced) {
					/* the reader may sleep on what we stored: barrier, then look */
					atomic_thread_fence(memory_order_seq_cst);
					unannounced = false;
					r = wake_if_wanted(ch, e, true);
					if (r)
						return r;
				}
				/* wake at one free slot when spinning, at a quarter when asleep */
				r = ring_wait(ch, e, false, e->pos - e->nslots + 1, e->pos - e->nslots + batch);
				if (r)
					return r;
				continue;
			}
		}
		s = slot_at(e, e->pos);
		memcpy(s->bytes, p, n);
		p += n;
		len -= n;
		if (len) {
			/*
			 * Not the last slot of this write: a plain release store,
			 * so the writes of a message's lines overlap (one exchange
			 * per slot made a 64-byte round trip 60% slower).  The
			 * last slot's exchange is the barrier for all of them.
			 */
			atomic_store_explicit(&s->word, slot_word(e->pos++, n, rx->pos), memory_order_release);
			unannounced = true;
			continue;
		}
		r = publish_word(ch, e, true, &s->word, slot_word(e->pos++, n, rx->pos));
		if (r)
			return r;
	}
	return 0;
}

/*
 * The first part of shm_spin's poll for a slot, kept small: a message is
 * usually there within a few hundred nanoseconds.  False: go on with
 * ring_wait(), which bounds the spin by time.
 */
static bool spin_slot(struct chan *ch, struct ring_end *e, struct ring_slot *s)
{
	struct ring_chan *rc = ch->priv;

	if (!rc->spin_ns || ch->peer_same_cpu)
		return false;
	for (int i = 0; i < RING_SPIN_FAST; i++) {
		if (slot_is(atomic_load_explicit(&s->word, memory_order_acquire), e->pos))
			return true;
		chan_relax(ch);
	}
	return false;
}

static int slot_recv(struct chan *ch, struct ring_end *e, uint8_t *p, size_t len)
{
	while (len) {
		struct ring_slot *s = slot_at(e, e->pos);
		size_t n;
		int r;

		if (!e->slot_len) {
			uint64_t w = atomic_load_explicit(&s->word, memory_order_acquire);

			if (!slot_is(w, e->pos)) {
				if (!spin_slot(ch, e, s)) {
					r = ring_wait(ch, e, true, e->pos + 1, e->pos + 1);
					if (r)
						return r;
				}
				continue;
			}
			e->slot_len = (uint32_t)(w >> 16) & 0xff;
			slot_take_ack(&((struct ring_chan *)ch->priv)->tx, w >> 24);
			e->slot_off = 0;
			if (!e->slot_len || e->slot_len > RING_SLOT_DATA)
				return chan_fail(ch, EPROTO, "slot %llu holds %u bytes, at most %d fit",
						 (unsigned long long)e->pos, e->slot_len, RING_SLOT_DATA);
		}
		n = e->slot_len - e->slot_off;
		if (n > len)
			n = len;
		memcpy(p, s->bytes + e->slot_off, n);
		e->slot_off += (uint32_t)n;
		p += n;
		len -= n;
		if (e->slot_off == e->slot_len) {
			e->slot_len = 0;
			e->pos++;
			if (e->pos - e->freed >= e->nslots / 2) {
				/* free them for a writer that streams; a ping-pong frees by acknowledgement */
				e->freed = e->pos;
				r = publish(ch, e, false);
				if (r)
					return r;
			}
		}
	}
	return 0;
}

int ring_send(struct chan *ch, const void *buf, size_t len)
{
	struct ring_end *e = &((struct ring_chan *)ch->priv)->tx;
	const uint8_t *p = buf;

	if (e->nslots)
		return slot_send(ch, e, p, len);

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

	if (e->nslots)
		return slot_recv(ch, e, p, len);

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

/* ---- the futex doorbell (ring.h) ---- */

/* Shared futexes (not FUTEX_PRIVATE_FLAG): the word is in memory both processes map. */
static long futex_op(_Atomic uint32_t *w, int op, uint32_t val, const struct timespec *rel)
{
	return syscall(SYS_futex, w, op, val, rel, NULL, 0);
}

static int ring_futex_post(struct chan *ch, enum ring_dir dir, enum ring_sem sem)
{
	struct ring_chan *rc = ch->priv;
	_Atomic uint32_t *w = &rc->rg->bell[dir][sem].seq;

	atomic_fetch_add_explicit(w, 1, memory_order_seq_cst);
	if (futex_op(w, FUTEX_WAKE, 1, NULL) < 0)
		return chan_fail(ch, errno, "futex FUTEX_WAKE");
	return 0;
}

/* ms is not used: the helper thread ends a long wait (ring.h). */
static int ring_futex_wait(struct chan *ch, enum ring_dir dir, enum ring_sem sem, int ms)
{
	struct ring_chan *rc = ch->priv;
	struct ring_ctl *c = &rc->rg->dir[dir];
	_Atomic uint32_t *w = &rc->rg->bell[dir][sem].seq;
	_Atomic uint64_t *wanted = sem == RING_SEM_DATA ? &c->data_wanted : &c->space_wanted;
	uint32_t seen = atomic_load_explicit(w, memory_order_seq_cst);
	long r;

	(void)ms;
	if (!atomic_load_explicit(wanted, memory_order_seq_cst) ||
	    atomic_load_explicit(&peer_of(rc)->state, memory_order_seq_cst) == RING_PEER_GONE)
		return 0;
	atomic_store_explicit(&rc->fw.bell, (unsigned int)dir * 2 + (unsigned int)sem, memory_order_relaxed);
	atomic_fetch_add_explicit(&rc->fw.waits, 1, memory_order_relaxed);
	r = futex_op(w, FUTEX_WAIT, seen, NULL);
	atomic_fetch_add_explicit(&rc->fw.waits, 1, memory_order_relaxed);
	if (r < 0 && errno != EAGAIN && errno != EINTR)
		return chan_fail(ch, errno, "futex FUTEX_WAIT");
	return 0;
}

const struct ring_wake_ops ring_futex_wake = {
	.post = ring_futex_post,
	.wait = ring_futex_wait,
};

/* The helper: every slice, ring our own word if we slept through the whole last one. */
static void *futex_watch_main(void *arg)
{
	struct ring_chan *rc = arg;
	struct timespec slice = {.tv_sec = RING_SLICE_MS / 1000, .tv_nsec = (RING_SLICE_MS % 1000) * 1000000L};
	uint64_t last = 0;

	while (!atomic_load(&rc->fw.stop)) {
		uint64_t n;

		futex_op(&rc->fw.stop, FUTEX_WAIT_PRIVATE, 0, &slice);
		n = atomic_load_explicit(&rc->fw.waits, memory_order_relaxed);
		if ((n & 1) && n == last) {
			unsigned int b = atomic_load_explicit(&rc->fw.bell, memory_order_relaxed);
			_Atomic uint32_t *w = &rc->rg->bell[(b >> 1) & 1][b & 1].seq;

			atomic_fetch_add(w, 1);
			futex_op(w, FUTEX_WAKE, 1, NULL);
			atomic_fetch_add_explicit(&rc->fw.pokes, 1, memory_order_relaxed);
		}
		last = n;
	}
	return NULL;
}

int ring_futex_watch_start(struct chan *ch)
{
	struct ring_chan *rc = ch->priv;
	pthread_attr_t a;
	sigset_t all, old;
	int r;

	atomic_store(&rc->fw.stop, 0);
	atomic_store(&rc->fw.waits, 0);
	atomic_store(&rc->fw.pokes, 0);
	r = pthread_attr_init(&a);
	if (r)
		return chan_fail(ch, r, "pthread_attr_init");
	pthread_attr_setstacksize(&a, 256u << 10);
	/* the helper takes no signal: they stay the main thread's */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&rc->fw.thread, &a, futex_watch_main, rc);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&a);
	if (r)
		return chan_fail(ch, r, "pthread_create (the futex doorbell's helper)");
	rc->fw.running = true;
	return 0;
}

void ring_futex_watch_stop(struct chan *ch)
{
	struct ring_chan *rc = ch->priv;

	if (!rc->fw.running)
		return;
	atomic_store(&rc->fw.stop, 1);
	futex_op(&rc->fw.stop, FUTEX_WAKE_PRIVATE, 1, NULL);
	pthread_join(rc->fw.thread, NULL);
	rc->fw.running = false;
}
