/*
 * websocket.c - binary messages over one WebSocket connection (RFC 6455),
 * on wslay, with the opening handshake done here.
 *
 * The handshake (RFC 6455 section 4): the client sends a GET with
 * Upgrade: websocket, Connection: Upgrade, Sec-WebSocket-Version: 13 and a
 * Sec-WebSocket-Key of 16 random bytes (getrandom) in base64; the server
 * checks all of them (a bad request is answered 400 and fails) and answers
 * 101 with Sec-WebSocket-Accept, base64(SHA-1(key + the RFC's GUID))
 * (wskey.c); the client computes the same value and refuses the connection
 * when it differs, or when the status, Upgrade or Connection is not the
 * upgrade it asked for.  Bytes that follow a header block are handed to
 * wslay first.
 *
 * Then each message is one binary WebSocket message through wslay's event
 * API: the client's frames are masked with keys from the kernel's random
 * source (getrandom, 64 keys per call), the server's are not, as the RFC
 * requires (wslay closes the connection on a frame masked the wrong way).
 * wslay reassembles fragmented messages; with :frag=SIZE a message above
 * SIZE bytes is sent as a fragmented message, each frame at most SIZE
 * bytes (and at most wslay's 4 KiB output buffer); by default a message is
 * one frame, as browsers send them.  A message of another size than the
 * receiver asks for is -EPROTO; above msg_bytes wslay closes with 1009.
 * wslay copies each queued message (and allocates the message it
 * reassembles), masks client frames through a 4 KiB buffer (one send()
 * per 4 KiB) and reads through a 4 KiB buffer (one read() per 4 KiB or
 * less): that is the library's cost and is measured with it; it is why
 * large messages cost far more here than on the raw socket.
 *
 * Receiving: wslay reads through a callback until the socket would block;
 * this file stops reading once a message has arrived, so what wslay had
 * already buffered past it (at most its 4 KiB input buffer) is kept in a
 * small backlog for the next recv() instead of reading ahead without bound.
 *
 * Over 127.0.0.1 (TCP_NODELAY) or, with :net=unix, an AF_UNIX socket in
 * the run directory.  The socket is non-blocking: every wait is a poll()
 * bounded by ch->timeout_ms.  detach() sends a close frame (1000).
 * Threads: wslay starts none.
 */
#include "transports/chan_util.h"
#include "transports/webnet.h"
#include "transports/wskey.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

enum { WEBSOCKET_OPT_NET = WEBNET_OPT, WEBSOCKET_OPT_FRAG };

static const struct transport_option websocket_options[] = {
	[WEBSOCKET_OPT_NET] = WEBNET_OPTION,
	[WEBSOCKET_OPT_FRAG] = {.name = "frag",
				.type = TOPT_SIZE,
				.def = 0,
				.min = 0,
				.max = 1 << 30,
				.help = "send a message above this size as a fragmented message of frames this big "
					"(0: one frame)"},
	{0},
};

/*
 * Test hook (tests/conformance/test_web.c): when set before the fork, the
 * server answers the handshake with a wrong Sec-WebSocket-Accept, which
 * the client must refuse.  Never set by ipcbench itself.
 */
bool websocket_test_bad_accept;

#ifdef HAVE_LIBWSLAY
#include <wslay/wslay.h>

#define WS_HEAD_MAX 4096      /* a handshake's header block */
#define WS_BACKLOG (16 << 10) /* messages wslay had buffered past the one asked for */
#define WS_MASKS 256	      /* bytes of masking keys drawn per getrandom() */

struct websocket_priv {
	struct webnet wn; /* first: fdchan_destroy() */
	int fd;
	wslay_event_context_ptr ctx;
	uint8_t *head; /* the handshake; then what followed it, for wslay */
	size_t head_off, head_len;
	uint8_t *rbuf; /* where recv() wants the message */
	size_t rcap, got_len;
	bool delivered, peer_closed, eof, text;
	uint8_t *backlog; /* [8-byte length][bytes]... */
	size_t bl_head, bl_tail;
	bool bl_full;
	const uint8_t *sbuf; /* a fragmented message being sent */
	size_t slen, soff, frag;
	uint8_t masks[WS_MASKS];
	size_t mask_off;
	char host[FDCHAN_PATH_MAX + 8];
};

static ssize_t ws_recv_cb(wslay_event_context_ptr c, uint8_t *buf, size_t len, int flags, void *arg)
{
	struct websocket_priv *wp = ((struct chan *)arg)->priv;
	ssize_t n;

	if (wp->head_off < wp->head_len) { /* what arrived with the handshake */
		n = (ssize_t)(wp->head_len - wp->head_off < len ? wp->head_len - wp->head_off : len);
		memcpy(buf, wp->head + wp->head_off, (size_t)n);
		wp->head_off += (size_t)n;
		return n;
	}
	if (wp->delivered) { /* one message per recv(): read no further */
		wslay_event_set_error(c, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	n = read(wp->fd, buf, len);
	if (n > 0)
		return n;
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		wslay_event_set_error(c, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	wp->eof = true;
	wslay_event_set_error(c, WSLAY_ERR_CALLBACK_FAILURE);
	return -1;
}

static ssize_t ws_send_cb(wslay_event_context_ptr c, const uint8_t *data, size_t len, int flags, void *arg)
{
	struct websocket_priv *wp = ((struct chan *)arg)->priv;
	ssize_t n = send(wp->fd, data, len, MSG_NOSIGNAL);

	if (n >= 0)
		return n;
	wslay_event_set_error(c, errno == EAGAIN || errno == EINTR ? WSLAY_ERR_WOULDBLOCK : WSLAY_ERR_CALLBACK_FAILURE);
	return -1;
}

/* Masking keys from the kernel's random source, drawn in batches. */
static int ws_genmask_cb(wslay_event_context_ptr c, uint8_t *buf, size_t len, void *arg)
{
	struct websocket_priv *wp = ((struct chan *)arg)->priv;

	if (wp->mask_off + len > WS_MASKS) {
		if (getrandom(wp->masks, WS_MASKS, 0) != WS_MASKS) {
			wslay_event_set_error(c, WSLAY_ERR_CALLBACK_FAILURE);
			return -1;
		}
		wp->mask_off = 0;
	}
	memcpy(buf, wp->masks + wp->mask_off, len);
	wp->mask_off += len;
	return 0;
}

static void ws_backlog_put(struct websocket_priv *wp, const uint8_t *msg, uint64_t len)
{
	if (wp->bl_tail + 8 + len > WS_BACKLOG) {
		wp->bl_full = true;
		return;
	}
	memcpy(wp->backlog + wp->bl_tail, &len, 8);
	memcpy(wp->backlog + wp->bl_tail + 8, msg, len);
	wp->bl_tail += 8 + len;
}

static void ws_msg_cb(wslay_event_context_ptr c, const struct wslay_event_on_msg_recv_arg *m, void *arg)
{
	struct websocket_priv *wp = ((struct chan *)arg)->priv;

	if (m->opcode == WSLAY_CONNECTION_CLOSE) {
		wp->peer_closed = true;
		return;
	}
	if (m->opcode == WSLAY_TEXT_FRAME)
		wp->text = true;
	if (m->opcode != WSLAY_BINARY_FRAME)
		return;
	if (wp->delivered) {
		ws_backlog_put(wp, m->msg, m->msg_length);
		return;
	}
	wp->delivered = true;
	wp->got_len = m->msg_length;
	if (m->msg_length == wp->rcap)
		memcpy(wp->rbuf, m->msg, m->msg_length);
}

static ssize_t ws_frag_cb(wslay_event_context_ptr c, uint8_t *buf, size_t len, const union wslay_event_msg_source *src,
			  int *eof, void *arg)
{
	struct websocket_priv *wp = ((struct chan *)arg)->priv;
	size_t n = wp->slen - wp->soff;

	if (n > len)
		n = len;
	if (n > wp->frag)
		n = wp->frag;
	memcpy(buf, wp->sbuf + wp->soff, n);
	wp->soff += n;
	*eof = wp->soff == wp->slen;
	return (ssize_t)n;
}

/* Writes what wslay has queued: control frames, and the message being sent. */
static int ws_flush(struct chan *ch)
{
	struct websocket_priv *wp = ch->priv;

	while (wslay_event_want_write(wp->ctx)) {
		int r = wslay_event_send(wp->ctx);

		if (r)
			return chan_fail(ch, EPIPE, "wslay_event_send: the connection failed (%d)", r);
		if (wslay_event_want_write(wp->ctx)) {
			r = fdio_wait(ch, wp->fd, POLLOUT);
			if (r)
				return r;
		}
	}
	return 0;
}

static int websocket_send(struct chan *ch, const void *buf, size_t len)
{
	struct websocket_priv *wp = ch->priv;
	int r;

	if (wp->frag && len > wp->frag) {
		struct wslay_event_fragmented_msg m = {.opcode = WSLAY_BINARY_FRAME, .read_callback = ws_frag_cb};

		wp->sbuf = buf;
		wp->slen = len;
		wp->soff = 0;
		r = wslay_event_queue_fragmented_msg(wp->ctx, &m);
	} else {
		struct wslay_event_msg m = {.opcode = WSLAY_BINARY_FRAME, .msg = buf, .msg_length = len};

		r = wslay_event_queue_msg(wp->ctx, &m);
	}
	if (r)
		return chan_fail(ch, r == WSLAY_ERR_NOMEM ? ENOMEM : EPIPE, "wslay_event_queue_msg %zu bytes (%d)", len,
				 r);
	return ws_flush(ch);
}

/* The next message of the backlog, if any, into buf. */
static bool ws_backlog_take(struct websocket_priv *wp)
{
	uint64_t n;

	if (wp->bl_head == wp->bl_tail)
		return false;
	memcpy(&n, wp->backlog + wp->bl_head, 8);
	wp->got_len = n;
	if (n == wp->rcap)
		memcpy(wp->rbuf, wp->backlog + wp->bl_head + 8, n);
	wp->bl_head += 8 + n;
	if (wp->bl_head == wp->bl_tail)
		wp->bl_head = wp->bl_tail = 0;
	return true;
}

static int ws_wait_message(struct chan *ch)
{
	struct websocket_priv *wp = ch->priv;

	for (;;) {
		int r = wslay_event_recv(wp->ctx);

		if (wp->bl_full)
			return chan_fail(ch, EPROTO, "more than %d bytes of messages buffered past one", WS_BACKLOG);
		if (wp->text)
			return chan_fail(ch, EPROTO, "a text message, not a binary one");
		if (wp->delivered)
			return 0;
		if (r || wp->eof)
			return chan_fail(ch, EPIPE, "wslay_event_recv: the peer closed the connection");
		if (wp->peer_closed || !wslay_event_want_read(wp->ctx))
			return chan_fail(ch, EPIPE, "the peer closed the WebSocket");
		r = ws_flush(ch); /* a pong or a close answer */
		if (!r)
			r = fdio_wait(ch, wp->fd, POLLIN);
		if (r)
			return r;
	}
}

static int websocket_recv(struct chan *ch, void *buf, size_t len)
{
	struct websocket_priv *wp = ch->priv;
	int r;

	wp->rbuf = buf;
	wp->rcap = len;
	wp->delivered = false;
	if (!ws_backlog_take(wp)) {
		r = ws_wait_message(ch);
		wp->delivered = false;
		if (r)
			return r;
	}
	if (wp->got_len != len)
		return chan_fail(ch, EPROTO, "a message of %zu bytes, %zu expected", wp->got_len, len);
	return 0;
}

/* ---- the opening handshake ---- */

/* Reads a header block (up to the blank line) into wp->head; what follows it stays for wslay. */
static int ws_read_head(struct chan *ch, const char *what)
{
	struct websocket_priv *wp = ch->priv;
	size_t n = 0;

	for (;;) {
		char *end;
		ssize_t k;
		int r = fdio_wait(ch, wp->fd, POLLIN);

		if (r)
			return r;
		k = read(wp->fd, wp->head + n, WS_HEAD_MAX - 1 - n);
		if (k == 0)
			return chan_fail(ch, EPIPE, "%s: the peer closed the connection", what);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (k < 0)
			return chan_fail(ch, errno, "read (%s)", what);
		n += (size_t)k;
		wp->head[n] = 0;
		end = memmem(wp->head, n, "\r\n\r\n", 4);
		if (end) {
			end[2] = 0; /* the headers, each line ending in \r\n */
			wp->head_off = (size_t)(end + 4 - (char *)wp->head);
			wp->head_len = n;
			return 0;
		}
		if (n == WS_HEAD_MAX - 1)
			return chan_fail(ch, EPROTO, "%s: a header block above %d bytes", what, WS_HEAD_MAX);
	}
}

/* The value of header name in the block at head (case-insensitive name, spaces trimmed), or NULL. */
static const char *ws_header(const char *head, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);

	for (const char *p = strstr(head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
		const char *line = p + 2, *v, *e;

		if (strncasecmp(line, name, nl) || line[nl] != ':')
			continue;
		for (v = line + nl + 1; *v == ' ' || *v == '\t'; v++)
			;
		e = strstr(v, "\r\n");
		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		snprintf(out, outlen, "%.*s", (int)(e - v), v);
		return out;
	}
	return NULL;
}

static bool ws_header_is(const char *head, const char *name, const char *want, bool token)
{
	char v[256];

	if (!ws_header(head, name, v, sizeof(v)))
		return false;
	return token ? strcasestr(v, want) != NULL : strcasecmp(v, want) == 0;
}

static int ws_client_handshake(struct chan *ch)
{
	struct websocket_priv *wp = ch->priv;
	uint8_t raw[16];
	char key[WSKEY_KEY_TEXT], want[WSKEY_ACCEPT_TEXT], got[64], req[512];
	const char *head = (const char *)wp->head;
	int n, r;

	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
		return chan_fail(ch, errno, "getrandom for Sec-WebSocket-Key");
	wskey_base64_encode(raw, sizeof(raw), key);
	wskey_accept(key, want);
	n = snprintf(req, sizeof(req),
		     "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
		     wp->host, key);
	r = fdio_write_all(ch, wp->fd, req, (size_t)n);
	if (!r)
		r = ws_read_head(ch, "the handshake's response");
	if (r)
		return r;
	if (strncmp(head, "HTTP/1.1 101 ", 13))
		return chan_fail(ch, EPROTO, "handshake: the server answered %.40s, not 101", head);
	if (!ws_header_is(head, "Upgrade", "websocket", false) || !ws_header_is(head, "Connection", "upgrade", true))
		return chan_fail(ch, EPROTO, "handshake: a 101 without Upgrade: websocket and Connection: Upgrade");
	if (!ws_header(head, "Sec-WebSocket-Accept", got, sizeof(got)))
		return chan_fail(ch, EPROTO, "handshake: no Sec-WebSocket-Accept");
	if (strcmp(got, want))
		return chan_fail(ch, EPROTO, "handshake: Sec-WebSocket-Accept %s, not %s: refused", got, want);
	return 0;
}

static int ws_server_refuse(struct chan *ch, const char *why)
{
	struct websocket_priv *wp = ch->priv;
	static const char bad[] = "HTTP/1.1 400 Bad Request\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n";

	fdio_write_all(ch, wp->fd, bad, sizeof(bad) - 1);
	return chan_fail(ch, EPROTO, "handshake: refused a request %s", why);
}

static int ws_server_handshake(struct chan *ch)
{
	struct websocket_priv *wp = ch->priv;
	char key[64], acc[WSKEY_ACCEPT_TEXT], resp[256];
	const char *head = (const char *)wp->head;
	uint8_t raw[20];
	int n, r = ws_read_head(ch, "the handshake's request");

	if (r)
		return r;
	if (strncmp(head, "GET ", 4) || !strstr(head, " HTTP/1.1\r\n"))
		return ws_server_refuse(ch, "that is not a GET over HTTP/1.1");
	if (!ws_header_is(head, "Upgrade", "websocket", false) || !ws_header_is(head, "Connection", "upgrade", true))
		return ws_server_refuse(ch, "without Upgrade: websocket and Connection: Upgrade");
	if (!ws_header_is(head, "Sec-WebSocket-Version", "13", false))
		return ws_server_refuse(ch, "without Sec-WebSocket-Version: 13");
	if (!ws_header(head, "Sec-WebSocket-Key", key, sizeof(key)) || wskey_base64_decode(key, raw, sizeof(raw)) != 16)
		return ws_server_refuse(ch, "whose Sec-WebSocket-Key is not 16 bytes in base64");
	wskey_accept(key, acc);
	if (websocket_test_bad_accept)
		acc[0] = acc[0] == 'A' ? 'B' : 'A';
	n = snprintf(resp, sizeof(resp),
		     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		     "Sec-WebSocket-Accept: %s\r\n\r\n",
		     acc);
	return fdio_write_all(ch, wp->fd, resp, (size_t)n);
}

static int websocket_attach(struct chan *ch, enum chan_role role)
{
	struct websocket_priv *wp = ch->priv;
	static const struct wslay_event_callbacks cb = {
		.recv_callback = ws_recv_cb,
		.send_callback = ws_send_cb,
		.genmask_callback = ws_genmask_cb,
		.on_msg_recv_callback = ws_msg_cb,
	};
	bool server = role == CHAN_SERVER;
	int r;

	wp->fd = server ? webnet_accept(ch, &wp->wn) : webnet_connect(ch, &wp->wn);
	if (wp->fd < 0)
		return wp->fd;
	r = fdio_set_nonblock(wp->fd, true);
	if (r)
		return chan_fail(ch, -r, "fcntl O_NONBLOCK");
	wp->frag = (size_t)chan_opt(ch, WEBSOCKET_OPT_FRAG);
	wp->mask_off = WS_MASKS;
	wp->head = malloc(WS_HEAD_MAX);
	wp->backlog = malloc(WS_BACKLOG);
	if (!wp->head || !wp->backlog)
		return chan_fail(ch, ENOMEM, "malloc");
	r = server ? ws_server_handshake(ch) : ws_client_handshake(ch);
	if (r)
		return r;
	r = server ? wslay_event_context_server_init(&wp->ctx, &cb, ch)
		   : wslay_event_context_client_init(&wp->ctx, &cb, ch);
	if (r)
		return chan_fail(ch, ENOMEM, "wslay_event_context_init (%d)", r);
	wslay_event_config_set_max_recv_msg_length(wp->ctx, ch->msg_bytes);
	return 0;
}

static void websocket_detach(struct chan *ch)
{
	struct websocket_priv *wp = ch->priv;

	if (wp->ctx) {
		/* a close frame if the connection still takes one, without waiting for the answer */
		if (!wslay_event_queue_close(wp->ctx, WSLAY_CODE_NORMAL_CLOSURE, NULL, 0))
			wslay_event_send(wp->ctx);
		wslay_event_context_free(wp->ctx);
		wp->ctx = NULL;
	}
	free(wp->head);
	wp->head = NULL;
	free(wp->backlog);
	wp->backlog = NULL;
	fdchan_detach(ch);
}

static int websocket_create(struct chan *ch)
{
	struct websocket_priv *wp = ch->priv;

	if (webnet_listen(ch, &wp->wn))
		return -ch->err;
	if (wp->wn.unix_net)
		snprintf(wp->host, sizeof(wp->host), "localhost");
	else
		webnet_where(&wp->wn, wp->host, sizeof(wp->host));
	return 0;
}

static int websocket_probe(struct chan *ch)
{
	ch->limits.max_msg_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "binary WebSocket messages (wslay, RFC 6455): no limit of its own; frag=%lld",
		 chan_opt(ch, WEBSOCKET_OPT_FRAG));
	return 0;
}

#else /* without wslay: registered, and unavailable with the reason */

struct websocket_priv {
	struct webnet wn;
};

static int websocket_probe(struct chan *ch)
{
	return chan_unavailable(ch, ENOSYS, "built without wslay (install libwslay-dev and rebuild)");
}

static int websocket_create(struct chan *ch)
{
	return websocket_probe(ch);
}

static int websocket_attach(struct chan *ch, enum chan_role role)
{
	return -ENOSYS;
}

static int websocket_send(struct chan *ch, const void *buf, size_t len)
{
	return -ENOSYS;
}

static int websocket_recv(struct chan *ch, void *buf, size_t len)
{
	return -ENOSYS;
}

static void websocket_detach(struct chan *ch)
{
}
#endif

const struct transport_ops websocket_ops = {
	.name = "websocket",
	.summary = "binary messages over one RFC 6455 WebSocket: wslay, our handshake (net=tcp|unix, frag=SIZE)",
	.kind = CHAN_MESSAGE,
	.flags = TRANSPORT_BY_NAME | TRANSPORT_NETWORK,
	.priv_size = sizeof(struct websocket_priv),
	.options = websocket_options,
	.raw_of = webnet_raw_of,
	.probe = websocket_probe,
	.create = websocket_create,
	.adopt = fdchan_adopt,
	.attach = websocket_attach,
	.send = websocket_send,
	.recv = websocket_recv,
	.detach = websocket_detach,
	.destroy = fdchan_destroy,
};
