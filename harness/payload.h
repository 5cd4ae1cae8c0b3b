/*
 * payload.h - how the harness fills and checks every message.
 *
 * The client fills its buffer once with a fixed byte pattern, then stamps
 * each message with its sequence number: at offset 0, at every 4 KiB
 * boundary and in the last 8 bytes (all little-endian, each stamp cut to
 * what fits).  The server checks the sequence at offset 0 and echoes the
 * message with that first stamp inverted (~seq), which proves the server
 * process really received and sent it.  The client compares the whole echo
 * with what it sent.  Stamps through the body catch a transport that
 * returns stale data from an earlier message.
 */
#ifndef IPCBENCH_PAYLOAD_H
#define IPCBENCH_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PAYLOAD_STAMP_EVERY 4096

static inline void payload__put(uint8_t *p, size_t room, uint64_t v)
{
	size_t n = room < 8 ? room : 8;

	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t payload__get(const uint8_t *p, size_t room)
{
	size_t n = room < 8 ? room : 8;
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static inline uint64_t payload__mask(size_t len)
{
	return len >= 8 ? UINT64_MAX : ((uint64_t)1 << (8 * len)) - 1;
}

static inline void payload_fill(uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 131u + 7u);
}

static inline void payload_stamp(uint8_t *buf, size_t len, uint64_t seq)
{
	payload__put(buf, len, seq);
	for (size_t off = PAYLOAD_STAMP_EVERY; off + 16 <= len; off += PAYLOAD_STAMP_EVERY)
		payload__put(buf + off, 8, seq);
	if (len >= 16)
		payload__put(buf + len - 8, 8, seq);
}

/* The sequence number a received request carries. */
static inline uint64_t payload_seq(const uint8_t *buf, size_t len)
{
	return payload__get(buf, len);
}

static inline bool payload_seq_is(const uint8_t *buf, size_t len, uint64_t seq)
{
	return payload__get(buf, len) == (seq & payload__mask(len));
}

/* Server: turn a request into its reply. */
static inline void payload_mark_reply(uint8_t *buf, size_t len)
{
	payload__put(buf, len, ~payload__get(buf, len));
}

/* Client: is reply exactly the echo of sent (with the reply mark)? */
static inline bool payload_reply_ok(const uint8_t *sent, const uint8_t *reply, size_t len)
{
	size_t head = len < 8 ? len : 8;

	if (payload__get(reply, len) != (~payload__get(sent, len) & payload__mask(len)))
		return false;
	return memcmp(sent + head, reply + head, len - head) == 0;
}

#endif
