/*
 * sockopt.h - the socket options of the socket transports (internal to
 * transports/): tcp, udp, unix, unix_dgram, socketpair and
 * socketpair_seqpacket declare sndbuf and rcvbuf with the two
 * initializers below, and describe how each of their options reaches a
 * socket (level, name) in a table the functions here apply and read back.
 *
 * SO_SNDBUF and SO_RCVBUF: the kernel doubles the value for its
 * bookkeeping and caps it at net.core.wmem_max / rmem_max without
 * CAP_NET_ADMIN; getsockopt returns the doubled value, which is what is
 * recorded.  Setting one turns the kernel's autotuning off for that buffer
 * (TCP).  On an AF_UNIX record socket a record longer than sk_sndbuf - 32
 * is EMSGSIZE, so a small sndbuf lowers the largest message.
 */
#ifndef IPCBENCH_SOCKOPT_H
#define IPCBENCH_SOCKOPT_H

#include <stdbool.h>
#include <stddef.h>

#include "transports/transport.h"

#define SOCKOPT_SNDBUF_OPTION                                                                            \
	{                                                                                                \
		.name = "sndbuf", .type = TOPT_SIZE, .def_text = "host", .min = 1024, .max = 256 << 20,  \
		.help = "SO_SNDBUF on both ends (no autotuning; recorded as getsockopt's doubled value)" \
	}
#define SOCKOPT_RCVBUF_OPTION                                                                            \
	{                                                                                                \
		.name = "rcvbuf", .type = TOPT_SIZE, .def_text = "host", .min = 1024, .max = 256 << 20,  \
		.help = "SO_RCVBUF on both ends (no autotuning; recorded as getsockopt's doubled value)" \
	}

/* How option opt (an index into the transport's options) reaches a socket. */
struct sockopt_desc {
	int opt;
	int level, name;
	const char *what; /* "SO_SNDBUF" */
	bool always;	  /* set even at its default (tcp's nodelay); else only where given */
};

/* The table of a transport with just sndbuf and rcvbuf, at option indices 0 and 1. */
enum { SOCKOPT_SNDBUF, SOCKOPT_RCVBUF };
extern const struct transport_option sockopt_buf_options[];
#define SOCKOPT_BUF_N 2
extern const struct sockopt_desc sockopt_buf_descs[SOCKOPT_BUF_N];

/* Sets each option of d that applies on fd: 0, chan_fail(), or chan_unavailable() for EPERM. */
int sockopt_apply(struct chan *ch, int fd, const struct sockopt_desc *d, size_t n);
/*
 * From probe(): applies d to a scratch socket (domain, type) and records
 * what getsockopt reads back for each (a TOPT_BOOL as 0 or 1).
 */
int sockopt_probe(struct chan *ch, int domain, int type, const struct sockopt_desc *d, size_t n);

#endif
