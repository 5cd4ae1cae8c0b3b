/*
 * test_file.c - the plain-file transport and the per-cell counters.
 *
 *  file_cells        pingpong and stream cells at 1, 64, 4097 and 65536
 *                    bytes, on one CPU and across two: verified payloads
 *                    (the harness checks every message), nothing left in
 *                    the run directory
 *  file_torn         with tear=1 the writer writes every message in two
 *                    halves and the second only after the reader has read
 *                    the first, so every message is read torn at least once:
 *                    the cell still passes the harness's payload checks and
 *                    torn_reads counts at least one per message each way
 *  file_torn_stream  the same one way, in the stream pattern
 *  file_no_tear      without the hook, 64-byte messages across CPUs
 *  file_counters     the counter table is checked: too many names, or a
 *                    malformed one, is refused; file's own passes
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "harness/cleanup.h"
#include "harness/harness.h"
#include "tests/conformance/confcell.h"
#include "tests/runner.h"
#include "transports/transport.h"

extern const struct transport_ops file_ops;

static char run_dir[4096];

static void make_run_dir(void)
{
	CHECK(rundir_create(run_dir, sizeof(run_dir)) == 0);
}

/* The run directory holds nothing but its marker once a cell is over; then it goes. */
static void run_dir_empty_and_remove(void)
{
	DIR *d = opendir(run_dir);
	struct dirent *e;
	int n = 0;

	CHECK(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, RUNDIR_MARKER))
			n++;
	closedir(d);
	CHECK_EQ_I64(n, 0);
	rundir_remove(run_dir);
}

static void run_ok(struct cell_config *cfg, struct cell_result *res)
{
	CHECK(cell_run(cfg, res) == 0);
	CHECK_MSG(res->status == CELL_OK, "%s %zu bytes cpus %d,%d: %s %s", pattern_name(cfg->pattern), cfg->msg_bytes,
		  cfg->client_cpu, cfg->server_cpu, cell_status_name(res->status), res->reason);
	CHECK_EQ_U64(res->count, cfg->iterations);
}

/* The tear option's value, as bench/ would set it (a bit only for a non-default). */
static struct chan_opts tear_opts(void)
{
	struct chan_opts o = {0};
	int i = transport_option_find(&file_ops, "tear");

	CHECK(i >= 0);
	o.given = 1u << i;
	o.val[i] = 1;
	return o;
}

TEST(file_cells)
{
	static const size_t sizes[] = {1, 64, 4097, 65536};

	make_run_dir();
	for (int p = 0; p < 2; p++) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			for (int same = 0; same < 2; same++) {
				struct cell_config cfg = confcell_config(
					&file_ops, p ? PATTERN_STREAM : PATTERN_PINGPONG, sizes[i], run_dir);
				struct cell_result res;

				cfg.iterations = 40;
				if (same)
					cfg.server_cpu = cfg.client_cpu;
				run_ok(&cfg, &res);
				cell_result_release(&res);
			}
		}
	}
	run_dir_empty_and_remove();
}

static void torn_case(enum pattern p, size_t bytes, uint64_t per_msg)
{
	struct cell_config cfg;
	struct cell_result res;

	make_run_dir();
	cfg = confcell_config(&file_ops, p, bytes, run_dir);
	cfg.opts = tear_opts();
	cfg.warmup = 2;
	cfg.iterations = 30;
	run_ok(&cfg, &res);
	CHECK_MSG(res.counters[0] >= per_msg * (cfg.warmup + cfg.iterations), "torn_reads %llu after %llu messages",
		  (unsigned long long)res.counters[0], (unsigned long long)(cfg.warmup + cfg.iterations));
	cell_result_release(&res);
	run_dir_empty_and_remove();
}

TEST(file_torn)
{
	torn_case(PATTERN_PINGPONG, 64, 2); /* each message is torn once going and once coming back */
	torn_case(PATTERN_PINGPONG, 65536, 2);
}

TEST(file_torn_stream)
{
	torn_case(PATTERN_STREAM, 4097, 1);
}

TEST(file_no_tear)
{
	struct cell_config cfg;
	struct cell_result res;

	make_run_dir();
	cfg = confcell_config(&file_ops, PATTERN_PINGPONG, 64, run_dir);
	cfg.iterations = 200;
	run_ok(&cfg, &res);
	cell_result_release(&res);
	run_dir_empty_and_remove();
}

static const char *const five[] = {"a", "b", "c", "d", "e", NULL};
static const char *const malformed[] = {"Torn-Reads", NULL};

TEST(file_counters)
{
	struct transport_ops t = file_ops;
	char why[256];

	CHECK_EQ_I64(transport_counter_count(&file_ops), 1);
	CHECK_EQ_STR(file_ops.counters[0], "torn_reads");
	CHECK(transport_check_ops(&file_ops, why, sizeof(why)) == 0);
	t.name = "file_copy";
	t.counters = five;
	CHECK(transport_check_ops(&t, why, sizeof(why)) != 0);
	CHECK_MSG(strstr(why, "TRANSPORT_MAX_COUNTERS"), "%s", why);
	t.counters = malformed;
	CHECK(transport_check_ops(&t, why, sizeof(why)) != 0);
	CHECK_MSG(strstr(why, "counter name"), "%s", why);
}

static const struct test_case cases[] = {
	T_TIMEOUT(file_cells, 120), T_TIMEOUT(file_torn, 60), T_TIMEOUT(file_torn_stream, 60), T(file_no_tear),
	T(file_counters),
};

int main(int argc, char **argv)
{
	return test_main(argc, argv, cases, ARRAY_SIZE(cases));
}
