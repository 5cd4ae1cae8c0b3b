/*
 * mqlib.c - the parts zmq.c and nng.c share (mqlib.h): the endpoint fixed
 * by create(), the reserved port, the ipc:// socket file, the queue depth, the stubs of a build
 * without the library.
 */
#include "transports/mqlib.h"

#include "common/mono.h"
#include "transports/chan_util.h"
#include "transports/fdio.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

const char *const mqlib_nets[] = {"ipc", "tcp", NULL};

bool mqlib_is_ipc(const struct chan *ch)
{
	return chan_opt(ch, MQLIB_OPT_NET) == MQLIB_NET_IPC;
}

const char *mqlib_raw_of(const struct chan_opts *o)
{
	bool tcp = (o->given & (1u << MQLIB_OPT_NET)) && o->val[MQLIB_OPT_NET] == MQLIB_NET_TCP;

	return tcp ? "tcp" : "unix";
}

/* tcp: a port of the kernel's choosing on the channel's address, held by r->resv. */
static int mqlib_reserve_port(struct chan *ch, struct mqlib_rdv *r)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	char ip[INET_ADDRSTRLEN];
	int one = 1, n;

	a.sin_addr.s_addr = ch->net_addr ? ch->net_addr : htonl(INADDR_LOOPBACK);
	if (!inet_ntop(AF_INET, &a.sin_addr, ip, sizeof(ip)))
		return chan_fail(ch, errno, "inet_ntop");
	r->resv = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (r->resv < 0)
		return chan_fail(ch, errno, "socket AF_INET (the port's reservation)");
	if (setsockopt(r->resv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return chan_fail(ch, errno, "setsockopt SO_REUSEADDR");
	if (bind(r->resv, (struct sockaddr *)&a, sizeof(a)) < 0)
		return chan_fail(ch, errno, "bind %s:0", ip);
	if (getsockname(r->resv, (struct sockaddr *)&a, &len) < 0)
		return chan_fail(ch, errno, "getsockname");
	n = snprintf(r->endpoint, sizeof(r->endpoint), "tcp://%s:%u", ip, ntohs(a.sin_port));
	return n < 0 || (size_t)n >= sizeof(r->endpoint) ? chan_fail(ch, ENAMETOOLONG, "tcp endpoint") : 0;
}

int mqlib_create(struct chan *ch, struct mqlib_rdv *r, const char *what)
{
	char name[64];
	int n;

	r->path[0] = 0;
	r->resv = -1;
	r->made = true;
	if (!mqlib_is_ipc(ch))
		return mqlib_reserve_port(ch, r);
	if (ch->net_addr)
		return chan_fail(ch, EINVAL, "%s:net=ipc joins processes of one host: use :net=tcp", ch->ops->name);
	snprintf(name, sizeof(name), "%s.ipc", what);
	if (chan_path(ch, name, r->path, sizeof(r->path))) {
		r->path[0] = 0;
		return chan_fail(ch, ENAMETOOLONG, "ipc:// socket path in %s (at most %zu bytes)", ch->run_dir,
				 sizeof(r->path) - 1);
	}
	n = snprintf(r->endpoint, sizeof(r->endpoint), "ipc://%s", r->path);
	return n < 0 || (size_t)n >= sizeof(r->endpoint) ? chan_fail(ch, ENAMETOOLONG, "endpoint of %s", r->path) : 0;
}

void mqlib_adopt(struct mqlib_rdv *r)
{
	r->resv = -1;
}

void mqlib_release(struct mqlib_rdv *r)
{
	if (r->made)
		fdio_close(&r->resv);
}

void mqlib_destroy(struct mqlib_rdv *r)
{
	mqlib_release(r);
	r->made = false;
	if (r->path[0]) {
		unlink(r->path); /* the libraries leave it when the server is killed */
		r->path[0] = 0;
	}
}

int mqlib_spin_turn(struct chan *ch, uint64_t *deadline_ms, unsigned *turns, const char *call)
{
	if (ch->timeout_ms > 0 && (*turns)++ % 256 == 0) {
		uint64_t now = mono_ms();

		if (!*deadline_ms)
			*deadline_ms = now + (uint64_t)ch->timeout_ms;
		else if (now >= *deadline_ms)
			return chan_fail(ch, ETIMEDOUT, "%s: nothing for %d ms (peer gone?)", call, ch->timeout_ms);
	}
	chan_relax(ch);
	return 0;
}

int mqlib_queue_depth(size_t msg_bytes)
{
	size_t n = (8u << 20) / (msg_bytes ? msg_bytes : 1);

	return n < 4 ? 4 : n > 1000 ? 1000 : (int)n;
}

int mqlib_absent(struct chan *ch, const char *lib, const char *package)
{
	return chan_unavailable(ch, ENOSYS, "built without %s: install %s (sh scripts/install-deps.sh) and rebuild",
				lib, package);
}

int mqlib_absent_create(struct chan *ch)
{
	return chan_fail(ch, ENOSYS, "built without its library");
}

int mqlib_absent_attach(struct chan *ch, enum chan_role role)
{
	(void)role;
	return mqlib_absent_create(ch);
}

int mqlib_absent_send(struct chan *ch, const void *buf, size_t len)
{
	(void)buf;
	(void)len;
	return mqlib_absent_create(ch);
}

int mqlib_absent_recv(struct chan *ch, void *buf, size_t len)
{
	(void)buf;
	(void)len;
	return mqlib_absent_create(ch);
}

void mqlib_absent_destroy(struct chan *ch)
{
	(void)ch;
}
