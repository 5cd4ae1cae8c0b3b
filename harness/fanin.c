/*
 * fanin.c - the server of a --clients cell.
 *
 * One process serves every client of one fan-in channel: it takes the
 * next whole message from whichever client sent it (recv_any), checks it
 * against that client's own sequence, marks it and echoes it to that
 * client (send_to).  Each client is the ordinary ping-pong client on its
 * own shared page (pingpong.c): it stamps, times and verifies its round
 * trips and records them in its own histogram, so the cell has one
 * histogram per client and the merged one.  The server stops once every
 * client has had its last message (each client's page says how many: it
 * lowers its total before sending its last one, as with one client).  A
 * client whose connection ends before that is an error naming it.
 */
#include "harness/fanin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness/payload.h"

static struct ctl *client_ctl(const struct fanin_side *f, unsigned int i)
{
	return (struct ctl *)((char *)f->ctl + (size_t)i * f->slot_bytes);
}

/* One request from some client, answered; *done counts the clients that had their last one. */
static int serve_one(struct fanin_side *f, uint64_t *seen, unsigned int *done)
{
	struct side_ctx *s = &f->s;
	unsigned int c = UINT32_MAX;
	int r = chan_recv_any(s->ch, s->rbuf, s->len, &c);
	struct ctl *cc;

	if (r == -EPIPE && c < f->n) {
		if (seen[c] >= atomic_load(&client_ctl(f, c)->total))
			return 0; /* that client is done and has gone */
		return side_fail(s, EPIPE, "client %u gone after %llu messages", c, (unsigned long long)seen[c]);
	}
	if (r)
		return side_transport_fail(s, r, "recv", seen[c < f->n ? c : 0]);
	if (c >= f->n)
		return side_fail(s, EPROTO, "a message from client %u of %u", c, f->n);
	if (!payload_seq_is(s->rbuf, s->len, seen[c]))
		return side_fail(s, EPROTO, "client %u message %llu: arrived with sequence %llu", c,
				 (unsigned long long)seen[c], (unsigned long long)payload_seq(s->rbuf, s->len));
	payload_mark_reply(s->rbuf, s->len);
	r = chan_send_to(s->ch, c, s->rbuf, s->len);
	if (r)
		return side_fail(s, -r, "send to client %u message %llu: %s", c, (unsigned long long)seen[c],
				 s->ch->errmsg[0] ? s->ch->errmsg : strerror(-r));
	cc = client_ctl(f, c);
	seen[c]++;
	atomic_store_explicit(&cc->progress[CHAN_SERVER].v, seen[c], memory_order_relaxed);
	if (seen[c] >= atomic_load_explicit(&cc->total, memory_order_acquire))
		++*done;
	return 0;
}

static int fanin_server(struct side_ctx *s)
{
	struct fanin_side *f = (struct fanin_side *)s;
	uint64_t *seen = calloc(f->n, sizeof(*seen)), handled = 0, warm = (uint64_t)f->n * s->cfg->warmup;
	unsigned int done = 0;
	int r = 0;

	if (!seen)
		return side_fail(s, ENOMEM, "the server's count of %u clients", f->n);
	/* the cost covers the measured phase: from when the clients' warm-ups add up */
	if (!warm)
		side_cost_begin(s);
	while (done < f->n) {
		r = serve_one(f, seen, &done);
		if (r)
			break;
		if (++handled == warm)
			side_cost_begin(s);
	}
	if (!r)
		side_cost_end(s);
	free(seen);
	return r;
}

const struct pattern_loops fanin_loops = {
	.server = fanin_server,
	.server_records = false,
};

bool fanin_skip(const struct cell_config *cfg, struct cell_result *res)
{
	const struct transport_ops *ops = cfg->ops;

	if (!(ops->flags & TRANSPORT_FAN_IN))
		snprintf(res->reason, sizeof(res->reason),
			 "%s serves one client only: one server cannot tell several clients apart on it (no fan-in)",
			 ops->name);
	else if (cfg->pattern != PATTERN_PINGPONG)
		snprintf(res->reason, sizeof(res->reason),
			 "--clients measures round trips from each client to one server: the pingpong pattern only, "
			 "not %s",
			 pattern_name(cfg->pattern));
	else
		return false;
	res->status = CELL_SKIPPED;
	return true;
}
