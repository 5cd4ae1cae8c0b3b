/*
 * hist.c - the HDR histogram itself: the bucket layout and indexing,
 * recording and merging, and the queries with the Java reference's exact
 * semantics (docs/hdr.md sections 1-5).  The V2 encodings are in codec.c,
 * the .hgrm text and Java's number formatting in hgrm.c.
 */
#include "harness/hdr/hist.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- layout (docs/hdr.md section 1) ---- */

static int floor_log2(uint64_t x)
{
	return 63 - __builtin_clzll(x);
}

static int ceil_log2(uint64_t x)
{
	return x <= 1 ? 0 : 64 - __builtin_clzll(x - 1);
}

static int32_t buckets_needed(int64_t smallest_untrackable, int64_t highest)
{
	int32_t n = 1;

	while (smallest_untrackable <= highest) {
		if (smallest_untrackable > INT64_MAX / 2)
			return n + 1;
		smallest_untrackable <<= 1;
		n++;
	}
	return n;
}

/* Fills the layout fields of h; leaves the state alone. */
static int hist_layout(struct hist *h, int64_t lowest, int64_t highest, int digits)
{
	int64_t single_unit = 2;
	int sbcm, um;

	if (lowest < 1 || highest / 2 < lowest || digits < 0 || digits > 5)
		return -EINVAL;
	for (int i = 0; i < digits; i++)
		single_unit *= 10;
	um = floor_log2((uint64_t)lowest);
	sbcm = ceil_log2((uint64_t)single_unit);
	if (um + sbcm > 62)
		return -EINVAL;

	h->lowest = lowest;
	h->highest = highest;
	h->digits = digits;
	h->unit_magnitude = um;
	h->unit_magnitude_mask = ((int64_t)1 << um) - 1;
	h->sub_bucket_count_magnitude = sbcm;
	h->sub_bucket_half_count_magnitude = sbcm - 1;
	h->sub_bucket_count = (int32_t)1 << sbcm;
	h->sub_bucket_half_count = h->sub_bucket_count / 2;
	h->sub_bucket_mask = ((int64_t)h->sub_bucket_count - 1) << um;
	h->bucket_count = buckets_needed((int64_t)h->sub_bucket_count << um, highest);
	h->counts_len = (h->bucket_count + 1) * h->sub_bucket_half_count;
	return 0;
}

size_t hist_counts_bytes(int64_t lowest, int64_t highest, int digits)
{
	struct hist h;

	if (hist_layout(&h, lowest, highest, digits))
		return 0;
	return (size_t)h.counts_len * sizeof(int64_t);
}

static void hist_clear_state(struct hist *h)
{
	h->total_count = 0;
	h->max_tracked = 0;
	h->min_nonzero_tracked = INT64_MAX;
	h->out_of_range = 0;
}

int hist_init_mem(struct hist *h, int64_t lowest, int64_t highest, int digits, void *mem)
{
	int err;

	memset(h, 0, sizeof(*h));
	err = hist_layout(h, lowest, highest, digits);
	if (err)
		return err;
	if (!mem)
		return -EINVAL;
	h->counts = mem;
	h->owns_counts = false;
	hist_reset(h);
	return 0;
}

int hist_init(struct hist *h, int64_t lowest, int64_t highest, int digits)
{
	int err;

	memset(h, 0, sizeof(*h));
	err = hist_layout(h, lowest, highest, digits);
	if (err)
		return err;
	h->counts = calloc((size_t)h->counts_len, sizeof(int64_t));
	if (!h->counts) {
		memset(h, 0, sizeof(*h));
		return -ENOMEM;
	}
	h->owns_counts = true;
	hist_clear_state(h);
	return 0;
}

void hist_release(struct hist *h)
{
	if (h->owns_counts)
		free(h->counts);
	memset(h, 0, sizeof(*h));
}

void hist_reset(struct hist *h)
{
	if (h->counts)
		memset(h->counts, 0, (size_t)h->counts_len * sizeof(int64_t));
	hist_clear_state(h);
}

/* ---- indexing and equivalence (section 2) ---- */

static int bucket_index(const struct hist *h, int64_t v)
{
	return (64 - __builtin_clzll((uint64_t)(v | h->sub_bucket_mask))) - h->unit_magnitude -
	       (h->sub_bucket_half_count_magnitude + 1);
}

int32_t hist_counts_index(const struct hist *h, int64_t v)
{
	return hist__index(h, v < 0 ? 0 : v);
}

int64_t hist_value_from_index(const struct hist *h, int32_t i)
{
	int32_t b = (i >> h->sub_bucket_half_count_magnitude) - 1;
	int64_t s = (i & (h->sub_bucket_half_count - 1)) + h->sub_bucket_half_count;

	if (i < 0)
		return 0;
	if (b < 0) {
		s -= h->sub_bucket_half_count;
		b = 0;
	}
	if (b + h->unit_magnitude > 63)
		return INT64_MAX;
	return (int64_t)((uint64_t)s << (b + h->unit_magnitude));
}

int64_t hist_size_of_equivalent_range(const struct hist *h, int64_t v)
{
	return (int64_t)((uint64_t)1 << (h->unit_magnitude + bucket_index(h, v < 0 ? 0 : v)));
}

int64_t hist_lowest_equivalent(const struct hist *h, int64_t v)
{
	int shift;

	if (v < 0)
		v = 0;
	shift = bucket_index(h, v) + h->unit_magnitude;
	return (int64_t)((uint64_t)(v >> shift) << shift);
}

/* Wraps like Java for the very last slot (its next value would be 2^63). */
static int64_t next_non_equivalent(const struct hist *h, int64_t v)
{
	return (int64_t)((uint64_t)hist_lowest_equivalent(h, v) + (uint64_t)hist_size_of_equivalent_range(h, v));
}

int64_t hist_highest_equivalent(const struct hist *h, int64_t v)
{
	return (int64_t)((uint64_t)next_non_equivalent(h, v) - 1);
}

int64_t hist_median_equivalent(const struct hist *h, int64_t v)
{
	return hist_lowest_equivalent(h, v) + (hist_size_of_equivalent_range(h, v) >> 1);
}

/* ---- recording and merging (section 3) ---- */

bool hist_record_n(struct hist *h, int64_t v, int64_t n)
{
	int32_t i;

	if (n < 0)
		return false;
	if (v < 0 || (i = hist__index(h, v)) >= h->counts_len) {
		h->out_of_range += n;
		return false;
	}
	if (n == 0)
		return true;
	h->counts[i] += n;
	h->total_count += n;
	if ((v | h->unit_magnitude_mask) > h->max_tracked)
		h->max_tracked = v | h->unit_magnitude_mask;
	if (v > h->unit_magnitude_mask && (v & ~h->unit_magnitude_mask) < h->min_nonzero_tracked)
		h->min_nonzero_tracked = v & ~h->unit_magnitude_mask;
	return true;
}

static bool same_layout(const struct hist *a, const struct hist *b)
{
	return a->bucket_count == b->bucket_count && a->sub_bucket_count == b->sub_bucket_count &&
	       a->unit_magnitude == b->unit_magnitude;
}

/* dst->out_of_range also receives src->out_of_range (a merge keeps the tally). */
int64_t hist_add(struct hist *dst, const struct hist *src)
{
	int64_t lost = 0, added = 0, oor = src->out_of_range;

	if (same_layout(dst, src)) {
		for (int32_t i = 0; i < src->counts_len; i++) {
			int64_t c = src->counts[i];

			dst->counts[i] += c;
			added += c;
		}
		dst->total_count += added;
		if (src->max_tracked > dst->max_tracked)
			dst->max_tracked = src->max_tracked;
		if (src->min_nonzero_tracked < dst->min_nonzero_tracked)
			dst->min_nonzero_tracked = src->min_nonzero_tracked;
	} else {
		for (int32_t i = 0; i < src->counts_len; i++) {
			int64_t c = src->counts[i];

			if (c > 0 && !hist_record_n(dst, hist_value_from_index(src, i), c))
				lost += c;
		}
	}
	dst->out_of_range += oor;
	return lost;
}

/* ---- queries (section 4) ---- */

int64_t hist_max(const struct hist *h)
{
	return h->max_tracked == 0 ? 0 : hist_highest_equivalent(h, h->max_tracked);
}

int64_t hist_min(const struct hist *h)
{
	if (h->total_count == 0 || h->counts[0] > 0)
		return 0;
	if (h->min_nonzero_tracked == INT64_MAX)
		return INT64_MAX;
	return hist_lowest_equivalent(h, h->min_nonzero_tracked);
}

double hist_mean(const struct hist *h)
{
	double total = 0.0;

	if (h->total_count == 0)
		return 0.0;
	for (int32_t i = 0; i < h->counts_len; i++) {
		if (h->counts[i] == 0)
			continue;
		total += (double)hist_median_equivalent(h, hist_value_from_index(h, i)) * (double)h->counts[i];
	}
	return total / (double)h->total_count;
}

double hist_stddev(const struct hist *h)
{
	double mean, total = 0.0;

	if (h->total_count == 0)
		return 0.0;
	mean = hist_mean(h);
	for (int32_t i = 0; i < h->counts_len; i++) {
		double dev;

		if (h->counts[i] == 0)
			continue;
		dev = (double)hist_median_equivalent(h, hist_value_from_index(h, i)) - mean;
		total += dev * dev * (double)h->counts[i];
	}
	return sqrt(total / (double)h->total_count);
}

static int64_t count_at_percentile(int64_t total, double p)
{
	double q = nextafter(p, -INFINITY);
	int64_t want;

	if (isnan(q))
		return 1;
	q = q < 0.0 ? 0.0 : q > 100.0 ? 100.0 : q;
	want = hist__d2l(ceil(q * (double)total / 100.0));
	return want < 1 ? 1 : want;
}

int64_t hist_value_at_percentile(const struct hist *h, double p)
{
	int64_t want, cum = 0;

	if (h->total_count == 0)
		return 0;
	want = count_at_percentile(h->total_count, p);
	for (int32_t i = 0; i < h->counts_len; i++) {
		int64_t v;

		cum += h->counts[i];
		if (cum < want)
			continue;
		v = hist_value_from_index(h, i);
		return p == 0.0 ? hist_lowest_equivalent(h, v) : hist_highest_equivalent(h, v);
	}
	return 0;
}

double hist_percentile_at_or_below(const struct hist *h, int64_t v)
{
	int64_t cum = 0;
	int32_t last;

	if (h->total_count == 0)
		return 100.0;
	if (v < 0)
		return 0.0;
	last = hist__index(h, v);
	if (last > h->counts_len - 1)
		last = h->counts_len - 1;
	for (int32_t i = 0; i <= last; i++)
		cum += h->counts[i];
	return 100.0 * (double)cum / (double)h->total_count;
}

/* ---- iteration (section 5) ---- */

void hist_iter_init(struct hist_iter *it, const struct hist *h)
{
	memset(it, 0, sizeof(*it));
	it->h = h;
	it->index = -1;
}

bool hist_iter_next(struct hist_iter *it)
{
	const struct hist *h = it->h;

	while (++it->index < h->counts_len) {
		if (h->counts[it->index] == 0)
			continue;
		it->count = h->counts[it->index];
		it->cumulative += it->count;
		it->value_lowest = hist_value_from_index(h, it->index);
		it->value = hist_highest_equivalent(h, it->value_lowest);
		return true;
	}
	it->index = h->counts_len;
	return false;
}
