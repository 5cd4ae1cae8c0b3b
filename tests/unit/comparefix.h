/*
 * comparefix.h - what the compare test suites (test_compare*.c) share:
 * synthetic result files built in memory and the comparison run on them.
 */
#ifndef IPCBENCH_TESTS_COMPAREFIX_H
#define IPCBENCH_TESTS_COMPAREFIX_H

#include <stddef.h>

#include "harness/analysis/compare.h"

#define MAXREPS 32
#define MAXCELLS 4

struct synth {
	struct result_file f;
	struct rf_cell cells[MAXCELLS];
	struct rf_rep reps[MAXCELLS][MAXREPS];
};

/* An empty file of one machine (cpu names its model). */
void synth_init(struct synth *s, const char *cpu);
/*
 * Adds an ok cell of n repetitions (64-byte stream messages, blocking,
 * same CPU, a 200 ms duration); the caller fills its repetitions.
 */
struct rf_cell *synth_cell_add(struct synth *s, const char *transport, const char *pattern, size_t n);
/* compare_run of b against n with o (NULL: the defaults), failing the test when it fails. */
void synth_run(const struct synth *b, const struct synth *n, const struct compare_options *o,
	       struct compare_result *res);

#endif
