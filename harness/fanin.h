/*
 * fanin.h - the server of a --clients cell (internal to harness/): one
 * process serving every client of one fan-in channel (TRANSPORT_FAN_IN).
 */
#ifndef IPCBENCH_FANIN_H
#define IPCBENCH_FANIN_H

#include "harness/side.h"

/* The server's context: s first, so the loop finds the rest from s. */
struct fanin_side {
	struct side_ctx s;
	unsigned int n;	 /* clients */
	struct ctl *ctl; /* client i's page is at (char *)ctl + i * slot_bytes */
	size_t slot_bytes;
};

extern const struct pattern_loops fanin_loops;

/* Whether cfg (clients > 0) cannot run: res is then skipped with the reason. */
bool fanin_skip(const struct cell_config *cfg, struct cell_result *res);

#endif
