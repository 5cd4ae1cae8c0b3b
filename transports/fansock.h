/*
 * fansock.h - fan-in for the socket transports (internal to transports/):
 * one server, ch->nclients clients, TRANSPORT_FAN_IN.
 *
 * Streams (unix, tcp): the parent listens with a backlog of every client;
 * each client connects and says its index (4 bytes, native order) before
 * anything else; the server accepts every client, reads each one's index
 * and serves them from one epoll instance (level-triggered EPOLLIN on
 * every connection): recv_any reads one whole message from a ready
 * connection, send_to writes the reply to that client's connection.  An
 * end of file is -EPIPE naming the client.
 *
 * Datagrams (unix_dgram, udp): the parent makes the server's socket
 * (bound, not connected) and every client's (bound, connected to the
 * server); a client keeps its own and closes the rest; the server tells
 * clients apart by the address a datagram comes from (a hash of the
 * addresses the parent bound) and replies with sendto to that address.
 *
 * The server's waits always sleep in epoll_wait or poll for at most
 * ch->timeout_ms (a dead or silent client is -ETIMEDOUT); the clients
 * wait as ch->wait says, through the fd_chan hooks.
 */
#ifndef IPCBENCH_FANSOCK_H
#define IPCBENCH_FANSOCK_H

#include <stdint.h>
#include <sys/socket.h>

#include "transports/fdio.h"

#define FANSOCK_EVENTS 64
#define FANSOCK_HASH 1024 /* slots: a power of two above 2 * TRANSPORT_MAX_CLIENTS */

struct fansock {
	unsigned int n;
	int epfd;		       /* stream server */
	int sfd;		       /* datagram server's socket (owned by fd_chan) */
	int *fd;		       /* [n]: client i's connection (stream server) or socket (datagram, parent) */
	struct sockaddr_storage *addr; /* [n] datagram: client i's bound address */
	socklen_t *alen;
	uint16_t hash[FANSOCK_HASH]; /* datagram server: client + 1 at the slot of its address, 0 empty */
	unsigned int ready[FANSOCK_EVENTS];
	int nready, next;
};

/* A fan for ch->nclients clients in ((struct fd_chan *)ch->priv)->fan: 0 or -errno (recorded). */
int fansock_new(struct chan *ch);

/* Streams: the parent's backlog; the client's hello; the server's attach. */
int fansock_backlog(const struct chan *ch);
int fansock_hello(struct chan *ch, int fd);
int fansock_accept_all(struct chan *ch, int lfd, int (*apply)(struct chan *ch, int fd));
int fansock_stream_recv_any(struct chan *ch, void *buf, size_t len, unsigned int *client);
int fansock_stream_send_to(struct chan *ch, unsigned int client, const void *buf, size_t len);

/*
 * Datagrams: the parent notes client i's socket (owned by the fan from
 * here) and the address it binds (an AF_UNIX one is unlinked by destroy),
 * then, once bound, fansock_dgram_bound() reads the address back as the
 * kernel reports senders (getsockname).
 */
int fansock_dgram_add(struct chan *ch, unsigned int i, int fd, const struct sockaddr *sa, socklen_t len);
int fansock_dgram_bound(struct chan *ch, unsigned int i);
/* attach: the server keeps sfd, a client its own socket, connected to the server */
int fansock_dgram_attach(struct chan *ch, enum chan_role role, int sfd);
int fansock_dgram_recv_any(struct chan *ch, void *buf, size_t len, unsigned int *client);
int fansock_dgram_send_to(struct chan *ch, unsigned int client, const void *buf, size_t len);

/* detach/destroy of a fan-in socket transport (the fd_chan ones, and the fan freed; destroy unlinks). */
void fansock_detach(struct chan *ch);
void fansock_destroy(struct chan *ch);

#endif
