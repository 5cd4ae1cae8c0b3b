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
 *  lockfile_calls   every lock call moves verified messages through a cell
 *  options_cells    pipe, fifo, tcp and lockfile with non-default options run
 *                   whole cells (pingpong and stream) with verified payloads
 *  vmsplice_recv    recv= refuses a mode it does not know (naming the keys);
 *                   each mode's cell records it in the cell's options and in
 *                   the variant's name
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/topt_spec.h"
#include "harness/clock.h"
#include "harness/harness.h"
#include "tests/runner.h"
#include "transports/fdio.h"

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

static void tcp_case(const char *spec, int (*get)(const struct chan *, int), int want)
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
	tcp_case("tcp:nodelay=0", nodelay_of, 0);
	tcp_case("tcp", nodelay_of, 1);
}

TEST(tcp_buffers)
{
	struct topt_variant v = variant("tcp:sndbuf=64k:rcvbuf=64k");
	struct chan ch = {.ops = v.ops, .opts = v.opts};

	tcp_case("tcp:sndbuf=64k:rcvbuf=64k", bufs_doubled, 1);
	CHECK_OK(chan_probe(&ch, v.ops));
	CHECK_EQ_I64(ch.limits.opt[transport_option_find(v.ops, "sndbuf")], 2 * 65536);
	CHECK_EQ_I64(ch.limits.opt[transport_option_find(v.ops, "rcvbuf")], 2 * 65536);
}

static void run_cells(const char *spec, enum pattern p, const size_t *sizes, size_t nsizes)
{
	struct topt_variant v = variant(spec);

	clock_setup(true);
	if (rundir_create(run_dir, sizeof(run_dir)))
		test_fail(__FILE__, __LINE__, "cannot create a run directory");
	for (size_t i = 0; i < nsizes; i++) {
		struct cell_config cfg = {.ops = v.ops,
					  .opts = v.opts,
					  .pattern = p,
					  .msg_bytes = sizes[i],
					  .client_cpu = -1,
					  .server_cpu = -1,
					  .relation = REL_UNPINNED,
					  .warmup = 5,
					  .iterations = 200,
					  .timeout_ms = 10000,
					  .run_dir = run_dir};
		struct cell_result res;

		test_context("%s %s %zu", spec, pattern_name(p), sizes[i]);
		CHECK_OK(cell_run(&cfg, &res));
		CHECK_MSG(res.status == CELL_OK, "%s", res.reason);
		CHECK_EQ_U64(res.count, 200);
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

TEST(options_cells)
{
	static const size_t sizes[] = {1, 4097, 65536, 1 << 20};
	static const char *const specs[] = {"pipe:bufsize=4k", "pipe:bufsize=1M", "fifo:bufsize=8k",
					    "tcp:nodelay=0:sndbuf=4k:rcvbuf=4k", "tcp:busy_poll=20"};

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
		struct cell_config cfg = {.pattern = PATTERN_STREAM,
					  .msg_bytes = 1 << 20,
					  .client_cpu = -1,
					  .server_cpu = -1,
					  .relation = REL_UNPINNED,
					  .warmup = 2,
					  .iterations = 20,
					  .timeout_ms = 10000,
					  .run_dir = run_dir};
		struct cell_result res;
		int o;

		snprintf(spec, sizeof(spec), "vmsplice:recv=%s", modes[i]);
		one = variant(spec);
		o = transport_option_find(one.ops, "recv");
		cfg.ops = one.ops;
		cfg.opts = one.opts;
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
	T_TIMEOUT(lockfile_calls, 120),
	T_TIMEOUT(options_cells, 120),
	T_TIMEOUT(vmsplice_recv, 60),
};

int main(int argc, char **argv)
{
	return test_main(argc, argv, cases, ARRAY_SIZE(cases));
}
