/*
 * result.h - a run's result in memory: what the engine (run.c) fills and
 * the JSON writer (resultjson.c) writes.  results/README.md documents the
 * file these structures become; the reader (harness/analysis/resultfile.c)
 * has its own structures and shares only common/schema.h with them.
 */
#ifndef IPCBENCH_RESULT_H
#define IPCBENCH_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/schema.h"
#include "harness/harness.h"
#include "harness/sysinfo.h"

struct lat_summary {
	int64_t count;
	int64_t min; /* HDR-equivalent (what HdrHistogram reports) */
	int64_t max;
	double mean;
	double stddev;
	int64_t pct[SCHEMA_NPCT];
	int64_t raw_min; /* exact extremes of the samples */
	int64_t raw_max;
	int64_t out_of_range;
};

/* One repetition of a cell, summarised (its histogram is merged into the cell's). */
struct rep_summary {
	enum cell_status status;
	char reason[160];
	struct lat_summary lat;
	uint64_t count;
	uint64_t elapsed_ns;
	double round_trips_per_sec;
	double msgs_per_sec;
	double bytes_per_sec;
	double rate_achieved_per_sec;
	struct side_cost cost[2];
	bool have_cost;
};

/* One cell of a run: its configuration and its repetitions folded into one result. */
struct run_cell {
	struct cell_config cfg;
	struct cell_result res; /* the merged result over repetitions */
	size_t nreps;
	struct rep_summary *reps;
	double floor_ns; /* the machine's floor for this cell (0: none measured) */
	const char *floor_name;
};

struct placement {
	int client_cpu; /* -1: not pinned */
	int server_cpu;
	enum relation relation;
};

struct calib {
	bool valid;
	char cpus[32]; /* "0,1": the CPUs it was measured on */
	double clock_read_ns;
	double cacheline_rtt_ns; /* bare busy-spin ping-pong on one cache line */
	double futex_rtt_ns;	 /* bare futex wait/wake ping-pong */
	/* the same two with both processes on one CPU, where the cache-line loop
	 * yields between polls (pure spinning there would time the scheduler tick) */
	double cacheline_rtt_same_ns;
	double futex_rtt_same_ns;
	double memcpy_gbps[4]; /* at memcpy_sizes */
	size_t memcpy_sizes[4];
	double shm_copy_gbps; /* bare copy through shared memory, process to process */
	size_t shm_copy_bytes;
	double shm_copy_same_gbps; /* the same with both processes on one CPU (yielding) */
	bool from_cache;	   /* loaded from the calibration cache, not measured now */
	char measured_at[40];
};

/* Where the floors of a run come from. */
enum run_floors {
	RUN_FLOORS_MEASURE, /* measured at the start and again at the end (default) */
	RUN_FLOORS_CACHED,  /* the cached ones (`ipcbench calibrate`), else measured */
	RUN_FLOORS_NONE,    /* none: no xFLOOR */
};

/* Every effective option of a run. */
struct run_options {
	const struct transport_ops **transports; /* a transport may come twice, with other options */
	const struct chan_opts *topts;		 /* the options of transports[i]; NULL: the defaults */
	size_t ntransports;
	size_t *sizes;
	size_t nsizes;
	enum pattern patterns[PATTERN__COUNT];
	size_t npatterns;
	struct placement *placements;
	size_t nplacements;
	enum chan_wait waits[4]; /* block, spin, epoll, poll */
	size_t nwaits;
	enum peers peers[PEERS__COUNT]; /* --peers: fork (default) and/or exec */
	size_t npeers;
	uint64_t warmup;
	bool warmup_given;   /* false: transports marked slow get RUN_SLOW_WARMUP */
	uint64_t iterations; /* 0: duration_ns */
	uint64_t duration_ns;
	double rate_per_sec;
	unsigned int repeat;
	uint64_t seed;
	int timeout_ms;
	bool allow_tsc;
	bool quick;
	const char *run_dir;
	enum run_floors floors;
	const char *hgrm_dir;	     /* NULL: no .hgrm files */
	const char *hlog_dir;	     /* NULL: no .hlog files */
	uint64_t interval_ns;	     /* of the .hlog files */
	double precision;	     /* --precision as a fraction (0: off: every cell runs duration_ns) */
	uint64_t min_duration_ns;    /* --min-duration: no cell stops on its precision before this */
	uint64_t stream_duration_ns; /* > 0: the bound of a stream cell instead of duration_ns (the main job's) */
	/* --json-stream: a running cell's batches, about every HARNESS_PROGRESS_MS (NULL: none) */
	void (*on_progress)(void *ctx, const struct cell_config *cfg, const struct prec_batch *b, size_t nbatches);
	void *progress_ctx;
	unsigned int *pairs; /* --pairs: each cell runs at each of these (harness/scale.h); NULL: one pair */
	size_t npairs;
	unsigned int *clients; /* --clients: the same, clients of one server; never with pairs */
	size_t nclients;
	struct remote_conn *remote; /* run --connect: the server's connection (harness/remote.h); NULL: local */
	/* fault injection, for the tests only */
	bool fault_floors_move; /* the end-of-run floors are doubled */
	bool fault_floors_high; /* the floors are raised a hundredfold, so every cell beats them */
};

struct run_result {
	const char *command_line;
	char started_at[40]; /* ISO 8601 UTC */
	char finished_at[40];
	const struct run_options *opt;
	struct host_info host;
	struct calib calib;	/* the floors xFLOOR uses: at the start, or cached */
	struct calib calib_end; /* measured again after the cells (valid only then) */
	size_t ncells;
	struct run_cell *cells;
	int interrupted_by;	/* signal number, 0 when the run completed */
	const char *errors[16]; /* run-level problems (not a cell's) */
	size_t nerrors;
};

void lat_summary_from(const struct hist *h, struct lat_summary *s);
void rep_summary_from(const struct cell_result *res, struct rep_summary *s);
/* The cell's p50 over its floor, 0 when there is none (no floor, not ok, nothing measured). */
double run_cell_vs_floor(const struct run_cell *c);
/* "2026-11-21T06:37:00Z" */
void result_now_iso(char *out, size_t outlen);

#endif
