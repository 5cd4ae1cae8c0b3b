/*
 * zmq.c - ZeroMQ (libzmq) sockets between the two processes.
 *
 * The socket pattern follows the cell (struct chan's flow): REQ/REP for
 * pingpong (the client's REQ sends, the server's REP answers; the library
 * enforces the lockstep), PUSH/PULL for stream and rate (client to
 * server only), PAIR/PAIR where the flow is not known (a test driving the
 * hooks directly: both ways, any order).  net=ipc (default): ipc:// over
 * a socket file in the run directory (AF_UNIX underneath: raw transport
 * unix); net=tcp: tcp:// on a port create() reserved, on 127.0.0.1 or,
 * under serve, the address the remote client reached (raw transport
 * tcp).  create() puts the whole endpoint in priv (mqlib.h), so a peer
 * that gets only priv's bytes finds the server by name (--peers exec,
 * serve): the server binds it in attach(), the client connects to it and
 * ZeroMQ reconnects every MQLIB_RETRY_MS until the server listens.
 *
 * Fan-in (--clients): one ROUTER serves N REQ clients, ZeroMQ's own
 * multiplexing over one listener; each client sets the routing id 'c' and
 * its index, so the ROUTER's envelope ([id][empty][body]) names the
 * client recv_any() returns and send_to() answers.  ZMQ_ROUTER_MANDATORY
 * makes a reply to a client that has gone an error (-EPIPE) instead of a
 * silent drop; a client that dies is otherwise noticed by the timeout.
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
 * most the timeout.  Linger is not enough either: it ends once the I/O
 * thread has written everything to the kernel, and the sender then
 * exits.  A receiver whose queue is full (RCVHWM: a stream cell of more
 * messages than it holds) has stopped reading its socket; when the hang-up
 * arrives its engine (libzmq 4.3's stream_engine_base: in_event with input
 * stopped sets _io_error, restart_input then ends the connection) drains
 * only the bytes it had already read and drops what is still in the
 * kernel's buffer: the server saw ~1116 of 1300 messages, then timed out.
 * So the side whose last call was a send waits in detach(), at most the
 * timeout (100 ms where the flow is unknown, as nng.c), until its peer
 * has hung up every connection (ZMQ_EVENT_DISCONNECTED from a
 * zmq_socket_monitor started in attach(): no cost per message).
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

#include "common/mono.h"

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
	void *mon;	/* PAIR reading sock's connection events (zmq_socket_monitor) */
	int flags;	/* ZMQ_DONTWAIT when spinning */
	bool sent_last; /* the last call was a send: wait for the peer to hang up before closing */
};

/* The monitor's endpoint: inproc names are per context, and each channel has its own context. */
#define ZMQ_MON_EP "inproc://ipcbench-zmq-monitor"
#define ZMQ_MON_EVENTS (ZMQ_EVENT_CONNECTED | ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED)
#define ZMQ_ANY_WAIT_MS 100 /* the wait before closing where the flow is unknown (as nng.c) */

#define ZMQ_FAN_IN TRANSPORT_FAN_IN

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

static void zmq_adopt(struct chan *ch)
{
	struct zmq_chan *zc = ch->priv;

	mqlib_adopt(&zc->rdv);
	zc->owner = 0;
	zc->ctx = zc->sock = zc->mon = NULL;
	zc->sent_last = false;
}

/* A fan-in client's routing id: 'c' and its index, big-endian (an id must not begin with 0). */
#define ZMQ_ID_BYTES 5

static void zmq_id_of(unsigned int client, uint8_t id[ZMQ_ID_BYTES])
{
	id[0] = 'c';
	for (int i = 0; i < 4; i++)
		id[1 + i] = (uint8_t)(client >> (24 - 8 * i));
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

/* The server binds the endpoint create() fixed; the client connects to it (retried until the server listens). */
static int zmq_bind_or_connect(struct chan *ch, enum chan_role role)
{
	struct zmq_chan *zc = ch->priv;
	const char *ep = zc->rdv.endpoint;
	int r;

	if (role == CHAN_SERVER) {
		r = zmq_bind(zc->sock, ep);
		mqlib_release(&zc->rdv); /* after the bind: the port is the listener's now */
		return r < 0 ? chan_fail(ch, errno, "zmq_bind %s", ep) : 0;
	}
	mqlib_release(&zc->rdv);
	if (zmq_setint(ch, ZMQ_RECONNECT_IVL, MQLIB_RETRY_MS, "ZMQ_RECONNECT_IVL"))
		return -ch->err;
	if (zmq_connect(zc->sock, ep) < 0)
		return chan_fail(ch, errno, "zmq_connect %s", ep);
	return 0;
}

/* A fan-in channel: one ROUTER serves every client's REQ, each known by the routing id it sets. */
static int zmq_fanin_socket(struct chan *ch, enum chan_role role)
{
	struct zmq_chan *zc = ch->priv;
	uint8_t id[ZMQ_ID_BYTES];

	zc->sock = zmq_socket(zc->ctx, role == CHAN_SERVER ? ZMQ_ROUTER : ZMQ_REQ);
	if (!zc->sock)
		return chan_fail(ch, errno, "zmq_socket");
	if (role == CHAN_SERVER) /* a reply to a client that has gone fails instead of vanishing */
		return zmq_setint(ch, ZMQ_ROUTER_MANDATORY, 1, "ZMQ_ROUTER_MANDATORY");
	zmq_id_of(ch->client, id);
	if (zmq_setsockopt(zc->sock, ZMQ_ROUTING_ID, id, sizeof(id)) < 0)
		return chan_fail(ch, errno, "zmq_setsockopt ZMQ_ROUTING_ID (client %u)", ch->client);
	return 0;
}

/* sock's connection events into zc->mon, before bind or connect so that none is missed. */
static int zmq_monitor_start(struct chan *ch)
{
	struct zmq_chan *zc = ch->priv;
	int zero = 0;

	if (zmq_socket_monitor(zc->sock, ZMQ_MON_EP, ZMQ_MON_EVENTS) < 0)
		return chan_fail(ch, errno, "zmq_socket_monitor " ZMQ_MON_EP);
	zc->mon = zmq_socket(zc->ctx, ZMQ_PAIR);
	if (!zc->mon)
		return chan_fail(ch, errno, "zmq_socket (the monitor's PAIR)");
	if (zmq_setsockopt(zc->mon, ZMQ_LINGER, &zero, sizeof(zero)) < 0 || zmq_connect(zc->mon, ZMQ_MON_EP) < 0)
		return chan_fail(ch, errno, "zmq_connect " ZMQ_MON_EP);
	return 0;
}

static int zmq_attach(struct chan *ch, enum chan_role role)
{
	struct zmq_chan *zc = ch->priv;

	zc->owner = getpid();
	zc->flags = ch->wait == CHAN_WAIT_SPIN ? ZMQ_DONTWAIT : 0;
	zc->ctx = zmq_ctx_new();
	if (!zc->ctx)
		return chan_fail(ch, errno, "zmq_ctx_new");
	if (ch->nclients) {
		if (zmq_fanin_socket(ch, role))
			return -ch->err;
	} else {
		zc->sock = zmq_socket(zc->ctx, zmq_types[ch->flow][role]);
		if (!zc->sock)
			return chan_fail(ch, errno, "zmq_socket");
	}
	if (zmq_monitor_start(ch) || zmq_configure(ch, role))
		return -ch->err;
	return zmq_bind_or_connect(ch, role);
}

static int zmq_xfer(struct chan *ch, void *buf, size_t len, bool tx)
{
	struct zmq_chan *zc = ch->priv;
	const char *call = tx ? "zmq_send" : "zmq_recv";
	uint64_t deadline = 0;
	unsigned turns = 0;

	for (;;) {
		int n = tx ? zmq_send(zc->sock, buf, len, zc->flags) : zmq_recv(zc->sock, buf, len, zc->flags);

		if (n >= 0 && (size_t)n == len) {
			zc->sent_last = tx;
			return 0;
		}
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

/* One frame of a multipart message into buf (cap bytes): its size (truncated to cap), or -errno. */
static int zmq_frame_recv(struct chan *ch, void *buf, size_t cap)
{
	struct zmq_chan *zc = ch->priv;
	uint64_t deadline = 0;
	unsigned turns = 0;

	for (;;) {
		int n = zmq_recv(zc->sock, buf, cap, zc->flags);

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return chan_fail(ch, errno, "zmq_recv (fan-in)");
		if (!zc->flags)
			return chan_fail(ch, ETIMEDOUT, "zmq_recv: no client for %d ms (one gone?)", ch->timeout_ms);
		if (mqlib_spin_turn(ch, &deadline, &turns, "zmq_recv"))
			return -ch->err;
	}
}

static bool zmq_more_of(void *sock)
{
	int more = 0;
	size_t len = sizeof(more);

	return zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &len) == 0 && more;
}

static bool zmq_more(struct zmq_chan *zc)
{
	return zmq_more_of(zc->sock);
}

/* The ROUTER's side of a request: [routing id][empty delimiter][body], the client from the id. */
static int zmq_recv_any(struct chan *ch, void *buf, size_t len, unsigned int *client)
{
	struct zmq_chan *zc = ch->priv;
	uint8_t id[ZMQ_ID_BYTES + 1], empty[1];
	unsigned int c = 0;
	int n = zmq_frame_recv(ch, id, sizeof(id));

	if (n < 0)
		return n;
	if (n != ZMQ_ID_BYTES || id[0] != 'c')
		return chan_fail(ch, EPROTO, "zmq ROUTER: a message from a peer of an unknown routing id");
	for (int i = 1; i <= 4; i++)
		c = c << 8 | id[i];
	*client = c;
	/* the rest of a multipart message is there at once */
	if (!zmq_more(zc) || zmq_recv(zc->sock, empty, sizeof(empty), 0) != 0 || !zmq_more(zc))
		return chan_fail(ch, EPROTO, "zmq ROUTER: client %u's request without its delimiter", c);
	n = zmq_recv(zc->sock, buf, len, 0);
	if (n < 0)
		return chan_fail(ch, errno, "zmq_recv client %u's body", c);
	if ((size_t)n != len || zmq_more(zc))
		return chan_fail(ch, EPROTO, "zmq_recv: client %u's %d-byte request where %zu were expected", c, n,
				 len);
	zc->sent_last = false;
	return 0;
}

static int zmq_send_to(struct chan *ch, unsigned int client, const void *buf, size_t len)
{
	struct zmq_chan *zc = ch->priv;
	uint8_t id[ZMQ_ID_BYTES];

	zmq_id_of(client, id);
	if (zmq_send(zc->sock, id, sizeof(id), ZMQ_SNDMORE) < 0 || zmq_send(zc->sock, "", 0, ZMQ_SNDMORE) < 0 ||
	    zmq_send(zc->sock, buf, len, 0) < 0)
		return chan_fail(ch, errno == EHOSTUNREACH ? EPIPE : errno, "zmq_send to client %u: %s", client,
				 errno == EHOSTUNREACH ? "it has gone" : zmq_strerror(errno));
	zc->sent_last = true;
	return 0;
}

/* The next connection event within ms: its number, 0 if none came, -1 if the monitor failed. */
static int zmq_monitor_event(struct zmq_chan *zc, long ms)
{
	zmq_pollitem_t it = {.socket = zc->mon, .events = ZMQ_POLLIN};
	uint8_t head[6]; /* the event's number (16 bits) and value (32), in host order */
	char ep[16];	 /* the second frame, the endpoint: not needed, truncated */
	uint16_t ev;
	int n = zmq_poll(&it, 1, ms);

	if (n <= 0)
		return n < 0 && errno != EINTR ? -1 : 0;
	if (zmq_recv(zc->mon, head, sizeof(head), 0) != (int)sizeof(head) || !zmq_more_of(zc->mon) ||
	    zmq_recv(zc->mon, ep, sizeof(ep), 0) < 0)
		return -1;
	memcpy(&ev, head, sizeof(ev));
	return ev;
}

/*
 * After our last send: until the peer has hung up every connection it
 * made (its last receive is done), at most the timeout; where the flow is
 * unknown (a caller driving the hooks directly, whose peer may wait for
 * this process to exit before it closes), at most ZMQ_ANY_WAIT_MS.
 * Linger alone is not enough (the trap the file's comment describes).
 */
static void zmq_wait_for_peer(struct chan *ch)
{
	struct zmq_chan *zc = ch->priv;
	uint64_t ms = ch->flow == CHAN_FLOW_ANY ? ZMQ_ANY_WAIT_MS
		      : ch->timeout_ms > 0	? (uint64_t)ch->timeout_ms
						: 10000;
	uint64_t now = mono_ms(), deadline = now + ms;
	bool hung_up = false;
	int conns = 0, ev;

	for (; (!hung_up || conns > 0) && now < deadline; now = mono_ms()) {
		ev = zmq_monitor_event(zc, (long)(deadline - now));
		if (ev < 0)
			break;
		if (ev == ZMQ_EVENT_CONNECTED || ev == ZMQ_EVENT_ACCEPTED)
			conns++;
		else if (ev == ZMQ_EVENT_DISCONNECTED)
			conns--, hung_up = true;
	}
}

static void zmq_detach(struct chan *ch)
{
	struct zmq_chan *zc = ch->priv;

	if (zc->sock) {
		if (zc->sent_last && zc->mon)
			zmq_wait_for_peer(ch);
		if (zc->mon)
			zmq_socket_monitor(zc->sock, NULL, 0);
		zmq_close(zc->sock); /* lingers up to the timeout for what is not written yet */
		zc->sock = NULL;
	}
	if (zc->mon) {
		zmq_close(zc->mon);
		zc->mon = NULL;
	}
	if (zc->ctx) {
		while (zmq_ctx_term(zc->ctx) < 0 && errno == EINTR)
			;
		zc->ctx = NULL;
	}
	mqlib_release(&zc->rdv);
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
#define zmq_adopt NULL
#define zmq_recv_any NULL
#define zmq_send_to NULL
#define ZMQ_FAN_IN 0 /* no recv_any to offer */
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
	.flags = TRANSPORT_CAN_SPIN | TRANSPORT_BY_NAME | TRANSPORT_NETWORK | ZMQ_FAN_IN,
	.priv_size = sizeof(struct zmq_chan),
	.options = zmq_options,
	.raw_of = mqlib_raw_of,
	.probe = zmq_probe,
	.create = zmq_create,
	.adopt = zmq_adopt,
	.attach = zmq_attach,
	.send = zmq_chan_send,
	.recv = zmq_chan_recv,
	.recv_any = zmq_recv_any,
	.send_to = zmq_send_to,
	.detach = zmq_detach,
	.destroy = zmq_destroy,
};
