/*
 * side.h - what the driver shares with the pattern loops (pingpong.c,
 * stream.c).  Internal to harness/.
 */
#ifndef IPCBENCH_SIDE_H
#define IPCBENCH_SIDE_H

#include <stdatomic.h>
#include <sys/resource.h>

#include "harness/clock.h"
#include "harness/harness.h"
#include "harness/precision.h"

/* The slot of the background sender (PATTERN_UNDERLOAD) in ctl->side, after the client's and the server's. */
#define SIDE_FLOOD 2

/* underload.c: what the background sender, the server and the client share. */
struct underload_ctl {
	_Alignas(64) _Atomic uint64_t sent;	/* background messages the flood has sent */
	_Alignas(64) _Atomic uint64_t received; /* background messages the server has taken */
	_Atomic uint64_t at_probe;		/* received, when the server took the last probe */
	_Alignas(64) _Atomic int started;	/* the flood is attached and sending */
	_Atomic int stop;			/* the server is done: the flood stops, its errors no longer count */
	struct underload_result res;		/* written by the client (and bg_lost by the server) at the end */
};

/* The page shared by the parent and the children. */
struct ctl {
	/*
	 * Each word the children touch per message has a cache line of its
	 * own: the server reads total, each side writes its progress; sharing
	 * one line would bounce it between the CPUs on every message.
	 */
	_Alignas(64) _Atomic uint64_t total; /* the server handles this many messages, then stops */
	struct {
		_Alignas(64) _Atomic uint64_t v; /* messages done by each side (watchdog) */
	} progress[2];
	_Alignas(64) char after_hot[1];
	_Atomic int measuring; /* the client has started the measured phase */
	struct {
		int err; /* positive errno; 0 = fine */
		char msg[400];
		struct side_cost cost;
		bool have_cost;
		uint64_t counters[TRANSPORT_MAX_COUNTERS]; /* the transport's, at the end */
	} side[3];					   /* [CHAN_CLIENT], [CHAN_SERVER], [SIDE_FLOOD] */
	/* written by the recording side at the end */
	uint64_t count;
	uint64_t warmup_done;
	uint64_t elapsed_ns;
	uint64_t start_ticks, end_ticks; /* the measured phase on the clock's ticks (one clock for all members) */
	int64_t raw_min_ns;
	int64_t raw_max_ns;
	double rate_achieved_per_sec;
	struct hist hist; /* header of the recording side's histogram */
	/* interval snapshots: cumulative counts copied at each boundary */
	uint64_t start_realtime_ns;
	uint32_t nsnaps;
	uint64_t snap_end_ns[HARNESS_MAX_INTERVALS]; /* since the measured start */
	struct prec_shared prec;		     /* --precision: the batches, and the stop the recorder signals */
	struct underload_ctl ul;
};

struct side_ctx {
	const struct cell_config *cfg;
	struct chan *ch;
	struct ctl *ctl;
	enum chan_role role;
	struct hist *hist; /* counts live in the shared mapping */
	uint8_t *sbuf;
	uint8_t *rbuf;
	size_t len;
	struct rusage ru0;
	uint8_t *snap_mem;     /* HARNESS_MAX_INTERVALS counts arrays, shared */
	uint64_t snap_start;   /* ticks at the measured start */
	uint64_t snap_next;    /* ticks of the next boundary; UINT64_MAX: off */
	uint64_t snap_every;   /* ticks per interval */
	struct prec_side prec; /* --precision, on the recording side */
	/* a member of a group (scale.h): */
	const struct pattern_loops *loops; /* NULL: the cell's pattern's */
	_Atomic unsigned int *gate;	   /* non-NULL: a client waits here until gate_n clients attached */
	unsigned int gate_n;
	bool flood; /* the background sender of PATTERN_UNDERLOAD (attached as a client) */
	/* optional, in pingpong's client: called before (after = false) and after each round trip */
	void (*around)(struct side_ctx *s, bool after, bool measured);
};

/* The slot of ctl->side this process writes. */
static inline int side_slot(const struct side_ctx *s)
{
	return s->flood ? SIDE_FLOOD : (int)s->role;
}

/* driver.c */
/* A side's whole life after the process is set up: pin, buffers, attach, the loop, detach; its exit status. */
int side_main(struct side_ctx *s, void *counts);
/* A forked child's whole life: side_main, then _exit with its status; never returns. */
__attribute__((noreturn)) void side_child_main(struct side_ctx *s, void *counts, pid_t parent);
/* driver.c: pidfd_open(pid), or -1 where the kernel lacks it (the parent then polls). */
int side_pidfd_open(pid_t pid);
/* driver.c: reaps pid once it has exited (with block: waits for it); *pidfd is closed then. */
void side_reap(pid_t pid, bool block, bool *reaped, int *status, int *pidfd);
/* scale.c: the start gate of a group's clients */
void side_gate_wait(struct side_ctx *s);
void side_ignore_signals(void);
/* The shared page's layout: the ctl struct, then the histogram counts, then the interval snapshots. */
size_t side_ctl_bytes(void);
/* The bytes of one histogram's counts (the cell's, and each interval snapshot's). */
size_t side_counts_bytes(void);
size_t side_map_bytes(const struct cell_config *cfg);
/* The channel's fields the transport reads, from the cell (transport.h: above the line). */
void side_chan_from_cfg(struct chan *ch, const struct cell_config *cfg, const struct chan_limits *lim, const char *tag);
/* What the parent and the sides share: anonymous for forked sides, a file in the run directory for exec'd ones. */
struct cell_maps {
	struct ctl *ctl;
	size_t map_bytes;
	uint8_t *snaps; /* separate anonymous mapping (fork) or inside ctl's (exec) */
	bool snaps_own;
	char path[4200];   /* by name: <run_dir>/<tag>.ctl */
	char params[4200]; /* a server the client starts: <run_dir>/<tag>.server, its parameters */
	char cmd[8600];	   /* and the command that runs it */
};

int side_maps_open(const struct cell_config *cfg, const char *tag, struct cell_maps *m);
void side_maps_close(struct cell_maps *m);

/* Whether the cell's page is a file in the run directory (exec'd sides, a server the client starts). */
bool side_ctl_by_name(const struct cell_config *cfg);
/*
 * peer_spawn.c: for TRANSPORT_CLIENT_STARTS_SERVER, writes the server's
 * parameters to params_path and the shell command that runs it to cmd.
 */
int peer_server_cmd(const struct cell_config *cfg, const struct chan *ch, const char *ctl_path, size_t ctl_bytes,
		    const char *params_path, char *cmd, size_t cmdlen, char *why, size_t whylen);
/* peer_spawn.c: starts the server, then (given its rendezvous) the client; pid[role]. */
int peer_spawn_pair(const struct cell_config *cfg, struct chan *ch, const char *ctl_path, size_t ctl_bytes,
		    pid_t pid[2], char *why, size_t whylen);
void side_snap_start(struct side_ctx *s, uint64_t now);
void side_snap_take(struct side_ctx *s, uint64_t now);

/* In the recording loop, after the sample is recorded: one predictable branch. */
static inline void side_snap_maybe(struct side_ctx *s, uint64_t now)
{
	if (__builtin_expect(now >= s->snap_next, 0))
		side_snap_take(s, now);
}

/*
 * The recording step of a pattern loop: one sample of ns into the
 * histogram and the raw min/max, then the interval snapshot due at now.
 */
static inline void side_record(struct side_ctx *s, int64_t ns, uint64_t now, int64_t *mn, int64_t *mx)
{
	hist_record(s->hist, ns);
	if (ns < *mn)
		*mn = ns;
	if (ns > *mx)
		*mx = ns;
	side_snap_maybe(s, now);
	prec_side_sample(&s->prec, ns, now);
}

/*
 * The warm-up: cfg->warmup messages, or with cfg->warmup_ns until that long
 * has passed (after at least PREC_WARMUP_MIN messages), whichever is first.
 * The side that sends ends it and stores the first measured sequence in
 * ctl->prec.warmup_end before sending it; the other side reads it there.
 */
static inline uint64_t side_warmup_until(const struct side_ctx *s, uint64_t now)
{
	return s->cfg->warmup_ns && !s->cfg->iterations ? now + clock_ns_to_ticks(s->cfg->warmup_ns) : 0;
}

static inline bool side_warmup_over(uint64_t seq, uint64_t now, uint64_t until)
{
	return until && seq >= PREC_WARMUP_MIN && now >= until;
}

static inline uint64_t side_warmup_end(const struct side_ctx *s)
{
	return atomic_load_explicit(&s->ctl->prec.warmup_end, memory_order_acquire);
}

int side_fail(struct side_ctx *s, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int side_transport_fail(struct side_ctx *s, int r, const char *what, uint64_t seq);
void side_cost_begin(struct side_ctx *s);
void side_cost_end(struct side_ctx *s);

/* one file per pattern: each returns 0 or -errno (after side_fail) */
struct pattern_loops {
	int (*client)(struct side_ctx *s);
	int (*server)(struct side_ctx *s);
	bool server_records; /* the histogram is the server's (one-way latency) */
};
extern const struct pattern_loops pingpong_loops;
extern const struct pattern_loops stream_loops;
extern const struct pattern_loops rate_loops;
extern const struct pattern_loops underload_loops;

/* underload.c: the background sender's loop, and why a cell cannot be loaded (false: it can). */
int underload_flood(struct side_ctx *s);
bool underload_skip(const struct cell_config *cfg, const struct cell_result *res, char *why, size_t whylen);
void underload_collect(struct cell_result *res, const struct ctl *ctl);

#endif
