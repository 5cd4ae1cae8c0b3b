/*
 * plot_clients.h - the many-members chart family and its report table
 * (plot_clients.c): cells of --clients N (N clients of one server) and of
 * --pairs N (N independent pairs), their aggregate throughput and p99
 * against N, one line per transport.
 */
#ifndef IPCBENCH_PLOT_CLIENTS_H
#define IPCBENCH_PLOT_CLIENTS_H

#include <stdio.h>

#include "harness/analysis/plot.h"

/*
 * The report's "Many clients, many pairs" section: a row per ok cell with
 * clients or pairs (transport, mode, members, aggregate rate, p50, p99,
 * Jain's index, the slowest and fastest member's rate), nothing when there
 * is none.  td writes one escaped table cell (html.c's).
 */
void plot_clients_table(FILE *f, const struct plot_set *ps, void (*td)(FILE *f, const char *cls, const char *s));

#endif
