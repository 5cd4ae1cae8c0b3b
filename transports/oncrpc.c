/*
 * oncrpc.c - ONC RPC (RFC 5531) through libtirpc: one procedure,
 * ONCRPC_PROC, taking and returning opaque<> (xdr_bytes).
 *
 * The parent binds and listens (a Unix socket path in the run directory,
 * or 127.0.0.1 on a kernel-chosen port with :net=tcp) so the rendezvous
 * exists before the fork; the server accepts one connection, wraps it
 * with svc_fd_create() (what svcunix_create/svctcp_create make after
 * their own accept) and registers the program with protocol 0: no
 * rpcbind, the client is told the path or the port and connects with
 * clntunix_create() or clnttcp_create(), AUTH_NONE.
 *
 * RPC is request/reply: the client's send() is the whole clnt_call(),
 * its recv() hands out the reply the call brought back.  The server's
 * recv() takes one call through svc_getreq_common() (the dispatcher
 * keeps it), and its send() answers it with svc_sendreply().  A call the
 * server never answered (the stream pattern) is answered with an empty
 * opaque when the server goes for the next one, so one-way streams are
 * paced by those acknowledgements: the price of a request/reply layer.
 *
 * Limits: XDR's opaque<> has a 32-bit length; the record marking has no
 * limit of its own.  The default fragment sizes of libtirpc are kept;
 * over TCP both ends set TCP_NODELAY (libtirpc leaves Nagle's algorithm
 * on, which stalls a 64 KiB reply for the 40 ms of a delayed ACK).
 * :net=udp (clntudp_bufcreate/svcudp_bufcreate on the parent's bound
 * 127.0.0.1 socket): a call is one datagram of UDPMSGSIZE (8800) bytes,
 * 8756 of payload; larger cells are skipped naming the limit.  The
 * client's retransmit interval is longer than the call's timeout, so a
 * lost datagram is a timeout, never a call the server runs twice.
 * Raw transport underneath: unix, tcp with :net=tcp, udp with :net=udp.
 *
 * By name (--peers exec, serve): priv holds only the rendezvous, the
 * socket path or the address and port, made by create() in the process
 * that runs it (the server peer, serve's handler, the parent); adopt()
 * forgets the listening descriptor.  tcp and udp join two hosts
 * (TRANSPORT_NETWORK): under serve create() binds the address the client
 * reached (ch->net_addr) and the client connects to it; net=unix refuses
 * there, naming :net=tcp.
 */
#include "transports/chan_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#ifdef HAVE_LIBTIRPC
#include <rpc/rpc.h>
#endif

#define ONCRPC_PROG 0x2f1b0c01u /* in the "defined by the user" range 0x20000000-0x3fffffff */
#define ONCRPC_VERS 1u
#define ONCRPC_PROC 1u

enum { ONCRPC_OPT_NET };
enum { ONCRPC_NET_UNIX, ONCRPC_NET_TCP, ONCRPC_NET_UDP };
static const char *const oncrpc_nets[] = {"unix", "tcp", "udp", NULL};
/*
 * UDP: a call is one datagram of at most UDPMSGSIZE (8800) bytes, libtirpc's
 * buffer for clntudp_create/svcudp_create; the call header (xid, direction,
 * RPC version, program, version, procedure, AUTH_NONE credential and
 * verifier: 40 bytes) and opaque<>'s length word (4) leave 8756 of payload.
 */
#define ONCRPC_UDP_MSG 8800u
#define ONCRPC_UDP_MAX (ONCRPC_UDP_MSG - 44u)

static const struct transport_option oncrpc_options[] = {
	[ONCRPC_OPT_NET] =
		{.name = "net",
		 .type = TOPT_ENUM,
		 .def = ONCRPC_NET_UNIX,
		 .values = oncrpc_nets,
		 .help = "unix (a socket path in the run directory), tcp or udp (127.0.0.1; udp: 8756 bytes at most)"},
	{0},
};

struct oncrpc_priv {
	int listen_fd; /* create(); -1 */
	bool made;
	bool tcp, udp;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint32_t addr; /* tcp, udp: the server's IPv4 address, network order */
	uint16_t port;
	/* after attach() */
	void *clnt;	/* CLIENT * */
	void *xprt;	/* SVCXPRT * */
	uint8_t *reply; /* client: the last reply, msg_bytes */
	size_t reply_len;
	bool held; /* server: a call waits for its reply */
	bool got;
	uint8_t *rbuf;
	size_t rlen;
	int rerr;
};

static const char *oncrpc_raw_of(const struct chan_opts *o)
{
	if (!(o->given & (1u << ONCRPC_OPT_NET)))
		return "unix";
	return o->val[ONCRPC_OPT_NET] == ONCRPC_NET_TCP	  ? "tcp"
	       : o->val[ONCRPC_OPT_NET] == ONCRPC_NET_UDP ? "udp"
							  : "unix";
}

static int oncrpc_probe(struct chan *ch)
{
#ifndef HAVE_LIBTIRPC
	return chan_unavailable(ch, ENOSYS, "built without libtirpc: install libtirpc-dev and rebuild");
#else
	if (chan_opt(ch, ONCRPC_OPT_NET) == ONCRPC_NET_UDP) {
		ch->limits.max_msg_bytes = ONCRPC_UDP_MAX;
		snprintf(ch->limits.note, sizeof(ch->limits.note),
			 "ONC RPC over UDP 127.0.0.1: one datagram of UDPMSGSIZE (8800) bytes per call, %u after "
			 "the call header; no rpcbind",
			 ONCRPC_UDP_MAX);
		return 0;
	}
	ch->limits.max_msg_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "ONC RPC: opaque<> has a 32-bit length, record marking no limit; libtirpc over %s, no rpcbind",
		 chan_opt(ch, ONCRPC_OPT_NET) == ONCRPC_NET_TCP ? "TCP 127.0.0.1" : "a Unix socket");
	return 0;
#endif
}

/* An IPv4 address (network order) as text, in buf. */
static const char *oncrpc_ip(uint32_t addr, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &addr, buf, INET_ADDRSTRLEN) ? buf : "?";
}

static int oncrpc_create(struct chan *ch)
{
	struct oncrpc_priv *p = ch->priv;
	char ip[INET_ADDRSTRLEN];
	struct sockaddr_un su = {.sun_family = AF_UNIX};
	struct sockaddr_in si = {.sin_family = AF_INET,
				 .sin_addr.s_addr = ch->net_addr ? ch->net_addr : htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(si);
	mode_t old;
	int r;

	p->listen_fd = -1;
	p->tcp = chan_opt(ch, ONCRPC_OPT_NET) == ONCRPC_NET_TCP;
	p->udp = chan_opt(ch, ONCRPC_OPT_NET) == ONCRPC_NET_UDP;
	if (ch->net_addr && !p->tcp && !p->udp)
		return chan_fail(ch, EINVAL, "oncrpc:net=unix joins processes of one host: use :net=tcp or :net=udp");
	p->listen_fd =
		socket(p->tcp || p->udp ? AF_INET : AF_UNIX, (p->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	p->made = true;
	if (p->listen_fd < 0)
		return chan_fail(ch, errno, "socket");
	if (p->tcp || p->udp) {
		if (bind(p->listen_fd, (struct sockaddr *)&si, sizeof(si)) < 0 ||
		    getsockname(p->listen_fd, (struct sockaddr *)&si, &sl) < 0)
			return chan_fail(ch, errno, "bind %s", oncrpc_ip(si.sin_addr.s_addr, ip));
		p->addr = si.sin_addr.s_addr;
		p->port = ntohs(si.sin_port);
	} else {
		if (chan_path(ch, "rpc.sock", p->path, sizeof(p->path)))
			return chan_fail(ch, ENAMETOOLONG, "socket path in %s", ch->run_dir);
		memcpy(su.sun_path, p->path, sizeof(su.sun_path));
		old = umask(0077);
		r = bind(p->listen_fd, (struct sockaddr *)&su, sizeof(su));
		umask(old);
		if (r < 0)
			return chan_fail(ch, errno, "bind %s", p->path);
	}
	if (!p->udp && listen(p->listen_fd, 1) < 0)
		return chan_fail(ch, errno, "listen");
	return 0;
}

#ifdef HAVE_LIBTIRPC
/* The argument and result: opaque<> into or from a buffer of at most max bytes. */
struct oncrpc_blob {
	char *p;
	u_int n, max;
};

static bool_t xdr_blob(XDR *x, void *v)
{
	struct oncrpc_blob *b = v;

	return xdr_bytes(x, &b->p, &b->n, b->max);
}

/* The server child's channel, for the dispatcher (one channel per process). */
static struct chan *oncrpc_server_ch;

static void oncrpc_dispatch(struct svc_req *rq, SVCXPRT *xprt)
{
	struct chan *ch = oncrpc_server_ch;
	struct oncrpc_priv *p = ch->priv;
	struct oncrpc_blob b = {.p = (char *)p->rbuf, .max = (u_int)p->rlen};

	if (rq->rq_proc == NULLPROC) {
		svc_sendreply(xprt, (xdrproc_t)(void (*)(void))xdr_void, NULL);
		return;
	}
	if (rq->rq_proc != ONCRPC_PROC) {
		svcerr_noproc(xprt);
		return;
	}
	p->got = true;
	p->held = true;
	p->rerr = 0;
	if (!svc_getargs(xprt, (xdrproc_t)xdr_blob, (char *)&b) || b.n != p->rlen)
		p->rerr = -EPROTO; /* larger than expected fails to decode, smaller arrives short */
}

/* UDP: the server's transport is the parent's bound socket (svc_destroy closes it). */
static int oncrpc_attach_udp_server(struct chan *ch, struct oncrpc_priv *p)
{
	p->xprt = svcudp_bufcreate(p->listen_fd, ONCRPC_UDP_MSG, ONCRPC_UDP_MSG);
	if (!p->xprt)
		return chan_fail(ch, ENOMEM, "svcudp_bufcreate");
	p->listen_fd = -1;
	oncrpc_server_ch = ch;
	if (!svc_register(p->xprt, ONCRPC_PROG, ONCRPC_VERS, oncrpc_dispatch, 0))
		return chan_fail(ch, EEXIST, "svc_register prog 0x%x (protocol 0)", ONCRPC_PROG);
	return 0;
}

static int oncrpc_attach_server(struct chan *ch, struct oncrpc_priv *p)
{
	struct pollfd pfd = {.fd = p->listen_fd, .events = POLLIN};
	int fd, r;

	if (p->udp)
		return oncrpc_attach_udp_server(ch, p);
	do
		r = poll(&pfd, 1, ch->timeout_ms > 0 ? ch->timeout_ms : -1);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return chan_fail(ch, r ? errno : ETIMEDOUT, "accept: no client");
	fd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return chan_fail(ch, errno, "accept");
	close(p->listen_fd);
	p->listen_fd = -1;
	if (p->tcp)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
	p->xprt = svc_fd_create(fd, 0, 0);
	if (!p->xprt) {
		close(fd);
		return chan_fail(ch, ENOMEM, "svc_fd_create");
	}
	oncrpc_server_ch = ch;
	if (!svc_register(p->xprt, ONCRPC_PROG, ONCRPC_VERS, oncrpc_dispatch, 0))
		return chan_fail(ch, EEXIST, "svc_register prog 0x%x (protocol 0)", ONCRPC_PROG);
	return 0;
}

static int oncrpc_attach_client(struct chan *ch, struct oncrpc_priv *p)
{
	int sock = RPC_ANYSOCK, one = 1;
	char ip[INET_ADDRSTRLEN];

	close(p->listen_fd);
	p->listen_fd = -1;
	p->reply = malloc(ch->msg_bytes ? ch->msg_bytes : 1);
	if (!p->reply)
		return chan_fail(ch, ENOMEM, "reply buffer of %zu bytes", ch->msg_bytes);
	if (p->udp) {
		struct sockaddr_in si = {.sin_family = AF_INET, .sin_port = htons(p->port), .sin_addr.s_addr = p->addr};
		/* no retransmission within the call's timeout: a lost datagram is a timeout, never a duplicate */
		struct timeval wait = {.tv_sec = ch->timeout_ms > 0 ? ch->timeout_ms / 1000 + 1 : 3600};

		p->clnt = clntudp_bufcreate(&si, ONCRPC_PROG, ONCRPC_VERS, wait, &sock, ONCRPC_UDP_MSG, ONCRPC_UDP_MSG);
	} else if (p->tcp) {
		struct sockaddr_in si = {.sin_family = AF_INET, .sin_port = htons(p->port), .sin_addr.s_addr = p->addr};

		/* our own socket, to set TCP_NODELAY (libtirpc leaves Nagle on: 40 ms stalls) */
		sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (sock < 0 || setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0 ||
		    connect(sock, (struct sockaddr *)&si, sizeof(si)) < 0) {
			int e = errno;

			if (sock >= 0)
				close(sock);
			return chan_fail(ch, e, "connect %s:%u", oncrpc_ip(p->addr, ip), p->port);
		}
		p->clnt = clnttcp_create(&si, ONCRPC_PROG, ONCRPC_VERS, &sock, 0, 0);
	} else {
		struct sockaddr_un su = {.sun_family = AF_UNIX};

		memcpy(su.sun_path, p->path, sizeof(su.sun_path));
		p->clnt = clntunix_create(&su, ONCRPC_PROG, ONCRPC_VERS, &sock, 0, 0);
	}
	if (p->clnt && p->tcp)
		clnt_control((CLIENT *)p->clnt, CLSET_FD_CLOSE, NULL); /* our socket: clnt_destroy closes it */
	if (!p->clnt)
		return chan_fail(ch, ECONNREFUSED, "%s",
				 clnt_spcreateerror(p->udp   ? "clntudp_bufcreate"
						    : p->tcp ? "clnttcp_create"
							     : "clntunix_create"));
	return 0;
}

static int oncrpc_attach(struct chan *ch, enum chan_role role)
{
	struct oncrpc_priv *p = ch->priv;

	return role == CHAN_SERVER ? oncrpc_attach_server(ch, p) : oncrpc_attach_client(ch, p);
}

static int oncrpc_call(struct chan *ch, struct oncrpc_priv *p, const void *buf, size_t len)
{
	struct oncrpc_blob in = {.p = (char *)buf, .n = (u_int)len, .max = (u_int)len};
	struct oncrpc_blob out = {.p = (char *)p->reply, .max = (u_int)ch->msg_bytes};
	struct timeval tv = {.tv_sec = ch->timeout_ms > 0 ? ch->timeout_ms / 1000 : 3600,
			     .tv_usec = ch->timeout_ms > 0 ? (ch->timeout_ms % 1000) * 1000 : 0};
	enum clnt_stat st = clnt_call((CLIENT *)p->clnt, ONCRPC_PROC, (xdrproc_t)xdr_blob, (char *)&in,
				      (xdrproc_t)xdr_blob, (char *)&out, tv);

	if (st == RPC_SUCCESS) {
		p->reply_len = out.n;
		return 0;
	}
	if (st == RPC_TIMEDOUT)
		return chan_fail(ch, ETIMEDOUT, "clnt_call: no reply within %d ms", ch->timeout_ms);
	return chan_fail(ch, st == RPC_CANTRECV || st == RPC_CANTSEND ? EPIPE : EPROTO, "clnt_call: %s",
			 clnt_sperror((CLIENT *)p->clnt, "oncrpc"));
}

/* The server's reply to the call it holds: len bytes of buf. */
static int oncrpc_reply(struct chan *ch, struct oncrpc_priv *p, const void *buf, size_t len)
{
	struct oncrpc_blob out = {.p = (char *)buf, .n = (u_int)len, .max = (u_int)len};

	if (!p->held)
		return chan_fail(ch, EPROTO, "reply with no call to answer");
	p->held = false;
	if (!svc_sendreply((SVCXPRT *)p->xprt, (xdrproc_t)xdr_blob, (char *)&out))
		return chan_fail(ch, EPIPE, "svc_sendreply of %zu bytes (peer gone)", len);
	return 0;
}

static int oncrpc_send(struct chan *ch, const void *buf, size_t len)
{
	struct oncrpc_priv *p = ch->priv;

	return ch->role == CHAN_CLIENT ? oncrpc_call(ch, p, buf, len) : oncrpc_reply(ch, p, buf, len);
}

static int oncrpc_recv(struct chan *ch, void *buf, size_t len)
{
	struct oncrpc_priv *p = ch->priv;
	SVCXPRT *x = p->xprt;

	if (ch->role == CHAN_CLIENT) {
		if (p->reply_len != len)
			return chan_fail(ch, EPROTO, "reply of %zu bytes, expected %zu", p->reply_len, len);
		memcpy(buf, p->reply, len);
		return 0;
	}
	if (p->held && oncrpc_reply(ch, p, "", 0)) /* a one-way message: acknowledge it */
		return -ch->err;
	p->got = false;
	p->rbuf = buf;
	p->rlen = len;
	while (!p->got) {
		struct pollfd pfd = {.fd = x->xp_fd, .events = POLLIN};
		int r = poll(&pfd, 1, ch->timeout_ms > 0 ? ch->timeout_ms : -1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return chan_fail(ch, r ? errno : ETIMEDOUT, "wait for a call: nothing within %d ms",
					 ch->timeout_ms);
		svc_getreq_common(x->xp_fd);
		if (!p->got && !FD_ISSET(pfd.fd, &svc_fdset)) {
			p->xprt = NULL; /* svc_getreq_common destroyed it */
			return chan_fail(ch, EPIPE, "the connection closed (peer gone)");
		}
	}
	return p->rerr ? chan_fail(ch, EPROTO, "call of the wrong size (expected %zu bytes)", len) : 0;
}

static void oncrpc_detach(struct chan *ch)
{
	struct oncrpc_priv *p = ch->priv;

	if (p->clnt)
		clnt_destroy((CLIENT *)p->clnt);
	p->clnt = NULL;
	if (p->xprt && p->held)
		oncrpc_reply(ch, p, "", 0); /* the last one-way message's acknowledgement */
	if (p->xprt) {
		svc_unregister(ONCRPC_PROG, ONCRPC_VERS);
		svc_destroy((SVCXPRT *)p->xprt);
	}
	p->xprt = NULL;
	free(p->reply);
	p->reply = NULL;
}
#else
static int oncrpc_attach(struct chan *ch, enum chan_role role)
{
	return chan_fail(ch, ENOSYS, "built without libtirpc");
}

static int oncrpc_send(struct chan *ch, const void *buf, size_t len)
{
	return -ENOSYS;
}

static int oncrpc_recv(struct chan *ch, void *buf, size_t len)
{
	return -ENOSYS;
}

static void oncrpc_detach(struct chan *ch)
{
}
#endif

static void oncrpc_destroy(struct chan *ch)
{
	struct oncrpc_priv *p = ch->priv;

	if (!p->made)
		return;
	if (p->listen_fd >= 0)
		close(p->listen_fd);
	p->listen_fd = -1;
	if (p->path[0])
		unlink(p->path);
	p->made = false;
}

/* A process that did not run create(): only the names are its. */
static void oncrpc_adopt(struct chan *ch)
{
	struct oncrpc_priv *p = ch->priv;

	p->listen_fd = -1;
	p->clnt = p->xprt = NULL;
	p->reply = p->rbuf = NULL;
	p->reply_len = p->rlen = 0;
	p->held = p->got = false;
	p->rerr = 0;
}

const struct transport_ops oncrpc_ops = {
	.name = "oncrpc",
	.summary = "ONC RPC (libtirpc): one procedure on opaque<>, over a Unix socket (net=tcp|udp: loopback)",
	.kind = CHAN_MESSAGE,
	.flags = TRANSPORT_BY_NAME | TRANSPORT_NETWORK,
	.priv_size = sizeof(struct oncrpc_priv),
	.options = oncrpc_options,
	.raw_of = oncrpc_raw_of,
	.probe = oncrpc_probe,
	.create = oncrpc_create,
	.adopt = oncrpc_adopt,
	.attach = oncrpc_attach,
	.send = oncrpc_send,
	.recv = oncrpc_recv,
	.detach = oncrpc_detach,
	.destroy = oncrpc_destroy,
};
