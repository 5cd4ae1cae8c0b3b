/*
 * remote.h - `ipcbench serve` and `run --connect`: two separately started
 * programs, on one host or two (docs/serve.md).
 *
 * One control connection (TCP, or a Unix socket path) carries frames: a
 * 4-byte big-endian length (at most REMOTE_FRAME_MAX) and text whose
 * first line is the verb.  The client says hello with its protocol
 * version; a server with a token answers with a random challenge that the
 * client answers with HMAC-SHA1(token, challenge), so the token never
 * crosses the wire; then the server sends its host facts.  Each cell: the
 * client sends the cell's parameters (harness/peerwire.c, the one
 * serializer), the server checks them against its own limits, creates
 * the channel in its own run directory (every name its own), answers with
 * the rendezvous and runs the server side (side_main) as a forked side;
 * the client runs only its own side, on its own clock, and gets the
 * server side's cost (and, for stream, its count) at the end.
 *
 * Library code: returns 0 or -errno with a message in err; never prints.
 */
#ifndef IPCBENCH_REMOTE_H
#define IPCBENCH_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/harness.h"

#define REMOTE_VERSION 1
#define REMOTE_FRAME_MAX 65536			 /* a frame's text, bytes: a longer length prefix is refused */
#define REMOTE_MAX_MSG_BYTES ((size_t)256 << 20) /* what the server accepts, like run -s */
#define REMOTE_MAX_MESSAGES 1000000000ull	 /* warm-up + measured messages of one cell */
#define REMOTE_TOKEN_MAX 1024
#define REMOTE_HANDSHAKE_MS 10000 /* hello and proof of the token, or the server hangs up */
#define REMOTE_IDLE_MS 600000	  /* between two cells */
#define REMOTE_MAX_CLIENTS 4	  /* control connections served at once (cells run one at a time) */

/* Who a host is: equal boot ids and network namespaces are one host as far as the data goes. */
struct remote_ident {
	char hostname[256];
	char boot_id[40];
	char netns[32]; /* the inode of /proc/self/ns/net, as text */
	char kernel[256];
	char machine[64];
	char cpu_model[256];
	int cpus_online;
	char virtualization[128];
	char clocksource[64];
};

struct remote_conn {
	int fd;
	char addr[512];		  /* as given to --connect */
	struct remote_ident peer; /* the server's */
	bool other_host;	  /* the server's boot id or network namespace is not ours */
};

/* "HOST:PORT" (an IPv4 literal) or a path with a '/' (a Unix socket).  0 or -EINVAL with err. */
struct remote_addr {
	bool is_unix;
	char path[108];
	uint32_t ip; /* network order */
	uint16_t port;
};
int remote_addr_parse(const char *s, struct remote_addr *a, char *err, size_t errlen);
void remote_addr_format(const struct remote_addr *a, char *out, size_t outlen);

/* The secret of --token FILE: a regular file not readable by group or others, 1..REMOTE_TOKEN_MAX bytes. */
int remote_token_read(const char *path, char *tok, size_t toklen, size_t *len, char *err, size_t errlen);
/* HMAC-SHA1 of msg under key, as 40 hex digits and a NUL. */
void remote_hmac_hex(const char *key, size_t keylen, const char *msg, size_t msglen, char out[41]);
/* Equal strings of length n, in time that does not depend on where they differ. */
bool remote_equal_ct(const char *a, const char *b, size_t n);

void remote_ident_collect(struct remote_ident *id);
/* Text lines "key value" of id (no "end"), appended to out; the decoder for the client. */
int remote_ident_encode(const struct remote_ident *id, char *out, size_t outlen);
int remote_ident_decode(const char *text, struct remote_ident *id);
/* The value of the line "key value" in text ("" when absent or "-"), at most outlen - 1 bytes. */
void remote_kv(const char *text, const char *key, char *out, size_t outlen);

/* Frames: 0 or -errno (-EPIPE: closed; -EMSGSIZE: over the cap; -ETIMEDOUT; -EPROTO: not text). */
int remote_frame_write(int fd, const char *text, size_t len);
int remote_frame_read(int fd, int timeout_ms, char **text);
/* "error <one line>" as a frame, the only way the server answers a refusal. */
void remote_send_error(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* run --connect: connects, says hello, proves the token (NULL: none), reads the server's facts. */
int remote_connect(const char *addr, const char *token_file, struct remote_conn *rc, char *err, size_t errlen);
void remote_close(struct remote_conn *rc);
/*
 * A cell through the server (driver.c): remote_cell_start sends the
 * parameters and adopts the server's rendezvous into ch (the client side
 * is then forked as usual); remote_cell_end takes the server's figures
 * into res and releases the server's channel.  -1 with res saying why.
 */
int remote_cell_start(const struct cell_config *cfg, struct chan *ch, struct cell_result *res);
void remote_cell_end(const struct cell_config *cfg, struct chan *ch, struct cell_result *res, bool started);
/* Why cfg cannot run through a server (true: res says why, skipped). */
bool remote_cell_skip(const struct cell_config *cfg, struct cell_result *res);

/* `ipcbench serve` */
struct serve_options {
	const char *listen; /* default "127.0.0.1:7878" */
	const char *token_file;
	bool once; /* serve one client, then exit */
	bool allow_tsc;
	void (*on_listen)(const char *addr); /* told the address once bound (the port of :0) */
	void (*log)(const char *line);	     /* one line per client event */
};
/* Serves until SIGINT/SIGTERM (harness_interrupt) or, with once, one client: 0 or -errno with err. */
int remote_serve(const struct serve_options *o, char *err, size_t errlen);
/* remote_cell.c: one client's connection, in its own process; returns its exit status. */
int remote_client_main(int fd, const char *run_dir, const char *token, size_t toklen, bool loopback,
		       void (*log)(const char *line));

#endif
