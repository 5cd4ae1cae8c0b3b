/*
 * test_rpc.c - the D-Bus and RPC transports beyond what the conformance
 * suite runs for every transport with its defaults:
 *
 *  variants    each library and network variant (dbus:lib=libdbus,
 *              dbus_p2p:lib=libdbus, oncrpc:net=tcp and udp, grpc:net=tcp, and
 *              the defaults) round-trips verified
 *              payloads at 1, 64, 4097, 8192, 65536 bytes and 1 MiB;
 *              oncrpc:net=udp at 8756 bytes, its limit, and above it
 *              only skips naming the limit
 *  killed      a server that dies mid-run is an error within the timeout
 *  cleanup     after every variant: no dbus-daemon child, no file in the
 *              run directory, no thread in the parent, nothing in the ledger
 *  bad_daemon  a daemon that exits at once, or is not there, is a clear error
 *  threads     the cost section counts the threads of each side (>= 1;
 *              gRPC's own threads: >= 4)
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness/clock.h"
#include "harness/harness.h"
#include "tests/conformance/confcell.h"
#include "tests/conformance/faulty.h"
#include "tests/runner.h"
#include "transports/transport.h"

static char run_dir[4096];

struct variant {
	const char *name, *opt, *value;
	size_t max; /* the variant's message limit (sizes above it are skipped naming it); 0: none */
};

static const struct variant variants[] = {
	{"dbus", "lib", "libdbus", 0},	{"dbus_p2p", "lib", "libdbus", 0}, {"oncrpc", "net", "tcp", 0},
	{"oncrpc", "net", "udp", 8756}, {"grpc", "net", "tcp", 0},	   {"dbus", NULL, NULL, 0},
	{"dbus_p2p", NULL, NULL, 0},	{"oncrpc", NULL, NULL, 0},	   {"grpc", NULL, NULL, 0},
};
#define NVARIANTS (sizeof(variants) / sizeof(variants[0]))

static struct cell_config variant_cfg(const struct variant *v, size_t size)
{
	const struct transport_ops *ops = transport_find(v->name);
	struct cell_config cfg;
	struct chan_limits lim;

	CHECK_MSG(ops != NULL, "%s is not registered", v->name);
	confcell_probe_or_skip(ops, &lim);
	cfg = confcell_config(ops, PATTERN_PINGPONG, size, run_dir);
	if (v->opt) {
		int i = transport_option_find(ops, v->opt);
		const char *const *vals = ops->options[i].values;

		CHECK(i >= 0);
		for (int k = 0; vals[k]; k++)
			if (!strcmp(vals[k], v->value))
				cfg.opts.val[i] = k;
		cfg.opts.given |= 1u << i;
	}
	return cfg;
}

static void setup(void)
{
	clock_setup(true);
	if (rundir_create(run_dir, sizeof(run_dir)))
		test_fail(__FILE__, __LINE__, "cannot create a run directory");
}

/* The dbus-daemon processes whose parent is this process. */
static int daemon_children(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		char path[300], buf[512], *p;
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && strstr(buf, "(dbus-daemon)") && (p = strrchr(buf, ')')) &&
		    strtol(p + 4, NULL, 10) == getpid())
			n++;
		fclose(f);
	}
	if (d)
		closedir(d);
	return n;
}

/* Entries of the run directory, besides the run's own marker and lock. */
static int rundir_leftovers(char *out, size_t outlen)
{
	DIR *d = opendir(run_dir);
	struct dirent *e;
	int n = 0;
	size_t len = 0;

	out[0] = 0;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || !strncmp(e->d_name, "ipcbench-run", 12))
			continue;
		n++;
		len += (size_t)snprintf(out + len, len < outlen ? outlen - len : 0, "%s ", e->d_name);
	}
	if (d)
		closedir(d);
	return n;
}

static int own_threads(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	int n = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Threads:", 8))
			n = (int)strtol(line + 8, NULL, 10);
	if (f)
		fclose(f);
	return n;
}

static void check_clean(const char *what)
{
	char left[2048];

	CHECK_MSG(daemon_children() == 0, "%s: a dbus-daemon is left", what);
	CHECK_MSG(rundir_leftovers(left, sizeof(left)) == 0, "%s: left in the run directory: %s", what, left);
	CHECK_MSG(own_threads() == 1, "%s: the test process has %d threads", what, own_threads());
}

static void case_variants(void)
{
	const struct variant *v = test_arg;
	const size_t sizes[] = {1, 64, 4097, v->max ? v->max : 8192, 65536, 1u << 20};

	setup();
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct cell_config cfg = variant_cfg(v, sizes[i]);
		struct cell_result res;
		char limit[32];

		if (v->max && sizes[i] > v->max) {
			snprintf(limit, sizeof(limit), "(%zu bytes)", v->max);
			test_context("%s:%s=%s %zu bytes, over its limit", v->name, v->opt, v->value, sizes[i]);
			CHECK_OK(cell_run(&cfg, &res));
			CHECK_MSG(res.status == CELL_SKIPPED && strstr(res.reason, limit), "status %s: %s",
				  cell_status_name(res.status), res.reason);
			cell_result_release(&res);
			check_clean("after a skipped cell");
			continue;
		}

		cfg.iterations = sizes[i] > 65536 ? 10 : 50;
		test_context("%s:%s=%s %zu bytes", v->name, v->opt ? v->opt : "-", v->value ? v->value : "-", sizes[i]);
		CHECK_OK(cell_run(&cfg, &res));
		CHECK_MSG(res.status == CELL_OK, "status %s: %s", cell_status_name(res.status), res.reason);
		CHECK(res.count == cfg.iterations);
		CHECK_MSG(res.cost[0].threads >= 1 && res.cost[1].threads >= 1, "threads %d + %d", res.cost[0].threads,
			  res.cost[1].threads);
		if (!strcmp(v->name, "grpc")) /* its timer, executor and event-engine threads */
			CHECK_MSG(res.cost[0].threads >= 4 && res.cost[1].threads >= 4, "gRPC threads %d + %d",
				  res.cost[0].threads, res.cost[1].threads);
		cell_result_release(&res);
		check_clean("after the cell");
	}
	rundir_remove(run_dir);
}

static void case_killed(void)
{
	const struct variant *v = test_arg;
	struct cell_config cfg;
	struct cell_result res;
	struct timespec a, b;
	struct faulty f;

	setup();
	cfg = variant_cfg(v, 64);
	cfg.iterations = 1000000;
	cfg.timeout_ms = 3000;
	cfg.ops = faulty_wrap(&f, cfg.ops, &(struct faulty_config){.kind = FAULTY_EXIT, .role = CHAN_SERVER, .at = 10});
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_OK(cell_run(&cfg, &res));
	clock_gettime(CLOCK_MONOTONIC, &b);
	CHECK_MSG(res.status == CELL_ERROR, "status %s", cell_status_name(res.status));
	CHECK_MSG(strstr(res.reason, "server exited with status 3"), "reason: %s", res.reason);
	CHECK_MSG(b.tv_sec - a.tv_sec < 8, "took %ld s", (long)(b.tv_sec - a.tv_sec));
	cell_result_release(&res);
	check_clean("after a killed server");
	rundir_remove(run_dir);
}

static void run_bad_daemon(const char *path, enum cell_status want, const char *says)
{
	struct cell_config cfg = confcell_config(transport_find("dbus"), PATTERN_PINGPONG, 64, run_dir);
	struct cell_result res;

	setenv("IPCBENCH_DBUS_DAEMON", path, 1);
	CHECK_OK(cell_run(&cfg, &res));
	unsetenv("IPCBENCH_DBUS_DAEMON");
	test_context("IPCBENCH_DBUS_DAEMON=%s", path);
	CHECK_MSG(res.status == want, "status %s: %s", cell_status_name(res.status), res.reason);
	CHECK_MSG(strstr(res.reason, says), "reason: %s", res.reason);
	cell_result_release(&res);
	check_clean("after a bad daemon");
}

static void case_bad_daemon(void)
{
	static const struct variant v = {"dbus", NULL, NULL, 0};

	variant_cfg(&v, 64); /* skips where dbus itself is unavailable */
	setup();
	run_bad_daemon("/bin/false", CELL_ERROR, "/bin/false before it printed its address: exited with status 1");
	run_bad_daemon("/nonexistent/dbus-daemon", CELL_SKIPPED, "/nonexistent/dbus-daemon not found");
	rundir_remove(run_dir);
}

int main(int argc, char **argv)
{
	size_t n = 0;
	struct test_case cases[2 * NVARIANTS + 1];
	char names[2 * NVARIANTS][64];

	for (size_t i = 0; i < NVARIANTS; i++) {
		const struct variant *v = &variants[i];

		snprintf(names[n], sizeof(names[n]), "%s%s%s/variants", v->name, v->opt ? ":" : "",
			 v->opt ? v->value : "");
		cases[n] = (struct test_case){names[n], case_variants, 90, v};
		n++;
		if (!v->opt)
			continue; /* the defaults' killed peer is test_transports' peer_dies */
		snprintf(names[n], sizeof(names[n]), "%s:%s/killed", v->name, v->value);
		cases[n] = (struct test_case){names[n], case_killed, 30, v};
		n++;
	}
	cases[n++] = (struct test_case){"dbus/bad_daemon", case_bad_daemon, 30, NULL};
	return test_main(argc, argv, cases, n);
}
