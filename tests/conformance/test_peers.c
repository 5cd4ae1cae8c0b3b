/*
 * test_peers.c - --peers exec through the conformance cases, for every
 * transport that rendezvous by name (TRANSPORT_BY_NAME), and the skip for
 * the rest; exec'd peers that die or hang; what an exec'd peer inherits
 * (nothing beyond stdio and its control socket); popen's server killed.
 *
 * The peers are ipcbench itself: $IPCBENCH (tests/run.sh exports it),
 * else build/ipcbench.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness/clock.h"
#include "harness/harness.h"
#include "tests/conformance/confcell.h"
#include "tests/runner.h"
#include "transports/transport.h"

static char run_dir[4096];

static void setup(void)
{
	static char prog[4096];
	const char *env = getenv("IPCBENCH");

	if (!env || env[0] != '/') {
		if (!realpath("build/ipcbench", prog))
			SKIP("no ipcbench binary to exec: set IPCBENCH");
		env = prog;
	}
	harness_peer_program = env;
	clock_setup(true);
	if (rundir_create(run_dir, sizeof(run_dir)))
		test_fail(__FILE__, __LINE__, "cannot create a run directory");
}

static void teardown(void)
{
	rundir_remove(run_dir);
}

static struct cell_config exec_cfg(const struct transport_ops *ops, size_t size)
{
	struct cell_config cfg = confcell_config(
		ops, (ops->flags & TRANSPORT_ONE_WAY) ? PATTERN_STREAM : PATTERN_PINGPONG, size, run_dir);

	cfg.peers = PEERS_EXEC;
	return cfg;
}

/* What exists now: SysV ids, the run directory's files, ipcbench names in /dev/shm and /dev/mqueue. */
static void snapshot(char *out, size_t outlen)
{
	const char *dirs[] = {"/dev/shm", "/dev/mqueue", run_dir};
	size_t n = 0;
	FILE *f = fopen("/proc/sysvipc/msg", "re");
	char line[512];
	long key, id;

	out[0] = 0;
	while (f && fgets(line, sizeof(line), f) && n + 64 < outlen)
		if (sscanf(line, "%ld %ld", &key, &id) == 2 && key != 0)
			n += (size_t)snprintf(out + n, outlen - n, "msg:%ld ", id);
	if (f)
		fclose(f);
	for (int i = 0; i < 3; i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *e;

		while (d && (e = readdir(d)) && n + 300 < outlen)
			if (e->d_name[0] != '.' && (i == 2 || strstr(e->d_name, "ipcbench-")))
				n += (size_t)snprintf(out + n, outlen - n, "%s/%s ", dirs[i], e->d_name);
		if (d)
			closedir(d);
	}
}

/*
 * What is in a snapshot now that was not in before: empty when nothing was
 * left.  Other suites run at the same time on a shared machine, so a
 * transient object of theirs is given up to 3 s to go; one of ours that
 * leaked stays for ever.
 */
static void left_behind(const char *before, char *out, size_t outlen)
{
	static char now[16384];

	for (int tries = 0; tries < 4; tries++) {
		size_t n = 0;

		if (tries)
			nanosleep(&(struct timespec){1, 0}, NULL);
		snapshot(now, sizeof(now));
		out[0] = 0;
		for (char *tok = strtok(now, " "); tok; tok = strtok(NULL, " ")) {
			char word[600];

			snprintf(word, sizeof(word), "%s ", tok);
			if (!strstr(before, word) && n + strlen(word) < outlen)
				n += (size_t)snprintf(out + n, outlen - n, "%s", word);
		}
		if (!out[0])
			return;
	}
}

static void case_exec_roundtrip(void)
{
	const struct transport_ops *ops = test_arg;
	size_t sizes[] = {1, 7, 64, 4096, 4097, 65536, 0};
	const size_t nsizes = sizeof(sizes) / sizeof(sizes[0]);
	static char before[16384], left[16384];
	struct chan_limits lim;

	confcell_probe_or_skip(ops, &lim);
	setup();
	sizes[nsizes - 1] = lim.max_msg_bytes && lim.max_msg_bytes < (1u << 20) ? lim.max_msg_bytes : 1u << 20;
	for (size_t i = 0; i < nsizes; i++) {
		struct cell_config cfg = exec_cfg(ops, ops->flags & TRANSPORT_NO_PAYLOAD ? 0 : sizes[i]);
		struct cell_result res;

		if (!(ops->flags & TRANSPORT_BY_NAME) && i > 0)
			break;
		if (lim.max_msg_bytes && sizes[i] > lim.max_msg_bytes)
			continue; /* above what the mechanism carries (udp: 65507 bytes): the last size is its largest */
		snapshot(before, sizeof(before));
		CHECK_OK(cell_run(&cfg, &res));
		left_behind(before, left, sizeof(left));
		test_context("%s %zu bytes, --peers exec", ops->name, sizes[i]);
		if (!(ops->flags & TRANSPORT_BY_NAME)) {
			CHECK_MSG(res.status == CELL_SKIPPED && strstr(res.reason, "needs related processes"),
				  "status %s: %s", cell_status_name(res.status), res.reason);
		} else {
			CHECK_MSG(res.status == CELL_OK, "status %s: %s", cell_status_name(res.status), res.reason);
			CHECK_EQ_U64(res.count, cfg.iterations);
			CHECK_EQ_I64(res.latency.total_count, cfg.iterations);
			CHECK(res.have_cost);
		}
		CHECK_EQ_STR(left, "");
		cell_result_release(&res);
	}
	teardown();
}

/* ---- a thread that finds the cell's peers and does something to them ---- */

struct meddler {
	pid_t self;
	int sig;	/* sent to the first peer found (the server: the client starts after it answers) */
	int want;	/* peers that must exist first */
	int depth;	/* 1: our children; 2: our grandchildren (popen's server) */
	int marker_ino; /* an inode no peer may hold (a pipe without O_CLOEXEC) */
	bool found;	/* the signal was sent */
	bool inherited; /* a peer held the marker */
	char fds[256];	/* the server peer's fds when found */
};

static pid_t ppid_of(pid_t pid, char *comm, size_t commlen)
{
	char path[64], buf[512], *l, *r;
	FILE *f;
	int ppid = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f) && (l = strchr(buf, '(')) && (r = strrchr(buf, ')'))) {
		snprintf(comm, commlen, "%.*s", (int)(r - l - 1), l + 1);
		if (sscanf(r + 2, "%*c %d", &ppid) != 1)
			ppid = -1;
	}
	fclose(f);
	return ppid;
}

static bool descends(pid_t pid, pid_t from, int depth)
{
	char comm[64];

	for (int i = 0; i < depth; i++) {
		pid = ppid_of(pid, comm, sizeof(comm));
		if (pid <= 0)
			return false;
	}
	return pid == from;
}

/* The ipcbench peers at depth below self, in the order found (lowest pid first). */
static int find_peers(const struct meddler *m, pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)) && n < max) {
		pid_t pid = (pid_t)strtol(e->d_name, NULL, 10);
		char comm[64] = "";

		if (pid <= 0 || ppid_of(pid, comm, sizeof(comm)) <= 0 || strcmp(comm, "ipcbench"))
			continue;
		if (descends(pid, m->self, m->depth))
			out[n++] = pid;
	}
	if (d)
		closedir(d);
	return n;
}

/* Whether a fd of the peer is the marker pipe: it would have been inherited. */
static void check_inherited(struct meddler *m, pid_t pid)
{
	char path[64], link[384], target[128];
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	while (d && (e = readdir(d))) {
		ssize_t len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", path, e->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = 0;
		if (!strncmp(target, "pipe:[", 6) && strtol(target + 6, NULL, 10) == m->marker_ino)
			m->inherited = true;
	}
	if (d)
		closedir(d);
}

static void *meddle(void *arg)
{
	struct meddler *m = arg;
	struct timespec nap = {0, 5 * 1000 * 1000};

	for (int i = 0; i < 2000 && !m->found; i++) {
		pid_t pid[4];
		int n = find_peers(m, pid, 4);

		if (n >= m->want) {
			for (int k = 0; k < n; k++)
				check_inherited(m, pid[k]);
			nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL); /* mid-cell */
			if (m->sig)
				kill(pid[0], m->sig);
			m->found = true;
		}
		nanosleep(&nap, NULL);
	}
	return NULL;
}

/* Runs cfg while the meddler does its thing to the server peer. */
static void run_meddled(struct cell_config *cfg, struct meddler *m, struct cell_result *res)
{
	pthread_t t;

	m->self = getpid();
	CHECK(pthread_create(&t, NULL, meddle, m) == 0);
	CHECK_OK(cell_run(cfg, res));
	pthread_join(t, NULL);
	CHECK_MSG(m->found, "the peers were never found");
}

TEST(exec_peer_killed)
{
	const struct transport_ops *ops = transport_find("unix");
	struct meddler m = {.sig = SIGKILL, .want = 2, .depth = 1};
	struct cell_config cfg;
	struct cell_result res;

	setup();
	cfg = exec_cfg(ops, 64);
	cfg.iterations = 100000000;
	run_meddled(&cfg, &m, &res);
	CHECK_MSG(res.status == CELL_ERROR, "status %s: %s", cell_status_name(res.status), res.reason);
	CHECK_MSG(strstr(res.reason, "server killed by signal 9"), "reason: %s", res.reason);
	cell_result_release(&res);
	teardown();
}

TEST(exec_peer_hangs)
{
	const struct transport_ops *ops = transport_find("fifo");
	struct meddler m = {.sig = SIGSTOP, .want = 2, .depth = 1};
	struct cell_config cfg;
	struct cell_result res;
	static char before[16384], left[16384];

	setup();
	cfg = exec_cfg(ops, 64);
	cfg.iterations = 100000000;
	cfg.timeout_ms = 1000;
	snapshot(before, sizeof(before));
	run_meddled(&cfg, &m, &res);
	left_behind(before, left, sizeof(left));
	CHECK_MSG(res.status == CELL_ERROR, "status %s: %s", cell_status_name(res.status), res.reason);
	CHECK_MSG(strstr(res.reason, "peer hung"), "reason: %s", res.reason);
	CHECK_EQ_STR(left, "");
	cell_result_release(&res);
	teardown();
}

/* A pipe of ours without O_CLOEXEC: a forked child would hold it, an exec'd peer must not. */
TEST(exec_peer_inherits_nothing)
{
	const struct transport_ops *ops = transport_find("tcp");
	struct meddler m = {.want = 2, .depth = 1};
	struct cell_config cfg;
	struct cell_result res;
	struct stat st;
	int marker[2];

	setup();
	CHECK(pipe(marker) == 0);
	CHECK(fstat(marker[0], &st) == 0);
	m.marker_ino = (int)st.st_ino;
	cfg = exec_cfg(ops, 64);
	cfg.iterations = 20000;
	run_meddled(&cfg, &m, &res);
	CHECK_MSG(res.status == CELL_OK, "status %s: %s", cell_status_name(res.status), res.reason);
	CHECK_MSG(!m.inherited, "an exec'd peer holds a pipe of the parent's");
	cell_result_release(&res);
	close(marker[0]);
	close(marker[1]);
	teardown();
}

TEST(popen_server_killed)
{
	const struct transport_ops *ops = transport_find("popen");
	struct meddler m = {.sig = SIGKILL, .want = 1, .depth = 2};
	struct cell_config cfg;
	struct cell_result res;

	setup();
	cfg = confcell_config(ops, PATTERN_STREAM, 64, run_dir);
	cfg.iterations = 1000000000;
	cfg.timeout_ms = 3000;
	run_meddled(&cfg, &m, &res);
	CHECK_MSG(res.status == CELL_ERROR, "status %s: %s", cell_status_name(res.status), res.reason);
	CHECK_MSG(strstr(res.reason, "client") && strstr(res.reason, "Broken pipe"), "reason: %s", res.reason);
	cell_result_release(&res);
	teardown();
}

TEST(popen_pingpong_skipped)
{
	struct cell_config cfg;
	struct cell_result res;

	setup();
	cfg = confcell_config(transport_find("popen"), PATTERN_PINGPONG, 64, run_dir);
	CHECK_OK(cell_run(&cfg, &res));
	CHECK_MSG(res.status == CELL_SKIPPED && strstr(res.reason, "one-way"), "status %s: %s",
		  cell_status_name(res.status), res.reason);
	cell_result_release(&res);
	teardown();
}

static const struct test_case fixed[] = {
	{.name = "exec_peer_killed", .fn = exec_peer_killed, .timeout_s = 30},
	{.name = "exec_peer_hangs", .fn = exec_peer_hangs, .timeout_s = 30},
	{.name = "exec_peer_inherits_nothing", .fn = exec_peer_inherits_nothing, .timeout_s = 30},
	{.name = "popen_server_killed", .fn = popen_server_killed, .timeout_s = 30},
	{.name = "popen_pingpong_skipped", .fn = popen_pingpong_skipped, .timeout_s = 30},
};

int main(int argc, char **argv)
{
	size_t nf = sizeof(fixed) / sizeof(fixed[0]), n = 0;
	struct test_case *cases = calloc(transport_count + nf, sizeof(*cases));

	if (!cases)
		return 2;
	for (size_t t = 0; t < transport_count; t++) {
		char *name;

		if (asprintf(&name, "%s/exec", transport_table[t]->name) < 0)
			return 2;
		cases[n++] = (struct test_case){name, case_exec_roundtrip, 60, transport_table[t]};
	}
	for (size_t i = 0; i < nf; i++)
		cases[n++] = fixed[i];
	int rc = test_main(argc, argv, cases, n);

	for (size_t i = 0; i < transport_count; i++)
		free((char *)cases[i].name);
	free(cases);
	return rc;
}
