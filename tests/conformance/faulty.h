/*
 * faulty.h - a test-only transport that wraps a real one and misbehaves on
 * purpose: it flips a byte, truncates, drops, duplicates or reorders one
 * message, or makes one side exit or hang, so the tests can prove that the
 * harness notices (the payload checks, the watchdog) and says what was
 * wrong.  Linked into the test binaries only (non-test_*.c files under
 * tests/conformance/ are), never into ipcbench.
 *
 *	struct faulty f;
 *	struct faulty_config fc = {.kind = FAULTY_FLIP, .role = CHAN_CLIENT, .at = 10};
 *	cfg.ops = faulty_wrap(&f, &pipe_ops, &fc);
 *	cell_run(&cfg, &res);	// res.status == CELL_ERROR, res.reason says why
 *
 * The wrapper is an ordinary ops table (struct faulty's first member), so
 * whatever drives transports (cell_run, chan_open) drives it unchanged.
 * Its priv holds a small per-process state followed by the wrapped
 * transport's own priv; every hook of the wrapped table is called with
 * ch->ops and ch->priv switched to the wrapped ones for the duration of the
 * call, so the wrapped transport sees exactly the channel it would see
 * unwrapped (its errors land in ch->err/ch->errmsg as usual).  Not safe
 * with a transport that touches ch from a thread of its own.
 *
 * Counting: `at` is the 0-based index of the faulty side's send (or
 * receive) calls, warm-up included, which in every pattern is the message's
 * sequence number.  struct faulty must stay alive and unchanged until the
 * cell's children have exited (they read it through ch->ops).
 */
#ifndef IPCBENCH_TESTS_FAULTY_H
#define IPCBENCH_TESTS_FAULTY_H

#include <stddef.h>
#include <stdint.h>

#include "transports/transport.h"

enum faulty_kind {
	FAULTY_NONE,	  /* pass everything through (the wrapper alone must not change a result) */
	FAULTY_FLIP,	  /* receive `at` arrives with byte `offset` inverted */
	FAULTY_TRUNCATE,  /* send `at` passes len - cut bytes down and reports the whole sent */
	FAULTY_DROP,	  /* send `at` reports success and sends nothing */
	FAULTY_DUPLICATE, /* send `at` goes down twice */
	FAULTY_REORDER,	  /* send `at` is held back and goes down after send at+1 */
	FAULTY_EXIT,	  /* instead of receive `at`, the process _exit()s with status 3 */
	FAULTY_HANG,	  /* instead of receive `at`, the process sleeps until it is killed */
};

struct faulty_config {
	enum faulty_kind kind;
	enum chan_role role; /* the side that misbehaves */
	uint64_t at;	     /* which of its sends (TRUNCATE, DROP, DUPLICATE, REORDER) or receives */
	long offset;	     /* FLIP: the byte to invert; negative counts from the end (-1: the last) */
	size_t cut;	     /* TRUNCATE: bytes left out (at least 1, at most len - 1) */
};

struct faulty {
	struct transport_ops ops; /* the wrapper: give &f->ops (the return value) to the harness */
	const struct transport_ops *inner;
	struct faulty_config cfg;
	char name[64];
	char summary[160];
};

/* Fills f to wrap inner with the fault cfg describes; returns &f->ops. */
const struct transport_ops *faulty_wrap(struct faulty *f, const struct transport_ops *inner,
					const struct faulty_config *cfg);
const char *faulty_kind_name(enum faulty_kind k);

#endif
