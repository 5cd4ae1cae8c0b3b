/*
 * codec.c - the V2 encodings of a histogram (raw, zlib-compressed and
 * base64 of the compressed form) and their decoder (docs/hdr.md sections
 * 7 and 8).  Decoding treats its input as hostile: every length is checked
 * and the payload is inflated through a small window, so a bad buffer
 * costs at most the counts array of a valid layout.
 */
#include "harness/hdr/codec.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define V2_COOKIE 0x1c849313u
#define V2_COMPRESSED_COOKIE 0x1c849314u
#define V2_HEADER_BYTES 40
#define MAX_COUNTS_LEN (1 << 26)
#define VARINT_MAX_BYTES 9

/* ---- V2 encoding (docs/hdr.md section 7) ---- */

static void put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

/* ZigZag, then LEB128-64b9B: the 9th byte carries 8 bits, no flag. */
static size_t put_varint(uint8_t *p, int64_t value)
{
	uint64_t u = ((uint64_t)value << 1) ^ (0 - ((uint64_t)value >> 63));
	size_t n = 0;

	while (n < 8 && u >> 7) {
		p[n++] = (uint8_t)(u | 0x80);
		u >>= 7;
	}
	p[n++] = (uint8_t)u;
	return n;
}

static size_t encode_payload(const struct hist *h, uint8_t *p)
{
	int32_t limit = hist__index(h, h->max_tracked) + 1, i = 0;
	size_t n = 0;

	if (limit > h->counts_len)
		limit = h->counts_len;
	while (i < limit) {
		int64_t c = h->counts[i++], zeros = 0;

		if (c == 0) {
			for (zeros = 1; i < limit && h->counts[i] == 0; i++)
				zeros++;
		}
		n += put_varint(p + n, zeros > 1 ? -zeros : c);
	}
	return n;
}

int hist_encode_raw(const struct hist *h, uint8_t **out, size_t *outlen)
{
	size_t cap = V2_HEADER_BYTES + (size_t)VARINT_MAX_BYTES * ((size_t)hist__index(h, h->max_tracked) + 1);
	uint8_t *p = malloc(cap);
	size_t payload;

	if (!p)
		return -ENOMEM;
	payload = encode_payload(h, p + V2_HEADER_BYTES);
	put_be32(p, V2_COOKIE);
	put_be32(p + 4, (uint32_t)payload);
	put_be32(p + 8, 0);
	put_be32(p + 12, (uint32_t)h->digits);
	put_be64(p + 16, (uint64_t)h->lowest);
	put_be64(p + 24, (uint64_t)h->highest);
	put_be64(p + 32, 0x3ff0000000000000ull); /* 1.0 */
	*out = p;
	*outlen = V2_HEADER_BYTES + payload;
	return 0;
}

int hist_encode_compressed(const struct hist *h, int level, uint8_t **out, size_t *outlen)
{
	uint8_t *raw, *z;
	size_t rawlen;
	uLongf zlen;
	int err;

	if (level < 0 || level > 9)
		return -EINVAL;
	err = hist_encode_raw(h, &raw, &rawlen);
	if (err)
		return err;
	zlen = compressBound(rawlen);
	z = malloc(8 + zlen);
	if (!z) {
		free(raw);
		return -ENOMEM;
	}
	err = compress2(z + 8, &zlen, raw, rawlen, level);
	free(raw);
	if (err != Z_OK) {
		free(z);
		return err == Z_MEM_ERROR ? -ENOMEM : -EIO;
	}
	put_be32(z, V2_COMPRESSED_COOKIE);
	put_be32(z + 4, (uint32_t)zlen);
	*out = z;
	*outlen = 8 + zlen;
	return 0;
}

/* ---- base64 (section 8): standard alphabet, padded, no whitespace ---- */

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64_encode(const uint8_t *p, size_t n)
{
	char *s = malloc((n + 2) / 3 * 4 + 1), *o = s;

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t w = (uint32_t)p[i] << 16;

		if (i + 1 < n)
			w |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			w |= p[i + 2];
		*o++ = b64_alphabet[w >> 18];
		*o++ = b64_alphabet[(w >> 12) & 63];
		*o++ = i + 1 < n ? b64_alphabet[(w >> 6) & 63] : '=';
		*o++ = i + 2 < n ? b64_alphabet[w & 63] : '=';
	}
	*o = '\0';
	return s;
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64_alphabet, c) : NULL;

	return p ? (int)(p - b64_alphabet) : -1;
}

static int why_fail(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int why_fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/*
 * Decodes like java.util.Base64's basic decoder: padding may be left out
 * of the final unit, but where present it must be complete and last.
 */
static int base64_decode(const char *s, uint8_t **out, size_t *outlen, char *why, size_t whylen)
{
	size_t len = strlen(s), data = len, n = 0;
	uint8_t *p;
	uint32_t w = 0;

	while (data > 0 && s[data - 1] == '=')
		data--;
	for (size_t i = 0; i < data; i++)
		if (b64_value(s[i]) < 0)
			return why_fail(why, whylen, "base64: invalid character 0x%02x at offset %zu",
					(unsigned char)s[i], i);
	if (len - data > 2 || (len != data && len % 4) || data % 4 == 1)
		return why_fail(why, whylen, "base64: bad length or padding (%zu characters)", len);
	p = malloc(data / 4 * 3 + 3);
	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < data; i++) {
		w = w << 6 | (uint32_t)b64_value(s[i]);
		if (i % 4 == 3) {
			p[n++] = (uint8_t)(w >> 16);
			p[n++] = (uint8_t)(w >> 8);
			p[n++] = (uint8_t)w;
			w = 0;
		}
	}
	if (data % 4 == 2)
		p[n++] = (uint8_t)(w >> 4);
	if (data % 4 == 3) {
		p[n++] = (uint8_t)(w >> 10);
		p[n++] = (uint8_t)(w >> 2);
	}
	*out = p;
	*outlen = n;
	return 0;
}

int hist_encode_base64(const struct hist *h, int level, char **out)
{
	uint8_t *z;
	size_t zlen;
	int err = hist_encode_compressed(h, level, &z, &zlen);

	if (err)
		return err;
	*out = base64_encode(z, zlen);
	free(z);
	return *out ? 0 : -ENOMEM;
}

/* ---- V2 decoding ---- */

/* A byte source over a raw buffer or, through a small window, a zlib stream. */
struct src {
	const uint8_t *p;
	size_t n;
	z_stream z;
	bool zlib; /* reading through z */
	bool zend;
	char *why;
	size_t whylen;
	uint8_t win[4096];
};

/* 0: bytes available, 1: end of data, or -errno. */
static int src_fill(struct src *s)
{
	while (s->n == 0) {
		int rc;

		if (!s->zlib || s->zend)
			return 1;
		s->z.next_out = s->win;
		s->z.avail_out = sizeof(s->win);
		rc = inflate(&s->z, Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
			s->zend = true;
		else if (rc == Z_BUF_ERROR)
			return why_fail(s->why, s->whylen, "truncated zlib stream");
		else if (rc == Z_MEM_ERROR)
			return -ENOMEM;
		else if (rc != Z_OK)
			return why_fail(s->why, s->whylen, "corrupt zlib stream: %s", s->z.msg ? s->z.msg : "error");
		s->p = s->win;
		s->n = sizeof(s->win) - s->z.avail_out;
	}
	return 0;
}

static int src_read(struct src *s, uint8_t *dst, size_t len, const char *what)
{
	while (len > 0) {
		size_t k;
		int err = src_fill(s);

		if (err > 0)
			return why_fail(s->why, s->whylen, "truncated %s", what);
		if (err)
			return err;
		k = s->n < len ? s->n : len;
		memcpy(dst, s->p, k);
		s->p += k;
		s->n -= k;
		dst += k;
		len -= k;
	}
	return 0;
}

/* After the payload nothing may follow, and a zlib stream must end cleanly. */
static int src_finish(struct src *s)
{
	int err = src_fill(s);

	if (err < 0)
		return err;
	if (err == 0)
		return why_fail(s->why, s->whylen, "%s after the payload",
				s->zlib ? "extra data in the zlib stream" : "trailing bytes");
	if (s->zlib && s->z.avail_in)
		return why_fail(s->why, s->whylen, "%u bytes after the end of the zlib stream", s->z.avail_in);
	return 0;
}

/* Reads one ZigZag LEB128-64b9B value of at most *left bytes. */
static int read_varint(struct src *s, uint32_t *left, int64_t *value)
{
	uint64_t u = 0;
	uint8_t b;

	for (int i = 0; i < VARINT_MAX_BYTES; i++) {
		int err;

		if (*left == 0)
			return why_fail(s->why, s->whylen, "payload ends inside a value");
		err = src_read(s, &b, 1, "payload");
		if (err)
			return err;
		(*left)--;
		if (i == 8) {
			u |= (uint64_t)b << 56;
			break;
		}
		u |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80))
			break;
	}
	*value = (int64_t)((u >> 1) ^ (0 - (u & 1)));
	return 0;
}

/* What the 40-byte V2 header says (docs/hdr.md section 7.1). */
struct v2_header {
	uint32_t payload_len;
	int64_t lowest;
	int64_t highest;
	int digits;
};

static int decode_header(struct v2_header *v, struct src *s)
{
	uint8_t hd[V2_HEADER_BYTES];
	uint32_t cookie, nio, digits;
	size_t bytes;
	int err = src_read(s, hd, sizeof(hd), "header");

	if (err)
		return err;
	cookie = get_be32(hd);
	if (cookie != V2_COOKIE)
		return why_fail(s->why, s->whylen, "inner cookie 0x%08" PRIx32 " is not V2 (0x%08x)", cookie,
				V2_COOKIE);
	v->payload_len = get_be32(hd + 4);
	nio = get_be32(hd + 8);
	digits = get_be32(hd + 12);
	v->lowest = (int64_t)get_be64(hd + 16);
	v->highest = (int64_t)get_be64(hd + 24);
	if (v->payload_len > INT32_MAX)
		return why_fail(s->why, s->whylen, "payload length %" PRIu32 " too large", v->payload_len);
	if (nio != 0)
		return why_fail(s->why, s->whylen, "normalizingIndexOffset %" PRIu32 " unsupported", nio);
	bytes = digits > 5 ? 0 : hist_counts_bytes(v->lowest, v->highest, (int)digits);
	if (bytes == 0)
		return why_fail(s->why, s->whylen,
				"invalid layout: lowest %" PRId64 " highest %" PRId64 " digits %" PRIu32, v->lowest,
				v->highest, digits);
	if (bytes / sizeof(int64_t) > MAX_COUNTS_LEN)
		return why_fail(s->why, s->whylen, "layout too large: %" PRId32 " slots",
				(int32_t)(bytes / sizeof(int64_t)));
	v->digits = (int)digits;
	return 0;
}

static int decode_payload(struct hist *h, struct src *s, uint32_t left)
{
	int64_t i = 0;

	while (left > 0) {
		int64_t v = 0;
		int err = read_varint(s, &left, &v);

		if (err)
			return err;
		if (v < 0 && v < -(int64_t)INT32_MAX)
			return why_fail(s->why, s->whylen, "zero run too long at slot %" PRId64, i);
		if (i + (v < 0 ? -v : 1) > h->counts_len)
			return why_fail(s->why, s->whylen, "counts beyond the layout (slot %" PRId64 " of %" PRId32 ")",
					i + (v < 0 ? -v : 1) - 1, h->counts_len);
		if (v < 0) {
			i += -v;
			continue;
		}
		h->counts[i++] = v;
	}
	return 0;
}

/* Rebuilds total, min and max from the counts (docs/hdr.md section 7.3). */
static int establish_tracking(struct hist *h, char *why, size_t whylen)
{
	int32_t max_i = -1, min_i = -1;
	int64_t total = 0;

	for (int32_t i = 0; i < h->counts_len; i++) {
		if (h->counts[i] == 0)
			continue;
		if (__builtin_add_overflow(total, h->counts[i], &total))
			return why_fail(why, whylen, "total count overflows");
		max_i = i;
		if (min_i < 0 && i != 0)
			min_i = i;
	}
	h->total_count = total;
	if (max_i >= 0)
		h->max_tracked = hist_highest_equivalent(h, hist_value_from_index(h, max_i)) | h->unit_magnitude_mask;
	if (min_i >= 0)
		h->min_nonzero_tracked = hist_value_from_index(h, min_i) & ~h->unit_magnitude_mask;
	return 0;
}

static int decode_v2(struct hist *h, struct src *s)
{
	struct v2_header v = {0};
	int err = decode_header(&v, s);

	if (err)
		return err;
	err = hist_init(h, v.lowest, v.highest, v.digits);
	if (err)
		return err;
	err = decode_payload(h, s, v.payload_len);
	if (!err)
		err = src_finish(s);
	if (!err)
		err = establish_tracking(h, s->why, s->whylen);
	return err;
}

static int decode_compressed(struct hist *h, struct src *s, const uint8_t *buf, size_t len)
{
	uint32_t zlen = get_be32(buf + 4);
	int err;

	if (zlen > len - 8)
		return why_fail(s->why, s->whylen, "truncated: compressed length %" PRIu32 " but %zu bytes follow",
				zlen, len - 8);
	if (zlen < len - 8)
		return why_fail(s->why, s->whylen, "%zu trailing bytes after the compressed data", len - 8 - zlen);
	s->z.next_in = (Bytef *)(buf + 8);
	s->z.avail_in = zlen;
	if (inflateInit(&s->z) != Z_OK)
		return -ENOMEM;
	s->zlib = true;
	err = decode_v2(h, s);
	inflateEnd(&s->z);
	return err;
}

static int cookie_reason(uint32_t cookie, char *why, size_t whylen)
{
	uint32_t base = cookie & ~0xf0u;

	if (base == 0x1c849303u || base == 0x1c849304u)
		return why_fail(why, whylen,
				"V2 cookie 0x%08" PRIx32 " has word size field 0x%02" PRIx32 " (only 0x10 is valid)",
				cookie, cookie & 0xf0);
	if (base == 0x1c849301u || base == 0x1c849302u)
		return why_fail(why, whylen, "unsupported V1 encoding (cookie 0x%08" PRIx32 ")", cookie);
	if (base == 0x1c849308u || base == 0x1c849309u)
		return why_fail(why, whylen, "unsupported V0 encoding (cookie 0x%08" PRIx32 ")", cookie);
	if (base == (0x0c72124eu & ~0xf0u) || base == (0x0c72124fu & ~0xf0u))
		return why_fail(why, whylen, "a DoubleHistogram, not a Histogram (cookie 0x%08" PRIx32 ")", cookie);
	return why_fail(why, whylen, "not an HdrHistogram: unknown cookie 0x%08" PRIx32, cookie);
}

int hist_decode(struct hist *h, const uint8_t *buf, size_t len, char *why, size_t whylen)
{
	struct src *s;
	uint32_t cookie;
	int err;

	memset(h, 0, sizeof(*h));
	if (why && whylen)
		why[0] = '\0';
	if (!buf || len < 8)
		return why_fail(why, whylen, "truncated: %zu bytes, a histogram needs at least 8", len);
	cookie = get_be32(buf);
	if (cookie != V2_COOKIE && cookie != V2_COMPRESSED_COOKIE)
		return cookie_reason(cookie, why, whylen);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->why = why;
	s->whylen = whylen;
	if (cookie == V2_COOKIE) {
		s->p = buf;
		s->n = len;
		err = decode_v2(h, s);
	} else {
		err = decode_compressed(h, s, buf, len);
	}
	free(s);
	if (err) {
		hist_release(h);
		if (err == -ENOMEM && why && whylen)
			snprintf(why, whylen, "out of memory");
	}
	return err;
}

int hist_decode_base64(struct hist *h, const char *b64, char *why, size_t whylen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	memset(h, 0, sizeof(*h));
	if (!b64)
		return why_fail(why, whylen, "no base64 text");
	err = base64_decode(b64, &buf, &len, why, whylen);
	if (err)
		return err;
	err = hist_decode(h, buf, len, why, whylen);
	free(buf);
	return err;
}
