/*
 * confcell.h - what the conformance suites share: the cell every case
 * starts from and the availability check that skips a transport this
 * machine cannot run.  Linked into every test binary (non-test_*.c files
 * under tests/conformance/ are), never into ipcbench.
 */
#ifndef IPCBENCH_TESTS_CONFCELL_H
#define IPCBENCH_TESTS_CONFCELL_H

#include <stddef.h>

#include "harness/harness.h"
#include "transports/transport.h"

/*
 * A cell of pattern p with msg_bytes messages between CPU 0 and CPU 1 (CPU
 * 0 for both on one CPU), blocking waits, 5 warm-up and 100 measured
 * messages (20 above 64 KiB), a 5 s watchdog, run in run_dir.  Callers
 * change what their case needs.
 */
struct cell_config confcell_config(const struct transport_ops *ops, enum pattern p, size_t msg_bytes,
				   const char *run_dir);

/* Fills *lim from the transport's probe, or skips the test naming why it is unavailable. */
void confcell_probe_or_skip(const struct transport_ops *ops, struct chan_limits *lim);

#endif
