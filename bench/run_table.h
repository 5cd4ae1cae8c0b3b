/*
 * run_table.h - what `ipcbench run` shows on the terminal: the progress
 * line, the table of cells, and the warnings about floors a cell beat.
 */
#ifndef IPCBENCH_RUN_TABLE_H
#define IPCBENCH_RUN_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "harness/run.h"

/* One line per cell that ran: its variant, size, placement, percentiles, rate and floor ratio. */
void run_table_print(FILE *f, const struct run_cell *cells, size_t n, bool show_wait, bool show_pattern);
/* "[i/n] transport pattern size placement wait" on stderr, rewritten in place; nothing when !on. */
void run_table_progress(size_t i, size_t n, const struct run_cell *c, bool on);
/* A floor that a real transport beats is no floor: warn about each such cell. */
void run_table_warn_floors(const struct run_result *rr);

#endif
