/*
 * test_transports.c - the conformance suite: every registered transport
 * through the same cases (architecture.md section 5).
 *
 *  roundtrip   verified round trips at 1, 7, 56, 57, 64, 4096, 4097, 65536 bytes and
 *              the largest the transport carries up to 1 MiB; sizes beyond
 *              its limit must be refused (skipped) with the limit named;
 *              a wake-up primitive (TRANSPORT_NO_PAYLOAD) at size 0 only,
 *              as in stream, peer_dies and cleanup (test_wake.c has the rest)
 *  stream      the one-way pattern at 64 B and 64 KiB
 *  bytestream  byte-stream transports: 256 KiB written and read back in
 *              unrelated piece sizes arrive whole and in order (a read may
 *              take part of a write, or several), at message sizes of 40,
 *              200 and 4096 bytes (shm_spin puts up to 224 in slot lines)
 *  boundaries  message transports: records keep their size; a record of
 *              the wrong size is -EPROTO, never a silent short read
 *  peer_dies   a server that dies mid-run is an error within the timeout
 *  cleanup     after a cell: no new SysV id, /dev/shm or mqueue name, file
 *              in the run directory, or fd in the parent
 *  destroy     destroy on a zeroed channel is harmless, twice, and never
 *              closes someone else's fd 0
 *  spin        transports that can spin round-trip with --wait spin
 *  limit       a record transport carries a message of exactly its probed
 *              limit (issue 20 #11: unix_dgram claimed 8 MiB, and a send
 *              above 4 MiB spun on ENOBUFS until the watchdog)
 *
 * Besides every registered transport, transports/skeleton.c's table runs
 * through all of them.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/clock.h"
#include "harness/harness.h"
#include "tests/conformance/confcell.h"
#include "tests/conformance/faulty.h"
#include "tests/runner.h"
#include "transports/transport.h"

static char run_dir[4096];

static void setup(void)
{
	clock_setup(true);
	if (rundir_create(run_dir, sizeof(run_dir)))
		test_fail(__FILE__, __LINE__, "cannot create a run directory");
}

static void teardown(void)
{
	rundir_remove(run_dir);
}

/* Pingpong, or stream for a one-way transport (popen): every payload is still verified where it arrives. */
static struct cell_config base_cfg(const struct transport_ops *ops, size_t size)
{
	return confcell_config(ops, (ops->flags & TRANSPORT_ONE_WAY) ? PATTERN_STREAM : PATTERN_PINGPONG, size,
			       run_dir);
}

/* A wake-up primitive carries no payload: size 0 is its only size (test_wake.c tests the rest). */
static bool no_payload(const struct transport_ops *ops)
{
	return ops->flags & TRANSPORT_NO_PAYLOAD;
}

/* size, or 0 for a transport without payload */
static size_t size_for(const struct transport_ops *ops, size_t size)
{
	return no_payload(ops) ? 0 : size;
}

static void run_ok(struct cell_config *cfg, struct cell_result *res)
{
	CHECK_OK(cell_run(cfg, res));
	test_context("%s %s %zu bytes", cfg->ops->name, pattern_name(cfg->pattern), cfg->msg_bytes);
	CHECK_MSG(res->status == CELL_OK, "status %s: %s", cell_status_name(res->status), res->reason);
	CHECK_EQ_U64(res->count, cfg->iterations);
	if (cfg->pattern == PATTERN_PINGPONG || cfg->msg_bytes >= 16)
		CHECK_EQ_I64(res->latency.total_count, cfg->iterations);
	CHECK(res->elapsed_ns > 0);
}

static void case_roundtrip(void)
{
	const struct transport_ops *ops = test_arg;
	/* 56 and 57: the largest message a ring slot line holds, and one more */
	size_t sizes[] = {1, 7, 56, 57, 64, 4096, 4097, 65536, 0};
	const size_t nsizes = sizeof(sizes) / sizeof(sizes[0]);
	struct chan_limits lim;

	confcell_probe_or_skip(ops, &lim);
	sizes[nsizes - 1] = lim.max_msg_bytes && lim.max_msg_bytes < (1u << 20) ? lim.max_msg_bytes : 1u << 20;
	setup();
	for (size_t i = 0; i < (no_payload(ops) ? 1 : nsizes); i++) {
		if (no_payload(ops))
			sizes[i] = 0;
		struct cell_config cfg = base_cfg(ops, sizes[i]);
		struct cell_result res;

		if (lim.max_msg_bytes && sizes[i] > lim.max_msg_bytes) {
			CHECK_OK(cell_run(&cfg, &res));
			test_context("%s %zu bytes over its limit %zu", ops->name, sizes[i], lim.max_msg_bytes);
			CHECK_MSG(res.status == CELL_SKIPPED, "status %s", cell_status_name(res.status));
			CHECK_MSG(strstr(res.reason, "exceeds"), "reason: %s", res.reason);
		} else {
			run_ok(&cfg, &res);
		}
		cell_result_release(&res);
	}
	/* one past the limit is refused before the fork, never truncated */
	if (lim.max_msg_bytes && lim.max_msg_bytes < (256u << 20)) {
		struct cell_config cfg = base_cfg(ops, lim.max_msg_bytes + 1);
		struct cell_result res;

		CHECK_OK(cell_run(&cfg, &res));
		CHECK_MSG(res.status == CELL_SKIPPED, "%zu bytes: status %s", cfg.msg_bytes,
			  cell_status_name(res.status));
		cell_result_release(&res);
	}
	teardown();
}

static void case_stream(void)
{
	const struct transport_ops *ops = test_arg;
	struct chan_limits lim;
	size_t sizes[] = {64, 65536};

	confcell_probe_or_skip(ops, &lim);
	setup();
	for (size_t i = 0; i < 2; i++) {
		struct cell_config cfg = base_cfg(ops, size_for(ops, sizes[i]));
		struct cell_result res;

		if (no_payload(ops) && i)
			continue;
		cfg.pattern = PATTERN_STREAM;
		cfg.iterations = 500;
		if (lim.max_msg_bytes && sizes[i] > lim.max_msg_bytes)
			continue;
		if (ops->flags & (TRANSPORT_LOSSY | TRANSPORT_PINGPONG_ONLY)) {
			CHECK_OK(cell_run(&cfg, &res));
			CHECK_MSG(res.status == CELL_SKIPPED,
				  "a lossy or round-trip-only transport must skip stream, got %s",
				  cell_status_name(res.status));
		} else {
			run_ok(&cfg, &res);
			CHECK(res.msgs_per_sec > 0);
			CHECK_NEAR(res.bytes_per_sec, res.msgs_per_sec * (double)cfg.msg_bytes,
				   res.bytes_per_sec * 1e-9);
		}
		cell_result_release(&res);
	}
	teardown();
}

/* Drives the transport directly: the server child runs fn_server, the test is the client. */
static void direct_pair(const struct transport_ops *ops, size_t msg_bytes, int (*server)(struct chan *),
			int (*client)(struct chan *))
{
	struct chan ch = {.ops = ops,
			  .msg_bytes = msg_bytes,
			  .run_dir = run_dir,
			  .tag = "ipcbench-conf-test",
			  .timeout_ms = 5000};
	pid_t pid;
	int st, r;

	chan_probe(&ch, ops);
	CHECK_MSG(chan_open(&ch, ops) == 0, "create: %s", ch.errmsg);
	pid = fork();
	if (pid == 0) {
		if (chan_attach(&ch, CHAN_SERVER))
			_exit(10);
		r = server(&ch);
		chan_detach(&ch);
		_exit(r ? 11 : 0);
	}
	r = chan_attach(&ch, CHAN_CLIENT);
	if (!r)
		r = client(&ch);
	if (r)
		kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	chan_close(&ch);
	CHECK_MSG(r == 0, "client side: %s", ch.errmsg);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "server side failed (status %d)", st);
}

#define STREAM_TOTAL (256u << 10)

/* Byte i of the test stream: a pattern that does not repeat at any piece size used. */
static uint8_t stream_byte(size_t i)
{
	return (uint8_t)((i * 2654435761u) >> 13);
}

/* Piece k of a stream: sizes that straddle slots and wrap the ring, at most max. */
static size_t stream_piece(size_t k, const size_t *cycle, size_t ncycle, size_t max, size_t left)
{
	size_t n = cycle[k % ncycle];

	if (n > max)
		n = max;
	return n < left ? n : left;
}

static int bytestream_server(struct chan *ch)
{
	static const size_t cycle[] = {5, 56, 1, 33, 200, 57, 8, 4096};
	uint8_t buf[4096];
	size_t off = 0;

	for (size_t k = 0; off < STREAM_TOTAL; k++) {
		size_t n = stream_piece(k, cycle, 8, ch->msg_bytes, STREAM_TOTAL - off);

		if (chan_recv(ch, buf, n))
			return -1;
		for (size_t i = 0; i < n; i++)
			if (buf[i] != stream_byte(off + i))
				return -2;
		off += n;
	}
	return chan_send(ch, "k", 1);
}

static int bytestream_client(struct chan *ch)
{
	static const size_t cycle[] = {1, 3, 56, 57, 100, 7, 300, 64, 2000};
	uint8_t buf[4096];
	size_t off = 0;
	char k;

	for (size_t j = 0; off < STREAM_TOTAL; j++) {
		size_t n = stream_piece(j, cycle, 9, ch->msg_bytes, STREAM_TOTAL - off);

		for (size_t i = 0; i < n; i++)
			buf[i] = stream_byte(off + i);
		if (chan_send(ch, buf, n))
			return -1;
		off += n;
	}
	return chan_recv(ch, &k, 1) || k != 'k' ? -1 : 0;
}

static void case_bytestream(void)
{
	const struct transport_ops *ops = test_arg;
	struct chan_limits lim;
	const size_t msg[] = {40, 200, 4096};

	confcell_probe_or_skip(ops, &lim);
	if (ops->kind != CHAN_STREAM)
		SKIP("%s keeps record boundaries (see boundaries)", ops->name);
	if (no_payload(ops))
		SKIP("%s carries no payload", ops->name);
	if (ops->flags & TRANSPORT_CLIENT_STARTS_SERVER)
		SKIP("%s: the client starts the server as ipcbench's peer, not this test's child", ops->name);
	setup();
	for (int i = 0; i < 3; i++) {
		test_context("%s, messages of up to %zu bytes", ops->name, msg[i]);
		direct_pair(ops, msg[i], bytestream_server, bytestream_client);
	}
	teardown();
}

static int boundary_server(struct chan *ch)
{
	char buf[64];

	/* 10 then 20 bytes arrive as two records of exactly those sizes */
	if (chan_recv(ch, buf, 10) || memcmp(buf, "0123456789", 10))
		return -1;
	if (chan_recv(ch, buf, 20) || memcmp(buf, "abcdefghijklmnopqrst", 20))
		return -1;
	/* a 5-byte record read as 30 bytes is a protocol error, not a short read */
	if (chan_recv(ch, buf, 30) != -EPROTO)
		return -1;
	return chan_send(ch, "k", 1);
}

static int boundary_client(struct chan *ch)
{
	char k;

	if (chan_send(ch, "0123456789", 10) || chan_send(ch, "abcdefghijklmnopqrst", 20) || chan_send(ch, "short", 5))
		return -1;
	return chan_recv(ch, &k, 1) || k != 'k' ? -1 : 0;
}

static void case_boundaries(void)
{
	const struct transport_ops *ops = test_arg;
	struct chan_limits lim;

	confcell_probe_or_skip(ops, &lim);
	if (ops->kind != CHAN_MESSAGE)
		SKIP("%s is a byte stream: no record boundaries", ops->name);
	if (no_payload(ops))
		SKIP("%s carries no payload: every message is 0 bytes (test_wake.c)", ops->name);
	setup();
	direct_pair(ops, 64, boundary_server, boundary_client);
	teardown();
}

static void case_peer_dies(void)
{
	const struct transport_ops *ops = test_arg;
	struct chan_limits lim;
	struct cell_config cfg;
	struct cell_result res;
	struct timespec a, b;
	struct faulty f;

	confcell_probe_or_skip(ops, &lim);
	if (ops->flags & TRANSPORT_CLIENT_STARTS_SERVER)
		SKIP("%s: the server is ipcbench's peer, beyond this test's fault injection (test_peers kills it)",
		     ops->name);
	setup();
	cfg = base_cfg(ops, size_for(ops, 64));
	cfg.iterations = 1000000;
	cfg.timeout_ms = 3000;
	cfg.ops = faulty_wrap(&f, ops, &(struct faulty_config){.kind = FAULTY_EXIT, .role = CHAN_SERVER, .at = 10});
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_OK(cell_run(&cfg, &res));
	clock_gettime(CLOCK_MONOTONIC, &b);
	CHECK_MSG(res.status == CELL_ERROR, "status %s", cell_status_name(res.status));
	CHECK_MSG(strstr(res.reason, "server exited with status 3"), "reason: %s", res.reason);
	CHECK_MSG(b.tv_sec - a.tv_sec < 8, "took %ld s", (long)(b.tv_sec - a.tv_sec));
	cell_result_release(&res);
	teardown();
}

/* What exists now: SysV ids, ipcbench names in /dev/shm and /dev/mqueue, the run dir, our fds. */
static void snapshot(char *out, size_t outlen)
{
	static const char *const dirs[] = {"/dev/shm", "/dev/mqueue", NULL, "/proc/self/fd"};
	static const char *const sysv[] = {"/proc/sysvipc/msg", "/proc/sysvipc/shm", "/proc/sysvipc/sem"};
	size_t n = 0;

	out[0] = 0;
	for (int i = 0; i < 3; i++) {
		FILE *f = fopen(sysv[i], "re");
		char line[512];

		if (!f)
			continue;
		while (fgets(line, sizeof(line), f) && n + 64 < outlen) {
			long key, id;

			if (sscanf(line, "%ld %ld", &key, &id) == 2)
				n += (size_t)snprintf(out + n, outlen - n, "sysv%d:%ld ", i, id);
		}
		fclose(f);
	}
	for (int i = 0; i < 4; i++) {
		const char *d = i == 2 ? run_dir : dirs[i];
		DIR *dir = opendir(d);
		struct dirent *e;

		if (!dir)
			continue;
		while ((e = readdir(dir)) && n + 300 < outlen) {
			if (e->d_name[0] == '.' || (i < 2 && !strstr(e->d_name, "ipcbench")))
				continue;
			n += (size_t)snprintf(out + n, outlen - n, "%s/%s ", d, e->d_name);
		}
		closedir(dir);
	}
}

static void case_cleanup(void)
{
	const struct transport_ops *ops = test_arg;
	static char before[65536], after[65536];
	static const struct faulty_config exit_at_5 = {.kind = FAULTY_EXIT, .role = CHAN_SERVER, .at = 5};
	struct chan_limits lim;
	size_t sizes[] = {64, 1u << 20};
	struct faulty f;

	confcell_probe_or_skip(ops, &lim);
	setup();
	for (size_t i = 0; i < 2; i++) {
		for (int fault = 0; fault < 2; fault++) {
			struct cell_config cfg = base_cfg(ops, size_for(ops, sizes[i]));
			struct cell_result res;

			if ((lim.max_msg_bytes && sizes[i] > lim.max_msg_bytes) || (no_payload(ops) && i))
				continue;
			if (fault && (ops->flags & TRANSPORT_CLIENT_STARTS_SERVER))
				continue; /* its server is ipcbench's peer: test_peers kills it */
			cfg.iterations = 30;
			if (fault)
				cfg.ops = faulty_wrap(&f, ops, &exit_at_5);
			cfg.timeout_ms = 3000;
			snapshot(before, sizeof(before));
			CHECK_OK(cell_run(&cfg, &res));
			snapshot(after, sizeof(after));
			test_context("%s %zu bytes%s", ops->name, cfg.msg_bytes, fault ? ", server killed" : "");
			CHECK_MSG(res.status == (fault ? CELL_ERROR : CELL_OK), "status %s: %s",
				  cell_status_name(res.status), res.reason);
			CHECK_EQ_STR(after, before);
			cell_result_release(&res);
		}
	}
	teardown();
}

static void case_destroy_zeroed(void)
{
	const struct transport_ops *ops = test_arg;
	struct chan ch = {.ops = ops, .run_dir = "/nonexistent", .tag = "ipcbench-zero"};
	struct stat st;

	ch.priv = calloc(1, ops->priv_size ? ops->priv_size : 1);
	chan_destroy(&ch);
	chan_destroy(&ch);
	CHECK_MSG(fstat(0, &st) == 0, "destroy of a zeroed channel closed fd 0");
	chan_close(&ch);
	chan_close(&ch);
}

static void case_spin(void)
{
	const struct transport_ops *ops = test_arg;
	struct chan_limits lim;
	struct cell_config cfg;
	struct cell_result res;

	confcell_probe_or_skip(ops, &lim);
	if (!(ops->flags & (TRANSPORT_CAN_SPIN | TRANSPORT_SPIN)))
		SKIP("%s cannot busy-poll", ops->name);
	setup();
	cfg = base_cfg(ops, 4097);
	cfg.wait = CHAN_WAIT_SPIN;
	run_ok(&cfg, &res);
	cell_result_release(&res);
	teardown();
}

/* A message of exactly the probed limit goes through (the roundtrip case stops at 1 MiB). */
static void case_limit(void)
{
	const struct transport_ops *ops = test_arg;
	struct chan_limits lim;
	struct cell_config cfg;
	struct cell_result res;

	confcell_probe_or_skip(ops, &lim);
	if (!lim.max_msg_bytes || lim.max_msg_bytes <= (1u << 20) || lim.max_msg_bytes > (64u << 20))
		SKIP("%s: limit %zu is covered by roundtrip (or none)", ops->name, lim.max_msg_bytes);
#if defined(__SANITIZE_ADDRESS__)
	/* under ASan a 64 MiB D-Bus message takes some 10 s a round trip; the plain build runs it */
	if (lim.max_msg_bytes > (16u << 20))
		SKIP("%s: a %zu-byte message is left to the build without sanitizers", ops->name, lim.max_msg_bytes);
#endif
	setup();
	cfg = base_cfg(ops, lim.max_msg_bytes);
	cfg.warmup = 1;
	cfg.iterations = 3; /* the largest message, four times each way: it is carried, and whole */
	/* a 64 MiB message through a library (D-Bus) under ASan on a loaded machine takes seconds:
	 * no progress for 4 s, plus 1 s per 4 MiB, is a hung peer */
	cfg.timeout_ms = 4000 + (int)(lim.max_msg_bytes >> 22) * 1000;
	test_context("%s at its limit, %zu bytes (%s)", ops->name, lim.max_msg_bytes, lim.note);
	run_ok(&cfg, &res);
	cell_result_release(&res);
	teardown();
}

static const struct {
	const char *name;
	void (*fn)(void);
	int timeout_s;
} kinds[] = {
	{"roundtrip", case_roundtrip, 120},
	{"stream", case_stream, 60},
	{"bytestream", case_bytestream, 60},
	{"boundaries", case_boundaries, 20},
	{"peer_dies", case_peer_dies, 30},
	{"cleanup", case_cleanup, 60},
	{"destroy_zeroed", case_destroy_zeroed, 10},
	{"spin", case_spin, 30},
	{"limit", case_limit, 30},
};

/* transports/skeleton.c: unregistered, run through the same cases as the registered ones */
extern const struct transport_ops skeleton_ops;

int main(int argc, char **argv)
{
	size_t nk = sizeof(kinds) / sizeof(kinds[0]), n = 0, nt = transport_count + 1;
	struct test_case *cases = calloc(nt * nk, sizeof(*cases));

	for (size_t t = 0; t < nt; t++) {
		const struct transport_ops *ops = t < transport_count ? transport_table[t] : &skeleton_ops;

		for (size_t k = 0; k < nk; k++) {
			char *name;

			if (asprintf(&name, "%s/%s", ops->name, kinds[k].name) < 0)
				return 2;
			cases[n++] = (struct test_case){name, kinds[k].fn, kinds[k].timeout_s, ops};
		}
	}
	int rc = test_main(argc, argv, cases, n);

	for (size_t i = 0; i < n; i++)
		free((char *)cases[i].name);
	free(cases);
	return rc;
}
