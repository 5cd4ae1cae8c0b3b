/*
 * fdio.h - the helper kit of the fd-based transports (internal to
 * transports/, like ring.h; the engine never includes it).
 *
 * fdio_*: whole-message I/O on one fd.  Stream fds loop over short reads
 * and writes and EINTR; record fds (datagram, seqpacket) move one record
 * per call and treat any other size as -EPROTO.  With CHAN_WAIT_SPIN the
 * fd is non-blocking and EAGAIN is polled without sleeping; with
 * CHAN_WAIT_BLOCK the calls block, or wait in poll() for at most
 * ch->timeout_ms where the transport made the fd non-blocking.  With
 * CHAN_WAIT_EPOLL and CHAN_WAIT_POLL (transports on struct fd_chan,
 * flagged TRANSPORT_CAN_EVENT) the fds are non-blocking and a side waits
 * as an event-loop server does: before each read it waits for readiness
 * in epoll_wait (on an epoll instance made in fdchan_use, the read fd
 * registered once, level-triggered) or in poll(), then reads; a write is
 * tried first and waits for EPOLLOUT/POLLOUT only when the kernel
 * refuses it (EAGAIN).
 *
 * struct fd_chan: the shared state of fd-based transports (put it at the
 * start of priv).  create() adds every fd it makes with fdchan_add_fd()
 * and every name with fdchan_add_path(); attach() picks this side's fds
 * with fdchan_use(), which closes the rest and applies the wait strategy.
 * The fdchan_* send/recv/detach/destroy hooks then serve every fd
 * transport (the kernel's shared pipefifo_fops).
 */
#ifndef IPCBENCH_FDIO_H
#define IPCBENCH_FDIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "transports/transport.h"

int fdio_write_all(struct chan *ch, int fd, const void *buf, size_t len);
int fdio_read_all(struct chan *ch, int fd, void *buf, size_t len);
/*
 * One datagram/record: a short or long delivery is -EPROTO.  A send the
 * kernel keeps refusing with ENOBUFS (about 10 ms of retries) fails with
 * -ENOBUFS: a record the kernel cannot allocate never fits, however long
 * one waits, and poll() reports the fd writable all along.
 */
int fdio_send_msg(struct chan *ch, int fd, const void *buf, size_t len);
int fdio_recv_msg(struct chan *ch, int fd, void *buf, size_t len);
int fdio_set_nonblock(int fd, bool on);
/* Waits until fd is ready (POLLIN/POLLOUT) for at most ch->timeout_ms. */
int fdio_wait(struct chan *ch, int fd, short events);
void fdio_close(int *fd);
/* A SOCK_STREAM socket of family connected to addr: its fd, or -1 with errno set. */
int fdio_connect_stream(int family, const void *addr, socklen_t len);
/*
 * A probe's round trip to the listener lfd: connects to addr and accepts
 * the connection (closed again).  0 with the connected socket in *cfd
 * (the caller closes it), or the errno of the connect with nothing open.
 */
int fdio_probe_listener(int lfd, int family, const void *addr, socklen_t len, int *cfd);

struct fd_pair {
	int rfd; /* this side reads from here */
	int wfd; /* this side writes here (may equal rfd) */
};

#define FDCHAN_MAX_FDS 4
#define FDCHAN_MAX_PATHS 2
#define FDCHAN_PATH_MAX 108 /* sizeof(sockaddr_un.sun_path) */
struct fansock;
struct fd_chan {
	struct fd_pair io;
	int epfd;     /* CHAN_WAIT_EPOLL: this process's epoll instance, io.rfd registered for EPOLLIN */
	bool ep_open; /* epfd was opened by this process (fdchan_use) */
	int nfd;
	int fd[FDCHAN_MAX_FDS];
	int npath;
	char path[FDCHAN_MAX_PATHS][FDCHAN_PATH_MAX];
	struct fansock *fan; /* a fan-in channel's clients (transports/fansock.h), else NULL */
};

int fdchan_add_fd(struct chan *ch, int fd);
/*
 * Two pipes, one per direction, added as fd[FDCHAN_C2S_R], [FDCHAN_C2S_W],
 * [FDCHAN_S2C_R], [FDCHAN_S2C_W] (they must be the channel's first fds).
 */
enum { FDCHAN_C2S_R, FDCHAN_C2S_W, FDCHAN_S2C_R, FDCHAN_S2C_W };
int fdchan_add_pipes(struct chan *ch);
int fdchan_add_path(struct chan *ch, const char *path);
/* accept4 on the listening socket fd[0], again after EINTR: the new fd, or -1 with errno set. */
int fdchan_accept(struct chan *ch);
/* Adds a connected socket and uses it both ways (0 or -errno, recorded). */
int fdchan_use_conn(struct chan *ch, int fd);
/*
 * attach() of a socket transport whose parent listens on fd[0] before the
 * fork: the server accepts, the client connects to addr; the connection
 * is then used both ways.  what names the endpoint in errors
 * ("accept <what>", "connect <what>").
 */
int fdchan_attach_listener(struct chan *ch, enum chan_role role, int family, const void *addr, socklen_t len,
			   const char *what);
int fdchan_use(struct chan *ch, int rfd, int wfd);
int fdchan_stream_send(struct chan *ch, const void *buf, size_t len);
int fdchan_stream_recv(struct chan *ch, void *buf, size_t len);
int fdchan_record_send(struct chan *ch, const void *buf, size_t len);
int fdchan_record_recv(struct chan *ch, void *buf, size_t len);
void fdchan_detach(struct chan *ch);
/* adopt() of the by-name fd transports: the creator's fd numbers are not this process's; the paths stay. */
void fdchan_adopt(struct chan *ch);
void fdchan_destroy(struct chan *ch);

#endif
