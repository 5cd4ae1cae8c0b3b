/*
 * harness.h - runs one measured cell: a transport, a pattern, a message
 * size, a placement and a wait strategy.
 *
 * The parent creates the channel, forks a server and a client (each pinned
 * to its CPU, each dying with the parent through PR_SET_PDEATHSIG), and
 * stays out of the measurement: it sleeps on pidfds and a progress counter
 * as a watchdog, kills both children when one fails, hangs or the run is
 * interrupted, reaps them and always destroys the channel.  Results come
 * back through a shared mapping: the client's histogram is recorded
 * straight into it.
 */
#ifndef IPCBENCH_HARNESS_H
#define IPCBENCH_HARNESS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/schema.h"
#include "harness/hdr/hist.h"
#include "harness/precision.h"
#include "transports/transport.h"

enum pattern {
	PATTERN_PINGPONG,  /* client sends, server echoes the whole message; RTT in the client */
	PATTERN_STREAM,	   /* client sends back to back; server receives; one-way latency */
	PATTERN_RATE,	   /* open loop at a fixed rate; latency from the intended send time */
	PATTERN_UNDERLOAD, /* pingpong probes while a third process floods the server direction */
	PATTERN__COUNT
};

enum cell_status {
	CELL_OK,
	CELL_SKIPPED,	  /* not measurable here: reason says why and what would enable it */
	CELL_ERROR,	  /* the measurement failed: reason says what, with context */
	CELL_INTERRUPTED, /* stopped by a signal to ipcbench */
};

const char *pattern_name(enum pattern p);
int pattern_parse(const char *s, enum pattern *p);
const char *cell_status_name(enum cell_status s);
const char *wait_name(enum chan_wait w);
/* "block", "spin", "epoll" or "poll": 0, else -EINVAL. */
int wait_parse(const char *s, enum chan_wait *w);

/* How the two sides of a cell are related (--peers). */
enum peers {
	PEERS_FORK, /* forked children: they inherit the channel */
	PEERS_EXEC, /* fresh processes (posix_spawn of ipcbench's peer): they find the channel by name */
	PEERS__COUNT
};

const char *peers_name(enum peers p);
int peers_parse(const char *s, enum peers *p);

struct remote_conn;

struct cell_config {
	const struct transport_ops *ops;
	struct chan_opts opts; /* the transport's options asked for (zero: the defaults) */
	enum pattern pattern;
	size_t msg_bytes;
	int client_cpu; /* -1: not pinned */
	int server_cpu;
	enum relation relation; /* of the two CPUs (REL_UNPINNED: not pinned) */
	enum chan_wait wait;
	uint64_t warmup;     /* messages done and discarded before measuring */
	uint64_t iterations; /* measured messages; 0: measure for duration_ns */
	uint64_t duration_ns;
	double rate_per_sec;  /* PATTERN_RATE: the open-loop send rate */
	int timeout_ms;	      /* no progress for this long: the peer is dead or hung */
	const char *run_dir;  /* private 0700 directory for this run's names */
	uint64_t interval_ns; /* > 0: also keep a histogram per interval of this length (--hlog) */
	/* --precision: > 0 stops the measured phase once the 95 % interval of the median (stream:
	 * of the throughput) is within +-precision, after min_duration_ns; duration_ns is the bound */
	double precision;
	uint64_t min_duration_ns;
	uint64_t warmup_ns; /* > 0: the warm-up also ends after this long (side.h), with --precision */
	/* NULL, or called by the parent about every HARNESS_PROGRESS_MS while the cell runs */
	void (*on_progress)(void *ctx, const struct cell_config *cfg, const struct prec_batch *b, size_t nbatches);
	void *progress_ctx;
	enum peers peers;	    /* fork (default) or exec */
	unsigned int pairs;	    /* > 0: this many independent client/server pairs at once (harness/scale.h) */
	unsigned int clients;	    /* > 0: this many clients on one server, TRANSPORT_FAN_IN (harness/scale.h) */
	struct remote_conn *remote; /* run --connect: the server runs the server side (harness/remote.h) */
};

struct side_cost {
	double user_sec;
	double sys_sec;
	long voluntary_cs;
	long involuntary_cs;
	int threads;	 /* threads this side's process had at the end of the measured loop (/proc/self/status) */
	long max_rss_kb; /* the most memory this side's process held (getrusage ru_maxrss), KiB */
};

struct scale_result;
/* PATTERN_UNDERLOAD: what the background sender did while the probes were measured (underload.c). */
struct underload_result {
	uint64_t probes;	/* measured probe round trips */
	uint64_t bg_sent;	/* background messages sent during the measured phase */
	uint64_t bg_received;	/* background messages the server took during the measured phase */
	uint64_t bg_lost;	/* LOSSY transports: background messages that never arrived */
	uint64_t queued_behind; /* over all probes: background messages taken between a probe's send and its arrival */
	uint64_t overtaken;	/* over all probes: background messages sent before a probe, taken after it */
	double bg_msgs_per_sec; /* bg_received over the measured phase */
};

struct cell_result {
	enum cell_status status;
	char reason[400];
	struct hist latency; /* ns: round trip (pingpong) or one way (stream, rate) */
	uint64_t warmup_done;
	uint64_t count;	     /* measured messages */
	uint64_t elapsed_ns; /* the measured phase */
	double round_trips_per_sec;
	double msgs_per_sec;
	double bytes_per_sec;
	double rate_target_per_sec;
	double rate_achieved_per_sec;
	bool rate_kept_up;
	int64_t raw_min_ns; /* exact extremes of the samples (latency.* are HDR-equivalent) */
	int64_t raw_max_ns;
	unsigned int fragments_per_msg; /* kernel messages one message took (1: not fragmented) */
	struct side_cost cost[2];	/* [CHAN_CLIENT], [CHAN_SERVER], over the measured phase */
	bool have_cost;
	const char *clock; /* "tsc" or "monotonic" */
	struct chan_limits limits;
	uint64_t counters[TRANSPORT_MAX_COUNTERS]; /* the transport's named counters, both sides summed */
	struct underload_result underload;	   /* PATTERN_UNDERLOAD only */
	/* with cfg->interval_ns: the measured phase cut into intervals */
	uint64_t start_realtime_ns; /* wall clock when the measured phase began */
	size_t nintervals;
	struct hist *intervals;	     /* interval k's own histogram */
	uint64_t *interval_start_ns; /* relative to start_realtime_ns */
	uint64_t *interval_len_ns;
	/* with cfg->precision: the batches (folded over repetitions) and what they say */
	struct prec_result prec;
	struct prec_batch *batches;
	size_t nbatches;
	struct scale_result *scale; /* with cfg->pairs or cfg->clients: each member's share (scale.h) */
};

/* How often the parent reports a running cell's batches (cfg->on_progress). */
#define HARNESS_PROGRESS_MS 100

/* Most intervals one cell keeps (later ones merge into the last). */
#define HARNESS_MAX_INTERVALS 1024

/*
 * Probes ops on this host: 0 when usable (limits filled), else -errno with
 * why = the reason and what would enable it.  No side effects.
 */
int cell_probe(const struct transport_ops *ops, struct chan_limits *lim, char *why, size_t whylen);

/*
 * Runs one cell.  res is initialised here (release with
 * cell_result_release).  Returns 0 when the cell ran (res->status says
 * how it went: ok, skipped, error or interrupted) or -errno when not even
 * the bookkeeping could be set up.
 */
int cell_run(const struct cell_config *cfg, struct cell_result *res);
void cell_result_release(struct cell_result *res);
/* Frees only the per-interval histograms (once they are written). */
void cell_result_release_intervals(struct cell_result *res);

/* underload.c: folds one repetition's underload figures into the cell's (elapsed: the cell's, folded). */
void underload_fold(struct underload_result *into, const struct underload_result *r, uint64_t elapsed_ns);

/*
 * Interruption: the CLI's SIGINT/SIGTERM handler calls harness_interrupt();
 * the running cell then stops its children, cleans up and is marked
 * CELL_INTERRUPTED, and harness_interrupted() stays non-zero (the signal).
 */
void harness_interrupt(int sig);
int harness_interrupted(void);

/*
 * peer.c: the program an exec'd peer runs (`ipcbench peer`, hidden): the
 * cell's parameters come on ctlfd; returns the exit status.  The parent
 * starts peers from harness_peer_program (ipcbench's main: /proc/self/exe;
 * NULL: $IPCBENCH, for the test binaries).
 */
int peer_main(int ctlfd);
/* The same for a server its client starts (popen): the parameters from the file at path. */
int peer_main_file(const char *path);
extern const char *harness_peer_program;

/* rundir.c: the private run directory ($TMPDIR/ipcbench-<pid>-XXXXXX, 0700). */
int rundir_create(char *out, size_t outlen);
void rundir_remove(const char *dir);
/* A fresh unpredictable tag "ipcbench-<pid>-<16 hex>" for a cell's names. */
void rundir_new_tag(char *out, size_t outlen);

#endif
