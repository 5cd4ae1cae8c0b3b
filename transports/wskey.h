/*
 * wskey.h - what the WebSocket opening handshake computes (RFC 6455
 * section 4): SHA-1 as FIPS 180-4 specifies it, base64 as RFC 4648
 * section 4 does (the standard alphabet, with padding), and the
 * Sec-WebSocket-Accept value of a key.  Internal to transports/; written
 * here so the websocket transport needs no crypto library (SHA-1 is not
 * used for secrecy here: the accept value only proves the server read
 * the key).  Tested against FIPS 180-4's and RFC 6455's known values.
 */
#ifndef IPCBENCH_WSKEY_H
#define IPCBENCH_WSKEY_H

#include <stddef.h>
#include <stdint.h>

#define WSKEY_SHA1_BYTES 20
#define WSKEY_KEY_TEXT 25    /* base64 of 16 bytes, and its NUL */
#define WSKEY_ACCEPT_TEXT 29 /* base64 of 20 bytes, and its NUL */

struct wskey_sha1 {
	uint32_t h[5];
	uint64_t bytes; /* message length so far */
	uint8_t block[64];
	size_t fill;
};

void wskey_sha1_init(struct wskey_sha1 *s);
void wskey_sha1_update(struct wskey_sha1 *s, const void *data, size_t len);
void wskey_sha1_final(struct wskey_sha1 *s, uint8_t out[WSKEY_SHA1_BYTES]);

/* base64 of len bytes into out (at least 4 * ceil(len / 3) + 1 bytes): the text's length. */
size_t wskey_base64_encode(const void *in, size_t len, char *out);
/* Strict decoding (padding required, nothing else): the byte count, or -1. */
long wskey_base64_decode(const char *in, uint8_t *out, size_t outlen);

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + the RFC's GUID)). */
void wskey_accept(const char *key, char out[WSKEY_ACCEPT_TEXT]);

#endif
