/*
 * remote_cell.c - one client of `ipcbench serve`, in its own process (see
 * remote_serve.c): the hello and the token, then cell after cell.
 *
 * A cell's parameters are checked against what this server accepts (its
 * own probe of the transport, its CPUs, a fixed count of messages, the
 * size and count caps) and refused with one line otherwise.  Every name
 * is the server's own: its run directory and a fresh tag; the names the
 * client sent are ignored.  The server side is a forked side (side_main)
 * that verifies and echoes; this process watches it and the connection,
 * and removes the channel once the client said it is done (or at once
 * when the side failed, which wakes a client blocked on a queue).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/mono.h"
#include "harness/peerwire.h"
#include "harness/remote.h"
#include "harness/side.h"
#include "harness/sysinfo.h"

struct client {
	int fd;
	const char *run_dir;
	bool loopback;
	uint32_t local_ip; /* network order: the address the client reached, where the data channel listens */
	void (*log)(const char *line);
};

static void on_stop(int sig)
{
	harness_interrupt(sig);
}

static void handler_signals(void)
{
	struct sigaction sa = {.sa_handler = on_stop}, ign = {.sa_handler = SIG_IGN};

	sigemptyset(&sa.sa_mask);
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGPIPE, &ign, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM); /* the server gone: clean up and go */
}

/* Our answer first, then the rest of what the client sent is read away, so closing sends no reset over it. */
static void hang_up(int fd)
{
	uint64_t until = mono_ms() + 200;
	char buf[4096];
	size_t total = 0;

	shutdown(fd, SHUT_WR);
	while (total < (1u << 20) && mono_ms() < until) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		total += (size_t)n;
	}
	close(fd);
}

static int handshake(struct client *cl, const char *tok, size_t toklen, char *why, size_t whylen)
{
	char *text = NULL, v[16], nonce[65], mac[41], got[96];
	uint8_t rnd[32];
	int r = remote_frame_read(cl->fd, REMOTE_HANDSHAKE_MS, &text);

	if (r == -EMSGSIZE || r == -EPROTO)
		remote_send_error(cl->fd, "not an ipcbench client's hello");
	if (r)
		return snprintf(why, whylen, "no hello: %s", strerror(-r)), r;
	remote_kv(text, "version", v, sizeof(v));
	if (strncmp(text, "hello ipcbench\n", 15)) {
		free(text);
		remote_send_error(cl->fd, "not an ipcbench client's hello");
		return snprintf(why, whylen, "not an ipcbench hello"), -EPROTO;
	}
	free(text);
	if (strcmp(v, "1")) {
		remote_send_error(cl->fd, "protocol version %.8s not supported (this server speaks version %d)", v,
				  REMOTE_VERSION);
		return snprintf(why, whylen, "protocol version %.8s refused", v), -EPROTO;
	}
	if (!tok)
		return 0;
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return snprintf(why, whylen, "getrandom: %s", strerror(errno)), -EIO;
	for (int i = 0; i < 32; i++)
		snprintf(nonce + 2 * i, 3, "%02x", rnd[i]);
	snprintf(got, sizeof(got), "challenge %s\n", nonce);
	r = remote_frame_write(cl->fd, got, strlen(got));
	if (!r)
		r = remote_frame_read(cl->fd, REMOTE_HANDSHAKE_MS, &text);
	if (r)
		return snprintf(why, whylen, "no answer to the challenge: %s", strerror(-r)), r;
	remote_kv(text, "auth", got, sizeof(got));
	free(text);
	remote_hmac_hex(tok, toklen, nonce, 64, mac);
	if (strlen(got) != 40 || !remote_equal_ct(got, mac, 40)) {
		usleep(200000); /* a guesser gets five tries a second per connection */
		remote_send_error(cl->fd, "wrong token");
		return snprintf(why, whylen, "wrong token"), -EACCES;
	}
	return 0;
}

/* What this server refuses to run; NULL when cfg is acceptable. */
static const char *refuse(const struct peer_params *p, const struct client *cl, char *buf, size_t len)
{
	const struct cell_config *c = &p->cfg;
	unsigned int f = c->ops->flags;

	if (p->role != CHAN_SERVER)
		return "this server runs the server side only";
	if (!(f & TRANSPORT_BY_NAME) || (f & TRANSPORT_CLIENT_STARTS_SERVER))
		return snprintf(buf, len, "%s needs related processes", c->ops->name), buf;
	if (!cl->loopback && !transport_reaches_hosts(c->ops, &c->opts))
		return snprintf(buf, len, "%s joins processes of one host: connect over loopback", c->ops->name), buf;
	if (c->pattern != PATTERN_PINGPONG && c->pattern != PATTERN_STREAM)
		return "this server measures pingpong and stream only";
	if (!c->iterations || c->warmup + c->iterations > REMOTE_MAX_MESSAGES)
		return snprintf(buf, len, "a cell needs a fixed count of 1 to %llu messages (-n)", REMOTE_MAX_MESSAGES),
		       buf;
	if (c->msg_bytes > REMOTE_MAX_MSG_BYTES)
		return snprintf(buf, len, "a %zu-byte message is over this server's %zu-byte limit", c->msg_bytes,
				REMOTE_MAX_MSG_BYTES),
		       buf;
	if ((c->msg_bytes == 0) != !!(f & TRANSPORT_NO_PAYLOAD))
		return "size 0 is for the wake-up primitives only, and they take nothing else";
	if (c->precision > 0 || c->warmup_ns)
		return "--precision is not served: the end of a cell is known only to the client's clock";
	if (c->server_cpu >= 0 && !cpu_online(c->server_cpu))
		return snprintf(buf, len, "CPU %d is not online on the server", c->server_cpu), buf;
	if (c->wait == CHAN_WAIT_SPIN && !(f & (TRANSPORT_CAN_SPIN | TRANSPORT_SPIN)))
		return "this transport cannot busy-poll";
	if ((c->wait == CHAN_WAIT_EPOLL || c->wait == CHAN_WAIT_POLL) && !(f & TRANSPORT_CAN_EVENT))
		return "this transport has no file descriptor to wait on";
	return NULL;
}

/* Cells of all clients one at a time; waits for the lock while the client is still there. */
static int cell_lock(const struct client *cl)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/cells.lock", cl->run_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		struct pollfd p = {.fd = cl->fd, .events = POLLIN};

		if (harness_interrupted() || poll(&p, 1, 20) != 0) { /* a client that speaks now hung up or lied */
			close(fd);
			return -ECANCELED;
		}
	}
	return fd;
}

struct served {
	struct cell_config cfg;
	struct chan ch;
	struct cell_maps m;
	pid_t pid;
	int pidfd;
	int status;
	bool reaped, done, lost;
};

static void reap_side(struct served *s, bool block)
{
	if (s->reaped || s->pid <= 0)
		return;
	if (waitpid(s->pid, &s->status, block ? 0 : WNOHANG) == s->pid) {
		s->reaped = true;
		if (s->pidfd >= 0)
			close(s->pidfd);
		s->pidfd = -1;
	}
}

static void kill_side(struct served *s)
{
	if (s->pid > 0 && !s->reaped)
		kill(s->pid, SIGKILL);
	reap_side(s, true);
}

static bool side_ok(const struct served *s)
{
	return s->reaped && WIFEXITED(s->status) && WEXITSTATUS(s->status) == 0;
}

/* The client's word on the connection during the cell: done, abort, or gone (garbage counts as gone). */
static void client_word(struct client *cl, struct served *s)
{
	char *text;
	int r = remote_frame_read(cl->fd, 1000, &text);

	if (r == -EINTR)
		return;
	s->done = true;
	if (!r && !strcmp(text, "done\n")) {
		free(text);
		return;
	}
	s->lost = r || strcmp(text, "abort\n");
	if (!r)
		free(text);
	kill_side(s);
}

/* Until the side is reaped and the client said it is done, or gave up; the watchdog kills a stuck side. */
static void watch_side(struct client *cl, struct served *s)
{
	uint64_t last = 0, changed = mono_ms();

	while (!(s->reaped && s->done) && !s->lost) {
		struct pollfd p[2];
		nfds_t n = 0;
		int conn = -1;
		uint64_t v = atomic_load(&s->m.ctl->progress[CHAN_SERVER].v);
		bool running = !s->reaped;

		if (!s->done) {
			conn = (int)n;
			p[n++] = (struct pollfd){.fd = cl->fd, .events = POLLIN};
		}
		if (s->pidfd >= 0)
			p[n++] = (struct pollfd){.fd = s->pidfd, .events = POLLIN};
		if (poll(p, n, 200) < 0 && errno != EINTR)
			usleep(20000);
		if (harness_interrupted()) {
			s->lost = true;
			kill_side(s);
			return;
		}
		if (conn >= 0 && (p[conn].revents & (POLLIN | POLLHUP | POLLERR)))
			client_word(cl, s);
		reap_side(s, false);
		if (running && s->reaped && !side_ok(s))
			chan_close(&s->ch); /* wakes a client blocked on a queue of ours */
		if (v != last) {
			last = v;
			changed = mono_ms();
		} else if (!s->reaped && mono_ms() - changed > (uint64_t)s->cfg.timeout_ms) {
			kill_side(s);
		}
	}
}

static void send_result(struct client *cl, struct served *s)
{
	const struct side_cost *c = &s->m.ctl->side[CHAN_SERVER].cost;
	const char *msg = s->m.ctl->side[CHAN_SERVER].msg;
	char text[1024];
	bool ok = side_ok(s) && s->m.ctl->side[CHAN_SERVER].have_cost;

	if (!ok && !msg[0])
		msg = s->reaped && WIFSIGNALED(s->status) ? "the server side was killed (no progress, or aborted)"
							  : "the server side failed";
	snprintf(text, sizeof(text),
		 "result\nstatus %s\nreason %.400s\nuser_sec %.9f\nsys_sec %.9f\nvoluntary_cs %ld\n"
		 "involuntary_cs %ld\nthreads %d\nmax_rss_kb %ld\ncount %llu\nelapsed_ns %llu\nend\n",
		 ok ? "ok" : "error", ok ? "-" : msg, c->user_sec, c->sys_sec, c->voluntary_cs, c->involuntary_cs,
		 c->threads, c->max_rss_kb, (unsigned long long)s->m.ctl->count,
		 (unsigned long long)s->m.ctl->elapsed_ns);
	for (char *q = text; *q; q++)
		if ((unsigned char)*q < 0x20 && *q != '\n')
			*q = ' ';
	remote_frame_write(cl->fd, text, strlen(text));
}

static int start_side(struct client *cl, struct served *s)
{
	static struct side_ctx side; /* the child's: side_child_main never returns */
	pid_t self = getpid();

	side = (struct side_ctx){.cfg = &s->cfg,
				 .ch = &s->ch,
				 .ctl = s->m.ctl,
				 .role = CHAN_SERVER,
				 .len = s->cfg.msg_bytes,
				 .snap_next = UINT64_MAX};
	fflush(NULL);
	s->pid = fork();
	if (s->pid < 0)
		return -errno;
	if (s->pid == 0) {
		close(cl->fd);
		side_child_main(&side, (char *)s->m.ctl + side_ctl_bytes(), self);
	}
	s->pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	return 0;
}

/* The channel made by the server, in its directory, and the rendezvous sent; -1 after an error to the client. */
static int open_channel(struct client *cl, struct served *s, struct chan_limits *lim)
{
	char tag[64], *text;
	size_t len;
	int r;

	rundir_new_tag(tag, sizeof(tag));
	r = side_maps_open(&s->cfg, tag, &s->m);
	if (r) {
		remote_send_error(cl->fd, "the cell's page: %s", strerror(-r));
		return -1;
	}
	side_chan_from_cfg(&s->ch, &s->cfg, lim, tag);
	s->ch.tag = strdup(tag);
	s->ch.net_addr = cl->loopback ? 0 : cl->local_ip;
	s->ch.client_by_name = true; /* the server side is our child; the client only has the names */
	r = s->ch.tag ? chan_open(&s->ch, s->cfg.ops) : -ENOMEM;
	if (r) {
		remote_send_error(cl->fd, "create %s: %s", s->cfg.ops->name,
				  s->ch.errmsg[0] ? s->ch.errmsg : strerror(-r));
		return -1;
	}
	r = peerwire_encode_reply(s->ch.priv, s->cfg.ops->priv_size, NULL, &text, &len);
	if (!r) {
		/* the cell's tag first: a datagram client's hello carries it (transports/byname.h) */
		size_t tl = strlen(tag) + 5;
		char *frame = malloc(tl + len + 1);

		if (frame) {
			snprintf(frame, tl + len + 1, "tag %s\n%s", tag, text);
			r = remote_frame_write(cl->fd, frame, tl + len);
			free(frame);
		} else {
			r = -ENOMEM;
		}
		free(text);
	}
	return r ? -1 : 0;
}

static void close_cell(struct served *s)
{
	char ledger[4200];

	kill_side(s);
	chan_close(&s->ch);
	if (s->ch.tag && !chan_ledger_path(&s->ch, ledger, sizeof(ledger)))
		unlink(ledger);
	free((char *)s->ch.tag);
	side_maps_close(&s->m);
}

/* One cell; -1 when the connection is lost (the handler ends). */
static int serve_cell(struct client *cl, const char *text)
{
	static struct served s;
	struct peer_params p;
	struct chan probe = {0};
	char why[400], buf[300];
	const char *no;
	int lock, r = peerwire_decode(text, &p, why, sizeof(why));

	if (r) {
		remote_send_error(cl->fd, "bad cell: %s", why);
		return 0;
	}
	peerwire_release(&p);
	if ((no = refuse(&p, cl, buf, sizeof(buf)))) {
		remote_send_error(cl->fd, "%s", no);
		return 0;
	}
	probe.opts = p.cfg.opts;
	if (chan_probe(&probe, p.cfg.ops)) {
		remote_send_error(cl->fd, "%s is not usable on the server: %s", p.cfg.ops->name, probe.errmsg);
		return 0;
	}
	if (probe.limits.max_msg_bytes && p.cfg.msg_bytes > probe.limits.max_msg_bytes) {
		remote_send_error(cl->fd, "a %zu-byte message exceeds what %s carries on the server (%zu bytes)",
				  p.cfg.msg_bytes, p.cfg.ops->name, probe.limits.max_msg_bytes);
		return 0;
	}
	memset(&s, 0, sizeof(s));
	s.pidfd = -1;
	s.cfg = p.cfg;
	s.cfg.run_dir = cl->run_dir;
	s.cfg.peers = PEERS_FORK;
	s.cfg.interval_ns = 0;
	s.cfg.on_progress = NULL;
	s.cfg.remote = NULL;
	if (s.cfg.timeout_ms <= 0)
		s.cfg.timeout_ms = 10000;
	lock = cell_lock(cl);
	if (lock < 0)
		return -1;
	r = open_channel(cl, &s, &probe.limits);
	if (!r && (r = start_side(cl, &s)))
		remote_send_error(cl->fd, "fork: %s", strerror(-r));
	if (!r) {
		watch_side(cl, &s);
		if (!s.lost)
			send_result(cl, &s);
	}
	close_cell(&s);
	close(lock);
	return s.lost ? -1 : 0;
}

static void welcome(struct client *cl)
{
	static struct remote_ident me;
	static char text[2048];

	remote_ident_collect(&me);
	snprintf(text, sizeof(text), "welcome\n");
	remote_ident_encode(&me, text, sizeof(text));
	remote_frame_write(cl->fd, text, strlen(text));
}

int remote_client_main(int fd, const char *run_dir, const char *tok, size_t toklen, bool loopback,
		       void (*log)(const char *line))
{
	struct client cl = {.fd = fd, .run_dir = run_dir, .loopback = loopback, .log = log};
	struct sockaddr_in si;
	socklen_t len = sizeof(si);
	char why[300], line[400];

	handler_signals();
	if (!getsockname(fd, (struct sockaddr *)&si, &len) && si.sin_family == AF_INET)
		cl.local_ip = si.sin_addr.s_addr;
	if (handshake(&cl, tok, toklen, why, sizeof(why))) {
		snprintf(line, sizeof(line), "client refused: %s", why);
		if (log)
			log(line);
		hang_up(fd);
		return 1;
	}
	welcome(&cl);
	while (!harness_interrupted()) {
		char *text;
		int r = remote_frame_read(fd, REMOTE_IDLE_MS, &text);

		if (r == -EINTR)
			continue;
		if (r == -EMSGSIZE)
			remote_send_error(fd, "a frame over %d bytes", REMOTE_FRAME_MAX);
		if (r == -EPROTO)
			remote_send_error(fd, "a frame that is not text");
		if (r)
			break;
		if (!strncmp(text, "cell\n", 5)) {
			r = serve_cell(&cl, text + 5);
		} else {
			if (strcmp(text, "bye\n"))
				remote_send_error(fd, "unknown request");
			r = -1;
		}
		free(text);
		if (r)
			break;
	}
	hang_up(fd);
	return 0;
}
