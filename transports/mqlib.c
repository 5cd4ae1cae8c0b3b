/*
 * mqlib.c - the parts zmq.c and nng.c share (mqlib.h): the rendezvous
 * pipe, the ipc:// socket file, the queue depth, the stubs of a build
 * without the library.
 */
#include "transports/mqlib.h"

#include "common/mono.h"
#include "transports/chan_util.h"
#include "transports/fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
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

int mqlib_create(struct chan *ch, struct mqlib_rdv *r, const char *what)
{
	char name[64];

	r->path[0] = 0;
	if (mqlib_is_ipc(ch)) {
		snprintf(name, sizeof(name), "%s.ipc", what);
		if (chan_path(ch, name, r->path, sizeof(r->path))) {
			r->path[0] = 0;
			return chan_fail(ch, ENAMETOOLONG, "ipc:// socket path in %s (at most %zu bytes)", ch->run_dir,
					 sizeof(r->path) - 1);
		}
	}
	if (pipe2(r->fd, O_CLOEXEC) < 0)
		return chan_fail(ch, errno, "pipe2 (the rendezvous)");
	r->made = true;
	return 0;
}

void mqlib_attach(struct mqlib_rdv *r, enum chan_role role)
{
	fdio_close(&r->fd[role == CHAN_SERVER ? 0 : 1]);
}

int mqlib_bind_endpoint(struct chan *ch, const struct mqlib_rdv *r, const char *any, char *out, size_t outlen)
{
	int n = r->path[0] ? snprintf(out, outlen, "ipc://%s", r->path)
			   : snprintf(out, outlen, "tcp://127.0.0.1:%s", any);

	return n < 0 || (size_t)n >= outlen ? chan_fail(ch, ENAMETOOLONG, "endpoint of %s", r->path) : 0;
}

int mqlib_publish(struct chan *ch, struct mqlib_rdv *r, const char *endpoint)
{
	char line[MQLIB_ENDPOINT_MAX + 1];
	int len = snprintf(line, sizeof(line), "%s\n", endpoint);
	ssize_t n;

	if (len < 0 || (size_t)len >= sizeof(line))
		return chan_fail(ch, ENAMETOOLONG, "endpoint %s", endpoint);
	/* one line shorter than PIPE_BUF: one write, whole or not at all */
	do
		n = write(r->fd[1], line, (size_t)len);
	while (n < 0 && errno == EINTR);
	fdio_close(&r->fd[1]);
	if (n < 0)
		return chan_fail(ch, errno, "write (handing %s to the client)", endpoint);
	return n == len ? 0 : chan_fail(ch, EIO, "short write handing %s to the client", endpoint);
}

/* One read of the rendezvous pipe within the deadline: bytes read, 0 at EOF, or -errno. */
static ssize_t read_by(struct chan *ch, int fd, char *buf, size_t len, uint64_t deadline_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n;

	for (;;) {
		int left = -1, k;

		if (ch->timeout_ms > 0) {
			uint64_t now = mono_ms();

			left = now < deadline_ms ? (int)(deadline_ms - now) : 0;
		}
		k = poll(&p, 1, left);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return -ETIMEDOUT;
		n = read(fd, buf, len);
		if (n >= 0 || errno != EINTR)
			return n < 0 ? -errno : n;
	}
}

int mqlib_wait_endpoint(struct chan *ch, struct mqlib_rdv *r, char *out, size_t outlen)
{
	uint64_t deadline = mono_ms() + (uint64_t)(ch->timeout_ms > 0 ? ch->timeout_ms : 0);
	size_t got = 0;
	ssize_t n;

	/* one line; the pipe never ends (the parent holds a write end until destroy) */
	while ((n = read_by(ch, r->fd[0], out + got, outlen - 1 - got, deadline)) > 0) {
		got += (size_t)n;
		if (out[got - 1] == '\n' || got == outlen - 1)
			break;
	}
	fdio_close(&r->fd[0]);
	out[got] = 0;
	if (got && out[got - 1] == '\n') {
		out[got - 1] = 0;
		return 0;
	}
	if (n == -ETIMEDOUT)
		return chan_fail(ch, ETIMEDOUT, "waiting for the server's endpoint: nothing in %d ms", ch->timeout_ms);
	if (n < 0)
		return chan_fail(ch, (int)-n, "read (the server's endpoint)");
	return chan_fail(ch, EPIPE, "the server handed over %s endpoint", got ? "too long an" : "no");
}

void mqlib_detach(struct mqlib_rdv *r)
{
	if (!r->made)
		return;
	fdio_close(&r->fd[0]);
	fdio_close(&r->fd[1]);
}

void mqlib_destroy(struct mqlib_rdv *r)
{
	mqlib_detach(r);
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
