/*
 * transport.h - the one interface every IPC mechanism implements.
 *
 * A transport moves whole messages between two processes.  The harness
 * creates a channel in the parent, forks a client and a server, each calls
 * attach() with its role, and then the harness drives send()/recv() in a
 * fixed pattern.  The harness owns every payload buffer; a transport owns
 * only its kernel objects (fds, queues, segments, files) and its private
 * state (ch->priv, priv_size bytes, zeroed, allocated by the harness in
 * memory that survives fork).
 *
 * Nothing here includes harness/ or bench/: dependencies point one way.
 * Hooks return 0 or -errno, never a byte count, and record the first error
 * with context through chan_fail().  They never print and never exit.
 *
 * transports/README.md has the contract in prose and a skeleton.
 */
#ifndef IPCBENCH_TRANSPORT_H
#define IPCBENCH_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sched.h>
#include <sys/types.h>

enum chan_kind {
	CHAN_STREAM,  /* a byte stream: message boundaries are the harness's */
	CHAN_MESSAGE, /* the mechanism keeps message boundaries */
};

enum chan_role {
	CHAN_CLIENT,
	CHAN_SERVER,
};

enum chan_wait {
	CHAN_WAIT_BLOCK, /* sleep in the kernel until data arrives */
	CHAN_WAIT_SPIN,	 /* poll without sleeping (burns the CPU) */
};

/* Capability flags, as data (fio's FIO_* engine flags). */
enum transport_flag {
	TRANSPORT_NAMED = 1u << 0,    /* creates names in the run directory or a kernel namespace */
	TRANSPORT_SLOW = 1u << 1,     /* orders of magnitude slower: default iterations are cut */
	TRANSPORT_SPIN = 1u << 2,     /* always busy-polls: burns a CPU on each side */
	TRANSPORT_CAN_SPIN = 1u << 3, /* honours CHAN_WAIT_SPIN (non-blocking polled I/O) */
	TRANSPORT_SYSV = 1u << 4,     /* makes System V IPC objects (ipcs shows them) */
	TRANSPORT_LOSSY = 1u << 5,    /* may drop messages under load (UDP): no stream/rate patterns */
};

/* What the live host lets this mechanism carry; filled by probe(). */
struct chan_limits {
	size_t max_msg_bytes; /* largest message this transport carries here; 0 = no limit of its own */
	size_t unit_bytes;    /* largest single kernel message; bigger messages are split
				 * into ceil(len / unit_bytes) fragments.  0 = not fragmented */
	char note[160];	      /* the limits that apply, with where they come from */
};

struct transport_ops;

/*
 * One channel between a client and a server.  The harness fills the fields
 * above the line before create(); the transport may read them anywhere and
 * writes only limits, priv and the error fields.
 */
struct chan {
	const struct transport_ops *ops;
	size_t msg_bytes;    /* the largest message this cell sends (buffers are this big) */
	enum chan_wait wait; /* the wait strategy asked for */
	const char *run_dir; /* private directory (0700) for named objects; exists until destroy */
	const char *tag;     /* unpredictable per-cell token, "ipcbench-<pid>-<hex>": prefix of
				 * every name (POSIX names add a leading slash) */
	int timeout_ms;	     /* how long a blocked call may wait before it is a dead peer; <= 0 forever */
	bool peer_same_cpu;  /* both sides are pinned to one CPU: a spinning wait must yield */
	/* ---- */
	enum chan_role role; /* set by the harness before attach() */
	struct chan_limits limits;
	void *priv;	  /* priv_size zeroed bytes allocated before fork: each child
				 * inherits a copy of what create() wrote; later writes
				 * stay in the writing process */
	int err;	  /* first error, as a positive errno */
	char errmsg[256]; /* "msgsnd id=42: Invalid argument" */
};

/*
 * The operations table.  Every transport file ends with one (or more, where
 * semantics differ) const table with designated initializers, registered in
 * registry.c.  Hooks marked optional may be NULL.
 */
struct transport_ops {
	const char *name;    /* CLI name == file stem (or stem_variant) */
	const char *summary; /* one line for `ipcbench list` */
	enum chan_kind kind;
	unsigned int flags; /* enum transport_flag */
	size_t priv_size;   /* bytes of per-channel state */

	/*
	 * Optional, no side effects beyond reading the host: fill ch->limits.
	 * Returns 0 when the mechanism is usable here, otherwise -errno with
	 * ch->errmsg saying why and what would enable it (a sysctl, a mount).
	 */
	int (*probe)(struct chan *ch);

	/* In the parent, before fork: make the kernel objects for msg_bytes. */
	int (*create)(struct chan *ch);

	/*
	 * In each child after fork, with ch->role set: open/connect/map what
	 * this side needs and close what belongs to the other side.
	 */
	int (*attach)(struct chan *ch, enum chan_role role);

	/*
	 * Move exactly len bytes (1 <= len <= msg_bytes) or fail.  Stream
	 * transports loop over short I/O and EINTR; message transports treat a
	 * wrong-size delivery as -EPROTO.  A peer that has gone returns
	 * -EPIPE (or the errno the mechanism gives); a wait longer than
	 * ch->timeout_ms returns -ETIMEDOUT.  No allocation, no printing.
	 */
	int (*send)(struct chan *ch, const void *buf, size_t len);
	int (*recv)(struct chan *ch, void *buf, size_t len);

	/* Optional: in each child before it exits. */
	void (*detach)(struct chan *ch);

	/*
	 * In the parent after both children are reaped, also after a failed
	 * create or an interrupted cell: remove every object create() made.
	 * Idempotent; safe on a zeroed priv.
	 */
	void (*destroy)(struct chan *ch);
};

/*
 * One turn of a busy-polling wait.  Across CPUs: a pause instruction.  When
 * the peer is pinned to this same CPU it cannot progress while we spin
 * (pure spinning would cost a scheduler tick per message), so yield.
 */
static inline void chan_relax(const struct chan *ch)
{
	if (ch->peer_same_cpu) {
		sched_yield();
		return;
	}
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* registry.c */
extern const struct transport_ops *const transport_table[];
extern const size_t transport_count;
const struct transport_ops *transport_find(const char *name);
/* Checks every table (names unique and well-formed, required hooks set). */
int transport_check_ops(const struct transport_ops *ops, char *why, size_t whylen);

/* chan.c: record the first error with context; returns -err. */
int chan_fail(struct chan *ch, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/*
 * The ledger (transports/ledger.h): every kernel object that outlives its
 * creator unless removed is noted in <run_dir>/<tag>.ledger before it is
 * made.  The harness deletes the ledger after destroy(); `ipcbench clean`
 * reads the ledgers a dead ipcbench left and removes what they list.
 */
int chan_ledger_path(const struct chan *ch, char *out, size_t outlen);

/* Probe helpers shared by transports: read one integer from a /proc file. */
int chan_read_sysctl(const char *path, long long *val);

/* fdio.c: shared send/recv for fd-based transports. */
struct fd_pair {
	int rfd; /* this side reads from here */
	int wfd; /* this side writes here (may equal rfd) */
};
int fdio_write_all(struct chan *ch, int fd, const void *buf, size_t len);
int fdio_read_all(struct chan *ch, int fd, void *buf, size_t len);
/* One datagram/record: a short or long delivery is -EPROTO. */
int fdio_send_msg(struct chan *ch, int fd, const void *buf, size_t len);
int fdio_recv_msg(struct chan *ch, int fd, void *buf, size_t len);
int fdio_set_nonblock(int fd, bool on);

/*
 * struct fd_chan: the shared state of fd-based transports (put it at the
 * start of priv).  create() adds every fd it makes with fdchan_add_fd() and
 * every name with fdchan_add_path(); attach() picks this side's fds with
 * fdchan_use(), which closes the rest and applies the wait strategy.  The
 * send/recv/destroy hooks below then serve every fd transport.
 */
#define FDCHAN_MAX_FDS 4
#define FDCHAN_MAX_PATHS 2
struct fd_chan {
	struct fd_pair io;
	int nfd;
	int fd[FDCHAN_MAX_FDS];
	int npath;
	char path[FDCHAN_MAX_PATHS][108];
};
int fdchan_add_fd(struct chan *ch, int fd);
int fdchan_add_path(struct chan *ch, const char *path);
int fdchan_use(struct chan *ch, int rfd, int wfd);
int fdchan_stream_send(struct chan *ch, const void *buf, size_t len);
int fdchan_stream_recv(struct chan *ch, void *buf, size_t len);
int fdchan_record_send(struct chan *ch, const void *buf, size_t len);
int fdchan_record_recv(struct chan *ch, void *buf, size_t len);
void fdchan_detach(struct chan *ch);
void fdchan_destroy(struct chan *ch);
/* Builds "<run_dir>/<tag>-<what>" into out; -ENAMETOOLONG if it does not fit. */
int chan_path(const struct chan *ch, const char *what, char *out, size_t outlen);
/* Waits until fd is ready (POLLIN/POLLOUT) for at most ch->timeout_ms. */
int fdio_wait(struct chan *ch, int fd, short events);
void fdio_close(int *fd);

#endif
