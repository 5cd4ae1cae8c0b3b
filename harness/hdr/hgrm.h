/*
 * hgrm.h - the .hgrm percentile distribution and Java's number formatting
 * (docs/hdr.md section 6).
 */
#ifndef IPCBENCH_HDR_HGRM_H
#define IPCBENCH_HDR_HGRM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "harness/hdr/hist.h"

/*
 * The .hgrm percentile distribution, byte-identical to Java's
 * outputPercentileDistribution(out, ticks, ratio) (csv: the CSV variant).
 * 0, -EINVAL (ticks_per_half < 1, unit_ratio not > 0) or -EIO.
 */
int hist_write_hgrm(const struct hist *h, FILE *out, int ticks_per_half, double unit_ratio, bool csv);

/*
 * Formats v with `decimals` (0..40) digits after the point as Java's
 * String.format("%.Nf") does: HALF_UP on the shortest round-trip digits
 * (section 6.3), "NaN"/"Infinity" for non-finite values.  Returns what
 * snprintf returns, or -EINVAL.  Also used for the .hlog %.3f fields.
 */
int hist_format_fixed(char *buf, size_t size, double v, int decimals);

#endif
