/*
 * calibrate.h - the machine's floors: what the CPUs and the kernel allow
 * between two processes, measured by bare reference loops, so that every
 * transport's figure can be read as a multiple of them (struct calib in
 * result.h holds the results).
 *
 * Between two CPUs a and b (two forked processes, each pinned like the
 * harness pins its client and server), and again with both on a:
 *  - cache line: a round trip of a busy-spin ping-pong on one shared
 *    64-byte line (a writes 2k+1, b answers 2k+2).  On one CPU the poll
 *    loop yields (pure spinning there would time the scheduler tick);
 *  - futex: a round trip of FUTEX_WAKE / FUTEX_WAIT (untimed: a timeout
 *    arms a timer on every wait) on one shared word, waking on every turn;
 *  - shm copy: 1 MiB messages, copied into one of two shared slots by a
 *    and out of it by b, slots handed over by a busy-polled flag;
 * and on a alone: memcpy at 4 KiB, 64 KiB, 1 MiB and 16 MiB.
 *
 * Round trips are timed one by one with the harness's clock (clock.h),
 * exactly as the harness times a transport, in five short batches; the
 * floor is the lowest batch median (what the machine allows at its best),
 * so both include one clock read (clock_read_ns).  Bandwidths are bytes moved
 * per second (each byte counted once), medians over batches.  A full
 * calibration takes about one second.  clock_setup() must have run (it is
 * called here if it has not).
 *
 * The cache (calib_load_cached, calib_save_cached, calib_cache_path) is
 * floors.h: one small strictly parsed text file per host and CPU pair.
 *
 * Errors: 0 or -errno; calib_error() says what failed.  Nothing prints.
 */
#ifndef IPCBENCH_CALIBRATE_H
#define IPCBENCH_CALIBRATE_H

#include <stdbool.h>
#include <stddef.h>

#include "harness/result.h"

/* Measures every floor between cpu_a and cpu_b (equal: same-CPU only). */
int calib_measure(struct calib *out, int cpu_a, int cpu_b);
/* Loads the cached floors for this host and pair: -ENOENT when absent or stale, -EINVAL when malformed. */
int calib_load_cached(struct calib *out, int cpu_a, int cpu_b);
int calib_save_cached(const struct calib *c, int cpu_a, int cpu_b);
/* The cache file for this host and pair. */
int calib_cache_path(int cpu_a, int cpu_b, char *out, size_t outlen);
/*
 * The floors for cpu_a and cpu_b: from the cache unless refresh or it
 * misses, else measured now and saved (a failed save is not an error:
 * calib_error() then says why it was not saved).
 */
int calib_get(struct calib *out, int cpu_a, int cpu_b, bool refresh);
/* The last failure, with context ("" when none). */
const char *calib_error(void);

#endif
