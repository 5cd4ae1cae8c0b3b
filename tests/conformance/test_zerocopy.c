/*
 * test_zerocopy.c - the zero-copy transports (vmsplice, cma, memfd) beyond
 * the common conformance cases, which test_transports.c runs for them too.
 * vmsplice runs every case below once per receiver (recv=read, splice,
 * vmsplice: the cases are named vmsplice/..., vmsplice:recv=splice/...).
 *
 *  pingpong      cells through the harness at 64 KiB, 1 MiB and 16 MiB: the
 *                client compares every echoed byte
 *  stream        the same sizes one way through the harness
 *  verified      one way, every byte checked by the receiver, with the
 *                sender overwriting its whole buffer the moment send()
 *                returns (what the harness may do): a transport that still
 *                references the buffer after send() delivers wrong bytes
 *  killed        the peer SIGKILLed while 16 MiB messages flow: the other
 *                side fails with an error (EPIPE) in time, no hang; and the
 *                harness's own dying server at 16 MiB in both patterns
 *  leftovers     a side that ran in this process leaves no fd, no mapping
 *                and no memfd after destroy
 *  cma_policy    every ptrace_scope value maps to the verdict and message
 *                it should, and probe() agrees with the live host
 *  cma_refused   a real refusal: two processes without CAP_SYS_PTRACE,
 *                the sender not dumpable: recv is -EPERM naming the
 *                policy, the sender is released; dumpable again, it works
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/clock.h"
#include "harness/harness.h"
#include "tests/conformance/confcell.h"
#include "tests/conformance/faulty.h"
#include "tests/runner.h"
#include "transports/transport.h"
#include "transports/zerocopy.h"

extern const struct transport_ops vmsplice_ops, cma_ops, memfd_ops;

/* A case's test_arg: a transport and the options it runs with (vmsplice: each recv= mode). */
struct zc_variant {
	const struct transport_ops *ops;
	struct chan_opts opts;
};

#define ZC_RECV(mode)                                     \
	{                                                 \
		&vmsplice_ops,                            \
		{                                         \
			.given = 1u << 0, .val = { mode } \
		}                                         \
	} /* vmsplice's recv= index */
static const struct zc_variant zc[] = {
	{&vmsplice_ops, {0}}, ZC_RECV(1), ZC_RECV(2), {&cma_ops, {0}}, {&memfd_ops, {0}},
};

/* The running case's options: every channel and cell of the case uses them. */
static struct chan_opts opts_now;

static const struct transport_ops *arg_ops(void)
{
	const struct zc_variant *v = test_arg;

	opts_now = v->opts;
	return v->ops;
}

#define MIB (1u << 20)
static char run_dir[4096];

static void setup(const struct transport_ops *ops)
{
	struct chan_limits lim;

	confcell_probe_or_skip(ops, &lim);
	clock_setup(true);
	if (rundir_create(run_dir, sizeof(run_dir)))
		test_fail(__FILE__, __LINE__, "cannot create a run directory");
}

static struct cell_config cfg_for(const struct transport_ops *ops, enum pattern p, size_t size)
{
	struct cell_config c = confcell_config(ops, p, size, run_dir);

	c.opts = opts_now;

	/* megabytes a message: fewer of them, and more time */
	c.warmup = 2;
	c.iterations = size >= 16 * MIB ? 6 : 40;
	c.timeout_ms = 10000;
	return c;
}

static void run_sizes(enum pattern p)
{
	const struct transport_ops *ops = arg_ops();
	const size_t sizes[] = {64 << 10, MIB, 16 * MIB};

	setup(ops);
	for (size_t i = 0; i < 3; i++) {
		struct cell_config cfg = cfg_for(ops, p, sizes[i]);
		struct cell_result res;

		CHECK_OK(cell_run(&cfg, &res));
		test_context("%s %s %zu bytes", ops->name, pattern_name(p), sizes[i]);
		CHECK_MSG(res.status == CELL_OK, "status %s: %s", cell_status_name(res.status), res.reason);
		CHECK_EQ_U64(res.count, cfg.iterations);
		CHECK_NEAR(res.bytes_per_sec, res.msgs_per_sec * (double)sizes[i], res.bytes_per_sec * 1e-9);
		cell_result_release(&res);
	}
	rundir_remove(run_dir);
}

static void case_pingpong(void)
{
	run_sizes(PATTERN_PINGPONG);
}

static void case_stream(void)
{
	run_sizes(PATTERN_STREAM);
}

/* ---- driving a channel directly: this process is the client ---- */

static struct chan chan_for(const struct transport_ops *ops, size_t msg_bytes)
{
	struct chan ch = {.ops = ops,
			  .opts = opts_now,
			  .msg_bytes = msg_bytes,
			  .run_dir = run_dir,
			  .tag = "ipcbench-zc-test",
			  .timeout_ms = 5000};

	chan_probe(&ch, ops);
	return ch;
}

static void *map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK_MSG(p != MAP_FAILED, "mmap %zu bytes", len);
	return p;
}

/* Message seq: every 8-byte word depends on the sequence and its place. */
static void fill(uint64_t *w, size_t len, uint64_t seq)
{
	for (size_t i = 0; i < len / 8; i++)
		w[i] = (seq << 40) ^ (i * 0x9e3779b97f4a7c15ull);
	for (size_t i = len / 8 * 8; i < len; i++)
		((uint8_t *)w)[i] = (uint8_t)(seq + i);
}

struct verified {
	size_t len;
	unsigned int count;
};

/* The server child: receive count messages and compare every byte; exit status says how it went. */
static int verified_server(struct chan *ch, const struct verified *v)
{
	uint8_t *got = map(v->len), *want = map(v->len);

	for (unsigned int s = 0; s < v->count; s++) {
		if (chan_recv(ch, got, v->len))
			return 11;
		fill((uint64_t *)want, v->len, s);
		if (memcmp(got, want, v->len))
			return 12;
	}
	return chan_send(ch, "k", 1) ? 13 : 0;
}

static int verified_client(struct chan *ch, const struct verified *v)
{
	uint8_t *buf = map(v->len);
	char k;
	int r = 0;

	for (unsigned int s = 0; s < v->count && !r; s++) {
		fill((uint64_t *)buf, v->len, s);
		r = chan_send(ch, buf, v->len);
		memset(buf, 0xee, v->len); /* the harness may reuse its buffer at once */
	}
	if (!r)
		r = chan_recv(ch, &k, 1);
	munmap(buf, v->len);
	return r;
}

static void verified_pair(const struct transport_ops *ops, const struct verified *v)
{
	struct chan ch = chan_for(ops, v->len);
	pid_t pid;
	int st, r;

	CHECK_MSG(chan_open(&ch, ops) == 0, "create: %s", ch.errmsg);
	pid = fork();
	if (pid == 0) {
		if (chan_attach(&ch, CHAN_SERVER))
			_exit(10);
		r = verified_server(&ch, v);
		chan_detach(&ch);
		_exit(r);
	}
	r = chan_attach(&ch, CHAN_CLIENT);
	if (!r)
		r = verified_client(&ch, v);
	if (r)
		kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	test_context("%s, %u messages of %zu bytes", ops->name, v->count, v->len);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "server: status 0x%x (12: wrong bytes arrived)", st);
	CHECK_MSG(r == 0, "client side: %s", ch.errmsg);
	chan_close(&ch);
}

static void case_verified(void)
{
	const struct transport_ops *ops = arg_ops();
	/* odd sizes: partial pages, a tail shorter and longer than a pipe-full */
	const struct verified v[] = {{1, 300}, {4097, 300}, {65537, 100}, {MIB + 3, 20}, {16 * MIB + 7, 4}};

	setup(ops);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		verified_pair(ops, &v[i]);
	rundir_remove(run_dir);
}

/* The server receives one 16 MiB message, then is killed; the client keeps sending. */
static void case_killed(void)
{
	const struct transport_ops *ops = arg_ops();
	const size_t len = 16 * MIB;
	struct chan ch;
	struct timespec a, b;
	uint8_t *buf;
	pid_t pid;
	int st, r = 0;

	setup(ops);
	ch = chan_for(ops, len);
	buf = map(len);
	CHECK_MSG(chan_open(&ch, ops) == 0, "create: %s", ch.errmsg);
	pid = fork();
	if (pid == 0) {
		if (chan_attach(&ch, CHAN_SERVER) || chan_recv(&ch, buf, len))
			_exit(10);
		raise(SIGKILL);
	}
	CHECK_OK(chan_attach(&ch, CHAN_CLIENT));
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 20 && !r; i++)
		r = chan_send(&ch, buf, len);
	if (!r)
		r = chan_recv(&ch, buf, len);
	clock_gettime(CLOCK_MONOTONIC, &b);
	waitpid(pid, &st, 0);
	test_context("%s", ops->name);
	CHECK_MSG(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "server status 0x%x", st);
	CHECK_MSG(r < 0, "sending to a killed peer succeeded");
	CHECK_MSG(r == -EPIPE || r == -ECONNRESET, "error %d: %s", r, ch.errmsg);
	CHECK_MSG(b.tv_sec - a.tv_sec < 5, "took %ld s", (long)(b.tv_sec - a.tv_sec));
	chan_close(&ch);
	/* the harness's own dying server, at 16 MiB, in both patterns */
	for (int p = 0; p < 2; p++) {
		struct faulty f;
		struct cell_config cfg = cfg_for(ops, p ? PATTERN_STREAM : PATTERN_PINGPONG, len);
		struct cell_result res;

		cfg.iterations = 1000;
		cfg.timeout_ms = 3000;
		cfg.ops = faulty_wrap(&f, ops,
				      &(struct faulty_config){.kind = FAULTY_EXIT, .role = CHAN_SERVER, .at = 3});
		CHECK_OK(cell_run(&cfg, &res));
		CHECK_MSG(res.status == CELL_ERROR, "%s: status %s", pattern_name(cfg.pattern),
			  cell_status_name(res.status));
		CHECK_MSG(strstr(res.reason, "server exited with status 3"), "reason: %s", res.reason);
		cell_result_release(&res);
	}
	munmap(buf, len);
	rundir_remove(run_dir);
}

/*
 * ASan's allocator maps memory of its own as the test runs: under it only
 * the fds and memfd mappings are compared, not the whole list of mappings.
 */
#if defined(__SANITIZE_ADDRESS__)
#define ZC_MAPS_STABLE false
#else
#define ZC_MAPS_STABLE true
#endif

/* This process's fds and mappings, one line each ([heap] left out: malloc moves it). */
static size_t resources(char *out, size_t outlen, size_t *nmemfd)
{
	char line[512], link[256], path[64];
	size_t n = 0;
	FILE *f;

	*nmemfd = 0;
	out[0] = 0;
	for (int fd = 0; fd < 1024; fd++) {
		ssize_t k;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		k = readlink(path, link, sizeof(link) - 1);
		if (k < 0)
			continue;
		link[k] = 0;
		*nmemfd += strstr(link, "memfd:") != NULL;
		n += (size_t)snprintf(out + n, outlen - n, "fd %d %s\n", fd, link);
	}
	f = fopen("/proc/self/maps", "re");
	CHECK(f);
	while (fgets(line, sizeof(line), f) && n + sizeof(line) < outlen) {
		if (strstr(line, "[heap]"))
			continue;
		*nmemfd += strstr(line, "memfd:") != NULL;
		if (ZC_MAPS_STABLE)
			n += (size_t)snprintf(out + n, outlen - n, "%s", line);
	}
	fclose(f);
	return n;
}

static void case_leftovers(void)
{
	const struct transport_ops *ops = arg_ops();
	static char before[1 << 16], after[1 << 16];
	const struct verified v = {16 * MIB, 3};
	size_t m0, m1;

	setup(ops);
	resources(before, sizeof(before), &m0);
	verified_pair(ops, &v);
	resources(after, sizeof(after), &m1);
	CHECK_EQ_I64(m0, 0);
	CHECK_EQ_I64(m1, 0);
	CHECK_EQ_STR(after, before);
	rundir_remove(run_dir);
}

static void case_cma_policy(void)
{
	static const struct {
		long scope;
		bool cap;
		int want;
		const char *says;
	} t[] = {
		{-1, false, 0, "classic ptrace rules"},
		{0, false, 0, "ptrace_scope=0"},
		{1, false, 0, "PR_SET_PTRACER"},
		{2, true, 0, "CAP_SYS_PTRACE"},
		{2, false, -EPERM, "sysctl kernel.yama.ptrace_scope=1"},
		{3, true, -EPERM, "reboot"},
		{3, false, -EPERM, "cannot be lowered"},
		{4, true, -EPERM, "ptrace_scope=4"},
	};
	struct chan_limits lim;
	char why[300];
	long long scope = -1;
	int r;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		test_context("scope %ld, CAP_SYS_PTRACE %d", t[i].scope, t[i].cap);
		CHECK_EQ_I64(cma_policy_verdict(t[i].scope, t[i].cap, why, sizeof(why)), t[i].want);
		CHECK_MSG(strstr(why, t[i].says), "\"%s\" does not say \"%s\"", why, t[i].says);
	}
	/* the live host: probe() is unavailable exactly when the verdict refuses */
	if (access("/proc/sys/kernel/yama/ptrace_scope", F_OK) == 0) {
		FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");

		CHECK(f && fscanf(f, "%lld", &scope) == 1);
		fclose(f);
	}
	r = cell_probe(&cma_ops, &lim, why, sizeof(why));
	test_context("this host, scope %lld: %s", scope, r ? why : lim.note);
	if (scope == 3 || (scope == 2 && geteuid() != 0))
		CHECK_MSG(r != 0 && strstr(why, "ptrace_scope"), "probe: %d", r);
	else
		CHECK_MSG(r == 0 && strstr(lim.note, scope < 0 ? "no Yama" : "ptrace_scope"), "probe: %d %s", r, why);
}

/* Become nobody: no capabilities, and (a changed uid) not dumpable until asked. */
static int drop_to_nobody(bool dumpable)
{
	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		return -1;
	return prctl(PR_SET_DUMPABLE, dumpable ? 1 : 0, 0, 0, 0);
}

/* Server: recv must fail with -EPERM naming the policy (refused) or deliver "hello" (allowed). */
static int refused_server(struct chan *ch, bool refused)
{
	char buf[5];
	int r;

	if (drop_to_nobody(true) || chan_attach(ch, CHAN_SERVER))
		return 10;
	r = chan_recv(ch, buf, 5);
	if (refused)
		return r == -EPERM && strstr(ch->errmsg, "ptrace policy") ? 0 : 11;
	return r == 0 && !memcmp(buf, "hello", 5) ? 0 : 12;
}

static void cma_pair(bool refused)
{
	struct chan ch = chan_for(&cma_ops, 5);
	pid_t srv, cli;
	int st_s, st_c;

	CHECK_MSG(chan_open(&ch, &cma_ops) == 0, "create: %s", ch.errmsg);
	srv = fork();
	if (srv == 0)
		_exit(refused_server(&ch, refused));
	cli = fork();
	if (cli == 0) {
		/* a sender that is not dumpable cannot be read by a peer without CAP_SYS_PTRACE */
		if (drop_to_nobody(!refused) || chan_attach(&ch, CHAN_CLIENT))
			_exit(10);
		_exit(chan_send(&ch, "hello", 5) ? 11 : 0);
	}
	waitpid(srv, &st_s, 0);
	waitpid(cli, &st_c, 0);
	chan_close(&ch);
	test_context("cma, sender %s", refused ? "not dumpable" : "dumpable");
	CHECK_MSG(WIFEXITED(st_s) && WEXITSTATUS(st_s) == 0, "server status 0x%x", st_s);
	CHECK_MSG(WIFEXITED(st_c) && WEXITSTATUS(st_c) == 0, "client status 0x%x (it must be released)", st_c);
}

static void case_cma_refused(void)
{
	if (geteuid() != 0)
		SKIP("needs root to become two unprivileged processes");
	setup(&cma_ops);
	cma_pair(true);
	cma_pair(false);
	rundir_remove(run_dir);
}

static const struct {
	const char *name;
	void (*fn)(void);
	int timeout_s;
} kinds[] = {
	{"pingpong", case_pingpong, 120}, {"stream", case_stream, 120},	     {"verified", case_verified, 120},
	{"killed", case_killed, 60},	  {"leftovers", case_leftovers, 60},
};

int main(int argc, char **argv)
{
	const size_t nk = sizeof(kinds) / sizeof(kinds[0]), nt = sizeof(zc) / sizeof(zc[0]);
	struct test_case *cases;
	struct sigaction ign = {.sa_handler = SIG_IGN};
	size_t n = 0;
	int rc;

	if (transport_option_find(&vmsplice_ops, "recv") != 0) /* ZC_RECV's index */
		return 2;
	cases = calloc(nt * nk + 2, sizeof(*cases));
	/* as the harness's children do: a dead peer's pipe is an error, not a signal */
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, NULL);
	for (size_t t = 0; t < nt; t++) {
		for (size_t k = 0; k < nk; k++) {
			char *name, variant[64];

			transport_variant_name(zc[t].ops, &zc[t].opts, true, variant, sizeof(variant));
			if (asprintf(&name, "%s/%s", variant, kinds[k].name) < 0)
				return 2;
			cases[n++] = (struct test_case){name, kinds[k].fn, kinds[k].timeout_s, &zc[t]};
		}
	}
	cases[n++] = (struct test_case){strdup("cma/policy"), case_cma_policy, 10, NULL};
	cases[n++] = (struct test_case){strdup("cma/refused"), case_cma_refused, 20, NULL};
	rc = test_main(argc, argv, cases, n);
	for (size_t i = 0; i < n; i++)
		free((char *)cases[i].name);
	free(cases);
	return rc;
}
