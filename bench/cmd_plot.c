/*
 * cmd_plot.c - `ipcbench plot RESULT.json... -o DIR`: charts with gnuplot.
 *
 * Writes, per chart, NAME.dat and NAME.gp (from the templates in
 * scripts/) and the images, so a chart can be restyled and re-run with
 * gnuplot alone.  Exit status: 0 ok, 1 gnuplot failed, 2 bad usage, a bad
 * result file, or gnuplot not installed.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "opt.h"
#include "plot.h"

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
		   "  placement-PATTERN-SIZE                         same vs cross CPU per transport\n\n"
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

static unsigned int parse_formats(const char *s)
{
	char **items, err[200];
	unsigned int bits = 0;
	size_t n;

	if (opt_split_list(s, "format", &items, &n, err, sizeof(err)))
		die_usage("plot: --format: %s", err);
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(items[i], "png"))
			bits |= PLOT_PNG;
		else if (!strcmp(items[i], "svg"))
			bits |= PLOT_SVG;
		else
			die_usage("plot: --format: unknown format '%s' (png, svg)", items[i]);
	}
	opt_free_list(items, n);
	return bits;
}

static int do_plot(char **paths, size_t n, struct plot_opts *o)
{
	struct result_file *files;
	struct plot_set ps;
	char gnuplot[PATH_MAX], err[512];
	int rc = EXIT_USAGE;

	if (plot_files_load(paths, n, &files, err, sizeof(err))) {
		warnx_("%s", err);
		return EXIT_USAGE;
	}
	if (plot_set_init(&ps, files, n, err, sizeof(err))) {
		warnx_("%s", err);
		goto out_files;
	}
	if (plot_find_gnuplot(gnuplot, sizeof(gnuplot))) {
		warnx_("plot: gnuplot is not installed (not in PATH): install it with '%s'", PLOT_GNUPLOT_INSTALL);
		goto out_set;
	}
	if (plot_write(&ps, o, err, sizeof(err))) {
		warnx_("plot: %s", err);
		goto out_set;
	}
	if (plot_render(&ps, o, gnuplot, err, sizeof(err))) {
		warnx_("plot: %s", err);
		rc = EXIT_FAIL;
		goto out_set;
	}
	rc = EXIT_OK;
	printf("%zu charts in %s\n", ps.ncharts, o->dir);
out_set:
	plot_set_release(&ps);
out_files:
	plot_files_free(files, n);
	return rc;
}

int cmd_plot(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "size", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct plot_opts o = { .formats = PLOT_PNG | PLOT_SVG };
	char err[200];
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.dir = optarg;
			break;
		case 'f':
			o.formats = parse_formats(optarg);
			break;
		case 's':
			if (opt_parse_size(optarg, &o.summary_bytes, err, sizeof(err)))
				die_usage("plot: --size: %s", err);
			break;
		case 'h':
			plot_usage(stdout);
			return EXIT_OK;
		case ':':
			die_usage("plot: option '%s' needs a value", argv[optind - 1]);
		default:
			die_usage("plot: unknown option '%s' (see 'ipcbench plot --help')", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		die_usage("plot: no result file given (usage: ipcbench plot RESULT.json... -o DIR)");
	if (!o.dir || !*o.dir)
		die_usage("plot: -o DIR is required (the directory for the charts)");
	return do_plot(argv + optind, (size_t)(argc - optind), &o);
}
