/*
 * peer_spawn.c - the parent's side of --peers exec: starts the server and
 * the client as fresh processes (posix_spawn of ipcbench's own binary,
 * `ipcbench peer`), each inheriting stdio and one control socket (fd 3)
 * and nothing else, and hands each its cell's parameters through it.
 *
 * The server peer runs create() itself and answers with the rendezvous
 * (its priv: the names, keys and ports of the channel); the client peer
 * gets that, adopts it (transport.h: adopt) and attaches by name.  Both
 * map the cell's control page by its name in the run directory; the
 * parent watches them there exactly as it watches forked children, and
 * removes the channel by name after both are reaped.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness/clock.h"
#include "harness/peerwire.h"
#include "harness/side.h"

extern char **environ;

const char *harness_peer_program; /* ipcbench's main() sets /proc/self/exe */

/* The binary to exec: the program's own, else $IPCBENCH (the test binaries are not ipcbench). */
static const char *peer_program(void)
{
	const char *env = getenv("IPCBENCH");

	return harness_peer_program ? harness_peer_program : env && env[0] == '/' ? env : NULL;
}

/* How long a peer may take to start and answer (exec, create) when the cell has no watchdog. */
#define PEER_START_MS 30000

static int spawn_attrs(posix_spawn_file_actions_t *fa, posix_spawnattr_t *at, int cfd)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD};
	sigset_t none, dfl;
	int r;

	sigemptyset(&none);
	sigemptyset(&dfl);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&dfl, sigs[i]);
	r = posix_spawn_file_actions_init(fa);
	if (r)
		return r;
	r = posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
	if (!r)
		r = posix_spawn_file_actions_adddup2(fa, cfd, 3);
	if (!r)
		r = posix_spawn_file_actions_addclosefrom_np(fa, 4);
	if (!r)
		r = posix_spawnattr_init(at);
	if (!r)
		r = posix_spawnattr_setsigmask(at, &none);
	if (!r)
		r = posix_spawnattr_setsigdefault(at, &dfl);
	if (!r)
		r = posix_spawnattr_setflags(at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	return r;
}

/* One peer with its control socket in *sock (the parent's end); 0 or -errno with why. */
static int spawn_one(pid_t *pid, int *sock, char *why, size_t whylen)
{
	char *argv[] = {"ipcbench", "peer", NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int sv[2], cfd, r;

	if (!peer_program()) {
		snprintf(why, whylen, "no ipcbench binary to start a peer from (set IPCBENCH to its absolute path)");
		return -ENOENT;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(why, whylen, "socketpair for a peer: %s", strerror(errno));
		return -errno;
	}
	cfd = fcntl(sv[1], F_DUPFD_CLOEXEC, 10); /* never 3 itself: dup2 onto 3 must clear CLOEXEC */
	close(sv[1]);
	if (cfd < 0) {
		r = errno;
		close(sv[0]);
		snprintf(why, whylen, "fcntl F_DUPFD: %s", strerror(r));
		return -r;
	}
	r = spawn_attrs(&fa, &at, cfd);
	if (!r)
		r = posix_spawn(pid, peer_program(), &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(cfd);
	if (r) {
		close(sv[0]);
		*pid = 0;
		snprintf(why, whylen, "posix_spawn %s peer: %s", peer_program(), strerror(r));
		return -r;
	}
	*sock = sv[0];
	return 0;
}

static int send_params(int sock, const struct peer_params *p, char *why, size_t whylen)
{
	char *text;
	size_t len;
	int r = peerwire_encode(p, &text, &len);

	if (r) {
		snprintf(why, whylen, "encoding the cell's parameters: %s", strerror(-r));
		return r;
	}
	r = peerwire_write(sock, text, len);
	free(text);
	if (r)
		snprintf(why, whylen, "sending the cell's parameters to the %s peer: %s",
			 p->role == CHAN_CLIENT ? "client" : "server", strerror(-r));
	return r;
}

/* The server's answer after create(): the rendezvous copied into ch->priv and adopted. */
static int take_rendezvous(int sock, int timeout_ms, struct chan *ch, char *why, size_t whylen)
{
	size_t n = ch->ops->priv_size;
	uint8_t *priv = NULL;
	char *text, msg[300];
	int r = peerwire_read(sock, timeout_ms, &text);

	if (r) {
		snprintf(why, whylen, "the server peer gave no rendezvous: %s",
			 r == -EPIPE ? "it exited before creating the channel" : strerror(-r));
		return r;
	}
	r = peerwire_decode_reply(text, n, &priv, msg, sizeof(msg));
	free(text);
	if (r) {
		snprintf(why, whylen, "create (server peer): %s", msg);
		return r;
	}
	memcpy(ch->priv, priv, n);
	free(priv);
	if (ch->ops->adopt)
		ch->ops->adopt(ch);
	return 0;
}

static void params_from(struct peer_params *p, const struct cell_config *cfg, const struct chan *ch,
			const char *ctl_path, size_t ctl_bytes)
{
	*p = (struct peer_params){.cfg = *cfg, .role = CHAN_SERVER, .ctl_bytes = ctl_bytes, .parent = getpid()};
	p->limits = ch->limits;
	p->clock_tsc = clock_info.tsc;
	p->clock_mult = clock_info.mult;
	p->clock_shift = clock_info.shift;
	snprintf(p->run_dir, sizeof(p->run_dir), "%s", cfg->run_dir);
	snprintf(p->tag, sizeof(p->tag), "%s", ch->tag);
	snprintf(p->ctl_path, sizeof(p->ctl_path), "%s", ctl_path);
}

int peer_spawn_pair(const struct cell_config *cfg, struct chan *ch, const char *ctl_path, size_t ctl_bytes,
		    pid_t pid[2], char *why, size_t whylen)
{
	int timeout = cfg->timeout_ms > 0 ? cfg->timeout_ms : PEER_START_MS;
	int sock[2] = {-1, -1}, r;
	struct peer_params p;

	ch->ops = cfg->ops;
	ch->priv = calloc(1, cfg->ops->priv_size ? cfg->ops->priv_size : 1);
	if (!ch->priv) {
		snprintf(why, whylen, "%zu bytes of channel state", cfg->ops->priv_size);
		return -ENOMEM;
	}
	params_from(&p, cfg, ch, ctl_path, ctl_bytes);
	r = spawn_one(&pid[CHAN_SERVER], &sock[CHAN_SERVER], why, whylen);
	if (!r)
		r = send_params(sock[CHAN_SERVER], &p, why, whylen);
	if (!r)
		r = take_rendezvous(sock[CHAN_SERVER], timeout, ch, why, whylen);
	if (!r) {
		p.role = CHAN_CLIENT;
		p.priv = ch->priv; /* adopted: what the client adopts again is only names */
		p.priv_len = cfg->ops->priv_size;
		r = spawn_one(&pid[CHAN_CLIENT], &sock[CHAN_CLIENT], why, whylen);
	}
	if (!r)
		r = send_params(sock[CHAN_CLIENT], &p, why, whylen);
	for (int i = 0; i < 2; i++)
		if (sock[i] >= 0)
			close(sock[i]);
	return r;
}

/* ipcbench's own binary as a path a shell can run ("/proc/self/exe" would be the shell's). */
static int program_path(char *out, size_t outlen)
{
	const char *prog = peer_program();
	ssize_t n;

	if (!prog)
		return -ENOENT;
	if (strcmp(prog, "/proc/self/exe")) {
		if ((size_t)snprintf(out, outlen, "%s", prog) >= outlen)
			return -ENAMETOOLONG;
		return 0;
	}
	n = readlink("/proc/self/exe", out, outlen - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= outlen - 1)
		return -ENAMETOOLONG;
	out[n] = 0;
	return 0;
}

int peer_server_cmd(const struct cell_config *cfg, const struct chan *ch, const char *ctl_path, size_t ctl_bytes,
		    const char *params_path, char *cmd, size_t cmdlen, char *why, size_t whylen)
{
	struct peer_params p;
	char exe[4096], *text;
	size_t len;
	int fd, r = program_path(exe, sizeof(exe));

	if (r || strchr(exe, '\'') || strchr(params_path, '\'')) {
		snprintf(why, whylen, "no path to ipcbench's binary that a shell can quote (set IPCBENCH)");
		return r ? r : -EINVAL;
	}
	params_from(&p, cfg, ch, ctl_path, ctl_bytes);
	p.parent = 0; /* its parent is the client (through sh -c exec), not known yet */
	r = peerwire_encode(&p, &text, &len);
	if (r) {
		snprintf(why, whylen, "encoding the server's parameters: %s", strerror(-r));
		return r;
	}
	fd = open(params_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	r = fd < 0 ? -errno : peerwire_write(fd, text, len);
	if (fd >= 0)
		close(fd);
	free(text);
	if (r) {
		snprintf(why, whylen, "writing %s: %s", params_path, strerror(-r));
		return r;
	}
	if ((size_t)snprintf(cmd, cmdlen, "exec '%s' peer --params '%s'", exe, params_path) >= cmdlen) {
		snprintf(why, whylen, "the server's command line is too long");
		return -ENAMETOOLONG;
	}
	return 0;
}
