/*
 * dbus_sd.c - the sd-bus (libsystemd) back end of dbus and dbus_p2p
 * (dbus_impl.h).  The server registers a plain object callback on
 * DBUS_PATH that keeps the call for the next send() (an asynchronous
 * reply, which sd-bus allows); the client sends with sd_bus_send() and
 * picks the reply to its cookie out of sd_bus_process().  Every wait is
 * sd_bus_wait() against the channel's deadline.  sd-bus starts no
 * threads.
 */
#include "transports/dbus_impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "transports/chan_util.h"

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-bus.h>
#include <systemd/sd-id128.h>

/* The arriving call's payload into p->rbuf: p->rerr 0, -EPROTO (the wrong size) or sd-bus's error. */
static void sd_take_call(struct dbus_priv *p, sd_bus_message *m)
{
	const void *data;
	size_t n;

	p->got = true;
	p->rerr = sd_bus_message_read_array(m, 'y', &data, &n);
	if (p->rerr >= 0 && n != p->rlen)
		p->rerr = -EPROTO;
	if (p->rerr >= 0) {
		memcpy(p->rbuf, data, n);
		p->rerr = 0;
	}
}

/* Fan-in: a Join notes its sender's index; a Ping is kept as its client's call. */
static int sd_on_fan_call(struct chan *ch, sd_bus_message *m)
{
	struct dbus_priv *p = ch->priv;
	const char *sender = sd_bus_message_get_sender(m);
	uint32_t index;
	int c;

	if (sd_bus_message_is_method_call(m, DBUS_IFACE, DBUS_JOIN)) {
		if (sd_bus_message_read(m, "u", &index) < 0)
			index = UINT32_MAX;
		if (dbus_fan_join(ch, sender, index)) {
			p->got = true;
			p->rerr = -EPROTO; /* recorded: recv_any() returns it */
			p->got_client = UINT32_MAX;
		}
		return 1;
	}
	if (!sd_bus_message_is_method_call(m, DBUS_IFACE, DBUS_METHOD))
		return 0;
	c = dbus_fan_find(ch, sender);
	if (c < 0) {
		chan_fail(ch, EPROTO, "%s from %s, which has not joined", DBUS_METHOD, sender ? sender : "?");
		p->got = true;
		p->rerr = -EPROTO;
		p->got_client = UINT32_MAX;
		return 1;
	}
	if (p->fan[c].held)
		sd_bus_message_unref(p->fan[c].held);
	p->fan[c].held = sd_bus_message_ref(m);
	p->got_client = (unsigned int)c;
	sd_take_call(p, m);
	return 1;
}

static int sd_on_call(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	struct chan *ch = userdata;
	struct dbus_priv *p = ch->priv;

	if (p->fan && sd_bus_message_is_method_call(m, DBUS_IFACE, NULL))
		return sd_on_fan_call(ch, m);
	if (!sd_bus_message_is_method_call(m, DBUS_IFACE, DBUS_METHOD))
		return 0; /* sd-bus answers UnknownMethod */
	if (p->held)
		sd_bus_message_unref(p->held);
	p->held = sd_bus_message_ref(m);
	if (!p->peer[0] && sd_bus_message_get_sender(m))
		snprintf(p->peer, sizeof(p->peer), "%s", sd_bus_message_get_sender(m));
	sd_take_call(p, m);
	return 1;
}

/* Fan-in: NameOwnerChanged(name, old, "") from the bus driver: name has left the bus. */
static int sd_on_left(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	const char *name = NULL, *old = NULL, *new = NULL;

	if (sd_bus_message_read(m, "sss", &name, &old, &new) >= 0 && new && !new[0])
		dbus_fan_left(userdata, name);
	return 0;
}

/* The bus is gone or broken: -EPIPE with what sd-bus said. */
static int sd_fail(struct chan *ch, int r, const char *what)
{
	if (r == -ECONNRESET || r == -ENOTCONN || r == -EPIPE || r == -ESHUTDOWN)
		return chan_fail(ch, EPIPE, "%s: %s (peer gone)", what, strerror(-r));
	return chan_fail(ch, -r, "%s", what);
}

/* Processes what has arrived; waits when nothing has, until done() or the deadline. */
static int sd_pump(struct chan *ch, uint64_t deadline, const char *what, bool (*done)(struct chan *ch))
{
	sd_bus *b = ((struct dbus_priv *)ch->priv)->conn;

	for (;;) {
		int r = sd_bus_process(b, NULL);

		if (r < 0)
			return sd_fail(ch, r, what);
		if (done(ch))
			return 0;
		if (r > 0)
			continue;
		if (!dbus_left_us(deadline))
			return chan_fail(ch, ETIMEDOUT, "%s: nothing within %d ms", what, ch->timeout_ms);
		r = sd_bus_wait(b, dbus_left_us(deadline));
		if (r < 0 && r != -EINTR)
			return sd_fail(ch, r, what);
	}
}

static bool sd_got_call(struct chan *ch)
{
	return ((struct dbus_priv *)ch->priv)->got;
}

/* Until name has an owner on the bus (want) or none; 0 or -errno (recorded). */
static int sd_name_wait(struct chan *ch, sd_bus *b, const char *name, bool want)
{
	uint64_t deadline = dbus_deadline(ch);

	for (;;) {
		sd_bus_error err = SD_BUS_ERROR_NULL;
		sd_bus_message *reply = NULL;
		int has = 0, r;

		r = sd_bus_call_method(b, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
				       "NameHasOwner", &err, &reply, "s", name);
		if (r >= 0)
			r = sd_bus_message_read(reply, "b", &has);
		sd_bus_message_unref(reply);
		if (r < 0) {
			r = chan_fail(ch, -r, "NameHasOwner %s: %s", name, err.message ? err.message : "");
			sd_bus_error_free(&err);
			return r;
		}
		if (!has == !want)
			return 0;
		if (!dbus_left_us(deadline))
			return chan_fail(ch, ETIMEDOUT, "%s %s within %d ms",
					 want ? "no server owns" : "still on the bus:", name, ch->timeout_ms);
		usleep(1000);
	}
}

/* Client: until DBUS_NAME has an owner on the bus (the server has attached). */
static int sd_wait_name(struct chan *ch, sd_bus *b)
{
	return sd_name_wait(ch, b, DBUS_NAME, true);
}

static void sd_wait_gone(struct chan *ch)
{
	struct dbus_priv *p = ch->priv;

	p->peer[sizeof(p->peer) - 1] = 0;
	if (p->conn && p->peer[0])
		sd_name_wait(ch, p->conn, p->peer, false);
	for (unsigned int i = 0; p->conn && p->fan && i < ch->nclients; i++)
		if (p->fan[i].name[0] && !p->fan[i].gone && sd_name_wait(ch, p->conn, p->fan[i].name, false))
			break;
}

static int sd_open(struct chan *ch, enum chan_role role, sd_bus **bp)
{
	struct dbus_priv *p = ch->priv;
	int r = sd_bus_new(bp);
	sd_id128_t id;

	if (r < 0)
		return chan_fail(ch, -r, "sd_bus_new");
	if (p->p2p && role == CHAN_SERVER) {
		int fd = dbus_p2p_accept(ch);

		if (fd < 0)
			return -ch->err;
		r = sd_bus_set_fd(*bp, fd, fd);
		if (r >= 0)
			r = sd_id128_randomize(&id);
		if (r >= 0)
			r = sd_bus_set_server(*bp, 1, id);
		if (r < 0) {
			close(fd);
			return chan_fail(ch, -r, "sd_bus_set_fd");
		}
	} else {
		r = sd_bus_set_address(*bp, p->addr);
		if (r >= 0 && !p->p2p)
			r = sd_bus_set_bus_client(*bp, 1);
		if (r < 0)
			return chan_fail(ch, -r, "sd_bus_set_address %s", p->addr);
	}
	r = sd_bus_start(*bp);
	return r < 0 ? chan_fail(ch, -r, "sd_bus_start %s", p->addr) : 0;
}

/* Fan-in client: Join(u index), no reply wanted (the bus keeps it ahead of the first Ping). */
static int sd_join(struct chan *ch, sd_bus *b)
{
	sd_bus_message *m = NULL;
	int r = sd_bus_message_new_method_call(b, &m, DBUS_NAME, DBUS_PATH, DBUS_IFACE, DBUS_JOIN);

	if (r >= 0)
		r = sd_bus_message_set_expect_reply(m, 0);
	if (r >= 0)
		r = sd_bus_message_append(m, "u", (uint32_t)ch->client);
	if (r >= 0)
		r = sd_bus_send(b, m, NULL);
	sd_bus_message_unref(m);
	if (r >= 0)
		r = sd_bus_flush(b);
	return r < 0 ? sd_fail(ch, r, DBUS_JOIN) : 0;
}

static int sd_attach(struct chan *ch, enum chan_role role)
{
	struct dbus_priv *p = ch->priv;
	sd_bus *b = NULL;
	int r = sd_open(ch, role, &b);

	p->conn = b;
	if (r)
		return r;
	if (role == CHAN_CLIENT && p->p2p)
		return 0;
	if (role == CHAN_CLIENT) {
		r = sd_wait_name(ch, b);
		return r || !ch->nclients ? r : sd_join(ch, b);
	}
	r = sd_bus_add_object(b, NULL, DBUS_PATH, sd_on_call, ch);
	if (r < 0)
		return chan_fail(ch, -r, "sd_bus_add_object %s", DBUS_PATH);
	if (p->p2p)
		return 0;
	if (ch->nclients) {
		if (dbus_fan_open(ch))
			return -ch->err;
		/* before the name: a client can only join once the service has its owner */
		r = sd_bus_add_match(b, NULL, DBUS_LEFT_RULE, sd_on_left, ch);
		if (r < 0)
			return chan_fail(ch, -r, "AddMatch NameOwnerChanged");
	}
	r = sd_bus_request_name(b, DBUS_NAME, 0);
	return r < 0 ? chan_fail(ch, -r, "sd_bus_request_name %s", DBUS_NAME) : 0;
}

/* Sends m whole: sd_bus_send() queues what the socket does not take, sd_bus_flush() writes it. */
static int sd_send_msg(struct chan *ch, sd_bus_message *m, uint64_t *cookie)
{
	sd_bus *b = ((struct dbus_priv *)ch->priv)->conn;
	int r = sd_bus_send(b, m, cookie);

	sd_bus_message_unref(m);
	if (r >= 0)
		r = sd_bus_flush(b);
	return r < 0 ? sd_fail(ch, r, "sd_bus_send") : 0;
}

/* The reply to *held (which it drops) or, with held NULL, the client's call, carrying buf. */
static int sd_send_one(struct chan *ch, sd_bus_message **held, const void *buf, size_t len)
{
	struct dbus_priv *p = ch->priv;
	sd_bus_message *m = NULL;
	uint64_t cookie = 0;
	int r;

	if (!held)
		r = sd_bus_message_new_method_call(p->conn, &m, p->p2p ? NULL : DBUS_NAME, DBUS_PATH, DBUS_IFACE,
						   DBUS_METHOD);
	else
		r = sd_bus_message_new_method_return(*held, &m);
	if (r >= 0)
		r = sd_bus_message_append_array(m, 'y', buf, len);
	if (r < 0) {
		sd_bus_message_unref(m);
		return chan_fail(ch, -r, "build the %zu-byte %s", len, held ? "reply" : "call");
	}
	if (held)
		*held = sd_bus_message_unref(*held);
	r = sd_send_msg(ch, m, &cookie);
	p->serial = (uint32_t)cookie;
	return r;
}

static int sd_send(struct chan *ch, const void *buf, size_t len)
{
	struct dbus_priv *p = ch->priv;

	if (ch->role == CHAN_CLIENT)
		return sd_send_one(ch, NULL, buf, len);
	if (!p->held)
		return chan_fail(ch, EPROTO, "reply with no call to answer");
	return sd_send_one(ch, (sd_bus_message **)&p->held, buf, len);
}

static int sd_send_to(struct chan *ch, unsigned int client, const void *buf, size_t len)
{
	struct dbus_priv *p = ch->priv;

	if (!p->fan || client >= ch->nclients || !p->fan[client].held)
		return chan_fail(ch, EPROTO, "reply to client %u, which has no call to answer", client);
	return sd_send_one(ch, (sd_bus_message **)&p->fan[client].held, buf, len);
}

/* The client's reply: the first message whose reply cookie is the call's. */
static int sd_recv_reply(struct chan *ch, void *buf, size_t len)
{
	struct dbus_priv *p = ch->priv;
	uint64_t deadline = dbus_deadline(ch), rc;
	sd_bus_message *m;
	const void *data;
	size_t n;

	for (;;) {
		int r = sd_bus_process(p->conn, &m);

		if (r < 0)
			return sd_fail(ch, r, "sd_bus_process");
		if (m && sd_bus_message_get_reply_cookie(m, &rc) >= 0 && rc == p->serial)
			break;
		sd_bus_message_unref(m);
		if (r > 0)
			continue;
		if (!dbus_left_us(deadline))
			return chan_fail(ch, ETIMEDOUT, "reply: nothing within %d ms", ch->timeout_ms);
		r = sd_bus_wait(p->conn, dbus_left_us(deadline));
		if (r < 0 && r != -EINTR)
			return sd_fail(ch, r, "sd_bus_wait");
	}
	if (sd_bus_message_is_method_error(m, NULL)) {
		const sd_bus_error *e = sd_bus_message_get_error(m);
		int r = chan_fail(ch, EPIPE, "%s: %s: %s", DBUS_METHOD, e ? e->name : "error", e ? e->message : "");

		sd_bus_message_unref(m);
		return r;
	}
	n = 0;
	if (sd_bus_message_read_array(m, 'y', &data, &n) < 0 || n != len) {
		sd_bus_message_unref(m);
		return chan_fail(ch, EPROTO, "reply of %zu bytes, expected %zu", n, len);
	}
	memcpy(buf, data, n);
	sd_bus_message_unref(m);
	return 0;
}

static int sd_recv(struct chan *ch, void *buf, size_t len)
{
	struct dbus_priv *p = ch->priv;
	int r;

	if (ch->role == CHAN_CLIENT)
		return sd_recv_reply(ch, buf, len);
	p->got = false;
	p->rbuf = buf;
	p->rlen = len;
	r = sd_pump(ch, dbus_deadline(ch), "wait for a call", sd_got_call);
	if (r)
		return r;
	if (p->rerr == -EPROTO)
		return chan_fail(ch, EPROTO, "call of the wrong size (expected %zu bytes)", len);
	return p->rerr ? chan_fail(ch, -p->rerr, "read the call's ay") : 0;
}

/* Fan-in: a Ping taken, or a client that has left the bus. */
static bool sd_fan_ready(struct chan *ch)
{
	const struct dbus_priv *p = ch->priv;

	if (p->got)
		return true;
	for (unsigned int i = 0; i < ch->nclients; i++)
		if (p->fan[i].gone && !p->fan[i].told)
			return true;
	return false;
}

static int sd_recv_any(struct chan *ch, void *buf, size_t len, unsigned int *client)
{
	struct dbus_priv *p = ch->priv;
	int r;

	p->got = false;
	p->rbuf = buf;
	p->rlen = len;
	p->got_client = UINT32_MAX;
	r = sd_pump(ch, dbus_deadline(ch), "wait for a call from any client", sd_fan_ready);
	if (r)
		return r;
	if (!p->got && dbus_fan_gone(ch, client))
		return -EPIPE; /* not recorded: fanin.c judges whether it was done */
	*client = p->got_client;
	if (p->rerr && ch->err)
		return -ch->err; /* what the callback recorded */
	if (p->rerr == -EPROTO)
		return chan_fail(ch, EPROTO, "client %u: a call of the wrong size (expected %zu bytes)", *client, len);
	return p->rerr ? chan_fail(ch, -p->rerr, "read client %u's ay", *client) : 0;
}

static void sd_unref_msg(void *m)
{
	sd_bus_message_unref(m);
}

static void sd_detach(struct chan *ch)
{
	struct dbus_priv *p = ch->priv;

	if (p->held)
		p->held = sd_bus_message_unref(p->held);
	dbus_fan_close(ch, sd_unref_msg);
	if (p->conn) {
		sd_bus_flush_close_unref(p->conn);
		p->conn = NULL;
	}
}

#else /* !HAVE_LIBSYSTEMD: probe() reports it unavailable, so these are never reached */

static int sd_attach(struct chan *ch, enum chan_role role)
{
	return chan_fail(ch, ENOSYS, "built without sd-bus");
}

static int sd_send(struct chan *ch, const void *buf, size_t len)
{
	return -ENOSYS;
}

static int sd_recv(struct chan *ch, void *buf, size_t len)
{
	return -ENOSYS;
}

static void sd_detach(struct chan *ch)
{
}

static void sd_wait_gone(struct chan *ch)
{
}

static int sd_recv_any(struct chan *ch, void *buf, size_t len, unsigned int *client)
{
	return -ENOSYS;
}

static int sd_send_to(struct chan *ch, unsigned int client, const void *buf, size_t len)
{
	return -ENOSYS;
}
#endif

const struct dbus_backend dbus_sd_backend = {
	.attach = sd_attach,
	.send = sd_send,
	.recv = sd_recv,
	.detach = sd_detach,
	.wait_gone = sd_wait_gone,
	.recv_any = sd_recv_any,
	.send_to = sd_send_to,
};
