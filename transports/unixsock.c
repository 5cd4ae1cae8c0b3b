/*
 * unixsock.c - the record limits of AF_UNIX datagram and seqpacket
 * sockets, measured on the live host (unixsock.h says which apply).
 */
#include "transports/unixsock.h"
#include "transports/chan_util.h"
#include "transports/sockopt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define UNIXSOCK_STEP 1 /* the bisection stops at this resolution: exact */

/* A socketpair of type whose sending buffer is as large as the host allows; returns SO_SNDBUF. */
static int big_pair(struct chan *ch, int type, long long wmem, int sv[2])
{
	int snd = 0;
	socklen_t sl = sizeof(snd);

	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
		return chan_fail(ch, errno, "socketpair AF_UNIX");
	if (wmem > 0 && wmem < 1 << 30) {
		int want = (int)wmem;

		setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
		setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
	}
	if (getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &snd, &sl) < 0) {
		int e = errno;

		close(sv[0]);
		close(sv[1]);
		return chan_fail(ch, e, "getsockopt SO_SNDBUF");
	}
	return snd;
}

/* 1: a record of len bytes was accepted, 0: refused (ENOBUFS, EMSGSIZE), -errno. */
static int try_record(struct chan *ch, int type, long long wmem, const void *buf, size_t len)
{
	int sv[2], r = big_pair(ch, type, wmem, sv);
	ssize_t n;

	if (r < 0)
		return r;
	n = send(sv[0], buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == (ssize_t)len)
		r = 1;
	else if (n < 0 && (errno == ENOBUFS || errno == EMSGSIZE || errno == EAGAIN))
		r = 0;
	else
		r = chan_fail(ch, n < 0 ? errno : EPROTO, "send a %zu-byte probe record", len);
	close(sv[0]);
	close(sv[1]);
	return r;
}

/* The largest len <= hi the kernel accepts (hi itself first: usually it does). */
static int bisect(struct chan *ch, int type, long long wmem, size_t hi, size_t *out)
{
	void *buf = calloc(1, hi);
	size_t lo = 0;
	int r;

	if (!buf)
		return chan_fail(ch, ENOMEM, "a %zu-byte probe record", hi);
	r = try_record(ch, type, wmem, buf, hi);
	if (r == 1)
		lo = hi;
	while (r >= 0 && lo < hi && hi - lo > UNIXSOCK_STEP) {
		size_t mid = lo + (hi - lo) / 2;

		r = try_record(ch, type, wmem, buf, mid);
		if (r == 1)
			lo = mid;
		else if (r == 0)
			hi = mid;
	}
	free(buf);
	*out = lo;
	return r < 0 ? r : 0;
}

int unixsock_max_record(struct chan *ch, int type)
{
	long long wmem = 0;
	size_t by_buf, by_kernel = 0;
	int sv[2], snd, r;

	chan_read_sysctl("/proc/sys/net/core/wmem_max", &wmem);
	snd = big_pair(ch, type, wmem, sv);
	if (snd < 0)
		return snd;
	close(sv[0]);
	close(sv[1]);
	by_buf = snd > 32 ? (size_t)snd - 32 : 1;
	r = bisect(ch, type, wmem, by_buf, &by_kernel);
	if (r)
		return r;
	if (!by_kernel)
		return chan_unavailable(ch, ENOBUFS, "the kernel accepts no %s record at all",
					type == SOCK_DGRAM ? "datagram" : "seqpacket");
	ch->limits.max_msg_bytes = by_kernel;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "a record is at most %zu bytes: sk_sndbuf-32 = %zu (net.core.wmem_max %lld), kernel allocates %s",
		 by_kernel, by_buf, wmem, by_kernel < by_buf ? "less (ENOBUFS above)" : "that much");
	return 0;
}

int unixsock_probe_options(struct chan *ch, int type)
{
	long long snd;
	size_t n;
	int r = sockopt_probe(ch, AF_UNIX, type, sockopt_buf_descs, SOCKOPT_BUF_N);

	if (r || !chan_opt_given(ch, SOCKOPT_SNDBUF))
		return r;
	snd = ch->limits.opt[SOCKOPT_SNDBUF];
	if (snd > 32 && (size_t)snd - 32 < ch->limits.max_msg_bytes) {
		ch->limits.max_msg_bytes = (size_t)snd - 32;
		n = strlen(ch->limits.note);
		snprintf(ch->limits.note + n, sizeof(ch->limits.note) - n, "; the sndbuf asked lowers it to %zu",
			 ch->limits.max_msg_bytes);
	}
	return 0;
}

void unixsock_size_buffers(struct chan *ch, int fd)
{
	int want = ch->msg_bytes + 64 > (1u << 30) ? 1 << 30 : (int)ch->msg_bytes + 64;

	if (want < 65536)
		return;
	/* the kernel doubles and caps these; a too-small result shows up as EMSGSIZE */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
}
