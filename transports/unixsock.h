/*
 * unixsock.h - what unix.c (unix_dgram) and socketpair.c
 * (socketpair_seqpacket) share about AF_UNIX records (internal to
 * transports/).
 */
#ifndef IPCBENCH_UNIXSOCK_H
#define IPCBENCH_UNIXSOCK_H

#include "transports/transport.h"

/*
 * probe(): the largest record of this type (SOCK_DGRAM or SOCK_SEQPACKET)
 * the live host carries, into ch->limits.  Two limits apply: the sender's
 * buffer (a record longer than sk_sndbuf - 32 is EMSGSIZE; sk_sndbuf is
 * twice SO_SNDBUF, which an unprivileged setsockopt caps at
 * net.core.wmem_max), and what the kernel can allocate for one record
 * (above about 4 MiB the linear part of the skb fails with ENOBUFS, for
 * ever).  The first is read back from a socket, the second is found by
 * sending records to a fresh socketpair and bisecting.
 */
int unixsock_max_record(struct chan *ch, int type);

/*
 * probe(), after unixsock_max_record(): applies sndbuf/rcvbuf to a scratch
 * socket of type, records what getsockopt reads back, and lowers the
 * largest record to the granted sk_sndbuf - 32.
 */
int unixsock_probe_options(struct chan *ch, int type);

/* create(): sizes both buffers of fd for one message each way (capped by the host). */
void unixsock_size_buffers(struct chan *ch, int fd);

#endif
