/*
 * underload.c - the underload pattern: round trips of probe messages while
 * a third process floods the server direction.
 *
 * The driver forks a third child, the background sender: it attaches as a
 * second client with ch->background set (posix_mq then sends at priority
 * 0, below any prio=N the probes carry), pinned to the client's CPU, and
 * sends background messages back to back, or at --rate, until the server
 * is done; the parent kills and reaps it once the client and the server
 * have exited.  Only transports flagged TRANSPORT_SECOND_SENDER (whole
 * messages from two senders never interleave) and messages that are not
 * fragmented can be loaded; other cells are skipped with the reason.
 *
 * The client runs pingpong's loop (verified echoes, the probe histogram).
 * The server takes whatever arrives: a background message (its sequence
 * stamp carries UNDERLOAD_BG_BIT) is checked like a stream message, in
 * order, and dropped; a probe is checked and echoed.  Background messages
 * of a LOSSY transport (udp) may be lost (counted); a window keeps the
 * flood from overrunning the receive buffer there, so probes are not lost.
 *
 * What the probes waited behind, from three shared counters: S, the
 * background messages sent when the probe was sent; R0 and R1, those the
 * server had taken when the probe was sent and when it arrived.  R1 - R0
 * were taken while the probe waited (it queued behind them); S - R1, when
 * positive, had been sent before the probe and were still queued when it
 * arrived (it overtook them).  Each is exact to the one message in flight
 * in the background sender's send call.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>

#include "harness/clock.h"
#include "harness/payload.h"
#include "harness/side.h"

#define UNDERLOAD_BG_BIT (1ull << 63)
#define UNDERLOAD_LOSSY_WINDOW_BYTES 32768 /* in flight at most, on a LOSSY transport */

bool underload_skip(const struct cell_config *cfg, const struct cell_result *res, char *why, size_t whylen)
{
	const struct transport_ops *ops = cfg->ops;
	size_t unit = res->limits.unit_bytes;

	if (!(ops->flags & TRANSPORT_SECOND_SENDER)) {
		snprintf(why, whylen,
			 "%s cannot take a second sender into its server direction (%s), so underload "
			 "cannot load it",
			 ops->name,
			 ops->kind == CHAN_STREAM ? "a byte stream would interleave the two senders' bytes"
						  : "its ends belong to one sender each");
		return true;
	}
	if (cfg->msg_bytes < 8) {
		snprintf(why, whylen,
			 "underload marks background messages in the 8-byte sequence stamp: a %zu-byte message "
			 "cannot carry it",
			 cfg->msg_bytes);
		return true;
	}
	if (unit && cfg->msg_bytes > unit) {
		snprintf(why, whylen,
			 "a %zu-byte message is %zu kernel messages on %s: a second sender's fragments would "
			 "interleave with the probes'",
			 cfg->msg_bytes, (cfg->msg_bytes + unit - 1) / unit, ops->name);
		return true;
	}
	return false;
}

/* ---- the background sender ---- */

static uint64_t flood_window(const struct side_ctx *s)
{
	uint64_t w = UNDERLOAD_LOSSY_WINDOW_BYTES / (s->len + 1024);

	if (!(s->cfg->ops->flags & TRANSPORT_LOSSY))
		return UINT64_MAX;
	return w ? w : 1;
}

/* LOSSY: waits while the window is full; false when the server is done. */
static bool flood_room(struct underload_ctl *u, uint64_t k, uint64_t window)
{
	while (k - atomic_load_explicit(&u->received, memory_order_relaxed) >= window)
		if (atomic_load(&u->stop))
			return false;
		else
			sched_yield();
	return true;
}

int underload_flood(struct side_ctx *s)
{
	struct underload_ctl *u = &s->ctl->ul;
	uint64_t window = flood_window(s), every_ns = 0;
	struct timespec due;

	if (s->cfg->rate_per_sec > 0)
		every_ns = (uint64_t)(1e9 / s->cfg->rate_per_sec);
	clock_gettime(CLOCK_MONOTONIC, &due);
	atomic_store(&u->started, 1);
	for (uint64_t k = 0;; k++) {
		int r;

		if (atomic_load(&u->stop) || !flood_room(u, k, window))
			break;
		if (every_ns) {
			due.tv_nsec += (long)(every_ns % 1000000000u);
			due.tv_sec += (time_t)(every_ns / 1000000000u) + (due.tv_nsec >= 1000000000);
			due.tv_nsec %= 1000000000;
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
		}
		payload_stamp(s->sbuf, s->len, UNDERLOAD_BG_BIT | k);
		r = chan_send(s->ch, s->sbuf, s->len);
		if (r && atomic_load(&u->stop))
			break; /* the server has gone: what it left unread does not matter */
		if (r)
			return side_transport_fail(s, r, "background send", k);
		atomic_store_explicit(&u->sent, k + 1, memory_order_release);
	}
	return 0;
}

/* ---- the server ---- */

/* A background message with sequence k: checked, counted and dropped. */
static int take_background(struct side_ctx *s, uint64_t k, uint64_t *next, uint64_t *lost)
{
	struct underload_ctl *u = &s->ctl->ul;
	long bad;

	if (k < *next || (k > *next && !(s->cfg->ops->flags & TRANSPORT_LOSSY)))
		return side_fail(s, EPROTO, "background message %llu arrived after %llu", (unsigned long long)k,
				 (unsigned long long)*next - 1);
	bad = payload_check(s->sbuf, s->rbuf, s->len, 8, UNDERLOAD_BG_BIT | k, payload_check_body(s->len, k));
	if (bad >= 0)
		return side_fail(s, EPROTO, "background message %llu: the %zu-byte payload differs at byte %ld",
				 (unsigned long long)k, s->len, bad);
	*lost += k - *next;
	*next = k + 1;
	atomic_store_explicit(&u->received, atomic_load_explicit(&u->received, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	return 0;
}

static int underload_server(struct side_ctx *s)
{
	struct ctl *ctl = s->ctl;
	struct underload_ctl *u = &ctl->ul;
	uint64_t seq = 0, next_bg = 0, lost = 0;

	side_cost_begin(s); /* the whole run: background messages arrive from the start */
	for (;;) {
		uint64_t v;
		bool last;
		int r = chan_recv(s->ch, s->rbuf, s->len);

		if (r)
			return side_transport_fail(s, r, "recv", seq);
		v = payload_seq(s->rbuf, s->len);
		if (v & UNDERLOAD_BG_BIT) {
			if (take_background(s, v & ~UNDERLOAD_BG_BIT, &next_bg, &lost))
				return -1;
			continue;
		}
		if (v != seq)
			return side_fail(s, EPROTO, "probe %llu: arrived with sequence %llu", (unsigned long long)seq,
					 (unsigned long long)v);
		atomic_store_explicit(&u->at_probe, atomic_load_explicit(&u->received, memory_order_relaxed),
				      memory_order_release);
		last = seq + 1 >= atomic_load_explicit(&ctl->total, memory_order_acquire);
		if (last)
			atomic_store(&u->stop, 1); /* before the echo: the client may end the cell on it */
		payload_mark_reply(s->rbuf, s->len);
		r = chan_send(s->ch, s->rbuf, s->len);
		if (r)
			return side_transport_fail(s, r, "send", seq);
		atomic_store_explicit(&ctl->progress[CHAN_SERVER].v, seq + 1, memory_order_relaxed);
		if (last)
			break;
		seq++;
	}
	side_cost_end(s);
	u->res.bg_lost = lost;
	return 0;
}

/* ---- the client ---- */

/* The client's view, in its own process. */
static struct {
	uint64_t s0, r0; /* at this probe's send */
	bool based;
	uint64_t base_sent, base_received;
	struct underload_result res;
} probe;

static void around_probe(struct side_ctx *s, bool after, bool measured)
{
	struct underload_ctl *u = &s->ctl->ul;
	uint64_t r1;

	if (!after) {
		probe.s0 = atomic_load_explicit(&u->sent, memory_order_acquire);
		probe.r0 = atomic_load_explicit(&u->received, memory_order_relaxed);
		if (measured && !probe.based) {
			probe.based = true;
			probe.base_sent = probe.s0;
			probe.base_received = probe.r0;
		}
		return;
	}
	if (!measured)
		return;
	r1 = atomic_load_explicit(&u->at_probe, memory_order_acquire);
	probe.res.probes++;
	probe.res.queued_behind += r1 > probe.r0 ? r1 - probe.r0 : 0;
	probe.res.overtaken += probe.s0 > r1 ? probe.s0 - r1 : 0;
}

static int underload_client(struct side_ctx *s)
{
	struct underload_ctl *u = &s->ctl->ul;
	struct timespec nap = {0, 100000};
	int r;

	/* the probes start under load; the watchdog bounds a sender that never starts */
	while (!atomic_load(&u->started))
		nanosleep(&nap, NULL);
	s->around = around_probe;
	r = pingpong_loops.client(s);
	if (r)
		return r;
	probe.res.bg_sent = atomic_load(&u->sent) - probe.base_sent;
	probe.res.bg_received = atomic_load(&u->received) - probe.base_received;
	u->res.probes = probe.res.probes;
	u->res.bg_sent = probe.res.bg_sent;
	u->res.bg_received = probe.res.bg_received;
	u->res.queued_behind = probe.res.queued_behind;
	u->res.overtaken = probe.res.overtaken;
	return 0;
}

const struct pattern_loops underload_loops = {
	.client = underload_client,
	.server = underload_server,
	.server_records = false,
};

void underload_collect(struct cell_result *res, const struct ctl *ctl)
{
	res->underload = ctl->ul.res;
	if (res->elapsed_ns)
		res->underload.bg_msgs_per_sec = (double)res->underload.bg_received * 1e9 / (double)res->elapsed_ns;
}

void underload_fold(struct underload_result *into, const struct underload_result *r, uint64_t elapsed_ns)
{
	into->probes += r->probes;
	into->bg_sent += r->bg_sent;
	into->bg_received += r->bg_received;
	into->bg_lost += r->bg_lost;
	into->queued_behind += r->queued_behind;
	into->overtaken += r->overtaken;
	into->bg_msgs_per_sec = elapsed_ns ? (double)into->bg_received * 1e9 / (double)elapsed_ns : 0;
}
