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

/* The D-Bus specification's limits (both libraries and the daemon enforce them). */
#define DBUS_SPEC_MAX_MESSAGE ((size_t)128 << 20)
#define DBUS_SPEC_MAX_ARRAY ((size_t)64 << 20)

enum { DBUS_OPT_LIB };
enum dbus_lib { DBUS_LIB_SDBUS, DBUS_LIB_LIBDBUS };

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
};

struct dbus_backend {
	int (*attach)(struct chan *ch, enum chan_role role);
	int (*send)(struct chan *ch, const void *buf, size_t len);
	int (*recv)(struct chan *ch, void *buf, size_t len);
	void (*detach)(struct chan *ch);
	/* server on the bus: waits, at most timeout_ms, until the unique name p->peer has left the bus */
	void (*wait_gone)(struct chan *ch);
};

extern const struct dbus_backend dbus_sd_backend, dbus_libdbus_backend;

/* dbus.c: the deadline of a wait that began now, and the microseconds left until it (0: passed). */
uint64_t dbus_deadline(const struct chan *ch);
uint64_t dbus_left_us(uint64_t deadline);
/* dbus.c: the server side of the p2p listener: an accepted connection or -1 (chan_fail). */
int dbus_p2p_accept(struct chan *ch);

#endif
