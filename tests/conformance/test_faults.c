/*
 * test_faults.c - real transports wrapped in the corrupting transport
 * (faulty.h), run through cell_run() as the CLI runs them: every fault
 * must fail the cell (CELL_ERROR) with a reason that says what went wrong
 * and where, never pass as a fast wrong result and never hang.
 *
 *  none        the wrapper alone changes nothing: the cell passes
 *  <fault>     one flipped byte, a truncated, dropped, duplicated or
 *              reordered message, for byte-stream (pipe, socketpair) and
 *              message (unix_dgram, sysv_mq) transports, in the pingpong
 *              and stream patterns; in a closed loop (pingpong) a lost
 *              message can only show as a hung peer, and says so
 *  exit, hang  a server that dies or stops answering after N messages is
 *              an error within the timeout (these replace the fault hooks
 *              that production code once carried for the tests)
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/mono.h"
#include "harness/cleanup.h"
#include "harness/clock.h"
#include "harness/harness.h"
#include "tests/conformance/confcell.h"
#include "tests/conformance/faulty.h"
#include "tests/runner.h"
#include "transports/transport.h"

#define AT 10	       /* the message that goes wrong */
#define TIMEOUT_MS 600 /* the watchdog's patience in these cells (a hang costs this much per case) */
#define HUNG "no progress for 600 ms"

#define STREAM_KIND (1u << CHAN_STREAM)
#define MESSAGE_KIND (1u << CHAN_MESSAGE)
#define ANY_KIND (STREAM_KIND | MESSAGE_KIND)

/* One fault and what the reason must say (every non-NULL string, in any order). */
struct fault_case {
	const char *name;
	enum pattern pattern;
	unsigned kinds; /* the transport kinds the expectation is for */
	struct faulty_config fc;
	size_t msg_bytes; /* 0: 64 */
	const char *want[3];
};

static const struct fault_case fault_cases[] = {
	/* pingpong: the client compares the whole echo, the server the sequence */
	{"pingpong/flip_reply_body",
	 PATTERN_PINGPONG,
	 ANY_KIND,
	 {.kind = FAULTY_FLIP, .role = CHAN_CLIENT, .at = AT, .offset = 32},
	 0,
	 {"client: message 10: the echoed payload of 64 bytes differs from what was sent"}},
	{"pingpong/flip_reply_far_body",
	 PATTERN_PINGPONG,
	 ANY_KIND,
	 {.kind = FAULTY_FLIP, .role = CHAN_CLIENT, .at = AT, .offset = 5000},
	 8192,
	 {"client: message 10: the echoed payload of 8192 bytes differs"}},
	{"pingpong/flip_request_seq",
	 PATTERN_PINGPONG,
	 ANY_KIND,
	 {.kind = FAULTY_FLIP, .role = CHAN_SERVER, .at = AT, .offset = 0},
	 0,
	 {"server: message 10: arrived with sequence"}},
	{"pingpong/flip_request_tail",
	 PATTERN_PINGPONG,
	 ANY_KIND,
	 {.kind = FAULTY_FLIP, .role = CHAN_SERVER, .at = AT, .offset = -1},
	 0,
	 {"client: message 10: the echoed payload of 64 bytes differs"}},
	{"pingpong/duplicate_request",
	 PATTERN_PINGPONG,
	 ANY_KIND,
	 {.kind = FAULTY_DUPLICATE, .role = CHAN_CLIENT, .at = AT},
	 0,
	 {"server: message 11: arrived with sequence 10"}},
	{"pingpong/duplicate_reply",
	 PATTERN_PINGPONG,
	 ANY_KIND,
	 {.kind = FAULTY_DUPLICATE, .role = CHAN_SERVER, .at = AT},
	 0,
	 {"client: message 11: the echoed payload of 64 bytes differs"}},
	{"pingpong/drop_request",
	 PATTERN_PINGPONG,
	 ANY_KIND,
	 {.kind = FAULTY_DROP, .role = CHAN_CLIENT, .at = AT},
	 0,
	 {HUNG, "client at message 10, server at message 10"}},
	{"pingpong/drop_reply",
	 PATTERN_PINGPONG,
	 ANY_KIND,
	 {.kind = FAULTY_DROP, .role = CHAN_SERVER, .at = AT},
	 0,
	 {HUNG, "client at message 10, server at message 11"}},
	{"pingpong/reorder_request",
	 PATTERN_PINGPONG,
	 ANY_KIND,
	 {.kind = FAULTY_REORDER, .role = CHAN_CLIENT, .at = AT},
	 0,
	 {HUNG, "client at message 10"}},
	{"pingpong/truncate_request",
	 PATTERN_PINGPONG,
	 MESSAGE_KIND,
	 {.kind = FAULTY_TRUNCATE, .role = CHAN_CLIENT, .at = AT, .cut = 4},
	 0,
	 {"server: recv message 10: ", "60 bytes", "Protocol error"}},
	{"pingpong/truncate_request",
	 PATTERN_PINGPONG,
	 STREAM_KIND,
	 {.kind = FAULTY_TRUNCATE, .role = CHAN_CLIENT, .at = AT, .cut = 4},
	 0,
	 {HUNG, "client at message 10, server at message 10"}},
	{"pingpong/truncate_reply",
	 PATTERN_PINGPONG,
	 MESSAGE_KIND,
	 {.kind = FAULTY_TRUNCATE, .role = CHAN_SERVER, .at = AT, .cut = 4},
	 0,
	 {"client: recv message 10: ", "60 bytes", "Protocol error"}},
	/* stream: the server checks each message's sequence */
	{"stream/flip_seq",
	 PATTERN_STREAM,
	 ANY_KIND,
	 {.kind = FAULTY_FLIP, .role = CHAN_SERVER, .at = AT, .offset = 0},
	 0,
	 {"server: message 10: arrived with sequence"}},
	{"stream/duplicate",
	 PATTERN_STREAM,
	 ANY_KIND,
	 {.kind = FAULTY_DUPLICATE, .role = CHAN_CLIENT, .at = AT},
	 0,
	 {"server: message 11: arrived with sequence 10"}},
	{"stream/drop",
	 PATTERN_STREAM,
	 ANY_KIND,
	 {.kind = FAULTY_DROP, .role = CHAN_CLIENT, .at = AT},
	 0,
	 {"server: message 10: arrived with sequence 11"}},
	{"stream/reorder",
	 PATTERN_STREAM,
	 ANY_KIND,
	 {.kind = FAULTY_REORDER, .role = CHAN_CLIENT, .at = AT},
	 0,
	 {"server: message 10: arrived with sequence 11"}},
	{"stream/truncate",
	 PATTERN_STREAM,
	 MESSAGE_KIND,
	 {.kind = FAULTY_TRUNCATE, .role = CHAN_CLIENT, .at = AT, .cut = 4},
	 0,
	 {"server: recv message 10: ", "60 bytes", "Protocol error"}},
	/* a byte stream glues the short message to the next: its last bytes are the next one's first */
	{"stream/truncate",
	 PATTERN_STREAM,
	 STREAM_KIND,
	 {.kind = FAULTY_TRUNCATE, .role = CHAN_CLIENT, .at = AT, .cut = 4},
	 0,
	 {"server: message 10: the 64-byte payload differs from what was sent at byte 56"}},
	/* a server that dies or stops answering (the production hooks' cases) */
	{"pingpong/server_exits",
	 PATTERN_PINGPONG,
	 ANY_KIND,
	 {.kind = FAULTY_EXIT, .role = CHAN_SERVER, .at = 50},
	 0,
	 {"server exited with status 3 after 50 messages"}},
	{"stream/server_exits",
	 PATTERN_STREAM,
	 ANY_KIND,
	 {.kind = FAULTY_EXIT, .role = CHAN_SERVER, .at = 50},
	 0,
	 {"server exited with status 3 after 50 messages"}},
	{"pingpong/server_hangs",
	 PATTERN_PINGPONG,
	 ANY_KIND,
	 {.kind = FAULTY_HANG, .role = CHAN_SERVER, .at = 20},
	 0,
	 {HUNG, "server at message 20", "peer hung"}},
	{"stream/server_hangs",
	 PATTERN_STREAM,
	 ANY_KIND,
	 {.kind = FAULTY_HANG, .role = CHAN_SERVER, .at = 20},
	 0,
	 {HUNG, "server at message 20", "peer hung"}},
};

/* Fault cases run on these; exit and hang also on tcp, as the CLI tests did. */
static const char *const fault_transports[] = {"pipe", "socketpair", "unix_dgram", "sysv_mq", "tcp"};

static char run_dir[4096];

static const struct transport_ops *find(const char *name)
{
	const struct transport_ops *ops = transport_find(name);
	struct chan_limits lim;

	CHECK_MSG(ops, "transport %s is not registered", name);
	confcell_probe_or_skip(ops, &lim);
	return ops;
}

/* The run directory holds nothing but its marker once a cell is over, however it ended. */
static void check_run_dir_empty(void)
{
	DIR *d = opendir(run_dir);
	struct dirent *e;

	CHECK_MSG(d, "run directory %s: %s", run_dir, strerror(errno));
	while ((e = readdir(d)))
		CHECK_MSG(e->d_name[0] == '.' || !strcmp(e->d_name, RUNDIR_MARKER), "left in the run directory: %s",
			  e->d_name);
	closedir(d);
}

/* Runs ops wrapped with fc; the cell's status and reason in res (released by the caller). */
static void run_faulty(const struct transport_ops *ops, enum pattern p, size_t msg_bytes,
		       const struct faulty_config *fc, struct cell_result *res)
{
	struct faulty f;
	struct cell_config cfg;
	uint64_t t0;

	clock_setup(true);
	CHECK_OK(rundir_create(run_dir, sizeof(run_dir)));
	cfg = confcell_config(faulty_wrap(&f, ops, fc), p, msg_bytes, run_dir);
	cfg.timeout_ms = TIMEOUT_MS;
	test_context("%s %s %zu bytes, %s by the %s at message %llu", ops->name, pattern_name(p), msg_bytes,
		     faulty_kind_name(fc->kind), fc->role == CHAN_CLIENT ? "client" : "server",
		     (unsigned long long)fc->at);
	t0 = mono_ms();
	CHECK_OK(cell_run(&cfg, res));
	/* a hung peer is found by the watchdog, not by the test runner's timeout */
	CHECK_MSG(mono_ms() - t0 < 4 * TIMEOUT_MS + 2000, "the cell took %llu ms",
		  (unsigned long long)(mono_ms() - t0));
	check_run_dir_empty();
	rundir_remove(run_dir);
}

struct fault_arg {
	const char *transport;
	const struct fault_case *fc;
};

static void case_fault(void)
{
	const struct fault_arg *a = test_arg;
	const struct transport_ops *ops = find(a->transport);
	struct cell_result res;

	run_faulty(ops, a->fc->pattern, a->fc->msg_bytes ? a->fc->msg_bytes : 64, &a->fc->fc, &res);
	CHECK_MSG(res.status == CELL_ERROR, "status %s (reason: %s): the fault went unnoticed",
		  cell_status_name(res.status), res.reason);
	for (int i = 0; i < 3 && a->fc->want[i]; i++)
		CHECK_MSG(strstr(res.reason, a->fc->want[i]), "the reason does not say \"%s\": %s", a->fc->want[i],
			  res.reason);
	cell_result_release(&res);
}

/* The wrapper with no fault is transparent: what fails above fails because of the fault. */
static void case_none(void)
{
	const struct fault_arg *a = test_arg;
	const struct transport_ops *ops = find(a->transport);
	struct faulty_config fc = {.kind = FAULTY_NONE};
	struct cell_result res;

	for (int p = PATTERN_PINGPONG; p <= PATTERN_STREAM; p++) {
		run_faulty(ops, (enum pattern)p, 4097, &fc, &res);
		CHECK_MSG(res.status == CELL_OK, "status %s: %s", cell_status_name(res.status), res.reason);
		CHECK_EQ_U64(res.count, 100);
		cell_result_release(&res);
	}
}

/*
 * A flipped byte in the body of a one-way message: the stream pattern's
 * server compares the whole body of every message of up to 512 bytes
 * (harness/payload.h), so the cell must fail naming the message.
 */
static void case_stream_flip_body(void)
{
	const struct fault_arg *a = test_arg;
	const struct transport_ops *ops = find(a->transport);
	struct faulty_config fc = {.kind = FAULTY_FLIP, .role = CHAN_SERVER, .at = AT, .offset = 32};
	struct cell_result res;

	run_faulty(ops, PATTERN_STREAM, 64, &fc, &res);
	CHECK_MSG(res.status == CELL_ERROR, "status %s: %s", cell_status_name(res.status), res.reason);
	CHECK_MSG(strstr(res.reason, "server: message 10") && strstr(res.reason, "at byte 32"), "reason: %s",
		  res.reason);
	cell_result_release(&res);
}

static bool wanted(const char *transport, const struct fault_case *fc, const struct transport_ops *ops)
{
	bool lifecycle = fc->fc.kind == FAULTY_EXIT || fc->fc.kind == FAULTY_HANG;

	if (!ops || !(fc->kinds & (1u << ops->kind)))
		return false;
	/* tcp stands in for the CLI tests' second transport: exit and hang only */
	return lifecycle || strcmp(transport, "tcp");
}

int main(int argc, char **argv)
{
	const size_t nt = ARRAY_SIZE(fault_transports), nf = ARRAY_SIZE(fault_cases);
	struct test_case *cases = calloc(nt * (nf + 2), sizeof(*cases));
	struct fault_arg *args = calloc(nt * (nf + 2), sizeof(*args));
	size_t n = 0;
	int rc;

	if (!cases || !args)
		return 2;
	for (size_t t = 0; t < nt; t++) {
		const struct transport_ops *ops = transport_find(fault_transports[t]);
		char *name;

		for (size_t k = 0; k < nf; k++) {
			if (!wanted(fault_transports[t], &fault_cases[k], ops))
				continue;
			if (asprintf(&name, "%s/%s", fault_transports[t], fault_cases[k].name) < 0)
				return 2;
			args[n] = (struct fault_arg){fault_transports[t], &fault_cases[k]};
			cases[n] = (struct test_case){name, case_fault, 30, &args[n]};
			n++;
		}
		if (!strcmp(fault_transports[t], "tcp"))
			continue;
		args[n] = (struct fault_arg){fault_transports[t], NULL};
		if (asprintf(&name, "%s/none", fault_transports[t]) < 0)
			return 2;
		cases[n] = (struct test_case){name, case_none, 30, &args[n]};
		if (asprintf(&name, "%s/stream/flip_body", fault_transports[t]) < 0)
			return 2;
		cases[n + 1] = (struct test_case){name, case_stream_flip_body, 30, &args[n]};
		n += 2;
	}
	rc = test_main(argc, argv, cases, n);
	for (size_t i = 0; i < n; i++)
		free((char *)cases[i].name);
	free(cases);
	free(args);
	return rc;
}
