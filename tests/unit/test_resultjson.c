/*
 * test_resultjson.c - the result JSON: written by resultjson.c, read back both by
 * jansson directly (the field contract) and by resultfile.c (the reader
 * compare/plot/hist use); atomic replacement; hostile files refused.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/clock.h"
#include "harness/hdr/codec.h"
#include "common/outfile.h"
#include "harness/resultjson.h"
#include "harness/analysis/resultfile.h"
#include "tests/runner.h"

extern const struct transport_ops pipe_ops;

static char dir[] = "/tmp/ipcb-report-test.XXXXXX";

static struct run_result *make_report(struct run_options *opt, struct run_cell *cell)
{
	static struct run_result rr;
	static struct placement pl = {0, 1, REL_CROSS};
	static size_t sizes[] = {64};
	static const struct transport_ops *tr[] = {&pipe_ops};

	memset(&rr, 0, sizeof(rr));
	memset(opt, 0, sizeof(*opt));
	opt->transports = tr;
	opt->ntransports = 1;
	opt->sizes = sizes;
	opt->nsizes = 1;
	opt->patterns[0] = PATTERN_PINGPONG;
	opt->npatterns = 1;
	opt->placements = &pl;
	opt->nplacements = 1;
	opt->waits[0] = CHAN_WAIT_BLOCK;
	opt->nwaits = 1;
	opt->warmup = 10;
	opt->iterations = 1000;
	opt->repeat = 1;
	opt->timeout_ms = 1000;
	sysinfo_collect(&rr.host);
	rr.opt = opt;
	rr.command_line = "ipcbench run -t pipe";
	result_now_iso(rr.started_at, sizeof(rr.started_at));

	memset(cell, 0, sizeof(*cell));
	cell->cfg = (struct cell_config){.ops = &pipe_ops,
					 .pattern = PATTERN_PINGPONG,
					 .msg_bytes = 64,
					 .client_cpu = 0,
					 .server_cpu = 1,
					 .relation = REL_CROSS,
					 .warmup = 10,
					 .iterations = 1000};
	hist_init(&cell->res.latency, HIST_LOWEST, HIST_HIGHEST, HIST_DIGITS);
	for (int i = 1; i <= 1000; i++)
		hist_record(&cell->res.latency, 1000 * i); /* 1 us .. 1 ms */
	cell->res.status = CELL_OK;
	cell->res.count = 1000;
	cell->res.elapsed_ns = 500000000;
	cell->res.round_trips_per_sec = 2000;
	cell->res.msgs_per_sec = 2000;
	cell->res.bytes_per_sec = 128000;
	cell->res.raw_min_ns = 1000;
	cell->res.raw_max_ns = 1000000;
	cell->res.fragments_per_msg = 1;
	cell->res.clock = "monotonic";
	cell->nreps = 1;
	cell->reps = calloc(1, sizeof(*cell->reps));
	rep_summary_from(&cell->res, cell->reps);
	rr.cells = cell;
	rr.ncells = 1;
	return &rr;
}

static char *path_in(const char *name)
{
	static char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static void teardown(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlink(path_in(e->d_name));
	if (d)
		closedir(d);
	rmdir(dir);
}

static void setup(void)
{
	if (!mkdtemp(dir))
		test_fail(__FILE__, __LINE__, "mkdtemp");
}

TEST(written_fields_follow_the_contract)
{
	struct run_options opt;
	struct run_cell cell;
	struct run_result *rr;
	json_error_t je;
	json_t *root, *c, *lat;
	char err[256];
	struct hist back;

	setup();
	rr = make_report(&opt, &cell);
	CHECK_OK(resultjson_write(rr, path_in("r.json"), err, sizeof(err)));
	root = json_load_file(path_in("r.json"), 0, &je);
	CHECK_MSG(root, "not JSON: %s", je.text);
	CHECK_EQ_I64(json_integer_value(json_object_get(root, "schema_version")), SCHEMA_VERSION);
	CHECK(json_is_object(json_object_get(root, "tool")));
	CHECK(json_is_object(json_object_get(root, "context")));
	CHECK(json_is_object(json_object_get(root, "config")));
	c = json_array_get(json_object_get(root, "results"), 0);
	CHECK_EQ_STR(json_string_value(json_object_get(c, "transport")), "pipe");
	CHECK_EQ_STR(json_string_value(json_object_get(c, "kind")), "stream");
	CHECK_EQ_STR(json_string_value(json_object_get(c, "pattern")), "pingpong");
	CHECK_EQ_STR(json_string_value(json_object_get(c, "status")), "ok");
	CHECK(json_is_null(json_object_get(c, "reason")));
	CHECK_EQ_I64(json_integer_value(json_object_get(c, "msg_bytes")), 64);
	CHECK_EQ_I64(json_integer_value(json_object_get(json_object_get(c, "placement"), "server_cpu")), 1);
	CHECK_EQ_I64(json_integer_value(json_object_get(c, "iterations")), 1000);
	CHECK_EQ_I64(json_integer_value(json_object_get(c, "warmup")), 10);
	CHECK_EQ_I64(json_integer_value(json_object_get(c, "elapsed_ns")), 500000000);
	CHECK_NEAR(json_number_value(json_object_get(c, "round_trips_per_sec")), 2000, 1e-9);
	lat = json_object_get(c, "latency_ns");
	CHECK_EQ_I64(json_integer_value(json_object_get(lat, "count")), 1000);
	/* HDR semantics: 1000 us .. the highest value equivalent to 1 ms */
	CHECK_EQ_I64(json_integer_value(json_object_get(lat, "min")), 1000);
	CHECK_EQ_I64(json_integer_value(json_object_get(lat, "max")),
		     hist_highest_equivalent(&cell.res.latency, 1000000));
	CHECK_EQ_I64(json_integer_value(json_object_get(lat, "p50")), hist_value_at_percentile(&cell.res.latency, 50));
	CHECK_EQ_I64(json_integer_value(json_object_get(lat, "p99.9")),
		     hist_value_at_percentile(&cell.res.latency, 99.9));
	CHECK(json_is_integer(json_object_get(lat, "p99.99")));
	CHECK_EQ_I64(json_integer_value(json_object_get(lat, "raw_max")), 1000000);
	/* the encoded histogram decodes to the same counts */
	CHECK_OK(hist_decode_base64(&back, json_string_value(json_object_get(lat, "hdr")), err, sizeof(err)));
	CHECK_EQ_I64(back.total_count, 1000);
	CHECK_EQ_I64(hist_value_at_percentile(&back, 99), hist_value_at_percentile(&cell.res.latency, 99));
	CHECK(json_array_size(json_object_get(c, "repetitions")) == 1);
	json_decref(root);
	teardown();
}

TEST(reader_reads_back_what_writer_wrote)
{
	struct run_options opt;
	struct run_cell cell;
	struct result_file rf;
	char err[256];

	setup();
	CHECK_OK(resultjson_write(make_report(&opt, &cell), path_in("r.json"), err, sizeof(err)));
	CHECK_MSG(resultfile_load(path_in("r.json"), &rf, err, sizeof(err)) == 0, "%s", err);
	CHECK_EQ_U64(rf.ncells, 1);
	CHECK_EQ_STR(rf.cells[0].transport, "pipe");
	CHECK_EQ_STR(rf.cells[0].relation, "cross");
	CHECK_EQ_I64(rf.cells[0].msg_bytes, 64);
	CHECK_EQ_I64(rf.cells[0].client_cpu, 0);
	CHECK_NEAR(rf.cells[0].lat.pct[0], (double)hist_value_at_percentile(&cell.res.latency, 50), 0);
	CHECK_EQ_U64(rf.cells[0].nreps, 1);
	CHECK_EQ_I64(rf.cells[0].reps[0].lat.count, 1000);
	CHECK(rf.cells[0].lat.hdr && !strncmp(rf.cells[0].lat.hdr, "HISTF", 5));
	CHECK(isnan(rf.cells[0].rate_target_per_sec));
	resultfile_release(&rf);
	teardown();
}

TEST(write_is_atomic_and_leaves_no_temp_files)
{
	struct run_options opt;
	struct run_cell cell;
	char err[256];
	DIR *d;
	struct dirent *e;
	int n = 0;

	setup();
	/* an old file stays intact when the new write cannot happen */
	FILE *f = fopen(path_in("r.json"), "w");
	fputs("old", f);
	fclose(f);
	chmod(dir, 0500);
	if (geteuid() != 0)
		CHECK(resultjson_write(make_report(&opt, &cell), path_in("r.json"), err, sizeof(err)) < 0);
	chmod(dir, 0700);
	CHECK_OK(resultjson_write(make_report(&opt, &cell), path_in("r.json"), err, sizeof(err)));
	d = opendir(dir);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.' || strstr(e->d_name, ".tmp") != NULL;
	closedir(d);
	CHECK_EQ_I64(n, 1);
	CHECK(outfile_check(path_in("nodir/r.json"), err, sizeof(err)) < 0);
	CHECK(strstr(err, "nodir"));
	teardown();
}

static int load_text(const char *text, char *err, size_t errlen)
{
	struct result_file rf;
	FILE *f = fopen(path_in("h.json"), "w");
	int r;

	fputs(text, f);
	fclose(f);
	r = resultfile_load(path_in("h.json"), &rf, err, errlen);
	if (!r)
		resultfile_release(&rf);
	return r;
}

TEST(reader_refuses_hostile_files_with_one_line)
{
	static const char *const bad[] = {
		"",
		"{",
		"[]",
		"null",
		"{\"schema\":\"other\"}",
		"{\"schema\":\"ipcbench-result\",\"schema_version\":99,\"results\":[]}",
		"{\"schema\":\"ipcbench-result\",\"schema_version\":1,\"tool\":{},\"context\":{},\"results\":{}}",
		"{\"schema\":\"ipcbench-result\",\"schema_version\":1,\"tool\":{},\"context\":{},\"results\":[1]}",
		"{\"schema\":\"ipcbench-result\",\"schema_version\":1,\"tool\":{},\"context\":{},\"results\":"
		"[{\"key\":\"k\",\"transport\":\"pipe\",\"kind\":\"stream\",\"pattern\":\"pingpong\",\"status\":\"ok\","
		"\"wait\":\"block\",\"msg_bytes\":\"64\",\"placement\":{\"relation\":\"same\"},\"latency_ns\":{}}]}",
		"{\"schema\":\"ipcbench-result\",\"schema_version\":1,\"tool\":{},\"context\":{},\"results\":"
		"[{\"key\":\"k\",\"transport\":\"pipe\",\"kind\":\"stream\",\"pattern\":\"pingpong\",\"status\":\"ok\","
		"\"wait\":\"block\",\"msg_bytes\":1e999,\"placement\":{\"relation\":\"same\"},\"latency_ns\":{}}]}",
		"\x7f\x45\x4c\x46\x02\x01",
	};
	char err[512], deep[20000];

	setup();
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = 0;
		test_context("case %zu", i);
		CHECK(load_text(bad[i], err, sizeof(err)) < 0);
		CHECK(err[0] && !strchr(err, '\n'));
	}
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = 0;
	CHECK(load_text(deep, err, sizeof(err)) < 0);
	teardown();
}

static const struct test_case cases[] = {
	T(written_fields_follow_the_contract),
	T(reader_reads_back_what_writer_wrote),
	T(write_is_atomic_and_leaves_no_temp_files),
	T(reader_refuses_hostile_files_with_one_line),
};

int main(int argc, char **argv)
{
	clock_setup(false);
	return test_main(argc, argv, cases, ARRAY_SIZE(cases));
}
