/*
 * cleanup.c - finds and removes the leftovers of dead ipcbench runs (see
 * cleanup.h for the rules that keep it from touching anything else).
 */
#include "harness/cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <semaphore.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/outfile.h"
#include "harness/floors.h"
#include "transports/ledger.h"

struct ctx {
	bool dry_run;
	struct cleanup_stats *st;
	cleanup_note_fn note;
	void *arg;
	uid_t uid;
};

static void say(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct ctx *c, const char *fmt, ...)
{
	char line[4400];
	va_list ap;

	if (!c->note)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->note(line, c->arg);
}

/* "ipcbench-<pid>-..." -> pid, or -1 */
static pid_t name_pid(const char *name)
{
	char *end;
	long v;

	if (strncmp(name, "ipcbench-", 9) || name[9] < '1' || name[9] > '9')
		return -1;
	errno = 0;
	v = strtol(name + 9, &end, 10);
	return !errno && *end == '-' && v > 0 && v <= INT32_MAX ? (pid_t)v : -1;
}

enum verdict { GONE, OURS, DOUBT };

struct sysv_stat {
	int id;
	uid_t uid, cuid;
	int64_t ctime;
};

/* Finds the object the run's key names now: 0, -ENOENT when there is none, or -errno. */
static int sysv_find(enum ledger_kind kind, uint32_t key, struct sysv_stat *s)
{
	struct msqid_ds m;
	struct shmid_ds sh;
	struct semid_ds sd;
	union {
		int val;
		struct semid_ds *buf;
	} u = {.buf = &sd};
	int id = kind == LEDGER_SYSV_MSG   ? msgget((key_t)key, 0)
		 : kind == LEDGER_SYSV_SHM ? shmget((key_t)key, 0, 0)
					   : semget((key_t)key, 0, 0);

	if (id < 0)
		return errno == ENOENT || errno == EIDRM ? -ENOENT : -errno;
	s->id = id;
	if (kind == LEDGER_SYSV_MSG && msgctl(id, IPC_STAT, &m) == 0)
		*s = (struct sysv_stat){id, m.msg_perm.uid, m.msg_perm.cuid, (int64_t)m.msg_ctime};
	else if (kind == LEDGER_SYSV_SHM && shmctl(id, IPC_STAT, &sh) == 0)
		*s = (struct sysv_stat){id, sh.shm_perm.uid, sh.shm_perm.cuid, (int64_t)sh.shm_ctime};
	else if (kind == LEDGER_SYSV_SEM && semctl(id, 0, IPC_STAT, u) == 0)
		*s = (struct sysv_stat){id, sd.sem_perm.uid, sd.sem_perm.cuid, (int64_t)sd.sem_ctime};
	else
		return errno == EINVAL || errno == EIDRM ? -ENOENT : -errno;
	return 0;
}

static enum verdict judge_sysv(struct ctx *c, const struct ledger_entry *e, time_t born, int *id, char *why, size_t len)
{
	struct sysv_stat s = {-1, (uid_t)-1, (uid_t)-1, 0};
	int r = sysv_find(e->kind, e->key, &s);

	if (r == -ENOENT)
		return GONE;
	if (r) {
		snprintf(why, len, "cannot look it up: %s", strerror(-r));
		return DOUBT;
	}
	*id = s.id;
	if (s.uid != c->uid || s.cuid != c->uid)
		snprintf(why, len, "id %d is owned by uid %u now", s.id, (unsigned)s.uid);
	else if (e->state == LEDGER_MADE && s.id != e->id)
		snprintf(why, len, "the key names id %d now, the run made id %d", s.id, e->id);
	else if (e->state == LEDGER_MADE ? s.ctime < e->ctime : s.ctime < (int64_t)born)
		snprintf(why, len, "id %d is older than the run's", s.id);
	else
		return OURS;
	return DOUBT;
}

/* POSIX names carry the run's pid; the object must still be there and ours. */
static enum verdict judge_posix(struct ctx *c, const struct ledger_entry *e, pid_t pid, char *why, size_t len)
{
	const char *fs = e->kind == LEDGER_POSIX_MQ ? "/dev/mqueue" : "/dev/shm";
	char path[300];
	struct stat st;
	mqd_t q;

	if (name_pid(e->name + 1) != pid) {
		snprintf(why, len, "the name is not the run's");
		return DOUBT;
	}
	if (e->kind == LEDGER_POSIX_SEM) /* glibc keeps sem_open("/x") in /dev/shm/sem.x */
		snprintf(path, sizeof(path), "/dev/shm/sem.%s", e->name + 1);
	else
		snprintf(path, sizeof(path), "%s%s", fs, e->name);
	if (lstat(path, &st) == 0) {
		if (st.st_uid == c->uid && S_ISREG(st.st_mode))
			return OURS;
		snprintf(why, len, "owned by uid %u", (unsigned)st.st_uid);
		return DOUBT;
	}
	if (e->kind != LEDGER_POSIX_MQ || errno != ENOENT)
		return GONE;
	/* /dev/mqueue may not be this IPC namespace's mqueue file system: ask the queue itself */
	q = mq_open(e->name, O_RDONLY);
	if (q == (mqd_t)-1)
		return GONE;
	mq_close(q);
	return OURS;
}

/*
 * A helper process the run started (a private dbus-daemon): ours when
 * /proc/PID still shows the command name and start time the process wrote
 * itself and our uid; another start time means ours is gone and the pid
 * was reused.
 */
static enum verdict judge_process(struct ctx *c, const struct ledger_entry *e, char *why, size_t len)
{
	char path[64], buf[1024], *p, *q;
	struct stat st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", e->id);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return GONE;
	n = fstat(fd, &st) == 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	close(fd);
	if (n <= 0)
		return GONE;
	buf[n] = 0;
	p = strchr(buf, '(');
	q = strrchr(buf, ')');
	if (!p || !q || q < p)
		return GONE;
	*q = 0;
	if (strcmp(p + 1, e->name))
		return GONE; /* another program has the pid now */
	for (int field = 2; q && field < 22; field++)
		q = strchr(q + 1, ' ');
	if (!q || strtoll(q + 1, NULL, 10) != e->ctime)
		return GONE;
	if (st.st_uid != c->uid) {
		snprintf(why, len, "pid %d is owned by uid %u", e->id, (unsigned)st.st_uid);
		return DOUBT;
	}
	return OURS;
}

static int remove_object(const struct ledger_entry *e, int id)
{
	switch (e->kind) {
	case LEDGER_PROCESS:
		return kill(e->id, SIGTERM);
	case LEDGER_SYSV_MSG:
		return msgctl(id, IPC_RMID, NULL);
	case LEDGER_SYSV_SHM:
		return shmctl(id, IPC_RMID, NULL);
	case LEDGER_SYSV_SEM:
		return semctl(id, 0, IPC_RMID);
	case LEDGER_POSIX_MQ:
		return mq_unlink(e->name);
	case LEDGER_POSIX_SHM:
		return shm_unlink(e->name);
	case LEDGER_POSIX_SEM:
		return sem_unlink(e->name);
	default:
		errno = EINVAL;
		return -1;
	}
}

static void clean_entry(struct ctx *c, const struct ledger_entry *e, pid_t pid, time_t born)
{
	char what[300], why[200] = "";
	enum verdict v;
	int id = -1;

	if (e->state == LEDGER_TAKEN)
		return; /* another object had the key: never the run's */
	if (e->kind == LEDGER_PROCESS) {
		v = judge_process(c, e, why, sizeof(why));
		snprintf(what, sizeof(what), "process %d (%s)", e->id, e->name);
	} else if (ledger_kind_is_sysv(e->kind)) {
		v = judge_sysv(c, e, born, &id, why, sizeof(why));
		if (id >= 0)
			snprintf(what, sizeof(what), "%s key=0x%08x id=%d", ledger_kind_names[e->kind],
				 (unsigned)e->key, id);
		else
			snprintf(what, sizeof(what), "%s key=0x%08x", ledger_kind_names[e->kind], (unsigned)e->key);
	} else {
		v = judge_posix(c, e, pid, why, sizeof(why));
		snprintf(what, sizeof(what), "%s %s", ledger_kind_names[e->kind], e->name);
	}
	if (v == GONE) {
		c->st->gone++;
		return;
	}
	if (v == DOUBT) {
		c->st->skipped++;
		say(c, "leave %s: %s", what, why);
		return;
	}
	if (!c->dry_run && remove_object(e, id) < 0) {
		if (errno == ENOENT || errno == EINVAL || errno == EIDRM || errno == ESRCH)
			c->st->gone++; /* went while we looked */
		else
			say(c, "cannot remove %s: %s", what, strerror(errno));
		return;
	}
	say(c, "remove %s", what);
	c->st->objects++;
}

static void clean_ledger(struct ctx *c, const char *path, pid_t pid, time_t born)
{
	struct ledger *l = malloc(sizeof(*l));

	if (!l)
		return;
	if (ledger_read(path, l) == 0) {
		for (size_t i = 0; i < l->n; i++)
			clean_entry(c, &l->e[i], pid, born);
		if (l->bad) {
			c->st->skipped += l->bad;
			say(c, "leave what %u line%s of %s name: not understood", l->bad, l->bad == 1 ? "" : "s", path);
		}
	}
	free(l);
}

/*
 * The run directory's marker, locked for us when its run is dead: the
 * descriptor (close it when done), or -1 when the directory is not a dead
 * ipcbench run's (no marker, not ours, or its run still holds the lock).
 */
static int lock_dead_run(struct ctx *c, int dfd, time_t *born)
{
	char text[64] = "";
	struct stat st;
	int fd = openat(dfd, RUNDIR_MARKER, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, text, sizeof(text) - 1);
	if (n < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != c->uid ||
	    strncmp(text, RUNDIR_MAGIC "\n", strlen(RUNDIR_MAGIC) + 1) || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return -1; /* not ipcbench's, or alive (EWOULDBLOCK) */
	}
	*born = st.st_mtime - 1;
	return fd;
}

static void clean_run_dir(struct ctx *c, const char *dir, pid_t pid)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), mfd;
	char path[4400];
	struct dirent *e;
	struct stat sb;
	time_t born;
	DIR *d;

	/* only our own private directories: not a link, 0700, ours, with a marker */
	if (dfd < 0)
		return;
	if (fstat(dfd, &sb) < 0 || sb.st_uid != c->uid || (sb.st_mode & 077) ||
	    (mfd = lock_dead_run(c, dfd, &born)) < 0) {
		close(dfd);
		return;
	}
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		close(mfd);
		return;
	}
	c->st->runs++;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (n > 7 && !strcmp(e->d_name + n - 7, ".ledger")) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			clean_ledger(c, path, pid, born);
		}
	}
	rewinddir(d);
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && !c->dry_run &&
		    unlinkat(dirfd(d), e->d_name, 0) == 0)
			c->st->files++;
	}
	closedir(d);
	say(c, "remove %s", dir);
	if (!c->dry_run && rmdir(dir) == 0)
		c->st->files++;
	close(mfd);
}

/* ipcbench's own output temporary files in dir whose writer is dead. */
static void clean_tmp_files(struct ctx *c, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	int pid;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!outfile_is_tmp(e->d_name, &pid) || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || st.st_uid != c->uid || pid == getpid() || kill(pid, 0) == 0 ||
		    errno != ESRCH)
			continue;
		say(c, "remove %s/%s", dir, e->d_name);
		if (c->dry_run || unlinkat(dirfd(d), e->d_name, 0) == 0)
			c->st->files++;
	}
	closedir(d);
}

int cleanup_dead_runs(bool dry_run, struct cleanup_stats *st, cleanup_note_fn note, void *arg)
{
	struct ctx c = {.dry_run = dry_run, .st = st, .note = note, .arg = arg, .uid = geteuid()};
	const char *tmp = getenv("TMPDIR");
	char path[4400], cache[4096];
	struct dirent *e;
	DIR *d;

	memset(st, 0, sizeof(*st));
	if (!tmp || !tmp[0])
		tmp = "/tmp";
	d = opendir(tmp);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		pid_t pid = name_pid(e->d_name);

		if (pid <= 0 || e->d_type == DT_LNK)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmp, e->d_name);
		clean_run_dir(&c, path, pid);
	}
	closedir(d);
	clean_tmp_files(&c, tmp);
	if (strcmp(tmp, ".") && realpath(tmp, path) && realpath(".", cache) && strcmp(path, cache))
		clean_tmp_files(&c, ".");
	if (floors_dir(cache, sizeof(cache), NULL, 0) == 0)
		clean_tmp_files(&c, cache);
	return 0;
}
