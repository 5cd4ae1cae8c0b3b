/*
 * test_fdio.c - the fd I/O helpers every fd transport sends and receives
 * through (transports/fdio.c): a stream write or read that the kernel cuts
 * short, or a signal interrupts, goes on until exactly len bytes moved; an
 * end of file, a closed reader or a silent peer is an error that says so;
 * a record of the wrong size is -EPROTO.
 *
 * Short writes come from a pipe shrunk to one page (F_SETPIPE_SZ) and a
 * reader that drains it in small pieces; short reads from a writer that
 * trickles; EINTR from a SIGALRM handler installed without SA_RESTART and
 * fired every few milliseconds by an interval timer while the call blocks.
 * Each of those first checks that its condition really happens (a raw
 * read() does return EINTR, a write does come back short), so the test
 * cannot pass without exercising it.
 *
 * The fdio prototypes still live in transports/transport.h; when they move
 * to transports/fdio.h the include below changes with them.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/runner.h"
#include "transports/fdio.h"

#define BIG (256u << 10)

/* e is a call on the local struct chan ch: 0, or fail with its return value and message */
#define CHECK_IO(e)                                                                                           \
	do {                                                                                                  \
		int r_ = (e);                                                                                 \
		CHECK_MSG(r_ == 0, "%s returned %d (%s): %s", #e, r_, strerror(r_ < 0 ? -r_ : 0), ch.errmsg); \
	} while (0)

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* SIGALRM every period_us, with a handler that does not restart system calls. */
static void start_alarms(long period_us)
{
	struct sigaction sa;
	struct itimerval it = {{0, period_us}, {0, period_us}};

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: a blocked read or write returns EINTR */
	CHECK_OK(sigaction(SIGALRM, &sa, NULL));
	alarms = 0;
	CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
}

static void stop_alarms(void)
{
	struct itimerval off = {{0, 0}, {0, 0}};

	setitimer(ITIMER_REAL, &off, NULL);
}

static uint8_t byte_at(size_t i)
{
	return (uint8_t)(i * 7u + (i >> 9));
}

static uint8_t *pattern_buf(size_t len)
{
	uint8_t *b = malloc(len);

	CHECK(b);
	for (size_t i = 0; i < len; i++)
		b[i] = byte_at(i);
	return b;
}

static struct chan test_chan(enum chan_wait wait, int timeout_ms)
{
	return (struct chan){.wait = wait, .timeout_ms = timeout_ms};
}

static void sleep_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* A pipe whose buffer is one page, so any larger write comes back short when non-blocking. */
static void small_pipe(int p[2])
{
	CHECK_OK(pipe2(p, O_CLOEXEC));
	CHECK_MSG(fcntl(p[1], F_SETPIPE_SZ, 4096) >= 0, "F_SETPIPE_SZ: %s", strerror(errno));
	CHECK_EQ_I64(fcntl(p[1], F_GETPIPE_SZ), 4096);
}

/* Child: reads total bytes in pieces of at most piece, pausing pause_us between; 0 when all match. */
static pid_t slow_reader(int p[2], size_t total, size_t piece, long pause_us)
{
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid)
		return pid;
	close(p[1]);
	sleep_us(50000); /* let the writer fill the pipe and block first */
	for (size_t off = 0; off < total;) {
		uint8_t buf[4096];
		size_t want = total - off < piece ? total - off : piece;
		ssize_t n = read(p[0], buf, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(2);
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != byte_at(off + (size_t)i))
				_exit(3);
		off += (size_t)n;
		if (pause_us)
			sleep_us(pause_us);
	}
	_exit(0);
}

/* Child: writes total bytes in pieces cycling through 1..1499 bytes, pausing now and then. */
static pid_t trickle_writer(int p[2], size_t total, long start_us)
{
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid)
		return pid;
	close(p[0]);
	sleep_us(start_us);
	for (size_t off = 0, k = 0; off < total; k++) {
		uint8_t buf[1500];
		size_t n = 1 + (k * 389) % 1499;

		if (n > total - off)
			n = total - off;
		for (size_t i = 0; i < n; i++)
			buf[i] = byte_at(off + i);
		if (write(p[1], buf, n) != (ssize_t)n)
			_exit(2);
		off += n;
		if (k % 16 == 0)
			sleep_us(300);
	}
	_exit(0);
}

static void reap_ok(pid_t pid, const char *who)
{
	int st;

	CHECK_EQ_I64(waitpid(pid, &st, 0), pid);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s failed (status %d)", who, st);
}

static void write_big_into_small_pipe(enum chan_wait wait)
{
	struct chan ch = test_chan(wait, 5000);
	uint8_t *buf = pattern_buf(BIG);
	int p[2];
	pid_t pid;

	small_pipe(p);
	CHECK_OK(fdio_set_nonblock(p[1], true));
	/* the precondition: a non-blocking write larger than the pipe comes back short */
	CHECK_EQ_I64(write(p[1], buf, 8192), 4096);
	pid = slow_reader(p, BIG, 1000, 20);
	close(p[0]);
	CHECK_IO(fdio_write_all(&ch, p[1], buf + 4096, BIG - 4096));
	close(p[1]);
	reap_ok(pid, "the reader");
	free(buf);
}

TEST(short_writes_block_mode)
{
	write_big_into_small_pipe(CHAN_WAIT_BLOCK);
}

TEST(short_writes_spin_mode)
{
	write_big_into_small_pipe(CHAN_WAIT_SPIN);
}

static void read_big_from_trickle(bool nonblock, enum chan_wait wait)
{
	struct chan ch = test_chan(wait, 5000);
	uint8_t *got = malloc(BIG), *want = pattern_buf(BIG);
	int p[2];
	pid_t pid;

	CHECK(got);
	CHECK_OK(pipe2(p, O_CLOEXEC));
	pid = trickle_writer(p, BIG, 10000);
	close(p[1]);
	if (nonblock)
		CHECK_OK(fdio_set_nonblock(p[0], true));
	CHECK_IO(fdio_read_all(&ch, p[0], got, BIG));
	CHECK_MSG(memcmp(got, want, BIG) == 0, "the bytes read differ from the bytes written");
	reap_ok(pid, "the writer");
	close(p[0]);
	free(got);
	free(want);
}

TEST(short_reads_blocking_fd)
{
	read_big_from_trickle(false, CHAN_WAIT_BLOCK);
}

TEST(short_reads_nonblocking_fd_polled)
{
	read_big_from_trickle(true, CHAN_WAIT_BLOCK);
}

TEST(short_reads_spin_mode)
{
	read_big_from_trickle(true, CHAN_WAIT_SPIN);
}

TEST(eintr_during_a_blocked_read)
{
	struct chan ch = test_chan(CHAN_WAIT_BLOCK, 5000);
	uint8_t *want = pattern_buf(64), got[64], c;
	int p[2];
	pid_t pid;

	CHECK_OK(pipe2(p, O_CLOEXEC));
	start_alarms(2000);
	/* the precondition: a blocked read on this pipe is interrupted */
	errno = 0;
	CHECK_MSG(read(p[0], &c, 1) < 0 && errno == EINTR, "read was not interrupted: %s", strerror(errno));
	pid = trickle_writer(p, 64, 100000); /* 100 ms of alarms before the first byte */
	close(p[1]);
	CHECK_IO(fdio_read_all(&ch, p[0], got, 64));
	stop_alarms();
	CHECK_MSG(alarms >= 10, "only %d alarms arrived while the read blocked", (int)alarms);
	CHECK(memcmp(got, want, 64) == 0);
	reap_ok(pid, "the writer");
	close(p[0]);
	free(want);
}

TEST(eintr_during_a_blocked_write)
{
	struct chan ch = test_chan(CHAN_WAIT_BLOCK, 5000);
	uint8_t *buf = pattern_buf(BIG);
	int p[2];
	pid_t pid;
	ssize_t n;

	small_pipe(p);
	start_alarms(1000);
	/* the precondition: a blocked write into the full pipe comes back short or with EINTR */
	n = write(p[1], buf, 8192);
	CHECK_MSG(n == 4096 || (n < 0 && errno == EINTR), "write returned %zd (%s)", n, strerror(errno));
	if (n < 0)
		n = 0;
	pid = slow_reader(p, BIG, 700, 50);
	close(p[0]);
	CHECK_IO(fdio_write_all(&ch, p[1], buf + n, BIG - (size_t)n));
	stop_alarms();
	CHECK_MSG(alarms >= 10, "only %d alarms arrived while the write blocked", (int)alarms);
	close(p[1]);
	reap_ok(pid, "the reader");
	free(buf);
}

TEST(eintr_during_a_blocked_record_recv)
{
	struct chan ch = test_chan(CHAN_WAIT_BLOCK, 5000);
	char got[10];
	int sv[2];
	pid_t pid;

	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	start_alarms(2000);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		stop_alarms();
		close(sv[0]);
		sleep_us(100000);
		_exit(send(sv[1], "0123456789", 10, 0) == 10 ? 0 : 2);
	}
	close(sv[1]);
	CHECK_IO(fdio_recv_msg(&ch, sv[0], got, 10));
	stop_alarms();
	CHECK_MSG(alarms >= 10, "only %d alarms arrived while recv blocked", (int)alarms);
	CHECK(memcmp(got, "0123456789", 10) == 0);
	reap_ok(pid, "the sender");
	close(sv[0]);
}

TEST(end_of_file_mid_message_is_an_error)
{
	struct chan ch = test_chan(CHAN_WAIT_BLOCK, 5000);
	uint8_t got[64];
	int p[2];

	CHECK_OK(pipe2(p, O_CLOEXEC));
	CHECK_EQ_I64(write(p[1], "0123456789", 10), 10);
	close(p[1]);
	CHECK_EQ_I64(fdio_read_all(&ch, p[0], got, 64), -EPIPE);
	CHECK_MSG(strstr(ch.errmsg, "end of file") && strstr(ch.errmsg, "54 bytes missing"), "errmsg: %s", ch.errmsg);
	close(p[0]);
}

TEST(write_to_a_closed_reader_is_epipe)
{
	struct chan ch = test_chan(CHAN_WAIT_BLOCK, 5000);
	struct sigaction ign = {.sa_handler = SIG_IGN};
	int p[2];

	CHECK_OK(sigaction(SIGPIPE, &ign, NULL));
	CHECK_OK(pipe2(p, O_CLOEXEC));
	close(p[0]);
	CHECK_EQ_I64(fdio_write_all(&ch, p[1], "x", 1), -EPIPE);
	CHECK_MSG(strstr(ch.errmsg, "write fd="), "errmsg: %s", ch.errmsg);
	close(p[1]);
}

TEST(a_silent_peer_times_out)
{
	struct chan ch = test_chan(CHAN_WAIT_BLOCK, 100);
	struct timespec a, b;
	uint8_t got[8];
	int p[2];
	long ms;

	CHECK_OK(pipe2(p, O_CLOEXEC));
	CHECK_OK(fdio_set_nonblock(p[0], true));
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_EQ_I64(fdio_read_all(&ch, p[0], got, 8), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	CHECK_MSG(ms >= 90 && ms < 5000, "gave up after %ld ms, timeout 100 ms", ms);
	CHECK_MSG(strstr(ch.errmsg, "peer silent for 100 ms"), "errmsg: %s", ch.errmsg);
	close(p[0]);
	close(p[1]);
}

TEST(records_of_the_wrong_size_are_eproto)
{
	struct chan ch = test_chan(CHAN_WAIT_BLOCK, 5000);
	char buf[64];
	int sv[2];

	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	CHECK_OK(fdio_send_msg(&ch, sv[1], "0123456789", 10));
	CHECK_OK(fdio_send_msg(&ch, sv[1], "abcdefghijklmnopqrstuvwxyz0123", 30));
	CHECK_OK(fdio_send_msg(&ch, sv[1], "exact", 5));
	/* shorter than asked */
	CHECK_EQ_I64(fdio_recv_msg(&ch, sv[0], buf, 20), -EPROTO);
	CHECK_MSG(strstr(ch.errmsg, "record of 10 bytes, expected 20"), "errmsg: %s", ch.errmsg);
	/* longer than asked: MSG_TRUNC gives the real size */
	ch = test_chan(CHAN_WAIT_BLOCK, 5000);
	CHECK_EQ_I64(fdio_recv_msg(&ch, sv[0], buf, 20), -EPROTO);
	CHECK_MSG(strstr(ch.errmsg, "record of 30 bytes, expected 20"), "errmsg: %s", ch.errmsg);
	/* the next record is whole and untouched */
	ch = test_chan(CHAN_WAIT_BLOCK, 5000);
	CHECK_OK(fdio_recv_msg(&ch, sv[0], buf, 5));
	CHECK(memcmp(buf, "exact", 5) == 0);
	/* the peer gone */
	close(sv[1]);
	CHECK_EQ_I64(fdio_recv_msg(&ch, sv[0], buf, 5), -EPIPE);
	close(sv[0]);
}

TEST(a_full_record_socket_times_out)
{
	struct chan ch = test_chan(CHAN_WAIT_BLOCK, 100);
	char buf[1024] = {0};
	int sv[2], r;

	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv));
	CHECK_OK(fdio_set_nonblock(sv[1], true));
	/* nobody reads: the queue fills, then send waits timeout_ms and gives up */
	for (int i = 0; i < 100000; i++) {
		r = fdio_send_msg(&ch, sv[1], buf, sizeof(buf));
		if (r)
			break;
	}
	CHECK_EQ_I64(r, -ETIMEDOUT);
	CHECK_MSG(strstr(ch.errmsg, "peer silent"), "errmsg: %s", ch.errmsg);
	close(sv[0]);
	close(sv[1]);
}

static const struct test_case cases[] = {
	T(short_writes_block_mode),
	T(short_writes_spin_mode),
	T(short_reads_blocking_fd),
	T(short_reads_nonblocking_fd_polled),
	T(short_reads_spin_mode),
	T(eintr_during_a_blocked_read),
	T(eintr_during_a_blocked_write),
	T(eintr_during_a_blocked_record_recv),
	T(end_of_file_mid_message_is_an_error),
	T(write_to_a_closed_reader_is_epipe),
	T(a_silent_peer_times_out),
	T(records_of_the_wrong_size_are_eproto),
	T(a_full_record_socket_times_out),
};

int main(int argc, char **argv)
{
	return test_main(argc, argv, cases, ARRAY_SIZE(cases));
}
