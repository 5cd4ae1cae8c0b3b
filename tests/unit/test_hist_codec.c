/*
 * test_hist_codec.c - unit tests of harness/hdr/codec.c: the V2 encodings
 * and base64 against docs/hdr.md and the Java reference's fixtures
 * (tests/fixtures/hist/), and the decoder against hostile input.
 */
#include "harness/hdr/codec.h"
#include "harness/hdr/hist.h"
#include "tests/runner.h"
#include "tests/unit/histfix.h"

#include <errno.h>
#include <zlib.h>

TEST(hist_fixture_base64_encode_matches_java)
{
	for (size_t i = 0; i < HFIX_NSETS; i++) {
		char name[64], *want, *got;
		struct hist h;

		test_context("%s", hfix_sets[i]);
		hfix_make(hfix_sets[i], &h);
		snprintf(name, sizeof(name), "%s.b64", hfix_sets[i]);
		want = hfix_read_line(name);
		CHECK_OK(hist_encode_base64(&h, 6, &got));
		CHECK_EQ_STR(got, want);
		free(got);
		free(want);
		hist_release(&h);
	}
}

TEST(hist_fixture_base64_decode_java)
{
	for (size_t i = 0; i < HFIX_NSETS; i++) {
		char name[64], why[128], *b64;
		struct hist h, dec;

		test_context("%s", hfix_sets[i]);
		hfix_make(hfix_sets[i], &h);
		snprintf(name, sizeof(name), "%s.b64", hfix_sets[i]);
		b64 = hfix_read_line(name);
		CHECK_MSG(hist_decode_base64(&dec, b64, why, sizeof(why)) == 0, "%s", why);
		CHECK_EQ_I64(dec.lowest, h.lowest);
		CHECK_EQ_I64(dec.highest, h.highest);
		CHECK_EQ_I64(dec.digits, h.digits);
		hfix_same_counts(&dec, &h);
		hfix_check_summary(hfix_sets[i], &dec);
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

	hfix_make("worked", &h);
	CHECK_OK(hist_encode_raw(&h, &raw, &rawlen));
	CHECK_EQ_U64(rawlen, sizeof(raw_want));
	CHECK(!memcmp(raw, raw_want, rawlen));
	CHECK_OK(hist_encode_compressed(&h, 6, &z, &zlen));
	CHECK_EQ_U64(zlen, 8 + 0x24);
	CHECK(!memcmp(z, "\x1c\x84\x93\x14\x00\x00\x00\x24\x78\x9c", 10));
	CHECK_OK(hist_encode_base64(&h, 6, &b64));
	CHECK_EQ_STR(b64, want);
	/* level 9, as in logs */
	l9 = hfix_read_line("worked.l9.b64");
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

	hfix_init(&h, 1, H12, 3);
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
	hfix_same_counts(&d, h);
	hist_release(&d);
	free(buf);
	for (int level = 0; level <= 9; level += 3) {
		CHECK_OK(hist_encode_compressed(h, level, &buf, &len));
		CHECK_MSG(hist_decode(&d, buf, len, why, sizeof(why)) == 0, "z%d: %s", level, why);
		hfix_same_counts(&d, h);
		CHECK(hist_mean(&d) == hist_mean(h));
		hist_release(&d);
		free(buf);
	}
	CHECK_OK(hist_encode_base64(h, 6, &b64));
	CHECK_MSG(hist_decode_base64(&d, b64, why, sizeof(why)) == 0, "b64: %s", why);
	hfix_same_counts(&d, h);
	hist_release(&d);
	free(b64);
}

TEST(hist_round_trips)
{
	struct hist h;

	for (size_t i = 0; i < HFIX_NSETS; i++) {
		test_context("%s", hfix_sets[i]);
		hfix_make(hfix_sets[i], &h);
		round_trip(&h);
		hist_release(&h);
	}
	test_context("huge counts");
	hfix_init(&h, 1, INT64_MAX, 2);
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

	hfix_make("lcg", &h);
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

	hfix_make("wide", &h);
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

/* Wraps the len bytes of raw in a compressed (V2 deflate) envelope whose
 * own header is sound, and checks that the decoder refuses it. */
static void expect_envelope_refused(const uint8_t *raw, size_t len, const char *reason_part)
{
	uLongf zl = compressBound(len);
	uint8_t *big = malloc(8 + zl);

	CHECK(big != NULL);
	CHECK(compress2(big + 8, &zl, raw, len, 6) == Z_OK);
	put32(big, 0x1c849314);
	put32(big + 4, (uint32_t)zl);
	expect_refused(big, 8 + zl, reason_part);
	free(big);
}

TEST(hist_decode_compressed_hostile)
{
	struct hist h, d;
	uint8_t *buf, raw[48];
	size_t len, n;
	char why[128];

	hfix_make("worked", &h);
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
	n = hostile(raw, 1, H12, 3, "\x02", 1);
	put32(raw, 0x1c849301);
	expect_envelope_refused(raw, n, "inner cookie");

	/* a zlib stream whose inner header claims a huge payload it lacks */
	n = hostile(raw, 1, H12, 3, "\x02\x02\x02\x02", 4);
	put32(raw + 4, 0x7ffffff0);
	expect_envelope_refused(raw, n, "truncated");
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
