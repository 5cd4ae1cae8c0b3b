/*
 * remote_serve.c - `ipcbench serve`: listens (loopback unless told
 * otherwise), forks one handler process per control connection, at most
 * REMOTE_MAX_CLIENTS at once (one more is told the server is busy), and
 * on SIGINT/SIGTERM stops the handlers, waits for them to clean up, and
 * removes its run directory and socket.
 *
 * A handler per connection, in its own process: a client that vanishes,
 * stalls or sends garbage costs its own process only, and whatever that
 * process held (fds, mappings, its cell's channel) goes with it.  Cells
 * from different clients run one at a time (a lock in the run directory)
 * so that two clients never measure each other's load.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/mono.h"
#include "harness/clock.h"
#include "harness/remote.h"

static void logf_(const struct serve_options *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(const struct serve_options *o, const char *fmt, ...)
{
	char line[600];
	va_list ap;

	if (!o->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	o->log(line);
}

static int listen_on(const struct remote_addr *a, char *bound, size_t blen, char *err, size_t errlen)
{
	int fd = socket(a->is_unix ? AF_UNIX : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, r;
	struct remote_addr got = *a;

	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	if (a->is_unix) {
		struct sockaddr_un su = {.sun_family = AF_UNIX};

		snprintf(su.sun_path, sizeof(su.sun_path), "%s", a->path);
		r = bind(fd, (struct sockaddr *)&su, sizeof(su));
	} else {
		struct sockaddr_in si = {.sin_family = AF_INET, .sin_port = htons(a->port), .sin_addr.s_addr = a->ip};
		socklen_t len = sizeof(si);

		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		r = bind(fd, (struct sockaddr *)&si, sizeof(si));
		if (!r && !getsockname(fd, (struct sockaddr *)&si, &len))
			got.port = ntohs(si.sin_port);
	}
	if (r || listen(fd, 16) < 0) {
		r = -errno;
		remote_addr_format(a, bound, blen);
		snprintf(err, errlen, "--listen %s: %s", bound, strerror(-r));
		close(fd);
		return r;
	}
	remote_addr_format(&got, bound, blen);
	return fd;
}

struct handlers {
	pid_t pid[REMOTE_MAX_CLIENTS];
	int n;
};

static void reap_handlers(struct handlers *h, bool block)
{
	for (int i = 0; i < REMOTE_MAX_CLIENTS; i++) {
		if (h->pid[i] > 0 && waitpid(h->pid[i], NULL, block ? 0 : WNOHANG) == h->pid[i]) {
			h->pid[i] = 0;
			h->n--;
		}
	}
}

/* SIGTERM to each handler (it stops its cell and removes its channel), then wait; SIGKILL after 5 s. */
static void stop_handlers(struct handlers *h)
{
	uint64_t until = mono_ms() + 5000;

	for (int i = 0; i < REMOTE_MAX_CLIENTS; i++)
		if (h->pid[i] > 0)
			kill(h->pid[i], SIGTERM);
	while (h->n > 0 && mono_ms() < until) {
		reap_handlers(h, false);
		if (h->n > 0)
			usleep(10000);
	}
	for (int i = 0; i < REMOTE_MAX_CLIENTS; i++)
		if (h->pid[i] > 0)
			kill(h->pid[i], SIGKILL);
	reap_handlers(h, true);
}

static bool is_loopback(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return false;
	if (ss.ss_family == AF_UNIX)
		return true;
	return ss.ss_family == AF_INET && (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
}

static void peer_name(int fd, char *out, size_t outlen)
{
	struct sockaddr_in si;
	socklen_t len = sizeof(si);
	char ip[INET_ADDRSTRLEN];

	if (getpeername(fd, (struct sockaddr *)&si, &len) < 0 || si.sin_family != AF_INET) {
		snprintf(out, outlen, "local");
		return;
	}
	inet_ntop(AF_INET, &si.sin_addr, ip, sizeof(ip));
	snprintf(out, outlen, "%s:%u", ip, ntohs(si.sin_port));
}

/* One accepted connection: a handler of its own, or "busy". */
static void take_client(const struct serve_options *o, struct handlers *h, int lfd, const char *run_dir,
			const char *tok, size_t toklen)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), slot = -1;
	char who[64];
	pid_t pid;

	if (fd < 0)
		return;
	peer_name(fd, who, sizeof(who));
	for (int i = 0; i < REMOTE_MAX_CLIENTS && slot < 0; i++)
		if (!h->pid[i])
			slot = i;
	if (slot < 0) {
		remote_send_error(fd, "the server is busy: it serves %d clients at once", REMOTE_MAX_CLIENTS);
		logf_(o, "client %s: refused, %d clients already", who, REMOTE_MAX_CLIENTS);
		close(fd);
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(lfd);
		_exit(remote_client_main(fd, run_dir, tok, toklen, is_loopback(fd), o->log));
	}
	close(fd);
	if (pid < 0) {
		logf_(o, "client %s: fork: %s", who, strerror(errno));
		return;
	}
	h->pid[slot] = pid;
	h->n++;
	logf_(o, "client %s: connected", who);
}

static int serve_loop(const struct serve_options *o, int lfd, const char *run_dir, const char *tok, size_t toklen)
{
	struct handlers h = {0};
	bool taken = false;

	while (!harness_interrupted()) {
		struct pollfd p = {.fd = lfd, .events = POLLIN};

		reap_handlers(&h, false);
		if (o->once && taken && !h.n)
			break;
		if (poll(&p, o->once && taken ? 0 : 1, 200) > 0 && (p.revents & POLLIN)) {
			take_client(o, &h, lfd, run_dir, tok, toklen);
			taken = taken || h.n > 0;
		}
	}
	stop_handlers(&h);
	return 0;
}

int remote_serve(const struct serve_options *o, char *err, size_t errlen)
{
	static char tok[REMOTE_TOKEN_MAX + 2];
	char run_dir[4096], bound[600];
	struct remote_addr a;
	size_t toklen = 0;
	int lfd, r;

	r = remote_addr_parse(o->listen ? o->listen : "127.0.0.1:7878", &a, err, errlen);
	if (!r && o->token_file)
		r = remote_token_read(o->token_file, tok, sizeof(tok), &toklen, err, errlen);
	if (r)
		return r;
	clock_setup(o->allow_tsc);
	r = rundir_create(run_dir, sizeof(run_dir));
	if (r) {
		snprintf(err, errlen, "cannot create the run directory: %s", strerror(-r));
		return r;
	}
	lfd = listen_on(&a, bound, sizeof(bound), err, errlen);
	if (lfd < 0) {
		rundir_remove(run_dir);
		return lfd;
	}
	if (o->on_listen)
		o->on_listen(bound);
	r = serve_loop(o, lfd, run_dir, o->token_file ? tok : NULL, toklen);
	close(lfd);
	if (a.is_unix)
		unlink(a.path);
	rundir_remove(run_dir);
	memset(tok, 0, sizeof(tok));
	return r;
}
