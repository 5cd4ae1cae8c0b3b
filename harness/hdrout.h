/*
 * hdrout.h - the HdrHistogram files `run` writes besides its JSON: one
 * .hgrm percentile distribution per cell (--hgrm DIR) and one .hlog
 * interval log per cell (--hlog DIR --interval TIME), in the formats of
 * HdrHistogram's Java reference so its plotters and log tools read them.
 *
 * A .hgrm is written whole, through common/outfile.h (atomic, never through
 * a symlink).  A .hlog grows by one repetition at a time, so it is created
 * by the cell's first repetition with O_CREAT|O_EXCL|O_NOFOLLOW and later
 * repetitions append to that same file only (O_NOFOLLOW, same inode): a
 * run never writes through a planted symlink and never appends to the log
 * of an earlier run (hdrout_hlog_check refuses one before the run starts).
 */
#ifndef IPCBENCH_HDROUT_H
#define IPCBENCH_HDROUT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "harness/result.h"

/* "pipe_pingpong_64B_cross-0-1_block": transport, pattern, size, placement, wait */
void hdrout_cell_name(const struct cell_config *cfg, char *out, size_t outlen);
/*
 * 0 when dir exists and is writable, or does not exist and can be created
 * in a writable parent (as plot -o, one level); else a one-line reason.
 */
int hdrout_check_dir(const char *dir, char *err, size_t errlen);
/* Creates dir when missing (*created then true): 0, or -errno with a reason. */
int hdrout_make_dir(const char *dir, bool *created, char *err, size_t errlen);

/* Checks that DIR/<name>.hgrm can be written (outfile_check): 0 or -errno naming it. */
int hdrout_hgrm_check(const char *dir, const struct cell_config *cfg, char *err, size_t errlen);
/* Writes DIR/<name>.hgrm from the cell's merged histogram. */
int hdrout_write_hgrm(const char *dir, const struct run_cell *c, char *err, size_t errlen);

/* One cell's interval log over the repetitions of one run. */
struct hdrout_hlog {
	bool created;
	dev_t dev; /* the file this run created */
	ino_t ino;
	double start_s; /* its StartTime: the first repetition's start, seconds since the epoch */
};

/* -EEXIST naming the file when DIR/<name>.hlog exists already (as anything, a symlink too). */
int hdrout_hlog_check(const char *dir, const struct cell_config *cfg, char *err, size_t errlen);
/* Writes one repetition's intervals: the first creates the file and its header, later ones append. */
int hdrout_hlog_append(struct hdrout_hlog *h, const char *dir, const struct cell_config *cfg,
		       const struct cell_result *res, char *err, size_t errlen);

#endif
