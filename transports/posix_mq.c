/*
 * posix_mq.c - POSIX message queues: mq_open, mq_timedsend, mq_timedreceive.
 *
 * One queue per direction, named "/<tag>-c2s" and "/<tag>-s2c" (the tag is
 * unpredictable), made with O_CREAT | O_EXCL and mode 0600 by create() in
 * the creator.  On Linux a message queue descriptor is a file descriptor, so
 * forked sides inherit both open queues: they have "opened" them the
 * moment they exist.  An exec'd client (--peers exec: the server peer ran
 * create()) has nothing inherited: adopt() forgets the creator's
 * descriptors and the client's attach() opens both queues by name.  Either
 * way the client's attach() unlinks both names once it holds the queues,
 * and they live on, nameless, until the last descriptor closes.  A name
 * exists only from create() to the client's attach(); the ledger notes it
 * before mq_open, so even a SIGKILLed ipcbench leaves at most a name the
 * ledger lists.  destroy() closes the creator's descriptors and unlinks
 * any name still there (a client that never attached).
 *
 * Nothing needs /dev/mqueue: mq_open works through the kernel's internal
 * mount whether or not the mqueue filesystem is mounted anywhere.
 *
 * Limits (probe reads /proc/sys/fs/mqueue): a queue's message size is at
 * most fs.mqueue.msgsize_max (8192 here) and its depth at most
 * fs.mqueue.msg_max (10); fs.mqueue.queues_max bounds the queues on the
 * host and RLIMIT_MSGQUEUE (ulimit -q) the bytes of all one user's queues
 * (about depth * (msgsize + 96) each).  A process with CAP_SYS_RESOURCE may
 * exceed the sysctls; this transport stays within them.  Each queue is made
 * with depth msg_max and message size min(msgsize_max, the cell's size).
 *
 * Fragment rule (as sysv_mq): a message larger than the queue's message
 * size ("unit") is sent as ceil(len / unit) fragments in order, every one
 * but the last exactly unit bytes.  All fragments have priority 0 on
 * purpose: the queue delivers higher priorities first, so numbering the
 * fragments by priority would let a later message's first fragment
 * overtake an earlier message's tail.  A fragment of the wrong size is
 * -EPROTO.  Full fragments are received straight into the caller's
 * buffer; only a last fragment shorter than the unit goes through a
 * staging buffer (mq_receive refuses a buffer below mq_msgsize).
 *
 * Waiting: with CHAN_WAIT_BLOCK each send/recv computes one absolute
 * CLOCK_REALTIME deadline ch->timeout_ms ahead (what mq_timed* take: a
 * wall-clock step moves it) and fails with -ETIMEDOUT past it.  With
 * CHAN_WAIT_SPIN the queues are opened O_NONBLOCK (the open description is
 * shared by parent and children) and EAGAIN is polled.
 *
 * Options: depth (mq_maxmsg of both queues; default the host's
 * fs.mqueue.msg_max).  Linux accepts up to 65536 (HARD_MSGMAX) with
 * CAP_SYS_RESOURCE, but this transport stays within the sysctl: a depth
 * above it is a skip naming /proc/sys/fs/mqueue/msg_max.  mq_maxmsg is
 * not rounded, so probe records the depth asked; create() reads both
 * queues back with mq_getattr and fails if the kernel gave another.
 * prio (the priority every fragment is sent with, default 0): one
 * priority for all keeps FIFO order; the receiver checks each fragment
 * came with it (-EPROTO otherwise).  A prio at or above
 * sysconf(_SC_MQ_PRIO_MAX) is a skip naming that limit.
 *
 * Underload (TRANSPORT_SECOND_SENDER): the background sender (ch->background)
 * sends with priority 0, so probes sent with prio=N > 0 overtake the queued
 * flood; the server then accepts priority 0 besides prio.
 *
 * Fan-in (TRANSPORT_FAN_IN, --clients N): every client sends into the one
 * request queue "/<tag>-c2s", and the server answers each on that client's
 * own reply queue "/<tag>-s2c-<i>" (N + 1 queues, unlinked at once as
 * above; fs.mqueue.queues_max and RLIMIT_MSGQUEUE bound N).  A request
 * fragment names its sender: 4 bytes of the client's index (native order)
 * and at most mq_msgsize - 4 bytes of the message, so the request queue's
 * mq_msgsize is min(msgsize_max, size + 4).  The fragments of N senders
 * interleave in the one queue, so the server reassembles each client's
 * message in a buffer of its own (allocated only when a message takes more
 * than one fragment) and hands over whichever message completes first.  A
 * client copies each fragment once behind its index; the server copies the
 * payload out of the received fragment.  A queue has no end of file: a
 * dead client is seen by the harness's watchdog, or as a silent queue.
 */
#include "transports/chan_util.h"
#include "transports/ledger.h"
#include "common/mono.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define POSIX_MQ_SPIN_CHECK 1024 /* polls between two looks at the clock */

enum { C2S, S2C };

enum { POSIX_MQ_OPT_DEPTH, POSIX_MQ_OPT_PRIO };

static const struct transport_option posix_mq_options[] = {
	[POSIX_MQ_OPT_DEPTH] = {.name = "depth",
				.type = TOPT_COUNT,
				.def_text = "host",
				.min = 1,
				.max = 65536,
				.help = "messages each queue holds (mq_maxmsg), at most fs.mqueue.msg_max"},
	[POSIX_MQ_OPT_PRIO] = {.name = "prio",
			       .type = TOPT_COUNT,
			       .def = 0,
			       .min = 0,
			       .max = 32767,
			       .help = "the priority every message is sent with, below sysconf(_SC_MQ_PRIO_MAX)"},
	{0},
};

struct posix_mq {
	mqd_t mqd[2];
	bool open[2];  /* mqd[i] is ours to close (0 is a valid descriptor) */
	bool named[2]; /* name[i] still exists in the queue namespace */
	char name[2][96];
	size_t unit;	   /* mq_msgsize of both queues */
	unsigned int prio; /* every fragment's priority */
	mqd_t tx, rx;	   /* this side's queues, after attach */
	int txi, rxi;
	char *stage;	    /* this process's buffer for a short last fragment */
	struct mq_fan *fan; /* fan-in (ch->nclients), else NULL */
};

/* Fan-in: the reply queues, and the request queue's framing. */
struct mq_fan {
	unsigned int n;
	mqd_t *q;	    /* [n] reply queues */
	bool *open, *named; /* [n] */
	size_t req_size;    /* the request queue's mq_msgsize: index + data */
	char *frame;	    /* this process's request fragment buffer (req_size bytes) */
	char *assembly;	    /* server, messages over one fragment: [n][msg_bytes] */
	size_t *have;	    /* server: bytes of each client's message so far */
};

#define MQ_FAN_HDR 4 /* a request fragment's client index */

struct mq_wait {
	bool timed;		  /* block with a deadline */
	struct timespec deadline; /* CLOCK_REALTIME */
	unsigned int spins;
	uint64_t spin_start_ms;
};

static void wait_begin(const struct chan *ch, struct mq_wait *w)
{
	w->spins = 0;
	w->spin_start_ms = 0;
	w->timed = ch->wait == CHAN_WAIT_BLOCK && ch->timeout_ms > 0;
	if (!w->timed)
		return;
	clock_gettime(CLOCK_REALTIME, &w->deadline);
	w->deadline.tv_sec += ch->timeout_ms / 1000;
	w->deadline.tv_nsec += (long)(ch->timeout_ms % 1000) * 1000000;
	if (w->deadline.tv_nsec >= 1000000000) {
		w->deadline.tv_sec++;
		w->deadline.tv_nsec -= 1000000000;
	}
}

/* A polled queue said EAGAIN: 0 to poll again, -ETIMEDOUT past ch->timeout_ms. */
static int spin_once(struct chan *ch, struct mq_wait *w, const char *what, const char *name)
{
	chan_relax(ch);
	if (++w->spins % POSIX_MQ_SPIN_CHECK || ch->timeout_ms <= 0)
		return 0;
	if (!w->spin_start_ms) {
		w->spin_start_ms = mono_ms();
		return 0;
	}
	if (mono_ms() - w->spin_start_ms <= (uint64_t)ch->timeout_ms)
		return 0;
	return chan_fail(ch, ETIMEDOUT, "%s %s: peer silent for %d ms", what, name, ch->timeout_ms);
}

static int read_limits(struct chan *ch, long long *msg_max, long long *msgsize_max, long long *queues_max)
{
	if (chan_read_sysctl("/proc/sys/fs/mqueue/msg_max", msg_max) ||
	    chan_read_sysctl("/proc/sys/fs/mqueue/msgsize_max", msgsize_max) ||
	    chan_read_sysctl("/proc/sys/fs/mqueue/queues_max", queues_max))
		return chan_unavailable(
			ch, ENOSYS,
			"no /proc/sys/fs/mqueue: kernel built without POSIX message queues (CONFIG_POSIX_MQUEUE)");
	return 0;
}

/* The depth a queue gets: the one asked, else fs.mqueue.msg_max. */
static long long queue_depth(const struct chan *ch, long long msg_max)
{
	return chan_opt_given(ch, POSIX_MQ_OPT_DEPTH) ? chan_opt(ch, POSIX_MQ_OPT_DEPTH) : msg_max;
}

static int probe_options(struct chan *ch, long long msg_max)
{
	long long depth = queue_depth(ch, msg_max), prio = chan_opt(ch, POSIX_MQ_OPT_PRIO);
	long prio_max = sysconf(_SC_MQ_PRIO_MAX);

	if (depth > msg_max)
		return chan_unavailable(ch, EINVAL,
					"depth=%lld: above fs.mqueue.msg_max (%lld, /proc/sys/fs/mqueue/msg_max); "
					"raise the sysctl",
					depth, msg_max);
	if (prio_max > 0 && prio >= prio_max)
		return chan_unavailable(ch, EINVAL, "prio=%lld: at or above sysconf(_SC_MQ_PRIO_MAX) %ld", prio,
					prio_max);
	chan_opt_record(ch, POSIX_MQ_OPT_DEPTH, depth);
	chan_opt_record(ch, POSIX_MQ_OPT_PRIO, prio);
	return 0;
}

static int posix_mq_probe(struct chan *ch)
{
	long long msg_max, msgsize_max, queues_max;
	struct rlimit rl = {0, 0};
	int r = read_limits(ch, &msg_max, &msgsize_max, &queues_max);

	if (r)
		return r;
	if (msg_max <= 0 || msgsize_max <= 0 || queues_max <= 0)
		return chan_unavailable(
			ch, EINVAL, "fs.mqueue.msg_max %lld, msgsize_max %lld, queues_max %lld: raise them (sysctl -w)",
			msg_max, msgsize_max, queues_max);
	getrlimit(RLIMIT_MSGQUEUE, &rl);
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 2 * (rlim_t)(msgsize_max + 96))
		return chan_unavailable(
			ch, EMFILE,
			"RLIMIT_MSGQUEUE is %llu bytes, below two queues of one %lld-byte message: raise it "
			"(ulimit -q)",
			(unsigned long long)rl.rlim_cur, msgsize_max);
	r = probe_options(ch, msg_max);
	if (r)
		return r;
	ch->limits.max_msg_bytes = 0;
	ch->limits.unit_bytes = (size_t)msgsize_max;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "fragments of %lld bytes: fs.mqueue.msgsize_max %lld, %lld deep (msg_max %lld), queues_max %lld; "
		 "RLIMIT_MSGQUEUE %lld",
		 msgsize_max, msgsize_max, ch->limits.opt[POSIX_MQ_OPT_DEPTH], msg_max, queues_max,
		 rl.rlim_cur == RLIM_INFINITY ? -1LL : (long long)rl.rlim_cur);
	return 0;
}

/* mq_open failed: say which limit to raise. */
static int open_failed(struct chan *ch, int e, const char *name, const struct mq_attr *a)
{
	long long qmax = 0;
	struct rlimit rl = {0, 0};

	switch (e) {
	case EMFILE:
		getrlimit(RLIMIT_MSGQUEUE, &rl);
		return chan_fail(ch, e,
				 "mq_open %s depth=%ld msgsize=%ld: raise RLIMIT_MSGQUEUE (ulimit -q, now %llu bytes) "
				 "or the open-file limit (ulimit -n)",
				 name, a->mq_maxmsg, a->mq_msgsize, (unsigned long long)rl.rlim_cur);
	case ENOSPC:
		chan_read_sysctl("/proc/sys/fs/mqueue/queues_max", &qmax);
		return chan_fail(ch, e,
				 "mq_open %s: fs.mqueue.queues_max (%lld) queues exist: raise fs.mqueue.queues_max",
				 name, qmax);
	case EINVAL:
		return chan_fail(ch, e, "mq_open %s depth=%ld msgsize=%ld: beyond fs.mqueue.msg_max or msgsize_max",
				 name, a->mq_maxmsg, a->mq_msgsize);
	case ENOSYS:
		return chan_fail(ch, e, "mq_open %s: kernel built without POSIX message queues (CONFIG_POSIX_MQUEUE)",
				 name);
	default:
		return chan_fail(ch, e, "mq_open %s depth=%ld msgsize=%ld", name, a->mq_maxmsg, a->mq_msgsize);
	}
}

/* A new queue of name, noted in the ledger before it exists: 0 with *mqd set, or -errno. */
static int open_named(struct chan *ch, const char *name, struct mq_attr *a, mqd_t *mqd)
{
	int oflag = O_RDWR | O_CREAT | O_EXCL | (ch->wait == CHAN_WAIT_SPIN ? O_NONBLOCK : 0);
	int r = chan_ledger_add(ch, LEDGER_POSIX_MQ, name);

	if (r)
		return r;
	*mqd = mq_open(name, oflag, 0600, a);
	return *mqd == (mqd_t)-1 ? open_failed(ch, errno, name, a) : 0;
}

static int open_queue(struct chan *ch, struct posix_mq *q, int i, struct mq_attr *a)
{
	static const char *const what[] = {"c2s", "s2c"};
	int n = snprintf(q->name[i], sizeof(q->name[i]), "/%s-%s", ch->tag, what[i]);

	if (n < 0 || (size_t)n >= sizeof(q->name[i]))
		return chan_fail(ch, ENAMETOOLONG, "queue name /%s-%s", ch->tag, what[i]);
	n = open_named(ch, q->name[i], a, &q->mqd[i]);
	if (n)
		return n;
	q->open[i] = true;
	q->named[i] = true;
	return 0;
}

/* ---- fan-in: the reply queues ---- */

static int fan_reply_name(const struct chan *ch, unsigned int i, char *out, size_t len)
{
	int n = snprintf(out, len, "/%s-s2c-%u", ch->tag, i);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The n reply queues (attr a: the reply unit), opened and then unlinked: each child inherits them. */
static int fan_create(struct chan *ch, struct posix_mq *q, struct mq_attr *a)
{
	struct mq_fan *f = calloc(1, sizeof(*f));
	char name[96];

	q->fan = f;
	if (!f)
		return chan_fail(ch, ENOMEM, "fan-in state for %u clients", ch->nclients);
	f->n = ch->nclients;
	f->q = calloc(f->n, sizeof(*f->q));
	f->open = calloc(f->n, sizeof(*f->open));
	f->named = calloc(f->n, sizeof(*f->named));
	if (!f->q || !f->open || !f->named)
		return chan_fail(ch, ENOMEM, "fan-in state for %u clients", f->n);
	for (unsigned int i = 0; i < f->n; i++) {
		int r = fan_reply_name(ch, i, name, sizeof(name));

		if (r)
			return chan_fail(ch, -r, "queue name /%s-s2c-%u", ch->tag, i);
		r = open_named(ch, name, a, &f->q[i]);
		if (r)
			return r;
		f->open[i] = f->named[i] = true;
	}
	for (unsigned int i = 0; i < f->n; i++) {
		fan_reply_name(ch, i, name, sizeof(name));
		if (mq_unlink(name) < 0)
			return chan_fail(ch, errno, "mq_unlink %s", name);
		f->named[i] = false;
	}
	return 0;
}

static void fan_destroy(struct chan *ch, struct posix_mq *q)
{
	struct mq_fan *f = q->fan;
	char name[96];

	if (!f)
		return;
	for (unsigned int i = 0; f->q && i < f->n; i++) {
		if (f->named[i] && !fan_reply_name(ch, i, name, sizeof(name)))
			mq_unlink(name); /* ENOENT: already gone */
		if (f->open[i])
			mq_close(f->q[i]);
	}
	free(f->q);
	free(f->open);
	free(f->named);
	free(f);
	q->fan = NULL;
}

static int posix_mq_create(struct chan *ch)
{
	struct posix_mq *q = ch->priv;
	long long msg_max, msgsize_max, queues_max;
	struct mq_attr a = {0};
	int r = read_limits(ch, &msg_max, &msgsize_max, &queues_max);

	if (r)
		return r;
	q->unit = (size_t)msgsize_max;
	if (ch->msg_bytes && ch->msg_bytes < q->unit)
		q->unit = ch->msg_bytes;
	a.mq_maxmsg = (long)queue_depth(ch, msg_max);
	a.mq_msgsize = (long)q->unit;
	q->prio = (unsigned int)chan_opt(ch, POSIX_MQ_OPT_PRIO);
	if (ch->nclients) { /* the replies: one queue per client; the requests carry their sender */
		r = fan_create(ch, q, &a);
		if (r)
			return r;
		q->fan->req_size = ch->msg_bytes + MQ_FAN_HDR < (size_t)msgsize_max ? ch->msg_bytes + MQ_FAN_HDR
										    : (size_t)msgsize_max;
		a.mq_msgsize = (long)q->fan->req_size;
	}
	for (int i = 0; i < (ch->nclients ? 1 : 2); i++) {
		struct mq_attr got = {0};

		r = open_queue(ch, q, i, &a);
		if (r)
			return r;
		if (mq_getattr(q->mqd[i], &got) < 0)
			return chan_fail(ch, errno, "mq_getattr %s", q->name[i]);
		if (got.mq_maxmsg != a.mq_maxmsg) /* probe recorded the depth asked */
			return chan_fail(ch, EPROTO, "mq_open %s: depth %ld asked, %ld granted", q->name[i],
					 a.mq_maxmsg, got.mq_maxmsg);
	}
	if (ch->nclients) { /* a fan-in group is forked: every member inherits the request queue */
		if (mq_unlink(q->name[0]) < 0)
			return chan_fail(ch, errno, "mq_unlink %s", q->name[0]);
		q->named[0] = false;
	}
	return 0; /* otherwise the names stay for the client's attach() */
}

/* The client: both queues, by name where not inherited (an exec'd client); then the names go. */
static int client_open(struct chan *ch, struct posix_mq *q)
{
	int oflag = O_RDWR | (ch->wait == CHAN_WAIT_SPIN ? O_NONBLOCK : 0);

	for (int i = 0; i < 2; i++) {
		if (q->open[i])
			continue;
		q->mqd[i] = mq_open(q->name[i], oflag);
		if (q->mqd[i] == (mqd_t)-1)
			return chan_fail(ch, errno, "mq_open %s (by name)", q->name[i]);
		q->open[i] = true;
	}
	for (int i = 0; i < 2; i++) {
		if (q->named[i] && mq_unlink(q->name[i]) < 0 && errno != ENOENT)
			return chan_fail(ch, errno, "mq_unlink %s", q->name[i]);
		q->named[i] = false;
	}
	return 0;
}

/* An exec'd client's copy of the creator's state: the descriptors are not this process's, the names are. */
static void posix_mq_adopt(struct chan *ch)
{
	struct posix_mq *q = ch->priv;

	for (int i = 0; i < 2; i++)
		q->open[i] = false;
	q->stage = NULL;
}

/* A client receives on its own reply queue; the server keeps every one and a buffer per client. */
static int fan_attach(struct chan *ch, struct posix_mq *q, enum chan_role role)
{
	struct mq_fan *f = q->fan;
	size_t ru = f->req_size - MQ_FAN_HDR;

	f->frame = malloc(f->req_size);
	if (!f->frame)
		return chan_fail(ch, ENOMEM, "request fragment buffer of %zu bytes", f->req_size);
	if (role == CHAN_CLIENT) {
		if (ch->client >= f->n)
			return chan_fail(ch, EINVAL, "client %u of %u", ch->client, f->n);
		q->rx = f->q[ch->client];
		fan_reply_name(ch, ch->client, q->name[S2C], sizeof(q->name[S2C]));
		return 0;
	}
	f->have = calloc(f->n, sizeof(*f->have));
	if (!f->have)
		return chan_fail(ch, ENOMEM, "fan-in state for %u clients", f->n);
	if (ch->msg_bytes > ru && !(f->assembly = malloc(f->n * ch->msg_bytes)))
		return chan_fail(ch, ENOMEM, "%u reassembly buffers of %zu bytes", f->n, ch->msg_bytes);
	return 0;
}

static int posix_mq_attach(struct chan *ch, enum chan_role role)
{
	struct posix_mq *q = ch->priv;

	if (role == CHAN_CLIENT && !q->fan && client_open(ch, q))
		return -ch->err;
	q->txi = role == CHAN_CLIENT ? C2S : S2C;
	q->rxi = 1 - q->txi;
	q->tx = q->mqd[q->txi];
	q->rx = q->mqd[q->rxi];
	if (ch->background)
		q->prio = 0; /* below the probes' prio: they overtake the flood */
	q->stage = malloc(q->unit);
	if (!q->stage)
		return chan_fail(ch, ENOMEM, "staging buffer of %zu bytes", q->unit);
	if (q->fan && role == CHAN_SERVER)
		q->tx = (mqd_t)-1; /* send_to picks the client's queue */
	return q->fan ? fan_attach(ch, q, role) : 0;
}

static int send_fragment(struct chan *ch, struct posix_mq *q, const char *p, size_t n, struct mq_wait *w)
{
	for (;;) {
		int r = w->timed ? mq_timedsend(q->tx, p, n, q->prio, &w->deadline) : mq_send(q->tx, p, n, q->prio);

		if (r == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == ETIMEDOUT)
			return chan_fail(ch, ETIMEDOUT, "mq_timedsend %s len=%zu: queue full for %d ms",
					 q->name[q->txi], n, ch->timeout_ms);
		if (errno != EAGAIN || ch->wait != CHAN_WAIT_SPIN)
			return chan_fail(ch, errno, "mq_send %s len=%zu", q->name[q->txi], n);
		if (spin_once(ch, w, "mq_send", q->name[q->txi]))
			return -ETIMEDOUT;
	}
}

/* A fan-in client: each fragment behind the client's index. */
static int fan_send(struct chan *ch, struct posix_mq *q, const char *p, size_t len)
{
	size_t ru = q->fan->req_size - MQ_FAN_HDR;
	uint32_t idx = ch->client;
	struct mq_wait w;

	wait_begin(ch, &w);
	memcpy(q->fan->frame, &idx, MQ_FAN_HDR);
	for (size_t off = 0; off < len; off += ru) {
		size_t n = len - off < ru ? len - off : ru;
		int r;

		memcpy(q->fan->frame + MQ_FAN_HDR, p + off, n);
		r = send_fragment(ch, q, q->fan->frame, n + MQ_FAN_HDR, &w);
		if (r)
			return r;
	}
	return 0;
}

static int posix_mq_send(struct chan *ch, const void *buf, size_t len)
{
	struct posix_mq *q = ch->priv;
	const char *p = buf;
	struct mq_wait w;

	if (q->fan && ch->role == CHAN_CLIENT)
		return fan_send(ch, q, p, len);
	wait_begin(ch, &w);
	for (size_t off = 0; off < len; off += q->unit) {
		size_t n = len - off < q->unit ? len - off : q->unit;
		int r = send_fragment(ch, q, p + off, n, &w);

		if (r)
			return r;
	}
	return 0;
}

/* Receives one message of at most cap bytes (the queue's mq_msgsize) into dst; returns its size or -errno. */
static ssize_t recv_fragment(struct chan *ch, struct posix_mq *q, char *dst, size_t cap, struct mq_wait *w)
{
	for (;;) {
		unsigned int prio = 0;
		ssize_t n = w->timed ? mq_timedreceive(q->rx, dst, cap, &prio, &w->deadline)
				     : mq_receive(q->rx, dst, cap, &prio);

		if (n >= 0 && prio != q->prio && !(ch->underload && prio == 0))
			return chan_fail(ch, EPROTO, "mq_receive %s: priority %u, sent with %u", q->name[q->rxi], prio,
					 q->prio);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == ETIMEDOUT)
			return chan_fail(ch, ETIMEDOUT, "mq_timedreceive %s: peer silent for %d ms", q->name[q->rxi],
					 ch->timeout_ms);
		if (errno != EAGAIN || ch->wait != CHAN_WAIT_SPIN)
			return chan_fail(ch, errno, "mq_receive %s len=%zu", q->name[q->rxi], q->unit);
		if (spin_once(ch, w, "mq_receive", q->name[q->rxi]))
			return -ETIMEDOUT;
	}
}

static int posix_mq_recv(struct chan *ch, void *buf, size_t len)
{
	struct posix_mq *q = ch->priv;
	char *p = buf;
	struct mq_wait w;

	wait_begin(ch, &w);
	for (size_t off = 0; off < len; off += q->unit) {
		size_t want = len - off < q->unit ? len - off : q->unit;
		char *dst = want == q->unit ? p + off : q->stage;
		ssize_t n = recv_fragment(ch, q, dst, q->unit, &w);

		if (n < 0)
			return (int)n;
		if ((size_t)n != want)
			return chan_fail(ch, EPROTO, "mq_receive %s: fragment at byte %zu has %zd bytes, expected %zu",
					 q->name[q->rxi], off, n, want);
		if (dst != p + off)
			memcpy(p + off, dst, want);
	}
	return 0;
}

/*
 * The server: request fragments, each into its sender's message, until one
 * message is whole (one fragment: straight into buf).
 */
static int posix_mq_recv_any(struct chan *ch, void *buf, size_t len, unsigned int *client)
{
	struct posix_mq *q = ch->priv;
	struct mq_fan *f = q->fan;
	size_t ru = f->req_size - MQ_FAN_HDR;
	struct mq_wait w;

	wait_begin(ch, &w);
	for (;;) {
		ssize_t n = recv_fragment(ch, q, f->frame, f->req_size, &w);
		uint32_t c;
		size_t want, data;

		if (n < 0)
			return (int)n;
		if (n <= MQ_FAN_HDR)
			return chan_fail(ch, EPROTO, "mq_receive %s: a request of %zd bytes", q->name[C2S], n);
		memcpy(&c, f->frame, MQ_FAN_HDR);
		if (c >= f->n)
			return chan_fail(ch, EPROTO, "mq_receive %s: a request from client %u of %u", q->name[C2S], c,
					 f->n);
		*client = c;
		data = (size_t)n - MQ_FAN_HDR;
		want = len - f->have[c] < ru ? len - f->have[c] : ru;
		if (data != want)
			return chan_fail(ch, EPROTO, "client %u: a fragment of %zu bytes at byte %zu, expected %zu", c,
					 data, f->have[c], want);
		if (len <= ru) {
			memcpy(buf, f->frame + MQ_FAN_HDR, len);
			return 0;
		}
		memcpy(f->assembly + (size_t)c * len + f->have[c], f->frame + MQ_FAN_HDR, data);
		f->have[c] += data;
		if (f->have[c] == len) {
			memcpy(buf, f->assembly + (size_t)c * len, len);
			f->have[c] = 0;
			return 0;
		}
	}
}

static int posix_mq_send_to(struct chan *ch, unsigned int client, const void *buf, size_t len)
{
	struct posix_mq *q = ch->priv;

	if (client >= q->fan->n)
		return chan_fail(ch, EINVAL, "send to client %u of %u", client, q->fan->n);
	q->tx = q->fan->q[client];
	fan_reply_name(ch, client, q->name[S2C], sizeof(q->name[S2C]));
	q->txi = S2C;
	return posix_mq_send(ch, buf, len);
}

static void posix_mq_detach(struct chan *ch)
{
	struct posix_mq *q = ch->priv;

	free(q->stage);
	q->stage = NULL;
	if (q->fan) {
		free(q->fan->frame);
		free(q->fan->have);
		free(q->fan->assembly);
		q->fan->frame = q->fan->assembly = NULL;
		q->fan->have = NULL;
	}
}

static void posix_mq_destroy(struct chan *ch)
{
	struct posix_mq *q = ch->priv;

	fan_destroy(ch, q);
	for (int i = 0; i < 2; i++) {
		if (q->named[i])
			mq_unlink(q->name[i]); /* ENOENT: already gone */
		q->named[i] = false;
		if (q->open[i])
			mq_close(q->mqd[i]);
		q->open[i] = false;
	}
}

const struct transport_ops posix_mq_ops = {
	.name = "posix_mq",
	.summary = "POSIX message queues (mq_open/mq_timedsend/mq_timedreceive), one per direction",
	.kind = CHAN_MESSAGE,
	.flags = TRANSPORT_CAN_SPIN | TRANSPORT_SECOND_SENDER | TRANSPORT_BY_NAME | TRANSPORT_FAN_IN,
	.priv_size = sizeof(struct posix_mq),
	.options = posix_mq_options,
	.probe = posix_mq_probe,
	.create = posix_mq_create,
	.adopt = posix_mq_adopt,
	.attach = posix_mq_attach,
	.send = posix_mq_send,
	.recv = posix_mq_recv,
	.recv_any = posix_mq_recv_any,
	.send_to = posix_mq_send_to,
	.detach = posix_mq_detach,
	.destroy = posix_mq_destroy,
};
