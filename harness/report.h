/*
 * report.h - the result file: the one place the JSON schema is written
 * (report.c) and read back (resultfile.c).  results/README.md documents
 * every field; the names are a contract with scripts and CI jobs.
 */
#ifndef IPCBENCH_REPORT_H
#define IPCBENCH_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/harness.h"
#include "harness/sysinfo.h"
#include "common/schema.h"

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

struct report_cell {
	struct cell_config cfg;
	struct cell_result res; /* the merged result over repetitions */
	size_t nreps;
	struct rep_summary *reps;
	double floor_ns; /* the machine's floor for this cell (0: none measured) */
	const char *floor_name;
};

struct placement {
	int client_cpu;
	int server_cpu;
	const char *relation;
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

/* Every effective option of a run. */
struct run_options {
	const struct transport_ops **transports;
	size_t ntransports;
	size_t *sizes;
	size_t nsizes;
	enum pattern patterns[PATTERN__COUNT];
	size_t npatterns;
	struct placement *placements;
	size_t nplacements;
	enum chan_wait waits[2];
	size_t nwaits;
	uint64_t warmup;
	uint64_t iterations; /* 0: duration_ns */
	uint64_t duration_ns;
	double rate_per_sec;
	unsigned int repeat;
	uint64_t seed;
	int timeout_ms;
	bool allow_tsc;
	bool quick;
	const char *run_dir;
};

struct run_report {
	const char *command_line;
	char started_at[40]; /* ISO 8601 UTC */
	char finished_at[40];
	const struct run_options *opt;
	struct host_info host;
	struct calib calib;	/* the floors xFLOOR uses: at the start, or cached */
	struct calib calib_end; /* measured again after the cells (valid only then) */
	size_t ncells;
	struct report_cell *cells;
	int interrupted_by;	/* signal number, 0 when the run completed */
	const char *errors[16]; /* run-level problems (not a cell's) */
	size_t nerrors;
};

void lat_summary_from(const struct hist *h, struct lat_summary *s);
void rep_summary_from(const struct cell_result *res, struct rep_summary *s);
/* "2026-11-21T06:37:00Z" */
void report_now_iso(char *out, size_t outlen);

/*
 * Writes the result JSON to path ("-" = stdout) atomically: a temporary
 * file in the same directory (O_EXCL, never through a symlink), fsync,
 * rename.  0 or -errno with err describing the failing call.
 */
int report_write(const struct run_report *rr, const char *path, char *err, size_t errlen);
/* Checks before a run that path can be written (its directory exists and is writable). */
int report_check_path(const char *path, char *err, size_t errlen);

#endif
