/*
 * vsock.c - AF_VSOCK stream sockets over the local loopback CID
 * (VMADDR_CID_LOCAL, 1): the socket family of virtual machines and their
 * host, with both ends in this kernel.
 *
 * What it carries: a byte stream, no message limit of its own.  The
 * parent binds and listens on (VMADDR_CID_LOCAL, VMADDR_PORT_ANY) before
 * the fork; the server accepts, the client connects.  Data goes through
 * the vsock_loopback transport: each send is queued as a virtio-vsock
 * packet to a kernel work item that delivers it to the peer socket, with
 * credit-based flow control (the receive buffer,
 * SO_VM_SOCKETS_BUFFER_SIZE, 256 KiB by default, bounds what is in
 * flight).  What it saves: nothing over AF_UNIX; it is here to show what
 * the virtio-vsock path costs beside the classic sockets, since the same
 * code runs between a guest and its host.  What it costs: two fds a side
 * at most, the kernel worker's wake-up per packet.
 *
 * Limits: the kernel needs AF_VSOCK (CONFIG_VSOCKETS, module vsock) and
 * the loopback transport (CONFIG_VSOCKETS_LOOPBACK, module
 * vsock_loopback); probe() tries socket(), bind and a connect to the
 * local CID and otherwise reports the module to load (modprobe
 * vsock_loopback), never loading one itself.  A blocking transport, as
 * tcp: a wait is bounded by the harness's watchdog.  Objects: sockets
 * only; a port is freed with its socket, nothing outlives the processes.
 */
#include "transports/fdio.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#ifndef VMADDR_CID_LOCAL
#define VMADDR_CID_LOCAL 1
#endif

struct vsock_chan {
	struct fd_chan fc; /* first: the fdchan hooks use it */
	struct sockaddr_vm addr;
};

static const char vsock_enable[] = "CONFIG_VSOCKETS_LOOPBACK (modprobe vsock_loopback)";

/* A listener on the local CID: its fd, or -errno (recorded; unavailable in a probe). */
static int vsock_listen(struct chan *ch, struct sockaddr_vm *addr, bool probing)
{
	socklen_t len = sizeof(*addr);
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0), e;

	if (fd < 0 && (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT))
		return chan_unavailable(ch, errno,
					"socket AF_VSOCK: no vsock in this kernel: CONFIG_VSOCKETS "
					"(modprobe vsock), then %s",
					vsock_enable);
	if (fd < 0)
		return chan_fail(ch, errno, "socket AF_VSOCK");
	memset(addr, 0, sizeof(*addr));
	addr->svm_family = AF_VSOCK;
	addr->svm_cid = VMADDR_CID_LOCAL;
	addr->svm_port = VMADDR_PORT_ANY;
	if (bind(fd, (struct sockaddr *)addr, sizeof(*addr)) < 0) {
		e = errno;
		close(fd);
		if (e == EADDRNOTAVAIL || probing)
			return chan_unavailable(ch, e, "bind AF_VSOCK to the local CID: no loopback transport: %s",
						vsock_enable);
		return chan_fail(ch, e, "bind AF_VSOCK cid=%u", (unsigned)VMADDR_CID_LOCAL);
	}
	if (getsockname(fd, (struct sockaddr *)addr, &len) < 0 || listen(fd, 1) < 0) {
		e = errno;
		close(fd);
		return chan_fail(ch, e, "listen AF_VSOCK cid=%u", (unsigned)VMADDR_CID_LOCAL);
	}
	return fd;
}

static int vsock_probe(struct chan *ch)
{
	struct sockaddr_vm addr;
	unsigned long long buf = 0;
	socklen_t blen = sizeof(buf);
	int lfd = vsock_listen(ch, &addr, true), cfd, e;

	if (lfd < 0)
		return lfd;
	e = fdio_probe_listener(lfd, AF_VSOCK, &addr, sizeof(addr), &cfd);
	if (!e) {
		if (getsockopt(cfd, AF_VSOCK, SO_VM_SOCKETS_BUFFER_SIZE, &buf, &blen) < 0)
			buf = 0;
		close(cfd);
	}
	close(lfd);
	if (e)
		return chan_unavailable(ch, e, "connect to the local CID port %u: %s", addr.svm_port, vsock_enable);
	ch->limits.max_msg_bytes = 0;
	ch->limits.unit_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "a byte stream over vsock loopback (cid %u): no message limit; buffer %llu KiB",
		 (unsigned)VMADDR_CID_LOCAL, buf >> 10);
	return 0;
}

static int vsock_create(struct chan *ch)
{
	struct vsock_chan *vc = ch->priv;
	int fd = vsock_listen(ch, &vc->addr, false);

	if (fd < 0)
		return fd;
	return fdchan_add_fd(ch, fd);
}

static int vsock_attach(struct chan *ch, enum chan_role role)
{
	struct vsock_chan *vc = ch->priv;
	char what[48];

	snprintf(what, sizeof(what), "AF_VSOCK cid=%u port=%u", vc->addr.svm_cid, vc->addr.svm_port);
	return fdchan_attach_listener(ch, role, AF_VSOCK, &vc->addr, sizeof(vc->addr), what);
}

const struct transport_ops vsock_ops = {
	.name = "vsock",
	.summary = "AF_VSOCK stream over the local loopback CID (vsock_loopback)",
	.kind = CHAN_STREAM,
	.flags = TRANSPORT_CAN_SPIN | TRANSPORT_CAN_EVENT,
	.priv_size = sizeof(struct vsock_chan),
	.probe = vsock_probe,
	.create = vsock_create,
	.attach = vsock_attach,
	.send = fdchan_stream_send,
	.recv = fdchan_stream_recv,
	.detach = fdchan_detach,
	.destroy = fdchan_destroy,
};
