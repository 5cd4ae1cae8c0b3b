/*
 * main.c - ipcbench's entry point: dispatches to a subcommand.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/cmd.h"
#include "harness/harness.h"
#include "transports/transport.h"

#ifndef IPCB_VERSION
#define IPCB_VERSION "0"
#endif
#include "gitrev.h"

const char *progname = "ipcbench";

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{"run", cmd_run, "measure transports: latency histograms, throughput, cost"},
	{"list", cmd_list, "list the transports, their kind, limits and availability here"},
	{"compare", cmd_compare, "compare two result files: the regression gate for CI"},
	{"calibrate", cmd_calibrate, "measure the machine's floors (cache-line, futex, copy) and cache them"},
	{"clean", cmd_clean, "remove what dead ipcbench runs left behind"},
	{"plot", cmd_plot, "draw charts of result files with gnuplot (PNG, SVG)"},
	{"report", cmd_report, "write one self-contained HTML report of result files"},
	{"hist", cmd_hist, "merge the HDR histograms of result files and .hlog logs; print or write .hgrm"},
	{"serve", cmd_serve, "run the server side of cells for `run --connect` (another host, or here)"},
	{"export", cmd_export, "write result files for other tools: CI dashboards, gbench, Prometheus, CSV"},
};

/* "ipcbench: <msg>": the one line every message on stderr is. */
static void vwarnx(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void die_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	exit(EXIT_USAGE);
}

void warnx_(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
}

/* The argument that holds short option ch: the one getopt left, or the one it is still in. */
static const char *cluster_of(int ch, int argc, char **argv)
{
	const char *prev = optind > 1 && optind <= argc ? argv[optind - 1] : NULL;
	const char *cur = optind < argc ? argv[optind] : NULL;

	if (prev && prev[0] == '-' && prev[1] && prev[1] != '-' && prev[strlen(prev) - 1] == ch)
		return prev;
	if (cur && cur[0] == '-' && cur[1] && cur[1] != '-' && strchr(cur + 1, ch))
		return cur;
	return NULL;
}

const char *cmd_bad_option(int c, int argc, char **argv, char *buf, size_t len)
{
	const char *prev = optind > 1 && optind <= argc ? argv[optind - 1] : "";
	bool long_word = !strncmp(prev, "--", 2) && prev[2];
	const char *what = c == ':' ? "needs a value" : NULL;
	const char *cl;

	/* a long option is the word getopt consumed: unknown (optopt 0), lacking or refusing its value */
	if (c == ':' ? long_word : (!optopt || (long_word && strchr(prev, '=')))) {
		if (c != ':' && optopt)
			what = "takes no value";
		if (what)
			snprintf(buf, len, "option '%.*s' %s", (int)strcspn(prev, "="), prev, what);
		else
			snprintf(buf, len, "unknown option '%.*s'", (int)strcspn(prev, "="), prev);
		return buf;
	}
	if (what) {
		snprintf(buf, len, "option '-%c' %s", optopt, what);
		return buf;
	}
	cl = cluster_of(optopt, argc, argv);
	if (cl && strlen(cl) > 2)
		snprintf(buf, len, "unknown option '-%c' in '%s'", optopt, cl);
	else
		snprintf(buf, len, "unknown option '-%c'", optopt);
	return buf;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ipcbench <command> [options]\n\n"
		   "Measures Linux IPC mechanisms between two processes: round-trip latency as\n"
		   "full HDR histograms, throughput and CPU cost, by size, placement and wait.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'ipcbench <command> --help' describes each.  Exit status: 0 ok, 1 a\n"
		   "measurement failed or a regression was found, 2 bad usage or input.\n");
}

static void check_registry(void)
{
	char why[200];

	for (size_t i = 0; i < transport_count; i++) {
		if (transport_check_ops(transport_table[i], why, sizeof(why))) {
			fprintf(stderr, "%s: internal error: %s\n", progname, why);
			exit(EXIT_FAIL);
		}
	}
}

int main(int argc, char **argv)
{
	check_registry();
	harness_peer_program = "/proc/self/exe"; /* --peers exec and popen start ipcbench itself */
	if (argc < 2)
		die_usage("no command given (usage: ipcbench <command> [options]; 'ipcbench help' or "
			  "'ipcbench --help' lists the commands)");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("ipcbench %s (%s)\n", IPCB_VERSION, IPCB_GIT_REV);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "peer")) /* internal: an exec'd side of a cell (cmd_peer.c), not in the usage */
		return cmd_peer(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	die_usage("unknown command '%s' (see 'ipcbench --help')", argv[1]);
}
