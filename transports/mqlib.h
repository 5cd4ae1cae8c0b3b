/*
 * mqlib.h - what the two message-queue library transports (zmq.c, nng.c)
 * share: the net option, the rendezvous that hands the server's bound
 * endpoint to the client, the ipc:// socket file, the queue depth, the raw
 * transport underneath and the stubs of a build without the library.
 * Internal to transports/.
 *
 * The libraries start threads and must not be initialised before the
 * fork, so neither can bind in create() as unix.c and tcp.c do: the
 * server binds in its attach() (tcp on an ephemeral port) and writes the
 * endpoint it got into a pipe made by create(); the client's attach()
 * reads it, waiting at most ch->timeout_ms, and connects.  The client
 * therefore never connects before the listener exists (no reconnect
 * back-off in the first messages) and learns a port nobody could take in
 * between.
 *
 * The ipc:// socket file is <run_dir>/<tag>-<what>.ipc, named in create()
 * so that destroy() removes it whatever happened to the server.  It needs
 * no ledger entry: it lives in the run directory, whose files `ipcbench
 * clean` removes when the run is dead (harness/cleanup.c).
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

struct mqlib_rdv {
	bool made;		   /* create() made the pipe */
	int fd[2];		   /* the rendezvous pipe: the server writes [1], the client reads [0] */
	char path[MQLIB_PATH_MAX]; /* ipc: the socket file; empty for tcp */
};

/* The ipc:// transport is net=ipc (the default). */
bool mqlib_is_ipc(const struct chan *ch);
/* "unix" for net=ipc, "tcp" for net=tcp: the raw_of hook of both transports. */
const char *mqlib_raw_of(const struct chan_opts *o);
/*
 * create(): the rendezvous pipe and, for ipc, the socket file's name
 * ("<tag>-<what>.ipc" in the run directory).  0 or -errno (recorded).
 */
int mqlib_create(struct chan *ch, struct mqlib_rdv *r, const char *what);
/* attach(): closes the other side's end of the pipe. */
void mqlib_attach(struct mqlib_rdv *r, enum chan_role role);
/* The endpoint the server binds: "ipc://<path>", or "tcp://127.0.0.1:<any>" (any: "*" or "0"). */
int mqlib_bind_endpoint(struct chan *ch, const struct mqlib_rdv *r, const char *any, char *out, size_t outlen);
/* The server, once bound: hands endpoint to the client and closes its end. */
int mqlib_publish(struct chan *ch, struct mqlib_rdv *r, const char *endpoint);
/* The client: the server's endpoint, waiting at most ch->timeout_ms.  0 or -errno (recorded). */
int mqlib_wait_endpoint(struct chan *ch, struct mqlib_rdv *r, char *out, size_t outlen);
/* detach(): closes what is left of this side's pipe. */
void mqlib_detach(struct mqlib_rdv *r);
/* destroy(): closes the pipe and removes the socket file.  Idempotent, safe on a zeroed one. */
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
