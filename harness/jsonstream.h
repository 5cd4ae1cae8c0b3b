/*
 * jsonstream.h - --json-stream: the run as newline-delimited JSON events,
 * one object per line, flushed as it happens, so a dashboard or a CI log
 * can follow a long run (the result file is written as before):
 *
 *	run_started     the command line, the host, the number of repetitions
 *	cell_started    a repetition of a cell begins (its key, k of n)
 *	interval        about every HARNESS_PROGRESS_MS while it runs: the new
 *	                batches' samples, median and rate, and the precision so far
 *	cell_finished   after each repetition: the cell's record as the result
 *	                file has it ("final": true after its last repetition)
 *	run_finished    the cells written, the exit status, a signal
 *
 * Every line has "event" and "t" (seconds since run_started).  The record
 * of cell_finished is written before the end-of-run calibration, which can
 * still lower the cell's floor fields in the result file.
 */
#ifndef IPCBENCH_JSONSTREAM_H
#define IPCBENCH_JSONSTREAM_H

#include <stdbool.h>
#include <stdio.h>

#include "harness/run.h"

struct jsonstream {
	FILE *f;
	bool own; /* opened here: closed by jsonstream_close */
	bool failed;
	uint64_t t0; /* monotonic ns at run_started */
	const struct run_cell *cur;
	size_t cur_rep;
	size_t seen; /* batches of the current repetition already reported */
};

/* path NULL or "-": stdout; else the file is created or truncated (a symlink is refused).  0 or -errno with err. */
int jsonstream_open(struct jsonstream *js, const char *path, char *err, size_t errlen);
void jsonstream_run_started(struct jsonstream *js, const struct run *r);
void jsonstream_cell_started(struct jsonstream *js, const struct run *r, const struct run_cell *c);
/* The harness's progress callback (cell_config.on_progress), ctx the jsonstream. */
void jsonstream_progress(void *ctx, const struct cell_config *cfg, const struct prec_batch *b, size_t nbatches);
void jsonstream_cell_finished(struct jsonstream *js, const struct run *r, const struct run_cell *c);
void jsonstream_run_finished(struct jsonstream *js, const struct run *r, int exit_status);
/* 0, or -EIO with err when a line could not be written. */
int jsonstream_close(struct jsonstream *js, char *err, size_t errlen);

#endif
