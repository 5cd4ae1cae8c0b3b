/*
 * cmd_export.c - `ipcbench export RESULT... --format FMT [-o FILE]`: the
 * result files in the formats of other tools (harness/analysis/export.c
 * writes them; the files are read by the one result reader).
 *
 * Exit status: 0 ok, 1 writing failed, 2 bad usage or input.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/cmd.h"
#include "common/outfile.h"
#include "harness/analysis/export.h"
#include "harness/analysis/resultfile.h"

#define EXPORT_MAX_FILES 1000

static void export_usage(FILE *f)
{
	fprintf(f, "usage: ipcbench export RESULT.json... -f FORMAT [-o FILE] [--metric latency|throughput]\n\n"
		   "Writes the measured cells of result files in another tool's format:\n"
		   "  github-action-benchmark  the custom JSON array: customSmallerIsBetter (p50\n"
		   "                           round trip, ns) with --metric latency (default), or\n"
		   "                           customBiggerIsBetter (msgs/s and B/s) with throughput\n"
		   "  bencher                  Bencher Metric Format: latency (p50, min..p99) and\n"
		   "                           throughput (msgs/s, the repetitions' range)\n"
		   "  gbench                   Google Benchmark JSON (compare.py compares two):\n"
		   "                           real_time the wall time per round trip or message,\n"
		   "                           cpu_time both sides' CPU time per message\n"
		   "  openmetrics              OpenMetrics text: the HDR histograms as cumulative\n"
		   "                           buckets in seconds, message and byte counters\n"
		   "  prometheus               the same as Prometheus 0.0.4 text (node_exporter's\n"
		   "                           textfile collector)\n"
		   "  csv                      one row per cell (skipped ones too), with a header\n\n"
		   "  -f, --format FORMAT  one of the above (required)\n"
		   "  -o, --output FILE    the file to write (atomically; default '-': stdout)\n"
		   "      --metric M       latency or throughput (github-action-benchmark only)\n"
		   "  -h, --help           this text\n\n"
		   "Exit status: 0 ok, 1 writing failed, 2 bad usage or input.\n");
}

struct export_args {
	char **paths;
	size_t npaths;
	const char *out;
	enum export_format fmt;
	enum export_metric metric;
	bool fmt_set, metric_set;
};

static void export_parse(struct export_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{"metric", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	char buf[256];
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:o:h", longopts, NULL)) != -1) {
		if (c == 'f') {
			if (export_format_parse(optarg, &a->fmt))
				die_usage("export: unknown format '%s' (github-action-benchmark, bencher, gbench, "
					  "openmetrics, prometheus, csv)",
					  optarg);
			a->fmt_set = true;
		} else if (c == 'o') {
			a->out = optarg;
		} else if (c == 'm') {
			if (strcmp(optarg, "latency") && strcmp(optarg, "throughput"))
				die_usage("export: --metric '%s' is not latency or throughput", optarg);
			a->metric = strcmp(optarg, "latency") ? EXPORT_THROUGHPUT : EXPORT_LATENCY;
			a->metric_set = true;
		} else if (c == 'h') {
			export_usage(stdout);
			exit(EXIT_OK);
		} else {
			die_usage("export: %s (see 'ipcbench export --help')",
				  cmd_bad_option(c, argc, argv, buf, sizeof(buf)));
		}
	}
	a->paths = argv + optind;
	a->npaths = (size_t)(argc - optind);
	if (!a->npaths)
		die_usage("export: no result file given (usage: ipcbench export RESULT.json... -f FORMAT)");
	if (a->npaths > EXPORT_MAX_FILES)
		die_usage("export: %zu result files: at most %d", a->npaths, EXPORT_MAX_FILES);
	if (!a->fmt_set)
		die_usage("export: -f FORMAT is required (github-action-benchmark, bencher, gbench, openmetrics, "
			  "prometheus, csv)");
	if (a->metric_set && a->fmt != EXPORT_GAB)
		die_usage("export: --metric applies only to -f github-action-benchmark");
	if (a->out && !*a->out)
		die_usage("export: -o needs a file name ('-' for stdout)");
}

static int export_to(const struct export_args *a, const struct result_file *rfs)
{
	struct outfile of;
	char err[PATH_MAX + 300];
	int r;

	if (outfile_open(&of, a->out ? a->out : "-", err, sizeof(err))) {
		warnx_("export: %s", err);
		return EXIT_USAGE;
	}
	r = export_write(of.f, rfs, a->npaths, a->fmt, a->metric, err, sizeof(err));
	if (r) {
		outfile_abort(&of);
		warnx_("export: %s", err);
		return r == -EIO ? EXIT_FAIL : EXIT_USAGE;
	}
	if (outfile_commit(&of, err, sizeof(err))) {
		warnx_("export: %s", err);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int cmd_export(int argc, char **argv)
{
	struct export_args a = {0};
	struct result_file *rfs;
	char err[PATH_MAX + 300];
	size_t loaded = 0;
	int rc = EXIT_USAGE;

	export_parse(&a, argc, argv);
	rfs = calloc(a.npaths, sizeof(*rfs));
	if (!rfs) {
		warnx_("export: out of memory");
		return EXIT_FAIL;
	}
	for (; loaded < a.npaths; loaded++)
		if (resultfile_load(a.paths[loaded], &rfs[loaded], err, sizeof(err))) {
			warnx_("export: %s", err);
			break;
		}
	if (loaded == a.npaths)
		rc = export_to(&a, rfs);
	for (size_t i = 0; i < loaded; i++)
		resultfile_release(&rfs[i]);
	free(rfs);
	return rc;
}
