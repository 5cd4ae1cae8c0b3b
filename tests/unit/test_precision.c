/*
 * test_precision.c - the --precision rule (harness/precision.h) on
 * synthetic batches of known noise: the order-statistic ranks are the
 * binomial ones, the interval covers the true median as often as it says,
 * the rule stops once the noise allows the target and not before, and a
 * cell whose noise cannot reach it says so.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/precision.h"
#include "tests/runner.h"

/* A reproducible normal deviate (Box-Muller over a 64-bit LCG). */
static double gauss(uint64_t *s)
{
	double u1, u2;

	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	u1 = ((double)(*s >> 11) + 0.5) / 9007199254740992.0;
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	u2 = ((double)(*s >> 11) + 0.5) / 9007199254740992.0;
	return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

/* Batch k of a cell whose batch medians are 1000 ns with relative noise sigma. */
static void batch(struct prec_batch *b, uint64_t n, double sigma, uint64_t *s)
{
	memset(b, 0, sizeof(*b));
	b->n = n;
	b->ns = 10000000;
	b->p50 = 1000 * (1 + sigma * gauss(s));
	b->p99 = n >= 1000 ? 5000 * (1 + sigma * gauss(s)) : NAN;
	b->p999 = NAN;
	b->rate = 1e5 * (1 + sigma * gauss(s));
}

TEST(ranks_are_the_binomial_ones)
{
	/* [x(j), x(n+1-j)]: j from the binomial(n, 1/2) tables */
	CHECK_EQ_U64(prec_median_rank(5), 0);
	CHECK_EQ_U64(prec_median_rank(6), 1);
	CHECK_EQ_U64(prec_median_rank(8), 1);
	CHECK_EQ_U64(prec_median_rank(9), 2);
	CHECK_EQ_U64(prec_median_rank(10), 2);
	CHECK_EQ_U64(prec_median_rank(20), 6);
	CHECK_EQ_U64(prec_median_rank(30), 10);
	CHECK_EQ_U64(prec_median_rank(100), 40);
}

TEST(select_is_the_hdr_rank)
{
	uint32_t v[1000];

	for (uint32_t i = 0; i < 1000; i++)
		v[i] = (i * 7919u) % 1000u + 1; /* 1..1000 shuffled */
	CHECK_EQ_U64(prec_select(v, 1000, 0.5), 500);
	CHECK_EQ_U64(prec_select(v, 1000, 0.99), 990);
	CHECK_EQ_U64(prec_select(v, 1000, 0.999), 999);
	CHECK_EQ_U64(prec_select(v, 1000, 1.0), 1000);
	CHECK_EQ_U64(prec_select(v, 1, 0.5), v[0]);
	for (int i = 0; i < 64; i++)
		v[i] = 42; /* all equal */
	CHECK_EQ_U64(prec_select(v, 64, 0.5), 42);
}

TEST(the_interval_covers_as_it_says)
{
	uint64_t s = 1;
	int covered = 0, trials = 2000;

	for (int t = 0; t < trials; t++) {
		double v[20];
		struct prec_estimate e;

		for (int i = 0; i < 20; i++)
			v[i] = 1000 * (1 + 0.05 * gauss(&s));
		CHECK_EQ_I64(prec_median_ci(v, 20, &e), 0);
		covered += e.lo <= 1000 && 1000 <= e.hi;
	}
	/* [x(6), x(15)] of 20 covers with 95.9 %: allow sampling error */
	CHECK_MSG(covered > trials * 0.94 && covered < trials * 0.975, "covered %d of %d", covered, trials);
}

/* Batches until the rule stops; returns how many (or max when it never does). */
static size_t stop_after(double sigma, double target, size_t max, uint64_t seed, double *rel)
{
	struct prec_batch b[PREC_MAX_BATCHES];
	uint64_t s = seed;

	for (size_t n = 1; n <= max; n++) {
		batch(&b[n - 1], 5000, sigma, &s);
		if (prec_should_stop(b, n, PREC_BY_P50, target, rel))
			return n;
	}
	return max;
}

TEST(quiet_cells_stop_at_the_fewest_batches)
{
	double rel;

	/* 0.5 % noise: the first 6 batches already lie within +-3 % */
	CHECK_EQ_U64(stop_after(0.005, 0.03, 100, 7, &rel), PREC_MIN_BATCHES);
	CHECK(rel <= 0.03);
}

TEST(noisier_cells_need_more_batches)
{
	/*
	 * The half-width of the interval shrinks as 1/sqrt(n): with 4 % noise per
	 * batch, +-3 % needs around ten batches, +-1 % around a hundred.
	 */
	size_t sum3 = 0, sum1 = 0;

	for (uint64_t seed = 1; seed <= 20; seed++) {
		size_t n3 = stop_after(0.04, 0.03, 500, seed, NULL), n1 = stop_after(0.04, 0.01, 500, seed, NULL);

		CHECK(n3 >= PREC_MIN_BATCHES && n3 < 40);
		CHECK(n1 > n3);
		sum3 += n3;
		sum1 += n1;
	}
	CHECK_MSG(sum3 / 20 >= 6 && sum3 / 20 <= 20, "mean %zu batches for 3 %%", sum3 / 20);
	CHECK_MSG(sum1 / 20 >= 40 && sum1 / 20 <= 200, "mean %zu batches for 1 %%", sum1 / 20);
}

TEST(a_cell_that_cannot_reach_it_says_so)
{
	struct prec_batch b[40];
	struct prec_result r = {.on = true, .target = 0.01};
	uint64_t s = 3;
	double rel;

	/* 40 % noise, 40 batches: the interval stays wide */
	for (int i = 0; i < 40; i++)
		batch(&b[i], 200, 0.4, &s);
	CHECK(!prec_should_stop(b, 40, PREC_BY_P50, 0.01, &rel));
	CHECK(rel > 0.05 && isfinite(rel));
	prec_summarize(b, 40, &r);
	CHECK(r.p50.stated && r.p50.rel > 0.01);
	CHECK_EQ_U64(r.nbatches, 40);
	/* 200 samples per batch: p99 (1000 needed) is under-sampled, and says why */
	CHECK(!r.p99.stated);
	CHECK_EQ_U64(r.p99.need, 1000);
	CHECK(strstr(r.p99.why, "1000") && strstr(r.p99.why, "200"));
	/* fewer than six batches: no interval at all */
	CHECK(!prec_should_stop(b, 5, PREC_BY_P50, 0.5, &rel));
	CHECK(isinf(rel));
}

TEST(tails_and_rates_get_their_own)
{
	struct prec_batch b[30];
	struct prec_result r = {.on = true};
	uint64_t s = 9;

	for (int i = 0; i < 30; i++)
		batch(&b[i], 20000, 0.01, &s);
	prec_summarize(b, 30, &r);
	CHECK(r.p99.stated && r.p99.rel < 0.03);
	CHECK(!r.p999.stated); /* the batches carried none */
	CHECK(r.rate.stated && fabs(r.rate.center - 1e5) < 1e3 && r.rate.rel < 0.01);
	CHECK(prec_should_stop(b, 30, PREC_BY_RATE, 0.01, NULL));
}

TEST(batch_length_grows_with_long_cells)
{
	CHECK_EQ_U64(prec_batch_ns(300000000ull), PREC_BATCH_NS);
	CHECK_EQ_U64(prec_batch_ns(60000000000ull), 60000000000ull / (PREC_MAX_BATCHES / 2));
	CHECK_EQ_U64(prec_need(0.5), PREC_BATCH_MIN_SAMPLES);
	CHECK_EQ_U64(prec_need(0.99), 1000);
	CHECK_EQ_U64(prec_need(0.999), 10000);
}

static const struct test_case cases[] = {
	T(ranks_are_the_binomial_ones),	    T(select_is_the_hdr_rank),
	T(the_interval_covers_as_it_says),  T(quiet_cells_stop_at_the_fewest_batches),
	T(noisier_cells_need_more_batches), T(a_cell_that_cannot_reach_it_says_so),
	T(tails_and_rates_get_their_own),   T(batch_length_grows_with_long_cells),
};

int main(int argc, char **argv)
{
	return test_main(argc, argv, cases, ARRAY_SIZE(cases));
}
