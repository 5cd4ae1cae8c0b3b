/*
 * test_options.c - transport options really reach the kernel objects:
 * a channel opened with an option is inspected with the kernel's own
 * getter, on both sides where the option is per side.
 *
 *  pipe_bufsize     F_GETPIPE_SZ on both pipes after create() is the size
 *                   asked for (rounded up to pages), and probe records it
 *  fifo_bufsize     the same on each side's FIFO after attach()
 *  tcp_nodelay      getsockopt(TCP_NODELAY) on both connected ends is 0 with
 *                   nodelay=0 and 1 by default
 *  tcp_buffers      getsockopt(SO_SNDBUF/SO_RCVBUF) on both ends is twice the
 *                   asked size, as probe records it
 *  posix_mq_depth   mq_getattr on the channel's queues (after chan_open and in
 *                   an attached child) says the depth asked, as probe records
 *                   it; a depth above fs.mqueue.msg_max is a skip naming it
 *  posix_mq_prio    a message an attached client sends arrives with prio
 *  sysv_mq_depth    IPC_STAT on both queues the ledger lists says msg_qbytes
 *                   is the depth asked, as probe records it, and fragments
 *                   shrink to it; above kernel.msgmnb without CAP_SYS_RESOURCE
 *                   is a skip naming both
 *  shm_spin_budget  the ring's spin budget after chan_open and in an attached
 *                   child is spin_us microseconds, as probe records it
 *  socket_buffers   the same on both attached ends of socketpair,
 *                   socketpair_seqpacket, unix, unix_dgram and udp, with
 *                   probe recording it; a small sndbuf lowers the largest
 *                   record of the AF_UNIX record sockets
 *  skeleton_option  skeleton.c's bufsize: its table checks, probe records the
 *                   rounded size, F_GETPIPE_SZ after chan_open and in an
 *                   attached child says it, and a whole cell runs with it
 *  lockfile_calls   every lock call moves verified messages through a cell
 *  options_cells    pipe, fifo, tcp and lockfile with non-default options run
 *                   whole cells (pingpong and stream) with verified payloads
 *  vmsplice_recv    recv= refuses a mode it does not know (naming the keys);
 *                   each mode's cell records it in the cell's options and in
 *                   the variant's name
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/topt_spec.h"
#include "harness/clock.h"
#include "harness/harness.h"
#include "tests/runner.h"
#include "transports/chan_util.h"
#include "transports/fdio.h"
#include "transports/ledger.h"
#include "transports/ring.h"

static char run_dir[4096];
static char err[600];

static struct topt_variant variant(const char *spec)
{
	struct topt_variant *v, one;
	size_t n;

	if (topt_spec_parse(spec, &v, &n, err, sizeof(err)) || n != 1)
		test_fail(__FILE__, __LINE__, "parse %s: %s", spec, err);
	one = v[0];
	free(v);
	return one;
}

static void open_chan(struct chan *ch, const char *spec, size_t msg)
{
	struct topt_variant v = variant(spec);

	if (rundir_create(run_dir, sizeof(run_dir)))
		test_fail(__FILE__, __LINE__, "cannot create a run directory");
	*ch = (struct chan){.ops = v.ops,
			    .opts = v.opts,
			    .msg_bytes = msg,
			    .run_dir = run_dir,
			    .tag = "ipcbench-opt-test",
			    .timeout_ms = 5000};
	CHECK_MSG(chan_probe(ch, v.ops) == 0, "probe %s: %s", spec, ch->errmsg);
	CHECK_MSG(chan_open(ch, v.ops) == 0, "open %s: %s", spec, ch->errmsg);
}

static void close_chan(struct chan *ch)
{
	chan_close(ch);
	rundir_remove(run_dir);
}

/* An unpinned cell of a transport variant, as the option tests run them. */
static struct cell_config unpinned_cell(const struct transport_ops *ops, const struct chan_opts *opts, enum pattern p,
					size_t msg_bytes, uint64_t warmup, uint64_t iterations)
{
	return (struct cell_config){.ops = ops,
				    .opts = *opts,
				    .pattern = p,
				    .msg_bytes = msg_bytes,
				    .client_cpu = -1,
				    .server_cpu = -1,
				    .relation = REL_UNPINNED,
				    .warmup = warmup,
				    .iterations = iterations,
				    .timeout_ms = 10000,
				    .run_dir = run_dir};
}

TEST(pipe_bufsize)
{
	struct chan ch;
	struct fd_chan *fc;

	open_chan(&ch, "pipe:bufsize=1M", 64);
	fc = ch.priv;
	CHECK_EQ_I64(fcntl(fc->fd[1], F_GETPIPE_SZ), 1 << 20);
	CHECK_EQ_I64(fcntl(fc->fd[3], F_GETPIPE_SZ), 1 << 20);
	CHECK_EQ_I64(ch.limits.opt[0], 1 << 20);
	close_chan(&ch);
	/* 100000 is not a power-of-two number of pages: the kernel gives 128 KiB, and that is recorded */
	open_chan(&ch, "pipe:bufsize=100000", 64);
	fc = ch.priv;
	CHECK_EQ_I64(fcntl(fc->fd[1], F_GETPIPE_SZ), 131072);
	CHECK_EQ_I64(ch.limits.opt[0], 131072);
	close_chan(&ch);
}

/* In a child: attach as role and exit with what get(fd) reads (0..255). */
static pid_t side(struct chan *ch, enum chan_role role, int (*get)(const struct chan *, int))
{
	pid_t pid = fork();

	if (pid == 0) {
		struct fd_chan *fc = ch->priv;

		if (chan_attach(ch, role))
			_exit(255);
		_exit(get(ch, role == CHAN_CLIENT ? fc->io.wfd : fc->io.rfd));
	}
	return pid;
}

static int exit_of(pid_t pid)
{
	int st = 0;

	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Pages of the FIFO this side writes: 4096-byte units fit an exit status. */
static int pipe_pages(const struct chan *ch, int fd)
{
	const struct fd_chan *fc = ch->priv;

	(void)fd;
	return fcntl(fc->io.wfd, F_GETPIPE_SZ) / 4096;
}

TEST(fifo_bufsize)
{
	struct chan ch;
	pid_t s, c;

	open_chan(&ch, "fifo:bufsize=256k", 64);
	s = side(&ch, CHAN_SERVER, pipe_pages);
	c = side(&ch, CHAN_CLIENT, pipe_pages);
	CHECK_EQ_I64(exit_of(c), 64);
	CHECK_EQ_I64(exit_of(s), 64);
	close_chan(&ch);
}

static int nodelay_of(const struct chan *ch, int fd)
{
	int v = -1;
	socklen_t len = sizeof(v);

	(void)ch;
	return getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len) < 0 ? 254 : v != 0;
}

/* SO_SNDBUF / 1024 and SO_RCVBUF / 1024 must both be 2 * 64: the exit status says 1 when they are. */
static int bufs_doubled(const struct chan *ch, int fd)
{
	int snd = 0, rcv = 0;
	socklen_t len = sizeof(int);

	(void)ch;
	getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, &len);
	len = sizeof(int);
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, &len);
	return snd == 2 * 65536 && rcv == 2 * 65536;
}

static void both_ends(const char *spec, int (*get)(const struct chan *, int), int want)
{
	struct chan ch;
	pid_t s, c;

	test_context("%s", spec);
	open_chan(&ch, spec, 64);
	s = side(&ch, CHAN_SERVER, get);
	c = side(&ch, CHAN_CLIENT, get);
	CHECK_EQ_I64(exit_of(c), want);
	CHECK_EQ_I64(exit_of(s), want);
	close_chan(&ch);
}

TEST(tcp_nodelay)
{
	both_ends("tcp:nodelay=0", nodelay_of, 0);
	both_ends("tcp", nodelay_of, 1);
}

TEST(tcp_buffers)
{
	struct topt_variant v = variant("tcp:sndbuf=64k:rcvbuf=64k");
	struct chan ch = {.ops = v.ops, .opts = v.opts};

	both_ends("tcp:sndbuf=64k:rcvbuf=64k", bufs_doubled, 1);
	CHECK_OK(chan_probe(&ch, v.ops));
	CHECK_EQ_I64(ch.limits.opt[transport_option_find(v.ops, "sndbuf")], 2 * 65536);
	CHECK_EQ_I64(ch.limits.opt[transport_option_find(v.ops, "rcvbuf")], 2 * 65536);
}

/* The POSIX queue descriptors this process holds (a mqd_t is an fd on Linux): how many, into q. */
static int mq_fds(mqd_t *q, int max, long *depth)
{
	int n = 0;

	for (int fd = 3; fd < 1024 && n < max; fd++) {
		struct mq_attr a;

		if (mq_getattr((mqd_t)fd, &a) == 0) {
			q[n++] = (mqd_t)fd;
			*depth = a.mq_maxmsg;
		}
	}
	return n;
}

/* In a child, attached as a client: 1 when both queues it holds are depth deep. */
static int mq_depth_in_child(const struct chan *ch, long want)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct chan c = *ch;
		mqd_t q[4];
		long d = 0;
		int ok = chan_attach(&c, CHAN_CLIENT) == 0 && mq_fds(q, 4, &d) == 2 && d == want;

		chan_detach(&c);
		_exit(ok);
	}
	return exit_of(pid);
}

TEST(posix_mq_depth)
{
	struct topt_variant v = variant("posix_mq:depth=3");
	struct chan ch = {.ops = v.ops, .opts = v.opts};
	long long msg_max = 0;
	mqd_t q[4];
	long d = 0;

	CHECK_OK(chan_read_sysctl("/proc/sys/fs/mqueue/msg_max", &msg_max));
	if (msg_max < 3)
		test_skip("fs.mqueue.msg_max is %lld, below 3", msg_max);
	open_chan(&ch, "posix_mq:depth=3", 64);
	CHECK_EQ_I64(ch.limits.opt[transport_option_find(ch.ops, "depth")], 3);
	CHECK_EQ_I64(mq_fds(q, 4, &d), 2);
	CHECK_EQ_I64(d, 3);
	CHECK_EQ_I64(mq_depth_in_child(&ch, 3), 1);
	close_chan(&ch);
	/* the host default is msg_max, recorded as such */
	open_chan(&ch, "posix_mq", 64);
	CHECK_EQ_I64(ch.limits.opt[transport_option_find(ch.ops, "depth")], msg_max);
	close_chan(&ch);
	/* above the sysctl: a skip that names it, nothing created */
	if (msg_max < 65536) {
		char spec[64];

		snprintf(spec, sizeof(spec), "posix_mq:depth=%lld", msg_max + 1);
		v = variant(spec);
		ch = (struct chan){.ops = v.ops, .opts = v.opts};
		CHECK(chan_probe(&ch, v.ops) < 0);
		CHECK(ch.unavailable);
		CHECK_MSG(strstr(ch.errmsg, "/proc/sys/fs/mqueue/msg_max") != NULL, "%s", ch.errmsg);
	}
}

TEST(posix_mq_prio)
{
	struct chan ch;
	char buf[64] = "hello";
	unsigned int prio = 0;
	mqd_t q[4];
	long d = 0;
	pid_t pid;

	open_chan(&ch, "posix_mq:prio=7", 64);
	CHECK_EQ_I64(ch.limits.opt[transport_option_find(ch.ops, "prio")], 7);
	pid = fork();
	if (pid == 0) {
		int ok = chan_attach(&ch, CHAN_CLIENT) == 0 && chan_send(&ch, buf, sizeof(buf)) == 0;

		_exit(ok);
	}
	CHECK_EQ_I64(exit_of(pid), 1);
	CHECK_EQ_I64(mq_fds(q, 4, &d), 2);
	/* the client sends on the first queue created (c2s); the other is empty */
	CHECK_EQ_I64(mq_receive(q[0], buf, sizeof(buf), &prio), 64);
	CHECK_EQ_I64(prio, 7);
	close_chan(&ch);
}

/* msg_qbytes of every SysV queue the channel's ledger lists as made: how many had want. */
static int sysv_depths(const struct chan *ch, long long want, int *queues)
{
	static struct ledger l;
	char path[4200];
	int ok = 0;

	*queues = 0;
	if (chan_ledger_path(ch, path, sizeof(path)) || ledger_read(path, &l))
		return -1;
	for (size_t i = 0; i < l.n; i++) {
		struct msqid_ds ds;

		if (l.e[i].kind != LEDGER_SYSV_MSG || l.e[i].state != LEDGER_MADE)
			continue;
		(*queues)++;
		if (msgctl(l.e[i].id, IPC_STAT, &ds) == 0 && (long long)ds.msg_qbytes == want)
			ok++;
	}
	return ok;
}

TEST(sysv_mq_depth)
{
	struct topt_variant v;
	struct chan ch;
	long long msgmnb = 0;
	char spec[64];
	int queues;

	CHECK_OK(chan_read_sysctl("/proc/sys/kernel/msgmnb", &msgmnb));
	open_chan(&ch, "sysv_mq:depth=4k", 64 << 10);
	CHECK_EQ_I64(ch.limits.opt[0], 4096);
	CHECK_EQ_I64(ch.limits.unit_bytes, 4096);
	CHECK_EQ_I64(sysv_depths(&ch, 4096, &queues), 2);
	CHECK_EQ_I64(queues, 2);
	close_chan(&ch);
	open_chan(&ch, "sysv_mq", 64);
	CHECK_EQ_I64(ch.limits.opt[0], msgmnb);
	CHECK_EQ_I64(sysv_depths(&ch, msgmnb, &queues), 2);
	close_chan(&ch);
	/* above kernel.msgmnb: granted with CAP_SYS_RESOURCE, else a skip naming both */
	snprintf(spec, sizeof(spec), "sysv_mq:depth=%lld", msgmnb + 1024);
	v = variant(spec);
	ch = (struct chan){.ops = v.ops, .opts = v.opts};
	if (chan_probe(&ch, v.ops) == 0) {
		open_chan(&ch, spec, 64);
		CHECK_EQ_I64(sysv_depths(&ch, msgmnb + 1024, &queues), 2);
		close_chan(&ch);
		return;
	}
	CHECK(ch.unavailable);
	CHECK_MSG(strstr(ch.errmsg, "kernel.msgmnb") && strstr(ch.errmsg, "CAP_SYS_RESOURCE"), "%s", ch.errmsg);
}

/* In a child, attached as a server: 1 when its ring spins for want_ns. */
static int spin_in_child(struct chan *ch, uint64_t want_ns)
{
	pid_t pid = fork();

	if (pid == 0) {
		const struct ring_chan *rc = ch->priv;
		int ok = chan_attach(ch, CHAN_SERVER) == 0 && rc->spin_ns == want_ns;

		_exit(ok);
	}
	return exit_of(pid);
}

TEST(shm_spin_budget)
{
	struct chan ch;
	const struct ring_chan *rc;

	open_chan(&ch, "shm_spin:spin_us=7", 64);
	rc = ch.priv;
	CHECK_EQ_I64(ch.limits.opt[0], 7);
	CHECK_MSG(strstr(ch.limits.note, "spins 7us") != NULL, "%s", ch.limits.note);
	CHECK_EQ_U64(rc->spin_ns, 7000);
	CHECK_EQ_I64(spin_in_child(&ch, 7000), 1);
	close_chan(&ch);
	open_chan(&ch, "shm_spin", 64);
	rc = ch.priv;
	CHECK_EQ_U64(rc->spin_ns, RING_SPIN_NS);
	CHECK_EQ_I64(ch.limits.opt[0], RING_SPIN_NS / 1000);
	close_chan(&ch);
}

TEST(socket_buffers)
{
	static const char *const names[] = {"socketpair", "socketpair_seqpacket", "unix", "unix_dgram", "udp"};
	struct topt_variant v;
	struct chan ch;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char spec[96];

		snprintf(spec, sizeof(spec), "%s:sndbuf=64k:rcvbuf=64k", names[i]);
		both_ends(spec, bufs_doubled, 1);
		v = variant(spec);
		ch = (struct chan){.ops = v.ops, .opts = v.opts};
		CHECK_OK(chan_probe(&ch, v.ops));
		CHECK_EQ_I64(ch.limits.opt[0], 2 * 65536);
		CHECK_EQ_I64(ch.limits.opt[1], 2 * 65536);
	}
	/* an AF_UNIX record longer than sk_sndbuf - 32 is EMSGSIZE: probe says so first */
	v = variant("unix_dgram:sndbuf=8k");
	ch = (struct chan){.ops = v.ops, .opts = v.opts};
	CHECK_OK(chan_probe(&ch, v.ops));
	CHECK_EQ_I64(ch.limits.max_msg_bytes, 2 * 8192 - 32);
}

extern const struct transport_ops skeleton_ops;

/* Pages of the pipe this side writes: the skeleton's priv is its own, so ask the fds. */
static int skeleton_pages_in_child(struct chan *ch, int first_fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		int pages = 0;

		if (chan_attach(ch, CHAN_CLIENT))
			_exit(255);
		/* the channel's four fds are first_fd..first_fd+3; the client keeps one write end */
		for (int fd = first_fd; fd < first_fd + 4; fd++)
			if ((fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY && fcntl(fd, F_GETPIPE_SZ) > 0)
				pages += fcntl(fd, F_GETPIPE_SZ) / 4096;
		_exit(pages);
	}
	return exit_of(pid);
}

TEST(skeleton_option)
{
	struct chan ch = {
		.ops = &skeleton_ops, .opts = {.given = 1u << 0, .val = {100000}}, .msg_bytes = 64, .timeout_ms = 5000};
	char why[200];
	int first_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	CHECK_EQ_I64(transport_option_find(&skeleton_ops, "bufsize"), 0);
	CHECK_MSG(transport_check_options(&skeleton_ops, why, sizeof(why)) == 0, "%s", why);
	CHECK_OK(chan_probe(&ch, &skeleton_ops));
	CHECK_EQ_I64(ch.limits.opt[0], 131072);
	CHECK(first_fd >= 0);
	close(first_fd); /* the lowest free fd: the channel's are this and above */
	CHECK_OK(chan_open(&ch, &skeleton_ops));
	CHECK_EQ_I64(skeleton_pages_in_child(&ch, first_fd), 32);
	chan_close(&ch);
}

static void run_cells(const char *spec, enum pattern p, const size_t *sizes, size_t nsizes)
{
	struct topt_variant v = variant(spec);

	clock_setup(true);
	if (rundir_create(run_dir, sizeof(run_dir)))
		test_fail(__FILE__, __LINE__, "cannot create a run directory");
	for (size_t i = 0; i < nsizes; i++) {
		/* a large message through a small buffer or a queue of depth 1 is hundreds of wake-ups */
		uint64_t n = sizes[i] >= 65536 ? 20 : 200;
		struct cell_config cfg = unpinned_cell(v.ops, &v.opts, p, sizes[i], 5, n);
		struct cell_result res;

		test_context("%s %s %zu", spec, pattern_name(p), sizes[i]);
		CHECK_OK(cell_run(&cfg, &res));
		CHECK_MSG(res.status == CELL_OK, "%s", res.reason);
		CHECK_EQ_U64(res.count, n);
		cell_result_release(&res);
	}
	rundir_remove(run_dir);
}

TEST(lockfile_calls)
{
	static const size_t sizes[] = {1, 4097, 200000};
	static const char *const calls[] = {"lockfile:lock=ofd", "lockfile:lock=flock", "lockfile:lock=lockf"};

	for (size_t i = 0; i < ARRAY_SIZE(calls); i++)
		run_cells(calls[i], PATTERN_PINGPONG, sizes, ARRAY_SIZE(sizes));
}

TEST(socket_buffer_cells)
{
	static const size_t big[] = {1, 4097, 65536, 1 << 20}, small[] = {1, 4097, 16000};
	static const char *const streams[] = {"socketpair:sndbuf=4k:rcvbuf=4k", "unix:sndbuf=4k:rcvbuf=4k"};
	static const char *const records[] = {"socketpair_seqpacket:sndbuf=8k:rcvbuf=8k",
					      "unix_dgram:sndbuf=8k:rcvbuf=8k", "udp:sndbuf=8k:rcvbuf=8k"};

	for (size_t i = 0; i < ARRAY_SIZE(streams); i++) {
		run_cells(streams[i], PATTERN_PINGPONG, big, ARRAY_SIZE(big));
		run_cells(streams[i], PATTERN_STREAM, big, ARRAY_SIZE(big));
	}
	for (size_t i = 0; i < ARRAY_SIZE(records); i++)
		run_cells(records[i], PATTERN_PINGPONG, small, ARRAY_SIZE(small));
	run_cells(records[0], PATTERN_STREAM, small, ARRAY_SIZE(small));
	run_cells(records[1], PATTERN_STREAM, small, ARRAY_SIZE(small));
}

TEST(skeleton_option_cell)
{
	static const size_t sizes[] = {1, 4097, 65536, 1 << 20};
	static const struct chan_opts bufsize_4k = {.given = 1u << 0, .val = {4096}};
	struct cell_config cfg = unpinned_cell(&skeleton_ops, &bufsize_4k, PATTERN_PINGPONG, 0, 5, 200);

	clock_setup(true);
	if (rundir_create(run_dir, sizeof(run_dir)))
		test_fail(__FILE__, __LINE__, "cannot create a run directory");
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct cell_result res;

		cfg.msg_bytes = sizes[i];
		cfg.pattern = i % 2 ? PATTERN_STREAM : PATTERN_PINGPONG;
		test_context("skeleton:bufsize=4k %zu", sizes[i]);
		CHECK_OK(cell_run(&cfg, &res));
		CHECK_MSG(res.status == CELL_OK, "%s", res.reason);
		CHECK_EQ_I64(res.limits.opt[0], 4096);
		cell_result_release(&res);
	}
	rundir_remove(run_dir);
}

TEST(options_cells)
{
	static const size_t sizes[] = {1, 4097, 65536, 1 << 20};
	static const char *const specs[] = {
		"pipe:bufsize=4k",  "pipe:bufsize=1M",	       "fifo:bufsize=8k",  "tcp:nodelay=0:sndbuf=4k:rcvbuf=4k",
		"tcp:busy_poll=20", "posix_mq:depth=1:prio=5", "sysv_mq:depth=2k", "shm_spin:spin_us=2"};

	for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
		run_cells(specs[i], PATTERN_PINGPONG, sizes, ARRAY_SIZE(sizes));
		run_cells(specs[i], PATTERN_STREAM, sizes, ARRAY_SIZE(sizes));
	}
}

TEST(vmsplice_recv)
{
	static const char *const modes[] = {"read", "splice", "vmsplice"};
	struct topt_variant *v;
	size_t n;

	clock_setup(true);
	CHECK_EQ_I64(topt_spec_parse("vmsplice:recv=copy", &v, &n, err, sizeof(err)), -1);
	CHECK_MSG(strstr(err, "recv") && strstr(err, "copy"), "error: %s", err);
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		char spec[64], name[64];
		struct topt_variant one;
		struct cell_config cfg;
		struct cell_result res;
		int o;

		snprintf(spec, sizeof(spec), "vmsplice:recv=%s", modes[i]);
		one = variant(spec);
		o = transport_option_find(one.ops, "recv");
		cfg = unpinned_cell(one.ops, &one.opts, PATTERN_STREAM, 1 << 20, 2, 20);
		test_context("%s", spec);
		CHECK(o >= 0);
		if (rundir_create(run_dir, sizeof(run_dir)))
			test_fail(__FILE__, __LINE__, "cannot create a run directory");
		CHECK_OK(cell_run(&cfg, &res));
		CHECK_MSG(res.status == CELL_OK, "%s", res.reason);
		CHECK_EQ_I64(res.limits.opt[o], (long long)i);
		transport_variant_name(one.ops, &one.opts, true, name, sizeof(name));
		/* the default names no variant of its own */
		CHECK_EQ_STR(name, i ? spec : "vmsplice");
		cell_result_release(&res);
		rundir_remove(run_dir);
	}
}

static const struct test_case cases[] = {
	T(pipe_bufsize),
	T(fifo_bufsize),
	T(tcp_nodelay),
	T(tcp_buffers),
	T(posix_mq_depth),
	T(posix_mq_prio),
	T(sysv_mq_depth),
	T(shm_spin_budget),
	T(socket_buffers),
	T(skeleton_option),
	T_TIMEOUT(skeleton_option_cell, 60),
	T_TIMEOUT(socket_buffer_cells, 120),
	T_TIMEOUT(lockfile_calls, 120),
	T_TIMEOUT(options_cells, 120),
	T_TIMEOUT(vmsplice_recv, 60),
};

int main(int argc, char **argv)
{
	return test_main(argc, argv, cases, ARRAY_SIZE(cases));
}
