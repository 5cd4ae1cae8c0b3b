/*
 * runner.h - a very small test runner (after libuv's and acutest's).
 *
 * Each test runs in a forked child under a timeout, so a crash or a hang
 * fails that test only.  Failed checks print both values.  The program
 * ends with one line: "N passed, N failed, N skipped".
 *
 *	TEST(hist_basic) { CHECK_EQ_I64(hist_max(&h), 47972351); }
 *	static const struct test_case cases[] = { T(hist_basic), ... };
 *	int main(int argc, char **argv) { return test_main(argc, argv, cases, ARRAY_SIZE(cases)); }
 */
#ifndef IPCBENCH_TEST_RUNNER_H
#define IPCBENCH_TEST_RUNNER_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*fn)(void);
	int timeout_s;	 /* 0: the default (30 s) */
	const void *arg; /* for generated cases: test_arg while fn runs */
};

/* The running case's arg (suites that generate cases, e.g. one per transport). */
extern const void *test_arg;

#define TEST(fn) static void fn(void)
#define T(fn)                    \
	{                        \
#fn, fn, 0, NULL \
	}
#define T_TIMEOUT(fn, s)           \
	{                          \
#fn, fn, (s), NULL \
	}
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

int test_main(int argc, char **argv, const struct test_case *cases, size_t n);
/* Exits the test as failed / skipped, after printing the reason. */
void test_fail(const char *file, int line, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));
void test_skip(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/*
 * Reads a file of the source tree (path relative to the repository root,
 * printf-style) into a NUL-terminated malloc'd buffer; fails the test when
 * it cannot.  *len (when not NULL) gets its size.
 */
char *test_read_file(size_t *len, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* For parametrised tests: printed with a failure. */
void test_context(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define CHECK(c)                                                 \
	do {                                                     \
		if (!(c))                                        \
			test_fail(__FILE__, __LINE__, "%s", #c); \
	} while (0)
#define CHECK_MSG(c, ...)                                           \
	do {                                                        \
		if (!(c))                                           \
			test_fail(__FILE__, __LINE__, __VA_ARGS__); \
	} while (0)
#define CHECK_EQ_I64(a, b)                                                                       \
	do {                                                                                     \
		long long a_ = (long long)(a), b_ = (long long)(b);                              \
		if (a_ != b_)                                                                    \
			test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, a_, b_); \
	} while (0)
#define CHECK_EQ_U64(a, b)                                                                       \
	do {                                                                                     \
		unsigned long long a_ = (a), b_ = (b);                                           \
		if (a_ != b_)                                                                    \
			test_fail(__FILE__, __LINE__, "%s == %s: %llu != %llu", #a, #b, a_, b_); \
	} while (0)
#define CHECK_EQ_STR(a, b)                                                                                      \
	do {                                                                                                    \
		const char *a_ = (a), *b_ = (b);                                                                \
		if (!a_ || !b_ || strcmp(a_, b_))                                                               \
			test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b, a_ ? a_ : "(null)", \
				  b_ ? b_ : "(null)");                                                          \
	} while (0)
#define CHECK_NEAR(a, b, tol)                                                                              \
	do {                                                                                               \
		double a_ = (a), b_ = (b);                                                                 \
		if (!(a_ - b_ <= (tol) && b_ - a_ <= (tol)))                                               \
			test_fail(__FILE__, __LINE__, "%s ~= %s: %.17g != %.17g (tol %g)", #a, #b, a_, b_, \
				  (double)(tol));                                                          \
	} while (0)
#define CHECK_OK(e)                                                                    \
	do {                                                                           \
		long long r_ = (long long)(e);                                         \
		if (r_ != 0)                                                           \
			test_fail(__FILE__, __LINE__, "%s returned %lld (%s)", #e, r_, \
				  r_ < 0 ? strerror((int)-r_) : "nonzero");            \
	} while (0)
#define SKIP(...) test_skip(__VA_ARGS__)

#endif
