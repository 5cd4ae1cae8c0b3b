/*
 * hist.h - HDR histogram, written from shared/docs/hdr-format.md.
 *
 * Values are int64 (ipcbench records nanoseconds).  Queries follow the Java
 * reference (org.HdrHistogram 2.1.x) exactly: equivalent-value semantics
 * for min, max and percentiles, bucket medians for mean and stddev.
 * Recording is O(1) and never allocates; memory depends only on the
 * (lowest, highest, digits) layout, not on how many values were recorded.
 */
#ifndef IPCBENCH_HIST_H
#define IPCBENCH_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ipcbench's layout: 1 ns .. 1 hour, 3 significant digits. */
#define HIST_LOWEST 1
#define HIST_HIGHEST 3600000000000LL
#define HIST_DIGITS 3

struct hist {
	/* construction parameters, as given (stored in encodings) */
	int64_t lowest;
	int64_t highest;
	int digits;
	/* derived layout (hdr-format.md section 2) */
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

/* Value equivalence (section 3). */
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

/*
 * Encodings (section 7).  Encoded buffers are malloc'd; the caller frees.
 * hist_encode_compressed: the 0x1c849314 form with zlib at `level` (6 for a
 * single histogram, as Java's encodeIntoCompressedByteBuffer; 9 in logs).
 * hist_decode accepts the compressed and uncompressed V2 forms and
 * initialises h (allocating); errors give -EINVAL/-ENOMEM and a reason.
 */
int hist_encode_raw(const struct hist *h, uint8_t **out, size_t *outlen);
int hist_encode_compressed(const struct hist *h, int level, uint8_t **out, size_t *outlen);
int hist_decode(struct hist *h, const uint8_t *buf, size_t len, char *why, size_t whylen);
/* Base64 (standard alphabet, padded, no line breaks) of the compressed form. */
int hist_encode_base64(const struct hist *h, int level, char **out);
int hist_decode_base64(struct hist *h, const char *b64, char *why, size_t whylen);

/*
 * The .hgrm percentile distribution (section 6), byte-identical to Java's
 * outputPercentileDistribution(out, ticks, ratio) (csv: the CSV variant).
 */
int hist_write_hgrm(const struct hist *h, FILE *out, int ticks_per_half, double unit_ratio, bool csv);

/*
 * Formats v with `decimals` (0..40) digits after the point as Java's
 * String.format("%.Nf") does: HALF_UP on the shortest round-trip digits
 * (section 6.3), "NaN"/"Infinity" for non-finite values.  Returns what
 * snprintf returns, or -EINVAL.  Also used for the .hlog %.3f fields.
 */
int hist_format_fixed(char *buf, size_t size, double v, int decimals);

/* ---- inline fast path ---- */

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
