/*
 * tipc.c - TIPC (AF_TIPC) stream sockets within this node: the cluster
 * messaging protocol of Linux, with both ends on one host.
 *
 * What it carries: a byte stream, no message limit of its own (TIPC cuts
 * it into messages of at most TIPC_MAX_USER_MSG_SIZE, 66000 bytes, and
 * delivers node-local messages straight to the peer socket, without a
 * bearer).  The parent binds a service name {type, instance} with node
 * scope and listens before the fork; the server accepts, the client
 * connects to the name.  The type is random above the reserved range
 * (TIPC_RESERVED_TYPES, 64), so two runs do not meet; the name is
 * withdrawn when the listening socket closes.  What it saves: nothing
 * over AF_UNIX on one host; it is here to put TIPC's own path (name
 * table lookup, link-level flow control) beside the classic sockets.
 * What it costs: sockets only, two fds a side at most.
 *
 * Limits: the kernel needs TIPC (CONFIG_TIPC, module tipc); probe() tries
 * socket(), a bind and a connect within the node, and otherwise reports
 * the module to load (modprobe tipc), never loading it itself.  A blocking
 * transport, as tcp: a wait is bounded by the harness's watchdog.
 * Objects: sockets and their name, gone with them.
 */
#include "transports/fdio.h"

#include <errno.h>
#include <linux/tipc.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef AF_TIPC
#define AF_TIPC 30
#endif

struct tipc_chan {
	struct fd_chan fc; /* first: the fdchan hooks use it */
	uint32_t type;	   /* the service type bound by create() */
};

static const char tipc_enable[] = "CONFIG_TIPC (modprobe tipc)";

static uint32_t tipc_new_type(void)
{
	uint32_t t = 0;

	if (getrandom(&t, sizeof(t), 0) != sizeof(t))
		t = (uint32_t)getpid() * 2654435761u;
	return t < TIPC_RESERVED_TYPES ? t + TIPC_RESERVED_TYPES : t;
}

/* A listener bound to {type, 0} in node scope: its fd, or -errno (recorded). */
static int tipc_listen(struct chan *ch, uint32_t type, bool probing)
{
	struct sockaddr_tipc a;
	int fd = socket(AF_TIPC, SOCK_STREAM | SOCK_CLOEXEC, 0), e;

	if (fd < 0 && (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT))
		return chan_unavailable(ch, errno, "socket AF_TIPC: no TIPC in this kernel: %s", tipc_enable);
	if (fd < 0)
		return chan_fail(ch, errno, "socket AF_TIPC");
	memset(&a, 0, sizeof(a));
	a.family = AF_TIPC;
	a.addrtype = TIPC_SERVICE_RANGE;
	a.scope = TIPC_NODE_SCOPE;
	a.addr.nameseq.type = type;
	a.addr.nameseq.lower = a.addr.nameseq.upper = 0;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1) < 0) {
		e = errno;
		close(fd);
		if (probing)
			return chan_unavailable(ch, e, "bind/listen AF_TIPC service %u in node scope", type);
		return chan_fail(ch, e, "bind/listen AF_TIPC service %u", type);
	}
	return fd;
}

/* The address a client connects to: the service {type, 0}. */
static void tipc_connect_addr(uint32_t type, struct sockaddr_tipc *a)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_TIPC;
	a->addrtype = TIPC_SERVICE_ADDR;
	a->addr.name.name.type = type;
	a->addr.name.name.instance = 0;
	a->addr.name.domain = 0;
}

static int tipc_probe(struct chan *ch)
{
	struct sockaddr_tipc a;
	uint32_t type = tipc_new_type();
	int lfd = tipc_listen(ch, type, true), cfd, e;

	if (lfd < 0)
		return lfd;
	tipc_connect_addr(type, &a);
	e = fdio_probe_listener(lfd, AF_TIPC, &a, sizeof(a), &cfd);
	if (!e)
		close(cfd);
	close(lfd);
	if (e)
		return chan_unavailable(ch, e, "connect AF_TIPC within the node (service %u): %s", type, tipc_enable);
	ch->limits.max_msg_bytes = 0;
	ch->limits.unit_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "a byte stream over TIPC in node scope: no message limit; messages of up to %u bytes inside",
		 TIPC_MAX_USER_MSG_SIZE);
	return 0;
}

static int tipc_create(struct chan *ch)
{
	struct tipc_chan *tc = ch->priv;
	int fd;

	tc->type = tipc_new_type();
	fd = tipc_listen(ch, tc->type, false);
	if (fd < 0)
		return fd;
	return fdchan_add_fd(ch, fd);
}

static int tipc_attach(struct chan *ch, enum chan_role role)
{
	struct tipc_chan *tc = ch->priv;
	struct sockaddr_tipc a;
	char what[40];

	tipc_connect_addr(tc->type, &a);
	snprintf(what, sizeof(what), "AF_TIPC service %u", tc->type);
	return fdchan_attach_listener(ch, role, AF_TIPC, &a, sizeof(a), what);
}

const struct transport_ops tipc_ops = {
	.name = "tipc",
	.summary = "TIPC stream sockets within this node (AF_TIPC, module tipc)",
	.kind = CHAN_STREAM,
	.flags = TRANSPORT_CAN_SPIN | TRANSPORT_CAN_EVENT,
	.priv_size = sizeof(struct tipc_chan),
	.probe = tipc_probe,
	.create = tipc_create,
	.attach = tipc_attach,
	.send = fdchan_stream_send,
	.recv = fdchan_stream_recv,
	.detach = fdchan_detach,
	.destroy = fdchan_destroy,
};
