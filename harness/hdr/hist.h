/*
 * hist.h - HDR histogram: layout, recording and queries (docs/hdr.md).
 *
 * Values are int64 (ipcbench records nanoseconds).  Queries follow the Java
 * reference (org.HdrHistogram 2.1.x) exactly: equivalent-value semantics
 * for min, max and percentiles, bucket medians for mean and stddev.
 * Recording is O(1) and never allocates; memory depends only on the
 * (lowest, highest, digits) layout, not on how many values were recorded.
 *
 * One header per feature: the V2 encodings and base64 are in codec.h, the
 * .hgrm percentile text and Java's number formatting in hgrm.h, interval
 * logs in hlog.h.  The library needs libc and zlib only.
 */
#ifndef IPCBENCH_HIST_H
#define IPCBENCH_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ipcbench's layout: 1 ns .. 1 hour, 3 significant digits. */
#define HIST_LOWEST 1
#define HIST_HIGHEST 3600000000000LL
#define HIST_DIGITS 3

struct hist {
	/* construction parameters, as given (stored in encodings) */
	int64_t lowest;
	int64_t highest;
	int digits;
	/* derived layout (docs/hdr.md section 1) */
	int unit_magnitude;
	int sub_bucket_count_magnitude;
	int sub_bucket_half_count_magnitude;
	int32_t sub_bucket_count;
	int32_t sub_bucket_half_count;
	int64_t sub_bucket_mask;
	int64_t unit_magnitude_mask;
	int32_t bucket_count;
	int32_t counts_len;
	/* state */
	int64_t total_count;
	int64_t max_tracked;	     /* v | unit_magnitude_mask, 0 when empty */
	int64_t min_nonzero_tracked; /* v & ~unit_magnitude_mask, INT64_MAX when none */
	int64_t out_of_range;	     /* values refused by hist_record (counted, not clamped) */
	int64_t *counts;
	bool owns_counts;
};

/* Bytes of counts storage a layout needs, or 0 for an invalid layout. */
size_t hist_counts_bytes(int64_t lowest, int64_t highest, int digits);
/* Allocates the counts.  0 or -EINVAL/-ENOMEM. */
int hist_init(struct hist *h, int64_t lowest, int64_t highest, int digits);
/* Uses caller storage of hist_counts_bytes() bytes (e.g. a shared mapping); zeroes it. */
int hist_init_mem(struct hist *h, int64_t lowest, int64_t highest, int digits, void *mem);
void hist_release(struct hist *h);
void hist_reset(struct hist *h);

/* Adds n at v.  false (and out_of_range += n) when v < 0 or beyond the last slot. */
bool hist_record_n(struct hist *h, int64_t v, int64_t n);
static inline bool hist_record(struct hist *h, int64_t v);

/* Merges src into dst (slot by slot when layouts match, by value otherwise).
 * Returns the number of counts dst could not hold (0 normally). */
int64_t hist_add(struct hist *dst, const struct hist *src);

/* Queries, Java semantics. */
int64_t hist_min(const struct hist *h);
int64_t hist_max(const struct hist *h);
double hist_mean(const struct hist *h);
double hist_stddev(const struct hist *h);
int64_t hist_value_at_percentile(const struct hist *h, double p);
double hist_percentile_at_or_below(const struct hist *h, int64_t v);

/* Value equivalence (docs/hdr.md section 2). */
int32_t hist_counts_index(const struct hist *h, int64_t v);
int64_t hist_value_from_index(const struct hist *h, int32_t i);
int64_t hist_lowest_equivalent(const struct hist *h, int64_t v);
int64_t hist_highest_equivalent(const struct hist *h, int64_t v);
int64_t hist_median_equivalent(const struct hist *h, int64_t v);
int64_t hist_size_of_equivalent_range(const struct hist *h, int64_t v);

/* Iteration over non-empty slots in value order: returns false at the end. */
struct hist_iter {
	const struct hist *h;
	int32_t index;	      /* current slot */
	int64_t count;	      /* its count */
	int64_t cumulative;   /* counts up to and including it */
	int64_t value;	      /* highest equivalent value of the slot */
	int64_t value_lowest; /* lowest equivalent value of the slot */
};
void hist_iter_init(struct hist_iter *it, const struct hist *h);
bool hist_iter_next(struct hist_iter *it);

/* ---- inline fast path ---- */

/* Java's (long) cast of a double: saturating, NaN -> 0 (used by hgrm.c too). */
static inline int64_t hist__d2l(double x)
{
	if (__builtin_isnan(x))
		return 0;
	if (x >= 9223372036854775807.0)
		return INT64_MAX;
	if (x <= -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)x;
}

static inline int32_t hist__index(const struct hist *h, int64_t v)
{
	int bucket = (64 - __builtin_clzll((uint64_t)(v | h->sub_bucket_mask))) - h->unit_magnitude -
		     (h->sub_bucket_half_count_magnitude + 1);
	int64_t sub = v >> (bucket + h->unit_magnitude);
	return ((int32_t)(bucket + 1) << h->sub_bucket_half_count_magnitude) +
	       (int32_t)(sub - h->sub_bucket_half_count);
}

static inline bool hist_record(struct hist *h, int64_t v)
{
	int32_t i;

	if (v < 0)
		return hist_record_n(h, v, 1);
	i = hist__index(h, v);
	if (i >= h->counts_len)
		return hist_record_n(h, v, 1);
	h->counts[i]++;
	h->total_count++;
	if ((v | h->unit_magnitude_mask) > h->max_tracked)
		h->max_tracked = v | h->unit_magnitude_mask;
	if (v > h->unit_magnitude_mask && (v & ~h->unit_magnitude_mask) < h->min_nonzero_tracked)
		h->min_nonzero_tracked = v & ~h->unit_magnitude_mask;
	return true;
}

#endif
