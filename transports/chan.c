/*
 * chan.c - the channel's life as the engine sees it (chan_open/chan_close
 * around the hooks), and the small helpers every transport uses:
 * first-error recording with context, names in the run directory,
 * reading an integer limit from /proc, and the ledger writer (notes a
 * POSIX name, or creates a SysV object under a noted key).
 */
#include "transports/chan_util.h"
#include "transports/ledger.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

static int chan_vfail(struct chan *ch, int err, const char *fmt, va_list ap)
{
	size_t n;

	if (err < 0)
		err = -err;
	if (err == 0)
		err = EIO;
	if (ch->err)
		return -err;
	ch->err = err;
	vsnprintf(ch->errmsg, sizeof(ch->errmsg), fmt, ap);
	n = strlen(ch->errmsg);
	snprintf(ch->errmsg + n, sizeof(ch->errmsg) - n, ": %s", strerror(err));
	return -err;
}

int chan_fail(struct chan *ch, int err, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = chan_vfail(ch, err, fmt, ap);
	va_end(ap);
	return r;
}

int chan_unavailable(struct chan *ch, int err, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (!ch->err)
		ch->unavailable = true;
	va_start(ap, fmt);
	r = chan_vfail(ch, err, fmt, ap);
	va_end(ap);
	return r;
}

/* ---- the engine's side (transport.h) ---- */

int chan_probe(struct chan *ch, const struct transport_ops *ops)
{
	ch->ops = ops;
	memset(&ch->limits, 0, sizeof(ch->limits));
	ch->err = 0;
	ch->errmsg[0] = 0;
	ch->unavailable = false;
	for (size_t i = 0; i < transport_option_count(ops) && i < TRANSPORT_MAX_OPTIONS; i++)
		ch->limits.opt[i] = chan_opt(ch, (int)i);
	return ops->probe ? ops->probe(ch) : 0;
}

int chan_open(struct chan *ch, const struct transport_ops *ops)
{
	int r;

	ch->ops = ops;
	ch->priv = calloc(1, ops->priv_size ? ops->priv_size : 1);
	if (!ch->priv)
		return chan_fail(ch, ENOMEM, "%zu bytes of channel state", ops->priv_size);
	r = ops->create(ch);
	if (r)
		chan_close(ch); /* destroy() undoes a partial create() */
	return r;
}

void chan_close(struct chan *ch)
{
	if (!ch->priv)
		return;
	ch->ops->destroy(ch);
	free(ch->priv);
	ch->priv = NULL;
}

int chan_path(const struct chan *ch, const char *what, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%s-%s", ch->run_dir, ch->tag, what);

	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

int chan_read_sysctl(const char *path, long long *val)
{
	FILE *f = fopen(path, "re");
	int r;

	if (!f)
		return -errno;
	r = fscanf(f, "%lld", val) == 1 ? 0 : -EINVAL;
	fclose(f);
	return r;
}

int chan_ledger_path(const struct chan *ch, char *out, size_t outlen)
{
	int n;

	if (!ch->run_dir || !ch->tag)
		return -EINVAL;
	n = snprintf(out, outlen, "%s/%s.ledger", ch->run_dir, ch->tag);
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

int chan_ledger_add(struct chan *ch, enum ledger_kind kind, const char *name)
{
	struct ledger_entry e = {.kind = kind, .state = LEDGER_INTENT};
	char path[4096];
	int r;

	if (chan_ledger_path(ch, path, sizeof(path)))
		return 0; /* no run directory (a probe): nothing to note */
	if (snprintf(e.name, sizeof(e.name), "%s", name) >= (int)sizeof(e.name))
		return chan_fail(ch, ENAMETOOLONG, "ledger entry %s", name);
	r = ledger_append(path, &e);
	return r ? chan_fail(ch, r, "write ledger %s", path) : 0;
}

static int sysv_get(enum ledger_kind kind, key_t key, size_t bytes, int nsems, int flags)
{
	if (kind == LEDGER_SYSV_MSG)
		return msgget(key, flags);
	if (kind == LEDGER_SYSV_SHM)
		return shmget(key, bytes, flags);
	if (kind == LEDGER_SYSV_SEM)
		return semget(key, nsems, flags);
	errno = EINVAL;
	return -1;
}

/* The object's creation time (its ctime right after creation). */
static int64_t sysv_ctime(enum ledger_kind kind, int id)
{
	struct msqid_ds m;
	struct shmid_ds s;
	struct semid_ds sd;
	union {
		int val;
		struct semid_ds *buf;
	} u = {.buf = &sd};

	if (kind == LEDGER_SYSV_MSG)
		return msgctl(id, IPC_STAT, &m) == 0 ? (int64_t)m.msg_ctime : -1;
	if (kind == LEDGER_SYSV_SHM)
		return shmctl(id, IPC_STAT, &s) == 0 ? (int64_t)s.shm_ctime : -1;
	return semctl(id, 0, IPC_STAT, u) == 0 ? (int64_t)sd.sem_ctime : -1;
}

int chan_sysv_create(struct chan *ch, enum ledger_kind kind, size_t bytes, int nsems, int mode)
{
	struct ledger_entry e = {.kind = kind};
	char path[4096];
	bool noted = chan_ledger_path(ch, path, sizeof(path)) == 0;
	int id = -1, r, e_;

	for (int tries = 0; id < 0 && tries < 16; tries++) {
		e.key = ledger_new_key();
		e.state = LEDGER_INTENT;
		r = noted ? ledger_append(path, &e) : 0;
		if (r) {
			chan_fail(ch, r, "write ledger %s", path);
			errno = -r;
			return -1;
		}
		id = sysv_get(kind, (key_t)e.key, bytes, nsems, IPC_CREAT | IPC_EXCL | mode);
		if (id >= 0 || errno != EEXIST)
			break;
		/* another object holds this key: say so, so that clean never takes it for ours */
		e.state = LEDGER_TAKEN;
		if (noted)
			ledger_append(path, &e);
	}
	if (id < 0)
		return -1;
	e_ = errno;
	e.state = LEDGER_MADE;
	e.id = id;
	e.ctime = sysv_ctime(kind, id);
	/* best effort: the intent line alone lets clean find it */
	if (noted && e.ctime >= 0)
		ledger_append(path, &e);
	errno = e_;
	return id;
}
