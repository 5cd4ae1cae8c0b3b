/*
 * skeleton.c - a complete, working transport that documents every hook
 * (after fio's engines/skeleton_external.c).  It is compiled but not
 * registered: the conformance suite runs it through the same cases as
 * the registered ones (tests/conformance/test_transports.c), so this
 * file cannot drift from the contract it describes.  Start a new
 * mechanism from a copy of it.
 *
 * The mechanism here is deliberately plain: two pipes, one per
 * direction, moved with the fdio helpers.  pipe.c does the same with the
 * shared fd_chan hooks; this file spells every hook out instead.
 *
 * The life of a channel, and who calls what (transport.h):
 *
 *	parent	probe()		optional; may run many times, also for `ipcbench list`
 *	parent	create()	once per cell, before fork
 *	fork	server, then client: each inherits priv as create() left it
 *	child	attach(role)	once, in each child
 *	child	send()/recv()	the pattern loop, in each child
 *	child	detach()	optional, once, in each child before it exits
 *	parent	destroy()	after both children are reaped, also after a
 *				failed create(); idempotent
 *
 * Every hook returns 0 or -errno and records the first error with
 * chan_fail() (chan_unavailable() in probe); no hook prints, exits,
 * touches a signal disposition or includes harness/ or bench/.
 *
 * Options (transport.h): the knobs of the mechanism, declared as data
 * below, parsed and range-checked by bench/ before any fork, read with
 * chan_opt() in any hook, checked against the host and recorded as the
 * kernel granted them in probe().  This one has bufsize, each pipe's
 * buffer (F_SETPIPE_SZ), as pipe.c has through pipebuf.h.
 *
 * Registering a new transport: name the file after its CLI name, end it
 * with its const table, add one line to registry.c, describe its
 * semantics, limits and ordering traps in the opening comment (as here).
 */
#include "transports/chan_util.h"
#include "transports/fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

/*
 * Per-channel state: priv_size zeroed bytes the engine allocates before
 * create() and frees after destroy().  What create() writes here every
 * child inherits (fork copies it); what a child writes afterwards stays
 * in that child.  Never keep pointers into the parent's heap here for a
 * child to free, and never assume a zero fd is "none": 0 is a valid fd,
 * so keep an explicit flag or -1.
 */
struct skeleton_priv {
	int c2s[2];   /* client to server: [0] read end, [1] write end */
	int s2c[2];   /* server to client */
	bool made;    /* create() opened all four fds */
	int rfd, wfd; /* this side's ends, after attach() */
};

/*
 * The options: indexed by an enum of this file, designated initializers,
 * a {0} sentinel.  A value outside min..max is a usage error before any
 * fork; def_text "host" means "the host's default, left alone" (def is
 * then 0 and chan_opt_given() is false unless the user set it).  At most
 * TRANSPORT_MAX_OPTIONS.  `ipcbench list -t NAME` prints this table.
 */
enum { SKELETON_OPT_BUFSIZE };

static const struct transport_option skeleton_options[] = {
	[SKELETON_OPT_BUFSIZE] = {.name = "bufsize",
				  .type = TOPT_SIZE,
				  .def_text = "host",
				  .min = 4096,
				  .max = 1 << 20,
				  .help = "each pipe's buffer (F_SETPIPE_SZ); the kernel rounds it up to pages"},
	{0},
};

/*
 * probe() - optional.  Called in the parent, possibly many times, with a
 * zeroed struct chan (only ops set; no run_dir, no priv).  Reads the live
 * host and fills ch->limits: max_msg_bytes (0: no limit of its own),
 * unit_bytes (0: not fragmented) and a note naming where the limits come
 * from.  It must not leave anything behind (close what it opens).
 *
 * Returns 0 when the mechanism is usable.  A host that lacks it (no
 * kernel support, a sysctl or rlimit that rules it out) returns
 * chan_unavailable(), and the cell is skipped with that message, which
 * should say what would enable it.  Any other failure (EMFILE, ENOMEM) is
 * chan_fail(): the cell is an error, never a silent skip.
 *
 * Options: ch->limits.opt[] starts as what was asked (the default where
 * not given).  Try what was given on a scratch object and record with
 * chan_opt_record() what the kernel granted (here F_GETPIPE_SZ after
 * F_SETPIPE_SZ, which rounds up): that is what the result records.  What
 * the host refuses (a sysctl, a capability) is chan_unavailable() naming it.
 */
static int skeleton_probe(struct chan *ch)
{
	int fds[2], sz, e;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return chan_fail(ch, errno, "pipe2");
	if (chan_opt_given(ch, SKELETON_OPT_BUFSIZE))
		fcntl(fds[1], F_SETPIPE_SZ, (int)chan_opt(ch, SKELETON_OPT_BUFSIZE));
	sz = fcntl(fds[0], F_GETPIPE_SZ);
	e = errno;
	close(fds[0]);
	close(fds[1]);
	if (sz < 0)
		return chan_fail(ch, e, "F_GETPIPE_SZ");
	if (chan_opt_given(ch, SKELETON_OPT_BUFSIZE) && sz < chan_opt(ch, SKELETON_OPT_BUFSIZE))
		return chan_unavailable(ch, EPERM,
					"bufsize=%lld: refused (above fs.pipe-max-size without CAP_SYS_RESOURCE)",
					chan_opt(ch, SKELETON_OPT_BUFSIZE));
	chan_opt_record(ch, SKELETON_OPT_BUFSIZE, sz);
	ch->limits.max_msg_bytes = 0;
	ch->limits.unit_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note), "a byte stream: two pipes of %d bytes (F_GETPIPE_SZ)", sz);
	return 0;
}

/*
 * create() - required.  In the parent, once per cell, before the fork.
 * ch->msg_bytes, wait, run_dir, tag, timeout_ms and peer_same_cpu are
 * set; ch->limits holds what probe() found.  Make every kernel object
 * the cell needs for messages of up to msg_bytes, so both children
 * inherit it or can open it by name.  Names go in ch->run_dir (0700)
 * built with chan_path(), or start with ch->tag in a kernel namespace;
 * an object that outlives its creator (SysV ids, POSIX names) is noted
 * with chan_ledger_add() so `ipcbench clean` can remove it after a crash.
 *
 * On failure return -errno after chan_fail(); the engine then calls
 * destroy(), so create() may leave a partial state that destroy() can
 * undo.  Do not fork, do not wait for anything.
 */
static int skeleton_create(struct chan *ch)
{
	struct skeleton_priv *sk = ch->priv;

	if (pipe2(sk->c2s, O_CLOEXEC) < 0)
		return chan_fail(ch, errno, "pipe2 client to server");
	if (pipe2(sk->s2c, O_CLOEXEC) < 0) {
		int e = errno;

		close(sk->c2s[0]);
		close(sk->c2s[1]);
		return chan_fail(ch, e, "pipe2 server to client");
	}
	sk->made = true;
	/* options apply where the objects are made; an option not given leaves the host's default */
	if (!chan_opt_given(ch, SKELETON_OPT_BUFSIZE))
		return 0;
	for (int i = 0; i < 2; i++) {
		int fd = i ? sk->s2c[1] : sk->c2s[1];

		if (fcntl(fd, F_SETPIPE_SZ, (int)chan_opt(ch, SKELETON_OPT_BUFSIZE)) < 0)
			return chan_fail(ch, errno, "F_SETPIPE_SZ %lld", chan_opt(ch, SKELETON_OPT_BUFSIZE));
	}
	return 0;
}

/*
 * attach() - required.  In each child after the fork, once, with the
 * role (also in ch->role).  Open, connect or map what this side needs,
 * close what belongs to the other side (a pipe whose write end stays open
 * in the reader never reports end of file), and apply ch->wait: a
 * transport flagged TRANSPORT_CAN_SPIN makes its receive non-blocking for
 * CHAN_WAIT_SPIN.  The peer may not have attached yet: attach() must not
 * wait for it unless the mechanism needs a rendezvous (unix.c's accept,
 * fifo.c's opens, in an order that cannot deadlock).
 */
static int skeleton_attach(struct chan *ch, enum chan_role role)
{
	struct skeleton_priv *sk = ch->priv;
	bool client = role == CHAN_CLIENT;
	int r;

	sk->rfd = client ? sk->s2c[0] : sk->c2s[0];
	sk->wfd = client ? sk->c2s[1] : sk->s2c[1];
	close(client ? sk->s2c[1] : sk->c2s[1]);
	close(client ? sk->c2s[0] : sk->s2c[0]);
	if (ch->wait != CHAN_WAIT_SPIN)
		return 0;
	r = fdio_set_nonblock(sk->rfd, true);
	if (!r)
		r = fdio_set_nonblock(sk->wfd, true);
	return r ? chan_fail(ch, -r, "fcntl O_NONBLOCK") : 0;
}

/*
 * send() - required.  In a child, in the timed loop: move exactly len
 * bytes (1 <= len <= msg_bytes) from buf, which the engine owns, or
 * fail.  Loop over short writes and EINTR (a byte stream) or send one
 * record (CHAN_MESSAGE; a wrong size is -EPROTO).  A peer that has gone
 * is -EPIPE, a wait longer than ch->timeout_ms is -ETIMEDOUT.  No
 * allocation, no printing, no clock reading beyond what a bounded wait
 * needs: everything here is inside the measured span.
 */
static int skeleton_send(struct chan *ch, const void *buf, size_t len)
{
	return fdio_write_all(ch, ((struct skeleton_priv *)ch->priv)->wfd, buf, len);
}

/*
 * recv() - required.  Same rules as send(): exactly len bytes into buf.
 * A stream transport may deliver one write in several reads or several
 * writes in one; the engine's fixed size delimits messages.  End of file
 * before len bytes is -EPIPE.
 */
static int skeleton_recv(struct chan *ch, void *buf, size_t len)
{
	return fdio_read_all(ch, ((struct skeleton_priv *)ch->priv)->rfd, buf, len);
}

/*
 * detach() - optional.  In each child once the pattern is done, before it
 * exits (not after a crash: the kernel then closes fds and unmaps memory,
 * and destroy() still runs in the parent).  Let go of what attach() took
 * and tell the peer, if the mechanism needs telling (ring.c marks the
 * side gone and wakes a sleeping peer).
 */
static void skeleton_detach(struct chan *ch)
{
	struct skeleton_priv *sk = ch->priv;

	fdio_close(&sk->rfd);
	fdio_close(&sk->wfd);
}

/*
 * destroy() - required.  In the parent after both children are reaped,
 * also after a failed create() or an interrupted cell, and on a zeroed
 * priv (create() never ran): remove every object create() made.
 * Idempotent: a second call does nothing.  It runs in the parent, so it
 * sees create()'s state, not what the children wrote.
 */
static void skeleton_destroy(struct chan *ch)
{
	struct skeleton_priv *sk = ch->priv;

	if (!sk->made)
		return;
	for (int i = 0; i < 2; i++) {
		close(sk->c2s[i]);
		close(sk->s2c[i]);
	}
	sk->made = false;
}

/*
 * The table: name == file stem == CLI name, a one-line summary for
 * `ipcbench list`, the kind (CHAN_STREAM: a byte stream; CHAN_MESSAGE:
 * record boundaries kept), capability flags as data (transport.h), and
 * priv_size, and the options array.  Not in registry.c: this transport exists to be read and
 * tested.
 */
const struct transport_ops skeleton_ops = {
	.name = "skeleton",
	.summary = "the documented example: two pipes, every hook spelled out (not registered)",
	.kind = CHAN_STREAM,
	.flags = TRANSPORT_CAN_SPIN,
	.priv_size = sizeof(struct skeleton_priv),
	.options = skeleton_options,
	.probe = skeleton_probe,
	.create = skeleton_create,
	.attach = skeleton_attach,
	.send = skeleton_send,
	.recv = skeleton_recv,
	.detach = skeleton_detach,
	.destroy = skeleton_destroy,
};
