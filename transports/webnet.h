/*
 * webnet.h - the socket under the web transports (http, http2, websocket;
 * internal to transports/).
 *
 * Each of them runs over one stream connection: TCP over 127.0.0.1 by
 * default, or an AF_UNIX stream socket in the run directory with
 * :net=unix.  The parent makes the listening socket before the fork (as
 * tcp.c and unix.c do), so the client can connect whenever it starts; the
 * server accepts (or hands the listener to its library), the client
 * connects (or lets libcurl connect).  The state begins with a struct
 * fd_chan, so fdchan_destroy() closes the fds and unlinks the socket file.
 * By name (--peers exec): the server peer runs create() itself, and the
 * client finds it by the port or the socket path alone (adopt() is
 * fdchan_adopt: create() leaves nothing else of its process in priv).
 * Under `ipcbench serve` the TCP listener binds ch->net_addr, the address
 * the remote client reached (loopback when it is 0); :net=unix is refused
 * there, since a socket file joins processes of one host only.
 *
 * The option "net" is each web transport's option 0 (WEBNET_OPTION), so
 * raw_of() can name the raw transport underneath from the options alone.
 */
#ifndef IPCBENCH_WEBNET_H
#define IPCBENCH_WEBNET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/un.h>

#include "transports/fdio.h"

enum { WEBNET_TCP, WEBNET_UNIX };

extern const char *const webnet_names[];

#define WEBNET_OPT 0 /* the index of "net" in every web transport's options */
#define WEBNET_OPTION                                                                                       \
	{                                                                                                   \
		.name = "net", .type = TOPT_ENUM, .def = WEBNET_TCP, .values = webnet_names,                \
		.help = "the socket underneath: tcp (127.0.0.1, an ephemeral port) or unix (run directory)" \
	}

struct webnet {
	struct fd_chan fc; /* first: fd[0] is the listener, path[0] the unix socket file */
	bool unix_net;
	struct sockaddr_in in; /* the TCP address, port included */
	struct sockaddr_un un; /* the AF_UNIX address */
};

/* create(): the listening socket on fc.fd[0] for the channel's net option. */
int webnet_listen(struct chan *ch, struct webnet *wn);
/* The server's side: accepts one connection within ch->timeout_ms, closes the listener: the fd or -errno. */
int webnet_accept(struct chan *ch, struct webnet *wn);
/* The client's side: closes the listener and connects: the fd or -errno. */
int webnet_connect(struct chan *ch, struct webnet *wn);
/* "ADDR:PORT" or the socket path, for messages (and the URL). */
const char *webnet_where(const struct webnet *wn, char *out, size_t outlen);
/* The raw transport underneath: "tcp" or "unix". */
const char *webnet_raw_of(const struct chan_opts *o);
/* Whether the peer has hung up (or the fd failed): a non-blocking POLLHUP/POLLERR check. */
bool webnet_peer_gone(int fd);

#endif
