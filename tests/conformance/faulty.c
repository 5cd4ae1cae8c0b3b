/*
 * faulty.c - the corrupting wrapper transport (see faulty.h).
 */
#include "tests/conformance/faulty.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Each process's own counters, at the start of the wrapper's priv. */
struct faulty_state {
	uint64_t sends;
	uint64_t recvs;
	uint8_t *held; /* REORDER: the message held back */
	size_t held_len;
};

/* The wrapped transport's priv starts here: 64 keeps calloc's alignment and a cache line apart. */
#define FAULTY_PRIV_OFF 64
_Static_assert(sizeof(struct faulty_state) <= FAULTY_PRIV_OFF, "faulty_state outgrew its slot");

struct faulty_swap {
	const struct transport_ops *ops;
	void *priv;
};

static const struct faulty *faulty_of(const struct chan *ch)
{
	return (const struct faulty *)((const char *)ch->ops - offsetof(struct faulty, ops));
}

/* Switches ch to the wrapped transport's view (ops and priv) for one call. */
static void faulty_enter(struct chan *ch, struct faulty_swap *sw)
{
	sw->ops = ch->ops;
	sw->priv = ch->priv;
	ch->ops = faulty_of(ch)->inner;
	ch->priv = ch->priv ? (char *)ch->priv + FAULTY_PRIV_OFF : NULL;
}

static void faulty_leave(struct chan *ch, const struct faulty_swap *sw)
{
	ch->ops = sw->ops;
	ch->priv = sw->priv;
}

static int inner_send(struct chan *ch, const void *buf, size_t len)
{
	struct faulty_swap sw;
	int r;

	faulty_enter(ch, &sw);
	r = ch->ops->send(ch, buf, len);
	faulty_leave(ch, &sw);
	return r;
}

static int inner_recv(struct chan *ch, void *buf, size_t len)
{
	struct faulty_swap sw;
	int r;

	faulty_enter(ch, &sw);
	r = ch->ops->recv(ch, buf, len);
	faulty_leave(ch, &sw);
	return r;
}

static int faulty_probe(struct chan *ch)
{
	struct faulty_swap sw;
	int r = 0;

	faulty_enter(ch, &sw);
	if (ch->ops->probe)
		r = ch->ops->probe(ch);
	faulty_leave(ch, &sw);
	return r;
}

static int faulty_create(struct chan *ch)
{
	struct faulty_swap sw;
	int r;

	faulty_enter(ch, &sw);
	r = ch->ops->create(ch);
	faulty_leave(ch, &sw);
	return r;
}

static int faulty_attach(struct chan *ch, enum chan_role role)
{
	struct faulty_swap sw;
	int r;

	faulty_enter(ch, &sw);
	r = ch->ops->attach(ch, role);
	faulty_leave(ch, &sw);
	return r;
}

static void faulty_detach(struct chan *ch)
{
	struct faulty_state *st = ch->priv;
	struct faulty_swap sw;

	free(st->held);
	st->held = NULL;
	faulty_enter(ch, &sw);
	if (ch->ops->detach)
		ch->ops->detach(ch);
	faulty_leave(ch, &sw);
}

static void faulty_destroy(struct chan *ch)
{
	struct faulty_swap sw;

	faulty_enter(ch, &sw);
	ch->ops->destroy(ch);
	faulty_leave(ch, &sw);
}

static int faulty_reorder(struct chan *ch, struct faulty_state *st, uint64_t k, const void *buf, size_t len)
{
	const struct faulty_config *fc = &faulty_of(ch)->cfg;
	int r;

	if (k == fc->at) {
		st->held = malloc(len);
		if (!st->held)
			return chan_fail(ch, ENOMEM, "faulty: holding back message %llu", (unsigned long long)k);
		memcpy(st->held, buf, len);
		st->held_len = len;
		return 0; /* reported sent; goes down after the next one */
	}
	r = inner_send(ch, buf, len);
	if (r || !st->held)
		return r;
	r = inner_send(ch, st->held, st->held_len);
	free(st->held);
	st->held = NULL;
	return r;
}

static int faulty_send(struct chan *ch, const void *buf, size_t len)
{
	const struct faulty_config *fc = &faulty_of(ch)->cfg;
	struct faulty_state *st = ch->priv;
	uint64_t k = st->sends++;
	int r;

	if (ch->role != fc->role)
		return inner_send(ch, buf, len);
	if (fc->kind == FAULTY_REORDER && (k == fc->at || k == fc->at + 1))
		return faulty_reorder(ch, st, k, buf, len);
	if (k != fc->at)
		return inner_send(ch, buf, len);
	switch (fc->kind) {
	case FAULTY_DROP:
		return 0;
	case FAULTY_DUPLICATE:
		r = inner_send(ch, buf, len);
		return r ? r : inner_send(ch, buf, len);
	case FAULTY_TRUNCATE: {
		size_t cut = fc->cut ? fc->cut : 1;

		if (len < 2)
			return inner_send(ch, buf, len);
		return inner_send(ch, buf, len - (cut < len ? cut : len - 1));
	}
	default:
		return inner_send(ch, buf, len);
	}
}

static int faulty_recv(struct chan *ch, void *buf, size_t len)
{
	const struct faulty_config *fc = &faulty_of(ch)->cfg;
	struct faulty_state *st = ch->priv;
	uint64_t k = st->recvs++;
	bool now = ch->role == fc->role && k == fc->at;
	long at;
	int r;

	if (now && fc->kind == FAULTY_EXIT)
		_exit(3); /* abruptly, leaving everything as it is */
	if (now && fc->kind == FAULTY_HANG)
		for (;;)
			pause(); /* until the watchdog kills us */
	r = inner_recv(ch, buf, len);
	if (r || !now || fc->kind != FAULTY_FLIP)
		return r;
	at = fc->offset >= 0 ? fc->offset : (long)len + fc->offset;
	if (at >= 0 && (size_t)at < len)
		((uint8_t *)buf)[at] ^= 0xff;
	return 0;
}

const char *faulty_kind_name(enum faulty_kind k)
{
	static const char *const names[] = {"none", "flip", "truncate", "drop", "duplicate", "reorder", "exit", "hang"};

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

const struct transport_ops *faulty_wrap(struct faulty *f, const struct transport_ops *inner,
					const struct faulty_config *cfg)
{
	memset(f, 0, sizeof(*f));
	f->inner = inner;
	f->cfg = *cfg;
	snprintf(f->name, sizeof(f->name), "faulty_%s", inner->name);
	snprintf(f->summary, sizeof(f->summary), "%s, with a %s fault", inner->summary, faulty_kind_name(cfg->kind));
	f->ops = (struct transport_ops){
		.name = f->name,
		.summary = f->summary,
		.kind = inner->kind,
		.flags = inner->flags,
		.priv_size = FAULTY_PRIV_OFF + inner->priv_size,
		.options = inner->options, /* the inner hooks read their options through this table */
		.probe = faulty_probe,
		.create = faulty_create,
		.attach = faulty_attach,
		.send = faulty_send,
		.recv = faulty_recv,
		.detach = faulty_detach,
		.destroy = faulty_destroy,
	};
	return &f->ops;
}
