/*
 * wake.c - the shared page, sequence checks and flow control of the
 * wake-up primitives (wake.h).
 */
#include "transports/ledger.h"
#include "transports/wake.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Maps the page's object; creating it (sized, zeroed) or finding it (ours, of the page's size). */
static int map_named(struct chan *ch, bool make)
{
	struct wake_chan *w = ch->priv;
	struct stat st;
	void *p = MAP_FAILED;
	int fd = make ? shm_open(w->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)
		      : shm_open(w->name, O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0);

	if (fd < 0) {
		int e = errno;

		if (make)
			w->name[0] = 0; /* not ours to unlink */
		return chan_fail(ch, e, "shm_open %s%s", w->name, make ? "" : " (by name)");
	}
	if (make && ftruncate(fd, WAKE_PAGE_BYTES) < 0)
		; /* errno says why */
	else if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() && st.st_size == WAKE_PAGE_BYTES)
		p = mmap(NULL, WAKE_PAGE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	else
		errno = EPROTO;
	close(fd);
	if (p == MAP_FAILED)
		return chan_fail(ch, errno, "map the page %s (%d bytes)", w->name, WAKE_PAGE_BYTES);
	w->pg = p;
	return 0;
}

int wake_map(struct chan *ch)
{
	struct wake_chan *w = ch->priv;
	int r;

	if ((size_t)snprintf(w->name, sizeof(w->name), "/%s-wake", ch->tag) >= sizeof(w->name)) {
		w->name[0] = 0;
		return chan_fail(ch, ENAMETOOLONG, "shm name for tag %s", ch->tag);
	}
	r = chan_ledger_add(ch, LEDGER_POSIX_SHM, w->name); /* before the name exists */
	if (r) {
		w->name[0] = 0;
		return r;
	}
	return map_named(ch, true);
}

void wake_unmap(struct chan *ch)
{
	struct wake_chan *w = ch->priv;

	if (w->pg)
		munmap(w->pg, WAKE_PAGE_BYTES);
	w->pg = NULL;
	if (w->name[0])
		shm_unlink(w->name);
	w->name[0] = 0;
}

void wake_adopt(struct chan *ch)
{
	((struct wake_chan *)ch->priv)->pg = NULL;
}

int wake_attach(struct chan *ch, enum chan_role role)
{
	struct wake_chan *w = ch->priv;

	if (!w->pg && map_named(ch, false))
		return -ch->err;
	w->out = role == CHAN_CLIENT ? WAKE_C2S : WAKE_S2C;
	w->in = role == CHAN_CLIENT ? WAKE_S2C : WAKE_C2S;
	w->sent = w->got = w->peer_taken = 0;
	atomic_store_explicit(&w->pg->pid[role], (int32_t)getpid(), memory_order_release);
	return 0;
}

pid_t wake_peer_pid(struct chan *ch)
{
	struct wake_chan *w = ch->priv;

	return atomic_load_explicit(&w->pg->pid[ch->role == CHAN_CLIENT ? CHAN_SERVER : CHAN_CLIENT],
				    memory_order_acquire);
}

int wake_check_len(struct chan *ch, size_t len)
{
	if (len == 0)
		return 0;
	return chan_fail(ch, EMSGSIZE, "%s carries no payload: a %zu-byte message (only size 0)", ch->ops->name, len);
}

void wake_deadline(const struct chan *ch, struct timespec *abs)
{
	clock_gettime(CLOCK_MONOTONIC, abs);
	if (ch->timeout_ms <= 0) {
		abs->tv_sec += 365 * 24 * 3600;
		return;
	}
	abs->tv_sec += ch->timeout_ms / 1000;
	abs->tv_nsec += (long)(ch->timeout_ms % 1000) * 1000000;
	if (abs->tv_nsec >= 1000000000) {
		abs->tv_sec++;
		abs->tv_nsec -= 1000000000;
	}
}

long wake_ms_left(const struct timespec *abs)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(abs->tv_sec - now.tv_sec) * 1000 + (abs->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? (long)ms : 0;
}

/* The peer is WAKE_WINDOW posts behind: yield until it takes one, for at most timeout_ms. */
static int wait_room(struct chan *ch)
{
	struct wake_chan *w = ch->priv;
	struct timespec abs;
	unsigned int spins = 0;

	wake_deadline(ch, &abs);
	for (;;) {
		w->peer_taken = atomic_load_explicit(&w->pg->take[w->out].taken, memory_order_acquire);
		if (w->sent - w->peer_taken < WAKE_WINDOW)
			return 0;
		sched_yield();
		if (++spins % 256 == 0 && !wake_ms_left(&abs))
			return chan_fail(ch, ETIMEDOUT, "%u wake-ups posted ahead and none taken for %d ms: peer gone",
					 WAKE_WINDOW, ch->timeout_ms);
	}
}

int wake_room(struct chan *ch)
{
	struct wake_chan *w = ch->priv;

	return w->sent - w->peer_taken < WAKE_WINDOW ? 0 : wait_room(ch);
}

int wake_note_post(struct chan *ch, size_t len, uint32_t *seq)
{
	struct wake_chan *w = ch->priv;
	int r = wake_check_len(ch, len);

	if (!r)
		r = wake_room(ch);
	if (r)
		return r;
	*seq = ++w->sent;
	atomic_store_explicit(&w->pg->post[w->out].posted, w->sent, memory_order_release);
	return 0;
}

int wake_took(struct chan *ch, const char *what)
{
	struct wake_chan *w = ch->priv;
	uint32_t posted = atomic_load_explicit(&w->pg->post[w->in].posted, memory_order_acquire);

	if ((int32_t)(posted - (w->got + 1)) < 0)
		return chan_fail(ch, EPROTO, "%s: wake-up %u with %u posted: a duplicated or stray wake-up", what,
				 w->got + 1, posted);
	w->got++;
	atomic_store_explicit(&w->pg->take[w->in].taken, w->got, memory_order_release);
	return 0;
}

int wake_timed_out(struct chan *ch, const char *what)
{
	struct wake_chan *w = ch->priv;
	uint32_t pending = wake_pending(w);

	if ((int32_t)pending > 0)
		return chan_fail(ch, EPROTO, "%s: lost wake-up: %u posted, %u woken, no wake-up for %d ms", what,
				 w->got + pending, w->got, ch->timeout_ms);
	return chan_fail(ch, ETIMEDOUT, "%s: peer silent for %d ms", what, ch->timeout_ms);
}
