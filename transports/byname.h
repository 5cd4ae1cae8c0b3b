/*
 * byname.h - what the datagram transports need to meet an exec'd client
 * (--peers exec, serve): internal to transports/, like fdio.h.
 *
 * A datagram socket made by create() for the client cannot be handed to a
 * process that did not inherit it, and a new socket has another address.
 * So a client that comes by name (an exec'd one, or serve's, whose
 * rendezvous carries the server's tag) makes its own socket, connects it
 * to the server's name and sends a hello (the cell's tag, which only the
 * cell's own peers know); the server's socket, left
 * unconnected by create(), takes the first hello that carries the tag and
 * connects to its sender.  Datagrams the client sends after the hello
 * queue behind it.  A forked server connects to the client socket create()
 * made, whose address it inherited, and no hello is sent.
 */
#ifndef IPCBENCH_BYNAME_H
#define IPCBENCH_BYNAME_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "transports/transport.h"

/*
 * Whether this channel's client comes by name: it was told so
 * (ch->client_by_name: under serve the server side is a child of the
 * creator, yet its client inherited nothing), or the server side is the
 * process that made the channel (an exec'd server peer).
 */
static inline bool byname_client_comes(const struct chan *ch, pid_t creator)
{
	return ch->client_by_name || creator == getpid();
}

/* The client's hello on its connected socket fd: 0 or -errno (recorded). */
int byname_hello_send(struct chan *ch, int fd);
/*
 * The server's wait, at most ch->timeout_ms, for the hello on its
 * unconnected socket fd; then fd is connected to its sender.  Datagrams
 * without the tag are dropped.  0 or -errno (recorded).
 */
int byname_hello_take(struct chan *ch, int fd);

#endif
