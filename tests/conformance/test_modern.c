/*
 * test_modern.c - what the conformance suite does not cover for the
 * modern transports (futex_ring, uring, uring_sock; vsock and tipc are
 * covered there, where the kernel has them).
 *
 *  futex_*_stress  many thousands of 1-byte round trips on one CPU and
 *                  across two, and a one-way stream through the smallest
 *                  ring (both sides keep waiting for data and for space):
 *                  verified bytes, and (almost) no wait had to be ended by
 *                  the doorbell's helper thread (a lost wake-up is a wait
 *                  that only the helper ends, a slice later)
 *  futex_killed    a server SIGKILLed while the client streams: the
 *                  client's send fails with -EPIPE, well before timeout_ms
 *                  (the untimed FUTEX_WAIT is ended by the helper)
 *  futex_timeout   a server that attaches and never sends: recv fails with
 *                  -ETIMEDOUT after about ch->timeout_ms
 *  uring_killed, uring_sock_killed
 *                  the same kill mid-stream for the io_uring transports,
 *                  and the survivor holds no fd of the channel afterwards
 *  uring_*_cell    the harness's stream pattern with a server that exits
 *                  mid-stream: a cell error naming it, within the timeout
 */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/clock.h"
#include "harness/harness.h"
#include "tests/conformance/faulty.h"
#include "tests/runner.h"
#include "transports/ring.h"
#include "transports/transport.h"

extern const struct transport_ops futex_ring_ops, uring_ops, uring_sock_ops;

static char run_dir[4096];

/*
 * Waits the helper may end in a stress case: this VM stalls a process for
 * over 100 ms now and then (maxima of 150-250 ms in every transport's
 * runs), which looks the same.  A lost wake-up costs one per lost wake:
 * a broken doorbell made hundreds in 30000 round trips.
 */
#define POKES_OK 3

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own fd */
}

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(0, sizeof(s), &s);
}

/* Probes and opens a channel (skips when the host lacks it). */
static void open_chan(struct chan *ch, const struct transport_ops *ops, size_t msg_bytes, int timeout_ms)
{
	memset(ch, 0, sizeof(*ch));
	ch->msg_bytes = msg_bytes;
	ch->run_dir = run_dir;
	ch->tag = "ipcbench-modern-test";
	ch->timeout_ms = timeout_ms;
	if (chan_probe(ch, ops))
		SKIP("%s not available here: %s", ops->name, ch->errmsg);
	ch->err = 0;
	CHECK_MSG(chan_open(ch, ops) == 0, "create: %s", ch->errmsg);
}

struct server_job {
	int cpu;    /* -1: not pinned */
	size_t len; /* message length */
	long n;	    /* messages to take */
	bool echo;  /* send each back */
	bool die;   /* SIGKILL itself after n messages */
	bool hang;  /* attach and sleep until killed */
	bool pokes; /* exit 12 when the futex helper had to end a wait */
	bool ack;   /* after n one-way messages, send one back */
};

static void server_main(struct chan *ch, const struct server_job *j)
{
	unsigned char buf[65536];
	int r = 0;

	if (j->cpu >= 0)
		pin(j->cpu);
	if (chan_attach(ch, CHAN_SERVER))
		_exit(10);
	if (j->hang)
		for (;;)
			pause();
	for (long i = 0; i < j->n && !r; i++) {
		r = chan_recv(ch, buf, j->len);
		if (!r && buf[0] != (unsigned char)i)
			_exit(13);
		if (!r && j->echo)
			r = chan_send(ch, buf, j->len);
	}
	if (j->die)
		kill(getpid(), SIGKILL);
	if (!r && j->ack)
		r = chan_send(ch, buf, 1);
	chan_detach(ch);
	if (r)
		_exit(11);
	_exit(j->pokes && atomic_load(&((struct ring_chan *)ch->priv)->fw.pokes) > POKES_OK ? 12 : 0);
}

static pid_t fork_server(struct chan *ch, const struct server_job *j)
{
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0)
		server_main(ch, j);
	return pid;
}

/*
 * After the client's run (r) and detach: the server exited well (12: its
 * futex helper ended more than POKES_OK waits) and the client's helper
 * ended at most POKES_OK; ch is closed and the run directory removed.
 */
static void futex_end(struct chan *ch, pid_t pid, int r)
{
	unsigned long long pokes;
	int st;

	waitpid(pid, &st, 0);
	pokes = atomic_load(&((struct ring_chan *)ch->priv)->fw.pokes);
	CHECK_MSG(r == 0, "client: %s", ch->errmsg);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "server status %d (12: its helper ended a wait)", st);
	CHECK_MSG(pokes <= POKES_OK, "the helper ended %llu waits", pokes);
	chan_close(ch);
	rundir_remove(run_dir);
}

/* n verified 1-byte round trips with the server on scpu, the client on ccpu. */
static void futex_pingpong(int ccpu, int scpu, long n)
{
	struct server_job j = {.cpu = scpu, .len = 1, .n = n, .echo = true, .pokes = true};
	struct chan ch;
	cpu_set_t saved;
	int r = 0;
	pid_t pid;

	if (scpu >= sysconf(_SC_NPROCESSORS_ONLN))
		SKIP("one CPU: no cross-CPU case");
	CHECK(rundir_create(run_dir, sizeof(run_dir)) == 0);
	open_chan(&ch, &futex_ring_ops, 1, 5000);
	pid = fork_server(&ch, &j);
	sched_getaffinity(0, sizeof(saved), &saved);
	pin(ccpu);
	r = chan_attach(&ch, CHAN_CLIENT);
	for (long i = 0; i < n && !r; i++) {
		unsigned char b = (unsigned char)i, back = 0;

		r = chan_send(&ch, &b, 1);
		if (!r)
			r = chan_recv(&ch, &back, 1);
		CHECK_MSG(r || back == b, "round trip %ld: sent %u, got %u", i, b, back);
	}
	chan_detach(&ch);
	sched_setaffinity(0, sizeof(saved), &saved);
	futex_end(&ch, pid, r);
}

TEST(futex_same_cpu_stress)
{
	futex_pingpong(0, 0, 30000);
}

TEST(futex_cross_cpu_stress)
{
	futex_pingpong(0, 1, 30000);
}

/* One way, 8-byte messages through a 4 KiB ring: both sides keep sleeping on data and on space. */
TEST(futex_stream_stress)
{
	const long n = 300000;
	struct server_job j = {.cpu = -1, .len = 8, .n = n, .ack = true, .pokes = true};
	unsigned char buf[8] = {0};
	struct chan ch;
	int r = 0;
	pid_t pid;

	CHECK(rundir_create(run_dir, sizeof(run_dir)) == 0);
	open_chan(&ch, &futex_ring_ops, 8, 5000);
	pid = fork_server(&ch, &j);
	r = chan_attach(&ch, CHAN_CLIENT);
	for (long i = 0; i < n && !r; i++) {
		buf[0] = (unsigned char)i;
		r = chan_send(&ch, buf, 8);
	}
	if (!r)
		r = chan_recv(&ch, buf, 1);
	chan_detach(&ch);
	futex_end(&ch, pid, r);
}

/* The server takes 20 messages of 64 KiB and is SIGKILLed; the client's stream must fail with a dead peer. */
static void killed_midstream(const struct transport_ops *ops)
{
	static unsigned char buf[65536];
	struct server_job j = {.cpu = -1, .len = sizeof(buf), .n = 20, .die = true};
	struct chan ch;
	int fds, st, r = 0;
	double t0;
	pid_t pid;

	CHECK(rundir_create(run_dir, sizeof(run_dir)) == 0);
	fds = count_fds(); /* the run directory holds a lock fd */
	open_chan(&ch, ops, sizeof(buf), 10000);
	pid = fork_server(&ch, &j);
	r = chan_attach(&ch, CHAN_CLIENT);
	CHECK_MSG(r == 0, "attach: %s", ch.errmsg);
	t0 = now_s();
	for (long i = 0; i < 100000 && !r; i++) {
		buf[0] = (unsigned char)i;
		r = chan_send(&ch, buf, sizeof(buf));
	}
	test_context("%s: send returned %d (%s) after %.2f s", ops->name, r, ch.errmsg, now_s() - t0);
	CHECK(r == -EPIPE || r == -ECONNRESET);
	CHECK(now_s() - t0 < 3.0);
	chan_detach(&ch);
	waitpid(pid, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	chan_close(&ch);
	CHECK_EQ_I64(count_fds(), fds);
	rundir_remove(run_dir);
}

TEST(futex_killed)
{
	killed_midstream(&futex_ring_ops);
}

TEST(uring_killed)
{
	killed_midstream(&uring_ops);
}

TEST(uring_sock_killed)
{
	killed_midstream(&uring_sock_ops);
}

TEST(futex_timeout)
{
	struct server_job j = {.cpu = -1, .hang = true};
	unsigned char b;
	struct chan ch;
	double t0, took;
	int st, r;
	pid_t pid;

	CHECK(rundir_create(run_dir, sizeof(run_dir)) == 0);
	open_chan(&ch, &futex_ring_ops, 1, 500);
	pid = fork_server(&ch, &j);
	r = chan_attach(&ch, CHAN_CLIENT);
	t0 = now_s();
	if (!r)
		r = chan_recv(&ch, &b, 1);
	took = now_s() - t0;
	chan_detach(&ch);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	chan_close(&ch);
	rundir_remove(run_dir);
	test_context("recv returned %d (%s) after %.3f s", r, ch.errmsg, took);
	CHECK(r == -ETIMEDOUT);
	CHECK(took >= 0.45 && took < 1.5);
}

/* The harness's stream pattern, a server that exits mid-stream: a cell error within the timeout. */
static void cell_server_exits(const struct transport_ops *ops)
{
	static const struct faulty_config exit_at_50 = {.kind = FAULTY_EXIT, .role = CHAN_SERVER, .at = 50};
	struct chan_limits lim;
	char why[300];
	struct faulty f;
	struct cell_config cfg = {
		.ops = faulty_wrap(&f, ops, &exit_at_50),
		.pattern = PATTERN_STREAM,
		.msg_bytes = 65536,
		.client_cpu = 0,
		.server_cpu = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0,
		.relation = REL_CROSS,
		.wait = CHAN_WAIT_BLOCK,
		.warmup = 5,
		.iterations = 1000000,
		.timeout_ms = 3000,
	};
	struct cell_result res;
	double t0;

	if (cell_probe(ops, &lim, why, sizeof(why)))
		SKIP("%s not available here: %s", ops->name, why);
	clock_setup(true);
	CHECK(rundir_create(run_dir, sizeof(run_dir)) == 0);
	cfg.run_dir = run_dir;
	t0 = now_s();
	CHECK_OK(cell_run(&cfg, &res));
	test_context("%s: %s after %.2f s", ops->name, res.reason, now_s() - t0);
	CHECK(res.status == CELL_ERROR);
	CHECK(strstr(res.reason, "server exited with status 3"));
	CHECK(now_s() - t0 < 8.0);
	cell_result_release(&res);
	rundir_remove(run_dir);
}

TEST(uring_cell)
{
	cell_server_exits(&uring_ops);
}

TEST(uring_sock_cell)
{
	cell_server_exits(&uring_sock_ops);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		T_TIMEOUT(futex_same_cpu_stress, 60),
		T_TIMEOUT(futex_cross_cpu_stress, 60),
		T_TIMEOUT(futex_stream_stress, 60),
		T(futex_killed),
		T(futex_timeout),
		T(uring_killed),
		T(uring_sock_killed),
		T(uring_cell),
		T(uring_sock_cell),
	};

	return test_main(argc, argv, cases, ARRAY_SIZE(cases));
}
