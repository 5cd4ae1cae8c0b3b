/*
 * stream.c - the one-way patterns.
 *
 * stream: the client sends messages back to back, with the flow control
 * the mechanism gives; the server receives, checks the message
 * (payload.h: every stamp, and the body) and records each message's one-way
 * latency (its receive time minus the send
 * timestamp the message carries; both processes read the same clock).
 * Throughput is counted in the server, from the start of its measured
 * phase to the last message received.
 *
 * rate: open loop.  Message k is due at start + k/rate; the client waits
 * for that instant (sleeping when far, spinning when near) and carries the
 * intended time, not the actual one, so the server's latency includes any
 * lag of the sender: a stall shows up in every message it delays instead
 * of being hidden (coordinated omission).
 *
 * Message layout: sequence at offset 0 (payload.h), the timestamp in ticks
 * at offset 8.  Messages below 16 bytes cannot carry a timestamp: their
 * cells report throughput only (an empty latency histogram).
 */
#include <errno.h>
#include <time.h>

#include "harness/clock.h"
#include "harness/payload.h"
#include "harness/side.h"

#define TS_OFF 8

static inline void put_ts(uint8_t *buf, size_t len, uint64_t ts)
{
	if (len >= TS_OFF + 8)
		memcpy(buf + TS_OFF, &ts, 8);
}

static inline bool get_ts(const uint8_t *buf, size_t len, uint64_t *ts)
{
	if (len < TS_OFF + 8)
		return false;
	memcpy(ts, buf + TS_OFF, 8);
	return true;
}

/* Busy-waits the last 50 us before `due`, sleeps before that. */
static void wait_until(uint64_t due_ticks)
{
	uint64_t now = clock_ticks();

	while (now < due_ticks) {
		uint64_t left_ns = clock_ticks_to_ns(due_ticks - now);

		if (left_ns > 50000) {
			struct timespec ts = {0, (long)(left_ns - 40000)};

			if (left_ns - 40000 >= 1000000000u) {
				ts.tv_sec = (time_t)((left_ns - 40000) / 1000000000u);
				ts.tv_nsec = (long)((left_ns - 40000) % 1000000000u);
			}
			nanosleep(&ts, NULL);
		}
		now = clock_ticks();
	}
}

static int send_loop(struct side_ctx *s, bool paced)
{
	const struct cell_config *cfg = s->cfg;
	struct ctl *ctl = s->ctl;
	uint64_t seq, start = 0, now = 0, deadline = 0, interval = 0, due = 0;
	uint64_t warm_until = side_warmup_until(s, clock_ticks());
	bool last = false, measuring = false;

	if (paced)
		interval = clock_ns_to_ticks((uint64_t)(1e9 / cfg->rate_per_sec));
	for (seq = 0; !last; seq++) {
		int r;

		if (!measuring &&
		    (seq == cfg->warmup || side_warmup_over(seq, warm_until ? clock_ticks() : 0, warm_until))) {
			measuring = true;
			/* before message seq goes out: the receiver then knows it is the first measured one */
			atomic_store_explicit(&ctl->prec.warmup_end, seq, memory_order_release);
			ctl->warmup_done = seq;
			atomic_store(&ctl->measuring, 1);
			side_cost_begin(s);
			start = due = now = clock_ticks();
			if (!cfg->iterations)
				deadline = start + clock_ns_to_ticks(cfg->duration_ns);
		}
		if (cfg->iterations)
			last = seq + 1 >= cfg->warmup + cfg->iterations;
		else if (measuring &&
			 (now >= deadline || atomic_load_explicit(&ctl->prec.stop, memory_order_relaxed))) {
			atomic_store_explicit(&ctl->total, seq + 1, memory_order_release);
			last = true;
		}
		payload_stamp(s->sbuf, s->len, seq);
		if (paced && measuring) {
			wait_until(due);
			put_ts(s->sbuf, s->len, due);
			due += interval;
		} else {
			put_ts(s->sbuf, s->len, clock_ticks());
		}
		r = chan_send(s->ch, s->sbuf, s->len);
		if (r)
			return side_transport_fail(s, r, "send", seq);
		if (measuring)
			now = clock_ticks();
		atomic_store_explicit(&ctl->progress[CHAN_CLIENT].v, seq + 1, memory_order_relaxed);
	}
	side_cost_end(s);
	if (paced && now > start)
		ctl->rate_achieved_per_sec =
			(double)(seq - ctl->warmup_done) * 1e9 / (double)clock_ticks_to_ns(now - start);
	return 0;
}

static int recv_loop(struct side_ctx *s)
{
	struct ctl *ctl = s->ctl;
	int64_t mn = INT64_MAX, mx = 0;
	uint64_t seq, start = 0, end = 0, top = 0, first = 0;
	bool measuring = false;

	for (seq = 0;; seq++) {
		uint64_t sent, t;
		long bad;
		int r;

		if (!measuring)
			top = clock_ticks(); /* the start, should this message be the first measured one */
		r = chan_recv(s->ch, s->rbuf, s->len);
		if (r)
			return side_transport_fail(s, r, "recv", seq);
		t = clock_ticks();
		if (!measuring && seq >= side_warmup_end(s)) {
			measuring = true;
			first = seq;
			side_cost_begin(s);
			start = top;
			side_snap_start(s, start);
		}
		if (!payload_seq_is(s->rbuf, s->len, seq))
			return side_fail(s, EPROTO, "message %llu: arrived with sequence %llu", (unsigned long long)seq,
					 (unsigned long long)payload_seq(s->rbuf, s->len));
		bad = payload_check(s->sbuf, s->rbuf, s->len, TS_OFF + 8, seq, payload_check_body(s->len, seq));
		if (bad >= 0)
			return side_fail(s, EPROTO,
					 "message %llu: the %zu-byte payload differs from what was sent at byte %ld",
					 (unsigned long long)seq, s->len, bad);
		if (measuring && get_ts(s->rbuf, s->len, &sent)) {
			/* a timestamp a little in the future (cross-CPU skew) counts as 0 */
			int64_t ns = t > sent ? (int64_t)clock_ticks_to_ns(t - sent) : 0;

			side_record(s, ns, t, &mn, &mx);
		}
		atomic_store_explicit(&ctl->progress[CHAN_SERVER].v, seq + 1, memory_order_relaxed);
		if (seq + 1 >= atomic_load_explicit(&ctl->total, memory_order_acquire)) {
			end = t;
			seq++;
			break;
		}
	}
	side_cost_end(s);
	ctl->count = seq - first;
	ctl->elapsed_ns = clock_ticks_to_ns(end - start);
	ctl->start_ticks = start;
	ctl->end_ticks = end;
	ctl->raw_min_ns = mn == INT64_MAX ? 0 : mn;
	ctl->raw_max_ns = mx;
	return 0;
}

static int stream_client(struct side_ctx *s)
{
	return send_loop(s, false);
}

static int rate_client(struct side_ctx *s)
{
	return send_loop(s, true);
}

const struct pattern_loops stream_loops = {
	.client = stream_client,
	.server = recv_loop,
	.server_records = true,
};

const struct pattern_loops rate_loops = {
	.client = rate_client,
	.server = recv_loop,
	.server_records = true,
};
