/*
 * zmq.c - ZeroMQ (libzmq) sockets between the two processes.
 *
 * The socket pattern follows the cell (struct chan's flow): REQ/REP for
 * pingpong (the client's REQ sends, the server's REP answers; the library
 * enforces the lockstep), PUSH/PULL for stream and rate (client to
 * server only), PAIR/PAIR where the flow is not known (a test driving the
 * hooks directly: both ways, any order).  net=ipc (default): ipc:// over
 * a socket file in the run directory (AF_UNIX underneath: raw transport
 * unix); net=tcp: tcp://127.0.0.1 on an ephemeral port (raw transport
 * tcp).  The server binds in attach() and hands the endpoint it got
 * (ZMQ_LAST_ENDPOINT: the port for tcp://127.0.0.1:*) to the client
 * through create()'s pipe (mqlib.h); the client then connects.
 *
 * Threads: the context (zmq_ctx_new) is made in attach(), after the fork
 * (ZeroMQ does not survive a fork), and starts an I/O thread and a reaper
 * thread on its first socket: each message crosses from the application
 * thread to the I/O thread and the kernel, and back on the other side.
 * detach() closes the socket and terminates the context, which joins them.
 *
 * Messages: one zmq_send() / zmq_recv() per message, which copy between
 * the harness's buffer and ZeroMQ's (zmq_send_const would not copy, but
 * the harness reuses its buffer before ZeroMQ's I/O thread is done with
 * it).  ZMQ_MAXMSGSIZE is the cell's size on the receiving socket (at
 * least 256 bytes: the ZMTP handshake's READY command, which carries the
 * socket type, passes through the same limit, and a connection whose
 * limit is below it never completes); a larger message makes ZeroMQ drop
 * the connection.  A message of any
 * other size than asked is -EPROTO.  A one-way channel's queues
 * (ZMQ_SNDHWM, ZMQ_RCVHWM) hold about 8 MiB of messages (mqlib.h).
 *
 * Dead peer: ZMQ_RCVTIMEO and ZMQ_SNDTIMEO are ch->timeout_ms, so a
 * blocked call returns -ETIMEDOUT.  Linger (the trap): zmq_close() with a
 * linger of 0 discards what the I/O thread has not written yet, which is
 * the REP's last reply or the PUSH's last messages, and the peer then
 * waits for them until its timeout.  ZMQ_LINGER is ch->timeout_ms: the
 * last messages reach a live peer, and a dead one delays detach() by at
 * most the timeout.
 *
 * --wait spin: ZMQ_DONTWAIT calls, polled with chan_relax() (CAN_SPIN).
 * The I/O threads still sleep in epoll; only the application thread
 * spins.  The ipc:// socket file is removed by destroy() (the library
 * leaves it when the server is killed); see mqlib.h.
 */
#include "transports/mqlib.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct transport_option zmq_options[] = {
	[MQLIB_OPT_NET] = MQLIB_NET_OPTION,
	{0},
};

#ifdef HAVE_LIBZMQ
#include <zmq.h>

struct zmq_chan {
	struct mqlib_rdv rdv;
	/* this process's, after attach() */
	pid_t owner; /* the process that attached */
	void *ctx, *sock;
	int flags; /* ZMQ_DONTWAIT when spinning */
};

/* The smallest ZMQ_MAXMSGSIZE: below about 50 bytes the handshake itself is refused. */
#define ZMQ_MIN_MAXMSGSIZE 256

/* [flow][role]: the socket type of each side */
static const int zmq_types[3][2] = {
	[CHAN_FLOW_ANY] = {[CHAN_CLIENT] = ZMQ_PAIR, [CHAN_SERVER] = ZMQ_PAIR},
	[CHAN_FLOW_LOCKSTEP] = {[CHAN_CLIENT] = ZMQ_REQ, [CHAN_SERVER] = ZMQ_REP},
	[CHAN_FLOW_ONE_WAY] = {[CHAN_CLIENT] = ZMQ_PUSH, [CHAN_SERVER] = ZMQ_PULL},
};

static int zmq_probe(struct chan *ch)
{
	int major, minor, patch;

	zmq_version(&major, &minor, &patch);
	if (major < 4)
		return chan_unavailable(ch, ENOTSUP, "libzmq %d.%d.%d: 4.0 or later needed", major, minor, patch);
	ch->limits.max_msg_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "libzmq %d.%d.%d: no message limit of its own (ZMQ_MAXMSGSIZE is set to the cell's size)", major,
		 minor, patch);
	return 0;
}

static int zmq_create(struct chan *ch)
{
	return mqlib_create(ch, &((struct zmq_chan *)ch->priv)->rdv, "zmq");
}

static int zmq_setint(struct chan *ch, int opt, int val, const char *name)
{
	struct zmq_chan *zc = ch->priv;

	if (zmq_setsockopt(zc->sock, opt, &val, sizeof(val)) < 0)
		return chan_fail(ch, errno, "zmq_setsockopt %s=%d", name, val);
	return 0;
}

/* Timeouts, linger, the size limit and the queues, before bind or connect. */
static int zmq_configure(struct chan *ch, enum chan_role role)
{
	struct zmq_chan *zc = ch->priv;
	int ms = ch->timeout_ms > 0 ? ch->timeout_ms : -1, depth = mqlib_queue_depth(ch->msg_bytes);
	/* the ZMTP handshake's READY command (tens of bytes) passes the same limit */
	int64_t max = ch->msg_bytes > ZMQ_MIN_MAXMSGSIZE ? (int64_t)ch->msg_bytes : ZMQ_MIN_MAXMSGSIZE;

	if (zmq_setint(ch, ZMQ_LINGER, ms, "ZMQ_LINGER") || zmq_setint(ch, ZMQ_RCVTIMEO, ms, "ZMQ_RCVTIMEO") ||
	    zmq_setint(ch, ZMQ_SNDTIMEO, ms, "ZMQ_SNDTIMEO"))
		return -ch->err;
	if (ch->flow == CHAN_FLOW_ONE_WAY &&
	    zmq_setint(ch, role == CHAN_CLIENT ? ZMQ_SNDHWM : ZMQ_RCVHWM, depth, "HWM"))
		return -ch->err;
	if ((ch->flow != CHAN_FLOW_ONE_WAY || role == CHAN_SERVER) &&
	    zmq_setsockopt(zc->sock, ZMQ_MAXMSGSIZE, &max, sizeof(max)) < 0)
		return chan_fail(ch, errno, "zmq_setsockopt ZMQ_MAXMSGSIZE=%lld", (long long)max);
	return 0;
}

/* The server binds and hands the endpoint it got to the client. */
static int zmq_bind_and_publish(struct chan *ch)
{
	struct zmq_chan *zc = ch->priv;
	char ep[MQLIB_ENDPOINT_MAX], got[MQLIB_ENDPOINT_MAX];
	size_t len = sizeof(got);

	if (mqlib_bind_endpoint(ch, &zc->rdv, "*", ep, sizeof(ep)))
		return -ch->err;
	if (zmq_bind(zc->sock, ep) < 0)
		return chan_fail(ch, errno, "zmq_bind %s", ep);
	if (zmq_getsockopt(zc->sock, ZMQ_LAST_ENDPOINT, got, &len) < 0)
		return chan_fail(ch, errno, "zmq_getsockopt ZMQ_LAST_ENDPOINT");
	got[sizeof(got) - 1] = 0;
	return mqlib_publish(ch, &zc->rdv, got);
}

static int zmq_attach(struct chan *ch, enum chan_role role)
{
	struct zmq_chan *zc = ch->priv;
	char ep[MQLIB_ENDPOINT_MAX];

	zc->owner = getpid();
	zc->flags = ch->wait == CHAN_WAIT_SPIN ? ZMQ_DONTWAIT : 0;
	mqlib_attach(&zc->rdv, role);
	zc->ctx = zmq_ctx_new();
	if (!zc->ctx)
		return chan_fail(ch, errno, "zmq_ctx_new");
	zc->sock = zmq_socket(zc->ctx, zmq_types[ch->flow][role]);
	if (!zc->sock)
		return chan_fail(ch, errno, "zmq_socket");
	if (zmq_configure(ch, role))
		return -ch->err;
	if (role == CHAN_SERVER)
		return zmq_bind_and_publish(ch);
	if (mqlib_wait_endpoint(ch, &zc->rdv, ep, sizeof(ep)))
		return -ch->err;
	if (zmq_connect(zc->sock, ep) < 0)
		return chan_fail(ch, errno, "zmq_connect %s", ep);
	return 0;
}

static int zmq_xfer(struct chan *ch, void *buf, size_t len, bool tx)
{
	struct zmq_chan *zc = ch->priv;
	const char *call = tx ? "zmq_send" : "zmq_recv";
	uint64_t deadline = 0;
	unsigned turns = 0;

	for (;;) {
		int n = tx ? zmq_send(zc->sock, buf, len, zc->flags) : zmq_recv(zc->sock, buf, len, zc->flags);

		if (n >= 0 && (size_t)n == len)
			return 0;
		if (n >= 0) /* zmq_recv truncates to len and returns the message's size */
			return chan_fail(ch, EPROTO, "%s: a %d-byte message where %zu were expected", call, n, len);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return chan_fail(ch, errno, "%s %zu bytes", call, len);
		if (!zc->flags)
			return chan_fail(ch, ETIMEDOUT, "%s: nothing for %d ms (peer gone?)", call, ch->timeout_ms);
		if (mqlib_spin_turn(ch, &deadline, &turns, call))
			return -ch->err;
	}
}

static int zmq_chan_send(struct chan *ch, const void *buf, size_t len)
{
	return zmq_xfer(ch, (void *)buf, len, true);
}

static int zmq_chan_recv(struct chan *ch, void *buf, size_t len)
{
	return zmq_xfer(ch, buf, len, false);
}

static void zmq_detach(struct chan *ch)
{
	struct zmq_chan *zc = ch->priv;

	if (zc->sock) {
		zmq_close(zc->sock); /* lingers up to the timeout for what is not written yet */
		zc->sock = NULL;
	}
	if (zc->ctx) {
		while (zmq_ctx_term(zc->ctx) < 0 && errno == EINTR)
			;
		zc->ctx = NULL;
	}
	mqlib_detach(&zc->rdv);
}

static void zmq_destroy(struct chan *ch)
{
	struct zmq_chan *zc = ch->priv;

	/* a process that attached and closes without detaching (a test as the client) */
	if (zc->owner == getpid())
		zmq_detach(ch);
	mqlib_destroy(&zc->rdv);
}

#else /* !HAVE_LIBZMQ: registered, and unavailable with the package to install */

struct zmq_chan {
	int unused;
};

static int zmq_probe(struct chan *ch)
{
	return mqlib_absent(ch, "libzmq", "libzmq3-dev");
}

#define zmq_create mqlib_absent_create
#define zmq_attach mqlib_absent_attach
#define zmq_chan_send mqlib_absent_send
#define zmq_chan_recv mqlib_absent_recv
#define zmq_detach mqlib_absent_destroy
#define zmq_destroy mqlib_absent_destroy
#endif

const struct transport_ops zmq_ops = {
	.name = "zmq",
	.summary = "ZeroMQ REQ/REP (pingpong), PUSH/PULL (stream) over ipc:// (net=tcp: tcp://127.0.0.1)",
	.kind = CHAN_MESSAGE,
	.flags = TRANSPORT_CAN_SPIN,
	.priv_size = sizeof(struct zmq_chan),
	.options = zmq_options,
	.raw_of = mqlib_raw_of,
	.probe = zmq_probe,
	.create = zmq_create,
	.attach = zmq_attach,
	.send = zmq_chan_send,
	.recv = zmq_chan_recv,
	.detach = zmq_detach,
	.destroy = zmq_destroy,
};
