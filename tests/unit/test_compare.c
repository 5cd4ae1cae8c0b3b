/*
 * test_compare.c - unit tests of harness/analysis/compare.c and
 * compare_stats.c: the Mann-Whitney U p-values against values derived by
 * hand and by brute-force enumeration,
 * and the verdicts on synthetic result files built in memory (identical
 * inputs, known shifts in both directions, throughput direction, too few
 * repetitions, tail percentiles without enough samples, incomparable
 * cells, different machines).
 */
#include "harness/analysis/compare.h"
#include "tests/runner.h"
#include "tests/unit/comparefix.h"

#include <errno.h>
#include <math.h>

/* ---- Mann-Whitney U: exact values ---- */

TEST(mw_n3_complete_separation_is_0_1)
{
	double x[] = {1, 2, 3}, y[] = {4, 5, 6};
	bool exact = false;

	/* P(U = 0) = 1 / C(6,3) = 1/20; two-sided 2/20 */
	CHECK_NEAR(compare_mann_whitney(x, 3, y, 3, &exact), 0.1, 1e-12);
	CHECK(exact);
	CHECK_NEAR(compare_mann_whitney(y, 3, x, 3, NULL), 0.1, 1e-12);
}

TEST(mw_n5_complete_separation)
{
	double x[] = {10, 11, 12, 13, 14}, y[] = {20, 21, 22, 23, 24};

	/* 2 / C(10,5) = 2/252 */
	CHECK_NEAR(compare_mann_whitney(x, 5, y, 5, NULL), 2.0 / 252, 1e-12);
	CHECK_NEAR(compare_mann_whitney(y, 5, x, 5, NULL), 2.0 / 252, 1e-12);
}

TEST(mw_n4_one_swap)
{
	double x[] = {1, 2, 3, 5}, y[] = {4, 6, 7, 8};

	/* U = 1: P(U <= 1) = 2/70 (U = 0 and U = 1 once each); two-sided 4/70 */
	CHECK_NEAR(compare_mann_whitney(x, 4, y, 4, NULL), 4.0 / 70, 1e-12);
}

TEST(mw_unequal_sizes)
{
	double x[] = {1, 2}, y[] = {3, 4, 5, 6, 7};

	/* 2 / C(7,2) = 2/21 */
	CHECK_NEAR(compare_mann_whitney(x, 2, y, 5, NULL), 2.0 / 21, 1e-12);
}

TEST(mw_identical_and_all_tied_give_1)
{
	double x[] = {1, 2, 3, 4, 5}, t[] = {7, 7, 7};

	CHECK_NEAR(compare_mann_whitney(x, 5, x, 5, NULL), 1.0, 1e-12);
	CHECK_NEAR(compare_mann_whitney(t, 3, t, 3, NULL), 1.0, 1e-12);
	CHECK(isnan(compare_mann_whitney(x, 0, x, 5, NULL)));
}

/* Brute force: every way of labelling n of the pooled values as x. */
static double enumerate_p(const double *x, size_t n, const double *y, size_t m)
{
	double v[16] = {0}, rank[16] = {0}, obs = 0, mean, hits = 0, all = 0;
	size_t total = n + m;

	for (size_t i = 0; i < n; i++)
		v[i] = x[i];
	for (size_t i = 0; i < m; i++)
		v[n + i] = y[i];
	for (size_t i = 0; i < total; i++) {
		double below = 0, same = 0;

		for (size_t j = 0; j < total; j++) {
			below += v[j] < v[i];
			same += v[j] == v[i];
		}
		rank[i] = below + (same + 1) / 2; /* midrank */
	}
	for (size_t i = 0; i < n; i++)
		obs += rank[i];
	mean = (double)n * (double)(total + 1) / 2;
	for (unsigned int mask = 0; mask < (1u << total); mask++) {
		double w = 0;

		if ((size_t)__builtin_popcount(mask) != n)
			continue;
		for (size_t i = 0; i < total; i++)
			if (mask & (1u << i))
				w += rank[i];
		all++;
		hits += fabs(w - mean) >= fabs(obs - mean) - 1e-9;
	}
	return hits / all;
}

TEST(mw_exact_with_ties_matches_enumeration)
{
	uint32_t s = 12345;

	for (int trial = 0; trial < 200; trial++) {
		double x[8], y[8];
		size_t n = 2 + trial % 6, m = 2 + (trial / 6) % 7;
		double p, want;

		for (size_t i = 0; i < n; i++) {
			s = s * 1103515245u + 12345u;
			x[i] = (double)((s >> 16) % 5); /* few distinct values: many ties */
		}
		for (size_t i = 0; i < m; i++) {
			s = s * 1103515245u + 12345u;
			y[i] = (double)((s >> 16) % 5 + trial % 3);
		}
		p = compare_mann_whitney(x, n, y, m, NULL);
		want = enumerate_p(x, n, y, m);
		test_context("trial %d: n=%zu m=%zu", trial, n, m);
		CHECK_NEAR(p, want, 1e-12);
	}
}

/* ---- Mann-Whitney U: the normal approximation (values worked out by hand) ---- */

TEST(mw_normal_above_20)
{
	double x[25], y[25], a[21], b[21];
	bool exact = true;

	for (int i = 0; i < 25; i++) {
		x[i] = i;
		y[i] = 100 + i;
	}
	/* U = 0, mu = 312.5, sigma^2 = 25*25*51/12: z = 312/51.5388, p = erfc(z/sqrt 2) */
	CHECK_NEAR(compare_mann_whitney(x, 25, y, 25, &exact), 1.4156562248495634e-09, 1e-15);
	CHECK(!exact);
	/* n = m = 21 (just above the exact limit), one swapped pair: U = 1 */
	for (int i = 0; i < 21; i++) {
		a[i] = i + 1;
		b[i] = i + 22;
	}
	a[20] = 22;
	b[0] = 21;
	CHECK_NEAR(compare_mann_whitney(a, 21, b, 21, NULL), 3.6065843394871057e-08, 1e-14);
}

TEST(mw_normal_tie_correction)
{
	double x[25], y[25];

	/* x: 13 ones, 12 twos; y: 5 ones, 20 twos.  Midranks 9.5 and 34.5, U = 212.5,
	 * T = (18^3-18) + (32^3-32), var = 625/12 * (51 - T/2450) */
	for (int i = 0; i < 25; i++) {
		x[i] = i < 13 ? 1 : 2;
		y[i] = i < 5 ? 1 : 2;
	}
	CHECK_NEAR(compare_mann_whitney(x, 25, y, 25, NULL), 0.020250891132762114, 1e-12);
}

TEST(min_p)
{
	CHECK_NEAR(compare_min_p(3, 3), 0.1, 1e-12);
	CHECK_NEAR(compare_min_p(4, 4), 2.0 / 70, 1e-12);
	CHECK_NEAR(compare_min_p(9, 9), 2.0 / 48620, 1e-15);
	CHECK_NEAR(compare_min_p(1, 1), 1.0, 1e-12);
}

TEST(holm)
{
	double p[] = {0.01, 0.04, 0.03, 0.005}, adj[4];

	/* sorted 0.005 x4 = 0.02, 0.01 x3 = 0.03, 0.03 x2 = 0.06, 0.04 x1 = 0.04 -> 0.06 (monotone) */
	CHECK_OK(compare_holm(p, 4, adj));
	CHECK_NEAR(adj[0], 0.03, 1e-12);
	CHECK_NEAR(adj[1], 0.06, 1e-12);
	CHECK_NEAR(adj[2], 0.06, 1e-12);
	CHECK_NEAR(adj[3], 0.02, 1e-12);
	p[0] = 0.6;
	p[1] = 0.7;
	CHECK_OK(compare_holm(p, 2, p)); /* in place: 0.6 x2 capped at 1, then 0.7 -> 1 */
	CHECK_NEAR(p[0], 1.0, 1e-12);
	CHECK_NEAR(p[1], 1.0, 1e-12);
}

TEST(stats_of)
{
	double v[] = {5, 1, 3, 2, 4}, w[] = {10, 20, 30, 40};
	struct compare_stats st;

	compare_stats_of(v, 5, &st);
	CHECK_EQ_I64(st.n, 5);
	CHECK_NEAR(st.median, 3, 0);
	CHECK_NEAR(st.min, 1, 0);
	CHECK_NEAR(st.max, 5, 0);
	CHECK_NEAR(st.q1, 2, 0);
	CHECK_NEAR(st.q3, 4, 0);
	CHECK_NEAR(st.rel_mad, 1.4826 * 1 / 3, 1e-12); /* deviations 2,2,0,1,1: MAD 1 */
	compare_stats_of(w, 4, &st);
	CHECK_NEAR(st.median, 25, 1e-12);
	CHECK_NEAR(st.q1, 17.5, 1e-12);
	CHECK_NEAR(st.q3, 32.5, 1e-12);
}

/* ---- synthetic result files ---- */

/* Fills one repetition from its p50 (ns): the other metrics follow from it. */
static void synth_rep(struct rf_rep *r, const char *pattern, double p50, int64_t samples, int64_t bytes)
{
	bool pp = !strcmp(pattern, "pingpong");

	memset(r, 0, sizeof(*r));
	r->status = (char *)"ok";
	r->lat.count = samples;
	for (int i = 0; i < SCHEMA_NPCT; i++)
		r->lat.pct[i] = p50 * (1 + i);
	r->lat.mean = p50 * 1.1;
	r->msgs_per_sec = 1e9 / p50;
	r->bytes_per_sec = r->msgs_per_sec * (double)bytes;
	r->round_trips_per_sec = pp ? r->msgs_per_sec : NAN;
	r->rate_achieved_per_sec = NAN;
}

/* Adds a cell with n repetitions, p50 of repetition i = base * (1 + jitter[i % 5]). */
static struct rf_cell *synth_cell(struct synth *s, const char *transport, const char *pattern, double base, size_t n,
				  int64_t samples)
{
	static const double jitter[5] = {0, 0.01, -0.01, 0.005, -0.005};
	struct rf_cell *c = synth_cell_add(s, transport, pattern, n);

	for (size_t i = 0; i < n; i++)
		synth_rep(&c->reps[i], pattern, base * (1 + jitter[i % 5]), samples, c->msg_bytes);
	return c;
}

static struct synth sb, sn;

/* Starts a comparison: default options, base and new files of one machine. */
static void synth_start(struct compare_options *o)
{
	compare_options_init(o);
	synth_init(&sb, "cpu");
	synth_init(&sn, "cpu");
}

/* Adds the same cell to both files: p50 base_ns in base, new_ns in new. */
static void synth_both(const char *transport, const char *pattern, double base_ns, double new_ns, size_t n,
		       int64_t samples)
{
	synth_cell(&sb, transport, pattern, base_ns, n, samples);
	synth_cell(&sn, transport, pattern, new_ns, n, samples);
}

/* New against base: metric improves and nothing regresses; res is the caller's to check further and release. */
static void check_reverse_improves(const struct compare_options *o, int metric, struct compare_result *res)
{
	synth_run(&sn, &sb, o, res);
	CHECK_EQ_I64(res->cells[0].m[metric].verdict, COMPARE_IMPROVED);
	CHECK_EQ_I64(res->regressions, 0);
}

TEST(identical_inputs_are_unchanged_everywhere)
{
	struct compare_options o;
	struct compare_result res;

	compare_options_init(&o);
	synth_init(&sb, "cpu");
	synth_cell(&sb, "pipe", "pingpong", 5000, 9, 100000);
	synth_cell(&sb, "tcp", "stream", 20000, 9, 100000);
	sn = sb;
	sn.f.cells = sn.cells;
	for (int k = 0; k < 2; k++)
		sn.cells[k].reps = sn.reps[k];
	synth_run(&sb, &sn, &o, &res);
	CHECK_EQ_I64(res.ncells, 2);
	CHECK_EQ_I64(res.regressions, 0);
	CHECK(!res.different_machines && !res.refused);
	for (size_t i = 0; i < res.ncells; i++) {
		CHECK_EQ_I64(res.cells[i].verdict, COMPARE_UNCHANGED);
		for (int m = 0; m < COMPARE_METRIC__COUNT; m++) {
			if (!res.cells[i].m[m].present)
				continue;
			test_context("cell %zu metric %s", i, compare_metric_name(m));
			CHECK_EQ_I64(res.cells[i].m[m].verdict, COMPARE_UNCHANGED);
			CHECK_NEAR(res.cells[i].m[m].change, 0, 1e-12);
			CHECK_NEAR(res.cells[i].m[m].p, 1, 1e-12);
		}
	}
	CHECK_EQ_I64(res.cell_counts[COMPARE_UNCHANGED], 2);
	compare_result_release(&res);
}

TEST(shift_is_regressed_with_the_right_sign)
{
	struct compare_options o;
	struct compare_result res;
	const struct compare_cell *c;

	synth_start(&o);
	synth_both("pipe", "pingpong", 5000, 7000, 9, 100000); /* +40% latency */
	synth_both("tcp", "pingpong", 14000, 14000, 9, 100000);
	synth_run(&sb, &sn, &o, &res);
	c = &res.cells[0];
	CHECK_EQ_I64(c->verdict, COMPARE_REGRESSED);
	CHECK_EQ_I64(c->m[COMPARE_P50].verdict, COMPARE_REGRESSED);
	CHECK_NEAR(c->m[COMPARE_P50].change, 0.4, 1e-9);
	CHECK_NEAR(c->m[COMPARE_P50].p, 2.0 / 48620, 1e-12);
	CHECK(c->m[COMPARE_P50].exact);
	CHECK_EQ_I64(c->m[COMPARE_MEAN].verdict, COMPARE_REGRESSED);
	/* throughput falls: also worse */
	CHECK_EQ_I64(c->m[COMPARE_ROUND_TRIPS].verdict, COMPARE_REGRESSED);
	CHECK(c->m[COMPARE_ROUND_TRIPS].change < -0.25);
	CHECK(!c->m[COMPARE_MSGS].present && !c->m[COMPARE_BYTES].present);
	/* the untouched transport */
	CHECK_EQ_I64(res.cells[1].verdict, COMPARE_UNCHANGED);
	CHECK_EQ_I64(res.cell_counts[COMPARE_REGRESSED], 1);
	CHECK(res.regressions >= 4);
	compare_result_release(&res);

	/* the reverse is an improvement, never a regression */
	check_reverse_improves(&o, COMPARE_P50, &res);
	CHECK_EQ_I64(res.cells[0].verdict, COMPARE_IMPROVED);
	CHECK(res.cells[0].m[COMPARE_P50].change < 0);
	CHECK_EQ_I64(res.cells[0].m[COMPARE_ROUND_TRIPS].verdict, COMPARE_IMPROVED);
	compare_result_release(&res);
}

TEST(throughput_direction_in_stream_cells)
{
	struct compare_options o;
	struct compare_result res;
	const struct compare_cell *c;

	synth_start(&o);
	o.metrics = 1u << COMPARE_MSGS | 1u << COMPARE_BYTES;
	synth_both("unix", "stream", 1000, 1500, 9, 100000); /* msgs/s down by a third */
	synth_run(&sb, &sn, &o, &res);
	c = &res.cells[0];
	CHECK(!c->m[COMPARE_ROUND_TRIPS].present && !c->m[COMPARE_P50].present);
	CHECK_EQ_I64(c->m[COMPARE_MSGS].verdict, COMPARE_REGRESSED);
	CHECK_EQ_I64(c->m[COMPARE_BYTES].verdict, COMPARE_REGRESSED);
	CHECK_NEAR(c->m[COMPARE_MSGS].change, 1000.0 / 1500 - 1, 1e-9);
	compare_result_release(&res);
	check_reverse_improves(&o, COMPARE_MSGS, &res);
	compare_result_release(&res);
}

TEST(small_significant_change_is_unchanged)
{
	struct compare_options o;
	struct compare_result res;

	synth_start(&o);
	synth_both("pipe", "pingpong", 5000, 5250, 9, 100000); /* +5%: significant, below 10% */
	synth_run(&sb, &sn, &o, &res);
	CHECK(res.cells[0].m[COMPARE_P50].p < 0.001);
	CHECK_EQ_I64(res.cells[0].m[COMPARE_P50].verdict, COMPARE_UNCHANGED);
	CHECK_EQ_I64(res.regressions, 0);
	compare_result_release(&res);
	o.threshold = 0.02;
	synth_run(&sb, &sn, &o, &res);
	CHECK_EQ_I64(res.cells[0].m[COMPARE_P50].verdict, COMPARE_REGRESSED);
	compare_result_release(&res);
}

TEST(change_within_the_noise_is_inconclusive)
{
	static const double wide[9] = {0.6, 0.8, 1.0, 1.2, 1.4, 0.7, 0.9, 1.1, 1.3};
	struct compare_options o;
	struct compare_result res;
	const struct compare_metric_result *m;

	synth_start(&o);
	synth_both("pipe", "pingpong", 5000, 5000, 9, 100000);
	for (int i = 0; i < 9; i++) {
		synth_rep(&sb.reps[0][i], "pingpong", 5000 * wide[i], 100000, 64);
		synth_rep(&sn.reps[0][i], "pingpong", 5000 * (wide[i] + 0.5), 100000, 64);
	}
	synth_run(&sb, &sn, &o, &res);
	m = &res.cells[0].m[COMPARE_P50];
	/* +50%, significant, but the base scatters by +-30% (1.4826 x MAD 20%): x2 is 59% */
	CHECK(m->p < o.alpha);
	CHECK(m->change > 0.45);
	CHECK_EQ_I64(m->verdict, COMPARE_INCONCLUSIVE);
	CHECK(strstr(m->why, "noise"));
	compare_result_release(&res);
}

/* 4 against 4 fully separated: p = 2/70 = 0.029.  Alone it is significant;
 * among ten tests the Holm correction (x10) makes it inconclusive. */
TEST(holm_correction_over_the_run)
{
	struct compare_options o;
	struct compare_result res;

	synth_start(&o);
	o.metrics = 1u << COMPARE_P50;
	synth_both("pipe", "pingpong", 5000, 9000, 4, 100000);
	synth_run(&sb, &sn, &o, &res);
	CHECK_EQ_I64(res.ntested, 1);
	CHECK_NEAR(res.cells[0].m[COMPARE_P50].p_adj, 2.0 / 70, 1e-12);
	CHECK_EQ_I64(res.cells[0].m[COMPARE_P50].verdict, COMPARE_REGRESSED);
	compare_result_release(&res);
	synth_both("tcp", "pingpong", 5000, 5000, 4, 100000);
	o.metrics = COMPARE_ALL_METRICS;
	synth_run(&sb, &sn, &o, &res);
	CHECK(res.ntested >= 8);
	CHECK_NEAR(res.cells[0].m[COMPARE_P50].p, 2.0 / 70, 1e-12);
	CHECK(res.cells[0].m[COMPARE_P50].p_adj >= 0.2);
	CHECK_EQ_I64(res.cells[0].m[COMPARE_P50].verdict, COMPARE_INCONCLUSIVE);
	CHECK(strstr(res.cells[0].m[COMPARE_P50].why, "Holm"));
	CHECK(res.nwarnings >= 1);
	compare_result_release(&res);
	o.holm = false;
	synth_run(&sb, &sn, &o, &res);
	CHECK_EQ_I64(res.cells[0].m[COMPARE_P50].verdict, COMPARE_REGRESSED);
	compare_result_release(&res);
}

TEST(too_few_repetitions_are_insufficient)
{
	struct compare_options o;
	struct compare_result res;

	synth_start(&o);
	synth_both("pipe", "pingpong", 5000, 9000, 2, 100000);
	synth_run(&sb, &sn, &o, &res);
	CHECK_EQ_I64(res.cells[0].verdict, COMPARE_INSUFFICIENT);
	CHECK_EQ_I64(res.cells[0].m[COMPARE_P50].verdict, COMPARE_INSUFFICIENT);
	CHECK_EQ_I64(res.regressions, 0);
	CHECK(res.nwarnings >= 1);
	compare_result_release(&res);

	/* 3 against 3 cannot reach p < 0.05 (the smallest p is 0.1) */
	sb.cells[0].nreps = sn.cells[0].nreps = 3;
	synth_rep(&sb.reps[0][2], "pingpong", 5000, 100000, 64);
	synth_rep(&sn.reps[0][2], "pingpong", 9000, 100000, 64);
	synth_run(&sb, &sn, &o, &res);
	CHECK_EQ_I64(res.cells[0].m[COMPARE_P50].verdict, COMPARE_INSUFFICIENT);
	CHECK(strstr(res.cells[0].m[COMPARE_P50].why, "3 vs 3"));
	compare_result_release(&res);
	o.alpha = 0.2;
	o.metrics = 1u << COMPARE_P50; /* one test: no correction to pay */
	synth_run(&sb, &sn, &o, &res);
	CHECK_EQ_I64(res.cells[0].m[COMPARE_P50].verdict, COMPARE_REGRESSED);
	compare_result_release(&res);
}

TEST(tail_percentile_with_few_samples_is_insufficient)
{
	struct compare_options o;
	struct compare_result res;
	const struct compare_cell *c;

	synth_start(&o);
	synth_both("pipe", "pingpong", 5000, 9000, 9, 5000); /* p99 needs 1000, p99.9 10000 */
	synth_both("tcp", "pingpong", 5000, 9000, 9, 999);
	synth_run(&sb, &sn, &o, &res);
	c = &res.cells[0];
	CHECK_EQ_I64(c->m[COMPARE_P50].verdict, COMPARE_REGRESSED);
	CHECK_EQ_I64(c->m[COMPARE_P99].verdict, COMPARE_REGRESSED);
	CHECK_EQ_I64(c->m[COMPARE_P999].verdict, COMPARE_INSUFFICIENT);
	CHECK(strstr(c->m[COMPARE_P999].why, "10000"));
	c = &res.cells[1];
	CHECK_EQ_I64(c->m[COMPARE_P99].verdict, COMPARE_INSUFFICIENT);
	CHECK(strstr(c->m[COMPARE_P99].why, "1000 samples"));
	CHECK_EQ_I64(c->m[COMPARE_P50].verdict, COMPARE_REGRESSED);
	compare_result_release(&res);
}

TEST(cells_on_one_side_or_measured_differently_are_incomparable)
{
	struct compare_options o;
	struct compare_result res;

	synth_start(&o);
	synth_cell(&sb, "pipe", "pingpong", 5000, 9, 100000);
	synth_cell(&sb, "fifo", "pingpong", 5000, 9, 100000);
	synth_cell(&sn, "pipe", "pingpong", 5000, 9, 100000)->warmup = 20;
	synth_cell(&sn, "tcp", "pingpong", 5000, 9, 100000);
	synth_run(&sb, &sn, &o, &res);
	CHECK_EQ_I64(res.ncells, 3);
	CHECK_EQ_I64(res.ncommon, 1);
	CHECK_EQ_I64(res.cell_counts[COMPARE_INCOMPARABLE], 3);
	CHECK(strstr(res.cells[0].reason, "warmup"));
	CHECK_EQ_STR(res.cells[1].reason, "only in base");
	CHECK_EQ_STR(res.cells[2].reason, "only in new");
	CHECK_EQ_I64(res.regressions, 0);
	compare_result_release(&res);
}

TEST(different_machines_are_refused_unless_allowed)
{
	struct compare_options o;
	struct compare_result res;

	compare_options_init(&o);
	synth_init(&sb, "AMD EPYC");
	synth_init(&sn, "Intel Xeon");
	synth_both("pipe", "pingpong", 5000, 5000, 9, 100000);
	synth_run(&sb, &sn, &o, &res);
	CHECK(res.different_machines);
	CHECK(res.refused);
	compare_result_release(&res);
	o.allow_different_machines = true;
	synth_run(&sb, &sn, &o, &res);
	CHECK(res.different_machines);
	CHECK(!res.refused);
	compare_result_release(&res);
}

TEST(several_files_per_side_are_pooled)
{
	static struct synth b[3], n[3];
	struct result_file bf[3], nf[3];
	struct compare_options o;
	struct compare_result res;
	char err[256];

	compare_options_init(&o);
	for (int i = 0; i < 3; i++) {
		synth_init(&b[i], "cpu");
		synth_init(&n[i], "cpu");
		synth_cell(&b[i], "pipe", "pingpong", 5000 + i, 3, 100000);
		synth_cell(&n[i], "pipe", "pingpong", 8000 + i, 3, 100000);
		bf[i] = b[i].f;
		nf[i] = n[i].f;
	}
	CHECK_OK(compare_run(bf, 3, nf, 3, &o, &res, err, sizeof(err)));
	CHECK_EQ_I64(res.ncells, 1);
	CHECK_EQ_I64(res.cells[0].base_reps, 9);
	CHECK_EQ_I64(res.cells[0].m[COMPARE_P50].cand.n, 9);
	CHECK_EQ_I64(res.cells[0].verdict, COMPARE_REGRESSED);
	compare_result_release(&res);
	/* a side that mixes machines is an input error */
	nf[2].ctx.cpu_model = (char *)"other";
	CHECK_EQ_I64(compare_run(bf, 3, nf, 3, &o, &res, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "cpu_model"));
}

TEST(failed_repetitions_are_left_out)
{
	struct compare_options o;
	struct compare_result res;

	synth_start(&o);
	synth_both("pipe", "pingpong", 5000, 5000, 10, 100000);
	sn.reps[0][0].status = (char *)"error";
	sn.reps[0][0].lat.pct[0] = 1e9; /* would be a huge outlier */
	synth_run(&sb, &sn, &o, &res);
	CHECK_EQ_I64(res.cells[0].cand_reps, 9);
	CHECK_EQ_I64(res.cells[0].cand_failed, 1);
	CHECK_EQ_I64(res.cells[0].m[COMPARE_P50].verdict, COMPARE_UNCHANGED);
	compare_result_release(&res);
	for (int i = 0; i < 10; i++)
		sn.reps[0][i].status = (char *)"error";
	synth_run(&sb, &sn, &o, &res);
	CHECK_EQ_I64(res.cells[0].verdict, COMPARE_FAILED);
	compare_result_release(&res);
}

TEST(names_round_trip)
{
	unsigned int mask = 0;

	for (int m = 0; m < COMPARE_METRIC__COUNT; m++) {
		mask = 0;
		CHECK_OK(compare_metric_parse(compare_metric_name(m), &mask));
		CHECK_EQ_U64(mask, 1u << m);
	}
	CHECK_EQ_I64(compare_metric_parse("p42", &mask), -EINVAL);
	CHECK_EQ_STR(compare_verdict_name(COMPARE_INSUFFICIENT), "insufficient samples");
	CHECK_EQ_STR(compare_verdict_id(COMPARE_INSUFFICIENT), "insufficient_samples");
}

static const struct test_case cases[] = {
	T(mw_n3_complete_separation_is_0_1),
	T(mw_n5_complete_separation),
	T(mw_n4_one_swap),
	T(mw_unequal_sizes),
	T(mw_identical_and_all_tied_give_1),
	T(mw_exact_with_ties_matches_enumeration),
	T(mw_normal_above_20),
	T(mw_normal_tie_correction),
	T(min_p),
	T(holm),
	T(stats_of),
	T(identical_inputs_are_unchanged_everywhere),
	T(shift_is_regressed_with_the_right_sign),
	T(throughput_direction_in_stream_cells),
	T(small_significant_change_is_unchanged),
	T(change_within_the_noise_is_inconclusive),
	T(holm_correction_over_the_run),
	T(too_few_repetitions_are_insufficient),
	T(tail_percentile_with_few_samples_is_insufficient),
	T(cells_on_one_side_or_measured_differently_are_incomparable),
	T(different_machines_are_refused_unless_allowed),
	T(several_files_per_side_are_pooled),
	T(failed_repetitions_are_left_out),
	T(names_round_trip),
};

int main(int argc, char **argv)
{
	return test_main(argc, argv, cases, ARRAY_SIZE(cases));
}
