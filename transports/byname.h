/*
 * byname.h - what the datagram transports need to meet an exec'd client
 * (--peers exec, serve): internal to transports/, like fdio.h.
 *
 * A datagram socket made by create() for the client cannot be handed to a
 * process that did not inherit it, and a new socket has another address.
 * So the server's socket is left unconnected by create().  A forked
 * server connects it to the client socket create() made, whose address it
 * inherited.  A client that comes by name (ch->client_by_name: exec'd, or
 * serve's, whose server side is a child of the creator all the same) makes
 * a socket of its own, connects it to the server's name and sends a hello
 * (the cell's tag, which only the cell's own peers know: serve's
 * rendezvous carries the server's); the server then takes the first hello
 * that carries the tag and connects to its sender.  Datagrams the client
 * sends after the hello queue behind it.  A background sender (underload)
 * is forked and shares the client socket create() made.
 */
#ifndef IPCBENCH_BYNAME_H
#define IPCBENCH_BYNAME_H

#include <sys/socket.h>

#include "transports/transport.h"

/* The client's hello on its connected socket fd: 0 or -errno (recorded). */
int byname_hello_send(struct chan *ch, int fd);
/*
 * The server's wait, at most ch->timeout_ms, for the hello on its
 * unconnected socket fd; then fd is connected to its sender.  Datagrams
 * without the tag are dropped.  0 or -errno (recorded).
 */
int byname_hello_take(struct chan *ch, int fd);

#endif
