/*
 * scale.h - cells of many members: --pairs N (N independent client/server
 * pairs of one cell at once) and --clients N (N clients of one server on
 * one fan-in channel, TRANSPORT_FAN_IN).
 *
 * Both run as a group (group.c): one shared page and histogram per member
 * (a pair, or a client), the ordinary pattern loops on each member's page,
 * one watchdog over every child, and a start gate so that every member's
 * measured phase overlaps.  The cell's result is the aggregate (counts
 * summed, the longest measured phase, the merged histogram) and the
 * members' own shares in res->scale.
 */
#ifndef IPCBENCH_SCALE_H
#define IPCBENCH_SCALE_H

#include <stdbool.h>
#include <stdint.h>

#include "harness/harness.h"

/* Most pairs one cell runs (each is two processes). */
#define SCALE_MAX_PAIRS 64
#define SCALE_MAX_CLIENTS TRANSPORT_MAX_CLIENTS

struct scale_member {
	int client_cpu; /* -1: not pinned */
	int server_cpu;
	uint64_t count; /* measured messages */
	uint64_t elapsed_ns;
	double msgs_per_sec;
	int64_t raw_min_ns;
	int64_t raw_max_ns;
	struct hist latency;
	struct side_cost cost[2]; /* pairs: both sides; clients: the client ([CHAN_SERVER] is zero) */
	bool have_cost;
};

struct scale_result {
	bool fan_in; /* --clients (one server), else --pairs */
	unsigned int n;
	struct scale_member *m; /* [n] */
	/* fairness: the spread of the members' throughput */
	double min_msgs_per_sec;
	double max_msgs_per_sec;
	double jain_index; /* (sum x)^2 / (n sum x^2): 1 = perfectly even, 1/n = one member got it all */
};

/* The group's run of cfg (pairs or clients set), after cell_run's checks: res is initialised. */
int scale_cell_run(const struct cell_config *cfg, struct cell_result *res);
/* Adds repetition r's members into into's (same n), and recomputes the fairness. */
void scale_fold(struct scale_result *into, const struct scale_result *r);
void scale_free(struct scale_result *s);
/* The fairness figures from the members' rates. */
void scale_fairness(struct scale_result *s);

#endif
