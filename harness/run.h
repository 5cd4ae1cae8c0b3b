/*
 * run.h - the engine's run: every cell (transport x pattern x size x
 * placement x wait) run --repeat times in a shuffled, interleaved order,
 * the repetitions folded into one result per cell, the machine's floors
 * attached and checked again at the end, the .hgrm/.hlog files and the
 * result JSON written.  bench/cmd_run.c parses argv into run_options,
 * prints the table and the progress, and decides the exit status.
 *
 *	run_init     checks the options and the output names, builds the cells
 *	             (nothing is created: a failure is a usage error)
 *	run_start    the run directory, the clock, the host facts, the floors
 *	run_peek /   the next repetition (NULL when done or interrupted) and
 *	run_step     running it
 *	run_finish   the floors again, the cells that ran, the .hgrm files
 *	run_write    the result JSON
 *	run_release
 *
 * Nothing here prints: problems that do not stop the run (floors that
 * could not be measured, a log that could not be written) go to the warn
 * callback, one line each.  A signal (harness_interrupt) stops the run
 * between repetitions; run_write records it.
 */
#ifndef IPCBENCH_RUN_H
#define IPCBENCH_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "harness/hdrout.h"
#include "harness/result.h"

#define RUN_SLOW_WARMUP 20    /* the warm-up of transports marked slow, unless one is given */
#define RUN_FLOOR_BEATEN 0.95 /* a p50 below this multiple of its floor: the floor is wrong */
#define RUN_FLOOR_DRIFT 1.5   /* floors that moved more than this factor during the run are reported */

typedef void run_warn_fn(void *ctx, const char *msg);

struct run {
	struct run_options *opt;
	struct run_result res;	/* what run_write writes */
	struct run_cell *cells; /* every cell, in the table's order */
	size_t ncells;
	size_t *sched; /* the repetitions: indices into cells */
	size_t nsched;
	size_t next;
	struct hdrout_hlog *hlogs; /* per cell, with opt->hlog_dir */
	char run_dir[4096];
	bool failed; /* a cell failed or an output file could not be written */
	run_warn_fn *warn;
	void *warn_ctx;
};

/*
 * 0 when rate_per_sec can be measured within timeout_ms (a message at
 * least every half timeout), else -EINVAL with err saying why, without
 * the value ("is one message every 20 s: ...").
 */
int run_rate_check(double rate_per_sec, int timeout_ms, char *err, size_t errlen);

/* The CPUs of a placement chosen from the topology: 0, or -ENOENT when this host has none such. */
int run_pick_placement(enum relation rel, struct placement *pl);

/*
 * Checks o (the rate, the output files that exist already) and builds the
 * cells and the schedule.  0, or -errno with err one line naming what is
 * wrong: a usage error, nothing was created.  warn may be NULL.
 */
int run_init(struct run *r, struct run_options *o, run_warn_fn *warn, void *warn_ctx, char *err, size_t errlen);

/* Creates the run directory, sets up the clock, collects the host and the floors.  0 or -errno with err. */
int run_start(struct run *r, const char *command_line, char *err, size_t errlen);

/* The repetition run_step runs next, for a progress line; NULL when the schedule is done or a signal arrived. */
const struct run_cell *run_peek(const struct run *r);
/* Runs that repetition and folds it into its cell (writing its .hlog intervals). */
void run_step(struct run *r);

/* After the last repetition: removes the run directory, measures the floors again, writes the .hgrm files. */
void run_finish(struct run *r);

/* Writes the result JSON to path ("-": stdout), recording a signal that arrived until now.  0 or -errno with err. */
int run_write(struct run *r, const char *path, char *err, size_t errlen);

void run_release(struct run *r);

#endif
