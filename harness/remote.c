/*
 * remote.c - the client's end of `run --connect` (see remote.h): the
 * connection and the handshake, then per cell the parameters out, the
 * rendezvous in, and the server side's figures at the end.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness/clock.h"
#include "harness/peerwire.h"
#include "harness/remote.h"

static int dial(const struct remote_addr *a, char *err, size_t errlen, const char *given)
{
	int fd = socket(a->is_unix ? AF_UNIX : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), r;

	if (fd < 0) {
		snprintf(err, errlen, "--connect %s: socket: %s", given, strerror(errno));
		return -errno;
	}
	if (a->is_unix) {
		struct sockaddr_un su = {.sun_family = AF_UNIX};

		snprintf(su.sun_path, sizeof(su.sun_path), "%s", a->path);
		r = connect(fd, (struct sockaddr *)&su, sizeof(su));
	} else {
		struct sockaddr_in si = {.sin_family = AF_INET, .sin_port = htons(a->port), .sin_addr.s_addr = a->ip};

		r = connect(fd, (struct sockaddr *)&si, sizeof(si));
	}
	if (r < 0) {
		r = -errno;
		close(fd);
		snprintf(err, errlen, "--connect %s: %s (is `ipcbench serve` running there?)", given, strerror(-r));
		return r;
	}
	return fd;
}

/* The server's answer: 0 with *text, or -EPROTO with its refusal (or what went wrong) in err. */
static int answer(struct remote_conn *rc, int timeout_ms, char **text, char *err, size_t errlen)
{
	int r = remote_frame_read(rc->fd, timeout_ms, text);

	if (r) {
		snprintf(err, errlen, "the server at %s %s", rc->addr,
			 r == -EPIPE	   ? "closed the connection"
			 : r == -ETIMEDOUT ? "did not answer in time"
					   : strerror(-r));
		return r;
	}
	if (!strncmp(*text, "error ", 6)) {
		snprintf(err, errlen, "the server at %s refused: %.*s", rc->addr, (int)strcspn(*text + 6, "\n"),
			 *text + 6);
		free(*text);
		*text = NULL;
		return -EPROTO;
	}
	return 0;
}

/* The challenge answered with HMAC(token, challenge): the token itself never goes out. */
static int prove(struct remote_conn *rc, const char *text, const char *token_file, char *err, size_t errlen)
{
	char tok[REMOTE_TOKEN_MAX + 2], nonce[80], mac[41], msg[64];
	size_t toklen;
	int r;

	if (!token_file) {
		snprintf(err, errlen, "the server at %s asks for a token: --token FILE", rc->addr);
		return -EACCES;
	}
	remote_kv(text, "challenge", nonce, sizeof(nonce));
	if (strlen(nonce) != 64) {
		snprintf(err, errlen, "the server at %s sent a malformed challenge", rc->addr);
		return -EPROTO;
	}
	r = remote_token_read(token_file, tok, sizeof(tok), &toklen, err, errlen);
	if (r)
		return r;
	remote_hmac_hex(tok, toklen, nonce, 64, mac);
	memset(tok, 0, sizeof(tok));
	snprintf(msg, sizeof(msg), "auth %s\n", mac);
	return remote_frame_write(rc->fd, msg, strlen(msg));
}

int remote_connect(const char *addr, const char *token_file, struct remote_conn *rc, char *err, size_t errlen)
{
	struct remote_addr a;
	struct remote_ident me;
	char hello[64], *text = NULL;
	int r = remote_addr_parse(addr, &a, err, errlen);

	memset(rc, 0, sizeof(*rc));
	rc->fd = -1;
	snprintf(rc->addr, sizeof(rc->addr), "%s", addr);
	if (r)
		return r;
	rc->fd = dial(&a, err, errlen, addr);
	if (rc->fd < 0)
		return rc->fd;
	snprintf(hello, sizeof(hello), "hello ipcbench\nversion %d\n", REMOTE_VERSION);
	r = remote_frame_write(rc->fd, hello, strlen(hello));
	if (!r)
		r = answer(rc, REMOTE_HANDSHAKE_MS, &text, err, errlen);
	if (!r && !strncmp(text, "challenge ", 10)) {
		r = prove(rc, text, token_file, err, errlen);
		free(text);
		text = NULL;
		if (!r)
			r = answer(rc, REMOTE_HANDSHAKE_MS, &text, err, errlen);
	}
	if (!r && (strncmp(text, "welcome\n", 8) || remote_ident_decode(text + 8, &rc->peer))) {
		snprintf(err, errlen, "the server at %s does not speak ipcbench's protocol", addr);
		r = -EPROTO;
	}
	free(text);
	if (r) {
		remote_close(rc);
		return r;
	}
	remote_ident_collect(&me);
	rc->other_host = strcmp(me.boot_id, rc->peer.boot_id) || strcmp(me.netns, rc->peer.netns);
	return 0;
}

void remote_close(struct remote_conn *rc)
{
	if (rc->fd >= 0) {
		remote_frame_write(rc->fd, "bye\n", 4);
		close(rc->fd);
	}
	rc->fd = -1;
}

bool remote_cell_skip(const struct cell_config *cfg, struct cell_result *res)
{
	const struct transport_ops *ops = cfg->ops;

	if (!(ops->flags & TRANSPORT_BY_NAME))
		snprintf(res->reason, sizeof(res->reason),
			 "%s needs related processes: a server started on its own cannot find the channel by a name",
			 ops->name);
	else if (cfg->remote->other_host && !transport_reaches_hosts(ops, &cfg->opts))
		snprintf(
			res->reason, sizeof(res->reason),
			"%s joins processes of one host%s, and the server at %s is another host (or network namespace)",
			ops->name, ops->flags & TRANSPORT_NETWORK ? " with these options" : "", cfg->remote->addr);
	else if (cfg->pattern != PATTERN_PINGPONG && cfg->pattern != PATTERN_STREAM)
		snprintf(res->reason, sizeof(res->reason), "--connect measures pingpong and stream only");
	else if (cfg->pairs || cfg->clients)
		snprintf(res->reason, sizeof(res->reason), "--connect measures one pair, not --pairs or --clients");
	else
		return false;
	res->status = CELL_SKIPPED;
	return true;
}

static void cell_error(struct cell_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cell_error(struct cell_result *res, const char *fmt, ...)
{
	va_list ap;

	res->status = CELL_ERROR;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
}

/*
 * The server's tag for this cell, where its rendezvous starts with one: the
 * client's side takes it as its own, since a datagram client's hello must
 * carry it.  Returns the rest of the text.  One cell at a time per process.
 */
static const char *take_tag(const char *text, struct chan *ch)
{
	static char tag[64];
	size_t n;

	if (strncmp(text, "tag ", 4))
		return text;
	text += 4;
	n = strcspn(text, "\n");
	if (text[n] != '\n' || n == 0 || n >= sizeof(tag) || strspn(text, "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
		return text - 4; /* not a tag: the decoder says the text is malformed */
	memcpy(tag, text, n);
	tag[n] = 0;
	ch->tag = tag;
	return text + n + 1;
}

int remote_cell_start(const struct cell_config *cfg, struct chan *ch, struct cell_result *res)
{
	struct peer_params p = {.cfg = *cfg, .role = CHAN_SERVER, .limits = ch->limits};
	char *text, *frame, why[400];
	uint8_t *priv;
	size_t len;
	int r;

	snprintf(p.run_dir, sizeof(p.run_dir), "-"); /* the server chooses every name itself */
	snprintf(p.tag, sizeof(p.tag), "-");
	snprintf(p.ctl_path, sizeof(p.ctl_path), "-");
	p.clock_tsc = clock_info.tsc;
	if (peerwire_encode(&p, &text, &len)) {
		cell_error(res, "%s", "out of memory encoding the cell");
		return -1;
	}
	frame = malloc(len + 6);
	if (!frame) {
		free(text);
		cell_error(res, "%s", "out of memory encoding the cell");
		return -1;
	}
	snprintf(frame, len + 6, "cell\n%s", text);
	free(text);
	r = remote_frame_write(cfg->remote->fd, frame, len + 5);
	free(frame);
	if (r) {
		cell_error(res, "sending the cell to the server: %s", strerror(-r));
		return -1;
	}
	r = remote_frame_read(cfg->remote->fd, cfg->timeout_ms + 60000, &text);
	if (r) {
		cell_error(res, "the server gave no rendezvous: %s",
			   r == -EPIPE ? "it closed the connection" : strerror(-r));
		return -1;
	}
	r = peerwire_decode_reply(take_tag(text, ch), cfg->ops->priv_size, &priv, why, sizeof(why));
	free(text);
	if (r) {
		cell_error(res, "server: %s", why);
		return -1;
	}
	ch->ops = cfg->ops;
	ch->priv = priv; /* only names: the server's ports, paths, ids */
	if (ch->ops->adopt)
		ch->ops->adopt(ch);
	return 0;
}

static double num(const char *text, const char *key)
{
	char v[64];

	remote_kv(text, key, v, sizeof(v));
	return strtod(v, NULL);
}

/* The server side's cost and, where it is the receiver, its count. */
static void take_result(const struct cell_config *cfg, struct cell_result *res, const char *text)
{
	struct side_cost *c = &res->cost[CHAN_SERVER];
	char status[16], reason[400];

	remote_kv(text, "status", status, sizeof(status));
	remote_kv(text, "reason", reason, sizeof(reason));
	if (strcmp(status, "ok")) {
		if (res->status == CELL_OK || res->status == CELL_ERROR) {
			size_t n = res->status == CELL_ERROR ? strlen(res->reason) : 0;

			snprintf(res->reason + n, sizeof(res->reason) - n, "%sserver: %s", n ? "; " : "",
				 reason[0] ? reason : "failed without saying why");
			res->status = CELL_ERROR;
		}
		res->have_cost = false;
		return;
	}
	c->user_sec = num(text, "user_sec");
	c->sys_sec = num(text, "sys_sec");
	c->voluntary_cs = (long)num(text, "voluntary_cs");
	c->involuntary_cs = (long)num(text, "involuntary_cs");
	c->threads = (int)num(text, "threads");
	c->max_rss_kb = (long)num(text, "max_rss_kb");
	res->have_cost = res->status == CELL_OK;
	if (cfg->pattern == PATTERN_STREAM && res->status == CELL_OK) { /* counted where received */
		res->count = (uint64_t)num(text, "count");
		res->elapsed_ns = (uint64_t)num(text, "elapsed_ns");
		if (res->elapsed_ns) {
			res->msgs_per_sec = (double)res->count / ((double)res->elapsed_ns / 1e9);
			res->bytes_per_sec = res->msgs_per_sec * (double)cfg->msg_bytes;
		}
	}
}

void remote_cell_end(const struct cell_config *cfg, struct chan *ch, struct cell_result *res, bool started)
{
	char *text;
	int r;

	free(ch->priv); /* the server's: it removes its channel itself, once we are done */
	ch->priv = NULL;
	if (!started)
		return;
	r = remote_frame_write(cfg->remote->fd, res->status == CELL_OK ? "done\n" : "abort\n",
			       res->status == CELL_OK ? 5 : 6);
	if (!r)
		r = remote_frame_read(cfg->remote->fd, cfg->timeout_ms + 30000, &text);
	if (r) {
		if (res->status == CELL_OK)
			cell_error(res, "the server sent no figures: %s",
				   r == -EPIPE ? "it closed the connection" : strerror(-r));
		return;
	}
	if (strncmp(text, "result\n", 7))
		cell_error(res, "%s", "the server's figures are malformed");
	else
		take_result(cfg, res, text);
	free(text);
}
