/*
 * shm_fan.c - one server, many clients over shm_ring and shm_spin
 * (TRANSPORT_FAN_IN, --clients N).
 *
 * One named POSIX shm segment ("/<tag>-ring", as for one client) holds a
 * header and one whole ring region per client (ring.h's layout: both
 * directions, the robust mutexes, the semaphores): client i uses region i
 * exactly as the client of a one-client channel uses its region, so its
 * send, recv and dead-peer detection are ring.c's, unchanged.
 *
 * The server watches them all.  recv_any() scans the rings from the one
 * after the last served (round robin: no client starves), reads the first
 * whole message it finds and says whose it was.  When none holds
 * anything, shm_spin first polls them all for its spin budget and then
 * yields, as its one-client wait does (the poll is skipped when the server
 * shares its CPU with the clients).  Then the server sleeps on the
 * segment's doorbell: it reads the bell word, announces in every live
 * ring that it sleeps for data (data_wanted: the waiter's half of ring.h's
 * wake protocol), scans once more and, finding nothing, FUTEX_WAITs on the
 * word for at most RING_SLICE_MS.  A client's publish that finds the
 * announcement takes it and rings the bell (add one, FUTEX_WAKE) where a
 * one-client ring posts its semaphore: in a fan-in segment the doorbell
 * of client-to-server data is the bell, every other one stays the
 * region's semaphore.  No wake-up is lost: the bell is read before the
 * announcements and changed after a publisher took one, so either the
 * second scan sees the data or the FUTEX_WAIT finds the word changed (or
 * is woken).  Announcements stay until used (bell_sleep says why).
 *
 * A client that detached (its state in its region says so; detach rings
 * the bell) is reported once, as -EPIPE with its index, when its ring is
 * empty; one that died holding its robust mutex is found after a slice in
 * which nothing came (the harness's watchdog sees the dead process at
 * once anyway).  Replies go through the client's own ring (ring_send).
 *
 * The server's view of ring i is a struct chan of its own: a copy of the
 * server's channel whose priv is ring i's ring_chan, so ring.c's hooks,
 * which take a channel, serve each ring unchanged; an error on one is
 * recorded on the real channel, naming the client.
 *
 * Fan-in cells run forked members only (the driver refuses --clients with
 * --peers exec): every member inherits the mapping, and the name goes
 * when the first client attaches (or at destroy).  Size: per client a
 * page and two rings of four times the message (64 clients of 64-byte
 * messages: 768 KiB), the rings made smaller (down to 4 KiB) where all
 * of them would take more than half of what /dev/shm has free.
 */
#include "transports/shm_ring.h"
#include "common/mono.h"

#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct shm_fan_srv {
	unsigned int n, next;	  /* clients; the ring the next scan starts at */
	struct chan *sub;	  /* [n]: the server's channel per ring */
	struct shm_ring_priv *sp; /* [n]: each one's priv */
	bool *told;		  /* [n]: reported gone */
	bool *armed;		  /* [n]: its data_wanted set since its last message was taken */
};

static struct ring_region *fan_region(const struct shm_fan_hdr *h, unsigned int i)
{
	return (struct ring_region *)(void *)((char *)h + h->hdr_bytes + (size_t)i * h->stride);
}

/* A shared futex (not FUTEX_PRIVATE_FLAG): the word is in the segment every member maps. */
static long fan_futex(_Atomic uint32_t *w, int op, uint32_t val, const struct timespec *rel)
{
	return syscall(SYS_futex, w, op, val, rel, NULL, 0);
}

static int bell_ring(struct chan *ch, struct shm_fan_hdr *h)
{
	atomic_fetch_add_explicit(&h->bell, 1, memory_order_seq_cst);
	if (fan_futex(&h->bell, FUTEX_WAKE, 1, NULL) < 0)
		return chan_fail(ch, errno, "futex FUTEX_WAKE (the fan-in doorbell)");
	return 0;
}

/* Sleeps while the bell reads seen, for at most ms: 0 when woken or changed, -ETIMEDOUT, or -errno. */
static int bell_wait(struct chan *ch, struct shm_fan_hdr *h, uint32_t seen, int ms)
{
	struct timespec rel = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	if (fan_futex(&h->bell, FUTEX_WAIT, seen, &rel) == 0)
		return 0;
	if (errno == ETIMEDOUT)
		return -ETIMEDOUT;
	if (errno == EAGAIN || errno == EINTR)
		return 0;
	return chan_fail(ch, errno, "futex FUTEX_WAIT (the fan-in doorbell)");
}

/* The doorbell of a fan-in ring: the bell for client-to-server data, the region's semaphores otherwise. */
static int fan_post(struct chan *ch, enum ring_dir dir, enum ring_sem sem)
{
	struct shm_ring_priv *sp = ch->priv;

	if (dir == RING_C2S && sem == RING_SEM_DATA)
		return bell_ring(ch, sp->fan);
	return shm_ring_sem_post(ch, dir, sem);
}

/* The server in ring.c's sleep, mid-message on one ring: the bell, unless the client took the announcement. */
static int fan_wait(struct chan *ch, enum ring_dir dir, enum ring_sem sem, int ms)
{
	struct shm_ring_priv *sp = ch->priv;
	uint32_t seen;

	if (dir != RING_C2S || sem != RING_SEM_DATA)
		return shm_ring_sem_wait(ch, dir, sem, ms);
	seen = atomic_load_explicit(&sp->fan->bell, memory_order_seq_cst);
	if (!atomic_load_explicit(&sp->rc.rg->dir[RING_C2S].data_wanted, memory_order_seq_cst))
		return 0;
	return bell_wait(ch, sp->fan, seen, ms);
}

static const struct ring_wake_ops fan_wake = {
	.post = fan_post,
	.wait = fan_wait,
};

/* The rings' capacity: four times the message, smaller where n of them would fill /dev/shm past half. */
static size_t fan_capacity(struct chan *ch, size_t hdr)
{
	struct statfs sf;
	size_t budget = 0;

	if (statfs("/dev/shm", &sf) == 0) {
		unsigned long long half = (unsigned long long)sf.f_bavail * (unsigned long long)sf.f_bsize / 2;

		budget = half > hdr ? (size_t)((half - hdr) / ch->nclients) : 1;
	}
	return ring_capacity(ch->msg_bytes, budget);
}

int shm_fan_create(struct chan *ch, uint64_t spin_ns)
{
	struct shm_ring_priv *sp = ch->priv;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), hdr = (sizeof(struct shm_fan_hdr) + pg - 1) / pg * pg;
	size_t cap = fan_capacity(ch, hdr), stride = ring_region_bytes(cap);
	struct shm_fan_hdr *h;
	void *mem = NULL;
	int r;

	if (!ch->nclients || ch->nclients > TRANSPORT_MAX_CLIENTS)
		return chan_fail(ch, EINVAL, "fan-in of %u clients (1..%d)", ch->nclients, TRANSPORT_MAX_CLIENTS);
	sp->rc.wake = &fan_wake;
	sp->rc.spin_ns = spin_ns;
	r = shm_ring_map_region(ch, hdr + (size_t)ch->nclients * stride, &mem);
	if (r)
		return r;
	h = mem;
	sp->fan = h;
	sp->fan_bytes = hdr + (size_t)ch->nclients * stride;
	atomic_init(&h->bell, 0);
	h->n = ch->nclients;
	h->hdr_bytes = hdr;
	h->stride = stride;
	for (unsigned int i = 0; i < h->n && !r; i++)
		r = ring_region_init(ch, fan_region(h, i), stride, cap, true);
	sp->rc.rg = NULL; /* each member takes its own region at attach */
	return r;
}

static int server_attach(struct chan *ch, struct shm_ring_priv *sp, struct shm_fan_hdr *h)
{
	struct shm_fan_srv *s = calloc(1, sizeof(*s));

	if (!s)
		return chan_fail(ch, ENOMEM, "the fan-in server's state for %u clients", ch->nclients);
	sp->srv = s;
	s->sub = calloc(ch->nclients, sizeof(*s->sub));
	s->sp = calloc(ch->nclients, sizeof(*s->sp));
	s->told = calloc(ch->nclients, sizeof(*s->told));
	s->armed = calloc(ch->nclients, sizeof(*s->armed));
	if (!s->sub || !s->sp || !s->told || !s->armed)
		return chan_fail(ch, ENOMEM, "the fan-in server's state for %u clients", ch->nclients);
	for (unsigned int i = 0; i < ch->nclients; i++) {
		s->sp[i] = *sp;
		s->sp[i].srv = NULL;
		s->sp[i].rc.rg = fan_region(h, i);
		s->sp[i].rc.map_bytes = h->stride;
		s->sub[i] = *ch;
		s->sub[i].priv = &s->sp[i];
		s->n = i + 1;
		if (ring_attach(&s->sub[i], CHAN_SERVER))
			return chan_fail(ch, s->sub[i].err, "client %u's ring: %s", i, s->sub[i].errmsg);
	}
	return 0;
}

int shm_fan_attach(struct chan *ch, enum chan_role role)
{
	struct shm_ring_priv *sp = ch->priv;
	struct shm_fan_hdr *h = sp->fan;

	if (!h || h->n != ch->nclients)
		return chan_fail(ch, EINVAL, "fan-in attach: no segment for %u clients", ch->nclients);
	if (role == CHAN_SERVER)
		return server_attach(ch, sp, h);
	if (ch->client >= h->n)
		return chan_fail(ch, EINVAL, "fan-in attach: client %u of %u", ch->client, h->n);
	if (sp->name[0]) {
		shm_unlink(sp->name); /* every member has the mapping: the name has done its job */
		sp->name[0] = 0;
	}
	sp->rc.rg = fan_region(h, ch->client);
	sp->rc.map_bytes = h->stride;
	return ring_attach(ch, role);
}

void shm_fan_detach(struct chan *ch)
{
	struct shm_ring_priv *sp = ch->priv;
	struct shm_fan_srv *s = sp->srv;

	if (!s) {
		ring_detach(ch);
		return;
	}
	for (unsigned int i = 0; s->sub && i < s->n; i++)
		ring_detach(&s->sub[i]);
	free(s->sub);
	free(s->sp);
	free(s->told);
	free(s->armed);
	free(s);
	sp->srv = NULL;
}

void shm_fan_destroy(struct chan *ch)
{
	struct shm_ring_priv *sp = ch->priv;
	struct shm_fan_hdr *h = sp->fan;

	if (sp->name[0]) {
		shm_unlink(sp->name);
		sp->name[0] = 0;
	}
	if (!h)
		return;
	shm_fan_detach(ch);
	for (unsigned int i = 0; i < ch->nclients && i < h->n; i++)
		for (int d = 0; d < 2; d++)
			for (int s = 0; s < 2; s++)
				sem_destroy(&fan_region(h, i)->sem[d][s]);
	munmap(h, sp->fan_bytes);
	sp->fan = NULL;
	sp->rc.rg = NULL;
}

/* ---- the server's wait ---- */

/* The first ring from the round robin's place holding data not read yet: its index, or n. */
static unsigned int scan(struct shm_fan_srv *s)
{
	for (unsigned int k = 0, i = s->next; k < s->n; k++, i = i + 1 == s->n ? 0 : i + 1)
		if (!s->told[i] && ring_rx_ready(&s->sp[i].rc))
			return i;
	return s->n;
}

/* A client not reported yet that has gone leaving its ring empty (thorough: also one that died), or n. */
static unsigned int departed(struct shm_fan_srv *s, bool thorough)
{
	for (unsigned int i = 0; i < s->n; i++)
		if (!s->told[i] && ring_peer_left(&s->sp[i].rc, thorough) && !ring_rx_ready(&s->sp[i].rc))
			return i;
	return s->n;
}

/* shm_spin: poll every ring for the spin budget (not when sharing a CPU), then yield for RING_YIELD_NS. */
static unsigned int spin_scan(struct chan *ch, struct shm_fan_srv *s, uint64_t spin_ns)
{
	uint64_t start = mono_ns();
	unsigned int i;

	while (!ch->peer_same_cpu && mono_ns() - start < spin_ns) {
		i = scan(s);
		if (i < s->n)
			return i;
		chan_relax(ch);
	}
	start = mono_ns();
	do {
		sched_yield();
		i = scan(s);
		if (i < s->n)
			return i;
	} while (mono_ns() - start < RING_YIELD_NS);
	return s->n;
}

/*
 * Announces in every live ring that the server sleeps, and sleeps on the
 * bell unless something came.  An announcement stays until the client's
 * next publish takes it (or the server takes a message from that ring):
 * only the rings served since the last sleep are announced afresh, since
 * each store to a line the client reads costs a cache miss on each side
 * (announcing all 64 rings and taking every one back after each wake
 * made 32 and 64 clients 3 to 5 times slower than 16); the price is a
 * FUTEX_WAKE nobody waits for when a client publishes while the server
 * is busy with another ring.
 */
static int bell_sleep(struct chan *ch, struct shm_fan_srv *s, struct shm_fan_hdr *h)
{
	uint32_t seen = atomic_load_explicit(&h->bell, memory_order_seq_cst);

	for (unsigned int i = 0; i < s->n; i++)
		if (!s->told[i] && !s->armed[i]) {
			ring_rx_want(&s->sp[i].rc);
			s->armed[i] = true;
		}
	if (scan(s) < s->n || departed(s, false) < s->n)
		return 0;
	return bell_wait(ch, h, seen, RING_SLICE_MS);
}

static int sub_failed(struct chan *ch, struct shm_fan_srv *s, unsigned int i, int r)
{
	const struct chan *sub = &s->sub[i];

	return chan_fail(ch, sub->err ? sub->err : -r, "client %u: %s", i, sub->errmsg[0] ? sub->errmsg : strerror(-r));
}

/* One whole message from ring i. */
static int take(struct chan *ch, struct shm_fan_srv *s, unsigned int i, void *buf, size_t len, unsigned int *client)
{
	int r;

	if (s->armed[i]) {
		ring_rx_unwant(&s->sp[i].rc); /* its W is for the message taken now: announce afresh */
		s->armed[i] = false;
	}
	r = ring_recv(&s->sub[i], buf, len);
	*client = i;
	s->next = i + 1 == s->n ? 0 : i + 1;
	if (r == -EPIPE) {
		s->told[i] = true; /* it went mid-message: the harness names it */
		return -EPIPE;
	}
	return r ? sub_failed(ch, s, i, r) : 0;
}

int shm_fan_recv_any(struct chan *ch, void *buf, size_t len, unsigned int *client)
{
	struct shm_ring_priv *sp = ch->priv;
	struct shm_fan_srv *s = sp->srv;
	uint64_t deadline = ch->timeout_ms > 0 ? mono_ns() + (uint64_t)ch->timeout_ms * 1000000u : 0;
	bool thorough = false;

	if (!s)
		return chan_fail(ch, EINVAL, "recv_any: not the server of a fan-in channel");
	for (;;) {
		unsigned int i = scan(s);
		int r;

		if (i == s->n && sp->rc.spin_ns)
			i = spin_scan(ch, s, sp->rc.spin_ns);
		if (i < s->n)
			return take(ch, s, i, buf, len, client);
		i = departed(s, thorough);
		if (i < s->n) {
			s->told[i] = true;
			*client = i;
			return -EPIPE;
		}
		if (deadline && mono_ns() >= deadline)
			return chan_fail(ch, ETIMEDOUT, "waiting for any of %u clients for %d ms", s->n,
					 ch->timeout_ms);
		r = bell_sleep(ch, s, sp->fan);
		if (r && r != -ETIMEDOUT)
			return r;
		thorough = r == -ETIMEDOUT;
	}
}

int shm_fan_send_to(struct chan *ch, unsigned int client, const void *buf, size_t len)
{
	struct shm_ring_priv *sp = ch->priv;
	struct shm_fan_srv *s = sp->srv;
	int r;

	if (!s || client >= s->n)
		return chan_fail(ch, EINVAL, "send to client %u of %u", client, s ? s->n : 0);
	r = ring_send(&s->sub[client], buf, len);
	return r ? sub_failed(ch, s, client, r) : 0;
}
