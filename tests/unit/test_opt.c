/*
 * test_opt.c - the command-line value parsers: sizes, ranges, durations,
 * counts, rates, lists, CPUs; good values exactly, bad values refused with
 * a message naming them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/opt.h"
#include "tests/runner.h"

static char err[300];

TEST(sizes_with_suffixes)
{
	static const struct {
		const char *s;
		size_t v;
	} ok[] = {
		{"1", 1},	   {"64", 64},		 {"4k", 4096},	   {"4K", 4096},
		{"4KiB", 4096},	   {"4kb", 4096},	 {"64KiB", 65536}, {"1M", 1 << 20},
		{"1MiB", 1 << 20}, {"256M", 256u << 20}, {"7b", 7},
	};
	size_t v;

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		test_context("%s", ok[i].s);
		CHECK_OK(opt_parse_size(ok[i].s, &v, err, sizeof(err)));
		CHECK_EQ_U64(v, ok[i].v);
	}
}

TEST(bad_sizes_are_refused_naming_the_value)
{
	static const char *const bad[] = {"0",	 "",	 "-1",	 "4kk", "1e99",
					  "k",	 "1.5k", "257M", "1G",	"99999999999999999999",
					  " 64", "64 ",	 "0x40", "0k"};
	size_t v;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = 0;
		test_context("'%s'", bad[i]);
		CHECK(opt_parse_size(bad[i], &v, err, sizeof(err)) == -1);
		CHECK(strstr(err, bad[i]) != NULL);
		CHECK(strchr(err, '\n') == NULL);
	}
}

TEST(size_lists_and_ranges)
{
	size_t *v, n;

	CHECK_OK(opt_parse_size_list("64..1M", &v, &n, err, sizeof(err)));
	CHECK_EQ_U64(n, 15);
	CHECK_EQ_U64(v[0], 64);
	CHECK_EQ_U64(v[1], 128);
	CHECK_EQ_U64(v[14], 1 << 20);
	free(v);
	/* a range ends on its end; lists are sorted and deduplicated */
	CHECK_OK(opt_parse_size_list("4k,100..300,64,4096", &v, &n, err, sizeof(err)));
	CHECK_EQ_U64(n, 5);
	CHECK_EQ_U64(v[0], 64);
	CHECK_EQ_U64(v[1], 100);
	CHECK_EQ_U64(v[2], 200);
	CHECK_EQ_U64(v[3], 300);
	CHECK_EQ_U64(v[4], 4096);
	free(v);
	CHECK(opt_parse_size_list("64,", &v, &n, err, sizeof(err)) == -1);
	CHECK(strstr(err, "empty"));
	CHECK(opt_parse_size_list("1M..64", &v, &n, err, sizeof(err)) == -1);
	CHECK(opt_parse_size_list("64..1M..2", &v, &n, err, sizeof(err)) == -1);
}

TEST(durations)
{
	uint64_t ns;

	CHECK_OK(opt_parse_duration("5s", &ns, err, sizeof(err)));
	CHECK_EQ_U64(ns, 5000000000ull);
	CHECK_OK(opt_parse_duration("250ms", &ns, err, sizeof(err)));
	CHECK_EQ_U64(ns, 250000000ull);
	CHECK_OK(opt_parse_duration("100us", &ns, err, sizeof(err)));
	CHECK_EQ_U64(ns, 100000ull);
	CHECK_OK(opt_parse_duration("1.5", &ns, err, sizeof(err)));
	CHECK_EQ_U64(ns, 1500000000ull);
	CHECK_OK(opt_parse_duration("2m", &ns, err, sizeof(err)));
	CHECK_EQ_U64(ns, 120000000000ull);
	CHECK(opt_parse_duration("0s", &ns, err, sizeof(err)) == -1);
	CHECK(opt_parse_duration("-1s", &ns, err, sizeof(err)) == -1);
	CHECK(opt_parse_duration("5 s", &ns, err, sizeof(err)) == -1);
	CHECK(opt_parse_duration("5parsecs", &ns, err, sizeof(err)) == -1);
	CHECK(strstr(err, "parsecs"));
	CHECK(opt_parse_duration("nan", &ns, err, sizeof(err)) == -1);
	CHECK(opt_parse_duration("1e300s", &ns, err, sizeof(err)) == -1);
}

TEST(counts_and_rates)
{
	uint64_t v;
	double r;

	CHECK_OK(opt_parse_count("1000", 1000000, &v, err, sizeof(err)));
	CHECK_EQ_U64(v, 1000);
	CHECK_OK(opt_parse_count("10k", 1000000, &v, err, sizeof(err)));
	CHECK_EQ_U64(v, 10000);
	CHECK(opt_parse_count("0", 100, &v, err, sizeof(err)) == -1);
	CHECK(opt_parse_count("-5", 100, &v, err, sizeof(err)) == -1);
	CHECK(opt_parse_count("101", 100, &v, err, sizeof(err)) == -1);
	CHECK(opt_parse_count("18446744073709551616", UINT64_MAX, &v, err, sizeof(err)) == -1);
	CHECK(opt_parse_count("3.5", 100, &v, err, sizeof(err)) == -1);
	CHECK_OK(opt_parse_rate("2.5k", &r, err, sizeof(err)));
	CHECK_NEAR(r, 2500, 1e-9);
	CHECK(opt_parse_rate("0", &r, err, sizeof(err)) == -1);
	CHECK(opt_parse_rate("inf", &r, err, sizeof(err)) == -1);
	CHECK(opt_parse_rate("-3", &r, err, sizeof(err)) == -1);
}

TEST(lists_and_cpus)
{
	char **items;
	size_t n;
	int c, s;

	CHECK_OK(opt_split_list("a,bb,c", "thing", &items, &n, err, sizeof(err)));
	CHECK_EQ_U64(n, 3);
	CHECK_EQ_STR(items[1], "bb");
	opt_free_list(items, n);
	CHECK(opt_split_list("a,,c", "thing", &items, &n, err, sizeof(err)) == -1);
	CHECK(opt_split_list(",a", "thing", &items, &n, err, sizeof(err)) == -1);
	CHECK(opt_split_list("", "thing", &items, &n, err, sizeof(err)) == -1);
	CHECK_OK(opt_parse_cpus("0,0", &c, &s, err, sizeof(err)));
	CHECK_EQ_I64(c, 0);
	CHECK(opt_parse_cpus("0,4096", &c, &s, err, sizeof(err)) == -1);
	CHECK(strstr(err, "4096"));
	CHECK(opt_parse_cpus("0", &c, &s, err, sizeof(err)) == -1);
	CHECK(opt_parse_cpus("a,b", &c, &s, err, sizeof(err)) == -1);
	CHECK(opt_parse_cpus("-1,0", &c, &s, err, sizeof(err)) == -1);
}

TEST(counts_that_may_be_zero)
{
	static const char *const bad[] = {"00", "0k", "-0", "", "1001", "x"};
	uint64_t v = 99;

	CHECK_OK(opt_parse_count_or_zero("0", 1000, &v, err, sizeof(err)));
	CHECK_EQ_U64(v, 0);
	CHECK_OK(opt_parse_count_or_zero("10k", 1000000, &v, err, sizeof(err)));
	CHECK_EQ_U64(v, 10000);
	CHECK_OK(opt_parse_count_or_zero("1000", 1000, &v, err, sizeof(err)));
	CHECK_EQ_U64(v, 1000);
	/* only a bare "0" is zero; the rest are counts, refused as opt_parse_count refuses them */
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = 0;
		v = 99;
		test_context("'%s'", bad[i]);
		CHECK(opt_parse_count_or_zero(bad[i], 1000, &v, err, sizeof(err)) == -1);
		CHECK(strstr(err, bad[i]) != NULL);
		CHECK_EQ_U64(v, 99);
	}
}

/* What opt_each_item handed its callback, in order. */
struct seen {
	char items[8][16];
	size_t index[8];
	size_t count[8];
	size_t n;
};

static void record(void *ctx, const char *item, size_t i, size_t n)
{
	struct seen *s = ctx;

	if (s->n < ARRAY_SIZE(s->items)) {
		snprintf(s->items[s->n], sizeof(s->items[0]), "%s", item);
		s->index[s->n] = i;
		s->count[s->n] = n;
	}
	s->n++;
}

TEST(each_item_of_a_list_in_order)
{
	static const char *const want[] = {"block", "spin", "x"};
	struct seen s = {0};

	CHECK_OK(opt_each_item("block,spin,x", "wait", record, &s, err, sizeof(err)));
	CHECK_EQ_U64(s.n, 3);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		test_context("item %zu", i);
		CHECK_EQ_STR(s.items[i], want[i]);
		CHECK_EQ_U64(s.index[i], i);
		CHECK_EQ_U64(s.count[i], 3);
	}
	memset(&s, 0, sizeof(s));
	CHECK_OK(opt_each_item("png", "format", record, &s, err, sizeof(err)));
	CHECK_EQ_U64(s.n, 1);
	CHECK_EQ_STR(s.items[0], "png");
	CHECK_EQ_U64(s.count[0], 1);
}

TEST(a_malformed_list_reaches_no_item)
{
	static const char *const bad[] = {"a,,b", ",a", "a,", "", ","};
	char many[2 * (OPT_MAX_LIST + 1)];
	struct seen s;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&s, 0, sizeof(s));
		err[0] = 0;
		test_context("'%s'", bad[i]);
		CHECK(opt_each_item(bad[i], "format", record, &s, err, sizeof(err)) == -1);
		CHECK_EQ_U64(s.n, 0);
		CHECK(strstr(err, "empty format") != NULL);
		CHECK(strstr(err, bad[i]) != NULL);
	}
	/* one item more than a list may hold */
	for (size_t i = 0; i <= OPT_MAX_LIST; i++)
		memcpy(many + 2 * i, "a,", 2);
	many[sizeof(many) - 1] = 0;
	memset(&s, 0, sizeof(s));
	test_context("%d items", OPT_MAX_LIST + 1);
	CHECK(opt_each_item(many, "format", record, &s, err, sizeof(err)) == -1);
	CHECK_EQ_U64(s.n, 0);
	CHECK(strstr(err, "at most 256") != NULL);
}

static const struct test_case cases[] = {
	T(sizes_with_suffixes),
	T(bad_sizes_are_refused_naming_the_value),
	T(size_lists_and_ranges),
	T(durations),
	T(counts_and_rates),
	T(lists_and_cpus),
	T(counts_that_may_be_zero),
	T(each_item_of_a_list_in_order),
	T(a_malformed_list_reaches_no_item),
};

int main(int argc, char **argv)
{
	return test_main(argc, argv, cases, ARRAY_SIZE(cases));
}
