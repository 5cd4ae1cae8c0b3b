/*
 * curlcli.c - the libcurl client of the http and http2 transports
 * (curlcli.h).
 *
 * Expect: 100-continue is turned off.  libcurl sends it with a POST body
 * above 1 MiB (and for HTTP/1.1 only) and then waits for the server's
 * "100 Continue", or up to CURLOPT_EXPECT_100_TIMEOUT_MS, before sending
 * the body: an extra exchange, or a one-second stall, on the largest
 * messages alone, which would bend the size curve at exactly 1 MiB for a
 * reason that has nothing to do with carrying the message.  The server
 * here always accepts the body, so the header buys nothing.
 *
 * HTTP/2: the first request asks for CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE,
 * the later ones for CURL_HTTP_VERSION_2_0.  libcurl 7.88 (Debian 12)
 * fails every request after the first on a reused prior-knowledge
 * connection with "Error in the HTTP2 framing layer": it stacks a second
 * HTTP/2 layer on the connection (curl issue 10634, fixed in 7.89 by pull
 * request 10643).  Asking for 2_0 on the reused connection avoids that
 * code path and changes nothing on the wire: the connection already speaks
 * HTTP/2, a new one (which would try an h2c upgrade) is refused anyway,
 * and every answer is checked to have come over HTTP/2.
 */
#include "transports/curlcli.h"

bool curlcli_test_forbid_reuse;

#ifdef HAVE_LIBCURL

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct curlcli *cc = arg;
	size_t n = size * nmemb;

	if (n > cc->cap - cc->got) {
		cc->overflow = true;
		return n;
	}
	memcpy(cc->body + cc->got, data, n);
	cc->got += n;
	return n;
}

/* One socket for the cell: a second one would be a new connection. */
static curl_socket_t on_open(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct curlcli *cc = arg;

	if (purpose != CURLSOCKTYPE_IPCXN || ++cc->sockets > 1)
		return CURL_SOCKET_BAD;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static int setopts(struct chan *ch, struct curlcli *cc, const char *unix_path, bool http2)
{
	CURL *e = cc->easy;
	CURLcode r = CURLE_OK;

#define SET(opt, val)                                      \
	do {                                               \
		if (r == CURLE_OK)                         \
			r = curl_easy_setopt(e, opt, val); \
	} while (0)
	SET(CURLOPT_URL, cc->url);
	SET(CURLOPT_ERRORBUFFER, cc->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TCP_NODELAY, 1L);
	SET(CURLOPT_HTTPHEADER, (struct curl_slist *)cc->hdrs);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, cc);
	SET(CURLOPT_OPENSOCKETFUNCTION, on_open);
	SET(CURLOPT_OPENSOCKETDATA, cc);
	SET(CURLOPT_HTTP_VERSION, http2 ? (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE : (long)CURL_HTTP_VERSION_1_1);
	SET(CURLOPT_PROXY, ""); /* never through an http_proxy from the environment */
	SET(CURLOPT_NOPROXY, "*");
	if (ch->timeout_ms > 0)
		SET(CURLOPT_TIMEOUT_MS, (long)ch->timeout_ms);
	if (unix_path)
		SET(CURLOPT_UNIX_SOCKET_PATH, unix_path);
	if (curlcli_test_forbid_reuse)
		SET(CURLOPT_FORBID_REUSE, 1L);
#undef SET
	if (r != CURLE_OK)
		return chan_fail(ch, EINVAL, "curl_easy_setopt: %s", curl_easy_strerror(r));
	return 0;
}

int curlcli_open(struct chan *ch, struct curlcli *cc, const char *url, const char *unix_path, bool http2)
{
	struct curl_slist *h;

	if (curl_global_init(CURL_GLOBAL_NOTHING) != CURLE_OK)
		return chan_fail(ch, ENOMEM, "curl_global_init");
	cc->inited = true;
	snprintf(cc->url, sizeof(cc->url), "%s", url);
	cc->want_version = http2 ? CURL_HTTP_VERSION_2_0 : CURL_HTTP_VERSION_1_1;
	cc->cap = ch->msg_bytes;
	cc->body = malloc(cc->cap ? cc->cap : 1);
	cc->easy = curl_easy_init();
	h = curl_slist_append(NULL, "Expect:");
	if (h)
		cc->hdrs = h;
	h = h ? curl_slist_append(h, "Content-Type: application/octet-stream") : NULL;
	if (h && ch->nclients) { /* a fan-in client names itself to the one server (http.c) */
		char line[48];

		snprintf(line, sizeof(line), "%s: %u", CURLCLI_CLIENT_HEADER, ch->client);
		h = curl_slist_append(h, line);
	}
	if (h)
		cc->hdrs = h;
	if (!cc->body || !cc->easy || !h) {
		curlcli_close(cc);
		return chan_fail(ch, ENOMEM, "curl_easy_init");
	}
	if (setopts(ch, cc, unix_path, http2)) {
		curlcli_close(cc);
		return -ch->err;
	}
	return 0;
}

static int perform_error(struct chan *ch, struct curlcli *cc, CURLcode r)
{
	int e;

	if (cc->sockets > 1)
		return chan_fail(ch, EPROTO,
				 "%s request %lu: libcurl wanted a second connection: the keep-alive connection was "
				 "not reused (one connection per cell)",
				 cc->url, cc->nreq);
	switch (r) {
	case CURLE_OPERATION_TIMEDOUT:
		e = ETIMEDOUT;
		break;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_COULDNT_CONNECT:
	case CURLE_PARTIAL_FILE:
		e = EPIPE;
		break;
	case CURLE_OUT_OF_MEMORY:
		e = ENOMEM;
		break;
	default:
		e = EPROTO;
	}
	return chan_fail(ch, e, "curl_easy_perform POST %s: %s", cc->url,
			 cc->errbuf[0] ? cc->errbuf : curl_easy_strerror(r));
}

/* After a request: one connection, the protocol asked for, the status the server sends. */
static int check_reply(struct chan *ch, struct curlcli *cc)
{
	long conns = -1, version = 0, status = 0;

	curl_easy_getinfo(cc->easy, CURLINFO_NUM_CONNECTS, &conns);
	curl_easy_getinfo(cc->easy, CURLINFO_HTTP_VERSION, &version);
	curl_easy_getinfo(cc->easy, CURLINFO_RESPONSE_CODE, &status);
	if (conns != (cc->nreq == 1 ? 1 : 0))
		return chan_fail(ch, EPROTO,
				 "%s request %lu: CURLINFO_NUM_CONNECTS %ld: the connection was not reused (one "
				 "connection per cell)",
				 cc->url, cc->nreq, conns);
	if (version != cc->want_version)
		return chan_fail(ch, EPROTO, "%s: the response came over HTTP version code %ld, not %ld", cc->url,
				 version, cc->want_version);
	if (status != 200 && status != 204)
		return chan_fail(ch, EPROTO, "%s: HTTP status %ld", cc->url, status);
	if (cc->overflow)
		return chan_fail(ch, EPROTO, "%s: a response body above %zu bytes", cc->url, cc->cap);
	return 0;
}

int curlcli_post(struct chan *ch, struct curlcli *cc, const void *buf, size_t len)
{
	CURLcode r;

	cc->got = 0;
	cc->overflow = false;
	cc->have_reply = false;
	cc->errbuf[0] = 0;
	cc->nreq++;
	curl_easy_setopt(cc->easy, CURLOPT_POSTFIELDS, buf);
	curl_easy_setopt(cc->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	r = curl_easy_perform(cc->easy);
	if (r != CURLE_OK)
		return perform_error(ch, cc, r);
	if (check_reply(ch, cc))
		return -ch->err;
	if (cc->nreq == 1 && cc->want_version == CURL_HTTP_VERSION_2_0)
		curl_easy_setopt(cc->easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2_0); /* see above */
	cc->have_reply = true;
	return 0;
}

int curlcli_take(struct chan *ch, struct curlcli *cc, void *buf, size_t len)
{
	if (!cc->have_reply)
		return chan_fail(ch, EPROTO, "%s: a receive with no request answered", cc->url);
	cc->have_reply = false;
	if (cc->got != len)
		return chan_fail(ch, EPROTO, "%s: a response body of %zu bytes, %zu expected", cc->url, cc->got, len);
	memcpy(buf, cc->body, len);
	return 0;
}

void curlcli_close(struct curlcli *cc)
{
	if (cc->easy)
		curl_easy_cleanup(cc->easy);
	cc->easy = NULL;
	curl_slist_free_all(cc->hdrs);
	cc->hdrs = NULL;
	free(cc->body);
	cc->body = NULL;
	if (cc->inited)
		curl_global_cleanup();
	cc->inited = false;
}
#endif
