/*
 * cmd_calibrate.c - `ipcbench calibrate`: measures (or loads from the
 * cache) the machine's floors for one CPU pair and for its first CPU
 * alone, prints them, and saves them for `run` (harness/calibrate.h says
 * what each floor is and how it is measured).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/calibrate.h"
#include "common/units.h"
#include "harness/clock.h"
#include "bench/cmd.h"
#include "bench/opt.h"
#include "harness/sysinfo.h"

struct calibrate_args {
	int cpu_a;
	int cpu_b;
	bool json;
	bool refresh;
	bool allow_tsc;
};

static void calibrate_usage(FILE *f)
{
	fprintf(f, "usage: ipcbench calibrate [--cpus C,S] [--json] [--refresh]\n\n"
		   "Measures what this machine allows between two processes, with bare\n"
		   "reference loops: a cache-line busy-spin ping-pong, a futex wait/wake\n"
		   "ping-pong, a 1 MiB copy through shared memory (each on one CPU and across\n"
		   "the pair), memcpy bandwidth and the cost of a clock read.  'run' reads\n"
		   "each cell's latency as a multiple of these floors.  The result is cached\n"
		   "per CPU model, kernel, clock and CPU pair under $XDG_CACHE_HOME/ipcbench\n"
		   "(else ~/.cache/ipcbench).\n\n"
		   "  --cpus C,S    the CPU pair (default: the first two online CPUs); the\n"
		   "                one-CPU floors are measured on C\n"
		   "  --refresh     measure again even when a cached result exists\n"
		   "  --json        print the floors as JSON on stdout\n"
		   "  --clock SRC   auto (TSC where safe, default) or monotonic\n"
		   "  -h, --help    this text\n\n"
		   "Exit status: 0 ok, 1 a measurement failed, 2 bad usage.\n");
}

enum { OPT_CPUS = 256, OPT_JSON, OPT_REFRESH, OPT_CLOCK, OPT_VERSION };

static void default_cpus(struct calibrate_args *a)
{
	int cpus[2], n = cpu_list_online(cpus, 2);

	if (n < 1)
		die_usage("calibrate: no online CPU found; name them with --cpus C,S");
	a->cpu_a = cpus[0];
	a->cpu_b = n > 1 ? cpus[1] : cpus[0];
}

static void parse_args(int argc, char **argv, struct calibrate_args *a)
{
	static const struct option longopts[] = {
		{"cpus", required_argument, NULL, OPT_CPUS},
		{"json", no_argument, NULL, OPT_JSON},
		{"refresh", no_argument, NULL, OPT_REFRESH},
		{"clock", required_argument, NULL, OPT_CLOCK},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, OPT_VERSION},
		{0},
	};
	char err[300];
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_CPUS:
			if (opt_parse_cpus(optarg, &a->cpu_a, &a->cpu_b, err, sizeof(err)))
				die_usage("--cpus: %s", err);
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_REFRESH:
			a->refresh = true;
			break;
		case OPT_CLOCK:
			if (!strcmp(optarg, "auto") || !strcmp(optarg, "tsc"))
				a->allow_tsc = true;
			else if (!strcmp(optarg, "monotonic"))
				a->allow_tsc = false;
			else
				die_usage("--clock: unknown clock '%s' (auto or monotonic)", optarg);
			break;
		case 'h':
			calibrate_usage(stdout);
			exit(EXIT_OK);
		case OPT_VERSION:
			printf("ipcbench calibrate %s\n", IPCB_VERSION);
			exit(EXIT_OK);
		case ':':
		default:
			die_usage("calibrate: %s (see 'ipcbench calibrate --help')",
				  cmd_bad_option(c, argc, argv, (char[300]){0}, 300));
		}
	}
	if (optind < argc)
		die_usage("calibrate: unexpected argument '%s'", argv[optind]);
	if (a->cpu_a < 0)
		default_cpus(a);
}

/* ---- output ---- */

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void print_json(FILE *f, const struct calib *c, const char *cache_path)
{
	fprintf(f, "{\n  \"cpus\": ");
	json_string(f, c->cpus);
	fprintf(f, ",\n  \"measured_at\": ");
	json_string(f, c->measured_at);
	fprintf(f, ",\n  \"from_cache\": %s,\n  \"cache_file\": ", c->from_cache ? "true" : "false");
	if (cache_path[0])
		json_string(f, cache_path);
	else
		fprintf(f, "null");
	fprintf(f, ",\n  \"clock\": ");
	json_string(f, clock_info.name);
	fprintf(f, ",\n  \"clock_read_ns\": %.3f,\n", c->clock_read_ns);
	fprintf(f, "  \"cacheline_rtt_ns\": %.1f,\n  \"futex_rtt_ns\": %.1f,\n", c->cacheline_rtt_ns, c->futex_rtt_ns);
	fprintf(f, "  \"cacheline_rtt_same_cpu_ns\": %.1f,\n  \"futex_rtt_same_cpu_ns\": %.1f,\n",
		c->cacheline_rtt_same_ns, c->futex_rtt_same_ns);
	fprintf(f, "  \"memcpy\": [");
	for (int i = 0; i < 4; i++)
		fprintf(f, "%s\n    { \"bytes\": %zu, \"gbytes_per_sec\": %.3f }", i ? "," : "", c->memcpy_sizes[i],
			c->memcpy_gbps[i]);
	fprintf(f, "\n  ],\n  \"shm_copy_bytes\": %zu,\n  \"shm_copy_gbytes_per_sec\": %.3f,\n", c->shm_copy_bytes,
		c->shm_copy_gbps);
	fprintf(f, "  \"shm_copy_same_cpu_gbytes_per_sec\": %.3f\n}\n", c->shm_copy_same_gbps);
}

static void print_table(FILE *f, const struct calib *c, const struct calibrate_args *a, const char *cache_path)
{
	char same[32], cross[32], s1[16], s2[16], x1[16], x2[16], size[16];

	snprintf(same, sizeof(same), "same CPU %d", a->cpu_a);
	snprintf(cross, sizeof(cross), "cross %d,%d", a->cpu_a, a->cpu_b);
	fprintf(f, "floors %s %s%s%s\n", c->from_cache ? "cached, measured" : "measured", c->measured_at,
		cache_path[0] ? " in " : "", cache_path);
	fprintf(f, "clock read (%s): %.1f ns\n\n", clock_info.name, c->clock_read_ns);
	fprintf(f, "%-34s %14s %14s\n", "", same, a->cpu_a == a->cpu_b ? "-" : cross);
	units_ns(c->cacheline_rtt_same_ns, UNITS_ASCII, s1, sizeof(s1));
	units_ns(c->cacheline_rtt_ns, UNITS_ASCII, x1, sizeof(x1));
	units_ns(c->futex_rtt_same_ns, UNITS_ASCII, s2, sizeof(s2));
	units_ns(c->futex_rtt_ns, UNITS_ASCII, x2, sizeof(x2));
	fprintf(f, "%-34s %14s %14s\n", "cache-line ping-pong, round trip", s1, a->cpu_a == a->cpu_b ? "-" : x1);
	fprintf(f, "%-34s %14s %14s\n", "futex ping-pong, round trip", s2, a->cpu_a == a->cpu_b ? "-" : x2);
	snprintf(s1, sizeof(s1), "%.2f GB/s", c->shm_copy_same_gbps);
	snprintf(x1, sizeof(x1), "%.2f GB/s", c->shm_copy_gbps);
	units_bytes((int64_t)c->shm_copy_bytes, size, sizeof(size));
	snprintf(same, sizeof(same), "shm copy, %s messages", size);
	fprintf(f, "%-34s %14s %14s\n", same, s1, a->cpu_a == a->cpu_b ? "-" : x1);
	fprintf(f, "\nmemcpy on CPU %d:", a->cpu_a);
	for (int i = 0; i < 4; i++) {
		units_bytes((int64_t)c->memcpy_sizes[i], size, sizeof(size));
		fprintf(f, "%s %s %.1f GB/s", i ? "," : "", size, c->memcpy_gbps[i]);
	}
	fprintf(f, "\n(GB = 1e9 bytes; on one CPU the spin loops yield between polls)\n");
}

int cmd_calibrate(int argc, char **argv)
{
	struct calibrate_args a = {.cpu_a = -1, .cpu_b = -1, .allow_tsc = true};
	struct calib c;
	char path[4200] = "";
	int r;

	parse_args(argc, argv, &a);
	clock_setup(a.allow_tsc);
	r = a.refresh ? -ENOENT : calib_load_cached(&c, a.cpu_a, a.cpu_b);
	if (r) {
		if (r != -ENOENT && !a.json)
			warnx_("ignoring the cached calibration: %s", calib_error());
		r = calib_measure(&c, a.cpu_a, a.cpu_b);
		if (r) {
			warnx_("calibrate: %s", calib_error());
			return EXIT_FAIL;
		}
		if (calib_save_cached(&c, a.cpu_a, a.cpu_b))
			warnx_("calibrate: not cached: %s", calib_error());
	}
	if (calib_cache_path(a.cpu_a, a.cpu_b, path, sizeof(path)))
		path[0] = 0;
	if (a.json)
		print_json(stdout, &c, path);
	else
		print_table(stdout, &c, &a, path);
	return EXIT_OK;
}
