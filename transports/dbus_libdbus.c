/*
 * dbus_libdbus.c - the libdbus-1 back end of dbus and dbus_p2p
 * (dbus_impl.h), with no main loop: messages are taken with
 * dbus_connection_pop_message() (never dispatched, so libdbus answers
 * nothing itself) and every wait is dbus_connection_read_write() against
 * the channel's deadline.  Peer to peer, the server listens with its own
 * DBusServer in attach() (libdbus cannot adopt a socket another made) and
 * the client retries its connect until the socket exists.  Both raise the
 * connection's message limits (32 MiB by default) to the cell's size.
 * libdbus starts no threads; detach() ends with dbus_shutdown() so
 * nothing it allocated stays.
 */
#include "transports/dbus_impl.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "transports/chan_util.h"

#ifdef HAVE_LIBDBUS
#include <dbus/dbus.h>

static int ld_fail(struct chan *ch, int err, const char *what, DBusError *e)
{
	int r = chan_fail(ch, err, "%s: %s", what, dbus_error_is_set(e) ? e->message : "failed");

	dbus_error_free(e);
	return r;
}

static void ld_limits(struct chan *ch, DBusConnection *c)
{
	long max = (long)(ch->msg_bytes + 65536);

	dbus_connection_set_max_message_size(c, max);
	dbus_connection_set_max_received_size(c, 4 * max);
}

static void on_new_conn(DBusServer *s, DBusConnection *c, void *data)
{
	struct dbus_priv *p = data;

	if (!p->conn)
		p->conn = dbus_connection_ref(c);
}

static dbus_bool_t on_add_watch(DBusWatch *w, void *data)
{
	DBusWatch **slot = data;

	if (dbus_watch_get_flags(w) & DBUS_WATCH_READABLE)
		*slot = w;
	return TRUE;
}

static void on_remove_watch(DBusWatch *w, void *data)
{
	DBusWatch **slot = data;

	if (*slot == w)
		*slot = NULL;
}

/* p2p server: listen on the socket path, take the first connection, stop listening. */
static int ld_accept(struct chan *ch, struct dbus_priv *p)
{
	static const char *mechs[] = {"EXTERNAL", NULL};
	uint64_t deadline = dbus_deadline(ch);
	DBusError e = DBUS_ERROR_INIT;
	DBusWatch *w = NULL;
	DBusServer *s = dbus_server_listen(p->addr, &e);

	if (!s)
		return ld_fail(ch, EIO, "dbus_server_listen", &e);
	dbus_server_set_auth_mechanisms(s, mechs);
	dbus_server_set_new_connection_function(s, on_new_conn, p, NULL);
	dbus_server_set_watch_functions(s, on_add_watch, on_remove_watch, NULL, &w, NULL);
	while (!p->conn && w) {
		struct pollfd pfd = {.fd = dbus_watch_get_unix_fd(w), .events = POLLIN};
		uint64_t left = dbus_left_us(deadline);

		if (!left)
			break;
		if (poll(&pfd, 1, left == UINT64_MAX ? -1 : (int)(left / 1000u + 1)) > 0)
			dbus_watch_handle(w, DBUS_WATCH_READABLE);
	}
	dbus_server_disconnect(s);
	dbus_server_unref(s);
	return p->conn ? 0 : chan_fail(ch, ETIMEDOUT, "accept %s: no client within %d ms", p->sock, ch->timeout_ms);
}

/* p2p client: the server listens only once it has attached. */
static int ld_connect(struct chan *ch, struct dbus_priv *p)
{
	uint64_t deadline = dbus_deadline(ch);
	DBusError e = DBUS_ERROR_INIT;

	for (;;) {
		p->conn = dbus_connection_open_private(p->addr, &e);
		if (p->conn || !dbus_left_us(deadline))
			break;
		dbus_error_free(&e);
		usleep(1000);
	}
	return p->conn ? 0 : ld_fail(ch, ECONNREFUSED, p->addr, &e);
}

static int ld_wait_name(struct chan *ch, DBusConnection *c)
{
	uint64_t deadline = dbus_deadline(ch);
	DBusError e = DBUS_ERROR_INIT;

	while (!dbus_bus_name_has_owner(c, DBUS_NAME, &e)) {
		if (dbus_error_is_set(&e))
			return ld_fail(ch, EIO, "NameHasOwner " DBUS_NAME, &e);
		if (!dbus_left_us(deadline))
			return chan_fail(ch, ETIMEDOUT, "no server owns %s within %d ms", DBUS_NAME, ch->timeout_ms);
		usleep(1000);
	}
	return 0;
}

/* Fan-in server: until every client that joined has left the bus (at most timeout_ms in all). */
static void ld_wait_all_gone(struct chan *ch)
{
	struct dbus_priv *p = ch->priv;
	uint64_t deadline = dbus_deadline(ch);
	DBusError e = DBUS_ERROR_INIT;

	for (unsigned int i = 0; p->conn && i < ch->nclients; i++)
		while (p->fan[i].name[0] && dbus_bus_name_has_owner(p->conn, p->fan[i].name, &e) &&
		       dbus_left_us(deadline))
			usleep(1000);
	dbus_error_free(&e);
}

/* Until the client's unique name has left the bus (at most timeout_ms). */
static void ld_wait_gone(struct chan *ch)
{
	struct dbus_priv *p = ch->priv;
	uint64_t deadline = dbus_deadline(ch);
	DBusError e = DBUS_ERROR_INIT;

	p->peer[sizeof(p->peer) - 1] = 0;
	if (p->fan) {
		ld_wait_all_gone(ch);
		return;
	}
	if (!p->conn || !p->peer[0])
		return;
	while (dbus_bus_name_has_owner(p->conn, p->peer, &e) && dbus_left_us(deadline))
		usleep(1000);
	dbus_error_free(&e);
}

/* Fan-in client: Join(u index), no reply wanted (the bus keeps it ahead of the first Ping). */
static int ld_join(struct chan *ch, DBusConnection *c)
{
	DBusMessage *m = dbus_message_new_method_call(DBUS_NAME, DBUS_PATH, DBUS_IFACE, DBUS_JOIN);
	dbus_uint32_t index = ch->client;
	bool ok = m && dbus_message_append_args(m, DBUS_TYPE_UINT32, &index, DBUS_TYPE_INVALID);

	if (m)
		dbus_message_set_no_reply(m, TRUE);
	ok = ok && dbus_connection_send(c, m, NULL);
	if (m)
		dbus_message_unref(m);
	if (!ok)
		return chan_fail(ch, ENOMEM, "%s as client %u", DBUS_JOIN, ch->client);
	dbus_connection_flush(c);
	return 0;
}

static int ld_attach(struct chan *ch, enum chan_role role)
{
	struct dbus_priv *p = ch->priv;
	DBusError e = DBUS_ERROR_INIT;
	int r;

	if (p->p2p) {
		r = role == CHAN_SERVER ? ld_accept(ch, p) : ld_connect(ch, p);
		if (!r)
			ld_limits(ch, p->conn);
		return r;
	}
	p->conn = dbus_connection_open_private(p->addr, &e);
	if (!p->conn)
		return ld_fail(ch, EIO, p->addr, &e);
	ld_limits(ch, p->conn);
	if (!dbus_bus_register(p->conn, &e))
		return ld_fail(ch, EIO, "Hello", &e);
	if (role == CHAN_CLIENT) {
		r = ld_wait_name(ch, p->conn);
		return r || !ch->nclients ? r : ld_join(ch, p->conn);
	}
	if (ch->nclients) {
		if (dbus_fan_open(ch))
			return -ch->err;
		/* before the name: a client can only join once the service has its owner */
		dbus_bus_add_match(p->conn, DBUS_LEFT_RULE, &e);
		if (dbus_error_is_set(&e))
			return ld_fail(ch, EIO, "AddMatch NameOwnerChanged", &e);
	}
	if (dbus_bus_request_name(p->conn, DBUS_NAME, DBUS_NAME_FLAG_DO_NOT_QUEUE, &e) !=
	    DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER)
		return ld_fail(ch, EACCES, "RequestName " DBUS_NAME, &e);
	return 0;
}

/* The reply to *held (which it drops) or, with held NULL, the client's call, carrying buf. */
static int ld_send_one(struct chan *ch, DBusMessage **held, const void *buf, size_t len)
{
	struct dbus_priv *p = ch->priv;
	DBusMessage *m;
	dbus_uint32_t serial = 0;
	int n = (int)len;
	bool ok;

	if (!held)
		m = dbus_message_new_method_call(p->p2p ? NULL : DBUS_NAME, DBUS_PATH, DBUS_IFACE, DBUS_METHOD);
	else
		m = dbus_message_new_method_return(*held);
	if (!m)
		return chan_fail(ch, ENOMEM, "dbus_message_new");
	ok = dbus_message_append_args(m, DBUS_TYPE_ARRAY, DBUS_TYPE_BYTE, &buf, n, DBUS_TYPE_INVALID);
	if (held) {
		dbus_message_unref(*held);
		*held = NULL;
	}
	ok = ok && dbus_connection_send(p->conn, m, &serial);
	dbus_message_unref(m);
	if (!ok)
		return chan_fail(ch, ENOMEM, "dbus_connection_send of %zu bytes", len);
	dbus_connection_flush(p->conn);
	if (!dbus_connection_get_is_connected(p->conn))
		return chan_fail(ch, EPIPE, "dbus_connection_send: disconnected (peer gone)");
	p->serial = serial;
	return 0;
}

static int ld_send(struct chan *ch, const void *buf, size_t len)
{
	struct dbus_priv *p = ch->priv;

	if (ch->role == CHAN_CLIENT)
		return ld_send_one(ch, NULL, buf, len);
	if (!p->held)
		return chan_fail(ch, EPROTO, "reply with no call to answer");
	return ld_send_one(ch, (DBusMessage **)&p->held, buf, len);
}

static int ld_send_to(struct chan *ch, unsigned int client, const void *buf, size_t len)
{
	struct dbus_priv *p = ch->priv;

	if (!p->fan || client >= ch->nclients || !p->fan[client].held)
		return chan_fail(ch, EPROTO, "reply to client %u, which has no call to answer", client);
	return ld_send_one(ch, (DBusMessage **)&p->fan[client].held, buf, len);
}

/* Whether m is what this side waits for: the reply to our call, or a Ping call. */
static bool ld_wanted(const struct chan *ch, DBusMessage *m)
{
	const struct dbus_priv *p = ch->priv;
	int t = dbus_message_get_type(m);

	if (ch->role == CHAN_SERVER)
		return t == DBUS_MESSAGE_TYPE_METHOD_CALL && dbus_message_is_method_call(m, DBUS_IFACE, DBUS_METHOD);
	return (t == DBUS_MESSAGE_TYPE_METHOD_RETURN || t == DBUS_MESSAGE_TYPE_ERROR) &&
	       dbus_message_get_reply_serial(m) == p->serial;
}

static int ld_take(struct chan *ch, DBusMessage *m, void *buf, size_t len)
{
	DBusError e = DBUS_ERROR_INIT;
	const uint8_t *data = NULL;
	int n = 0;

	if (dbus_message_get_type(m) == DBUS_MESSAGE_TYPE_ERROR) {
		dbus_set_error_from_message(&e, m);
		return ld_fail(ch, EPIPE, DBUS_METHOD, &e);
	}
	if (!dbus_message_get_args(m, &e, DBUS_TYPE_ARRAY, DBUS_TYPE_BYTE, &data, &n, DBUS_TYPE_INVALID))
		return ld_fail(ch, EPROTO, "read the ay", &e);
	if ((size_t)n != len)
		return chan_fail(ch, EPROTO, "%d bytes arrived, expected %zu", n, len);
	memcpy(buf, data, len);
	return 0;
}

static int ld_recv(struct chan *ch, void *buf, size_t len)
{
	struct dbus_priv *p = ch->priv;
	uint64_t deadline = dbus_deadline(ch);
	DBusMessage *m;
	int r;

	for (;;) {
		uint64_t left;

		m = dbus_connection_pop_message(p->conn);
		if (m && ld_wanted(ch, m))
			break;
		if (m) {
			dbus_message_unref(m);
			continue;
		}
		if (!dbus_connection_get_is_connected(p->conn))
			return chan_fail(ch, EPIPE, "disconnected (peer gone)");
		left = dbus_left_us(deadline);
		if (!left)
			return chan_fail(ch, ETIMEDOUT, "nothing within %d ms", ch->timeout_ms);
		dbus_connection_read_write(p->conn, left == UINT64_MAX ? -1 : (int)(left / 1000u + 1));
	}
	r = ld_take(ch, m, buf, len);
	if (ch->role == CHAN_SERVER && !p->peer[0] && dbus_message_get_sender(m))
		snprintf(p->peer, sizeof(p->peer), "%s", dbus_message_get_sender(m));
	if (ch->role == CHAN_SERVER) {
		if (p->held)
			dbus_message_unref(p->held);
		p->held = m;
	} else {
		dbus_message_unref(m);
	}
	return r;
}

/*
 * Fan-in: what one arriving message m means.  A Join or a client's
 * leaving is noted (1: not for the caller); a Ping is its client's call,
 * kept to answer, its payload in buf (0 or -errno, *client set).
 */
static int ld_fan_take(struct chan *ch, DBusMessage *m, void *buf, size_t len, unsigned int *client)
{
	struct dbus_priv *p = ch->priv;
	const char *sender = dbus_message_get_sender(m), *name, *old, *new;
	DBusError e = DBUS_ERROR_INIT;
	dbus_uint32_t index;
	int c, r = 1;

	if (dbus_message_is_signal(m, "org.freedesktop.DBus", "NameOwnerChanged")) {
		if (dbus_message_get_args(m, &e, DBUS_TYPE_STRING, &name, DBUS_TYPE_STRING, &old, DBUS_TYPE_STRING,
					  &new, DBUS_TYPE_INVALID) &&
		    !new[0])
			dbus_fan_left(ch, name);
	} else if (dbus_message_is_method_call(m, DBUS_IFACE, DBUS_JOIN)) {
		if (!dbus_message_get_args(m, &e, DBUS_TYPE_UINT32, &index, DBUS_TYPE_INVALID))
			index = UINT32_MAX;
		r = dbus_fan_join(ch, sender, index) ? -ch->err : 1;
	} else if (dbus_message_is_method_call(m, DBUS_IFACE, DBUS_METHOD)) {
		c = dbus_fan_find(ch, sender);
		if (c < 0) {
			r = chan_fail(ch, EPROTO, "%s from %s, which has not joined", DBUS_METHOD,
				      sender ? sender : "?");
		} else {
			*client = (unsigned int)c;
			r = ld_take(ch, m, buf, len);
			if (p->fan[c].held)
				dbus_message_unref(p->fan[c].held);
			p->fan[c].held = dbus_message_ref(m);
		}
	}
	dbus_error_free(&e);
	dbus_message_unref(m);
	return r;
}

static int ld_recv_any(struct chan *ch, void *buf, size_t len, unsigned int *client)
{
	struct dbus_priv *p = ch->priv;
	uint64_t deadline = dbus_deadline(ch);

	for (;;) {
		DBusMessage *m;
		uint64_t left;
		int r;

		if (dbus_fan_gone(ch, client))
			return -EPIPE; /* not recorded: fanin.c judges whether it was done */
		m = dbus_connection_pop_message(p->conn);
		if (m) {
			r = ld_fan_take(ch, m, buf, len, client);
			if (r <= 0)
				return r;
			continue;
		}
		if (!dbus_connection_get_is_connected(p->conn))
			return chan_fail(ch, EPIPE, "disconnected from the bus");
		left = dbus_left_us(deadline);
		if (!left)
			return chan_fail(ch, ETIMEDOUT, "no call from any client within %d ms", ch->timeout_ms);
		dbus_connection_read_write(p->conn, left == UINT64_MAX ? -1 : (int)(left / 1000u + 1));
	}
}

static void ld_unref_msg(void *m)
{
	dbus_message_unref(m);
}

static void ld_detach(struct chan *ch)
{
	struct dbus_priv *p = ch->priv;

	if (p->held)
		dbus_message_unref(p->held);
	p->held = NULL;
	dbus_fan_close(ch, ld_unref_msg);
	if (p->conn) {
		dbus_connection_flush(p->conn);
		dbus_connection_close(p->conn);
		dbus_connection_unref(p->conn);
		p->conn = NULL;
	}
	dbus_shutdown();
}

#else /* !HAVE_LIBDBUS: probe() reports it unavailable, so these are never reached */

static int ld_attach(struct chan *ch, enum chan_role role)
{
	return chan_fail(ch, ENOSYS, "built without libdbus");
}

static int ld_send(struct chan *ch, const void *buf, size_t len)
{
	return -ENOSYS;
}

static int ld_recv(struct chan *ch, void *buf, size_t len)
{
	return -ENOSYS;
}

static void ld_detach(struct chan *ch)
{
}

static void ld_wait_gone(struct chan *ch)
{
}

static int ld_recv_any(struct chan *ch, void *buf, size_t len, unsigned int *client)
{
	return -ENOSYS;
}

static int ld_send_to(struct chan *ch, unsigned int client, const void *buf, size_t len)
{
	return -ENOSYS;
}
#endif

const struct dbus_backend dbus_libdbus_backend = {
	.attach = ld_attach,
	.send = ld_send,
	.recv = ld_recv,
	.detach = ld_detach,
	.wait_gone = ld_wait_gone,
	.recv_any = ld_recv_any,
	.send_to = ld_send_to,
};
