/*
 * mqlib.h - what the two message-queue library transports (zmq.c, nng.c)
 * share: the net option, the rendezvous that hands the server's bound
 * endpoint to the client, the ipc:// socket file, the queue depth, the raw
 * transport underneath and the stubs of a build without the library.
 * Internal to transports/.
 *
 * The libraries start threads and must not be initialised before the
 * fork, so neither can bind in create() as unix.c and tcp.c do.  Instead
 * create() fixes the whole endpoint and writes it into priv, so that a
 * process that gets only priv's bytes finds the server by name (--peers
 * exec, serve): ipc:// names a socket file in the run directory; tcp://
 * takes the address (ch->net_addr under serve, else 127.0.0.1) and a port
 * create() gets from the kernel by binding a plain socket to port 0.  That
 * socket stays bound (SO_REUSEADDR, never listening) until the server has
 * bound the library's listener to the same port, so neither an ephemeral
 * connect nor another bind on the host takes the port in between (both
 * libraries set SO_REUSEADDR on their listeners, and Linux lets a
 * listener share a port with a bound socket that is not listening when
 * both set it).  The client connects whenever it starts: a connection
 * made before the server listens is retried by the library itself
 * (ZeroMQ's reconnect, nng's non-blocking dialer) every MQLIB_RETRY_MS.
 *
 * The ipc:// socket file is <run_dir>/<tag>-<what>.ipc, named in create()
 * so that destroy() removes it whatever happened to the server.  It needs
 * no ledger entry: it lives in the run directory, whose files `ipcbench
 * clean` removes when the run is dead (harness/cleanup.c).  ipc:// joins
 * processes of one host: under serve with a remote client (net_addr set)
 * create() refuses it, naming :net=tcp.
 */
#ifndef IPCBENCH_MQLIB_H
#define IPCBENCH_MQLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transports/transport.h"

enum { MQLIB_NET_IPC, MQLIB_NET_TCP };
extern const char *const mqlib_nets[];

/* The option every mqlib transport takes first (index 0). */
#define MQLIB_OPT_NET 0
#define MQLIB_NET_OPTION                                                                             \
	{                                                                                            \
		.name = "net", .type = TOPT_ENUM, .def = MQLIB_NET_IPC, .values = mqlib_nets,        \
		.help = "ipc: a socket file in the run directory; tcp: 127.0.0.1, an ephemeral port" \
	}

#define MQLIB_PATH_MAX 108 /* sizeof(sockaddr_un.sun_path): the ipc:// limit of both libraries */
#define MQLIB_ENDPOINT_MAX 160

#define MQLIB_RETRY_MS 10 /* the client's reconnect interval while the server is not listening yet */

struct mqlib_rdv {
	bool made;			   /* create() ran */
	int resv;			   /* tcp: the socket holding the port until the server binds; -1 */
	char endpoint[MQLIB_ENDPOINT_MAX]; /* "ipc://<path>" or "tcp://<addr>:<port>" */
	char path[MQLIB_PATH_MAX];	   /* ipc: the socket file; empty for tcp */
};

/* The ipc:// transport is net=ipc (the default). */
bool mqlib_is_ipc(const struct chan *ch);
/* "unix" for net=ipc, "tcp" for net=tcp: the raw_of hook of both transports. */
const char *mqlib_raw_of(const struct chan_opts *o);
/*
 * create(): the endpoint, for ipc the socket file's name ("<tag>-<what>.ipc"
 * in the run directory), for tcp the reserved port.  0 or -errno (recorded).
 */
int mqlib_create(struct chan *ch, struct mqlib_rdv *r, const char *what);
/* adopt(): the reserving socket is the creator's; the names stay. */
void mqlib_adopt(struct mqlib_rdv *r);
/* attach() of the client, and the server once its listener is bound: the reserving socket goes. */
void mqlib_release(struct mqlib_rdv *r);
/* destroy(): closes the reserving socket and removes the socket file.  Idempotent, safe on a zeroed one. */
void mqlib_destroy(struct mqlib_rdv *r);

/*
 * One turn of polling a non-blocking call under --wait spin (deadline_ms
 * and turns start at 0): 0 to try again, or -ETIMEDOUT (recorded) once
 * nothing came for ch->timeout_ms.  The clock is read every 256 turns.
 */
int mqlib_spin_turn(struct chan *ch, uint64_t *deadline_ms, unsigned *turns, const char *call);

/*
 * How many messages of msg_bytes each queue of a one-way channel may hold:
 * about 8 MiB of them, between 4 and 1000 (ZeroMQ's default).  Unbounded
 * (or the default 1000 of 1 MiB messages) a stream cell would queue
 * gigabytes in the sender while the receiver checks payloads.
 */
int mqlib_queue_depth(size_t msg_bytes);

/* A build without the library: every hook but probe fails with ENOSYS. */
int mqlib_absent(struct chan *ch, const char *lib, const char *package);
int mqlib_absent_create(struct chan *ch);
int mqlib_absent_attach(struct chan *ch, enum chan_role role);
int mqlib_absent_send(struct chan *ch, const void *buf, size_t len);
int mqlib_absent_recv(struct chan *ch, void *buf, size_t len);
void mqlib_absent_destroy(struct chan *ch);

#endif
