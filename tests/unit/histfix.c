/*
 * histfix.c - what the HDR test suites (test_hist*.c) share: the fixtures
 * the Java reference wrote (tests/fixtures/hist/, see its README.md), the
 * value sets of its GenFixtures.java and the summary check against them.
 */
#include "tests/unit/histfix.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tests/runner.h"

char *hfix_read(const char *name, size_t *len)
{
	return test_read_file(len, "tests/fixtures/hist/%s", name);
}

/* The fixture's first line, without its newline. */
char *hfix_read_line(const char *name)
{
	char *s = hfix_read(name, NULL);

	s[strcspn(s, "\r\n")] = '\0';
	return s;
}

void hfix_init(struct hist *h, int64_t lowest, int64_t highest, int digits)
{
	CHECK_OK(hist_init(h, lowest, highest, digits));
}

void hfix_same_counts(const struct hist *a, const struct hist *b)
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

uint64_t hfix_lcg_state;

int64_t hfix_lcg_next(void)
{
	hfix_lcg_state = hfix_lcg_state * 6364136223846793005ull + 1442695040888963407ull;
	return (int64_t)(hfix_lcg_state >> 33);
}

static void record_lcg(struct hist *h, uint64_t seed, int n, int64_t scale)
{
	hfix_lcg_state = seed;
	for (int i = 0; i < n; i++) {
		int64_t v = 1000 + hfix_lcg_next() % 20000, t = hfix_lcg_next();

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
	hfix_lcg_state = 5;
	for (int i = 0; i < 2000; i++) {
		int64_t v = 1000 + hfix_lcg_next() % 20000, c = 1 + hfix_lcg_next() % 2000000;

		CHECK(hist_record_n(h, v, c));
	}
}

void hfix_make(const char *name, struct hist *h)
{
	static const int64_t zeros[] = {0, 7, 511, 512, 1000, 1023, 1024, 5000000, H12};

	if (!strcmp(name, "worked")) {
		hfix_init(h, 1, H9, 3);
		for (int64_t v = 2500; v <= 2503; v++)
			CHECK(hist_record(h, v));
	} else if (!strcmp(name, "one_to_six")) {
		hfix_init(h, 1, H12, 3);
		for (int64_t v = 1; v <= 6; v++)
			CHECK(hist_record(h, v));
	} else if (!strcmp(name, "lcg")) {
		hfix_init(h, 1, H12, 3);
		record_lcg(h, 42, 5000, 1);
	} else if (!strcmp(name, "wide")) {
		hfix_init(h, 1, H12, 3);
		record_wide(h);
	} else if (!strcmp(name, "empty")) {
		hfix_init(h, 1, H12, 3);
	} else if (!strcmp(name, "d2")) {
		hfix_init(h, 1, H12, 2);
		record_lcg(h, 7, 3000, 1);
	} else if (!strcmp(name, "l1000")) {
		hfix_init(h, 1000, H12, 3);
		record_lcg(h, 9, 3000, 10);
	} else if (!strcmp(name, "l1000_zeros")) {
		hfix_init(h, 1000, H12, 3);
		for (size_t i = 0; i < ARRAY_SIZE(zeros); i++)
			CHECK(hist_record(h, zeros[i]));
	} else if (!strcmp(name, "d0_wide")) {
		hfix_init(h, 1, H12, 0);
		record_wide(h);
	} else if (!strcmp(name, "d5_lcg")) {
		hfix_init(h, 1, H12, 5);
		record_lcg(h, 11, 2000, 1);
	} else if (!strcmp(name, "heavy")) {
		hfix_init(h, 1, H12, 3);
		record_heavy(h);
	} else if (!strcmp(name, "tiny")) {
		hfix_init(h, 1, 2, 1);
		for (int64_t v = 0; v < 32; v++)
			CHECK(hist_record_n(h, v, v + 1));
	} else {
		test_fail(__FILE__, __LINE__, "unknown set %s", name);
	}
}

const char *const hfix_sets[HFIX_NSETS] = {
	"worked", "one_to_six",	 "lcg",	    "wide",   "empty", "d2",
	"l1000",  "l1000_zeros", "d0_wide", "d5_lcg", "heavy", "tiny",
};

/* Checks h against the Java summary <set>.txt (count, min, max, mean, percentiles). */
void hfix_check_summary(const char *set, const struct hist *h)
{
	char name[64], *text, *line, *save = NULL;

	snprintf(name, sizeof(name), "%s.txt", set);
	text = hfix_read(name, NULL);
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
