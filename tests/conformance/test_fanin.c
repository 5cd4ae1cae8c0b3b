/*
 * test_fanin.c - many members in one cell (harness/scale.h): every
 * TRANSPORT_FAN_IN transport through the same cases.
 *
 *  clients     1, 3 and 8 clients of one server: every client's round
 *              trips counted and verified, one histogram per client that
 *              adds up to the cell's, the fairness figures in range
 *  large       3 clients of 20000-byte messages (posix_mq: several request
 *              fragments of several senders interleaved in one queue)
 *  killed      a client that dies by SIGKILL mid-cell fails the cell,
 *              naming it
 *  corrupt     a server whose reply to one client is corrupted fails the
 *              cell (each client checks its own echoes)
 *  cleanup     after a cell, ok or failed: no file left in the run
 *              directory, no fd left open in the parent, and no object of
 *              this process's cells in /dev/mqueue (when mounted), /dev/shm
 *              or the SysV shared memory table (ipcs -m)
 *  pairs       --pairs 2 and 3 on the same transport: each pair counted,
 *              placements recorded
 *  skip        a transport without fan-in (pipe) is skipped with the reason
 *  p2p         dbus_p2p (one connection, no bus) is skipped likewise
 *  join        dbus: a client that joins with another's index, or one out
 *              of range, fails the cell naming the index
 *
 * dbus runs through every case with each library: sd-bus (its default)
 * and libdbus (a copy of its table whose lib option defaults to libdbus).
 *
 * The shared-memory fan-ins (shm_ring, shm_spin: one ring per client, one
 * doorbell for the server, transports/shm_fan.c) also run:
 *
 *  many        64 clients of one server (the most announcements the
 *              server's sleep makes, 64 processes on few CPUs)
 *  samecpu     8 clients and the server pinned to one CPU (shm_spin
 *              yields instead of spinning)
 *  huge        2 clients of 1 MiB messages: each streams through its ring
 *              in pieces, so the server also waits mid-message on the bell
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/clock.h"
#include "harness/harness.h"
#include "harness/scale.h"
#include "tests/conformance/confcell.h"
#include "tests/runner.h"
#include "transports/transport.h"

extern const struct transport_ops unix_ops, tcp_ops, unix_dgram_ops, udp_ops, pipe_ops, posix_mq_ops;
extern const struct transport_ops zmq_ops, http_ops;
extern const struct transport_ops shm_ring_ops, shm_spin_ops;
extern const struct transport_ops dbus_ops, dbus_p2p_ops;
extern const struct transport_ops nng_ops;

static char run_dir[4096];
static int run_dir_own; /* the run directory's own files (its marker and lock) */

static int count_entries(const char *dir);

static void setup(void)
{
	clock_setup(true);
	if (rundir_create(run_dir, sizeof(run_dir)))
		test_fail(__FILE__, __LINE__, "cannot create a run directory");
	run_dir_own = count_entries(run_dir);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Entries of dir named by this process's cells (tags "ipcbench-PID-..."); 0 when dir is absent. */
static int tagged_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char prefix[64];
	int n = 0;

	if (!d)
		return 0;
	snprintf(prefix, sizeof(prefix), "ipcbench-%d-", (int)getpid());
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

/* SysV shared memory segments this process made (ipcs -m: the cpid column of /proc/sysvipc/shm). */
static int own_sysv_shm(void)
{
	FILE *f = fopen("/proc/sysvipc/shm", "r");
	char line[512];
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		long key, id, size, cpid;
		unsigned long perms;

		if (sscanf(line, "%ld %ld %lo %ld %ld", &key, &id, &perms, &size, &cpid) == 5 && cpid == getpid())
			n++;
	}
	fclose(f);
	return n;
}

/* Nothing of this process's cells left in the kernel's namespaces. */
static void check_no_objects(void)
{
	CHECK_EQ_I64(tagged_entries("/dev/mqueue"), 0);
	CHECK_EQ_I64(tagged_entries("/dev/shm"), 0);
	CHECK_EQ_I64(own_sysv_shm(), 0);
}

static void teardown(void)
{
	rundir_remove(run_dir);
}

static struct cell_config fan_config(const struct transport_ops *ops, unsigned int clients)
{
	struct cell_config cfg = confcell_config(ops, PATTERN_PINGPONG, 64, run_dir);

	cfg.clients = clients;
	cfg.iterations = 200;
	return cfg;
}

static void check_members(const struct cell_config *cfg, const struct cell_result *res, unsigned int n)
{
	const struct scale_result *s = res->scale;
	int64_t sum = 0;

	CHECK_MSG(s != NULL, "no per-member result");
	CHECK_EQ_U64(s->n, n);
	for (unsigned int i = 0; i < n; i++) {
		CHECK_EQ_U64(s->m[i].count, cfg->iterations);
		CHECK_EQ_I64(s->m[i].latency.total_count, (int64_t)cfg->iterations);
		CHECK(s->m[i].msgs_per_sec > 0);
		sum += s->m[i].latency.total_count;
	}
	CHECK_EQ_I64(res->latency.total_count, sum);
	CHECK_EQ_U64(res->count, (uint64_t)n * cfg->iterations);
	CHECK(s->jain_index > 1.0 / n - 1e-9 && s->jain_index <= 1.0 + 1e-9);
	CHECK(s->min_msgs_per_sec <= s->max_msgs_per_sec);
	CHECK(res->have_cost);
}

static void case_clients(void)
{
	const struct transport_ops *ops = test_arg;
	const unsigned int counts[] = {1, 3, 8};

	setup();
	for (size_t k = 0; k < ARRAY_SIZE(counts); k++) {
		struct cell_config cfg = fan_config(ops, counts[k]);
		struct cell_result res;

		CHECK_OK(cell_run(&cfg, &res));
		test_context("%s with %u clients", ops->name, counts[k]);
		CHECK_MSG(res.status == CELL_OK, "status %s: %s", cell_status_name(res.status), res.reason);
		check_members(&cfg, &res, counts[k]);
		cell_result_release(&res);
		CHECK_EQ_I64(count_entries(run_dir), run_dir_own);
		check_no_objects();
	}
	teardown();
}

static void case_large(void)
{
	const struct transport_ops *ops = test_arg;
	struct cell_config cfg;
	struct cell_result res;

	setup();
	cfg = fan_config(ops, 3);
	cfg.msg_bytes = 20000;
	CHECK_OK(cell_run(&cfg, &res));
	test_context("%s, 3 clients of 20000 bytes", ops->name);
	CHECK_MSG(res.status == CELL_OK, "status %s: %s", cell_status_name(res.status), res.reason);
	check_members(&cfg, &res, 3);
	cell_result_release(&res);
	check_no_objects();
	teardown();
}

/* ---- faults: a wrapper around the transport under test ---- */

enum fault { FAULT_KILL, FAULT_CORRUPT };

static const struct transport_ops *inner;
static enum fault fault;
static unsigned long sends;
static struct transport_ops wrapped;

/* Client 1 dies by SIGKILL at its 50th message. */
static int fault_send(struct chan *ch, const void *buf, size_t len)
{
	if (fault == FAULT_KILL && ch->role == CHAN_CLIENT && ch->client == 1 && ++sends == 50)
		raise(SIGKILL);
	return inner->send(ch, buf, len);
}

/* The server corrupts its 30th reply to client 2 (a copy: the buffer is the harness's). */
static int fault_send_to(struct chan *ch, unsigned int client, const void *buf, size_t len)
{
	static unsigned char copy[65536];

	if (fault == FAULT_CORRUPT && client == 2 && ++sends == 30 && len <= sizeof(copy)) {
		memcpy(copy, buf, len);
		copy[len - 1] ^= 0x40;
		return inner->send_to(ch, client, copy, len);
	}
	return inner->send_to(ch, client, buf, len);
}

static void run_fault(enum fault f, const char *expect)
{
	const struct transport_ops *ops = test_arg;
	struct cell_config cfg;
	struct cell_result res;
	int fds;

	setup();
	fds = count_entries("/proc/self/fd");
	inner = ops;
	fault = f;
	sends = 0;
	wrapped = *ops;
	wrapped.send = fault_send;
	wrapped.send_to = fault_send_to;
	cfg = fan_config(&wrapped, 4);
	cfg.iterations = 2000;
	CHECK_OK(cell_run(&cfg, &res));
	test_context("%s, 4 clients: %s", ops->name, res.reason);
	CHECK_MSG(res.status == CELL_ERROR, "status %s", cell_status_name(res.status));
	CHECK_MSG(strstr(res.reason, expect) != NULL, "reason lacks '%s'", expect);
	CHECK(res.scale == NULL);
	cell_result_release(&res);
	CHECK_EQ_I64(count_entries(run_dir), run_dir_own);
	CHECK_EQ_I64(count_entries("/proc/self/fd"), fds);
	check_no_objects();
	teardown();
}

static void case_killed(void)
{
	run_fault(FAULT_KILL, "client 1");
}

static void case_corrupt(void)
{
	run_fault(FAULT_CORRUPT, "client 2");
}

static void case_pairs(void)
{
	const struct transport_ops *ops = test_arg;

	setup();
	for (unsigned int n = 2; n <= 3; n++) {
		struct cell_config cfg = confcell_config(ops, PATTERN_PINGPONG, 4096, run_dir);
		struct cell_result res;

		cfg.pairs = n;
		cfg.iterations = 200;
		CHECK_OK(cell_run(&cfg, &res));
		test_context("%s, %u pairs", ops->name, n);
		CHECK_MSG(res.status == CELL_OK, "status %s: %s", cell_status_name(res.status), res.reason);
		check_members(&cfg, &res, n);
		for (unsigned int i = 0; cfg.client_cpu >= 0 && i < n; i++)
			CHECK(res.scale->m[i].client_cpu >= 0 && res.scale->m[i].server_cpu >= 0);
		cell_result_release(&res);
		CHECK_EQ_I64(count_entries(run_dir), run_dir_own);
	}
	teardown();
}

static void case_skip(void)
{
	struct cell_config cfg;
	struct cell_result res;

	setup();
	cfg = fan_config(&pipe_ops, 3);
	CHECK_OK(cell_run(&cfg, &res));
	CHECK_MSG(res.status == CELL_SKIPPED, "status %s", cell_status_name(res.status));
	CHECK_MSG(strstr(res.reason, "serves one client only") != NULL, "reason: %s", res.reason);
	cell_result_release(&res);
	cfg = fan_config(&unix_ops, 3);
	cfg.pattern = PATTERN_STREAM;
	CHECK_OK(cell_run(&cfg, &res));
	CHECK_MSG(res.status == CELL_SKIPPED, "stream with clients: status %s", cell_status_name(res.status));
	cell_result_release(&res);
	teardown();
}

/* One fan-in cell of n clients of size bytes, CPUs as given: every client's round trips verified. */
static void run_shm_cell(unsigned int n, size_t size, bool same_cpu)
{
	const struct transport_ops *ops = test_arg;
	struct cell_config cfg;
	struct cell_result res;

	setup();
	cfg = fan_config(ops, n);
	cfg.msg_bytes = size;
	cfg.iterations = size > 65536 ? 20 : 100;
	if (same_cpu) {
		cfg.server_cpu = cfg.client_cpu;
		cfg.relation = REL_SAME;
	}
	CHECK_OK(cell_run(&cfg, &res));
	test_context("%s, %u clients of %zu bytes%s", ops->name, n, size, same_cpu ? ", one CPU" : "");
	CHECK_MSG(res.status == CELL_OK, "status %s: %s", cell_status_name(res.status), res.reason);
	check_members(&cfg, &res, n);
	cell_result_release(&res);
	CHECK_EQ_I64(count_entries(run_dir), run_dir_own);
	check_no_objects();
	teardown();
}

static void case_many(void)
{
	run_shm_cell(64, 64, false);
}

static void case_samecpu(void)
{
	run_shm_cell(8, 64, true);
}

static void case_huge(void)
{
	run_shm_cell(2, 1u << 20, false);
}

static void case_p2p(void)
{
	struct cell_config cfg;
	struct cell_result res;

	setup();
	cfg = fan_config(&dbus_p2p_ops, 3);
	CHECK_OK(cell_run(&cfg, &res));
	CHECK_MSG(res.status == CELL_SKIPPED, "status %s: %s", cell_status_name(res.status), res.reason);
	CHECK_MSG(strstr(res.reason, "serves one client only") != NULL, "reason: %s", res.reason);
	cell_result_release(&res);
	teardown();
}

/* Client 1 attaches claiming the index join_as (the index its Join carries). */
static unsigned int join_as;

static int join_attach(struct chan *ch, enum chan_role role)
{
	if (role == CHAN_CLIENT && ch->client == 1)
		ch->client = join_as;
	return inner->attach(ch, role);
}

static void case_join(void)
{
	const struct {
		unsigned int as;
		const char *expect;
	} bad[] = {{0, "has that index"}, {7, "Join as client 7 of 4"}};

	setup();
	for (size_t k = 0; k < ARRAY_SIZE(bad); k++) {
		struct cell_config cfg;
		struct cell_result res;

		inner = test_arg;
		wrapped = *inner;
		wrapped.attach = join_attach;
		join_as = bad[k].as;
		cfg = fan_config(&wrapped, 4);
		CHECK_OK(cell_run(&cfg, &res));
		test_context("%s, client 1 joining as %u: %s", inner->name, join_as, res.reason);
		CHECK_MSG(res.status == CELL_ERROR, "status %s", cell_status_name(res.status));
		CHECK_MSG(strstr(res.reason, bad[k].expect) != NULL, "reason lacks '%s'", bad[k].expect);
		cell_result_release(&res);
		CHECK_EQ_I64(count_entries(run_dir), run_dir_own);
	}
	teardown();
}

#ifdef HAVE_LIBDBUS
/* dbus with lib=libdbus as its default: the same cases on the other library. */
static struct transport_option dbus_ld_options[TRANSPORT_MAX_OPTIONS + 1];
static struct transport_ops dbus_ld_ops;

static const struct transport_ops *dbus_libdbus_ops(void)
{
	int i = transport_option_find(&dbus_ops, "lib");

	for (size_t k = 0; k < transport_option_count(&dbus_ops); k++)
		dbus_ld_options[k] = dbus_ops.options[k];
	for (int k = 0; i >= 0 && dbus_ops.options[i].values[k]; k++)
		if (!strcmp(dbus_ops.options[i].values[k], "libdbus"))
			dbus_ld_options[i].def = k;
	dbus_ld_ops = dbus_ops;
	dbus_ld_ops.name = "dbus:lib=libdbus";
	dbus_ld_ops.options = dbus_ld_options;
	return &dbus_ld_ops;
}
#endif

static const struct {
	const char *name;
	void (*fn)(void);
} shm_kinds[] = {{"many", case_many}, {"samecpu", case_samecpu}, {"huge", case_huge}};

static const struct {
	const char *name;
	void (*fn)(void);
} kinds[] = {
	{"clients", case_clients}, {"large", case_large}, {"killed", case_killed},
	{"corrupt", case_corrupt}, {"pairs", case_pairs},
};

int main(int argc, char **argv)
{
	const struct transport_ops *const fans[] = {
		&unix_ops,
		&tcp_ops,
		&unix_dgram_ops,
		&udp_ops,
		&posix_mq_ops,
		&shm_ring_ops,
		&shm_spin_ops,
#ifdef HAVE_LIBZMQ
		&zmq_ops,
#endif
#if defined(HAVE_LIBMICROHTTPD) && defined(HAVE_LIBCURL)
		&http_ops,
#endif
#ifdef HAVE_LIBSYSTEMD
		&dbus_ops,
#endif
#ifdef HAVE_LIBDBUS
		dbus_libdbus_ops(),
#endif
#ifdef HAVE_LIBNNG
		&nng_ops,
#endif
	};
	const struct transport_ops *const shm_fans[] = {&shm_ring_ops, &shm_spin_ops};
	size_t nk = ARRAY_SIZE(kinds), nf = ARRAY_SIZE(fans), n = 0;
	size_t ns = ARRAY_SIZE(shm_kinds) * ARRAY_SIZE(shm_fans);
	struct test_case *cases = calloc(nf * (nk + 1) + ns + 2, sizeof(*cases));
	int rc;

	for (size_t t = 0; t < nf; t++) {
		for (size_t k = 0; k < nk; k++) {
			char *name;

			if (asprintf(&name, "%s/%s", fans[t]->name, kinds[k].name) < 0)
				return 2;
			cases[n++] = (struct test_case){name, kinds[k].fn, 60, fans[t]};
		}
	}
	for (size_t t = 0; t < ARRAY_SIZE(shm_fans); t++) {
		for (size_t k = 0; k < ARRAY_SIZE(shm_kinds); k++) {
			char *name;

			if (asprintf(&name, "%s/%s", shm_fans[t]->name, shm_kinds[k].name) < 0)
				return 2;
			cases[n++] = (struct test_case){name, shm_kinds[k].fn, 60, shm_fans[t]};
		}
	}
	cases[n++] = (struct test_case){strdup("skip"), case_skip, 30, NULL};
	cases[n++] = (struct test_case){strdup("dbus_p2p/skip"), case_p2p, 30, NULL};
	for (size_t t = 0; t < nf; t++) {
		char *name;

		if (strncmp(fans[t]->name, "dbus", 4))
			continue;
		if (asprintf(&name, "%s/join", fans[t]->name) < 0)
			return 2;
		cases[n++] = (struct test_case){name, case_join, 30, fans[t]};
	}
	rc = test_main(argc, argv, cases, n);
	for (size_t i = 0; i < n; i++)
		free((char *)cases[i].name);
	free(cases);
	return rc;
}
