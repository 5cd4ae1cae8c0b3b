/*
 * lockfile.c - the payload goes through a regular file guarded by fcntl
 * record locks.
 *
 * create() makes "<run_dir>/<tag>-lockfile" with O_CREAT | O_EXCL, mode
 * 0600, and sizes it.  Forked sides inherit the open descriptor; an exec'd
 * client (--peers exec, TRANSPORT_BY_NAME: the server peer ran create())
 * opens the file by its path (a regular file of ours of exactly the size
 * made, ownfile.h).  The client's attach unlinks the name once it holds the
 * file, destroy() if no client came; the run directory is private (0700)
 * and removed after the run, or by `ipcbench clean` after a crash.
 *
 * Layout: per direction a 16-byte header (head: bytes written; tail: bytes
 * read; at offsets 0 and 4096) and a data ring of LOCKFILE_CAP bytes (from
 * offset 8192).  A byte stream, like a pipe.  Holding a write lock
 * (F_SETLKW) on a direction's header guards that direction's header and
 * data: the writer, under the lock, reads the header, pwrite()s what fits
 * into the free room (at most LOCKFILE_CAP bytes, so a larger message goes
 * through in several turns) and stores the new head; the reader, under the
 * lock, reads the header, pread()s what is there and stores the new tail.
 * Every byte passes through the page cache, in and out.
 *
 * Waiting: there is no wake-up, only re-checking under the lock.  Back-off:
 * BACKOFF_YIELDS immediate re-checks, each after a sched_yield() (which
 * lets a peer on the same CPU run), then nanosleep from 1 us doubling to
 * 1 ms, back to the start after each success.  attach() sets this child's
 * timer slack to 1 ns (PR_SET_TIMERSLACK): with the default 50 us slack a
 * "1 us" sleep lasts 50 us and the back-off would not be the one stated.
 * A wait that sees no progress for ch->timeout_ms fails with -ETIMEDOUT.
 * Slow by nature (TRANSPORT_SLOW): latency is the back-off's, not the
 * kernel's.  There is no busy-poll mode; the back-off is already a poll.
 *
 * Ordering traps: classic POSIX record locks belong to the process, not
 * the descriptor, so the children inheriting one open file still exclude
 * each other (open file description locks, F_OFD_SETLKW, would be shared
 * across fork and exclude nothing here).  Closing any descriptor of the
 * file drops all of the process's locks on it: the transport never opens
 * a second one.  A peer stopped while holding the lock blocks F_SETLKW
 * past the timeout; the harness's watchdog bounds that.
 *
 * Option lock: the four lock calls of Linux.  fcntl (default: F_SETLKW,
 * POSIX record locks, owned by the process), lockf (lockf(3), the same
 * POSIX locks from the current offset, so each child needs its own file
 * offset), ofd (F_OFD_SETLKW: record locks owned by the open file
 * description) and flock (flock(2): the whole file, owned by the open file
 * description, so one lock serves both directions).  For all but fcntl
 * attach() opens the file again through /proc/self/fd, which gives this
 * child an open file description (and an offset) of its own; without
 * that, ofd and flock locks would be shared by both children and exclude
 * nothing.
 */
#include "transports/backoff.h"
#include "transports/chan_util.h"
#include "transports/ownfile.h"
#include "common/mono.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define LOCKFILE_CAP (64 * 1024) /* data ring bytes per direction (power of two) */
#define LOCKFILE_HDR_OFF(dir) ((off_t)(dir)*4096)
#define LOCKFILE_DATA_OFF(dir) (8192 + (off_t)(dir)*LOCKFILE_CAP)
#define LOCKFILE_BYTES LOCKFILE_DATA_OFF(2)

enum { LOCKFILE_OPT_LOCK };
enum lockfile_call { LOCK_FCNTL, LOCK_OFD, LOCK_FLOCK, LOCK_LOCKF };

static const char *const lockfile_calls[] = {"fcntl", "ofd", "flock", "lockf", NULL};

static const struct transport_option lockfile_options[] = {
	[LOCKFILE_OPT_LOCK] = {.name = "lock",
			       .type = TOPT_ENUM,
			       .def = LOCK_FCNTL,
			       .values = lockfile_calls,
			       .help = "the lock call: fcntl F_SETLKW, F_OFD_SETLKW, flock(2) (whole file), lockf(3)"},
	{0},
};

struct lockfile {
	int fd;
	bool open;  /* fd is ours to close (0 is a valid fd) */
	bool named; /* path still exists */
	char path[4096];
};

struct lockfile_hdr {
	uint64_t head;
	uint64_t tail;
};

/* flock(2) and lockf(3): the whole file, or from the header's offset; EINTR is retried. */
static int lock_other(struct chan *ch, int fd, int dir, short type, int call)
{
	bool un = type == F_UNLCK;
	int r;

	if (call == LOCK_LOCKF && lseek(fd, LOCKFILE_HDR_OFF(dir), SEEK_SET) < 0)
		return chan_fail(ch, errno, "lseek fd=%d %lld", fd, (long long)LOCKFILE_HDR_OFF(dir));
	do
		r = call == LOCK_FLOCK ? flock(fd, un ? LOCK_UN : LOCK_EX)
				       : lockf(fd, un ? F_ULOCK : F_LOCK, (off_t)sizeof(struct lockfile_hdr));
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return chan_fail(ch, errno, "%s %s fd=%d", call == LOCK_FLOCK ? "flock" : "lockf",
				 un ? "unlock" : "lock", fd);
	return 0;
}

static int lock_dir(struct chan *ch, int fd, int dir, short type)
{
	struct flock fl = {
		.l_type = type,
		.l_whence = SEEK_SET,
		.l_start = LOCKFILE_HDR_OFF(dir),
		.l_len = sizeof(struct lockfile_hdr),
	};
	int call = (int)chan_opt(ch, LOCKFILE_OPT_LOCK), cmd;

	if (call == LOCK_FLOCK || call == LOCK_LOCKF)
		return lock_other(ch, fd, dir, type, call);
	if (call == LOCK_OFD)
		cmd = type == F_UNLCK ? F_OFD_SETLK : F_OFD_SETLKW;
	else
		cmd = type == F_UNLCK ? F_SETLK : F_SETLKW;
	while (fcntl(fd, cmd, &fl) < 0) {
		if (errno != EINTR)
			return chan_fail(ch, errno, "fcntl %s%s fd=%d start=%lld len=%lld",
					 call == LOCK_OFD ? "OFD " : "",
					 type == F_UNLCK ? "F_SETLK F_UNLCK" : "F_SETLKW F_WRLCK", fd,
					 (long long)fl.l_start, (long long)fl.l_len);
	}
	return 0;
}

static int file_io(struct chan *ch, int fd, void *buf, size_t len, off_t off, bool write)
{
	char *p = buf;

	while (len) {
		ssize_t n = write ? pwrite(fd, p, len, off) : pread(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return chan_fail(ch, n < 0 ? errno : EIO, "%s fd=%d len=%zu off=%lld",
					 write ? "pwrite" : "pread", fd, len, (long long)off);
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* Moves n bytes between buf and the ring at stream position pos. */
static int ring_io(struct chan *ch, int fd, int dir, uint64_t pos, void *buf, size_t n, bool write)
{
	size_t off = pos & (LOCKFILE_CAP - 1);
	size_t first = n < LOCKFILE_CAP - off ? n : LOCKFILE_CAP - off;
	int r = file_io(ch, fd, buf, first, LOCKFILE_DATA_OFF(dir) + (off_t)off, write);

	if (r || first == n)
		return r;
	return file_io(ch, fd, (char *)buf + first, n - first, LOCKFILE_DATA_OFF(dir), write);
}

static int lockfile_probe(struct chan *ch)
{
	ch->limits.max_msg_bytes = 0;
	ch->limits.unit_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "file ring of %d KiB per direction under %s locks; back-off %ld us to %ld ms", LOCKFILE_CAP / 1024,
		 lockfile_calls[chan_opt(ch, LOCKFILE_OPT_LOCK)], BACKOFF_SLEEP_MIN_NS / 1000,
		 BACKOFF_SLEEP_MAX_NS / 1000000);
	return 0;
}

static int lockfile_create(struct chan *ch)
{
	struct lockfile *lf = ch->priv;

	if (!ch->run_dir || chan_path(ch, "lockfile", lf->path, sizeof(lf->path)))
		return chan_fail(ch, ENAMETOOLONG, "lockfile path in %s", ch->run_dir ? ch->run_dir : "(none)");
	lf->fd = open(lf->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lf->fd < 0)
		return chan_fail(ch, errno, "open %s O_CREAT|O_EXCL mode 0600", lf->path);
	lf->open = true;
	lf->named = true;
	if (ftruncate(lf->fd, LOCKFILE_BYTES) < 0)
		return chan_fail(ch, errno, "ftruncate %s len=%lld", lf->path, (long long)LOCKFILE_BYTES);
	return 0; /* the name stays for an exec'd client: its attach unlinks it */
}

/* An exec'd client's copy of the creator's state: the descriptor is not ours. */
static void lockfile_adopt(struct chan *ch)
{
	struct lockfile *lf = ch->priv;

	lf->fd = -1;
	lf->open = false;
}

/* The file by its path, in a process that did not inherit it: a description of its own already. */
static int open_by_name(struct chan *ch, struct lockfile *lf)
{
	int fd = lf->named ? ownfile_open(ch, lf->path, LOCKFILE_BYTES) : chan_fail(ch, EINVAL, "lockfile: no path");

	if (fd < 0)
		return fd;
	lf->fd = fd;
	lf->open = true;
	return 0;
}

static int lockfile_attach(struct chan *ch, enum chan_role role)
{
	struct lockfile *lf = ch->priv;
	bool inherited = lf->open;
	char self[64];
	int fd;

	/* best effort: without it the back-off's short sleeps are 50 us */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	if (!inherited && open_by_name(ch, lf))
		return -ch->err;
	if (role == CHAN_CLIENT && lf->named) {
		unlink(lf->path); /* both sides hold the file: the name has done its job */
		lf->named = false;
	}
	if (chan_opt(ch, LOCKFILE_OPT_LOCK) == LOCK_FCNTL || !inherited)
		return 0;
	/* an open file description (and offset) of this child's own, not the one the fork shared */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", lf->fd);
	fd = open(self, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return chan_fail(ch, errno, "open %s (a description of its own for %s locks)", self,
				 lockfile_calls[chan_opt(ch, LOCKFILE_OPT_LOCK)]);
	close(lf->fd);
	lf->fd = fd;
	return 0;
}

/* One turn under the lock: moves what fits; *moved says how much. */
static int turn(struct chan *ch, int dir, void *buf, size_t len, bool write, size_t *moved)
{
	struct lockfile *lf = ch->priv;
	struct lockfile_hdr h;
	size_t n;
	int r = lock_dir(ch, lf->fd, dir, F_WRLCK);

	if (r)
		return r;
	*moved = 0;
	r = file_io(ch, lf->fd, &h, sizeof(h), LOCKFILE_HDR_OFF(dir), false);
	if (r)
		goto out_unlock;
	if (h.head - h.tail > LOCKFILE_CAP) {
		r = chan_fail(ch, EPROTO, "pread fd=%d off=%lld: head %llu and tail %llu are %llu bytes apart", lf->fd,
			      (long long)LOCKFILE_HDR_OFF(dir), (unsigned long long)h.head, (unsigned long long)h.tail,
			      (unsigned long long)(h.head - h.tail));
		goto out_unlock;
	}
	n = write ? LOCKFILE_CAP - (size_t)(h.head - h.tail) : (size_t)(h.head - h.tail);
	if (n > len)
		n = len;
	if (!n)
		goto out_unlock;
	r = ring_io(ch, lf->fd, dir, write ? h.head : h.tail, buf, n, write);
	if (r)
		goto out_unlock;
	if (write) {
		h.head += n;
		r = file_io(ch, lf->fd, &h.head, 8, LOCKFILE_HDR_OFF(dir), true);
	} else {
		h.tail += n;
		r = file_io(ch, lf->fd, &h.tail, 8, LOCKFILE_HDR_OFF(dir) + 8, true);
	}
	if (!r)
		*moved = n;
out_unlock:
	if (lock_dir(ch, lf->fd, dir, F_UNLCK) && !r)
		r = -ch->err;
	return r;
}

static int move_all(struct chan *ch, int dir, char *p, size_t len, bool write)
{
	struct backoff b;

	backoff_reset(&b);
	while (len) {
		size_t n;
		int r = turn(ch, dir, p, len, write, &n);

		if (r)
			return r;
		if (n) {
			p += n;
			len -= n;
			backoff_reset(&b);
			continue;
		}
		r = backoff_wait(ch, &b, write ? "lockfile send: no room" : "lockfile recv: no data");
		if (r)
			return r;
	}
	return 0;
}

static int lockfile_send(struct chan *ch, const void *buf, size_t len)
{
	/* write == true: buf is only ever pwrite()'s source */
	return move_all(ch, ch->role == CHAN_CLIENT ? 0 : 1, (char *)buf, len, true);
}

static int lockfile_recv(struct chan *ch, void *buf, size_t len)
{
	return move_all(ch, ch->role == CHAN_CLIENT ? 1 : 0, buf, len, false);
}

static void lockfile_destroy(struct chan *ch)
{
	struct lockfile *lf = ch->priv;

	if (lf->named)
		unlink(lf->path);
	lf->named = false;
	if (lf->open)
		close(lf->fd);
	lf->open = false;
}

const struct transport_ops lockfile_ops = {
	.name = "lockfile",
	.summary = "a regular file guarded by fcntl record locks, polled with back-off",
	.kind = CHAN_STREAM,
	.flags = TRANSPORT_SLOW | TRANSPORT_BY_NAME,
	.priv_size = sizeof(struct lockfile),
	.options = lockfile_options,
	.probe = lockfile_probe,
	.create = lockfile_create,
	.adopt = lockfile_adopt,
	.attach = lockfile_attach,
	.send = lockfile_send,
	.recv = lockfile_recv,
	.destroy = lockfile_destroy,
};
