/*
 * sockopt.c - setting and reading back the socket options of the socket
 * transports (sockopt.h says which and what the kernel does with them).
 */
#include "transports/sockopt.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

const struct transport_option sockopt_buf_options[] = {
	[SOCKOPT_SNDBUF] = SOCKOPT_SNDBUF_OPTION,
	[SOCKOPT_RCVBUF] = SOCKOPT_RCVBUF_OPTION,
	{0},
};

const struct sockopt_desc sockopt_buf_descs[SOCKOPT_BUF_N] = {
	{SOCKOPT_SNDBUF, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF", false},
	{SOCKOPT_RCVBUF, SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF", false},
};

int sockopt_apply(struct chan *ch, int fd, const struct sockopt_desc *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int v = (int)chan_opt(ch, d[i].opt);

		if (!d[i].always && !chan_opt_given(ch, d[i].opt))
			continue;
		if (setsockopt(fd, d[i].level, d[i].name, &v, sizeof(v)) < 0) {
			if (errno == EPERM)
				return chan_unavailable(ch, errno, "setsockopt %s %d needs CAP_NET_ADMIN", d[i].what,
							v);
			return chan_fail(ch, errno, "setsockopt %s %d", d[i].what, v);
		}
	}
	return 0;
}

int sockopt_probe(struct chan *ch, int domain, int type, const struct sockopt_desc *d, size_t n)
{
	int fd = socket(domain, type | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return chan_fail(ch, errno, "socket domain=%d type=%d", domain, type);
	r = sockopt_apply(ch, fd, d, n);
	for (size_t i = 0; !r && i < n; i++) {
		int v = 0;
		socklen_t len = sizeof(v);

		if (getsockopt(fd, d[i].level, d[i].name, &v, &len) < 0)
			r = chan_fail(ch, errno, "getsockopt %s", d[i].what);
		else
			chan_opt_record(ch, d[i].opt, ch->ops->options[d[i].opt].type == TOPT_BOOL ? v != 0 : v);
	}
	close(fd);
	return r;
}
