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

/* Until the client's unique name has left the bus (at most timeout_ms). */
static void ld_wait_gone(struct chan *ch)
{
	struct dbus_priv *p = ch->priv;
	uint64_t deadline = dbus_deadline(ch);
	DBusError e = DBUS_ERROR_INIT;

	p->peer[sizeof(p->peer) - 1] = 0;
	if (!p->conn || !p->peer[0])
		return;
	while (dbus_bus_name_has_owner(p->conn, p->peer, &e) && dbus_left_us(deadline))
		usleep(1000);
	dbus_error_free(&e);
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
	if (role == CHAN_CLIENT)
		return ld_wait_name(ch, p->conn);
	if (dbus_bus_request_name(p->conn, DBUS_NAME, DBUS_NAME_FLAG_DO_NOT_QUEUE, &e) !=
	    DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER)
		return ld_fail(ch, EACCES, "RequestName " DBUS_NAME, &e);
	return 0;
}

static int ld_send(struct chan *ch, const void *buf, size_t len)
{
	struct dbus_priv *p = ch->priv;
	DBusMessage *m;
	dbus_uint32_t serial = 0;
	int n = (int)len;
	bool ok;

	if (ch->role == CHAN_CLIENT)
		m = dbus_message_new_method_call(p->p2p ? NULL : DBUS_NAME, DBUS_PATH, DBUS_IFACE, DBUS_METHOD);
	else if (!p->held)
		return chan_fail(ch, EPROTO, "reply with no call to answer");
	else
		m = dbus_message_new_method_return(p->held);
	if (!m)
		return chan_fail(ch, ENOMEM, "dbus_message_new");
	ok = dbus_message_append_args(m, DBUS_TYPE_ARRAY, DBUS_TYPE_BYTE, &buf, n, DBUS_TYPE_INVALID);
	if (ch->role == CHAN_SERVER) {
		dbus_message_unref(p->held);
		p->held = NULL;
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

static void ld_detach(struct chan *ch)
{
	struct dbus_priv *p = ch->priv;

	if (p->held)
		dbus_message_unref(p->held);
	p->held = NULL;
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
#endif

const struct dbus_backend dbus_libdbus_backend = {
	.attach = ld_attach,
	.send = ld_send,
	.recv = ld_recv,
	.detach = ld_detach,
	.wait_gone = ld_wait_gone,
};
