/*
 * hgrm.c - the .hgrm percentile distribution, byte-identical to Java's
 * outputPercentileDistribution, and the Java-exact "%.Nf" formatting it
 * (and the .hlog writer) prints numbers with.  See docs/hdr.md section 6.
 */
#include "harness/hdr/hgrm.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
#define FMT_BYTES 400 /* DBL_MAX with 40 decimals fits */

/* ---- Java's %.Nf (docs/hdr.md section 6.3) ---- */

/*
 * Java's digits for an integral v < 2^63 (FloatingDecimal's "easy" case):
 * the exact integer, not the shortest digits, except that from 2^58 on a
 * few low digits count as insignificant and are rounded away half-up.
 */
static int integer_digits(double v, char *digits, int *exp10)
{
	static const int insignificant[] = {0, 0, 0, 0, 1, 1, 1, 2, 2};
	uint64_t u = (uint64_t)v, pow10 = 1;
	int p2 = (63 - __builtin_clzll(u)) - 54, drop = 0, n;

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

/* The exponent of "%e" output ("+05", "-300"), plus one: 0 or -EINVAL. */
static int parse_exponent(const char *s, int *exp10)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(s, &end, 10);
	if (end == s || *end || errno || x < -400 || x > 400)
		return -EINVAL;
	*exp10 = (int)x + 1;
	return 0;
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
	if (!e || parse_exponent(e + 1, exp10))
		return -EINVAL;
	for (const char *c = buf; c < e; c++)
		if (*c != '.')
			digits[n++] = *c;
	while (n > 1 && digits[n - 1] == '0')
		n--;
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
		if (n < 0)
			return n;
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
	int64_t half = hist__d2l(log(100.0 / (100.0 - level)) / log(2));
	int64_t pw = hist__d2l(pow(2, (double)(int64_t)((uint64_t)half + 1)));
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
