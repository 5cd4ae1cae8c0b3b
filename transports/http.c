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
 * Fan-in (--clients): one daemon, one keep-alive connection per client;
 * each client's requests carry its index (CURLCLI_CLIENT_HEADER), each
 * body waits in its client's slot with the connection suspended, and
 * recv_any() takes them in arrival order; send_to() resumes that one
 * connection and runs the daemon until its response is written.  A
 * connection that closes is -EPIPE for its client.
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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct transport_option http_options[] = {
	[WEBNET_OPT] = WEBNET_OPTION,
	{0},
};

#if defined(HAVE_LIBMICROHTTPD) && defined(HAVE_LIBCURL)
#include <curl/curl.h>
#include <microhttpd.h>

#define HTTP_FAN_IN TRANSPORT_FAN_IN

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
	struct http_fan *fan; /* the fan-in server's, one per client (ch->nclients); NULL otherwise */
	unsigned int *ready;  /* clients whose request (or hang-up) recv_any() has not taken: a ring of 2n */
	unsigned int rhead, rlen;
};

/* One fan-in client's connection, as the server sees it. */
struct http_fan {
	struct MHD_Connection *conn; /* known from its first request on */
	uint8_t *body;		     /* its request body, msg_bytes */
	size_t got;
	bool too_long, bad_method, waiting, completed, gone;
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

/*
 * Runs the daemon until done(hp, arg): silence past the timeout is
 * -ETIMEDOUT and, where one client is served (closed_fails), its
 * connection gone is -EPIPE.  The fan-in server and the one-client
 * server share it.
 */
static int http_run(struct chan *ch, bool (*done)(const struct http_priv *, const void *), const void *arg,
		    bool closed_fails, const char *what)
{
	struct http_priv *hp = ch->priv;
	struct pollfd p = {.fd = hp->epfd, .events = POLLIN};
	int waited_ms = 0;

	for (;;) {
		MHD_UNSIGNED_LONG_LONG to;
		int wait = ch->timeout_ms > 0 ? ch->timeout_ms - waited_ms : -1, r;

		if (MHD_run(hp->daemon) != MHD_YES)
			return chan_fail(ch, EIO, "MHD_run (%s)", what);
		if (done(hp, arg))
			return 0;
		if (closed_fails && (hp->failed || hp->closed))
			return chan_fail(ch, EPIPE, "%s: the client closed the connection", what);
		if (ch->timeout_ms > 0 && wait <= 0)
			return chan_fail(ch, ETIMEDOUT, "%s: no client heard for %d ms", what, ch->timeout_ms);
		if (MHD_get_timeout(hp->daemon, &to) == MHD_YES && (wait < 0 || to < (unsigned long long)wait))
			wait = (int)to;
		r = poll(&p, 1, wait);
		if (r < 0 && errno != EINTR)
			return chan_fail(ch, errno, "poll (%s)", what);
		waited_ms = r == 0 ? waited_ms + wait : 0;
	}
}

static bool http_flag_set(const struct http_priv *hp, const void *flag)
{
	(void)hp;
	return *(const bool *)flag;
}

/* The one-client server: the daemon until *flag is set. */
static int http_pump(struct chan *ch, bool *flag, const char *what)
{
	return http_run(ch, http_flag_set, flag, true, what);
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

/* ---- fan-in: one daemon, one keep-alive connection per client, each named by its header ---- */

static void http_fan_ready(struct http_priv *hp, unsigned int n, unsigned int c)
{
	hp->ready[(hp->rhead + hp->rlen++) % (2 * n)] = c;
}

/* The client a request names (CURLCLI_CLIENT_HEADER), or n when it names none of ours. */
static unsigned int http_fan_client(struct MHD_Connection *c, unsigned int n)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, CURLCLI_CLIENT_HEADER);
	char *end;
	unsigned long i;

	if (!v)
		return n;
	errno = 0;
	i = strtoul(v, &end, 10);
	return errno || end == v || *end || i >= n ? n : (unsigned int)i;
}

static enum MHD_Result http_fan_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				       const char *version, const char *data, size_t *data_size, void **req_cls)
{
	struct chan *ch = cls;
	struct http_priv *hp = ch->priv;
	struct http_fan *f = *req_cls;

	if (!f) { /* the headers of a new request */
		unsigned int i = http_fan_client(c, ch->nclients);

		if (i >= ch->nclients)
			return MHD_NO; /* not one of this cell's clients: the connection is closed */
		f = &hp->fan[i];
		*req_cls = f;
		f->conn = c;
		f->got = 0;
		f->too_long = f->completed = false;
		f->bad_method = strcmp(method, MHD_HTTP_METHOD_POST) != 0;
		return MHD_YES;
	}
	if (*data_size) {
		if (*data_size > ch->msg_bytes - f->got)
			f->too_long = true;
		else
			memcpy(f->body + f->got, data, *data_size);
		f->got += *data_size;
		*data_size = 0;
		return MHD_YES;
	}
	if (!f->waiting) { /* the body is in: wait for send_to() */
		f->waiting = true;
		MHD_suspend_connection(c);
		http_fan_ready(hp, ch->nclients, (unsigned int)(f - hp->fan));
		return MHD_YES;
	}
	return MHD_queue_response(c, MHD_HTTP_OK, hp->resp); /* resumed by send_to() */
}

static void http_fan_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe)
{
	struct http_fan *f = *req_cls;

	if (f) {
		f->completed = true;
		f->waiting = false;
	}
}

static void http_fan_conn_event(void *cls, struct MHD_Connection *c, void **sock_ctx,
				enum MHD_ConnectionNotificationCode toe)
{
	struct chan *ch = cls;
	struct http_priv *hp = ch->priv;

	for (unsigned int i = 0; toe == MHD_CONNECTION_NOTIFY_CLOSED && i < ch->nclients; i++) {
		if (hp->fan[i].conn == c && !hp->fan[i].gone) {
			hp->fan[i].gone = true;
			hp->fan[i].conn = NULL;
			http_fan_ready(hp, ch->nclients, i); /* recv_any() says -EPIPE for it */
		}
	}
}

static bool http_fan_any(const struct http_priv *hp, const void *arg)
{
	return hp->rlen > 0;
}

static bool http_fan_sent(const struct http_priv *hp, const void *arg)
{
	const struct http_fan *f = arg;

	return f->completed || f->gone;
}

static int http_recv_any(struct chan *ch, void *buf, size_t len, unsigned int *client)
{
	struct http_priv *hp = ch->priv;
	struct http_fan *f;
	unsigned int c;

	if (!hp->rlen && http_run(ch, http_fan_any, NULL, false, "waiting for a request"))
		return -ch->err;
	c = hp->ready[hp->rhead];
	hp->rhead = (hp->rhead + 1) % (2 * ch->nclients);
	hp->rlen--;
	*client = c;
	f = &hp->fan[c];
	if (f->gone && !f->waiting)
		return chan_fail(ch, EPIPE, "client %u closed its connection", c);
	if (f->bad_method)
		return chan_fail(ch, EPROTO, "client %u: a request that is not a POST", c);
	if (f->too_long || f->got != len)
		return chan_fail(ch, EPROTO, "client %u: a request body of %zu bytes, %zu expected", c, f->got, len);
	memcpy(buf, f->body, len);
	return 0;
}

static int http_send_to(struct chan *ch, unsigned int client, const void *buf, size_t len)
{
	struct http_priv *hp = ch->priv;
	struct http_fan *f = &hp->fan[client];
	int r;

	if (client >= ch->nclients || !f->waiting || f->gone)
		return chan_fail(ch, EPROTO, "a response to client %u, who has no request waiting", client);
	/* persistent: the harness's buffer outlives the response, sent before send_to() returns */
	hp->resp = MHD_create_response_from_buffer(len, (void *)buf, MHD_RESPMEM_PERSISTENT);
	if (!hp->resp)
		return chan_fail(ch, ENOMEM, "MHD_create_response_from_buffer %zu", len);
	f->completed = false;
	MHD_resume_connection(f->conn);
	r = http_run(ch, http_fan_sent, f, false, "sending a response");
	MHD_destroy_response(hp->resp); /* MHD keeps its own reference while it sends */
	hp->resp = NULL;
	if (!r && f->gone && !f->completed)
		r = chan_fail(ch, EPIPE, "client %u closed its connection before its response", client);
	return r;
}

static int http_fan_start(struct chan *ch, int lfd)
{
	struct http_priv *hp = ch->priv;

	hp->fan = calloc(ch->nclients, sizeof(*hp->fan));
	hp->ready = calloc(2 * (size_t)ch->nclients, sizeof(*hp->ready)); /* a request and a hang-up each */
	if (!hp->fan || !hp->ready)
		return chan_fail(ch, ENOMEM, "the server's state of %u clients", ch->nclients);
	for (unsigned int i = 0; i < ch->nclients; i++)
		if (!(hp->fan[i].body = malloc(ch->msg_bytes ? ch->msg_bytes : 1)))
			return chan_fail(ch, ENOMEM, "the request buffers of %u clients", ch->nclients);
	hp->daemon = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, http_fan_access, ch,
				      MHD_OPTION_LISTEN_SOCKET, lfd, MHD_OPTION_NOTIFY_COMPLETED, http_fan_completed,
				      ch, MHD_OPTION_NOTIFY_CONNECTION, http_fan_conn_event, ch, MHD_OPTION_END);
	return hp->daemon ? 0 : chan_fail(ch, EIO, "MHD_start_daemon on %s", hp->url);
}

static void http_fan_free(struct chan *ch)
{
	struct http_priv *hp = ch->priv;

	for (unsigned int i = 0; hp->fan && i < ch->nclients; i++)
		free(hp->fan[i].body);
	free(hp->fan);
	free(hp->ready);
	hp->fan = NULL;
	hp->ready = NULL;
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
	if (ch->nclients) {
		if (http_fan_start(ch, lfd))
			return -ch->err;
	} else {
		hp->daemon =
			MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, http_access, hp,
					 MHD_OPTION_LISTEN_SOCKET, lfd, MHD_OPTION_NOTIFY_COMPLETED, http_completed, hp,
					 MHD_OPTION_NOTIFY_CONNECTION, http_conn_event, hp, MHD_OPTION_END);
		if (!hp->daemon)
			return chan_fail(ch, EIO, "MHD_start_daemon on %s", hp->url);
	}
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
	http_fan_free(ch);
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

#define HTTP_FAN_IN 0 /* no recv_any to offer */
#define http_recv_any NULL
#define http_send_to NULL
#endif

const struct transport_ops http_ops = {
	.name = "http",
	.summary = "HTTP/1.1 keep-alive POST and echo: libmicrohttpd server, libcurl client (net=tcp|unix)",
	.kind = CHAN_MESSAGE,
	.flags = TRANSPORT_BY_NAME | TRANSPORT_NETWORK | HTTP_FAN_IN,
	.priv_size = sizeof(struct http_priv),
	.options = http_options,
	.raw_of = webnet_raw_of,
	.probe = http_probe,
	.create = http_create,
	.adopt = fdchan_adopt,
	.attach = http_attach,
	.send = http_send,
	.recv = http_recv,
	.recv_any = http_recv_any,
	.send_to = http_send_to,
	.detach = http_detach,
	.destroy = fdchan_destroy,
};
