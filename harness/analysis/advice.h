/*
 * advice.h - the report's first section, "Which should I use?", and its
 * table of the transports' named counters and the underload figures.
 *
 * Everything is derived from the result data: which cells were measured
 * (pattern, size, placement, wait, clients), their figures, and each
 * cell's `properties`, `kind` and `limits.note`.  Nothing is written by
 * hand for a transport.  For each common need the three best mechanisms
 * of the run are ranked at one size and one placement (named in the
 * table), never mixing a same-CPU figure with a cross-CPU one.
 *
 * Library code: writes HTML to f and nothing else.
 */
#ifndef IPCBENCH_ADVICE_H
#define IPCBENCH_ADVICE_H

#include <stdio.h>

#include "harness/analysis/plot.h"

/* The most mechanisms a need lists. */
#define ADVICE_TOP 3

/* The needs, in the order the section shows them. */
enum advice_need {
	ADVICE_LAT_ANY,	   /* lowest latency, at any CPU cost */
	ADVICE_LAT_NOSPIN, /* lowest latency without burning a CPU: no spin transport, no --wait spin */
	ADVICE_BULK,	   /* bulk throughput: stream cells, bytes/s */
	ADVICE_BY_NAME,	   /* unrelated processes: properties.by_name */
	ADVICE_NETWORK,	   /* other hosts: properties.network */
	ADVICE_CLIENTS,	   /* many clients: cells with clients=N, aggregate round trips/s */
	ADVICE__COUNT,
};

/* One ranked mechanism of a need. */
struct advice_pick {
	const struct plot_cell *pc; /* its best cell at the need's size and placement */
	double metric;		    /* what it was ranked by (p50 ns, or a rate) */
};

/* One need's answer for one file of the set. */
struct advice_answer {
	enum advice_need need;
	struct advice_pick top[ADVICE_TOP];
	size_t n;	 /* picks in top */
	size_t ranked;	 /* mechanisms that qualified at that size and placement */
	int64_t bytes;	 /* the size ranked at */
	int64_t clients; /* ADVICE_CLIENTS: the client count ranked at, else 0 */
	const char *rel; /* the placement ranked at ("cross") */
	char none[200];	 /* why nothing is listed, when n is 0 */
};

/* Ranks need for the cells of file (an index into ps->files). */
void advice_rank(const struct plot_set *ps, size_t file, enum advice_need need, struct advice_answer *a);

/* The section "Which should I use?" (id "advice"), one table per file. */
void advice_section(FILE *f, const struct plot_set *ps);

/* The table of named counters and underload figures; nothing when no cell has either. */
void advice_load_table(FILE *f, const struct plot_set *ps);

/* A table cell of s (escaped; "-" when empty), and of a duration ("-" when NAN): both tables' own. */
void advice_td(FILE *f, const char *cls, const char *s);
void advice_td_ns(FILE *f, double ns);

#endif
