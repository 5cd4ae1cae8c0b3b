/*
 * nng.c - nng (nanomsg-next-gen) sockets between the two processes.
 *
 * The same patterns as zmq.c, on nng's scalability protocols: req0/rep0
 * for pingpong, push0/pull0 for stream and rate, pair0 where the flow is
 * not known (both ways, any order).  net=ipc (default): ipc:// over a
 * socket file in the run directory (raw transport unix); net=tcp:
 * tcp:// on the port create() reserved (raw transport tcp).  The server
 * listens in attach() on the endpoint create() put in priv, which is all
 * the client needs (by name: --peers exec, serve; mqlib.h); the client's
 * dialer is non-blocking and retries every MQLIB_RETRY_MS until the
 * server listens.  libnng-dev has no
 * pkg-config file: the Makefile finds it with a link test.
 *
 * Fan-in (--clients): one raw rep0 socket serves N req0 clients over one
 * listener.  An nng pipe carries no identity its client picks, but every
 * message knows its pipe (nng_msg_get_pipe) and a raw rep0 keeps the
 * request's backtrace in the message header.  So each client's first
 * request, in attach() once connected, is a hello with its index
 * ("helo" and 4 bytes), which the server takes in recv_any() from a pipe
 * it does not know yet, maps pipe id -> index (open addressing) and
 * answers; recv_any() then keeps each request and send_to() replies in
 * it (the header routes it back, and at the same size the body needs no
 * new allocation).  A message from an unknown pipe that is not a hello is
 * -EPROTO.  A reply to a client that has gone is dropped by rep0 (no
 * error): the dead client is noticed by the harness or the timeout.
 *
 * Threads: nng starts its thread pool (task queue, poller, timers,
 * resolver, reaper) on the first socket, in attach() after the fork.
 * detach() closes the socket and calls nng_fini(), which stops them.
 *
 * Messages: nng_sendmsg / nng_recvmsg on an nng_msg, one copy each way
 * between the harness's buffer and the message body (what nng_send and
 * nng_recv do inside).  NNG_FLAG_ALLOC would save the receiver's copy only
 * if the harness could keep nng's buffer, and on send it needs a buffer
 * from nng_alloc, which the harness's is not; so it would save nothing
 * here.  nng allocates a message per send and per receive either way:
 * that is part of its cost.  The received length must be exactly the one
 * asked (-EPROTO otherwise).  NNG_OPT_RECVMAXSZ (1 MiB by default, which
 * would drop larger messages and the connection with them) is the cell's
 * size plus 64 bytes of protocol header (req0's request id).  A one-way
 * channel's buffers (NNG_OPT_SENDBUF, NNG_OPT_RECVBUF) hold about 8 MiB of
 * messages (mqlib.h).
 *
 * Dead peer: NNG_OPT_RECVTIMEO and NNG_OPT_SENDTIMEO are ch->timeout_ms.
 * Close (the linger trap): nng 1.x has no linger, and nng_close() aborts
 * what a pipe has not written yet, such as rep0's last reply or push0's
 * last messages.  So the side whose last call was a send waits in
 * detach(), at most ch->timeout_ms, until the peer has closed its end
 * (NNG_PIPE_EV_REM_POST: the peer had everything it wanted) before it
 * closes (100 ms at most where the flow is unknown: nng's author
 * suggests that delay for protocols without an acknowledgement).
 *
 * --wait spin: NNG_FLAG_NONBLOCK calls polled with chan_relax()
 * (CAN_SPIN); nng's own threads still sleep.  The ipc:// socket file is
 * removed by destroy() (mqlib.h).
 */
#include "transports/mqlib.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/mono.h"

static const struct transport_option nng_options[] = {
	[MQLIB_OPT_NET] = MQLIB_NET_OPTION,
	{0},
};

#ifdef HAVE_LIBNNG
#include <nng/nng.h>
#include <nng/protocol/pair0/pair.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#define NNG_HEADER_ROOM 64  /* NNG_OPT_RECVMAXSZ above the cell's size: SP headers */
#define NNG_ANY_WAIT_MS 100 /* the wait before closing where the flow is unknown */

struct nng_chan {
	struct mqlib_rdv rdv;
	/* this process's, after attach() */
	pid_t owner;
	bool open;
	nng_socket sock;
	int flags;	  /* NNG_FLAG_NONBLOCK when spinning */
	bool sent_last;	  /* the last call was a send: wait for the peer before closing */
	atomic_int pipes; /* connections now up (nng's threads count them) */
	/* a fan-in server's (ch->nclients), allocated in attach(): which client each connection is */
	uint32_t *slot_pipe;	   /* open addressing on the pipe id (0: an empty slot) */
	unsigned int *slot_client; /* the index that pipe's client said hello with */
	unsigned int nslots;	   /* a power of two, at least twice nclients */
	nng_msg **pending;	   /* [client]: its request, whose header routes the reply */
};

#define NNG_FAN_IN TRANSPORT_FAN_IN

/* A fan-in client's first request, on its own connection: "helo" and its index, big-endian. */
#define NNG_HELLO_BYTES 8
static const char nng_hello_tag[4] = {'h', 'e', 'l', 'o'};

/* nng's error as an errno. */
static int nng_errno(int rv)
{
	if (rv & NNG_ESYSERR)
		return rv & ~NNG_ESYSERR;
	switch (rv) {
	case NNG_ETIMEDOUT:
		return ETIMEDOUT;
	case NNG_EAGAIN:
		return EAGAIN;
	case NNG_ENOMEM:
		return ENOMEM;
	case NNG_ECLOSED:
	case NNG_ECONNRESET:
	case NNG_ECONNSHUT:
		return EPIPE;
	case NNG_ECONNREFUSED:
		return ECONNREFUSED;
	case NNG_EMSGSIZE:
		return EMSGSIZE;
	case NNG_EINVAL:
		return EINVAL;
	case NNG_ENOTSUP:
		return ENOTSUP;
	case NNG_EADDRINUSE:
		return EADDRINUSE;
	default:
		return EIO;
	}
}

static int nng_failed(struct chan *ch, int rv, const char *what)
{
	return chan_fail(ch, nng_errno(rv), "%s: %s", what, nng_strerror(rv));
}

static int nng_probe(struct chan *ch)
{
	ch->limits.max_msg_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "nng %s: no message limit of its own (NNG_OPT_RECVMAXSZ is set to the cell's size)", nng_version());
	return 0;
}

static int nng_create(struct chan *ch)
{
	return mqlib_create(ch, &((struct nng_chan *)ch->priv)->rdv, "nng");
}

static void nng_adopt(struct chan *ch)
{
	struct nng_chan *nc = ch->priv;

	mqlib_adopt(&nc->rdv);
	nc->owner = 0;
	nc->open = false;
	nc->slot_pipe = NULL;
	nc->slot_client = NULL;
	nc->pending = NULL;
}

static int nng_open_socket(struct chan *ch, enum chan_role role)
{
	struct nng_chan *nc = ch->priv;
	bool client = role == CHAN_CLIENT;

	if (ch->nclients) /* fan-in: raw rep0 keeps each request's backtrace (its pipe) in the header */
		return client ? nng_req0_open(&nc->sock) : nng_rep0_open_raw(&nc->sock);
	switch (ch->flow) {
	case CHAN_FLOW_LOCKSTEP:
		return client ? nng_req0_open(&nc->sock) : nng_rep0_open(&nc->sock);
	case CHAN_FLOW_ONE_WAY:
		return client ? nng_push0_open(&nc->sock) : nng_pull0_open(&nc->sock);
	default:
		return nng_pair0_open(&nc->sock);
	}
}

static void nng_pipe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	struct nng_chan *nc = arg;

	(void)p;
	atomic_fetch_add(&nc->pipes, ev == NNG_PIPE_EV_ADD_POST ? 1 : -1);
}

/* Timeouts, the size limit, the buffers and the pipe counter, before listen or dial. */
static int nng_configure(struct chan *ch, enum chan_role role)
{
	struct nng_chan *nc = ch->priv;
	nng_duration ms = ch->timeout_ms > 0 ? ch->timeout_ms : NNG_DURATION_INFINITE;
	int rv, depth = mqlib_queue_depth(ch->msg_bytes);

	if ((rv = nng_socket_set_ms(nc->sock, NNG_OPT_RECVTIMEO, ms)) ||
	    (rv = nng_socket_set_ms(nc->sock, NNG_OPT_SENDTIMEO, ms)))
		return nng_failed(ch, rv, "nng_socket_set_ms timeouts");
	if ((rv = nng_socket_set_size(nc->sock, NNG_OPT_RECVMAXSZ, ch->msg_bytes + NNG_HEADER_ROOM)))
		return nng_failed(ch, rv, "nng_socket_set_size " NNG_OPT_RECVMAXSZ);
	if (ch->flow == CHAN_FLOW_ONE_WAY &&
	    (rv = nng_socket_set_int(nc->sock, role == CHAN_CLIENT ? NNG_OPT_SENDBUF : NNG_OPT_RECVBUF, depth)))
		return nng_failed(ch, rv, "nng_socket_set_int buffer");
	if ((rv = nng_pipe_notify(nc->sock, NNG_PIPE_EV_ADD_POST, nng_pipe_event, nc)) ||
	    (rv = nng_pipe_notify(nc->sock, NNG_PIPE_EV_REM_POST, nng_pipe_event, nc)))
		return nng_failed(ch, rv, "nng_pipe_notify");
	return 0;
}

/*
 * The client, once dialling: until the connection is up, at most the
 * timeout.  Without it a push0 client could queue a whole stream and
 * close (nng_wait_for_peer sees no connection to wait for) before the
 * server listens, which would drop every message.
 */
static int nng_wait_connected(struct chan *ch, const char *ep)
{
	struct nng_chan *nc = ch->priv;
	uint64_t deadline = mono_ms() + (uint64_t)(ch->timeout_ms > 0 ? ch->timeout_ms : 10000);
	struct timespec tick = {0, 1000000};

	while (atomic_load(&nc->pipes) <= 0) {
		if (mono_ms() >= deadline)
			return chan_fail(ch, ETIMEDOUT, "nng_dial %s: no server listening within %d ms", ep,
					 ch->timeout_ms > 0 ? ch->timeout_ms : 10000);
		nanosleep(&tick, NULL);
	}
	return 0;
}

/* The server listens on the endpoint create() fixed; the client dials it (retried until the server listens). */
static int nng_listen_or_dial(struct chan *ch, enum chan_role role)
{
	struct nng_chan *nc = ch->priv;
	const char *ep = nc->rdv.endpoint;
	nng_dialer d;
	int rv;

	if (role == CHAN_SERVER) {
		rv = nng_listen(nc->sock, ep, NULL, 0);
		mqlib_release(&nc->rdv); /* after the listen: the port is the listener's now */
		return rv ? chan_fail(ch, nng_errno(rv), "nng_listen %s: %s", ep, nng_strerror(rv)) : 0;
	}
	mqlib_release(&nc->rdv);
	if ((rv = nng_dialer_create(&d, nc->sock, ep)))
		return chan_fail(ch, nng_errno(rv), "nng_dialer_create %s: %s", ep, nng_strerror(rv));
	if ((rv = nng_dialer_set_ms(d, NNG_OPT_RECONNMINT, MQLIB_RETRY_MS)) ||
	    (rv = nng_dialer_set_ms(d, NNG_OPT_RECONNMAXT, MQLIB_RETRY_MS)))
		return nng_failed(ch, rv, "nng_dialer_set_ms reconnect");
	/* non-blocking: a server not listening yet is dialled again in the background */
	if ((rv = nng_dialer_start(d, NNG_FLAG_NONBLOCK)))
		return chan_fail(ch, nng_errno(rv), "nng_dial %s: %s", ep, nng_strerror(rv));
	return nng_wait_connected(ch, ep);
}

static void nng_hello_of(unsigned int client, uint8_t b[NNG_HELLO_BYTES])
{
	memcpy(b, nng_hello_tag, sizeof(nng_hello_tag));
	for (int i = 0; i < 4; i++)
		b[4 + i] = (uint8_t)(client >> (24 - 8 * i));
}

/* A fan-in client, once connected: its hello, answered by the server once it knows the connection. */
static int nng_hello(struct chan *ch)
{
	struct nng_chan *nc = ch->priv;
	uint8_t hello[NNG_HELLO_BYTES];
	nng_msg *m;
	int rv;

	nng_hello_of(ch->client, hello);
	if ((rv = nng_msg_alloc(&m, 0)) || (rv = nng_msg_append(m, hello, sizeof(hello))))
		return nng_failed(ch, rv, "nng_msg_alloc (hello)");
	if ((rv = nng_sendmsg(nc->sock, m, 0))) {
		nng_msg_free(m);
		return nng_failed(ch, rv, "nng_sendmsg (client's hello)");
	}
	if ((rv = nng_recvmsg(nc->sock, &m, 0)))
		return nng_failed(ch, rv, "nng_recvmsg (the server's answer to the hello)");
	rv = nng_msg_len(m) == sizeof(hello) && !memcmp(nng_msg_body(m), hello, sizeof(hello));
	nng_msg_free(m);
	return rv ? 0 : chan_fail(ch, EPROTO, "nng: the server answered client %u's hello wrongly", ch->client);
}

/* A fan-in server's tables, in the attached process only. */
static int nng_fanin_alloc(struct chan *ch)
{
	struct nng_chan *nc = ch->priv;

	for (nc->nslots = 16; nc->nslots < 2 * ch->nclients;)
		nc->nslots *= 2;
	nc->slot_pipe = calloc(nc->nslots, sizeof(*nc->slot_pipe));
	nc->slot_client = calloc(nc->nslots, sizeof(*nc->slot_client));
	nc->pending = calloc(ch->nclients, sizeof(*nc->pending));
	if (!nc->slot_pipe || !nc->slot_client || !nc->pending)
		return chan_fail(ch, ENOMEM, "the fan-in tables of %u clients", ch->nclients);
	return 0;
}

static void nng_fanin_free(struct chan *ch)
{
	struct nng_chan *nc = ch->priv;

	for (unsigned int i = 0; nc->pending && i < ch->nclients; i++)
		if (nc->pending[i])
			nng_msg_free(nc->pending[i]);
	free(nc->pending);
	free(nc->slot_pipe);
	free(nc->slot_client);
	nc->pending = NULL;
	nc->slot_pipe = NULL;
	nc->slot_client = NULL;
}

static int nng_attach(struct chan *ch, enum chan_role role)
{
	struct nng_chan *nc = ch->priv;
	int rv;

	nc->owner = getpid();
	nc->flags = ch->wait == CHAN_WAIT_SPIN ? NNG_FLAG_NONBLOCK : 0;
	atomic_init(&nc->pipes, 0);
	if ((rv = nng_open_socket(ch, role)))
		return nng_failed(ch, rv, "nng socket open");
	nc->open = true;
	if ((ch->nclients && role == CHAN_SERVER && nng_fanin_alloc(ch)) || nng_configure(ch, role) ||
	    nng_listen_or_dial(ch, role))
		return -ch->err;
	return ch->nclients && role == CHAN_CLIENT ? nng_hello(ch) : 0;
}

static int nng_chan_send(struct chan *ch, const void *buf, size_t len)
{
	struct nng_chan *nc = ch->priv;
	uint64_t deadline = 0;
	unsigned turns = 0;
	nng_msg *m;
	int rv;

	if ((rv = nng_msg_alloc(&m, len)))
		return nng_failed(ch, rv, "nng_msg_alloc");
	memcpy(nng_msg_body(m), buf, len);
	while ((rv = nng_sendmsg(nc->sock, m, nc->flags)) == NNG_EAGAIN)
		if (mqlib_spin_turn(ch, &deadline, &turns, "nng_sendmsg"))
			break;
	if (rv) {
		nng_msg_free(m); /* nng took it only on success */
		return rv == NNG_EAGAIN ? -ch->err : nng_failed(ch, rv, "nng_sendmsg");
	}
	nc->sent_last = true;
	return 0;
}

static int nng_chan_recv(struct chan *ch, void *buf, size_t len)
{
	struct nng_chan *nc = ch->priv;
	uint64_t deadline = 0;
	unsigned turns = 0;
	nng_msg *m;
	size_t got;
	int rv;

	while ((rv = nng_recvmsg(nc->sock, &m, nc->flags)) == NNG_EAGAIN)
		if (mqlib_spin_turn(ch, &deadline, &turns, "nng_recvmsg"))
			return -ch->err;
	if (rv)
		return nng_failed(ch, rv, "nng_recvmsg");
	nc->sent_last = false;
	got = nng_msg_len(m);
	if (got == len)
		memcpy(buf, nng_msg_body(m), len);
	nng_msg_free(m);
	if (got != len)
		return chan_fail(ch, EPROTO, "nng_recvmsg: a %zu-byte message where %zu were expected", got, len);
	return 0;
}

/* The slot of pipe id (0 < id): its own, or the empty one where it would go. */
static unsigned int nng_slot(const struct nng_chan *nc, uint32_t id)
{
	unsigned int i = (id * 2654435761u) & (nc->nslots - 1);

	while (nc->slot_pipe[i] && nc->slot_pipe[i] != id)
		i = (i + 1) & (nc->nslots - 1);
	return i;
}

/*
 * A message on a connection not known yet: its client's hello, answered
 * at once (the message itself, header and all).  1 when it was one, or
 * -errno.  Taken only from a connection that has not said hello, so a
 * request never passes for one, whatever its bytes.
 */
static int nng_take_hello(struct chan *ch, nng_msg *m, unsigned int slot, uint32_t id)
{
	struct nng_chan *nc = ch->priv;
	const uint8_t *b = nng_msg_body(m);
	unsigned int c = 0;
	int rv;

	if (nng_msg_len(m) != NNG_HELLO_BYTES || memcmp(b, nng_hello_tag, sizeof(nng_hello_tag))) {
		nng_msg_free(m);
		return chan_fail(ch, EPROTO, "nng: a request on connection %u, which never said hello", id);
	}
	for (int i = 4; i < NNG_HELLO_BYTES; i++)
		c = c << 8 | b[i];
	if (c >= ch->nclients) {
		nng_msg_free(m);
		return chan_fail(ch, EPROTO, "nng: a hello from client %u of %u", c, ch->nclients);
	}
	nc->slot_pipe[slot] = id;
	nc->slot_client[slot] = c;
	if ((rv = nng_sendmsg(nc->sock, m, 0))) {
		nng_msg_free(m);
		return nng_failed(ch, rv, "nng_sendmsg (the answer to a hello)");
	}
	return 1;
}

/* The raw rep0 side of a request: the client from its connection, the request kept for the reply. */
static int nng_recv_any(struct chan *ch, void *buf, size_t len, unsigned int *client)
{
	struct nng_chan *nc = ch->priv;
	uint64_t deadline = 0;
	unsigned int turns = 0, slot, c;
	nng_msg *m;
	uint32_t id;
	int rv;

	for (;;) {
		while ((rv = nng_recvmsg(nc->sock, &m, nc->flags)) == NNG_EAGAIN)
			if (mqlib_spin_turn(ch, &deadline, &turns, "nng_recvmsg"))
				return -ch->err;
		if (rv)
			return nng_failed(ch, rv, "nng_recvmsg (fan-in)");
		id = (uint32_t)nng_pipe_id(nng_msg_get_pipe(m));
		slot = nng_slot(nc, id);
		if (nc->slot_pipe[slot] == id)
			break;
		if ((rv = nng_take_hello(ch, m, slot, id)) < 0)
			return rv;
	}
	c = nc->slot_client[slot];
	*client = c;
	if (nng_msg_len(m) != len) {
		size_t got = nng_msg_len(m);

		nng_msg_free(m);
		return chan_fail(ch, EPROTO, "nng_recvmsg: client %u's %zu-byte request where %zu were expected", c,
				 got, len);
	}
	memcpy(buf, nng_msg_body(m), len);
	if (nc->pending[c])
		nng_msg_free(nc->pending[c]);
	nc->pending[c] = m;
	nc->sent_last = false;
	return 0;
}

/* The reply goes in client's request (its header routes it back): no allocation at this size. */
static int nng_send_to(struct chan *ch, unsigned int client, const void *buf, size_t len)
{
	struct nng_chan *nc = ch->priv;
	uint64_t deadline = 0;
	unsigned int turns = 0;
	nng_msg *m = client < ch->nclients ? nc->pending[client] : NULL;
	int rv;

	if (!m)
		return chan_fail(ch, EPROTO, "nng: a reply to client %u, which has no request pending", client);
	nc->pending[client] = NULL;
	nng_msg_clear(m);
	if ((rv = nng_msg_append(m, buf, len))) {
		nng_msg_free(m);
		return nng_failed(ch, rv, "nng_msg_append (reply)");
	}
	while ((rv = nng_sendmsg(nc->sock, m, nc->flags)) == NNG_EAGAIN)
		if (mqlib_spin_turn(ch, &deadline, &turns, "nng_sendmsg"))
			break;
	if (rv) {
		nng_msg_free(m);
		return rv == NNG_EAGAIN ? -ch->err : nng_failed(ch, rv, "nng_sendmsg to a client");
	}
	nc->sent_last = true;
	return 0;
}

/*
 * After our last send: until the peer has closed every connection, at
 * most the timeout; where the flow is unknown (a caller driving the hooks
 * directly, whose peer may wait for this process to exit before it
 * closes), at most NNG_ANY_WAIT_MS, the delay nng's author suggests.
 */
static void nng_wait_for_peer(struct chan *ch)
{
	struct nng_chan *nc = ch->priv;
	uint64_t ms = ch->flow == CHAN_FLOW_ANY ? NNG_ANY_WAIT_MS
		      : ch->timeout_ms > 0	? (uint64_t)ch->timeout_ms
						: 10000;
	uint64_t deadline = mono_ms() + ms;
	struct timespec tick = {0, 1000000};

	while (atomic_load(&nc->pipes) > 0 && mono_ms() < deadline)
		nanosleep(&tick, NULL);
}

static void nng_detach(struct chan *ch)
{
	struct nng_chan *nc = ch->priv;

	if (nc->open) {
		if (nc->sent_last)
			nng_wait_for_peer(ch);
		nng_close(nc->sock);
		nc->open = false;
		nng_fini(); /* stops nng's threads: nothing else in this process uses nng */
	}
	nng_fanin_free(ch);
	mqlib_release(&nc->rdv);
}

static void nng_destroy(struct chan *ch)
{
	struct nng_chan *nc = ch->priv;

	/* a process that attached and closes without detaching (a test as the client) */
	if (nc->owner == getpid())
		nng_detach(ch);
	mqlib_destroy(&nc->rdv);
}

#else /* !HAVE_LIBNNG: registered, and unavailable with the package to install */

struct nng_chan {
	int unused;
};

static int nng_probe(struct chan *ch)
{
	return mqlib_absent(ch, "nng", "libnng-dev");
}

#define nng_create mqlib_absent_create
#define nng_adopt NULL
#define nng_recv_any NULL
#define nng_send_to NULL
#define NNG_FAN_IN 0 /* no recv_any to offer */
#define nng_attach mqlib_absent_attach
#define nng_chan_send mqlib_absent_send
#define nng_chan_recv mqlib_absent_recv
#define nng_detach mqlib_absent_destroy
#define nng_destroy mqlib_absent_destroy
#endif

const struct transport_ops nng_ops = {
	.name = "nng",
	.summary = "nng req0/rep0 (pingpong), push0/pull0 (stream) over ipc:// (net=tcp: tcp://127.0.0.1)",
	.kind = CHAN_MESSAGE,
	.flags = TRANSPORT_CAN_SPIN | TRANSPORT_BY_NAME | TRANSPORT_NETWORK | NNG_FAN_IN,
	.priv_size = sizeof(struct nng_chan),
	.options = nng_options,
	.raw_of = mqlib_raw_of,
	.probe = nng_probe,
	.create = nng_create,
	.adopt = nng_adopt,
	.attach = nng_attach,
	.send = nng_chan_send,
	.recv = nng_chan_recv,
	.recv_any = nng_recv_any,
	.send_to = nng_send_to,
	.detach = nng_detach,
	.destroy = nng_destroy,
};
