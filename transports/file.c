/*
 * file.c - two processes and one plain file per direction, no locks: the
 * first example of the IPC guides.
 *
 * What it carries: whole messages of any size, one at a time per
 * direction, between the two sides of a cell.  create() makes
 * "<run_dir>/<tag>-file-c2s" and "-s2c" with O_CREAT | O_EXCL, mode 0600.
 * Forked sides inherit the descriptors; an exec'd client (--peers exec,
 * TRANSPORT_BY_NAME: the server peer ran create()) opens both files by
 * their paths (regular files of ours, ownfile.h).  The client's attach
 * unlinks the names once it holds the files, destroy() if no client came;
 * the run directory is private (0700) and removed after the run, or by
 * `ipcbench clean` after a crash.
 *
 * The protocol of the guides, with no lock anywhere: the writer waits until
 * the file is empty (fstat says size 0) and writes the message at offset 0
 * with one pwritev(); the reader waits until the file has content, reads
 * what is there and empties it (ftruncate to 0), which is the writer's
 * signal to write the next one.  Every byte passes through the page cache.
 *
 * Torn reads: nothing stops the reader from reading while the writer is
 * still writing (a write to a regular file is not atomic against a
 * concurrent read: the file grows page by page), so the writer puts a
 * 24-byte header in front of every message (magic, length, sequence and a
 * checksum of all of it) and the reader checks it.  A read that is short,
 * or whose header or checksum does not match, is a torn read: counted in
 * the cell's torn_reads counter, never passed on; the reader leaves the
 * file alone and reads it again.  A whole message with the wrong sequence
 * is -EPROTO (a stale or repeated message, not a tear).
 *
 * Waiting: there is no wake-up, only polling with fstat.  Block: a few
 * sched_yield() re-checks, then nanosleep from 1 us doubling to 1 ms (the
 * timer slack set to 1 ns in attach), back to the start after each
 * success.  Spin (TRANSPORT_CAN_SPIN): fstat in a loop with chan_relax().
 * No progress for ch->timeout_ms is -ETIMEDOUT.
 *
 * Option tear (a test hook, default 0): the writer writes each message in
 * two halves and writes the second only after the reader has read the
 * first (an inotify IN_ACCESS on the file, or timeout_ms), so every message
 * is read torn at least once: the torn reads the guides warn of, made
 * certain.  Limits: none of its own (the file system's free space).
 */
#include "transports/backoff.h"
#include "transports/chan_util.h"
#include "transports/ownfile.h"
#include "common/mono.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define FILE_MAGIC 0x31666269u /* "ibf1" */

enum { C2S, S2C };
enum { FILE_OPT_TEAR };
enum { FILE_CTR_TORN };

static const struct transport_option file_options[] = {
	[FILE_OPT_TEAR] = {.name = "tear",
			   .type = TOPT_BOOL,
			   .def = 0,
			   .help = "test hook: write each message in two halves, the second after the reader read the "
				   "first"},
	{0},
};

static const char *const file_counters[] = {[FILE_CTR_TORN] = "torn_reads", NULL};

struct file_hdr {
	uint32_t magic;
	uint32_t len;
	uint64_t seq;
	uint64_t sum; /* of magic, len, seq and the payload */
};

struct file_chan {
	int fd[2];
	bool open[2];
	bool named[2];
	char path[2][4096];
	/* this side's, after attach */
	int tx, rx;
	uint64_t tx_seq, rx_seq;
	int ino;       /* tear=1: an inotify descriptor watching tx for IN_ACCESS; -1 none */
	uint8_t *rbuf; /* header + the largest message */
};

/* 64-bit words mixed by multiply and rotate: cheap, and any torn byte changes it. */
static uint64_t file_sum(const struct file_hdr *h, const uint8_t *p, size_t len)
{
	uint64_t s = ((uint64_t)h->magic << 32 | h->len) ^ (h->seq * 0x9e3779b97f4a7c15ull), w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		s = ((s ^ w) * 0x100000001b3ull);
		s ^= s >> 29;
	}
	w = 0;
	memcpy(&w, p + i, len - i);
	s = (s ^ w ^ (uint64_t)len) * 0x100000001b3ull;
	return s ^ (s >> 31);
}

static int file_size(struct chan *ch, int fd, off_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return chan_fail(ch, errno, "fstat fd=%d", fd);
	*size = st.st_size;
	return 0;
}

static int file_probe(struct chan *ch)
{
	ch->limits.max_msg_bytes = 0;
	ch->limits.unit_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "one plain file per direction, no locks, polled with back-off %ld us to %ld ms; a %zu-byte header "
		 "detects torn reads",
		 BACKOFF_SLEEP_MIN_NS / 1000, BACKOFF_SLEEP_MAX_NS / 1000000, sizeof(struct file_hdr));
	return 0;
}

static int file_create(struct chan *ch)
{
	static const char *const what[2] = {"file-c2s", "file-s2c"};
	struct file_chan *fc = ch->priv;

	for (int i = 0; i < 2; i++) {
		if (!ch->run_dir || chan_path(ch, what[i], fc->path[i], sizeof(fc->path[i])))
			return chan_fail(ch, ENAMETOOLONG, "%s path in %s", what[i],
					 ch->run_dir ? ch->run_dir : "(none)");
		fc->fd[i] = open(fc->path[i], O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fc->fd[i] < 0)
			return chan_fail(ch, errno, "open %s O_CREAT|O_EXCL mode 0600", fc->path[i]);
		fc->open[i] = fc->named[i] = true;
	}
	return 0; /* the names stay for an exec'd client: its attach unlinks them */
}

/* An exec'd client's copy of the creator's state: the descriptors are not ours. */
static void file_adopt(struct chan *ch)
{
	struct file_chan *fc = ch->priv;

	for (int i = 0; i < 2; i++) {
		fc->fd[i] = -1;
		fc->open[i] = false;
	}
}

/* Each file this process did not inherit, by its path; the client then unlinks both names. */
static int open_by_name(struct chan *ch, struct file_chan *fc, enum chan_role role)
{
	for (int i = 0; i < 2; i++) {
		int fd;

		if (fc->open[i])
			continue;
		fd = fc->named[i] ? ownfile_open(ch, fc->path[i], -1) : chan_fail(ch, EINVAL, "file: no path");
		if (fd < 0)
			return fd;
		fc->fd[i] = fd;
		fc->open[i] = true;
	}
	for (int i = 0; i < 2 && role == CHAN_CLIENT; i++) {
		if (fc->named[i])
			unlink(fc->path[i]); /* both sides hold the files: the names have done their job */
		fc->named[i] = false;
	}
	return 0;
}

/* tear=1: watch the file this side writes for the reader's reads. */
static int watch_reads(struct chan *ch, struct file_chan *fc)
{
	char self[64];

	fc->ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (fc->ino < 0)
		return chan_fail(ch, errno, "inotify_init1 (tear=1)");
	/* the file may have no name any more: its descriptor's link still names the inode */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fc->tx);
	if (inotify_add_watch(fc->ino, self, IN_ACCESS) < 0)
		return chan_fail(ch, errno, "inotify_add_watch %s IN_ACCESS (tear=1)", self);
	return 0;
}

static int file_attach(struct chan *ch, enum chan_role role)
{
	struct file_chan *fc = ch->priv;

	if (open_by_name(ch, fc, role))
		return -ch->err;
	fc->tx = fc->fd[role == CHAN_CLIENT ? C2S : S2C];
	fc->rx = fc->fd[role == CHAN_CLIENT ? S2C : C2S];
	fc->ino = -1;
	/* best effort: without it the back-off's short sleeps are 50 us */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	fc->rbuf = malloc(sizeof(struct file_hdr) + ch->msg_bytes);
	if (!fc->rbuf)
		return chan_fail(ch, ENOMEM, "read buffer of %zu bytes", sizeof(struct file_hdr) + ch->msg_bytes);
	if (chan_opt(ch, FILE_OPT_TEAR))
		return watch_reads(ch, fc);
	return 0;
}

static int write_all(struct chan *ch, int fd, struct iovec *iov, int n, off_t off)
{
	while (n) {
		ssize_t w = pwritev(fd, iov, n, off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return chan_fail(ch, w < 0 ? errno : EIO, "pwritev fd=%d off=%lld", fd, (long long)off);
		off += w;
		while (n && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

static void drain(struct file_chan *fc)
{
	char ev[256];

	while (read(fc->ino, ev, sizeof(ev)) > 0)
		;
}

/* tear=1: sleeps until the reader has read what is there (or timeout_ms). */
static void wait_for_read(struct chan *ch, struct file_chan *fc)
{
	struct pollfd p = {.fd = fc->ino, .events = POLLIN};

	if (poll(&p, 1, ch->timeout_ms > 0 ? ch->timeout_ms : 1000) > 0)
		drain(fc);
}

/* tear=1: the first half, then the rest once the reader has read the first. */
static int write_torn(struct chan *ch, struct file_chan *fc, struct file_hdr *h, const void *buf, size_t len)
{
	size_t half = (sizeof(*h) + len) / 2, hh = half < sizeof(*h) ? half : sizeof(*h), bh = half - hh;
	struct iovec first[2] = {{h, hh}, {(void *)buf, bh}};
	struct iovec rest[2] = {{(char *)h + hh, sizeof(*h) - hh}, {(char *)buf + bh, len - bh}};
	int r;

	drain(fc); /* the reads of the last message are not the reads of this one */
	r = write_all(ch, fc->tx, first, 2, 0);
	if (r)
		return r;
	wait_for_read(ch, fc);
	return write_all(ch, fc->tx, rest, 2, (off_t)half);
}

static int file_send(struct chan *ch, const void *buf, size_t len)
{
	struct file_chan *fc = ch->priv;
	struct file_hdr h = {.magic = FILE_MAGIC, .len = (uint32_t)len, .seq = fc->tx_seq};
	struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)buf, len}};
	struct backoff w;
	off_t size = 0;
	int r;

	h.sum = file_sum(&h, buf, len);
	backoff_reset(&w);
	for (;;) {
		r = file_size(ch, fc->tx, &size);
		if (r)
			return r;
		if (!size)
			break;
		r = backoff_wait(ch, &w, "file send: the reader has not emptied the file");
		if (r)
			return r;
	}
	r = fc->ino >= 0 ? write_torn(ch, fc, &h, buf, len) : write_all(ch, fc->tx, iov, 2, 0);
	if (!r)
		fc->tx_seq++;
	return r;
}

/*
 * One read of what the file holds now into fc->rbuf, as the guides' reader
 * does (*got is how much): a read that ends where the writer has got to is
 * a torn read, not something to finish with a second read.
 */
static int read_now(struct chan *ch, struct file_chan *fc, size_t want, size_t *got)
{
	ssize_t r;

	do
		r = pread(fc->rx, fc->rbuf, want, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return chan_fail(ch, errno, "pread fd=%d len=%zu", fc->rx, want);
	*got = (size_t)r;
	return 0;
}

/* Whether rbuf holds a whole, intact message (any sequence); *len_out is its length. */
static bool intact(const struct file_chan *fc, size_t got, uint32_t *len_out)
{
	struct file_hdr h;

	if (got < sizeof(h))
		return false;
	memcpy(&h, fc->rbuf, sizeof(h));
	*len_out = h.len;
	return h.magic == FILE_MAGIC && got == sizeof(h) + h.len && h.sum == file_sum(&h, fc->rbuf + sizeof(h), h.len);
}

/* One look at the file: 1 a message was taken into buf, 0 nothing (yet), or -errno. */
static int take(struct chan *ch, struct file_chan *fc, void *buf, size_t len)
{
	size_t want = sizeof(struct file_hdr) + len, got = 0;
	uint32_t mlen = 0;
	struct file_hdr h;
	off_t size = 0;
	int r = file_size(ch, fc->rx, &size);

	if (r || !size)
		return r;
	/* the writer writes exactly its message: more is a message of another size */
	if (size > (off_t)want)
		return chan_fail(ch, EPROTO, "file recv: the file holds %lld bytes, a %zu-byte message takes %zu",
				 (long long)size, len, want);
	/* the guides' reader: it has content, so it reads it */
	r = read_now(ch, fc, want, &got);
	if (r || !got)
		return r;
	if (!intact(fc, got, &mlen)) {
		ch->counters[FILE_CTR_TORN]++;
		return 0;
	}
	if (mlen != len)
		return chan_fail(ch, EPROTO, "file recv: a %u-byte message arrived, %zu expected", mlen, len);
	memcpy(&h, fc->rbuf, sizeof(h));
	if (h.seq != fc->rx_seq)
		return chan_fail(ch, EPROTO, "file recv: message %llu arrived, %llu expected",
				 (unsigned long long)h.seq, (unsigned long long)fc->rx_seq);
	memcpy(buf, fc->rbuf + sizeof(h), len);
	while (ftruncate(fc->rx, 0) < 0)
		if (errno != EINTR)
			return chan_fail(ch, errno, "ftruncate fd=%d 0", fc->rx);
	fc->rx_seq++;
	return 1;
}

static int file_recv(struct chan *ch, void *buf, size_t len)
{
	struct file_chan *fc = ch->priv;
	struct backoff w;

	backoff_reset(&w);
	for (;;) {
		int r = take(ch, fc, buf, len);

		if (r < 0)
			return r;
		if (r)
			return 0;
		r = backoff_wait(ch, &w, "file recv: the file stays empty");
		if (r)
			return r;
	}
}

static void file_detach(struct chan *ch)
{
	struct file_chan *fc = ch->priv;

	free(fc->rbuf);
	fc->rbuf = NULL;
	if (fc->ino >= 0)
		close(fc->ino);
	fc->ino = -1;
}

static void file_destroy(struct chan *ch)
{
	struct file_chan *fc = ch->priv;

	for (int i = 0; i < 2; i++) {
		if (fc->named[i])
			unlink(fc->path[i]);
		fc->named[i] = false;
		if (fc->open[i])
			close(fc->fd[i]);
		fc->open[i] = false;
	}
}

const struct transport_ops file_ops = {
	.name = "file",
	.summary = "one plain file per direction, no locks: write when empty, read and truncate (torn reads counted)",
	.kind = CHAN_MESSAGE,
	.flags = TRANSPORT_SLOW | TRANSPORT_CAN_SPIN | TRANSPORT_BY_NAME,
	.priv_size = sizeof(struct file_chan),
	.options = file_options,
	.counters = file_counters,
	.probe = file_probe,
	.create = file_create,
	.adopt = file_adopt,
	.attach = file_attach,
	.send = file_send,
	.recv = file_recv,
	.detach = file_detach,
	.destroy = file_destroy,
};
