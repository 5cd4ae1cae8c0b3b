/*
 * sysv_mq.c - System V message queues: msgget, msgsnd, msgrcv.
 *
 * Two queues, one per direction ([0] client to server, [1] server to
 * client), rather than one queue with an mtype per direction: each
 * direction gets its own kernel.msgmnb byte budget, so a large message
 * queued one way can never starve the other way (a shared queue would make
 * a stream of requests block the replies), and msgrcv can take the first
 * message (msgtyp 0) instead of scanning the queue for a type.  The mtype
 * is then free to check the fragment order (below).
 *
 * Limits (probe reads them from /proc/sys/kernel): one kernel message is at
 * most msgmax bytes (8192 on a stock kernel) and a queue holds at most
 * msgmnb bytes (16384), so a message that did not fit msgmnb would block
 * msgsnd forever: the fragment size ("unit") is min(msgmax, msgmnb).
 * kernel.msgmni bounds the number of queues on the host.
 *
 * Fragment rule: a message of len bytes is sent as ceil(len / unit)
 * fragments in order; every fragment but the last carries exactly unit
 * bytes.  Fragment i of n has mtype n - i (the last one has mtype 1), so a
 * receiver that sees a fragment of the wrong size or the wrong mtype
 * returns -EPROTO instead of gluing a message together wrongly.  One
 * writer per queue and FIFO order keep the fragments in sequence.
 *
 * msgsnd/msgrcv need the payload behind a long mtype, so each side copies
 * through a staging buffer (unit bytes, allocated in attach): that copy is
 * part of what a SysV queue costs a real program and is measured.
 *
 * Waiting: msgrcv and msgsnd have no timed form.  With CHAN_WAIT_BLOCK they
 * block and the harness's watchdog bounds a wait on a dead peer; with
 * CHAN_WAIT_SPIN they are polled with IPC_NOWAIT and give up after
 * ch->timeout_ms.  EINTR is retried; EIDRM (the queue removed under us)
 * is an error.
 *
 * Ordering trap: SysV queues outlive every process.  create() notes each
 * queue's key in the ledger before msgget (transports/ledger.h) and destroy() removes it with
 * IPC_RMID, so only a SIGKILLed ipcbench can leave a queue, which the
 * ledger then lists for `ipcbench clean`.
 *
 * Option depth (bytes a queue holds, msg_qbytes; default the host's
 * kernel.msgmnb): create() sets it on each queue with IPC_SET and reads
 * it back with IPC_STAT (the kernel takes the value as given, so probe
 * records the depth asked and create() fails if another was granted).
 * The fragment size becomes min(msgmax, depth).  Raising a queue above
 * kernel.msgmnb needs CAP_SYS_RESOURCE (EPERM otherwise): probe reads
 * CapEff from /proc/self/status and skips such a depth without it.
 */
#include "transports/chan_util.h"
#include "transports/ledger.h"
#include "common/mono.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <time.h>

#define SYSV_MQ_SPIN_CHECK 1024 /* polls between two looks at the clock */

enum { C2S, S2C };

struct sysv_mq_buf {
	long mtype;
	char mtext[];
};

enum { SYSV_MQ_OPT_DEPTH };

static const struct transport_option sysv_mq_options[] = {
	[SYSV_MQ_OPT_DEPTH] = {.name = "depth",
			       .type = TOPT_SIZE,
			       .def_text = "host",
			       .min = 256,
			       .max = 256 << 20,
			       .help = "bytes each queue holds (msg_qbytes, IPC_SET); above kernel.msgmnb needs "
				       "CAP_SYS_RESOURCE"},
	{0},
};

struct sysv_mq {
	int id[2];
	bool made[2];		   /* id[i] exists (0 is a valid id) */
	size_t unit;		   /* fragment bytes in this cell */
	int tx, rx;		   /* this side's queues, after attach */
	struct sysv_mq_buf *stage; /* this process's staging buffer */
};

/* One spin of a polled wait: 0 to poll again, -ETIMEDOUT past ch->timeout_ms. */
static int spin_once(struct chan *ch, unsigned int *spins, uint64_t *start_ms, const char *what, int id)
{
	chan_relax(ch);
	if (++*spins % SYSV_MQ_SPIN_CHECK || ch->timeout_ms <= 0)
		return 0;
	if (!*start_ms) {
		*start_ms = mono_ms();
		return 0;
	}
	if (mono_ms() - *start_ms <= (uint64_t)ch->timeout_ms)
		return 0;
	return chan_fail(ch, ETIMEDOUT, "%s id=%d: peer silent for %d ms", what, id, ch->timeout_ms);
}

/* Whether this process holds CAP_SYS_RESOURCE (CapEff in /proc/self/status). */
static bool has_sys_resource(void)
{
	char line[128];
	unsigned long long eff = 0;
	bool found = false;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "CapEff: %llx", &eff) == 1;
	fclose(f);
	return found && (eff >> 24 & 1); /* CAP_SYS_RESOURCE is capability 24 */
}

/* The bytes a queue holds: the depth asked, else kernel.msgmnb; a skip above msgmnb without the capability. */
static int probe_depth(struct chan *ch, long long msgmnb, long long *depth)
{
	*depth = chan_opt_given(ch, SYSV_MQ_OPT_DEPTH) ? chan_opt(ch, SYSV_MQ_OPT_DEPTH) : msgmnb;
	if (*depth > msgmnb && !has_sys_resource())
		return chan_unavailable(ch, EPERM,
					"depth=%lld: above kernel.msgmnb (%lld, /proc/sys/kernel/msgmnb) needs "
					"CAP_SYS_RESOURCE; raise the sysctl",
					*depth, msgmnb);
	chan_opt_record(ch, SYSV_MQ_OPT_DEPTH, *depth);
	return 0;
}

static int sysv_mq_probe(struct chan *ch)
{
	long long msgmax, msgmnb, msgmni, depth;
	int r;

	if (chan_read_sysctl("/proc/sys/kernel/msgmax", &msgmax) ||
	    chan_read_sysctl("/proc/sys/kernel/msgmnb", &msgmnb) ||
	    chan_read_sysctl("/proc/sys/kernel/msgmni", &msgmni))
		return chan_unavailable(
			ch, ENOSYS, "no /proc/sys/kernel/msgmax: kernel built without System V IPC (CONFIG_SYSVIPC)");
	if (msgmni <= 0)
		return chan_unavailable(ch, ENOSPC, "kernel.msgmni is %lld: raise it (sysctl -w kernel.msgmni=32000)",
					msgmni);
	if (msgmax <= 0 || msgmnb <= 0)
		return chan_unavailable(ch, EINVAL, "kernel.msgmax %lld, kernel.msgmnb %lld: raise both", msgmax,
					msgmnb);
	r = probe_depth(ch, msgmnb, &depth);
	if (r)
		return r;
	ch->limits.max_msg_bytes = 0;
	ch->limits.unit_bytes = (size_t)(msgmax < depth ? msgmax : depth);
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "fragments of %zu bytes: kernel.msgmax %lld, %lld bytes per queue (kernel.msgmnb %lld), "
		 "kernel.msgmni %lld",
		 ch->limits.unit_bytes, msgmax, depth, msgmnb, msgmni);
	return 0;
}

static int new_queue(struct chan *ch, struct sysv_mq *q, int i)
{
	long long mni = 0;

	/* a key of the run's, noted in the ledger before the queue exists */
	q->id[i] = chan_sysv_create(ch, LEDGER_SYSV_MSG, 0, 0, 0600);
	if (q->id[i] < 0) {
		int e = errno;

		if (e != ENOSPC)
			return chan_fail(ch, e, "msgget mode 0600");
		chan_read_sysctl("/proc/sys/kernel/msgmni", &mni);
		return chan_fail(ch, e, "msgget: kernel.msgmni (%lld) queues exist: raise kernel.msgmni", mni);
	}
	q->made[i] = true;
	return 0;
}

/* Sets the queue's msg_qbytes to the depth probe recorded and reads it back. */
static int set_depth(struct chan *ch, struct sysv_mq *q, int i)
{
	long long want = ch->limits.opt[SYSV_MQ_OPT_DEPTH];
	struct msqid_ds ds;

	if (msgctl(q->id[i], IPC_STAT, &ds) < 0)
		return chan_fail(ch, errno, "msgctl IPC_STAT id=%d", q->id[i]);
	if ((long long)ds.msg_qbytes == want)
		return 0;
	ds.msg_qbytes = (msglen_t)want;
	if (msgctl(q->id[i], IPC_SET, &ds) < 0) {
		if (errno == EPERM)
			return chan_fail(ch, errno,
					 "msgctl IPC_SET msg_qbytes=%lld id=%d: above kernel.msgmnb needs "
					 "CAP_SYS_RESOURCE",
					 want, q->id[i]);
		return chan_fail(ch, errno, "msgctl IPC_SET msg_qbytes=%lld id=%d", want, q->id[i]);
	}
	if (msgctl(q->id[i], IPC_STAT, &ds) < 0)
		return chan_fail(ch, errno, "msgctl IPC_STAT id=%d", q->id[i]);
	if ((long long)ds.msg_qbytes != want)
		return chan_fail(ch, EPROTO, "msgctl id=%d: msg_qbytes %lld asked, %llu granted", q->id[i], want,
				 (unsigned long long)ds.msg_qbytes);
	return 0;
}

static int sysv_mq_create(struct chan *ch)
{
	struct sysv_mq *q = ch->priv;
	int r;

	if (!ch->limits.unit_bytes) {
		r = sysv_mq_probe(ch);
		if (r)
			return r;
	}
	q->unit = ch->limits.unit_bytes;
	if (ch->msg_bytes && ch->msg_bytes < q->unit)
		q->unit = ch->msg_bytes; /* the staging buffers need no more */
	for (int i = 0; i < 2; i++) {
		r = new_queue(ch, q, i);
		if (!r)
			r = set_depth(ch, q, i);
		if (r)
			return r;
	}
	return 0;
}

static int sysv_mq_attach(struct chan *ch, enum chan_role role)
{
	struct sysv_mq *q = ch->priv;

	q->tx = q->id[role == CHAN_CLIENT ? C2S : S2C];
	q->rx = q->id[role == CHAN_CLIENT ? S2C : C2S];
	q->stage = malloc(sizeof(*q->stage) + q->unit);
	if (!q->stage)
		return chan_fail(ch, ENOMEM, "staging buffer of %zu bytes", q->unit);
	return 0;
}

static int send_fragment(struct chan *ch, struct sysv_mq *q, size_t n)
{
	int flags = ch->wait == CHAN_WAIT_SPIN ? IPC_NOWAIT : 0;
	unsigned int spins = 0;
	uint64_t start = 0;

	for (;;) {
		if (msgsnd(q->tx, q->stage, n, flags) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || !flags)
			return chan_fail(ch, errno, "msgsnd id=%d len=%zu", q->tx, n);
		if (spin_once(ch, &spins, &start, "msgsnd", q->tx))
			return -ETIMEDOUT;
	}
}

static int sysv_mq_send(struct chan *ch, const void *buf, size_t len)
{
	struct sysv_mq *q = ch->priv;
	const char *p = buf;
	size_t nfrag = (len + q->unit - 1) / q->unit;

	for (size_t i = 0; i < nfrag; i++) {
		size_t n = len - i * q->unit < q->unit ? len - i * q->unit : q->unit;
		int r;

		q->stage->mtype = (long)(nfrag - i);
		memcpy(q->stage->mtext, p + i * q->unit, n);
		r = send_fragment(ch, q, n);
		if (r)
			return r;
	}
	return 0;
}

/* Receives one fragment into the staging buffer; returns its size or -errno. */
static ssize_t recv_fragment(struct chan *ch, struct sysv_mq *q)
{
	int flags = ch->wait == CHAN_WAIT_SPIN ? IPC_NOWAIT : 0;
	unsigned int spins = 0;
	uint64_t start = 0;

	for (;;) {
		ssize_t n = msgrcv(q->rx, q->stage, q->unit, 0, flags);

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == E2BIG)
			return chan_fail(ch, EPROTO, "msgrcv id=%d len=%zu: a fragment longer than %zu bytes", q->rx,
					 q->unit, q->unit);
		if (errno != ENOMSG || !flags)
			return chan_fail(ch, errno, "msgrcv id=%d len=%zu", q->rx, q->unit);
		if (spin_once(ch, &spins, &start, "msgrcv", q->rx))
			return -ETIMEDOUT;
	}
}

static int sysv_mq_recv(struct chan *ch, void *buf, size_t len)
{
	struct sysv_mq *q = ch->priv;
	char *p = buf;
	size_t nfrag = (len + q->unit - 1) / q->unit;

	for (size_t i = 0; i < nfrag; i++) {
		size_t want = len - i * q->unit < q->unit ? len - i * q->unit : q->unit;
		ssize_t n = recv_fragment(ch, q);

		if (n < 0)
			return (int)n;
		if ((size_t)n != want || q->stage->mtype != (long)(nfrag - i))
			return chan_fail(
				ch, EPROTO,
				"msgrcv id=%d: fragment %zu of %zu has %zd bytes and mtype %ld, expected %zu and %zu",
				q->rx, i + 1, nfrag, n, q->stage->mtype, want, nfrag - i);
		memcpy(p + i * q->unit, q->stage->mtext, want);
	}
	return 0;
}

static void sysv_mq_detach(struct chan *ch)
{
	struct sysv_mq *q = ch->priv;

	free(q->stage);
	q->stage = NULL;
}

static void sysv_mq_destroy(struct chan *ch)
{
	struct sysv_mq *q = ch->priv;

	for (int i = 0; i < 2; i++) {
		if (!q->made[i])
			continue;
		/* EINVAL/EIDRM: already gone (ipcrm, a previous destroy) */
		msgctl(q->id[i], IPC_RMID, NULL);
		q->made[i] = false;
	}
}

const struct transport_ops sysv_mq_ops = {
	.name = "sysv_mq",
	.summary = "System V message queues (msgget/msgsnd/msgrcv), one per direction, fragments of msgmax",
	.kind = CHAN_MESSAGE,
	.flags = TRANSPORT_CAN_SPIN | TRANSPORT_BY_NAME | TRANSPORT_SECOND_SENDER,
	.priv_size = sizeof(struct sysv_mq),
	.options = sysv_mq_options,
	.probe = sysv_mq_probe,
	.create = sysv_mq_create,
	.attach = sysv_mq_attach,
	.send = sysv_mq_send,
	.recv = sysv_mq_recv,
	.detach = sysv_mq_detach,
	.destroy = sysv_mq_destroy,
};
