/*
 * resultfile.h - reads a result JSON written by report.c back into plain C
 * structs (the only file that includes jansson for reading).  Input is
 * treated as hostile: every field is type-checked, and anything malformed
 * gives -EINVAL with a one-line reason naming the file and the field.
 * Numbers that are null or absent read as NAN (doubles) or -1 (integers
 * that cannot be negative), flagged where it matters.
 */
#ifndef IPCBENCH_RESULTFILE_H
#define IPCBENCH_RESULTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/schema.h"
#include "harness/hdr/hist.h"

struct rf_lat {
	int64_t count;
	double min, max, mean, stddev; /* NAN when null */
	double pct[SCHEMA_NPCT];       /* schema_pcts order; NAN when null */
	char *hdr;		       /* base64 V2 compressed histogram, NULL when null */
};

struct rf_cost {
	bool present;
	double cpu_ns_per_msg[2]; /* [client], [server] */
	double cs_per_msg[2];
	int64_t threads[2]; /* threads each side's process had at the end of the loop; -1 when absent */
};

/* One of a cell's named transport counters ("torn_reads"). */
struct rf_counter {
	char *name;
	int64_t value;
};

/* A --pattern underload cell's load figures (results/README.md); NAN or -1 when null. */
struct rf_underload {
	bool present; /* false: null (every other pattern) */
	int64_t probes, background_sent, background_received, background_lost;
	double background_msgs_per_sec, background_rate_target_per_sec;
	double queued_behind_per_probe, overtaken_per_probe;
};

struct rf_rep {
	char *status;
	int64_t iterations;
	int64_t elapsed_ns;
	double round_trips_per_sec, msgs_per_sec, bytes_per_sec, rate_achieved_per_sec;
	struct rf_lat lat;
	struct rf_cost cost;
};

/* One member of a --pairs or --clients cell (scale.per_member[]). */
struct rf_member {
	int64_t index;
	int client_cpu, server_cpu; /* -1 when unpinned */
	int64_t iterations, elapsed_ns;
	double msgs_per_sec, round_trips_per_sec; /* NAN when null */
	struct rf_lat lat;
	struct rf_cost cost; /* the member's own (with clients: the client's; the server's is the cell's) */
};

/* scale: the members of a --pairs or --clients cell and the fairness between them. */
struct rf_scale {
	bool present;	 /* false: null or absent (not such a cell, or not ok) */
	bool fan_in;	 /* mode "clients" (one server), else "pairs" */
	int64_t members; /* as the file says */
	double min_msgs_per_sec, max_msgs_per_sec, min_over_max, jain_index; /* NAN when null */
	size_t nper;
	struct rf_member *per; /* [nper] */
};

struct rf_cell {
	char *key;
	char *transport, *kind, *pattern, *status;
	char *variant; /* the transport and its non-default options, "pipe:bufsize=64k"; the transport when absent */
	char *options; /* every option, "bufsize=65536,nodelay=1" in the file's order; NULL when absent (defaults) */
	char *raw_transport;  /* the raw transport a library transport sits on ("unix"); NULL for a kernel one */
	char *reason, *error; /* NULL when null */
	char *wait, *relation, *clock;
	/* properties: the transport's flags; -1 when the file predates them, else 0 or 1 */
	int by_name, network, one_way, spin;
	char *limits_note; /* limits.note: the limits on the host that ran it; NULL when null */
	char *peers;	   /* "fork", "exec"; NULL in older files (fork) */
	int64_t msg_bytes;
	int client_cpu, server_cpu; /* -1 when unpinned */
	int64_t warmup, iterations, elapsed_ns;
	int64_t iterations_requested;  /* -1 when null (measured for a duration) */
	int64_t duration_ns_requested; /* -1 when null (a fixed iteration count) */
	double round_trips_per_sec, msgs_per_sec, bytes_per_sec;
	double rate_target_per_sec, rate_achieved_per_sec;
	int64_t fragments_per_msg;
	double floor_ns, vs_floor;
	struct rf_lat lat;
	struct rf_cost cost;
	size_t nreps;
	struct rf_rep *reps;
	int64_t pairs, clients; /* --pairs N / --clients N: the key ends in /pairs=N or /clients=N; 0 otherwise */
	struct rf_scale scale;
	struct rf_counter *counters; /* cell.counters in the file's order; NULL when none */
	size_t ncounters;
	struct rf_underload underload;
};

/* Entries of context.calibration.memcpy read (the writer has four). */
#define RF_CALIB_MAX_MEMCPY 8

/* context.calibration: the run's floors (results/README.md); GB/s is 1e9 bytes/s. */
struct rf_calib {
	bool present;		   /* false when the run was not calibrated (null) */
	bool from_cache;	   /* measured by an earlier run (--cached-floors) */
	char *cpus;		   /* "0,1": the pair measured; NULL when absent */
	char *measured_at;	   /* NULL when absent */
	int64_t shm_copy_bytes;	   /* -1 when absent */
	double shm_copy_gbps;	   /* between the pair's two CPUs; NAN when absent */
	double shm_copy_same_gbps; /* both on the pair's first CPU; NAN when absent */
	size_t nmemcpy;
	int64_t memcpy_bytes[RF_CALIB_MAX_MEMCPY];
	double memcpy_gbps[RF_CALIB_MAX_MEMCPY]; /* on one CPU */
};

struct rf_context {
	char *hostname, *kernel, *cpu_model, *virtualization, *clocksource, *governor;
	int64_t cpu_count;
	char *clock_source; /* context.clock.source */
	struct rf_calib calib;
};

struct result_file {
	char *path;
	int64_t schema_version;
	char *tool_version, *git_revision, *build_flags, *compiler;
	char *started_at;
	char *finished_at;	       /* NULL when null */
	int64_t interrupted_by_signal; /* 0 when the run completed */
	char *command_line;
	int64_t cfg_warmup, cfg_iterations; /* config.*; -1 when null */
	int64_t cfg_duration_ns, cfg_repeat;
	struct rf_context ctx;
	size_t ncells;
	struct rf_cell *cells;
};

/* Largest file read (a result with thousands of cells is a few MiB). */
#define RESULTFILE_MAX_BYTES ((size_t)256 << 20)

int resultfile_load(const char *path, struct result_file *rf, char *err, size_t errlen);
void resultfile_release(struct result_file *rf);

/*
 * A latency block's histogram (its base64 "hdr") decoded into h, which must
 * hold exactly "count" values: every reader of histograms (hist, plot,
 * report) refuses one that disagrees.  0 (release h), -ENODATA when hdr is
 * null, or -EINVAL with why: the decoder's reason or "holds N values,
 * count says M".
 */
int resultfile_lat_hist(const struct rf_lat *l, struct hist *h, char *why, size_t whylen);

#endif
