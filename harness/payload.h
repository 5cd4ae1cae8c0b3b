/*
 * payload.h - how the harness fills and checks every message.
 *
 * Both sides fill their buffers once with a fixed byte pattern; the sender
 * then stamps each message with its sequence number: at offset 0, at every
 * 4 KiB boundary and in the last 8 bytes (all little-endian, each stamp cut
 * to what fits).  Stamps through the body catch a transport that returns
 * stale data from an earlier message.
 *
 * pingpong: the server checks the sequence at offset 0 and echoes the
 * message with that first stamp inverted (~seq), which proves the server
 * process really received and sent it.  The client compares the whole echo
 * with what it sent.
 *
 * stream and rate: the receiver checks every stamp of every message, and
 * the rest of the body against the pattern for every message of up to
 * PAYLOAD_FULL_CHECK_BYTES and for one message in PAYLOAD_SAMPLE_EVERY
 * above that.  A compare reads the message and the pattern once more: for
 * every message it would cost the fastest rings a third of their
 * throughput at 4 KiB and a quarter at 1 MiB; at up to 512 bytes it is a
 * few ns against a kernel call or a cache-line transfer, and one message
 * in 64 above that costs a few percent at most.  A transport that corrupts
 * data does so again and again, so a sample finds it within a cell.
 */
#ifndef IPCBENCH_PAYLOAD_H
#define IPCBENCH_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <endian.h>
#include <string.h>

#define PAYLOAD_STAMP_EVERY 4096
#define PAYLOAD_FULL_CHECK_BYTES 512
#define PAYLOAD_SAMPLE_EVERY 64

/*
 * A stamp is a little-endian word cut to `room` bytes.  Whole-word
 * accesses, not a byte loop: the transport's copy of the message reads the
 * stamp right after it is written, and a load that spans several smaller
 * pending stores cannot be forwarded from them (measured: byte stores cost
 * shm_spin 30-40 ns per round trip, a quarter of it).
 */
static inline void payload__put(uint8_t *p, size_t room, uint64_t v)
{
	v = htole64(v);
	if (room >= 8)
		memcpy(p, &v, 8); /* one store */
	else
		memcpy(p, &v, room);
}

static inline uint64_t payload__get(const uint8_t *p, size_t room)
{
	uint64_t v = 0;

	if (room >= 8)
		memcpy(&v, p, 8); /* one load */
	else
		memcpy(&v, p, room);
	return le64toh(v);
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

/*
 * One-way receiver: where a received message first differs from message
 * seq as sent, or -1 when it does not.  The first `head` bytes (sequence
 * and timestamp) are the caller's; every stamp is checked, and the bytes
 * between them when `body` is set.
 */
static inline long payload_check(const uint8_t *pattern, const uint8_t *buf, size_t len, size_t head, uint64_t seq,
				 bool body)
{
	size_t tail = len >= 16 ? len - 8 : len;
	size_t from = head < len ? head : len;

	for (size_t off = PAYLOAD_STAMP_EVERY;; off += PAYLOAD_STAMP_EVERY) {
		size_t to = off + 16 <= len ? off : tail;

		if (body && to > from && memcmp(pattern + from, buf + from, to - from))
			for (size_t i = from; i < to; i++)
				if (pattern[i] != buf[i])
					return (long)i;
		if (to == tail)
			break;
		if (payload__get(buf + off, 8) != seq)
			return (long)off;
		from = off + 8;
	}
	if (len >= 16 && tail >= head && payload__get(buf + tail, 8) != seq)
		return (long)tail;
	return -1;
}

/* Whether the one-way receiver compares the whole body of message seq. */
static inline bool payload_check_body(size_t len, uint64_t seq)
{
	return len <= PAYLOAD_FULL_CHECK_BYTES || seq % PAYLOAD_SAMPLE_EVERY == 0;
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
