/*
 * http2.c - request/response over cleartext HTTP/2 with prior knowledge:
 * a server on libnghttp2's server session over a socket this file drives,
 * a libcurl client (CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE), one connection.
 *
 * The mapping is http.c's: the client's send() is one POST / on a new
 * stream of the one connection (its body the message), its recv() the
 * response body; the server's recv() returns the request body (the DATA
 * frames up to END_STREAM) and its send() submits the response (HEADERS
 * with content-length, then DATA frames, END_STREAM).  The client side is
 * curlcli.c (one easy handle, the connection checked for reuse, and the
 * answer checked to have come over HTTP/2).  Over 127.0.0.1 or, with
 * :net=unix, an AF_UNIX socket in the run directory.
 *
 * The server: the parent listens before the fork, the server accepts one
 * connection, makes its socket non-blocking and moves bytes between it and
 * nghttp2_session_mem_recv()/mem_send() itself, inside recv() and send():
 * no thread, as with http.c.  It advertises a stream window of 16 MiB and
 * raises the connection window to 16 MiB, so no message up to 16 MiB waits
 * for a WINDOW_UPDATE (with the protocol's default 64 KiB window a 1 MiB
 * POST would stall for 16 of them); DATA frames keep the default maximum
 * of 16 KiB, as most servers do.  libnghttp2 sends its own WINDOW_UPDATEs
 * as the data is consumed, SETTINGS acknowledgements and PING answers.
 *
 * stream: a POST is complete only with its response; the server
 * acknowledges each one-way POST when its next recv() starts, or in
 * detach() for the last, with a 200 whose body is one byte (HTTP2_ACK),
 * not http.c's empty 204.  (libcurl's easy interface makes one request at
 * a time, so the streams of the connection are used one after another,
 * never concurrently.)  Why not the 204: libcurl 7.88 ends a transfer
 * whose response body is empty (a 204, or a 200 with content-length 0 or
 * an empty DATA frame) before its nghttp2 session has seen the stream
 * close, and then resets the stream, RST_STREAM(STREAM_CLOSED), once per
 * POST.  Debian 12's nghttp2 1.52 carries the rapid-reset fix
 * (CVE-2023-44487, nghttp2_option_set_stream_reset_rate_limit): a server
 * session that receives more than 1000 resets, refilled at 33 a second,
 * ends the connection with GOAWAY(INTERNAL_ERROR), and the client's next
 * POST failed with "Error in the HTTP2 framing layer" after about a
 * thousand one-way POSTs.  A response with a body closes the stream in
 * libcurl's view before the transfer ends: no reset, as in ping-pong.
 * Raising the server's limit instead would keep one extra frame per
 * message and a call the unpatched 1.52 does not have.
 *
 * Limits: none of its own.  Threads: none started by either library.
 */
#include "transports/chan_util.h"
#include "transports/curlcli.h"
#include "transports/webnet.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct transport_option http2_options[] = {
	[WEBNET_OPT] = WEBNET_OPTION,
	{0},
};

#if defined(HAVE_LIBNGHTTP2) && defined(HAVE_LIBCURL)
#include <curl/curl.h>
#include <nghttp2/nghttp2.h>

#define HTTP2_WINDOW (16 << 20) /* the stream and connection windows the server gives */
#define HTTP2_IBUF (64 << 10)	/* one read from the socket */

/* The acknowledgement body of a one-way POST: one byte, so that libcurl never resets the stream (above). */
static const char HTTP2_ACK[1] = {'+'};

enum http2_phase { H2_IDLE, H2_READING, H2_WAITING, H2_ANSWERING };

struct http2_priv {
	struct webnet wn; /* first: fdchan_destroy() */
	struct curlcli cc;
	/* the server */
	nghttp2_session *sess;
	int fd;
	uint8_t *ibuf;
	int32_t sid; /* the request's stream */
	enum http2_phase phase;
	uint8_t *rbuf; /* where recv() wants the body */
	size_t rcap, rgot;
	bool too_long, bad_method, req_ready, resp_done, reset;
	const uint8_t *sbuf; /* the response body being sent */
	size_t slen, soff;
	char url[80];
};

static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *f, void *arg)
{
	struct http2_priv *hp = ((struct chan *)arg)->priv;

	if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	hp->sid = f->hd.stream_id;
	hp->phase = H2_READING;
	hp->rgot = 0;
	hp->too_long = false;
	hp->bad_method = false;
	return 0;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t namelen,
		     const uint8_t *value, size_t valuelen, uint8_t flags, void *arg)
{
	struct http2_priv *hp = ((struct chan *)arg)->priv;

	if (namelen == 7 && !memcmp(name, ":method", 7) && (valuelen != 4 || memcmp(value, "POST", 4)))
		hp->bad_method = true;
	return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t sid, const uint8_t *data, size_t len, void *arg)
{
	struct http2_priv *hp = ((struct chan *)arg)->priv;

	if (sid != hp->sid || hp->phase != H2_READING)
		return 0;
	if (!hp->rbuf || len > hp->rcap - hp->rgot)
		hp->too_long = true;
	else
		memcpy(hp->rbuf + hp->rgot, data, len);
	hp->rgot += len;
	return 0;
}

static int on_frame(nghttp2_session *s, const nghttp2_frame *f, void *arg)
{
	struct http2_priv *hp = ((struct chan *)arg)->priv;
	bool carries = f->hd.type == NGHTTP2_DATA || f->hd.type == NGHTTP2_HEADERS;

	if (carries && (f->hd.flags & NGHTTP2_FLAG_END_STREAM) && f->hd.stream_id == hp->sid &&
	    hp->phase == H2_READING) {
		hp->phase = H2_WAITING;
		hp->req_ready = true;
	}
	return 0;
}

static int on_close(nghttp2_session *s, int32_t sid, uint32_t code, void *arg)
{
	struct http2_priv *hp = ((struct chan *)arg)->priv;

	if (sid != hp->sid)
		return 0;
	if (hp->phase != H2_ANSWERING || code != NGHTTP2_NO_ERROR)
		hp->reset = true;
	hp->phase = H2_IDLE;
	hp->resp_done = true;
	return 0;
}

static ssize_t on_read_body(nghttp2_session *s, int32_t sid, uint8_t *buf, size_t length, uint32_t *flags,
			    nghttp2_data_source *src, void *arg)
{
	struct http2_priv *hp = ((struct chan *)arg)->priv;
	size_t n = hp->slen - hp->soff < length ? hp->slen - hp->soff : length;

	memcpy(buf, hp->sbuf + hp->soff, n);
	hp->soff += n;
	if (hp->soff == hp->slen)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

/* Writes what the session has to send. */
static int http2_flush(struct chan *ch)
{
	struct http2_priv *hp = ch->priv;

	while (nghttp2_session_want_write(hp->sess)) {
		const uint8_t *out;
		ssize_t n = nghttp2_session_mem_send(hp->sess, &out);
		int r;

		if (n < 0)
			return chan_fail(ch, EPROTO, "nghttp2_session_mem_send: %s", nghttp2_strerror((int)n));
		if (n == 0)
			break;
		r = fdio_write_all(ch, hp->fd, out, (size_t)n);
		if (r)
			return r;
	}
	return 0;
}

/* Moves frames both ways until *flag is set. */
static int http2_pump(struct chan *ch, bool *flag, const char *what)
{
	struct http2_priv *hp = ch->priv;

	for (;;) {
		ssize_t n;
		int r = http2_flush(ch);

		if (r)
			return r;
		if (*flag)
			return 0;
		if (hp->reset)
			return chan_fail(ch, EPROTO, "%s: the client reset stream %d", what, hp->sid);
		if (!nghttp2_session_want_read(hp->sess))
			return chan_fail(ch, EPIPE, "%s: the HTTP/2 session is over", what);
		r = fdio_wait(ch, hp->fd, POLLIN);
		if (r)
			return r;
		n = read(hp->fd, hp->ibuf, HTTP2_IBUF);
		if (n == 0)
			return chan_fail(ch, EPIPE, "%s: the client closed the connection", what);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return chan_fail(ch, errno, "read (%s)", what);
		n = nghttp2_session_mem_recv(hp->sess, hp->ibuf, (size_t)n);
		if (n < 0)
			return chan_fail(ch, EPROTO, "nghttp2_session_mem_recv (%s): %s", what,
					 nghttp2_strerror((int)n));
	}
}

/* Answers the waiting request: status, then len bytes of buf (none: no DATA frame). */
static int http2_answer(struct chan *ch, unsigned int status, const void *buf, size_t len)
{
	struct http2_priv *hp = ch->priv;
	char st[8], cl[24];
	nghttp2_data_provider prd = {.read_callback = on_read_body};
	nghttp2_nv nv[] = {
		{(uint8_t *)":status", (uint8_t *)st, 7, 0, NGHTTP2_NV_FLAG_NONE},
		{(uint8_t *)"content-length", (uint8_t *)cl, 14, 0, NGHTTP2_NV_FLAG_NONE},
	};
	int r;

	nv[0].valuelen = (size_t)snprintf(st, sizeof(st), "%u", status);
	nv[1].valuelen = (size_t)snprintf(cl, sizeof(cl), "%zu", len);
	hp->sbuf = buf;
	hp->slen = len;
	hp->soff = 0;
	hp->resp_done = false;
	hp->phase = H2_ANSWERING;
	r = nghttp2_submit_response(hp->sess, hp->sid, nv, len ? 2 : 1, len ? &prd : NULL);
	if (r)
		return chan_fail(ch, EPROTO, "nghttp2_submit_response: %s", nghttp2_strerror(r));
	return http2_pump(ch, &hp->resp_done, "sending the response");
}

static int http2_session(struct chan *ch)
{
	struct http2_priv *hp = ch->priv;
	nghttp2_session_callbacks *cb;
	nghttp2_settings_entry iv[] = {
		{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100},
		{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, HTTP2_WINDOW},
	};
	int r;

	if (nghttp2_session_callbacks_new(&cb))
		return chan_fail(ch, ENOMEM, "nghttp2_session_callbacks_new");
	nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
	r = nghttp2_session_server_new(&hp->sess, cb, ch);
	nghttp2_session_callbacks_del(cb);
	if (r)
		return chan_fail(ch, ENOMEM, "nghttp2_session_server_new: %s", nghttp2_strerror(r));
	r = nghttp2_submit_settings(hp->sess, NGHTTP2_FLAG_NONE, iv, 2);
	if (!r)
		r = nghttp2_session_set_local_window_size(hp->sess, NGHTTP2_FLAG_NONE, 0, HTTP2_WINDOW);
	if (r)
		return chan_fail(ch, EPROTO, "nghttp2 settings: %s", nghttp2_strerror(r));
	return http2_flush(ch);
}

static int http2_attach(struct chan *ch, enum chan_role role)
{
	struct http2_priv *hp = ch->priv;
	int r;

	if (role == CHAN_CLIENT) {
		fdchan_use(ch, -1, -1); /* libcurl makes its own socket */
		return curlcli_open(ch, &hp->cc, hp->url, hp->wn.unix_net ? hp->wn.un.sun_path : NULL, true);
	}
	hp->fd = webnet_accept(ch, &hp->wn);
	if (hp->fd < 0)
		return hp->fd;
	r = fdio_set_nonblock(hp->fd, true);
	if (r)
		return chan_fail(ch, -r, "fcntl O_NONBLOCK");
	hp->ibuf = malloc(HTTP2_IBUF);
	if (!hp->ibuf)
		return chan_fail(ch, ENOMEM, "malloc %d", HTTP2_IBUF);
	hp->sid = -1;
	return http2_session(ch);
}

static int http2_send(struct chan *ch, const void *buf, size_t len)
{
	struct http2_priv *hp = ch->priv;

	if (ch->role == CHAN_CLIENT)
		return curlcli_post(ch, &hp->cc, buf, len);
	if (hp->phase != H2_WAITING)
		return chan_fail(ch, EPROTO, "a response with no request waiting");
	return http2_answer(ch, 200, buf, len);
}

static int http2_recv(struct chan *ch, void *buf, size_t len)
{
	struct http2_priv *hp = ch->priv;
	int r;

	if (ch->role == CHAN_CLIENT)
		return curlcli_take(ch, &hp->cc, buf, len);
	hp->rbuf = buf;
	hp->rcap = len;
	if (hp->phase == H2_WAITING) { /* the previous POST was one-way: acknowledge it */
		r = http2_answer(ch, 200, HTTP2_ACK, sizeof(HTTP2_ACK));
		if (r)
			return r;
	}
	hp->req_ready = false;
	r = http2_pump(ch, &hp->req_ready, "waiting for a request");
	hp->rbuf = NULL;
	if (r)
		return r;
	if (hp->bad_method)
		return chan_fail(ch, EPROTO, "a request that is not a POST");
	if (hp->too_long || hp->rgot != len)
		return chan_fail(ch, EPROTO, "a request body of %zu bytes, %zu expected", hp->rgot, len);
	return 0;
}

static void http2_detach(struct chan *ch)
{
	struct http2_priv *hp = ch->priv;

	if (ch->role == CHAN_CLIENT) {
		curlcli_close(&hp->cc);
	} else if (hp->sess) {
		if (hp->phase == H2_WAITING)
			http2_answer(ch, 200, HTTP2_ACK, sizeof(HTTP2_ACK));   /* the stream's last POST */
		nghttp2_session_terminate_session(hp->sess, NGHTTP2_NO_ERROR); /* GOAWAY */
		http2_flush(ch);
		nghttp2_session_del(hp->sess);
		hp->sess = NULL;
	}
	free(hp->ibuf);
	hp->ibuf = NULL;
	fdchan_detach(ch);
}

static int http2_create(struct chan *ch)
{
	struct http2_priv *hp = ch->priv;
	char where[FDCHAN_PATH_MAX];

	if (webnet_listen(ch, &hp->wn))
		return -ch->err;
	snprintf(hp->url, sizeof(hp->url), "http://%s/",
		 hp->wn.unix_net ? "localhost" : webnet_where(&hp->wn, where, sizeof(where)));
	return 0;
}

static int http2_probe(struct chan *ch)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	if (!(v->features & CURL_VERSION_HTTP2))
		return chan_unavailable(ch, ENOSYS, "libcurl %s was built without HTTP/2 (nghttp2)", v->version);
	ch->limits.max_msg_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "a POST body and its response in 16 KiB DATA frames, 16 MiB windows: no limit of its own "
		 "(nghttp2 %s, libcurl %s)",
		 nghttp2_version(0)->version_str, v->version);
	return 0;
}

#else /* without libnghttp2 or libcurl: registered, and unavailable with the reason */

struct http2_priv {
	struct webnet wn;
};

static int http2_probe(struct chan *ch)
{
	return chan_unavailable(ch, ENOSYS, "built without %s (install %s and rebuild)",
#ifndef HAVE_LIBNGHTTP2
				"libnghttp2", "libnghttp2-dev"
#else
				"libcurl", "libcurl4-openssl-dev"
#endif
	);
}

static int http2_create(struct chan *ch)
{
	return http2_probe(ch);
}

static int http2_attach(struct chan *ch, enum chan_role role)
{
	return -ENOSYS;
}

static int http2_send(struct chan *ch, const void *buf, size_t len)
{
	return -ENOSYS;
}

static int http2_recv(struct chan *ch, void *buf, size_t len)
{
	return -ENOSYS;
}

static void http2_detach(struct chan *ch)
{
}
#endif

const struct transport_ops http2_ops = {
	.name = "http2",
	.summary = "cleartext HTTP/2 (prior knowledge) POST and echo: libnghttp2 server, libcurl (net=tcp|unix)",
	.kind = CHAN_MESSAGE,
	.flags = TRANSPORT_BY_NAME | TRANSPORT_NETWORK,
	.priv_size = sizeof(struct http2_priv),
	.options = http2_options,
	.raw_of = webnet_raw_of,
	.probe = http2_probe,
	.create = http2_create,
	.adopt = fdchan_adopt,
	.attach = http2_attach,
	.send = http2_send,
	.recv = http2_recv,
	.detach = http2_detach,
	.destroy = fdchan_destroy,
};
