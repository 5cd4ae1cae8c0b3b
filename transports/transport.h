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
 * transports/skeleton.c is a working transport that documents every hook
 * (required or optional, who calls it, when, in which process, what it may
 * and may not do); start a new mechanism from a copy of it.
 *
 * The engine never calls a hook itself: it goes through chan_open(),
 * chan_attach(), chan_send()/chan_recv(), chan_detach() and chan_close()
 * below (fio's td_io_*), so a hook's calling rules live in one place.
 */
#ifndef IPCBENCH_TRANSPORT_H
#define IPCBENCH_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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
	CHAN_WAIT_EPOLL, /* non-blocking fds, sleep in epoll_wait (an event-loop server); TRANSPORT_CAN_EVENT */
	CHAN_WAIT_POLL,	 /* the same with poll(2) */
};

/*
 * How a cell's messages flow, for a library whose sockets are made for one
 * pattern (ZeroMQ's and nng's REQ/REP, PUSH/PULL): it picks them at attach
 * time from this.  The driver sets it from the pattern; a zeroed chan (a
 * test driving hooks directly) is CHAN_FLOW_ANY, which every transport
 * must carry.
 */
enum chan_flow {
	CHAN_FLOW_ANY,	    /* both ways, in any order */
	CHAN_FLOW_LOCKSTEP, /* pingpong: the client sends one message, the server answers it, and again */
	CHAN_FLOW_ONE_WAY,  /* stream, rate: client to server only */
};

/*
 * Capability flags, as data (fio's FIO_* engine flags).  Each one is read
 * by the engine or the CLI; a flag nobody reads does not belong here.
 */
enum transport_flag {
	TRANSPORT_SLOW = 1u << 1,     /* orders of magnitude slower: the run cuts the default warm-up */
	TRANSPORT_SPIN = 1u << 2,     /* always busy-polls: burns a CPU on each side (list, run's CPU check) */
	TRANSPORT_CAN_SPIN = 1u << 3, /* honours CHAN_WAIT_SPIN; without it (or SPIN) --wait spin is skipped */
	TRANSPORT_LOSSY = 1u << 5,    /* may drop messages under load (UDP): no stream/rate patterns */
	/* The guides' table (who can use the mechanism), read by --peers, serve, list and report: */
	TRANSPORT_BY_NAME = 1u << 6, /* the peers find the channel by a name (path, key, port, bus address):
				      * unrelated processes can use it (--peers exec, serve) */
	TRANSPORT_NETWORK = 1u << 7, /* can join two hosts (serve / run --connect) */
	TRANSPORT_ONE_WAY = 1u << 8, /* carries data from client to server only (popen): no pingpong */
	/* A wake-up primitive (futex, semaphores, condvar, sigqueue): every message is 0 bytes, one
	 * wake-up; it runs at --sizes 0 only, and only these run at size 0 (bench/ and the driver) */
	TRANSPORT_NO_PAYLOAD = 1u << 9,
	TRANSPORT_CAN_EVENT = 1u << 10,		   /* honours CHAN_WAIT_EPOLL and CHAN_WAIT_POLL (fdio.c); without
					 * it --wait epoll|poll is skipped */
	TRANSPORT_CLIENT_STARTS_SERVER = 1u << 11, /* the client's attach() starts the server process itself
						   * (popen) from ch->server_cmd: the harness starts only the client */
	/* One server serves ch->nclients clients on one channel (--clients, harness/fanin.c): create()
	 * and attach() honour nclients and client, and recv_any()/send_to() are set; without it a
	 * --clients cell is skipped ("serves one client only") */
	TRANSPORT_FAN_IN = 1u << 16,
	/* --pattern underload: a third process attached as a client (ch->background set) may send into
	 * the server direction at the same time, whole messages never interleaved; see harness/underload.c */
	TRANSPORT_SECOND_SENDER = 1u << 12,
	/* measured in round trips only: its one-way patterns (stream, rate) do not work on the
	 * packaged libraries, and the file says why; they are skipped with the reason */
	TRANSPORT_PINGPONG_ONLY = 1u << 13,
};

/* Most named counters one transport declares (see transport_ops.counters). */
#define TRANSPORT_MAX_COUNTERS 4

/* Most clients one fan-in channel serves (--clients). */
#define TRANSPORT_MAX_CLIENTS 256

/* Most options one transport declares (see struct transport_option). */
#define TRANSPORT_MAX_OPTIONS 8

/* What the live host lets this mechanism carry; filled by probe(). */
struct chan_limits {
	size_t max_msg_bytes; /* largest message this transport carries here; 0 = no limit of its own */
	size_t unit_bytes;    /* largest single kernel message; bigger messages are split
				 * into ceil(len / unit_bytes) fragments.  0 = not fragmented */
	char note[160];	      /* the limits that apply, with where they come from */
	/* each option's effective value: chan_probe() starts from what was asked
	 * (the default where not given); probe() records what the kernel granted */
	long long opt[TRANSPORT_MAX_OPTIONS];
};

/*
 * Transport options (fio's engine options): a transport declares the knobs
 * of its mechanism as data, an array in its ops table ending in a sentinel
 * ({0}, no name), indexed by the transport's own enum with designated
 * initializers.  `ipcbench run -t pipe:bufsize=64k` sets one; `ipcbench
 * list -t pipe` shows them.  bench/ parses and range-checks every value
 * before any fork (a value outside min..max or not in values is a usage
 * error); the transport reads the value with chan_opt() in any hook.  What
 * the host refuses (a size above a sysctl, a privilege) is probe()'s
 * business: chan_unavailable() naming the sysctl or the capability, and
 * the cell is skipped.  probe() also records what the kernel actually
 * granted with chan_opt_record() (F_GETPIPE_SZ, getsockopt), which is what
 * the result records.  skeleton.c declares one.
 */
enum topt_type {
	TOPT_SIZE,  /* bytes: 64, 4k, 1M (k = 1024) */
	TOPT_COUNT, /* a plain non-negative integer */
	TOPT_BOOL,  /* 0 or 1 */
	TOPT_ENUM,  /* one of values[]; the value is its index */
	TOPT_USEC,  /* microseconds, a non-negative integer */
};

struct transport_option {
	const char *name; /* [a-z_], at most 16 long; NULL ends the array */
	enum topt_type type;
	long long def;		   /* the default (TOPT_ENUM: an index into values) */
	const char *def_text;	   /* non-NULL: the default is the host's, "host": def is then 0, left alone */
	long long min, max;	   /* the allowed range, inclusive (not TOPT_BOOL, TOPT_ENUM) */
	const char *const *values; /* TOPT_ENUM: the names, NULL-terminated */
	const char *help;	   /* one line */
};

/*
 * The options asked for a channel.  A zeroed one means every default.  A
 * bit is set only for a value that differs from the default (bench/
 * normalises), so the bits are exactly what names a variant.
 */
struct chan_opts {
	unsigned int given;		      /* bit i: option i was given */
	long long val[TRANSPORT_MAX_OPTIONS]; /* option i's value, where given */
};

struct transport_ops;

/*
 * One channel between a client and a server.  The harness fills the fields
 * above the line before create(); the transport may read them anywhere and
 * writes only limits, priv and the error fields.
 */
struct chan {
	const struct transport_ops *ops;
	size_t msg_bytes;	/* the largest message this cell sends (buffers are this big) */
	enum chan_wait wait;	/* the wait strategy asked for */
	const char *run_dir;	/* private directory (0700) for named objects; exists until destroy */
	const char *tag;	/* unpredictable per-cell token, "ipcbench-<pid>-<hex>": prefix of
				 * every name (POSIX names add a leading slash) */
	int timeout_ms;		/* how long a blocked call may wait before it is a dead peer; <= 0 forever */
	bool peer_same_cpu;	/* both sides are pinned to one CPU: a spinning wait must yield */
	struct chan_opts opts;	/* the options asked for (read them with chan_opt) */
	const char *server_cmd; /* TRANSPORT_CLIENT_STARTS_SERVER: a /bin/sh command line that runs this
				 * cell's server side (ipcbench peer); NULL otherwise */
	unsigned int nclients;	/* TRANSPORT_FAN_IN: the clients of this channel (1..TRANSPORT_MAX_CLIENTS);
				* 0: the classic channel of one client and one server */
	bool underload;		/* a background sender shares the server direction (TRANSPORT_SECOND_SENDER) */
	bool background;	/* set in that sender's process only, before attach(CHAN_CLIENT): it sends
				 * at the lowest priority the mechanism has (posix_mq: 0) */
	enum chan_flow flow;	/* how the pattern moves messages (see enum chan_flow) */
	uint32_t net_addr;	/* TRANSPORT_NETWORK under `ipcbench serve`: the IPv4 address (network order)
				 * the server's create() binds, the one its client reached; 0: loopback */
	bool client_by_name;	/* the client inherits nothing of create(): it opens the channel from priv
				 * alone (--peers exec, serve), even where the server is a child of the creator */
	/* ---- */
	enum chan_role role; /* set by the harness before attach() */
	unsigned int client; /* with nclients: this client's index (0..nclients-1), set before attach() */
	struct chan_limits limits;
	void *priv;	  /* priv_size zeroed bytes allocated before fork: each child
				 * inherits a copy of what create() wrote; later writes
				 * stay in the writing process */
	int err;	  /* first error, as a positive errno */
	char errmsg[256]; /* "msgsnd id=42: Invalid argument" */
	bool unavailable; /* probe: the error means "this host lacks the mechanism" */
	/* this process's counts of the transport's named counters (ops->counters): the transport adds
	 * to them in either child; the cell records the sum of both sides' */
	uint64_t counters[TRANSPORT_MAX_COUNTERS];
};

/*
 * The operations table.  Every transport file ends with one (or more, where
 * semantics differ) const table with designated initializers, registered in
 * registry.c.  Hooks marked optional may be NULL.  A table may wrap another
 * (a test's corrupting transport): its hooks call the inner table's with
 * the same struct chan, whose priv is the inner table's priv_size.
 */
struct transport_ops {
	const char *name;    /* CLI name == file stem (or stem_variant) */
	const char *summary; /* one line for `ipcbench list` */
	enum chan_kind kind;
	unsigned int flags; /* enum transport_flag */
	size_t priv_size;   /* bytes of per-channel state */
	/* Optional: the options this transport takes, ending in {0} (see above). */
	const struct transport_option *options;
	/*
	 * Optional, for a transport built on a library over another transport
	 * (D-Bus, RPC, HTTP over a Unix or TCP socket): the name of the raw
	 * transport underneath for these options ("unix", or "tcp" with
	 * :net=tcp), which the framework-tax chart divides by.  NULL for a
	 * kernel mechanism.
	 */
	const char *(*raw_of)(const struct chan_opts *o);
	/*
	 * Optional: the names ([a-z_]) of the events the transport counts per
	 * cell (file's "torn_reads"), NULL-terminated, at most
	 * TRANSPORT_MAX_COUNTERS; counter i is ch->counters[i].  Every cell of
	 * the transport records each by name in its JSON ("counters").
	 */
	const char *const *counters;

	/*
	 * Optional, no side effects beyond reading the host: fill ch->limits.
	 * Returns 0 when the mechanism is usable here.  A host that lacks the
	 * mechanism (or a limit that rules it out) is chan_unavailable(): the
	 * cell is skipped with ch->errmsg, which says what would enable it.
	 * Any other failure (chan_fail: out of fds, of memory) is an error.
	 */
	int (*probe)(struct chan *ch);

	/* In the parent, before fork: make the kernel objects for msg_bytes. */
	int (*create)(struct chan *ch);

	/*
	 * Optional, for TRANSPORT_BY_NAME: in a process that did not run
	 * create() (an exec'd client of --peers exec, the parent cleaning up
	 * after exec'd peers), whose priv is a byte copy of the creator's:
	 * forget what only the creator holds (fd numbers, mapping addresses),
	 * keeping the names, so that attach() and destroy() work by name.
	 * NULL: priv holds nothing of the creator's process.
	 */
	void (*adopt)(struct chan *ch);

	/*
	 * In each child after fork, with ch->role set: open/connect/map what
	 * this side needs and close what belongs to the other side.
	 */
	int (*attach)(struct chan *ch, enum chan_role role);

	/*
	 * Move exactly len bytes (1 <= len <= msg_bytes; len == 0 == msg_bytes
	 * for a TRANSPORT_NO_PAYLOAD transport, one wake-up) or fail.  Stream
	 * transports loop over short I/O and EINTR; message transports treat a
	 * wrong-size delivery as -EPROTO.  A peer that has gone returns
	 * -EPIPE (or the errno the mechanism gives); a wait longer than
	 * ch->timeout_ms returns -ETIMEDOUT.  No allocation, no printing.
	 */
	int (*send)(struct chan *ch, const void *buf, size_t len);
	int (*recv)(struct chan *ch, void *buf, size_t len);

	/*
	 * With TRANSPORT_FAN_IN and ch->nclients, in the server only: one whole
	 * message of len bytes from whichever client sent first, *client set to
	 * the index that client attached with; and the reply to client.  The
	 * clients use send()/recv() as ever.  A client whose connection ended
	 * is -EPIPE with *client set (the harness judges whether it was done);
	 * otherwise the rules of send()/recv() apply.
	 */
	int (*recv_any)(struct chan *ch, void *buf, size_t len, unsigned int *client);
	int (*send_to)(struct chan *ch, unsigned int client, const void *buf, size_t len);

	/* Optional: in each child before it exits. */
	void (*detach)(struct chan *ch);

	/*
	 * In the parent after both children are reaped, also after a failed
	 * create or an interrupted cell: remove every object create() made.
	 * Idempotent; safe on a zeroed priv.
	 */
	void (*destroy)(struct chan *ch);
};

/* registry.c */
extern const struct transport_ops *const transport_table[];
extern const size_t transport_count;
const struct transport_ops *transport_find(const char *name);
/*
 * Whether ops with these options can join two hosts: TRANSPORT_NETWORK,
 * and where it sits on a raw transport (raw_of), that one can too
 * (zmq over ipc:// is one host's, over tcp:// not).
 */
bool transport_reaches_hosts(const struct transport_ops *ops, const struct chan_opts *o);
/* Checks every table (names unique and well-formed, required hooks set). */
int transport_check_ops(const struct transport_ops *ops, char *why, size_t whylen);

/* How many counters ops declares (ops->counters up to its NULL). */
static inline size_t transport_counter_count(const struct transport_ops *ops)
{
	size_t n = 0;

	while (ops->counters && n < TRANSPORT_MAX_COUNTERS && ops->counters[n])
		n++;
	return n;
}

/* topt.c: the options of a channel. */
size_t transport_option_count(const struct transport_ops *ops);
/* The index of the option called name, or -1. */
int transport_option_find(const struct transport_ops *ops, const char *name);
/* Checks an options array (names, types, defaults inside their ranges); 0 or -1 with why. */
int transport_check_options(const struct transport_ops *ops, char *why, size_t whylen);
/* Option i's value for this channel: the one asked for, else the default. */
long long chan_opt(const struct chan *ch, int i);
/* Whether option i was given (a value other than the default). */
bool chan_opt_given(const struct chan *ch, int i);
/* From probe(): what the host applies for option i (F_GETPIPE_SZ, getsockopt). */
void chan_opt_record(struct chan *ch, int i, long long effective);
/*
 * Writes option i's value as text: raw ("65536", for keys) or as a label
 * ("64k": sizes in k/M/G where exact).  Enum values are their names.
 */
void transport_option_format(const struct transport_option *o, long long v, bool label, char *out, size_t outlen);
/*
 * "pipe:bufsize=65536" (label: "pipe:bufsize=64k"): the name and every
 * given option in declaration order, ':'-separated; just the name when
 * none.  The identity of a variant in keys, file names and charts.
 */
void transport_variant_name(const struct transport_ops *ops, const struct chan_opts *o, bool label, char *out,
			    size_t outlen);

/* chan.c: record the first error with context; returns -err. */
int chan_fail(struct chan *ch, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same, from probe(): this host lacks the mechanism (the cell is skipped). */
int chan_unavailable(struct chan *ch, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/*
 * The ledger (transports/ledger.h): every kernel object that outlives its
 * creator unless removed is noted in <run_dir>/<tag>.ledger before it is
 * made.  The harness deletes the ledger after destroy(); `ipcbench clean`
 * reads the ledgers a dead ipcbench left and removes what they list.
 */
int chan_ledger_path(const struct chan *ch, char *out, size_t outlen);

/*
 * The engine's side of a channel (fio's td_io_*).  The caller fills the
 * fields above the line in struct chan, then:
 *
 *	chan_probe(ch, ops)          optional, any time: ch->limits, or why not
 *	chan_open(ch, ops)           parent: priv and create(); undone on failure
 *	fork
 *	chan_attach(ch, role)        each child, once: the role is fixed here
 *	chan_send()/chan_recv()      the pattern loop
 *	chan_detach(ch)              each child, before it exits
 *	chan_close(ch)               parent, after both children are reaped
 *
 * chan_close() is safe after a failed or no chan_open() on a zeroed chan,
 * and twice.
 */
int chan_probe(struct chan *ch, const struct transport_ops *ops);
int chan_open(struct chan *ch, const struct transport_ops *ops);
void chan_close(struct chan *ch);

static inline int chan_attach(struct chan *ch, enum chan_role role)
{
	ch->role = role;
	return ch->ops->attach(ch, role);
}

static inline int chan_send(struct chan *ch, const void *buf, size_t len)
{
	return ch->ops->send(ch, buf, len);
}

static inline int chan_recv(struct chan *ch, void *buf, size_t len)
{
	return ch->ops->recv(ch, buf, len);
}

static inline int chan_recv_any(struct chan *ch, void *buf, size_t len, unsigned int *client)
{
	return ch->ops->recv_any(ch, buf, len, client);
}

static inline int chan_send_to(struct chan *ch, unsigned int client, const void *buf, size_t len)
{
	return ch->ops->send_to(ch, client, buf, len);
}

static inline void chan_detach(struct chan *ch)
{
	if (ch->ops->detach)
		ch->ops->detach(ch);
}

/* destroy() alone, keeping priv: what chan_close() does before freeing it. */
static inline void chan_destroy(struct chan *ch)
{
	ch->ops->destroy(ch);
}

#endif
