/*
 * test_hist.c - unit tests of harness/hdr/ (hist, codec, hgrm) against docs/hdr.md
 * and against fixtures written once by the Java reference
 * (tests/fixtures/hist/, see its README.md).  Java is not needed here.
 */
#include "harness/hdr/codec.h"
#include "harness/hdr/hgrm.h"
#include "harness/hdr/hist.h"
#include "tests/runner.h"

#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <zlib.h>

#ifndef IPCB_SRCDIR
#define IPCB_SRCDIR "."
#endif

#define H9 3600000000LL
#define H12 3600000000000LL

/* ---- helpers ---- */

static char *read_fixture(const char *name, size_t *len)
{
	return test_read_file(len, "tests/fixtures/hist/%s", name);
}

/* The fixture's first line, without its newline. */
static char *read_fixture_line(const char *name)
{
	char *s = read_fixture(name, NULL);

	s[strcspn(s, "\r\n")] = '\0';
	return s;
}

static void init_or_fail(struct hist *h, int64_t lowest, int64_t highest, int digits)
{
	CHECK_OK(hist_init(h, lowest, highest, digits));
}

static void check_same_counts(const struct hist *a, const struct hist *b)
{
	CHECK_EQ_I64(a->counts_len, b->counts_len);
	for (int32_t i = 0; i < a->counts_len; i++)
		CHECK_MSG(a->counts[i] == b->counts[i], "slot %d: %lld != %lld", (int)i, (long long)a->counts[i],
			  (long long)b->counts[i]);
	CHECK_EQ_I64(a->total_count, b->total_count);
	CHECK_EQ_I64(hist_min(a), hist_min(b));
	CHECK_EQ_I64(hist_max(a), hist_max(b));
}

/* ---- the value sets of GenFixtures.java, reproduced exactly ---- */

static uint64_t lcg_state;

static int64_t lcg_next(void)
{
	lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
	return (int64_t)(lcg_state >> 33);
}

static void record_lcg(struct hist *h, uint64_t seed, int n, int64_t scale)
{
	lcg_state = seed;
	for (int i = 0; i < n; i++) {
		int64_t v = 1000 + lcg_next() % 20000, t = lcg_next();

		if (t % 64 == 0)
			v = v * 100 + t % 1000000;
		CHECK(hist_record(h, v * scale));
	}
}

static void record_wide(struct hist *h)
{
	int64_t v = 1;

	for (int i = 0; v <= 1000000000000LL; i++) {
		CHECK(hist_record_n(h, v, i % 7 + 1));
		v = v * 3 / 2 + 1;
	}
}

static void record_heavy(struct hist *h)
{
	lcg_state = 5;
	for (int i = 0; i < 2000; i++) {
		int64_t v = 1000 + lcg_next() % 20000, c = 1 + lcg_next() % 2000000;

		CHECK(hist_record_n(h, v, c));
	}
}

static void make_set(const char *name, struct hist *h)
{
	static const int64_t zeros[] = {0, 7, 511, 512, 1000, 1023, 1024, 5000000, H12};

	if (!strcmp(name, "worked")) {
		init_or_fail(h, 1, H9, 3);
		for (int64_t v = 2500; v <= 2503; v++)
			CHECK(hist_record(h, v));
	} else if (!strcmp(name, "one_to_six")) {
		init_or_fail(h, 1, H12, 3);
		for (int64_t v = 1; v <= 6; v++)
			CHECK(hist_record(h, v));
	} else if (!strcmp(name, "lcg")) {
		init_or_fail(h, 1, H12, 3);
		record_lcg(h, 42, 5000, 1);
	} else if (!strcmp(name, "wide")) {
		init_or_fail(h, 1, H12, 3);
		record_wide(h);
	} else if (!strcmp(name, "empty")) {
		init_or_fail(h, 1, H12, 3);
	} else if (!strcmp(name, "d2")) {
		init_or_fail(h, 1, H12, 2);
		record_lcg(h, 7, 3000, 1);
	} else if (!strcmp(name, "l1000")) {
		init_or_fail(h, 1000, H12, 3);
		record_lcg(h, 9, 3000, 10);
	} else if (!strcmp(name, "l1000_zeros")) {
		init_or_fail(h, 1000, H12, 3);
		for (size_t i = 0; i < ARRAY_SIZE(zeros); i++)
			CHECK(hist_record(h, zeros[i]));
	} else if (!strcmp(name, "d0_wide")) {
		init_or_fail(h, 1, H12, 0);
		record_wide(h);
	} else if (!strcmp(name, "d5_lcg")) {
		init_or_fail(h, 1, H12, 5);
		record_lcg(h, 11, 2000, 1);
	} else if (!strcmp(name, "heavy")) {
		init_or_fail(h, 1, H12, 3);
		record_heavy(h);
	} else if (!strcmp(name, "tiny")) {
		init_or_fail(h, 1, 2, 1);
		for (int64_t v = 0; v < 32; v++)
			CHECK(hist_record_n(h, v, v + 1));
	} else {
		test_fail(__FILE__, __LINE__, "unknown set %s", name);
	}
}

static const char *const sets[] = {
	"worked", "one_to_six",	 "lcg",	    "wide",   "empty", "d2",
	"l1000",  "l1000_zeros", "d0_wide", "d5_lcg", "heavy", "tiny",
};

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
		init_or_fail(&h, 1, H9, d);
		CHECK_EQ_I64(h.bucket_count, t9[d][0]);
		CHECK_EQ_I64(h.sub_bucket_count, t9[d][1]);
		CHECK_EQ_I64(h.counts_len, t9[d][2]);
		CHECK_EQ_U64(hist_counts_bytes(1, H9, d), (uint64_t)t9[d][2] * 8);
		hist_release(&h);
		init_or_fail(&h, 1, H12, d);
		CHECK_EQ_I64(h.bucket_count, t12[d][0]);
		CHECK_EQ_I64(h.sub_bucket_count, t12[d][1]);
		CHECK_EQ_I64(h.counts_len, t12[d][2]);
		hist_release(&h);
	}
	test_context("L=1000");
	init_or_fail(&h, 1000, H12, 3);
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
		init_or_fail(&h, (int64_t)1 << k, INT64_MAX, 3);
		CHECK_EQ_I64(h.unit_magnitude, k);
		if (k > 0) {
			hist_release(&h);
			init_or_fail(&h, ((int64_t)1 << k) - 1, INT64_MAX, 3);
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

	init_or_fail(&h, 1, H12, 3);
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
	init_or_fail(&h, 1000, H12, 3);
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
			init_or_fail(&h, lows[l], H12, d);
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

	init_or_fail(&h, 1, H12, 3);
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

	init_or_fail(&h, 1, H9, 3);
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

	init_or_fail(&h, 1, H12, 3);
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

	init_or_fail(&h, 1, H12, 3);
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
	int64_t r = lcg_next();

	return (r % 1000003) << (lcg_next() % 22);
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

		lcg_state = 1000 + s;
		init_or_fail(&h, 1, H12, 3);
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

	make_set("lcg", &h);
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

	init_or_fail(&h, 1, H12, 3);
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

	make_set("wide", &h);
	CHECK(h.total_count > 0);
	hist_reset(&h);
	init_or_fail(&fresh, 1, H12, 3);
	check_same_counts(&h, &fresh);
	CHECK_EQ_I64(h.max_tracked, 0);
	CHECK_EQ_I64(h.min_nonzero_tracked, INT64_MAX);
	CHECK(hist_record(&h, 2501));
	CHECK(hist_record(&fresh, 2501));
	check_same_counts(&h, &fresh);
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
	lcg_state = 77;
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

	init_or_fail(&a, 1, H12, 3);
	init_or_fail(&b, 1, H12, 3);
	init_or_fail(&all, 1, H12, 3);
	lcg_state = 5;
	for (int i = 0; i < 20000; i++) {
		int64_t v = random_sample();

		CHECK(hist_record(i % 3 ? &a : &b, v));
		CHECK(hist_record(&all, v));
	}
	hist_record(&b, -7);
	hist_record(&all, -7);
	CHECK_EQ_I64(hist_add(&a, &b), 0);
	check_same_counts(&a, &all);
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

	init_or_fail(&fine, 1, H12, 3);
	init_or_fail(&coarse, 1000, H12, 2);
	init_or_fail(&direct, 1000, H12, 2);
	init_or_fail(&small, 1, 1000000, 3);
	lcg_state = 9;
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
	check_same_counts(&coarse, &direct);

	/* coarse into fine: each source slot lands at its lowest value (Java) */
	hist_reset(&fine);
	hist_release(&direct);
	init_or_fail(&direct, 1, H12, 3);
	for (int32_t i = 0; i < coarse.counts_len; i++)
		if (coarse.counts[i])
			CHECK(hist_record_n(&direct, hist_value_from_index(&coarse, i), coarse.counts[i]));
	CHECK_EQ_I64(hist_add(&fine, &coarse), 0);
	check_same_counts(&fine, &direct);
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

/* ---- section 6.3: Java number formatting ---- */

TEST(hist_format_fixed_java)
{
	static const struct {
		double v;
		int decimals;
		const char *want;
	} cases[] = {
		{99.97802734375 / 100, 12, "0.999780273438"}, /* glibc: ...437 */
		{0.125, 2, "0.13"},			      /* glibc: 0.12 */
		{0.5, 0, "1"},
		{2.5, 0, "3"},
		{1.2345, 3, "1.235"}, /* shortest digits end in 5 */
		{1.0005, 3, "1.001"},
		{999.9996, 3, "1000.000"},
		{0.0, 3, "0.000"},
		{0.0004, 3, "0.000"},
		{0.0005, 3, "0.001"},
		{2503.0, 3, "2503.000"},
		{2503.0, 0, "2503"},
		{1e20, 1, "100000000000000000000.0"},
		{1.0 / 3, 12, "0.333333333333"},
		{1.11111111111, 2, "1.11"},
		{-1.25, 1, "-1.3"},
		{853.3333333333334, 2, "853.33"},
		/* integers above 2^54: Java prints exact digits, not the shortest */
		{66332621121664288.0, 7, "66332621121664288.0000000"},
		{1.1726054092968991e+18, 12, "1172605409296899070.000000000000"},
		{2.260954510698425e+17, 0, "226095451069842496"},
		{INFINITY, 2, "Infinity"},
		{NAN, 2, "NaN"},
	};
	char buf[400];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		test_context("%.17g %%.%df", cases[i].v, cases[i].decimals);
		CHECK(hist_format_fixed(buf, sizeof(buf), cases[i].v, cases[i].decimals) > 0);
		CHECK_EQ_STR(buf, cases[i].want);
	}
	CHECK_EQ_I64(hist_format_fixed(buf, sizeof(buf), 1.0, -1), -EINVAL);
}

/* ---- fixtures written by the Java reference ---- */

static void check_summary(const char *set, const struct hist *h)
{
	char name[64], *text, *line, *save = NULL;

	snprintf(name, sizeof(name), "%s.txt", set);
	text = read_fixture(name, NULL);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char key[32];
		double a = 0, b = 0;
		long long x = 0, y = 0;

		test_context("%s: %s", set, line);
		if (line[0] == '#' || sscanf(line, "%31s", key) != 1)
			continue;
		if (!strcmp(key, "pct")) {
			CHECK(sscanf(line, "pct %lf %lld", &a, &y) == 2);
			CHECK_EQ_I64(hist_value_at_percentile(h, a), y);
		} else if (!strcmp(key, "below")) {
			CHECK(sscanf(line, "below %lld %lf", &x, &b) == 2);
			CHECK(hist_percentile_at_or_below(h, x) == b);
		} else if (!strcmp(key, "mean") || !strcmp(key, "stddev")) {
			double got = key[0] == 'm' ? hist_mean(h) : hist_stddev(h);

			CHECK(sscanf(line, "%*s %lf", &b) == 1);
			CHECK_NEAR(got, b, fabs(b) * 1e-9);
		} else {
			CHECK(sscanf(line, "%*s %lld", &y) == 1);
			if (!strcmp(key, "lowest"))
				CHECK_EQ_I64(h->lowest, y);
			else if (!strcmp(key, "highest"))
				CHECK_EQ_I64(h->highest, y);
			else if (!strcmp(key, "digits"))
				CHECK_EQ_I64(h->digits, y);
			else if (!strcmp(key, "counts_len"))
				CHECK_EQ_I64(h->counts_len, y);
			else if (!strcmp(key, "count"))
				CHECK_EQ_I64(h->total_count, y);
			else if (!strcmp(key, "min"))
				CHECK_EQ_I64(hist_min(h), y);
			else if (!strcmp(key, "max"))
				CHECK_EQ_I64(hist_max(h), y);
			else
				test_fail(__FILE__, __LINE__, "unknown key %s", key);
		}
	}
	test_context("%s", "");
	free(text);
}

TEST(hist_fixture_summaries)
{
	for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
		struct hist h;

		make_set(sets[i], &h);
		check_summary(sets[i], &h);
		hist_release(&h);
	}
}

static void check_hgrm(const struct hist *h, const char *fixture, double ratio, bool csv)
{
	char *want = read_fixture(fixture, NULL), *got = NULL;
	size_t gotlen = 0;
	FILE *f = open_memstream(&got, &gotlen);

	CHECK(f);
	CHECK_OK(hist_write_hgrm(h, f, 5, ratio, csv));
	fclose(f);
	if (strcmp(got, want)) {
		size_t line = 1, i = 0, start = 0;

		for (; got[i] && got[i] == want[i]; i++) {
			if (got[i] == '\n') {
				line++;
				start = i + 1;
			}
		}
		test_fail(__FILE__, __LINE__, "%s differs at line %zu:\n C:    %.*s\n Java: %.*s", fixture, line,
			  (int)strcspn(got + start, "\n"), got + start, (int)strcspn(want + start, "\n"), want + start);
	}
	free(got);
	free(want);
}

TEST(hist_fixture_hgrm)
{
	for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
		char name[64];
		struct hist h;

		make_set(sets[i], &h);
		snprintf(name, sizeof(name), "%s.hgrm", sets[i]);
		check_hgrm(&h, name, 1.0, false);
		snprintf(name, sizeof(name), "%s.csv", sets[i]);
		check_hgrm(&h, name, 1.0, true);
		hist_release(&h);
	}
}

TEST(hist_fixture_hgrm_scaled)
{
	struct hist h;

	make_set("lcg", &h);
	check_hgrm(&h, "lcg.r1000.hgrm", 1000.0, false);
	hist_release(&h);
	make_set("heavy", &h);
	check_hgrm(&h, "heavy.r1000.hgrm", 1000.0, false);
	hist_release(&h);
	make_set("wide", &h);
	check_hgrm(&h, "wide.r1000.csv", 1000.0, true);
	hist_release(&h);
}

TEST(hist_fixture_base64_encode_matches_java)
{
	for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
		char name[64], *want, *got;
		struct hist h;

		test_context("%s", sets[i]);
		make_set(sets[i], &h);
		snprintf(name, sizeof(name), "%s.b64", sets[i]);
		want = read_fixture_line(name);
		CHECK_OK(hist_encode_base64(&h, 6, &got));
		CHECK_EQ_STR(got, want);
		free(got);
		free(want);
		hist_release(&h);
	}
}

TEST(hist_fixture_base64_decode_java)
{
	for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
		char name[64], why[128], *b64;
		struct hist h, dec;

		test_context("%s", sets[i]);
		make_set(sets[i], &h);
		snprintf(name, sizeof(name), "%s.b64", sets[i]);
		b64 = read_fixture_line(name);
		CHECK_MSG(hist_decode_base64(&dec, b64, why, sizeof(why)) == 0, "%s", why);
		CHECK_EQ_I64(dec.lowest, h.lowest);
		CHECK_EQ_I64(dec.highest, h.highest);
		CHECK_EQ_I64(dec.digits, h.digits);
		check_same_counts(&dec, &h);
		check_summary(sets[i], &dec);
		free(b64);
		hist_release(&dec);
		hist_release(&h);
	}
}

/* ---- section 7: encodings ---- */

TEST(hist_base64_worked_example)
{
	static const uint8_t raw_want[] = {
		0x1c, 0x84, 0x93, 0x13, 0, 0, 0, 4, 0, 0, 0,	0,    0,    0,	  0,
		3,    0,    0,	  0,	0, 0, 0, 0, 1, 0, 0,	0,    0,    0xd6, 0x93,
		0xa4, 0x00, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0xc3, 0x23, 0x04, 0x04,
	};
	const char *want = "HISTFAAAACR4nJNpmSzMwMDAwgABzFCaEURcm7yEwf4DROCwMgsLAGcLBXk=";
	struct hist h;
	uint8_t *raw, *z;
	size_t rawlen, zlen;
	char *b64, *l9;

	make_set("worked", &h);
	CHECK_OK(hist_encode_raw(&h, &raw, &rawlen));
	CHECK_EQ_U64(rawlen, sizeof(raw_want));
	CHECK(!memcmp(raw, raw_want, rawlen));
	CHECK_OK(hist_encode_compressed(&h, 6, &z, &zlen));
	CHECK_EQ_U64(zlen, 8 + 0x24);
	CHECK(!memcmp(z, "\x1c\x84\x93\x14\x00\x00\x00\x24\x78\x9c", 10));
	CHECK_OK(hist_encode_base64(&h, 6, &b64));
	CHECK_EQ_STR(b64, want);
	/* level 9, as in logs */
	l9 = read_fixture_line("worked.l9.b64");
	free(b64);
	CHECK_OK(hist_encode_base64(&h, 9, &b64));
	CHECK_EQ_STR(b64, l9);
	CHECK_EQ_I64(hist_encode_base64(&h, 10, &b64), -EINVAL);
	free(raw);
	free(z);
	free(l9);
	hist_release(&h);
}

static void payload_of(const struct hist *h, uint8_t *out, size_t *len)
{
	uint8_t *raw;
	size_t rawlen;

	CHECK_OK(hist_encode_raw(h, &raw, &rawlen));
	CHECK(rawlen >= 40 && rawlen - 40 <= 64);
	CHECK_EQ_U64(((size_t)raw[4] << 24 | raw[5] << 16 | raw[6] << 8 | raw[7]), rawlen - 40);
	memcpy(out, raw + 40, rawlen - 40);
	*len = rawlen - 40;
	free(raw);
}

TEST(hist_payload_forms)
{
	struct hist h;
	uint8_t p[64];
	size_t n;

	init_or_fail(&h, 1, H12, 3);
	payload_of(&h, p, &n); /* empty: one slot, literal 0 */
	CHECK_EQ_U64(n, 1);
	CHECK_EQ_I64(p[0], 0x00);
	CHECK(hist_record(&h, 0));
	CHECK(hist_record(&h, 2));
	payload_of(&h, p, &n); /* 1, lone zero as 0x00, 1 */
	CHECK_EQ_U64(n, 3);
	CHECK(!memcmp(p, "\x02\x00\x02", 3));
	CHECK(hist_record(&h, 5));
	payload_of(&h, p, &n); /* then a run of two zeros: zigzag(-2) */
	CHECK_EQ_U64(n, 5);
	CHECK(!memcmp(p, "\x02\x00\x02\x03\x02", 5));
	hist_reset(&h);
	CHECK(hist_record_n(&h, 0, (int64_t)1 << 60)); /* zigzag 2^61: 9 bytes */
	payload_of(&h, p, &n);
	CHECK_EQ_U64(n, 9);
	CHECK(!memcmp(p, "\x80\x80\x80\x80\x80\x80\x80\x80\x20", 9));
	CHECK(hist_record_n(&h, 1, INT64_MAX - ((int64_t)1 << 60)));
	payload_of(&h, p, &n);
	CHECK_EQ_U64(n, 18);
	CHECK(!memcmp(p + 9, "\xfe\xff\xff\xff\xff\xff\xff\xff\xdf", 9));
	hist_release(&h);
}

static void round_trip(const struct hist *h)
{
	uint8_t *buf;
	size_t len;
	char why[128], *b64;
	struct hist d;

	CHECK_OK(hist_encode_raw(h, &buf, &len));
	CHECK_MSG(hist_decode(&d, buf, len, why, sizeof(why)) == 0, "raw: %s", why);
	check_same_counts(&d, h);
	hist_release(&d);
	free(buf);
	for (int level = 0; level <= 9; level += 3) {
		CHECK_OK(hist_encode_compressed(h, level, &buf, &len));
		CHECK_MSG(hist_decode(&d, buf, len, why, sizeof(why)) == 0, "z%d: %s", level, why);
		check_same_counts(&d, h);
		CHECK(hist_mean(&d) == hist_mean(h));
		hist_release(&d);
		free(buf);
	}
	CHECK_OK(hist_encode_base64(h, 6, &b64));
	CHECK_MSG(hist_decode_base64(&d, b64, why, sizeof(why)) == 0, "b64: %s", why);
	check_same_counts(&d, h);
	hist_release(&d);
	free(b64);
}

TEST(hist_round_trips)
{
	struct hist h;

	for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
		test_context("%s", sets[i]);
		make_set(sets[i], &h);
		round_trip(&h);
		hist_release(&h);
	}
	test_context("huge counts");
	init_or_fail(&h, 1, INT64_MAX, 2);
	CHECK(hist_record_n(&h, INT64_MAX, INT64_MAX / 2));
	CHECK(hist_record_n(&h, 0, INT64_MAX / 2));
	round_trip(&h);
	hist_release(&h);
}

/* Every prefix of a valid encoding is refused cleanly, never read past. */
TEST(hist_decode_truncated)
{
	struct hist h, d;
	uint8_t *buf, *copy;
	size_t len;
	char why[128];

	make_set("lcg", &h);
	for (int form = 0; form < 2; form++) {
		CHECK_OK(form ? hist_encode_compressed(&h, 6, &buf, &len) : hist_encode_raw(&h, &buf, &len));
		for (size_t n = 0; n < len; n++) {
			copy = malloc(n ? n : 1); /* exact size: ASan sees any overread */
			memcpy(copy, buf, n);
			test_context("form %d, %zu of %zu bytes", form, n, len);
			why[0] = '\0';
			CHECK_EQ_I64(hist_decode(&d, copy, n, why, sizeof(why)), -EINVAL);
			CHECK(why[0] != '\0');
			CHECK(d.counts == NULL);
			free(copy);
		}
		free(buf);
	}
	hist_release(&h);
}

/* Single-byte corruption: refused or decoded, never a crash. */
TEST(hist_decode_corrupt_bytes)
{
	struct hist h, d;
	uint8_t *buf;
	size_t len;
	char why[128];
	int refused = 0;

	make_set("wide", &h);
	CHECK_OK(hist_encode_compressed(&h, 6, &buf, &len));
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			int r;

			buf[i] ^= (uint8_t)(1 << bit);
			r = hist_decode(&d, buf, len, why, sizeof(why));
			test_context("byte %zu bit %d", i, bit);
			CHECK(r == 0 || r == -EINVAL);
			refused += r != 0;
			hist_release(&d);
			buf[i] ^= (uint8_t)(1 << bit);
		}
	}
	CHECK(refused > (int)len * 8 * 9 / 10); /* zlib's Adler-32 catches nearly all */
	free(buf);
	hist_release(&h);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static void expect_refused(const uint8_t *buf, size_t len, const char *reason_part)
{
	struct hist d;
	char why[160];

	CHECK_EQ_I64(hist_decode(&d, buf, len, why, sizeof(why)), -EINVAL);
	CHECK_MSG(strstr(why, reason_part), "reason \"%s\" lacks \"%s\"", why, reason_part);
	CHECK(d.counts == NULL);
}

/* A raw header for (L, H, d) followed by `payload`. */
static size_t hostile(uint8_t *b, int64_t lowest, int64_t highest, uint32_t digits, const void *payload, size_t n)
{
	put32(b, 0x1c849313);
	put32(b + 4, (uint32_t)n);
	put32(b + 8, 0);
	put32(b + 12, digits);
	put64(b + 16, (uint64_t)lowest);
	put64(b + 24, (uint64_t)highest);
	put64(b + 32, 0x3ff0000000000000ull);
	memcpy(b + 40, payload, n);
	return 40 + n;
}

TEST(hist_decode_hostile)
{
	uint8_t b[128];
	size_t n;
	struct hist d;
	char why[128];

	/* cookies */
	memset(b, 0, sizeof(b));
	put32(b, 0x1c849301);
	expect_refused(b, 48, "V1");
	put32(b, 0x1c849308);
	expect_refused(b, 48, "V0");
	put32(b, 0x0c72124e);
	expect_refused(b, 48, "DoubleHistogram");
	put32(b, 0x1c849323);
	expect_refused(b, 48, "word size");
	put32(b, 0x12345678);
	expect_refused(b, 48, "cookie");
	expect_refused(b, 3, "truncated");
	expect_refused(NULL, 0, "truncated");

	/* layouts */
	n = hostile(b, 1, H12, 6, "\x00", 1);
	expect_refused(b, n, "invalid layout");
	n = hostile(b, 0, H12, 3, "\x00", 1);
	expect_refused(b, n, "invalid layout");
	n = hostile(b, 100, 150, 3, "\x00", 1);
	expect_refused(b, n, "invalid layout");
	n = hostile(b, (int64_t)1 << 60, INT64_MAX, 3, "\x00", 1);
	expect_refused(b, n, "invalid layout");
	n = hostile(b, -5, H12, 3, "\x00", 1);
	expect_refused(b, n, "invalid layout");
	n = hostile(b, 1, H12, 3, "\x00", 1);
	put32(b + 8, 4);
	expect_refused(b, n, "normalizingIndexOffset");

	/* payloads */
	n = hostile(b, 1, H12, 3, "\x02", 1);
	CHECK_OK(hist_decode(&d, b, n, why, sizeof(why)));
	CHECK_EQ_I64(d.total_count, 1);
	hist_release(&d);
	put32(b + 4, 0x7fffffff); /* payload length past the end */
	expect_refused(b, n, "truncated");
	put32(b + 4, 0xffffffff);
	expect_refused(b, n, "payload length");
	n = hostile(b, 1, H12, 3, "\x02\x02", 2);
	expect_refused(b, n - 1, "truncated");
	n = hostile(b, 1, 2, 1, "\x80", 1); /* value cut by the payload end */
	expect_refused(b, n, "inside a value");
	n = hostile(b, 1, 2, 1, "\x3d\x02", 2); /* 31 zeros then a count: slot 31, fits */
	CHECK_OK(hist_decode(&d, b, n, why, sizeof(why)));
	CHECK_EQ_I64(d.counts[31], 1);
	CHECK_EQ_I64(hist_max(&d), 31);
	hist_release(&d);
	n = hostile(b, 1, 2, 1, "\x3f\x02", 2); /* 32 zeros then a count: slot 32 */
	expect_refused(b, n, "beyond the layout");
	n = hostile(b, 1, 2, 1, "\x41", 1); /* a run of 33 zeros */
	expect_refused(b, n, "beyond the layout");
	/* a run of 2^31 zeros: zigzag(-2^31) = 2^32 - 1 */
	n = hostile(b, 1, 2, 1, "\xff\xff\xff\xff\x0f", 5);
	expect_refused(b, n, "zero run too long");
	/* INT64_MIN as a count */
	n = hostile(b, 1, 2, 1, "\xff\xff\xff\xff\xff\xff\xff\xff\xff", 9);
	expect_refused(b, n, "zero run too long");
	/* counts summing past INT64_MAX */
	n = hostile(b, 1, 2, 1, "\xfe\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff\xff\xff\xff\xff\xff", 18);
	expect_refused(b, n, "overflow");
	/* trailing bytes after the payload */
	n = hostile(b, 1, H12, 3, "\x02\x02", 2);
	put32(b + 4, 1);
	expect_refused(b, n, "trailing");
}

TEST(hist_decode_compressed_hostile)
{
	struct hist h, d;
	uint8_t *buf, *big;
	size_t len;
	char why[128];

	make_set("worked", &h);
	CHECK_OK(hist_encode_compressed(&h, 6, &buf, &len));
	/* the length field disagrees with the buffer */
	put32(buf + 4, (uint32_t)len);
	expect_refused(buf, len, "truncated");
	put32(buf + 4, (uint32_t)(len - 9));
	expect_refused(buf, len, "trailing");
	put32(buf + 4, (uint32_t)(len - 8));
	CHECK_OK(hist_decode(&d, buf, len, why, sizeof(why)));
	hist_release(&d);
	/* damaged deflate data */
	buf[8 + 2] ^= 0xff;
	expect_refused(buf, len, "zlib");
	free(buf);

	/* a compressed envelope around something other than a V2 raw form */
	{
		uint8_t raw[41];
		uLongf zl = compressBound(sizeof(raw));

		hostile(raw, 1, H12, 3, "\x02", 1);
		put32(raw, 0x1c849301);
		big = malloc(8 + zl);
		CHECK(compress2(big + 8, &zl, raw, sizeof(raw), 6) == Z_OK);
		put32(big, 0x1c849314);
		put32(big + 4, (uint32_t)zl);
		expect_refused(big, 8 + zl, "inner cookie");
		free(big);
	}

	/* a zlib stream whose inner header claims a huge payload it lacks */
	{
		uint8_t raw[44];
		uLongf zl = compressBound(sizeof(raw));

		hostile(raw, 1, H12, 3, "\x02\x02\x02\x02", 4);
		put32(raw + 4, 0x7ffffff0);
		big = malloc(8 + zl);
		CHECK(compress2(big + 8, &zl, raw, sizeof(raw), 6) == Z_OK);
		put32(big, 0x1c849314);
		put32(big + 4, (uint32_t)zl);
		expect_refused(big, 8 + zl, "truncated");
		free(big);
	}
	hist_release(&h);
}

TEST(hist_base64_strict)
{
	const char *ok = "HISTFAAAACR4nJNpmSzMwMDAwgABzFCaEURcm7yEwf4DROCwMgsLAGcLBXk=";
	struct hist d;
	char why[128], buf[128];

	CHECK_OK(hist_decode_base64(&d, ok, why, sizeof(why)));
	CHECK_EQ_I64(d.total_count, 4);
	CHECK_EQ_I64(hist_max(&d), 2503);
	CHECK_EQ_I64(hist_min(&d), 2500);
	CHECK_EQ_I64(d.highest, H9);
	hist_release(&d);
	/* unpadded final unit, as java.util.Base64 allows */
	snprintf(buf, sizeof(buf), "%.*s", (int)strlen(ok) - 1, ok);
	CHECK_OK(hist_decode_base64(&d, buf, why, sizeof(why)));
	hist_release(&d);

	snprintf(buf, sizeof(buf), "%.20s %s", ok, ok + 20);
	CHECK_EQ_I64(hist_decode_base64(&d, buf, why, sizeof(why)), -EINVAL);
	CHECK(strstr(why, "invalid character"));
	snprintf(buf, sizeof(buf), "%s\n", ok);
	CHECK_EQ_I64(hist_decode_base64(&d, buf, why, sizeof(why)), -EINVAL);
	snprintf(buf, sizeof(buf), "%s", ok);
	buf[10] = '-'; /* URL-safe alphabet */
	CHECK_EQ_I64(hist_decode_base64(&d, buf, why, sizeof(why)), -EINVAL);
	snprintf(buf, sizeof(buf), "%s=", ok); /* wrong padding */
	CHECK_EQ_I64(hist_decode_base64(&d, buf, why, sizeof(why)), -EINVAL);
	CHECK(strstr(why, "padding"));
	snprintf(buf, sizeof(buf), "%.*s", (int)strlen(ok) - 3, ok); /* 1 char in last unit */
	CHECK_EQ_I64(hist_decode_base64(&d, buf, why, sizeof(why)), -EINVAL);
	CHECK_EQ_I64(hist_decode_base64(&d, "", why, sizeof(why)), -EINVAL);
	CHECK_EQ_I64(hist_decode_base64(&d, "====", why, sizeof(why)), -EINVAL);
	CHECK_EQ_I64(hist_decode_base64(&d, NULL, why, sizeof(why)), -EINVAL);
	CHECK(d.counts == NULL);
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
	T(hist_format_fixed_java),
	T(hist_fixture_summaries),
	T(hist_fixture_hgrm),
	T(hist_fixture_hgrm_scaled),
	T(hist_fixture_base64_encode_matches_java),
	T(hist_fixture_base64_decode_java),
	T(hist_base64_worked_example),
	T(hist_payload_forms),
	T(hist_round_trips),
	T_TIMEOUT(hist_decode_truncated, 120),
	T_TIMEOUT(hist_decode_corrupt_bytes, 120),
	T(hist_decode_hostile),
	T(hist_decode_compressed_hostile),
	T(hist_base64_strict),
};

int main(int argc, char **argv)
{
	return test_main(argc, argv, cases, ARRAY_SIZE(cases));
}
