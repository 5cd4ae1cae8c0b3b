/*
 * eventfd.c - payload in shared memory, notification by eventfd; and the
 * shared-memory byte ring ("shmpipe") that signal.c uses too.
 *
 * The ring: create() maps MAP_SHARED | MAP_ANONYMOUS memory in the parent,
 * so both children inherit it; nothing has a name and nothing outlives the
 * processes.  Per direction it holds a data ring of "cap" bytes, a head
 * (bytes written, stored only by the writer) and a tail (bytes read, stored
 * only by the reader), each on its own 128-byte line with the "sleeping"
 * flag of the side that stores it.  A byte stream: the harness's fixed size
 * delimits messages, as with a pipe.  cap is four times the cell's message
 * size rounded up to a power of two, between SHMPIPE_CAP_MIN (4 KiB) and
 * SHMPIPE_CAP_MAX (256 KiB): small messages stay within a few cache lines,
 * large ones let the writer run ahead of the reader.
 *
 * Chunks: one publish moves at most cap / 4 bytes (and no more than the
 * free room or the data present), so a message larger than the ring (a
 * 1 MiB message: 256 KiB ring, 64 KiB chunks) streams through it as at
 * least ceil(len / chunk) chunks, the writer filling one chunk while the
 * reader drains another.  Each chunk is handed over by storing head (or
 * tail) with release order and then ringing the peer's doorbell if, and
 * only if, the peer said it sleeps.
 *
 * The handshake (no lost wake-up): a side that finds no data (or no room)
 * sets its sleeping flag, issues a full fence, looks again, and only then
 * waits on its doorbell; a side that publishes issues a full fence after
 * its store and rings when it sees the flag, clearing it so one sleep gets
 * one ring.  Either the waiter sees the new position or the publisher
 * sees the flag.  A waiter that finds data on its second look takes its
 * flag back with an exchange; if the publisher took it first, a ring is on
 * its way and the waiter consumes it, so rings never accumulate (queued
 * real-time signals would, up to RLIMIT_SIGPENDING; ring.h tells how
 * System V semaphores did).  Only a wait that timed out can leave one ring
 * behind, which the next wait takes as a spurious wake-up: a loop, never
 * data.
 *
 * eventfd: two eventfd counters made in create() (EFD_NONBLOCK, shared by
 * parent and children), one per direction of notification: efd[CLIENT] is
 * the client's doorbell, written by the server, and efd[SERVER] the
 * server's.  A doorbell is rung by writing 1 and answered by reading (which
 * resets the counter).  CHAN_WAIT_BLOCK waits with poll() for at most
 * ch->timeout_ms, then reads: two system calls per wake-up, the price of a
 * bounded wait (a blocking read would be one, but unbounded).
 * CHAN_WAIT_SPIN polls the non-blocking read instead: it still measures
 * eventfd, not a pure shared-memory spin.
 *
 * Limits: none of the kernel's beyond memory and RLIMIT_NOFILE (two fds);
 * messages of any size stream through the ring.
 */
#include "transports/transport.h"

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define SHMPIPE_CAP_MIN (4 * 1024)   /* ring bytes per direction: 4 x the message, */
#define SHMPIPE_CAP_MAX (256 * 1024) /* a power of two between these */
#define SHMPIPE_LINE 128	     /* two cache lines: adjacent-line prefetch */

/* Shared with signal.c, which declares the same prototypes. */
int shmpipe_map(struct chan *ch, void **map, size_t *map_bytes);
void shmpipe_unmap(void **map, size_t map_bytes);
void shmpipe_publish_pid(void *map, enum chan_role role);
pid_t shmpipe_peer_pid(const void *map, enum chan_role role);
int shmpipe_send(struct chan *ch, void *map, const void *buf, size_t len, int (*ring)(struct chan *ch),
		 int (*wait)(struct chan *ch));
int shmpipe_recv(struct chan *ch, void *map, void *buf, size_t len, int (*ring)(struct chan *ch),
		 int (*wait)(struct chan *ch));

/* One side of one direction: only that side stores here. */
struct shmpipe_end {
	_Alignas(SHMPIPE_LINE) _Atomic uint64_t pos; /* writer: head; reader: tail */
	_Atomic uint32_t sleeping;		     /* waits for the other side's next publish */
};

struct shmpipe_dir {
	struct shmpipe_end w;
	struct shmpipe_end r;
};

struct shmpipe_hdr {
	_Alignas(SHMPIPE_LINE) _Atomic pid_t pid[2]; /* [role], published by attach */
	size_t cap;				     /* data bytes per direction, set by create() */
	size_t chunk;				     /* most bytes one publish moves: cap / 4 */
	struct shmpipe_dir dir[2];		     /* [CHAN_CLIENT]: client to server; [CHAN_SERVER]: back */
};

#define SHMPIPE_DATA_OFF ((sizeof(struct shmpipe_hdr) + 4095) & ~(size_t)4095)

static inline uint8_t *shmpipe_data(void *map, int dir)
{
	return (uint8_t *)map + SHMPIPE_DATA_OFF + (size_t)dir * ((struct shmpipe_hdr *)map)->cap;
}

static size_t shmpipe_cap(size_t msg_bytes)
{
	size_t cap = SHMPIPE_CAP_MIN;

	while (cap < SHMPIPE_CAP_MAX && cap / 4 < msg_bytes)
		cap *= 2;
	return cap;
}

int shmpipe_map(struct chan *ch, void **map, size_t *map_bytes)
{
	size_t cap = shmpipe_cap(ch->msg_bytes);
	size_t bytes = SHMPIPE_DATA_OFF + 2 * cap;
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct shmpipe_hdr *h = p;

	if (p == MAP_FAILED)
		return chan_fail(ch, errno, "mmap MAP_SHARED|MAP_ANONYMOUS len=%zu", bytes);
	/* zero-filled: positions 0, nobody sleeping, no pids */
	h->cap = cap;
	h->chunk = cap / 4;
	*map = p;
	*map_bytes = bytes;
	return 0;
}

void shmpipe_unmap(void **map, size_t map_bytes)
{
	if (*map)
		munmap(*map, map_bytes);
	*map = NULL;
}

void shmpipe_publish_pid(void *map, enum chan_role role)
{
	struct shmpipe_hdr *h = map;

	atomic_store_explicit(&h->pid[role], getpid(), memory_order_release);
}

/* 0 until the peer has attached; always set once its sleeping flag was seen. */
pid_t shmpipe_peer_pid(const void *map, enum chan_role role)
{
	struct shmpipe_hdr *h = (struct shmpipe_hdr *)map;

	return atomic_load_explicit(&h->pid[role == CHAN_CLIENT ? CHAN_SERVER : CHAN_CLIENT], memory_order_acquire);
}

/* Announces the sleep, looks once more, then waits on the doorbell. */
static int shmpipe_wait(struct chan *ch, struct shmpipe_end *me, struct shmpipe_end *other, uint64_t seen,
			int (*wait)(struct chan *ch))
{
	int r = 0;

	atomic_store_explicit(&me->sleeping, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&other->pos, memory_order_relaxed) == seen)
		r = wait(ch);
	else if (!atomic_exchange_explicit(&me->sleeping, 0, memory_order_relaxed))
		r = wait(ch); /* the peer took the flag: its ring is on the way, consume it */
	atomic_store_explicit(&me->sleeping, 0, memory_order_relaxed);
	return r;
}

/* After a publish: ring the other side if it sleeps (once per sleep). */
static int shmpipe_kick(struct chan *ch, struct shmpipe_end *other, int (*ring)(struct chan *ch))
{
	atomic_thread_fence(memory_order_seq_cst);
	if (!atomic_load_explicit(&other->sleeping, memory_order_relaxed))
		return 0;
	if (!atomic_exchange_explicit(&other->sleeping, 0, memory_order_relaxed))
		return 0;
	return ring(ch);
}

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

int shmpipe_send(struct chan *ch, void *map, const void *buf, size_t len, int (*ring)(struct chan *ch),
		 int (*wait)(struct chan *ch))
{
	const struct shmpipe_hdr *h = map;
	struct shmpipe_dir *d = &((struct shmpipe_hdr *)map)->dir[ch->role];
	uint8_t *data = shmpipe_data(map, ch->role);
	uint64_t head = atomic_load_explicit(&d->w.pos, memory_order_relaxed);
	const size_t cap = h->cap;
	const uint8_t *p = buf;

	while (len) {
		uint64_t tail = atomic_load_explicit(&d->r.pos, memory_order_acquire);
		size_t off = head & (cap - 1), n;
		int r;

		if (head - tail == cap) {
			r = shmpipe_wait(ch, &d->w, &d->r, tail, wait);
			if (r)
				return r;
			continue;
		}
		n = min3(cap - (head - tail), len, h->chunk);
		if (n > cap - off) {
			memcpy(data + off, p, cap - off);
			memcpy(data, p + (cap - off), n - (cap - off));
		} else {
			memcpy(data + off, p, n);
		}
		head += n;
		p += n;
		len -= n;
		atomic_store_explicit(&d->w.pos, head, memory_order_release);
		r = shmpipe_kick(ch, &d->r, ring);
		if (r)
			return r;
	}
	return 0;
}

int shmpipe_recv(struct chan *ch, void *map, void *buf, size_t len, int (*ring)(struct chan *ch),
		 int (*wait)(struct chan *ch))
{
	int dir = ch->role == CHAN_CLIENT ? CHAN_SERVER : CHAN_CLIENT;
	const struct shmpipe_hdr *h = map;
	struct shmpipe_dir *d = &((struct shmpipe_hdr *)map)->dir[dir];
	uint8_t *data = shmpipe_data(map, dir);
	uint64_t tail = atomic_load_explicit(&d->r.pos, memory_order_relaxed);
	const size_t cap = h->cap;
	uint8_t *p = buf;

	while (len) {
		uint64_t head = atomic_load_explicit(&d->w.pos, memory_order_acquire);
		size_t off = tail & (cap - 1), n;
		int r;

		if (head == tail) {
			r = shmpipe_wait(ch, &d->r, &d->w, head, wait);
			if (r)
				return r;
			continue;
		}
		n = min3(head - tail, len, h->chunk);
		if (n > cap - off) {
			memcpy(p, data + off, cap - off);
			memcpy(p + (cap - off), data, n - (cap - off));
		} else {
			memcpy(p, data + off, n);
		}
		tail += n;
		p += n;
		len -= n;
		atomic_store_explicit(&d->r.pos, tail, memory_order_release);
		r = shmpipe_kick(ch, &d->w, ring);
		if (r)
			return r;
	}
	return 0;
}

/* ---- eventfd ---- */

struct eventfd_chan {
	void *map;
	size_t map_bytes;
	int efd[2];   /* [role]: that side's doorbell */
	bool have[2]; /* efd[i] is open (0 is a valid fd) */
};

static int eventfd_probe(struct chan *ch)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0 && errno == ENOSYS)
		return chan_fail(ch, errno, "eventfd: kernel built without eventfd (CONFIG_EVENTFD)");
	if (fd < 0)
		return chan_fail(ch, errno, "eventfd");
	close(fd);
	ch->limits.max_msg_bytes = 0;
	ch->limits.unit_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "shared ring per direction of 4x the message (%d KiB to %d KiB), chunks of a quarter; two eventfds",
		 SHMPIPE_CAP_MIN / 1024, SHMPIPE_CAP_MAX / 1024);
	return 0;
}

static int eventfd_create(struct chan *ch)
{
	struct eventfd_chan *e = ch->priv;

	for (int i = 0; i < 2; i++) {
		e->efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (e->efd[i] < 0)
			return chan_fail(ch, errno, "eventfd EFD_CLOEXEC|EFD_NONBLOCK");
		e->have[i] = true;
	}
	return shmpipe_map(ch, &e->map, &e->map_bytes);
}

static int eventfd_attach(struct chan *ch, enum chan_role role)
{
	struct eventfd_chan *e = ch->priv;

	shmpipe_publish_pid(e->map, role);
	return 0;
}

static int eventfd_ring(struct chan *ch)
{
	struct eventfd_chan *e = ch->priv;
	int fd = e->efd[ch->role == CHAN_CLIENT ? CHAN_SERVER : CHAN_CLIENT];
	uint64_t one = 1;

	for (;;) {
		if (write(fd, &one, sizeof(one)) == sizeof(one))
			return 0;
		if (errno != EINTR)
			return chan_fail(ch, errno, "write eventfd fd=%d len=8", fd);
	}
}

/* One read of this side's doorbell: 1 rung, 0 not yet, -errno. */
static int eventfd_take(struct chan *ch, int fd)
{
	uint64_t v;

	for (;;) {
		if (read(fd, &v, sizeof(v)) == sizeof(v))
			return 1;
		if (errno == EAGAIN)
			return 0;
		if (errno != EINTR)
			return chan_fail(ch, errno, "read eventfd fd=%d len=8", fd);
	}
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Polls the non-blocking read; the clock is read only every 256 polls. */
static int eventfd_spin(struct chan *ch, int fd)
{
	uint64_t start_ms = 0;
	unsigned int spins = 0;
	int r;

	while ((r = eventfd_take(ch, fd)) == 0) {
		chan_relax(ch);
		if (++spins % 256 || ch->timeout_ms <= 0)
			continue;
		if (!start_ms)
			start_ms = mono_ms();
		else if (mono_ms() - start_ms > (uint64_t)ch->timeout_ms)
			return chan_fail(ch, ETIMEDOUT, "read eventfd fd=%d: peer silent for %d ms", fd,
					 ch->timeout_ms);
	}
	return r < 0 ? r : 0;
}

static int eventfd_wait(struct chan *ch)
{
	struct eventfd_chan *e = ch->priv;
	int fd = e->efd[ch->role];
	int r;

	if (ch->wait == CHAN_WAIT_SPIN)
		return eventfd_spin(ch, fd);
	r = fdio_wait(ch, fd, POLLIN);
	if (r)
		return r;
	r = eventfd_take(ch, fd);
	return r < 0 ? r : 0;
}

static int eventfd_send(struct chan *ch, const void *buf, size_t len)
{
	return shmpipe_send(ch, ((struct eventfd_chan *)ch->priv)->map, buf, len, eventfd_ring, eventfd_wait);
}

static int eventfd_recv(struct chan *ch, void *buf, size_t len)
{
	return shmpipe_recv(ch, ((struct eventfd_chan *)ch->priv)->map, buf, len, eventfd_ring, eventfd_wait);
}

static void eventfd_destroy(struct chan *ch)
{
	struct eventfd_chan *e = ch->priv;

	for (int i = 0; i < 2; i++) {
		if (e->have[i])
			close(e->efd[i]);
		e->have[i] = false;
	}
	shmpipe_unmap(&e->map, e->map_bytes);
}

const struct transport_ops eventfd_ops = {
	.name = "eventfd",
	.summary = "shared-memory ring per direction, woken through two eventfds",
	.kind = CHAN_STREAM,
	.flags = TRANSPORT_CAN_SPIN,
	.priv_size = sizeof(struct eventfd_chan),
	.probe = eventfd_probe,
	.create = eventfd_create,
	.attach = eventfd_attach,
	.send = eventfd_send,
	.recv = eventfd_recv,
	.destroy = eventfd_destroy,
};
