/*
 * test_hist_hgrm.c - unit tests of harness/hdr/hgrm.c: Java's %.Nf and the
 * .hgrm percentile distribution, byte for byte against the Java
 * reference's fixtures (tests/fixtures/hist/).
 */
#include "harness/hdr/hgrm.h"
#include "harness/hdr/hist.h"
#include "tests/runner.h"
#include "tests/unit/histfix.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>

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

/* ---- the .hgrm text, against the Java reference ---- */

static void check_hgrm(const struct hist *h, const char *fixture, double ratio, bool csv)
{
	char *want = hfix_read(fixture, NULL), *got = NULL;
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
	for (size_t i = 0; i < HFIX_NSETS; i++) {
		char name[64];
		struct hist h;

		hfix_make(hfix_sets[i], &h);
		snprintf(name, sizeof(name), "%s.hgrm", hfix_sets[i]);
		check_hgrm(&h, name, 1.0, false);
		snprintf(name, sizeof(name), "%s.csv", hfix_sets[i]);
		check_hgrm(&h, name, 1.0, true);
		hist_release(&h);
	}
}

TEST(hist_fixture_hgrm_scaled)
{
	struct hist h;

	hfix_make("lcg", &h);
	check_hgrm(&h, "lcg.r1000.hgrm", 1000.0, false);
	hist_release(&h);
	hfix_make("heavy", &h);
	check_hgrm(&h, "heavy.r1000.hgrm", 1000.0, false);
	hist_release(&h);
	hfix_make("wide", &h);
	check_hgrm(&h, "wide.r1000.csv", 1000.0, true);
	hist_release(&h);
}

static const struct test_case cases[] = {
	T(hist_format_fixed_java),
	T(hist_fixture_hgrm),
	T(hist_fixture_hgrm_scaled),
};

int main(int argc, char **argv)
{
	return test_main(argc, argv, cases, ARRAY_SIZE(cases));
}
