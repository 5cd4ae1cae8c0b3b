/*
 * test_hist.c - unit tests of harness/hdr/hist.c (layout, equivalence,
 * recording, merging, queries, iteration) against docs/hdr.md and the
 * summaries the Java reference wrote (tests/fixtures/hist/, see its
 * README.md).  Java is not needed here.  The encodings are tested in
 * test_hist_codec.c, the .hgrm text in test_hist_hgrm.c.
 */
#include "harness/hdr/hist.h"
#include "tests/runner.h"
#include "tests/unit/histfix.h"

#include <errno.h>
#include <malloc.h>
#include <math.h>

/* ---- section 2: layout ---- */

TEST(hist_layout_table)
{
	/* bucketCount / subBucketCount / countsLen, d = 0..5 (spec table) */
	static const int32_t t9[6][3] = {
		{32, 2, 33},	   {28, 32, 464},	{25, 256, 3328},
		{22, 2048, 23552}, {18, 32768, 311296}, {15, 262144, 2097152},
	};
	static const int32_t t12[6][3] = {
		{42, 2, 43},	   {38, 32, 624},	{35, 256, 4608},
		{32, 2048, 33792}, {28, 32768, 475136}, {25, 262144, 3407872},
	};
	struct hist h;

	for (int d = 0; d <= 5; d++) {
		test_context("d=%d", d);
		hfix_init(&h, 1, H9, d);
		CHECK_EQ_I64(h.bucket_count, t9[d][0]);
		CHECK_EQ_I64(h.sub_bucket_count, t9[d][1]);
		CHECK_EQ_I64(h.counts_len, t9[d][2]);
		CHECK_EQ_U64(hist_counts_bytes(1, H9, d), (uint64_t)t9[d][2] * 8);
		hist_release(&h);
		hfix_init(&h, 1, H12, d);
		CHECK_EQ_I64(h.bucket_count, t12[d][0]);
		CHECK_EQ_I64(h.sub_bucket_count, t12[d][1]);
		CHECK_EQ_I64(h.counts_len, t12[d][2]);
		hist_release(&h);
	}
	test_context("L=1000");
	hfix_init(&h, 1000, H12, 3);
	CHECK_EQ_I64(h.unit_magnitude, 9);
	CHECK_EQ_I64(h.lowest, 1000); /* stored as given, acts as 512 */
	CHECK_EQ_I64(h.bucket_count, 23);
	CHECK_EQ_I64(h.sub_bucket_count, 2048);
	CHECK_EQ_I64(h.counts_len, 24576);
	hist_release(&h);
}

TEST(hist_layout_edges)
{
	struct hist h;

	/* exact powers of two, where a floating log drifts */
	for (int k = 0; k <= 51; k++) {
		test_context("L=2^%d", k);
		hfix_init(&h, (int64_t)1 << k, INT64_MAX, 3);
		CHECK_EQ_I64(h.unit_magnitude, k);
		if (k > 0) {
			hist_release(&h);
			hfix_init(&h, ((int64_t)1 << k) - 1, INT64_MAX, 3);
			CHECK_EQ_I64(h.unit_magnitude, k - 1);
		}
		/* the last slot reaches INT64_MAX and nothing wraps */
		CHECK_EQ_I64(hist_highest_equivalent(&h, hist_value_from_index(&h, h.counts_len - 1)), INT64_MAX);
		CHECK(hist_record(&h, INT64_MAX));
		CHECK_EQ_I64(hist_max(&h), INT64_MAX);
		hist_release(&h);
	}
	test_context("%s", "");
	CHECK_EQ_I64(hist_init(&h, (int64_t)1 << 52, INT64_MAX, 3), -EINVAL); /* 52 + 11 > 62 */
	CHECK_EQ_I64(hist_init(&h, 0, 100, 3), -EINVAL);
	CHECK_EQ_I64(hist_init(&h, -1, 100, 3), -EINVAL);
	CHECK_EQ_I64(hist_init(&h, 10, 19, 3), -EINVAL); /* H < 2L */
	CHECK_OK(hist_init(&h, 10, 20, 3));
	hist_release(&h);
	CHECK_EQ_I64(hist_init(&h, 1, H12, 6), -EINVAL);
	CHECK_EQ_I64(hist_init(&h, 1, H12, -1), -EINVAL);
	CHECK_EQ_I64(hist_init(&h, (int64_t)1 << 62, INT64_MAX, 0), -EINVAL);
	CHECK_EQ_U64(hist_counts_bytes(1, H12, 6), 0);
	CHECK_EQ_I64(hist_init_mem(&h, 1, H12, 3, NULL), -EINVAL);
}

/* ---- section 3: indexing and equivalence ---- */

TEST(hist_equivalence_worked)
{
	struct hist h;

	hfix_init(&h, 1, H12, 3);
	for (int64_t v = 0; v < 2048; v++) {
		CHECK_EQ_I64(hist_counts_index(&h, v), v);
		CHECK_EQ_I64(hist_lowest_equivalent(&h, v), v);
		CHECK_EQ_I64(hist_highest_equivalent(&h, v), v);
	}
	CHECK_EQ_I64(hist_counts_index(&h, 2500), 2274);
	CHECK_EQ_I64(hist_counts_index(&h, 2501), 2274);
	CHECK_EQ_I64(hist_counts_index(&h, 2502), 2275);
	CHECK_EQ_I64(hist_lowest_equivalent(&h, 2501), 2500);
	CHECK_EQ_I64(hist_highest_equivalent(&h, 2500), 2501);
	CHECK_EQ_I64(hist_median_equivalent(&h, 2500), 2501);
	CHECK_EQ_I64(hist_size_of_equivalent_range(&h, 2500), 2);
	CHECK_EQ_I64(hist_size_of_equivalent_range(&h, 4095), 2);
	CHECK_EQ_I64(hist_size_of_equivalent_range(&h, 4096), 4);
	CHECK_EQ_I64(hist_size_of_equivalent_range(&h, 8191), 4);
	CHECK_EQ_I64(hist_size_of_equivalent_range(&h, 8192), 8);
	CHECK_EQ_I64(hist_value_from_index(&h, 2274), 2500);
	CHECK_EQ_I64(hist_highest_equivalent(&h, 47972300), 47972351);
	/* L = 1000 acts as 512: 0..511 share slot 0 */
	hist_release(&h);
	hfix_init(&h, 1000, H12, 3);
	CHECK_EQ_I64(hist_counts_index(&h, 511), 0);
	CHECK_EQ_I64(hist_counts_index(&h, 512), 1);
	CHECK_EQ_I64(hist_highest_equivalent(&h, 1000), 1023);
	hist_release(&h);
}

/* Every slot's range starts where the previous one ended, for every layout. */
TEST(hist_slots_tile_the_range)
{
	static const int64_t lows[] = {1, 1000, 1 << 20};

	for (int d = 0; d <= 5; d++) {
		for (size_t l = 0; l < ARRAY_SIZE(lows); l++) {
			struct hist h;
			int64_t next = 0;

			test_context("d=%d L=%lld", d, (long long)lows[l]);
			hfix_init(&h, lows[l], H12, d);
			for (int32_t i = 0; i < h.counts_len; i++) {
				int64_t v = hist_value_from_index(&h, i);

				CHECK_EQ_I64(v, next);
				CHECK_EQ_I64(hist_counts_index(&h, v), i);
				CHECK_EQ_I64(hist_lowest_equivalent(&h, v), v);
				next = hist_highest_equivalent(&h, v) + 1;
				CHECK_EQ_I64(hist_counts_index(&h, next - 1), i);
				CHECK_EQ_I64(hist_median_equivalent(&h, v),
					     v + hist_size_of_equivalent_range(&h, v) / 2);
			}
			/* everything from 0 to the last slot's end is recordable */
			CHECK(next - 1 >= H12);
			CHECK(hist_record(&h, next - 1));
			CHECK(!hist_record(&h, next));
			hist_release(&h);
		}
	}
}

/* ---- sections 4 and 5 ---- */

TEST(hist_min_max_normalised)
{
	struct hist h;

	hfix_init(&h, 1, H12, 3);
	CHECK_EQ_I64(hist_max(&h), 0);
	CHECK_EQ_I64(hist_min(&h), 0);
	CHECK(hist_record(&h, 47972300));
	CHECK_EQ_I64(hist_max(&h), 47972351);
	/* 2^25 <= v < 2^26: unit 2^15, so the slot is [47939584, 47972351] */
	CHECK_EQ_I64(hist_min(&h), 47939584);
	CHECK(hist_record(&h, 2501));
	CHECK_EQ_I64(hist_min(&h), 2500);
	CHECK(hist_record(&h, 0));
	CHECK_EQ_I64(hist_min(&h), 0);
	CHECK_EQ_I64(hist_value_at_percentile(&h, 0), 0);
	CHECK_EQ_I64(hist_value_at_percentile(&h, 100), 47972351);
	hist_release(&h);
}

TEST(hist_mean_stddev_worked)
{
	struct hist h;

	hfix_init(&h, 1, H9, 3);
	for (int64_t v = 2500; v <= 2503; v++)
		CHECK(hist_record(&h, v));
	CHECK_NEAR(hist_mean(&h), 2502.0, 1e-12);
	CHECK_NEAR(hist_stddev(&h), 1.0, 1e-12);
	CHECK_EQ_I64(hist_value_at_percentile(&h, 0), 2500);
	CHECK_EQ_I64(hist_value_at_percentile(&h, 50), 2501);
	CHECK_EQ_I64(hist_value_at_percentile(&h, 50.0001), 2503);
	hist_reset(&h);
	CHECK(hist_mean(&h) == 0.0);
	CHECK(hist_stddev(&h) == 0.0);
	hist_release(&h);
}

TEST(hist_one_to_six_p90)
{
	struct hist h;

	hfix_init(&h, 1, H12, 3);
	for (int64_t v = 1; v <= 6; v++)
		CHECK(hist_record(&h, v));
	CHECK_EQ_I64(hist_value_at_percentile(&h, 90), 6); /* libhdr would say 5 */
	CHECK_EQ_I64(hist_value_at_percentile(&h, 50), 3);
	CHECK_EQ_I64(hist_value_at_percentile(&h, 50.01), 4);
	CHECK_EQ_I64(hist_value_at_percentile(&h, 0), 1);
	CHECK_EQ_I64(hist_value_at_percentile(&h, 100), 6);
	CHECK_EQ_I64(hist_value_at_percentile(&h, 1000), 6);
	CHECK_EQ_I64(hist_value_at_percentile(&h, -5), 1);
	CHECK_EQ_I64(hist_value_at_percentile(&h, NAN), 1);
	CHECK_NEAR(hist_percentile_at_or_below(&h, 3), 50.0, 0);
	CHECK_NEAR(hist_percentile_at_or_below(&h, 0), 0.0, 0);
	CHECK_NEAR(hist_percentile_at_or_below(&h, -1), 0.0, 0);
	CHECK_NEAR(hist_percentile_at_or_below(&h, INT64_MAX), 100.0, 0);
	hist_reset(&h);
	CHECK_EQ_I64(hist_value_at_percentile(&h, 50), 0);
	CHECK_NEAR(hist_percentile_at_or_below(&h, 3), 100.0, 0);
	hist_release(&h);
}

/*
 * 64.4 * 250 / 100 is 161.00000000000003 in doubles: only stepping one ulp
 * below p first (section 5.3) gives rank 161, the true ceil(64.4% of 250).
 */
TEST(hist_percentile_one_ulp_below)
{
	struct hist h;

	hfix_init(&h, 1, H12, 3);
	for (int64_t v = 1; v <= 250; v++)
		CHECK(hist_record(&h, v));
	CHECK_EQ_I64(hist_value_at_percentile(&h, 64.4), 161);
	CHECK_EQ_I64(hist_value_at_percentile(&h, 50), 125);
	CHECK_EQ_I64(hist_value_at_percentile(&h, 0.4), 1);
	CHECK_EQ_I64(hist_value_at_percentile(&h, 0.41), 2);
	hist_release(&h);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Samples spread over many buckets: 0 .. ~2.1e12. */
static int64_t random_sample(void)
{
	int64_t r = hfix_lcg_next();

	return (r % 1000003) << (hfix_lcg_next() % 22);
}

/*
 * The value at percentile p must be the highest equivalent value of the
 * sample of rank ceil(p * N / 100) (1-based, at least 1) in sorted order:
 * the slot walk stops at the slot holding that sample.  Ranks come from
 * integer arithmetic (p = k / 1000), independent of the floating path.
 */
TEST(hist_percentiles_brute_force)
{
	static const int sizes[] = {1, 2, 3, 7, 10, 100, 1000, 4099, 20000};
	static const int64_t milli_p[] = {0,	 1,	100,   1000,  10000, 25000, 33333, 50000, 66667,
					  75000, 90000, 95000, 99000, 99900, 99990, 99999, 100000};

	for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
		int n = sizes[s];
		int64_t *v = malloc(sizeof(*v) * (size_t)n);
		struct hist h;

		hfix_lcg_state = 1000 + s;
		hfix_init(&h, 1, H12, 3);
		for (int i = 0; i < n; i++) {
			v[i] = random_sample();
			CHECK(hist_record(&h, v[i]));
		}
		qsort(v, (size_t)n, sizeof(*v), cmp_i64);
		for (size_t k = 0; k < ARRAY_SIZE(milli_p); k++) {
			double p = (double)milli_p[k] / 1000.0;
			int64_t rank = (milli_p[k] * n + 99999) / 100000;
			int64_t want;

			if (rank < 1)
				rank = 1;
			want = milli_p[k] == 0 ? hist_lowest_equivalent(&h, v[0])
					       : hist_highest_equivalent(&h, v[rank - 1]);
			test_context("n=%d p=%g rank=%lld", n, p, (long long)rank);
			CHECK_EQ_I64(hist_value_at_percentile(&h, p), want);
		}
		test_context("n=%d", n);
		CHECK_EQ_I64(hist_value_at_percentile(&h, 100), hist_max(&h));
		CHECK_EQ_I64(hist_max(&h), hist_highest_equivalent(&h, v[n - 1]));
		CHECK_EQ_I64(hist_min(&h), hist_lowest_equivalent(&h, v[0]));
		/* percentile at or below each sample: samples up to its slot's end */
		for (int i = 0; i < n; i += 1 + n / 50) {
			int64_t top = hist_highest_equivalent(&h, v[i]), below = 0;

			while (below < n && v[below] <= top)
				below++;
			CHECK_NEAR(hist_percentile_at_or_below(&h, v[i]), 100.0 * below / n, 1e-9);
		}
		hist_release(&h);
		free(v);
	}
}

TEST(hist_iterator)
{
	struct hist h;
	struct hist_iter it;
	int64_t total = 0, prev = -1;
	int n = 0;

	hfix_make("lcg", &h);
	hist_iter_init(&it, &h);
	while (hist_iter_next(&it)) {
		CHECK(it.index > prev);
		CHECK_EQ_I64(it.count, h.counts[it.index]);
		CHECK(it.count > 0);
		total += it.count;
		CHECK_EQ_I64(it.cumulative, total);
		CHECK_EQ_I64(it.value_lowest, hist_value_from_index(&h, it.index));
		CHECK_EQ_I64(it.value, hist_highest_equivalent(&h, it.value_lowest));
		prev = it.index;
		n++;
	}
	CHECK_EQ_I64(total, 5000);
	CHECK(n > 100);
	CHECK(!hist_iter_next(&it));
	hist_reset(&h);
	hist_iter_init(&it, &h);
	CHECK(!hist_iter_next(&it));
	hist_release(&h);
}

TEST(hist_out_of_range_counted_not_clamped)
{
	struct hist h;
	int64_t limit;

	hfix_init(&h, 1, H12, 3);
	limit = hist_highest_equivalent(&h, hist_value_from_index(&h, h.counts_len - 1));
	CHECK(limit > H12);
	CHECK(hist_record(&h, H12 + 1)); /* above H, inside the last slot range */
	CHECK(hist_record(&h, limit));
	CHECK(!hist_record(&h, limit + 1));
	CHECK(!hist_record(&h, -1));
	CHECK(!hist_record_n(&h, INT64_MAX, 5));
	CHECK(!hist_record_n(&h, INT64_MIN, 2));
	CHECK_EQ_I64(h.out_of_range, 1 + 1 + 5 + 2);
	CHECK_EQ_I64(h.total_count, 2);
	CHECK_EQ_I64(h.counts[h.counts_len - 1], 1);
	CHECK_EQ_I64(hist_max(&h), limit);
	CHECK(!hist_record_n(&h, 5, -1)); /* a negative count is refused */
	CHECK(hist_record_n(&h, 5, 0));	  /* a zero count changes nothing */
	CHECK_EQ_I64(h.total_count, 2);
	CHECK_EQ_I64(hist_min(&h), hist_lowest_equivalent(&h, H12 + 1));
	CHECK_EQ_I64(h.out_of_range, 9);
	hist_reset(&h);
	CHECK_EQ_I64(h.out_of_range, 0);
	hist_release(&h);
}

TEST(hist_reset_clears)
{
	struct hist h, fresh;

	hfix_make("wide", &h);
	CHECK(h.total_count > 0);
	hist_reset(&h);
	hfix_init(&fresh, 1, H12, 3);
	hfix_same_counts(&h, &fresh);
	CHECK_EQ_I64(h.max_tracked, 0);
	CHECK_EQ_I64(h.min_nonzero_tracked, INT64_MAX);
	CHECK(hist_record(&h, 2501));
	CHECK(hist_record(&fresh, 2501));
	hfix_same_counts(&h, &fresh);
	CHECK_EQ_I64(hist_min(&h), 2500);
	hist_release(&h);
	hist_release(&fresh);
}

TEST(hist_memory_independent_of_count)
{
	size_t bytes = hist_counts_bytes(1, H12, 3);
	uint8_t *mem = malloc(bytes + 64);
	struct hist h;
	size_t before;

	CHECK_EQ_U64(bytes, 33792 * 8);
	memset(mem + bytes, 0xa5, 64);
	CHECK_OK(hist_init_mem(&h, 1, H12, 3, mem));
	CHECK(!h.owns_counts);
	before = mallinfo2().uordblks;
	hfix_lcg_state = 77;
	for (int i = 0; i < 3000000; i++)
		hist_record(&h, random_sample());
	CHECK(hist_record_n(&h, 12345, 1000000000000LL));
	CHECK_EQ_U64(mallinfo2().uordblks, before); /* recording never allocates */
	CHECK_EQ_I64(h.total_count + h.out_of_range, 3000000 + 1000000000000LL);
	for (int i = 0; i < 64; i++)
		CHECK_EQ_I64(mem[bytes + i], 0xa5); /* and stays inside its counts */
	hist_release(&h);			    /* does not free caller memory */
	free(mem);
}

/* ---- merging ---- */

TEST(hist_add_same_layout)
{
	struct hist a, b, all;

	hfix_init(&a, 1, H12, 3);
	hfix_init(&b, 1, H12, 3);
	hfix_init(&all, 1, H12, 3);
	hfix_lcg_state = 5;
	for (int i = 0; i < 20000; i++) {
		int64_t v = random_sample();

		CHECK(hist_record(i % 3 ? &a : &b, v));
		CHECK(hist_record(&all, v));
	}
	hist_record(&b, -7);
	hist_record(&all, -7);
	CHECK_EQ_I64(hist_add(&a, &b), 0);
	hfix_same_counts(&a, &all);
	CHECK_EQ_I64(a.out_of_range, 1);
	CHECK(hist_mean(&a) == hist_mean(&all));
	CHECK(hist_stddev(&a) == hist_stddev(&all));
	for (double p = 0; p <= 100; p += 0.5)
		CHECK_EQ_I64(hist_value_at_percentile(&a, p), hist_value_at_percentile(&all, p));
	hist_release(&a);
	hist_release(&b);
	hist_release(&all);
}

/*
 * Slots are aligned power-of-two ranges, so a finer layout's slots nest in
 * a coarser one's: merging fine into coarse must equal recording the raw
 * values into the coarse histogram directly.
 */
TEST(hist_add_across_layouts)
{
	struct hist fine, coarse, direct, small;

	hfix_init(&fine, 1, H12, 3);
	hfix_init(&coarse, 1000, H12, 2);
	hfix_init(&direct, 1000, H12, 2);
	hfix_init(&small, 1, 1000000, 3);
	hfix_lcg_state = 9;
	for (int i = 0; i < 20000; i++) {
		int64_t v = random_sample();

		CHECK(hist_record(&fine, v));
		CHECK(hist_record(&direct, v));
		if (i < 10) { /* coarse already holds a few values */
			CHECK(hist_record(&coarse, v));
			CHECK(hist_record(&direct, v));
		}
	}
	CHECK_EQ_I64(hist_add(&coarse, &fine), 0);
	hfix_same_counts(&coarse, &direct);

	/* coarse into fine: each source slot lands at its lowest value (Java) */
	hist_reset(&fine);
	hist_release(&direct);
	hfix_init(&direct, 1, H12, 3);
	for (int32_t i = 0; i < coarse.counts_len; i++)
		if (coarse.counts[i])
			CHECK(hist_record_n(&direct, hist_value_from_index(&coarse, i), coarse.counts[i]));
	CHECK_EQ_I64(hist_add(&fine, &coarse), 0);
	hfix_same_counts(&fine, &direct);
	CHECK(hist_max(&fine) < hist_max(&coarse));

	/* into a smaller range: what does not fit is returned and counted */
	{
		int64_t lost = 0, limit;

		limit = hist_highest_equivalent(&small, hist_value_from_index(&small, small.counts_len - 1));
		for (int32_t i = 0; i < fine.counts_len; i++)
			if (hist_value_from_index(&fine, i) > limit)
				lost += fine.counts[i];
		CHECK(lost > 0);
		CHECK_EQ_I64(hist_add(&small, &fine), lost);
		CHECK_EQ_I64(small.out_of_range, lost);
		CHECK_EQ_I64(small.total_count, fine.total_count - lost);
	}
	hist_release(&fine);
	hist_release(&coarse);
	hist_release(&direct);
	hist_release(&small);
}

/* ---- against the Java reference's summaries ---- */

TEST(hist_fixture_summaries)
{
	for (size_t i = 0; i < HFIX_NSETS; i++) {
		struct hist h;

		hfix_make(hfix_sets[i], &h);
		hfix_check_summary(hfix_sets[i], &h);
		hist_release(&h);
	}
}

static const struct test_case cases[] = {
	T(hist_layout_table),
	T(hist_layout_edges),
	T(hist_equivalence_worked),
	T(hist_slots_tile_the_range),
	T(hist_min_max_normalised),
	T(hist_mean_stddev_worked),
	T(hist_one_to_six_p90),
	T(hist_percentile_one_ulp_below),
	T(hist_percentiles_brute_force),
	T(hist_iterator),
	T(hist_out_of_range_counted_not_clamped),
	T(hist_reset_clears),
	T(hist_memory_independent_of_count),
	T(hist_add_same_layout),
	T(hist_add_across_layouts),
	T(hist_fixture_summaries),
};

int main(int argc, char **argv)
{
	return test_main(argc, argv, cases, ARRAY_SIZE(cases));
}
