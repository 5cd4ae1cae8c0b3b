/*
 * floors.h - the floors cache: the last floors measured on this host for
 * one CPU pair (calibrate.h says what they are), so that `run
 * --cached-floors` and `ipcbench calibrate` can reuse them.
 *
 * One small text file per (CPU model, kernel, clock source, CPU pair),
 * $XDG_CACHE_HOME/ipcbench/floors-<a>-<b>-<hash> (else ~/.cache/ipcbench/),
 * written through common/outfile.h (temporary file, fsync, rename):
 *
 *	ipcbench-calibration 2
 *	cpu_model <text>         \
 *	kernel <release version>  | the host key: must equal this host's
 *	clock <tsc|monotonic>     |
 *	cpus <a>,<b>             /
 *	measured_at <ISO 8601>
 *	clock_read_ns <x>        one floor per line, in this order, each a
 *	cacheline_rtt_ns <x>     finite positive decimal no larger than
 *	cacheline_rtt_same_ns <x> FLOORS_MAX_NS (ns) or FLOORS_MAX_GBPS
 *	futex_rtt_ns <x>
 *	futex_rtt_same_ns <x>
 *	memcpy <bytes> <GB/s>    four lines, bytes 4096, 65536, 1 MiB, 16 MiB
 *	shm_copy <bytes> <GB/s>  bytes 1 MiB
 *	shm_copy_same <bytes> <GB/s>
 *	end
 *
 * The reader is strict: a line out of place, an unknown key, a malformed
 * or hostile number, a NUL byte or a file over FLOORS_MAX_BYTES is
 * malformed (-EINVAL); a host key that differs, or a file of another
 * format version, belongs to someone else (-ENOENT).  Never a guess.
 *
 * Errors: 0 or -errno with a one-line reason in err.  Nothing prints.
 */
#ifndef IPCBENCH_FLOORS_H
#define IPCBENCH_FLOORS_H

#include <stddef.h>

#include "harness/result.h"

#define FLOORS_MAGIC "ipcbench-calibration 2"
#define FLOORS_MAX_BYTES 4096
#define FLOORS_MAX_NS 1e10  /* 10 s: no floor is slower */
#define FLOORS_MAX_GBPS 1e5 /* 100 TB/s: no copy is faster */
#define FLOORS_SHM_COPY_BYTES ((size_t)1 << 20)
#define FLOORS_NMEMCPY 4

/* The memcpy sizes the floors are measured at, in bytes. */
extern const size_t floors_memcpy_bytes[FLOORS_NMEMCPY];

/* What a cache file must match to be this host's. */
struct floors_key {
	char cpu_model[256];
	char kernel[400];
	char clock[32]; /* clock_info.name, or "unknown" before clock_setup() */
	char cpus[32];	/* "a,b" */
};

/* This host's key for the pair (reads /proc/cpuinfo and uname). */
void floors_key_init(struct floors_key *k, int cpu_a, int cpu_b);

/* The cache file text for c under key k; its length, or -ENAMETOOLONG. */
int floors_format(const struct calib *c, const struct floors_key *k, char *out, size_t outlen);

/*
 * Parses text (NUL-terminated, modified in place) into c for key k:
 * 0, -EINVAL (malformed: err names the line) or -ENOENT (not this host's
 * or not this version's).  c is zeroed unless it returns 0.
 */
int floors_parse(char *text, const struct floors_key *k, struct calib *c, char *err, size_t errlen);

/* The cache directory ($XDG_CACHE_HOME/ipcbench, else ~/.cache/ipcbench). */
int floors_dir(char *out, size_t outlen, char *err, size_t errlen);
/* The cache file for this host and pair. */
int floors_path(int cpu_a, int cpu_b, char *out, size_t outlen, char *err, size_t errlen);

/* Reads this host's cached floors for the pair: as floors_parse, or -ENOENT when there are none. */
int floors_load(struct calib *c, int cpu_a, int cpu_b, char *err, size_t errlen);

/* Writes them (making the cache directory, 0700, where missing). */
int floors_save(const struct calib *c, int cpu_a, int cpu_b, char *err, size_t errlen);

#endif
