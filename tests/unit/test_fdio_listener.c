/*
 * test_fdio_listener.c - the listener helpers of transports/fdio.c that
 * tipc.c and vsock.c attach and probe through (fdio_connect_stream,
 * fdio_probe_listener, fdchan_attach_listener), on an AF_UNIX stream
 * socket in the abstract namespace, since TIPC and vsock are often
 * missing from the kernel: a connect to nothing fails with its errno and
 * leaves no fd open; a probe round connects and accepts; the two roles
 * of attach meet and carry bytes; a failed attach names the endpoint.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/runner.h"
#include "transports/fdio.h"

/* An abstract AF_UNIX address unique to this process and n: its length. */
static socklen_t abstract_addr(struct sockaddr_un *sa, int n)
{
	int len;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	len = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "ipcbench-test-fdio-%d-%d", (int)getpid(), n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)len);
}

static int listener(const struct sockaddr_un *sa, socklen_t len)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	CHECK(fd >= 0);
	CHECK_OK(bind(fd, (const struct sockaddr *)sa, len));
	CHECK_OK(listen(fd, 1));
	return fd;
}

/* The lowest free fd: a call that leaks one moves it. */
static int lowest_free_fd(void)
{
	int fd = fcntl(0, F_DUPFD_CLOEXEC, 0);

	CHECK(fd >= 0);
	close(fd);
	return fd;
}

/* A server and a client channel of one abstract address, blocking, nothing attached. */
struct pair {
	struct fd_chan fs, fc;
	struct chan srv, cli;
	struct sockaddr_un sa;
	socklen_t len;
};

static void pair_init(struct pair *p, int n)
{
	memset(p, 0, sizeof(*p));
	p->srv.wait = p->cli.wait = CHAN_WAIT_BLOCK;
	p->srv.timeout_ms = p->cli.timeout_ms = 5000;
	p->srv.priv = &p->fs;
	p->cli.priv = &p->fc;
	p->len = abstract_addr(&p->sa, n);
}

static int pair_attach(struct pair *p, struct chan *ch, enum chan_role role)
{
	return fdchan_attach_listener(ch, role, AF_UNIX, &p->sa, p->len, "test endpoint");
}

TEST(connect_to_nothing_fails_with_its_errno)
{
	struct sockaddr_un sa;
	socklen_t len = abstract_addr(&sa, 0);
	int before = lowest_free_fd(), cfd = 7;

	errno = 0;
	CHECK_EQ_I64(fdio_connect_stream(AF_UNIX, &sa, len), -1);
	CHECK_EQ_I64(errno, ECONNREFUSED);
	CHECK_EQ_I64(fdio_probe_listener(-1, AF_UNIX, &sa, len, &cfd), ECONNREFUSED);
	CHECK_EQ_I64(cfd, -1);
	CHECK_EQ_I64(lowest_free_fd(), before);
}

TEST(probe_round_connects_and_accepts)
{
	struct sockaddr_un sa;
	socklen_t len = abstract_addr(&sa, 1);
	int before = lowest_free_fd(), lfd = listener(&sa, len), cfd = -1;

	CHECK_EQ_I64(fdio_probe_listener(lfd, AF_UNIX, &sa, len, &cfd), 0);
	CHECK(cfd >= 0);
	/* the accepted end is closed again: the client sees end of file, nothing waits in the backlog */
	CHECK_EQ_I64(read(cfd, &len, 1), 0);
	CHECK_OK(fdio_set_nonblock(lfd, true));
	CHECK_EQ_I64(accept4(lfd, NULL, NULL, SOCK_CLOEXEC), -1);
	CHECK_EQ_I64(errno, EAGAIN);
	close(cfd);
	close(lfd);
	CHECK_EQ_I64(lowest_free_fd(), before);
}

TEST(attach_roles_meet_and_carry_bytes)
{
	static struct pair p;
	char got[6] = "";
	int before = lowest_free_fd();

	pair_init(&p, 2);
	CHECK_OK(fdchan_add_fd(&p.srv, listener(&p.sa, p.len)));
	/* the client's connect completes in the backlog before the server accepts */
	CHECK_MSG(!pair_attach(&p, &p.cli, CHAN_CLIENT), "client: %s", p.cli.errmsg);
	CHECK_MSG(!pair_attach(&p, &p.srv, CHAN_SERVER), "server: %s", p.srv.errmsg);
	CHECK_OK(fdchan_stream_send(&p.cli, "hello", 5));
	CHECK_OK(fdchan_stream_recv(&p.srv, got, 5));
	CHECK_EQ_STR(got, "hello");
	CHECK_OK(fdchan_stream_send(&p.srv, "back!", 5));
	CHECK_OK(fdchan_stream_recv(&p.cli, got, 5));
	CHECK_EQ_STR(got, "back!");
	fdchan_destroy(&p.cli);
	fdchan_destroy(&p.srv);
	CHECK_EQ_I64(lowest_free_fd(), before);
}

TEST(failed_attach_names_the_endpoint)
{
	static struct pair p;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	pair_init(&p, 3);
	CHECK_EQ_I64(pair_attach(&p, &p.cli, CHAN_CLIENT), -ECONNREFUSED);
	CHECK_MSG(!strncmp(p.cli.errmsg, "connect test endpoint: ", 23), "errmsg: %s", p.cli.errmsg);
	CHECK_EQ_I64(p.fc.nfd, 0);
	/* a server whose fd[0] is not listening: accept fails, and says so */
	CHECK(fd >= 0);
	CHECK_OK(fdchan_add_fd(&p.srv, fd));
	CHECK_EQ_I64(pair_attach(&p, &p.srv, CHAN_SERVER), -EINVAL);
	CHECK_MSG(!strncmp(p.srv.errmsg, "accept test endpoint: ", 22), "errmsg: %s", p.srv.errmsg);
	fdchan_destroy(&p.srv);
}

static const struct test_case cases[] = {
	T(connect_to_nothing_fails_with_its_errno),
	T(probe_round_connects_and_accepts),
	T(attach_roles_meet_and_carry_bytes),
	T(failed_attach_names_the_endpoint),
};

int main(int argc, char **argv)
{
	return test_main(argc, argv, cases, ARRAY_SIZE(cases));
}
