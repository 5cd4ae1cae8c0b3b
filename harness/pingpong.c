/*
 * pingpong.c - the round-trip pattern.
 *
 * Client: stamp, t0, send, recv, t1, record t1-t0, verify the echo.  The
 * clock is read twice per round trip and nothing else happens inside the
 * timed span: no allocation, no printing, no system call but the
 * transport's own.  Server: recv, check the sequence, mark, send back.
 * The server stops after ctl->total messages; in --duration mode the
 * client lowers ctl->total before sending what becomes the last message.
 */
#include <errno.h>

#include "harness/clock.h"
#include "harness/payload.h"
#include "harness/side.h"

static int round_trip(struct side_ctx *s, uint64_t seq, uint64_t *ticks, uint64_t *end)
{
	uint64_t t0, t1;
	int r;

	payload_stamp(s->sbuf, s->len, seq);
	t0 = clock_ticks();
	r = chan_send(s->ch, s->sbuf, s->len);
	if (r)
		return side_transport_fail(s, r, "send", seq);
	r = chan_recv(s->ch, s->rbuf, s->len);
	if (r)
		return side_transport_fail(s, r, "recv", seq);
	t1 = clock_ticks();
	*ticks = t1 - t0;
	*end = t1;
	if (!payload_reply_ok(s->sbuf, s->rbuf, s->len))
		return side_fail(s, EPROTO, "message %llu: the echoed payload of %zu bytes differs from what was sent",
				 (unsigned long long)seq, s->len);
	return 0;
}

static int pingpong_client(struct side_ctx *s)
{
	const struct cell_config *cfg = s->cfg;
	struct ctl *ctl = s->ctl;
	uint64_t seq = 0, ticks, start, now = clock_ticks(), deadline = 0;
	uint64_t warm_until = side_warmup_until(s, now);
	int64_t mn = INT64_MAX, mx = 0;
	bool last = false;

	for (; seq < cfg->warmup && !side_warmup_over(seq, now, warm_until); seq++) {
		if (s->around)
			s->around(s, false, false);
		if (round_trip(s, seq, &ticks, &now))
			return -1;
		if (s->around)
			s->around(s, true, false);
		atomic_store_explicit(&ctl->progress[CHAN_CLIENT].v, seq + 1, memory_order_relaxed);
	}
	/* before message seq goes out: the server then knows it is the first measured one */
	atomic_store_explicit(&ctl->prec.warmup_end, seq, memory_order_release);
	ctl->warmup_done = seq;
	atomic_store(&ctl->measuring, 1);
	side_cost_begin(s);
	start = now = clock_ticks();
	side_snap_start(s, start);
	if (!cfg->iterations)
		deadline = start + clock_ns_to_ticks(cfg->duration_ns);
	for (; !last; seq++) {
		int64_t ns;

		if (cfg->iterations) {
			last = seq + 1 >= cfg->warmup + cfg->iterations;
		} else if (now >= deadline || s->prec.stop) {
			/* tell the server this one is the last, before sending it */
			atomic_store_explicit(&ctl->total, seq + 1, memory_order_release);
			last = true;
		}
		if (s->around)
			s->around(s, false, true);
		if (round_trip(s, seq, &ticks, &now))
			return -1;
		if (s->around)
			s->around(s, true, true);
		ns = (int64_t)clock_ticks_to_ns(ticks);
		side_record(s, ns, now, &mn, &mx);
		atomic_store_explicit(&ctl->progress[CHAN_CLIENT].v, seq + 1, memory_order_relaxed);
	}
	now = clock_ticks();
	side_cost_end(s);
	ctl->count = seq - ctl->warmup_done;
	ctl->elapsed_ns = clock_ticks_to_ns(now - start);
	ctl->start_ticks = start;
	ctl->end_ticks = now;
	ctl->raw_min_ns = ctl->count ? mn : 0;
	ctl->raw_max_ns = mx;
	return 0;
}

static int pingpong_server(struct side_ctx *s)
{
	struct ctl *ctl = s->ctl;
	uint64_t seq;
	bool measuring = false;
	int r;

	for (seq = 0;; seq++) {
		r = chan_recv(s->ch, s->rbuf, s->len);
		if (r)
			return side_transport_fail(s, r, "recv", seq);
		if (!measuring && seq >= side_warmup_end(s)) {
			measuring = true;
			side_cost_begin(s);
		}
		if (!payload_seq_is(s->rbuf, s->len, seq))
			return side_fail(s, EPROTO, "message %llu: arrived with sequence %llu", (unsigned long long)seq,
					 (unsigned long long)payload_seq(s->rbuf, s->len));
		payload_mark_reply(s->rbuf, s->len);
		r = chan_send(s->ch, s->rbuf, s->len);
		if (r)
			return side_transport_fail(s, r, "send", seq);
		atomic_store_explicit(&ctl->progress[CHAN_SERVER].v, seq + 1, memory_order_relaxed);
		if (seq + 1 >= atomic_load_explicit(&ctl->total, memory_order_acquire))
			break;
	}
	side_cost_end(s);
	return 0;
}

const struct pattern_loops pingpong_loops = {
	.client = pingpong_client,
	.server = pingpong_server,
	.server_records = false,
};
