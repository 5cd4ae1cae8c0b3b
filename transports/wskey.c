/*
 * wskey.c - SHA-1 (FIPS 180-4 section 6.1), base64 (RFC 4648 section 4)
 * and the WebSocket accept value (RFC 6455 section 4.2.2); see wskey.h.
 */
#include "transports/wskey.h"

#include <stdbool.h>
#include <string.h>

/* RFC 6455 section 1.3: appended to the key before hashing */
#define WSKEY_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static uint32_t rol(uint32_t x, int n)
{
	return (x << n) | (x >> (32 - n));
}

/* One 512-bit block: the message schedule W0..W79 and the 80 rounds. */
static void sha1_block(uint32_t h[5], const uint8_t *p)
{
	uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];

	for (int t = 0; t < 16; t++)
		w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 | (uint32_t)p[4 * t + 2] << 8 |
		       p[4 * t + 3];
	for (int t = 16; t < 80; t++)
		w[t] = rol(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
	for (int t = 0; t < 80; t++) {
		uint32_t f, k, tmp;

		if (t < 20) {
			f = (b & c) ^ (~b & d);
			k = 0x5a827999;
		} else if (t < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (t < 60) {
			f = (b & c) ^ (b & d) ^ (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		tmp = rol(a, 5) + f + e + k + w[t];
		e = d;
		d = c;
		c = rol(b, 30);
		b = a;
		a = tmp;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

void wskey_sha1_init(struct wskey_sha1 *s)
{
	static const uint32_t h0[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};

	memcpy(s->h, h0, sizeof(h0));
	s->bytes = 0;
	s->fill = 0;
}

void wskey_sha1_update(struct wskey_sha1 *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	s->bytes += len;
	while (len > 0) {
		size_t n = 64 - s->fill < len ? 64 - s->fill : len;

		memcpy(s->block + s->fill, p, n);
		s->fill += n;
		p += n;
		len -= n;
		if (s->fill == 64) {
			sha1_block(s->h, s->block);
			s->fill = 0;
		}
	}
}

/* Padding (section 5.1.1): a 1 bit, zeros, the length in bits as 64 bits big-endian. */
void wskey_sha1_final(struct wskey_sha1 *s, uint8_t out[WSKEY_SHA1_BYTES])
{
	uint64_t bits = s->bytes * 8;
	uint8_t pad = 0x80, len[8];

	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)(bits >> (56 - 8 * i));
	wskey_sha1_update(s, &pad, 1);
	pad = 0;
	while (s->fill != 56)
		wskey_sha1_update(s, &pad, 1);
	wskey_sha1_update(s, len, 8);
	for (int i = 0; i < 5; i++)
		for (int j = 0; j < 4; j++)
			out[4 * i + j] = (uint8_t)(s->h[i] >> (24 - 8 * j));
}

size_t wskey_base64_encode(const void *in, size_t len, char *out)
{
	const uint8_t *p = in;
	size_t o = 0;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? b64[v & 63] : '=';
	}
	out[o] = 0;
	return o;
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

long wskey_base64_decode(const char *in, uint8_t *out, size_t outlen)
{
	size_t n = strlen(in), o = 0;

	if (n % 4)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pads = 0;
		uint32_t x = 0;

		for (int j = 0; j < 4; j++) {
			bool last = i + 4 == n;

			v[j] = b64_value(in[i + j]);
			if (v[j] < 0 && in[i + j] == '=' && last && j >= 2 && (j == 3 || in[i + 3] == '=')) {
				pads++;
				v[j] = 0;
			} else if (v[j] < 0 || pads) {
				return -1;
			}
			x = x << 6 | (uint32_t)v[j];
		}
		if (o + 3 - (size_t)pads > outlen)
			return -1;
		out[o++] = (uint8_t)(x >> 16);
		if (pads < 2)
			out[o++] = (uint8_t)(x >> 8);
		if (pads < 1)
			out[o++] = (uint8_t)x;
	}
	return (long)o;
}

void wskey_accept(const char *key, char out[WSKEY_ACCEPT_TEXT])
{
	struct wskey_sha1 s;
	uint8_t md[WSKEY_SHA1_BYTES];

	wskey_sha1_init(&s);
	wskey_sha1_update(&s, key, strlen(key));
	wskey_sha1_update(&s, WSKEY_GUID, sizeof(WSKEY_GUID) - 1);
	wskey_sha1_final(&s, md);
	wskey_base64_encode(md, sizeof(md), out);
}
