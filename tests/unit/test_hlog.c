/*
 * test_hlog.c - unit tests of harness/hlog.c: the writer against a log
 * written by Java's HistogramLogWriter (tests/fixtures/hist/java.hlog),
 * the reader against that log and against hand-made good and bad logs.
 */
#include "harness/hdr/codec.h"
#include "harness/hdr/hlog.h"
#include "tests/runner.h"

#include <errno.h>
#include <math.h>

#ifndef IPCB_SRCDIR
#define IPCB_SRCDIR "."
#endif

#define START_S 1795243020.0 /* Sat Nov 21 06:37:00 UTC 2026, as in GenFixtures.java */

/* The intervals GenFixtures.java writes into java.hlog. */
static const struct {
	const char *set;
	const char *tag;
	double start, length;
} java_log[] = {
	{"worked", NULL, 0.0, 1.0},  {"one_to_six", "io", 1.0, 1.0},  {"lcg", NULL, 2.0, 1.5},
	{"empty", "idle", 3.5, 1.0}, {"l1000_zeros", "io", 4.5, 1.0}, {"wide", NULL, 5.5, 1.25},
};

static char *read_fixture(const char *name, size_t *len)
{
	return test_read_file(len, "tests/fixtures/hist/%s", name);
}

/* The Java-encoded histogram of a fixture set. */
static void fixture_hist(const char *set, struct hist *h)
{
	char name[64], why[128], *b64;

	snprintf(name, sizeof(name), "%s.b64", set);
	b64 = read_fixture(name, NULL);
	b64[strcspn(b64, "\n")] = '\0';
	CHECK_MSG(hist_decode_base64(h, b64, why, sizeof(why)) == 0, "%s: %s", set, why);
	free(b64);
}

static void check_same_hist(const struct hist *a, const struct hist *b)
{
	CHECK_EQ_I64(a->lowest, b->lowest);
	CHECK_EQ_I64(a->highest, b->highest);
	CHECK_EQ_I64(a->digits, b->digits);
	CHECK_EQ_I64(a->total_count, b->total_count);
	CHECK_EQ_I64(hist_max(a), hist_max(b));
	CHECK_EQ_I64(hist_min(a), hist_min(b));
	for (int32_t i = 0; i < a->counts_len; i++)
		CHECK_MSG(a->counts[i] == b->counts[i], "slot %d", (int)i);
}

static FILE *text(const char *s)
{
	FILE *f = fmemopen((void *)s, strlen(s), "r");

	CHECK(f);
	return f;
}

/* A one-line base64 histogram for hand-made logs. */
static char *some_b64(void)
{
	struct hist h;
	char *b64;

	CHECK_OK(hist_init(&h, 1, HIST_HIGHEST, 3));
	CHECK(hist_record(&h, 2500));
	CHECK(hist_record(&h, 123456789));
	CHECK_OK(hist_encode_base64(&h, 9, &b64));
	hist_release(&h);
	return b64;
}

/* ---- writer ---- */

TEST(hlog_writer_matches_java)
{
	char *want = read_fixture("java.hlog", NULL), *got = NULL;
	size_t gotlen = 0;
	FILE *f = open_memstream(&got, &gotlen);
	struct hlog_writer w;

	CHECK_OK(hlog_writer_open(&w, f, START_S, "ipcbench fixtures (HdrHistogram 2.1.11)"));
	for (size_t i = 0; i < ARRAY_SIZE(java_log); i++) {
		struct hist h;

		fixture_hist(java_log[i].set, &h);
		CHECK_OK(hlog_write_interval(&w, java_log[i].start, java_log[i].length, &h, java_log[i].tag));
		hist_release(&h);
	}
	CHECK_OK(hlog_writer_finish(&w));
	fclose(f);
	CHECK_EQ_STR(got, want);
	free(got);
	free(want);
}

TEST(hlog_writer_header)
{
	char *got = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&got, &len);
	struct hlog_writer w;
	struct hist h;

	CHECK_OK(hlog_writer_open(&w, f, 1441812279.474, NULL));
	CHECK_OK(hlog_write_comment(&w, "[a comment]"));
	CHECK_OK(hist_init(&h, 1, HIST_HIGHEST, 3));
	CHECK(hist_record(&h, 1234500)); /* 1.2345 ms: Java rounds HALF_UP */
	CHECK_OK(hlog_write_interval(&w, 0.0005, 10, &h, "t"));
	CHECK_EQ_I64(hlog_write_interval(&w, 0, 1, &h, "a,b"), -EINVAL);
	CHECK_EQ_I64(hlog_write_interval(&w, 0, 1, &h, "a b"), -EINVAL);
	CHECK_EQ_I64(hlog_write_interval(&w, 0, 1, &h, ""), -EINVAL);
	CHECK_EQ_I64(hlog_write_interval(&w, NAN, 1, &h, NULL), -EINVAL);
	CHECK_EQ_I64(hlog_write_comment(&w, "two\nlines"), -EINVAL);
	CHECK_OK(hlog_writer_finish(&w));
	fclose(f);
	CHECK(!strncmp(got, "#[Logged with ipcbench", 22));
	CHECK(strstr(got, "]\n#[Histogram log format version 1.3]\n"
			  "#[StartTime: 1441812279.474 (seconds since epoch), Wed Sep 09 15:24:39 UTC 2015]\n"
			  "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n"
			  "#[a comment]\n"
			  "Tag=t,0.001,10.000,1.235,HISTFAAAA"));
	free(got);
	hist_release(&h);

	f = open_memstream(&got, &len);
	CHECK_EQ_I64(hlog_writer_open(&w, f, 0, "two\nlines"), -EINVAL);
	CHECK_EQ_I64(hlog_write_interval(&w, 0, 1, &h, NULL), -EINVAL); /* sticky */
	CHECK_EQ_I64(hlog_writer_finish(&w), -EINVAL);
	fclose(f);
	free(got);
	f = open_memstream(&got, &len);
	CHECK_OK(hlog_writer_open(&w, f, 0, "x"));
	fclose(f);
	CHECK(strstr(got, "Thu Jan 01 00:00:00 UTC 1970]\n"));
	free(got);
}

/* ---- reader ---- */

TEST(hlog_reader_reads_java_log)
{
	char path[512], why[160];
	FILE *f;
	struct hlog_reader r;
	struct hlog_interval iv;

	snprintf(path, sizeof(path), "%s/tests/fixtures/hist/java.hlog", IPCB_SRCDIR);
	f = fopen(path, "r");
	CHECK_MSG(f, "%s: %s", path, strerror(errno));
	hlog_reader_init(&r, f);
	for (size_t i = 0; i < ARRAY_SIZE(java_log); i++) {
		struct hist want;

		test_context("interval %zu (%s)", i, java_log[i].set);
		CHECK_MSG(hlog_read_next(&r, &iv, why, sizeof(why)) == 1, "%s", why);
		if (java_log[i].tag)
			CHECK_EQ_STR(iv.tag, java_log[i].tag);
		else
			CHECK(iv.tag == NULL);
		CHECK(iv.timestamp_s == java_log[i].start);
		CHECK(iv.length_s == java_log[i].length);
		CHECK(iv.start_s == START_S + java_log[i].start); /* relative: base = StartTime */
		CHECK(iv.offset_s == java_log[i].start);
		CHECK_EQ_I64(iv.line, 5 + (long)i);
		fixture_hist(java_log[i].set, &want);
		check_same_hist(&iv.hist, &want);
		CHECK_NEAR(iv.max_field, round(hist_max(&want) / 1e3) / 1e3, 1e-9);
		hist_release(&want);
		hlog_interval_release(&iv);
	}
	CHECK(r.has_start_time && r.start_time_s == START_S);
	CHECK(r.has_base_time && r.base_time_s == START_S);
	CHECK_EQ_I64(hlog_read_next(&r, &iv, why, sizeof(why)), 0);
	CHECK_EQ_I64(hlog_read_next(&r, &iv, why, sizeof(why)), 0);
	hlog_reader_release(&r);
	fclose(f);
}

TEST(hlog_round_trip)
{
	char *log = NULL, why[160];
	size_t len = 0;
	FILE *f = open_memstream(&log, &len);
	struct hlog_writer w;
	struct hlog_reader r;
	struct hlog_interval iv;
	struct hist h[3];

	CHECK_OK(hlog_writer_open(&w, f, 1700000000.25, NULL));
	for (int i = 0; i < 3; i++) {
		CHECK_OK(hist_init(&h[i], 1, HIST_HIGHEST, i + 1));
		for (int k = 0; k < 1000 * i; k++)
			CHECK(hist_record(&h[i], 1000 + k * 37 % 100000));
		CHECK_OK(hlog_write_interval(&w, i * 2.0, 2.0, &h[i], i == 1 ? "tag1" : NULL));
	}
	CHECK_OK(hlog_writer_finish(&w));
	fclose(f);

	f = text(log);
	hlog_reader_init(&r, f);
	for (int i = 0; i < 3; i++) {
		CHECK_MSG(hlog_read_next(&r, &iv, why, sizeof(why)) == 1, "%s", why);
		check_same_hist(&iv.hist, &h[i]);
		CHECK(iv.start_s == 1700000000.25 + i * 2.0);
		CHECK(iv.length_s == 2.0);
		CHECK(i == 1 ? iv.tag && !strcmp(iv.tag, "tag1") : !iv.tag);
		hlog_interval_release(&iv);
		hist_release(&h[i]);
	}
	CHECK_EQ_I64(hlog_read_next(&r, &iv, why, sizeof(why)), 0);
	hlog_reader_release(&r);
	fclose(f);
	free(log);
}

/* Reads all of s; returns the number of intervals, checks there is no error. */
static int read_all(const char *s, struct hlog_reader *r, double *starts, char **tags)
{
	FILE *f = text(s);
	struct hlog_interval iv;
	char why[160];
	int n = 0, rc;

	hlog_reader_init(r, f);
	while ((rc = hlog_read_next(r, &iv, why, sizeof(why))) == 1) {
		starts[n] = iv.start_s;
		tags[n] = iv.tag ? strdup(iv.tag) : NULL;
		n++;
		hlog_interval_release(&iv);
	}
	CHECK_MSG(rc == 0, "rc %d: %s", rc, why);
	hlog_reader_release(r);
	fclose(f);
	return n;
}

/* Copies tmpl to out with each "%s" replaced by b. */
static void expand(char *out, size_t size, const char *tmpl, const char *b)
{
	size_t n = 0;

	for (const char *p = tmpl; *p; p++) {
		const char *add = p[0] == '%' && p[1] == 's' ? b : NULL;
		size_t k = add ? strlen(add) : 1;

		CHECK(n + k < size);
		memcpy(out + n, add ? add : p, k);
		n += k;
		p += add != NULL;
	}
	out[n] = '\0';
}

TEST(hlog_reader_time_rules)
{
	/* What each log must read as: NAN is not checked; tags counts the
	 * entries of tag[] that are checked (NULL: an untagged interval). */
	struct want {
		int n;
		double st[2], start, base;
		int tags;
		const char *tag[2];
	};
	static const struct {
		const char *what;
		struct want w;
		const char *fmt; /* %s: a good histogram */
	} cases[] = {
		{"explicit BaseTime",
		 {1, {1005.0}, 1000.5, 1000.0, 0, {NULL}},
		 "#[StartTime: 1000.500 (seconds since epoch), x]\n"
		 "#[BaseTime: 1000.000 (seconds since epoch)]\n5.000,1.000,123.457,%s\n"},
		{"absolute timestamps, no BaseTime: within a year of StartTime",
		 {1, {1795243021.5}, NAN, 0.0, 0, {NULL}},
		 "#[StartTime: 1795243020.000 (seconds since epoch), x]\n"
		 "1795243021.500,1.000,0.0,%s\n"},
		{"no StartTime: the first timestamp is the start, times are absolute",
		 {2, {7.0, 8.0}, 7.0, NAN, 2, {"a", NULL}},
		 "Tag=a,7.000,1.000,0.0,%s\n8.000,1.000,0.0,%s\n"},
		{"a space is a delimiter too: \"Tag=sp 9.000,...\" is a tagged line",
		 {1, {9.0}, NAN, NAN, 1, {"sp"}},
		 "Tag=sp 9.000,1.000,0.0,%s\n"},
		{"two spaces after \"#[StartTime:\": Java ignores the start time",
		 {1, {3.0}, 3.0, NAN, 0, {NULL}},
		 "#[StartTime:  1795243020.000 (seconds since epoch), x]\n"
		 "3.000,1.000,0.0,%s\n"},
		{"CRLF line ends, comments, legend, an empty tag, extra fields, trailing blanks",
		 {2, {START_S, START_S + 1.5}, NAN, NAN, 1, {""}},
		 "#[Logged with x]\r\n#[StartTime: 1795243020.000 (seconds since epoch), x]\r\n"
		 "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\r\n"
		 "#\r\nTag=,0.000,1.000,0.0,%s\r\n1.5,1,0,%s,extra,fields\n\n\r\n \n"},
	};
	char *b = some_b64(), s[2048], *tags[4];
	double st[4];
	struct hlog_reader r;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct want *w = &cases[i].w;
		int n;

		test_context("%s", cases[i].what);
		expand(s, sizeof(s), cases[i].fmt, b);
		n = read_all(s, &r, st, tags);
		CHECK_EQ_I64(n, w->n);
		for (int k = 0; k < n && k < w->n; k++)
			CHECK(st[k] == w->st[k]);
		if (!isnan(w->start))
			CHECK(r.start_time_s == w->start);
		if (!isnan(w->base))
			CHECK(r.base_time_s == w->base);
		for (int k = 0; k < w->tags && k < n; k++) {
			if (w->tag[k])
				CHECK_EQ_STR(tags[k], w->tag[k]);
			else
				CHECK(tags[k] == NULL);
		}
		for (int k = 0; k < n; k++)
			free(tags[k]);
	}
	free(b);
}

/* The first hlog_read_next error of s: its return code and reason. */
static int first_error(const char *s, char *why, size_t whylen, int *good)
{
	FILE *f = text(s);
	struct hlog_reader r;
	struct hlog_interval iv;
	int rc;

	*good = 0;
	hlog_reader_init(&r, f);
	while ((rc = hlog_read_next(&r, &iv, why, whylen)) == 1) {
		(*good)++;
		hlog_interval_release(&iv);
	}
	CHECK(iv.tag == NULL && iv.hist.counts == NULL); /* nothing leaks on error */
	hlog_reader_release(&r);
	fclose(f);
	return rc;
}

TEST(hlog_reader_reports_bad_lines)
{
	static const struct {
		const char *fmt; /* %s: a good histogram */
		int good;	 /* intervals before the error */
		const char *reason;
	} cases[] = {
		{"0.1,1.0,2.0,%s\n0.1, 1.0,2.0,%s\n", 1, "line 2: Interval_Length: not a number"},
		{"#c\nhello\n", 0, "line 2: StartTimestamp: not a number: \"hello\""},
		{"0.1,1.0\n", 0, "line 1: Interval_Max: not a number: \"(missing)\""},
		{"0.1,1.0,x,%s\n", 0, "line 1: Interval_Max"},
		{"0.1,1.0,2.0\n", 0, "line 1: no histogram"},
		{"0.1,1.0,2.0,\n", 0, "line 1: no histogram"},
		{"0x1p3,1.0,2.0,%s\n", 0, "line 1: StartTimestamp"},
		{"nan,1.0,2.0,%s\n", 0, "line 1: StartTimestamp"},
		{"Tag=x,,0.1,1.0,2.0,%s\n", 0, "line 1: StartTimestamp: not a number: \"\""},
		{"0.1,1.0,2.0,HISTFAAAACR4nJNp!\n", 0, "line 1: histogram: base64: invalid character"},
		{"0.1,1.0,2.0,HISTFAAAACR4nJNpmSzMwMDAwgABzFCa\n", 0, "line 1: histogram: truncated"},
		{"0.1,1.0,2.0,AAAAAAAAAAAA\n", 0, "line 1: histogram: not an HdrHistogram"},
		{"0.1,1.0,2.0,%s\n\n0.2,1.0,2.0,%s\n", 1, "line 2: blank line before more data"},
	};
	char *b = some_b64(), s[4096], why[200];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int good;

		expand(s, sizeof(s), cases[i].fmt, b);
		test_context("case %zu", i);
		CHECK_EQ_I64(first_error(s, why, sizeof(why), &good), -EINVAL);
		CHECK_EQ_I64(good, cases[i].good);
		CHECK_MSG(!strncmp(why, cases[i].reason, strlen(cases[i].reason)), "reason \"%s\", want \"%s...\"", why,
			  cases[i].reason);
	}
	free(b);
}

/* After a bad line the reader goes on with the next one. */
TEST(hlog_reader_resumes_after_error)
{
	char *b = some_b64(), s[4096], why[160];
	struct hlog_reader r;
	struct hlog_interval iv;
	FILE *f;

	snprintf(s, sizeof(s), "1,1,1,%s\n\n2,1,1,%s\nbad\n3,1,1,%s\n", b, b, b);
	f = text(s);
	hlog_reader_init(&r, f);
	CHECK_EQ_I64(hlog_read_next(&r, &iv, why, sizeof(why)), 1);
	CHECK(iv.timestamp_s == 1);
	hlog_interval_release(&iv);
	CHECK_EQ_I64(hlog_read_next(&r, &iv, why, sizeof(why)), -EINVAL);
	CHECK(!strncmp(why, "line 2:", 7));
	CHECK_EQ_I64(hlog_read_next(&r, &iv, why, sizeof(why)), 1);
	CHECK(iv.timestamp_s == 2);
	CHECK_EQ_I64(iv.line, 3);
	hlog_interval_release(&iv);
	CHECK_EQ_I64(hlog_read_next(&r, &iv, why, sizeof(why)), -EINVAL);
	CHECK(!strncmp(why, "line 4:", 7));
	CHECK_EQ_I64(hlog_read_next(&r, &iv, why, sizeof(why)), 1);
	CHECK(iv.timestamp_s == 3);
	hlog_interval_release(&iv);
	CHECK_EQ_I64(hlog_read_next(&r, &iv, why, sizeof(why)), 0);
	hlog_reader_release(&r);
	fclose(f);
	free(b);
}

TEST(hlog_reader_nul_byte)
{
	static const char s[] = "0.1,1.0,2.0,HIST\0FAAAA\n";
	FILE *f = fmemopen((void *)s, sizeof(s) - 1, "r");
	struct hlog_reader r;
	struct hlog_interval iv;
	char why[160];

	hlog_reader_init(&r, f);
	CHECK_EQ_I64(hlog_read_next(&r, &iv, why, sizeof(why)), -EINVAL);
	CHECK_EQ_STR(why, "line 1: NUL byte in line");
	CHECK_EQ_I64(hlog_read_next(&r, &iv, why, sizeof(why)), 0);
	hlog_reader_release(&r);
	fclose(f);
}

static const struct test_case cases[] = {
	T(hlog_writer_matches_java),	    T(hlog_writer_header),
	T(hlog_reader_reads_java_log),	    T(hlog_round_trip),
	T(hlog_reader_time_rules),	    T(hlog_reader_reports_bad_lines),
	T(hlog_reader_resumes_after_error), T(hlog_reader_nul_byte),
};

int main(int argc, char **argv)
{
	return test_main(argc, argv, cases, ARRAY_SIZE(cases));
}
