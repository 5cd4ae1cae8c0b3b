/*
 * hist.c - HDR histogram, written from shared/docs/hdr-format.md.
 *
 * Layout and indexing (sections 2-3), recording and merging (4), queries
 * with the Java reference's exact semantics (5), the .hgrm percentile text
 * with Java's HALF_UP number formatting (6), and the V2 encodings: raw,
 * zlib-compressed and base64 (7).  Decoding treats its input as hostile:
 * every length is checked and the payload is inflated through a small
 * window, so a bad buffer costs at most the counts array of a valid layout.
 */
#include "harness/hdr/hist.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define V2_COOKIE 0x1c849313u
#define V2_COMPRESSED_COOKIE 0x1c849314u
#define V2_HEADER_BYTES 40
#define MAX_COUNTS_LEN (1 << 26)
#define VARINT_MAX_BYTES 9
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
#define FMT_BYTES 400 /* DBL_MAX with 40 decimals fits */

/* ---- layout (section 2) ---- */

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

/* ---- indexing and equivalence (section 3) ---- */

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

/* ---- recording and merging (section 4) ---- */

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

/* ---- queries (section 5) ---- */

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

/* Java's (long) cast of a double: saturating, NaN -> 0. */
static int64_t java_d2l(double x)
{
	if (isnan(x))
		return 0;
	if (x >= 9223372036854775807.0)
		return INT64_MAX;
	if (x <= -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)x;
}

static int64_t count_at_percentile(int64_t total, double p)
{
	double q = nextafter(p, -INFINITY);
	int64_t want;

	if (isnan(q))
		return 1;
	q = q < 0.0 ? 0.0 : q > 100.0 ? 100.0 : q;
	want = java_d2l(ceil(q * (double)total / 100.0));
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

/* ---- iteration ---- */

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

/* ---- Java number formatting (section 6.3) ---- */

/*
 * Java's digits for an integral v < 2^63 (FloatingDecimal's "easy" case):
 * the exact integer, not the shortest digits, except that from 2^58 on a
 * few low digits count as insignificant and are rounded away half-up.
 */
static int integer_digits(double v, char *digits, int *exp10)
{
	static const int insignificant[] = {0, 0, 0, 0, 1, 1, 1, 2, 2};
	uint64_t u = (uint64_t)v, pow10 = 1;
	int p2 = floor_log2(u) - 54, drop = 0, n;

	if (p2 > 1 && p2 < (int)ARRAY_SIZE(insignificant))
		drop = insignificant[p2];
	for (int i = 0; i < drop; i++)
		pow10 *= 10;
	if (u % pow10 >= pow10 / 2 && drop)
		u = u / pow10 + 1;
	else
		u /= pow10;
	n = snprintf(digits, 24, "%" PRIu64, u);
	*exp10 = n + drop;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	return n;
}

/* Java's decimal digits of v > 0; returns their count, sets *exp10 (v = 0.D * 10^exp10). */
static int java_digits(double v, char *digits, int *exp10)
{
	char buf[40], *e;
	int n = 0;

	if (v < 9223372036854775808.0 && v == floor(v))
		return integer_digits(v, digits, exp10);
	/*
	 * Otherwise the shortest digits that read back as v.  Above 2^63
	 * Java's generator sometimes ends on another 17th digit: such values
	 * never come out of a histogram.
	 */
	for (int p = 0; p <= 16; p++) {
		snprintf(buf, sizeof(buf), "%.*e", p, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	e = strchr(buf, 'e');
	for (const char *c = buf; c < e; c++)
		if (*c != '.')
			digits[n++] = *c;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	*exp10 = atoi(e + 1) + 1;
	return n;
}

/* Rounds digits[0..n) HALF_UP to keep digits; returns the new count. */
static int round_half_up(char *digits, int n, int keep, int *exp10)
{
	int i;

	if (keep >= n)
		return n;
	if (keep < 0 || digits[keep] < '5')
		return keep < 0 ? 0 : keep;
	for (i = keep - 1; i >= 0 && digits[i] == '9'; i--)
		;
	if (i < 0) {
		digits[0] = '1';
		(*exp10)++;
		return 1;
	}
	digits[i]++;
	return i + 1;
}

int hist_format_fixed(char *buf, size_t size, double v, int decimals)
{
	char digits[24], out[FMT_BYTES];
	int n = 0, exp10 = 1, len = 0;

	if (decimals < 0 || decimals > 40)
		return -EINVAL;
	if (isnan(v) || isinf(v))
		return snprintf(buf, size, "%s", isnan(v) ? "NaN" : v < 0 ? "-Infinity" : "Infinity");
	if (signbit(v))
		out[len++] = '-';
	v = fabs(v);
	if (v != 0.0) {
		n = java_digits(v, digits, &exp10);
		n = round_half_up(digits, n, exp10 + decimals, &exp10);
	}
	if (exp10 <= 0 || n == 0)
		out[len++] = '0';
	for (int i = 0; n > 0 && i < exp10; i++)
		out[len++] = i < n ? digits[i] : '0';
	if (decimals > 0)
		out[len++] = '.';
	for (int i = exp10; i < exp10 + decimals; i++)
		out[len++] = i >= 0 && i < n ? digits[i] : '0';
	out[len] = '\0';
	return snprintf(buf, size, "%s", out);
}

/* ---- the .hgrm percentile distribution (section 6) ---- */

static double next_level(double level, int ticks)
{
	int64_t half = java_d2l(log(100.0 / (100.0 - level)) / log(2));
	int64_t pw = java_d2l(pow(2, (double)(int64_t)((uint64_t)half + 1)));
	int64_t reporting = (int64_t)((uint64_t)ticks * (uint64_t)pw);

	return level + 100.0 / (double)reporting;
}

struct hgrm {
	FILE *out;
	const struct hist *h;
	double ratio;
	bool csv;
};

static void hgrm_row(const struct hgrm *g, int64_t value, double level, int64_t cum)
{
	char v[FMT_BYTES], p[FMT_BYTES], inv[FMT_BYTES];
	bool last = level == 100.0;

	hist_format_fixed(v, sizeof(v), (double)value / g->ratio, g->h->digits);
	hist_format_fixed(p, sizeof(p), level / 100.0, 12);
	hist_format_fixed(inv, sizeof(inv), 1 / (1.0 - level / 100.0), 2);
	if (g->csv)
		fprintf(g->out, "%s,%s,%" PRId64 ",%s\n", v, p, cum, last ? "Infinity" : inv);
	else if (last)
		fprintf(g->out, "%12s %2s %10" PRId64 "\n", v, p, cum);
	else
		fprintf(g->out, "%12s %2s %10" PRId64 " %14s\n", v, p, cum, inv);
}

static void hgrm_footer(const struct hgrm *g)
{
	const struct hist *h = g->h;
	char a[FMT_BYTES], b[FMT_BYTES];

	hist_format_fixed(a, sizeof(a), hist_mean(h) / g->ratio, h->digits);
	hist_format_fixed(b, sizeof(b), hist_stddev(h) / g->ratio, h->digits);
	fprintf(g->out, "#[Mean    = %12s, StdDeviation   = %12s]\n", a, b);
	hist_format_fixed(a, sizeof(a), (double)hist_max(h) / g->ratio, h->digits);
	fprintf(g->out, "#[Max     = %12s, Total count    = %12" PRId64 "]\n", a, h->total_count);
	fprintf(g->out, "#[Buckets = %12" PRId32 ", SubBuckets     = %12" PRId32 "]\n", h->bucket_count,
		h->sub_bucket_count);
}

/* Java's PercentileIterator: rows per tick level, then one final 100% row. */
static void hgrm_rows(const struct hgrm *g, int ticks)
{
	const struct hist *h = g->h;
	int64_t n = h->total_count, cum = 0, value = 0;
	double level = 0.0;

	if (n == 0)
		return;
	for (int32_t i = 0; i < h->counts_len && cum < n; i++) {
		if (h->counts[i] == 0)
			continue;
		cum += h->counts[i];
		value = hist_highest_equivalent(h, hist_value_from_index(h, i));
		while (100.0 * (double)cum / (double)n >= level) {
			hgrm_row(g, value, level, cum);
			level = next_level(level, ticks);
			if (cum >= n)
				break;
		}
	}
	hgrm_row(g, value, 100.0, cum);
}

int hist_write_hgrm(const struct hist *h, FILE *out, int ticks_per_half, double unit_ratio, bool csv)
{
	struct hgrm g = {out, h, unit_ratio, csv};

	if (ticks_per_half < 1 || !(unit_ratio > 0.0))
		return -EINVAL;
	if (csv)
		fputs("\"Value\",\"Percentile\",\"TotalCount\",\"1/(1-Percentile)\"\n", out);
	else
		fprintf(out, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
	hgrm_rows(&g, ticks_per_half);
	if (!csv)
		hgrm_footer(&g);
	return ferror(out) ? -EIO : 0;
}

/* ---- V2 encoding (section 7) ---- */

static void put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

/* ZigZag, then LEB128-64b9B: the 9th byte carries 8 bits, no flag. */
static size_t put_varint(uint8_t *p, int64_t value)
{
	uint64_t u = ((uint64_t)value << 1) ^ (0 - ((uint64_t)value >> 63));
	size_t n = 0;

	while (n < 8 && u >> 7) {
		p[n++] = (uint8_t)(u | 0x80);
		u >>= 7;
	}
	p[n++] = (uint8_t)u;
	return n;
}

static size_t encode_payload(const struct hist *h, uint8_t *p)
{
	int32_t limit = hist__index(h, h->max_tracked) + 1, i = 0;
	size_t n = 0;

	if (limit > h->counts_len)
		limit = h->counts_len;
	while (i < limit) {
		int64_t c = h->counts[i++], zeros = 0;

		if (c == 0) {
			for (zeros = 1; i < limit && h->counts[i] == 0; i++)
				zeros++;
		}
		n += put_varint(p + n, zeros > 1 ? -zeros : c);
	}
	return n;
}

int hist_encode_raw(const struct hist *h, uint8_t **out, size_t *outlen)
{
	size_t cap = V2_HEADER_BYTES + (size_t)VARINT_MAX_BYTES * ((size_t)hist__index(h, h->max_tracked) + 1);
	uint8_t *p = malloc(cap);
	size_t payload;

	if (!p)
		return -ENOMEM;
	payload = encode_payload(h, p + V2_HEADER_BYTES);
	put_be32(p, V2_COOKIE);
	put_be32(p + 4, (uint32_t)payload);
	put_be32(p + 8, 0);
	put_be32(p + 12, (uint32_t)h->digits);
	put_be64(p + 16, (uint64_t)h->lowest);
	put_be64(p + 24, (uint64_t)h->highest);
	put_be64(p + 32, 0x3ff0000000000000ull); /* 1.0 */
	*out = p;
	*outlen = V2_HEADER_BYTES + payload;
	return 0;
}

int hist_encode_compressed(const struct hist *h, int level, uint8_t **out, size_t *outlen)
{
	uint8_t *raw, *z;
	size_t rawlen;
	uLongf zlen;
	int err;

	if (level < 0 || level > 9)
		return -EINVAL;
	err = hist_encode_raw(h, &raw, &rawlen);
	if (err)
		return err;
	zlen = compressBound(rawlen);
	z = malloc(8 + zlen);
	if (!z) {
		free(raw);
		return -ENOMEM;
	}
	err = compress2(z + 8, &zlen, raw, rawlen, level);
	free(raw);
	if (err != Z_OK) {
		free(z);
		return err == Z_MEM_ERROR ? -ENOMEM : -EIO;
	}
	put_be32(z, V2_COMPRESSED_COOKIE);
	put_be32(z + 4, (uint32_t)zlen);
	*out = z;
	*outlen = 8 + zlen;
	return 0;
}

/* ---- base64 (section 7.4): standard alphabet, padded, no whitespace ---- */

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64_encode(const uint8_t *p, size_t n)
{
	char *s = malloc((n + 2) / 3 * 4 + 1), *o = s;

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t w = (uint32_t)p[i] << 16;

		if (i + 1 < n)
			w |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			w |= p[i + 2];
		*o++ = b64_alphabet[w >> 18];
		*o++ = b64_alphabet[(w >> 12) & 63];
		*o++ = i + 1 < n ? b64_alphabet[(w >> 6) & 63] : '=';
		*o++ = i + 2 < n ? b64_alphabet[w & 63] : '=';
	}
	*o = '\0';
	return s;
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64_alphabet, c) : NULL;

	return p ? (int)(p - b64_alphabet) : -1;
}

static int why_fail(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int why_fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/*
 * Decodes like java.util.Base64's basic decoder: padding may be left out
 * of the final unit, but where present it must be complete and last.
 */
static int base64_decode(const char *s, uint8_t **out, size_t *outlen, char *why, size_t whylen)
{
	size_t len = strlen(s), data = len, n = 0;
	uint8_t *p;
	uint32_t w = 0;

	while (data > 0 && s[data - 1] == '=')
		data--;
	for (size_t i = 0; i < data; i++)
		if (b64_value(s[i]) < 0)
			return why_fail(why, whylen, "base64: invalid character 0x%02x at offset %zu",
					(unsigned char)s[i], i);
	if (len - data > 2 || (len != data && len % 4) || data % 4 == 1)
		return why_fail(why, whylen, "base64: bad length or padding (%zu characters)", len);
	p = malloc(data / 4 * 3 + 3);
	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < data; i++) {
		w = w << 6 | (uint32_t)b64_value(s[i]);
		if (i % 4 == 3) {
			p[n++] = (uint8_t)(w >> 16);
			p[n++] = (uint8_t)(w >> 8);
			p[n++] = (uint8_t)w;
			w = 0;
		}
	}
	if (data % 4 == 2)
		p[n++] = (uint8_t)(w >> 4);
	if (data % 4 == 3) {
		p[n++] = (uint8_t)(w >> 10);
		p[n++] = (uint8_t)(w >> 2);
	}
	*out = p;
	*outlen = n;
	return 0;
}

int hist_encode_base64(const struct hist *h, int level, char **out)
{
	uint8_t *z;
	size_t zlen;
	int err = hist_encode_compressed(h, level, &z, &zlen);

	if (err)
		return err;
	*out = base64_encode(z, zlen);
	free(z);
	return *out ? 0 : -ENOMEM;
}

/* ---- V2 decoding ---- */

/* A byte source over a raw buffer or, through a small window, a zlib stream. */
struct src {
	const uint8_t *p;
	size_t n;
	z_stream z;
	bool zlib; /* reading through z */
	bool zend;
	char *why;
	size_t whylen;
	uint8_t win[4096];
};

/* 0: bytes available, 1: end of data, or -errno. */
static int src_fill(struct src *s)
{
	while (s->n == 0) {
		int rc;

		if (!s->zlib || s->zend)
			return 1;
		s->z.next_out = s->win;
		s->z.avail_out = sizeof(s->win);
		rc = inflate(&s->z, Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
			s->zend = true;
		else if (rc == Z_BUF_ERROR)
			return why_fail(s->why, s->whylen, "truncated zlib stream");
		else if (rc == Z_MEM_ERROR)
			return -ENOMEM;
		else if (rc != Z_OK)
			return why_fail(s->why, s->whylen, "corrupt zlib stream: %s", s->z.msg ? s->z.msg : "error");
		s->p = s->win;
		s->n = sizeof(s->win) - s->z.avail_out;
	}
	return 0;
}

static int src_read(struct src *s, uint8_t *dst, size_t len, const char *what)
{
	while (len > 0) {
		size_t k;
		int err = src_fill(s);

		if (err > 0)
			return why_fail(s->why, s->whylen, "truncated %s", what);
		if (err)
			return err;
		k = s->n < len ? s->n : len;
		memcpy(dst, s->p, k);
		s->p += k;
		s->n -= k;
		dst += k;
		len -= k;
	}
	return 0;
}

/* After the payload nothing may follow, and a zlib stream must end cleanly. */
static int src_finish(struct src *s)
{
	int err = src_fill(s);

	if (err < 0)
		return err;
	if (err == 0)
		return why_fail(s->why, s->whylen, "%s after the payload",
				s->zlib ? "extra data in the zlib stream" : "trailing bytes");
	if (s->zlib && s->z.avail_in)
		return why_fail(s->why, s->whylen, "%u bytes after the end of the zlib stream", s->z.avail_in);
	return 0;
}

/* Reads one ZigZag LEB128-64b9B value of at most *left bytes. */
static int read_varint(struct src *s, uint32_t *left, int64_t *value)
{
	uint64_t u = 0;
	uint8_t b;

	for (int i = 0; i < VARINT_MAX_BYTES; i++) {
		int err;

		if (*left == 0)
			return why_fail(s->why, s->whylen, "payload ends inside a value");
		err = src_read(s, &b, 1, "payload");
		if (err)
			return err;
		(*left)--;
		if (i == 8) {
			u |= (uint64_t)b << 56;
			break;
		}
		u |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80))
			break;
	}
	*value = (int64_t)((u >> 1) ^ (0 - (u & 1)));
	return 0;
}

static int decode_header(struct hist *h, struct src *s, uint32_t *payload_len)
{
	uint8_t hd[V2_HEADER_BYTES];
	uint32_t cookie, nio, digits;
	int64_t lowest, highest;
	int err = src_read(s, hd, sizeof(hd), "header");

	if (err)
		return err;
	cookie = get_be32(hd);
	if (cookie != V2_COOKIE)
		return why_fail(s->why, s->whylen, "inner cookie 0x%08" PRIx32 " is not V2 (0x%08x)", cookie,
				V2_COOKIE);
	*payload_len = get_be32(hd + 4);
	nio = get_be32(hd + 8);
	digits = get_be32(hd + 12);
	lowest = (int64_t)get_be64(hd + 16);
	highest = (int64_t)get_be64(hd + 24);
	if (*payload_len > INT32_MAX)
		return why_fail(s->why, s->whylen, "payload length %" PRIu32 " too large", *payload_len);
	if (nio != 0)
		return why_fail(s->why, s->whylen, "normalizingIndexOffset %" PRIu32 " unsupported", nio);
	if (digits > 5 || hist_layout(h, lowest, highest, (int)digits))
		return why_fail(s->why, s->whylen,
				"invalid layout: lowest %" PRId64 " highest %" PRId64 " digits %" PRIu32, lowest,
				highest, digits);
	if (h->counts_len > MAX_COUNTS_LEN)
		return why_fail(s->why, s->whylen, "layout too large: %" PRId32 " slots", h->counts_len);
	return 0;
}

static int decode_payload(struct hist *h, struct src *s, uint32_t left)
{
	int64_t i = 0;

	while (left > 0) {
		int64_t v = 0;
		int err = read_varint(s, &left, &v);

		if (err)
			return err;
		if (v < 0 && v < -(int64_t)INT32_MAX)
			return why_fail(s->why, s->whylen, "zero run too long at slot %" PRId64, i);
		if (i + (v < 0 ? -v : 1) > h->counts_len)
			return why_fail(s->why, s->whylen, "counts beyond the layout (slot %" PRId64 " of %" PRId32 ")",
					i + (v < 0 ? -v : 1) - 1, h->counts_len);
		if (v < 0) {
			i += -v;
			continue;
		}
		h->counts[i++] = v;
	}
	return 0;
}

/* Rebuilds total, min and max from the counts (section 5.1). */
static int establish_tracking(struct hist *h, char *why, size_t whylen)
{
	int32_t max_i = -1, min_i = -1;
	int64_t total = 0;

	for (int32_t i = 0; i < h->counts_len; i++) {
		if (h->counts[i] == 0)
			continue;
		if (__builtin_add_overflow(total, h->counts[i], &total))
			return why_fail(why, whylen, "total count overflows");
		max_i = i;
		if (min_i < 0 && i != 0)
			min_i = i;
	}
	h->total_count = total;
	if (max_i >= 0)
		h->max_tracked = hist_highest_equivalent(h, hist_value_from_index(h, max_i)) | h->unit_magnitude_mask;
	if (min_i >= 0)
		h->min_nonzero_tracked = hist_value_from_index(h, min_i) & ~h->unit_magnitude_mask;
	return 0;
}

static int decode_v2(struct hist *h, struct src *s)
{
	struct hist layout;
	uint32_t payload_len = 0;
	int err = decode_header(&layout, s, &payload_len);

	if (err)
		return err;
	err = hist_init(h, layout.lowest, layout.highest, layout.digits);
	if (err)
		return err;
	err = decode_payload(h, s, payload_len);
	if (!err)
		err = src_finish(s);
	if (!err)
		err = establish_tracking(h, s->why, s->whylen);
	return err;
}

static int decode_compressed(struct hist *h, struct src *s, const uint8_t *buf, size_t len)
{
	uint32_t zlen = get_be32(buf + 4);
	int err;

	if (zlen > len - 8)
		return why_fail(s->why, s->whylen, "truncated: compressed length %" PRIu32 " but %zu bytes follow",
				zlen, len - 8);
	if (zlen < len - 8)
		return why_fail(s->why, s->whylen, "%zu trailing bytes after the compressed data", len - 8 - zlen);
	s->z.next_in = (Bytef *)(buf + 8);
	s->z.avail_in = zlen;
	if (inflateInit(&s->z) != Z_OK)
		return -ENOMEM;
	s->zlib = true;
	err = decode_v2(h, s);
	inflateEnd(&s->z);
	return err;
}

static int cookie_reason(uint32_t cookie, char *why, size_t whylen)
{
	uint32_t base = cookie & ~0xf0u;

	if (base == 0x1c849303u || base == 0x1c849304u)
		return why_fail(why, whylen,
				"V2 cookie 0x%08" PRIx32 " has word size field 0x%02" PRIx32 " (only 0x10 is valid)",
				cookie, cookie & 0xf0);
	if (base == 0x1c849301u || base == 0x1c849302u)
		return why_fail(why, whylen, "unsupported V1 encoding (cookie 0x%08" PRIx32 ")", cookie);
	if (base == 0x1c849308u || base == 0x1c849309u)
		return why_fail(why, whylen, "unsupported V0 encoding (cookie 0x%08" PRIx32 ")", cookie);
	if (base == (0x0c72124eu & ~0xf0u) || base == (0x0c72124fu & ~0xf0u))
		return why_fail(why, whylen, "a DoubleHistogram, not a Histogram (cookie 0x%08" PRIx32 ")", cookie);
	return why_fail(why, whylen, "not an HdrHistogram: unknown cookie 0x%08" PRIx32, cookie);
}

int hist_decode(struct hist *h, const uint8_t *buf, size_t len, char *why, size_t whylen)
{
	struct src *s;
	uint32_t cookie;
	int err;

	memset(h, 0, sizeof(*h));
	if (why && whylen)
		why[0] = '\0';
	if (!buf || len < 8)
		return why_fail(why, whylen, "truncated: %zu bytes, a histogram needs at least 8", len);
	cookie = get_be32(buf);
	if (cookie != V2_COOKIE && cookie != V2_COMPRESSED_COOKIE)
		return cookie_reason(cookie, why, whylen);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->why = why;
	s->whylen = whylen;
	if (cookie == V2_COOKIE) {
		s->p = buf;
		s->n = len;
		err = decode_v2(h, s);
	} else {
		err = decode_compressed(h, s, buf, len);
	}
	free(s);
	if (err) {
		hist_release(h);
		if (err == -ENOMEM && why && whylen)
			snprintf(why, whylen, "out of memory");
	}
	return err;
}

int hist_decode_base64(struct hist *h, const char *b64, char *why, size_t whylen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	memset(h, 0, sizeof(*h));
	if (!b64)
		return why_fail(why, whylen, "no base64 text");
	err = base64_decode(b64, &buf, &len, why, whylen);
	if (err)
		return err;
	err = hist_decode(h, buf, len, why, whylen);
	free(buf);
	return err;
}
