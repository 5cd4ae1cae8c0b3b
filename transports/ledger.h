/*
 * ledger.h - each cell's list of the kernel objects that would outlive a
 * killed ipcbench (SysV queues, segments and semaphore sets, POSIX queue,
 * shared-memory and semaphore names), so that `ipcbench clean` can remove a dead
 * run's and nothing else.
 *
 * One file per cell, <run_dir>/<tag>.ledger, one line per fact, appended
 * with one write(2) each, in this order:
 *
 *	posix_mq /ipcbench-<pid>-<hex>-c2s        before mq_open(O_CREAT|O_EXCL)
 *	posix_shm /ipcbench-<pid>-<hex>-ring      before shm_open(O_CREAT|O_EXCL)
 *	posix_sem /ipcbench-<pid>-<hex>-c2s       before sem_open(O_CREAT|O_EXCL)
 *	sysv_msg key=0x1a2b3c4d                   before msgget(key, IPC_CREAT|IPC_EXCL)
 *	sysv_msg key=0x1a2b3c4d id=42 ctime=1764583200   after it, when it was made
 *	sysv_msg key=0x1a2b3c4d taken             another object had the key first
 *	process pid=4242 start=123456 dbus-daemon a helper process (dbus.c's private bus), written
 *	                                          by the process itself before it execs: its pid,
 *	                                          start time (clock ticks since boot, /proc/PID/stat)
 *	                                          and command name, all three checked before a kill
 *
 * The entry is written before the object exists (its name or key is known
 * first), so a SIGKILL at any point leaves nothing the ledger does not
 * list; `clean` ignores entries whose object never appeared.  SysV objects
 * get a random key the run picked (never IPC_PRIVATE), so clean finds them
 * by the key and checks the id and creation time it recorded: an id the
 * kernel gave to another program since is never taken for the run's.
 *
 * The reader is strict: a line that is not one of the above is counted as
 * bad and otherwise ignored; a file over LEDGER_MAX_BYTES or holding more
 * than LEDGER_MAX_ENTRIES objects is read up to there.
 */
#ifndef IPCBENCH_LEDGER_H
#define IPCBENCH_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEDGER_MAX_BYTES 65536
#define LEDGER_MAX_ENTRIES 64
#define LEDGER_NAME_MAX 255 /* NAME_MAX of /dev/shm and /dev/mqueue */

enum ledger_kind {
	LEDGER_SYSV_MSG,
	LEDGER_SYSV_SHM,
	LEDGER_SYSV_SEM,
	LEDGER_POSIX_MQ,
	LEDGER_POSIX_SHM,
	LEDGER_POSIX_SEM, /* a named semaphore: /dev/shm/sem.<name without the slash> */
	LEDGER_PROCESS,	  /* id: the pid, ctime: its start time in clock ticks, name: its comm */
	LEDGER__COUNT,
};

/* "sysv_msg", ... in enum order. */
extern const char *const ledger_kind_names[LEDGER__COUNT];

static inline bool ledger_kind_is_sysv(enum ledger_kind k)
{
	return k == LEDGER_SYSV_MSG || k == LEDGER_SYSV_SHM || k == LEDGER_SYSV_SEM;
}

/* 0 and *k, or -EINVAL for a name not in ledger_kind_names. */
int ledger_kind_parse(const char *s, enum ledger_kind *k);

enum ledger_state {
	LEDGER_INTENT, /* noted before creation */
	LEDGER_MADE,   /* SysV: created, with id and ctime */
	LEDGER_TAKEN,  /* SysV: the key was another object's: never ours */
};

struct ledger_entry {
	enum ledger_kind kind;
	enum ledger_state state;
	char name[LEDGER_NAME_MAX + 1]; /* POSIX: "/name" */
	uint32_t key;			/* SysV: the key the run picked (never 0) */
	int id;				/* SysV, LEDGER_MADE: the id msgget & co. returned */
	int64_t ctime;			/* SysV, LEDGER_MADE: its creation time, seconds */
};

/* One line for e, with its newline; its length, or -EINVAL / -ENAMETOOLONG. */
int ledger_format(const struct ledger_entry *e, char *out, size_t outlen);
/* Appends e to the ledger file at path (created 0600; never through a symlink).  0 or -errno. */
int ledger_append(const char *path, const struct ledger_entry *e);
/* Parses one line (without its newline).  0 or -EINVAL. */
int ledger_parse_line(const char *line, struct ledger_entry *e);

/* A ledger as read back: one entry per object, its later facts merged in. */
struct ledger {
	struct ledger_entry e[LEDGER_MAX_ENTRIES];
	size_t n;
	unsigned bad; /* lines not understood, or objects past LEDGER_MAX_ENTRIES */
};

/* Reads buf (len bytes, NUL bytes allowed: they make a line bad) into l. */
void ledger_parse(const char *buf, size_t len, struct ledger *l);
/* Reads the regular file at path (not a symlink) into l.  0 or -errno. */
int ledger_read(const char *path, struct ledger *l);

/* A random SysV key for a new object: never IPC_PRIVATE (0) nor -1. */
uint32_t ledger_new_key(void);

/* chan.c: the writer transports use (no run directory, as in a probe: nothing to note). */
struct chan;
/* Notes a POSIX name in the cell's ledger: call it before the object is created.  0 or -errno (chan_fail). */
int chan_ledger_add(struct chan *ch, enum ledger_kind kind, const char *name);
/*
 * Creates a SysV object under a fresh random key, noted in the ledger
 * first and with its id and ctime after: kind LEDGER_SYSV_MSG (msgget),
 * LEDGER_SYSV_SHM (shmget of bytes) or LEDGER_SYSV_SEM (semget of nsems),
 * IPC_CREAT | IPC_EXCL | mode.  The id, or -1 with errno set (a ledger
 * failure is also recorded with chan_fail, first).
 */
int chan_sysv_create(struct chan *ch, enum ledger_kind kind, size_t bytes, int nsems, int mode);

#endif
