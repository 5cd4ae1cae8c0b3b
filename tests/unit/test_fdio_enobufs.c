/*
 * test_fdio_enobufs.c - a record the kernel will never allocate fails the
 * send with -ENOBUFS instead of retrying for ever (issue 20 #11: above
 * about 4 MiB an AF_UNIX record gets ENOBUFS on every try while poll()
 * reports the socket writable, and the blocking send loop spun until the
 * watchdog called the peer hung).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/mono.h"
#include "tests/runner.h"
#include "transports/fdio.h"

/* A seqpacket pair whose sender may hold the largest record the host allows; its size or 0. */
static size_t big_pair(int sv[2])
{
	int want = 1 << 30, snd = 0;
	socklen_t sl = sizeof(snd);

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
	CHECK(getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &snd, &sl) == 0);
	return snd > 32 ? (size_t)snd - 32 : 0;
}

static void check_enobufs(enum chan_wait wait)
{
	struct chan ch = {.wait = wait, .timeout_ms = 3000};
	int sv[2];
	size_t len = big_pair(sv);
	void *buf = calloc(1, len ? len : 1);
	uint64_t t0;
	int r;

	CHECK(buf);
	if (wait == CHAN_WAIT_SPIN)
		CHECK(fdio_set_nonblock(sv[0], true) == 0);
	if (send(sv[0], buf, len, MSG_DONTWAIT) >= 0 || errno != ENOBUFS)
		SKIP("this kernel takes (or refuses otherwise) a %zu-byte record: nothing to test", len);
	t0 = mono_ms();
	r = fdio_send_msg(&ch, sv[0], buf, len);
	CHECK_EQ_I64(r, -ENOBUFS);
	CHECK_MSG(mono_ms() - t0 < 1000, "took %llu ms to give up", (unsigned long long)(mono_ms() - t0));
	CHECK_MSG(strstr(ch.errmsg, "send"), "message: %s", ch.errmsg);
	free(buf);
	close(sv[0]);
	close(sv[1]);
}

TEST(enobufs_block)
{
	check_enobufs(CHAN_WAIT_BLOCK);
}

TEST(enobufs_spin)
{
	check_enobufs(CHAN_WAIT_SPIN);
}

static const struct test_case cases[] = {T_TIMEOUT(enobufs_block, 10), T_TIMEOUT(enobufs_spin, 10)};

int main(int argc, char **argv)
{
	return test_main(argc, argv, cases, ARRAY_SIZE(cases));
}
