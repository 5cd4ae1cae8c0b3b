/*
 * dbus.c - D-Bus method calls, Ping(ay) -> ay, on the real libraries.
 *
 * dbus: through a private bus daemon that create() starts for the cell:
 * a config in the run directory (listen on a socket path there, EXTERNAL
 * auth only, a policy that lets this user connect, own DBUS_NAME and call
 * it, max_message_size raised to what the cell sends), then fork+exec
 * `dbus-daemon --nofork --config-file=... --print-address=FD`; the
 * address it prints is the readiness signal.  The daemon dies with the
 * parent (PR_SET_PDEATHSIG), is noted in the ledger (its pid and start
 * time) so `ipcbench clean` can stop a dead run's, and destroy() stops it
 * with SIGTERM and reaps it.  A daemon that dies first is an error with
 * its stderr.  The server owns DBUS_NAME; the client calls it: two hops
 * through the broker per direction.  IPCBENCH_DBUS_DAEMON names another
 * daemon binary (the tests use it to make one fail).
 * dbus_p2p: the same call peer to peer, no daemon: a socket path in the
 * run directory, EXTERNAL auth, no Hello and no names.
 *
 * :lib=sdbus (default, libsystemd's sd-bus) or :lib=libdbus (libdbus-1,
 * the reference implementation).  Bus objects are made in attach(), after
 * the fork: sd-bus refuses use across a fork.  Neither library starts a
 * thread here.
 *
 * Limits (the D-Bus specification): a message is at most 128 MiB and an
 * array at most 64 MiB, so the payload (one ay) is at most 64 MiB; sizes
 * above are skipped, naming the limit.  A byte array arrives whole, so
 * the transport keeps record boundaries (a call of the wrong size is
 * -EPROTO).  Raw transport underneath: unix.
 *
 * dbus by name (--peers exec, serve on one host): the bus address (the
 * daemon's socket path in the run directory of the process that ran
 * create()) is the rendezvous; the client connects to it and waits for
 * DBUS_NAME to have an owner.  The daemon is the child of that process.
 * Under --peers exec that is the server peer, whose death stops the daemon
 * (PR_SET_PDEATHSIG) and whose parent cannot reap it: so a server that
 * made the bus itself waits in detach(), at most timeout_ms, until its
 * client has left the bus (its unique name has no owner), lest the daemon
 * stop before the client has its last reply, then stops and reaps the
 * daemon itself; the adopted state has no daemon to stop, only the files
 * to remove.  A bus on a Unix
 * socket joins processes of one host only (not TRANSPORT_NETWORK).
 *
 * Fan-in (--clients, TRANSPORT_FAN_IN): dbus only, both libraries: N
 * clients call the one service through the daemon, each joining with its
 * index, and the daemon routes each reply to its caller (dbus_impl.h has
 * the protocol).  dbus_p2p has one connection to one client and no bus to
 * route by: no fan-in, skipped with the reason.
 */
#include "transports/dbus_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "transports/chan_util.h"
#include "transports/ledger.h"

static const char *const dbus_lib_names[] = {"sdbus", "libdbus", NULL};

static const struct transport_option dbus_options[] = {
	[DBUS_OPT_LIB] = {.name = "lib",
			  .type = TOPT_ENUM,
			  .def = DBUS_LIB_SDBUS,
			  .values = dbus_lib_names,
			  .help = "the client library: sd-bus (libsystemd) or libdbus (libdbus-1)"},
	{0},
};

static const struct dbus_backend *backend_of(const struct chan *ch)
{
	return chan_opt(ch, DBUS_OPT_LIB) == DBUS_LIB_LIBDBUS ? &dbus_libdbus_backend : &dbus_sd_backend;
}

static const char *dbus_raw_of(const struct chan_opts *o)
{
	return "unix";
}

uint64_t dbus_deadline(const struct chan *ch)
{
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	return ch->timeout_ms > 0 ? now + (uint64_t)ch->timeout_ms * 1000u : UINT64_MAX;
}

uint64_t dbus_left_us(uint64_t deadline)
{
	struct timespec ts;
	uint64_t now;

	if (deadline == UINT64_MAX)
		return UINT64_MAX;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	return now < deadline ? deadline - now : 0;
}

/* The daemon binary: IPCBENCH_DBUS_DAEMON, else dbus-daemon from PATH. */
static const char *daemon_path(void)
{
	const char *p = getenv("IPCBENCH_DBUS_DAEMON");

	return p && p[0] ? p : "dbus-daemon";
}

/* Whether path is executable, or (without a slash) found so in $PATH. */
static bool on_path(const char *path)
{
	const char *dirs = getenv("PATH"), *d, *end;
	char full[4096];

	if (strchr(path, '/'))
		return access(path, X_OK) == 0;
	for (d = dirs ? dirs : "/usr/bin:/bin"; *d; d = *end ? end + 1 : end) {
		end = strchrnul(d, ':');
		if (snprintf(full, sizeof(full), "%.*s/%s", (int)(end - d), d, path) < (int)sizeof(full) &&
		    access(full, X_OK) == 0)
			return true;
	}
	return false;
}

static int probe_common(struct chan *ch, bool p2p)
{
	bool sd = chan_opt(ch, DBUS_OPT_LIB) == DBUS_LIB_SDBUS;

#ifndef HAVE_LIBSYSTEMD
	if (sd)
		return chan_unavailable(ch, ENOSYS, "built without sd-bus: install libsystemd-dev and rebuild");
#endif
#ifndef HAVE_LIBDBUS
	if (!sd)
		return chan_unavailable(ch, ENOSYS, "built without libdbus: install libdbus-1-dev and rebuild");
#endif
	ch->limits.max_msg_bytes = DBUS_SPEC_MAX_ARRAY;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "D-Bus: a message at most 128 MiB, an array (the ay payload) at most 64 MiB; %s, %s",
		 sd ? "sd-bus" : "libdbus", p2p ? "peer to peer" : "through a private dbus-daemon");
	return 0;
}

static int dbus_probe(struct chan *ch)
{
	int r = probe_common(ch, false);
	const char *path = daemon_path();

	if (r)
		return r;
	if (!on_path(path))
		return chan_unavailable(ch, ENOENT, "%s not found: install the dbus-daemon package", path);
	return 0;
}

static int dbus_p2p_probe(struct chan *ch)
{
	return probe_common(ch, true);
}

/* ---- the private daemon ---- */

static int write_config(struct chan *ch, struct dbus_priv *p)
{
	size_t msg = ch->msg_bytes + 65536; /* the payload, its header and the array's length */
	int fd = open(p->conf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	FILE *f;

	if (fd < 0)
		return chan_fail(ch, errno, "create %s", p->conf);
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return chan_fail(ch, errno, "fdopen %s", p->conf);
	}
	fprintf(f,
		"<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n"
		" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
		"<busconfig>\n  <listen>unix:path=%s</listen>\n  <auth>EXTERNAL</auth>\n"
		"  <policy context=\"default\">\n    <allow user=\"%u\"/>\n    <allow own=\"%s\"/>\n"
		"    <allow send_destination=\"*\"/>\n    <allow receive_type=\"*\"/>\n  </policy>\n"
		"  <limit name=\"max_message_size\">%zu</limit>\n"
		"  <limit name=\"max_incoming_bytes\">%zu</limit>\n"
		"  <limit name=\"max_outgoing_bytes\">%zu</limit>\n"
		"  <limit name=\"max_replies_per_connection\">10000000</limit>\n"
		"  <limit name=\"reply_timeout\">3600000</limit>\n</busconfig>\n",
		p->sock, (unsigned)getuid(), DBUS_NAME, msg, 4 * msg, 4 * msg);
	if (fclose(f))
		return chan_fail(ch, errno, "write %s", p->conf);
	return 0;
}

/* The first line of the daemon's stderr, for an error message. */
static void read_errlog(const struct dbus_priv *p, char *out, size_t outlen)
{
	int fd = open(p->errlog, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n = fd >= 0 ? read(fd, out, outlen - 1) : -1;
	char *nl;

	if (fd >= 0)
		close(fd);
	out[n > 0 ? n : 0] = 0;
	nl = strchr(out, '\n');
	if (nl)
		*nl = 0;
	if (!out[0])
		snprintf(out, outlen, "(nothing on stderr)");
}

/* This process's start time (field 22 of /proc/self/stat), in clock ticks since boot. */
static long long self_start_time(void)
{
	char buf[1024], *p;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	long long v = -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strrchr(buf, ')');
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		v = strtoll(p + 1, NULL, 10);
	return v;
}

/* In the forked child: note itself in the ledger, then become the daemon.  Never returns. */
static void daemon_child(struct chan *ch, const struct dbus_priv *p, int errfd, int addrfd, pid_t parent)
{
	char conf_arg[600], addr_arg[32], ledger[4096];
	const char *path = daemon_path();
	sigset_t none;
	int nul;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(126);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nul >= 0)
		dup2(nul, 0);
	dup2(errfd, 1);
	dup2(errfd, 2);
	if (!chan_ledger_path(ch, ledger, sizeof(ledger))) {
		struct ledger_entry e = {.kind = LEDGER_PROCESS, .state = LEDGER_MADE};

		e.id = (int)getpid();
		e.ctime = self_start_time();
		snprintf(e.name, sizeof(e.name), "dbus-daemon");
		if (e.ctime < 0 || ledger_append(ledger, &e))
			_exit(125);
	}
	fcntl(addrfd, F_SETFD, 0);
	snprintf(conf_arg, sizeof(conf_arg), "--config-file=%s", p->conf);
	snprintf(addr_arg, sizeof(addr_arg), "--print-address=%d", addrfd);
	execlp(path, path, "--nofork", "--nopidfile", conf_arg, addr_arg, (char *)NULL);
	dprintf(2, "cannot run %s: %s\n", path, strerror(errno));
	_exit(127);
}

/* Why the daemon is gone: its exit status and the first line of its stderr. */
static int daemon_died(struct chan *ch, struct dbus_priv *p, const char *when)
{
	char err[200];
	int st = 0;

	if (waitpid(p->daemon, &st, 0) == p->daemon)
		p->daemon = 0;
	read_errlog(p, err, sizeof(err));
	if (WIFEXITED(st))
		return chan_fail(ch, ECHILD, "%s %s: exited with status %d: %s", daemon_path(), when, WEXITSTATUS(st),
				 err);
	return chan_fail(ch, ECHILD, "%s %s: killed by signal %d: %s", daemon_path(), when,
			 WIFSIGNALED(st) ? WTERMSIG(st) : 0, err);
}

/* Reads the address the daemon prints (one line) within the timeout: its readiness. */
static int read_address(struct chan *ch, struct dbus_priv *p, int fd)
{
	size_t n = 0;
	int wait_ms = ch->timeout_ms > 0 ? ch->timeout_ms : 10000;
	uint64_t deadline = dbus_deadline(&(struct chan){.timeout_ms = wait_ms});

	while (n < sizeof(p->addr) - 1) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int r = poll(&pfd, 1, (int)(dbus_left_us(deadline) / 1000u));
		ssize_t got;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return chan_fail(ch, r ? errno : ETIMEDOUT, "%s: no address within %d ms", daemon_path(),
					 wait_ms);
		got = read(fd, p->addr + n, sizeof(p->addr) - 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return daemon_died(ch, p, "before it printed its address");
		n += (size_t)got;
		p->addr[n] = 0;
		if (strchr(p->addr, '\n')) {
			*strchr(p->addr, '\n') = 0;
			return 0;
		}
	}
	return chan_fail(ch, E2BIG, "%s: address longer than %zu bytes", daemon_path(), sizeof(p->addr) - 1);
}

static int start_daemon(struct chan *ch, struct dbus_priv *p)
{
	int pfd[2], errfd, r;
	pid_t parent = getpid();

	if (write_config(ch, p))
		return -ch->err;
	errfd = open(p->errlog, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (errfd < 0)
		return chan_fail(ch, errno, "create %s", p->errlog);
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		close(errfd);
		return chan_fail(ch, errno, "pipe2");
	}
	p->daemon = fork();
	if (p->daemon == 0)
		daemon_child(ch, p, errfd, pfd[1], parent);
	close(errfd);
	close(pfd[1]);
	if (p->daemon < 0) {
		p->daemon = 0;
		close(pfd[0]);
		return chan_fail(ch, errno, "fork");
	}
	r = read_address(ch, p, pfd[0]);
	close(pfd[0]);
	return r;
}

static void stop_daemon(struct dbus_priv *p)
{
	int st;

	if (p->daemon <= 0)
		return;
	kill(p->daemon, SIGTERM);
	for (int i = 0; i < 200; i++) {
		if (waitpid(p->daemon, &st, WNOHANG) != 0)
			goto reaped;
		usleep(10000);
	}
	kill(p->daemon, SIGKILL);
	waitpid(p->daemon, &st, 0);
reaped:
	p->daemon = 0;
}

static int paths(struct chan *ch, struct dbus_priv *p, const char *sock)
{
	if (chan_path(ch, sock, p->sock, sizeof(p->sock)))
		return chan_fail(ch, ENAMETOOLONG, "socket path in %s (at most %zu bytes)", ch->run_dir,
				 sizeof(p->sock) - 1);
	if (chan_path(ch, "bus.conf", p->conf, sizeof(p->conf)) ||
	    chan_path(ch, "bus.err", p->errlog, sizeof(p->errlog)))
		return chan_fail(ch, ENAMETOOLONG, "config path in %s", ch->run_dir);
	p->made = true;
	return 0;
}

static int dbus_create(struct chan *ch)
{
	struct dbus_priv *p = ch->priv;

	p->listen_fd = -1;
	p->creator = getpid();
	if (paths(ch, p, "bus.sock"))
		return -ch->err;
	return start_daemon(ch, p);
}

/* ---- peer to peer ---- */

static int dbus_p2p_create(struct chan *ch)
{
	struct dbus_priv *p = ch->priv;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	mode_t old;
	int r;

	p->p2p = true;
	p->listen_fd = -1;
	if (paths(ch, p, "p2p.sock"))
		return -ch->err;
	snprintf(p->addr, sizeof(p->addr), "unix:path=%s", p->sock);
	if (chan_opt(ch, DBUS_OPT_LIB) == DBUS_LIB_LIBDBUS)
		return 0; /* libdbus's DBusServer listens itself, in the server's attach() */
	p->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (p->listen_fd < 0)
		return chan_fail(ch, errno, "socket AF_UNIX");
	memcpy(sa.sun_path, p->sock, sizeof(sa.sun_path));
	old = umask(0077);
	r = bind(p->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0)
		return chan_fail(ch, errno, "bind %s", p->sock);
	if (listen(p->listen_fd, 1) < 0)
		return chan_fail(ch, errno, "listen %s", p->sock);
	return 0;
}

int dbus_p2p_accept(struct chan *ch)
{
	struct dbus_priv *p = ch->priv;
	struct pollfd pfd = {.fd = p->listen_fd, .events = POLLIN};
	int r, fd;

	do
		r = poll(&pfd, 1, ch->timeout_ms > 0 ? ch->timeout_ms : -1);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return chan_fail(ch, r ? errno : ETIMEDOUT, "accept %s: no client", p->sock);
	fd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return chan_fail(ch, errno, "accept %s", p->sock);
	close(p->listen_fd);
	p->listen_fd = -1;
	return fd;
}

/* ---- fan-in: the server's table of clients (dbus_impl.h) ---- */

int dbus_fan_open(struct chan *ch)
{
	struct dbus_priv *p = ch->priv;

	p->fan = calloc(ch->nclients, sizeof(*p->fan));
	return p->fan ? 0 : chan_fail(ch, ENOMEM, "the table of %u clients", ch->nclients);
}

int dbus_fan_join(struct chan *ch, const char *sender, uint32_t index)
{
	struct dbus_priv *p = ch->priv;

	if (!sender || strlen(sender) >= sizeof(p->fan->name))
		return chan_fail(ch, EPROTO, "%s from a sender without a unique name", DBUS_JOIN);
	if (index >= ch->nclients)
		return chan_fail(ch, EPROTO, "%s as client %u of %u (%s)", DBUS_JOIN, index, ch->nclients, sender);
	if (p->fan[index].name[0])
		return chan_fail(ch, EPROTO, "%s as client %u by %s: %s has that index", DBUS_JOIN, index, sender,
				 p->fan[index].name);
	snprintf(p->fan[index].name, sizeof(p->fan[index].name), "%s", sender);
	return 0;
}

/* A scan: at 256 clients a few hundred short compares, against a round trip of tens of microseconds. */
int dbus_fan_find(const struct chan *ch, const char *sender)
{
	const struct dbus_priv *p = ch->priv;

	for (unsigned int i = 0; sender && i < ch->nclients; i++)
		if (!strcmp(p->fan[i].name, sender))
			return (int)i;
	return -1;
}

void dbus_fan_left(struct chan *ch, const char *name)
{
	struct dbus_priv *p = ch->priv;
	int i = name && name[0] ? dbus_fan_find(ch, name) : -1;

	if (i >= 0)
		p->fan[i].gone = true;
}

bool dbus_fan_gone(struct chan *ch, unsigned int *client)
{
	struct dbus_priv *p = ch->priv;

	for (unsigned int i = 0; i < ch->nclients; i++)
		if (p->fan[i].gone && !p->fan[i].told) {
			p->fan[i].told = true;
			*client = i;
			return true;
		}
	return false;
}

void dbus_fan_close(struct chan *ch, void (*unref)(void *msg))
{
	struct dbus_priv *p = ch->priv;

	for (unsigned int i = 0; p->fan && i < ch->nclients; i++)
		if (p->fan[i].held)
			unref(p->fan[i].held);
	free(p->fan);
	p->fan = NULL;
}

/* ---- the hooks both tables share ---- */

static int dbus_attach(struct chan *ch, enum chan_role role)
{
	struct dbus_priv *p = ch->priv;

	if (role == CHAN_CLIENT && p->listen_fd >= 0) {
		close(p->listen_fd);
		p->listen_fd = -1;
	}
	return backend_of(ch)->attach(ch, role);
}

static int dbus_send(struct chan *ch, const void *buf, size_t len)
{
	return backend_of(ch)->send(ch, buf, len);
}

static int dbus_recv(struct chan *ch, void *buf, size_t len)
{
	return backend_of(ch)->recv(ch, buf, len);
}

static int dbus_recv_any(struct chan *ch, void *buf, size_t len, unsigned int *client)
{
	return backend_of(ch)->recv_any(ch, buf, len, client);
}

static int dbus_send_to(struct chan *ch, unsigned int client, const void *buf, size_t len)
{
	return backend_of(ch)->send_to(ch, client, buf, len);
}

static void dbus_detach(struct chan *ch)
{
	struct dbus_priv *p = ch->priv;

	bool made_bus = ch->role == CHAN_SERVER && !p->p2p && p->creator == getpid();

	/*
	 * Its exit stops the daemon: not before the client is done.  A fan-in
	 * server also waits for its clients to leave: with sd-bus, a server
	 * that closed right after its last replies (to several clients at
	 * once) now and then had one of them answered by the daemon with
	 * NoReply ("recipient disconnected without replying") although
	 * sd_bus_flush() had written it (about 1 cell in 10 of 8 clients on
	 * one CPU); a client leaves only after its last reply.  Not after an
	 * error: the cell has failed, and its clients wait for replies that
	 * will not come.
	 */
	if (made_bus || (ch->role == CHAN_SERVER && p->fan && !ch->err))
		backend_of(ch)->wait_gone(ch);
	backend_of(ch)->detach(ch);
	if (made_bus)
		stop_daemon(p); /* and reaps it: an orphan would wait for an init that may never reap it */
}

static void dbus_destroy(struct chan *ch)
{
	struct dbus_priv *p = ch->priv;

	stop_daemon(p);
	if (p->made && p->listen_fd >= 0)
		close(p->listen_fd);
	p->listen_fd = -1;
	if (!p->made)
		return;
	unlink(p->sock);
	unlink(p->conf);
	unlink(p->errlog);
	p->made = false;
}

/*
 * By name (--peers exec): the server peer runs create() and the client
 * connects to the socket path alone.  dbus_p2p: the listening socket is
 * the creator's (sd-bus; libdbus listens in the server's attach() and its
 * client retries until the path exists).  dbus: the daemon is the
 * creator's child, which no other process stops (see the top).  Nothing
 * else of the creator's process is in priv after create().
 */
static void dbus_p2p_adopt(struct chan *ch)
{
	struct dbus_priv *p = ch->priv;

	p->listen_fd = -1;
	p->daemon = 0;
	p->conn = p->held = NULL;
	p->rbuf = NULL;
	p->peer[0] = 0;
	p->fan = NULL;
}

const struct transport_ops dbus_ops = {
	.name = "dbus",
	.summary = "D-Bus method calls Ping(ay) through a private dbus-daemon (sd-bus; lib=libdbus)",
	.kind = CHAN_MESSAGE,
	.flags = TRANSPORT_BY_NAME | TRANSPORT_FAN_IN,
	.priv_size = sizeof(struct dbus_priv),
	.options = dbus_options,
	.raw_of = dbus_raw_of,
	.probe = dbus_probe,
	.create = dbus_create,
	.adopt = dbus_p2p_adopt,
	.attach = dbus_attach,
	.send = dbus_send,
	.recv = dbus_recv,
	.recv_any = dbus_recv_any,
	.send_to = dbus_send_to,
	.detach = dbus_detach,
	.destroy = dbus_destroy,
};

/* No fan-in: a peer-to-peer server has one connection, to one client, and no bus to route replies. */
const struct transport_ops dbus_p2p_ops = {
	.name = "dbus_p2p",
	.summary = "D-Bus method calls Ping(ay) peer to peer over a Unix socket, no daemon (sd-bus; lib=libdbus)",
	.kind = CHAN_MESSAGE,
	.flags = TRANSPORT_BY_NAME,
	.priv_size = sizeof(struct dbus_priv),
	.options = dbus_options,
	.raw_of = dbus_raw_of,
	.probe = dbus_p2p_probe,
	.create = dbus_p2p_create,
	.adopt = dbus_p2p_adopt,
	.attach = dbus_attach,
	.send = dbus_send,
	.recv = dbus_recv,
	.detach = dbus_detach,
	.destroy = dbus_destroy,
};
