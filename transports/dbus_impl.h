/*
 * dbus_impl.h - what the D-Bus transports share (internal to dbus.c,
 * dbus_sd.c and dbus_libdbus.c): the channel state and the two library
 * back ends, sd-bus (libsystemd) and libdbus-1.
 *
 * The method is Ping(ay) -> ay on DBUS_PATH, interface DBUS_IFACE.  The
 * client's send() sends the call (its serial kept), its recv() waits for
 * the reply to that serial; the server's recv() waits for a call, keeps
 * it, and its send() answers the call it kept.  In the stream pattern
 * the server never answers: each call it receives replaces the last.
 *
 * Fan-in (--clients, dbus only): the N clients call the one service on
 * the bus.  At attach each client sends Join(u index), no reply wanted;
 * the bus keeps one sender's messages in order, so its Join reaches the
 * server before its first Ping.  The server keeps, per client index, the
 * unique name that joined with it and the call it is to answer
 * (struct dbus_fan); recv_any() names a Ping's client by its sender, and
 * send_to() answers that client's call, which the bus routes back to
 * that caller only.  A client that leaves the bus (it exited, or was
 * killed) is seen in the daemon's NameOwnerChanged signal (a match on
 * an empty new owner): recv_any() then says -EPIPE with its index, once.
 */
#ifndef IPCBENCH_DBUS_IMPL_H
#define IPCBENCH_DBUS_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "transports/transport.h"

#define DBUS_NAME "org.ipcbench.Server"
#define DBUS_PATH "/org/ipcbench/Server"
#define DBUS_IFACE "org.ipcbench.Bench"
#define DBUS_METHOD "Ping"
#define DBUS_JOIN "Join" /* fan-in: a client's index, at attach */
/* fan-in: the bus driver's signal that a name lost its owner (a client left) */
#define DBUS_LEFT_RULE                                                                  \
	"type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus'," \
	"member='NameOwnerChanged',arg2=''"

/* The D-Bus specification's limits (both libraries and the daemon enforce them). */
#define DBUS_SPEC_MAX_MESSAGE ((size_t)128 << 20)
#define DBUS_SPEC_MAX_ARRAY ((size_t)64 << 20)

enum { DBUS_OPT_LIB };
enum dbus_lib { DBUS_LIB_SDBUS, DBUS_LIB_LIBDBUS };

/* fan-in, in the server: one per client index */
struct dbus_fan {
	char name[64]; /* the unique name that joined as this client; "" until its Join */
	void *held;    /* its call being answered (a message) */
	bool gone;     /* its name has left the bus */
	bool told;     /* recv_any() has said so */
};

struct dbus_priv {
	/* create(), in the parent */
	bool p2p;
	pid_t daemon;  /* > 0: the private dbus-daemon, to stop in destroy() */
	int listen_fd; /* p2p with sd-bus: the listening socket; -1 */
	bool made;     /* create() set the fields below */
	char sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char conf[512];
	char errlog[512];
	char addr[640]; /* the address the peers connect to */
	pid_t creator;	/* the process that ran create(): the daemon's parent */
	/* attach(), in each child */
	void *conn;	 /* sd_bus * or DBusConnection * */
	void *held;	 /* server: the call being answered (a message) */
	bool got;	 /* server: a call arrived during this recv() */
	uint32_t serial; /* client: the call in flight (its cookie) */
	uint8_t *rbuf;	 /* server: where the arriving call's payload goes */
	size_t rlen;
	int rerr;      /* server: the arriving call's error (-EPROTO: wrong size) */
	char peer[64]; /* server on the bus: its client's unique name (the first caller's) */
	/* fan-in server, attach() to detach(): ch->nclients entries, malloc'd in this process */
	struct dbus_fan *fan;
	unsigned int got_client; /* the client whose call this recv_any() took */
};

struct dbus_backend {
	int (*attach)(struct chan *ch, enum chan_role role);
	int (*send)(struct chan *ch, const void *buf, size_t len);
	int (*recv)(struct chan *ch, void *buf, size_t len);
	void (*detach)(struct chan *ch);
	/* server on the bus: waits, at most timeout_ms, until the unique name p->peer has left the bus */
	void (*wait_gone)(struct chan *ch);
	/* fan-in server (see the top) */
	int (*recv_any)(struct chan *ch, void *buf, size_t len, unsigned int *client);
	int (*send_to)(struct chan *ch, unsigned int client, const void *buf, size_t len);
};

extern const struct dbus_backend dbus_sd_backend, dbus_libdbus_backend;

/* dbus.c: the deadline of a wait that began now, and the microseconds left until it (0: passed). */
uint64_t dbus_deadline(const struct chan *ch);
uint64_t dbus_left_us(uint64_t deadline);
/* dbus.c: the server side of the p2p listener: an accepted connection or -1 (chan_fail). */
int dbus_p2p_accept(struct chan *ch);

/*
 * dbus.c: the fan-in server's table of clients.  dbus_fan_open() makes it
 * (0 or -ENOMEM, recorded); dbus_fan_join() notes a Join (0, or -EPROTO
 * recorded: an index out of range or taken); dbus_fan_find() is the index
 * that joined as sender, or -1; dbus_fan_left() marks a name gone;
 * dbus_fan_gone() gives a gone client recv_any() has not told of yet;
 * dbus_fan_close() unrefs each held call with unref and frees the table.
 */
int dbus_fan_open(struct chan *ch);
int dbus_fan_join(struct chan *ch, const char *sender, uint32_t index);
int dbus_fan_find(const struct chan *ch, const char *sender);
void dbus_fan_left(struct chan *ch, const char *name);
bool dbus_fan_gone(struct chan *ch, unsigned int *client);
void dbus_fan_close(struct chan *ch, void (*unref)(void *msg));

#endif
