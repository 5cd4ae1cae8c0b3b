/*
 * curlcli.h - the libcurl client of the http and http2 transports
 * (internal to transports/).
 *
 * One easy handle for the whole cell, so one connection: every message is
 * a POST whose body is the message, and the response body (the echo, or
 * nothing for a 204 acknowledgement) is kept until curlcli_take().  The
 * connection is reused by libcurl's keep-alive; the client refuses to let
 * libcurl open a second socket (CURLOPT_OPENSOCKETFUNCTION) and checks
 * CURLINFO_NUM_CONNECTS after every request, so a cell whose connection
 * was not reused fails with that reason instead of measuring connection
 * set-up.  libcurl is initialised in curlcli_open(), in the client after
 * the fork, and cleaned up in curlcli_close().
 */
#ifndef IPCBENCH_CURLCLI_H
#define IPCBENCH_CURLCLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transports/transport.h"

struct curlcli {
	void *easy;	    /* CURL * */
	void *hdrs;	    /* struct curl_slist *: "Expect:" and the content type */
	uint8_t *body;	    /* the last response body, msg_bytes */
	size_t cap, got;    /* its capacity and length */
	bool overflow;	    /* the response was longer than cap */
	bool have_reply;    /* a response body is waiting for curlcli_take() */
	bool inited;	    /* curl_global_init succeeded */
	int sockets;	    /* sockets libcurl asked for */
	unsigned long nreq; /* requests made */
	long want_version;  /* CURL_HTTP_VERSION_1_1 or _2_0 */
	char url[80];
	char errbuf[256]; /* CURL_ERROR_SIZE */
};

/*
 * Test hook (tests/conformance/test_web.c): when set before the cell's
 * fork, the client sets CURLOPT_FORBID_REUSE, so libcurl closes the
 * connection after each request and the second request must fail the
 * cell.  Never set by ipcbench itself.
 */
extern bool curlcli_test_forbid_reuse;

/* The request header a fan-in client (ch->nclients) sends its index in, on every request. */
#define CURLCLI_CLIENT_HEADER "X-Ipcbench-Client"

/* http2 false: HTTP/1.1 keep-alive; true: HTTP/2 with prior knowledge.  unix_path NULL: TCP. */
int curlcli_open(struct chan *ch, struct curlcli *cc, const char *url, const char *unix_path, bool http2);
/* One POST of len bytes from buf; the response body is kept. */
int curlcli_post(struct chan *ch, struct curlcli *cc, const void *buf, size_t len);
/* The kept response body into buf, which must be exactly len bytes long (-EPROTO otherwise). */
int curlcli_take(struct chan *ch, struct curlcli *cc, void *buf, size_t len);
void curlcli_close(struct curlcli *cc);

#endif
