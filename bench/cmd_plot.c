/*
 * cmd_plot.c - `ipcbench plot RESULT.json... -o DIR`: charts with gnuplot.
 *
 * Writes, per chart, NAME.dat and NAME.gp (from the templates in
 * scripts/) and the images, so a chart can be restyled and re-run with
 * gnuplot alone.  Exit status: 0 ok, 1 gnuplot failed, 2 bad usage, a bad
 * result file, or gnuplot not installed; a SIGINT, SIGTERM or SIGHUP ends it
 * as that signal does, with gnuplot killed and reaped first.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/charts.h"
#include "bench/cmd.h"
#include "harness/analysis/plot.h"

static void plot_usage(FILE *f)
{
	fprintf(f, "usage: ipcbench plot RESULT.json... -o DIR [--format png,svg] [--size BYTES]\n\n"
		   "Draws charts of result files with gnuplot.  For each chart DIR gets NAME.dat\n"
		   "(the numbers, columns named in its header), NAME.gp (the gnuplot script: re-run\n"
		   "it with 'gnuplot NAME.gp', or -e \"fmt='svg'\" for SVG) and the images:\n\n"
		   "  latency-by-percentile-PATTERN-SIZE-PLACEMENT   one line per transport\n"
		   "  latency-vs-size-PATTERN-PLACEMENT              p50 and p99 by message size\n"
		   "  throughput-bytes-vs-size-PLACEMENT             stream bytes/s by size\n"
		   "  throughput-msgs-vs-size-PLACEMENT              stream messages/s by size\n"
		   "  summary-PATTERN-SIZE-PLACEMENT                 every transport at one size\n"
		   "  placement-PATTERN-SIZE                         same vs cross CPU per transport\n"
		   "  zerocopy-throughput-vs-size-PLACEMENT          pipe, vmsplice, cma, memfd and\n"
		   "                                                 the shm rings against the copy floors\n"
		   "  clients-PATTERN-SIZE-PLACEMENT                 --clients N: aggregate rate and p99\n"
		   "  pairs-PATTERN-SIZE-PLACEMENT                   ... of --pairs N, per transport\n\n"
		   "Several files are drawn together; a transport found in more than one file is\n"
		   "labelled with the file's name.\n\n"
		   "  -o, --output DIR     the directory to write (created if missing)\n"
		   "      --format LIST    png and/or svg (default png,svg)\n"
		   "      --size BYTES     the size of the summary and placement charts (default\n"
		   "                       64, or the smallest size measured)\n"
		   "  -h, --help           this text\n\n"
		   "Needs gnuplot (apt-get install gnuplot-nox).  Exit status: 0 ok, 1 gnuplot\n"
		   "failed, 2 bad usage or input.\n");
}

static int do_plot(char **paths, size_t n, struct plot_opts *o)
{
	struct plot_set ps;
	char gnuplot[PATH_MAX], err[512];
	int rc = EXIT_USAGE, r;

	if (plot_set_load(&ps, paths, n, err, sizeof(err))) {
		warnx_("%s", err);
		return EXIT_USAGE;
	}
	if (plot_find_gnuplot(gnuplot, sizeof(gnuplot))) {
		warnx_("plot: gnuplot is not installed (not in PATH): install it with '%s'", PLOT_GNUPLOT_INSTALL);
		goto out_set;
	}
	charts_catch_signals();
	o->stop = &charts_stop;
	if (plot_write(&ps, o, err, sizeof(err))) {
		warnx_("plot: %s", err);
		goto out_set;
	}
	r = charts_stop ? -EINTR : plot_render(&ps, o, gnuplot, err, sizeof(err));
	if (r) {
		if (r != -EINTR)
			warnx_("plot: %s", err);
		rc = EXIT_FAIL;
		goto out_set;
	}
	rc = EXIT_OK;
	printf("%zu charts in %s\n", ps.ncharts, o->dir);
out_set:
	plot_set_release(&ps);
	charts_exit_if_stopped("plot");
	return rc;
}

int cmd_plot(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"format", required_argument, NULL, 'f'},
		{"size", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct charts_args a = {.formats = PLOT_PNG | PLOT_SVG};
	struct plot_opts o;

	charts_parse_args(&a, "plot", longopts, plot_usage, argc, argv);
	if (!a.npaths)
		die_usage("plot: no result file given (usage: ipcbench plot RESULT.json... -o DIR)");
	if (!a.out || !*a.out)
		die_usage("plot: -o DIR is required (the directory for the charts)");
	o = (struct plot_opts){.dir = a.out, .formats = a.formats, .summary_bytes = a.summary_bytes};
	return do_plot(a.paths, a.npaths, &o);
}
