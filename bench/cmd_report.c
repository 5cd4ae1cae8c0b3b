/*
 * cmd_report.c - `ipcbench report RESULT.json... -o report.html`: the
 * command line of the HTML report (harness/analysis/html.c writes it).
 *
 * Exit status: 0 ok, 1 gnuplot or writing failed, 2 bad usage or input;
 * a SIGINT, SIGTERM or SIGHUP ends it as that signal does, with gnuplot
 * reaped and nothing left in $TMPDIR.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/charts.h"
#include "bench/cmd.h"
#include "harness/analysis/html.h"
#include "harness/analysis/plot.h"

static void report_usage(FILE *f)
{
	fprintf(f, "usage: ipcbench report RESULT.json... -o report.html [--size BYTES]\n\n"
		   "Writes one self-contained HTML file: the machine facts, the configuration,\n"
		   "a summary table of every cell and every chart of 'ipcbench plot', inlined as\n"
		   "SVG.  It refers to nothing outside itself and prints one chart a page.\n\n"
		   "  -o, --output FILE    the HTML file to write (atomically)\n"
		   "      --size BYTES     the size of the summary and placement charts (default\n"
		   "                       64, or the smallest size measured)\n"
		   "  -h, --help           this text\n\n"
		   "Needs gnuplot (apt-get install gnuplot-nox).  Exit status: 0 ok, 1 gnuplot\n"
		   "failed, 2 bad usage or input.\n");
}

static int do_report(char **paths, size_t n, const char *out, size_t size)
{
	struct plot_set ps;
	struct html_opts o = {.out = out, .summary_bytes = size, .stop = &charts_stop};
	enum html_failure why;
	char gnuplot[PATH_MAX], err[PATH_MAX + 64];
	int rc = EXIT_OK;

	if (plot_set_load(&ps, paths, n, err, sizeof(err))) {
		warnx_("%s", err);
		return EXIT_USAGE;
	}
	if (plot_find_gnuplot(gnuplot, sizeof(gnuplot))) {
		warnx_("report: gnuplot is not installed (not in PATH): install it with '%s'", PLOT_GNUPLOT_INSTALL);
		plot_set_release(&ps);
		return EXIT_USAGE;
	}
	o.gnuplot = gnuplot;
	charts_catch_signals();
	if (html_report(&ps, &o, &why, err, sizeof(err))) {
		rc = why == HTML_BAD_INPUT ? EXIT_USAGE : EXIT_FAIL;
		if (why != HTML_INTERRUPTED)
			warnx_("report: %s", err);
	}
	plot_set_release(&ps);
	charts_exit_if_stopped("report");
	return rc;
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"size", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct charts_args a = {0};

	charts_parse_args(&a, "report", longopts, report_usage, argc, argv);
	if (!a.npaths)
		die_usage("report: no result file given (usage: ipcbench report RESULT.json... -o report.html)");
	if (!a.out || !*a.out)
		die_usage("report: -o FILE is required (the HTML file to write)");
	return do_report(a.paths, a.npaths, a.out, a.summary_bytes);
}
