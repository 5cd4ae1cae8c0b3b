/*
 * hdrout.h - the HdrHistogram files `run` writes besides its JSON: one
 * .hgrm percentile distribution per cell (--hgrm DIR) and one .hlog
 * interval log per cell (--hlog DIR --interval TIME), in the formats of
 * HdrHistogram's Java reference so its plotters and log tools read them.
 */
#ifndef IPCBENCH_HDROUT_H
#define IPCBENCH_HDROUT_H

#include <stddef.h>

#include "harness/harness.h"
#include "harness/report.h"

/* "pipe_pingpong_64B_cross-0-1_block": transport, pattern, size, placement, wait */
void hdrout_cell_name(const struct cell_config *cfg, char *out, size_t outlen);
/* Writes DIR/<name>.hgrm (atomically) from the cell's merged histogram. */
int hdrout_write_hgrm(const char *dir, const struct report_cell *c, char *err, size_t errlen);
/* Appends one repetition's intervals to DIR/<name>.hlog (the header when the file is new). */
int hdrout_append_hlog(const char *dir, const struct cell_config *cfg, const struct cell_result *res, char *err,
		       size_t errlen);
/* 0 when dir exists and is writable, else a one-line reason. */
int hdrout_check_dir(const char *dir, char *err, size_t errlen);

#endif
