/*
 * http.c - request/response over HTTP/1.1 keep-alive: a libmicrohttpd
 * server, a libcurl client, one connection for the whole cell.
 *
 * Every client send() is one POST / whose body is the message; the
 * server's recv() returns that body and its send() is the response, whose
 * body the client's recv() returns (the echo).  Over TCP on 127.0.0.1
 * (default) or an AF_UNIX socket in the run directory (:net=unix, libcurl's
 * CURLOPT_UNIX_SOCKET_PATH); the parent listens before the fork and the
 * server hands that socket to libmicrohttpd (MHD_OPTION_LISTEN_SOCKET).
 * The client side is curlcli.c: one easy handle, keep-alive, and a cell
 * that fails when the connection is not reused (CURLINFO_NUM_CONNECTS, and
 * no second socket); Expect: 100-continue is off (curlcli.c says why).
 *
 * The server's threading: libmicrohttpd runs with no thread of its own
 * (external polling, MHD_USE_EPOLL without MHD_USE_INTERNAL_POLLING_THREAD),
 * driven from recv()/send(): they wait on the daemon's epoll fd and call
 * MHD_run().  A request is suspended (MHD_suspend_connection) once its body
 * is in, recv() returns, and send() resumes it with the response.  Chosen
 * because the harness's server is a loop of recv() and send() in one
 * thread: with MHD's internal polling thread every message would also pay
 * two hand-offs between that thread and the harness's (a lock, a
 * condition variable, two wake-ups), a cost of the glue, not of HTTP.  So
 * each side runs one thread, as with the raw tcp and unix transports, and
 * what is measured is HTTP's framing and parsing and the libraries' work.
 *
 * stream: HTTP/1.1 has no one-way message and libcurl no longer pipelines,
 * so a POST is complete only when its response arrives.  In the stream
 * pattern the server answers each POST with an empty 204 when its next
 * recv() starts (or in detach() for the last), so the stream's figures are
 * those of back-to-back POSTs, each acknowledged: what an HTTP API that
 * receives a feed of messages gives.
 *
 * Limits: none of its own (the body is a byte count; libmicrohttpd hands it
 * over in pieces of its connection buffer).  A request body of another
 * size than the server's recv() asks for is -EPROTO.  Threads: none
 * started by either library (libcurl resolves no name: 127.0.0.1 or a
 * socket path).
 */
#include "transports/chan_util.h"
#include "transports/curlcli.h"
#include "transports/webnet.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct transport_option http_options[] = {
	[WEBNET_OPT] = WEBNET_OPTION,
	{0},
};

#if defined(HAVE_LIBMICROHTTPD) && defined(HAVE_LIBCURL)
#include <curl/curl.h>
#include <microhttpd.h>

enum http_phase {
	HTTP_IDLE,	/* no request */
	HTTP_READING,	/* a request's body is arriving */
	HTTP_WAITING,	/* its body is in; the connection is suspended until send() */
	HTTP_ANSWERING, /* resumed with a response, until it completes */
};

struct http_priv {
	struct webnet wn; /* first: fdchan_destroy() */
	/* the client */
	struct curlcli cc;
	/* the server */
	struct MHD_Daemon *daemon;
	struct MHD_Connection *conn; /* the suspended connection */
	struct MHD_Response *ack;    /* the empty 204 of the stream pattern */
	struct MHD_Response *echo;   /* the response for echo_buf/echo_len, kept while they are the same */
	const void *echo_buf;
	size_t echo_len;
	struct MHD_Response *resp; /* what the resumed request answers */
	unsigned int status;
	enum http_phase phase;
	uint8_t *rbuf; /* where recv() wants the body */
	size_t rcap, rgot;
	bool too_long, bad_method, req_ready, completed, closed, failed;
	int epfd;
	char url[80];
};

static enum MHD_Result http_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				   const char *version, const char *data, size_t *data_size, void **req_cls)
{
	struct http_priv *hp = cls;

	if (!*req_cls) { /* the headers of a new request */
		*req_cls = hp;
		hp->phase = HTTP_READING;
		hp->rgot = 0;
		hp->too_long = false;
		hp->bad_method = strcmp(method, MHD_HTTP_METHOD_POST) != 0;
		return MHD_YES;
	}
	if (*data_size) { /* a piece of the body */
		size_t n = *data_size;

		if (!hp->rbuf || n > hp->rcap - hp->rgot)
			hp->too_long = true;
		else
			memcpy(hp->rbuf + hp->rgot, data, n);
		hp->rgot += n;
		*data_size = 0;
		return MHD_YES;
	}
	if (hp->phase == HTTP_READING) { /* the body is complete: hold the response until send() */
		hp->phase = HTTP_WAITING;
		hp->conn = c;
		hp->req_ready = true;
		MHD_suspend_connection(c);
		return MHD_YES;
	}
	return MHD_queue_response(c, hp->status, hp->resp); /* resumed by send() */
}

static void http_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe)
{
	struct http_priv *hp = cls;

	hp->completed = true;
	hp->phase = HTTP_IDLE;
	hp->conn = NULL;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		hp->failed = true;
}

static void http_conn_event(void *cls, struct MHD_Connection *c, void **sock_ctx,
			    enum MHD_ConnectionNotificationCode toe)
{
	struct http_priv *hp = cls;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
		hp->closed = true;
}

/* Runs the daemon until *flag is set: the peer gone is -EPIPE, silence past the timeout -ETIMEDOUT. */
static int http_pump(struct chan *ch, bool *flag, const char *what)
{
	struct http_priv *hp = ch->priv;
	struct pollfd p = {.fd = hp->epfd, .events = POLLIN};
	int waited_ms = 0;

	for (;;) {
		MHD_UNSIGNED_LONG_LONG to;
		int wait = ch->timeout_ms > 0 ? ch->timeout_ms - waited_ms : -1, r;

		if (MHD_run(hp->daemon) != MHD_YES)
			return chan_fail(ch, EIO, "MHD_run (%s)", what);
		if (*flag)
			return 0;
		if (hp->failed || hp->closed)
			return chan_fail(ch, EPIPE, "%s: the client closed the connection", what);
		if (ch->timeout_ms > 0 && wait <= 0)
			return chan_fail(ch, ETIMEDOUT, "%s: the client silent for %d ms", what, ch->timeout_ms);
		if (MHD_get_timeout(hp->daemon, &to) == MHD_YES && (wait < 0 || to < (unsigned long long)wait))
			wait = (int)to;
		r = poll(&p, 1, wait);
		if (r < 0 && errno != EINTR)
			return chan_fail(ch, errno, "poll (%s)", what);
		if (r == 0)
			waited_ms += wait;
	}
}

/* Resumes the waiting request with resp and runs the daemon until it is sent. */
static int http_answer(struct chan *ch, struct MHD_Response *resp, unsigned int status)
{
	struct http_priv *hp = ch->priv;

	hp->resp = resp;
	hp->status = status;
	hp->completed = false;
	hp->phase = HTTP_ANSWERING;
	MHD_resume_connection(hp->conn);
	return http_pump(ch, &hp->completed, "sending the response");
}

static int http_server_attach(struct chan *ch)
{
	struct http_priv *hp = ch->priv;
	const union MHD_DaemonInfo *info;
	int lfd = hp->wn.fc.fd[0];

	fdchan_use(ch, lfd, lfd);
	hp->ack = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (!hp->ack)
		return chan_fail(ch, ENOMEM, "MHD_create_response_from_buffer");
	hp->daemon = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, http_access, hp,
				      MHD_OPTION_LISTEN_SOCKET, lfd, MHD_OPTION_NOTIFY_COMPLETED, http_completed, hp,
				      MHD_OPTION_NOTIFY_CONNECTION, http_conn_event, hp, MHD_OPTION_END);
	if (!hp->daemon)
		return chan_fail(ch, EIO, "MHD_start_daemon on %s", hp->url);
	info = MHD_get_daemon_info(hp->daemon, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info)
		return chan_fail(ch, EIO, "MHD_get_daemon_info epoll fd");
	hp->epfd = info->epoll_fd;
	return 0;
}

static int http_attach(struct chan *ch, enum chan_role role)
{
	struct http_priv *hp = ch->priv;

	if (role == CHAN_SERVER)
		return http_server_attach(ch);
	fdchan_use(ch, -1, -1); /* libcurl makes its own socket */
	return curlcli_open(ch, &hp->cc, hp->url, hp->wn.unix_net ? hp->wn.un.sun_path : NULL, false);
}

static int http_send(struct chan *ch, const void *buf, size_t len)
{
	struct http_priv *hp = ch->priv;

	if (ch->role == CHAN_CLIENT)
		return curlcli_post(ch, &hp->cc, buf, len);
	if (hp->phase != HTTP_WAITING)
		return chan_fail(ch, EPROTO, "a response with no request waiting");
	if (!hp->echo || hp->echo_buf != buf || hp->echo_len != len) {
		if (hp->echo)
			MHD_destroy_response(hp->echo);
		/* persistent: the harness's buffer outlives the response, which is sent before send() returns */
		hp->echo = MHD_create_response_from_buffer(len, (void *)buf, MHD_RESPMEM_PERSISTENT);
		if (!hp->echo)
			return chan_fail(ch, ENOMEM, "MHD_create_response_from_buffer %zu", len);
		hp->echo_buf = buf;
		hp->echo_len = len;
	}
	return http_answer(ch, hp->echo, MHD_HTTP_OK);
}

static int http_recv(struct chan *ch, void *buf, size_t len)
{
	struct http_priv *hp = ch->priv;
	int r;

	if (ch->role == CHAN_CLIENT)
		return curlcli_take(ch, &hp->cc, buf, len);
	hp->rbuf = buf;
	hp->rcap = len;
	if (hp->phase == HTTP_WAITING) { /* the previous POST was one-way: acknowledge it */
		r = http_answer(ch, hp->ack, MHD_HTTP_NO_CONTENT);
		if (r)
			return r;
	}
	hp->req_ready = false;
	r = http_pump(ch, &hp->req_ready, "waiting for a request");
	hp->rbuf = NULL;
	if (r)
		return r;
	if (hp->bad_method)
		return chan_fail(ch, EPROTO, "a request that is not a POST");
	if (hp->too_long || hp->rgot != len)
		return chan_fail(ch, EPROTO, "a request body of %zu bytes, %zu expected", hp->rgot, len);
	return 0;
}

static void http_server_detach(struct chan *ch)
{
	struct http_priv *hp = ch->priv;
	int lfd = hp->wn.fc.fd[0];

	if (hp->phase == HTTP_WAITING && !hp->closed)
		http_answer(ch, hp->ack, MHD_HTTP_NO_CONTENT); /* the stream's last POST */
	MHD_stop_daemon(hp->daemon);			       /* closes the connection and the listening socket */
	hp->daemon = NULL;
	if (lfd >= 0 && fcntl(lfd, F_GETFD) < 0)
		hp->wn.fc.fd[0] = -1; /* closed by libmicrohttpd: not ours to close again */
	if (hp->echo)
		MHD_destroy_response(hp->echo);
	hp->echo = NULL;
	MHD_destroy_response(hp->ack);
	hp->ack = NULL;
}

static void http_detach(struct chan *ch)
{
	struct http_priv *hp = ch->priv;

	if (ch->role == CHAN_CLIENT)
		curlcli_close(&hp->cc);
	else if (hp->daemon)
		http_server_detach(ch);
	fdchan_detach(ch);
}

static int http_create(struct chan *ch)
{
	struct http_priv *hp = ch->priv;
	char where[FDCHAN_PATH_MAX];

	if (webnet_listen(ch, &hp->wn))
		return -ch->err;
	/* over a Unix socket the host part is only the Host header */
	snprintf(hp->url, sizeof(hp->url), "http://%s/",
		 hp->wn.unix_net ? "localhost" : webnet_where(&hp->wn, where, sizeof(where)));
	return 0;
}

static int http_probe(struct chan *ch)
{
	ch->limits.max_msg_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "a POST body and its response: no limit of its own (libmicrohttpd %s, %s)", MHD_get_version(),
		 curl_version());
	return 0;
}

#else /* without libmicrohttpd or libcurl: registered, and unavailable with the reason */

struct http_priv {
	struct webnet wn;
};

static int http_probe(struct chan *ch)
{
	return chan_unavailable(ch, ENOSYS, "built without %s (install %s and rebuild)",
#ifndef HAVE_LIBMICROHTTPD
				"libmicrohttpd", "libmicrohttpd-dev"
#else
				"libcurl", "libcurl4-openssl-dev"
#endif
	);
}

static int http_create(struct chan *ch)
{
	return http_probe(ch);
}

static int http_attach(struct chan *ch, enum chan_role role)
{
	return -ENOSYS;
}

static int http_send(struct chan *ch, const void *buf, size_t len)
{
	return -ENOSYS;
}

static int http_recv(struct chan *ch, void *buf, size_t len)
{
	return -ENOSYS;
}

static void http_detach(struct chan *ch)
{
}
#endif

const struct transport_ops http_ops = {
	.name = "http",
	.summary = "HTTP/1.1 keep-alive POST and echo: libmicrohttpd server, libcurl client (net=tcp|unix)",
	.kind = CHAN_MESSAGE,
	.flags = TRANSPORT_BY_NAME | TRANSPORT_NETWORK,
	.priv_size = sizeof(struct http_priv),
	.options = http_options,
	.raw_of = webnet_raw_of,
	.probe = http_probe,
	.create = http_create,
	.adopt = fdchan_adopt,
	.attach = http_attach,
	.send = http_send,
	.recv = http_recv,
	.detach = http_detach,
	.destroy = fdchan_destroy,
};
