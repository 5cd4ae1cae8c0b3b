/*
 * test_web.c - the web transports (http, http2, websocket, issue 16)
 * beyond what test_transports.c runs for every transport.
 *
 *  wskey       SHA-1 against FIPS 180-4's examples, base64 against RFC
 *              4648's, the accept value against RFC 6455's example, and
 *              base64 input the decoder must refuse
 *  roundtrip   every transport over tcp and unix (and websocket with
 *              fragmented messages): verified round trips at 1, 4097,
 *              65536 bytes and 1 MiB, and nothing left in the run directory
 *  peer_dies   a server killed mid-cell is an error within the timeout,
 *              and leaves nothing behind, over tcp and unix
 *  threads     the client in this process: the threads it runs after
 *              attach and after detach (none left), the server's likewise,
 *              and no fd left
 *  reuse       http and http2 fail their cell when libcurl's connection
 *              is not reused (the client made to close it after each
 *              request): the check exists
 *  stream_long http2's one-way stream past 1000 POSTs (1300 of 64 B, over
 *              tcp and unix): every one acknowledged without libcurl
 *              resetting its stream, which nghttp2's rapid-reset limit
 *              (1000) ended in GOAWAY before the one-byte acknowledgement
 *  accept      the WebSocket client refuses a wrong Sec-WebSocket-Accept
 *  raw_of      each names tcp, or unix with net=unix
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/clock.h"
#include "harness/harness.h"
#include "tests/conformance/confcell.h"
#include "tests/conformance/faulty.h"
#include "tests/runner.h"
#include "transports/curlcli.h"
#include "transports/transport.h"
#include "transports/wskey.h"

extern const struct transport_ops http_ops, http2_ops, websocket_ops;
extern bool websocket_test_bad_accept;

struct variant {
	const struct transport_ops *ops;
	struct chan_opts opts;
	const char *label;
};

/* option 0 is net (1: unix) on all three; websocket's option 1 is frag */
static const struct variant variants[] = {
	{&http_ops, {0}, "http"},
	{&http_ops, {.given = 1, .val = {1}}, "http:net=unix"},
	{&http2_ops, {0}, "http2"},
	{&http2_ops, {.given = 1, .val = {1}}, "http2:net=unix"},
	{&websocket_ops, {0}, "websocket"},
	{&websocket_ops, {.given = 1, .val = {1}}, "websocket:net=unix"},
	{&websocket_ops, {.given = 3, .val = {1, 4096}}, "websocket:net=unix:frag=4k"},
	{&websocket_ops, {.given = 2, .val = {0, 1000}}, "websocket:frag=1000"},
};
#define NVARIANTS (sizeof(variants) / sizeof(variants[0]))

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

/* Entries in the run directory and fds of this process, as one string. */
static void leftovers(char *out, size_t outlen)
{
	const char *dirs[] = {run_dir, "/proc/self/fd"};
	size_t n = 0;

	out[0] = 0;
	for (int i = 0; i < 2; i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *e;

		if (!d)
			continue;
		while ((e = readdir(d)) && n + 300 < outlen)
			if (e->d_name[0] != '.')
				n += (size_t)snprintf(out + n, outlen - n, "%s/%s ", dirs[i], e->d_name);
		closedir(d);
	}
}

static struct cell_config cell(const struct variant *v, size_t size, uint64_t iterations)
{
	struct cell_config cfg = confcell_config(v->ops, PATTERN_PINGPONG, size, run_dir);

	cfg.opts = v->opts;
	cfg.warmup = 2;
	cfg.iterations = iterations;
	cfg.timeout_ms = 3000;
	return cfg;
}

static void case_wskey(void)
{
	static const struct {
		const char *in, *hex;
	} sha[] = {
		{"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
		{"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		 "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
	};
	static const char *const b64[][2] = {{"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foobar", "Zm9vYmFy"}};
	static const char *const bad[] = {"Zg=", "Z===", "Zm9v!A==", "Zg==Zg==", "=Zg="};
	char hex[41], text[64], acc[WSKEY_ACCEPT_TEXT];
	uint8_t md[WSKEY_SHA1_BYTES], dec[16];
	struct wskey_sha1 s;

	for (size_t i = 0; i < 4; i++) {
		wskey_sha1_init(&s);
		if (i < 3) {
			wskey_sha1_update(&s, sha[i].in, strlen(sha[i].in));
		} else { /* a million 'a', fed in uneven pieces */
			static char a[1001];

			memset(a, 'a', sizeof(a));
			for (int k = 0; k < 1000; k++)
				wskey_sha1_update(&s, a, k % 2 ? 999 : 1001);
		}
		wskey_sha1_final(&s, md);
		for (int k = 0; k < 20; k++)
			snprintf(hex + 2 * k, 3, "%02x", md[k]);
		CHECK_EQ_STR(hex, i < 3 ? sha[i].hex : "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
	}
	for (size_t i = 0; i < 4; i++) {
		wskey_base64_encode(b64[i][0], strlen(b64[i][0]), text);
		CHECK_EQ_STR(text, b64[i][1]);
		CHECK_EQ_I64(wskey_base64_decode(b64[i][1], dec, sizeof(dec)), (long)strlen(b64[i][0]));
		CHECK(!memcmp(dec, b64[i][0], strlen(b64[i][0])));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_MSG(wskey_base64_decode(bad[i], dec, sizeof(dec)) == -1, "decoded %s", bad[i]);
	wskey_accept("dGhlIHNhbXBsZSBub25jZQ==", acc); /* RFC 6455 section 1.3 */
	CHECK_EQ_STR(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static void case_roundtrip(void)
{
	const struct variant *v = test_arg;
	static const size_t sizes[] = {1, 4097, 65536, 1u << 20};
	static char before[16384], after[16384];
	struct chan_limits lim;

	confcell_probe_or_skip(v->ops, &lim);
	setup();
	leftovers(before, sizeof(before));
	for (size_t i = 0; i < 4; i++) {
		struct cell_config cfg = cell(v, sizes[i], sizes[i] > 65536 ? 5 : 20);
		struct cell_result res;

		CHECK_OK(cell_run(&cfg, &res));
		test_context("%s %zu bytes", v->label, sizes[i]);
		CHECK_MSG(res.status == CELL_OK, "status %s: %s", cell_status_name(res.status), res.reason);
		CHECK_EQ_U64(res.count, cfg.iterations);
		CHECK_EQ_I64(res.latency.total_count, cfg.iterations);
		cell_result_release(&res);
	}
	leftovers(after, sizeof(after));
	CHECK_EQ_STR(after, before);
	teardown();
}

static void case_peer_dies(void)
{
	const struct variant *v = test_arg;
	static char before[16384], after[16384];
	struct chan_limits lim;
	struct cell_config cfg;
	struct cell_result res;
	struct faulty f;

	confcell_probe_or_skip(v->ops, &lim);
	setup();
	leftovers(before, sizeof(before));
	cfg = cell(v, 4096, 100000);
	cfg.ops = faulty_wrap(&f, v->ops, &(struct faulty_config){.kind = FAULTY_EXIT, .role = CHAN_SERVER, .at = 5});
	CHECK_OK(cell_run(&cfg, &res));
	test_context("%s, server killed", v->label);
	CHECK_MSG(res.status == CELL_ERROR, "status %s", cell_status_name(res.status));
	CHECK_MSG(strstr(res.reason, "server exited with status 3"), "reason: %s", res.reason);
	cell_result_release(&res);
	leftovers(after, sizeof(after));
	CHECK_EQ_STR(after, before);
	teardown();
}

static int task_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The server child: echoes n messages; exits 0, or 20 + the threads it had while attached, 40 + after detach. */
static int echo_server(struct chan *ch, int n, uint8_t *buf)
{
	int during, after;

	if (chan_attach(ch, CHAN_SERVER))
		return 10;
	for (int i = 0; i < n; i++)
		if (chan_recv(ch, buf, ch->msg_bytes) || chan_send(ch, buf, ch->msg_bytes))
			return 11;
	during = task_count();
	chan_detach(ch);
	after = task_count();
	if (during != 1)
		return 20 + during;
	return after != 1 ? 40 + after : 0;
}

static void case_threads(void)
{
	const struct variant *v = test_arg;
	static uint8_t sbuf[4096], rbuf[4096];
	static char before[16384], after[16384];
	struct chan ch = {.ops = v->ops, .opts = v->opts, .msg_bytes = 4096, .timeout_ms = 3000};
	struct chan_limits lim;
	int st = 0, r, during = -1;
	pid_t pid;

	confcell_probe_or_skip(v->ops, &lim);
	setup();
	ch.run_dir = run_dir;
	ch.tag = "ipcbench-web-test";
	leftovers(before, sizeof(before));
	CHECK_MSG(chan_open(&ch, v->ops) == 0, "create: %s", ch.errmsg);
	pid = fork();
	if (pid == 0)
		_exit(echo_server(&ch, 10, rbuf));
	r = chan_attach(&ch, CHAN_CLIENT);
	for (int i = 0; !r && i < 10; i++) {
		memset(sbuf, 'a' + i, sizeof(sbuf));
		r = chan_send(&ch, sbuf, sizeof(sbuf));
		if (!r)
			r = chan_recv(&ch, rbuf, sizeof(rbuf));
		if (!r && memcmp(sbuf, rbuf, sizeof(sbuf)))
			r = -1;
	}
	if (!r)
		during = task_count();
	chan_detach(&ch);
	if (r)
		kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	chan_close(&ch);
	test_context("%s", v->label);
	CHECK_MSG(r == 0, "client: %d %s", r, ch.errmsg);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "server: status %d (20+n: n threads while attached, 40+n: "
		  "after detach)",
		  WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	CHECK_EQ_I64(during, 1); /* neither library starts a thread on the client */
	CHECK_EQ_I64(task_count(), 1);
	leftovers(after, sizeof(after));
	CHECK_EQ_STR(after, before);
	teardown();
}

static void case_reuse(void)
{
	const struct variant *v = test_arg;
	struct chan_limits lim;
	struct cell_config cfg;
	struct cell_result res;

	confcell_probe_or_skip(v->ops, &lim);
	setup();
	cfg = cell(v, 64, 10);
	curlcli_test_forbid_reuse = true;
	CHECK_OK(cell_run(&cfg, &res));
	curlcli_test_forbid_reuse = false;
	test_context("%s with the connection closed after each request", v->label);
	CHECK_MSG(res.status == CELL_ERROR, "status %s", cell_status_name(res.status));
	CHECK_MSG(strstr(res.reason, "not reused"), "reason: %s", res.reason);
	cell_result_release(&res);
	teardown();
}

static void case_accept(void)
{
	const struct variant *v = test_arg;
	struct chan_limits lim;
	struct cell_config cfg;
	struct cell_result res;

	confcell_probe_or_skip(v->ops, &lim);
	setup();
	cfg = cell(v, 64, 10);
	websocket_test_bad_accept = true;
	CHECK_OK(cell_run(&cfg, &res));
	websocket_test_bad_accept = false;
	test_context("%s with a wrong Sec-WebSocket-Accept", v->label);
	CHECK_MSG(res.status == CELL_ERROR, "status %s", cell_status_name(res.status));
	CHECK_MSG(strstr(res.reason, "Sec-WebSocket-Accept") && strstr(res.reason, "refused"), "reason: %s",
		  res.reason);
	cell_result_release(&res);
	teardown();
}

static void case_raw_of(void)
{
	for (size_t i = 0; i < NVARIANTS; i++) {
		const struct variant *v = &variants[i];

		CHECK_MSG(v->ops->raw_of, "%s has no raw_of", v->label);
		CHECK_EQ_STR(v->ops->raw_of(&v->opts), (v->opts.given & 1) && v->opts.val[0] ? "unix" : "tcp");
	}
}

static void case_stream_long(void)
{
	const struct variant *v = test_arg;
	struct chan_limits lim;
	struct cell_config cfg;
	struct cell_result res;

	confcell_probe_or_skip(v->ops, &lim);
	setup();
	cfg = cell(v, 64, 1300);
	cfg.pattern = PATTERN_STREAM;
	CHECK_OK(cell_run(&cfg, &res));
	test_context("%s stream of %llu POSTs", v->label, (unsigned long long)cfg.iterations);
	CHECK_MSG(res.status == CELL_OK, "status %s: %s", cell_status_name(res.status), res.reason);
	CHECK_EQ_U64(res.count, cfg.iterations);
	cell_result_release(&res);
	teardown();
}

int main(int argc, char **argv)
{
	struct test_case cases[4 * NVARIANTS + 8];
	static char names[4 * NVARIANTS + 8][64];
	size_t n = 0;

	cases[n++] = (struct test_case){"wskey", case_wskey, 20, NULL};
	cases[n++] = (struct test_case){"raw_of", case_raw_of, 10, NULL};
	for (size_t i = 0; i < NVARIANTS; i++) {
		const struct variant *v = &variants[i];
		static const struct {
			const char *what;
			void (*fn)(void);
		} per[] = {{"roundtrip", case_roundtrip}, {"peer_dies", case_peer_dies}, {"threads", case_threads}};

		for (size_t k = 0; k < 3; k++) {
			snprintf(names[n], sizeof(names[n]), "%s/%s", v->label, per[k].what);
			cases[n] = (struct test_case){names[n], per[k].fn, 60, (void *)v};
			n++;
		}
	}
	cases[n++] = (struct test_case){"http/reuse", case_reuse, 30, (void *)&variants[0]};
	cases[n++] = (struct test_case){"http2:net=unix/reuse", case_reuse, 30, (void *)&variants[3]};
	cases[n++] = (struct test_case){"http2/stream_long", case_stream_long, 30, (void *)&variants[2]};
	cases[n++] = (struct test_case){"http2:net=unix/stream_long", case_stream_long, 30, (void *)&variants[3]};
	cases[n++] = (struct test_case){"websocket/accept", case_accept, 30, (void *)&variants[4]};
	cases[n++] = (struct test_case){"websocket:net=unix/accept", case_accept, 30, (void *)&variants[5]};
	return test_main(argc, argv, cases, n);
}
