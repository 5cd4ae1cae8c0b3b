/*
 * cleanup.c - finds and removes the leftovers of dead ipcbench runs (see
 * cleanup.h for the rules that keep it from touching anything else).
 */
#include "harness/cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

struct ctx {
	bool dry_run;
	struct cleanup_stats *st;
	cleanup_note_fn note;
	void *arg;
	uid_t uid;
};

static void say(struct ctx *c, const char *a, const char *b)
{
	char line[4200];

	if (!c->note)
		return;
	snprintf(line, sizeof(line), "remove %s%s%s", a, b[0] ? " " : "", b);
	c->note(line, c->arg);
}

/* Is pid a live ipcbench process? */
static bool run_alive(pid_t pid)
{
	char path[64], comm[64] = "";
	FILE *f;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return true; /* cannot tell: leave it alone */
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = 0;
	fclose(f);
	comm[strcspn(comm, "\n")] = 0;
	/* a renamed copy (ipcbench-base) is still ipcbench; test binaries drive
	 * the harness too: their names start with test_ */
	return !strncmp(comm, "ipcbench", 8) || !strncmp(comm, "test_", 5);
}

/* "ipcbench-<pid>-..." -> pid, or -1 */
static pid_t name_pid(const char *name)
{
	char *end;
	long v;

	if (strncmp(name, "ipcbench-", 9))
		return -1;
	v = strtol(name + 9, &end, 10);
	return end != name + 9 && *end == '-' && v > 0 ? (pid_t)v : -1;
}

static bool sysv_ours(struct ctx *c, const char *kind, int id, time_t born)
{
	if (!strcmp(kind, "sysv_msg")) {
		struct msqid_ds ds;

		return msgctl(id, IPC_STAT, &ds) == 0 && ds.msg_perm.uid == c->uid && ds.msg_ctime >= born;
	}
	if (!strcmp(kind, "sysv_shm")) {
		struct shmid_ds ds;

		return shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_perm.uid == c->uid && ds.shm_ctime >= born;
	}
	if (!strcmp(kind, "sysv_sem")) {
		struct semid_ds ds;
		union semun_ {
			int val;
			struct semid_ds *buf;
		} u = {.buf = &ds};

		return semctl(id, 0, IPC_STAT, u) == 0 && ds.sem_perm.uid == c->uid && ds.sem_ctime >= born;
	}
	return false;
}

static int remove_object(const char *kind, const char *name)
{
	int id = atoi(name);

	if (!strcmp(kind, "sysv_msg"))
		return msgctl(id, IPC_RMID, NULL);
	if (!strcmp(kind, "sysv_shm"))
		return shmctl(id, IPC_RMID, NULL);
	if (!strcmp(kind, "sysv_sem"))
		return semctl(id, 0, IPC_RMID);
	if (!strcmp(kind, "posix_mq"))
		return mq_unlink(name);
	if (!strcmp(kind, "posix_shm"))
		return shm_unlink(name);
	errno = EINVAL;
	return -1;
}

static void clean_ledger(struct ctx *c, const char *path, pid_t pid, time_t born)
{
	char line[512], kind[32], name[400];
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		bool ours;

		if (sscanf(line, "%31s %399s", kind, name) != 2)
			continue;
		if (!strncmp(kind, "sysv_", 5))
			ours = sysv_ours(c, kind, atoi(name), born);
		else /* POSIX names carry the run's pid */
			ours = name[0] == '/' && name_pid(name + 1) == pid;
		if (!ours) {
			c->st->skipped++;
			continue;
		}
		say(c, kind, name);
		if (c->dry_run || remove_object(kind, name) == 0)
			c->st->objects++;
	}
	fclose(f);
}

static void clean_run_dir(struct ctx *c, const char *dir, pid_t pid, time_t born)
{
	char path[4096];
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (n > 7 && !strcmp(e->d_name + n - 7, ".ledger")) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			clean_ledger(c, path, pid, born);
		}
	}
	rewinddir(d);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!c->dry_run && unlink(path) == 0)
			c->st->files++;
	}
	closedir(d);
	say(c, dir, "");
	if (!c->dry_run && rmdir(dir) == 0)
		c->st->files++;
}

/* POSIX names of dead runs whose ledger was never written (died inside create). */
static void clean_names(struct ctx *c, const char *dir, int (*rm)(const char *))
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char name[300];

	if (!d)
		return;
	while ((e = readdir(d))) {
		pid_t pid = name_pid(e->d_name);
		struct stat st;

		snprintf(name, sizeof(name), "%s/%s", dir, e->d_name);
		if (pid <= 0 || run_alive(pid) || lstat(name, &st) < 0 || st.st_uid != c->uid)
			continue;
		snprintf(name, sizeof(name), "/%s", e->d_name);
		say(c, name, "");
		if (c->dry_run || rm(name) == 0)
			c->st->objects++;
	}
	closedir(d);
}

int cleanup_dead_runs(bool dry_run, struct cleanup_stats *st, cleanup_note_fn note, void *arg)
{
	struct ctx c = {.dry_run = dry_run, .st = st, .note = note, .arg = arg, .uid = geteuid()};
	const char *tmp = getenv("TMPDIR");
	char path[4096];
	DIR *d;
	struct dirent *e;

	memset(st, 0, sizeof(*st));
	if (!tmp || !tmp[0])
		tmp = "/tmp";
	d = opendir(tmp);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		pid_t pid = name_pid(e->d_name);
		struct stat sb;

		if (pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmp, e->d_name);
		/* only our own private directories: not a link, 0700, ours */
		if (lstat(path, &sb) < 0 || !S_ISDIR(sb.st_mode) || sb.st_uid != c.uid || (sb.st_mode & 077) ||
		    run_alive(pid))
			continue;
		st->runs++;
		clean_run_dir(&c, path, pid, sb.st_ctime - 1);
	}
	closedir(d);
	clean_names(&c, "/dev/shm", shm_unlink);
	clean_names(&c, "/dev/mqueue", mq_unlink);
	return 0;
}
