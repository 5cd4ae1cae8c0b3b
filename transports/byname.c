/*
 * byname.c - the hello of the datagram transports' exec'd clients
 * (byname.h).
 */
#include "transports/byname.h"
#include "transports/fdio.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

int byname_hello_send(struct chan *ch, int fd)
{
	size_t n = strlen(ch->tag);
	ssize_t w;

	do
		w = send(fd, ch->tag, n, 0);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return chan_fail(ch, errno, "send the hello to the server");
	return (size_t)w == n ? 0 : chan_fail(ch, EPROTO, "send the hello: %zd of %zu bytes", w, n);
}

int byname_hello_take(struct chan *ch, int fd)
{
	size_t n = strlen(ch->tag);
	char buf[256];

	for (;;) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t got;
		int r = fdio_wait(ch, fd, POLLIN);

		if (r)
			return r; /* a timeout: no client said hello */
		got = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from, &flen);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got < 0)
			return chan_fail(ch, errno, "recvfrom (the client's hello)");
		if ((size_t)got != n || memcmp(buf, ch->tag, n) || flen <= sizeof(sa_family_t))
			continue; /* not our client's: an unbound sender cannot be answered either */
		if (connect(fd, (struct sockaddr *)&from, flen) < 0)
			return chan_fail(ch, errno, "connect to the client that said hello");
		return 0;
	}
}
